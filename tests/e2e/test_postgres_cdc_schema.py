"""source-postgres CDC against a real PostgreSQL 15: TRUNCATE replicated in order with the rows
around it (deduplicated destinations empty the stream, soft deletes mark it, append keeps its
history), and tables that change while `sluice sync --continuous` streams them — a new column is
picked up with its values from the first row that has it, a new table in the publication restarts
the stream without losing anything."""
import yaml
from conftest import read_records, wait_for, write_pipeline
from pg_server import pg  # noqa: F401  (session fixture)
from test_postgres_cdc import (INSERT_ORDERS, assert_equal, drop_slot, lsn_int, make_source, pipeline, saved_lsn,
                               slot_flush, sync)
from test_postgres_cdc_continuous import equal, start, stop


def test_truncate_empties_deduplicated_streams_in_order(pg, tmp_path):
    db = "cdc_trunc"
    make_source(pg, db, rows=500)
    p = pipeline(tmp_path, pg, db)
    sync(p)
    assert_equal(pg, db)
    # Rows before the TRUNCATE (also in its own transaction) go; rows after it stay.
    pg.execute(db, INSERT_ORDERS, (600, 649))
    pg.execute(db, "begin; insert into public.orders (id, name) values (-5, 'gone'); truncate public.orders; "
                   "insert into public.orders (id, name) values (1, 'after'), (2, 'after'); commit")
    pg.execute(db, INSERT_ORDERS, (700, 709))
    pg.execute(db, "truncate public.lines")
    r = sync(p)
    assert_equal(pg, db)
    assert pg.query(db, "select count(*) from dst.orders") == [(12,)]
    assert pg.query(db, "select count(*) from dst.lines") == [(0,)]
    assert "was truncated" in r.stderr and "removed its rows" in r.stderr, r.stderr[-2000:]
    # A replay of the same changes (the state from before them) ends the same: idempotent.
    sync(p)
    assert_equal(pg, db)
    drop_slot(pg, db)


def test_truncate_with_soft_deletes_and_into_jsonl(pg, tmp_path):
    db = "cdc_trunc_soft"
    make_source(pg, db, rows=50)
    soft = pipeline(tmp_path, pg, db, name="soft")
    doc = yaml.safe_load(soft.read_text())
    doc["destination"]["config"]["cdc_deletion_mode"] = "Soft delete"
    write_pipeline(soft, doc)
    sync(soft)
    pg.execute(db, "truncate public.orders")
    pg.execute(db, "insert into public.orders (id, name) values (1, 'back')")
    sync(soft)
    rows = pg.query(db, "select id, name, _ab_cdc_deleted_at is not null from dst.orders order by id")
    assert len(rows) == 50
    assert rows[0] == (1, "back", False), rows[0]
    assert all(deleted for _, _, deleted in rows[1:]), "the other rows are marked deleted"
    drop_slot(pg, db)

    # A lake keeps history: the JSONL files keep the rows, the log says so.
    db = "cdc_trunc_jsonl"
    make_source(pg, db, rows=20)
    p = pipeline(tmp_path, pg, db, name="lake", dest="local")
    sync(p)
    pg.execute(db, "truncate public.orders")
    r = sync(p)
    assert "keeps the rows" in r.stderr, r.stderr[-2000:]
    assert len([x for x in read_records(tmp_path / "out") if "amount" in x.get("_airbyte_data", x)]) == 20
    drop_slot(pg, db)


def test_continuous_picks_up_a_new_column_and_a_new_table(pg, tmp_path):
    db = "cdc_schema_live"
    make_source(pg, db, rows=100)
    p = pipeline(tmp_path, pg, db, name="live")
    proc = start(p, tmp_path, "live.log")
    try:
        assert wait_for(lambda: equal(pg, db), timeout=60)
        # A column added while streaming: the stream stops before the first change that has it,
        # discovers again and carries it on (no row of it arrives without its value).
        pg.execute(db, "alter table public.orders add column note text")
        pg.execute(db, "insert into public.orders (id, name, note) values (5001, 'n1', 'first note')")
        pg.execute(db, "update public.orders set note = 'updated note' where id <= 3")
        assert wait_for(lambda: pg.query(db, "select count(*) from information_schema.columns where "
                                             "table_schema = 'dst' and table_name = 'orders' and column_name = 'note'")
                        == [(1,)], timeout=30), (tmp_path / "live.log").read_text()[-3000:]
        assert wait_for(lambda: pg.query(db, "select count(*) from dst.orders where note is not null") == [(4,)],
                        timeout=30), (tmp_path / "live.log").read_text()[-3000:]
        assert pg.query(db, "select note from dst.orders where id = 5001") == [("first note",)]
        assert proc.poll() is None, "the continuous sync must go on after a schema change"
        # A table added to the publication: the stream restarts once and goes on.
        pg.execute(db, "create table public.extra (id int primary key, v text)")
        pg.execute(db, "alter publication sluice_pub add table public.extra")
        pg.execute(db, "insert into public.extra values (1, 'x')")
        pg.execute(db, INSERT_ORDERS, (6000, 6009))
        assert wait_for(lambda: equal(pg, db) and
                        pg.query(db, "select count(*) from dst.orders where id between 6000 and 6009") == [(10,)],
                        timeout=30)
        assert proc.poll() is None
    finally:
        stop(proc, tmp_path, "live.log")
    log = (tmp_path / "live.log").read_text()
    assert "public.orders: column 'note' was added" in log, log[-3000:]
    assert "table public.extra is in publication 'sluice_pub' and no stream reads it" in log, log[-3000:]
    assert lsn_int(slot_flush(pg, db)) <= saved_lsn(tmp_path, "live")
    drop_slot(pg, db)


def test_continuous_survives_a_dropped_replication_connection(pg, tmp_path):
    """The walsender serving the slot is terminated (a server restart, a network cut): the stream
    fails with a transient error, `--continuous` waits a second, catches up from the saved state
    and streams on."""
    db = "cdc_reconnect"
    make_source(pg, db, rows=50)
    p = pipeline(tmp_path, pg, db, name="recon")
    proc = start(p, tmp_path, "recon.log")
    try:
        assert wait_for(lambda: equal(pg, db), timeout=60)
        slot = f"sluice_slot_{db}"
        assert wait_for(lambda: pg.query(db, "select active_pid is not null from pg_replication_slots "
                                             "where slot_name = %s", (slot,)) == [(True,)], timeout=10)
        pg.execute(db, "select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = %s",
                   (slot,))
        pg.execute(db, INSERT_ORDERS, (7000, 7099))
        assert wait_for(lambda: equal(pg, db) and
                        pg.query(db, "select count(*) from dst.orders where id between 7000 and 7099") == [(100,)],
                        timeout=30), (tmp_path / "recon.log").read_text()[-3000:]
        assert proc.poll() is None, "--continuous must outlive a dropped connection"
    finally:
        stop(proc, tmp_path, "recon.log")
    log = (tmp_path / "recon.log").read_text()
    assert "retrying in 1 s from the last saved state" in log, log[-3000:]
    assert pg.query(db, "select count(*) - count(distinct id) from dst.orders") == [(0,)]
    drop_slot(pg, db)
