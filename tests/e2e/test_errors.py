"""Bad input: each is a clear error naming what is wrong and where, with a non-zero exit."""
import json

from conftest import read_records, run, write_pipeline

GOOD = """name: t
source:
  connector: faker
  config: {count: 10}
destination:
  connector: local
  config: {destination_path: "OUT"}
"""


def sync_fails(pipeline, code=2):
    p = run("sync", pipeline, check=False)
    assert p.returncode == code, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p.stderr


def test_malformed_yaml_names_line_and_column(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("name: t\nsource:\n  connector: faker\n  config: {count: 10\ndestination: x\n")
    err = sync_fails(f)
    assert "bad.yaml:" in err
    assert ":4:" in err or ":5:" in err


def test_unknown_key_names_path_and_line(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(GOOD.replace("OUT", str(tmp_path)) + "strems: []\n")
    err = sync_fails(f)
    assert "strems" in err and ":8:" in err


def test_config_violations_are_all_listed_with_paths(tmp_path):
    f = write_pipeline(tmp_path / "p.yaml", {
        "name": "t",
        "source": {"connector": "faker", "config": {"count": "ten", "seed": 1.5, "bogus": True}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path)}},
    })
    err = sync_fails(f)
    assert "$.count" in err and "$.seed" in err and "bogus" in err


def test_unknown_connector(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(GOOD.replace("faker", "oracle").replace("OUT", str(tmp_path)))
    err = sync_fails(f)
    assert "oracle" in err and "source-faker" in err


def test_missing_pipeline_file(tmp_path):
    err = sync_fails(tmp_path / "nope.yaml")
    assert "nope.yaml" in err


def test_missing_env_var_is_named(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(GOOD.replace("OUT", "${SLUICE_TEST_UNSET_VAR}"))
    err = sync_fails(f)
    assert "SLUICE_TEST_UNSET_VAR" in err


def test_env_var_is_substituted(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(GOOD.replace("OUT", "${SLUICE_TEST_OUT}/${NAMESPACE}x"))
    run("sync", f, env={"SLUICE_TEST_OUT": str(tmp_path / "envout")})
    assert (tmp_path / "envout").is_dir()


def file_pipeline(tmp_path, path, **stream):
    return write_pipeline(tmp_path / "file.yaml", {
        "name": "f",
        "source": {"connector": "file", "config": {"streams": [{"name": "data", "path": str(path), **stream}]}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
    })


def test_unreadable_file(tmp_path):
    err = sync_fails(file_pipeline(tmp_path, tmp_path / "absent.csv"))
    assert "absent.csv" in err


def test_ragged_csv_row_names_the_line(tmp_path):
    src = tmp_path / "r.csv"
    src.write_text("a,b,c\n1,2,3\n4,5,6\n7,8\n")
    err = sync_fails(file_pipeline(tmp_path, src))
    assert "r.csv" in err and "line 4" in err


def test_ragged_rows_can_be_skipped_and_counted(tmp_path):
    src = tmp_path / "r.csv"
    src.write_text("a,b,c\n1,2,3\n4,5\n7,8,9\n")
    p = run("sync", file_pipeline(tmp_path, src, on_error="skip"), "--json")
    assert json.loads(p.stdout)["records"] == 2
    assert "1" in p.stderr and "skipped" in p.stderr
    assert len(read_records(tmp_path / "out" / "data")) == 2


def test_invalid_utf8_names_the_line(tmp_path):
    src = tmp_path / "u.csv"
    src.write_bytes(b"a,b\n1,ok\n2,bad\xff\xfe\n")
    err = sync_fails(file_pipeline(tmp_path, src))
    assert "u.csv" in err and "line 3" in err and "UTF-8" in err
