"""The platform end to end (issue 5): the seed's curl calls and Python script against a real
`sluice server`, jobs run by workers in child processes, three `sluice worker` processes on a
PostgreSQL metadata store with one killed mid-sync, a server restart mid-sync, an attempt killed
by its memory limit, and no secret in any response, log or the store's file.
"""
import json
import os
import pathlib
import signal
import subprocess
import time

import pytest
import requests

from conftest import SLUICE, read_data_ids, read_records
from pg_server import pg  # noqa: F401  (session fixture)
from sluice_server import external_workers, SluiceServer, register_secret, sluice_server

SECRET = register_secret("Sentinel-p4ss-7c1e9b")  # a destination password: must never be seen again




def create_source(server, config, name="faker"):
    return server.ok("sources/create", {
        "workspaceId": server.workspace_id(), "name": name, "connectionConfiguration": config,
        "sourceDefinitionId": server.definition_id("source", "source-faker")})["sourceId"]


def create_destination(server, connector, config, name="dest"):
    return server.ok("destinations/create", {
        "workspaceId": server.workspace_id(), "name": name, "connectionConfiguration": config,
        "destinationDefinitionId": server.definition_id("destination", connector)})["destinationId"]


def users_catalog(server, source_id, sync_mode="incremental", destination_sync_mode="append"):
    """The discovered catalog with only `users` selected, in the given modes."""
    catalog = server.ok("sources/discover_schema", {"sourceId": source_id})["catalog"]
    for entry in catalog["streams"]:
        entry["config"]["selected"] = entry["stream"]["name"] == "users"
        if entry["stream"]["name"] == "users":
            entry["config"].update(syncMode=sync_mode, destinationSyncMode=destination_sync_mode,
                                   cursorField=["updated_at"])
    return catalog


def create_connection(server, source_id, destination_id, **extra):
    body = {"sourceId": source_id, "destinationId": destination_id, "name": "users",
            "syncCatalog": users_catalog(server, source_id), "scheduleType": "manual", "status": "active"}
    body.update(extra)
    return server.ok("connections/create", body)["connectionId"]


def wait_job(server, job_id, statuses=("succeeded", "failed", "cancelled"), timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = server.ok("jobs/get", {"id": job_id})
        if info["job"]["status"] in statuses:
            return info
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {info['job']['status']} after {timeout} s:\n{server.log()[-3000:]}")


def wait_state(server, connection_id, timeout=120):
    """Waits until the connection has a saved state (a checkpoint was committed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = server.ok("state/get", {"connectionId": connection_id})
        if state.get("stateType") not in (None, "not_set"):
            return state
        time.sleep(0.1)
    raise AssertionError(f"no state saved within {timeout} s:\n{server.log()[-3000:]}")


def all_log_lines(server, job):
    return [line for a in job["attempts"] for line in a["logs"]["logLines"]]


# --- the seed's API examples (../shared/seeds/airbyte-integration-guide.nl.md) ---

# "API-orkestratie", verbatim but for the URL's port and the connection id.
SEED_SCRIPT = '''
import requests

AIRBYTE_API = "http://localhost:8001/api/v1"

def trigger_sync(connection_id: str):
    """Déclencher sync manuelle pour connexion"""
    response = requests.post(
        f"{AIRBYTE_API}/connections/sync",
        json={"connectionId": connection_id}
    )
    return response.json()

def get_sync_status(job_id: str):
    """Vérifier statut job sync"""
    response = requests.post(
        f"{AIRBYTE_API}/jobs/get",
        json={"id": job_id}
    )
    return response.json()

# Utilisation
job = trigger_sync("my-connection-id")
status = get_sync_status(job["job"]["id"])
print(f"Statut sync: {status['job']['status']}")
'''


def curl(*args):
    p = subprocess.run(["curl", "-sS", "-w", "\\n%{http_code}", *args], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    body, _, code = p.stdout.rpartition("\n")
    return int(code), json.loads(body) if body.strip() else None


def test_the_seeds_curl_calls_and_python_script_work_unchanged(tmp_path):
    with sluice_server() as server:
        api = server.api_url.replace("127.0.0.1", "localhost")
        source_id = create_source(server, {"count": 3000, "records_per_slice": 500})
        destination_id = create_destination(server, "destination-local", {
            "destination_path": str(tmp_path / "out"), "format": {"format_type": "JSONL"}})
        schema = next(s["stream"]["jsonSchema"] for s in users_catalog(server, source_id)["streams"]
                      if s["stream"]["name"] == "users")

        # "Lijstbronnen"
        code, listed = curl("-X", "POST", f"{api}/sources/list", "-H", "Content-Type: application/json",
                            "-d", json.dumps({"workspaceId": server.workspace_id()}))
        assert code == 200 and [s["sourceId"] for s in listed["sources"]] == [source_id]
        # "Verbinding maken": the seed's body (a stream with a name and a schema, a legacy schedule)
        code, connection = curl("-X", "POST", f"{api}/connections/create", "-H", "Content-Type: application/json",
                                "-d", json.dumps({
                                    "sourceId": source_id, "destinationId": destination_id,
                                    "syncCatalog": {"streams": [{
                                        "stream": {"name": "users", "jsonSchema": schema},
                                        "config": {"syncMode": "incremental", "destinationSyncMode": "append",
                                                   "cursorField": ["updated_at"]}}]},
                                    "schedule": {"units": 24, "timeUnit": "hours"}}))
        assert code == 200, connection
        connection_id = connection["connectionId"]
        assert connection["scheduleType"] == "basic"
        assert connection["scheduleData"]["basicSchedule"] == {"units": 24, "timeUnit": "hours"}
        # The list is served gzip-compressed to clients that ask (requests does), plain otherwise.
        r = server.post("connections/list", {})
        assert r.headers.get("Content-Encoding") == "gzip"
        assert [c["connectionId"] for c in r.json()["connections"]] == [connection_id]
        code, plain = curl("-X", "POST", f"{api}/connections/list", "-d", "{}")
        assert code == 200 and plain == r.json()

        # "API-orkestratie": the Python script, run as its own program.
        script = SEED_SCRIPT.replace("localhost:8001", f"localhost:{server.api_port}").replace(
            "my-connection-id", connection_id)
        p = subprocess.run(["/usr/bin/python3", "-c", script], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith("Statut sync: ")
        assert p.stdout.strip().split(": ")[1] in ("pending", "running", "succeeded")

        # "Taakstatus ophalen" and the statistics export (`curl -X GET …/jobs/list -d …`).
        code, jobs = curl("-X", "GET", f"{api}/jobs/list", "-H", "Content-Type: application/json",
                          "-d", json.dumps({"configTypes": ["sync"], "configId": connection_id}))
        assert code == 200 and len(jobs["jobs"]) == 1
        job_id = jobs["jobs"][0]["job"]["id"]
        job = wait_job(server, job_id)
        assert job["job"]["status"] == "succeeded", all_log_lines(server, job)
        code, got = curl("-X", "POST", f"{api}/jobs/get", "-H", "Content-Type: application/json",
                         "-d", json.dumps({"id": str(job_id)}))
        assert code == 200 and got["job"]["status"] == "succeeded"
        attempt = got["attempts"][0]["attempt"]
        assert attempt["recordsSynced"] == 3000
        assert attempt["bytesSynced"] > 0
        assert got["attempts"][0]["logs"]["logLines"]
        rows = read_records(tmp_path / "out")
        assert len(rows) == 3000 and len({r["_airbyte_data"]["id"] for r in rows}) == 3000

        # "Synchronisatie activeren" again: incremental, nothing new.
        code, second = curl("-X", "POST", f"{api}/connections/sync", "-H", "Content-Type: application/json",
                            "-d", json.dumps({"connectionId": connection_id}))
        assert code == 200
        assert wait_job(server, second["job"]["id"])["job"]["status"] == "succeeded"
        assert len(read_records(tmp_path / "out")) == 3000


# --- workers ---

def attempt_children(pid):
    """Pids of the `sluice run-attempt` processes whose parent is `pid`."""
    out = []
    for d in pathlib.Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid and b"run-attempt" in (d / "cmdline").read_bytes():
                    out.append(int(d.name))
            except OSError:
                continue
    return out


def test_three_workers_on_postgres_one_killed_mid_sync(pg, tmp_path):
    register_secret(pg.password)
    pg.create_database("sluice_meta")
    pg.create_database("dest")
    metadata = pg.url("sluice_meta")
    rows = 600_000
    with sluice_server(metadata=metadata, workers=0, extra_args=["--lease-seconds", "3"]) as server:
        with external_workers(server, metadata, 3, tmp_path) as workers:
            source_id = create_source(server, {"count": rows, "records_per_slice": 5000})
            destination_id = create_destination(server, "destination-postgres",
                                                pg.config("dest", direct_load=True, parallel_copies=1))
            connection_id = create_connection(server, source_id, destination_id)
            job_id = server.ok("connections/sync", {"connectionId": connection_id})["job"]["id"]
            wait_state(server, connection_id)
            running = [(w, attempt_children(w.pid)) for w in workers]
            running = [(w, c[0]) for w, c in running if c]
            assert len(running) == 1, (server.ok("jobs/get", {"id": job_id}),
                                       [(tmp_path / f"worker{i}.log").read_text() for i in range(3)])
            victim, child = running[0]
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            deadline = time.monotonic() + 10
            while os.path.exists(f"/proc/{child}") and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not os.path.exists(f"/proc/{child}") or "Z" in pathlib.Path(f"/proc/{child}/stat").read_text().split()[2], \
                "the attempt process dies with its worker"

            job = wait_job(server, job_id, timeout=300)
            assert job["job"]["status"] == "succeeded", all_log_lines(server, job)
            attempts = [a["attempt"] for a in job["attempts"]]
            assert len(attempts) == 2 and attempts[0]["status"] == "failed" and attempts[1]["status"] == "succeeded"
            assert attempts[1]["recordsSynced"] < rows, "the second attempt resumed from the saved state"
            count, distinct = pg.query("dest", "SELECT count(*), count(DISTINCT id) FROM public.users")[0]
            assert (count, distinct) == (rows, rows)
            # Only one job ran: the sync was not duplicated by the other workers.
            assert len(server.ok("jobs/list", {"configTypes": ["sync"], "configId": connection_id})["jobs"]) == 1


def test_server_restart_keeps_everything_and_resumes_the_running_job(tmp_path):
    server = SluiceServer(data_dir=tmp_path / "data", extra_args=["--retry-backoff-seconds", "1"])
    try:
        server.start()
        source_id = create_source(server, {"count": 1_000_000, "records_per_slice": 10_000})
        destination_id = create_destination(server, "destination-local", {  # gzip: slow enough to stop
            "destination_path": str(tmp_path / "out"), "format": {"format_type": "JSONL", "compression": "gzip"}})
        connection_id = create_connection(server, source_id, destination_id)
        job_id = server.ok("connections/sync", {"connectionId": connection_id})["job"]["id"]
        wait_state(server, connection_id)
        assert server.stop() == 0, server.log()[-3000:]
        server.start()
        assert server.ok("connections/get", {"connectionId": connection_id})["sourceId"] == source_id
        job = wait_job(server, job_id, timeout=300)
        assert job["job"]["status"] == "succeeded", all_log_lines(server, job)
        assert len(job["attempts"]) >= 2
        assert len(set(read_data_ids(tmp_path / "out"))) == 1_000_000, "nothing lost"
    finally:
        server.cleanup()


def test_an_attempt_over_its_memory_limit_is_killed_and_reported(tmp_path):
    with sluice_server() as server:
        source_id = create_source(server, {"count": 2_000_000})
        destination_id = create_destination(server, "destination-local", {
            "destination_path": str(tmp_path / "out"),
            "format": {"format_type": "Parquet", "block_size_mb": 512}})
        connection_id = create_connection(server, source_id, destination_id,
                                          resourceRequirements={"memory_limit": "48Mi", "cpu_limit": "1"})
        job_id = server.ok("connections/sync", {"connectionId": connection_id})["job"]["id"]
        job = wait_job(server, job_id, statuses=("failed", "incomplete", "succeeded"), timeout=300)
        first = job["attempts"][0]["attempt"]
        assert first["status"] == "failed", job
        failure = first["failureSummary"]["failures"][0]
        assert "memory limit" in failure["externalMessage"], failure
        assert any("memory limit" in line for line in job["attempts"][0]["logs"]["logLines"])
        server.ok("jobs/cancel", {"id": job_id})


def test_no_secret_in_responses_logs_or_the_store(pg, tmp_path):
    pg.create_database("secretdb")
    seen = []
    with sluice_server() as server:
        hook = lambda r, *a, **k: seen.append(r.text)  # noqa: E731
        server.session.hooks["response"].append(hook)
        source_id = create_source(server, {"count": 2000})
        config = pg.config("secretdb", direct_load=True)
        wrong = dict(config, password=SECRET)  # a wrong password: the error must not quote it
        destination_id = create_destination(server, "destination-postgres", wrong)
        server.post("destinations/check_connection", {"destinationId": destination_id})
        server.post("destinations/get", {"destinationId": destination_id})
        server.post("destinations/list", {"workspaceId": server.workspace_id()})
        connection_id = create_connection(server, source_id, destination_id,
                                          syncCatalog=users_catalog(server, source_id, "full_refresh", "overwrite"))
        job_id = server.ok("connections/sync", {"connectionId": connection_id})["job"]["id"]
        job = wait_job(server, job_id, statuses=("failed", "incomplete"), timeout=120)
        server.ok("jobs/cancel", {"id": job_id})
        job = wait_job(server, job_id, timeout=60)
        assert job["attempts"], job
        # The secret was used: the check fails on authentication.
        check = server.ok("destinations/check_connection", {"destinationId": destination_id})
        assert check["status"] == "failed"
        # An update with the masked value keeps the stored secret; a real one replaces it.
        got = server.ok("destinations/get", {"destinationId": destination_id})
        assert got["connectionConfiguration"]["password"] == "**********"
        server.ok("destinations/update", {"destinationId": destination_id, "name": "dest",
                                          "connectionConfiguration": got["connectionConfiguration"]})
        assert server.ok("destinations/check_connection", {"destinationId": destination_id})["status"] == "failed"
        server.ok("destinations/update", {"destinationId": destination_id, "name": "dest",
                                          "connectionConfiguration": config})
        assert server.ok("destinations/check_connection", {"destinationId": destination_id})["status"] == "succeeded"
        logs = "\n".join(all_log_lines(server, server.ok("jobs/get", {"id": job_id})))
        for f in [server.log_path] + [p for p in server.data_dir.rglob("*") if p.is_file()]:
            assert SECRET.encode() not in f.read_bytes(), f"{f} holds the secret in clear"
    assert seen and all(SECRET not in body for body in seen)
    assert SECRET not in logs
