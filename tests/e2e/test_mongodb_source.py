"""source-mongodb-v2 end to end: the real driver (libmongoc in `sluice`) against the MongoDB
wire-protocol test server (mongo_wire_server.py — no MongoDB server can be installed here, so
everything below is checked against that double, not against MongoDB), into destination-postgres
and local Parquet read back by DuckDB: every BSON type; SCRAM authentication; the snapshot, then
inserts, updates, replaces and deletes through the change stream (Append + Deduped: deletes
remove rows); kill -9 in the middle and resume; an expired resume token per
invalid_cdc_cursor_position_behavior."""
import datetime as dt
import json
import pathlib
import signal
import subprocess
from decimal import Decimal

import pytest
from bson.binary import Binary
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp

from conftest import SLUICE, SOURCE_DIR, run, wait_for, write_pipeline
from crash_loop import kill_mid_sync
from mongo_wire_server import MongoWireServer
from pg_server import pg  # noqa: F401  (session fixture)

READER = SOURCE_DIR / "tests" / "js" / "read_parquet.mjs"
UTC = dt.timezone.utc
UUID = bytes.fromhex("123456789abc4def8001020304050607")
OID = ObjectId("65a1b2c3d4e5f60718293a4b")


@pytest.fixture(scope="module")
def mongo():
    server = MongoWireServer(users={"reader": "s3cret"})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def dst(pg):  # noqa: F811
    pg.create_database("mongodst")
    return pg


def source_config(mongo, db, **extra):
    c = {"database_config": {"cluster_type": "SELF_MANAGED_REPLICA_SET", "connection_string": mongo.uri(),
                             "database": db, "username": "reader", "password": "s3cret", "auth_source": "admin"},
         "initial_waiting_seconds": 120}
    c.update(extra)
    return c


def pipeline(tmp_path, mongo, dst, db, name, streams, **extra):  # noqa: F811
    return write_pipeline(tmp_path / f"{name}.yaml", {
        "name": name,
        "source": {"connector": "source-mongodb-v2", "config": source_config(mongo, db, **extra)},
        "destination": {"connector": "postgres", "config": dst.config("mongodst")},
        "namespace": {"definition": "custom", "format": db},
        "streams": streams,
    })


def saved_token(tmp_path, name):
    states = json.loads((tmp_path / ".sluice-state" / f"{name}.state.json").read_text())
    glob = [s for s in states if s.get("type") == "GLOBAL"]
    assert len(glob) == 1, states
    return int(glob[0]["global"]["shared_state"]["state"]["resume_token"]["_data"], 16)


def test_check_authenticates_with_scram(tmp_path, mongo):
    mongo.create_collection("authdb", "c")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(source_config(mongo, "authdb")))
    out = run("connector", "source-mongodb-v2", "check", "--config", good).stdout
    assert '"status":"SUCCEEDED"' in out, out
    bad = source_config(mongo, "authdb")
    bad["database_config"]["password"] = "wrong"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    out = run("connector", "source-mongodb-v2", "check", "--config", tmp_path / "bad.json").stdout
    assert '"status":"FAILED"' in out and "authentication failed" in out, out
    assert "wrong" not in out and "s3cret" not in out


# ---- every BSON type ---------------------------------------------------------------------------

TYPES_DOC = {
    "_id": 1, "oid": OID, "dec": Decimal128("1234567890.123456789"), "big": Int64(9007199254740993), "small": 5,
    "dbl": 2.5, "before": dt.datetime(1969, 7, 20, 20, 17, 40, 500000, tzinfo=UTC),
    "after": dt.datetime(2100, 1, 1, tzinfo=UTC), "uuid": Binary(UUID, 4), "bin": Binary(b"\x00\xff", 0),
    "re": Regex("^a+$", "i"), "ts": Timestamp(1700000000, 7), "flag": True, "text": "héllo ✓",
    "nested": {"a": {"b": [1, {"c": "x"}], "big": Int64(2 ** 60)}}, "arr": [1, 2, 3],
}
TYPES_NULLS = {"_id": 2, "oid": None, "text": None}


@pytest.fixture(scope="module")
def types_db(mongo):
    mongo.insert("typesdb", "types", TYPES_DOC, TYPES_NULLS)
    return "typesdb"


def test_discover_types(tmp_path, mongo, types_db):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps(source_config(mongo, types_db)))
    catalog = json.loads(run("connector", "source-mongodb-v2", "discover", "--config", cfg).stdout)["catalog"]
    props = catalog["streams"][0]["json_schema"]["properties"]
    assert props["_id"]["type"] == ["null", "integer"]
    assert props["dec"]["airbyte_type"] == "big_number"
    assert props["before"]["airbyte_type"] == "timestamp_with_timezone"
    assert props["bin"]["contentEncoding"] == "base64"
    assert props["nested"]["properties"]["a"]["properties"]["b"]["type"] == ["null", "array"]
    assert catalog["streams"][0]["source_defined_primary_key"] == [["_id"]]


def test_every_type_into_postgres(tmp_path, mongo, dst, types_db):  # noqa: F811
    p = pipeline(tmp_path, mongo, dst, types_db, "types_pg", [{"name": "types", "mode": "Full Refresh | Overwrite"}])
    run("sync", p, "--json", "--no-progress")
    rows = dst.query("mongodst", f"""SELECT _id, oid, dec::text, big, small, dbl,
        to_char(before AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), to_char(after AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
        uuid, encode(bin, 'hex'), re, ts, flag, text, nested, arr, _ab_cdc_deleted_at
        FROM {types_db}.types ORDER BY _id""")
    assert rows[0] == (1, "65a1b2c3d4e5f60718293a4b", "1234567890.123456789", 9007199254740993, 5, 2.5,
                       "1969-07-20 20:17:40.500000", "2100-01-01", "12345678-9abc-4def-8001-020304050607", "00ff",
                       {"pattern": "^a+$", "options": "i"}, {"t": 1700000000, "i": 7}, True, "héllo ✓",
                       {"a": {"b": [1, {"c": "x"}], "big": str(2 ** 60)}}, [1, 2, 3], None)
    assert rows[1][:2] == (2, None) and rows[1][13] is None


def test_every_type_into_parquet_read_by_duckdb(tmp_path, mongo, types_db):
    p = write_pipeline(tmp_path / "pq.yaml", {
        "name": "pq",
        "source": {"connector": "source-mongodb-v2", "config": source_config(mongo, types_db)},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out"),
                                                         "format": {"format_type": "Parquet"}}},
        "streams": [{"name": "types", "mode": "Full Refresh | Overwrite"}],
    })
    run("sync", p, "--json", "--no-progress")
    files = sorted(pathlib.Path(tmp_path / "out").rglob("*.parquet"))
    assert files
    out = subprocess.run(["node", str(READER), "duckdb", str(files[0])], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    names = [c["name"] for c in json.loads(lines[0])["columns"]]
    rows = sorted((dict(zip(names, json.loads(line))) for line in lines[1:]), key=lambda r: int(r["_id"]))
    r = rows[0]
    assert r["oid"] == "65a1b2c3d4e5f60718293a4b"
    assert Decimal(r["dec"]) == Decimal("1234567890.123456789")
    assert r["big"] == "9007199254740993"
    before = dt.datetime(1969, 7, 20, 20, 17, 40, 500000, tzinfo=UTC)
    assert r["before"] == str((before - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(microseconds=1))
    assert r["uuid"] == "12345678-9abc-4def-8001-020304050607"
    assert r["bin"] == {"hex": "00ff"}
    assert json.loads(r["nested"]) == {"a": {"b": [1, {"c": "x"}], "big": str(2 ** 60)}}
    assert json.loads(r["ts"]) == {"t": 1700000000, "i": 7}
    assert rows[1]["oid"] is None


# ---- change streams ----------------------------------------------------------------------------

CDC_STREAMS = [{"name": "orders", "mode": "Incremental | Append + Deduped", "primary_key": "_id"}]


def seed_orders(mongo, db, n):
    mongo.insert(db, "orders", *[{"_id": ObjectId(), "n": i, "name": f"order {i}", "amount": Decimal128(f"{i}.25"),
                                  "tags": ["a", i]} for i in range(n)])


def expected(mongo, db):
    return sorted((str(d["_id"]), d.get("n"), d.get("name"), str(d["amount"].to_decimal()) if d.get("amount") else None)
                  for d in mongo.documents(db, "orders"))


def actual(dst, db):  # noqa: F811
    return sorted(tuple(r) for r in dst.query("mongodst", f"SELECT _id, n, name, amount::text FROM {db}.orders"))


def test_snapshot_then_changes_into_postgres_dedup(tmp_path, mongo, dst):  # noqa: F811
    db = "cdc_a"
    seed_orders(mongo, db, 300)
    p = pipeline(tmp_path, mongo, dst, db, "cdc", CDC_STREAMS, snapshot_checkpoint_documents=100)
    run("sync", p, "--json", "--no-progress")
    assert actual(dst, db) == expected(mongo, db)
    first = saved_token(tmp_path, "cdc")
    docs = mongo.documents(db, "orders")
    mongo.insert(db, "orders", *[{"_id": ObjectId(), "n": 1000 + i, "name": "new", "amount": Decimal128("1")}
                                 for i in range(50)])
    for d in docs[:40]:
        mongo.update(db, "orders", d["_id"], {"name": "updated", "n": -d["n"]})
    for d in docs[40:60]:
        mongo.replace(db, "orders", {"_id": d["_id"], "n": d["n"], "name": "replaced", "amount": Decimal128("9.99")})
    for d in docs[60:90]:
        mongo.delete(db, "orders", d["_id"])
    mongo.update(db, "orders", docs[90]["_id"], {"name": "gone soon"})  # updated, then deleted before the lookup
    mongo.delete(db, "orders", docs[90]["_id"])
    mongo.insert("cdc_other_db", "orders", {"_id": 1, "n": 1})  # another database: not read
    summary = json.loads(run("sync", p, "--json", "--no-progress").stdout)
    assert summary["status"] == "succeeded", summary
    assert actual(dst, db) == expected(mongo, db)
    assert dst.query("mongodst", f"SELECT count(*) FROM {db}.orders WHERE name = 'updated'") == [(40,)]
    assert dst.query("mongodst", f"SELECT count(*) FROM {db}.orders WHERE name = 'replaced'") == [(20,)]
    second = saved_token(tmp_path, "cdc")
    assert second > first
    # Nothing changed: a third sync reads nothing and keeps its place.
    summary = json.loads(run("sync", p, "--json", "--no-progress").stdout)
    assert summary["records"] == 0 and saved_token(tmp_path, "cdc") >= second
    assert actual(dst, db) == expected(mongo, db)


def test_post_image_mode_reads_the_document_as_changed(tmp_path, mongo, dst):  # noqa: F811
    db = "cdc_post"
    seed_orders(mongo, db, 5)
    p = pipeline(tmp_path, mongo, dst, db, "post", [{"name": "orders", "mode": "Incremental | Append"}],
                 update_capture_mode="Post Image")
    run("sync", p, "--json", "--no-progress")
    d = mongo.documents(db, "orders")[0]
    mongo.update(db, "orders", d["_id"], {"name": "first"})
    mongo.update(db, "orders", d["_id"], {"name": "second"})
    run("sync", p, "--json", "--no-progress")
    names = [r[0] for r in dst.query("mongodst", f"SELECT name FROM {db}.orders WHERE _id = '{d['_id']}' "
                                                 "ORDER BY _ab_cdc_cursor")]
    # Each update's own post image (Lookup would read "second" twice).
    assert names == ["order 0", "first", "second"], names



def test_kill_9_mid_changes_then_resume(tmp_path, mongo, dst):  # noqa: F811
    db = "cdc_kill"
    seed_orders(mongo, db, 10)
    p = pipeline(tmp_path, mongo, dst, db, "kill", CDC_STREAMS, queue_size=1000)
    run("sync", p, "--json", "--no-progress")
    seed_orders(mongo, db, 40000)
    _, mid = kill_mid_sync(p, lambda: saved_token(tmp_path, "kill"))
    run("sync", p, "--json", "--no-progress")
    assert saved_token(tmp_path, "kill") > mid
    assert actual(dst, db) == expected(mongo, db)
    assert dst.query("mongodst", f"SELECT count(*) - count(DISTINCT _id) FROM {db}.orders") == [(0,)]


def test_expired_resume_token_fails_or_resyncs(tmp_path, mongo, dst):  # noqa: F811
    db = "cdc_expired"
    seed_orders(mongo, db, 20)
    p = pipeline(tmp_path, mongo, dst, db, "exp", CDC_STREAMS)
    run("sync", p, "--json", "--no-progress")
    mongo.insert(db, "orders", {"_id": ObjectId(), "n": 99, "name": "lost", "amount": Decimal128("1")})
    mongo.trim_history()  # the oplog rolled over: the saved token is gone
    r = run("sync", p, "--json", "--no-progress", check=False)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "invalid_cdc_cursor_position_behavior" in r.stdout + r.stderr
    p2 = pipeline(tmp_path, mongo, dst, db, "exp", CDC_STREAMS, invalid_cdc_cursor_position_behavior="Re-sync data")
    run("sync", p2, "--json", "--no-progress")
    assert actual(dst, db) == expected(mongo, db)
    assert dst.query("mongodst", f"SELECT count(*) FROM {db}.orders WHERE name = 'lost'") == [(1,)]


def test_continuous_converges_and_stops_on_sigterm(tmp_path, mongo, dst):  # noqa: F811
    db = "cdc_cont"
    seed_orders(mongo, db, 50)
    p = pipeline(tmp_path, mongo, dst, db, "cont", CDC_STREAMS)
    log = open(tmp_path / "cont.log", "ab")
    proc = subprocess.Popen([SLUICE, "sync", str(p), "--continuous", "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=log)

    def equal():
        try:
            return actual(dst, db) == expected(mongo, db)
        except Exception:  # the destination table does not exist yet
            return False
    try:
        assert wait_for(equal, timeout=60), "the snapshot did not arrive"
        assert proc.poll() is None, "a continuous sync must not stop when caught up"
        docs = mongo.documents(db, "orders")
        for k in range(3):
            mongo.insert(db, "orders", {"_id": ObjectId(), "n": 5000 + k, "name": f"live {k}", "amount": Decimal128("2")})
            mongo.update(db, "orders", docs[k]["_id"], {"name": f"live update {k}"})
            mongo.delete(db, "orders", docs[10 + k]["_id"])
            assert wait_for(equal, timeout=10), f"change {k} did not arrive within 10 s"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, (tmp_path / "cont.log").read_text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # Changes made while it was stopped arrive with the next run.
    mongo.update(db, "orders", docs[20]["_id"], {"name": "while stopped"})
    run("sync", p, "--json", "--no-progress")
    assert actual(dst, db) == expected(mongo, db)
