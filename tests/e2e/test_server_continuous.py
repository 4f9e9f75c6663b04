"""Continuous connections in the server (scheduleType continuous, issue 15): source-postgres CDC →
destination-postgres (dedup) against a real PostgreSQL 15. connections/create accepts continuous
only for a source that reads continuously (422 naming scheduleType otherwise); the scheduler starts
one job at once, the worker's attempt catches up and then streams, so changes converge within
seconds while the job keeps running; jobs/cancel stops it with its state saved, and it is not
started again while the connection is unchanged."""
import signal
import subprocess
import time

import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import wait_for
from pg_server import pg  # noqa: F401  (session fixture)
from sluice_server import external_workers, SLUICE, register_secret, sluice_server
from test_platform import all_log_lines, attempt_children, create_destination, wait_job
from test_postgres_cdc import cdc_config, drop_slot, make_source
from test_postgres_cdc_continuous import CONVERGE_S, INSERT_ORDERS, converges, equal


def create_postgres_source(server, config, name):
    return server.ok("sources/create", {
        "workspaceId": server.workspace_id(), "name": name, "connectionConfiguration": config,
        "sourceDefinitionId": server.definition_id("source", "source-postgres")})["sourceId"]


def dedup_catalog(server, source_id):
    catalog = server.ok("sources/discover_schema", {"sourceId": source_id})["catalog"]
    keys = {"orders": [["id"]], "lines": [["order_id"], ["line"]]}
    for entry in catalog["streams"]:
        name = entry["stream"]["name"]
        entry["config"]["selected"] = name in keys
        if name in keys:
            entry["config"].update(syncMode="incremental", destinationSyncMode="append_dedup", primaryKey=keys[name])
    return catalog


def connection_body(server, source_id, destination_id, catalog):
    return {"sourceId": source_id, "destinationId": destination_id, "name": "cdc", "syncCatalog": catalog,
            "scheduleType": "continuous", "status": "active",
            "namespaceDefinition": "customformat", "namespaceFormat": "dst"}


def sync_jobs(server, connection_id):
    return server.ok("jobs/list", {"configTypes": ["sync"], "configId": connection_id})["jobs"]


def job_log_lines(server, connection_id):
    return [line for j in sync_jobs(server, connection_id)
            for line in all_log_lines(server, server.ok("jobs/get", {"id": j["job"]["id"]}))]


def replication_lag(server, connection_id):
    text = requests.get(f"{server.base}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        if family.name == "sluice_replication_lag_bytes":
            for sample in family.samples:
                if sample.labels.get("connection_id") == connection_id:
                    return sample.value
    return None


def test_continuous_connection_streams_until_cancelled(pg, tmp_path):
    register_secret(pg.password)
    db = "srv_cont"
    make_source(pg, db, rows=200)
    with sluice_server(workers=1, extra_args=["--lease-seconds", "3"]) as server:
        source_id = create_postgres_source(server, cdc_config(pg, db), "cdc")
        destination_id = create_destination(server, "destination-postgres", pg.config(db))

        catalog = dedup_catalog(server, source_id)
        # Only a source that reads continuously: not source-postgres without CDC.
        standard_id = create_postgres_source(server, pg.config(db), "standard")
        r = server.post("connections/create", connection_body(server, standard_id, destination_id, catalog))
        assert r.status_code == 422, r.text
        assert "scheduleType" in r.text and "CDC" in r.text, r.text

        connection = server.ok("connections/create", connection_body(server, source_id, destination_id, catalog))
        connection_id = connection["connectionId"]
        assert connection["scheduleType"] == "continuous"
        assert server.ok("connections/get", {"connectionId": connection_id})["scheduleType"] == "continuous"
        listed = server.ok("connections/list", {"workspaceId": server.workspace_id()})["connections"]
        assert [c["scheduleType"] for c in listed if c["connectionId"] == connection_id] == ["continuous"]

        # The scheduler starts one job; it catches up (snapshot) and keeps running.
        assert wait_for(lambda: len(sync_jobs(server, connection_id)) == 1, timeout=30), server.log()[-3000:]
        converges(pg, db, timeout=90)
        lags = []
        for k in range(3):
            base = 10_000 + k * 1000
            pg.execute(db, INSERT_ORDERS, (base, base + 49))
            pg.execute(db, f"update public.orders set name = 'round {k} ' || id where id % 7 = {k}")
            pg.execute(db, f"delete from public.orders where id % 11 = {k} and id < 200")
            lags.append(converges(pg, db, timeout=CONVERGE_S))
        print("convergence times (s):", [round(x, 3) for x in lags])
        # The replication lag is a metric per connection (reported with the checkpoints).
        assert wait_for(lambda: replication_lag(server, connection_id) is not None, timeout=15), server.log()[-2000:]
        lag = replication_lag(server, connection_id)
        assert 0 <= lag < 64 << 20, lag
        jobs = sync_jobs(server, connection_id)
        assert len(jobs) == 1 and jobs[0]["job"]["status"] == "running", jobs
        job_id = jobs[0]["job"]["id"]
        state = server.ok("state/get", {"connectionId": connection_id})
        assert state.get("stateType") not in (None, "not_set"), state

        # jobs/cancel: SIGTERM, the attempt commits and saves its state; the job ends cancelled.
        pg.execute(db, INSERT_ORDERS, (20_000, 20_009))
        converges(pg, db, timeout=CONVERGE_S)
        server.ok("jobs/cancel", {"id": job_id})
        job = wait_job(server, job_id, timeout=60)
        assert job["job"]["status"] == "cancelled", job
        assert server.ok("state/get", {"connectionId": connection_id}) != state, "the last checkpoint was saved"
        # The lag series goes with the stream: a stale value would read as a stuck slot.
        assert replication_lag(server, connection_id) is None
        # Not started again while the connection is unchanged.
        time.sleep(3)
        assert len(sync_jobs(server, connection_id)) == 1

        # Set inactive and active again: it runs again, resuming from the saved state.
        server.ok("connections/update", {"connectionId": connection_id, "status": "inactive"})
        time.sleep(1)
        assert len(sync_jobs(server, connection_id)) == 1
        pg.execute(db, INSERT_ORDERS, (30_000, 30_009))
        server.ok("connections/update", {"connectionId": connection_id, "status": "active"})
        assert wait_for(lambda: len(sync_jobs(server, connection_id)) == 2, timeout=30), server.log()[-3000:]
        converges(pg, db, timeout=60)
        # Manual: the running job is stopped.
        second = sync_jobs(server, connection_id)[0]["job"]["id"]
        server.ok("connections/update", {"connectionId": connection_id, "scheduleType": "manual"})
        job = wait_job(server, second, timeout=60)
        assert job["job"]["status"] == "cancelled", job
        assert pg.query(db, "select count(*) - count(distinct id) from dst.orders") == [(0,)]
        assert equal(pg, db)
    drop_slot(pg, db)


def test_a_killed_worker_s_continuous_job_is_resumed_by_another(pg, tmp_path):
    """Two `sluice worker` processes on a PostgreSQL metadata store; the one running the continuous
    job is killed (-9): its lease runs out, the reclaimer hands the job to the other worker, which
    resumes from the saved state — changes made meanwhile arrive, nothing is duplicated."""
    register_secret(pg.password)
    db = "srv_cont_kill"
    make_source(pg, db, rows=50)
    pg.create_database("srv_cont_meta")
    metadata = pg.url("srv_cont_meta")
    with sluice_server(metadata=metadata, workers=0, extra_args=["--lease-seconds", "3"]) as server:
        with external_workers(server, metadata, 2, tmp_path) as workers:
            source_id = create_postgres_source(server, cdc_config(pg, db), "cdc")
            destination_id = create_destination(server, "destination-postgres", pg.config(db))
            connection_id = server.ok("connections/create", connection_body(
                server, source_id, destination_id, dedup_catalog(server, source_id)))["connectionId"]
            converges(pg, db, timeout=90)
            jobs = sync_jobs(server, connection_id)
            assert len(jobs) == 1 and jobs[0]["job"]["status"] == "running", jobs
            job_id = jobs[0]["job"]["id"]
            running = [w for w in workers if attempt_children(w.pid)]
            assert len(running) == 1
            victim = running[0]
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            pg.execute(db, INSERT_ORDERS, (40_000, 40_099))
            pg.execute(db, "update public.orders set amount = amount + 1 where id % 3 = 0")
            # The other worker resumes the same job (a second attempt) and streams again.
            survivor = [w for w in workers if w is not victim][0]
            assert wait_for(lambda: attempt_children(survivor.pid), timeout=30), server.log()[-3000:]
            converges(pg, db, timeout=60)
            info = server.ok("jobs/get", {"id": job_id})
            assert info["job"]["status"] == "running", info["job"]
            assert len(info["attempts"]) == 2 and info["attempts"][0]["attempt"]["status"] == "failed"
            assert len(sync_jobs(server, connection_id)) == 1
            pg.execute(db, INSERT_ORDERS, (50_000, 50_009))
            converges(pg, db, timeout=CONVERGE_S)
            server.ok("jobs/cancel", {"id": job_id})
            assert wait_job(server, job_id, timeout=60)["job"]["status"] == "cancelled"
            assert pg.query(db, "select count(*) - count(distinct id) from dst.orders") == [(0,)]
            assert equal(pg, db)
    drop_slot(pg, db)


def test_a_schema_change_ends_the_job_and_the_next_one_propagates_it(pg, tmp_path):
    """A column added while a continuous job streams: the source stops before the first change that
    has it, the job succeeds, the scheduler starts the next one at once, which discovers the column,
    applies nonBreakingChangesPreference (propagate_columns) and streams on with it."""
    register_secret(pg.password)
    db = "srv_cont_schema"
    make_source(pg, db, rows=50)
    with sluice_server(workers=1, extra_args=["--lease-seconds", "3"]) as server:
        source_id = create_postgres_source(server, cdc_config(pg, db), "cdc")
        destination_id = create_destination(server, "destination-postgres", pg.config(db))
        body = connection_body(server, source_id, destination_id, dedup_catalog(server, source_id))
        body["nonBreakingChangesPreference"] = "propagate_columns"
        connection_id = server.ok("connections/create", body)["connectionId"]
        assert wait_for(lambda: len(sync_jobs(server, connection_id)) == 1, timeout=30), server.log()[-3000:]
        converges(pg, db, timeout=90)
        pg.execute(db, "alter table public.orders add column note text")
        pg.execute(db, "insert into public.orders (id, name, note) values (9001, 'n', 'a note')")
        assert wait_for(lambda: pg.query(db, "select count(*) from information_schema.columns where table_schema = "
                                             "'dst' and table_name = 'orders' and column_name = 'note'") == [(1,)],
                        timeout=60), "\n".join(job_log_lines(server, connection_id))[-6000:]
        assert wait_for(lambda: pg.query(db, "select note from dst.orders where id = 9001") == [("a note",)],
                        timeout=30), "\n".join(job_log_lines(server, connection_id))[-6000:]
        jobs = sync_jobs(server, connection_id)
        assert len(jobs) == 2, jobs
        assert [j["job"]["status"] for j in jobs] == ["running", "succeeded"], jobs
        # Streaming goes on in the new job.
        pg.execute(db, INSERT_ORDERS, (40_000, 40_009))
        converges(pg, db, timeout=CONVERGE_S * 2)
        connection = server.ok("connections/get", {"connectionId": connection_id})
        orders = [s for s in connection["syncCatalog"]["streams"] if s["stream"]["name"] == "orders"][0]
        assert "note" in orders["stream"]["jsonSchema"]["properties"]
        server.ok("jobs/cancel", {"id": jobs[0]["job"]["id"]})
        wait_job(server, jobs[0]["job"]["id"], timeout=60)
    drop_slot(pg, db)
