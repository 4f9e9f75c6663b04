"""The command line itself: help, connector listing, exit codes."""
import json

import pytest

from conftest import run


@pytest.mark.parametrize("args", [[], ["sync"], ["connector"], ["connectors"], ["version"]])
def test_every_command_has_help(args):
    p = run(*args, "--help")
    assert "Usage" in p.stdout or "usage" in p.stdout.lower()


def test_connectors_lists_builtins():
    p = run("connectors")
    for name in ("source-faker", "source-file", "destination-local", "destination-dev-null"):
        assert name in p.stdout
    listed = json.loads(run("connectors", "--json").stdout)
    assert {c["kind"] for c in listed} == {"source", "destination"}


def test_unknown_option_is_a_usage_error():
    p = run("sync", "x.yaml", "--frobnicate", check=False)
    assert p.returncode == 2
