"""The Airbyte API (the public one, /api/public/v1) of `sluice server`, with the requests its
documentation shows (api.yaml's examples: create a workspace, a source, a destination and a
connection, trigger a sync with POST /jobs, poll GET /jobs/{jobId}, list jobs, streams), against a
real PostgreSQL on both ends, with bearer tokens that are the server's API keys."""
import time

import pytest
import requests

from pg_server import PgServer, pg  # noqa: F401
from sluice_server import ApiSession, register_secret, sluice_server

PG_PASSWORD = register_secret(PgServer.PASSWORD)
ADMIN_PASSWORD = register_secret("Publ1c-api-admin-pw")
USER_PASSWORD = register_secret("Publ1c-api-user-pw")
MASK = "**********"
POSTGRES_SOURCE_ID = "decd338e-5647-4c0b-adf4-da0e75f5a750"  # Airbyte's source-postgres definitionId
CUSTOMERS, ORDERS = 40, 125


class PublicApi:
    """requests against /api/public/v1 with one bearer token."""

    def __init__(self, server, token):
        self.base = f"http://127.0.0.1:{server.api_port}/api/public/v1"
        self.session = requests.Session()
        self.session.hooks["response"].append(server._record)  # the suite's secret scan sees every answer
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, body=None, params=None):
        return self.session.request(method, self.base + path, json=body, params=params, timeout=60)

    def ok(self, method, path, body=None, params=None, status=200):
        r = self.request(method, path, body, params)
        assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text[:2000]}"
        return r.json() if r.content else None


def problem(r, status, field=None):
    """Checks a problem+json answer; returns it."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/problem+json"), r.headers
    p = r.json()
    assert p["status"] == status and p["title"] and p["type"].startswith("https://reference.airbyte.com/")
    assert p["detail"]
    if field is not None:
        fields = [d["field"] for d in p["data"]["details"]]
        assert field in fields, (field, p)
    return p


@pytest.fixture(scope="module")
def platform(pg):
    """A server with authentication, an API key per role, and two PostgreSQL databases."""
    pg.create_database("pubsrc")
    pg.create_database("pubdst")
    pg.execute("pubsrc", "create table customers (id int primary key, name text, updated_at timestamptz)")
    pg.execute("pubsrc", "insert into customers select i, 'c' || i, '2024-01-01'::timestamptz + i * interval '1 hour' "
                         "from generate_series(1, %s) i", (CUSTOMERS,))
    pg.execute("pubsrc", "create table orders (id int primary key, customer_id int, amount numeric(10,2), "
                         "updated_at timestamptz)")
    pg.execute("pubsrc", "insert into orders select i, 1 + i %% 40, i * 1.5, '2024-02-01'::timestamptz + i * interval "
                         "'1 minute' from generate_series(1, %s) i", (ORDERS,))
    with sluice_server(no_auth=False) as s:
        admin = ApiSession()  # cookie sessions send the CSRF header
        assert s.post("auth/login", {"email": "airbyte@example.com", "password": "password"},
                      session=admin).status_code == 200
        assert s.post("users/change_password", {"currentPassword": "password", "newPassword": ADMIN_PASSWORD},
                      session=admin).status_code == 200
        tokens = {"admin": s.ok("api_keys/create", {"name": "admin"}, session=admin)["token"]}
        for role in ("data_engineer", "analyst", "viewer"):
            s.ok("users/create", {"email": f"{role}@example.com", "role": role, "password": USER_PASSWORD,
                                  "mustChangePassword": False}, session=admin)
            sess = ApiSession()
            assert s.post("auth/login", {"email": f"{role}@example.com", "password": USER_PASSWORD},
                          session=sess).status_code == 200
            tokens[role] = s.ok("api_keys/create", {"name": role}, session=sess)["token"]
        for t in tokens.values():
            register_secret(t)
        yield s, {role: PublicApi(s, t) for role, t in tokens.items()}, pg


def wait_job(api, job_id, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        job = api.ok("GET", f"/jobs/{job_id}")
        if job["status"] in ("succeeded", "failed", "cancelled") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_the_documented_flow(platform):
    s, api, pg = platform
    de = api["data_engineer"]
    assert requests.get(f"{de.base}/health", timeout=5).status_code == 200  # no token needed

    # Workspaces (creating one is an admin's job, as in the Config API).
    ws = api["admin"].ok("POST", "/workspaces", {"name": "Company Workspace Name"})
    assert ws["name"] == "Company Workspace Name" and ws["dataResidency"] == "auto"
    workspace_id = ws["workspaceId"]
    assert api["analyst"].ok("GET", f"/workspaces/{workspace_id}")["name"] == "Company Workspace Name"
    listed = de.ok("GET", "/workspaces")
    assert workspace_id in [w["workspaceId"] for w in listed["data"]] and len(listed["data"]) == 2
    renamed = api["admin"].ok("PATCH", f"/workspaces/{workspace_id}", {"name": "Analytics"})
    assert renamed["name"] == "Analytics"

    # A source named by configuration.sourceType, a destination by Airbyte's definitionId's twin.
    src = de.ok("POST", "/sources", {"name": "Analytics Team Postgres", "workspaceId": workspace_id,
                                     "configuration": dict(pg.config("pubsrc"), sourceType="postgres")})
    assert src["sourceType"] == "postgres" and src["definitionId"] == POSTGRES_SOURCE_ID
    assert src["workspaceId"] == workspace_id and src["configuration"]["password"] == MASK
    assert "sourceType" not in src["configuration"]
    dst = de.ok("POST", "/destinations", {"name": "Postgres", "workspaceId": workspace_id,
                                          "configuration": dict(pg.config("pubdst"), destinationType="postgres")})
    assert dst["destinationType"] == "postgres" and dst["configuration"]["password"] == MASK
    got = api["analyst"].ok("GET", f"/sources/{src['sourceId']}")
    assert got == src

    # Streams of the source, with the modes the destination supports.
    streams = de.ok("GET", "/streams", params={"sourceId": src["sourceId"], "destinationId": dst["destinationId"]})
    by_name = {st["streamName"]: st for st in streams}
    assert set(by_name) == {"customers", "orders"}
    assert {"full_refresh_overwrite", "incremental_append", "incremental_deduped_history"} <= set(
        by_name["orders"]["syncModes"])
    assert by_name["orders"]["sourceDefinedPrimaryKey"] == [["id"]]
    assert ["updated_at"] in by_name["orders"]["propertyFields"]

    # A connection of two streams in two modes.
    conn = de.ok("POST", "/connections", {
        "name": "Postgres-to-Postgres", "sourceId": src["sourceId"], "destinationId": dst["destinationId"],
        "configurations": {"streams": [{"name": "customers", "syncMode": "full_refresh_overwrite"},
                                       {"name": "orders", "syncMode": "incremental_append",
                                        "cursorField": ["updated_at"]}]},
        "schedule": {"scheduleType": "manual"}, "prefix": "pub_"})
    connection_id = conn["connectionId"]
    assert conn["workspaceId"] == workspace_id and conn["status"] == "active"
    assert conn["schedule"] == {"scheduleType": "manual"} and conn["namespaceDefinition"] == "destination"
    assert conn["nonBreakingSchemaUpdatesBehavior"] == "ignore" and conn["prefix"] == "pub_"
    modes = {st["name"]: st["syncMode"] for st in conn["configurations"]["streams"]}
    assert modes == {"customers": "full_refresh_overwrite", "orders": "incremental_append"}
    assert api["analyst"].ok("GET", f"/connections/{connection_id}") == conn

    # Trigger a sync with POST /jobs and poll it to the end.
    job = de.ok("POST", "/jobs", {"connectionId": connection_id, "jobType": "sync"})
    assert job["jobType"] == "sync" and job["connectionId"] == connection_id
    assert job["status"] in ("pending", "running") and job["startTime"].endswith("Z")
    done = wait_job(api["analyst"], job["jobId"])
    assert done["status"] == "succeeded", done
    assert done["rowsSynced"] == CUSTOMERS + ORDERS and done["bytesSynced"] > 0
    assert done["duration"].startswith("PT") and done["lastUpdatedAt"].endswith("Z")
    assert pg.query("pubdst", "select count(*) from public.pub_customers")[0][0] == CUSTOMERS
    assert pg.query("pubdst", "select count(*), sum(amount) from public.pub_orders")[0] == (
        ORDERS, pg.query("pubsrc", "select sum(amount) from orders")[0][0])

    # Then a reset, and the list of the connection's jobs.
    reset = de.ok("POST", "/jobs", {"connectionId": connection_id, "jobType": "reset"})
    assert reset["jobType"] == "reset"
    assert wait_job(de, reset["jobId"])["status"] == "succeeded"
    jobs = api["analyst"].ok("GET", "/jobs", params={"connectionId": connection_id})
    assert [j["jobId"] for j in jobs["data"]] == [reset["jobId"], job["jobId"]]  # newest first
    only = api["analyst"].ok("GET", "/jobs", params={"connectionId": connection_id, "jobType": "sync",
                                                     "status": "succeeded"})
    assert [j["jobId"] for j in only["data"]] == [job["jobId"]]
    first = api["analyst"].ok("GET", "/jobs", params={"connectionId": connection_id, "limit": 1,
                                                      "orderBy": "createdAt|ASC"})
    assert [j["jobId"] for j in first["data"]] == [job["jobId"]] and "offset=1" in first["next"]
    in_ws = api["analyst"].ok("GET", "/jobs", params={"workspaceIds": workspace_id})
    assert {j["jobId"] for j in in_ws["data"]} == {job["jobId"], reset["jobId"]}
    assert api["analyst"].ok("GET", "/jobs", params={"createdAtStart": "2999-01-01T00:00:00Z"})["data"] == []

    # PATCH the connection: a cron schedule and one stream, deduplicated.
    patched = de.ok("PATCH", f"/connections/{connection_id}", {
        "schedule": {"scheduleType": "cron", "cronExpression": "0 0 2 * * ?"},
        "configurations": {"streams": [{"name": "orders", "syncMode": "incremental_deduped_history",
                                        "cursorField": ["updated_at"], "primaryKey": [["id"]]}]}})
    assert patched["schedule"] == {"scheduleType": "cron", "cronExpression": "0 0 2 * * ?"}
    assert patched["configurations"]["streams"] == [{"name": "orders", "namespace": "public",
                                                     "syncMode": "incremental_deduped_history",
                                                     "cursorField": ["updated_at"], "primaryKey": [["id"]]}]

    # PATCH merges configuration keys; the stored password stays (discover still logs in).
    p = de.ok("PATCH", f"/sources/{src['sourceId']}", {"name": "Renamed", "configuration": {"connect_timeout": 7}})
    assert p["name"] == "Renamed" and p["configuration"]["connect_timeout"] == 7
    assert p["configuration"]["password"] == MASK and p["configuration"]["host"] == pg.host
    assert len(de.ok("GET", "/streams", params={"sourceId": src["sourceId"]})) == 2
    put = de.ok("PUT", f"/destinations/{dst['destinationId']}", {"name": "Warehouse",
                                                                  "configuration": dst["configuration"]})
    assert put["name"] == "Warehouse" and put["configuration"]["password"] == MASK

    # Lists with paging, and deletes.
    second = de.ok("POST", "/sources", {"name": "second", "workspaceId": workspace_id,
                                        "definitionId": POSTGRES_SOURCE_ID, "configuration": pg.config("pubsrc")})
    page = de.ok("GET", "/sources", params={"workspaceIds": workspace_id, "limit": 1})
    assert len(page["data"]) == 1 and "offset=1" in page["next"] and "previous" not in page
    page2 = de.ok("GET", page["next"].replace("/api/public/v1", ""))
    assert len(page2["data"]) == 1 and "next" not in page2 and "offset=0" in page2["previous"]
    assert {x["sourceId"] for x in page["data"] + page2["data"]} == {src["sourceId"], second["sourceId"]}
    assert de.ok("GET", "/sources", params={"workspaceIds": [workspace_id, workspace_id]})["data"]
    de.ok("DELETE", f"/sources/{second['sourceId']}", status=204)
    problem(de.request("GET", f"/sources/{second['sourceId']}"), 404)

    de.ok("DELETE", f"/connections/{connection_id}", status=204)
    assert de.ok("GET", f"/connections/{connection_id}")["status"] == "deprecated"
    listed = de.ok("GET", "/connections", params={"workspaceIds": workspace_id})["data"]
    assert connection_id not in [c["connectionId"] for c in listed]
    listed = de.ok("GET", "/connections", params={"workspaceIds": workspace_id, "includeDeleted": "true"})["data"]
    assert connection_id in [c["connectionId"] for c in listed]


def test_authentication_roles_and_errors(platform):
    s, api, pg = platform
    base = api["admin"].base
    # 401 without a token or with an unknown one, in problem+json.
    problem(requests.get(f"{base}/sources", timeout=5), 401)
    problem(requests.get(f"{base}/sources", headers={"Authorization": "Bearer sk_" + "A" * 43}, timeout=5), 401)
    # 403 when the key's role lacks the permission (the Config API's matrix).
    p = problem(api["viewer"].request("GET", "/sources"), 403)
    assert "viewer" in p["detail"] and "read_configs" in p["detail"]
    problem(api["analyst"].request("POST", "/sources", {"name": "x", "workspaceId": "w", "configuration": {}}), 403)
    problem(api["analyst"].request("POST", "/jobs", {"connectionId": "x", "jobType": "sync"}), 403)
    problem(api["analyst"].request("GET", "/streams", params={"sourceId": "x"}), 403)
    problem(api["data_engineer"].request("POST", "/workspaces", {"name": "x"}), 403)
    assert api["viewer"].request("GET", "/health").status_code == 200

    de = api["data_engineer"]
    ws = de.ok("GET", "/workspaces")["data"][0]["workspaceId"]
    missing = "00000000-0000-4000-8000-000000000000"
    # 404s, naming the id.
    for method, path in [("GET", f"/sources/{missing}"), ("PATCH", f"/destinations/{missing}"),
                         ("DELETE", f"/destinations/{missing}"), ("GET", f"/connections/{missing}"),
                         ("GET", f"/workspaces/{missing}"), ("GET", "/jobs/987654"), ("DELETE", "/jobs/987654")]:
        p = problem(de.request(method, path, {} if method == "PATCH" else None), 404)
        assert missing in p["detail"] or "987654" in p["detail"], p
    problem(de.request("POST", "/jobs", {"connectionId": missing, "jobType": "sync"}), 404, "connectionId")
    problem(de.request("GET", "/streams", params={"sourceId": missing}), 404, "sourceId")
    problem(de.request("GET", "/nowhere"), 404)
    problem(de.request("POST", f"/sources/{missing}", {}), 405)

    # 400 with a clear message naming the field.
    cfg = pg.config("pubsrc")
    p = problem(de.request("POST", "/sources", {"name": "bad", "workspaceId": ws,
                                                "configuration": dict(cfg, sourceType="postgres", port="five")}),
                400, "configuration.port")
    assert PG_PASSWORD not in str(p)
    problem(de.request("POST", "/sources", {"name": "bad", "workspaceId": ws,
                                            "configuration": {k: v for k, v in cfg.items() if k != "host"} | {
                                                "sourceType": "postgres"}}), 400, "configuration.host")
    problem(de.request("POST", "/sources", {"name": "bad", "workspaceId": ws, "configuration": cfg}), 400,
            "configuration.sourceType")
    p = problem(de.request("POST", "/sources", {"name": "bad", "workspaceId": ws,
                                                "configuration": dict(cfg, sourceType="no-such-thing")}),
                400, "configuration.sourceType")
    assert "no-such-thing" in p["detail"]
    problem(de.request("POST", "/sources", {"workspaceId": ws, "configuration": dict(cfg, sourceType="postgres")}),
            400, "name")
    problem(de.request("POST", "/sources", {"name": "x", "workspaceId": missing,
                                            "configuration": dict(cfg, sourceType="postgres")}), 404, "workspaceId")
    problem(de.request("GET", "/sources", params={"limit": 500}), 400, "limit")
    problem(de.request("POST", "/jobs", {"connectionId": missing, "jobType": "backfill"}), 400, "jobType")
    problem(de.request("GET", "/jobs", params={"status": "finished"}), 400, "status")

    src = de.ok("POST", "/sources", {"name": "s", "workspaceId": ws, "configuration": dict(cfg, sourceType="postgres")})
    dst = de.ok("POST", "/destinations", {"name": "d", "workspaceId": ws,
                                          "configuration": dict(pg.config("pubdst"), destinationType="postgres")})
    body = {"sourceId": src["sourceId"], "destinationId": dst["destinationId"]}
    p = problem(de.request("POST", "/connections", dict(body, configurations={"streams": [{"name": "nope"}]})),
                400, "configurations.streams[0].name")
    assert "customers" in p["detail"] and "orders" in p["detail"]
    problem(de.request("POST", "/connections", dict(body, configurations={
        "streams": [{"name": "orders", "syncMode": "incremental"}]})), 400, "configurations.streams[0].syncMode")
    problem(de.request("POST", "/connections", dict(body, configurations={
        "streams": [{"name": "customers"}, {"name": "orders", "syncMode": "full_refresh_overwrite_deduped"}]})),
            400, "configurations.streams[1].syncMode")
    problem(de.request("POST", "/connections", dict(body, schedule={"scheduleType": "cron",
                                                                     "cronExpression": "every day"})),
            400, "schedule.cronExpression")
    problem(de.request("POST", "/connections", dict(body, namespaceDefinition="elsewhere")), 400,
            "namespaceDefinition")
    problem(de.request("POST", "/connections", {"sourceId": src["sourceId"], "destinationId": missing}), 404,
            "destinationId")
    de.ok("DELETE", f"/sources/{src['sourceId']}", status=204)
    de.ok("DELETE", f"/destinations/{dst['destinationId']}", status=204)


def test_openapi_lists_every_public_route_with_its_permission(platform):
    s, api, pg = platform
    doc = requests.get(f"{s.url}/openapi.json", timeout=5).json()
    ops = {(path, method): op for path, item in doc["paths"].items() for method, op in item.items()
           if path.startswith("/api/public/v1/")}
    expected = {
        ("/api/public/v1/health", "get"): "public",
        ("/api/public/v1/workspaces", "get"): "read_configs",
        ("/api/public/v1/workspaces", "post"): "manage_settings",
        ("/api/public/v1/workspaces/{workspaceId}", "patch"): "manage_settings",
        ("/api/public/v1/sources", "post"): "edit_configs",
        ("/api/public/v1/sources/{sourceId}", "get"): "read_configs",
        ("/api/public/v1/sources/{sourceId}", "put"): "edit_configs",
        ("/api/public/v1/destinations/{destinationId}", "delete"): "edit_configs",
        ("/api/public/v1/connections", "get"): "read_configs",
        ("/api/public/v1/connections/{connectionId}", "patch"): "edit_configs",
        ("/api/public/v1/jobs", "post"): "run_syncs",
        ("/api/public/v1/jobs", "get"): "read_jobs",
        ("/api/public/v1/jobs/{jobId}", "delete"): "run_syncs",
        ("/api/public/v1/streams", "get"): "edit_configs",
    }
    for key, permission in expected.items():
        assert ops[key]["x-sluice-permission"] == permission, key
    assert len(ops) == 27  # 4 workspaces, 6 sources, 6 destinations, 5 connections, 4 jobs, streams, health
    assert ops[("/api/public/v1/sources/{sourceId}", "get")]["operationId"] == "getSource"
    assert ops[("/api/public/v1/jobs/{jobId}", "get")]["parameters"][0] == {
        "name": "jobId", "in": "path", "required": True, "schema": {"type": "string"}}

