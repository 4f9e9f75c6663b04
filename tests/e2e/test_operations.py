"""Operations after a sync through the Config API (Airbyte's operations/* and a connection's
operationIds) against a real PostgreSQL 15 and the real server: basic normalization while
loading, a dbt-style project run by sluice's transform, a webhook; each is a step of the job with
its own log lines and duration; a failing model fails the job (failureOrigin dbt) while the
synced rows and the saved state stay; deleting an operation takes it out of the connection.
sluice's extensions: a SQL script in one transaction (a failing statement named with its line,
nothing of the script kept, the synced rows kept), commands run without a shell with the
destination's PG* variables (the password and secretEnvironment redacted from the logs and
masked in answers), and a Dremio metadata refresh (`POST /api/v3/sql`) through curl against a
local stand-in for Dremio's REST API."""
import http.server
import json
import shutil
import sys
import threading

import pytest

from pg_server import pg  # noqa: F401  (session fixture)
from sluice_server import register_secret, sluice_server
from test_platform import all_log_lines, create_connection, create_destination, create_source, wait_job


class PostRecorder:
    """A local HTTP server that remembers each POST ({path, authorization, content_type, body}:
    the body as JSON) and answers what `answer(call)` gives: (status, JSON document or None)."""

    def __init__(self, answer, path=""):
        calls = self.calls = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                call = {"path": self.path, "authorization": self.headers.get("Authorization"),
                        "content_type": self.headers.get("Content-Type"),
                        "body": json.loads(self.rfile.read(n) or b"null")}
                calls.append(call)
                status, document = answer(call)
                self.send_response(status)
                if document is not None:
                    data = json.dumps(document).encode()
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                else:
                    self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}{path}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


class Hook(PostRecorder):
    """A local webhook receiver: remembers each POST's JSON body (`bodies`), answers 204."""

    def __init__(self):
        super().__init__(lambda call: (204, None), "/hooks/after-sync")

    @property
    def bodies(self):
        return [c["body"] for c in self.calls]


def dremio_answer(call):
    """Dremio's REST API as far as POST /api/v3/sql goes: a job id."""
    if call["path"] == "/api/v3/sql":
        return 200, {"id": "1f2e3d4c-job"}
    return 404, {"errorMessage": "not found"}


def write_project(root, model_sql):
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text("name: analytics\nversion: '1.0'\nprofile: analytics\n"
                                          "models:\n  analytics:\n    +materialized: table\n")
    (root / "models" / "city_counts.sql").write_text(model_sql)
    (root / "models" / "schema.yml").write_text(
        "version: 2\nmodels:\n  - name: city_counts\n    columns:\n      - name: city\n        tests: [not_null, unique]\n")


def create_operation(server, name, config):
    return server.ok("operations/create", {"workspaceId": server.workspace_id(), "name": name,
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
            r = server.post("operations/create", {"name": "x", "operatorConfiguration": {"operatorType": "spark"}})
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


# The command that asks Dremio to refresh a table's metadata (the README's example): curl run by
# sh for the token from secretEnvironment; the operation itself runs without a shell.
DREMIO_REFRESH = ["sh", "-c", "curl -sS --fail-with-body -X POST \"$DREMIO_URL/api/v3/sql\" "
                              "-H 'Content-Type: application/json' -H \"Authorization: Bearer $DREMIO_TOKEN\" "
                              "-d '{\"sql\": \"ALTER TABLE lake.shop.users REFRESH METADATA\"}'"]

# A command reading the destination through the PG* variables it is given (libpq reads them).
COUNT_ROWS = [sys.executable, "-c", "import os, sys, psycopg2\n"
              "c = psycopg2.connect('')\n"
              "cur = c.cursor(); cur.execute('select count(*) from users')\n"
              "print('users:', cur.fetchone()[0], 'in', os.environ['PGDATABASE'], 'schema', os.environ['SLUICE_SCHEMA'])\n"
              "print('password is', os.environ['PGPASSWORD'], 'token is', os.environ['TOKEN'])\n"
              "print('a warning', file=sys.stderr)\n"]


@pytest.mark.skipif(not shutil.which("curl"), reason="curl is needed (scripts/setup.sh installs it)")
def test_sql_and_command_operations(pg, tmp_path):
    register_secret(pg.password)
    db = "ops_sql_dest"
    pg.create_database(db)
    dremio = PostRecorder(dremio_answer)  # a local stand-in for Dremio's REST API
    try:
        with sluice_server() as server:
            bad = server.post("operations/create", {"name": "x", "operatorConfiguration": {
                "operatorType": "sql", "operatorSql": {"sql": "select 1;\ncommit;"}}})
            assert bad.status_code == 422 and "operatorConfiguration.operatorSql.sql" in bad.text \
                and "line 2" in bad.text, bad.text
            bad = server.post("operations/create", {"name": "x", "operatorConfiguration": {
                "operatorType": "command", "operatorCommand": {"command": "curl -X POST"}}})
            assert bad.status_code == 422 and "operatorConfiguration.operatorCommand.command" in bad.text, bad.text
            check = server.ok("operations/check", {"operatorType": "command", "operatorCommand": {
                "command": ["true"], "workingDirectory": str(tmp_path / "none")}})
            assert check["status"] == "failed" and "workingDirectory" in check["message"], check

            sql = create_operation(server, "marts", {"operatorType": "sql", "operatorSql": {"sql": (
                "-- the marts, rebuilt after each sync\n"
                "drop table if exists user_count;\n"
                "create table user_count as select count(*) as n from users;\n"
                "create or replace view user_count_v as select n from user_count;")}})
            count = create_operation(server, "count rows", {"operatorType": "command", "operatorCommand": {
                "command": COUNT_ROWS, "secretEnvironment": {"TOKEN": "tok-count-5ecret"}, "timeoutSeconds": 60}})
            refresh = create_operation(server, "refresh dremio", {"operatorType": "command", "operatorCommand": {
                "command": DREMIO_REFRESH, "environment": {"DREMIO_URL": dremio.url},
                "secretEnvironment": {"DREMIO_TOKEN": "dremio-pat-5ecret"}}})
            # Secrets are masked in answers; the mask sent back keeps the stored value.
            got = server.ok("operations/get", {"operationId": refresh})
            assert got["operatorConfiguration"]["operatorCommand"]["secretEnvironment"] == {"DREMIO_TOKEN": "**********"}
            assert got["operatorConfiguration"]["operatorCommand"]["environment"] == {"DREMIO_URL": dremio.url}
            server.ok("operations/update", {"operationId": refresh, "name": "refresh dremio",
                                            "operatorConfiguration": got["operatorConfiguration"]})
            assert "5ecret" not in json.dumps(server.ok("operations/list", {}))

            source_id = create_source(server, {"count": 200, "seed": 5})
            destination_id = create_destination(server, "destination-postgres", pg.config(db))
            connection_id = create_connection(server, source_id, destination_id, operationIds=[sql, count, refresh])

            job = wait_job(server, server.ok("connections/sync", {"connectionId": connection_id})["job"]["id"])
            lines = all_log_lines(server, job)
            text = "\n".join(lines)
            assert job["job"]["status"] == "succeeded", "\n".join(lines[-60:])
            assert pg.query(db, "select n from public.user_count_v") == [(200,)]
            assert "operation 1 of 3 'marts' (sql): statement 2 of 3 (line 3): SELECT 1" in text, text[-4000:]
            assert "operation 1 of 3 'marts' (sql): committed" in text
            assert f"operation 2 of 3 'count rows' (command): users: 200 in {db} schema public" in text, text[-4000:]
            assert "operation 2 of 3 'count rows' (command): stderr: a warning" in text
            assert "operation 2 of 3 'count rows' (command): password is ********** token is **********" in text
            assert "operation 3 of 3 'refresh dremio' (command): {\"id\": \"1f2e3d4c-job\"}" in text, text[-4000:]
            assert "operation 3 of 3 'refresh dremio' (command): succeeded in" in text
            assert dremio.calls == [{"path": "/api/v3/sql", "authorization": "Bearer dremio-pat-5ecret",
                                     "content_type": "application/json",
                                     "body": {"sql": "ALTER TABLE lake.shop.users REFRESH METADATA"}}]
            steps = job["attempts"][-1]["attempt"]["operations"]
            assert [(x["name"], x["operatorType"], x["status"]) for x in steps] == [
                ("marts", "sql", "succeeded"), ("count rows", "command", "succeeded"),
                ("refresh dremio", "command", "succeeded")]
            answers = json.dumps(job) + json.dumps(server.ok("operations/list", {"connectionId": connection_id}))
            for secret in (pg.password, "tok-count-5ecret", "dremio-pat-5ecret"):
                assert secret not in text and secret not in answers

            # A failing statement: the job fails in the sql step, naming the statement and its line;
            # nothing of the script stays, the synced rows do, later steps do not run.
            server.ok("operations/update", {"operationId": sql, "name": "marts", "operatorConfiguration": {
                "operatorType": "sql", "operatorSql": {"sql": (
                    "create table should_not_stay as select 1 as x;\n"
                    "insert into user_count\n"
                    "  select n from user_count\n"
                    "  union all select no_such_column from users;\n")}}})
            job = wait_job(server, server.ok("connections/sync", {"connectionId": connection_id})["job"]["id"])
            assert job["job"]["status"] == "failed", job["job"]
            attempt = job["attempts"][-1]["attempt"]
            failure = attempt["failureSummary"]["failures"][0]
            assert failure["failureOrigin"] == "dbt", failure
            message = failure["externalMessage"]
            assert "operation 'marts'" in message and "statement 2 of 2 (line 4: insert into user_count)" in message, message
            assert "no_such_column" in message and "nothing was committed" in message, message
            assert len(job["attempts"]) == 1, "a failing statement is a config error: not retried"
            assert [(x["name"], x["status"]) for x in attempt["operations"]] == [("marts", "failed")]
            assert pg.query(db, "select count(*) from public.users") == [(200,)]
            assert pg.query(db, "select n from public.user_count") == [(200,)]
            assert pg.query(db, "select to_regclass('public.should_not_stay') is null") == [(True,)]
            assert len(dremio.calls) == 1, "steps after the failed one do not run"
    finally:
        dremio.close()
