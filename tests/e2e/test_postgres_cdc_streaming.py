"""source-postgres CDC with pgoutput protocol 2 streaming: with logical_decoding_work_mem=64kB the
server sends large transactions while they are in progress (Stream Start … Stop blocks,
interleaved with other transactions); the reader spools them per transaction (on disk beyond a
few MB), drops them on Stream Abort (the whole transaction or a rolled-back savepoint) and applies
them at Stream Commit. The destination equals the source; peak RSS does not grow with the size
of the transaction."""
import re
import subprocess

import pytest
import yaml

from conftest import SLUICE, write_pipeline
from pg_server import pg  # noqa: F401  (session fixture)
from test_postgres_cdc import difference, sync

COLS = "id, v, n"


@pytest.fixture
def small_decoding_memory(pg):
    pg.execute("postgres", "alter system set logical_decoding_work_mem = '64kB'")
    pg.execute("postgres", "select pg_reload_conf()")
    yield
    pg.execute("postgres", "alter system reset logical_decoding_work_mem")
    pg.execute("postgres", "select pg_reload_conf()")


def make_source(pg, tmp_path, db):
    slot = f"sluice_slot_{db}"
    pg.create_database(db)
    pg.execute(db, "create table public.t (id bigint primary key, v text, n int)")
    pg.execute(db, "insert into public.t select g, 'v' || g, g from generate_series(1, 100) g")
    pg.execute(db, "create publication sluice_pub for table public.t")
    pg.execute(db, f"select pg_create_logical_replication_slot('{slot}', 'pgoutput')")
    source = pg.config(db, replication_method={
        "method": "CDC", "plugin": "pgoutput", "replication_slot": slot, "publication": "sluice_pub",
        "initial_waiting_seconds": 120})
    return slot, write_pipeline(tmp_path / "s.yaml", {
        "name": "s",
        "source": {"connector": "postgres", "config": source},
        "destination": {"connector": "postgres", "config": pg.config(db)},
        "namespace": {"definition": "custom", "format": "dst"},
        "streams": [{"name": "t", "mode": "Incremental | Append + Deduped", "primary_key": "id"}],
    })


def assert_equal(pg, db):
    assert difference(pg, db, f"select {COLS} from public.t", f"select {COLS} from dst.t") == (0, 0)


def streamed_txns(pg, db, slot):
    return pg.query(db, "select stream_txns from pg_stat_replication_slots where slot_name = %s", (slot,))[0][0]


def test_streamed_transactions(pg, tmp_path, small_decoding_memory):
    db = "cdc_stream"
    slot, p = make_source(pg, tmp_path, db)
    sync(p)
    assert_equal(pg, db)

    # A 50k-row transaction, with small ones committed while it is open (interleaved streams).
    big = pg.connect(db)
    big.autocommit = False
    cur = big.cursor()
    cur.execute("insert into public.t select g, 'big' || g, g from generate_series(100000, 124999) g")
    pg.execute(db, "insert into public.t values (500, 'small 1', 1)")
    cur.execute("update public.t set v = 'big updated' where id between 100000 and 100999")
    pg.execute(db, "update public.t set v = 'small 2' where id = 2")
    cur.execute("insert into public.t select g, 'big' || g, g from generate_series(125000, 149999) g")
    big.commit()

    # A large transaction rolled back.
    cur.execute("insert into public.t select g, 'aborted', g from generate_series(200000, 239999) g")
    cur.execute("delete from public.t where id <= 50")
    big.rollback()

    # A rolled-back savepoint inside a committed large transaction.
    cur.execute("insert into public.t select g, 'kept', g from generate_series(300000, 319999) g")
    cur.execute("savepoint s")
    cur.execute("insert into public.t select g, 'savepoint', g from generate_series(320000, 339999) g")
    cur.execute("update public.t set v = 'rolled back' where id between 300000 and 300999")
    cur.execute("delete from public.t where id between 51 and 60")
    cur.execute("rollback to savepoint s")
    cur.execute("update public.t set n = -n where id between 301000 and 301999")
    cur.execute("delete from public.t where id between 61 and 70")
    big.commit()
    big.close()

    sync(p)
    assert_equal(pg, db)
    assert pg.query(db, "select count(*) from dst.t where v in ('aborted', 'savepoint', 'rolled back')") == [(0,)]
    assert streamed_txns(pg, db, slot) >= 3, "the server streamed the large transactions"


def test_streamed_transaction_open_across_syncs(pg, tmp_path, small_decoding_memory):
    # A sync ends while a large transaction is streamed but not committed: its spool is dropped and
    # the saved position may pass its first changes; after the commit the slot sends it whole.
    db = "cdc_stream_open"
    slot, p = make_source(pg, tmp_path, db)
    sync(p)
    big = pg.connect(db)
    big.autocommit = False
    cur = big.cursor()
    cur.execute("insert into public.t select g, 'open' || g, g from generate_series(100000, 139999) g")
    pg.execute(db, "insert into public.t values (501, 'small', 1)")
    sync(p)
    assert pg.query(db, "select count(*) from dst.t where id >= 100000") == [(0,)]
    assert pg.query(db, "select count(*) from dst.t where id = 501") == [(1,)]
    cur.execute("update public.t set n = -n where id between 100000 and 100099")
    big.commit()
    big.close()
    sync(p)
    assert_equal(pg, db)
    assert streamed_txns(pg, db, slot) >= 1


def peak_rss_kb(pipeline_path):
    r = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb=%M", SLUICE, "sync", str(pipeline_path), "--json",
                        "--no-progress"], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return int(re.search(r"maxrss_kb=(\d+)", r.stderr).group(1)), r.stderr


def test_peak_rss_flat_with_transaction_size(pg, tmp_path, small_decoding_memory):
    # Into dev-null, so the engine's channel (up to 64 MiB between source and destination) never
    # fills: what is measured is the source. A spool kept in memory would add ~75 MB here.
    db = "cdc_stream_rss"
    slot, p = make_source(pg, tmp_path, db)
    doc = yaml.safe_load(p.read_text())
    doc["destination"] = {"connector": "dev-null", "config": {}}
    doc["streams"] = [{"name": "t", "mode": "Incremental | Append"}]
    p = write_pipeline(p, doc)
    sync(p)
    pg.execute(db, "insert into public.t select g, repeat('x', 100), g from generate_series(1000000, 1049999) g")
    small, _ = peak_rss_kb(p)
    pg.execute(db, "insert into public.t select g, repeat('x', 100), g from generate_series(2000000, 2499999) g")
    large, log = peak_rss_kb(p)
    assert "spilled to disk" in log
    assert streamed_txns(pg, db, slot) >= 2
    print(f"peak RSS: 50k-row transaction {small} kB, 500k-row transaction {large} kB")
    assert large < small * 1.2 + 10_000, (small, large)
