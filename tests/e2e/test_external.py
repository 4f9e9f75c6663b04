"""External connectors: any executable speaking the Airbyte protocol is a source or destination."""
import json
import sys

from conftest import SOURCE_DIR, read_records, run, write_pipeline

CONNECTOR = str(SOURCE_DIR / "tests" / "e2e" / "fixtures" / "py_connector.py")


def test_external_source_into_local(tmp_path):
    pipeline = write_pipeline(tmp_path / "p.yaml", {
        "name": "external source",
        "source": {"command": [sys.executable, CONNECTOR], "config": {"rows": 35}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": "numbers", "mode": "Incremental | Append"}],
    })
    run("sync", pipeline, "--json")
    rows = read_records(tmp_path / "out" / "numbers")
    assert [r["_airbyte_data"]["id"] for r in rows] == list(range(1, 36))
    assert rows[4]["_airbyte_data"]["label"] is None

    # Incremental: the external source gets the saved state back and emits only new rows.
    pipeline.write_text(pipeline.read_text().replace("rows: 35", "rows: 50"))
    out = json.loads(run("sync", pipeline, "--json").stdout)
    assert out["records"] == 15
    rows = read_records(tmp_path / "out" / "numbers")
    assert sorted(r["_airbyte_data"]["id"] for r in rows) == list(range(1, 51))


def test_faker_into_external_destination(tmp_path):
    output = tmp_path / "dest.jsonl"
    pipeline = write_pipeline(tmp_path / "p.yaml", {
        "name": "external destination",
        "source": {"connector": "faker", "config": {"count": 120, "records_per_slice": 50}},
        "destination": {"command": [sys.executable, CONNECTOR], "config": {"output": str(output)}},
        "streams": [{"name": "users", "mode": "Full Refresh | Append"}],
    })
    summary = json.loads(run("sync", pipeline, "--json").stdout)
    assert summary["status"] == "succeeded"
    assert summary["checkpoints"] >= 1  # confirmed by the process echoing STATE back
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(lines) == 120
    assert sorted(r["data"]["id"] for r in lines) == list(range(1, 121))


def test_external_source_errors_keep_their_failure_type(tmp_path):
    pipeline = write_pipeline(tmp_path / "p.yaml", {
        "name": "failing",
        "source": {"command": [sys.executable, CONNECTOR], "config": {"fail": "config"}},
        "destination": {"connector": "dev-null", "config": {}},
    })
    p = run("sync", pipeline, "--json", check=False)
    assert p.returncode == 2, p.stderr
    assert "api_key is not valid" in p.stderr

    pipeline = write_pipeline(tmp_path / "p2.yaml", {
        "name": "crashing",
        "source": {"command": [sys.executable, CONNECTOR], "config": {"fail": "crash", "rows": 30}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": "numbers", "mode": "Incremental | Append"}],
    })
    p = run("sync", pipeline, "--json", check=False)
    assert p.returncode == 4, p.stderr  # system error: exited with code 3
    summary = json.loads(p.stdout)
    assert "exited with code 3" in summary["error"]["message"]
    assert summary["error"]["trace"]["trace"]["error"]["failure_type"] == "system_error"
    # The first checkpoint (id 10) was committed before the crash; nothing after it was lost.
    state = json.loads((tmp_path / ".sluice-state" / "p2.state.json").read_text())
    assert state[0]["stream"]["stream_state"]["id"] == 10


def test_missing_executable_is_a_config_error(tmp_path):
    pipeline = write_pipeline(tmp_path / "p.yaml", {
        "name": "missing",
        "source": {"command": ["/nonexistent/connector"], "config": {}},
        "destination": {"connector": "dev-null", "config": {}},
    })
    p = run("sync", pipeline, check=False)
    assert p.returncode == 2
    assert "/nonexistent/connector" in p.stderr
