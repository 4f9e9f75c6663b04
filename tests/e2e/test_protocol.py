"""The protocol commands in detail, with faker, local and dev-null: every message validates against
the published Airbyte protocol schema (tests/protocol/airbyte_protocol.yaml). Every registered
connector goes through the same commands in test_conformance.py."""
import json
import pathlib


from conftest import run

def configured(catalog, mode="full_refresh", dest="append", streams=None):
    out = []
    for s in catalog["streams"]:
        if streams and s["name"] not in streams:
            continue
        c = {"stream": s, "sync_mode": mode, "destination_sync_mode": dest}
        if mode == "incremental":
            c["cursor_field"] = s.get("default_cursor_field", [])
        out.append(c)
    return {"streams": out}


def test_faker_check_discover_read(tmp_path, protocol_validator):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"count": 50, "seed": 3}))
    p = run("connector", "faker", "check", "--config", config)
    [m] = protocol_validator.lines(p.stdout)
    assert m["connectionStatus"]["status"] == "SUCCEEDED"

    p = run("connector", "source-faker", "discover", "--config", config)
    [m] = protocol_validator.lines(p.stdout)
    catalog = m["catalog"]
    assert {s["name"] for s in catalog["streams"]} == {"users", "products", "purchases"}

    cat = configured(catalog)
    protocol_validator.configured_catalog(cat)
    cat_file = tmp_path / "catalog.json"
    cat_file.write_text(json.dumps(cat))
    p = run("connector", "source-faker", "read", "--config", config, "--catalog", cat_file)
    msgs = protocol_validator.lines(p.stdout)
    records = [m for m in msgs if m["type"] == "RECORD"]
    states = [m for m in msgs if m["type"] == "STATE"]
    users = [r for r in records if r["record"]["stream"] == "users"]
    assert len(users) == 50
    assert len({r["record"]["data"]["id"] for r in users}) == 50
    assert states, "a read ends with state checkpoints"
    # The checkpoint counts what it covers.
    assert all("recordCount" in s["state"]["sourceStats"] for s in states)
    assert sum(s["state"]["sourceStats"]["recordCount"] for s in states) == len(records)


def test_faker_incremental_read_with_state(tmp_path, protocol_validator):
    def read(count, state=None):
        config = tmp_path / "config.json"
        config.write_text(json.dumps({"count": count, "seed": 1}))
        disc = protocol_validator.lines(run("connector", "faker", "discover", "--config", config).stdout)[0]
        cat = tmp_path / "catalog.json"
        cat.write_text(json.dumps(configured(disc["catalog"], "incremental", "append", ["users"])))
        args = ["connector", "faker", "read", "--config", config, "--catalog", cat]
        if state is not None:
            st = tmp_path / "state.json"
            st.write_text(json.dumps(state))
            args += ["--state", st]
        return protocol_validator.lines(run(*args).stdout)

    first = read(100)
    state = [m["state"] for m in first if m["type"] == "STATE"][-1:]
    second = read(130, state)
    ids = [m["record"]["data"]["id"] for m in second if m["type"] == "RECORD"]
    assert sorted(ids) == list(range(101, 131)), "exactly the new users: faker's cursor is strictly greater"


def test_read_and_write_pipe_through_local_destination(tmp_path, protocol_validator):
    src_config = tmp_path / "src.json"
    src_config.write_text(json.dumps({"count": 200, "seed": 9}))
    disc = protocol_validator.lines(run("connector", "faker", "discover", "--config", src_config).stdout)[0]
    cat = tmp_path / "catalog.json"
    cat.write_text(json.dumps(configured(disc["catalog"], dest="overwrite")))
    out = run("connector", "faker", "read", "--config", src_config, "--catalog", cat).stdout

    dst_config = tmp_path / "dst.json"
    dst_config.write_text(json.dumps({"destination_path": str(tmp_path / "out")}))
    p = run("connector", "destination-local", "write", "--config", dst_config, "--catalog", cat, input=out)
    msgs = protocol_validator.lines(p.stdout)
    states = [m["state"] for m in msgs if m["type"] == "STATE"]
    assert states, "the destination echoes every committed state"
    for s in states:
        assert s["destinationStats"]["recordCount"] == s["sourceStats"]["recordCount"]
    written = sum(1 for f in (tmp_path / "out" / "users").glob("*.jsonl") for _ in open(f))
    assert written == 200


def test_dev_null_write(tmp_path, protocol_validator):
    src_config = tmp_path / "src.json"
    src_config.write_text(json.dumps({"count": 20}))
    disc = protocol_validator.lines(run("connector", "faker", "discover", "--config", src_config).stdout)[0]
    cat = tmp_path / "catalog.json"
    cat.write_text(json.dumps(configured(disc["catalog"])))
    out = run("connector", "faker", "read", "--config", src_config, "--catalog", cat).stdout
    cfg = tmp_path / "dn.json"
    cfg.write_text("{}")
    p = run("connector", "dev-null", "write", "--config", cfg, "--catalog", cat, input=out)
    protocol_validator.lines(p.stdout)


def test_errors_are_trace_messages_with_failure_type(tmp_path, protocol_validator):
    p = run("connector", "source-nope", "spec", check=False)
    assert p.returncode == 2
    [m] = protocol_validator.lines(p.stdout)
    assert m["trace"]["error"]["failure_type"] == "config_error"
    assert "source-nope" in m["trace"]["error"]["message"]

    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"count": "ten", "colour": 1}))
    p = run("connector", "faker", "discover", "--config", config, check=False)
    assert p.returncode == 2
    [m] = protocol_validator.lines(p.stdout)
    text = m["trace"]["error"]["message"]
    assert "$.count" in text and "colour" in text

    p = run("connector", "faker", "check", "--config", config)
    [m] = protocol_validator.lines(p.stdout)
    assert m["connectionStatus"]["status"] == "FAILED"
    assert "$.count" in m["connectionStatus"]["message"]

    p = run("connector", "faker", "read", "--config", tmp_path / "missing.json", "--catalog", config, check=False)
    assert p.returncode == 2
    [m] = protocol_validator.lines(p.stdout)
    assert "missing.json" in m["trace"]["error"]["message"]
