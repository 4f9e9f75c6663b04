"""source-declarative-manifest against a local server replaying the documented wire shapes of a
Stripe-like API, a page-number API and an OAuth-protected API (rest_api_server.py; no real SaaS
account is used). Manifests in tests/e2e/fixtures/manifests/ are written in the shape of Airbyte's
public low-code manifests. Syncs go to local JSONL and to destination-postgres."""
import json
import pathlib
import shutil
import time

import yaml

from conftest import record_data, run, sync_json, write_pipeline
from pg_server import pg  # noqa: F401  (session fixture)
from rest_api_server import api, BASE_CREATED, DAY  # noqa: F401  (api: fixture)

MANIFESTS = pathlib.Path(__file__).parent / "fixtures" / "manifests"
NAME = "source-declarative-manifest"



def stripe_config(api, **extra):
    return {"base_url": api.base, "client_secret": api.api.api_key, "start_date": "2024-01-01T00:00:00Z", **extra}


def injected(manifest, config):
    """Airbyte's config shape, plus sluice's key for where the manifest's schema files are."""
    return {"__injected_declarative_manifest": yaml.safe_load((MANIFESTS / manifest).read_text()),
            "__injected_manifest_directory": str(MANIFESTS), **config}


def connector(tmp_path, verb, config, *extra, check=True):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(config))
    p = run("connector", NAME, verb, "--config", cfg, *extra, check=check)
    return [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")], p



def local_pipeline(tmp_path, manifest, config, streams, name="api"):
    return write_pipeline(tmp_path / f"{name}.yaml", {
        "name": name,
        "source": {"manifest": str(MANIFESTS / manifest), "config": config},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": streams,
    })



# ---- spec / check / discover ------------------------------------------------------------------


def test_check_and_discover_follow_the_manifest(tmp_path, api, protocol_validator):
    msgs, _ = connector(tmp_path, "check", injected("stripe_like.yaml", stripe_config(api)))
    status = [m for m in msgs if m["type"] == "CONNECTION_STATUS"][0]["connectionStatus"]
    assert status["status"] == "SUCCEEDED", status
    # CheckStream read one page of `customers`, authenticated.
    first = api.requests("/v1/customers")[0]
    assert first["headers"]["Authorization"] == f"Bearer {api.api.api_key}"
    assert first["headers"]["Stripe-Version"] == "2024-06-20"
    assert first["query"]["limit"] == "5" and first["query"]["created[gte]"] == str(BASE_CREATED)

    msgs, _ = connector(tmp_path, "discover", injected("stripe_like.yaml", stripe_config(api)))
    for m in msgs:
        protocol_validator.message(m)
    streams = {s["name"]: s for s in [m for m in msgs if m["type"] == "CATALOG"][0]["catalog"]["streams"]}
    assert set(streams) == {"customers", "invoices"}
    assert streams["customers"]["supported_sync_modes"] == ["full_refresh", "incremental"]
    assert streams["customers"]["default_cursor_field"] == ["created"]
    assert streams["customers"]["source_defined_primary_key"] == [["id"]]
    assert streams["invoices"]["supported_sync_modes"] == ["full_refresh"]
    # JsonFileSchemaLoader: schemas/invoices.json beside the manifest.
    assert "parent_customer" in streams["invoices"]["json_schema"]["properties"]


def test_wrong_key_is_a_clear_config_error_without_the_secret(tmp_path, api):
    msgs, _ = connector(tmp_path, "check", injected("stripe_like.yaml", stripe_config(api, client_secret="sk_test_WRONGKEY99")))
    status = [m for m in msgs if m["type"] == "CONNECTION_STATUS"][0]["connectionStatus"]
    assert status["status"] == "FAILED"
    assert "Stripe rejected the secret key" in status["message"] and "HTTP 401" in status["message"]
    assert "WRONGKEY99" not in status["message"]


def test_config_is_checked_against_the_manifest_spec(tmp_path, api):
    config = stripe_config(api, start_date="yesterday")
    msgs, _ = connector(tmp_path, "check", injected("stripe_like.yaml", config))
    status = [m for m in msgs if m["type"] == "CONNECTION_STATUS"][0]["connectionStatus"]
    assert status["status"] == "FAILED" and "$.start_date" in status["message"], status


def test_unsupported_component_names_its_path(tmp_path, api):
    manifest = yaml.safe_load((MANIFESTS / "items_pages.yaml").read_text())
    manifest["streams"][0]["retriever"]["paginator"] = {"type": "CustomPaginator", "class_name": "source_x.MyPaginator"}
    msgs, _ = connector(tmp_path, "check", {"__injected_declarative_manifest": manifest, "base_url": api.base,
                                            "api_key": "items-key-1"})
    status = [m for m in msgs if m["type"] == "CONNECTION_STATUS"][0]["connectionStatus"]
    assert status["status"] == "FAILED"
    assert "$.streams[0].retriever.paginator.type" in status["message"], status
    assert "CustomPaginator" in status["message"] and "custom Python" in status["message"]


# ---- Stripe-like: cursor pagination, faults, substreams, incremental --------------------------


def test_stripe_like_sync_with_faults_and_substream(tmp_path, api):
    # A rate limit (429 with Retry-After: 1) then a server error on the first customers page.
    api.api.fault("/v1/customers", 429, 500)
    p = local_pipeline(tmp_path, "stripe_like.yaml", stripe_config(api),
                       [{"name": "customers", "mode": "Full Refresh | Overwrite"},
                        {"name": "invoices", "mode": "Full Refresh | Overwrite"}])
    summary, _ = sync_json(p)
    assert summary["status"] == "succeeded"
    customers = record_data(tmp_path / "out" / "customers")
    assert sorted(c["id"] for c in customers) == [f"cus_{i:03d}" for i in range(1, 26)], "every record once"
    assert {c["id"]: c["tier"] for c in customers}["cus_003"] == "gold"  # AddFields
    # 5 records per page: starting_after the last id of each page, stopping when has_more is false.
    reqs = api.requests("/v1/customers")
    attempts = [r for r in reqs if "starting_after" not in r["query"]]
    assert len(attempts) >= 3  # 429, 500, then the page (the customers stream re-read by invoices too)
    assert attempts[1]["time"] - attempts[0]["time"] >= 0.9, "Retry-After: 1 was honoured"
    after = [r["query"]["starting_after"] for r in reqs if "starting_after" in r["query"]]
    assert after[:4] == ["cus_021", "cus_016", "cus_011", "cus_006"]
    invoices = record_data(tmp_path / "out" / "invoices")
    assert sorted(i["id"] for i in invoices) == sorted(i["id"] for i in api.api.invoices)
    assert all(i["parent_customer"] == i["customer"] for i in invoices)
    # One child request (at least) per parent record, each with ?customer=.
    assert {r["query"]["customer"] for r in api.requests("/v1/invoices")} == {c["id"] for c in api.api.customers}


def concurrent_manifest(tmp_path, step):
    """stripe_like.yaml with Airbyte's concurrency_level (workers from the config) and `step`."""
    m = yaml.safe_load((MANIFESTS / "stripe_like.yaml").read_text())
    m["concurrency_level"] = {"type": "ConcurrencyLevel", "default_concurrency": "{{ config.get('num_workers', 3) }}",
                              "max_concurrency": 4}
    m["definitions"]["incremental"]["step"] = step
    folder = tmp_path / "manifest"
    shutil.copytree(MANIFESTS / "schemas", folder / "schemas")
    (folder / "concurrent.yaml").write_text(yaml.safe_dump(m, sort_keys=False))
    return folder / "concurrent.yaml"


def test_concurrency_level_overlaps_requests_across_slices_and_partitions(tmp_path, api):
    api.api.delay = 0.05
    manifest = concurrent_manifest(tmp_path, "P7D")  # 25 customers, one a day: slices of a week
    p = write_pipeline(tmp_path / "api.yaml", {
        "name": "api", "source": {"manifest": str(manifest), "config": stripe_config(api, num_workers=10)},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": "customers", "mode": "Incremental | Append"},
                    {"name": "invoices", "mode": "Full Refresh | Overwrite"}]})
    s1, _ = sync_json(p)
    # max_concurrency 4 caps the config's 10 workers; the requests overlapped.
    assert 2 <= api.api.max_in_flight <= 4, api.api.max_in_flight
    customers = record_data(tmp_path / "out" / "customers")
    assert sorted(c["id"] for c in customers) == [f"cus_{i:03d}" for i in range(1, 26)], "every record once"
    invoices = record_data(tmp_path / "out" / "invoices")
    assert sorted(i["id"] for i in invoices) == sorted(i["id"] for i in api.api.invoices), "every record once"
    assert all(i["parent_customer"] == i["customer"] for i in invoices)
    # Within a partition (one customer's invoices) the records keep the API's order.
    by_customer = {}
    for i in invoices:
        by_customer.setdefault(i["customer"], []).append(i["created"])
    assert all(v == sorted(v, reverse=True) for v in by_customer.values())
    # The state claims the newest record, only once every slice up to it completed.
    state = json.loads(pathlib.Path(s1["state_file"]).read_text())
    blob = next(m for m in state if m["stream"]["stream_descriptor"]["name"] == "customers")["stream"]["stream_state"]
    assert blob == {"created": str(BASE_CREATED + 25 * DAY)}
    # The weekly slices each asked once (and the parent re-read for invoices: twice in all).
    starts = [r["query"]["created[gte]"] for r in api.requests("/v1/customers") if "starting_after" not in r["query"]]
    assert len(starts) == 2 * len(set(starts)) and len(set(starts)) > 10


def test_concurrent_read_stops_when_a_slice_fails(tmp_path, api):
    api.api.delay = 0.02
    api.api.fault("/v1/customers", 500)  # one slice fails (no retries): the whole read stops
    manifest = concurrent_manifest(tmp_path, "P7D")
    m = yaml.safe_load(manifest.read_text())
    m["definitions"]["requester"]["error_handler"]["max_retries"] = 0
    manifest.write_text(yaml.safe_dump(m, sort_keys=False))
    p = write_pipeline(tmp_path / "api.yaml", {
        "name": "api", "source": {"manifest": str(manifest), "config": stripe_config(api, num_workers=4)},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": "customers", "mode": "Incremental | Append"}]})
    _, proc = sync_json(p, check=False)
    assert proc.returncode != 0
    assert "HTTP 500" in proc.stdout + proc.stderr


def test_streams_are_read_at_once_under_concurrency_level(tmp_path, api):
    """Independent streams overlap under concurrency_level (each a single unit of sequential pages,
    so only stream-level concurrency overlaps requests); each stream's records keep the API's order
    and end with its own state; a substream still reads its parent. With concurrency_level 1 the
    same streams are read one after another."""
    api.api.delay = 0.05
    m = yaml.safe_load((MANIFESTS / "stripe_like.yaml").read_text())
    schema = {"type": "InlineSchemaLoader", "schema": {"type": "object", "properties": {
        "id": {"type": "string"}, "created": {"type": "integer"}, "customer": {"type": ["string", "null"]}}}}
    simple = [{"$ref": "#/definitions/base_stream", "name": n, "$parameters": {"path": n}, "schema_loader": schema}
              for n in ("customers", "charges", "subscriptions")]
    m["streams"] = simple + [{"$ref": "#/definitions/invoices_stream"}]
    folder = tmp_path / "manifest"
    shutil.copytree(MANIFESTS / "schemas", folder / "schemas")
    names = ["customers", "charges", "subscriptions", "invoices"]
    for level in (1, 3):
        m["concurrency_level"] = {"type": "ConcurrencyLevel", "default_concurrency": level}
        (folder / "m.yaml").write_text(yaml.safe_dump(m, sort_keys=False))
        api.api.max_in_flight = 0
        api.api.requests = []
        out = tmp_path / f"out{level}"
        p = write_pipeline(tmp_path / f"api{level}.yaml", {
            "name": f"api{level}", "source": {"manifest": str(folder / "m.yaml"), "config": stripe_config(api)},
            "destination": {"connector": "local", "config": {"destination_path": str(out)}},
            "streams": [{"name": n, "mode": "Full Refresh | Overwrite"} for n in names]})
        summary, _ = sync_json(p)
        assert summary["status"] == "succeeded"
        # charges and subscriptions are read by their own streams only: their requests overlap in
        # time exactly when the streams were read at once.
        charges = [r["time"] for r in api.requests("/v1/charges")]
        subscriptions = [r["time"] for r in api.requests("/v1/subscriptions")]
        overlap = min(subscriptions) < max(charges) and min(charges) < max(subscriptions)
        if level == 1:
            assert api.api.max_in_flight == 1, "concurrency_level 1 reads one stream at a time"
            assert not overlap
        else:
            assert 2 <= api.api.max_in_flight <= 3, api.api.max_in_flight
            assert overlap, (charges, subscriptions)
        expected = {"customers": api.api.customers, "charges": api.api.charges,
                    "subscriptions": [r for r in api.api.subscriptions if r["status"] != "canceled"],
                    "invoices": api.api.invoices}
        for n in names:
            records = record_data(out / n)
            assert sorted(r["id"] for r in records) == sorted(r["id"] for r in expected[n]), f"{n}: every record once"
            if n != "invoices":  # one listing, newest first: the records keep that order
                assert [r["created"] for r in records] == sorted((r["created"] for r in records), reverse=True), n
        assert all(i["parent_customer"] == i["customer"] for i in record_data(out / "invoices"))
        state = json.loads(pathlib.Path(summary["state_file"]).read_text())
        assert {s["stream"]["stream_descriptor"]["name"] for s in state} == set(names)
        assert all(s["stream"]["stream_state"] == {"__ab_no_cursor_state_message": True} for s in state)


def test_stripe_like_incremental_resumes_from_state(tmp_path, api):
    p = local_pipeline(tmp_path, "stripe_like.yaml", stripe_config(api),
                       [{"name": "customers", "mode": "Incremental | Append"}])
    s1, _ = sync_json(p)
    assert next(x for x in s1["streams"] if x["stream"] == "customers")["records"] == 25
    state = json.loads(pathlib.Path(s1["state_file"]).read_text())
    blob = next(m for m in state if m["stream"]["stream_descriptor"]["name"] == "customers")["stream"]["stream_state"]
    assert blob == {"created": str(BASE_CREATED + 25 * DAY)}  # Airbyte's shape: cursor value in datetime_format
    # Three new customers; the next run asks from the saved cursor and reads them (and the
    # boundary record again: created[gte] is inclusive, at-least-once).
    for i in range(26, 29):
        api.api.customers.append({"id": f"cus_{i:03d}", "object": "customer", "email": None, "name": f"Customer {i}",
                                  "created": BASE_CREATED + i * DAY, "metadata": {"tier": "basic"}})
    before = len(api.requests("/v1/customers"))
    s2, _ = sync_json(p)
    assert next(x for x in s2["streams"] if x["stream"] == "customers")["records"] == 4
    new_requests = api.requests("/v1/customers")[before:]
    assert int(new_requests[0]["query"]["created[gte]"]) == BASE_CREATED + 25 * DAY
    ids = [c["id"] for c in record_data(tmp_path / "out" / "customers")]
    assert set(ids) == {f"cus_{i:03d}" for i in range(1, 29)}
    state = json.loads(pathlib.Path(s2["state_file"]).read_text())
    blob = next(m for m in state if m["stream"]["stream_descriptor"]["name"] == "customers")["stream"]["stream_state"]
    assert blob == {"created": str(BASE_CREATED + 28 * DAY)}


def test_server_errors_beyond_max_retries_fail_clearly(tmp_path, api):
    api.api.fault("/v1/customers", *([500] * 10))
    p = local_pipeline(tmp_path, "stripe_like.yaml", stripe_config(api), [{"name": "customers", "mode": "Full Refresh | Overwrite"}])
    _, proc = sync_json(p, check=False)
    assert proc.returncode != 0
    err = proc.stdout + proc.stderr
    assert "HTTP 500" in err and "after 4 retries" in err and "/v1/customers" in err, err[-2000:]
    assert api.api.api_key not in err


# ---- page numbers into PostgreSQL ------------------------------------------------------------


def test_page_increment_with_partitions_into_postgres(tmp_path, api, pg):
    pg.create_database("manifest_items")
    api.api.fault("/api/items", 503)
    p = write_pipeline(tmp_path / "items.yaml", {
        "name": "items",
        "source": {"manifest": str(MANIFESTS / "items_pages.yaml"),
                   "config": {"base_url": api.base, "api_key": api.api.items_key, "min_price": 5}},
        "destination": {"connector": "postgres", "config": pg.config("manifest_items", schema="api")},
        "streams": [{"name": "items", "mode": "Full Refresh | Overwrite"}],
    })
    summary, _ = sync_json(p)
    assert summary["status"] == "succeeded"
    rows = pg.query("manifest_items", "select id, sku, price_cents, source_api, category, category_slice, internal_note "
                                      "from api.items order by id")
    expected = [i for i in api.api.items if i["active"] and i["price"] >= 5]
    assert [r[0] for r in rows] == [i["id"] for i in expected]
    assert all(r[2] == round(i["price"] * 100) for r, i in zip(rows, expected))
    assert {r[3] for r in rows} == {"items-v1"}
    assert all(r[4] == r[5] for r in rows)  # the partition's value reached the record
    assert {r[6] for r in rows} == {None}  # RemoveFields
    reqs = [r for r in api.requests("/api/items") if r["headers"].get("X-API-Key")]
    assert {r["query"]["category"] for r in reqs} == {"tools", "toys", "food"}
    assert all(r["query"]["per_page"] == "10" for r in reqs)
    # 16 items per category: pages 1 and 2, stopping at the short page.
    assert sorted(int(r["query"]["page"]) for r in reqs if r["query"]["category"] == "tools") == [1, 1, 2]


# ---- OAuth ------------------------------------------------------------------------------------


def oauth_config(api, **extra):
    return {"base_url": api.base, "credentials": {"auth_type": "oauth2.0", "client_id": api.api.client_id,
                                                  "client_secret": api.api.client_secret, "refresh_token": "refresh-0"},
            **extra}


def test_oauth_refreshes_expired_tokens_and_keeps_rotated_refresh_token(tmp_path, api):
    api.api.token_lifetime = 1
    api.api.rotate = True  # each refresh token works once
    # A 500 before the third page makes the reader wait (retry_seconds) past the token's expiry.
    p = local_pipeline(tmp_path, "crm_oauth.yaml", oauth_config(api, retry_seconds=1.3),
                       [{"name": "contacts", "mode": "Full Refresh | Overwrite"}])
    orig_handle = api.api.fault
    orig_handle("/crm/contacts", *[])
    # Fault only the 3rd contacts request: let two pages through first.
    import threading

    def inject_later():
        deadline = time.time() + 10
        while time.time() < deadline:
            if len(api.requests("/crm/contacts")) >= 2:
                api.api.fault("/crm/contacts", 500)
                return
            time.sleep(0.005)
    t = threading.Thread(target=inject_later)
    t.start()
    summary, _ = sync_json(p)
    t.join()
    assert summary["status"] == "succeeded"
    ids = sorted(c["id"] for c in record_data(tmp_path / "out" / "contacts"))
    assert ids == list(range(1, 38))
    tokens = api.requests("/oauth/token")
    assert len(tokens) >= 2, "the expired token was refreshed"
    # The second refresh used the rotated refresh token (the first one was single-use).
    assert "refresh_token=refresh-1" in tokens[1]["body"]
    offsets = [int(r["query"].get("offset", 0)) for r in api.requests("/crm/contacts") if r["headers"].get("Authorization")]
    assert sorted(set(offsets)) == [0, 10, 20, 30]


def test_rotated_refresh_token_persists_across_cli_runs(tmp_path, api, protocol_validator):
    """Single-use refresh tokens: each run's token endpoint answer voids the refresh token it
    used. The new one reaches the next run only through the CONTROL message the source emits and
    the overlay `sluice sync` keeps beside the state (the pipeline file is never rewritten)."""
    api.api.rotate = True
    p = local_pipeline(tmp_path, "crm_oauth.yaml", oauth_config(api),
                       [{"name": "contacts", "mode": "Full Refresh | Overwrite"}])
    written = p.read_text()
    summary, first = sync_json(p)
    assert summary["status"] == "succeeded"
    assert [t["body"] for t in api.requests("/oauth/token")][0].count("refresh_token=refresh-0") == 1
    overlay = tmp_path / ".sluice-state" / "api.source-config.json"
    assert overlay.exists(), list((tmp_path / ".sluice-state").iterdir())
    assert overlay.stat().st_mode & 0o077 == 0, "it holds secrets: 0600"
    kept = json.loads(overlay.read_text())
    assert kept["changes"]["credentials"]["refresh_token"] == "refresh-1"
    assert kept["changes"]["credentials"]["access_token"] == "at-1"
    assert kept["replaced"]["/credentials/refresh_token"] == "refresh-0"
    assert p.read_text() == written, "the pipeline file is the user's"
    assert "refresh-1" not in first.stderr and "at-1" not in first.stderr, "no token in the logs"
    # The persisted access token expires: the second run refreshes with the rotated token.
    api.api.access_tokens.clear()
    summary, second = sync_json(p)
    assert summary["status"] == "succeeded", second.stderr[-2000:]
    assert "refresh_token=refresh-1" in api.requests("/oauth/token")[-1]["body"]
    assert sorted(c["id"] for c in record_data(tmp_path / "out" / "contacts")) == list(range(1, 38))
    assert json.loads(overlay.read_text())["changes"]["credentials"]["refresh_token"] == "refresh-2"
    # Without the overlay the run starts from the pipeline's refresh-0, void since the first run:
    # a config error that names the fix, not the token.
    overlay.unlink()
    api.api.access_tokens.clear()
    summary, third = sync_json(p, check=False)
    assert summary is None and third.returncode == 2, third.stderr[-2000:]
    assert "refused the refresh token" in third.stderr and "refresh-0" not in third.stderr
    # A user who pastes a new refresh token into the pipeline file: an older overlay is stale.
    cfg = oauth_config(api)
    cfg["credentials"]["refresh_token"] = "refresh-2"
    p = local_pipeline(tmp_path, "crm_oauth.yaml", cfg, [{"name": "contacts", "mode": "Full Refresh | Overwrite"}])
    overlay.write_text(json.dumps({"replaced": {"/credentials/refresh_token": "refresh-0"},
                                   "changes": {"credentials": {"refresh_token": "refresh-0"}}}))
    summary, fourth = sync_json(p)
    assert summary["status"] == "succeeded" and "is ignored" in fourth.stderr
    # `sluice connector … read` prints the update as Airbyte's CONTROL message.
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"streams": [{"stream": {"name": "contacts", "json_schema": {},
                                                           "supported_sync_modes": ["full_refresh"]},
                                                "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}))
    cfg["credentials"]["refresh_token"] = "refresh-3"
    msgs, _ = connector(tmp_path, "read", injected("crm_oauth.yaml", cfg), "--catalog", catalog)
    controls = [m for m in msgs if m["type"] == "CONTROL"]
    assert len(controls) == 1, [m["type"] for m in msgs]
    protocol_validator.message(controls[0])
    updated = controls[0]["control"]["connectorConfig"]["config"]
    assert updated["credentials"]["refresh_token"] == "refresh-4" and updated["base_url"] == api.base
    assert "__injected_declarative_manifest" not in updated


def test_rotated_refresh_token_persists_across_server_runs(tmp_path, api):
    """The server: the attempt's CONTROL message updates the source's stored config (encrypted,
    masked in answers), so the next scheduled or manual sync uses the rotated refresh token."""
    from sluice_server import register_secret, sluice_server

    api.api.rotate = True
    api.api.client_secret = register_secret("crm-client-secret-7d3e1f")
    cfg = injected("crm_oauth.yaml", oauth_config(api))
    with sluice_server() as server:
        source_id = server.ok("sources/create", {"sourceDefinitionId": NAME, "name": "crm",
                                                 "connectionConfiguration": cfg})["sourceId"]
        destination_id = server.ok("destinations/create", {
            "destinationDefinitionId": "destination-local", "name": "out",
            "connectionConfiguration": {"destination_path": str(tmp_path / "out")}})["destinationId"]
        catalog = server.ok("sources/discover_schema", {"sourceId": source_id})["catalog"]
        connection_id = server.ok("connections/create", {
            "sourceId": source_id, "destinationId": destination_id, "name": "crm", "syncCatalog": catalog,
            "scheduleType": "manual", "status": "active"})["connectionId"]

        def sync():
            job_id = server.ok("connections/sync", {"connectionId": connection_id})["job"]["id"]
            deadline = time.time() + 60
            while time.time() < deadline:
                job = server.ok("jobs/get", {"id": job_id})
                if job["job"]["status"] in ("failed", "succeeded", "cancelled"):
                    return job
                time.sleep(0.2)
            raise AssertionError(f"job {job_id} did not end")

        first = sync()
        assert first["job"]["status"] == "succeeded", first
        attempt = first["attempts"][-1]
        assert attempt["attempt"]["connectorConfigurationUpdated"] is True, attempt["attempt"]
        lines = "\n".join(attempt["logs"]["logLines"])
        assert "the source updated its config" in lines and "/credentials/refresh_token" in lines
        assert "refresh-1" not in lines and "at-1" not in lines
        got = server.ok("sources/get", {"sourceId": source_id})["connectionConfiguration"]["credentials"]
        assert got["refresh_token"] == "**********" and got["access_token"] == "**********", got
        # A check that refreshes (the saved access token expired) rotates again: saved too.
        api.api.access_tokens.clear()
        checked = server.ok("sources/check_connection", {"sourceId": source_id})
        assert checked["status"] == "succeeded" and checked["jobInfo"]["connectorConfigurationUpdated"] is True
        assert "refresh_token=refresh-1" in api.requests("/oauth/token")[-1]["body"]
        # The persisted access token expires: the second run refreshes with the rotated token.
        api.api.access_tokens.clear()
        second = sync()
        assert second["job"]["status"] == "succeeded", second["attempts"][-1]["attempt"]
        assert "refresh_token=refresh-2" in api.requests("/oauth/token")[-1]["body"]
        # A source still holding the first refresh token (what the second run would have had
        # without the update) fails: the token is void.
        stale = dict(cfg)
        stale["credentials"] = dict(cfg["credentials"])
        server.ok("sources/update", {"sourceId": source_id, "connectionConfiguration": stale})
        api.api.access_tokens.clear()
        third = sync()
        assert third["job"]["status"] == "failed"
        failure = third["attempts"][-1]["attempt"]["failureSummary"]["failures"][0]
        assert failure["failureType"] == "config_error" and "refused the refresh token" in failure["externalMessage"]


def test_oauth_bad_client_secret_is_a_config_error(tmp_path, api):
    cfg = oauth_config(api)
    cfg["credentials"]["client_secret"] = "nope-secret-123"
    msgs, _ = connector(tmp_path, "check", injected("crm_oauth.yaml", cfg))
    status = [m for m in msgs if m["type"] == "CONNECTION_STATUS"][0]["connectionStatus"]
    assert status["status"] == "FAILED" and "OAuth token endpoint" in status["message"], status
    assert "nope-secret-123" not in status["message"]


def test_selective_authenticator_takes_the_configured_branch(tmp_path, api):
    api.api.access_tokens["static-token"] = time.time() + 3600
    cfg = {"base_url": api.base, "credentials": {"auth_type": "access_token", "access_token": "static-token"}}
    msgs, _ = connector(tmp_path, "check", injected("crm_oauth.yaml", cfg))
    status = [m for m in msgs if m["type"] == "CONNECTION_STATUS"][0]["connectionStatus"]
    assert status["status"] == "SUCCEEDED", status
    assert api.requests("/oauth/token") == []


# ---- the server: a manifest's secrets (its spec's airbyte_secret fields) -----------------------


def test_server_masks_and_redacts_the_manifests_secrets(tmp_path, api):
    """The server masks, keeps and redacts by the manifest's own spec (client_secret is
    airbyte_secret there), not by source-declarative-manifest's generic spec."""
    from sluice_server import register_secret, sluice_server

    good = register_secret("sk_test_ManifestGood-5d1f07")
    wrong = register_secret("sk_test_ManifestWrong-93ab2c")
    api.api.api_key = good
    manifest = yaml.safe_load((MANIFESTS / "stripe_like.yaml").read_text())
    # A careless manifest that quotes the key in its 401 message: the server must still redact it.
    manifest["definitions"]["requester"]["error_handler"]["response_filters"][0]["error_message"] = \
        "Stripe rejected the key {{ config['client_secret'] }}"
    base = {"__injected_declarative_manifest": manifest, "__injected_manifest_directory": str(MANIFESTS),
            "base_url": api.base, "start_date": "2024-01-01T00:00:00Z"}
    with sluice_server() as server:
        def create(secret, name):
            return server.ok("sources/create", {"sourceDefinitionId": NAME, "name": name,
                                                "connectionConfiguration": dict(base, client_secret=secret)})
        created = create(good, "stripe")
        source_id = created["sourceId"]
        assert created["connectionConfiguration"]["client_secret"] == "**********"
        got = server.ok("sources/get", {"sourceId": source_id})["connectionConfiguration"]
        assert got["client_secret"] == "**********" and got["base_url"] == api.base
        listed = server.ok("sources/list", {})["sources"]
        assert [s["connectionConfiguration"]["client_secret"] for s in listed] == ["**********"]
        # Sending the mask back keeps the stored key: the check still authenticates.
        server.ok("sources/update", {"sourceId": source_id, "connectionConfiguration": got})
        assert server.ok("sources/check_connection", {"sourceId": source_id})["status"] == "succeeded"
        assert api.requests("/v1/customers")[-1]["headers"]["Authorization"] == f"Bearer {good}"
        # The manifest's spec is what the config is validated against: a missing start_date is a 422.
        bad = dict(base, client_secret=good)
        del bad["start_date"]
        r = server.post("sources/create", {"sourceDefinitionId": NAME, "connectionConfiguration": bad})
        assert r.status_code == 422 and "start_date" in r.text, r.text
        # A wrong key: the check's message and a sync's job logs name the failure, never the key.
        wrong_id = create(wrong, "stripe wrong")["sourceId"]
        check = server.ok("sources/check_connection", {"sourceId": wrong_id})
        assert check["status"] == "failed" and "Stripe rejected the key **********" in check["message"], check
        destination_id = server.ok("destinations/create", {
            "destinationDefinitionId": "destination-local", "name": "out",
            "connectionConfiguration": {"destination_path": str(tmp_path / "out")}})["destinationId"]
        catalog = server.ok("sources/discover_schema", {"sourceId": source_id})["catalog"]
        for entry in catalog["streams"]:
            entry["config"]["selected"] = entry["stream"]["name"] == "customers"
        connection_id = server.ok("connections/create", {
            "sourceId": wrong_id, "destinationId": destination_id, "name": "c", "syncCatalog": catalog,
            "scheduleType": "manual", "status": "active"})["connectionId"]
        job_id = server.ok("connections/sync", {"connectionId": connection_id})["job"]["id"]
        deadline = time.time() + 60
        while time.time() < deadline:
            job = server.ok("jobs/get", {"id": job_id})
            if job["job"]["status"] in ("failed", "succeeded", "cancelled"):
                break
            time.sleep(0.2)
        assert job["job"]["status"] == "failed", job["job"]
        lines = "\n".join(line for a in job["attempts"] for line in a["logs"]["logLines"])
        assert "Stripe rejected the key **********" in lines, lines[-2000:]
        # (sluice_server scans every answer, its log and its data dir for both keys at exit.)


# ---- incremental parts of public manifests: client-side filtering, counts, state migrations ---


def pm_config(api, **extra):
    return {"base_url": api.base, "api_token": api.api.pm_token, "start_date": "2024-01-01T00:00:00Z", **extra}


def stream_state(summary, name):
    state = json.loads(pathlib.Path(summary["state_file"]).read_text())
    return next(m for m in state if m["stream"]["stream_descriptor"]["name"] == name)["stream"]["stream_state"]


def records_of(summary, name):
    return next(x for x in summary["streams"] if x["stream"] == name)["records"]


def test_client_side_incremental_emits_only_newer_records_on_the_second_run(tmp_path, api):
    """The task lists cannot be filtered by the API: every run reads them whole and keeps the
    records from each project's state on (is_client_side_incremental), and the state is the CDK's
    per-partition shape. The activity log asks from its saved sequence number."""
    p = local_pipeline(tmp_path, "pm_tasks.yaml", pm_config(api),
                       [{"name": "tasks", "mode": "Incremental | Append"},
                        {"name": "activities", "mode": "Incremental | Append"}])
    s1, _ = sync_json(p)
    assert records_of(s1, "tasks") == 8 and records_of(s1, "activities") == 12
    tasks = stream_state(s1, "tasks")
    assert isinstance(tasks.pop("lookback_window"), int)
    assert tasks == {"use_global_cursor": False,
                     "states": [{"partition": {"project_id": 101, "parent_slice": {}},
                                 "cursor": {"modified_at": "2024-03-05T09:00:00Z"}},
                                {"partition": {"project_id": 102, "parent_slice": {}},
                                 "cursor": {"modified_at": "2024-02-15T09:00:00Z"}}],
                     "state": {"modified_at": "2024-03-05T09:00:00Z"}}
    assert stream_state(s1, "activities") == {"seq": 12}
    assert api.requests("/pm/activities")[0]["query"]["min_seq"] == "1"
    # One task changed, two added; two more activities.
    with api.api.lock:
        api.api.pm_tasks[101][1]["modified_at"] = "2024-03-10T08:00:00Z"
        api.api.pm_tasks[101].append({"id": "t6", "title": "Task 6", "modified_at": "2024-03-07T09:00:00Z"})
        api.api.pm_tasks[102].append({"id": "u4", "title": "Task 4", "modified_at": "2024-02-20T09:00:00Z"})
        api.api.pm_activities += [{"seq": 13, "what": "event 13"}, {"seq": 14, "what": "event 14"}]
    before = len(api.requests("/pm/projects/101/tasks"))
    s2, _ = sync_json(p)
    # The API still answered every page of project 101's six tasks (two full pages, an empty third)...
    assert len(api.requests("/pm/projects/101/tasks")) - before == 3
    # ...but only the changed and new tasks, and those at the saved cursor (inclusive), go out.
    out = record_data(tmp_path / "out" / "tasks")
    second = out[8:]
    assert sorted(t["id"] for t in second) == ["t2", "t5", "t6", "u3", "u4"]
    assert records_of(s2, "tasks") == 5
    assert {t["id"]: t["project_id"] for t in second}["u4"] == 102
    tasks = stream_state(s2, "tasks")
    assert [s["cursor"] for s in tasks["states"]] == [{"modified_at": "2024-03-10T08:00:00Z"},
                                                      {"modified_at": "2024-02-20T09:00:00Z"}]
    assert tasks["state"] == {"modified_at": "2024-03-10T08:00:00Z"}
    # The activity log: from the saved sequence number (the API answers it again: at-least-once).
    assert api.requests("/pm/activities")[-1]["query"]["min_seq"] == "12"
    assert records_of(s2, "activities") == 3
    assert stream_state(s2, "activities") == {"seq": 14}


def test_legacy_per_partition_state_is_migrated(tmp_path, api):
    """A state saved by an older connector version ({project id: {cursor: value}}) is migrated by
    the manifest's LegacyToPerPartitionStateMigration: project 101 resumes from its value, project
    102 (absent) reads from start_date, and the next state is the per-partition shape."""
    p = local_pipeline(tmp_path, "pm_tasks.yaml", pm_config(api), [{"name": "tasks", "mode": "Incremental | Append"}])
    s1, _ = sync_json(p)
    assert records_of(s1, "tasks") == 8
    state_file = pathlib.Path(s1["state_file"])
    messages = json.loads(state_file.read_text())
    for m in messages:
        if m["stream"]["stream_descriptor"]["name"] == "tasks":
            m["stream"]["stream_state"] = {"101": {"modified_at": "2024-03-04T00:00:00Z"}}
    state_file.write_text(json.dumps(messages))
    s2, _ = sync_json(p)
    second = record_data(tmp_path / "out" / "tasks")[8:]
    assert sorted(t["id"] for t in second) == ["t4", "t5", "u1", "u2", "u3"]
    tasks = stream_state(s2, "tasks")
    assert tasks["states"] == [{"partition": {"project_id": 101, "parent_slice": {}},
                                "cursor": {"modified_at": "2024-03-05T09:00:00Z"}},
                               {"partition": {"project_id": 102, "parent_slice": {}},
                                "cursor": {"modified_at": "2024-02-15T09:00:00Z"}}]
    # A CustomStateMigration is custom Python code: a config error naming its place.
    manifest = yaml.safe_load((MANIFESTS / "pm_tasks.yaml").read_text())
    manifest["streams"][1]["state_migrations"] = [{"type": "CustomStateMigration", "class_name": "source_pm.components.Fix"}]
    msgs, _ = connector(tmp_path, "check", {"__injected_declarative_manifest": manifest, **pm_config(api)})
    status = [m for m in msgs if m["type"] == "CONNECTION_STATUS"][0]["connectionStatus"]
    assert status["status"] == "FAILED"
    assert "$.streams[1].state_migrations[0]" in status["message"] and "source_pm.components.Fix" in status["message"], status
