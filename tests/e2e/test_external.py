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


def test_external_source_config_update_reaches_the_next_run(tmp_path):
    """A CONTROL message over the pipe (a rotated credential) is kept beside the state and given
    to the next run; the pipeline file stays as written."""
    pipeline = write_pipeline(tmp_path / "p.yaml", {
        "name": "rotating",
        "source": {"command": [sys.executable, CONNECTOR], "config": {"rows": 3, "session": "s0"}},
        "destination": {"connector": "dev-null", "config": {}},
    })
    written = pipeline.read_text()
    overlay = tmp_path / ".sluice-state" / "p.source-config.json"
    run("sync", pipeline, "--json")
    assert json.loads(overlay.read_text())["changes"] == {"session": "s1"}
    run("sync", pipeline, "--json")  # the connector got s1, so it rotates to s2
    assert json.loads(overlay.read_text())["changes"] == {"session": "s2"}
    assert pipeline.read_text() == written


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


def _fake_docker(bin_dir, log, daemon=True):
    """A stand-in for the docker CLI (no Docker daemon exists on these machines): `version` answers
    as a daemon would (or fails like a client without one), `run … IMAGE ARGS` records its argv and
    runs the Python connector with ARGS, as the image's entrypoint would."""
    script = bin_dir / "docker"
    script.write_text(f"""#!{sys.executable}
import json, os, sys
args = sys.argv[1:]
with open({str(log)!r}, "a") as f:
    f.write(json.dumps(args) + "\\n")
if args[0] == "version":
    if {daemon!r}:
        print("24.0.7")
        sys.exit(0)
    sys.stderr.write("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\\n")
    sys.exit(1)
assert args[0] == "run", args
image = args.index("airbyte/source-numbers:0.1.0")
os.execv({sys.executable!r}, [{sys.executable!r}, {CONNECTOR!r}] + args[image + 1:])
""")
    script.chmod(0o755)


def test_a_docker_image_runs_through_docker_run(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "docker.log"
    _fake_docker(bin_dir, log)
    pipeline = write_pipeline(tmp_path / "p.yaml", {
        "name": "docker image",
        "source": {"connector": "airbyte/source-numbers:0.1.0", "config": {"rows": 12}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": "numbers", "mode": "Incremental | Append"}],
    })
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "TMPDIR": str(tmp_path)}
    run("sync", pipeline, "--json", env=env)
    rows = read_records(tmp_path / "out" / "numbers")
    assert sorted(r["_airbyte_data"]["id"] for r in rows) == list(range(1, 13))
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    runs = [c for c in calls if c[0] == "run"]
    assert runs and all(c[:9] == ["run", "--rm", "-i", "--init", "--network", "host", "-v", f"{tmp_path}:{tmp_path}",
                                  "airbyte/source-numbers:0.1.0"] for c in runs), runs
    assert any(c[9] == "read" and "--config" in c for c in runs), runs
    # The config file handed over lies under the mounted folder.
    read = next(c for c in runs if c[9] == "read")
    assert read[read.index("--config") + 1].startswith(str(tmp_path) + "/")

    # A built-in answers to Airbyte's image name: Docker is never asked.
    log.write_text("")
    pipeline2 = write_pipeline(tmp_path / "p2.yaml", {
        "name": "builtin by image",
        "source": {"connector": "airbyte/source-faker:6.2.0", "config": {"count": 5}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out2")}},
        "streams": [{"name": "users", "mode": "Full Refresh | Overwrite"}],
    })
    run("sync", pipeline2, "--json", env=env)
    assert log.read_text() == ""


def test_a_docker_image_without_docker_says_what_is_missing(tmp_path):
    pipeline = write_pipeline(tmp_path / "p.yaml", {
        "name": "docker image",
        "source": {"connector": "airbyte/source-numbers:0.1.0", "config": {"rows": 3}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
    })
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run("sync", pipeline, env={"PATH": str(empty)}, check=False)
    assert r.returncode == 2, r.stderr
    assert "airbyte/source-numbers:0.1.0' is a Docker image" in r.stderr and "`docker` is not on PATH" in r.stderr

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_docker(bin_dir, tmp_path / "docker.log", daemon=False)
    r = run("sync", pipeline, env={"PATH": f"{bin_dir}:/usr/bin:/bin"}, check=False)
    assert r.returncode == 2, r.stderr
    assert "needs a Docker daemon" in r.stderr and "Is the docker daemon running?" in r.stderr, r.stderr
