"""destination-local and destination-s3 write the same rows the same way: one sync's faker
streams go to both (S3: moto_server, signatures checked) in Parquet, JSONL and CSV, are read back
with independent readers (Parquet: hyparquet and DuckDB via tests/js/read_parquet.mjs and DuckDB's
parquet_schema(); JSONL/CSV: Python's parsers), and the Airbyte columns must agree in physical and
logical type and in the shape of their values — _airbyte_raw_id a string UUID v4 in every
format (connectors/kit/airbyte_columns.h) — and the records must be the same."""
import csv
import io
import json
import re
import subprocess

from conftest import run, write_pipeline
from s3_server import JS_DIR, moto, read_parquet, s3_config  # noqa: F401

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
AIRBYTE_COLUMNS = ["_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_generation_id", "_airbyte_meta"]
COUNT = 300
STREAM = "users"

FORMATS = {
    # Both destinations' own config keys for the same output.
    "Parquet": ({"format_type": "Parquet", "compression_codec": "SNAPPY"},
                {"format_type": "Parquet", "compression_codec": "SNAPPY"}),
    "JSONL": ({"format_type": "JSONL"}, {"format_type": "JSONL", "flattening": "No flattening"}),
    "CSV": ({"format_type": "CSV"}, {"format_type": "CSV", "flattening": "Root level flattening"}),
}


def sync_both(tmp_path, server, fmt):
    """Syncs the same faker stream to destination-local and destination-s3; returns the bytes of
    each one's single data file."""
    local_format, s3_format = FORMATS[fmt]
    out = tmp_path / "local"
    bucket = server.create_bucket()
    for name, destination in (
        ("local", {"connector": "local", "config": {"destination_path": str(out), "format": local_format}}),
        ("s3", {"connector": "s3", "config": s3_config(server, bucket, format=s3_format)}),
    ):
        p = write_pipeline(tmp_path / f"{name}.yaml", {
            "name": f"faker to {name}",
            "source": {"connector": "faker", "config": {"count": COUNT, "seed": 11}},
            "destination": destination,
            "streams": [{"name": STREAM, "mode": "Full Refresh | Overwrite"}],
        })
        run("sync", p)
    [local_file] = [f for f in (out / STREAM).rglob("*") if f.is_file() and not f.name.startswith(".")]
    [key] = server.keys(bucket, f"airbyte-data/{STREAM}/")
    return local_file.read_bytes(), server.get(bucket, key)


def check_value_shapes(rows, extracted_unit_digits):
    """The Airbyte columns' values as text: a UUID v4 each (all distinct), an epoch number, the
    generation, the meta object."""
    ids = set()
    for r in rows:
        assert UUID.match(r["_airbyte_raw_id"]), r["_airbyte_raw_id"]
        ids.add(r["_airbyte_raw_id"])
        assert re.fullmatch(r"\d{%d}" % extracted_unit_digits, str(r["_airbyte_extracted_at"])), r
        assert str(r["_airbyte_generation_id"]) == "0"
        meta = r["_airbyte_meta"]
        meta = json.loads(meta) if isinstance(meta, str) else meta
        assert meta == {"changes": [], "sync_id": 0}, meta
    assert len(ids) == len(rows) == COUNT


def data_of(rows):
    """The records without the Airbyte columns, ordered by id."""
    return sorted(({k: v for k, v in r.items() if k not in AIRBYTE_COLUMNS} for r in rows),
                  key=lambda r: json.dumps(r, sort_keys=True))


def test_parquet_agrees(tmp_path, moto):  # noqa: F811
    local_bytes, s3_bytes = sync_both(tmp_path, moto, "Parquet")
    (tmp_path / "local.parquet").write_bytes(local_bytes)
    (tmp_path / "s3.parquet").write_bytes(s3_bytes)
    for reader in ("hyparquet", "duckdb"):
        lh, local_rows = read_parquet(tmp_path / "local.parquet", reader)
        sh, s3_rows = read_parquet(tmp_path / "s3.parquet", reader)
        # The whole file schema agrees: the Airbyte columns first, then the stream's fields.
        assert [c["name"] for c in lh["columns"]][:4] == AIRBYTE_COLUMNS
        assert lh["columns"] == sh["columns"], (reader, lh["columns"], sh["columns"])
        raw_id_type = lh["columns"][0]["type"]
        assert raw_id_type in ("VARCHAR", 'BYTE_ARRAY REQUIRED UTF8 {"type":"STRING"}'), raw_id_type
        for rows in (local_rows, s3_rows):
            check_value_shapes(rows, 16)  # µs since the epoch
        assert data_of(local_rows) == data_of(s3_rows)
        assert lh["metadata"]["airbyte.json_schema"] == sh["metadata"]["airbyte.json_schema"]
    schemas = []
    for f in ("local.parquet", "s3.parquet"):
        p = run_sql(f"select name, type, repetition_type, converted_type, logical_type "
                    f"from parquet_schema('{tmp_path / f}') where name like '_airbyte_%'")
        schemas.append({r[0]: r[1:] for r in p})
    assert schemas[0] == schemas[1], schemas
    assert schemas[0]["_airbyte_raw_id"][:3] == ["BYTE_ARRAY", "REQUIRED", "UTF8"]
    assert schemas[0]["_airbyte_extracted_at"][:3] == ["INT64", "REQUIRED", "TIMESTAMP_MICROS"]
    assert schemas[0]["_airbyte_generation_id"][:2] == ["INT64", "REQUIRED"]
    assert schemas[0]["_airbyte_meta"][:3] == ["BYTE_ARRAY", "REQUIRED", "JSON"]


def run_sql(statement):
    p = subprocess.run(["node", str(JS_DIR / "read_parquet.mjs"), "sql", statement], capture_output=True, text=True,
                       cwd=JS_DIR, timeout=120)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


def test_jsonl_agrees(tmp_path, moto):  # noqa: F811
    local_bytes, s3_bytes = sync_both(tmp_path, moto, "JSONL")
    local_rows = [json.loads(line) for line in local_bytes.decode().splitlines()]
    s3_rows = [json.loads(line) for line in s3_bytes.decode().splitlines()]
    for rows in (local_rows, s3_rows):
        assert list(rows[0])[:4] == AIRBYTE_COLUMNS and list(rows[0])[4:] == ["_airbyte_data"]
        for r in rows:
            assert [type(r[c]) for c in AIRBYTE_COLUMNS] == [str, int, int, dict], r
        check_value_shapes(rows, 13)  # ms since the epoch
    assert data_of(local_rows) == data_of(s3_rows)


def test_csv_agrees(tmp_path, moto):  # noqa: F811
    local_bytes, s3_bytes = sync_both(tmp_path, moto, "CSV")
    tables = []
    for data in (local_bytes, s3_bytes):
        reader = csv.DictReader(io.StringIO(data.decode(), newline=""))
        rows = list(reader)
        assert reader.fieldnames[:4] == AIRBYTE_COLUMNS
        check_value_shapes(rows, 13)
        tables.append((reader.fieldnames, rows))
    assert tables[0][0] == tables[1][0], "the same header"
    assert data_of(tables[0][1]) == data_of(tables[1][1])
