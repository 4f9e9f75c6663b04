"""Operations after a sync through the Config API (Airbyte's operations/* and a connection's
operationIds) against a real PostgreSQL 15 and the real server: basic normalization while
loading, a dbt-style project run by sluice's transform, a webhook; each is a step of the job with
its own log lines and duration; a failing model fails the job (failureOrigin dbt) while the
synced rows and the saved state stay; deleting an operation takes it out of the connection."""
import http.server
import json
import threading

from pg_server import pg  # noqa: F401  (session fixture)
from sluice_server import register_secret, sluice_server
from test_platform import all_log_lines, create_connection, create_destination, create_source, wait_job, workspace_id


class Hook:
    """A local webhook receiver: remembers each POST's JSON body."""

    def __init__(self):
        bodies = self.bodies = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                bodies.append(json.loads(self.rfile.read(n) or b"null"))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hooks/after-sync"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def write_project(root, model_sql):
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text("name: analytics\nversion: '1.0'\nprofile: analytics\n"
                                          "models:\n  analytics:\n    +materialized: table\n")
    (root / "models" / "city_counts.sql").write_text(model_sql)
    (root / "models" / "schema.yml").write_text(
        "version: 2\nmodels:\n  - name: city_counts\n    columns:\n      - name: city\n        tests: [not_null, unique]\n")


def create_operation(server, name, config):
    return server.ok("operations/create", {"workspaceId": workspace_id(server), "name": name,
                                           "operatorConfiguration": config})["operationId"]


def test_operations_run_after_the_sync_as_steps(pg, tmp_path):
    register_secret(pg.password)
    db = "ops_dest"
    pg.create_database(db)
    project = tmp_path / "project"
    write_project(project, "select address_city as city, count(*) as users\n"
                           "from {{ source('raw', 'users') }}\ngroup by address_city\n")
    (project / "models" / "sources.yml").write_text(
        "version: 2\nsources:\n  - name: raw\n    schema: public\n    tables:\n      - name: users\n")
    hook = Hook()
    try:
        with sluice_server() as server:
            # check_operation: Airbyte's body is the OperatorConfiguration itself.
            bad = server.ok("operations/check", {"operatorType": "dbt", "dbt": {"gitRepoUrl": str(tmp_path / "none")}})
            assert bad["status"] == "failed" and "no dbt_project.yml" in bad["message"], bad
            good = server.ok("operations/check", {"operatorType": "dbt", "dbt": {"gitRepoUrl": str(project)}})
            assert good == {"status": "succeeded", "message": ""}
            r = server.post("operations/create", {"name": "x", "operatorConfiguration": {"operatorType": "sql"}})
            assert r.status_code == 422 and "operatorConfiguration.operatorType" in r.text, r.text

            normalize = create_operation(server, "normalize", {"operatorType": "normalization",
                                                               "normalization": {"option": "basic"}})
            dbt = create_operation(server, "city counts", {"operatorType": "dbt", "dbt": {
                "gitRepoUrl": f"file://{project}", "dbtArguments": "build --select city_counts"}})
            webhook = create_operation(server, "notify", {"operatorType": "webhook", "webhook": {
                "executionUrl": hook.url, "executionBody": json.dumps({"event": "synced", "source": "sluice"})}})
            source_id = create_source(server, {"count": 300, "seed": 7})
            destination_id = create_destination(server, "destination-postgres", pg.config(db))
            connection_id = create_connection(server, source_id, destination_id,
                                              operationIds=[normalize, dbt, webhook])
            got = server.ok("connections/get", {"connectionId": connection_id})
            assert got["operationIds"] == [normalize, dbt, webhook]
            listed = server.ok("operations/list", {"connectionId": connection_id})["operations"]
            assert [o["name"] for o in listed] == ["normalize", "city counts", "notify"]
            assert listed[1]["operatorConfiguration"]["dbt"]["dbtArguments"] == "build --select city_counts"

            job_id = server.ok("connections/sync", {"connectionId": connection_id})["job"]["id"]
            job = wait_job(server, job_id)
            lines = all_log_lines(server, job)
            assert job["job"]["status"] == "succeeded", "\n".join(lines[-60:])
            # Normalization while loading: flat columns, child tables.
            assert pg.query(db, "select count(*), count(address_city) from public.users") == [(300, 300)]
            # The model and its tests ran after the sync, against the synced rows.
            assert pg.query(db, "select sum(users) from public.city_counts") == [(300,)]
            text = "\n".join(lines)
            assert "operation 1 of 2 'city counts' (dbt): started" in text, text[-4000:]
            assert "operation 1 of 2 'city counts' (dbt): succeeded in" in text
            assert "PASS=" in text and "ERROR=0" in text
            assert "operation 2 of 2 'notify' (webhook): succeeded in" in text
            assert hook.bodies == [{"event": "synced", "source": "sluice"}]
            assert pg.password not in text

            # A model that fails: the job fails in its dbt step; the synced rows and state stay.
            write_project(tmp_path / "broken", "select no_such_column from {{ source('raw', 'users') }}\n")
            (tmp_path / "broken" / "models" / "sources.yml").write_text(
                (project / "models" / "sources.yml").read_text())
            server.ok("operations/update", {"operationId": dbt, "name": "city counts", "operatorConfiguration": {
                "operatorType": "dbt", "dbt": {"gitRepoUrl": str(tmp_path / "broken")}}})
            state_before = server.ok("state/get", {"connectionId": connection_id})
            job_id = server.ok("connections/sync", {"connectionId": connection_id})["job"]["id"]
            job = wait_job(server, job_id)
            assert job["job"]["status"] == "failed", job["job"]
            attempt = job["attempts"][-1]["attempt"]
            failure = attempt["failureSummary"]["failures"][0]
            assert failure["failureOrigin"] == "dbt", failure
            assert "city counts" in failure["externalMessage"] and "city_counts.sql" in failure["externalMessage"], failure
            assert len(job["attempts"]) == 1, "a failing model is a config error: not retried"
            assert pg.query(db, "select count(*) from public.users") == [(300,)]
            # The sync before the failing step saved its checkpoint again (a new updatedAt); the
            # state itself is what the first sync left.
            state_after = server.ok("state/get", {"connectionId": connection_id})
            assert {k: v for k, v in state_after.items() if k != "updatedAt"} == \
                {k: v for k, v in state_before.items() if k != "updatedAt"}
            assert len(hook.bodies) == 1, "steps after the failed one do not run"

            # Deleting an operation takes it out of the connection.
            assert server.post("operations/delete", {"operationId": webhook}).status_code == 204
            assert server.ok("connections/get", {"connectionId": connection_id})["operationIds"] == [normalize, dbt]
            assert server.post("operations/get", {"operationId": webhook}).status_code == 404
            r = server.post("connections/update", {"connectionId": connection_id, "operationIds": [webhook]})
            assert r.status_code == 422 and "operationIds[0]" in r.text, r.text
    finally:
        hook.close()
