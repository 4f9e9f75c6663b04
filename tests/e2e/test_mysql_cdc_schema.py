"""source-mysql CDC against a real MariaDB 10.11: TRUNCATE TABLE replicated in order with the rows
around it (destination-postgres dedup empties the stream, idempotent on replay), and tables that change
shape — a column added between two batch syncs (rows from before the ALTER are decoded with the old
TABLE_MAP shape), a column added and a new table created while `sluice sync --continuous` streams (the
read stops before the first row event with the new shape, once; the CLI discovers again and goes on),
and the replication lag measured and logged while streaming."""
import json
import re
import shutil
import signal
import subprocess

from conftest import SLUICE, run, wait_for
from mariadb_server import mariadb  # noqa: F401  (session fixture)
from pg_server import pg  # noqa: F401  (session fixture)
from test_mysql_cdc import assert_equal, dest_rows, dst, make_source, pipeline, saved, source_rows  # noqa: F401


def sync(p):
    return run("sync", p, "--json", "--no-progress")


def test_truncate_empties_the_deduplicated_stream_in_order(tmp_path, mariadb, dst):  # noqa: F811
    db = "cdcs_trunc"
    make_source(mariadb, db, rows=300)
    p = pipeline(tmp_path, mariadb, dst, db, name="trunc")
    sync(p)
    assert_equal(mariadb, dst, db)
    state = tmp_path / ".sluice-state" / "trunc.state.json"
    before = tmp_path / "before.state.json"
    shutil.copy(state, before)
    # Rows before the TRUNCATE go (also those of the same sync); rows after it stay.
    mariadb.execute(db, "INSERT INTO orders (id, name) SELECT seq, 'gone' FROM seq_600_to_649")
    mariadb.execute(db, "UPDATE orders SET name = 'gone too' WHERE id = 5")
    mariadb.execute(db, "TRUNCATE TABLE orders")
    mariadb.execute(db, "INSERT INTO orders (id, name) VALUES (1, 'after'), (2, 'after')")
    mariadb.execute(db, "INSERT INTO orders (id, name) SELECT seq, 'later' FROM seq_700_to_709")
    mariadb.execute(db, "TRUNCATE `lines`")
    r = sync(p)
    assert_equal(mariadb, dst, db)
    assert dst.query("mycdc", f"SELECT count(*) FROM {db}.orders") == [(12,)]
    assert dst.query("mycdc", f"SELECT count(*) FROM {db}.lines") == [(0,)]
    assert f"{db}.orders was truncated" in r.stderr and "removed its rows" in r.stderr, r.stderr[-3000:]
    # A replay of the same changes (the state from before them) ends the same: idempotent.
    shutil.copy(before, state)
    sync(p)
    assert_equal(mariadb, dst, db)
    assert dst.query("mycdc", f"SELECT count(*) FROM {db}.orders") == [(12,)]


def notes(mariadb, pg, db):  # noqa: F811
    src = [(int(i), n) for i, n in mariadb.query(db, "SELECT id, note FROM orders ORDER BY id")]
    dst_rows = [tuple(r) for r in pg.query("mycdc", f"SELECT id, note FROM {db}.orders ORDER BY id")]
    return src, dst_rows


def test_column_added_between_two_batch_syncs(tmp_path, mariadb, dst):  # noqa: F811
    db = "cdcs_batch"
    make_source(mariadb, db, rows=100)
    p = pipeline(tmp_path, mariadb, dst, db, name="batch")
    sync(p)
    # Rows in the old shape, then the ALTER, then rows in the new one — all read by the next sync,
    # which discovered the column first: the old TABLE_MAPs still decode (every column in place).
    mariadb.execute(db, "INSERT INTO orders (id, name, amount, flag) SELECT seq, CONCAT('old ', seq), seq, 0 "
                        "FROM seq_3000_to_3019")
    mariadb.execute(db, "UPDATE orders SET amount = 7.5 WHERE id <= 10")
    mariadb.execute(db, "ALTER TABLE orders ADD COLUMN note VARCHAR(20)")
    mariadb.execute(db, "INSERT INTO orders (id, name, note) VALUES (4000, 'new', 'first note')")
    mariadb.execute(db, "UPDATE orders SET note = CONCAT('n', id) WHERE id BETWEEN 3000 AND 3004")
    r = sync(p)
    assert_equal(mariadb, dst, db)
    src, got = notes(mariadb, dst, db)
    assert got == src
    assert ("4000" if isinstance(got[0][0], str) else 4000, "first note") in got
    assert "schema change" not in r.stderr, "the catalog already had the column: no stop"
    # One more change after: the position moved past the ALTER.
    mariadb.execute(db, "UPDATE orders SET note = 'again' WHERE id = 1")
    sync(p)
    assert notes(mariadb, dst, db)[0] == notes(mariadb, dst, db)[1]


def query_or_none(pg, sql):  # noqa: F811
    """The rows, or None while the table or column does not exist yet."""
    try:
        return pg.query("mycdc", sql)
    except Exception:
        return None


def start(p, tmp_path, name):
    log = open(tmp_path / name, "ab")
    return subprocess.Popen([SLUICE, "sync", str(p), "--continuous", "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=log)


def test_continuous_picks_up_a_new_column_and_a_new_table(tmp_path, mariadb, dst):  # noqa: F811
    db = "cdcs_live"
    make_source(mariadb, db, rows=100)
    p = pipeline(tmp_path, mariadb, dst, db, name="live")
    proc = start(p, tmp_path, "live.log")
    log = tmp_path / "live.log"
    code = None

    def equal():
        try:
            return source_rows(mariadb, db) == dest_rows(dst, db)
        except Exception:  # the destination tables do not exist yet
            return False

    try:
        assert wait_for(equal, timeout=60), log.read_text()[-3000:]
        # A column added while streaming: the read stops before the first row event that has it,
        # the CLI discovers again and goes on with it (no row of it arrives without its value).
        mariadb.execute(db, "ALTER TABLE orders ADD COLUMN note VARCHAR(20)")
        mariadb.execute(db, "INSERT INTO orders (id, name, note) VALUES (5001, 'n1', 'first note')")
        mariadb.execute(db, "UPDATE orders SET note = 'updated note' WHERE id <= 3")
        assert wait_for(lambda: query_or_none(dst, f"SELECT count(*) FROM {db}.orders WHERE note IS NOT NULL")
                        == [(4,)], timeout=30), log.read_text()[-3000:]
        assert dst.query("mycdc", f"SELECT note FROM {db}.orders WHERE id = 5001") == [("first note",)]
        assert proc.poll() is None, "the continuous sync must go on after a schema change"
        # A table new in the database: the stream restarts once and goes on.
        mariadb.execute(db, "CREATE TABLE extra (id INT PRIMARY KEY, v TEXT); INSERT INTO extra VALUES (1, 'x')")
        mariadb.execute(db, "INSERT INTO orders (id, name) SELECT seq, 'after extra' FROM seq_6000_to_6009")
        assert wait_for(lambda: equal() and dst.query("mycdc", f"SELECT count(*) FROM {db}.orders WHERE id "
                                                               "BETWEEN 6000 AND 6009") == [(10,)], timeout=60), \
            log.read_text()[-3000:]
        assert proc.poll() is None
        # Replication lag: measured every 2 s while streaming (the first one logged).
        assert wait_for(lambda: "CDC: replication lag" in log.read_text(), timeout=15), log.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=30)
    assert code == 0, log.read_text()[-3000:]
    text = log.read_text()
    assert f"{db}.orders: column 'note' was added" in text, text[-3000:]
    assert text.count(f"column 'note' was added") == 1, "a change stops the read once"
    assert f"table {db}.extra is new in database '{db}'" in text, text[-3000:]
    lags = [int(x) for x in re.findall(r"CDC: replication lag (\d+) bytes", text)]
    assert lags and all(0 <= x < 16 << 20 for x in lags), lags
    # The noted changes are in the GLOBAL state: a rerun does not stop for them again.
    seen = saved(tmp_path, "live")["schema_changes_seen"]
    assert seen == {f"{db}.orders": ["note"], f"{db}.extra": [""]}, json.dumps(seen)
    r = sync(p)
    assert "schema change" not in r.stderr
    assert_equal(mariadb, dst, db)


def test_a_column_added_in_the_middle_with_binlog_row_metadata_full(tmp_path, mariadb, dst):  # noqa: F811
    """binlog_row_metadata = FULL: TABLE_MAPs name their columns, so rows written before an ALTER that
    adds a column in the middle are matched by name (without names only a leading run can be)."""
    db = "cdcs_named"
    mariadb.root("SET GLOBAL binlog_row_metadata = FULL")
    try:
        make_source(mariadb, db, rows=30)
        p = pipeline(tmp_path, mariadb, dst, db, name="named")
        sync(p)
        mariadb.execute(db, "UPDATE orders SET name = CONCAT('before ', id), amount = id + 0.5 WHERE id <= 10")
        mariadb.execute(db, "ALTER TABLE orders ADD COLUMN note VARCHAR(20) AFTER id")
        mariadb.execute(db, "UPDATE orders SET note = 'mid' WHERE id = 2")
        r = sync(p)
        assert "do not match" not in r.stderr, r.stderr[-3000:]
        assert_equal(mariadb, dst, db)
        src, got = notes(mariadb, dst, db)
        assert got == src
    finally:
        mariadb.root("SET GLOBAL binlog_row_metadata = NO_LOG")
