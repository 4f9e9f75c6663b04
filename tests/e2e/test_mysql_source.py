"""source-mysql against a real MariaDB 10.11 (tests/e2e/mariadb_server.py): spec, check (grants and
binlog settings named with their fix), discover with every MySQL type, a fixture of edge values
and NULLs round-tripped into destination-postgres and into Parquet read back by DuckDB, cursor
incremental, and a full refresh in primary-key chunks killed with -9 and resumed."""
import base64
import datetime as dt
import decimal
import gzip
import json
import os
import pathlib
import re
import signal
import subprocess
import time

import pytest

from crash_loop import kill_after_checkpoint
from conftest import SLUICE, SOURCE_DIR, run, write_pipeline
from mariadb_server import mariadb  # noqa: F401  (session fixture)
from pg_server import pg  # noqa: F401  (session fixture)

DB = "mysrc"
READER = SOURCE_DIR / "tests" / "js" / "read_parquet.mjs"

TYPES_TABLE = """
CREATE TABLE types (
  id INT PRIMARY KEY, ti TINYINT, uti TINYINT UNSIGNED, b1 TINYINT(1), si SMALLINT, mi MEDIUMINT UNSIGNED,
  i INT, ui INT UNSIGNED, bi BIGINT, ubig BIGINT UNSIGNED, dec65 DECIMAL(65,30), dec10 DECIMAL(10,2),
  f FLOAT, d DOUBLE, bit1 BIT(1), bit12 BIT(12), y YEAR, dt DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL,
  tm TIME(6), vc VARCHAR(40) CHARACTER SET utf8mb4, l1 VARCHAR(20) CHARACTER SET latin1, ch CHAR(5),
  txt TEXT, bin BINARY(4), vb VARBINARY(10), blb BLOB, e ENUM('a','b''c',''), s SET('x','y','z'),
  j JSON, g GEOMETRY, p POINT, ls LINESTRING)"""

ROWS = [
    """(1, -128, 255, 1, -32768, 16777215, -2147483648, 4294967295, -9223372036854775808,
        18446744073709551615, 12345678901234567890123456789012345.123456789012345678901234567891, -12345678.90,
        -0, -0, b'1', b'101010101010', 2155, '0000-00-00', '2024-02-29 23:59:59.999999',
        '2038-01-19 03:14:07.5', '838:59:59.000000', 'héllo 😀 ✓', 'café € ÿ', 'ab', 'multi\\nline\\ttab',
        'x\\0yz', '', 'blob', 'b''c', 'x,z', '{"a": [1, 2.5, null], "b": "é"}',
        ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 0))'), POINT(1.5, -2), ST_GeomFromText('LINESTRING(0 0,1 1)'))""",
    """(2, 127, 0, 0, 32767, 0, 2147483647, 0, 9223372036854775807, 0,
        -0.000000000000000000000000000001, 0.00, 3.5, 1.7976931348623157e308, b'0', b'000000000000', 1901,
        '1000-01-01', '1000-01-01 00:00:00', '1970-01-01 00:00:01', '-838:59:59', '', '', '',
        '', '\\0\\0\\0\\0', 'abc', '', '', '', '[]', ST_GeomFromText('MULTIPOINT(1 2,3 4)'), POINT(0, 0),
        ST_GeomFromText('LINESTRING(-1.25 2,3 4)'))""",
    "(3" + ", NULL" * 33 + ")",
    """(4, 0, 0, 5, 0, 0, 0, 0, 0, 9223372036854775808, 1, 1, 1, 1, NULL, NULL, 0, '2024-00-10',
        '0000-00-00 00:00:00', '2024-06-01 12:00:00', '00:00:00', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'a', 'y',
        '{}', NULL, NULL, NULL)""",
]


@pytest.fixture(scope="module")
def src(mariadb):  # noqa: F811
    mariadb.create_database(DB)
    mariadb.execute(DB, "SET sql_mode = ''; " + TYPES_TABLE + "; INSERT INTO types VALUES " + ",".join(ROWS))
    mariadb.execute(DB, """
        CREATE TABLE events (id BIGINT PRIMARY KEY, updated_at DATETIME(6) NOT NULL, name VARCHAR(20));
        CREATE TABLE nokey (a INT, b VARCHAR(10));
        INSERT INTO nokey VALUES (1, 'x'), (2, NULL);
        CREATE VIEW v_events AS SELECT id, name FROM events;
        CREATE TABLE `weird ``name` (`select` INT PRIMARY KEY, `a b` VARCHAR(5));
        INSERT INTO `weird ``name` VALUES (1, 'q'), (2, 'r');""")
    return mariadb


def write_json(path, doc):
    path.write_text(json.dumps(doc))
    return path


def connector(tmp_path, command, cfg, catalog=None, state=None, check=True):
    args = ["connector", "source-mysql", command, "--config", write_json(tmp_path / "config.json", cfg)]
    if catalog is not None:
        args += ["--catalog", write_json(tmp_path / "catalog.json", catalog)]
    if state is not None:
        args += ["--state", write_json(tmp_path / "state.json", state)]
    r = run(*args, check=check)
    return r, [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]


def discover(tmp_path, cfg):
    _, msgs = connector(tmp_path, "discover", cfg)
    cat = next(m["catalog"] for m in msgs if m["type"] == "CATALOG")
    return {s["name"]: s for s in cat["streams"]}


def configured(streams, mode="full_refresh", dest="append", cursor=None):
    out = []
    for s in streams:
        c = {"stream": s, "sync_mode": mode, "destination_sync_mode": dest}
        if cursor:
            c["cursor_field"] = [cursor]
        out.append(c)
    return {"streams": out}


def records(msgs, stream=None):
    return [m["record"] for m in msgs if m["type"] == "RECORD" and (stream is None or m["record"]["stream"] == stream)]


def states(msgs):
    return [m["state"] for m in msgs if m["type"] == "STATE"]


# ---- spec, check, discover ------------------------------------------------------------------


def test_spec_has_airbyte_fields():
    spec = json.loads(run("connector", "source-mysql", "spec").stdout)["spec"]
    props = spec["connectionSpecification"]["properties"]
    for key in ("host", "port", "database", "username", "password", "ssl_mode", "jdbc_url_params",
                "replication_method"):
        assert key in props, key
    assert props["password"]["airbyte_secret"] is True
    modes = [b["properties"]["mode"]["const"] for b in props["ssl_mode"]["oneOf"]]
    assert modes == ["preferred", "required", "verify_ca", "verify_identity"]
    methods = {b["properties"]["method"]["const"]: b for b in props["replication_method"]["oneOf"]}
    assert set(methods) == {"STANDARD", "CDC"}
    cdc = methods["CDC"]["properties"]
    for key in ("initial_waiting_seconds", "server_timezone", "invalid_cdc_cursor_position_behavior", "server_id"):
        assert key in cdc, key
    assert cdc["invalid_cdc_cursor_position_behavior"]["enum"] == ["Fail sync", "Re-sync data"]


def check_message(tmp_path, cfg):
    r, msgs = connector(tmp_path, "check", cfg, check=False)
    status = [m for m in msgs if m["type"] == "CONNECTION_STATUS"]
    return status[0]["connectionStatus"] if status else {"status": "FAILED", "message": r.stderr}


def test_check_names_what_is_missing_and_the_fix(tmp_path, src):
    assert check_message(tmp_path, src.config(DB))["status"] == "SUCCEEDED"
    cdc = src.config(DB, replication_method={"method": "CDC"})
    assert check_message(tmp_path, cdc)["status"] == "SUCCEEDED"
    # binlog_row_metadata other than FULL (MariaDB's default NO_LOG) is a warning, not a failure.
    r, msgs = connector(tmp_path, "check", cdc, check=False)
    said = r.stderr + " ".join(m["log"]["message"] for m in msgs if m["type"] == "LOG")
    assert "binlog_row_metadata is NO_LOG" in said and "binlog_row_metadata = 'FULL'" in said, said[-2000:]
    wrong = check_message(tmp_path, src.config(DB, password="nope"))
    assert wrong["status"] == "FAILED" and "access denied" in wrong["message"] and "nope" not in wrong["message"]
    missing_db = check_message(tmp_path, src.config("no_such_db"))
    assert "'no_such_db' does not exist" in missing_db["message"]
    # TLS required, but the test server offers none.
    tls = check_message(tmp_path, src.config(DB, ssl_mode={"mode": "required"}))
    assert tls["status"] == "FAILED" and "does not offer" in tls["message"], tls
    # A user with SELECT only: CDC names both replication grants and the statement.
    src.root("CREATE USER IF NOT EXISTS 'reader'@'%' IDENTIFIED BY 'pw'; "
             f"GRANT SELECT ON `{DB}`.* TO 'reader'@'%';")
    reader = src.config(DB, username="reader", password="pw")
    assert check_message(tmp_path, reader)["status"] == "SUCCEEDED"
    out = check_message(tmp_path, dict(reader, replication_method={"method": "CDC"}))["message"]
    assert "REPLICATION SLAVE, REPLICATION CLIENT" in out and "GRANT REPLICATION SLAVE" in out, out
    src.root("CREATE USER IF NOT EXISTS 'nobody'@'%' IDENTIFIED BY 'pw'")
    out = check_message(tmp_path, src.config("mysql", username="nobody", password="pw"))["message"]
    assert "access denied" in out or "GRANT SELECT" in out, out
    # binlog_row_image other than FULL is named with the statement that fixes it.
    src.root("SET GLOBAL binlog_row_image = 'MINIMAL'")
    try:
        out = check_message(tmp_path, cdc)["message"]
        assert "binlog_row_image is MINIMAL" in out and "SET GLOBAL binlog_row_image = 'FULL'" in out, out
    finally:
        src.root("SET GLOBAL binlog_row_image = 'FULL'")


EXPECTED_SCHEMA = {
    "id": {"type": "integer"}, "ti": {"type": ["null", "integer"]}, "uti": {"type": ["null", "integer"]},
    "b1": {"type": ["null", "boolean"]}, "bi": {"type": ["null", "integer"]},
    "ubig": {"type": ["null", "number"], "airbyte_type": "big_number", "precision": 20, "scale": 0},
    "dec65": {"type": ["null", "number"], "airbyte_type": "big_number", "precision": 65, "scale": 30},
    "f": {"type": ["null", "number"]}, "d": {"type": ["null", "number"]}, "bit1": {"type": ["null", "boolean"]},
    "bit12": {"type": ["null", "string"], "contentEncoding": "base64"}, "y": {"type": ["null", "integer"]},
    "dt": {"type": ["null", "string"], "format": "date"},
    "dtm": {"type": ["null", "string"], "format": "date-time", "airbyte_type": "timestamp_without_timezone"},
    "ts": {"type": ["null", "string"], "format": "date-time", "airbyte_type": "timestamp_with_timezone"},
    "tm": {"type": ["null", "string"]}, "vc": {"type": ["null", "string"]}, "l1": {"type": ["null", "string"]},
    "bin": {"type": ["null", "string"], "contentEncoding": "base64"}, "e": {"type": ["null", "string"]},
    "s": {"type": ["null", "string"]}, "j": {}, "g": {"type": ["null", "string"]},
}


def test_discover_maps_every_type(tmp_path, src):
    streams = discover(tmp_path, src.config(DB))
    assert set(streams) == {"types", "events", "nokey", "v_events", "weird `name"}
    t = streams["types"]
    assert t["namespace"] == DB and t["source_defined_primary_key"] == [["id"]] and t["is_resumable"] is True
    props = t["json_schema"]["properties"]
    assert list(props)[:3] == ["id", "ti", "uti"], "columns in table order"
    for name, schema in EXPECTED_SCHEMA.items():
        assert props[name] == schema, (name, props[name])
    assert sorted(t["supported_sync_modes"]) == ["full_refresh", "incremental"]
    assert ["dtm"] in t["cursor_candidates"] and ["j"] not in t["cursor_candidates"]
    assert "primary key" in streams["nokey"]["json_schema"]["description"]
    assert streams["v_events"]["is_resumable"] is False
    # CDC: the binlog position columns, _ab_cdc_cursor as the source-defined cursor; views stay plain.
    cdc = discover(tmp_path, src.config(DB, replication_method={"method": "CDC"}))
    props = cdc["types"]["json_schema"]["properties"]
    assert props["_ab_cdc_cursor"] == {"type": ["null", "integer"]}
    assert props["_ab_cdc_log_file"] == {"type": ["null", "string"]}
    assert props["_ab_cdc_log_pos"] == {"type": ["null", "number"]}
    assert "_ab_cdc_updated_at" in props and "_ab_cdc_deleted_at" in props
    assert cdc["types"]["source_defined_cursor"] is True and cdc["types"]["default_cursor_field"] == ["_ab_cdc_cursor"]
    assert "_ab_cdc_cursor" not in cdc["v_events"]["json_schema"]["properties"]
    # table_filters (SQL LIKE per database)
    only = discover(tmp_path, src.config(DB, table_filters=[{"database_name": DB, "table_name_patterns": ["ev%"]}]))
    assert set(only) == {"events"}


# ---- values -----------------------------------------------------------------------------------

UTC = dt.timezone.utc
D = decimal.Decimal
# Row id → column → the value psycopg2 returns from destination-postgres's typed table.
EXPECTED_PG = {
    1: {"ti": -128, "uti": 255, "b1": True, "si": -32768, "mi": 16777215, "i": -2147483648, "ui": 4294967295,
        "bi": -9223372036854775808, "ubig": D("18446744073709551615"),
        "dec65": D("12345678901234567890123456789012345.123456789012345678901234567891"), "dec10": D("-12345678.90"),
        "f": 0.0, "d": 0.0, "bit1": True,  # MariaDB stores the -0 inserted as 0 "bit12": bytes([0x0A, 0xAA]), "y": 2155, "dt": None,
        "dtm": dt.datetime(2024, 2, 29, 23, 59, 59, 999999), "ts": dt.datetime(2038, 1, 19, 3, 14, 7, 500000, UTC),
        "tm": "838:59:59.000000", "vc": "héllo 😀 ✓", "l1": "café € ÿ", "ch": "ab", "txt": "multi\nline\ttab",
        "bin": b"x\0yz", "vb": b"", "blb": b"blob", "e": "b'c", "s": "x,z", "j": {"a": [1, 2.5, None], "b": "é"},
        "g": "POLYGON((0 0,10 0,10 10,0 0))", "p": "POINT(1.5 -2)", "ls": "LINESTRING(0 0,1 1)"},
    2: {"ti": 127, "uti": 0, "b1": False, "si": 32767, "mi": 0, "i": 2147483647, "ui": 0, "bi": 9223372036854775807,
        "ubig": D("0"), "dec65": D("-0.000000000000000000000000000001"), "dec10": D("0.00"), "f": 3.5,
        "d": 1.7976931348623157e308, "bit1": False, "bit12": b"\0\0", "y": 1901, "dt": dt.date(1000, 1, 1),
        "dtm": dt.datetime(1000, 1, 1), "ts": dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC), "tm": "-838:59:59.000000",
        "vc": "", "l1": "", "ch": "", "txt": "", "bin": b"\0\0\0\0", "vb": b"abc", "blb": b"", "e": "", "s": "",
        "j": [], "g": "MULTIPOINT(1 2,3 4)", "p": "POINT(0 0)", "ls": "LINESTRING(-1.25 2,3 4)"},
    3: {},  # every column NULL
    4: {"ti": 0, "uti": 0, "b1": True, "si": 0, "mi": 0, "i": 0, "ui": 0, "bi": 0, "ubig": D("9223372036854775808"),
        "dec65": D("1.000000000000000000000000000000"), "dec10": D("1.00"), "f": 1.0, "d": 1.0, "y": 0,
        "dt": None, "dtm": None, "ts": dt.datetime(2024, 6, 1, 12, tzinfo=UTC), "tm": "00:00:00.000000",
        "vc": "a", "l1": "b", "ch": "c", "txt": "d", "bin": b"e\0\0\0", "vb": b"f", "blb": b"g", "e": "a", "s": "y",
        "j": {}},
}
NULLED = {1: {"dt"}, 4: {"dt", "dtm"}}  # zero dates: null with a note in _airbyte_meta


def pg_pipeline(tmp_path, src, pg, name, streams, **source):  # noqa: F811
    return write_pipeline(tmp_path / f"{name}.yaml", {
        "name": name,
        "source": {"connector": "mysql", "config": src.config(DB, **source)},
        "destination": {"connector": "postgres", "config": pg.config("mydst")},
        "namespace": {"definition": "custom", "format": "dst"},
        "streams": streams,
    })


def test_every_type_into_postgres(tmp_path, src, pg):  # noqa: F811
    pg.create_database("mydst")
    p = pg_pipeline(tmp_path, src, pg, "types", [{"name": "types", "mode": "Full Refresh | Overwrite"}])
    summary = json.loads(run("sync", p, "--json", "--no-progress").stdout)
    assert summary["status"] == "succeeded" and summary["records"] == 4
    columns = [c for c in EXPECTED_PG[1]]
    got = pg.query("mydst", f"select id, {', '.join(columns)}, _airbyte_meta from dst.types order by id")
    assert [r[0] for r in got] == [1, 2, 3, 4]
    for row in got:
        rid, values, meta = row[0], dict(zip(columns, row[1:-1])), row[-1]
        for c in columns:
            want = EXPECTED_PG[rid].get(c)
            have = values[c]
            if isinstance(have, memoryview):
                have = bytes(have)
            assert have == want, (rid, c, have, want)
        nulled = {ch["field"] for ch in meta.get("changes", [])}
        assert nulled == NULLED.get(rid, set()), (rid, meta)


def duckdb_rows(folder):
    files = sorted(p for p in pathlib.Path(folder).rglob("*.parquet"))
    assert files
    rows = []
    for f in files:
        out = subprocess.run(["node", str(READER), "duckdb", str(f)], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        lines = out.stdout.splitlines()
        header = json.loads(lines[0])
        names = [c["name"] for c in header["columns"]]
        rows += [dict(zip(names, json.loads(line))) for line in lines[1:]]
    return header, rows


def micros(t):
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return str((t - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(microseconds=1))


def canonical(value):
    """An EXPECTED_PG value in read_parquet.mjs's canonical form."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "-0.0" if value == 0 and str(value).startswith("-") else value
    if isinstance(value, D):
        return str(value)
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    if isinstance(value, dt.datetime):
        return micros(value)
    if isinstance(value, dt.date):
        return str((value - dt.date(1970, 1, 1)).days)
    if isinstance(value, (dict, list)):
        return value
    return value


def test_every_type_into_parquet_read_by_duckdb(tmp_path, src):
    p = write_pipeline(tmp_path / "pq.yaml", {
        "name": "pq",
        "source": {"connector": "mysql", "config": src.config(DB)},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out"),
                                                         "format": {"format_type": "Parquet"}}},
        "streams": [{"name": "types", "mode": "Full Refresh | Overwrite"}],
    })
    run("sync", p, "--json", "--no-progress")
    header, rows = duckdb_rows(tmp_path / "out")
    types = {c["name"]: c["type"] for c in header["columns"]}
    assert types["dec10"].upper().startswith("DECIMAL(10,2)"), types["dec10"]
    assert types["ubig"].upper().startswith("DECIMAL(20,0)"), types["ubig"]
    rows.sort(key=lambda r: int(r["id"]))
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"]
    for row in rows:
        rid = int(row["id"])
        for c in EXPECTED_PG[1]:
            want = canonical(EXPECTED_PG[rid].get(c))
            have = row[c]
            if c == "j" and have is not None:
                have = json.loads(have)
            if c == "dec65" and have is not None:
                have = str(D(have))
                want = str(D(want))
            assert have == want, (rid, c, have, want)
        meta = json.loads(row["_airbyte_meta"])
        assert {ch["field"] for ch in meta["changes"]} == NULLED.get(rid, set())


# ---- incremental and odd names ------------------------------------------------------------------


def test_cursor_incremental_is_inclusive_and_resumable(tmp_path, src):
    src.execute(DB, "DELETE FROM events; INSERT INTO events VALUES (1, '2024-01-01 00:00:00', 'a'), "
                    "(2, '2024-01-02 00:00:00.5', 'b'), (3, '2024-01-02 00:00:00.5', 'c')")
    streams = discover(tmp_path, src.config(DB))
    cat = configured([streams["events"]], mode="incremental", cursor="updated_at")
    _, msgs = connector(tmp_path, "read", src.config(DB), cat)
    assert sorted(r["data"]["id"] for r in records(msgs)) == [1, 2, 3]
    last = states(msgs)[-1]["stream"]["stream_state"]
    assert last["state_type"] == "cursor_based" and last["cursor"] == "2024-01-02 00:00:00.500000"
    assert last["cursor_record_count"] == 2 and last["cursor_field"] == ["updated_at"]
    src.execute(DB, "INSERT INTO events VALUES (4, '2024-01-03 00:00:00', 'd'), (5, '2023-12-31 00:00:00', 'old')")
    _, msgs = connector(tmp_path, "read", src.config(DB), cat, state=[states(msgs)[-1]])
    # >= the saved value: the two rows at the boundary again, the new one, not the older one.
    assert sorted(r["data"]["id"] for r in records(msgs)) == [2, 3, 4]
    assert states(msgs)[-1]["stream"]["stream_state"]["cursor"] == "2024-01-03 00:00:00.000000"
    # A column that cannot be a cursor is named with the candidates.
    bad = configured([discover(tmp_path, src.config(DB))["types"]], mode="incremental", cursor="j")
    r, _ = connector(tmp_path, "read", src.config(DB), bad, check=False)
    assert r.returncode == 2 and "cannot be a cursor" in r.stdout + r.stderr


def test_tables_without_key_views_and_quoted_names(tmp_path, src):
    streams = discover(tmp_path, src.config(DB))
    cat = configured([streams["nokey"], streams["v_events"], streams["weird `name"]])
    _, msgs = connector(tmp_path, "read", src.config(DB, max_db_connections=3), cat)
    assert sorted((r["data"]["a"], r["data"]["b"]) for r in records(msgs, "nokey")) == [(1, "x"), (2, None)]
    assert len(records(msgs, "v_events")) == int(src.query(DB, "SELECT COUNT(*) FROM v_events")[0][0])
    assert sorted(r["data"]["select"] for r in records(msgs, "weird `name")) == [1, 2]


# ---- chunks, kill -9, resume ----------------------------------------------------------------------

BIG_ROWS = 200_000


@pytest.fixture(scope="module")
def big(src):
    src.execute(DB, "CREATE TABLE big (id BIGINT PRIMARY KEY, k INT, name VARCHAR(40), amount DECIMAL(12,2));"
                    f"INSERT INTO big SELECT seq, seq % 1000, CONCAT('name-', seq), (seq % 100000) / 100 "
                    f"FROM seq_1_to_{BIG_ROWS}")
    return src


ID_RE = re.compile(rb'"_airbyte_data":\{"id":(\d+),')


def big_ids(folder):
    ids = []
    for f in sorted(pathlib.Path(folder).rglob("*")):
        if not f.is_file() or f.name.startswith("."):
            continue
        data = gzip.decompress(f.read_bytes()) if f.name.endswith(".gz") else f.read_bytes()
        found = ID_RE.findall(data)
        assert len(found) == data.count(b"\n")
        ids += map(int, found)
    return ids


def wait_for(predicate, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if predicate():
                return True
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    return False


def big_pipeline(tmp_path, big, name, **config):
    """Table big, Full Refresh | Append, into gzipped JSONL under tmp_path/out."""
    return write_pipeline(tmp_path / f"{name}.yaml", {
        "name": name,
        "source": {"connector": "mysql", "config": big.config(DB, **config)},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out"),
                                                         "format": {"format_type": "JSONL", "compression": "gzip"}}},
        "streams": [{"name": "big", "mode": "Full Refresh | Append"}],
    })


def test_chunks_kill_9_then_resume(tmp_path, big):
    # One connection: the chunks one after another (Airbyte's pk_name/pk_val state).
    p = big_pipeline(tmp_path, big, "big", chunk_rows=2000, max_db_connections=1)
    state_file = tmp_path / ".sluice-state" / "big.state.json"
    kill_after_checkpoint(p, lambda: state_file.exists() and '"pk_val"' in state_file.read_text())
    saved = json.loads(state_file.read_text())[0]["stream"]["stream_state"]
    assert saved["state_type"] == "primary_key" and saved["pk_name"] == "id", saved
    resumed_after = int(saved["pk_val"])
    before = big_ids(tmp_path / "out")
    assert 0 < len(before) < BIG_ROWS and max(before) >= resumed_after
    summary = json.loads(run("sync", p, "--json", "--no-progress").stdout)
    assert summary["status"] == "succeeded"
    assert summary["records"] == BIG_ROWS - resumed_after, "the second run resumed after the saved key"
    ids = big_ids(tmp_path / "out")
    assert set(ids) == set(range(1, BIG_ROWS + 1)), "no row lost"
    final = json.loads(state_file.read_text())[0]["stream"]["stream_state"]
    assert final == {"version": 2, "state_type": "primary_key", "complete": True}


def covered(ranges):
    """The ids 1..BIG_ROWS a saved pk_ranges state says were read."""
    ids = set()
    for r in ranges:
        lo = int(r["after"][0]) + 1 if "after" in r else 1
        hi = int(r["upto"][0]) if "upto" in r else BIG_ROWS
        if not r.get("complete"):
            hi = int(r["pk_vals"][0]) if "pk_vals" in r else lo - 1
        ids.update(range(lo, hi + 1))
    return ids


def test_key_ranges_at_once_kill_9_then_resume(tmp_path, big):
    """Three connections, one table: key ranges read at once; the state lists every range, and a
    run killed mid-read resumes each range after its saved key — nothing lost, nothing read twice
    that the state said was read."""
    p = big_pipeline(tmp_path, big, "ranges", chunk_rows=1000, max_db_connections=3)
    state_file = tmp_path / ".sluice-state" / "ranges.state.json"
    log = open(tmp_path / "first.log", "wb")
    proc = subprocess.Popen([SLUICE, "sync", str(p), "--no-progress", "--commit-interval-ms", "20"],
                            stdout=subprocess.DEVNULL, stderr=log)

    def progressed():
        state = json.loads(state_file.read_text())[0]["stream"]["stream_state"]
        return sum(1 for r in state.get("pk_ranges", []) if "pk_vals" in r or r.get("complete")) >= 2

    try:
        assert wait_for(lambda: state_file.exists() and progressed()), (tmp_path / "first.log").read_text()[-2000:]
        assert proc.poll() is None, "the sync finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    first = (tmp_path / "first.log").read_text()
    assert "key ranges of id on 3 connections at once" in first and "LOCK TABLES" not in first, first[-2000:]
    saved = json.loads(state_file.read_text())[0]["stream"]["stream_state"]
    assert saved["state_type"] == "primary_key" and saved["pk_names"] == ["id"], saved
    ranges = saved["pk_ranges"]
    assert len(ranges) == 12 and "after" not in ranges[0] and "upto" not in ranges[-1], ranges
    for a, b in zip(ranges, ranges[1:]):
        assert a["upto"] == b["after"], "consecutive ranges share a boundary"
    done = covered(ranges)
    before = big_ids(tmp_path / "out")
    assert done <= set(before), "every row the state covers was written before it"
    assert 0 < len(done) < BIG_ROWS
    r = run("sync", p, "--json", "--no-progress")
    summary = json.loads(r.stdout)
    assert summary["status"] == "succeeded"
    assert "resuming the full refresh" in r.stderr, r.stderr[-2000:]
    assert summary["records"] == BIG_ROWS - len(done), "the second run read only what the state did not cover"
    ids = big_ids(tmp_path / "out")
    assert set(ids) == set(range(1, BIG_ROWS + 1)), "no row lost"
    final = json.loads(state_file.read_text())[0]["stream"]["stream_state"]
    assert final == {"version": 2, "state_type": "primary_key", "complete": True}
