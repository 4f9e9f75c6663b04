"""API under load, Jepsen-style (issue 20): a fixed-rate, open-loop load generator of mixed reads and
writes against a real `sluice server` while syncs run on its workers, with restarts of the server
in the middle, and the checks that nothing acknowledged was lost.

    load = ApiLoad(server, pg, rate=150, seconds=10, restarts=[(5.0, signal.SIGKILL)], seed=1)
    load.setup()        # connections: faker → postgres (dedup; cron and manual), faker → dev-null
    load.run()          # the load; each restart: signal, wait for the exit, start on the same ports
    load.verify()       # every acknowledged write is there, every acknowledged job ends, states, rows
    print(load.report())

Open loop: request i is due at t0 + i / rate whatever happened to the others; its latency is
measured from that due time (so a stall of the server shows as latency of every request due
during it, not as a lower rate: no coordinated omission). Requests go over keep-alive HTTP/1.1
connections (at most `max_connections`, opened on demand, a request due while all are busy waits
for one and that wait counts); an idle connection the server closed is dropped before reuse,
as urllib3 does.

Errors: a request without an answer (refused, reset, timeout) or with an unexpected status. One
that ends while a restart is under way (from the signal to the restarted server's first healthy
answer), or a refused or reset one that was in flight during it, is a *restart-window* error and
counted apart; every other one is an error outside the window (the goal is zero). A write without an answer has an unknown outcome: the checks accept
either result for it (and only for it).

What is checked after the load (`verify`): every source and connection whose create was
acknowledged exists, with the name of its last acknowledged update; every acknowledged connection
delete holds (the connection is `deprecated`); every job an acknowledged `connections/sync`
returned reaches a terminal status (none left pending or running: the restarted server must
settle the attempts the old one left) with consistent attempts, and a job cancelled while queued
ends cancelled; the state of the faker → postgres connection read after each restart is not older
than the one read just before it; after a final sync the destination table holds exactly the
source's rows (no loss, no duplicate: Append + Deduped) and the committed record counts of the
jobs' attempts account for every row.
"""
import asyncio
import gzip
import json
import os
import pathlib
import random
import signal
import time

import requests

# (route, weight): reads, then writes. `state` reads go with the writes' targets.
MIX = [
    ("health", 8), ("connections/list", 12), ("jobs/list", 12), ("jobs/get", 14), ("sources/get", 10),
    ("state/get", 6),
    ("sources/create", 5), ("sources/update", 5), ("connections/create", 6), ("connections/update", 6),
    ("connections/delete", 5), ("connections/sync", 6), ("jobs/cancel", 5),
]
TERMINAL = ("succeeded", "failed", "cancelled")


def percentile(values, p):
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


class NoAnswer(Exception):
    pass


class Conn:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.reusable = True

    def dropped(self):
        return self.reader.at_eof() or self.writer.is_closing() or self.reader.exception() is not None

    def close(self):
        self.reusable = False
        try:
            self.writer.close()
        except Exception:  # noqa: BLE001
            pass


class Pool:
    """Keep-alive HTTP/1.1 connections to one host:port; at most `size` open."""

    def __init__(self, host, port, size):
        self.host, self.port, self.size = host, port, size
        self.idle = []
        self.open = 0
        self.freed = asyncio.Condition()

    async def acquire(self):
        async with self.freed:
            while True:
                while self.idle:
                    c = self.idle.pop()
                    if not c.dropped():
                        return c
                    c.close()
                    self.open -= 1
                if self.open < self.size:
                    self.open += 1
                    break
                await self.freed.wait()
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            async with self.freed:
                self.open -= 1
                self.freed.notify()
            raise
        return Conn(reader, writer)

    async def release(self, conn):
        async with self.freed:
            if conn.reusable:
                self.idle.append(conn)
            else:
                conn.close()
                self.open -= 1
            self.freed.notify()

    async def request(self, method, path, body, timeout, parse=True):
        """(status, parsed JSON body or None: not parsed unless `parse` or an error status);
        raises NoAnswer when no answer came. Asks for gzip, as browsers do."""
        try:
            conn = await asyncio.wait_for(self.acquire(), timeout)
        except (OSError, asyncio.TimeoutError) as e:
            raise NoAnswer(f"connect: {type(e).__name__}: {e}") from None
        try:
            data = json.dumps(body).encode() if body is not None else b""
            head = (f"{method} /api/v1/{path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                    f"Content-Type: application/json\r\nAccept-Encoding: gzip\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n").encode()
            conn.writer.write(head + data)
            return await asyncio.wait_for(self._answer(conn, parse), timeout)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
            conn.reusable = False
            raise NoAnswer(f"{type(e).__name__}: {e}") from None
        finally:
            await self.release(conn)

    async def _answer(self, conn, parse):
        await conn.writer.drain()
        line = await conn.reader.readline()
        if not line:
            raise ConnectionResetError("closed before the status line")
        status = int(line.split()[1])
        length, chunked, gzipped = 0, False, False
        while True:
            h = await conn.reader.readline()
            if h in (b"\r\n", b""):
                break
            name, _, value = h.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "content-encoding" and value.lower() == "gzip":
                gzipped = True
            elif name == "connection" and value.lower() == "close":
                conn.reusable = False
        if chunked:
            parts = []
            while True:
                size = int((await conn.reader.readline()).strip().split(b";")[0], 16)
                if size == 0:
                    await conn.reader.readline()
                    break
                parts.append(await conn.reader.readexactly(size))
                await conn.reader.readexactly(2)
            payload = b"".join(parts)
        else:
            payload = await conn.reader.readexactly(length) if length else b""
        if not payload or (not parse and 200 <= status < 300):
            return status, None
        try:
            return status, json.loads(gzip.decompress(payload) if gzipped else payload)
        except (ValueError, OSError):
            return status, None


class ApiLoad:
    def __init__(self, server, pg, rate, seconds, restarts=(), seed=1, users=20_000, sync_pool=12,
                 max_connections=48, timeout=10.0, max_load_connections=200):
        self.server, self.pg = server, pg
        self.rate, self.seconds = rate, seconds
        self.restarts = sorted(restarts)  # [(at seconds, signal)]
        self.rng = random.Random(seed)
        self.seed = seed
        self.users = users
        self.sync_pool_size = sync_pool
        self.max_connections = max_connections
        self.timeout = timeout
        self.max_load_connections = max_load_connections  # connections the load creates, at most live at once
        self.routes, self.weights = zip(*MIX)
        # results
        self.samples = {}        # route → [latency s] of answered requests
        self.samples_outside = {}  # the same, of requests due outside every restart window
        self.errors = {}         # route → [(t, what)] outside the windows
        self.window_errors = {}  # route → count
        self.windows = []        # [(start, end, signal name, seconds down)]
        self.sent = 0
        self.late_start = []     # how late the generator sent (its own lag), s
        self.slowest = []        # (latency, route, due at) of the slowest answered requests
        self.buckets = {}        # 10 s of due times → {"lat": [latency s], "errors": outside the windows}
        # model of what the server acknowledged
        self.sources = {}        # id → {"names": {acceptable}, "busy": bool}
        self.connections = {}    # id → {"names": set, "deleted": True/False/None (unknown), "busy": bool}
        self.jobs = {}           # id → {"connection", "cancel_acked_while": status at the cancel's answer}
        self.state_checks = []   # (before, after) states of the pg connection around each restart
        self.figures = {}

    # --- setup through the API (before the load) ---
    def setup(self):
        s = self.server
        self.workspace = s.ok("workspaces/list")["workspaces"][0]["workspaceId"]
        defs = {d["connectorName"]: d["sourceDefinitionId"] for d in s.ok("source_definitions/list")["sourceDefinitions"]}
        ddefs = {d["connectorName"]: d["destinationDefinitionId"]
                 for d in s.ok("destination_definitions/list")["destinationDefinitions"]}
        self.faker_def = defs["source-faker"]
        self.pg_db = self.pg.create_database("api_load_dst")
        self.devnull = s.ok("destinations/create", {
            "workspaceId": self.workspace, "name": "dev-null", "destinationDefinitionId": ddefs["destination-dev-null"],
            "connectionConfiguration": {}})["destinationId"]
        self.pg_dest = s.ok("destinations/create", {
            "workspaceId": self.workspace, "name": "postgres", "destinationDefinitionId": ddefs["destination-postgres"],
            "connectionConfiguration": self.pg.config(self.pg_db)})["destinationId"]
        small = self._create_source("faker small", {"count": 300, "seed": 3})
        big = self._create_source("faker users", {"count": self.users, "seed": 11, "records_per_slice": 2000},
                                  fixed=True)
        self.catalog = s.ok("sources/discover_schema", {"sourceId": small})["catalog"]
        users_only = json.loads(json.dumps(self.catalog))
        for entry in users_only["streams"]:
            entry["config"]["selected"] = entry["stream"]["name"] == "users"
            if entry["stream"]["name"] == "users":
                entry["config"].update(syncMode="incremental", destinationSyncMode="append_dedup",
                                       cursorField=["updated_at"], primaryKey=[["id"]])
        self.small_source = small
        # faker → postgres: on a 3 s cron and synced by hand through the load.
        self.pg_connection = s.ok("connections/create", {
            "sourceId": big, "destinationId": self.pg_dest, "name": "faker → postgres", "syncCatalog": users_only,
            "scheduleType": "cron", "scheduleData": {"cron": {"cronExpression": "0/3 * * * * ?", "cronTimeZone": "UTC"}},
            "status": "active"})["connectionId"]
        # faker → dev-null on a 2 s cron, and a pool of manual ones the load syncs and cancels.
        self.cron_devnull = s.ok("connections/create", {
            "sourceId": small, "destinationId": self.devnull, "name": "faker → dev-null (cron)",
            "syncCatalog": self.catalog, "status": "active", "scheduleType": "cron",
            "scheduleData": {"cron": {"cronExpression": "0/2 * * * * ?", "cronTimeZone": "UTC"}}})["connectionId"]
        self.sync_pool = [s.ok("connections/create", {
            "sourceId": small, "destinationId": self.devnull, "name": f"manual {i}", "syncCatalog": self.catalog,
            "status": "active", "scheduleType": "manual"})["connectionId"] for i in range(self.sync_pool_size)]
        for cid in [self.pg_connection, self.cron_devnull, *self.sync_pool]:
            self.connections[cid] = {"names": None, "deleted": False, "busy": False, "fixed": True}
        first = s.ok("connections/sync", {"connectionId": self.pg_connection})["job"]["id"]
        self.jobs[first] = {"connection": self.pg_connection, "cancel": None}
        return self

    def _create_source(self, name, config, fixed=False):
        """A faker source; `fixed`: the load never updates it (its config is what the checks count on —
        an update to {"count": 100} would make the next syncs of 100,000 users read nothing)."""
        sid = self.server.ok("sources/create", {"workspaceId": self.workspace, "name": name, "sourceDefinitionId":
                                                self.faker_def, "connectionConfiguration": config})["sourceId"]
        self.sources[sid] = {"names": {name}, "busy": False, "fixed": fixed}
        return sid

    # --- the load ---
    def _in_window(self, t, since=None):
        """Whether `t` (or any moment from `since` to `t`) falls in a restart window."""
        since = t if since is None else since
        return any(start <= t and since <= end for start, end, *_ in self.windows) or \
            (self._open_window is not None and t >= self._open_window)

    def _record(self, route, due, done, status, ok, what="", sent=None):
        """`sent`: for a connection refused or reset, when the request was sent; it is a restart
        window's error when it was in flight during one (the event loop may see the failure late)."""
        in_window = self._in_window(done, sent)
        bucket = self.buckets.setdefault(int((due - self.t0) // 10), {"lat": [], "errors": 0})
        if ok:
            bucket["lat"].append(done - due)
        elif not in_window:
            bucket["errors"] += 1
        if ok:
            self.samples.setdefault(route, []).append(done - due)
            self.slowest.append((done - due, route, due - self.t0))
            if len(self.slowest) > 64:
                self.slowest.sort(reverse=True)
                del self.slowest[16:]
            if not self._in_window(due):
                self.samples_outside.setdefault(route, []).append(done - due)
        elif in_window:
            self.window_errors[route] = self.window_errors.get(route, 0) + 1
        else:
            self.errors.setdefault(route, []).append((round(done - self.t0, 3), f"{status}: {what}"[:300]))

    def _live_load_connections(self):
        return sum(1 for v in self.connections.values() if not v["fixed"] and v["deleted"] is not True)

    def _pick(self, table, pred=lambda v: True):
        keys = [k for k, v in table.items() if not v["busy"] and pred(v)]
        return self.rng.choice(keys) if keys else None

    async def _issue(self, route, due):
        """Sends one request of `route` (built from the model), records it, updates the model."""
        rng = self.rng
        body, method, path, on_ok, on_unknown, expect = None, "POST", route, None, None, (200,)
        target = None
        if route == "health":
            method = "GET"
        elif route == "connections/list":
            body = {"workspaceId": self.workspace}
        elif route == "jobs/list":
            body = {"configTypes": ["sync"], "configId": rng.choice([self.pg_connection, *self.sync_pool]),
                    "pagination": {"pageSize": 20}}
        elif route == "jobs/get":
            body = {"id": rng.choice(list(self.jobs))}
        elif route == "sources/get":
            body = {"sourceId": rng.choice(list(self.sources))}
        elif route == "state/get":
            body = {"connectionId": rng.choice([self.pg_connection, *self.sync_pool])}
        elif route == "sources/create":
            name = f"load source {rng.randrange(1 << 30)}"
            body = {"workspaceId": self.workspace, "name": name, "sourceDefinitionId": self.faker_def,
                    "connectionConfiguration": {"count": 100, "seed": rng.randrange(1000)}}

            def on_ok(answer):
                self.sources[answer["sourceId"]] = {"names": {name}, "busy": False}
        elif route == "sources/update":
            target = self._pick(self.sources, lambda v: not v.get("fixed"))
            if target is None:
                return await self._issue("health", due)
            name = f"renamed {rng.randrange(1 << 30)}"
            body = {"sourceId": target, "name": name, "connectionConfiguration": {"count": 100, "seed": 5}}

            def on_ok(answer, t=target):
                self.sources[t]["names"] = {name}

            def on_unknown(t=target):
                self.sources[t]["names"].add(name)
        elif route == "connections/create" and self._live_load_connections() >= self.max_load_connections:
            return await self._issue("connections/delete", due)  # a steady population, as in real use
        elif route == "connections/create":
            name = f"load connection {rng.randrange(1 << 30)}"
            body = {"sourceId": self.small_source, "destinationId": self.devnull, "name": name,
                    "syncCatalog": self.catalog, "scheduleType": "manual", "status": "active"}

            def on_ok(answer):
                self.connections[answer["connectionId"]] = {"names": {name}, "deleted": False, "busy": False,
                                                            "fixed": False}
        elif route in ("connections/update", "connections/delete"):
            target = self._pick(self.connections, lambda v: not v["fixed"] and v["deleted"] is False)
            if target is None:  # every one busy: create one, or (at the population's bound) read instead
                full = self._live_load_connections() >= self.max_load_connections
                return await self._issue("health" if full else "connections/create", due)
            if route == "connections/update":
                name = f"renamed {rng.randrange(1 << 30)}"
                body = {"connectionId": target, "name": name}

                def on_ok(answer, t=target):
                    self.connections[t]["names"] = {name}

                def on_unknown(t=target):
                    self.connections[t]["names"].add(name)
            else:
                body = {"connectionId": target}
                expect = (204,)

                def on_ok(answer, t=target):
                    self.connections[t]["deleted"] = True

                def on_unknown(t=target):
                    self.connections[t]["deleted"] = None
        elif route == "connections/sync":
            cid = self.pg_connection if rng.random() < 0.1 else rng.choice(self.sync_pool)
            body = {"connectionId": cid}

            def on_ok(answer, c=cid):
                self.jobs.setdefault(answer["job"]["id"], {"connection": c, "cancel": None})
        elif route == "jobs/cancel":
            open_jobs = [j for j, v in self.jobs.items() if v["connection"] != self.pg_connection and v["cancel"] is None]
            if not open_jobs:
                return await self._issue("jobs/get", due)
            jid = rng.choice(open_jobs[-20:])
            self.jobs[jid]["cancel"] = "sent"
            body = {"id": jid}

            def on_ok(answer, j=jid):
                self.jobs[j]["cancel"] = answer["job"]["status"]

            def on_unknown(j=jid):
                self.jobs[j]["cancel"] = "unknown"
        if target is not None:
            table = self.sources if route.startswith("sources") else self.connections
            table[target]["busy"] = True
        sent = time.monotonic()
        self.late_start.append(sent - due)
        self.sent += 1
        try:
            status, answer = await self.pool.request(method, path, body, self.timeout, parse=on_ok is not None)
        except NoAnswer as e:
            refused_or_reset = "TimeoutError" not in str(e)  # a wait of `timeout` s is an error of its own
            self._record(route, due, time.monotonic(), "no answer", False, str(e),
                         sent=sent if refused_or_reset else None)
            if on_unknown:
                on_unknown()
        else:
            ok = status in expect
            self._record(route, due, time.monotonic(), status, ok, json.dumps(answer)[:200] if not ok else "")
            if ok and on_ok:
                on_ok(answer)
            elif not ok and on_unknown:
                on_unknown()  # an error answer: assume nothing about the outcome
        finally:
            if target is not None:
                table[target]["busy"] = False

    async def _restarts(self):
        for at, sig in self.restarts:  # one after the other, even when one takes longer than planned
            await self._restart(at, sig)

    def _server_cpu(self):
        """CPU seconds (user + system) of the running server process, its attempt children excluded."""
        try:
            fields = pathlib.Path(f"/proc/{self.server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, AttributeError, IndexError, ValueError):
            return 0.0

    async def _restart(self, at, sig):
        await asyncio.sleep(max(0.0, self.t0 + at - time.monotonic()))
        self.server_cpu += self._server_cpu() - self._cpu_at_start
        before = await asyncio.to_thread(self._pg_state)
        start = time.monotonic()
        self._open_window = start
        await asyncio.to_thread(self.server.stop, 60, sig)
        down = time.monotonic()
        await asyncio.to_thread(self.server.start, 60, True)
        end = time.monotonic()
        self._open_window = None
        self.windows.append((start, end, signal.Signals(sig).name, end - down, down - start))
        self._cpu_at_start = self._server_cpu()
        after = await asyncio.to_thread(self._pg_state)
        self.state_checks.append((signal.Signals(sig).name, before, after))

    def _pg_state(self):
        r = requests.post(f"{self.server.url}/state/get", json={"connectionId": self.pg_connection}, timeout=30)
        r.raise_for_status()
        return r.json()

    async def _main(self):
        self.pool = Pool(self.server.host, self.server.port, self.max_connections)
        self._open_window = None
        self.server_cpu, self._cpu_at_start = 0.0, self._server_cpu()
        cpu0 = os.times()
        self.t0 = time.monotonic()
        restarts = [asyncio.create_task(self._restarts())]
        tasks = set()
        total = int(self.rate * self.seconds)
        for i in range(total):
            due = self.t0 + i / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            route = self.rng.choices(self.routes, self.weights)[0]
            task = asyncio.create_task(self._issue(route, due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*list(tasks), *restarts)
        self.elapsed = time.monotonic() - self.t0
        self.server_cpu += self._server_cpu() - self._cpu_at_start
        cpu1 = os.times()
        self.client_cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        self.loadavg = os.getloadavg()[0]
        for c in self.pool.idle:
            c.close()

    def run(self):
        asyncio.run(self._main())
        return self

    # --- the checks ---
    def verify(self, settle_timeout=180):
        s = self.server
        problems = []
        # Stop the schedules, so that the jobs come to an end.
        for cid in (self.pg_connection, self.cron_devnull):
            s.ok("connections/update", {"connectionId": cid, "scheduleType": "manual"})
        started = time.monotonic()
        pending = set(self.jobs)
        final = {}
        while pending and time.monotonic() - started < settle_timeout:
            for jid in list(pending):
                info = s.ok("jobs/get", {"id": jid})
                if info["job"]["status"] in TERMINAL:
                    final[jid] = info
                    pending.discard(jid)
            if pending:
                time.sleep(0.5)
        self.figures["settle_s"] = time.monotonic() - started
        for jid in sorted(pending):
            info = s.ok("jobs/get", {"id": jid})
            problems.append(f"job {jid} still {info['job']['status']} {settle_timeout} s after the load "
                            f"(attempts {[a['attempt']['status'] for a in info['attempts']]})")
        statuses = {}
        for jid, info in final.items():
            job, attempts = info["job"], [a["attempt"] for a in info["attempts"]]
            statuses[job["status"]] = statuses.get(job["status"], 0) + 1
            if any(a["status"] == "running" for a in attempts):
                problems.append(f"job {jid} is {job['status']} with a running attempt")
            if job["status"] == "succeeded" and (not attempts or attempts[-1]["status"] != "succeeded"):
                problems.append(f"job {jid} succeeded but its last attempt is {attempts[-1:]} ")
            if self.jobs[jid]["cancel"] == "pending" and job["status"] != "cancelled":
                problems.append(f"job {jid} was cancelled while pending (acknowledged) but ended {job['status']}")
        self.figures["jobs"] = statuses
        self.figures["attempts"] = sum(len(i["attempts"]) for i in final.values())
        # Sources and connections: every acknowledged write.
        checked = 0
        for sid, m in self.sources.items():
            r = s.post("sources/get", {"sourceId": sid})
            checked += 1
            if r.status_code != 200:
                problems.append(f"source {sid} (acknowledged) answers {r.status_code}")
            elif r.json()["name"] not in m["names"]:
                problems.append(f"source {sid} is named {r.json()['name']!r}, acknowledged {sorted(m['names'])}")
        for cid, m in self.connections.items():
            r = s.post("connections/get", {"connectionId": cid})
            checked += 1
            if r.status_code != 200:
                problems.append(f"connection {cid} (acknowledged) answers {r.status_code}")
                continue
            c = r.json()
            if m["deleted"] is True and c["status"] != "deprecated":
                problems.append(f"connection {cid}: delete acknowledged, status {c['status']}")
            if m["deleted"] is False and c["status"] == "deprecated":
                problems.append(f"connection {cid}: deleted without an acknowledged delete")
            if m["names"] is not None and c["name"] not in m["names"]:
                problems.append(f"connection {cid} is named {c['name']!r}, acknowledged {sorted(m['names'])}")
        self.figures["objects_checked"] = checked
        # States around each restart: never older than before it.
        for sig, before, after in self.state_checks:
            why = state_went_back(before, after)
            if why:
                problems.append(f"restart ({sig}): the saved state went back: {why}")
        # A last sync of faker → postgres without a restart: the destination holds every row once,
        # and the committed counts of the attempts account for every row.
        last = s.ok("connections/sync", {"connectionId": self.pg_connection})["job"]["id"]
        deadline = time.monotonic() + settle_timeout
        while time.monotonic() < deadline:
            info = s.ok("jobs/get", {"id": last})
            if info["job"]["status"] in TERMINAL:
                break
            time.sleep(0.3)
        if info["job"]["status"] != "succeeded":
            problems.append(f"the final faker → postgres sync ended {info['job']['status']}")
        rows, distinct = self.pg.query(self.pg_db, "select count(*), count(distinct id) from users")[0]
        self.figures["pg_rows"] = (rows, distinct)
        if (rows, distinct) != (self.users, self.users):
            problems.append(f"destination users: {rows} rows, {distinct} ids; the source has {self.users}")
        listed = s.ok("jobs/list", {"configTypes": ["sync"], "configId": self.pg_connection,
                                    "pagination": {"pageSize": 1000}})["jobs"]
        committed = sum(a["attempt"].get("recordsSynced") or 0 for j in listed for a in j.get("attempts", []))
        self.figures["pg_jobs"] = len(listed)
        # How the faker → postgres jobs went through the restarts: attempts that did not succeed.
        self.figures["pg_attempts"] = [
            f"job {j['job']['id']}: " + " → ".join(
                a["attempt"]["status"] + (f" ({_failure(a['attempt'])})" if a["attempt"]["status"] == "failed" else "")
                for a in j.get("attempts", []))
            for j in reversed(listed) if len(j.get("attempts", [])) > 1]
        self.figures["pg_committed"] = committed
        if committed < rows:
            problems.append(f"the jobs' committed records ({committed}) do not account for the {rows} rows")
        self.problems = problems
        return problems

    def report(self):
        lines = [f"API under load: {self.rate} req/s for {self.seconds} s (seed {self.seed}), "
                 f"{self.sent} requests sent in {self.elapsed:.1f} s"]
        lines.append(f"  CPU during the load: server {self.server_cpu:.1f} s ({self.server_cpu / max(1, self.sent) * 1000:.2f} ms "
                     f"a request, its attempts not counted), load generator {self.client_cpu:.1f} s; load average "
                     f"{self.loadavg:.1f} at the end ({os.cpu_count()} cores)")
        for start, end, sig, up, down in self.windows:
            lines.append(f"  restart ({sig}) at {start - self.t0:.1f} s: down {down:.2f} s, up again after "
                         f"{up:.2f} s; restart window {end - start:.2f} s")
        all_ok = [x for v in self.samples_outside.values() for x in v]
        every = [x for v in self.samples.values() for x in v]
        lines.append(f"  latency from the scheduled send, requests due outside the restart windows: "
                     f"p50 {percentile(all_ok, 50) * 1000:.1f} ms, p99 {percentile(all_ok, 99) * 1000:.1f} ms, "
                     f"max {max(all_ok, default=0) * 1000:.0f} ms; all requests: p99 "
                     f"{percentile(every, 99) * 1000:.1f} ms, max {max(every, default=0) * 1000:.0f} ms")
        slow = sorted(self.slowest, reverse=True)[:5]
        lines.append("  slowest: " + ", ".join(f"{r} due at {d:.2f} s: {lat * 1000:.0f} ms" for lat, r, d in slow))
        lines.append("  by 10 s of the run (due time): " + "; ".join(
            f"{k * 10}-{k * 10 + 10} s p99 {percentile(b['lat'], 99) * 1000:.0f} ms, {b['errors']} errors"
            for k, b in sorted(self.buckets.items())))
        lines.append(f"  generator lag (its own): p99 {percentile(self.late_start, 99) * 1000:.1f} ms, "
                     f"max {max(self.late_start, default=0) * 1000:.0f} ms")
        lines.append(f"  {'route':<20} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6} {'in window':>9}")
        for route in self.routes:
            v = self.samples_outside.get(route, [])
            lines.append(f"  {route:<20} {len(self.samples.get(route, [])):>6} {percentile(v, 50) * 1000:>8.1f} "
                         f"{percentile(v, 99) * 1000:>8.1f} {max(v, default=0) * 1000:>8.0f} "
                         f"{len(self.errors.get(route, [])):>6} {self.window_errors.get(route, 0):>9}")
        errs = sum(len(v) for v in self.errors.values())
        lines.append(f"  errors outside the restart windows: {errs}; in them: {sum(self.window_errors.values())}")
        for route, v in self.errors.items():
            for t, what in v[:3]:
                lines.append(f"    {route} at {t} s: {what}")
        f = self.figures
        if f:
            lines.append(f"  after: jobs {f.get('jobs')} ({f.get('attempts')} attempts) settled in "
                         f"{f.get('settle_s', 0):.1f} s; {f.get('objects_checked')} sources/connections checked; "
                         f"postgres {f.get('pg_rows')} rows/ids, {f.get('pg_committed')} records committed by "
                         f"{f.get('pg_jobs')} jobs; problems: {len(getattr(self, 'problems', []))}")
            for line in f.get("pg_attempts", []):
                lines.append(f"    faker → postgres {line}")
            for p in getattr(self, "problems", [])[:10]:
                lines.append(f"    {p}")
        return "\n".join(lines)

    def p99_outside(self):
        """p99 latency (s) of the requests due outside the restart windows."""
        return percentile([x for v in self.samples_outside.values() for x in v], 99)

    def outside_errors(self):
        return {route: v for route, v in self.errors.items() if v}


def _failure(attempt):
    failures = (attempt.get("failureSummary") or {}).get("failures") or [{}]
    return str(failures[0].get("externalMessage", ""))[:80]


def _stream_cursors(state):
    """{stream name: its state} of a state/get answer ({} when none saved)."""
    if state.get("stateType") in (None, "not_set"):
        return {}
    return {json.dumps(s.get("streamDescriptor"), sort_keys=True): s.get("streamState") or {}
            for s in state.get("streamState") or []}


def state_went_back(before, after):
    """Why `after` (read after a restart) is older than `before` (read just before it), or None:
    a stream whose state is gone, or whose cursor (`updated_at`, faker's) is lower."""
    b, a = _stream_cursors(before), _stream_cursors(after)
    for stream, old in b.items():
        if stream not in a:
            return f"the state of {stream} is gone"
        new = a[stream]
        if isinstance(old, dict) and isinstance(new, dict) and "updated_at" in old and \
                str(new.get("updated_at", "")) < str(old["updated_at"]):
            return f"{stream}: cursor {old['updated_at']} → {new.get('updated_at')}"
    return None
