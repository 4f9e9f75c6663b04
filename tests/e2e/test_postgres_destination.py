"""destination-postgres against a real PostgreSQL 15: every type through binary COPY, the four
sync modes (faker → PG and Airbyte-protocol input), dedup with updates and deletes, schema
evolution and type conflicts, odd identifiers, atomic overwrite, kill -9 and error classes."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import SLUICE, run, write_pipeline
from pg_server import pg  # noqa: F401  (session fixture)

DEST = "destination-postgres"


# ---- helpers ---------------------------------------------------------------------------------

def dest_config(pg, db, **extra):
    return pg.config(db, **extra)


RAW = {"direct_load": False}  # raw tables beside the typed ones (direct load is the default)


def stream(name, props, mode="append", sync_mode="incremental", pk=None, cursor=None, namespace=None):
    s = {"name": name, "json_schema": {"type": "object", "properties": props},
         "supported_sync_modes": ["full_refresh", "incremental"]}
    if namespace:
        s["namespace"] = namespace
    c = {"stream": s, "sync_mode": sync_mode, "destination_sync_mode": mode}
    if pk:
        c["primary_key"] = [[k] for k in pk]
    if cursor:
        c["cursor_field"] = [cursor]
    return c


def record(stream_name, data, emitted_at=1_700_000_000_000, namespace=None):
    r = {"stream": stream_name, "data": data, "emitted_at": emitted_at}
    if namespace:
        r["namespace"] = namespace
    return {"type": "RECORD", "record": r}


def state(stream_name, blob, namespace=None):
    d = {"name": stream_name}
    if namespace:
        d["namespace"] = namespace
    return {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": d, "stream_state": blob}}}


def write(tmp_path, config, streams, messages, check=True):
    """Runs `sluice connector destination-postgres write` with `messages` on stdin."""
    cfg = tmp_path / "dest.json"
    cfg.write_text(json.dumps(config))
    cat = tmp_path / "catalog.json"
    cat.write_text(json.dumps({"streams": streams}))
    text = "".join(json.dumps(m) + "\n" for m in messages)
    p = run("connector", DEST, "write", "--config", cfg, "--catalog", cat, input=text, check=check)
    out = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    return p, out


def quote(name):
    return '"' + name.replace('"', '""') + '"'


def table_columns(pg, db, schema, table):
    return [r[0] for r in pg.query(db, "select attname from pg_attribute where attrelid = %s::regclass "
                                   "and attnum > 0 and not attisdropped order by attnum",
                                   (f"{quote(schema)}.{quote(table)}",))]


def faker_pipeline(tmp_path, pg, db, mode, count=300, streams=("users",), dest_extra=None, source_extra=None):
    return write_pipeline(tmp_path / "faker_pg.yaml", {
        "name": "faker to postgres",
        "source": {"connector": "faker", "config": {"count": count, "seed": 7, **(source_extra or {})}},
        "destination": {"connector": "postgres", "config": dest_config(pg, db, **(dest_extra or {}))},
        "streams": [{"name": s, "mode": mode} for s in streams],
    })


def sync(pipeline, *extra, check=True):
    p = run("sync", pipeline, "--json", "--no-progress", *extra, check=check)
    return p, (json.loads(p.stdout) if p.stdout.strip().startswith("{") else None)


# ---- types -----------------------------------------------------------------------------------

ALL_TYPES = {
    "id": {"type": "integer"},
    "b": {"type": "boolean"},
    "i": {"type": "integer"},
    "n": {"type": "number"},
    "d": {"type": "number", "airbyte_type": "big_number"},
    "s": {"type": "string"},
    "bin": {"type": "string", "contentEncoding": "base64"},
    "dt": {"type": "string", "format": "date"},
    "t": {"type": "string", "airbyte_type": "time_without_timezone"},
    "ttz": {"type": "string", "airbyte_type": "time_with_timezone"},
    "ts": {"type": "string", "airbyte_type": "timestamp_without_timezone"},
    "tstz": {"type": "string", "airbyte_type": "timestamp_with_timezone"},
    "j": {"type": "object"},
    "arr": {"type": "array"},
}


def test_every_type_lands_typed_and_raw(pg, tmp_path):
    db = pg.create_database("dst_types")
    rows = [
        {"id": 1, "b": True, "i": -9223372036854775808, "n": 1.5e300, "d": "12345678901234567890.000123456789",
         "s": "héllo 'quoted' \"double\" \\ back", "bin": "AAEC/w==", "dt": "2024-02-29", "t": "23:59:59.999999",
         "ttz": "10:00:00+02:00", "ts": "2024-01-02T03:04:05.123456", "tstz": "2024-01-02T03:04:05.5+01:00",
         "j": {"a": [1, 2, {"b": None}], "u": "日本"}, "arr": [1, "x", None]},
        {"id": 2, "b": False, "i": 0, "n": -0.25, "d": "-0.5", "s": "", "bin": "", "dt": "0001-01-01 BC",
         "t": "00:00:00", "ttz": "00:00:00Z", "ts": "infinity", "tstz": "-infinity", "j": {}, "arr": []},
        {"id": 3},
    ]
    streams = [stream("all_types", ALL_TYPES)]
    p, out = write(tmp_path, dest_config(pg, db, **RAW), streams,
                   [record("all_types", r) for r in rows] + [state("all_types", {"cursor": 3})])
    states = [m for m in out if m["type"] == "STATE"]
    assert len(states) == 1 and states[0]["state"]["stream"]["stream_state"] == {"cursor": 3}
    got = pg.query(db, """select id, b, i, n, d::text, s, encode(bin, 'hex'), dt::text, t::text, ttz::text,
                                 ts::text, tstz::text, j, arr from public.all_types order by id""")
    assert got[0][:6] == (1, True, -9223372036854775808, 1.5e300, "12345678901234567890.000123456789",
                          "héllo 'quoted' \"double\" \\ back")
    assert got[0][6:12] == ("000102ff", "2024-02-29", "23:59:59.999999", "08:00:00+00",
                            "2024-01-02 03:04:05.123456", "2024-01-02 02:04:05.5+00")
    assert got[0][12] == {"a": [1, 2, {"b": None}], "u": "日本"} and got[0][13] == [1, "x", None]
    assert got[1][1:12] == (False, 0, -0.25, "-0.5", "", "", "0001-01-01 BC", "00:00:00", "00:00:00+00",
                            "infinity", "-infinity")
    assert got[1][12:] == ({}, [])
    assert got[2][1:] == (None,) * 13
    # Column types as documented.
    types = dict(pg.query(db, """select column_name, data_type from information_schema.columns
                                 where table_schema = 'public' and table_name = 'all_types'"""))
    assert types == {
        "_airbyte_raw_id": "character varying", "_airbyte_extracted_at": "timestamp with time zone",
        "_airbyte_meta": "jsonb", "_airbyte_generation_id": "bigint", "id": "bigint", "b": "boolean",
        "i": "bigint", "n": "double precision", "d": "numeric", "s": "text", "bin": "bytea", "dt": "date",
        "t": "time without time zone", "ttz": "time with time zone", "ts": "timestamp without time zone",
        "tstz": "timestamp with time zone", "j": "jsonb", "arr": "jsonb"}
    # Raw table: the record as JSON, one raw row per typed row with the same id and times.
    raw = pg.query(db, """select r._airbyte_data, r._airbyte_loaded_at is not null, r._airbyte_meta,
                                 r._airbyte_generation_id, r._airbyte_extracted_at = f._airbyte_extracted_at
                          from airbyte_internal.public_raw__stream_all_types r
                          join public.all_types f using (_airbyte_raw_id) order by f.id""")
    assert len(raw) == 3
    assert raw[0][0]["s"] == rows[0]["s"] and raw[0][0]["j"] == rows[0]["j"] and raw[0][0]["i"] == rows[0]["i"]
    assert raw[2][0]["b"] is None and raw[2][0]["id"] == 3
    assert all(r[1] and r[2] == {"changes": [], "sync_id": 0} and r[3] == 0 and r[4] for r in raw)
    # _airbyte_extracted_at is the records' emitted_at, as Airbyte writes it (not the arrival time).
    extracted = pg.query(db, "select distinct (extract(epoch from _airbyte_extracted_at) * 1000)::bigint "
                             "from public.all_types")
    assert extracted == [(1_700_000_000_000,)]


def test_values_that_do_not_fit_become_null_with_a_change(pg, tmp_path):
    db = pg.create_database("dst_nofit")
    props = {"id": {"type": "integer"}, "s": {"type": "string"}, "j": {"type": "object"}}
    msgs = [record("t", {"id": 1, "s": "nul\u0000byte", "j": {"k": "nul\u0000"}}),
            record("t", {"id": 2, "s": "fine", "j": {"k": "v"}})]
    write(tmp_path, dest_config(pg, db, **RAW), [stream("t", props)], msgs)
    got = pg.query(db, "select id, s, j, _airbyte_meta from public.t order by id")
    assert got[0][1] is None and got[0][2] is None
    changes = sorted((c["field"], c["change"], c["reason"]) for c in got[0][3]["changes"])
    assert changes == [("j", "NULLED", "DESTINATION_TYPECAST_ERROR"), ("s", "NULLED", "DESTINATION_TYPECAST_ERROR")]
    assert got[1][1:3] == ("fine", {"k": "v"}) and got[1][3]["changes"] == []
    raw = pg.query(db, "select _airbyte_data, _airbyte_meta from airbyte_internal.public_raw__stream_t "
                       "order by (_airbyte_data->>'id')::int")
    assert raw[0][0] == {"id": 1, "s": None, "j": None}
    assert {c["reason"] for c in raw[0][1]["changes"]} == {"DESTINATION_SERIALIZATION_ERROR"}


# ---- modes with faker --------------------------------------------------------------------------

def test_overwrite_replaces_atomically_and_drops_leftovers(pg, tmp_path):
    db = pg.create_database("dst_overwrite")
    p = faker_pipeline(tmp_path, pg, db, "Full Refresh | Overwrite", count=500, streams=("users", "products"),
                       dest_extra=RAW)
    _, s = sync(p)
    assert s["status"] == "succeeded"
    assert pg.query(db, "select count(*), count(distinct id), min(id), max(id) from users") == [(500, 500, 1, 500)]
    first_ids = pg.query(db, "select min(_airbyte_raw_id) from users")
    p.write_text(p.read_text().replace("count: 500", "count: 200"))
    sync(p)
    assert pg.query(db, "select count(*), max(id) from users") == [(200, 200)]
    assert pg.query(db, "select count(*) from airbyte_internal.public_raw__stream_users") == [(200,)]
    assert pg.query(db, "select min(_airbyte_raw_id) from users") != first_ids
    tables = {r[0] for r in pg.query(db, "select relname from pg_class where relkind = 'r' "
                                         "and relnamespace in ('public'::regnamespace, 'airbyte_internal'::regnamespace)")}
    assert tables == {"users", "products", "public_raw__stream_users", "public_raw__stream_products"}


def test_failed_overwrite_keeps_the_old_table(pg, tmp_path):
    db = pg.create_database("dst_overwrite_fail")
    good = tmp_path / "orders.csv"
    good.write_text("id,name\n" + "".join(f"{i},n{i}\n" for i in range(1, 11)))
    bad = tmp_path / "orders_bad.csv"
    bad.write_text("id,name\n" + "".join(f"{i},x{i}\n" for i in range(1, 60001)) + "oops,too,many\n")

    def pipeline(path):
        return write_pipeline(tmp_path / "f.yaml", {
            "name": "file to pg",
            "source": {"connector": "file", "config": {"streams": [
                {"name": "orders", "path": str(path), "schema": {"id": "integer", "name": "string"}}]}},
            "destination": {"connector": "postgres", "config": dest_config(pg, db, **RAW)},
            "streams": [{"name": "orders", "mode": "Full Refresh | Overwrite"}]})

    sync(pipeline(good))
    assert pg.query(db, "select count(*) from orders") == [(10,)]
    r, _ = sync(pipeline(bad), check=False)
    assert r.returncode != 0
    # The failed run loaded batches into the tmp table, but the old table is intact.
    assert pg.query(db, "select count(*), min(name), max(id) from orders") == [(10, "n1", 10)]
    assert pg.query(db, "select count(*) from airbyte_internal.public_raw__stream_orders") == [(10,)]


def test_append_and_incremental_append(pg, tmp_path):
    db = pg.create_database("dst_append")
    p = faker_pipeline(tmp_path, pg, db, "Full Refresh | Append", count=100, streams=("products",))
    sync(p)
    sync(p)
    assert pg.query(db, "select count(*), count(distinct id), count(distinct _airbyte_raw_id) from products") == \
        [(200, 100, 200)]
    p2 = faker_pipeline(tmp_path, pg, db, "Incremental | Append", count=300, streams=("users",), dest_extra=RAW)
    sync(p2)
    sync(p2)  # nothing new
    p2.write_text(p2.read_text().replace("count: 300", "count: 350"))
    sync(p2)
    assert pg.query(db, "select count(*), count(distinct id), max(id) from users") == [(350, 350, 350)]
    # Typed and raw tables agree value by value.
    diff = pg.query(db, """
        select count(*) from (
          (select id, name, email, updated_at, address from users
           except all
           select (_airbyte_data->>'id')::bigint, _airbyte_data->>'name', _airbyte_data->>'email',
                  (_airbyte_data->>'updated_at')::timestamptz, _airbyte_data->'address'
           from airbyte_internal.public_raw__stream_users)
          union all
          (select (_airbyte_data->>'id')::bigint, _airbyte_data->>'name', _airbyte_data->>'email',
                  (_airbyte_data->>'updated_at')::timestamptz, _airbyte_data->'address'
           from airbyte_internal.public_raw__stream_users
           except all
           select id, name, email, updated_at, address from users)) d""")
    assert diff == [(0,)]


def test_dedup_with_faker_updates(pg, tmp_path):
    db = pg.create_database("dst_dedup_faker")
    p = faker_pipeline(tmp_path, pg, db, "Incremental | Append + Deduped", count=400, streams=("users", "purchases"),
                       source_extra={"always_updated": True}, dest_extra=RAW)
    sync(p)
    sync(p)  # every record again, newer: each replaces its row
    for table, n in (("users", 400), ("purchases", None)):
        count, distinct = pg.query(db, f"select count(*), count(distinct id) from {table}")[0]
        assert count == distinct and (n is None or count == n)
    raw_users = pg.query(db, "select count(*) from airbyte_internal.public_raw__stream_users")[0][0]
    assert raw_users == 800
    # The final row is the raw record with the highest cursor, for every id.
    diff = pg.query(db, """
        with latest as (
          select distinct on ((_airbyte_data->>'id')::bigint) (_airbyte_data->>'id')::bigint as id,
                 (_airbyte_data->>'updated_at')::timestamptz as updated_at, _airbyte_raw_id
          from airbyte_internal.public_raw__stream_users
          order by (_airbyte_data->>'id')::bigint, (_airbyte_data->>'updated_at')::timestamptz desc)
        select count(*) from ((select id, updated_at, _airbyte_raw_id from users except all select * from latest)
                              union all (select * from latest except all select id, updated_at, _airbyte_raw_id from users)) d""")
    assert diff == [(0,)]
    index = pg.query(db, "select indexdef from pg_indexes where tablename = 'users'")
    assert len(index) == 1 and "(id)" in index[0][0]


# ---- dedup semantics through the protocol --------------------------------------------------------

DEDUP_PROPS = {"id": {"type": "integer"}, "k2": {"type": "string"}, "v": {"type": "string"},
               "updated": {"type": "integer"}, "_ab_cdc_deleted_at": {"type": "string"}}


def test_dedup_updates_deletes_and_ties(pg, tmp_path):
    db = pg.create_database("dst_dedup")
    s = [stream("items", DEDUP_PROPS, mode="append_dedup", pk=["id", "k2"], cursor="updated")]
    cfg = dest_config(pg, db, **RAW)
    run1 = [record("items", {"id": i, "k2": "a", "v": f"v{i}", "updated": 10}) for i in range(1, 6)]
    run1 += [record("items", {"id": 1, "k2": "b", "v": "other key", "updated": 1})]
    run1 += [record("items", {"id": 2, "k2": "a", "v": "newer in same batch", "updated": 11}),
             record("items", {"id": 2, "k2": "a", "v": "older in same batch", "updated": 9})]
    run1 += [record("items", {"id": None, "k2": "a", "v": "null key 1", "updated": 1})]
    write(tmp_path, cfg, s, run1 + [state("items", {"c": 1})])
    rows = dict(((r[0], r[1]), r[2]) for r in pg.query(db, "select id, k2, v from items"))
    assert rows == {(1, "a"): "v1", (2, "a"): "newer in same batch", (3, "a"): "v3", (4, "a"): "v4",
                    (5, "a"): "v5", (1, "b"): "other key", (None, "a"): "null key 1"}
    run2 = [
        record("items", {"id": 3, "k2": "a", "v": "updated", "updated": 20}),
        record("items", {"id": 4, "k2": "a", "v": "stale", "updated": 5}),              # older cursor: ignored
        record("items", {"id": 5, "k2": "a", "v": "tie, later extraction", "updated": 10}, emitted_at=1_800_000_000_000),
        record("items", {"id": 1, "k2": "a", "updated": 30, "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"}),
        record("items", {"id": 6, "k2": "a", "v": "new", "updated": 1}),
        record("items", {"id": None, "k2": "a", "v": "null key 2", "updated": 2}),
    ]
    write(tmp_path, cfg, s, run2 + [state("items", {"c": 2})])
    rows = dict(((r[0], r[1]), r[2]) for r in pg.query(db, "select id, k2, v from items"))
    assert rows == {(2, "a"): "newer in same batch", (3, "a"): "updated", (4, "a"): "v4",
                    (5, "a"): "tie, later extraction", (1, "b"): "other key", (6, "a"): "new",
                    (None, "a"): "null key 2"}
    # Replaying the same run changes nothing (a re-run after a crash).
    write(tmp_path, cfg, s, run2 + [state("items", {"c": 2})])
    assert pg.query(db, "select count(*) from items") == [(7,)]
    assert pg.query(db, "select count(*) from airbyte_internal.public_raw__stream_items") == [(len(run1) + 2 * len(run2),)]


def test_dedup_soft_delete_keeps_tombstones(pg, tmp_path):
    db = pg.create_database("dst_soft")
    s = [stream("items", DEDUP_PROPS, mode="append_dedup", pk=["id"], cursor="updated")]
    cfg = dest_config(pg, db, cdc_deletion_mode="Soft delete")
    write(tmp_path, cfg, s, [record("items", {"id": 1, "v": "a", "updated": 1}),
                             record("items", {"id": 1, "updated": 2, "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"})])
    assert pg.query(db, "select id, _ab_cdc_deleted_at from items") == [(1, "2024-01-01T00:00:00Z")]


def test_dedup_without_primary_key_is_a_config_error(pg, tmp_path):
    db = pg.create_database("dst_nopk")
    p, out = write(tmp_path, dest_config(pg, db), [stream("items", DEDUP_PROPS, mode="append_dedup")], [],
                   check=False)
    assert p.returncode == 2
    trace = [m for m in out if m["type"] == "TRACE"][0]["trace"]["error"]
    assert trace["failure_type"] == "config_error" and "primary key" in trace["message"]


def test_raw_only_and_direct_load(pg, tmp_path):
    db = pg.create_database("dst_rawonly")
    props = {"id": {"type": "integer"}, "v": {"type": "string"}}
    msgs = [record("t", {"id": 1, "v": "x"}), record("t", {"id": 2, "v": "y"})]
    write(tmp_path, dest_config(pg, db, disable_type_dedupe=True), [stream("t", props, mode="append_dedup", pk=["id"])], msgs)
    assert pg.query(db, "select to_regclass('public.t') is null") == [(True,)]
    assert pg.query(db, "select count(*), count(_airbyte_loaded_at) from airbyte_internal.public_raw__stream_t") == [(2, 0)]
    db2 = pg.create_database("dst_direct")
    write(tmp_path, dest_config(pg, db2, direct_load=True, raw_data_schema="my_raw"), [stream("t", props)], msgs)
    assert pg.query(db2, "select id, v from t order by id") == [(1, "x"), (2, "y")]
    assert pg.query(db2, "select count(*) from pg_namespace where nspname in ('my_raw', 'airbyte_internal')") == [(0,)]


# ---- schema evolution and type conflicts --------------------------------------------------------

def test_new_columns_are_added_and_changed_types_are_cast(pg, tmp_path):
    db = pg.create_database("dst_evolve")
    cfg = dest_config(pg, db, **RAW)
    v1 = {"id": {"type": "integer"}, "a": {"type": "integer"}, "c": {"type": "string"}}
    write(tmp_path, cfg, [stream("t", v1)], [record("t", {"id": 1, "a": 10, "c": "7"})])
    # a: integer → string widens the column to text in place; c: string → integer cannot narrow
    # text, so integers are written as text; b is new.
    v2 = {"id": {"type": "integer"}, "a": {"type": "string"}, "b": {"type": "boolean"}, "c": {"type": "integer"}}
    write(tmp_path, cfg, [stream("t", v2)], [record("t", {"id": 2, "a": "20", "b": True, "c": 8}),
                                            record("t", {"id": 3, "a": "not a number", "b": False, "c": None})])
    assert table_columns(pg, db, "public", "t")[-4:] == ["id", "a", "c", "b"]
    types = dict(pg.query(db, "select column_name, data_type from information_schema.columns "
                              "where table_name = 't' and column_name in ('a', 'b', 'c')"))
    assert types == {"a": "text", "b": "boolean", "c": "text"}
    rows = pg.query(db, "select id, a, b, c, _airbyte_meta from t order by id")
    assert [r[:4] for r in rows] == [(1, "10", None, "7"), (2, "20", True, "8"), (3, "not a number", False, None)]
    assert all(r[4]["changes"] == [] for r in rows), "widening nulls nothing"
    # A column a view depends on cannot be widened: it keeps its type, values that do not fit
    # become NULL with a change (the raw table keeps them).
    pg.execute(db, "create view t_a as select id, b from t")
    v3 = {"id": {"type": "number"}, "a": {"type": "string"}, "b": {"type": "string"}}
    write(tmp_path, cfg, [stream("t", v3)], [record("t", {"id": 4.5, "a": "x", "b": "maybe"})])
    types = dict(pg.query(db, "select column_name, data_type from information_schema.columns "
                              "where table_name = 't' and column_name in ('id', 'b')"))
    assert types == {"id": "bigint", "b": "boolean"}
    row = pg.query(db, "select id, b, _airbyte_meta from t where a = 'x'")[0]
    assert row[:2] == (None, None)
    assert sorted(c["field"] for c in row[2]["changes"]) == ["b", "id"]
    assert pg.query(db, "select _airbyte_data->>'b' from airbyte_internal.public_raw__stream_t "
                        "where _airbyte_data->>'a' = 'x'") == [("maybe",)]


def test_existing_narrow_columns_are_widened(pg, tmp_path):
    db = pg.create_database("dst_narrow")
    pg.execute(db, """create table public.t (id int, name varchar(5), price numeric(6,2), at date, n real,
                                            _airbyte_raw_id text, _airbyte_extracted_at timestamptz,
                                            _airbyte_meta jsonb)""")
    pg.execute(db, "insert into t (id, name, price, at, n) values (0, 'old', 9.99, '2023-12-31', 0.5)")
    props = {"id": {"type": "integer"}, "name": {"type": "string"}, "price": {"type": "number"},
             "at": {"type": "string", "format": "date-time"}, "n": {"type": "number"}}
    write(tmp_path, dest_config(pg, db), [stream("t", props)], [
        record("t", {"id": 1, "name": "short", "price": 1234.5, "at": "2024-01-01T10:00:00Z", "n": 1.25}),
        record("t", {"id": 3000000000, "name": "too long", "price": 12345.678, "at": "2024-01-02T00:00:00Z",
                     "n": 1e300})])
    types = dict(pg.query(db, "select column_name, data_type from information_schema.columns "
                              "where table_name = 't' and column_name in ('id', 'name', 'price', 'at', 'n')"))
    assert types == {"id": "bigint", "name": "text", "price": "numeric", "at": "timestamp with time zone",
                     "n": "double precision"}
    rows = pg.query(db, "select id, name, price::text, at::text, n, _airbyte_meta, _airbyte_generation_id "
                        "from t order by id")
    assert rows[0][:5] == (0, "old", "9.99", "2023-12-31 00:00:00+00", 0.5), "old values keep their value"
    assert rows[1][:5] == (1, "short", "1234.5", "2024-01-01 10:00:00+00", 1.25)
    assert rows[2][:5] == (3000000000, "too long", "12345.678", "2024-01-02 00:00:00+00", 1e300)
    assert rows[1][5]["changes"] == [] and rows[2][5]["changes"] == []
    assert rows[1][6] == 0  # the missing Airbyte column was added


def test_conflicting_column_type_is_a_config_error(pg, tmp_path):
    db = pg.create_database("dst_conflict")
    pg.execute(db, "create table public.users (id bigint, age inet)")
    p = faker_pipeline(tmp_path, pg, db, "Full Refresh | Append", count=10)
    r, _ = sync(p, check=False)
    assert r.returncode == 2, r.stderr
    assert '"age"' in r.stderr and "inet" in r.stderr and "users" in r.stderr
    assert pg.query(db, "select count(*) from public.users") == [(0,)]


# ---- identifiers ----------------------------------------------------------------------------------

def test_odd_and_long_identifiers(pg, tmp_path):
    db = pg.create_database("dst_names")
    long_a = "a_very_long_stream_name_" + "x" * 60 + "_one"
    long_b = "a_very_long_stream_name_" + "x" * 60 + "_two"
    long_field = "field_" + "é" * 40  # 86 bytes
    names = ["Mixed Case", 'with "quotes"', "select", "ünïcödé 日本", long_a, long_b]
    props = {"id": {"type": "integer"}, "from": {"type": "string"}, "Space Col": {"type": "string"},
             'q"uote': {"type": "string"}, long_field: {"type": "string"}, long_field + "2": {"type": "string"}}
    streams = [stream(n, props, namespace="Odd Schema") for n in names]
    data = {"id": 1, "from": "f", "Space Col": "s", 'q"uote': "q", long_field: "L1", long_field + "2": "L2"}
    write(tmp_path, dest_config(pg, db, **RAW), streams, [record(n, data, namespace="Odd Schema") for n in names])
    tables = {r[0] for r in pg.query(db, "select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                                         "where nspname = 'Odd Schema' and relkind = 'r'")}
    assert {"Mixed Case", 'with "quotes"', "select", "ünïcödé 日本"} <= tables
    assert len(tables) == 6 and all(len(t.encode()) <= 63 for t in tables)
    raw_tables = {r[0] for r in pg.query(db, "select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                                             "where nspname = 'airbyte_internal' and relkind = 'r'")}
    assert len(raw_tables) == 6 and "Odd Schema_raw__stream_select" in raw_tables
    for t in tables:
        cols = table_columns(pg, db, "Odd Schema", t)
        assert {"from", "Space Col", 'q"uote'} <= set(cols)
        assert len(cols) == 4 + 6 and len(set(cols)) == len(cols)
        assert pg.query(db, f'select id, "from", "Space Col", "q""uote" from "Odd Schema".{quote(t)}') == [(1, "f", "s", "q")]
    long_cols = [c for c in table_columns(pg, db, "Odd Schema", "select") if c.startswith("field_")]
    assert len(long_cols) == 2 and all(len(c.encode()) <= 63 for c in long_cols)
    got = pg.query(db, 'select ' + ", ".join('"' + c + '"' for c in sorted(long_cols)) + ' from "Odd Schema"."select"')
    assert sorted(got[0]) == ["L1", "L2"]


# ---- kill -9 ----------------------------------------------------------------------------------

def wait_for(predicate, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("mode, copies", [("Incremental | Append + Deduped", 2), ("Incremental | Append", 2),
                                          ("Full Refresh | Overwrite", 2), ("Incremental | Append", 1),
                                          ("Incremental | Append", 4), ("Full Refresh | Overwrite", 4)])
def test_kill_9_mid_table_then_rerun(pg, tmp_path, mode, copies):
    db = pg.create_database("dst_kill")
    count = 300_000
    dest = {"parallel_copies": copies}
    if mode == "Full Refresh | Overwrite":
        # A complete earlier load that the killed run must leave untouched.
        sync(faker_pipeline(tmp_path, pg, db, mode, count=1000, dest_extra=dest))
    p = faker_pipeline(tmp_path, pg, db, mode, count=count, source_extra={"records_per_slice": 5000}, dest_extra=dest)
    state_file = tmp_path / ".sluice-state" / "faker_pg.state.json"
    proc = subprocess.Popen([SLUICE, "sync", str(p), "--no-progress", "--commit-interval-ms", "50"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: state_file.exists() and "updated_at" in state_file.read_text()), "no checkpoint"
        time.sleep(0.3)
        assert proc.poll() is None, "the sync finished before it could be killed: raise the count"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    if mode == "Full Refresh | Overwrite":
        assert pg.query(db, "select count(*), max(id) from users") == [(1000, 1000)]
    else:
        cursor = json.loads(state_file.read_text())[0]["stream"]["stream_state"]["updated_at"]
        # A first dedup load goes into the tmp table, swapped in when the stream completes.
        table = "users_airbyte_tmp" if mode == "Incremental | Append + Deduped" else "users"
        committed, covered = pg.query(db, f"select count(distinct id), max(updated_at) >= %s::timestamptz from {table}",
                                      (cursor,))[0]
        assert 0 < committed < count
        assert covered, "the saved state covers only committed rows"
    sync(p)
    total, distinct, lo, hi = pg.query(db, "select count(*), count(distinct id), min(id), max(id) from users")[0]
    assert (distinct, lo, hi) == (count, 1, count), "nothing is lost"
    if mode != "Incremental | Append":
        assert total == count, "no duplicates"
    assert pg.query(db, "select count(*) from pg_class where relname like '%airbyte_tmp'") == [(0,)]


# ---- parallel COPY connections ----------------------------------------------------------------

def copies_into(pg, db, table):
    """Backends running a COPY into `table` right now."""
    return pg.query(db, "select count(*) from pg_stat_progress_copy p join pg_class c on c.oid = p.relid "
                        "where c.relname = %s", (table,))[0][0]


def watch_copies(pg, db, tables, proc):
    """The most COPYs seen at once into each of `tables` while `proc` runs."""
    most = {t: 0 for t in tables}
    while proc.poll() is None:
        for t in tables:
            most[t] = max(most[t], copies_into(pg, db, t))
        time.sleep(0.01)
    return most


@pytest.mark.parametrize("copies", [1, 3])
def test_parallel_copies_load_through_several_connections(pg, tmp_path, copies):
    db = pg.create_database("dst_parallel")
    count = 200_000
    p = faker_pipeline(tmp_path, pg, db, "Full Refresh | Overwrite", count=count,
                       source_extra={"records_per_slice": count}, dest_extra={"parallel_copies": copies, **RAW})
    proc = subprocess.Popen([SLUICE, "sync", str(p), "--no-progress"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    most = watch_copies(pg, db, ("users_airbyte_tmp", "public_raw__stream_users_airbyte_tmp"), proc)
    assert proc.wait() == 0, proc.stderr.read()
    # Typed and raw rows load side by side, each through `copies` connections.
    assert most == {"users_airbyte_tmp": copies, "public_raw__stream_users_airbyte_tmp": copies}, most
    assert pg.query(db, "select count(*), count(distinct id), min(id), max(id) from users") == [(count, count, 1, count)]
    assert pg.query(db, "select count(*), count(distinct _airbyte_data->>'id') "
                        "from airbyte_internal.public_raw__stream_users") == [(count, count)]
    # Typed and raw rows agree, whichever connections carried them.
    assert pg.query(db, """
        select count(*) from users u join airbyte_internal.public_raw__stream_users r using (_airbyte_raw_id)
        where u.id = (r._airbyte_data->>'id')::bigint and u.email = r._airbyte_data->>'email'""") == [(count,)]


def test_failure_on_one_connection_rolls_back_every_connection(pg, tmp_path):
    """A row that fails on one of three connections: the whole checkpoint, typed and raw rows
    from every connection, is rolled back — the table keeps only what earlier syncs committed."""
    db = pg.create_database("dst_parallel_fail")
    sync(faker_pipeline(tmp_path, pg, db, "Full Refresh | Append", count=10, streams=("users",), dest_extra=RAW))
    pg.execute(db, """
        create function refuse() returns trigger language plpgsql as $$
        begin raise exception 'user % refused', new.id using errcode = '22023'; end $$;
        create trigger refuse before insert on users for each row when (new.id = 7000) execute function refuse()""")
    count = 12_000
    p = faker_pipeline(tmp_path, pg, db, "Full Refresh | Append", count=count, streams=("users",),
                       source_extra={"records_per_slice": count}, dest_extra={"parallel_copies": 3, **RAW})
    r, _ = sync(p, "--commit-interval-ms", "600000", check=False)
    assert r.returncode != 0
    assert "user 7000 refused" in r.stderr and '"public"."users"' in r.stderr, r.stderr
    assert pg.query(db, "select count(*) from users") == [(10,)]
    assert pg.query(db, "select count(*) from airbyte_internal.public_raw__stream_users") == [(10,)]
    # Nothing is left running or idle in a transaction.
    assert pg.query(db, "select count(*) from pg_stat_activity where datname = current_database() "
                        "and state like 'idle in transaction%'") == [(0,)]


def test_lost_connection_mid_copy_keeps_the_old_table(pg, tmp_path):
    """One of the parallel COPY backends is terminated mid-load: a transient error, and the
    overwrite's old table is untouched; the rerun replaces it completely."""
    db = pg.create_database("dst_parallel_lost")
    p = faker_pipeline(tmp_path, pg, db, "Full Refresh | Overwrite", count=1000,
                       dest_extra={"parallel_copies": 3, **RAW})
    sync(p)
    count = 300_000
    p.write_text(p.read_text().replace("count: 1000", f"count: {count}"))
    proc = subprocess.Popen([SLUICE, "sync", str(p), "--no-progress"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: copies_into(pg, db, "users_airbyte_tmp") >= 2), "no parallel COPY seen"
        killed = pg.query(db, "select pg_terminate_backend(p.pid) from pg_stat_progress_copy p "
                              "join pg_class c on c.oid = p.relid where c.relname = 'users_airbyte_tmp' limit 1")
        assert killed == [(True,)]
        assert proc.wait(timeout=120) == 3, "a lost connection is transient"
        err = proc.stderr.read().decode()
        assert '"public"."users_airbyte_tmp"' in err and "transient" in err.lower(), err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert pg.query(db, "select count(*), max(id) from users") == [(1000, 1000)]
    assert pg.query(db, "select count(*) from airbyte_internal.public_raw__stream_users") == [(1000,)]
    sync(p)
    assert pg.query(db, "select count(*), count(distinct id), max(id) from users") == [(count, count, count)]
    assert pg.query(db, "select count(*) from pg_class where relname like '%airbyte_tmp'") == [(0,)]


def test_parallel_copies_is_validated(pg, tmp_path):
    db = pg.create_database("dst_parallel_config")
    for bad in (0, "two", 1.5):
        r, _ = sync(faker_pipeline(tmp_path, pg, db, "Full Refresh | Append", count=5,
                                   dest_extra={"parallel_copies": bad}), check=False)
        assert r.returncode == 2 and "parallel_copies" in r.stderr, r.stderr


# ---- errors -----------------------------------------------------------------------------------

def check(tmp_path, config):
    cfg = tmp_path / "check.json"
    cfg.write_text(json.dumps(config))
    p = run("connector", DEST, "check", "--config", cfg, check=False)
    return p, json.loads(p.stdout.strip().splitlines()[-1])


def test_check(pg, tmp_path):
    db = pg.create_database("dst_check")
    _, ok = check(tmp_path, dest_config(pg, db))
    assert ok["connectionStatus"]["status"] == "SUCCEEDED"
    # Check leaves nothing behind.
    assert pg.query(db, "select count(*) from pg_namespace where nspname = 'airbyte_internal'") == [(0,)]
    _, bad = check(tmp_path, dest_config(pg, db, password="wrong"))
    assert bad["connectionStatus"]["status"] == "FAILED"
    assert "password authentication failed" in bad["connectionStatus"]["message"]
    assert "wrong" not in bad["connectionStatus"]["message"]


def test_errors_are_classified(pg, tmp_path):
    db = pg.create_database("dst_errors")
    # Wrong password: config (exit 2).
    r, _ = sync(faker_pipeline(tmp_path, pg, db, "Full Refresh | Append", count=5, dest_extra={"password": "nope"}),
                check=False)
    assert r.returncode == 2 and "password authentication failed" in r.stderr
    # Unknown database: config.
    r, _ = sync(faker_pipeline(tmp_path, pg, "no_such_db", "Full Refresh | Append", count=5), check=False)
    assert r.returncode == 2 and "no_such_db" in r.stderr
    # Nothing listening: transient (exit 3), retrying may help.
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    r, _ = sync(faker_pipeline(tmp_path, pg, db, "Full Refresh | Append", count=5, dest_extra={"port": closed_port}),
                check=False)
    assert r.returncode == 3 and "transient" in r.stderr.lower() and f"127.0.0.1:{closed_port}" in r.stderr


def test_silent_server_fails_within_the_connect_timeout(pg, tmp_path):
    """A host that accepts TCP and never answers: check and write give up after connect_timeout
    (run()'s 60 s limit fails the test otherwise) with a transient error."""
    import socket
    import threading
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        cfg = dest_config(pg, "any", port=listener.getsockname()[1], connect_timeout=2)
        cfg_file = tmp_path / "silent.json"
        cfg_file.write_text(json.dumps(cfg))
        p = run("connector", DEST, "check", "--config", cfg_file, check=False, timeout=60)
        status = json.loads(p.stdout.strip().splitlines()[-1])["connectionStatus"]
        assert status["status"] == "FAILED" and "timeout" in status["message"], status
        p, out = write(tmp_path, cfg, [stream("t", {"id": {"type": "integer"}})], [record("t", {"id": 1})],
                       check=False)
        assert p.returncode == 3, p.stderr
        trace = [m for m in out if m["type"] == "TRACE"][0]["trace"]["error"]
        assert trace["failure_type"] == "transient_error" and "timeout" in trace["message"], trace
    finally:
        stop.set()
        t.join()
        for s in held:
            s.close()
        listener.close()
