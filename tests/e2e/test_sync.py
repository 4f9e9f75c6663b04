"""`sluice sync`: faker → local and file → local in every supported mode, incremental runs,
state files, and a run killed with kill -9 that resumes without loss."""
import gzip
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import SLUICE, data_files, read_records, run, write_pipeline


def faker_pipeline(tmp_path, mode, count=300, fmt=None, streams=("users",), extra_source=None):
    source = {"count": count, "seed": 5, **(extra_source or {})}
    dest = {"destination_path": str(tmp_path / "out")}
    if fmt:
        dest["format"] = fmt
    return write_pipeline(tmp_path / "faker.yaml", {
        "name": "faker test",
        "source": {"connector": "faker", "config": source},
        "destination": {"connector": "local", "config": dest},
        "streams": [{"name": s, "mode": mode} for s in streams],
    })


def sync_json(pipeline, *extra):
    return json.loads(run("sync", pipeline, "--json", *extra).stdout)


def test_full_refresh_overwrite_replaces(tmp_path):
    p = faker_pipeline(tmp_path, "Full Refresh | Overwrite", streams=("users", "products"))
    s = sync_json(p)
    assert s["status"] == "succeeded"
    first = data_files(tmp_path / "out" / "users")
    assert len(read_records(tmp_path / "out" / "users")) == 300
    assert len(read_records(tmp_path / "out" / "products")) == 100
    sync_json(p)
    rows = read_records(tmp_path / "out" / "users")
    assert len(rows) == 300, "overwrite replaces, never appends"
    assert data_files(tmp_path / "out" / "users") != first
    record = rows[0]
    assert set(record) >= {"_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta", "_airbyte_data"}
    assert isinstance(record["_airbyte_data"]["address"], dict)
    assert isinstance(record["_airbyte_data"]["tags"], list)


def test_full_refresh_append_appends(tmp_path):
    p = faker_pipeline(tmp_path, "Full Refresh | Append")
    sync_json(p)
    sync_json(p)
    rows = read_records(tmp_path / "out" / "users")
    assert len(rows) == 600
    assert len({r["_airbyte_raw_id"] for r in rows}) == 600


def test_incremental_append_reads_only_new_records(tmp_path):
    p = faker_pipeline(tmp_path, "Incremental | Append", count=200, streams=("users", "purchases"))
    s1 = sync_json(p)
    state_file = s1["state_file"]
    state = json.loads(open(state_file).read())
    assert {m["stream"]["stream_descriptor"]["name"] for m in state} == {"users", "purchases"}
    # Same count: nothing new.
    s2 = sync_json(p)
    users2 = next(x for x in s2["streams"] if x["stream"] == "users")
    assert users2["records"] == 0
    # More users: only the new ones are read.
    p.write_text(p.read_text().replace("count: 200", "count: 260"))
    s3 = sync_json(p)
    users3 = next(x for x in s3["streams"] if x["stream"] == "users")
    assert users3["records"] == 60
    ids = sorted(r["_airbyte_data"]["id"] for r in read_records(tmp_path / "out" / "users"))
    assert ids == list(range(1, 261))
    # --reset starts over.
    s4 = sync_json(p, "--reset")
    assert next(x for x in s4["streams"] if x["stream"] == "users")["records"] == 260


def test_dedup_is_rejected_by_local_destination(tmp_path):
    p = faker_pipeline(tmp_path, "Incremental | Append + Deduped")
    r = run("sync", p, check=False)
    assert r.returncode == 2
    assert "append_dedup" in r.stderr and "users" in r.stderr


def test_csv_and_gzip_output(tmp_path):
    p = faker_pipeline(tmp_path, "Full Refresh | Overwrite", count=50,
                       fmt={"format_type": "CSV", "compression": "gzip"})
    sync_json(p)
    [f] = data_files(tmp_path / "out" / "users")
    assert f.name.endswith(".csv.gz")
    with gzip.open(f, "rt") as fh:
        import csv
        rows = list(csv.DictReader(fh))
    assert len(rows) == 50
    assert rows[0]["id"] == "1"
    assert json.loads(rows[0]["address"])["city"]


CSV_TEXT = 'id,name,price,when,active\n1,"Smith, Anna",10.5,2024-01-02,true\n2,"Line\nbreak",3,2024-01-03,false\n3,,,,\n'


@pytest.mark.parametrize("compress", ["none", "gzip", "zstd"])
def test_file_to_local(tmp_path, compress):
    src = tmp_path / "orders.csv"
    src.write_text(CSV_TEXT)
    if compress != "none":
        subprocess.run([compress, "-q", str(src)], check=True)
        src = src.with_name(src.name + (".gz" if compress == "gzip" else ".zst"))
    p = write_pipeline(tmp_path / "file.yaml", {
        "name": "file test",
        "source": {"connector": "file", "config": {"streams": [{"name": "orders", "path": str(src)}]}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
    })
    s = sync_json(p)
    assert s["records"] == 3
    rows = [r["_airbyte_data"] for r in read_records(tmp_path / "out" / "orders")]
    assert rows[0] == {"id": 1, "name": "Smith, Anna", "price": 10.5, "when": "2024-01-02", "active": True}
    assert rows[1]["name"] == "Line\nbreak"
    assert rows[2]["name"] is None and rows[2]["price"] is None


def test_jsonl_file_glob_to_local(tmp_path):
    (tmp_path / "in").mkdir()
    for k in range(3):
        with open(tmp_path / "in" / f"part{k}.jsonl", "w") as fh:
            for i in range(10):
                fh.write(json.dumps({"id": k * 10 + i, "tags": ["a", k], "nested": {"x": i}}) + "\n")
    p = write_pipeline(tmp_path / "jsonl.yaml", {
        "name": "jsonl",
        "source": {"connector": "file", "config": {"streams": [{"name": "events", "path": str(tmp_path / "in" / "*.jsonl")}]}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
    })
    sync_json(p)
    rows = [r["_airbyte_data"] for r in read_records(tmp_path / "out" / "events")]
    assert sorted(r["id"] for r in rows) == list(range(30))
    assert rows[0]["nested"] == {"x": 0}


def wait_for(predicate, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_kill_9_then_rerun_loses_nothing(tmp_path):
    count = 400_000
    slice_rows = 5000
    p = faker_pipeline(tmp_path, "Incremental | Append", count=count,
                       fmt={"format_type": "JSONL", "compression": "gzip"},
                       extra_source={"records_per_slice": slice_rows})
    state_file = tmp_path / ".sluice-state" / "faker.state.json"
    proc = subprocess.Popen([SLUICE, "sync", str(p), "--no-progress", "--commit-interval-ms", "20"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: state_file.exists() and "updated_at" in state_file.read_text()), "no checkpoint"
        assert proc.poll() is None, "the sync finished before it could be killed: raise the count"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    users = tmp_path / "out" / "users"
    # Every visible file is complete: it decompresses and parses to the end (read_records would
    # raise otherwise); half-written parts stay hidden as dot-prefixed temporaries.
    before = read_records(users)
    assert 0 < len(before) < count
    cursor = json.loads(state_file.read_text())[0]["stream"]["stream_state"]["updated_at"]
    assert max(r["_airbyte_data"]["updated_at"] for r in before) >= cursor, "the state covers only durable data"
    run("sync", p, "--no-progress")
    ids = [r["_airbyte_data"]["id"] for r in read_records(users)]
    assert set(ids) == set(range(1, count + 1)), "nothing is lost"
    # At-least-once: only records after the last committed checkpoint can be there twice.
    seen, twice = set(), set()
    for i in ids:
        (twice if i in seen else seen).add(i)
    committed_ids = [r["_airbyte_data"]["id"] for r in before if r["_airbyte_data"]["updated_at"] <= cursor]
    assert not twice & set(committed_ids), "records covered by the saved state were read again"


def test_sigterm_stops_cleanly_and_keeps_the_last_state(tmp_path):
    p = faker_pipeline(tmp_path, "Incremental | Append", count=2_000_000,
                       extra_source={"records_per_slice": 5000})
    state_file = tmp_path / ".sluice-state" / "faker.state.json"
    proc = subprocess.Popen([SLUICE, "sync", str(p), "--json", "--commit-interval-ms", "20"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wait_for(lambda: state_file.exists() and "updated_at" in state_file.read_text())
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    summary = json.loads(out)
    assert summary["status"] == "cancelled"
    users = next(s for s in summary["streams"] if s["stream"] == "users")
    assert 0 < users["records_committed"] <= users["records"] < 2_000_000
    saved = json.loads(state_file.read_text())
    cursor = saved[0]["stream"]["stream_state"]["updated_at"]
    # Everything the state covers is on disk, and the next run continues after it.
    rows = read_records(tmp_path / "out" / "users")
    assert max(r["_airbyte_data"]["updated_at"] for r in rows) >= cursor
    assert len(rows) >= users["records_committed"]


@pytest.mark.parametrize("mode,expected_after_two_runs", [("Full Refresh | Overwrite", 3), ("Full Refresh | Append", 6)])
def test_file_to_local_modes(tmp_path, mode, expected_after_two_runs):
    src = tmp_path / "orders.csv"
    src.write_text(CSV_TEXT)
    p = write_pipeline(tmp_path / "file.yaml", {
        "name": "file modes",
        "source": {"connector": "file", "config": {"streams": [{"name": "orders", "path": str(src)}]}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out"),
                                                         "format": {"format_type": "CSV"}}},
        "streams": [{"name": "orders", "mode": mode}],
    })
    sync_json(p)
    sync_json(p)
    import csv
    rows = []
    for f in data_files(tmp_path / "out" / "orders"):
        with open(f, newline="") as fh:
            rows += list(csv.DictReader(fh))
    assert len(rows) == expected_after_two_runs
    assert rows[0]["name"] == "Smith, Anna" and rows[1]["name"] == "Line\nbreak"


def test_file_source_rejects_incremental(tmp_path):
    src = tmp_path / "orders.csv"
    src.write_text(CSV_TEXT)
    p = write_pipeline(tmp_path / "file.yaml", {
        "name": "file incremental",
        "source": {"connector": "file", "config": {"streams": [{"name": "orders", "path": str(src)}]}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": "orders", "mode": "Incremental | Append", "cursor_field": "id"}],
    })
    r = run("sync", p, check=False)
    assert r.returncode == 2
    assert "orders" in r.stderr and "incremental" in r.stderr
