"""Crash loops (issue 20): `sluice sync` SIGKILLed at seeded random moments and run again until a run
completes, for each destination mode and resumable source; then the destination is checked against
the source: zero rows lost, zero duplicates in overwrite and deduplicated modes, at-least-once in
append (duplicates counted and printed). One configuration goes through the server: its
`sluice run-attempt` processes are SIGKILLed and the job's next attempt resumes.

Harness: tests/e2e/crash_loop.py. `make test` runs CRASH_KILLS (3) kills per configuration with
seed 1; `make torture` sets SLUICE_TORTURE=1 and SLUICE_TORTURE_KILLS (100) kills per
configuration. Figures: README.md, "Reliability"."""
import os
import pathlib
import random
import signal
import subprocess
import time

import pytest

from conftest import SLUICE, SOURCE_DIR, write_pipeline
from crash_loop import CrashLoop, pg_data_columns, pg_digest, pg_reset
from pg_server import pg  # noqa: F401  (session fixture)
from s3_server import moto, s3_config  # noqa: F401  (fixture)
from sluice_server import register_secret, sluice_server
from test_platform import attempt_children, create_destination, create_source, wait_job

TORTURE = os.environ.get("SLUICE_TORTURE") == "1"
KILLS = int(os.environ.get("SLUICE_TORTURE_KILLS", "100")) if TORTURE else int(os.environ.get("CRASH_KILLS", "3"))
SEED = int(os.environ.get("SLUICE_CRASH_SEED", "1"))
USERS = 120_000
READER = SOURCE_DIR / "tests" / "js" / "read_parquet.mjs"


def report(loop):
    write_report(loop.summary())


def write_report(line):
    """Prints a figure line and appends it to $SLUICE_CRASH_REPORT (make torture collects them)."""
    print(line)
    with open(os.environ.get("SLUICE_CRASH_REPORT", os.devnull), "a") as fh:
        fh.write(line + "\n")


def faker(count=USERS):
    return {"connector": "faker", "config": {"count": count, "seed": 11, "records_per_slice": 5000}}


# --- faker → destination-postgres, three modes ---

@pytest.mark.parametrize("mode", ["Full Refresh | Overwrite", "Incremental | Append + Deduped", "Incremental | Append"])
def test_faker_to_postgres_killed(pg, tmp_path, mode):  # noqa: F811
    db = pg.create_database("crash_dst")
    state = tmp_path / "p.state"
    stream = {"name": "users", "mode": mode}
    if mode.startswith("Incremental"):
        stream["cursor_field"] = "updated_at"
    if mode.endswith("Deduped"):
        stream["primary_key"] = "id"
    p = write_pipeline(tmp_path / "p.yaml", {
        "name": "faker to pg killed", "source": faker(),
        "destination": {"connector": "postgres", "config": pg.config(db)},
        "streams": [stream], "state": {"file": str(state)}})
    want = {}
    dups = []

    def reset():
        pg_reset(pg, db)
        state.unlink(missing_ok=True)

    def check(cycle):
        cols = want.setdefault("cols", pg_data_columns(pg, db, "users"))
        if cycle < 0:  # the clean run: what every killed cycle must end with
            want["digest"] = pg_digest(pg, db, "users", cols)
            assert want["digest"][0] == USERS
            return
        if mode == "Incremental | Append":
            count, distinct = pg.query(db, "select count(*), count(distinct id) from users")[0]
            assert distinct == USERS, f"cycle {cycle}: rows lost ({distinct} of {USERS} ids)"
            assert pg_digest(pg, db, "users", cols, distinct=True) == want["digest"], "the rows are the source's"
            dups.append(count - USERS)
        else:
            assert pg_digest(pg, db, "users", cols) == want["digest"], f"cycle {cycle}: lost or duplicated rows"

    loop = CrashLoop(f"faker → postgres {mode}", p, SEED, KILLS, reset=reset, check=check)
    loop.calibrate()
    loop.run()
    if dups:
        loop.notes.append(f"{sum(dups)} duplicate rows in {len(dups)} syncs (max {max(dups)} in one)")
    report(loop)


# --- source-postgres → destination-postgres ---

SOURCE_ROWS = 150_000


@pytest.fixture(scope="module")
def pg_source(pg):  # noqa: F811
    db = pg.create_database("crash_src")
    pg.execute(db, f"create table t (id bigint primary key, v text, ts timestamptz); "
                   f"insert into t select i, repeat(md5(i::text), 4), '2024-01-01'::timestamptz + i * interval '1 s' "
                   f"from generate_series(1, {SOURCE_ROWS}) i")
    return db, pg_digest(pg, db, "t", ["id", "v", "ts"])


@pytest.mark.parametrize("mode", ["Full Refresh | Overwrite", "Incremental | Append + Deduped"])
def test_postgres_source_killed(pg, pg_source, tmp_path, mode):  # noqa: F811
    src, want = pg_source
    dst = pg.create_database("crash_src_dst")
    state = tmp_path / "p.state"
    stream = {"name": "t", "mode": mode, "primary_key": "id"}
    if mode.startswith("Incremental"):
        stream["cursor_field"] = "id"
    p = write_pipeline(tmp_path / "p.yaml", {
        "name": "pg to pg killed", "source": {"connector": "postgres", "config": pg.config(src)},
        "destination": {"connector": "postgres", "config": pg.config(dst)},
        "streams": [stream], "state": {"file": str(state)}})

    def reset():
        pg_reset(pg, dst)
        state.unlink(missing_ok=True)

    def check(cycle):
        assert pg_digest(pg, dst, "public.t", ["id", "v", "ts"]) == want, f"cycle {cycle}: lost or duplicated rows"

    loop = CrashLoop(f"source-postgres → postgres {mode}", p, SEED, KILLS, reset=reset, check=check)
    loop.calibrate()
    loop.run()
    report(loop)


# --- faker → Parquet, local and S3 ---

def parquet_digest(folder):
    """(rows, distinct ids, md5 of id|name|email|updated_at in id order) of every .parquet file under
    `folder`, by DuckDB (an independent reader)."""
    files = sorted(str(f) for f in pathlib.Path(folder).rglob("*.parquet"))
    if not files:
        return (0, 0, None)
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    sql = (f"select count(*)::varchar, count(distinct id)::varchar, "
           f"md5(string_agg(concat_ws('|', id, name, email, updated_at), chr(10) order by id)) "
           f"from read_parquet([{listed}])")
    p = subprocess.run(["node", str(READER), "sql", sql], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-3000:]
    rows, distinct, digest = [x for x in p.stdout.splitlines() if x.strip()][-1].strip("[]").replace('"', "").split(",")
    return int(rows), int(distinct), digest


def parquet_check(want, folder_of_cycle):
    def check(cycle):
        got = parquet_digest(folder_of_cycle())
        if cycle < 0:
            assert got[:2] == (USERS, USERS), got
            want["digest"] = got
        else:
            assert got == want["digest"], f"cycle {cycle}: {got[:2]} rows/ids, want {want['digest'][:2]}"
    return check


@pytest.fixture(scope="module", autouse=True)
def node_reader():
    assert (SOURCE_DIR / "tests" / "js" / "node_modules" / "@duckdb" / "node-api").is_dir(), \
        "npm package @duckdb/node-api missing: run scripts/setup.sh"


def test_faker_to_local_parquet_killed(tmp_path):
    out, state = tmp_path / "out", tmp_path / "p.state"
    p = write_pipeline(tmp_path / "p.yaml", {
        "name": "faker to parquet killed", "source": faker(),
        "destination": {"connector": "local", "config": {"destination_path": str(out),
                                                         "format": {"format_type": "Parquet", "block_size_mb": 1}}},
        "streams": [{"name": "users", "mode": "Full Refresh | Overwrite"}], "state": {"file": str(state)}})

    def reset():
        subprocess.run(["rm", "-rf", str(out)], check=True)
        state.unlink(missing_ok=True)

    loop = CrashLoop("faker → local Parquet overwrite", p, SEED, KILLS, reset=reset,
                     check=parquet_check({}, lambda: out))
    loop.calibrate()
    loop.run()
    leftovers = [f for f in out.rglob("*") if f.name.startswith(".")]
    assert not leftovers, f"hidden parts or staging folders left after a completed run: {leftovers[:5]}"
    report(loop)


def test_faker_to_s3_parquet_killed(moto, tmp_path):  # noqa: F811
    state = tmp_path / "p.state"
    current = {}
    open_uploads = []

    def reset():
        current["bucket"] = moto.create_bucket()
        state.unlink(missing_ok=True)
        write_pipeline(tmp_path / "p.yaml", {
            "name": "faker to s3 parquet killed", "source": faker(),
            "destination": {"connector": "s3", "config": s3_config(
                moto, current["bucket"], format={"format_type": "Parquet", "block_size_mb": 5})},
            "streams": [{"name": "users", "mode": "Full Refresh | Overwrite"}], "state": {"file": str(state)}})

    def download():
        folder = tmp_path / f"dl-{current['bucket']}"
        for key in moto.keys(current["bucket"], "airbyte-data/"):
            target = folder / key
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(moto.get(current["bucket"], key))
        open_uploads.append(len(moto.multipart_uploads(current["bucket"]) or []))
        return folder

    reset()
    loop = CrashLoop("faker → S3 Parquet overwrite", tmp_path / "p.yaml", SEED, KILLS, reset=reset,
                     check=parquet_check({}, download))
    loop.calibrate()
    loop.run()
    # Each run aborts the uploads killed runs left in progress under its streams' prefixes
    # (S3StreamWriter::AbortEarlierUploads), so none is left after a completed run.
    loop.notes.append(f"{sum(open_uploads)} multipart uploads left open after the completed runs")
    assert open_uploads and all(n == 0 for n in open_uploads), \
        f"incomplete multipart uploads left after completed runs: {open_uploads}"
    report(loop)


LATE_SOURCE = r'''
import json, os, sys, time
command = sys.argv[1]
if command == "spec":
    print(json.dumps({"type": "SPEC", "spec": {"connectionSpecification": {"type": "object"}}}))
elif command == "check":
    print(json.dumps({"type": "CONNECTION_STATUS", "connectionStatus": {"status": "SUCCEEDED"}}))
elif command == "discover":
    print(json.dumps({"type": "CATALOG", "catalog": {"streams": [{"name": "rows", "json_schema": {"type": "object",
        "properties": {"id": {"type": "integer"}}}, "supported_sync_modes": ["full_refresh"]}]}}))
elif command == "read":
    def out(m):
        sys.stdout.write(json.dumps(m) + "\n")
        sys.stdout.flush()
    out({"type": "RECORD", "record": {"stream": "rows", "emitted_at": 1700000000000, "data": {"id": 1}}})
    out({"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "rows"},
         "stream_state": {"id": 1}}}})
    deadline = time.monotonic() + 60
    while not os.path.exists(GO) and time.monotonic() < deadline:
        time.sleep(0.02)
    out({"type": "RECORD", "record": {"stream": "rows", "emitted_at": 1700000000000, "data": {"id": 2}}})
'''


def test_s3_overwrite_deletes_an_object_a_killed_run_completed_late(moto, tmp_path):  # noqa: F811
    """Found by the crash loop: a run killed just after it asked S3 to complete an upload leaves an
    object the server may finish only after the next run listed the stream's prefix. The overwrite
    must delete it too (it listed again at the end), or the stream holds its rows twice."""
    bucket = moto.create_bucket()
    go, state = tmp_path / "go", tmp_path / "p.state"
    script = tmp_path / "late_source.py"
    script.write_text(f"GO = {str(go)!r}\n" + LATE_SOURCE)
    p = write_pipeline(tmp_path / "p.yaml", {
        "name": "late object", "source": {"command": ["/usr/bin/python3", str(script)], "config": {}},
        "destination": {"connector": "s3", "config": s3_config(moto, bucket, format={"format_type": "JSONL"})},
        "streams": [{"name": "rows", "mode": "Full Refresh | Overwrite"}], "state": {"file": str(state)}})
    proc = subprocess.Popen([SLUICE, "sync", str(p), "--no-progress"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not state.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert state.exists(), "the first checkpoint was not committed"
        # The stream's writer has listed its prefix (Open) and committed a checkpoint: now the
        # killed run's upload completes.
        late = "airbyte-data/rows/rows/2020_01_01_1577836800000_0.jsonl"
        moto.client().put_object(Bucket=bucket, Key=late, Body=b'{"_airbyte_data": {"id": 1}}\n')
        go.touch()
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err[-3000:]
    keys = moto.keys(bucket, "airbyte-data/")
    assert late not in keys and len(keys) >= 1, keys
    assert "appeared after this run began" in err, err[-2000:]


# --- through the server: the attempt process is killed, the job's next attempt resumes ---

def test_server_attempt_killed_next_attempt_resumes(pg, tmp_path):  # noqa: F811
    register_secret(pg.password)
    db = pg.create_database("crash_server_dst")
    rng = random.Random(SEED)
    users = 100_000
    figures = {"kills": 0, "jobs": 0, "attempts": 0}
    with sluice_server(extra_args=["--retry-backoff-seconds", "1"]) as server:
        source_id = create_source(server, {"count": users, "seed": 11, "records_per_slice": 5000})
        destination_id = create_destination(server, "destination-postgres", pg.config(db))
        catalog = server.ok("sources/discover_schema", {"sourceId": source_id})["catalog"]
        for entry in catalog["streams"]:
            entry["config"]["selected"] = entry["stream"]["name"] == "users"
            entry["config"].update(syncMode="incremental", destinationSyncMode="append_dedup",
                                   cursorField=["updated_at"], primaryKey=[["id"]])

        def sync_job():
            """A new connection (fresh state) on an emptied destination; its first job's id."""
            pg_reset(pg, db)
            connection_id = server.ok("connections/create", {
                "sourceId": source_id, "destinationId": destination_id, "name": f"crash {figures['jobs']}",
                "syncCatalog": catalog, "scheduleType": "manual", "status": "active"})["connectionId"]
            figures["jobs"] += 1
            return server.ok("connections/sync", {"connectionId": connection_id})["job"]["id"]

        def check(job):
            assert job["job"]["status"] == "succeeded", job["job"]
            count, distinct = pg.query(db, "select count(*), count(distinct id) from users")[0]
            assert (count, distinct) == (users, users), "zero rows lost, zero duplicates"
            figures["attempts"] += len(job["attempts"])

        started = time.monotonic()
        check(wait_job(server, sync_job(), timeout=600))
        expected = time.monotonic() - started
        cols = pg_data_columns(pg, db, "users")
        want = pg_digest(pg, db, "users", cols)

        while figures["kills"] < KILLS:
            job_id = sync_job()
            killed = set()
            # max_attempts is 3: at most two attempts of a job are killed, the third must finish.
            for _ in range(2):
                if figures["kills"] >= KILLS:
                    break
                deadline = time.monotonic() + 60
                child = None
                while child is None and time.monotonic() < deadline:
                    if server.ok("jobs/get", {"id": job_id})["job"]["status"] not in ("pending", "running", "incomplete"):
                        break
                    fresh = [c for c in attempt_children(server.proc.pid) if c not in killed]
                    child = fresh[0] if fresh else None
                    time.sleep(0.02)
                if child is None:
                    break
                time.sleep(rng.uniform(0.2, expected))
                try:
                    os.kill(child, signal.SIGKILL)
                    killed.add(child)
                    figures["kills"] += 1
                except ProcessLookupError:
                    break  # the attempt finished before its kill moment
            job = wait_job(server, job_id, timeout=600)
            check(job)
            assert pg_digest(pg, db, "users", cols) == want
    write_report(f"server attempt SIGKILL seed {SEED}: {figures['kills']} kills survived in {figures['jobs'] - 1} jobs "
          f"({figures['attempts']} attempts, clean job {expected:.1f} s)")
