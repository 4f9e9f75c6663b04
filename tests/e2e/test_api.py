"""The HTTP API of `sluice server` over real HTTP (Airbyte Config API v1 shape)."""
import json
import sqlite3
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from pg_server import pg  # noqa: F401
from sluice_server import SluiceServer, free_port, module_server, register_secret, server, sluice_server  # noqa: F401

PG_SECRET = register_secret("pg-Secr3t-Value-7731")
MASK = "**********"


def make_source(s, count=40, name="faker"):
    return s.ok("sources/create", {"sourceDefinitionId": "source-faker", "name": name,
                                   "connectionConfiguration": {"count": count, "seed": 7}})


def make_destination(s, path, name="local"):
    return s.ok("destinations/create", {"destinationDefinitionId": "destination-local", "name": name,
                                        "connectionConfiguration": {"destination_path": str(path)}})


def seed_connection_body(source_id, destination_id):
    """The seed's connections/create body (jsonSchema filled in: the seed elides it as {...})."""
    return {
        "sourceId": source_id,
        "destinationId": destination_id,
        "syncCatalog": {"streams": [{
            "stream": {"name": "users", "jsonSchema": {"type": "object", "properties": {
                "id": {"type": "integer"}, "updated_at": {"type": "string", "format": "date-time"}}}},
            "config": {"syncMode": "incremental", "destinationSyncMode": "append", "cursorField": ["updated_at"]},
        }]},
        "schedule": {"units": 24, "timeUnit": "hours"},
    }


def wait_job(s, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = s.ok("jobs/get", {"id": job_id})
        if info["job"]["status"] in ("succeeded", "failed", "cancelled"):
            return info
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} not finished: {info}")


def test_health_and_both_ports(module_server):
    s = module_server
    for base in (s.url, s.api_url):
        r = requests.get(f"{base}/health", timeout=5)
        assert r.status_code == 200 and r.json() == {"available": True}


def test_openapi_document_covers_every_route(module_server):
    s = module_server
    doc = requests.get(f"{s.url}/openapi.json", timeout=5).json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for p in ["/api/v1/connections/create", "/api/v1/jobs/get", "/api/v1/sources/discover_schema",
              "/api/v1/state/get", "/api/v1/health", "/metrics", "/api/v1/auth/login", "/api/v1/users/create",
              "/api/v1/workspaces/update", "/api/v1/source_definition_specifications/get"]:
        assert p in paths, p
    create = paths["/api/v1/connections/create"]["post"]
    schema = create["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"sourceId", "destinationId"}
    assert "syncCatalog" in schema["properties"] and "scheduleType" in schema["properties"]
    # Every documented route exists: it never answers "no such endpoint".
    for path, item in paths.items():
        for method in item:
            r = requests.request(method.upper(), f"{s.base}{path}", json={} if method == "post" else None, timeout=30)
            assert r.status_code != 404 or "no such endpoint" not in r.text, (method, path)
    r = s.post("no_such/thing", {})
    assert r.status_code == 404 and "no such endpoint" in r.json()["message"]


def test_definitions_and_specifications(module_server):
    s = module_server
    sources = s.ok("source_definitions/list")["sourceDefinitions"]
    faker = next(d for d in sources if d["connectorName"] == "source-faker")
    assert s.ok("source_definitions/get", {"sourceDefinitionId": faker["sourceDefinitionId"]}) == faker
    assert s.ok("source_definitions/get", {"sourceDefinitionId": "source-faker"}) == faker
    spec = s.ok("source_definition_specifications/get", {"sourceDefinitionId": faker["sourceDefinitionId"]})
    assert "count" in spec["connectionSpecification"]["properties"]
    dests = s.ok("destination_definitions/list")["destinationDefinitions"]
    pg = next(d for d in dests if d["connectorName"] == "destination-postgres")
    dspec = s.ok("destination_definition_specifications/get", {"destinationDefinitionId": pg["destinationDefinitionId"]})
    assert dspec["connectionSpecification"]["properties"]["password"]["airbyte_secret"] is True
    assert "append" in dspec["supportedDestinationSyncModes"]
    r = s.post("source_definitions/get", {"sourceDefinitionId": "no-such-connector"})
    assert r.status_code == 404 and r.json()["details"][0]["field"] == "sourceDefinitionId"


def test_sources_destinations_connections_crud(module_server, tmp_path):
    s = module_server
    src = make_source(s, name="crud-src")
    dst = make_destination(s, tmp_path / "out", name="crud-dst")
    check = s.ok("sources/check_connection", {"sourceId": src["sourceId"]})
    assert check["status"] == "succeeded"
    assert s.ok("destinations/check_connection", {"destinationId": dst["destinationId"]})["status"] == "succeeded"
    catalog = s.ok("sources/discover_schema", {"sourceId": src["sourceId"]})["catalog"]
    names = {st["stream"]["name"] for st in catalog["streams"]}
    assert {"users", "products", "purchases"} <= names
    assert all(st["config"]["selected"] for st in catalog["streams"])

    conn = s.ok("connections/create", seed_connection_body(src["sourceId"], dst["destinationId"]))
    assert conn["status"] == "active" and conn["scheduleType"] == "basic"
    assert conn["schedule"] == {"units": 24, "timeUnit": "hours"}
    assert conn["scheduleData"]["basicSchedule"] == {"units": 24, "timeUnit": "hours"}
    assert conn["workspaceId"] == src["workspaceId"] and conn["name"]
    stream = conn["syncCatalog"]["streams"][0]
    assert stream["config"]["syncMode"] == "incremental" and stream["config"]["cursorField"] == ["updated_at"]
    assert stream["config"]["selected"] is True

    got = s.ok("connections/get", {"connectionId": conn["connectionId"]})
    assert got["connectionId"] == conn["connectionId"] and got["syncCatalog"] == conn["syncCatalog"]
    listed = s.ok("connections/list", {"workspaceId": src["workspaceId"]})["connections"]
    assert conn["connectionId"] in [c["connectionId"] for c in listed]
    upd = s.ok("connections/update", {"connectionId": conn["connectionId"], "name": "renamed", "status": "inactive",
                                      "scheduleType": "cron",
                                      "scheduleData": {"cron": {"cronExpression": "0 2 * * 1-5",
                                                                "cronTimeZone": "Europe/Amsterdam"}},
                                      "namespaceDefinition": "customformat", "namespaceFormat": "${SOURCE_NAMESPACE}_raw",
                                      "prefix": "ab_"})
    assert upd["name"] == "renamed" and upd["status"] == "inactive" and upd["scheduleType"] == "cron"
    assert upd["namespaceDefinition"] == "customformat" and upd["prefix"] == "ab_"
    assert upd["syncCatalog"] == conn["syncCatalog"]  # untouched fields stay

    # A connection without syncCatalog gets the discovered one (every stream).
    conn2 = s.ok("connections/create", {"sourceId": src["sourceId"], "destinationId": dst["destinationId"]})
    assert conn2["scheduleType"] == "manual"
    assert {st["stream"]["name"] for st in conn2["syncCatalog"]["streams"]} == names

    # sources / destinations get, list, update
    assert s.ok("sources/get", {"sourceId": src["sourceId"]})["connectionConfiguration"]["count"] == 40
    assert src["sourceId"] in [x["sourceId"] for x in s.ok("sources/list", {})["sources"]]
    assert dst["destinationId"] in [x["destinationId"] for x in s.ok("destinations/list", {})["destinations"]]
    upd_src = s.ok("sources/update", {"sourceId": src["sourceId"], "name": "faker2",
                                      "connectionConfiguration": {"count": 99}})
    assert upd_src["name"] == "faker2" and upd_src["connectionConfiguration"]["count"] == 99

    # delete: connection (soft, 204), then the destination (its connections go too)
    r = s.post("connections/delete", {"connectionId": conn["connectionId"]})
    assert r.status_code == 204
    assert s.ok("connections/get", {"connectionId": conn["connectionId"]})["status"] == "deprecated"
    assert conn["connectionId"] not in [c["connectionId"] for c in s.ok("connections/list")["connections"]]
    assert s.post("destinations/delete", {"destinationId": dst["destinationId"]}).status_code == 204
    assert s.post("destinations/get", {"destinationId": dst["destinationId"]}).status_code == 404
    assert s.ok("connections/get", {"connectionId": conn2["connectionId"]})["status"] == "deprecated"
    assert s.post("sources/delete", {"sourceId": src["sourceId"]}).status_code == 204
    assert s.post("sources/delete", {"sourceId": src["sourceId"]}).status_code == 404


def test_sync_job_logs_state_and_seed_script(module_server, tmp_path):
    s = module_server
    src = make_source(s, count=60, name="sync-src")
    dst = make_destination(s, tmp_path / "out", name="sync-dst")
    conn = s.ok("connections/create", seed_connection_body(src["sourceId"], dst["destinationId"]))

    # The seed's Python script, unchanged but for the address (Airbyte's 8001 is --api-port).
    AIRBYTE_API = s.api_url

    def trigger_sync(connection_id: str):
        response = requests.post(f"{AIRBYTE_API}/connections/sync", json={"connectionId": connection_id})
        return response.json()

    def get_sync_status(job_id: str):
        response = requests.post(f"{AIRBYTE_API}/jobs/get", json={"id": job_id})
        return response.json()

    job = trigger_sync(conn["connectionId"])
    status = get_sync_status(job["job"]["id"])
    assert status["job"]["status"] in ("pending", "running", "succeeded")
    assert job["job"]["configType"] == "sync" and job["job"]["configId"] == conn["connectionId"]

    info = wait_job(s, str(job["job"]["id"]))  # the id as a numeric string works too
    assert info["job"]["status"] == "succeeded", info
    attempt = info["attempts"][0]
    assert attempt["attempt"]["id"] == 1 and attempt["attempt"]["status"] == "succeeded"
    assert attempt["attempt"]["recordsSynced"] == 60 and attempt["attempt"]["bytesSynced"] > 0
    assert attempt["attempt"]["endedAt"] >= attempt["attempt"]["createdAt"] > 1_600_000_000
    assert attempt["logs"]["logLines"], "log lines of the attempt"

    # The seed's curl: GET with a JSON body.
    r = requests.request("GET", f"{s.api_url}/jobs/list", headers={"Content-Type": "application/json"},
                         data=json.dumps({"configTypes": ["sync"], "configId": conn["connectionId"]}), timeout=10)
    assert r.status_code == 200, r.text
    assert [j["job"]["id"] for j in r.json()["jobs"]] == [job["job"]["id"]]
    assert r.json()["totalJobCount"] == 1
    page = s.ok("jobs/list", {"pagination": {"pageSize": 1, "rowOffset": 0}})
    assert len(page["jobs"]) == 1

    # logs: tail, after a sequence number, download, SSE
    tail = s.ok("jobs/logs", {"id": job["job"]["id"], "tail": 2})
    assert len(tail["lines"]) == 2
    after = s.ok("jobs/logs", {"id": job["job"]["id"], "afterSeq": 1, "limit": 3})
    assert [l["seq"] for l in after["lines"]] == [2, 3, 4]
    text = requests.get(f"{s.url}/jobs/logs/download", params={"id": job["job"]["id"]}, timeout=10)
    assert text.status_code == 200 and text.headers["Content-Type"].startswith("text/plain")
    assert len(text.text.splitlines()) >= len(attempt["logs"]["logLines"])
    sse = requests.get(f"{s.url}/jobs/logs/stream", params={"id": job["job"]["id"]}, timeout=20)
    assert sse.headers["Content-Type"].startswith("text/event-stream")
    assert "data: " in sse.text and "event: status\ndata: succeeded" in sse.text

    state = s.ok("state/get", {"connectionId": conn["connectionId"]})
    assert state["stateType"] in ("stream", "global", "legacy") and state["state"]
    statuses = s.ok("connections/status", {"connectionIds": [conn["connectionId"]]})
    assert statuses[0]["lastSyncJobStatus"] == "succeeded" and statuses[0]["isRunning"] is False

    # a reset queues a reset_connection job
    reset = s.ok("connections/reset", {"connectionId": conn["connectionId"]})
    assert reset["job"]["configType"] == "reset_connection"
    assert wait_job(s, reset["job"]["id"])["job"]["status"] == "succeeded"
    # The status keeps the newest finished sync with its attempts (the connections list's row).
    after_reset = s.ok("connections/status", {"connectionId": conn["connectionId"]})[0]
    assert after_reset["lastSyncJobId"] == reset["job"]["id"]
    last_sync = after_reset["lastSyncJob"]
    assert last_sync["job"]["configType"] == "sync" and last_sync["job"]["id"] != reset["job"]["id"]
    assert last_sync["attempts"][-1]["attempt"]["recordsSynced"] > 0

    metrics = {f.name: f for f in text_string_to_metric_families(requests.get(f"{s.base}/metrics", timeout=5).text)}
    succeeded = [x.value for x in metrics["sluice_syncs"].samples
                 if x.name == "sluice_syncs_total" and x.labels.get("status") == "succeeded"]
    assert succeeded and succeeded[0] >= 2
    assert "sluice_jobs_queued" in metrics and "sluice_http_requests" in metrics


def test_cancel_a_running_job(module_server, tmp_path):
    s = module_server
    src = make_source(s, count=200_000_000, name="big")
    dst = s.ok("destinations/create", {"destinationDefinitionId": "destination-dev-null", "name": "null",
                                       "connectionConfiguration": {}})
    conn = s.ok("connections/create", {"sourceId": src["sourceId"], "destinationId": dst["destinationId"]})
    job = s.ok("connections/sync", {"connectionId": conn["connectionId"]})
    again = s.ok("connections/sync", {"connectionId": conn["connectionId"]})
    assert again["job"]["id"] == job["job"]["id"], "one unfinished job per connection"
    r = s.post("connections/reset", {"connectionId": conn["connectionId"]})
    assert r.status_code == 409, "a reset while a sync is unfinished"
    deadline = time.monotonic() + 30
    while s.ok("jobs/get", {"id": job["job"]["id"]})["job"]["status"] != "running":
        assert time.monotonic() < deadline, "the job never ran"
        time.sleep(0.1)
    status = s.ok("connections/status", {})
    assert any(x["connectionId"] == conn["connectionId"] and x["isRunning"] for x in status)
    cancelled = s.ok("jobs/cancel", {"id": job["job"]["id"]})
    assert cancelled["job"]["id"] == job["job"]["id"]
    assert wait_job(s, job["job"]["id"])["job"]["status"] == "cancelled"


def test_cancel_a_queued_job(tmp_path):
    with sluice_server(workers=0) as s:
        src = make_source(s)
        dst = make_destination(s, tmp_path / "out")
        conn = s.ok("connections/create", {"sourceId": src["sourceId"], "destinationId": dst["destinationId"]})
        job = s.ok("connections/sync", {"connectionId": conn["connectionId"]})
        assert job["job"]["status"] == "pending" and job["attempts"] == []
        assert s.ok("jobs/cancel", {"id": job["job"]["id"]})["job"]["status"] == "cancelled"


def test_secrets_are_masked_and_merged(module_server):
    s = module_server
    closed_port = free_port()
    config = {"host": "127.0.0.1", "port": closed_port, "database": "db", "username": "u",
              "password": PG_SECRET, "connect_timeout": 2}
    d = s.ok("destinations/create", {"destinationDefinitionId": "destination-postgres", "name": "pg",
                                     "connectionConfiguration": config})
    assert d["connectionConfiguration"]["password"] == MASK
    assert d["connectionConfiguration"]["host"] == "127.0.0.1"
    got = s.post("destinations/get", {"destinationId": d["destinationId"]})
    listed = s.post("destinations/list", {})
    for r in (got, listed):
        assert PG_SECRET not in r.text and MASK in r.text

    check = s.ok("destinations/check_connection", {"destinationId": d["destinationId"]})
    assert check["status"] == "failed" and check["message"] and PG_SECRET not in json.dumps(check)

    # Update with the masked value keeps the stored secret; the encrypted store never holds it in clear.
    upd = s.ok("destinations/update", {"destinationId": d["destinationId"], "name": "pg2",
                                       "connectionConfiguration": dict(got.json()["connectionConfiguration"],
                                                                       database="renamed_warehouse_db")})
    assert upd["connectionConfiguration"]["database"] == "renamed_warehouse_db"
    assert upd["connectionConfiguration"]["password"] == MASK
    db = sqlite3.connect(s.data_dir / "sluice.db")
    dump = "\n".join(db.iterdump())
    db.close()
    # The whole config is encrypted (a name long enough never to turn up in ids or ciphertext).
    assert PG_SECRET not in dump and "renamed_warehouse_db" not in dump
    # check_connection on an unsaved config
    r = s.ok("destinations/check_connection", {"destinationDefinitionId": "destination-postgres",
                                               "connectionConfiguration": config})
    assert r["status"] == "failed" and PG_SECRET not in json.dumps(r)
    # A masked secret with nothing stored to keep is refused, naming the field.
    r = s.post("destinations/check_connection", {"destinationDefinitionId": "destination-postgres",
                                                 "connectionConfiguration": dict(config, password=MASK)})
    assert r.status_code == 200 and PG_SECRET not in r.text
    assert PG_SECRET not in s.log()


def test_bad_requests_get_4xx_naming_fields(module_server, tmp_path):
    s = module_server
    url = f"{s.url}/sources/create"
    r = requests.post(url, data="{not json", headers={"Content-Type": "application/json"}, timeout=5)
    assert r.status_code == 400 and "malformed JSON" in r.json()["message"]
    r = requests.post(url, data="[1,2]", timeout=5)
    assert r.status_code == 400 and "object" in r.json()["message"]
    r = s.post("sources/create", {"sourceDefinitionId": "source-faker", "connectionConfiguration": "x"})
    assert r.status_code == 400 and r.json()["details"][0]["field"] == "connectionConfiguration"
    r = s.post("sources/create", {"sourceDefinitionId": 5, "connectionConfiguration": {}})
    assert r.status_code == 400 and r.json()["details"][0]["field"] == "sourceDefinitionId"
    r = s.post("sources/create", {"connectionConfiguration": {}})
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "sourceDefinitionId"

    # every config violation listed, by field
    r = s.post("destinations/create", {"destinationDefinitionId": "destination-postgres",
                                       "connectionConfiguration": {"host": "h", "port": "x", "password": PG_SECRET}})
    assert r.status_code == 422
    fields = {d["field"] for d in r.json()["details"]}
    assert {"connectionConfiguration.port", "connectionConfiguration.database",
            "connectionConfiguration.username"} <= fields, fields
    assert PG_SECRET not in r.text
    r = s.post("sources/create", {"sourceDefinitionId": "source-faker", "connectionConfiguration": {"count": 0, "bogus": 1}})
    assert r.status_code == 422 and len(r.json()["details"]) == 2

    # unknown ids
    for path, body, field in [("sources/get", {"sourceId": "nope"}, "sourceId"),
                              ("destinations/get", {"destinationId": "nope"}, "destinationId"),
                              ("connections/get", {"connectionId": "nope"}, "connectionId"),
                              ("connections/sync", {"connectionId": "nope"}, "connectionId"),
                              ("jobs/get", {"id": 999999}, "id"),
                              ("jobs/cancel", {"id": "999999"}, "id"),
                              ("state/get", {"connectionId": "nope"}, "connectionId"),
                              ("workspaces/get", {"workspaceId": "nope"}, "workspaceId")]:
        r = s.post(path, body)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["details"][0]["field"] == field
    r = s.post("jobs/get", {"id": "job-id"})
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "id"

    # connections: bad catalog, schedule and enums name their fields
    src = make_source(s, name="err-src")
    dst = make_destination(s, tmp_path / "o", name="err-dst")
    body = seed_connection_body(src["sourceId"], dst["destinationId"])
    body["syncCatalog"]["streams"][0]["config"]["syncMode"] = "sometimes"
    r = s.post("connections/create", body)
    assert r.status_code == 422 and any("syncMode" in d["field"] for d in r.json()["details"]), r.text
    body = seed_connection_body(src["sourceId"], dst["destinationId"])
    body["schedule"] = {"units": 24, "timeUnit": "fortnights"}
    r = s.post("connections/create", body)
    assert r.status_code == 422 and "timeUnit" in r.text
    body = seed_connection_body(src["sourceId"], dst["destinationId"])
    body["namespaceDefinition"] = "elsewhere"
    r = s.post("connections/create", body)
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "namespaceDefinition"
    r = s.post("connections/create", dict(seed_connection_body("nope", dst["destinationId"])))
    assert r.status_code == 404 and r.json()["details"][0]["field"] == "sourceId"
    r = s.post("jobs/list", {"configTypes": "sync"})
    assert r.status_code == 400 and r.json()["details"][0]["field"] == "configTypes"

    # huge bodies: 413 (POST and GET), and the server still answers
    big = json.dumps({"name": "x" * (11 * 1024 * 1024)})
    r = requests.post(url, data=big, timeout=30)
    assert r.status_code == 413
    r = requests.request("GET", f"{s.url}/jobs/list", data=big, timeout=30)
    assert r.status_code == 413
    assert requests.get(f"{s.url}/health", timeout=5).status_code == 200
    assert "500" not in [str(c) for c in []]


def test_workspace_settings(module_server):
    s = module_server
    ws = s.ok("workspaces/list")["workspaces"][0]
    assert s.ok("workspaces/get", {})["workspaceId"] == ws["workspaceId"]
    hook = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX"
    upd = s.ok("workspaces/update", {"workspaceId": ws["workspaceId"], "name": "Production Data Platform",
                                     "notificationSettings": {"slackWebhookUrl": hook, "sendOnSuccess": True,
                                                              "consecutiveFailureThreshold": 3}})
    assert upd["name"] == "Production Data Platform"
    n = upd["notificationSettings"]
    assert n["sendOnSuccess"] is True and n["sendOnFailure"] is True and n["consecutiveFailureThreshold"] == 3
    assert "XXXXsecretXXXX" not in json.dumps(upd) and n["slackWebhookUrl"].startswith("https://hooks.slack.com/")
    # sending the masked URL back keeps it
    again = s.ok("workspaces/update", {"notificationSettings": {"slackWebhookUrl": n["slackWebhookUrl"]}})
    assert again["notificationSettings"]["slackWebhookUrl"] == n["slackWebhookUrl"]
    r = s.post("workspaces/update", {"notificationSettings": {"slackWebhookUrl": "ftp://x", "sendOnFailure": "yes"}})
    assert r.status_code == 422
    assert {d["field"] for d in r.json()["details"]} == {"notificationSettings.slackWebhookUrl",
                                                         "notificationSettings.sendOnFailure"}


def test_metrics_parse(module_server):
    s = module_server
    r = requests.get(f"{s.base}/metrics", timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    names = {f.name for f in text_string_to_metric_families(r.text)}
    assert {"sluice_syncs", "sluice_records_synced", "sluice_sync_duration_seconds", "sluice_jobs_queued",
            "sluice_jobs_running", "sluice_workers_live"} <= names


def test_restart_keeps_everything(tmp_path):
    data = tmp_path / "data"
    with sluice_server(data_dir=data) as s:
        src = make_source(s, name="keep-me")
        d = s.ok("destinations/create", {"destinationDefinitionId": "destination-postgres", "name": "pg",
                                         "connectionConfiguration": {"host": "127.0.0.1", "port": free_port(),
                                                                     "database": "d", "username": "u",
                                                                     "password": PG_SECRET, "connect_timeout": 1}})
        dst = make_destination(s, tmp_path / "out")
        conn = s.ok("connections/create", seed_connection_body(src["sourceId"], dst["destinationId"]))
        job = s.ok("connections/sync", {"connectionId": conn["connectionId"]})
        wait_job(s, job["job"]["id"])
        assert s.stop() == 0, "SIGTERM stops the server cleanly"
        s.start()
        assert s.ok("sources/get", {"sourceId": src["sourceId"]})["name"] == "keep-me"
        assert s.ok("connections/get", {"connectionId": conn["connectionId"]})["syncCatalog"] == conn["syncCatalog"]
        assert s.ok("jobs/get", {"id": job["job"]["id"]})["job"]["status"] == "succeeded"
        # the key file is reused: the stored secret still decrypts (the check reaches the connector)
        check = s.ok("destinations/check_connection", {"destinationId": d["destinationId"]})
        assert check["status"] == "failed" and "decrypt" not in json.dumps(check)
        assert s.ok("destinations/get", {"destinationId": d["destinationId"]})["connectionConfiguration"]["password"] == MASK
        assert PG_SECRET not in s.log()


def test_postgres_metadata_store(pg, tmp_path):
    pg.create_database("sluice_meta")
    url = pg.url("sluice_meta")
    with sluice_server(metadata=url) as s:
        src = make_source(s, name="on-pg")
        dst = make_destination(s, tmp_path / "out")
        conn = s.ok("connections/create", seed_connection_body(src["sourceId"], dst["destinationId"]))
        job = s.ok("connections/sync", {"connectionId": conn["connectionId"]})
        assert wait_job(s, job["job"]["id"])["job"]["status"] == "succeeded"
        s.restart()
        assert s.ok("connections/get", {"connectionId": conn["connectionId"]})["name"] == conn["name"]
        assert s.ok("jobs/list", {"configId": conn["connectionId"]})["totalJobCount"] == 1
        assert pg.password not in s.log()
    rows = pg.query("sluice_meta", "select count(*) from connections")
    assert rows[0][0] == 1


def test_no_500_for_odd_field_values(module_server):
    """Every documented field of every route, given values of each JSON type: always an answer below 500."""
    s = module_server
    doc = requests.get(f"{s.url}/openapi.json", timeout=5).json()
    odd_values = [123, -1, "x", "", [], [1, "a"], {}, {"a": {"b": 1}}, None, True, 1.5]
    checked = 0
    for path, item in doc["paths"].items():
        if "post" not in item or path.endswith("/stream"):
            continue
        props = item["post"].get("requestBody", {}).get("content", {}).get("application/json", {}) \
            .get("schema", {}).get("properties", {})
        for field in props:
            for value in odd_values:
                r = requests.post(f"{s.base}{path}", json={field: value}, timeout=30)
                assert r.status_code < 500, (path, field, value, r.status_code, r.text[:300])
                json_type = "application/problem+json" if path.startswith("/api/public/") else "application/json"
                assert r.headers["Content-Type"].startswith(json_type) or r.status_code < 300
                checked += 1
    assert checked > 300
