"""A connection's normalization setting and after-sync operations in the web UI, in a real
browser (web_scenario_operations.mjs) against a real `sluice server` with authentication: the
normalization select, a dbt operation (the server's 422 on a bad folder), a webhook operation
added, edited and reordered, one removed, a SQL script (the server's 422 naming its line), a
command with environment and secret environment (masked when edited, kept), and the webhook's
and the command's step results in the job's row after a real sync (the webhook received by a
local HTTP server, the command's file written with the edited variable and the kept secret)."""
import os
import shutil

import pytest

from sluice_server import register_secret, sluice_server
from test_operations import Hook, write_project
from test_platform import create_connection, create_destination, create_source
from test_web_ui import CHROMIUM, WEB_DIR, drive, steps

pytestmark = pytest.mark.skipif(
    not shutil.which("node") or not os.path.exists(CHROMIUM),
    reason="node and Debian's chromium are needed (scripts/setup.sh installs them)")

ADMIN = "airbyte@example.com"


def test_operations_section(tmp_path):
    assert (WEB_DIR / "index.html").is_file(), f"the web UI is not built into {WEB_DIR} (ninja target sluice_web)"
    password = register_secret("web-ops-Adm1n!")
    project = tmp_path / "project"
    write_project(project, "select 1 as city, 1 as users\n")
    hook = Hook()
    try:
        with sluice_server(no_auth=False) as s:
            s.ok("auth/login", {"email": ADMIN, "password": "password"})
            s.ok("users/change_password", {"currentPassword": "password", "newPassword": password})
            s.ok("workspaces/update", {"initialSetupComplete": True, "name": "Operations"})
            source_id = create_source(s, {"count": 50, "seed": 3})
            destination_id = create_destination(s, "destination-local", {"destination_path": str(tmp_path / "out")})
            connection_id = create_connection(s, source_id, destination_id)

            shots = tmp_path / "screenshots"
            shots.mkdir()
            options = {"baseUrl": s.base, "screenshots": str(shots), "email": ADMIN, "password": password,
                       "chromium": CHROMIUM, "connectionId": connection_id, "project": str(project),
                       "hookUrl": hook.url, "outFile": str(tmp_path / "command-out.txt")}
            result = drive("operations", options, timeout=150)
            print(result.stdout)
            assert result.returncode == 0, f"browser scenario failed (screenshots in {shots}):\n{result.stderr[-6000:]}"
            done = [x["step"] for x in steps(result)]
            assert done[-1] == "done"
            bad = next(x for x in steps(result) if x["step"] == "dbt 422")
            assert "gitRepoUrl" in bad["message"] or "dbt_project.yml" in bad["message"] or "folder" in bad["message"], bad

            # What the browser did is in the server.
            got = s.ok("connections/get", {"connectionId": connection_id})
            ops = s.ok("operations/list", {"connectionId": connection_id})["operations"]
            assert [o["name"] for o in ops] == ["notify", "write file"] and len(got["operationIds"]) == 2
            assert ops[1]["operatorConfiguration"]["operatorCommand"]["secretEnvironment"] == {"TOKEN": "**********"}
            assert (tmp_path / "command-out.txt").read_text() == "hi from web-5ecret\n"
            assert hook.bodies == [{"event": "synced"}]
            job = s.ok("jobs/list", {"configId": connection_id, "configTypes": ["sync"]})["jobs"][0]
            step = job["attempts"][-1]["attempt"]["operations"]
            assert [(x["name"], x["operatorType"], x["status"]) for x in step] == [
                ("notify", "webhook", "succeeded"), ("write file", "command", "succeeded")]
            sql = next(x for x in steps(result) if x["step"] == "sql 422")
            assert "operatorSql.sql" in sql["message"] or "line 2" in sql["message"], sql
            full = s.ok("jobs/get", {"id": job["job"]["id"]})
            logs = "\n".join(line for a in full["attempts"] for line in a["logs"]["logLines"])
            assert "write file' (command): succeeded in" in logs
            assert "web-5ecret" not in logs
    finally:
        hook.close()
