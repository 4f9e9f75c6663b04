"""Connector conformance: every registered built-in connector (as `sluice connectors --json`
lists them — no list here) goes through the Airbyte protocol's commands, and every message it
prints must validate against the published protocol schema (tests/protocol/airbyte_protocol.yaml).

Each connector brings its environment in its own folder, `conformance.yaml` (a manifest shipped in
the binary, source-<name> from declarative_manifest/manifests/<name>.yaml, beside it as
<name>.conformance.yaml):
    needs:  servers to start (postgres, mariadb, s3, rest_api, mongo — the MongoDB wire test double)
    setup:  files (under ${TMP}), sql (run in ${PG_DATABASE}), mariadb_sql (run in ${MY_DATABASE}),
            s3_objects (in ${S3_BUCKET}), mongo_documents ({collection: [documents]} in ${MONGO_DATABASE})
    config: a working config; "${NAME}" strings are filled in (a string that is exactly one
            "${NAME}" takes the value's own type, so a port stays a number)

Sources: spec → check (and a failing check on an empty config) → discover → full refresh read of
every stream (records match the catalog and their stream's JSON schema, statuses run STARTED …
COMPLETE, checkpoints count what they cover) → an incremental read resumed from the last state.
Destinations: spec → check → write of faker's records in each sync mode the destination supports
(every checkpoint echoed with destinationStats equal to sourceStats).
"""
import json
import os
import pathlib
import re

import jsonschema
import pytest
import yaml

from conftest import SOURCE_DIR, run
from mariadb_server import mariadb  # noqa: F401  (session fixture, started only when a connector needs it)
from pg_server import pg  # noqa: F401  (session fixture, started only when a connector needs it)
from s3_server import moto  # noqa: F401

CONNECTORS = json.loads(run("connectors", "--json").stdout)
NAMES = [c["name"] for c in CONNECTORS]


def folder_of(name):
    kind, short = name.split("-", 1)
    short = re.sub(r"-v\d+$", "", short)  # Airbyte's versioned names: source-mongodb-v2 lives in sources/mongodb
    return SOURCE_DIR / "src" / "connectors" / (kind + "s") / short.replace("-", "_")


def conformance_file(name):
    kind, short = name.split("-", 1)
    shipped = SOURCE_DIR / "src" / "connectors" / "sources" / "declarative_manifest" / "manifests"
    if kind == "source" and (shipped / f"{short}.yaml").is_file():
        return shipped / f"{short}.conformance.yaml"
    return folder_of(name) / "conformance.yaml"


def test_every_connector_is_registered_with_its_folder():
    assert {"source-faker", "destination-local"} <= set(NAMES)
    for c in CONNECTORS:
        assert c["title"] and c["description"], c
        assert conformance_file(c["name"]).is_file(), \
            f"{c['name']}: add {conformance_file(c['name'])} (see this test's docstring)"


# ---- environment ------------------------------------------------------------------------------


def fill(value, env):
    if isinstance(value, dict):
        return {k: fill(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, env) for v in value]
    if isinstance(value, str):
        whole = re.fullmatch(r"\$\{(\w+)\}", value)
        if whole and whole.group(1) in env:
            return env[whole.group(1)]
        return re.sub(r"\$\{(\w+)\}", lambda m: str(env[m.group(1)]) if m.group(1) in env else m.group(0), value)
    return value


@pytest.fixture
def environment(request, tmp_path):
    """(config, tmp_path) for the connector named by the test's `name` parameter."""
    name = request.node.callspec.params["name"]
    spec = yaml.safe_load(conformance_file(name).read_text()) or {}
    setup = spec.get("setup") or {}
    env = {"TMP": str(tmp_path)}
    if "postgres" in (spec.get("needs") or []):
        server = request.getfixturevalue("pg")
        database = "conformance_" + re.sub(r"\W", "_", name)
        server.create_database(database)
        if setup.get("sql"):
            server.execute(database, setup["sql"])
        env.update(PG_HOST=server.host, PG_PORT=server.port, PG_USER=server.user, PG_PASSWORD=server.password,
                   PG_DATABASE=database)
    if "mariadb" in (spec.get("needs") or []):
        server = request.getfixturevalue("mariadb")
        database = "conformance_" + re.sub(r"\W", "_", name)
        server.create_database(database)
        if setup.get("mariadb_sql"):
            server.execute(database, setup["mariadb_sql"])
        env.update(MY_HOST=server.host, MY_PORT=server.port, MY_USER=server.user, MY_PASSWORD=server.password,
                   MY_DATABASE=database)
    if "s3" in (spec.get("needs") or []):
        server = request.getfixturevalue("moto")
        bucket = server.create_bucket()
        client = server.client()
        for key, body in (setup.get("s3_objects") or {}).items():
            client.put_object(Bucket=bucket, Key=key, Body=body.encode())
        env.update(S3_ENDPOINT=server.endpoint, S3_ACCESS_KEY=server.access_key, S3_SECRET_KEY=server.secret_key,
                   S3_BUCKET=bucket, S3_REGION=server.region)
    if "rest_api" in (spec.get("needs") or []):
        from rest_api_server import RestApiServer
        server = RestApiServer()
        request.addfinalizer(server.stop)
        manifests = pathlib.Path(__file__).parent / "fixtures" / "manifests"
        env.update(REST_API_BASE=server.base, MANIFESTS=str(manifests))
        for m in manifests.glob("*.yaml"):  # ${MANIFEST_<NAME>}: a manifest, parsed
            env["MANIFEST_" + m.stem.upper()] = yaml.safe_load(m.read_text())
    if "mongo" in (spec.get("needs") or []):
        from mongo_wire_server import MongoWireServer
        server = MongoWireServer()
        request.addfinalizer(server.stop)
        for coll, docs in (setup.get("mongo_documents") or {}).items():
            server.insert("conformance", coll, *docs)
        env.update(MONGO_URI=server.uri(), MONGO_DATABASE="conformance")
    for rel, body in (setup.get("files") or {}).items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(fill(spec.get("config") or {}, env)))
    return config, tmp_path


def connector_kind(name):
    return next(c["kind"] for c in CONNECTORS if c["name"] == name)


SOURCES = [n for n in NAMES if connector_kind(n) == "source"]
DESTINATIONS = [n for n in NAMES if connector_kind(n) == "destination"]


# ---- every connector --------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_spec(name, protocol_validator):
    [m] = protocol_validator.lines(run("connector", name, "spec").stdout)
    assert m["type"] == "SPEC"
    spec = m["spec"]
    schema = spec["connectionSpecification"]
    assert schema["type"] == "object"
    jsonschema.Draft7Validator.check_schema(schema)
    if connector_kind(name) == "destination":
        assert spec["supported_destination_sync_modes"]


@pytest.mark.parametrize("name", NAMES)
def test_check(name, environment, protocol_validator, tmp_path):
    config, _ = environment
    [m] = protocol_validator.lines(run("connector", name, "check", "--config", config).stdout)
    assert m["connectionStatus"]["status"] == "SUCCEEDED", m["connectionStatus"].get("message")

    # A config that does not fit: a FAILED status or a config-error trace, never a crash.
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"no_such_option": True, "port": "not a number"}))
    p = run("connector", name, "check", "--config", bad, check=False)
    assert p.returncode in (0, 2), p.stderr[-2000:]
    msgs = protocol_validator.lines(p.stdout)
    if p.returncode == 0 and msgs and msgs[-1]["type"] == "CONNECTION_STATUS":
        # dev-null takes anything; every other connector must refuse.
        if name != "destination-dev-null":
            assert msgs[-1]["connectionStatus"]["status"] == "FAILED"
            assert msgs[-1]["connectionStatus"]["message"]
    else:
        assert msgs[-1]["trace"]["error"]["failure_type"] == "config_error"


# ---- sources ----------------------------------------------------------------------------------


def configured(catalog, sync_mode):
    streams = []
    for s in catalog["streams"]:
        if sync_mode not in s.get("supported_sync_modes", ["full_refresh"]):
            continue
        c = {"stream": s, "sync_mode": sync_mode, "destination_sync_mode": "append"}
        if sync_mode == "incremental":
            if not s.get("source_defined_cursor") and not s.get("default_cursor_field"):
                continue
            c["cursor_field"] = s.get("default_cursor_field", [])
        streams.append(c)
    return {"streams": streams}


def read(name, config, catalog, tmp_path, protocol_validator, state=None):
    protocol_validator.configured_catalog(catalog)
    cat = tmp_path / "catalog.json"
    cat.write_text(json.dumps(catalog))
    args = ["connector", name, "read", "--config", config, "--catalog", cat]
    if state is not None:
        st = tmp_path / "state.json"
        st.write_text(json.dumps(state))
        args += ["--state", st]
    return protocol_validator.lines(run(*args).stdout)


def check_read(msgs, catalog):
    names = {(s["stream"]["name"], s["stream"].get("namespace")) for s in catalog["streams"]}
    schemas = {(s["stream"]["name"], s["stream"].get("namespace")): jsonschema.Draft7Validator(s["stream"]["json_schema"])
               for s in catalog["streams"]}
    records = [m["record"] for m in msgs if m["type"] == "RECORD"]
    checked = {}
    for r in records:
        key = (r["stream"], r.get("namespace"))
        assert key in names, f"record of a stream not in the catalog: {key}"
        if checked.get(key, 0) < 200:
            errors = list(schemas[key].iter_errors(r["data"]))
            assert not errors, f"{key}: record {json.dumps(r['data'])[:300]} does not fit its schema: {errors[0].message}"
            checked[key] = checked.get(key, 0) + 1
    states = [m["state"] for m in msgs if m["type"] == "STATE"]
    assert states, "a read ends with a checkpoint"
    assert sum(s["sourceStats"]["recordCount"] for s in states) == len(records)
    statuses = {}
    for m in msgs:
        if m["type"] == "TRACE" and m["trace"]["type"] == "STREAM_STATUS":
            st = m["trace"]["stream_status"]
            statuses.setdefault((st["stream_descriptor"]["name"], st["stream_descriptor"].get("namespace")),
                                []).append(st["status"])
    for key in names:
        seq = statuses.get(key, [])
        assert seq and seq[0] == "STARTED" and seq[-1] == "COMPLETE", f"{key}: stream statuses {seq}"
    return records, states


@pytest.mark.parametrize("name", SOURCES)
def test_source_discover_and_read(name, environment, protocol_validator):
    config, tmp_path = environment
    [m] = protocol_validator.lines(run("connector", name, "discover", "--config", config).stdout)
    catalog = m["catalog"]
    assert catalog["streams"], "discover finds the prepared streams"
    for s in catalog["streams"]:
        jsonschema.Draft7Validator.check_schema(s["json_schema"])
        assert s["supported_sync_modes"]

    full = configured(catalog, "full_refresh")
    if full["streams"]:
        records, _ = check_read(read(name, config, full, tmp_path, protocol_validator), full)
        assert records, "the prepared data is read"

    incremental = configured(catalog, "incremental")
    if incremental["streams"]:
        first, states = check_read(read(name, config, incremental, tmp_path, protocol_validator), incremental)
        last = {}
        for s in states:  # the latest checkpoint of each stream (or the one global state)
            key = json.dumps(s.get("stream", {}).get("stream_descriptor")) if s["type"] == "STREAM" else s["type"]
            last[key] = {k: v for k, v in s.items() if k not in ("sourceStats", "destinationStats")}
        again, _ = check_read(read(name, config, incremental, tmp_path, protocol_validator, list(last.values())),
                              incremental)
        assert len(again) <= len(first), "a resumed incremental read does not read more than the first"


# ---- destinations -----------------------------------------------------------------------------


FAKER_CONFIG = {"count": 60, "seed": 11}


@pytest.mark.parametrize("name", DESTINATIONS)
def test_destination_write(name, environment, protocol_validator):
    config, tmp_path = environment
    [spec] = protocol_validator.lines(run("connector", name, "spec").stdout)
    modes = spec["spec"]["supported_destination_sync_modes"]
    src = tmp_path / "faker.json"
    src.write_text(json.dumps(FAKER_CONFIG))
    [disc] = protocol_validator.lines(run("connector", "source-faker", "discover", "--config", src).stdout)
    users = next(s for s in disc["catalog"]["streams"] if s["name"] == "users")
    for mode in [m for m in ("overwrite", "append", "append_dedup") if m in modes]:
        stream = {"stream": users, "sync_mode": "incremental" if mode == "append_dedup" else "full_refresh",
                  "destination_sync_mode": mode, "cursor_field": users["default_cursor_field"],
                  "primary_key": [["id"]]}
        catalog = {"streams": [stream]}
        protocol_validator.configured_catalog(catalog)
        cat = tmp_path / f"catalog_{mode}.json"
        cat.write_text(json.dumps(catalog))
        out = run("connector", "source-faker", "read", "--config", src, "--catalog", cat).stdout
        p = run("connector", name, "write", "--config", config, "--catalog", cat, input=out)
        states = [m["state"] for m in protocol_validator.lines(p.stdout) if m["type"] == "STATE"]
        assert states, f"{mode}: the destination echoes the committed checkpoints"
        assert sum(s["sourceStats"]["recordCount"] for s in states) == FAKER_CONFIG["count"]
        for s in states:
            assert s["destinationStats"]["recordCount"] == s["sourceStats"]["recordCount"], mode
