"""source-s3 against moto_server (signature checking on) and s3rver: discovery, CSV / JSONL /
Parquet reading, globs, incremental reads by modification time with Airbyte's file-based state,
and the round trip faker → destination-s3 (Parquet) → source-s3 → destination-local, which must
give back exactly the faker records."""
import gzip
import json
import time

from conftest import read_records, run, write_pipeline
from s3_server import bucket, s3, s3_config  # noqa: F401

HIDDEN = ("_airbyte_", "_ab_source_file_")


def source_config(server, bucket_name, streams, **extra):
    config = {"bucket": bucket_name, "aws_access_key_id": server.access_key,
              "aws_secret_access_key": server.secret_key, "endpoint": server.endpoint, "streams": streams}
    config.update(extra)
    return config


def to_local(tmp_path, server, bucket_name, streams, modes, name="read.yaml", out="out"):
    p = write_pipeline(tmp_path / name, {
        "name": "s3 to local",
        "source": {"connector": "s3", "config": source_config(server, bucket_name, streams)},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / out)}},
        "streams": [{"name": s, "mode": m} for s, m in modes],
    })
    r = run("sync", p, "--json", timeout=600)
    assert server.secret_key not in r.stdout + r.stderr
    return json.loads(r.stdout)


def faker_reference(tmp_path, streams, count, seed):
    p = write_pipeline(tmp_path / "reference.yaml", {
        "name": "reference", "source": {"connector": "faker", "config": {"count": count, "seed": seed}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "reference")}},
        "streams": [{"name": s, "mode": "Full Refresh | Overwrite"} for s in streams],
    })
    run("sync", p)
    return {s: [r["_airbyte_data"] for r in read_records(tmp_path / "reference" / s)] for s in streams}


def test_round_trip_faker_parquet_s3_back_to_local(tmp_path, s3, bucket):  # noqa: F811
    streams = ["users", "purchases"]
    p = write_pipeline(tmp_path / "to_s3.yaml", {
        "name": "faker to s3", "source": {"connector": "faker", "config": {"count": 20000, "seed": 11}},
        "destination": {"connector": "s3", "config": s3_config(
            s3, bucket, format={"format_type": "Parquet", "compression_codec": "ZSTD", "block_size_mb": 1},
            file_size_mb=1)},
        "streams": [{"name": s, "mode": "Full Refresh | Overwrite"} for s in streams],
    })
    run("sync", p)
    assert len(s3.keys(bucket, "airbyte-data/users/")) >= 2, "several files, so the source reads across files"

    summary = to_local(tmp_path, s3, bucket, [
        {"name": s, "globs": [f"airbyte-data/{s}/**/*.parquet"], "format": {"filetype": "parquet"}} for s in streams],
        [(s, "Full Refresh | Overwrite") for s in streams])
    assert summary["status"] == "succeeded"
    expected = faker_reference(tmp_path, streams, 20000, 11)
    for s in streams:
        rows = [r["_airbyte_data"] for r in read_records(tmp_path / "out" / s)]
        got = [{k: v for k, v in r.items() if not k.startswith(HIDDEN)} for r in rows]
        key = "id"
        assert sorted(got, key=lambda r: r[key]) == sorted(expected[s], key=lambda r: r[key]), s
        assert all(r["_ab_source_file_url"].startswith(f"airbyte-data/{s}/") for r in rows)
        assert all(r["_ab_source_file_last_modified"].endswith("Z") for r in rows)
        assert all(isinstance(r["_airbyte_meta"], dict) for r in rows), "the destination's columns came along"


def put(server, bucket_name, key, body):
    server.client().put_object(Bucket=bucket_name, Key=key, Body=body)


def test_discover_infers_types_from_csv_jsonl_and_parquet(tmp_path, s3, bucket):  # noqa: F811
    put(s3, bucket, "raw/orders/2024/a.csv", b"id,amount,paid,day,note\n1,9.5,true,2024-01-02,x\n2,10,false,2024-01-03,\n")
    put(s3, bucket, "raw/events/e1.jsonl.gz", gzip.compress(
        b'{"id": 1, "at": "2024-01-02T03:04:05Z", "tags": ["a"], "v": 1.5}\n{"id": 2, "at": null, "v": 2}\n'))
    streams = [
        {"name": "orders", "globs": ["raw/orders/**/*.csv"],
         "format": {"filetype": "csv", "inference_type": "Primitive Types Only"}, "primary_key": "id"},
        {"name": "orders_text", "globs": ["raw/orders/**"], "format": {"filetype": "csv"}},
        {"name": "events", "globs": ["raw/{events,none}/*.jsonl.gz"], "format": {"filetype": "jsonl"}},
    ]
    cfg = tmp_path / "src.json"
    cfg.write_text(json.dumps(source_config(s3, bucket, streams)))
    out = run("connector", "source-s3", "discover", "--config", cfg).stdout
    catalog = next(json.loads(line) for line in out.splitlines() if '"CATALOG"' in line)["catalog"]
    by_name = {s["name"]: s for s in catalog["streams"]}
    props = by_name["orders"]["json_schema"]["properties"]
    assert list(props) == ["id", "amount", "paid", "day", "note", "_ab_source_file_last_modified",
                           "_ab_source_file_url"]
    assert "integer" in json.dumps(props["id"]) and "number" in json.dumps(props["amount"])
    assert "boolean" in json.dumps(props["paid"]) and '"date"' in json.dumps(props["day"])
    assert by_name["orders"]["source_defined_primary_key"] == [["id"]]
    assert by_name["orders"]["default_cursor_field"] == ["_ab_source_file_last_modified"]
    assert set(by_name["orders"]["supported_sync_modes"]) == {"full_refresh", "incremental"}
    assert all("string" in json.dumps(v) for v in by_name["orders_text"]["json_schema"]["properties"].values())
    ev = by_name["events"]["json_schema"]["properties"]
    assert "integer" in json.dumps(ev["id"]) and "timestamp_with_timezone" in json.dumps(ev["at"])
    assert "number" in json.dumps(ev["v"]) and "array" in json.dumps(ev["tags"])

    summary = to_local(tmp_path, s3, bucket, streams, [("orders", "Full Refresh | Overwrite"),
                                                        ("events", "Full Refresh | Overwrite")])
    assert summary["status"] == "succeeded"
    orders = [r["_airbyte_data"] for r in read_records(tmp_path / "out" / "orders")]
    assert [(o["id"], o["amount"], o["paid"], o["day"], o["note"]) for o in orders] == [
        (1, 9.5, True, "2024-01-02", "x"), (2, 10.0, False, "2024-01-03", None)]
    assert orders[0]["_ab_source_file_url"] == "raw/orders/2024/a.csv"
    events = [r["_airbyte_data"] for r in read_records(tmp_path / "out" / "events")]
    assert [(e["id"], e["at"], e["tags"], e["v"]) for e in events] == [
        (1, "2024-01-02T03:04:05Z", ["a"], 1.5), (2, None, None, 2.0)]


def test_bad_values_are_nulled_or_skipped_by_validation_policy(tmp_path, s3, bucket):  # noqa: F811
    put(s3, bucket, "typed/x.csv", b"id,n\n1,5\n2,oops\n3,7\n")
    schema = json.dumps({"id": "integer", "n": "integer"})
    streams = [{"name": "emit", "globs": ["typed/*.csv"], "format": {"filetype": "csv"}, "input_schema": schema},
               {"name": "skip", "globs": ["typed/*.csv"], "format": {"filetype": "csv"}, "input_schema": schema,
                "validation_policy": "Skip Record"}]
    to_local(tmp_path, s3, bucket, streams, [("emit", "Full Refresh | Overwrite"), ("skip", "Full Refresh | Overwrite")])
    emit = read_records(tmp_path / "out" / "emit")
    assert [r["_airbyte_data"]["n"] for r in emit] == [5, None, 7]
    assert emit[1]["_airbyte_meta"]["changes"] == [
        {"field": "n", "change": "NULLED", "reason": "SOURCE_SERIALIZATION_ERROR"}]
    assert [r["_airbyte_data"]["id"] for r in read_records(tmp_path / "out" / "skip")] == [1, 3]


def test_incremental_reads_only_new_and_changed_objects(tmp_path, s3, bucket):  # noqa: F811
    put(s3, bucket, "inc/a.jsonl", b'{"id": 1}\n{"id": 2}\n')
    put(s3, bucket, "inc/b.jsonl", b'{"id": 3}\n')
    put(s3, bucket, "other/c.jsonl", b'{"id": 99}\n')
    streams = [{"name": "items", "globs": ["inc/*.jsonl"], "format": {"filetype": "jsonl"}}]
    modes = [("items", "Incremental | Append")]
    s1 = to_local(tmp_path, s3, bucket, streams, modes)
    assert s1["records"] == 3
    state = json.loads(open(s1["state_file"]).read())
    blob = state[0]["stream"]["stream_state"]
    assert set(blob["history"]) == {"inc/a.jsonl", "inc/b.jsonl"}
    assert blob["_ab_source_file_last_modified"].endswith(("_inc/a.jsonl", "_inc/b.jsonl"))

    s2 = to_local(tmp_path, s3, bucket, streams, modes)
    assert s2["records"] == 0, "nothing new"

    time.sleep(1.1)  # S3 modification times have a resolution of one second
    put(s3, bucket, "inc/d.jsonl", b'{"id": 4}\n{"id": 5}\n')
    put(s3, bucket, "inc/a.jsonl", b'{"id": 1}\n{"id": 2}\n{"id": 6}\n')  # rewritten: read again
    s3_ = to_local(tmp_path, s3, bucket, streams, modes)
    assert s3_["records"] == 5
    ids = sorted(r["_airbyte_data"]["id"] for r in read_records(tmp_path / "out" / "items"))
    assert ids == [1, 1, 2, 2, 3, 4, 5, 6]
    state = json.loads(open(s3_["state_file"]).read())
    assert set(state[0]["stream"]["stream_state"]["history"]) == {"inc/a.jsonl", "inc/b.jsonl", "inc/d.jsonl"}


def test_check_reports_wrong_credentials_and_missing_bucket(tmp_path, s3, bucket):  # noqa: F811
    put(s3, bucket, "p/a.csv", b"x\n1\n")
    streams = [{"name": "p", "globs": ["p/*.csv"], "format": {"filetype": "csv"}}]
    cfg = tmp_path / "c.json"

    def check(config):
        cfg.write_text(json.dumps(config))
        out = run("connector", "source-s3", "check", "--config", cfg).stdout
        return next(json.loads(line) for line in out.splitlines() if '"CONNECTION_STATUS"' in line)["connectionStatus"]

    assert check(source_config(s3, bucket, streams))["status"] == "SUCCEEDED"
    missing = check(source_config(s3, "sluice-missing-bucket", streams))
    assert missing["status"] == "FAILED" and "bucket 'sluice-missing-bucket' does not exist" in missing["message"]
    if s3.checks_signatures:
        bad = check(source_config(s3, bucket, streams, aws_secret_access_key="not-the-secret"))
        assert bad["status"] == "FAILED" and "SignatureDoesNotMatch" in bad["message"]
        assert "not-the-secret" not in json.dumps(bad)
