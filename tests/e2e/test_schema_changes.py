"""Schema changes, Airbyte's way (issue 14): a real PostgreSQL source table gains a column, loses
one and retypes one (integer → text, a widening) between two syncs of a connection created through
the server's API, once per nonBreakingChangesPreference; dropping the primary-key column is a
breaking change whatever the policy. Each test checks what the destination (destination-local,
JSONL) got, the connection's status and schemaChange, the diff recorded on the job, the
notifications posted to a webhook, and accepting the change through the API.
"""
import http.server
import json
import threading
import time

import pytest

from conftest import read_records
from pg_server import pg  # noqa: F401  (session fixture)
from sluice_server import sluice_server

CREATE = """
create table public.users (id integer primary key, name text, score integer,
                           updated_at timestamptz not null default now());
insert into public.users (id, name, score) select g, 'user ' || g, g * 10 from generate_series(1, 20) g"""

# Between the syncs: `email` added, `name` removed, `score` integer → text (widening).
NON_BREAKING = """
alter table public.users add column email text;
update public.users set email = 'u' || id || '@example.com';
alter table public.users drop column name;
alter table public.users alter column score type text using 'S' || score::text"""

ORDERS = """
create table public.orders (id integer primary key, amount integer);
insert into public.orders select g, g from generate_series(1, 5) g"""


class Webhook:
    """A local Slack-compatible webhook: remembers every JSON body posted to it."""

    def __init__(self):
        self.bodies = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                outer.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def texts(self):
        return [b.get("text", "") for b in self.bodies]

    def wait_for(self, needle, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [t for t in self.texts() if needle in t]
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no notification containing {needle!r}; got {self.texts()}")


@pytest.fixture(scope="module")
def env():
    hook = Webhook()
    with sluice_server() as server:
        server.ok("workspaces/update", {"notificationSettings": {
            "slackWebhookUrl": hook.url, "sendOnFailure": False, "sendOnConnectionUpdate": True,
            "sendOnConnectionUpdateActionRequired": True}})
        yield server, hook
    hook.httpd.shutdown()



def make_connection(server, pg, tmp_path, db, policy, notify=False):
    """A users table in database `db` and a connection users → JSONL under tmp_path/out."""
    pg.create_database(db)
    pg.execute(db, CREATE)
    source_id = server.ok("sources/create", {
        "name": db, "connectionConfiguration": pg.config(db),
        "sourceDefinitionId": server.definition_id("source", "source-postgres")})["sourceId"]
    destination_id = server.ok("destinations/create", {
        "name": db + " files", "connectionConfiguration": {
            "destination_path": str(tmp_path / "out"), "format": {"format_type": "JSONL"}},
        "destinationDefinitionId": server.definition_id("destination", "destination-local")})["destinationId"]
    catalog = server.ok("sources/discover_schema", {"sourceId": source_id})["catalog"]
    for entry in catalog["streams"]:
        entry["config"].update(selected=entry["stream"]["name"] == "users", syncMode="full_refresh",
                               destinationSyncMode="overwrite")
    connection = server.ok("connections/create", {
        "sourceId": source_id, "destinationId": destination_id, "syncCatalog": catalog, "scheduleType": "manual",
        "nonBreakingChangesPreference": policy, "notifySchemaChanges": notify})
    assert connection["schemaChange"] == "no_change" and connection["breakingChange"] is False
    return source_id, connection["connectionId"]


def sync(server, connection_id, timeout=120):
    job_id = server.ok("connections/sync", {"connectionId": connection_id})["job"]["id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = server.ok("jobs/get", {"id": job_id})
        if info["job"]["status"] in ("succeeded", "failed", "cancelled"):
            return info
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish:\n{server.log()[-3000:]}")


def log_lines(job):
    return "\n".join(line for a in job["attempts"] for line in a["logs"]["logLines"])


def users_rows(tmp_path):
    return sorted((r["_airbyte_data"] for r in read_records(tmp_path / "out" / "public" / "users")),
                  key=lambda d: (d.get("id", 0), str(d.get("name"))))


def connection(server, connection_id):
    return server.ok("connections/get", {"connectionId": connection_id})


def stored_fields(conn, stream="users"):
    entry = next(s for s in conn["syncCatalog"]["streams"] if s["stream"]["name"] == stream)
    return entry["stream"]["jsonSchema"]["properties"]


def field_transforms(diff, stream="users"):
    """{field name: (transformType, breaking)} of one stream's update_stream."""
    t = next(t for t in diff["transforms"]
             if t["transformType"] == "update_stream" and t["streamDescriptor"]["name"] == stream)
    return {".".join(f["fieldName"]): (f["transformType"], f["breaking"]) for f in t["updateStream"]["fieldTransforms"]}


EXPECTED_FIELDS = {"email": ("add_field", False), "name": ("remove_field", False),
                   "score": ("update_field_schema", False)}


def first_sync_is_unchanged(server, tmp_path, connection_id):
    job = sync(server, connection_id)
    assert job["job"]["status"] == "succeeded", log_lines(job)
    assert "schemaChange" not in job["job"]
    rows = users_rows(tmp_path)
    assert len(rows) == 20
    assert set(rows[0]) == {"id", "name", "score", "updated_at"} and rows[0]["score"] == 10
    assert connection(server, connection_id)["schemaChange"] == "no_change"


def test_ignore_keeps_the_stored_schema_until_the_change_is_accepted(env, pg, tmp_path):
    server, hook = env
    source_id, cid = make_connection(server, pg, tmp_path, "sc_ignore", "ignore", notify=True)
    first_sync_is_unchanged(server, tmp_path, cid)
    before = connection(server, cid)
    pg.execute("sc_ignore", NON_BREAKING)

    job = sync(server, cid)
    assert job["job"]["status"] == "succeeded", log_lines(job)
    change = job["job"]["schemaChange"]
    assert change["schemaChange"] == "non_breaking" and change["action"] == "pending"
    assert change["nonBreakingChangesPreference"] == "ignore" and change["firstDetected"] is True
    assert field_transforms(change["catalogDiff"]) == EXPECTED_FIELDS
    assert job["attempts"][0]["attempt"]["schemaChange"] == change
    assert "schema change: stream public.users: field 'email' added" in log_lines(job)
    # Not propagated: no email column, name gone (the source has none), score read as text.
    rows = users_rows(tmp_path)
    assert len(rows) == 20 and set(rows[0]) == {"id", "score", "updated_at"}
    assert rows[0]["score"] == "S10"
    conn = connection(server, cid)
    assert conn["status"] == "active" and conn["schemaChange"] == "non_breaking" and not conn["breakingChange"]
    assert conn["syncCatalog"] == before["syncCatalog"]
    assert [c["schemaChange"] for c in server.ok("connections/list")["connections"]
            if c["connectionId"] == cid] == ["non_breaking"]
    hook.wait_for("The source schema of connection")
    # The same pending change again: recorded on the job, not notified twice.
    notified = len([t for t in hook.texts() if "sc_ignore" in t])
    again = sync(server, cid)
    assert again["job"]["status"] == "succeeded"
    assert again["job"]["schemaChange"]["firstDetected"] is False
    time.sleep(1)
    assert len([t for t in hook.texts() if "sc_ignore" in t]) == notified

    # Saving the same streams (a settings form saving the schedule) keeps the change pending.
    same = server.ok("connections/update", {"connectionId": cid, "syncCatalog": conn["syncCatalog"],
                                            "scheduleType": "manual"})
    assert same["schemaChange"] == "non_breaking"

    # Review: the pending diff, then the refreshed catalog; accepting it clears the change.
    pending = server.ok("web_backend/connections/get", {"connectionId": cid})
    assert pending["schemaChange"] == "non_breaking"
    assert field_transforms(pending["catalogDiff"]) == EXPECTED_FIELDS
    refreshed = server.ok("web_backend/connections/get", {"connectionId": cid, "withRefreshedCatalog": True})
    assert field_transforms(refreshed["catalogDiff"]) == EXPECTED_FIELDS
    assert set(stored_fields(refreshed)) == {"id", "score", "updated_at", "email"}
    updated = server.ok("connections/update", {"connectionId": cid, "syncCatalog": refreshed["syncCatalog"]})
    assert updated["schemaChange"] == "no_change"
    job = sync(server, cid)
    assert job["job"]["status"] == "succeeded" and "schemaChange" not in job["job"]
    rows = users_rows(tmp_path)
    assert set(rows[0]) == {"id", "score", "updated_at", "email"} and rows[0]["email"] == "u1@example.com"


def test_disable_stops_the_connection(env, pg, tmp_path):
    server, hook = env
    _, cid = make_connection(server, pg, tmp_path, "sc_disable", "disable")
    first_sync_is_unchanged(server, tmp_path, cid)
    pg.execute("sc_disable", NON_BREAKING)

    job = sync(server, cid)
    assert job["job"]["status"] == "failed"
    assert len(job["attempts"]) == 1  # a config error: not retried
    failure = job["attempts"][0]["attempt"]["failureSummary"]["failures"][0]
    assert failure["failureType"] == "config_error"
    assert "nonBreakingChangesPreference is 'disable'" in failure["externalMessage"]
    assert "field 'email' added" in failure["externalMessage"]
    change = job["job"]["schemaChange"]
    assert change["action"] == "connection_disabled" and change["schemaChange"] == "non_breaking"
    conn = connection(server, cid)
    assert conn["status"] == "inactive" and conn["schemaChange"] == "non_breaking"
    # Nothing was written: the destination still has the first sync's rows.
    assert set(users_rows(tmp_path)[0]) == {"id", "name", "score", "updated_at"}
    hook.wait_for("was disabled by a change of the source schema")


def test_propagate_columns_updates_the_columns_but_not_the_streams(env, pg, tmp_path):
    server, _ = env
    _, cid = make_connection(server, pg, tmp_path, "sc_columns", "propagate_columns")
    first_sync_is_unchanged(server, tmp_path, cid)
    pg.execute("sc_columns", NON_BREAKING)
    pg.execute("sc_columns", ORDERS)

    job = sync(server, cid)
    assert job["job"]["status"] == "succeeded", log_lines(job)
    change = job["job"]["schemaChange"]
    assert change["action"] == "propagated"
    assert field_transforms(change["catalogDiff"]) == EXPECTED_FIELDS
    assert {"transformType": "add_stream", "streamDescriptor": {"name": "orders", "namespace": "public"}} in \
        change["catalogDiff"]["transforms"]
    rows = users_rows(tmp_path)
    assert set(rows[0]) == {"id", "score", "updated_at", "email"}
    assert rows[0]["score"] == "S10" and rows[0]["email"] == "u1@example.com"
    conn = connection(server, cid)
    assert conn["status"] == "active"
    assert set(stored_fields(conn)) == {"id", "score", "updated_at", "email"}
    assert stored_fields(conn)["score"]["type"] in ("string", ["null", "string"])
    assert [s["stream"]["name"] for s in conn["syncCatalog"]["streams"]] == ["users"]
    # The new stream is left for the user: still a pending non-breaking change.
    assert conn["schemaChange"] == "non_breaking"
    pending = server.ok("web_backend/connections/get", {"connectionId": cid})["catalogDiff"]
    assert [t["transformType"] for t in pending["transforms"]] == ["add_stream"]
    assert not (tmp_path / "out" / "public" / "orders").exists()


def test_propagate_fully_also_adds_new_streams(env, pg, tmp_path):
    server, _ = env
    _, cid = make_connection(server, pg, tmp_path, "sc_fully", "propagate_fully")
    first_sync_is_unchanged(server, tmp_path, cid)
    pg.execute("sc_fully", NON_BREAKING)
    pg.execute("sc_fully", ORDERS)

    job = sync(server, cid)
    assert job["job"]["status"] == "succeeded", log_lines(job)
    assert job["job"]["schemaChange"]["action"] == "propagated"
    assert set(users_rows(tmp_path)[0]) == {"id", "score", "updated_at", "email"}
    orders = read_records(tmp_path / "out" / "public" / "orders")
    assert sorted(r["_airbyte_data"]["id"] for r in orders) == [1, 2, 3, 4, 5]
    conn = connection(server, cid)
    assert conn["status"] == "active" and conn["schemaChange"] == "no_change"
    names = {s["stream"]["name"]: s["config"]["selected"] for s in conn["syncCatalog"]["streams"]}
    assert names == {"users": True, "orders": True}

    # The next sync finds nothing new.
    job = sync(server, cid)
    assert job["job"]["status"] == "succeeded" and "schemaChange" not in job["job"]


def test_a_dropped_primary_key_column_is_breaking_whatever_the_policy(env, pg, tmp_path):
    server, hook = env
    source_id, cid = make_connection(server, pg, tmp_path, "sc_breaking", "propagate_fully")
    first_sync_is_unchanged(server, tmp_path, cid)
    pg.execute("sc_breaking", "alter table public.users drop column id")

    job = sync(server, cid)
    assert job["job"]["status"] == "failed"
    failure = job["attempts"][0]["attempt"]["failureSummary"]["failures"][0]
    assert failure["failureType"] == "config_error"
    message = failure["externalMessage"]
    assert "stream public.users: field 'id' removed (breaking: primary-key field removed)" in message, message
    assert "enable the connection again" in message
    change = job["job"]["schemaChange"]
    assert change["schemaChange"] == "breaking" and change["action"] == "connection_disabled"
    assert field_transforms(change["catalogDiff"])["id"] == ("remove_field", True)
    conn = connection(server, cid)
    assert conn["status"] == "inactive" and conn["schemaChange"] == "breaking" and conn["breakingChange"] is True
    assert set(stored_fields(conn)) == {"id", "name", "score", "updated_at"}  # nothing propagated
    assert len(users_rows(tmp_path)) == 20
    hook.wait_for("sc_breaking")

    # discover_schema with the connection answers the same diff and status.
    found = server.ok("sources/discover_schema", {"sourceId": source_id, "connectionId": cid})
    assert found["breakingChange"] is True and found["connectionStatus"] == "inactive"
    assert field_transforms(found["catalogDiff"])["id"] == ("remove_field", True)

    # Fixing it: the refreshed catalog (its primary key is the source's: none now), saved, and
    # the connection enabled.
    refreshed = server.ok("web_backend/connections/get", {"connectionId": cid, "withRefreshedCatalog": True})
    assert [s["config"]["primaryKey"] for s in refreshed["syncCatalog"]["streams"]] == [[]]
    updated = server.ok("connections/update", {"connectionId": cid, "syncCatalog": refreshed["syncCatalog"],
                                               "status": "active"})
    assert updated["schemaChange"] == "no_change" and updated["status"] == "active"
    job = sync(server, cid)
    assert job["job"]["status"] == "succeeded", log_lines(job)
    rows = users_rows(tmp_path)
    assert len(rows) == 20 and set(rows[0]) == {"name", "score", "updated_at"}


def test_discover_schema_with_a_connection_of_another_source_is_refused(env, pg, tmp_path):
    server, _ = env
    source_a, _ = make_connection(server, pg, tmp_path / "a", "sc_other_a", "ignore")
    _, cid_b = make_connection(server, pg, tmp_path / "b", "sc_other_b", "ignore")
    r = server.post("sources/discover_schema", {"sourceId": source_a, "connectionId": cid_b})
    assert r.status_code == 422 and "reads another source" in r.json()["message"]
