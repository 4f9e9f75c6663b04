"""source-mysql in CDC mode against a real MariaDB 10.11 with a ROW binlog: a consistent snapshot,
then row events into destination-postgres (Incremental | Append + Deduped: deletes remove rows);
after each sync the destination equals the source — inserts, updates, deletes, a rolled-back
transaction, a 50k-row transaction; kill -9 in the middle and rerun; `sync --continuous` converges
and stops cleanly on SIGTERM."""
import json
import signal
import subprocess
import time

import pytest

from conftest import SLUICE, run, wait_for, write_pipeline
from crash_loop import kill_mid_sync
from mariadb_server import mariadb  # noqa: F401  (session fixture)
from pg_server import pg  # noqa: F401  (session fixture)

COLS = ["id", "name", "amount", "flag", "ts", "day", "doc", "bin"]


def make_source(mariadb, db, rows=1000):  # noqa: F811
    mariadb.create_database(db)
    mariadb.execute(db, f"""
        CREATE TABLE orders (id BIGINT PRIMARY KEY, name VARCHAR(40) CHARACTER SET utf8mb4, amount DECIMAL(12,2),
                             flag TINYINT(1), ts TIMESTAMP(6) NULL, day DATE, doc JSON, bin VARBINARY(16));
        CREATE TABLE `lines` (order_id BIGINT, line INT, qty INT, PRIMARY KEY (order_id, line));
        INSERT INTO orders SELECT seq, CONCAT('order ', seq, ' ✓'), seq * 1.25, seq % 2, 
               TIMESTAMPADD(SECOND, seq, '2024-01-01 00:00:00'), DATE_ADD('2020-01-01', INTERVAL seq % 1000 DAY),
               JSON_OBJECT('k', seq), UNHEX(MD5(seq)) FROM seq_1_to_{rows};
        INSERT INTO `lines` SELECT seq DIV 3, seq % 3, seq FROM seq_3_to_302;""")


def pipeline(tmp_path, mariadb, pg, db, name="cdc", **method):  # noqa: F811
    m = {"method": "CDC", "initial_waiting_seconds": 120}
    m.update(method)
    return write_pipeline(tmp_path / f"{name}.yaml", {
        "name": name,
        "source": {"connector": "mysql", "config": mariadb.config(db, replication_method=m)},
        "destination": {"connector": "postgres", "config": pg.config("mycdc")},
        "namespace": {"definition": "custom", "format": db},
        "streams": [{"name": "orders", "mode": "Incremental | Append + Deduped", "primary_key": "id"},
                    {"name": "lines", "mode": "Incremental | Append + Deduped", "primary_key": ["order_id", "line"]}],
    })


def source_rows(mariadb, db):  # noqa: F811
    orders = mariadb.query(db, "SELECT id, name, amount, flag, DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f'), day, doc, "
                               "HEX(bin) FROM orders ORDER BY id")
    lines = mariadb.query(db, "SELECT order_id, line, qty FROM `lines` ORDER BY order_id, line")
    norm = [(int(r[0]), r[1], r[2], None if r[3] is None else r[3] == "1", r[4], r[5],
             None if r[6] is None else json.loads(r[6]), r[7]) for r in orders]
    return norm, [tuple(map(int, r)) for r in lines]


def dest_rows(pg, db):  # noqa: F811
    orders = pg.query("mycdc", f"SELECT id, name, amount::text, flag, to_char(ts AT TIME ZONE 'UTC', "
                               f"'YYYY-MM-DD HH24:MI:SS.US'), day::text, doc, upper(encode(bin, 'hex')) "
                               f"FROM {db}.orders ORDER BY id")
    lines = pg.query("mycdc", f"SELECT order_id, line, qty FROM {db}.lines ORDER BY order_id, line")
    return [tuple(r) for r in orders], [tuple(r) for r in lines]


def assert_equal(mariadb, pg, db):  # noqa: F811
    src = source_rows(mariadb, db)
    dst = dest_rows(pg, db)
    assert len(dst[0]) == len(src[0]) and len(dst[1]) == len(src[1])
    assert dst == src


def change(mariadb, db, first_new):  # noqa: F811
    """Inserts, updates, deletes, a rolled-back transaction, a 50k-row transaction, composite keys."""
    mariadb.execute(db, f"INSERT INTO orders (id, name, amount, flag) SELECT seq, CONCAT('new ', seq), seq, 1 "
                        f"FROM seq_{first_new}_to_{first_new + 99}")
    mariadb.execute(db, "UPDATE orders SET name = CONCAT('updated ', id), amount = -amount, doc = NULL "
                        "WHERE id % 10 = 3")
    mariadb.execute(db, "DELETE FROM orders WHERE id % 10 = 7")
    mariadb.execute(db, "BEGIN; INSERT INTO orders (id, name) VALUES (-1, 'rolled back'); "
                        "DELETE FROM orders WHERE id = 1; ROLLBACK;")
    mariadb.execute(db, "INSERT INTO orders (id, name, amount) SELECT seq, 'bulk', 0.5 "
                        "FROM seq_1000000_to_1049999")  # one 50k-row transaction
    mariadb.execute(db, "UPDATE `lines` SET qty = -qty WHERE line = 1; DELETE FROM `lines` WHERE line = 2; "
                        "INSERT INTO `lines` VALUES (5000, 0, 1), (5000, 1, 2); "
                        "UPDATE `lines` SET line = 7 WHERE order_id = 5000 AND line = 1")  # a key change


def saved(tmp_path, name="cdc"):
    states = json.loads((tmp_path / ".sluice-state" / f"{name}.state.json").read_text())
    glob = [s for s in states if s.get("type") == "GLOBAL"]
    assert len(glob) == 1, states
    return glob[0]["global"]["shared_state"]["state"]


def cursor(position):
    return (int(position["file"].rsplit(".", 1)[1]) << 32) | position["pos"]


@pytest.fixture(scope="module")
def dst(pg):  # noqa: F811
    pg.create_database("mycdc")
    return pg


def test_snapshot_then_changes_into_postgres_dedup(tmp_path, mariadb, dst):  # noqa: F811
    db = "cdc_a"
    make_source(mariadb, db)
    p = pipeline(tmp_path, mariadb, dst, db)
    run("sync", p, "--json", "--no-progress")
    assert_equal(mariadb, dst, db)
    first = saved(tmp_path)
    assert first["gtid"], "MariaDB has GTIDs: the position carries one"
    # Snapshot rows carry the snapshot's position and no deletion.
    assert dst.query("mycdc", f"SELECT count(*) FROM {db}.orders WHERE _ab_cdc_cursor <> {cursor(first)} "
                              "OR _ab_cdc_deleted_at IS NOT NULL") == [(0,)]
    change(mariadb, db, 2000)
    summary = json.loads(run("sync", p, "--json", "--no-progress").stdout)
    assert summary["status"] == "succeeded"
    assert_equal(mariadb, dst, db)
    assert dst.query("mycdc", f"SELECT count(*) FROM {db}.orders WHERE id = -1") == [(0,)], "rolled back: never seen"
    second = saved(tmp_path)
    assert cursor(second) > cursor(first)
    # Nothing changed: a third sync reads nothing and keeps the position.
    summary = json.loads(run("sync", p, "--json", "--no-progress").stdout)
    assert summary["records"] == 0 and cursor(saved(tmp_path)) >= cursor(second)
    assert_equal(mariadb, dst, db)


def test_resume_by_file_and_position_and_a_purged_binlog(tmp_path, mariadb, dst):  # noqa: F811
    db = "cdc_b"
    make_source(mariadb, db, rows=50)
    p = pipeline(tmp_path, mariadb, dst, db, name="pos", server_id=777001)
    run("sync", p, "--json", "--no-progress")
    # Without a GTID the saved file+position is used.
    state_file = tmp_path / ".sluice-state" / "pos.state.json"
    states = json.loads(state_file.read_text())
    states[0]["global"]["shared_state"]["state"]["gtid"] = ""
    state_file.write_text(json.dumps(states))
    mariadb.execute(db, "UPDATE orders SET name = 'by position' WHERE id = 5")
    run("sync", p, "--json", "--no-progress")
    assert_equal(mariadb, dst, db)
    # A position in a binlog the server no longer has: a config error naming the fix.
    states = json.loads(state_file.read_text())
    states[0]["global"]["shared_state"]["state"].update(file="binlog.999999", gtid="")
    state_file.write_text(json.dumps(states))
    r = run("sync", p, "--json", "--no-progress", check=False)
    assert r.returncode == 2 and "invalid_cdc_cursor_position_behavior" in r.stdout + r.stderr
    # "Re-sync data": a new snapshot instead.
    p2 = pipeline(tmp_path, mariadb, dst, db, name="pos", invalid_cdc_cursor_position_behavior="Re-sync data")
    run("sync", p2, "--json", "--no-progress")
    assert_equal(mariadb, dst, db)



def test_kill_9_mid_changes_then_rerun(tmp_path, mariadb, dst):  # noqa: F811
    db = "cdc_c"
    make_source(mariadb, db, rows=10)
    p = pipeline(tmp_path, mariadb, dst, db, name="kill")
    run("sync", p, "--json", "--no-progress")
    # Many transactions: checkpoints go out between them.
    for k in range(6):
        mariadb.execute(db, f"INSERT INTO orders (id, name, amount) SELECT seq, 'k{k}', seq "
                            f"FROM seq_{100_000 + k * 60_000}_to_{100_000 + k * 60_000 + 59_999}")
    _, mid = kill_mid_sync(p, lambda: cursor(saved(tmp_path, "kill")))
    run("sync", p, "--json", "--no-progress")
    assert cursor(saved(tmp_path, "kill")) > mid
    assert_equal(mariadb, dst, db)
    assert dst.query("mycdc", f"SELECT count(*) - count(DISTINCT id) FROM {db}.orders") == [(0,)]


def test_continuous_converges_and_stops_on_sigterm(tmp_path, mariadb, dst):  # noqa: F811
    db = "cdc_d"
    make_source(mariadb, db, rows=200)
    p = pipeline(tmp_path, mariadb, dst, db, name="cont")
    log = open(tmp_path / "cont.log", "ab")
    proc = subprocess.Popen([SLUICE, "sync", str(p), "--continuous", "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=log)

    def equal():
        try:
            return source_rows(mariadb, db) == dest_rows(dst, db)
        except Exception:  # the destination tables do not exist yet
            return False
    try:
        assert wait_for(equal, timeout=60), "the snapshot did not arrive"
        assert proc.poll() is None, "a continuous sync must not stop when caught up"
        lags = []
        for k in range(3):
            t0 = time.time()
            mariadb.execute(db, f"INSERT INTO orders (id, name) VALUES ({5000 + k}, 'live {k}'); "
                                f"UPDATE orders SET amount = {k} WHERE id = 3; DELETE FROM orders WHERE id = {10 + k}")
            assert wait_for(equal, timeout=10), f"change {k} did not arrive within 10 s"
            lags.append(time.time() - t0)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, (tmp_path / "cont.log").read_text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # Changes made while it was stopped arrive with the next run.
    mariadb.execute(db, "UPDATE orders SET name = 'while stopped' WHERE id = 4")
    run("sync", p, "--json", "--no-progress")
    assert_equal(mariadb, dst, db)
    assert max(lags) < 10, lags
