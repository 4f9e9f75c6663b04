"""Custom source connectors from declarative manifests through the Config API
(declarative_source_definitions/create_manifest, Airbyte's connector-builder import) against
the real server and the local REST API server: a definition from pasted YAML appears among the
source definitions with the manifest's spec; invalid YAML and an unsupported component are 422s
naming the manifest's path; a viewer cannot create one; a source of it stores only the manifest's
values (secret masked, no manifest in answers), checks, discovers and syncs through
source-declarative-manifest with the manifest injected; a new manifest version is what the next
discover and sync use."""
import pathlib
import time

import pytest
import yaml

from rest_api_server import api  # noqa: F401  (fixture)
from sluice_server import ApiSession, register_secret, sluice_server

MANIFESTS = pathlib.Path(__file__).parent / "fixtures" / "manifests"
ROUTE = "declarative_source_definitions/create_manifest"


def wait_job(server, job_id, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = server.ok("jobs/get", {"id": job_id})
        if info["job"]["status"] in ("succeeded", "failed", "cancelled"):
            return info
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def test_custom_connector_from_a_manifest(api, tmp_path):  # noqa: F811
    key = register_secret("items-Key-Custom-41c9")
    api.api.items_key = key
    text = (MANIFESTS / "items_pages.yaml").read_text()
    with sluice_server() as s:
        # Invalid YAML: a 422 naming the field and the line.
        r = s.post(ROUTE, {"name": "Broken", "declarativeManifest": {"manifest": "streams:\n  - name: [unclosed\n"}})
        assert r.status_code == 422, r.text
        assert r.json()["details"][0]["field"] == "declarativeManifest.manifest"
        assert "invalid YAML" in r.text and "manifest.yaml:" in r.text, r.text
        # An unsupported component: its path in the manifest.
        custom = yaml.safe_load(text)
        custom["streams"][0]["retriever"]["paginator"] = {"type": "CustomPaginator", "class_name": "x.Y"}
        r = s.post(ROUTE, {"name": "Custom", "declarativeManifest": {"manifest": custom}})
        assert r.status_code == 422 and "$.streams[0].retriever.paginator.type" in r.text, r.text
        r = s.post(ROUTE, {"declarativeManifest": {"manifest": text}})
        assert r.status_code == 422 and r.json()["details"][0]["field"] == "name", r.text

        created = s.ok(ROUTE, {"name": "Items API", "declarativeManifest": {"manifest": text, "description": "v1"}})
        definition_id = created["sourceDefinitionId"]
        assert created["custom"] is True and created["name"] == "Items API"
        assert created["declarativeManifestVersion"] == 1
        listed = s.ok("source_definitions/list", {})["sourceDefinitions"]
        assert [d["name"] for d in listed if d["custom"]] == ["Items API"]
        spec = s.ok("source_definition_specifications/get", {"sourceDefinitionId": definition_id})
        props = spec["connectionSpecification"]["properties"]
        assert props["api_key"]["airbyte_secret"] is True and "__injected_declarative_manifest" not in \
            spec["connectionSpecification"].get("required", [])

        # A source of it: validated against the manifest's spec; the manifest is not stored in it.
        r = s.post("sources/create", {"sourceDefinitionId": definition_id, "connectionConfiguration": {"base_url": api.base}})
        assert r.status_code == 422 and "api_key" in r.text, r.text
        source = s.ok("sources/create", {"sourceDefinitionId": definition_id, "name": "items",
                                         "connectionConfiguration": {"base_url": api.base, "api_key": key,
                                                                     "categories": ["tools"]}})
        assert source["sourceDefinitionId"] == definition_id
        assert source["connectionConfiguration"] == {"base_url": api.base, "api_key": "**********", "categories": ["tools"]}
        got = s.ok("sources/get", {"sourceId": source["sourceId"]})
        assert "__injected_declarative_manifest" not in got["connectionConfiguration"]
        s.ok("sources/update", {"sourceId": source["sourceId"], "connectionConfiguration": got["connectionConfiguration"]})
        assert s.ok("sources/check_connection", {"sourceId": source["sourceId"]})["status"] == "succeeded"
        assert api.requests("/api/items")[-1]["headers"]["X-API-Key"] == key
        catalog = s.ok("sources/discover_schema", {"sourceId": source["sourceId"]})["catalog"]
        assert [e["stream"]["name"] for e in catalog["streams"]] == ["items"]
        assert "price_cents" in catalog["streams"][0]["stream"]["jsonSchema"]["properties"]

        destination = s.ok("destinations/create", {"destinationDefinitionId": "destination-local", "name": "out",
                                                   "connectionConfiguration": {"destination_path": str(tmp_path / "out")}})
        connection = s.ok("connections/create", {"sourceId": source["sourceId"], "name": "items",
                                                 "destinationId": destination["destinationId"], "syncCatalog": catalog,
                                                 "scheduleType": "manual", "status": "active"})
        job = wait_job(s, s.ok("connections/sync", {"connectionId": connection["connectionId"]})["job"]["id"])
        lines = "\n".join(line for a in job["attempts"] for line in a["logs"]["logLines"])
        assert job["job"]["status"] == "succeeded", lines[-3000:]
        assert job["attempts"][-1]["attempt"]["recordsSynced"] > 0
        assert "source-declarative-manifest" in lines

        # Version 2: a new property; the next discover shows it. An older version is refused.
        v2 = yaml.safe_load(text)
        v2["streams"][0]["schema_loader"]["schema"]["properties"]["warehouse"] = {"type": "string"}
        r = s.post(ROUTE, {"sourceDefinitionId": definition_id, "declarativeManifest": {"manifest": v2, "version": 1}})
        assert r.status_code == 422 and "declarativeManifest.version" in r.text, r.text
        updated = s.ok(ROUTE, {"sourceDefinitionId": definition_id, "declarativeManifest": {"manifest": v2, "version": 2}})
        assert updated["declarativeManifestVersion"] == 2
        catalog = s.ok("sources/discover_schema", {"sourceId": source["sourceId"]})["catalog"]
        assert "warehouse" in catalog["streams"][0]["stream"]["jsonSchema"]["properties"]
        r = s.post(ROUTE, {"sourceDefinitionId": "source-faker", "declarativeManifest": {"manifest": v2}})
        assert r.status_code == 422 and "built-in" in r.text, r.text

        # "Test a stream" of the saved source: bounded, each request and response, secrets redacted.
        read = s.post("connector_builder/stream/read", {"sourceId": source["sourceId"], "stream": "items",
                                                        "record_limit": 3, "page_limit": 2})
        assert read.status_code == 200, read.text
        assert key not in read.text
        answer = read.json()
        pages = [p for sl in answer["slices"] for p in sl["pages"]]
        assert pages and len(pages) <= 2, answer
        first = pages[0]
        assert "/api/items" in first["request"]["url"] and first["request"]["http_method"] == "GET"
        assert first["request"]["headers"]["X-API-Key"] == "****"
        assert first["response"]["status"] == 200 and "items" in first["response"]["body"]
        records = [r for p in pages for r in p["records"]]
        assert 0 < len(records) <= 3 and answer["test_read_limit_reached"] is True
        assert answer["inferred_schema"]["properties"]["id"]["type"] == "integer"
        # A manifest and config given directly; the key sent as a query parameter is redacted in the URL.
        in_query = yaml.safe_load(text)
        in_query["streams"][0]["retriever"]["requester"]["authenticator"]["inject_into"] = {
            "type": "RequestOption", "inject_into": "request_parameter", "field_name": "api_key"}
        read = s.post("connector_builder/stream/read", {
            "manifest": in_query, "stream": "items", "page_limit": 1,
            "config": {"base_url": api.base, "api_key": key, "categories": ["toys"]}})
        assert read.status_code == 200, read.text
        assert key not in read.text
        page = read.json()["slices"][0]["pages"][0]
        assert "api_key=****" in page["request"]["url"], page["request"]
        assert page["response"]["status"] in (401, 403) and read.json()["logs"][0]["level"] == "ERROR"
        r = s.post("connector_builder/stream/read", {"sourceId": source["sourceId"], "stream": "nope"})
        assert r.status_code == 422 and "nope" in r.text, r.text
        r = s.post("connector_builder/stream/read", {"manifest": "streams: [", "config": {}, "stream": "items"})
        assert r.status_code == 422 and r.json()["details"][0]["field"] == "manifest" and "invalid YAML" in r.text, r.text


def test_a_viewer_cannot_create_a_custom_connector():
    password = register_secret("custom-Adm1n-pass")
    viewer_password = register_secret("custom-V1ewer-pass")
    text = (MANIFESTS / "items_pages.yaml").read_text()
    with sluice_server(no_auth=False) as s:
        s.ok("auth/login", {"email": "airbyte@example.com", "password": "password"})
        s.ok("users/change_password", {"currentPassword": "password", "newPassword": password})
        s.ok("users/create", {"email": "viewer@acme.example", "role": "viewer", "password": "initial-pass-9"})
        viewer = ApiSession()
        assert viewer.post(f"{s.base}/api/v1/auth/login",
                           json={"email": "viewer@acme.example", "password": "initial-pass-9"}).ok
        assert viewer.post(f"{s.base}/api/v1/users/change_password",
                           json={"currentPassword": "initial-pass-9", "newPassword": viewer_password}).ok
        r = viewer.post(f"{s.base}/api/v1/{ROUTE}", json={"name": "Items", "declarativeManifest": {"manifest": text}})
        assert r.status_code == 403, r.text
        assert s.ok("source_definitions/list", {})["sourceDefinitions"][-1].get("custom") is False
