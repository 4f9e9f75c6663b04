"""The dashboard in a real browser (web_scenario_dashboard.mjs): two faker → local syncs and
one failing connection (its destination folder is a regular file) created through the API, then
the page's totals compared with jobs/stats, the charts' bars, the table view, the period and
connection filters, the empty state, and screenshots at 1280 and 800 px (dashboard.png,
dashboard-800.png).
"""
import pytest

from sluice_server import register_secret, sluice_server
from test_platform import create_connection, create_destination, create_source, wait_job
from test_web_ui import CHROMIUM, WEB_DIR, drive, steps  # noqa: F401  (skip mark below)

pytestmark = pytest.mark.skipif(
    not (WEB_DIR / "index.html").is_file(), reason=f"the web UI is not built into {WEB_DIR} (ninja target sluice_web)")


def percent(rate):
    if rate is None:
        return "—"
    return f"{rate * 100:.0f} %" if rate in (0, 1) else f"{rate * 100:.1f} %"


def compact(n):
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= limit:
            return f"{round(n / limit, 1):g}{suffix}"
    return f"{n:g}"


def test_dashboard(tmp_path, monkeypatch):
    password = register_secret("web-dash-Pa55word!")
    regular_file = tmp_path / "a-file"
    regular_file.write_text("not a folder")
    with sluice_server(no_auth=False) as s:
        s.ok("auth/login", {"email": "airbyte@example.com", "password": "password"})
        s.ok("users/change_password", {"currentPassword": "password", "newPassword": password})
        s.ok("workspaces/update", {"initialSetupComplete": True})
        source = create_source(s, {"count": 1200, "records_per_slice": 300})
        good_dest = create_destination(s, "destination-local", {"destination_path": str(tmp_path / "out")}, name="out")
        bad_dest = create_destination(s, "destination-local", {"destination_path": str(regular_file)}, name="broken")
        good = create_connection(s, source, good_dest, name="Faker to files")
        bad = create_connection(s, source, bad_dest, name="Broken folder")
        create_connection(s, source, good_dest, name="Never synced")
        statuses = []
        for connection in (good, good, bad):
            job = s.ok("connections/sync", {"connectionId": connection})["job"]["id"]
            statuses.append(wait_job(s, job, timeout=120)["job"]["status"])
        assert statuses == ["succeeded", "succeeded", "failed"]

        # The browser asks in its own time zone, which chromium takes from TZ: the API is asked
        # in the same one. The jobs ran minutes ago, so the totals are the same for 7 to 30 days.
        zone = "Europe/Amsterdam"
        monkeypatch.setenv("TZ", zone)
        api = s.ok("jobs/stats", {"days": 14, "timeZone": zone})
        totals = api["totals"]
        assert (totals["succeeded"], totals["failed"]) == (2, 1)
        failing = s.ok("jobs/stats", {"days": 7, "connectionId": bad, "timeZone": zone})["totals"]
        today = next(d for d in api["days"] if d["succeeded"])
        expected = {"records": f"{totals['recordsCommitted']:,}", "bytes": f"{totals['bytesCommitted']:,} bytes",
                    "syncs": f"{totals['syncs']:,}", "failureRate": percent(totals["failureRate"]),
                    "succeeded": totals["succeeded"], "failed": totals["failed"],
                    "recordsCompact": compact(today["recordsCommitted"]),
                    "failingRecords": f"{failing['recordsCommitted']:,}"}
        assert api["days"][-1] is today, "the syncs of this test ran today"

        shots = tmp_path / "screenshots"
        shots.mkdir()
        result = drive("dashboard", {"baseUrl": s.base, "screenshots": str(shots), "chromium": CHROMIUM,
                                     "email": "airbyte@example.com", "password": password, "expected": expected,
                                     "failingName": "Broken folder", "idleName": "Never synced", "timeZone": zone})
        print(result.stdout)
        assert result.returncode == 0, f"browser scenario failed (screenshots in {shots}):\n{result.stderr[-6000:]}"
        assert steps(result)[-1]["step"] == "done"
        for name in ("dashboard", "dashboard-800", "dashboard-empty"):
            assert (shots / f"{name}.png").stat().st_size > 1000, name
