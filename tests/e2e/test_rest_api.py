"""source-rest-api (the seed's simple "REST API" source) against the local server of
rest_api_server.py: the seed's YAML as written in a pipeline file, then the same connector over the
Stripe-like cursor API (incremental), the page-number API and the offset API, and its secrets
through the Config API. No SaaS API is called."""
import json
import pathlib
import time

from conftest import record_data, run, sync_json, write_pipeline
from rest_api_server import api, BASE_CREATED, DAY  # noqa: F401  (api: fixture)

NAME = "source-rest-api"





# The seed's "REST API-bron" block (airbyte-integration-guide.nl.md), verbatim but for the URL
# (the local server), the token (from the environment) and a start_date its params refer to.
SEED_PIPELINE = """\
name: external api
source:
  connector: rest-api
  config:
    Name: External API
    URL Base: {base}/seed/v1
    Authentication:
      Type: Bearer Token
      Token: ${{API_TOKEN}}

    Endpoints:
      - name: customers
        path: /customers
        http_method: GET

      - name: orders
        path: /orders
        http_method: GET
        params:
          start_date: "{{{{ config['start_date'] }}}}"
    start_date: "2024-03-11"
destination:
  connector: local
  config: {{destination_path: {out}}}
"""


def test_the_seeds_rest_api_yaml_works_as_written(tmp_path, api):
    pipeline = write_pipeline(tmp_path / "seed.yaml", SEED_PIPELINE.format(base=api.base, out=tmp_path / "out"))
    summary, _ = sync_json(pipeline, env={"API_TOKEN": api.api.seed_token})
    assert summary["status"] == "succeeded", summary
    customers = record_data(tmp_path / "out" / "customers")
    assert sorted(c["id"] for c in customers) == [c["id"] for c in api.api.customers]
    assert {c["id"]: c["email"] for c in customers}["cus_003"] == "user3@example.com"  # columns inferred
    orders = record_data(tmp_path / "out" / "orders")
    assert sorted(o["order_id"] for o in orders) == [o["order_id"] for o in api.api.orders if o["ordered_on"] >= "2024-03-11"]
    # The params template read config['start_date']; every request carried the token.
    reqs = api.requests("/seed/v1/orders")
    assert reqs and all(r["query"] == {"start_date": "2024-03-11"} for r in reqs)
    assert all(r["headers"]["Authorization"] == f"Bearer {api.api.seed_token}" for r in api.requests())

    # A wrong token: a clear failure naming the endpoint, never the token.
    _, p = sync_json(pipeline, check=False, env={"API_TOKEN": "wrong-token-8d2f"})
    assert p.returncode != 0
    err = p.stdout + p.stderr
    assert "401" in err and "/seed/v1/customers" in err, err[-2000:]
    assert "wrong-token-8d2f" not in err


def test_connector_spec_check_discover(tmp_path, api, protocol_validator):
    spec = json.loads(run("connector", NAME, "spec").stdout.splitlines()[0])
    protocol_validator.message(spec)
    props = spec["spec"]["connectionSpecification"]["properties"]
    assert props["authentication"]["properties"]["token"]["airbyte_secret"] is True
    assert "no Airbyte definition id" in spec["spec"]["connectionSpecification"]["description"]
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"url_base": api.base, "authentication": {"type": "API Key", "api_key": api.api.items_key},
                               "endpoints": [{"name": "items", "path": "/api/items", "record_path": "items",
                                              "primary_key": "id",
                                              "pagination": {"type": "page", "page_size": 10}}]}))
    out = run("connector", NAME, "check", "--config", cfg).stdout
    status = json.loads(out.splitlines()[-1])["connectionStatus"]
    assert status["status"] == "SUCCEEDED", status
    out = run("connector", NAME, "discover", "--config", cfg).stdout
    catalog = json.loads(out.splitlines()[-1])
    protocol_validator.message(catalog)
    stream = catalog["catalog"]["streams"][0]
    assert stream["name"] == "items" and stream["source_defined_primary_key"] == [["id"]]
    types = {k: v["type"] for k, v in stream["json_schema"]["properties"].items()}
    assert types["id"] == ["null", "integer"] and types["price"] == ["null", "number"] and types["active"] == ["null", "boolean"]


def test_cursor_pagination_and_incremental_on_the_stripe_like_api(tmp_path, api):
    api.api.fault("/v1/customers", 429, 500)  # Retry-After: 1, then a server error, then the page
    config = {
        "URL Base": f"{api.base}/v1",
        "Authentication": {"Type": "Bearer", "Token": api.api.api_key},
        "Start Date": "2024-01-01T00:00:00Z",
        "Endpoints": [{
            "Name": "customers", "Path": "customers", "Record Path": "data", "Primary Key": "id",
            "Cursor Field": "created",
            "Incremental": {"Datetime Format": "%s", "Start Param": "created[gte]"},
            "Pagination": {"Type": "Cursor Pagination", "Last Record Field": "id", "Has More Path": "has_more",
                           "Cursor Param": "starting_after", "Page Size": 10, "Size Param": "limit"},
        }],
    }
    pipeline = write_pipeline(tmp_path / "stripe.yaml", {
        "name": "stripe", "source": {"connector": "rest-api", "config": config},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": "customers", "mode": "Incremental | Append"}]})
    s1, _ = sync_json(pipeline)
    assert next(x for x in s1["streams"] if x["stream"] == "customers")["records"] == 25
    reqs = [r for r in api.requests("/v1/customers") if r["headers"].get("Authorization")]
    assert [r["query"].get("starting_after") for r in reqs][-3:] == [None, "cus_016", "cus_006"]
    assert all(r["query"]["limit"] == "10" and r["query"]["created[gte]"] == str(BASE_CREATED) for r in reqs)
    state = json.loads(pathlib.Path(s1["state_file"]).read_text())
    assert state[0]["stream"]["stream_state"] == {"created": str(BASE_CREATED + 25 * DAY)}
    api.api.customers.append({"id": "cus_026", "object": "customer", "email": None, "name": "New",
                              "created": BASE_CREATED + 26 * DAY, "metadata": {}})
    s2, _ = sync_json(pipeline)
    assert next(x for x in s2["streams"] if x["stream"] == "customers")["records"] == 2  # the boundary again + the new one
    assert api.requests("/v1/customers")[-1]["query"]["created[gte]"] == str(BASE_CREATED + 25 * DAY)


def test_offset_pagination(tmp_path, api):
    api.api.access_tokens["static"] = time.time() + 3600
    pipeline = write_pipeline(tmp_path / "crm.yaml", {
        "name": "crm",
        "source": {"connector": "source-rest-api", "config": {
            "url_base": api.base, "authentication": {"type": "bearer", "token": "static"},
            "endpoints": [{"name": "contacts", "path": "/crm/contacts", "record_path": "results", "primary_key": "id",
                           "pagination": {"type": "offset", "page_size": 10}}]}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}}})
    summary, _ = sync_json(pipeline)
    assert summary["status"] == "succeeded"
    assert sorted(c["id"] for c in record_data(tmp_path / "out" / "contacts")) == list(range(1, 38))
    # Discover read the first page to infer the columns; the read then went 0, 10, 20, 30.
    offsets = [int(r["query"].get("offset", 0)) for r in api.requests("/crm/contacts")]
    assert offsets[-4:] == [0, 10, 20, 30] and all(r["query"]["limit"] == "10" for r in api.requests("/crm/contacts"))


def test_the_server_masks_the_secrets_however_the_keys_are_spelled(api):
    from sluice_server import register_secret, sluice_server

    token = register_secret("seed-token-Secret-4b71")
    api.api.seed_token = token
    config = {"Name": "External API", "URL Base": f"{api.base}/seed/v1",
              "Authentication": {"Type": "Bearer Token", "Token": token},
              "Endpoints": [{"name": "customers", "path": "/customers", "http_method": "GET"}]}
    with sluice_server() as server:
        created = server.ok("sources/create", {"sourceDefinitionId": NAME, "connectionConfiguration": config})
        assert created["connectionConfiguration"]["Authentication"]["Token"] == "**********"
        got = server.ok("sources/get", {"sourceId": created["sourceId"]})["connectionConfiguration"]
        assert got["Authentication"] == {"Type": "Bearer Token", "Token": "**********"}
        server.ok("sources/update", {"sourceId": created["sourceId"], "connectionConfiguration": got})
        assert server.ok("sources/check_connection", {"sourceId": created["sourceId"]})["status"] == "succeeded"
        catalog = server.ok("sources/discover_schema", {"sourceId": created["sourceId"]})["catalog"]
        assert [s["stream"]["name"] for s in catalog["streams"]] == ["customers"]
        # A spelling the spec does not know is rejected with its path.
        bad = dict(config, Endpoints=[{"name": "c", "path": "/c", "Paginaton": {}}])
        r = server.post("sources/create", {"sourceDefinitionId": NAME, "connectionConfiguration": bad})
        assert r.status_code == 422 and "Paginaton" in r.text, r.text


def test_requests_per_second_limits_the_whole_source(tmp_path, api):
    """requests_per_second becomes the manifest's api_budget: never more than N requests in any
    second, across endpoints."""
    endpoint = {"path": "/api/items", "record_path": "items", "primary_key": "id",
                "pagination": {"type": "page", "page_size": 5}}
    pipeline = write_pipeline(tmp_path / "rl.yaml", {
        "name": "rl",
        "source": {"connector": "rest-api", "config": {
            "url_base": api.base, "requests_per_second": 4,
            "authentication": {"type": "api_key", "api_key": api.api.items_key},
            "endpoints": [dict(endpoint, name="a"), dict(endpoint, name="b", params={"category": "toys"})]}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}}})
    summary, _ = sync_json(pipeline)
    assert summary["status"] == "succeeded"
    assert len(record_data(tmp_path / "out" / "a")) == 47 and len(record_data(tmp_path / "out" / "b")) == 16
    times = sorted(r["time"] for r in api.requests("/api/items"))
    assert len(times) >= 14
    # Discover and read are separate processes (each with its own budget); within the read, any
    # 4 + 1 consecutive requests span at least a second.
    read = times[-12:]
    assert all(read[i + 4] - read[i] >= 0.95 for i in range(len(read) - 4)), read
