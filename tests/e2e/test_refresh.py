"""Refreshes and clears per stream, with generation ids (issue 14), through the server's API.

A real PostgreSQL source database with two tables (users, orders), synced Incremental | Append
by a real `sluice server` into destination-postgres (schema "dst" of the same database) and into
destination-local (JSONL). After a first sync:
  - a Truncate refresh of `users` leaves exactly the source's current rows (a row deleted in the
    source is gone) in a higher _airbyte_generation_id, and `orders` untouched;
  - a Merge refresh keeps the old rows and adds the re-read ones in the next generation;
  - a clear empties the stream and its saved state; the next sync reads it from the start;
  - a Truncate refresh cancelled mid-way keeps the previous rows.

The destination-postgres half of the last point is the destination's contract (rows of older
generations stay until the new generation commits); it is marked where this branch's
destination does not keep it yet.
"""
import gzip
import hashlib
import pathlib
import re
import time

import pytest

from conftest import read_records
from pg_server import pg  # noqa: F401  (session fixture)
from sluice_server import sluice_server

USERS = 300
ORDERS = 120
BIG_USERS = 1_500_000  # for the cancelled refresh: long enough to cancel while it runs




def wait_job(server, job_id, statuses=("succeeded", "failed", "cancelled"), timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = server.ok("jobs/get", {"id": job_id})
        if info["job"]["status"] in statuses:
            return info
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {info['job']['status']} after {timeout} s:\n{server.log()[-4000:]}")


def run_job(server, path, body):
    """Queues a job through `path` and waits for it; it must succeed."""
    job = server.ok(path, body)["job"]
    info = wait_job(server, job["id"])
    assert info["job"]["status"] == "succeeded", f"{path}: {info['job']}\n{server.log()[-4000:]}"
    return info


def setup_source(pg, db, users=USERS):
    pg.create_database(db)
    pg.execute(db, "create table public.users (id bigint primary key, name text, updated_at timestamptz not null)")
    pg.execute(db, "create table public.orders (id bigint primary key, amount int, updated_at timestamptz not null)")
    pg.execute(db, "insert into public.users select g, 'user ' || g || repeat('x', 40), "
                   "'2024-01-01'::timestamptz + g * interval '1 second' from generate_series(1, %s) g", (users,))
    pg.execute(db, "insert into public.orders select g, g * 10, "
                   "'2024-01-01'::timestamptz + g * interval '1 second' from generate_series(1, %s) g", (ORDERS,))


class PostgresOutput:
    name = "destination-postgres"

    def __init__(self, pg, db):
        self.pg, self.db = pg, db

    def config(self):
        return self.pg.config(self.db)

    def connection_fields(self):
        return {"namespaceDefinition": "customformat", "namespaceFormat": "dst"}

    def rows(self, stream):
        """[(id, generation)] of the stream's destination table ([] when it has none)."""
        if not self.pg.query(self.db, "select to_regclass(%s)", (f"dst.{stream}",))[0][0]:
            return []
        return [tuple(r) for r in self.pg.query(self.db, f"select id, _airbyte_generation_id from dst.{stream}")]

    def fingerprint(self, stream):
        """(row count, md5 of every row in id order, metadata columns included)."""
        return tuple(self.pg.query(self.db, f"select count(*), md5(string_agg(t::text, ',' order by id)) from dst.{stream} t")[0])


class LocalOutput:
    name = "destination-local"

    def __init__(self, folder):
        self.folder = folder

    def config(self):
        return {"destination_path": str(self.folder), "format": {"format_type": "JSONL"}}

    def connection_fields(self):
        return {"namespaceDefinition": "source"}

    def rows(self, stream):
        return [(r["_airbyte_data"]["id"], r["_airbyte_generation_id"])
                for r in read_records(self.folder / "public" / stream)]

    def fingerprint(self, stream):
        """(record count, {file: sha256}) of the stream's files: equal only when no byte changed.
        Parsing 1.5 M records in Python took 45 s; hashing them takes a fraction of a second."""
        files, count = {}, 0
        for f in sorted((self.folder / "public" / stream).rglob("*")):
            if f.is_file():
                data = f.read_bytes()
                files[str(f.relative_to(self.folder))] = hashlib.sha256(data).hexdigest()
                count += (gzip.decompress(data) if f.suffix == ".gz" else data).count(b"\n")
        return count, files


def make_connection(server, pg, db, output):
    source_id = server.ok("sources/create", {
        "workspaceId": server.workspace_id(), "name": f"pg {db}", "connectionConfiguration": pg.config(db),
        "sourceDefinitionId": server.definition_id("source", "source-postgres")})["sourceId"]
    destination_id = server.ok("destinations/create", {
        "workspaceId": server.workspace_id(), "name": f"{output.name} {db}",
        "connectionConfiguration": output.config(),
        "destinationDefinitionId": server.definition_id("destination", output.name)})["destinationId"]
    catalog = server.ok("sources/discover_schema", {"sourceId": source_id})["catalog"]
    for entry in catalog["streams"]:
        entry["config"].update(selected=True, syncMode="incremental", destinationSyncMode="append",
                               cursorField=["updated_at"], primaryKey=[["id"]])
    body = {"sourceId": source_id, "destinationId": destination_id, "name": db, "syncCatalog": catalog,
            "scheduleType": "manual", "status": "active"}
    body.update(output.connection_fields())
    return server.ok("connections/create", body)["connectionId"]


def source_ids(pg, db, table):
    return sorted(r[0] for r in pg.query(db, f"select id from public.{table}"))


def stream_states(server, connection_id):
    state = server.ok("state/get", {"connectionId": connection_id})
    return {s["stream_descriptor"]["name"] for s in state.get("streamState", [])}


def refresh(server, connection_id, mode, *streams):
    body = {"connectionId": connection_id, "refreshMode": mode,
            "streams": [{"streamName": s, "streamNamespace": "public"} for s in streams]}
    return run_job(server, "connections/refresh", body)


@pytest.fixture(params=["postgres", "local"])
def output(request, pg, tmp_path):
    db = f"refresh_{request.param}"
    setup_source(pg, db)
    out = PostgresOutput(pg, db) if request.param == "postgres" else LocalOutput(tmp_path / "out")
    out.db = db
    return out


def test_truncate_merge_and_clear_per_stream(pg, output):
    db = output.db
    with sluice_server() as server:
        c = make_connection(server, pg, db, output)
        first = run_job(server, "connections/sync", {"connectionId": c})
        assert first["job"]["configType"] == "sync"
        assert sorted(i for i, _ in output.rows("users")) == source_ids(pg, db, "users")
        assert {g for _, g in output.rows("users")} == {0}
        orders_before = output.rows("orders")
        assert sorted(i for i, _ in orders_before) == source_ids(pg, db, "orders")
        assert stream_states(server, c) == {"users", "orders"}

        # A row deleted in the source: an incremental sync never sees it, a Truncate refresh does.
        pg.execute(db, "delete from public.users where id % 10 = 0")
        info = refresh(server, c, "Truncate", "users")
        job = info["job"]
        assert job["configType"] == "refresh"
        assert job["refreshConfig"]["streamsToRefresh"] == [{"name": "users", "namespace": "public"}]
        assert job["streamActions"] == [{"streamName": "users", "streamNamespace": "public", "action": "refresh",
                                         "refreshMode": "Truncate", "generationId": 1}]
        users = output.rows("users")
        # The new generation is complete and exactly the source now …
        assert sorted(i for i, g in users if g == 1) == source_ids(pg, db, "users")
        # … and the older generation's rows are gone.
        assert {g for _, g in users} == {1}
        orders = output.rows("orders")
        assert {g for _, g in orders} == {0}  # synced as usual in the same job, generation kept
        assert {i for i, _ in orders} == {i for i, _ in orders_before}
        logs = "\n".join(line for a in info["attempts"] for line in a["logs"]["logLines"])
        assert re.search(r"stream (dst|public)\.users: incremental \| append, generation 1 \(minimum 1\)", logs), logs
        assert re.search(r"stream (dst|public)\.orders: incremental \| append, generation 0 \(minimum 0\)", logs), logs

        # Merge: the old rows stay, the re-read ones come in the next generation.
        info = refresh(server, c, "merge", "users")  # letter case is free
        assert info["job"]["streamActions"][0]["refreshMode"] == "Merge"
        users = output.rows("users")
        current = source_ids(pg, db, "users")
        assert sorted(i for i, g in users if g == 1) == current
        assert sorted(i for i, g in users if g == 2) == current
        assert len(users) == 2 * len(current)

        # Clear: the stream is emptied and its state removed; the other stream keeps both.
        info = run_job(server, "connections/clear/stream",
                       {"connectionId": c, "streams": [{"streamName": "users", "streamNamespace": "public"}]})
        assert info["job"]["configType"] == "clear"
        assert info["job"]["resetConfig"]["streamsToReset"] == [{"name": "users", "namespace": "public"}]
        assert info["job"]["streamActions"][0]["generationId"] == 3
        assert output.rows("users") == []
        assert stream_states(server, c) == {"orders"}
        assert {i for i, _ in output.rows("orders")} == {i for i, _ in orders_before}
        # The next sync reads the cleared stream from the start, in its new generation.
        run_job(server, "connections/sync", {"connectionId": c})
        users = output.rows("users")
        assert sorted(i for i, _ in users) == source_ids(pg, db, "users")
        assert {g for _, g in users} == {3}

        # jobs/list filters by the new types.
        listed = server.ok("jobs/list", {"configId": c, "configTypes": ["refresh", "clear"]})
        assert [j["job"]["configType"] for j in listed["jobs"]] == ["clear", "refresh", "refresh"]
        assert listed["totalJobCount"] == 3

        # Requests that cannot be honoured name the field.
        r = server.post("connections/refresh", {"connectionId": c, "refreshMode": "Sideways"})
        assert r.status_code == 422 and "refreshMode" in r.text
        r = server.post("connections/clear/stream",
                        {"connectionId": c, "streams": [{"streamName": "nope", "streamNamespace": "public"}]})
        assert r.status_code == 422 and "streams[0]" in r.text
        r = server.post("connections/reset/stream", {"connectionId": c, "streams": []})
        assert r.status_code == 422


def test_refresh_of_every_stream_and_a_whole_clear(pg, tmp_path):
    db = "refresh_all"
    setup_source(pg, db)
    output = LocalOutput(tmp_path / "out")
    with sluice_server() as server:
        c = make_connection(server, pg, db, output)
        run_job(server, "connections/sync", {"connectionId": c})
        info = run_job(server, "connections/refresh", {"connectionId": c, "refreshType": "TRUNCATE"})
        assert {a["streamName"] for a in info["job"]["streamActions"]} == {"users", "orders"}
        for stream in ("users", "orders"):
            assert {g for _, g in output.rows(stream)} == {1}
            assert sorted(i for i, _ in output.rows(stream)) == source_ids(pg, db, stream)
        info = run_job(server, "connections/clear", {"connectionId": c})
        assert info["job"]["configType"] == "clear"
        assert output.rows("users") == [] and output.rows("orders") == []
        assert stream_states(server, c) == set()
        # The older name: a reset empties every stream in a new generation too.
        run_job(server, "connections/sync", {"connectionId": c})
        info = run_job(server, "connections/reset", {"connectionId": c})
        assert info["job"]["configType"] == "reset_connection"
        assert {a["generationId"] for a in info["job"]["streamActions"]} == {3}
        assert output.rows("users") == []


def wait_log(server, job_id, text, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = server.ok("jobs/get", {"id": job_id})
        lines = [line for a in info["attempts"] for line in a["logs"]["logLines"]]
        if any(text in line for line in lines):
            return info
        if info["job"]["status"] in ("succeeded", "failed", "cancelled"):
            raise AssertionError(f"job {job_id} ended ({info['job']['status']}) before '{text}' showed")
        time.sleep(0.05)
    raise AssertionError(f"'{text}' not in the log of job {job_id} within {timeout} s")


@pytest.mark.parametrize("kind", ["local", "postgres"])
def test_a_cancelled_truncate_refresh_keeps_the_old_rows(pg, tmp_path, kind):
    db = f"refresh_cancel_{kind}"
    setup_source(pg, db, users=BIG_USERS)
    output = LocalOutput(tmp_path / "out") if kind == "local" else PostgresOutput(pg, db)
    with sluice_server() as server:
        c = make_connection(server, pg, db, output)
        run_job(server, "connections/sync", {"connectionId": c})
        before = output.fingerprint("users")
        assert before[0] == BIG_USERS
        job = server.ok("connections/refresh", {"connectionId": c, "refreshMode": "Truncate",
                                                "streams": [{"streamName": "users", "streamNamespace": "public"}]})["job"]
        # Cancel while the stream is being read (reading and writing 1.5 M rows takes seconds;
        # its files or rows are replaced only when the whole stream is in).
        wait_log(server, job["id"], "users: incremental | append, generation 1 (minimum 1)")
        time.sleep(0.1)
        server.ok("jobs/cancel", {"id": job["id"]})
        info = wait_job(server, job["id"])
        if info["job"]["status"] == "succeeded":
            pytest.skip("the refresh finished before the cancel reached it")
        assert info["job"]["status"] == "cancelled"
        after = output.fingerprint("users")
        if after != before and kind == "local":
            # The cancel reached the job only after the stream was in and its files swapped (the
            # read is fast): then the new generation is there whole — every row, one run's files —
            # never a mix of the two and never a part.
            assert after[0] == BIG_USERS, after[0]
            assert len({pathlib.PurePath(f).name.split("_")[0] for f in after[1]}) == 1, after[1]
            assert not set(after[1]) & set(before[1])
            pytest.skip("the cancel reached the job after the new generation was swapped in")
        assert after == before  # the previous generation only, untouched
