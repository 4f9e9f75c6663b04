"""The web UI in a real browser: Debian's chromium driven by playwright-core (web_driver.mjs)
against a real `sluice server` with authentication on, serving the UI built by CMake.

Screenshots of every page go to the test's tmp dir (pytest's tmp_path, printed on failure).
"""
import json
import os
import pathlib
import shutil
import subprocess
import time

import pytest
import requests

from sluice_server import SOURCE_DIR, SLUICE, ApiSession, register_secret, sluice_server

DRIVER = pathlib.Path(__file__).with_name("web_driver.mjs")
CHROMIUM = "/usr/bin/chromium"
WEB_DIR = pathlib.Path(SLUICE).resolve().parent / "web"

pytestmark = pytest.mark.skipif(
    not shutil.which("node") or not os.path.exists(CHROMIUM),
    reason="node and Debian's chromium are needed (scripts/setup.sh installs them)")


def drive(scenario, options, timeout=100):
    env = dict(os.environ, SLUICE_SOURCE_DIR=str(SOURCE_DIR))
    return subprocess.run(["node", str(DRIVER), scenario, json.dumps(options)], capture_output=True, text=True,
                          timeout=timeout, env=env)


def steps(result):
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def ui_server():
    assert (WEB_DIR / "index.html").is_file(), f"the web UI is not built into {WEB_DIR} (ninja target sluice_web)"
    with sluice_server(no_auth=False) as s:
        yield s


def test_login_forms_wizard_sync_logs_failure_cancel(ui_server, tmp_path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    new_password = register_secret("web-ui-Pa55word!")
    analyst_password = register_secret("analyst-Pa55word!")
    # The webhook URL's path is its token: never in an answer, a log or the store in clear.
    webhook_secret = register_secret("T0SLUICE/B0WEBUI/xoxbWebUiSecret42")
    webhook_url = f"https://127.0.0.1:9/{webhook_secret}"
    regular_file = tmp_path / "a-file"
    regular_file.write_text("not a folder")
    options = {"baseUrl": ui_server.base, "screenshots": str(shots), "email": "airbyte@example.com",
               "password": "password", "newPassword": new_password, "analystPassword": analyst_password, "count": 120,
               "webhookUrl": webhook_url, "webhookSecret": webhook_secret,
               "webhookMasked": "https://127.0.0.1:9/**********",
               "destinationPath": str(tmp_path / "out"), "regularFile": str(regular_file), "chromium": CHROMIUM}
    result = drive("main", options)
    print(result.stdout)
    assert result.returncode == 0, f"browser scenario failed (screenshots in {shots}):\n{result.stderr[-6000:]}"
    done = [s["step"] for s in steps(result)]
    assert done[-1] == "done"
    for name in ("login", "change-password", "new-source-postgres", "new-source-faker", "sources", "new-destination",
                 "destinations", "new-connection", "new-connection-error", "new-connection-800", "connection",
                 "connection-failed", "connection-running", "connections", "connections-800", "setup", "settings",
                 "settings-800", "connections-analyst", "settings-analyst"):
        assert (shots / f"{name}.png").stat().st_size > 1000, name

    # The browser's work is in the server: the new password logs in, the old one does not, the
    # records are in the destination.
    s = ApiSession()
    assert s.post(f"{ui_server.url}/auth/login", json={"email": "airbyte@example.com", "password": "password"}).status_code == 401
    r = s.post(f"{ui_server.url}/auth/login", json={"email": "airbyte@example.com", "password": new_password})
    assert r.status_code == 200 and r.json()["mustChangePassword"] is False
    # The first-run setup and the settings page's changes are the workspace's and the users'.
    workspace = s.post(f"{ui_server.url}/workspaces/get", json={}).json()
    assert workspace["initialSetupComplete"] is True and workspace["name"] == "Acme analytics"
    assert workspace["email"] == "data@acme.example" and workspace["securityUpdates"] is True
    assert workspace["news"] is False and workspace["anonymousDataCollection"] is False
    notify = workspace["notificationSettings"]
    # Saved again with the mask in the field: the URL is kept (masked in every answer).
    assert notify["slackWebhookUrl"] == "https://127.0.0.1:9/**********", notify
    assert webhook_secret.encode() not in ui_server.log_path.read_bytes()
    assert notify["consecutiveFailureThreshold"] == 5 and notify["sendOnSuccess"] is False
    users = {u["email"]: u for u in s.post(f"{ui_server.url}/users/list", json={}).json()["users"]}
    assert set(users) == {"airbyte@example.com", "ana@acme.example", "lab@acme.example"}
    assert users["ana@acme.example"]["role"] == "analyst" and users["ana@acme.example"]["mustChangePassword"] is False
    # The workspaces chosen in the users table: ana every one, lab only the second workspace.
    lab_id = next(w["workspaceId"] for w in s.post(f"{ui_server.url}/workspaces/list", json={}).json()["workspaces"]
                  if w["name"] == "Acme lab")
    assert users["ana@acme.example"]["allWorkspaces"] is True
    assert users["lab@acme.example"]["allWorkspaces"] is False and users["lab@acme.example"]["workspaceIds"] == [lab_id]
    lab = ApiSession()
    assert lab.post(f"{ui_server.url}/auth/login", json={"email": "lab@acme.example", "password": "initial-pass-4"}).status_code == 200
    r = lab.post(f"{ui_server.url}/users/change_password", json={"currentPassword": "initial-pass-4", "newPassword": "lab-pass-12345"})
    assert r.status_code == 200, r.text
    r = lab.post(f"{ui_server.url}/workspaces/get", json={})
    assert r.status_code == 200 and r.json()["workspaceId"] == lab_id, r.text
    analyst = ApiSession()
    r = analyst.post(f"{ui_server.url}/auth/login", json={"email": "ana@acme.example", "password": analyst_password})
    assert r.status_code == 200 and r.json()["user"]["name"] == "Ana Lyst"
    assert r.json()["mustChangePassword"] is False
    lines = sum(len(p.read_text().splitlines()) for p in (tmp_path / "out").rglob("*.jsonl"))
    assert lines >= 120


def test_console_errors_fail_the_driver(ui_server, tmp_path):
    result = drive("console-error", {"baseUrl": ui_server.base, "screenshots": str(tmp_path), "chromium": CHROMIUM})
    assert result.returncode == 1
    assert "deliberate console error" in result.stderr


def test_static_files_and_client_routes(ui_server):
    index = requests.get(f"{ui_server.base}/")
    assert index.status_code == 200 and index.headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in index.headers["Content-Security-Policy"]
    assert '<div id="root">' in index.text
    # Client-side routes answer the app; the API and /metrics stay the API's.
    deep = requests.get(f"{ui_server.base}/connections/some/deep/link")
    assert deep.status_code == 200 and deep.text == index.text
    assert requests.get(f"{ui_server.base}/api/v1/no_such_route").headers["Content-Type"].startswith("application/json")
    assert requests.get(f"{ui_server.base}/metrics").status_code == 401
    assert requests.get(f"{ui_server.base}/api/v1/health").json() == {"available": True}
    # Bundle files: content types, long caching; a missing one is a 404, not the app.
    asset = next(p.name for p in (WEB_DIR / "assets").glob("*.js"))
    js = requests.get(f"{ui_server.base}/assets/{asset}")
    assert js.status_code == 200 and js.headers["Content-Type"].startswith("text/javascript")
    assert "immutable" in js.headers["Cache-Control"]
    assert js.content == (WEB_DIR / "assets" / asset).read_bytes()  # decompressed by requests when gzip
    css = next(p.name for p in (WEB_DIR / "assets").glob("*.css"))
    assert requests.get(f"{ui_server.base}/assets/{css}").headers["Content-Type"].startswith("text/css")
    assert requests.get(f"{ui_server.base}/assets/nope.js").status_code == 404
    # No way out of the web folder.
    raw = requests.Request("GET", f"{ui_server.base}/../../etc/passwd").prepare()
    raw.url = f"{ui_server.base}/%2e%2e/%2e%2e/etc/passwd"
    escaped = requests.Session().send(raw)
    assert "root:" not in escaped.text
    # Nothing in the bundle loads from another host.
    for path in (WEB_DIR / "assets").iterdir():
        text = path.read_text(errors="replace")
        assert "fonts.googleapis" not in text and "cdn." not in text, path


def test_missing_web_dir_answers_a_note(tmp_path):
    with sluice_server(no_auth=False, extra_args=["--web-dir", str(tmp_path / "none")]) as s:
        r = requests.get(f"{s.base}/connections")
        assert r.status_code == 200 and "web UI is not built" in r.text
        assert requests.get(f"{s.base}/api/v1/health").status_code == 200


def test_a_viewer_sees_status_only(tmp_path):
    password = register_secret("web-admin-Pa55!")
    viewer_password = register_secret("web-viewer-Pa55!")
    with sluice_server(no_auth=False) as s:
        # The admin's first login, the setup, a viewer and a synced connection, through the API.
        s.ok("auth/login", {"email": "airbyte@example.com", "password": "password"})
        s.ok("users/change_password", {"currentPassword": "password", "newPassword": password})
        s.ok("workspaces/update", {"initialSetupComplete": True})
        s.ok("users/create", {"email": "vi@acme.example", "role": "viewer", "password": "initial-pass-3"})
        src = s.ok("sources/create", {"sourceDefinitionId": "source-faker", "name": "Faker",
                                      "connectionConfiguration": {"count": 42}})
        dst = s.ok("destinations/create", {"destinationDefinitionId": "destination-dev-null", "name": "Nowhere",
                                           "connectionConfiguration": {}})
        conn = s.ok("connections/create", {"sourceId": src["sourceId"], "destinationId": dst["destinationId"],
                                           "name": "Status only"})
        job = s.ok("connections/sync", {"connectionId": conn["connectionId"]})["job"]["id"]
        deadline = time.monotonic() + 60
        while (info := s.ok("jobs/get", {"id": job}))["job"]["status"] != "succeeded":
            assert info["job"]["status"] in ("pending", "running"), info["job"]
            assert time.monotonic() < deadline, "the sync did not finish"
            time.sleep(0.2)
        records = info["attempts"][-1]["attempt"]["recordsSynced"]
        assert records > 0

        shots = tmp_path / "screenshots"
        shots.mkdir()
        result = drive("viewer", {"baseUrl": s.base, "screenshots": str(shots), "chromium": CHROMIUM,
                                  "email": "vi@acme.example", "password": "initial-pass-3",
                                  "newPassword": viewer_password, "connectionId": conn["connectionId"],
                                  "records": f"{records:,}"})
        print(result.stdout)
        assert result.returncode == 0, f"browser scenario failed (screenshots in {shots}):\n{result.stderr[-6000:]}"
        assert steps(result)[-1]["step"] == "done"
        assert (shots / "connections-viewer.png").stat().st_size > 1000


def test_no_auth_goes_straight_in(tmp_path):
    with sluice_server(no_auth=True) as s:
        result = drive("noauth", {"baseUrl": s.base, "screenshots": str(tmp_path), "chromium": CHROMIUM})
        print(result.stdout)
        assert result.returncode == 0, f"browser scenario failed (screenshots in {tmp_path}):\n{result.stderr[-6000:]}"
        assert s.ok("workspaces/get")["name"] == "Local"
