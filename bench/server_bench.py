#!/usr/bin/env python3
"""Control-plane benchmark of `sluice server` (issue 5).

1. Cold start: wall time from exec to the first 200 of GET /api/v1/health, on an empty data dir
   and on one holding the benchmark's 1,000 connections and 100,000 jobs (goal < 1 s).
2. With 1,000 connections and 100,000 jobs stored, while syncs run on the server's workers:
   requests per second and p50/p99 latency of POST /api/v1/connections/list (the whole
   workspace: 1,000 connections with their catalogs; with and without Accept-Encoding: gzip) and
   POST /api/v1/jobs/get (a random job of the 100,000), measured by wrk with 16 connections
   (goal: 500 req/s with p99 < 50 ms on a 2-core machine). Two faker → dev-null syncs run on
   the server's two workers meanwhile, so the API shares the cores with them.

The connections are created through the API; the 100,000 finished jobs (one attempt each, with
stats) are written straight into the SQLite store while the server is stopped, as they would be
after months of history. Usage:  python3 bench/server_bench.py build/sluice
Environment: BENCH_CONNECTIONS (1000), BENCH_JOBS (100000), BENCH_SECONDS (10), BENCH_WRK_CONNECTIONS (16),
BENCH_BUSY_SYNCS (2).
"""
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "1000"))
JOBS = int(os.environ.get("BENCH_JOBS", "100000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WRK_CONNECTIONS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "16"))
BUSY_SYNCS = int(os.environ.get("BENCH_BUSY_SYNCS", "2"))  # syncs running during the measurements


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"{}")


class Server:
    def __init__(self, sluice, data_dir, workers=2):
        self.sluice, self.data_dir, self.workers = sluice, data_dir, workers
        self.proc = None
        self.port = None

    def start(self):
        """Starts the server; returns seconds from exec to a healthy answer."""
        self.port = free_port()
        log = open(os.path.join(self.data_dir, "server.log"), "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([self.sluice, "server", "--data-dir", self.data_dir, "--port", str(self.port),
                                      "--api-port", "0", "--no-auth", "--workers", str(self.workers)],
                                     stdout=log, stderr=subprocess.STDOUT)
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/health", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except OSError:
                pass
            if self.proc.poll() is not None:
                sys.exit(f"server exited with {self.proc.returncode}; see {self.data_dir}/server.log")
            time.sleep(0.002)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def definition_id(port, kind, name):
    listed = post(port, f"{kind}_definitions/list", {})
    for d in listed[f"{kind}Definitions"]:
        if d["connectorName"] == name:
            return d[f"{kind}DefinitionId"]
    sys.exit(f"no {kind} definition {name}")


def seed_connections(port):
    workspace = post(port, "workspaces/list", {})["workspaces"][0]["workspaceId"]
    src = post(port, "sources/create", {"workspaceId": workspace, "name": "faker",
                                        "sourceDefinitionId": definition_id(port, "source", "source-faker"),
                                        "connectionConfiguration": {"count": 1000}})["sourceId"]
    big = post(port, "sources/create", {"workspaceId": workspace, "name": "faker-big",
                                        "sourceDefinitionId": definition_id(port, "source", "source-faker"),
                                        "connectionConfiguration": {"count": 500000000}})["sourceId"]
    dst = post(port, "destinations/create", {"workspaceId": workspace, "name": "dev-null",
                                             "destinationDefinitionId": definition_id(port, "destination",
                                                                                      "destination-dev-null"),
                                             "connectionConfiguration": {}})["destinationId"]
    catalog = post(port, "sources/discover_schema", {"sourceId": src})["catalog"]
    ids = []
    for i in range(CONNECTIONS):
        body = {"sourceId": src, "destinationId": dst, "name": f"connection {i:04d}", "syncCatalog": catalog,
                "status": "active", "scheduleType": "manual"}
        ids.append(post(port, "connections/create", body)["connectionId"])
    busy = [post(port, "connections/create", {"sourceId": big, "destinationId": dst, "name": f"busy {i}",
                                               "syncCatalog": catalog, "scheduleType": "manual"})["connectionId"]
            for i in range(BUSY_SYNCS)]
    return workspace, ids, busy


def seed_jobs(db_path, connection_ids):
    db = sqlite3.connect(db_path)
    now = int(time.time() * 1000)
    stats = json.dumps({"recordsEmitted": 2400, "bytesEmitted": 512000, "recordsCommitted": 2400,
                        "bytesCommitted": 512000, "streamStats": []})
    jobs, attempts = [], []
    for i in range(JOBS):
        created = now - (JOBS - i) * 60_000
        cid = connection_ids[i % len(connection_ids)]
        status = "succeeded" if i % 10 else "failed"
        jobs.append((cid, "sync", status, created, created + 30_000, created, 2400, 512000))
    db.execute("BEGIN")
    first = (db.execute("SELECT COALESCE(MAX(id), 0) FROM jobs").fetchone()[0]) + 1
    # records_committed / bytes_committed: the attempts' totals, kept on the job by FinishAttempt.
    db.executemany("INSERT INTO jobs (connection_id, config_type, status, created_at, updated_at, started_at,"
                   " records_committed, bytes_committed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", jobs)
    for n, (_, _, status, created, updated, _, _, _) in enumerate(jobs):
        attempts.append((first + n, 1, status, "bench", created, updated, stats))
    db.executemany("INSERT INTO attempts (job_id, attempt_number, status, worker_id, created_at, ended_at, stats)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)", attempts)
    db.commit()
    db.close()
    return first, first + JOBS - 1


def ensure_wrk():
    if shutil.which("wrk"):
        return
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def wrk(port, path, lua, work):
    script = os.path.join(work, "req.lua")
    with open(script, "w") as f:
        f.write(lua)
    out = subprocess.run(["wrk", "-t2", f"-c{WRK_CONNECTIONS}", f"-d{SECONDS}s", "--latency", "-s", script,
                          f"http://127.0.0.1:{port}/api/v1/{path}"], check=True, capture_output=True,
                         text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, pct(50), pct(99), int(errors.group(1)) if errors else 0


def main():
    sluice = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else "build/sluice")
    ensure_wrk()
    work = tempfile.mkdtemp(prefix="sluice-serverbench.")
    try:
        cold_empty = []
        for _ in range(5):
            d = tempfile.mkdtemp(dir=work)
            s = Server(sluice, d)
            cold_empty.append(s.start())
            s.stop()
        data = os.path.join(work, "data")
        os.makedirs(data)
        server = Server(sluice, data)
        server.start()
        t = time.perf_counter()
        workspace, ids, busy = seed_connections(server.port)
        print(f"created {len(ids)} connections through the API in {time.perf_counter() - t:.1f} s")
        server.stop()
        t = time.perf_counter()
        first, last = seed_jobs(os.path.join(data, "sluice.db"), ids)
        print(f"stored {JOBS} jobs in {time.perf_counter() - t:.1f} s")
        cold_full = []
        for _ in range(5):
            cold_full.append(server.start())
            server.stop()
        server.start()
        for cid in busy:  # syncs running during the measurements
            post(server.port, "connections/sync", {"connectionId": cid})
        time.sleep(1)
        size = len(json.dumps(post(server.port, "connections/list", {"workspaceId": workspace})))
        body = json.dumps({"workspaceId": workspace})
        list_lua = (f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
                    'wrk.headers["Content-Type"] = "application/json"\n')
        list_result = wrk(server.port, "connections/list", list_lua + 'wrk.headers["Accept-Encoding"] = "gzip"\n', work)
        list_plain = wrk(server.port, "connections/list", list_lua, work)
        get_result = wrk(server.port, "jobs/get",
                         'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                         f'request = function() return wrk.format(nil, nil, nil, '
                         f'string.format(\'{{"id": %d}}\', math.random({first}, {last}))) end\n', work)
        # The dashboard's question: 14 and 90 days of the 100,000 jobs (one a minute: ~69 days).
        stats_result = {days: wrk(server.port, "jobs/stats",
                                  'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                                  f'wrk.body = \'{{"days": {days}, "timeZone": "Europe/Amsterdam"}}\'\n', work)
                        for days in (14, 90)}
        running = []
        for c in busy:
            job = post(server.port, "jobs/list", {"configTypes": ["sync"], "configId": c})["jobs"][0]["job"]
            running.append(job["status"])
            post(server.port, "jobs/cancel", {"id": job["id"]})
        server.stop()
        median = lambda xs: sorted(xs)[len(xs) // 2]
        print(f"\ncold start to healthy (5 runs, median / best): empty store {median(cold_empty) * 1000:.0f} / "
              f"{min(cold_empty) * 1000:.0f} ms; with {CONNECTIONS} connections and {JOBS} jobs "
              f"{median(cold_full) * 1000:.0f} / {min(cold_full) * 1000:.0f} ms (goal < 1000 ms: "
              f"{median(cold_full):.2f}x of the goal)")
        print(f"busy connections' jobs during the load: {running} (faker → dev-null syncs of 500 M users each, cancelled after the load)")
        for name, (rps, p50, p99, errors), goal in (
                (f"connections/list ({CONNECTIONS} connections, {size / 1e6:.1f} MB per answer, gzip accepted "
                 "as browsers and python-requests do)", list_result, 500),
                ("connections/list, the same without compression", list_plain, 500),
                (f"jobs/get (random job of {JOBS})", get_result, 500),
                (f"jobs/stats, 14 days of {JOBS} jobs (the dashboard)", stats_result[14], 500),
                (f"jobs/stats, 90 days (all {JOBS} jobs)", stats_result[90], 500)):
            print(f"{name}: {rps:,.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, non-2xx {errors} "
                  f"(goal 500 req/s, p99 < 50 ms: {rps / goal:.2f}x the rate, p99 {p99 / 50:.2f}x the bound)")
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
