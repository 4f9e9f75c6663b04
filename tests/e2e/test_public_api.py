"""The Airbyte API (the public one, /api/public/v1) of `sluice server`, with the requests its
documentation shows (api.yaml's examples: create a workspace, a source, a destination and a
connection, trigger a sync with POST /jobs, poll GET /jobs/{jobId}, list jobs, streams), against a
real PostgreSQL on both ends, with bearer tokens that are the server's API keys."""
import hashlib
import sqlite3
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
    for key in [("/api/public/v1/applications", "get"), ("/api/public/v1/applications", "post"),
                ("/api/public/v1/applications/{applicationId}", "get"),
                ("/api/public/v1/applications/{applicationId}", "delete")]:
        assert ops[key]["x-sluice-permission"] == "read_status", key
    assert ops[("/api/public/v1/applications/token", "post")]["x-sluice-permission"] == "public"
    # 4 workspaces, 6 sources, 6 destinations, 5 connections, 4 jobs, streams, health, 5 applications
    assert len(ops) == 32
    assert ops[("/api/public/v1/sources/{sourceId}", "get")]["operationId"] == "getSource"
    assert ops[("/api/public/v1/jobs/{jobId}", "get")]["parameters"][0] == {
        "name": "jobId", "in": "path", "required": True, "schema": {"type": "string"}}



def test_applications_and_access_tokens(platform):
    """Airbyte's application flow: create an application (client_id + client_secret), trade them
    at applications/token for a short-lived bearer token, call the API with it as the
    application's user (its role, no more)."""
    s, api, pg = platform
    de = api["data_engineer"]
    before = int(time.time() * 1000)
    app = de.ok("POST", "/applications", {"name": "test application"})
    assert app["name"] == "test application" and app["clientId"] and app["id"]
    assert app["clientSecret"] != MASK and len(app["clientSecret"]) >= 32
    assert before - 5000 <= app["createdAt"] <= int(time.time() * 1000) + 5000  # epoch milliseconds
    secret = app["clientSecret"]
    # Listed and read back with the secret masked (sluice keeps only its hash).
    listed = de.ok("GET", "/applications")["applications"]
    assert [a["id"] for a in listed] == [app["id"]]
    assert listed[0]["clientSecret"] == MASK and listed[0]["name"] == "test application"
    got = de.ok("GET", f"/applications/{app['id']}")
    assert got["clientId"] == app["clientId"] and got["clientSecret"] == MASK
    # Not an API key of the user, and not another user's to see.
    keys = requests.post(f"{s.url}/api_keys/list", json={}, headers=de.session.headers, timeout=10).json()["apiKeys"]
    assert app["id"] not in [k["apiKeyId"] for k in keys] and len(keys) == 1
    problem(api["viewer"].request("GET", f"/applications/{app['id']}"), 404, "applicationId")
    problem(api["viewer"].request("DELETE", f"/applications/{app['id']}"), 404, "applicationId")
    assert api["viewer"].ok("GET", "/applications")["applications"] == []
    problem(de.request("POST", "/applications", {}), 400, "name")

    # The token request as the documentation shows it: no Authorization header.
    token_url = f"{de.base}/applications/token"
    r = requests.post(token_url, json={"client_id": app["clientId"], "client_secret": secret,
                                       "grant-type": "client_credentials"}, timeout=10)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 900
    token = answer["access_token"]
    assert token and token != secret
    # The camelCase spelling of the published example works too.
    r = requests.post(token_url, json={"clientId": app["clientId"], "clientSecret": secret}, timeout=10)
    assert r.status_code == 200 and r.json()["access_token"] != token
    # Wrong or missing credentials.
    problem(requests.post(token_url, json={"client_id": app["clientId"], "client_secret": secret + "x"},
                          timeout=10), 401)
    problem(requests.post(token_url, json={"client_id": "00000000-0000-4000-8000-000000000000",
                                           "client_secret": secret}, timeout=10), 401)
    problem(requests.post(token_url, json={"client_secret": secret}, timeout=10), 400, "client_id")
    problem(requests.post(token_url, json={"client_id": app["clientId"]}, timeout=10), 400, "client_secret")
    problem(requests.post(token_url, json={"client_id": app["clientId"], "client_secret": secret,
                                           "grant-type": "password"}, timeout=10), 400, "grant-type")
    # The client secret itself is no bearer token.
    problem(PublicApi(s, secret).request("GET", "/workspaces"), 401)

    # The token acts as the application's user: the data engineer's role, no CSRF header needed.
    tok = PublicApi(s, token)
    workspaces = tok.ok("GET", "/workspaces")["data"]
    assert workspaces and workspaces == de.ok("GET", "/workspaces")["data"]
    tok.ok("GET", "/sources")
    problem(tok.request("POST", "/jobs", {"connectionId": "00000000-0000-4000-8000-000000000000",
                                          "jobType": "sync"}), 404, "connectionId")  # run_syncs: allowed
    p = problem(tok.request("POST", "/workspaces", {"name": "not mine to make"}), 403)
    assert "data_engineer" in p["detail"] and "manage_settings" in p["detail"]
    # A viewer's application gets a viewer's token.
    viewer_app = api["viewer"].ok("POST", "/applications", {"name": "viewer app"})
    vtoken = requests.post(token_url, json={"client_id": viewer_app["clientId"],
                                            "client_secret": viewer_app["clientSecret"]}, timeout=10).json()
    problem(PublicApi(s, vtoken["access_token"]).request("GET", "/sources"), 403)
    assert PublicApi(s, vtoken["access_token"]).ok("GET", "/applications")["applications"][0]["id"] == viewer_app["id"]

    # An expired token is refused.
    with sqlite3.connect(s.data_dir / "sluice.db", timeout=30) as db:
        n = db.execute("UPDATE sessions SET expires_at = ? WHERE token_hash = ?",
                       (int(time.time() * 1000) - 1000, hashlib.sha256(token.encode()).hexdigest())).rowcount
    assert n == 1
    p = problem(tok.request("GET", "/workspaces"), 401)
    assert "expired" in p["detail"]
    # A deleted application answers DELETE with itself and gives no more tokens.
    deleted = de.ok("DELETE", f"/applications/{app['id']}")
    assert deleted["id"] == app["id"] and deleted["clientSecret"] == MASK
    problem(de.request("GET", f"/applications/{app['id']}"), 404, "applicationId")
    problem(requests.post(token_url, json={"client_id": app["clientId"], "client_secret": secret}, timeout=10), 401)
    assert de.ok("GET", "/applications")["applications"] == []
    api["viewer"].ok("DELETE", f"/applications/{viewer_app['id']}")
