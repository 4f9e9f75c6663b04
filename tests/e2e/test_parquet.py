"""Parquet: destination-local writes it, source-file reads it. Every file sluice writes is read
back by two independent readers (hyparquet and DuckDB, from npm: tests/js/read_parquet.mjs) and
compared value by value with what the source sent: every type, nulls, values a column cannot
hold, every codec, several row groups and files, an empty stream, 1 M rows; and source-file
reads Parquet files that DuckDB wrote (data pages v1 and v2, delta encodings, many types)."""
import base64
import csv
import datetime as dt
import json
import math
import pathlib
import shutil
import subprocess
import uuid
from decimal import Decimal

import pytest

from conftest import SOURCE_DIR, run, write_pipeline

JS_DIR = SOURCE_DIR / "tests" / "js"
READER = JS_DIR / "read_parquet.mjs"
READERS = ("hyparquet", "duckdb")
EPOCH = dt.datetime(1970, 1, 1)
EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
INT64_MAX = 2**63 - 1
INT64_MIN = -2**63


@pytest.fixture(scope="module", autouse=True)
def node_readers():
    assert shutil.which("node"), "node is needed to run the independent Parquet readers"
    for package in ("hyparquet", "hyparquet-compressors", "@duckdb/node-api"):
        assert (JS_DIR / "node_modules" / package).is_dir(), f"npm package {package} missing: run scripts/setup.sh"


def node(*args, timeout=300):
    p = subprocess.run(["node", str(READER), *map(str, args)], capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"node read_parquet.mjs {' '.join(map(str, args))}:\n{p.stderr[-3000:]}"
    return p.stdout


def read(reader, path, columns=None):
    """(header, rows) as read_parquet.mjs prints them."""
    args = [reader, path] + (["--columns", ",".join(columns)] if columns else [])
    lines = node(*args).splitlines()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


def sql(statements):
    return json.loads(node("sql", statements))


def parquet_files(folder):
    files = sorted(p for p in pathlib.Path(folder).rglob("*") if p.is_file() and not p.name.startswith("."))
    assert all(p.suffix == ".parquet" for p in files), files
    return files


def read_all(reader, folder, columns=None):
    """Rows of every data file of a stream folder, in file order, with each file's header."""
    headers, rows = [], []
    for f in parquet_files(folder):
        header, file_rows = read(reader, f, columns)
        assert header["num_rows"] == len(file_rows), f
        headers.append(header)
        rows.extend(file_rows)
    return headers, rows


def micros(text):
    """µs since the epoch of an ISO timestamp (naive = wall clock)."""
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    base = EPOCH_UTC if t.tzinfo else EPOCH
    return (t - base) // dt.timedelta(microseconds=1)


def canonical_double(d):
    if math.isnan(d):
        return "NaN"
    if math.isinf(d):
        return "Infinity" if d > 0 else "-Infinity"
    if d == 0 and math.copysign(1, d) < 0:
        return "-0.0"
    return d


def check_airbyte_columns(header, rows, generation="0"):
    names = [c["name"] for c in header["columns"]]
    assert names[:4] == ["_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_generation_id", "_airbyte_meta"]
    ids = set()
    for r in rows:
        raw_id = uuid.UUID(r[0])
        assert raw_id.version == 4 and str(raw_id) == r[0]
        ids.add(r[0])
        assert int(r[1]) > 1_600_000_000_000_000  # µs since the epoch
        assert r[2] == generation
        meta = json.loads(r[3])
        assert meta["sync_id"] == 0 and isinstance(meta["changes"], list)
    assert len(ids) == len(rows)


# ---- Every type, through an external Airbyte-protocol source ----------------------------------

SOURCE_SCRIPT = r'''
import json, sys
SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"},
    "flag": {"type": ["null", "boolean"]},
    "count": {"type": ["null", "integer"]},
    "ratio": {"type": ["null", "number"]},
    "big_text": {"type": ["null", "number"], "airbyte_type": "big_number"},
    "amount": {"type": ["null", "number"], "airbyte_type": "big_number", "precision": 12, "scale": 3},
    "huge": {"type": ["null", "number"], "airbyte_type": "big_number", "precision": 38, "scale": 0},
    "name": {"type": ["null", "string"]},
    "uid": {"type": ["null", "string"], "format": "uuid"},
    "blob": {"type": ["null", "string"], "contentEncoding": "base64"},
    "day": {"type": ["null", "string"], "format": "date"},
    "t": {"type": ["null", "string"], "format": "time", "airbyte_type": "time_without_timezone"},
    "ttz": {"type": ["null", "string"], "format": "time", "airbyte_type": "time_with_timezone"},
    "ts": {"type": ["null", "string"], "format": "date-time", "airbyte_type": "timestamp_without_timezone"},
    "tstz": {"type": ["null", "string"], "format": "date-time", "airbyte_type": "timestamp_with_timezone"},
    "doc": {"type": ["null", "object"], "properties": {"a": {"type": "integer"}}},
    "tags": {"type": ["null", "array"], "items": {"type": "string"}}}}
command = sys.argv[1]
if command == "spec":
    print(json.dumps({"type": "SPEC", "spec": {"connectionSpecification": {"type": "object"}}}))
elif command == "check":
    print(json.dumps({"type": "CONNECTION_STATUS", "connectionStatus": {"status": "SUCCEEDED"}}))
elif command == "discover":
    print(json.dumps({"type": "CATALOG", "catalog": {"streams": [{"name": "typed", "json_schema": SCHEMA,
        "supported_sync_modes": ["full_refresh"]}]}}))
elif command == "read":
    for line in open(RECORDS_PATH):
        sys.stdout.write('{"type":"RECORD","record":{"stream":"typed","emitted_at":1700000000123,"data":' + line.rstrip("\n") + '}}\n')
'''


def typed_rows(n, start=0):
    """(JSON text of each record's data, the expected canonical row, the fields nulled by the
    destination) for n rows covering every type, nulls and edge values (rows 0-9 hold the extremes)."""
    out = []
    for i in range(start, start + n):
        data, want, nulled = {}, {}, []

        def put(name, raw, expected):
            data[name] = raw
            want[name] = expected

        put("id", str(i), str(i))
        flag = None if i % 7 == 3 else i % 2 == 0
        put("flag", json.dumps(flag), flag)
        count = {1: INT64_MAX, 2: INT64_MIN}.get(i, None if i % 11 == 5 else i * 1000003 - 7 * 10**12)
        put("count", json.dumps(count), None if count is None else str(count))
        ratio_raw, ratio = {0: ("-0.0", -0.0), 1: ('"NaN"', math.nan), 2: ("1e308", 1e308),
                            3: ('"-Infinity"', -math.inf), 4: ("null", None)}.get(i, (repr(i / 8 - 3.3), i / 8 - 3.3))
        put("ratio", ratio_raw, None if ratio is None else canonical_double(ratio))
        big = f"123456789012345678901234567890.12345678{i}"
        put("big_text", big, big)
        if i % 13 == 0:
            put("amount", "null", None)
        elif i in (4, 5):  # too many digits for DECIMAL(12, 3), a digit below its scale
            put("amount", "123456789012.5" if i == 4 else "1.0001", None)
            nulled.append("amount")
        else:
            text = f"{'-' if i % 3 == 0 else ''}{i * 7}.{i % 1000:03d}" if i % 50 != 7 else "1.5e2"
            put("amount", text, str(Decimal(text).quantize(Decimal("0.001"))))
        huge = "-99999999999999999999999999999999999999" if i % 5 == 1 else str(i * 10**30)
        put("huge", huge, huge)
        name = None if i % 10 == 9 else ("" if i % 9 == 0 else f'näme "{i}" é中\\')
        put("name", json.dumps(name), name)
        if i == 6:
            put("uid", '"not-a-uuid"', None)
            nulled.append("uid")
        else:
            u = uuid.UUID(int=(i * 0x9E3779B97F4A7C15_1234567 + 17) % 2**128)
            put("uid", json.dumps(str(u).upper() if i % 2 else str(u)), str(u))
        blob = bytes([i % 256, 0, 255]) + b"x" * (i % 5)
        put("blob", json.dumps(base64.b64encode(blob).decode()), {"hex": blob.hex()})
        day = dt.date(1969, 12, 31) if i % 17 == 0 else dt.date(2000, 1, 1) + dt.timedelta(days=i * 37)
        put("day", json.dumps(day.isoformat()), str((day - dt.date(1970, 1, 1)).days))
        t = f"{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}.{i:06d}"
        put("t", json.dumps(t), str(((i % 24) * 3600 + (i % 60) * 60 + (i * 7) % 60) * 10**6 + i))
        put("ttz", json.dumps(f"{i % 24:02d}:30:00+02:00"), str((((i % 24) - 2) % 24 * 3600 + 1800) * 10**6))
        if i in (8, 9):
            put("ts", json.dumps("infinity" if i == 8 else "-infinity"), str(INT64_MAX if i == 8 else INT64_MIN))
        else:
            ts = f"2024-03-{1 + i % 28:02d}T12:{i % 60:02d}:00.{i:06d}"
            put("ts", json.dumps(ts), str(micros(ts)))
        tstz = f"19{50 + i % 50}-07-04T23:59:59.5+0{i % 10}:00" if i % 4 else "2024-03-01T12:00:00Z"
        put("tstz", json.dumps(tstz), str(micros(tstz)))
        doc = None if i % 6 == 5 else {"a": i, "b": [True, None], "s": 'x"y'}
        put("doc", json.dumps(doc), doc)
        tags = ["t1", f"t{i}"] if i % 2 else []
        put("tags", json.dumps(tags), tags)
        line = "{" + ",".join(f'"{k}":{v}' for k, v in data.items()) + "}"
        out.append((line, want, nulled))
    return out


TYPED_COLUMNS = ["id", "flag", "count", "ratio", "big_text", "amount", "huge", "name", "uid", "blob", "day", "t",
                 "ttz", "ts", "tstz", "doc", "tags"]
DUCKDB_TYPES = {"id": "BIGINT", "flag": "BOOLEAN", "count": "BIGINT", "ratio": "DOUBLE", "big_text": "VARCHAR",
                "amount": "DECIMAL(12,3)", "huge": "DECIMAL(38,0)", "name": "VARCHAR", "uid": "UUID", "blob": "BLOB",
                "day": "DATE", "t": "TIME", "ttz": "TIME WITH TIME ZONE", "ts": "TIMESTAMP",
                "tstz": "TIMESTAMP WITH TIME ZONE"}


def typed_pipeline(tmp_path, rows, fmt, name="typed"):
    records = tmp_path / "records.jsonl"
    records.write_text("".join(line + "\n" for line, _, _ in rows))
    script = tmp_path / "types_source.py"
    script.write_text(f"RECORDS_PATH = {str(records)!r}\n" + SOURCE_SCRIPT)
    return write_pipeline(tmp_path / f"{name}.yaml", {
        "name": name,
        "source": {"command": ["/usr/bin/python3", str(script)], "config": {}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out"), "format": fmt}},
        "streams": [{"name": "typed", "mode": "Full Refresh | Overwrite"}],
    })


def compare_typed(reader, header, got_rows, rows):
    names = [c["name"] for c in header["columns"]]
    assert names[4:] == TYPED_COLUMNS
    types = {c["name"]: c["type"] for c in header["columns"]}
    if reader == "duckdb":
        for column, want in DUCKDB_TYPES.items():
            assert types[column] == want, (column, types[column])
    else:
        assert types["amount"].startswith("FIXED_LEN_BYTE_ARRAY OPTIONAL DECIMAL"), types["amount"]
        assert '"type":"UUID"' in types["uid"]
        assert '"type":"JSON"' in types["doc"] and '"type":"STRING"' in types["name"]
        assert types["id"].startswith("INT64 OPTIONAL INT_64")
    assert len(got_rows) == len(rows)
    for i, (got, (_, want, nulled)) in enumerate(zip(got_rows, rows)):
        for column, value in zip(names[4:], got[4:]):
            expected = want[column]
            if column in ("doc", "tags") and value is not None:
                value = json.loads(value)
            assert value == expected, f"{reader}: row {i} column {column}: {value!r} != {expected!r}"
        meta = json.loads(got[3])
        assert sorted(c["field"] for c in meta["changes"]) == sorted(nulled), (i, meta)
        for change in meta["changes"]:
            assert change == {"field": change["field"], "change": "NULLED", "reason": "DESTINATION_SERIALIZATION_ERROR"}
        assert got[1] == str(1700000000123 * 1000), f"_airbyte_extracted_at is the record's emitted_at: {got[1]}"


@pytest.mark.parametrize("codec", ["UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD"])
def test_every_type_with_nulls_read_by_both_readers(tmp_path, codec):
    rows = typed_rows(300)
    pipeline = typed_pipeline(tmp_path, rows, {"format_type": "Parquet", "compression_codec": codec})
    summary = json.loads(run("sync", pipeline, "--json").stdout)
    assert summary["status"] == "succeeded", summary
    files = parquet_files(tmp_path / "out" / "typed")
    assert len(files) == 1
    meta = sql(f"select distinct compression from parquet_metadata('{files[0]}')")
    assert meta == [[codec]]
    for reader in READERS:
        header, got = read(reader, files[0])
        check_airbyte_columns(header, got)
        compare_typed(reader, header, got, rows)
        schema = json.loads(header["metadata"]["airbyte.json_schema"])
        assert schema["properties"]["amount"]["precision"] == 12
        assert header["metadata"]["airbyte.stream"] == "typed"


def test_statistics_encodings_and_schema_as_duckdb_sees_them(tmp_path):
    rows = typed_rows(200)
    pipeline = typed_pipeline(tmp_path, rows, {"format_type": "Parquet"})
    run("sync", pipeline)
    [f] = parquet_files(tmp_path / "out" / "typed")
    stats = {r[0]: r[1:] for r in sql(
        f"select path_in_schema, stats_min_value, stats_max_value, stats_null_count, encodings "
        f"from parquet_metadata('{f}')")}
    ids = [int(w["id"]) for _, w, _ in rows]
    assert stats["id"][:3] == [str(min(ids)), str(max(ids)), "0"]
    names = [w["name"] for _, w, _ in rows if w["name"] is not None]
    assert stats["name"][0] == min(names, key=lambda s: s.encode()) and stats["name"][1] == max(names, key=lambda s: s.encode())
    assert stats["name"][2] == str(sum(1 for _, w, _ in rows if w["name"] is None))
    amounts = [Decimal(w["amount"]) for _, w, _ in rows if w["amount"] is not None]
    assert Decimal(stats["amount"][0]) == min(amounts) and Decimal(stats["amount"][1]) == max(amounts)
    assert "RLE_DICTIONARY" in stats["flag"][3] or stats["flag"][3] == "PLAIN, RLE"
    assert "RLE_DICTIONARY" in stats["_airbyte_meta"][3]
    schema = {r[0]: r[1:] for r in sql(
        f"select name, type, repetition_type, converted_type, logical_type from parquet_schema('{f}')")}
    # A string UUID, as destination-s3 and Airbyte's own file destinations write it (connectors/kit).
    assert schema["_airbyte_raw_id"][:3] == ["BYTE_ARRAY", "REQUIRED", "UTF8"]
    assert schema["amount"][:3] == ["FIXED_LEN_BYTE_ARRAY", "OPTIONAL", "DECIMAL"]
    assert schema["ts"][2] == "TIMESTAMP_MICROS" and "isAdjustedToUTC=0" in schema["ts"][3]
    assert schema["tstz"][2] == "TIMESTAMP_MICROS" and "isAdjustedToUTC=1" in schema["tstz"][3]
    assert schema["doc"][2] == "JSON"
    # A chunk holding -infinity (INT64_MIN) has no min/max: DuckDB could not show them.
    assert stats["ts"][:3] == [None, None, "0"]
    assert stats["tstz"][0] is not None


# ---- Row groups, pages, files, modes -----------------------------------------------------------

def faker_pipeline(tmp_path, fmt, count, mode="Full Refresh | Overwrite", name="faker", extra=None):
    return write_pipeline(tmp_path / f"{name}.yaml", {
        "name": name,
        "source": {"connector": "faker", "config": {"count": count, "seed": 11}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / name), "format": fmt,
                                                         **(extra or {})}},
        "streams": [{"name": "users", "mode": mode}, {"name": "purchases", "mode": mode}],
    })


def jsonl_rows(folder):
    rows = []
    for f in sorted(pathlib.Path(folder).glob("*.jsonl")):
        rows.extend(json.loads(line) for line in f.read_text().splitlines())
    return rows


def expected_canonical(value, schema):
    """A JSONL record value (sluice's JSON) in read_parquet.mjs's canonical form."""
    if value is None:
        return None
    airbyte_type = schema.get("airbyte_type", "")
    if schema.get("format") == "date-time":
        return str(micros(value))
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and "integer" in json.dumps(schema.get("type")):
        return str(value)
    if isinstance(value, (int, float)):
        return canonical_double(float(value))
    assert not airbyte_type or airbyte_type.startswith("timestamp"), airbyte_type
    return value


def test_faker_row_groups_pages_and_file_rollover_match_jsonl(tmp_path):
    count = 30000
    run("sync", faker_pipeline(tmp_path, {"format_type": "JSONL"}, count, name="ref"))
    run("sync", faker_pipeline(tmp_path, {"format_type": "Parquet", "block_size_mb": 1, "page_size_kb": 64,
                                          "dictionary_page_size_kb": 16}, count, name="pq",
                               extra={"file_size_mb": 1}))
    for stream in ("users", "purchases"):
        ref = jsonl_rows(tmp_path / "ref" / stream)
        schema = json.loads(read("duckdb", parquet_files(tmp_path / "pq" / stream)[0])[0]["metadata"]["airbyte.json_schema"])
        props = schema["properties"]
        for reader in READERS:
            headers, got = read_all(reader, tmp_path / "pq" / stream)
            if stream == "users":
                assert len(headers) >= 2, "file_size_mb rolls files"
                assert sum(h["row_groups"] for h in headers) >= 4, "block_size_mb closes row groups"
            check_airbyte_columns(headers[0], got)
            names = [c["name"] for c in headers[0]["columns"]][4:]
            assert names == list(props)
            assert len(got) == len(ref)
            for i, (row, want) in enumerate(zip(got, ref)):
                data = want["_airbyte_data"]
                for column, value in zip(names, row[4:]):
                    if column in ("address", "tags") and value is not None:
                        value = json.loads(value)
                    expected = expected_canonical(data.get(column), props[column])
                    assert value == expected, f"{reader} {stream} row {i} {column}: {value!r} != {expected!r}"


def test_append_and_overwrite_keep_crash_safe_layout(tmp_path):
    fmt = {"format_type": "Parquet", "compression_codec": "SNAPPY"}
    append = faker_pipeline(tmp_path, fmt, 500, mode="Full Refresh | Append", name="app")
    run("sync", append)
    run("sync", append)
    files = parquet_files(tmp_path / "app" / "users")
    assert len(files) == 2
    assert sum(read("duckdb", f)[0]["num_rows"] for f in files) == 1000
    overwrite = faker_pipeline(tmp_path, fmt, 700, name="ow")
    run("sync", overwrite)
    first = parquet_files(tmp_path / "ow" / "users")
    run("sync", overwrite)
    second = parquet_files(tmp_path / "ow" / "users")
    assert len(second) == 1 and second != first
    assert read("hyparquet", second[0])[0]["num_rows"] == 700
    leftovers = [p for p in (tmp_path / "ow").rglob("*") if p.name.startswith(".")]
    assert leftovers == [], leftovers


def test_empty_stream_writes_an_empty_file_with_its_schema(tmp_path):
    (tmp_path / "empty.csv").write_text("id,name,at\n")
    pipeline = write_pipeline(tmp_path / "p.yaml", {
        "name": "empty",
        "source": {"connector": "file", "config": {"streams": [{
            "name": "empty", "path": str(tmp_path / "empty.csv"),
            "schema": {"id": "integer", "name": "string", "at": "timestamp_with_timezone"}}]}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out"),
                                                         "format": {"format_type": "Parquet"}}},
        "streams": [{"name": "empty", "mode": "Full Refresh | Overwrite"}],
    })
    run("sync", pipeline)
    [f] = parquet_files(tmp_path / "out" / "empty")
    for reader in READERS:
        header, rows = read(reader, f)
        assert rows == [] and header["num_rows"] == 0 and header["row_groups"] == 0
        assert [c["name"] for c in header["columns"]][4:] == ["id", "name", "at"]
    assert [c["type"] for c in read("duckdb", f)[0]["columns"]][4:] == ["BIGINT", "VARCHAR", "TIMESTAMP WITH TIME ZONE"]


def test_one_million_rows_from_csv(tmp_path):
    n = 1_000_000
    with open(tmp_path / "big.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "score"])
        for i in range(n):
            w.writerow([i, f"name-{i % 1000}" if i % 97 else "", f"{(i * 37) % 10007 / 8}"])
    pipeline = write_pipeline(tmp_path / "p.yaml", {
        "name": "million",
        "source": {"connector": "file", "config": {"streams": [{"name": "big", "path": str(tmp_path / "big.csv")}]}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out"),
                                                         "format": {"format_type": "Parquet", "block_size_mb": 4}}},
    })
    summary = json.loads(run("sync", pipeline, "--json").stdout)
    assert summary["records"] == n
    [f] = parquet_files(tmp_path / "out" / "big")
    for reader in READERS:
        header, rows = read(reader, f, ["id", "name", "score"])
        assert header["num_rows"] == n and header["row_groups"] >= 2
        assert len(rows) == n
        for i, row in enumerate(rows):
            name = f"name-{i % 1000}" if i % 97 else None
            assert row == [str(i), name, (i * 37) % 10007 / 8], f"{reader} row {i}: {row}"
    assert sql(f"select count(distinct _airbyte_raw_id) from '{f}'") == [[str(n)]]


def test_parquet_config_errors(tmp_path):
    def check(fmt):
        return run("connector", "local", "check", "--config", _config_file(tmp_path, fmt), check=False)

    p = check({"format_type": "Parquet", "compression": "gzip"})
    assert "compression_codec" in p.stdout + p.stderr
    p = check({"format_type": "Parquet", "compression_codec": "LZO"})
    assert "LZO" in p.stdout + p.stderr
    p = check({"format_type": "Parquet", "block_size_mb": 0})
    assert "block_size_mb" in p.stdout + p.stderr
    p = check({"format_type": "Parquet", "compression_codec": "GZIP", "page_size_kb": 8})
    assert '"SUCCEEDED"' in p.stdout, p.stdout + p.stderr


def _config_file(tmp_path, fmt):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"destination_path": str(tmp_path / "out"), "format": fmt}))
    return path


# ---- source-file reads Parquet files DuckDB wrote -----------------------------------------------

DUCKDB_TABLE = """
create table t as select
  i::integer as i32, (i * 1000003)::bigint as i64, (i / 7)::double as dbl, (i / 3)::float as flt,
  (i * 1.25)::decimal(9,2) as dec_small, (i * 12345.6789)::decimal(18,4) as dec_mid,
  (i * 1.5)::decimal(38,10) as dec_big, ((i % 500) * 2)::decimal(4,1) as dec_tiny,
  'name ' || (i % 37) as s, (i % 3 = 0) as b, date '1969-12-01' + i::integer as d,
  time '01:02:03.000004' + to_seconds(i) as t,
  timestamp '2021-05-06 07:08:09.123456' + to_microseconds(i * 1001) as ts,
  timestamptz '2021-05-06 07:08:09.123456+00' + to_microseconds(i * 7) as tstz,
  ('00000000-0000-4000-8000-' || lpad(i::varchar, 12, '0'))::uuid as u,
  ('\\xAA\\x00' || i::varchar)::blob as bl, (i % 200)::utinyint as u8, (i * 3)::uinteger as u32,
  make_timestamp(i::bigint * 1000)::timestamp_ms as tsms, make_timestamp(i::bigint * 1000 + 1)::timestamp_ns as tsns,
  case when i % 5 = 0 then null else 'x' || i end as maybe,
  case when i % 4 = 0 then null else i end as maybe_int
from range(0, 4000) r(i);
"""

EXPECTED_DISCOVERED = {
    "i32": {"type": ["null", "integer"]},
    "i64": {"type": ["null", "integer"]},
    "dbl": {"type": ["null", "number"]},
    "flt": {"type": ["null", "number"]},
    "dec_small": {"type": ["null", "number"], "airbyte_type": "big_number", "precision": 9, "scale": 2},
    "dec_mid": {"type": ["null", "number"], "airbyte_type": "big_number", "precision": 18, "scale": 4},
    "dec_big": {"type": ["null", "number"], "airbyte_type": "big_number", "precision": 38, "scale": 10},
    "dec_tiny": {"type": ["null", "number"], "airbyte_type": "big_number", "precision": 4, "scale": 1},
    "s": {"type": ["null", "string"]},
    "b": {"type": ["null", "boolean"]},
    "d": {"type": ["null", "string"], "format": "date"},
    "t": {"type": ["null", "string"], "format": "time", "airbyte_type": "time_without_timezone"},
    "ts": {"type": ["null", "string"], "format": "date-time", "airbyte_type": "timestamp_without_timezone"},
    "tstz": {"type": ["null", "string"], "format": "date-time", "airbyte_type": "timestamp_with_timezone"},
    "u": {"type": ["null", "string"], "format": "uuid"},
    "bl": {"type": ["null", "string"], "contentEncoding": "base64"},
    "u8": {"type": ["null", "integer"]},
    "u32": {"type": ["null", "integer"]},
    "tsms": {"type": ["null", "string"], "format": "date-time", "airbyte_type": "timestamp_without_timezone"},
    "tsns": {"type": ["null", "string"], "format": "date-time", "airbyte_type": "timestamp_without_timezone"},
    "maybe": {"type": ["null", "string"]},
    "maybe_int": {"type": ["null", "integer"]},
}


@pytest.mark.parametrize("options", [
    "format parquet, row_group_size 1000",
    "format parquet, parquet_version v2, row_group_size 1500, compression zstd",
    "format parquet, compression gzip",
    "format parquet, compression uncompressed, row_group_size 3000",
])
def test_source_file_reads_parquet_written_by_duckdb(tmp_path, options):
    src = tmp_path / "duck.parquet"
    sql(DUCKDB_TABLE + f"copy t to '{src}' ({options});")
    config = tmp_path / "source.json"
    config.write_text(json.dumps({"streams": [{"name": "duck", "path": str(src)}]}))
    catalog = next(json.loads(line) for line in run("connector", "file", "discover", "--config", config).stdout.splitlines()
                   if '"CATALOG"' in line)
    assert catalog["catalog"]["streams"][0]["json_schema"]["properties"] == EXPECTED_DISCOVERED

    # file (Parquet, by extension) → local Parquet: every value equals DuckDB's own reading of the source file.
    pipeline = write_pipeline(tmp_path / "p.yaml", {
        "name": "duck",
        "source": {"connector": "file", "config": {"streams": [{"name": "duck", "path": str(src)}]}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out"),
                                                         "format": {"format_type": "Parquet"}}},
    })
    run("sync", pipeline)
    original_header, original = read("duckdb", src)
    assert original_header["num_rows"] == 4000 and len(original) == 4000
    [copy] = parquet_files(tmp_path / "out" / "duck")
    for reader in READERS:
        header, got = read(reader, copy)
        assert [c["name"] for c in header["columns"]][4:] == [c["name"] for c in original_header["columns"]]
        assert len(got) == len(original)
        for i, (a, b) in enumerate(zip(original, got)):
            for column, x, y in zip(EXPECTED_DISCOVERED, a, b[4:]):
                if column == "tsns":  # sluice keeps microseconds
                    x = str(int(x) // 1000 * 1000) if x is not None else None
                    y = str(int(y) // 1000 * 1000) if y is not None else None
                assert x == y, f"{reader} row {i} column {column}: {y!r} != {x!r}"

    # And with format given explicitly, into JSONL: spot-check the text of a few values.
    pipeline = write_pipeline(tmp_path / "j.yaml", {
        "name": "duck json",
        "source": {"connector": "file", "config": {"streams": [{"name": "duck", "path": str(src), "format": "parquet"}]}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "jout")}},
    })
    run("sync", pipeline)
    rows = [r["_airbyte_data"] for r in jsonl_rows(tmp_path / "jout" / "duck")]
    assert len(rows) == 4000
    assert rows[3]["dec_small"] == 3.75 and rows[3]["u"] == "00000000-0000-4000-8000-000000000003"
    assert rows[0]["maybe"] is None and rows[1]["maybe"] == "x1" and rows[4]["maybe_int"] is None
    assert rows[2]["d"] == "1969-12-03" and rows[2]["ts"] == "2021-05-06T07:08:09.125458"
    assert base64.b64decode(rows[7]["bl"]) == b"\xaa\x007"


def test_source_file_parquet_errors(tmp_path):
    (tmp_path / "not.parquet").write_text("hello, this is not parquet")
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"streams": [{"name": "x", "path": str(tmp_path / "not.parquet")}]}))
    p = run("connector", "file", "check", "--config", config, check=False)
    assert "not a Parquet file" in p.stdout + p.stderr
    nested = tmp_path / "nested.parquet"
    sql(f"copy (select 1 as id, [1, 2] as xs) to '{nested}' (format parquet);")
    config.write_text(json.dumps({"streams": [{"name": "x", "path": str(nested)}]}))
    p = run("connector", "file", "discover", "--config", config, check=False)
    assert "column 'xs' is nested" in p.stdout + p.stderr
