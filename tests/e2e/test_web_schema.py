"""Pending schema changes in the web UI, in a real browser (web_scenario_schema.mjs) against a real
`sluice server` with authentication and a real PostgreSQL source: a connection whose source table
gained, lost and retyped a column (policy ignore: the change stays pending) shows a banner with the
counts and accepts the change through the review dialog, by keyboard; a connection whose primary
key column was dropped shows a red alert and the breaking field.
"""
import os
import shutil
import time

import pytest

from pg_server import pg  # noqa: F401  (session fixture)
from sluice_server import register_secret, sluice_server
from test_web_ui import CHROMIUM, WEB_DIR, drive, steps

pytestmark = pytest.mark.skipif(
    not shutil.which("node") or not os.path.exists(CHROMIUM),
    reason="node and Debian's chromium are needed (scripts/setup.sh installs them)")

ADMIN = "airbyte@example.com"


def sync(s, connection_id, timeout=120):
    job_id = s.ok("connections/sync", {"connectionId": connection_id})["job"]["id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = s.ok("jobs/get", {"id": job_id})
        if job["job"]["status"] in ("succeeded", "failed", "cancelled"):
            return job["job"]["status"]
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def connection_to_files(s, pg, tmp_path, db):
    pg.create_database(db)
    pg.execute(db, "create table users (id int primary key, name text, score int, updated_at timestamptz default now());"
                   "insert into users (id, name, score) select g, 'u' || g, g from generate_series(1, 5) g")
    source = s.ok("sources/create", {"sourceDefinitionId": "source-postgres", "name": db,
                                     "connectionConfiguration": pg.config(db)})
    files = s.ok("destinations/create", {"destinationDefinitionId": "destination-local", "name": db + " files",
                                         "connectionConfiguration": {"destination_path": str(tmp_path / db)}})
    return s.ok("connections/create", {"sourceId": source["sourceId"], "destinationId": files["destinationId"],
                                       "name": db, "nonBreakingChangesPreference": "ignore"})["connectionId"]


def test_review_and_accept_schema_changes(pg, tmp_path):  # noqa: F811
    assert (WEB_DIR / "index.html").is_file(), f"the web UI is not built into {WEB_DIR} (ninja target sluice_web)"
    password = register_secret("web-schema-Adm1n!")
    with sluice_server(no_auth=False) as s:
        s.ok("auth/login", {"email": ADMIN, "password": "password"})
        s.ok("users/change_password", {"currentPassword": "password", "newPassword": password})
        s.ok("workspaces/update", {"initialSetupComplete": True, "name": "Schema tests"})

        pending = connection_to_files(s, pg, tmp_path, "web_schema_pending")
        assert sync(s, pending) == "succeeded"
        pg.execute("web_schema_pending", "alter table users add column email text; alter table users drop column name;"
                                         "alter table users alter column score type text")
        assert sync(s, pending) == "succeeded"
        assert s.ok("connections/get", {"connectionId": pending})["schemaChange"] == "non_breaking"

        breaking = connection_to_files(s, pg, tmp_path, "web_schema_breaking")
        assert sync(s, breaking) == "succeeded"
        pg.execute("web_schema_breaking", "alter table users drop column id")
        assert sync(s, breaking) == "failed"
        assert s.ok("connections/get", {"connectionId": breaking})["schemaChange"] == "breaking"

        shots = tmp_path / "screenshots"
        shots.mkdir()
        options = {"baseUrl": s.base, "screenshots": str(shots), "email": ADMIN, "password": password,
                   "chromium": CHROMIUM, "pendingConnectionId": pending, "breakingConnectionId": breaking}
        result = drive("schema", options, timeout=120)
        print(result.stdout)
        assert result.returncode == 0, f"browser scenario failed (screenshots in {shots}):\n{result.stderr[-6000:]}"
        done = [x["step"] for x in steps(result)]
        assert done[-1] == "done" and "accepted" in done and "breaking banner" in done
        for name in ("schema-banner", "schema-review", "schema-breaking-review"):
            assert (shots / f"{name}.png").stat().st_size > 1000, name

        # What the browser accepted is in the server, and the next sync writes the new column.
        assert s.ok("connections/get", {"connectionId": pending})["schemaChange"] == "no_change"
        assert sync(s, pending) == "succeeded"
        breaking_now = s.ok("connections/get", {"connectionId": breaking})
        assert breaking_now["schemaChange"] == "breaking" and breaking_now["status"] == "inactive"
