"""A custom connector from a declarative manifest in the web UI, in a real browser
(web_scenario_custom.mjs) against a real `sluice server` with authentication and the local REST
API server (rest_api_server.py): invalid YAML's error with its line, the manifest from a file,
the new definition's spec-driven form, a successful check, the saved source."""
import os
import pathlib
import shutil

import pytest

from rest_api_server import api  # noqa: F401  (fixture)
from sluice_server import register_secret, sluice_server
from test_web_ui import CHROMIUM, WEB_DIR, drive, steps

pytestmark = pytest.mark.skipif(
    not shutil.which("node") or not os.path.exists(CHROMIUM),
    reason="node and Debian's chromium are needed (scripts/setup.sh installs them)")

ADMIN = "airbyte@example.com"
MANIFEST = pathlib.Path(__file__).parent / "fixtures" / "manifests" / "items_pages.yaml"


def test_custom_connector_in_the_browser(api, tmp_path):  # noqa: F811
    assert (WEB_DIR / "index.html").is_file(), f"the web UI is not built into {WEB_DIR} (ninja target sluice_web)"
    password = register_secret("web-custom-Adm1n!")
    key = register_secret("items-Key-Browser-77d2")
    api.api.items_key = key
    with sluice_server(no_auth=False) as s:
        s.ok("auth/login", {"email": ADMIN, "password": "password"})
        s.ok("users/change_password", {"currentPassword": "password", "newPassword": password})
        s.ok("workspaces/update", {"initialSetupComplete": True, "name": "Custom connectors"})
        shots = tmp_path / "screenshots"
        shots.mkdir()
        options = {"baseUrl": s.base, "screenshots": str(shots), "email": ADMIN, "password": password,
                   "chromium": CHROMIUM, "manifestPath": str(MANIFEST), "apiBase": api.base, "secret": key}
        result = drive("custom", options, timeout=120)
        print(result.stdout)
        assert result.returncode == 0, f"browser scenario failed (screenshots in {shots}):\n{result.stderr[-6000:]}"
        assert steps(result)[-1]["step"] == "done"

        definition = next(d for d in s.ok("source_definitions/list", {})["sourceDefinitions"] if d["custom"])
        assert definition["name"] == "Items API"
        source = next(x for x in s.ok("sources/list", {})["sources"] if x["name"] == "Items")
        assert source["sourceDefinitionId"] == definition["sourceDefinitionId"]
        assert source["connectionConfiguration"]["api_key"] == "**********"
        assert s.ok("sources/check_connection", {"sourceId": source["sourceId"]})["status"] == "succeeded"
        assert any(r["headers"].get("X-API-Key") == key for r in api.requests("/api/items"))
