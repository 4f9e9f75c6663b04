"""destination-s3 uploads while it encodes (row groups of at most one part go on the wire while the
next is encoded; a checkpoint waits only for the rest). The overlap must not loosen durability:
a part that fails in the middle of a file leaves no object for that checkpoint, the saved state
stays at the last checkpoint whose objects are complete, the multipart upload is aborted and the
error names the object; the next run resumes from there with no loss and no duplicates.
Runs on moto_server and s3rver, through the fault proxy of test_s3_failures.py."""
import json
import re

import pytest

from conftest import run, write_pipeline
from s3_server import bucket, s3, s3_config, read_parquet, timestamp_micros  # noqa: F401
from test_s3_failures import FaultProxy

COUNT = 180_000
# A checkpoint every 60000 users: ~16 MB of uncompressed Parquet; with 5 MiB parts the first row
# group (~10 MB) is uploaded as part 1 while the rest of the file is encoded, then part 2.
SLICE = 60_000


@pytest.fixture
def proxy(s3):  # noqa: F811
    p = FaultProxy(int(s3.endpoint.rsplit(":", 1)[1]))
    yield p
    p.close()


def sync(tmp_path, s3, bucket, endpoint, check=True):  # noqa: F811
    p = write_pipeline(tmp_path / "overlap.yaml", {
        "name": "faker to s3, incremental append",
        "source": {"connector": "faker", "config": {"count": COUNT, "seed": 5, "records_per_slice": SLICE}},
        "destination": {"connector": "s3", "config": s3_config(
            s3, bucket, s3_endpoint=endpoint, part_size_mb=5, upload_threads=2,
            format={"format_type": "Parquet", "compression_codec": "UNCOMPRESSED"})},
        "streams": [{"name": "users", "mode": "Incremental | Append"}],
    })
    r = run("sync", p, "--json", "--state-file", tmp_path / "state.json", "--commit-interval-ms", "0",
            check=check, timeout=300)
    assert s3.secret_key not in r.stdout + r.stderr
    return r, json.loads(r.stdout)


def visible_rows(tmp_path, s3, bucket):  # noqa: F811
    """Every row of every object under the stream's prefix (each must be a whole Parquet file)."""
    rows = []
    for i, key in enumerate(s3.keys(bucket, "airbyte-data/users/")):
        path = tmp_path / f"obj-{i}.parquet"
        path.write_bytes(s3.get(bucket, key))
        _, file_rows = read_parquet(path, "duckdb")
        rows += file_rows
    return rows


def saved_cursor(tmp_path):
    text = json.dumps(json.loads((tmp_path / "state.json").read_text()))
    m = re.search(r'"updated_at": "([^"]+)"', text)
    assert m, text
    return timestamp_micros(m.group(1))


def test_a_part_failing_mid_file_completes_nothing_and_keeps_the_state(tmp_path, s3, bucket, proxy):  # noqa: F811
    # The first checkpoint's file passes; every part of the second ("..._1.parquet") is cut, the
    # first of them sent while that file is still being encoded.
    proxy.cut_parts_of = "_1.parquet?"

    r, summary = sync(tmp_path, s3, bucket, proxy.endpoint, check=False)
    assert r.returncode == 3, r.stderr[-3000:]
    assert summary["error"]["failure_type"] == "transient_error", summary["error"]
    message = summary["error"]["message"]
    m = re.search(rf"s3://{bucket}/(airbyte-data/users/\S+\.parquet)", message)
    assert m, f"the error names the object: {message}"
    failed_key = m.group(1)
    assert proxy.cut >= 1

    # Only complete objects are visible, the failed one is not among them, its upload was aborted.
    keys = s3.keys(bucket, "airbyte-data/users/")
    assert failed_key not in keys
    assert len(keys) == 1 and keys[0].endswith("_0.parquet"), keys
    assert failed_key.endswith("_1.parquet")
    assert s3.multipart_uploads(bucket) in ([], None)
    assert any(m == "DELETE" and "uploadId=" in t for m, t in proxy.requests), "AbortMultipartUpload was sent"

    # The state covers exactly what is durable: the committed count is the rows in the objects,
    # and the saved cursor is the newest of them.
    rows = visible_rows(tmp_path, s3, bucket)
    committed = sum(s["records_committed"] for s in summary["streams"])
    assert committed == len(rows) == SLICE, (committed, len(rows))
    assert saved_cursor(tmp_path) == max(int(row["updated_at"]) for row in rows)

    # The link heals: the next run resumes after the saved state; nothing lost, nothing twice.
    proxy.cut_parts_of = None
    _, summary = sync(tmp_path, s3, bucket, proxy.endpoint)
    assert summary["status"] == "succeeded"
    ids = sorted(int(row["id"]) for row in visible_rows(tmp_path, s3, bucket))
    assert ids == list(range(1, COUNT + 1))
    assert s3.multipart_uploads(bucket) in ([], None)
