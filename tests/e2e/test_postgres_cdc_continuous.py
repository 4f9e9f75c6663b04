"""`sluice sync --continuous`: source-postgres CDC → destination-postgres (dedup) against a real
PostgreSQL 15, while the source changes under it. The destination converges within seconds, the
slot's confirmed_flush_lsn advances during the run but never past the saved state, SIGTERM commits
and exits 0, a rerun picks up what changed meanwhile, kill -9 then rerun loses and duplicates
nothing, an idle publication still lets the slot move, heartbeat_action_query runs periodically."""
import os
import signal
import subprocess
import time

import psycopg2
from conftest import SLUICE, run, wait_for, write_pipeline
from pg_server import pg  # noqa: F401  (session fixture)
from test_postgres_cdc import (INSERT_ORDERS, ORDER_COLS, LINE_COLS, difference, drop_slot, lsn_int, make_source,
                               pipeline, saved_lsn, slot_flush)

CONVERGE_S = 5  # the lag goal is sub-second; this leaves room for a busy test machine


def start(p, tmp_path, log="continuous.log"):
    err = open(tmp_path / log, "ab")
    return subprocess.Popen([SLUICE, "sync", str(p), "--continuous", "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=err)


def stop(proc, tmp_path, log="continuous.log"):
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("sluice did not stop within 20 s of SIGTERM")
    assert code == 0, (tmp_path / log).read_text()[-3000:]


def equal(pg, db):
    try:
        return _equal(pg, db)
    except psycopg2.Error:  # the destination tables do not exist yet
        return False


def _equal(pg, db):
    src = ORDER_COLS.format(tags="to_jsonb(tags)")
    dst = ORDER_COLS.format(tags="tags")
    return (difference(pg, db, f"select {src} from public.orders", f"select {dst} from dst.orders") == (0, 0) and
            difference(pg, db, f"select {LINE_COLS} from public.lines", f"select {LINE_COLS} from dst.lines") == (0, 0))


def converges(pg, db, timeout=CONVERGE_S):
    """Seconds until the destination equals the source; fails after `timeout`."""
    t0 = time.time()
    assert wait_for(lambda: equal(pg, db), timeout=timeout), f"not equal within {timeout} s"
    return time.time() - t0


def flush_within_state(pg, db, tmp_path, name="cdc"):
    """The slot's confirmed_flush_lsn, checked against the saved state (read after it: the state is
    saved before the slot may move, so flush <= saved must always hold in this order)."""
    flush = lsn_int(slot_flush(pg, db))
    saved = saved_lsn(tmp_path, name)
    assert flush <= saved, f"slot flushed {flush} past the saved state {saved}"
    return flush


def test_continuous_converges_advances_the_slot_and_stops_cleanly(pg, tmp_path):
    db = "cdc_cont"
    make_source(pg, db, rows=300)
    pg.execute(db, "create table public.heartbeat (id serial primary key, at timestamptz default now())")
    p = pipeline(tmp_path, pg, db, heartbeat_action_query="insert into public.heartbeat default values")
    proc = start(p, tmp_path)
    try:
        converges(pg, db, timeout=60)  # the snapshot, then streaming
        assert proc.poll() is None, "a continuous sync must not stop when caught up"
        start_flush = flush_within_state(pg, db, tmp_path)
        lags = []
        for k in range(3):
            base = 10_000 + k * 1000
            pg.execute(db, INSERT_ORDERS, (base, base + 99))
            pg.execute(db, f"update public.orders set name = 'round {k} ' || id where id % 7 = {k}")
            pg.execute(db, f"delete from public.orders where id % 11 = {k} and id < 300")
            pg.execute(db, f"insert into public.lines values ({base}, 1, {k}) on conflict do nothing")
            pg.execute(db, f"update public.lines set qty = qty + 1 where order_id = {k + 1}")
            lags.append(converges(pg, db))
            flush_within_state(pg, db, tmp_path)
        print("convergence times (s):", [round(x, 3) for x in lags])
        assert pg.query(db, "select count(*) - count(distinct id) from dst.orders") == [(0,)]
        # The slot moves during the run (acknowledged checkpoints), never past the saved state.
        assert wait_for(lambda: flush_within_state(pg, db, tmp_path) > start_flush, timeout=5), \
            "confirmed_flush_lsn did not advance while running"
        # Idle publication: WAL written elsewhere (the heartbeat query's table is not published);
        # heartbeat checkpoints move the slot past it anyway.
        pg.execute(db, "create table public.unpublished (x int)")
        pg.execute(db, "insert into public.unpublished select generate_series(1, 1000)")
        wal = lsn_int(pg.query(db, "select pg_current_wal_lsn()::text")[0][0])
        assert wait_for(lambda: flush_within_state(pg, db, tmp_path) >= wal, timeout=15), \
            "an idle publication held the slot"
        # heartbeat_action_query: at the start of each read, then every 10 s while streaming.
        beats = pg.query(db, "select count(*) from public.heartbeat")[0][0]
        assert beats >= 1
        assert wait_for(lambda: pg.query(db, "select count(*) from public.heartbeat")[0][0] > beats, timeout=15)
    finally:
        stop(proc, tmp_path)
    state_after_stop = saved_lsn(tmp_path)
    assert lsn_int(slot_flush(pg, db)) <= state_after_stop
    assert equal(pg, db)

    # Changed while stopped: a rerun picks it up.
    pg.execute(db, INSERT_ORDERS, (50_000, 50_049))
    pg.execute(db, "delete from public.orders where id between 50000 and 50009")
    pg.execute(db, "update public.lines set qty = -qty")
    proc = start(p, tmp_path)
    try:
        converges(pg, db, timeout=30)
        # The saved position was confirmed to the slot at the restart.
        assert wait_for(lambda: lsn_int(slot_flush(pg, db)) >= state_after_stop, timeout=5)
    finally:
        stop(proc, tmp_path)
    assert saved_lsn(tmp_path) >= state_after_stop
    assert equal(pg, db)
    drop_slot(pg, db)


def test_continuous_kill_9_mid_stream_then_rerun(pg, tmp_path):
    db = "cdc_cont_kill"
    make_source(pg, db, rows=10)
    p = pipeline(tmp_path, pg, db, name="ckill")
    proc = start(p, tmp_path, "ckill.log")
    try:
        converges(pg, db, timeout=60)
        before = saved_lsn(tmp_path, "ckill")
        # Many transactions, so checkpoints come while the stream is still flowing.
        for k in range(40):
            pg.execute(db, INSERT_ORDERS, (100_000 + k * 5000, 100_000 + k * 5000 + 4999))
        assert wait_for(lambda: saved_lsn(tmp_path, "ckill") != before, timeout=30), "no checkpoint"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    mid = saved_lsn(tmp_path, "ckill")
    assert before < mid
    assert lsn_int(slot_flush(pg, db)) <= mid
    for k in range(5):
        pg.execute(db, f"update public.orders set amount = amount + 1 where id % 5 = {k}")
    proc = start(p, tmp_path, "ckill.log")
    try:
        converges(pg, db, timeout=60)
    finally:
        stop(proc, tmp_path, "ckill.log")
    assert saved_lsn(tmp_path, "ckill") > mid
    assert pg.query(db, "select count(*) - count(distinct id) from dst.orders") == [(0,)]
    assert equal(pg, db)
    drop_slot(pg, db)


def test_continuous_without_cdc_is_a_config_error(pg, tmp_path):
    db = "cdc_cont_std"
    pg.create_database(db)
    pg.execute(db, "create table public.t (id int primary key)")
    p = write_pipeline(tmp_path / "std.yaml", {
        "name": "std",
        "source": {"connector": "postgres", "config": pg.config(db)},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": "t", "mode": "Full Refresh | Overwrite"}],
    })
    r = run("sync", p, "--continuous", "--no-progress", check=False)
    assert r.returncode != 0
    assert "continuous" in r.stderr and "CDC" in r.stderr, r.stderr
    # A source with no continuous read at all.
    f = write_pipeline(tmp_path / "faker.yaml", {
        "name": "faker",
        "source": {"connector": "faker", "config": {"count": 10, "seed": 5}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": "users", "mode": "Full Refresh | Overwrite"}],
    })
    r = run("sync", f, "--continuous", "--no-progress", check=False)
    assert r.returncode != 0
    assert "cannot read continuously" in r.stderr, r.stderr
