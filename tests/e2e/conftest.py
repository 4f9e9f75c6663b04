"""Shared fixtures for the end-to-end tests: they run the real `sluice` binary.

SLUICE_BIN points at the binary (set by CTest); SLUICE_SOURCE_DIR at the repository.
"""
import gzip
import json
import os
import pathlib
import re
import subprocess
import time

import pytest
import yaml

SOURCE_DIR = pathlib.Path(os.environ.get("SLUICE_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
SLUICE = os.environ.get("SLUICE_BIN", str(SOURCE_DIR / "build" / "sluice"))
PROTOCOL_DIR = SOURCE_DIR / "tests" / "protocol"  # the published Airbyte protocol, vendored


def run(*args, check=True, input=None, env=None, cwd=None, timeout=300):
    """Runs sluice with `args`; returns the CompletedProcess (text mode)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    p = subprocess.run([SLUICE, *map(str, args)], capture_output=True, text=True, input=input,
                       env=full_env, cwd=cwd, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"sluice {' '.join(map(str, args))} exited {p.returncode}\n"
                             f"stdout:\n{p.stdout[-4000:]}\nstderr:\n{p.stderr[-4000:]}")
    return p


def sync_json(pipeline, check=True, env=None):
    """`sluice sync PIPELINE --json`: (the summary, or None when it failed; the CompletedProcess)."""
    p = run("sync", pipeline, "--json", check=check, env=env)
    return (json.loads(p.stdout) if p.returncode == 0 else None), p


def record_data(folder):
    """The `_airbyte_data` of every record under a destination-local stream folder, by file order."""
    return [r["_airbyte_data"] for r in read_records(folder)]


def wait_for(predicate, timeout=120):
    """Polls `predicate` every 20 ms until it is true (True) or `timeout` s passed (False); an
    OSError, ValueError, KeyError or AssertionError from it (a file half written, a server not
    ready yet) counts as not yet."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if predicate():
                return True
        except (OSError, ValueError, KeyError, AssertionError):
            pass
        time.sleep(0.02)
    return False


def write_pipeline(path, doc):
    path = pathlib.Path(path)
    path.write_text(yaml.safe_dump(doc, sort_keys=False) if isinstance(doc, dict) else doc)
    return path


def read_records(folder):
    """Every record under a destination-local stream folder (JSONL, optionally gzip), by file order."""
    rows = []
    for f in sorted(pathlib.Path(folder).rglob("*")):
        if not f.is_file() or f.name.startswith("."):
            continue
        if ".jsonl" not in f.name:
            continue
        opener = gzip.open if f.name.endswith(".gz") else open
        with opener(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                rows.append(json.loads(line))
    return rows


_DATA_ID = re.compile(rb'"_airbyte_data":\{"id":(-?\d+)[,}]')


def read_data_ids(folder):
    """The `id` of every record under a destination-local JSONL folder (optionally gzip), without
    parsing the records (1 M wide records take over a minute through json.loads). Fails when a
    line has no leading `_airbyte_data.id`, so a layout change cannot make it miss records."""
    ids = []
    for f in sorted(pathlib.Path(folder).rglob("*")):
        if not f.is_file() or f.name.startswith(".") or ".jsonl" not in f.name:
            continue
        data = f.read_bytes()
        if f.name.endswith(".gz"):
            data = gzip.decompress(data)
        found = [int(m) for m in _DATA_ID.findall(data)]
        assert len(found) == data.count(b"\n"), f"{f}: a line without a leading _airbyte_data.id"
        ids += found
    return ids


def data_files(folder):
    return sorted(p for p in pathlib.Path(folder).rglob("*") if p.is_file() and not p.name.startswith("."))


@pytest.fixture(scope="session")
def protocol_validator():
    """Validates messages against the published Airbyte protocol schema."""
    import jsonschema
    schema = yaml.safe_load((PROTOCOL_DIR / "airbyte_protocol.yaml").read_text())
    message = jsonschema.Draft7Validator({"$ref": "#/definitions/AirbyteMessage", "definitions": schema["definitions"]})
    configured = jsonschema.Draft7Validator(
        {"$ref": "#/definitions/ConfiguredAirbyteCatalog", "definitions": schema["definitions"]})

    class V:
        def message(self, m):
            errors = sorted(message.iter_errors(m), key=lambda e: e.path)
            assert not errors, f"invalid message {json.dumps(m)[:500]}: {errors[0].message}"

        def lines(self, text):
            msgs = [json.loads(line) for line in text.splitlines() if line.strip()]
            for m in msgs:
                self.message(m)
            return msgs

        def configured_catalog(self, c):
            errors = list(configured.iter_errors(c))
            assert not errors, errors[0].message

    return V()
