"""source-file over URLs: s3://bucket/key objects (moto_server with signature checking, and s3rver)
and http:// / https:// URLs (Python's http.server; https with a self-signed certificate trusted
through the provider's ca_certificate). CSV, gzip JSONL and Parquet over each scheme must give
exactly the records the same files give when read from local paths; errors name the URL and
never carry secrets."""
import gzip
import json
import shutil
import subprocess

import pytest

from conftest import SLUICE, read_records, run, write_pipeline
from http_file_server import http_server, https_server, web_root  # noqa: F401
from s3_server import bucket, free_port, moto, s3  # noqa: F401

ORDERS_CSV = "id,amount,paid,day,note\n" + "".join(
    f"{i},{i * 1.25},{'true' if i % 2 else 'false'},2024-01-{1 + i % 28:02d},{'' if i % 5 == 0 else 'n' + str(i)}\n"
    for i in range(1, 2001))
EVENTS_JSONL = "".join(json.dumps({"id": i, "at": f"2024-02-03T04:05:{i % 60:02d}Z", "tags": ["a", str(i)],
                                   "v": i / 4}) + "\n" for i in range(1, 3001))


@pytest.fixture(scope="session")
def datasets(tmp_path_factory):
    """Local copies of orders.csv, events.jsonl.gz and users.parquet (written by sluice from faker)."""
    d = tmp_path_factory.mktemp("datasets")
    (d / "orders.csv").write_text(ORDERS_CSV)
    (d / "events.jsonl.gz").write_bytes(gzip.compress(EVENTS_JSONL.encode()))
    p = write_pipeline(d / "parquet.yaml", {
        "name": "users parquet", "source": {"connector": "faker", "config": {"count": 3000, "seed": 5}},
        "destination": {"connector": "local", "config": {
            "destination_path": str(d / "pq"), "format": {"format_type": "Parquet", "compression_codec": "SNAPPY"}}},
        "streams": [{"name": "users", "mode": "Full Refresh | Overwrite"}],
    })
    run("sync", p)
    parquet = [f for f in (d / "pq").rglob("*.parquet")]
    assert len(parquet) == 1, parquet
    shutil.copy(parquet[0], d / "users.parquet")
    return d


NAMES = ["orders.csv", "events.jsonl.gz", "users.parquet"]


def file_sync(tmp_path, streams, provider=None, name="urls", check=True):
    """Syncs source-file `streams` to destination-local; returns (process, summary, records by stream)."""
    config = {"streams": streams}
    if provider:
        config["provider"] = provider
    out = tmp_path / f"out-{name}"
    p = write_pipeline(tmp_path / f"{name}.yaml", {
        "name": name, "source": {"connector": "file", "config": config},
        "destination": {"connector": "local", "config": {"destination_path": str(out)}},
        "streams": [{"name": s["name"], "mode": "Full Refresh | Overwrite"} for s in streams],
    })
    r = run("sync", p, "--json", check=check, timeout=600)
    summary = json.loads(r.stdout) if r.stdout.strip().startswith("{") else None
    records = {s["name"]: [x["_airbyte_data"] for x in read_records(out / s["name"])] for s in streams} \
        if r.returncode == 0 else None
    return r, summary, records


@pytest.fixture(scope="session")
def reference(datasets, tmp_path_factory):
    """The records of each dataset read from its local path."""
    tmp = tmp_path_factory.mktemp("reference")
    _, _, records = file_sync(tmp, [{"name": n.split(".")[0], "path": str(datasets / n)} for n in NAMES], name="ref")
    assert len(records["orders"]) == 2000 and len(records["events"]) == 3000 and len(records["users"]) == 3000
    return records


def discover(tmp_path, config):
    cfg = tmp_path / "discover.json"
    cfg.write_text(json.dumps(config))
    out = run("connector", "source-file", "discover", "--config", cfg).stdout
    catalog = next(json.loads(line) for line in out.splitlines() if '"CATALOG"' in line)["catalog"]
    return {s["name"]: s["json_schema"]["properties"] for s in catalog["streams"]}


def check_types(props):
    assert "integer" in json.dumps(props["orders"]["id"]) and "number" in json.dumps(props["orders"]["amount"])
    assert "boolean" in json.dumps(props["orders"]["paid"]) and '"date"' in json.dumps(props["orders"]["day"])
    assert "timestamp_with_timezone" in json.dumps(props["events"]["at"])
    assert "array" in json.dumps(props["events"]["tags"])
    assert "integer" in json.dumps(props["users"]["id"])


def s3_provider(server):
    return {"storage": "S3", "aws_access_key_id": server.access_key, "aws_secret_access_key": server.secret_key,
            "endpoint": server.endpoint, "region": server.region}


def test_s3_urls_read_like_local_files(tmp_path, s3, bucket, datasets, reference):  # noqa: F811
    for n in NAMES:
        s3.client().put_object(Bucket=bucket, Key=f"in/{n}", Body=(datasets / n).read_bytes())
    streams = [{"name": n.split(".")[0], "url": f"s3://{bucket}/in/{n}"} for n in NAMES]
    check_types(discover(tmp_path, {"streams": streams, "provider": s3_provider(s3)}))
    r, summary, records = file_sync(tmp_path, streams, s3_provider(s3))
    assert summary["status"] == "succeeded"
    assert records == reference
    assert s3.secret_key not in r.stdout + r.stderr


def test_s3_glob_and_per_stream_provider(tmp_path, s3, bucket):  # noqa: F811
    lines = ORDERS_CSV.splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    parts = {"parts/p1.csv": body[:700], "parts/p2.csv": body[700:1500], "parts/p3.csv.gz": body[1500:],
             "parts/sub/nested.csv": body[:5], "parts/notes.txt": ["x\n"]}
    for key, rows in parts.items():
        data = (header + "".join(rows)).encode()
        s3.client().put_object(Bucket=bucket, Key=key, Body=gzip.compress(data) if key.endswith(".gz") else data)
    streams = [{"name": "orders", "glob": f"s3://{bucket}/parts/*.csv*", "format": "csv", "provider": s3_provider(s3)},
               {"name": "first", "path": f"s3://{bucket}/parts/p?.csv", "provider": s3_provider(s3)}]
    _, summary, records = file_sync(tmp_path, streams)
    assert summary["status"] == "succeeded"
    assert [o["id"] for o in records["orders"]] == list(range(1, 2001)), "p1, p2, p3.gz in name order; not sub/"
    assert [o["id"] for o in records["first"]] == list(range(1, 1501))


def test_s3_errors_name_the_object_and_hide_secrets(tmp_path, s3, bucket):  # noqa: F811
    s3.client().put_object(Bucket=bucket, Key="e/a.csv", Body=b"x\n1\n")
    r, summary, _ = file_sync(tmp_path, [{"name": "a", "path": f"s3://{bucket}/e/missing.csv"}], s3_provider(s3),
                              check=False)
    assert r.returncode == 2 and summary["error"]["failure_type"] == "config_error", r.stderr[-2000:]
    assert f"s3://{bucket}/e/missing.csv does not exist" in summary["error"]["message"]

    r, summary, _ = file_sync(tmp_path, [{"name": "a", "path": "s3://sluice-no-such-bucket/a.csv"}], s3_provider(s3),
                              check=False)
    assert r.returncode == 2 and "bucket 'sluice-no-such-bucket' does not exist" in summary["error"]["message"]

    r, summary, _ = file_sync(tmp_path, [{"name": "a", "glob": f"s3://{bucket}/e/*.jsonl"}], s3_provider(s3),
                              check=False)
    assert r.returncode == 2 and f"no file matches glob 's3://{bucket}/e/*.jsonl'" in summary["error"]["message"]

    if s3.checks_signatures:
        bad = dict(s3_provider(s3), aws_secret_access_key="not-the-real-secret")
        for stream in ({"name": "a", "path": f"s3://{bucket}/e/a.csv"}, {"name": "a", "glob": f"s3://{bucket}/e/*.csv"}):
            r, summary, _ = file_sync(tmp_path, [stream], bad, check=False)
            assert r.returncode == 2 and summary["error"]["failure_type"] == "config_error", r.stderr[-2000:]
            assert f"s3://{bucket}/e/" in summary["error"]["message"], summary["error"]
            assert "not-the-real-secret" not in r.stdout + r.stderr


def test_http_and_https_urls_read_like_local_files(tmp_path, http_server, https_server, web_root,  # noqa: F811
                                                    datasets, reference):
    for n in NAMES:
        shutil.copy(datasets / n, web_root / n)
    https_provider = {"storage": "HTTPS", "ca_certificate": https_server.cert_pem}
    for server in (http_server, https_server):
        streams = [{"name": n.split(".")[0], "url": server.url(n)} for n in NAMES]
        provider = https_provider if server is https_server else None
        check_types(discover(tmp_path, {"streams": streams, **({"provider": provider} if provider else {})}))
        _, summary, records = file_sync(tmp_path, streams, provider, name=server.base.split(":")[0])
        assert summary["status"] == "succeeded"
        assert records == reference, server.base
    # A query string is not part of the file name (format from .csv), and a stream may bring its own provider.
    _, _, records = file_sync(tmp_path, [{"name": "orders", "url": https_server.url("orders.csv?v=1"),
                                          "provider": https_provider}], name="query")
    assert records["orders"] == reference["orders"]


def test_https_certificate_must_be_trusted(tmp_path, https_server, web_root):  # noqa: F811
    (web_root / "t.csv").write_text("a\n1\n")
    r, summary, _ = file_sync(tmp_path, [{"name": "t", "url": https_server.url("t.csv")}], check=False)
    assert r.returncode == 2 and summary["error"]["failure_type"] == "config_error", r.stderr[-2000:]
    message = summary["error"]["message"]
    assert https_server.url("t.csv") in message and "certificate" in message, message


def test_http_errors_name_the_url_without_secrets(tmp_path, http_server, web_root):  # noqa: F811
    r, summary, _ = file_sync(tmp_path, [{"name": "m", "url": http_server.url("missing.csv?sig=TOPSECRET")}],
                              check=False)
    assert r.returncode == 2 and summary["error"]["failure_type"] == "config_error", r.stderr[-2000:]
    message = summary["error"]["message"]
    assert f"GET {http_server.url('missing.csv')}?...: HTTP 404 (not found)" in message, message
    assert "TOPSECRET" not in r.stdout + r.stderr

    port = free_port()  # nothing listens there
    r, summary, _ = file_sync(tmp_path, [{"name": "m", "url": f"http://user:pw-secret@127.0.0.1:{port}/x.csv"}],
                              check=False)
    assert r.returncode == 3 and summary["error"]["failure_type"] == "transient_error", r.stderr[-2000:]
    assert f"cannot reach http://127.0.0.1:{port}/x.csv" in summary["error"]["message"], summary["error"]
    assert "pw-secret" not in r.stdout + r.stderr

    r, summary, _ = file_sync(tmp_path, [{"name": "m", "glob": http_server.url("*.csv")}], check=False)
    assert r.returncode == 2 and "cannot be globs" in summary["error"]["message"]


def test_large_http_file_is_streamed_not_loaded(tmp_path, http_server, web_root):  # noqa: F811
    # ~150 MB of CSV; the sync's peak RSS must stay far below the file's size.
    row = "x" * 140
    with open(web_root / "big.csv", "w") as fh:
        fh.write("id,payload\n")
        for start in range(0, 1_000_000, 100_000):
            fh.write("".join(f"{i},{row}\n" for i in range(start, start + 100_000)))
    size = (web_root / "big.csv").stat().st_size
    p = write_pipeline(tmp_path / "big.yaml", {
        "name": "big", "source": {"connector": "file", "config": {"streams": [
            {"name": "big", "url": http_server.url("big.csv"), "schema": {"id": "integer", "payload": "string"}}]}},
        "destination": {"connector": "dev-null", "config": {}},
        "streams": [{"name": "big", "mode": "Full Refresh | Overwrite"}],
    })
    r = subprocess.run(["/usr/bin/time", "-f", "MAXRSS_KB %M", SLUICE, "sync", str(p), "--json"], capture_output=True,
                       text=True, timeout=600)
    (web_root / "big.csv").unlink()
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(r.stdout)["records"] == 1_000_000
    peak_kb = int(r.stderr.strip().splitlines()[-1].split()[-1])
    assert peak_kb * 1024 < size / 2, f"peak RSS {peak_kb} KB for a {size} byte file"
