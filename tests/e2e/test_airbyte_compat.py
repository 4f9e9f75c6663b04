"""Airbyte users at home (issue 19): scripts and configs written for Airbyte run unchanged.

- Every built-in answers to Airbyte's registry ids and docker repositories (the table in
  src/connectors/sdk/airbyte_definitions.cc) in the CLI, pipeline files and the Config API; the
  ids sluice answered before keep working.
- The seed's script flow (../shared/seeds/airbyte-connection-setup.ru.md): sources/create with
  sourceDefinitionId "decd338e-…" (Airbyte's source-postgres) against a real PostgreSQL.
- The seed's file source (../shared/seeds/airbyte-integration-guide.nl.md: "Dataset Name:
  sales_data, URL: https://…/sales.csv, Format: CSV, Provider: Storage HTTPS") in Airbyte
  source-file's single-file shape, served over HTTPS by http_file_server.py.
"""
import csv
import hashlib
import json
import pathlib

import pytest
import requests

from conftest import read_records, run, write_pipeline
from http_file_server import http_server, https_server, web_root  # noqa: F401  (session fixtures)
from pg_server import pg  # noqa: F401  (session fixture)
from sluice_server import register_secret, sluice_server
from test_platform import wait_job

PG_ID = "decd338e-5647-4c0b-adf4-da0e75f5a750"          # airbyte/source-postgres
FILE_ID = "778daa7c-feaf-4db6-96f3-70fd645acc77"        # airbyte/source-file
FAKER_ID = "dfd88b22-b603-4c3d-aad7-3701784586b1"       # airbyte/source-faker
LOCAL_JSON_ID = "a625d593-bba5-4a1c-a53d-2d246268a816"  # airbyte/destination-local-json
CSV_ID = "8be1cf83-fde1-477f-a4ad-318d23c9f3c6"         # airbyte/destination-csv
SFTP_PASSWORD = register_secret("Sftp-s3cret-91f2")

SALES_CSV = "order_id,region,amount,sold_on\n1,north,10.50,2024-03-01\n2,south,7.25,2024-03-02\n3,NA,3.00,2024-03-02\n"


def protocol_lines(stdout):
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def legacy_id(name):
    """The id sluice answered before Airbyte's (security/token.h TokenHash → UUID shape)."""
    h = list(hashlib.sha256(f"sluice-connector:{name}".encode()).hexdigest()[:32])
    h[12] = "5"
    h[16] = "89ab"[int(h[16], 16) & 3]
    h = "".join(h)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def test_cli_resolves_airbyte_names_and_ids():
    expected = run("connector", "source-postgres", "spec").stdout
    for args in (["spec", "airbyte/source-postgres"], ["airbyte/source-postgres:3.7.0", "spec"], [PG_ID, "spec"],
                 ["docker.io/airbyte/source-postgres", "spec"]):
        assert run("connector", *args).stdout == expected, args
    listed = {c["name"]: c for c in json.loads(run("connectors", "--json").stdout)}
    assert listed["source-postgres"]["definitionId"] == PG_ID
    assert listed["source-file"]["dockerRepository"] == "airbyte/source-file"
    assert listed["destination-local"]["definitionId"] == LOCAL_JSON_ID
    assert listed["destination-csv"]["definitionId"] == CSV_ID
    assert "airbyte/source-faker" in run("connectors").stdout
    # An Airbyte connector sluice has no built-in for (yet) is named as such, exit code 2.
    if "source-mysql" not in listed:
        p = run("connector", "airbyte/source-mysql", "spec", check=False)
        assert p.returncode == 2
        assert "Airbyte's airbyte/source-mysql" in protocol_lines(p.stdout)[-1]["trace"]["error"]["message"]


def test_pipeline_files_name_connectors_as_airbyte_does(tmp_path):
    out = tmp_path / "out"
    pipeline = write_pipeline(tmp_path / "p.yaml", {
        "name": "airbyte names",
        "source": {"connector": "airbyte/source-faker", "config": {"count": 40}},
        "destination": {"connector": "airbyte/destination-local-json", "config": {"destination_path": str(out)}},
        "streams": [{"name": "users"}],
    })
    run("sync", pipeline, "--no-progress")
    assert len(read_records(out / "users")) == 40

    # destination-csv by its Airbyte definition id, with Airbyte's delimiter_type as written in its spec.
    csv_out = tmp_path / "csv"
    pipeline = write_pipeline(tmp_path / "c.yaml", {
        "name": "csv by id",
        "source": {"connector": FAKER_ID, "config": {"count": 25}},
        "destination": {"connector": CSV_ID,
                        "config": {"destination_path": str(csv_out), "delimiter_type": {"delimiter": "\\u003b"}}},
        "streams": [{"name": "users"}],
    })
    run("sync", pipeline, "--no-progress")
    files = [f for f in (csv_out / "users").rglob("*.csv")]
    assert files
    with open(files[0], newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    assert len(rows) == 25 and "_airbyte_raw_id" in rows[0] and "id" in rows[0]


@pytest.fixture(scope="module")
def api_server():
    with sluice_server() as server:
        yield server


def test_definitions_answer_airbyte_ids_and_keep_the_old_ones(api_server):
    s = api_server
    pg_def = s.ok("source_definitions/get", {"sourceDefinitionId": PG_ID})
    assert pg_def["dockerRepository"] == "airbyte/source-postgres" and pg_def["connectorName"] == "source-postgres"
    listed = {d["connectorName"]: d for d in s.ok("source_definitions/list")["sourceDefinitions"]}
    assert listed["source-postgres"]["sourceDefinitionId"] == PG_ID
    assert listed["source-file"]["sourceDefinitionId"] == FILE_ID
    # The ids sluice answered before Airbyte's still name the same connectors (saved scripts).
    for name in ("source-postgres", "source-faker"):
        got = s.ok("source_definitions/get", {"sourceDefinitionId": legacy_id(name)})
        assert got["connectorName"] == name
    dest = s.ok("destination_definitions/get", {"destinationDefinitionId": "airbyte/destination-postgres"})
    assert dest["destinationDefinitionId"] == "25c5221d-dce2-4163-ade9-739ef790f503"
    spec = s.ok("source_definition_specifications/get", {"sourceDefinitionId": PG_ID})
    assert spec["sourceDefinitionId"] == PG_ID and "host" in spec["connectionSpecification"]["properties"]
    r = s.post("source_definitions/get", {"sourceDefinitionId": "435bb9a5-7887-4809-aa58-28c27df0d7ad"})
    if r.status_code == 404:  # until source-mysql is built in: the message names Airbyte's connector
        assert "airbyte/source-mysql" in r.json()["message"]


def test_the_seeds_script_creates_a_postgres_source_by_airbyte_id(api_server, pg, tmp_path):
    s = api_server
    pg.create_database("production_db")
    pg.execute("production_db", "create table users (id int primary key, name text, updated_at timestamptz);"
                                "insert into users select g, 'user ' || g, now() from generate_series(1, 120) g")
    workspace_id = s.ok("workspaces/list")["workspaces"][0]["workspaceId"]
    # The seed's source_config, pointed at the test server (no TLS here, no CDC slot: Standard).
    source_config = {
        "host": pg.host, "port": pg.port, "database": "production_db", "username": pg.user,
        "password": pg.password, "ssl_mode": {"mode": "disable"}, "replication_method": {"method": "Standard"},
        "tunnel_method": {"tunnel_method": "NO_TUNNEL"},
    }
    # As the seed's script calls it (requests.post, json=…), against sluice's API.
    source_payload = {
        "sourceDefinitionId": PG_ID,
        "connectionConfiguration": source_config,
        "workspaceId": workspace_id,
        "name": "Production PostgreSQL",
    }
    response = requests.post(f"{s.api_url}/sources/create", json=source_payload,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    source = response.json()
    assert source["sourceDefinitionId"] == PG_ID and source["connectorName"] == "source-postgres"
    assert s.ok("sources/check_connection", {"sourceId": source["sourceId"]})["status"] == "succeeded"
    out = tmp_path / "out"
    destination = s.ok("destinations/create", {"destinationDefinitionId": LOCAL_JSON_ID, "name": "files",
                                              "connectionConfiguration": {"destination_path": str(out)}})
    assert destination["connectorName"] == "destination-local"
    connection_id = s.ok("connections/create", {"sourceId": source["sourceId"],
                                                "destinationId": destination["destinationId"]})["connectionId"]
    job = s.ok("connections/sync", {"connectionId": connection_id})["job"]
    assert wait_job(s, job["id"])["job"]["status"] == "succeeded"
    rows = read_records(out / "public" / "users")
    assert sorted(r["_airbyte_data"]["id"] for r in rows) == list(range(1, 121))


def test_the_seeds_file_source_in_airbytes_shape_over_https(api_server, https_server, web_root, tmp_path):
    s = api_server
    (web_root / "sales.csv").write_text(SALES_CSV)
    # The seed's "Dataset Name: sales_data, URL: https://…/sales.csv, Format: CSV, Provider: Storage
    # HTTPS" as Airbyte source-file's config; ca_certificate (sluice's) trusts the test server.
    config = {"dataset_name": "sales_data", "format": "csv", "url": https_server.url("sales.csv"),
              "provider": {"storage": "HTTPS", "user_agent": False, "ca_certificate": https_server.cert_pem},
              "reader_options": "{}"}
    source = s.ok("sources/create", {"sourceDefinitionId": FILE_ID, "name": "sales", "connectionConfiguration": config})
    assert s.ok("sources/check_connection", {"sourceId": source["sourceId"]})["status"] == "succeeded"
    catalog = s.ok("sources/discover_schema", {"sourceId": source["sourceId"]})["catalog"]
    assert [st["stream"]["name"] for st in catalog["streams"]] == ["sales_data"]
    out = tmp_path / "out"
    destination = s.ok("destinations/create", {"destinationDefinitionId": "airbyte/destination-local-json",
                                              "name": "sales out",
                                              "connectionConfiguration": {"destination_path": str(out)}})
    connection_id = s.ok("connections/create", {"sourceId": source["sourceId"],
                                                "destinationId": destination["destinationId"]})["connectionId"]
    job = s.ok("connections/sync", {"connectionId": connection_id})["job"]
    assert wait_job(s, job["id"])["job"]["status"] == "succeeded"
    rows = sorted((r["_airbyte_data"] for r in read_records(out / "sales_data")), key=lambda d: d["order_id"])
    assert [(r["order_id"], r["region"], r["amount"]) for r in rows] == [(1, "north", 10.5), (2, "south", 7.25),
                                                                         (3, None, 3.0)]  # "NA" is null, as pandas reads it


def test_airbyte_file_shapes_sluice_cannot_read_are_clear_config_errors(api_server, http_server, web_root):
    s = api_server
    (web_root / "sales.json").write_text(json.dumps([{"id": 1, "v": "a"}, {"id": 2, "v": "b"}], indent=2))
    # json (an array of records) over plain HTTP with the HTTPS provider, through the CLI.
    config = pathlib.Path(web_root.parent / "file.json")
    config.write_text(json.dumps({"dataset_name": "j", "format": "json", "url": http_server.url("sales.json"),
                                  "provider": {"storage": "HTTPS"}}))
    p = run("connector", "airbyte/source-file", "discover", "--config", config)
    catalog = [m for m in protocol_lines(p.stdout) if m["type"] == "CATALOG"][0]["catalog"]
    assert set(catalog["streams"][0]["json_schema"]["properties"]) == {"id", "v"}

    def check(config):
        source = s.ok("sources/create", {"sourceDefinitionId": FILE_ID, "connectionConfiguration": config})
        got = s.ok("sources/get", {"sourceId": source["sourceId"]})
        result = s.ok("sources/check_connection", {"sourceId": source["sourceId"]})
        assert result["status"] == "failed"
        return got, result["message"]

    url = http_server.url("sales.csv")
    got, message = check({"dataset_name": "x", "format": "excel", "url": url, "provider": {"storage": "HTTPS"}})
    assert message.startswith("format: 'excel' is an Airbyte source-file format that sluice cannot read"), message
    got, message = check({"dataset_name": "x", "format": "csv", "url": "/remote/sales.csv",
                          "provider": {"storage": "SFTP", "user": "me", "password": SFTP_PASSWORD, "host": "h"}})
    assert message.startswith("provider.storage: SFTP is an Airbyte source-file storage that sluice cannot read"), message
    assert got["connectionConfiguration"]["provider"]["password"] == "**********"
    _, message = check({"dataset_name": "x", "url": url, "provider": {"storage": "HTTPS"},
                        "reader_options": json.dumps({"sep": ";", "usecols": [0]})})
    assert "reader_options.usecols" in message, message
