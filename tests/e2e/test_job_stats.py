"""POST /api/v1/jobs/stats (the dashboard's figures) against a real `sluice server`: real
faker → local syncs, one connection that fails (its destination folder is a regular file) and a
reset (left out), the figures per day compared with the jobs' own answers, the day boundaries in
time zones on both sides of UTC, GET with query parameters, 422/404/400 for bad values, and the
same query once on a PostgreSQL metadata store.
"""
import datetime
import time
import zoneinfo

import pytest
import requests

from pg_server import pg  # noqa: F401  (session fixture)
from sluice_server import register_secret, sluice_server
from test_platform import create_connection, create_destination, create_source, wait_job

FIELDS = ("recordsCommitted", "bytesCommitted", "succeeded", "failed", "cancelled", "durationSecondsP50",
          "durationSecondsMax")


def run_sync(server, connection_id, path="connections/sync"):
    job = server.ok(path, {"connectionId": connection_id})["job"]
    return wait_job(server, job["id"], timeout=120)


def today_in(zone):
    return datetime.datetime.now(zoneinfo.ZoneInfo(zone)).date()


def check_days(answer, days, zone):
    """Every day of the period, oldest first, ending today in `zone`."""
    dates = [datetime.date.fromisoformat(d["date"]) for d in answer["days"]]
    assert len(dates) == days
    assert all(b - a == datetime.timedelta(days=1) for a, b in zip(dates, dates[1:])), dates
    # Today at the call (a second either side of midnight is tolerated).
    assert dates[-1] in {today_in(zone), (datetime.datetime.now(zoneinfo.ZoneInfo(zone)) -
                                          datetime.timedelta(seconds=5)).date()}
    for d in answer["days"]:
        assert set(FIELDS) <= set(d), d


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """A server with two succeeded syncs and one failed one (plus a reset) on two connections."""
    tmp = tmp_path_factory.mktemp("stats")
    regular_file = tmp / "a-file"
    regular_file.write_text("not a folder")
    with sluice_server(extra_args=["--retry-backoff-seconds", "1"]) as server:
        source_id = create_source(server, {"count": 150, "records_per_slice": 50})
        good_dest = create_destination(server, "destination-local", {"destination_path": str(tmp / "out")}, name="out")
        bad_dest = create_destination(server, "destination-local", {"destination_path": str(regular_file)},
                                      name="broken")
        good = create_connection(server, source_id, good_dest, name="good")
        bad = create_connection(server, source_id, bad_dest, name="bad")
        jobs = [run_sync(server, good), run_sync(server, good), run_sync(server, bad)]
        assert [j["job"]["status"] for j in jobs] == ["succeeded", "succeeded", "failed"], jobs[-1]
        reset = run_sync(server, good, "connections/reset")
        assert reset["job"]["configType"] == "reset_connection"
        yield server, good, bad, jobs


def test_figures_equal_the_jobs(synced):
    server, good, bad, jobs = synced
    answer = server.ok("jobs/stats", {})
    check_days(answer, 14, "UTC")
    assert answer["timeZone"] == "UTC"
    totals = answer["totals"]
    records = sum(a["attempt"]["recordsSynced"] for j in jobs for a in j["attempts"])
    bytes_ = sum(a["attempt"]["bytesSynced"] for j in jobs for a in j["attempts"])
    assert records >= 150  # the first sync's 150 users (incremental: the second has nothing new)
    assert totals["recordsCommitted"] == records and totals["bytesCommitted"] == bytes_ > 0
    assert (totals["succeeded"], totals["failed"], totals["cancelled"], totals["syncs"]) == (2, 1, 0, 3)
    assert totals["failureRate"] == pytest.approx(1 / 3)
    # Durations: from the first claim to the end, as the jobs say (whole seconds there).
    durations = sorted(j["job"]["updatedAt"] - j["job"]["startedAt"] for j in jobs)
    assert totals["durationSecondsMax"] == pytest.approx(durations[-1], abs=1.01)
    assert totals["durationSecondsP50"] == pytest.approx(durations[1], abs=1.01)
    assert 0 <= totals["durationSecondsP50"] <= totals["durationSecondsMax"]
    # Everything happened today: the days sum to the totals, the other days are zeros.
    for field in ("recordsCommitted", "bytesCommitted", "succeeded", "failed", "cancelled"):
        assert sum(d[field] for d in answer["days"]) == totals[field], field
    busy = [d for d in answer["days"] if d["succeeded"] + d["failed"]]
    assert len(busy) == 1
    idle = [d for d in answer["days"] if d is not busy[0]]
    assert all(d["durationSecondsP50"] is None and d["recordsCommitted"] == 0 for d in idle)

    # One connection.
    only_good = server.ok("jobs/stats", {"connectionId": good, "days": 1})
    assert len(only_good["days"]) == 1
    assert (only_good["totals"]["succeeded"], only_good["totals"]["failed"]) == (2, 0)
    assert only_good["totals"]["failureRate"] == 0
    only_bad = server.ok("jobs/stats", {"connectionId": bad, "days": 30})
    assert (only_bad["totals"]["succeeded"], only_bad["totals"]["failed"]) == (0, 1)
    assert only_bad["totals"]["failureRate"] == 1
    assert only_bad["totals"]["recordsCommitted"] == sum(a["attempt"]["recordsSynced"] for a in jobs[2]["attempts"])


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Amsterdam",
                                  "America/St_Johns"])
def test_days_follow_the_time_zone(synced, zone):
    server, _, _, _ = synced
    answer = server.ok("jobs/stats", {"days": 3, "timeZone": zone})
    check_days(answer, 3, zone)
    assert answer["timeZone"] == zone
    assert answer["totals"]["syncs"] == 3  # the jobs ran minutes ago: inside the last 3 local days
    # The period starts at a local midnight.
    start = datetime.datetime.fromtimestamp(answer["from"], zoneinfo.ZoneInfo(zone))
    assert (start.hour, start.minute, start.second) == (0, 0, 0)
    assert start.date() == datetime.date.fromisoformat(answer["days"][0]["date"])


def test_get_with_query_parameters_or_a_body(synced):
    server, good, _, _ = synced
    r = requests.get(f"{server.url}/jobs/stats", params={"days": "7", "connectionId": good}, timeout=30)
    assert r.status_code == 200, r.text
    assert len(r.json()["days"]) == 7 and r.json()["totals"]["succeeded"] == 2
    r = requests.get(f"{server.url}/jobs/stats", data='{"days": 30, "timeZone": "Asia/Kolkata"}',
                     headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 200, r.text
    assert len(r.json()["days"]) == 30 and r.json()["totals"]["syncs"] == 3
    assert len(server.ok("jobs/stats", {"days": 366})["days"]) == 366
    # In the generated OpenAPI document, with its fields.
    doc = requests.get(f"{server.url}/openapi.json", timeout=30).json()
    assert "/api/v1/jobs/stats" in doc["paths"]
    assert "timeZone" in str(doc["paths"]["/api/v1/jobs/stats"])


@pytest.mark.parametrize("body,status,field", [
    ({"days": 0}, 422, "days"),
    ({"days": 367}, 422, "days"),
    ({"days": -3}, 422, "days"),
    ({"days": "two"}, 422, "days"),
    ({"days": 1.5}, 422, "days"),
    ({"days": [7]}, 400, "days"),
    ({"timeZone": "Mars/Olympus_Mons"}, 422, "timeZone"),
    ({"timeZone": ""}, 422, "timeZone"),
    ({"timeZone": "../../etc/passwd"}, 422, "timeZone"),
    ({"timeZone": 5}, 400, "timeZone"),
    ({"connectionId": "00000000-0000-4000-8000-000000000000"}, 404, "connectionId"),
])
def test_bad_values_are_refused_naming_the_field(synced, body, status, field):
    server, _, _, _ = synced
    r = server.post("jobs/stats", body)
    assert r.status_code == status, r.text
    if status != 404:  # 404s read "connection <id> not found"
        assert r.json()["message"].startswith(field), r.json()
    assert [d["field"] for d in r.json()["details"]] == [field], r.json()


def test_on_a_postgresql_store(pg, tmp_path):
    register_secret(pg.password)
    pg.create_database("stats_meta")
    with sluice_server(metadata=pg.url("stats_meta")) as server:
        source_id = create_source(server, {"count": 40})
        dest = create_destination(server, "destination-local", {"destination_path": str(tmp_path / "out")})
        connection = create_connection(server, source_id, dest)
        job = run_sync(server, connection)
        assert job["job"]["status"] == "succeeded"
        answer = server.ok("jobs/stats", {"days": 2, "timeZone": "America/Los_Angeles"})
        check_days(answer, 2, "America/Los_Angeles")
        totals = answer["totals"]
        assert (totals["succeeded"], totals["failed"], totals["syncs"]) == (1, 0, 1)
        assert totals["recordsCommitted"] == job["attempts"][-1]["attempt"]["recordsSynced"] >= 40
        assert totals["durationSecondsP50"] == totals["durationSecondsMax"] >= 0
        assert sum(d["succeeded"] for d in answer["days"]) == 1


def test_a_finished_job_shows_in_the_next_answer(tmp_path):
    # Answers are kept while no job finishes (checked at most every 0.2 s): a sync that ends
    # after an answer was given is in the next one.
    with sluice_server() as server:
        source_id = create_source(server, {"count": 40})
        dest = create_destination(server, "destination-local", {"destination_path": str(tmp_path / "out")})
        connection = create_connection(server, source_id, dest, name="again")
        run_sync(server, connection)
        first = server.ok("jobs/stats", {"days": 1})["totals"]
        assert server.ok("jobs/stats", {"days": 1})["totals"] == first
        assert first["succeeded"] == 1 and first["recordsCommitted"] == 40
        again = run_sync(server, connection)["attempts"][-1]["attempt"]["recordsSynced"]  # incremental: few or none
        time.sleep(0.25)
        second = server.ok("jobs/stats", {"days": 1})["totals"]
        assert second["succeeded"] == 2 and second["recordsCommitted"] == 40 + again, second
