"""destination-s3 against moto_server (signature checking on) and s3rver: every test runs on
both (the `s3` fixture). Objects are read back with boto3; Parquet files are checked value by
value with two independent readers (hyparquet and DuckDB), JSONL/CSV with Python's parsers,
against the same faker records written to destination-local."""
import csv
import gzip
import io
import json
import re
import time

import pytest

from conftest import read_records, run, write_pipeline
from s3_server import bucket, s3, s3_config, read_parquet, canonical_parquet_value, timestamp_micros  # noqa: F401

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
AIRBYTE_COLUMNS = ["_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_generation_id", "_airbyte_meta"]


def sync(tmp_path, server, bucket_name, streams, dest_extra=None, count=500, name="s3.yaml", check=True, seed=7):
    p = write_pipeline(tmp_path / name, {
        "name": "faker to s3",
        "source": {"connector": "faker", "config": {"count": count, "seed": seed}},
        "destination": {"connector": "s3", "config": s3_config(server, bucket_name, **(dest_extra or {}))},
        "streams": [{"name": s, "mode": m} for s, m in streams],
    })
    r = run("sync", p, "--json", check=check, timeout=600)
    assert server.secret_key not in r.stdout + r.stderr, "the secret must never be printed"
    return r, (json.loads(r.stdout) if r.stdout.strip().startswith("{") else None)


def expected_records(tmp_path, stream, count=500, seed=7):
    """The faker records of `stream` as destination-local writes them (the reference), and the
    stream's JSON schema properties."""
    out = tmp_path / f"expected-{stream}-{count}"
    p = write_pipeline(tmp_path / f"expected-{stream}.yaml", {
        "name": "reference", "source": {"connector": "faker", "config": {"count": count, "seed": seed}},
        "destination": {"connector": "local", "config": {"destination_path": str(out)}},
        "streams": [{"name": stream, "mode": "Full Refresh | Overwrite"}],
    })
    run("sync", p)
    rows = [r["_airbyte_data"] for r in read_records(out / stream)]
    cfg = tmp_path / f"faker-{count}-{seed}.json"
    cfg.write_text(json.dumps({"count": count, "seed": seed}))
    catalog = run("connector", "source-faker", "discover", "--config", cfg).stdout
    for line in catalog.splitlines():
        m = json.loads(line)
        if m["type"] == "CATALOG":
            props = next(s for s in m["catalog"]["streams"] if s["name"] == stream)["json_schema"]["properties"]
            return rows, props
    raise AssertionError("no catalog")


def stream_keys(server, bucket_name, stream):
    return server.keys(bucket_name, f"airbyte-data/{stream}/")


def check_airbyte_columns(row, start_ms, end_ms, generation="0"):
    assert UUID.match(row["_airbyte_raw_id"]), row["_airbyte_raw_id"]
    assert start_ms * 1000 <= int(row["_airbyte_extracted_at"]) <= end_ms * 1000
    assert row["_airbyte_generation_id"] == generation
    assert json.loads(row["_airbyte_meta"]) == {"changes": [], "sync_id": 0}


@pytest.mark.parametrize("codec", ["SNAPPY", "ZSTD"])
def test_parquet_values_match_with_two_readers(tmp_path, s3, bucket, codec):  # noqa: F811
    start = int(time.time() * 1000)
    _, summary = sync(tmp_path, s3, bucket, [("users", "Full Refresh | Overwrite")],
                      {"format": {"format_type": "Parquet", "compression_codec": codec, "page_size_kb": 64}})
    end = int(time.time() * 1000)
    assert summary["status"] == "succeeded"
    keys = stream_keys(s3, bucket, "users")
    assert len(keys) == 1
    key = keys[0]
    assert re.match(r"^airbyte-data/users/users/\d{4}_\d{2}_\d{2}_\d{13}_0\.parquet$", key), key
    head = s3.client().head_object(Bucket=bucket, Key=key)
    assert head["Metadata"].get("ab-generation-id") == "0"
    local = tmp_path / "users.parquet"
    local.write_bytes(s3.get(bucket, key))

    expected, props = expected_records(tmp_path, "users")
    for reader in ("hyparquet", "duckdb"):
        header, rows = read_parquet(local, reader)
        assert header["num_rows"] == 500
        names = [c["name"] for c in header["columns"]]
        assert names == AIRBYTE_COLUMNS + list(props), (reader, names)
        assert len({r["_airbyte_raw_id"] for r in rows}) == 500
        for got, want in zip(rows, expected):
            check_airbyte_columns(got, start, end)
            for field, schema in props.items():
                if schema.get("type") in ("object", "array"):
                    assert json.loads(got[field]) == want[field], (reader, field)
                else:
                    assert got[field] == canonical_parquet_value(want[field], schema), (reader, field, got[field])
    if "json_schema" in str(header["metadata"]):
        assert json.loads(header["metadata"]["airbyte.json_schema"])["properties"]["address"]["type"] in (
            "object", ["null", "object"])


def test_jsonl_gzip_nested_and_flattened(tmp_path, s3, bucket):  # noqa: F811
    start = int(time.time() * 1000)
    sync(tmp_path, s3, bucket, [("users", "Full Refresh | Overwrite")],
         {"format": {"format_type": "JSONL", "compression": {"compression_type": "GZIP"}}})
    sync(tmp_path, s3, bucket, [("products", "Full Refresh | Overwrite")],
         {"format": {"format_type": "JSONL", "flattening": "Root level flattening"}}, name="flat.yaml")
    end = int(time.time() * 1000)
    expected, _ = expected_records(tmp_path, "users")
    keys = stream_keys(s3, bucket, "users")
    assert len(keys) == 1 and keys[0].endswith("_0.jsonl.gz"), keys
    lines = gzip.decompress(s3.get(bucket, keys[0])).decode().splitlines()
    assert len(lines) == 500
    for line, want in zip(lines, expected):
        row = json.loads(line)
        assert list(row) == AIRBYTE_COLUMNS + ["_airbyte_data"]
        assert UUID.match(row["_airbyte_raw_id"])
        assert start <= row["_airbyte_extracted_at"] <= end
        assert row["_airbyte_generation_id"] == 0
        assert row["_airbyte_meta"] == {"changes": [], "sync_id": 0}
        assert row["_airbyte_data"] == want

    products, props = expected_records(tmp_path, "products")
    keys = stream_keys(s3, bucket, "products")
    assert len(keys) == 1 and keys[0].endswith("_0.jsonl"), keys
    rows = [json.loads(line) for line in s3.get(bucket, keys[0]).decode().splitlines()]
    assert len(rows) == 100
    for row, want in zip(rows, products):
        assert list(row) == AIRBYTE_COLUMNS + list(props)
        assert {k: v for k, v in row.items() if not k.startswith("_airbyte_")} == want


def test_csv_root_level_flattening_and_nested(tmp_path, s3, bucket):  # noqa: F811
    sync(tmp_path, s3, bucket, [("users", "Full Refresh | Overwrite")],
         {"format": {"format_type": "CSV", "compression": {"compression_type": "GZIP"}}})
    expected, props = expected_records(tmp_path, "users")
    keys = stream_keys(s3, bucket, "users")
    assert len(keys) == 1 and keys[0].endswith(".csv.gz"), keys
    reader = csv.DictReader(io.StringIO(gzip.decompress(s3.get(bucket, keys[0])).decode()))
    assert reader.fieldnames == AIRBYTE_COLUMNS + list(props)
    rows = list(reader)
    assert len(rows) == 500
    for row, want in zip(rows, expected):
        assert UUID.match(row["_airbyte_raw_id"])
        assert json.loads(row["_airbyte_meta"]) == {"changes": [], "sync_id": 0}
        for field, schema in props.items():
            if schema.get("type") in ("object", "array"):
                assert json.loads(row[field]) == want[field]
            elif schema.get("type") == "number":
                assert float(row[field]) == want[field]
            else:
                assert row[field] == str(want[field]), field

    sync(tmp_path, s3, bucket, [("products", "Full Refresh | Overwrite")],
         {"format": {"format_type": "CSV", "flattening": "No flattening"}}, name="nested.yaml")
    products, _ = expected_records(tmp_path, "products")
    keys = stream_keys(s3, bucket, "products")
    rows = list(csv.DictReader(io.StringIO(s3.get(bucket, keys[0]).decode())))
    assert list(rows[0]) == AIRBYTE_COLUMNS + ["_airbyte_data"]
    assert [json.loads(r["_airbyte_data"]) for r in rows] == products


def test_overwrite_replaces_after_completion_and_append_appends(tmp_path, s3, bucket):  # noqa: F811
    streams = [("users", "Full Refresh | Overwrite"), ("products", "Full Refresh | Append")]
    fmt = {"format": {"format_type": "JSONL"}}
    sync(tmp_path, s3, bucket, streams, fmt, count=200)
    first_users = stream_keys(s3, bucket, "users")
    first_products = stream_keys(s3, bucket, "products")
    time.sleep(0.01)  # a new ${EPOCH}
    sync(tmp_path, s3, bucket, streams, fmt, count=300)
    users = stream_keys(s3, bucket, "users")
    assert len(users) == 1 and users != first_users, "overwrite replaced the old object"
    assert len(s3.get(bucket, users[0]).decode().splitlines()) == 300
    products = stream_keys(s3, bucket, "products")
    assert len(products) == 2 and set(first_products) < set(products), "append kept the old object"
    total = sum(len(s3.get(bucket, k).decode().splitlines()) for k in products)
    assert total == 200  # faker has 100 products per run
    ids = [json.loads(line)["_airbyte_data"]["id"] for k in products for line in s3.get(bucket, k).decode().splitlines()]
    assert sorted(ids) == sorted(list(range(1, 101)) * 2)


def test_path_variables_and_file_name_pattern(tmp_path, s3, bucket):  # noqa: F811
    fmt = {"format": {"format_type": "JSONL"}, "s3_bucket_path": "lake",
           "s3_path_format": "${STREAM_NAME}/${YEAR}/${MONTH}/${DAY}/${HOUR}${MINUTE}${SECOND}-${MILLISECOND}-${UUID}/",
           "file_name_pattern": "{date}_{part_number}_{sync_id}{format_extension}"}
    before = time.gmtime()
    sync(tmp_path, s3, bucket, [("products", "Full Refresh | Append")], fmt)
    keys = s3.keys(bucket, "lake/")
    assert len(keys) == 1, keys
    m = re.match(r"^lake/products/(\d{4})/(\d{2})/(\d{2})/\d{6}-\d{3}-([0-9a-f-]{36})/(\d{4}_\d{2}_\d{2})_0_0\.jsonl$",
                 keys[0])
    assert m, keys[0]
    assert int(m.group(1)) == before.tm_year and UUID.match(m.group(4))


def test_files_roll_over_and_upload_in_parts(tmp_path, s3, bucket):  # noqa: F811
    r, summary = sync(tmp_path, s3, bucket, [("users", "Full Refresh | Overwrite")],
                      {"format": {"format_type": "JSONL"}, "file_size_mb": 6, "part_size_mb": 5, "upload_threads": 2},
                      count=16000)
    keys = stream_keys(s3, bucket, "users")
    assert len(keys) == 2, keys
    assert [k.rsplit("_", 1)[1] for k in keys] == ["0.jsonl", "1.jsonl"]
    sizes = [s3.client().head_object(Bucket=bucket, Key=k)["ContentLength"] for k in keys]
    assert 6 << 20 <= sizes[0] < (6 << 20) + (5 << 20), sizes  # rolls between batches
    if s3.name == "moto":  # moto keeps the multipart ETag form "<md5>-<parts>"
        assert s3.client().head_object(Bucket=bucket, Key=keys[0])["ETag"].strip('"').endswith("-2")
    rows = [json.loads(line) for k in keys for line in s3.get(bucket, k).decode().splitlines()]
    assert [row["_airbyte_data"]["id"] for row in rows] == list(range(1, 16001))
    assert s3.multipart_uploads(bucket) in ([], None)


def test_dedup_is_rejected_with_a_clear_error(tmp_path, s3, bucket):  # noqa: F811
    p = write_pipeline(tmp_path / "dedup.yaml", {
        "name": "dedup", "source": {"connector": "faker", "config": {"count": 10}},
        "destination": {"connector": "s3", "config": s3_config(s3, bucket)},
        "streams": [{"name": "users", "mode": "Incremental | Append + Deduped", "primary_key": "id",
                     "cursor_field": "updated_at"}],
    })
    r = run("sync", p, check=False)
    assert r.returncode == 2, r.stderr
    assert "stream 'users'" in r.stderr and "does not support append_dedup" in r.stderr, r.stderr
    assert s3.keys(bucket) == []
    # The connector itself refuses it too (e.g. when driven by another platform).
    cfg, catalog = tmp_path / "c.json", tmp_path / "catalog.json"
    cfg.write_text(json.dumps(s3_config(s3, bucket)))
    catalog.write_text(json.dumps({"streams": [{
        "stream": {"name": "users", "json_schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
                   "supported_sync_modes": ["incremental"]},
        "sync_mode": "incremental", "destination_sync_mode": "append_dedup", "primary_key": [["id"]],
        "cursor_field": ["id"]}]}))
    r = run("connector", "destination-s3", "write", "--config", cfg, "--catalog", catalog, input="", check=False)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "destination-s3 does not support destination sync mode append_dedup" in r.stdout + r.stderr
    assert "stream 'users'" in r.stdout + r.stderr


def test_check_writes_lists_and_deletes_a_test_object(tmp_path, s3, bucket):  # noqa: F811
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps(s3_config(s3, bucket)))
    r = run("connector", "destination-s3", "check", "--config", cfg)
    status = [json.loads(line) for line in r.stdout.splitlines() if '"CONNECTION_STATUS"' in line][0]
    assert status["connectionStatus"]["status"] == "SUCCEEDED", status
    assert s3.keys(bucket) == [], "the check object is deleted"


def test_missing_bucket_is_a_config_error_naming_it(tmp_path, s3, bucket):  # noqa: F811
    r, summary = sync(tmp_path, s3, "sluice-no-such-bucket", [("users", "Full Refresh | Overwrite")], check=False)
    assert r.returncode == 2, r.stderr
    assert summary["error"]["failure_type"] == "config_error"
    assert "bucket 'sluice-no-such-bucket' does not exist" in summary["error"]["message"]


def test_wrong_credentials_are_a_config_error(tmp_path, s3, bucket):  # noqa: F811
    if not s3.checks_signatures:
        pytest.skip("s3rver does not verify signatures")
    cfg = tmp_path / "bad.json"
    cfg.write_text(json.dumps(s3_config(s3, bucket, secret_access_key="wrong-secret-value")))
    r = run("connector", "destination-s3", "check", "--config", cfg)
    status = [json.loads(line) for line in r.stdout.splitlines() if '"CONNECTION_STATUS"' in line][0]
    assert status["connectionStatus"]["status"] == "FAILED"
    assert "SignatureDoesNotMatch" in status["connectionStatus"]["message"]
    assert "secret_access_key" in status["connectionStatus"]["message"]
    assert "wrong-secret-value" not in r.stdout + r.stderr
    # A sync fails before reading anything, as a config error.
    r, summary = sync(tmp_path, s3, bucket, [("users", "Full Refresh | Overwrite")],
                      {"secret_access_key": "wrong-secret-value"}, check=False)
    assert r.returncode == 2 and summary["error"]["failure_type"] == "config_error"
    assert "wrong-secret-value" not in r.stdout + r.stderr
    cfg.write_text(json.dumps(s3_config(s3, bucket, access_key_id="AKIANOTAKEY0000000", secret_access_key="x")))
    r = run("connector", "destination-s3", "check", "--config", cfg)
    assert "InvalidAccessKeyId" in r.stdout and "access_key_id" in r.stdout


def test_credentials_from_aws_environment_variables(tmp_path, s3, bucket):  # noqa: F811
    config = s3_config(s3, bucket, format={"format_type": "JSONL"})
    del config["access_key_id"], config["secret_access_key"]
    p = write_pipeline(tmp_path / "env.yaml", {
        "name": "env creds", "source": {"connector": "faker", "config": {"count": 10}},
        "destination": {"connector": "s3", "config": config},
        "streams": [{"name": "products", "mode": "Full Refresh | Overwrite"}],
    })
    run("sync", p, env={"AWS_ACCESS_KEY_ID": s3.access_key, "AWS_SECRET_ACCESS_KEY": s3.secret_key})
    assert len(stream_keys(s3, bucket, "products")) == 1


def test_normalization_writes_one_parquet_dataset_per_table(tmp_path, s3, bucket):  # noqa: F811
    """`normalization: basic` (the connection setting): users flattened, users_tags beside it, linked by hash ids."""
    p = write_pipeline(tmp_path / "norm.yaml", {
        "name": "faker to s3 normalized",
        "source": {"connector": "faker", "config": {"count": 200, "seed": 7}},
        "destination": {"connector": "s3", "config": s3_config(s3, bucket, format={"format_type": "Parquet"})},
        "normalization": "basic",
        "streams": [{"name": "users", "mode": "Full Refresh | Overwrite"}],
    })
    assert json.loads(run("sync", p, "--json", timeout=600).stdout)["status"] == "succeeded"
    tables = {}
    for table in ("users", "users_tags"):
        keys = stream_keys(s3, bucket, table)
        assert len(keys) == 1, (table, keys)
        local = tmp_path / f"{table}.parquet"
        local.write_bytes(s3.get(bucket, keys[0]))
        tables[table] = read_parquet(local, "duckdb")
    users_header, users = tables["users"]
    names = [c["name"] for c in users_header["columns"]]
    assert "address_city" in names and "address" not in names and "tags" not in names
    assert len(users) == 200 and all(u["address_city"] for u in users)
    by_hash = {u["_airbyte_users_hashid"]: u for u in users}
    assert len(by_hash) == 200
    _, tags = tables["users_tags"]
    assert tags and all(t["_airbyte_users_hashid"] in by_hash for t in tags)
