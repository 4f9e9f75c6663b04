"""A full disk (issue 20) under the local destination, the state file and the server's data dir:
a clear error naming the path, no corrupt state, and the next run after space is freed completes
with the right data.

The disk is a real tmpfs of a few MB, mounted without root in a user + mount namespace
(`unshare -rm`): a holder process (`sleep`) keeps the namespace alive, and sluice, outside it,
reaches the mount through `/proc/<holder>/root/<mount point>` — so writes fail with ENOSPC exactly
as on a full disk (an RLIMIT_FSIZE limit would give EFBIG, "file too large", a different error
path). Skipped where unprivileged user namespaces are disabled."""
import contextlib
import gzip
import json
import os
import pathlib
import re
import subprocess
import time

import pytest

from conftest import run, write_pipeline


@contextlib.contextmanager
def small_disk(mount_point, size_mb):
    """A `size_mb` MB tmpfs over `mount_point`, as a path reachable from this namespace."""
    mount_point = pathlib.Path(mount_point)
    mount_point.mkdir(parents=True, exist_ok=True)
    try:
        holder = subprocess.Popen(
            ["unshare", "-rm", "sh", "-c",
             f"mount -t tmpfs -o size={size_mb}m sluice-full '{mount_point}' && echo ready && exec sleep 3600"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except FileNotFoundError:
        pytest.skip("unshare (util-linux) is not installed")
    line = holder.stdout.readline().strip()
    if line != "ready":
        holder.wait()
        pytest.skip(f"cannot mount a tmpfs in a user namespace: {holder.stderr.read().strip()}")
    root = pathlib.Path(f"/proc/{holder.pid}/root") / mount_point.relative_to("/")
    try:
        yield root
    finally:
        holder.kill()
        holder.wait()


def fill(disk, leave_kb):
    """Fills `disk` with a file `filler` until only about `leave_kb` KB are free."""
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    size = max(0, free - leave_kb * 1024)
    written = 0
    with open(disk / "filler", "wb") as fh:
        while written < size:
            try:
                written += fh.write(b"\0" * min(1 << 20, size - written))
            except OSError:  # something else took the last bytes meanwhile: full is full
                break
    return written


def faker(count):
    return {"connector": "faker", "config": {"count": count, "seed": 7, "records_per_slice": 500}}


ID = re.compile(rb'"_airbyte_data":\{"id":(\d+)[,}]')


def ids(folder):
    """The `id` of every record under a destination-local JSONL folder (gzip or not), quickly: a
    regular expression on each line, json only where it does not match."""
    out = []
    for f in sorted(pathlib.Path(folder).rglob("*.jsonl*")):
        if f.name.startswith("."):
            continue
        with (gzip.open if f.name.endswith(".gz") else open)(f, "rb") as fh:
            for line in fh:
                m = ID.search(line)
                out.append(int(m.group(1)) if m else json.loads(line)["_airbyte_data"]["id"])
    return out


def test_local_destination_and_state_on_a_full_disk(tmp_path):
    with small_disk(tmp_path / "mnt", 64) as disk:
        out, state = disk / "out", disk / "p.state"
        doc = {"name": "full disk", "source": faker(2000),
               "destination": {"connector": "local", "config": {"destination_path": str(out)}},
               "streams": [{"name": "users", "mode": "Incremental | Append", "cursor_field": "updated_at"}],
               "state": {"file": str(state)}}
        p = write_pipeline(tmp_path / "p.yaml", doc)
        run("sync", p, "--no-progress")
        saved = json.loads(state.read_text())
        assert sorted(ids(out / "users")) == list(range(1, 2001))

        # 30,000 more users (about 12 MB of JSONL) on a disk with about 1 MB free.
        doc["source"] = faker(32000)
        write_pipeline(p, doc)
        fill(disk, 1024)
        # Every checkpoint committed at once: data parts and the state file both meet the full disk.
        failed = run("sync", p, "--no-progress", "--commit-interval-ms", "0", check=False)
        assert failed.returncode == 3, f"a full disk is a transient error (exit 3):\n{failed.stderr[-3000:]}"
        assert "No space left on device" in failed.stderr, failed.stderr[-3000:]
        assert str(out) in failed.stderr or str(state) in failed.stderr, \
            f"the error names the path:\n{failed.stderr[-3000:]}"
        after = json.loads(state.read_text())  # still whole JSON: never half written
        assert after == saved or after[0]["stream"]["stream_state"] != saved[0]["stream"]["stream_state"]
        got = ids(out / "users")
        assert set(range(1, 2001)) <= set(got), "the first sync's rows are intact"
        hidden = [f.name for f in (out / "users").iterdir() if f.name.startswith(".")]
        print(f"full disk: exit {failed.returncode}, {len(got)} rows visible, hidden leftovers {hidden}; "
              f"error: {[line for line in failed.stderr.splitlines() if 'No space' in line][:1]}")

        (disk / "filler").unlink()
        run("sync", p, "--no-progress")
        got = ids(out / "users")
        assert set(got) == set(range(1, 32001)), "nothing lost"
        print(f"full disk, then freed: {len(got) - len(set(got))} rows written twice (append is at-least-once)")
        assert len(got) == len(set(got)), f"{len(got) - len(set(got))} rows written twice"
        assert not [f for f in (out / "users").iterdir() if f.name.startswith(".")], "no hidden part left"


def test_local_overwrite_on_a_full_disk_keeps_the_old_data(tmp_path):
    with small_disk(tmp_path / "mnt", 64) as disk:
        out, state = disk / "out", tmp_path / "p.state"
        doc = {"name": "full disk overwrite", "source": faker(2000),
               "destination": {"connector": "local", "config": {"destination_path": str(out)}},
               "streams": [{"name": "users", "mode": "Full Refresh | Overwrite"}], "state": {"file": str(state)}}
        p = write_pipeline(tmp_path / "p.yaml", doc)
        run("sync", p, "--no-progress")
        doc["source"] = faker(32000)
        write_pipeline(p, doc)
        fill(disk, 1024)
        failed = run("sync", p, "--no-progress", check=False)
        assert failed.returncode == 3, failed.stderr[-3000:]
        assert "No space left on device" in failed.stderr and str(out) in failed.stderr, failed.stderr[-3000:]
        assert sorted(ids(out / "users")) == list(range(1, 2001)), "the previous data is whole"
        assert not [f for f in out.iterdir() if ".sluice-staging-" in f.name], "the staging folder is removed"
        (disk / "filler").unlink()
        run("sync", p, "--no-progress")
        assert sorted(ids(out / "users")) == list(range(1, 32001))


def test_state_file_on_a_full_disk(tmp_path):
    """The data has room, the state file's disk is full: the first commit fails naming the state
    file, the saved state is the previous one, whole, and no temp file is left beside it."""
    with small_disk(tmp_path / "statedisk", 1) as disk:
        out, state = tmp_path / "out", disk / "p.state"
        doc = {"name": "state on a full disk", "source": faker(2000),
               "destination": {"connector": "local", "config": {"destination_path": str(out)}},
               "streams": [{"name": "users", "mode": "Incremental | Append", "cursor_field": "updated_at"}],
               "state": {"file": str(state)}}
        p = write_pipeline(tmp_path / "p.yaml", doc)
        run("sync", p, "--no-progress")
        saved = state.read_text()
        doc["source"] = faker(6000)
        write_pipeline(p, doc)
        fill(disk, 0)
        failed = run("sync", p, "--no-progress", "--commit-interval-ms", "0", check=False)
        assert failed.returncode == 3, failed.stderr[-3000:]
        assert f"'{state}.tmp': No space left on device" in failed.stderr, failed.stderr[-3000:]
        assert state.read_text() == saved, "the saved state is the previous one, whole"
        assert not (disk / "p.state.tmp").exists(), "no half-written temp file"
        (disk / "filler").unlink()
        run("sync", p, "--no-progress")
        got = ids(out / "users")
        assert set(got) == set(range(1, 6001)), "nothing lost"
        # The rows of the checkpoint whose state could not be saved are visible and read again:
        # at-least-once, as for a kill between a destination commit and the state's.
        print(f"state on a full disk: {len(got) - len(set(got))} rows written twice after the failed commit")


def test_server_data_dir_on_a_full_disk(tmp_path):
    """The server's data dir (SQLite store, attempt logs) fills up in the middle of a sync, then
    while idle: the sync's job still ends with every row, a request that must write answers 503
    naming the store and saying the disk is full, and after space is freed (and a restart) the
    store is whole and the next sync completes from the saved state."""
    from sluice_server import SluiceServer
    from test_platform import all_log_lines, create_connection, create_destination, create_source, wait_job, wait_state
    users = 150_000
    with small_disk(tmp_path / "datadisk", 64) as disk:
        # SQLite resolves the /proc/<pid>/root link (and would leave the mount), so the server runs
        # inside the holder's namespaces and sees the mount at its own path.
        class InsideServer(SluiceServer):
            def command(self):
                return ["nsenter", "-t", disk.parts[2], "-U", "-m", "--preserve-credentials"] + super().command()

        enter = subprocess.run(["nsenter", "-t", disk.parts[2], "-U", "-m", "--preserve-credentials", "true"],
                               capture_output=True, text=True)
        if enter.returncode != 0:
            pytest.skip(f"cannot enter the disk's namespaces: {enter.stderr.strip()}")
        server = InsideServer(data_dir=tmp_path / "datadisk" / "data", extra_args=["--retry-backoff-seconds", "1"])
        try:
            server.start()
            source_id = create_source(server, {"count": users, "seed": 7, "records_per_slice": 5000})
            destination_id = create_destination(server, "destination-local", {
                "destination_path": str(tmp_path / "out"), "format": {"format_type": "JSONL", "compression": "gzip"}})
            connection_id = create_connection(server, source_id, destination_id)
            job_id = server.ok("connections/sync", {"connectionId": connection_id})["job"]["id"]
            wait_state(server, connection_id)
            fill(disk, 0)  # mid-sync: checkpoints and logs can no longer be written
            time.sleep(2)
            (disk / "filler").unlink()
            t0 = time.monotonic()
            job = wait_job(server, job_id, timeout=300)
            print(f"job ended {time.monotonic() - t0:.1f} s after space was freed")
            lines = all_log_lines(server, job)
            print(f"data dir full mid-sync: job {job['job']['status']} after {len(job['attempts'])} attempts; "
                  f"{[line for line in lines if 'full' in line][:3]}; "
                  f"{[a['attempt'].get('failureSummary') for a in job['attempts']]}")
            assert job["job"]["status"] == "succeeded", lines[-20:]
            got = ids(tmp_path / "out" / "users")
            assert set(got) == set(range(1, users + 1)), "nothing lost"
            print(f"data dir full mid-sync: {len(got) - users} rows written twice")
            state = server.ok("state/get", {"connectionId": connection_id})

            fill(disk, 0)  # idle: a request that writes the store is refused, clearly
            r = server.post("connections/sync", {"connectionId": connection_id})
            assert r.status_code == 503, r.text[:1000]
            assert "disk is full" in r.text and "sluice.db" in r.text, r.text[:1000]
            (disk / "filler").unlink()
            t0 = time.monotonic()
            server.restart()  # the store opens again: not corrupt
            print(f"restart took {time.monotonic() - t0:.1f} s")
            assert server.ok("state/get", {"connectionId": connection_id}) == state
            job = wait_job(server, server.ok("connections/sync", {"connectionId": connection_id})["job"]["id"])
            assert job["job"]["status"] == "succeeded"
            assert set(ids(tmp_path / "out" / "users")) == set(range(1, users + 1))
        finally:
            server.cleanup()
