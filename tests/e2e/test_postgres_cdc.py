"""source-postgres in CDC mode (replication_method {method: CDC}) against a real PostgreSQL 15 with
wal_level=logical: a user-created slot and publication, an initial snapshot, then changes read
from the slot, into destination-postgres (Incremental | Append + Deduped: hard deletes) and into
destination-local (JSONL: deletes are rows with _ab_cdc_deleted_at)."""
import json

import pytest

from conftest import read_records, run, write_pipeline
from crash_loop import kill_mid_sync
from pg_server import pg  # noqa: F401  (session fixture)

SLOT = "sluice_slot"
PUB = "sluice_pub"

CREATE = """
create table public.orders (id bigint primary key, name text, amount numeric(12,2), flag boolean,
                            ts timestamptz, day date, doc jsonb, tags text[], bin bytea);
create table public.lines (order_id bigint, line int, qty int, primary key (order_id, line));
"""

INSERT_ORDERS = """
insert into public.orders
select g, 'order ' || g, g * 1.25, mod(g, 2) = 0, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 second',
       '2020-01-01'::date + mod(g, 1000), jsonb_build_object('k', g), array['a' || g, 'b'], decode(md5(g::text), 'hex')
from generate_series(%s, %s) g"""

ORDER_COLS = "id, name, amount, flag, ts, day, doc, {tags}, bin"  # arrays arrive as JSON arrays
LINE_COLS = "order_id, line, qty"


def make_source(pg, db, rows=1000):
    pg.create_database(db)
    pg.execute(db, CREATE)
    pg.execute(db, INSERT_ORDERS, (1, rows))
    pg.execute(db, "insert into public.lines select g / 3, g % 3, g from generate_series(3, 302) g")
    pg.execute(db, f"create publication {PUB} for table public.orders, public.lines")
    pg.execute(db, f"select pg_create_logical_replication_slot('{SLOT}_{db}', 'pgoutput')")


def drop_slot(pg, db):
    pg.execute(db, f"select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = '{SLOT}_{db}'")


def cdc_config(pg, db, **method):
    m = {"method": "CDC", "plugin": "pgoutput", "replication_slot": f"{SLOT}_{db}", "publication": PUB,
         "initial_waiting_seconds": 120}
    m.update(method)
    return pg.config(db, replication_method=m)


def pipeline(tmp_path, pg, db, name="cdc", dest="postgres", **method):
    destination = ({"connector": "postgres", "config": pg.config(db)} if dest == "postgres"
                   else {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}})
    return write_pipeline(tmp_path / f"{name}.yaml", {
        "name": name,
        "source": {"connector": "postgres", "config": cdc_config(pg, db, **method)},
        "destination": destination,
        "namespace": {"definition": "custom", "format": "dst"},
        "streams": [{"name": "orders", "mode": "Incremental | Append + Deduped", "primary_key": "id"},
                    {"name": "lines", "mode": "Incremental | Append + Deduped", "primary_key": ["order_id", "line"]}]
        if dest == "postgres" else
        [{"name": "orders", "mode": "Incremental | Append"}, {"name": "lines", "mode": "Incremental | Append"}],
    })


def sync(p, *extra, check=True):
    r = run("sync", p, "--json", "--no-progress", *extra, check=check)
    return r


def difference(pg, db, source_sql, dest_sql):
    a = pg.query(db, f"select count(*) from (({source_sql}) except all ({dest_sql})) d")[0][0]
    b = pg.query(db, f"select count(*) from (({dest_sql}) except all ({source_sql})) d")[0][0]
    return a, b


def assert_equal(pg, db):
    src = ORDER_COLS.format(tags="to_jsonb(tags)")
    dst = ORDER_COLS.format(tags="tags")
    assert difference(pg, db, f"select {src} from public.orders", f"select {dst} from dst.orders") == (0, 0)
    assert difference(pg, db, f"select {LINE_COLS} from public.lines", f"select {LINE_COLS} from dst.lines") == (0, 0)


def change(pg, db, first_new):
    """Inserts, updates, deletes, a rolled-back transaction, a 50k-row transaction, composite keys."""
    pg.execute(db, INSERT_ORDERS, (first_new, first_new + 99))
    pg.execute(db, "update public.orders set name = 'updated ' || id, amount = -amount where id % 10 = 3")
    pg.execute(db, "delete from public.orders where id % 10 = 7")
    conn = pg.connect(db)
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute("insert into public.orders (id, name) values (-1, 'rolled back')")
        cur.execute("delete from public.orders where id = 1")
    conn.rollback()
    conn.close()
    pg.execute(db, INSERT_ORDERS, (1_000_000, 1_049_999))  # one 50k-row transaction
    pg.execute(db, "update public.lines set qty = -qty where line = 1")
    pg.execute(db, "delete from public.lines where line = 2")
    pg.execute(db, "insert into public.lines values (5000, 0, 1), (5000, 1, 2)")
    pg.execute(db, "update public.lines set line = 7 where order_id = 5000 and line = 1")  # key change


def slot_flush(pg, db):
    return pg.query(db, "select confirmed_flush_lsn::text from pg_replication_slots where slot_name = %s",
                    (f"{SLOT}_{db}",))[0][0]


def lsn_int(text):
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


def saved_state(tmp_path, name="cdc"):
    return json.loads((tmp_path / ".sluice-state" / f"{name}.state.json").read_text())


def saved_lsn(tmp_path, name="cdc"):
    states = saved_state(tmp_path, name)
    glob = [s for s in states if s.get("type") == "GLOBAL"]
    assert len(glob) == 1, states
    return glob[0]["global"]["shared_state"]["state"]["lsn"]


def test_cdc_into_postgres_dedup(pg, tmp_path):
    db = "cdc_pg"
    make_source(pg, db)
    p = pipeline(tmp_path, pg, db)
    sync(p)
    assert_equal(pg, db)
    # Snapshot rows carry the start position and no deletion.
    lsn1 = saved_lsn(tmp_path)
    assert pg.query(db, "select count(*) from dst.orders where _ab_cdc_lsn is null or _ab_cdc_deleted_at is not null") == [(0,)]
    change(pg, db, 2000)
    sync(p)
    assert_equal(pg, db)
    assert pg.query(db, "select count(*) from dst.orders where id % 10 = 7 and id < 1000000") == [(0,)], "deletes are hard deletes"
    assert pg.query(db, "select count(*) from dst.orders where id = -1") == [(0,)], "rolled back: never seen"
    lsn2 = saved_lsn(tmp_path)
    assert lsn2 > lsn1
    # The slot still holds the WAL after the saved LSN: it advanced no further than the state.
    assert lsn_int(slot_flush(pg, db)) <= lsn2
    # Sync 3 starts by confirming the saved LSN to the slot.
    sync(p)
    assert lsn_int(slot_flush(pg, db)) >= lsn2
    assert_equal(pg, db)
    drop_slot(pg, db)


def test_cdc_into_jsonl_keeps_deletes(pg, tmp_path):
    db = "cdc_jsonl"
    make_source(pg, db, rows=200)
    p = pipeline(tmp_path, pg, db, dest="local")
    sync(p)
    rows = read_records(tmp_path / "out")
    orders = [r for r in rows if "amount" in r.get("_airbyte_data", r) or "name" in r.get("_airbyte_data", r)]
    assert len(orders) == 200
    pg.execute(db, "delete from public.orders where id <= 5")
    pg.execute(db, "update public.orders set name = 'x' where id = 10")
    sync(p)
    rows = [r.get("_airbyte_data", r) for r in read_records(tmp_path / "out")]
    deleted = [r for r in rows if r.get("_ab_cdc_deleted_at")]
    assert sorted(r["id"] for r in deleted if "order_id" not in r) == [1, 2, 3, 4, 5]
    assert any(r.get("id") == 10 and r.get("name") == "x" and r.get("_ab_cdc_lsn") for r in rows)
    drop_slot(pg, db)



def test_kill_9_then_rerun(pg, tmp_path):
    db = "cdc_kill"
    make_source(pg, db, rows=10)
    p = pipeline(tmp_path, pg, db, name="kill")
    sync(p)
    pg.execute(db, INSERT_ORDERS, (100_000, 399_999))
    for k in range(5):
        pg.execute(db, f"update public.orders set amount = amount + 1 where id % 5 = {k}")
    # Killed after a checkpoint in the middle of the changes, before the end.
    _, mid = kill_mid_sync(p, lambda: saved_lsn(tmp_path, "kill"))
    sync(p)
    assert saved_lsn(tmp_path, "kill") > mid
    assert_equal(pg, db)
    assert pg.query(db, "select count(*) - count(distinct id) from dst.orders") == [(0,)]
    drop_slot(pg, db)


def test_seed_config_without_slot_and_publication(pg, tmp_path):
    db = "cdc_seed"
    pg.create_database(db)
    cfg = pg.config(db, replication_method={"method": "CDC", "plugin": "pgoutput", "initial_waiting_seconds": 300})
    (tmp_path / "c.json").write_text(json.dumps(cfg))
    r = run("connector", "source-postgres", "check", "--config", tmp_path / "c.json", check=False)
    out = r.stdout + r.stderr
    assert "replication_slot" in out and "publication" in out, out
    assert "pg_create_logical_replication_slot" in out and "CREATE PUBLICATION" in out, out


def check_message(tmp_path, cfg):
    (tmp_path / "c.json").write_text(json.dumps(cfg))
    r = run("connector", "source-postgres", "check", "--config", tmp_path / "c.json", check=False)
    return r.stdout + r.stderr


def test_check_failures(pg, tmp_path):
    db = "cdc_check"
    make_source(pg, db, rows=1)
    assert '"SUCCEEDED"' in check_message(tmp_path, cdc_config(pg, db))
    out = check_message(tmp_path, cdc_config(pg, db, replication_slot="nope"))
    assert "'nope' does not exist" in out and "pg_create_logical_replication_slot" in out, out
    out = check_message(tmp_path, cdc_config(pg, db, publication="nopub"))
    assert "'nopub' does not exist" in out and "CREATE PUBLICATION" in out, out
    pg.execute(db, "create publication emptypub")
    out = check_message(tmp_path, cdc_config(pg, db, publication="emptypub"))
    assert "covers no table" in out, out
    pg.execute(db, "create role norepl login password 'pw'; grant select on all tables in schema public to norepl")
    cfg = cdc_config(pg, db)
    cfg.update(username="norepl", password="pw")
    out = check_message(tmp_path, cfg)
    assert "WITH REPLICATION" in out, out
    drop_slot(pg, db)


def test_discover_cdc_columns(pg, tmp_path):
    db = "cdc_disc"
    make_source(pg, db, rows=1)
    pg.execute(db, "create table public.nokey (a int)")
    (tmp_path / "c.json").write_text(json.dumps(cdc_config(pg, db)))
    r = run("connector", "source-postgres", "discover", "--config", tmp_path / "c.json")
    cat = next(json.loads(l) for l in r.stdout.splitlines() if '"CATALOG"' in l)["catalog"]
    streams = {s["name"]: s for s in cat["streams"]}
    o = streams["orders"]
    assert {"_ab_cdc_lsn", "_ab_cdc_updated_at", "_ab_cdc_deleted_at"} <= set(o["json_schema"]["properties"])
    assert o["source_defined_cursor"] is True and o["default_cursor_field"] == ["_ab_cdc_lsn"]
    assert sorted(o["supported_sync_modes"]) == ["full_refresh", "incremental"]
    assert "Append" in streams["nokey"]["json_schema"]["description"]
    drop_slot(pg, db)


def test_invalid_position(pg, tmp_path):
    db = "cdc_invalid"
    make_source(pg, db, rows=50)
    p = pipeline(tmp_path, pg, db, name="inv")
    sync(p)
    # The slot is dropped and made again: it cannot resume the saved position.
    drop_slot(pg, db)
    pg.execute(db, "insert into public.orders (id, name) values (-5, 'while the slot was gone')")
    pg.execute(db, f"select pg_create_logical_replication_slot('{SLOT}_{db}', 'pgoutput')")
    pg.execute(db, "insert into public.orders (id, name) values (-6, 'after')")
    # Move the new slot's confirmed_flush beyond the saved LSN.
    pg.execute(db, f"select count(*) from pg_logical_slot_get_binary_changes('{SLOT}_{db}', null, null, "
                   f"'proto_version', '1', 'publication_names', '{PUB}')")
    r = sync(p, check=False)
    assert r.returncode != 0
    assert "cannot resume the saved position" in r.stdout + r.stderr
    p = pipeline(tmp_path, pg, db, name="inv", invalid_cdc_cursor_position_behavior="Re-sync data")
    sync(p)
    assert_equal(pg, db)
    drop_slot(pg, db)


def test_unchanged_toast_values(pg, tmp_path):
    """pgoutput leaves unchanged TOASTed values out of an update ('u'): with REPLICA IDENTITY FULL
    the value comes from the old row; without it the record has null and a NULLED change in
    _airbyte_meta — never a silent NULL — and destination-postgres (dedup) keeps the value it
    stored before: from the same load's earlier row (the first load's tmp table) or from the
    final table (a merge)."""
    db = "cdc_toast"
    pg.create_database(db)
    big = "(select string_agg(md5(g::text || %s), '') from generate_series(1, 400) g)"  # 12.8 kB, incompressible
    pg.execute(db, "create table public.docs (id int primary key, body text, n int)")
    pg.execute(db, "create table public.docs_full (id int primary key, body text, n int)")
    pg.execute(db, "alter table public.docs_full replica identity full")
    for t in ("docs", "docs_full"):
        pg.execute(db, f"insert into public.{t} values (1, {big}, 0)", ("x",))
    pg.execute(db, f"create publication {PUB} for table public.docs, public.docs_full")
    pg.execute(db, f"select pg_create_logical_replication_slot('{SLOT}_{db}', 'pgoutput')")
    # Changed after the slot's start: the first sync reads the row in its snapshot and then this
    # update, without the body, from the slot.
    pg.execute(db, "update public.docs set n = 5")
    p = write_pipeline(tmp_path / "toast.yaml", {
        "name": "toast",
        "source": {"connector": "postgres", "config": cdc_config(pg, db)},
        "destination": {"connector": "postgres", "config": pg.config(db)},
        "namespace": {"definition": "custom", "format": "dst"},
        "streams": [{"name": t, "mode": "Incremental | Append + Deduped", "primary_key": "id"}
                    for t in ("docs", "docs_full")],
    })
    sync(p)
    assert difference(pg, db, "select id, body, n from public.docs", "select id, body, n from dst.docs") == (0, 0)
    pg.execute(db, "update public.docs set n = 1")
    pg.execute(db, "update public.docs set n = 2")  # two in one checkpoint: both without the body
    pg.execute(db, "update public.docs_full set n = 1")
    sync(p)
    assert difference(pg, db, "select id, body, n from public.docs_full", "select id, body, n from dst.docs_full") == (0, 0)
    assert difference(pg, db, "select id, body, n from public.docs", "select id, body, n from dst.docs") == (0, 0)
    # The record still says the source did not send the value.
    rows = pg.query(db, "select _airbyte_meta::text from dst.docs")
    assert "NULLED" in rows[0][0] and "body" in rows[0][0], rows
    assert pg.query(db, "select count(*) from information_schema.columns where column_name = '_sluice_keep'") == [(0,)]
    drop_slot(pg, db)


def test_while_reading_data_flushes_during_the_read(pg, tmp_path):
    db = "cdc_while"
    make_source(pg, db, rows=20)
    p = pipeline(tmp_path, pg, db, name="while", lsn_commit_behaviour="While reading Data")
    sync(p)
    before = lsn_int(slot_flush(pg, db))
    pg.execute(db, "insert into public.orders (id, name) values (-10, 'new')")
    commit_end = lsn_int(pg.query(db, "select pg_current_wal_lsn()::text")[0][0])
    sync(p)
    # Advanced by the read itself (not at the next sync), never beyond what was saved.
    after = lsn_int(slot_flush(pg, db))
    assert before < after and after >= commit_end - 1024 and after <= saved_lsn(tmp_path, "while")
    sync(p)
    assert_equal(pg, db)
    drop_slot(pg, db)
