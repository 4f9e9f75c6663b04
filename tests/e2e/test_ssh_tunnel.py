"""SSH tunnels (Airbyte's tunnel_method) through a real OpenSSH server started by the test
(ssh_server.py): PostgreSQL → PostgreSQL check, discover and sync with both connectors tunnelled,
every key format a user may paste, and the clear errors for a refused key, a wrong host, a closed
database port and a server that takes no passwords — none of which may print the key.

sshd runs with DEBUG1 logging, which records each direct-tcpip channel: the tests count them to
prove the connections went through the tunnel. SSH_PASSWORD_AUTH runs against a second sshd that
checks a test password without touching the machine's accounts (ssh_server.py says how).
"""
import json

import pytest

from conftest import read_records, run, write_pipeline
from mariadb_server import mariadb  # noqa: F401  (session fixture)
from pg_server import pg  # noqa: F401  (session fixture)
from ssh_server import SshServer, ssh  # noqa: F401  (session fixture)
from sluice_server import register_secret, sluice_server

DB = "ssh_src"


@pytest.fixture(scope="module")
def source_db(pg):
    pg.create_database(DB)
    pg.execute(DB, "create table public.items (id int primary key, name text, price numeric(8,2), "
                   "updated_at timestamptz not null default now())")
    pg.execute(DB, "insert into public.items (id, name, price) "
                   "select g, 'item ' || g || repeat('x', g % 200), g * 1.5 from generate_series(1, 20000) g")
    pg.execute(DB, "create table public.tags (id int primary key, tag text)")
    pg.execute(DB, "insert into public.tags values (1, 'a'), (2, 'b'), (3, null)")
    return DB


@pytest.fixture(scope="module")
def key(ssh):
    return register_secret(ssh.client_key("ed25519"))


def tunnelled(pg, ssh, key, db, **tunnel):
    # The database as the SSH server sees it: the same loopback address here.
    return pg.config(db, tunnel_method=ssh.tunnel_method(key, **tunnel))


def write_config(tmp_path, config, name="config.json"):
    path = tmp_path / name
    path.write_text(json.dumps(config))
    return path


def check(tmp_path, connector, config):
    p = run("connector", connector, "check", "--config", write_config(tmp_path, config), check=False)
    status = [json.loads(line) for line in p.stdout.splitlines() if '"CONNECTION_STATUS"' in line]
    assert status, p.stdout + p.stderr
    return status[-1]["connectionStatus"], p.stdout + p.stderr


def test_spec_shows_tunnel_method_with_secrets_marked():
    for connector in ("source-postgres", "destination-postgres", "source-mysql"):
        spec = json.loads(run("connector", connector, "spec").stdout)["spec"]["connectionSpecification"]
        branches = {b["properties"]["tunnel_method"]["const"]: b for b in spec["properties"]["tunnel_method"]["oneOf"]}
        assert set(branches) == {"NO_TUNNEL", "SSH_KEY_AUTH", "SSH_PASSWORD_AUTH"}, connector
        assert branches["SSH_KEY_AUTH"]["properties"]["ssh_key"]["airbyte_secret"] is True
        assert branches["SSH_PASSWORD_AUTH"]["properties"]["tunnel_user_password"]["airbyte_secret"] is True
        assert "tunnel_port" in branches["SSH_KEY_AUTH"]["required"]


def test_check_discover_and_sync_through_the_tunnel(tmp_path, pg, ssh, key, source_db):
    before = ssh.forwards_to(pg.port)
    status, out = check(tmp_path, "source-postgres", tunnelled(pg, ssh, key, source_db))
    assert status["status"] == "SUCCEEDED", out
    assert ssh.host_key_fingerprint in out  # the host key is logged, not verified
    assert key not in out

    p = run("connector", "source-postgres", "discover", "--config",
            write_config(tmp_path, tunnelled(pg, ssh, key, source_db)))
    catalog = [json.loads(line) for line in p.stdout.splitlines() if '"CATALOG"' in line][0]["catalog"]
    assert sorted(s["name"] for s in catalog["streams"]) == ["items", "tags"]

    status, out = check(tmp_path, "destination-postgres", tunnelled(pg, ssh, key, source_db, tunnel_port=ssh.port))
    assert status["status"] == "SUCCEEDED", out

    # Both ends tunnelled; the source reads on 3 connections, the destination writes on several.
    pipeline = write_pipeline(tmp_path / "p.yaml", {
        "name": "pg through ssh",
        "source": {"connector": "postgres",
                   "config": tunnelled(pg, ssh, key, source_db, tunnel_port=ssh.port) | {"max_parallel_streams": 3}},
        "destination": {"connector": "postgres", "config": tunnelled(pg, ssh, key, source_db)},
        "namespace": {"definition": "custom", "format": "via_ssh"},
        "streams": [{"name": "items", "mode": "Full Refresh | Overwrite"},
                    {"name": "tags", "mode": "Incremental | Append + Deduped", "cursor_field": "id",
                     "primary_key": "id"}],
    })
    before_sync = ssh.forwards_to(pg.port)
    p = run("sync", pipeline)
    assert key not in p.stdout + p.stderr
    for table, columns in (("items", "id, name, price, updated_at"), ("tags", "id, tag")):
        diff = pg.query(source_db, f"(select {columns} from public.{table} except all "
                                   f"select {columns} from via_ssh.{table}) union all "
                                   f"(select {columns} from via_ssh.{table} except all "
                                   f"select {columns} from public.{table})")
        assert diff == [], (table, diff[:3])
    assert pg.query(source_db, "select count(*) from via_ssh.items")[0][0] == 20000
    # The connections went through sshd (forwarded client connections, not just trial channels):
    # check ×2 and discover one each at least, the sync's readers and writers at least two.
    assert before_sync - before >= 3, ssh.log_text()[-3000:]
    assert ssh.forwards_to(pg.port) - before_sync >= 2, ssh.log_text()[-3000:]


@pytest.mark.parametrize("kind,pem", [("rsa", False), ("rsa", True), ("ecdsa", False)],
                         ids=["rsa-openssh", "rsa-pem", "ecdsa-openssh"])
def test_key_formats(tmp_path, pg, ssh, source_db, kind, pem):
    # RSA: Debian's libssh2 1.10 signs with ssh-rsa (SHA-1), which this OpenSSH (9.2) refuses;
    # sluice signs rsa-sha2-256 itself, so the keys Airbyte's docs make (-t rsa -m PEM) work.
    key = register_secret(ssh.client_key(kind, pem=pem))
    status, out = check(tmp_path, "source-postgres", tunnelled(pg, ssh, key, source_db))
    assert status["status"] == "SUCCEEDED", out
    assert key not in out


def test_refused_key_is_a_config_error_naming_the_key(tmp_path, pg, ssh, source_db):
    stranger = register_secret(ssh.client_key("ed25519", authorize=False))
    status, out = check(tmp_path, "source-postgres", tunnelled(pg, ssh, stranger, source_db))
    assert status["status"] == "FAILED"
    assert "tunnel_method.tunnel_user / tunnel_method.ssh_key" in status["message"], status
    assert "refused the key" in status["message"]
    assert stranger not in out
    # A key that is not a key at all fails before any connection.
    status, out = check(tmp_path, "destination-postgres",
                        tunnelled(pg, ssh, "not a key, but Very-Secret-Text", source_db))
    assert status["status"] == "FAILED"
    assert "tunnel_method.ssh_key" in status["message"]
    assert "Very-Secret-Text" not in out


def test_wrong_host_port_and_closed_database_port(tmp_path, pg, ssh, key, source_db):
    status, _ = check(tmp_path, "source-postgres",
                      tunnelled(pg, ssh, key, source_db, tunnel_host="bastion.sluice-test.invalid"))
    assert status["status"] == "FAILED"
    assert status["message"].startswith("tunnel_method.tunnel_host: SSH tunnel: cannot resolve"), status

    closed = pg.port + 1 if pg.port + 1 != ssh.port else pg.port + 2
    status, _ = check(tmp_path, "source-postgres", tunnelled(pg, ssh, key, source_db, tunnel_port=closed))
    assert status["status"] == "FAILED"
    assert "tunnel_method.tunnel_host / tunnel_method.tunnel_port" in status["message"], status

    config = tunnelled(pg, ssh, key, source_db)
    config["port"] = closed  # nothing listens there, as the SSH server sees it
    status, _ = check(tmp_path, "source-postgres", config)
    assert status["status"] == "FAILED"
    assert "cannot open a connection to 127.0.0.1:" in status["message"], status
    assert status["message"].startswith("host / port"), status


def test_password_auth_refused_by_a_key_only_server(tmp_path, pg, ssh, source_db):
    password = register_secret("ssh-Pass-Word-9913")
    config = pg.config(source_db, tunnel_method={
        "tunnel_method": "SSH_PASSWORD_AUTH", "tunnel_host": ssh.host, "tunnel_port": ssh.port,
        "tunnel_user": ssh.user, "tunnel_user_password": password})
    status, out = check(tmp_path, "source-postgres", config)
    assert status["status"] == "FAILED"
    assert "tunnel_method.tunnel_user_password" in status["message"], status
    assert "does not accept password authentication" in status["message"]
    assert password not in out


def test_mysql_source_through_the_tunnel(tmp_path, mariadb, ssh, key):
    mariadb.create_database("ssh_my")
    mariadb.execute("ssh_my", "create table t (id int primary key, v varchar(20))")
    mariadb.execute("ssh_my", "insert into t values (1, 'one'), (2, 'two'), (3, null)")
    config = mariadb.config("ssh_my", tunnel_method=ssh.tunnel_method(key))
    before = ssh.forwards_to(mariadb.port)
    status, out = check(tmp_path, "source-mysql", config)
    assert status["status"] == "SUCCEEDED", out
    pipeline = write_pipeline(tmp_path / "my.yaml", {
        "name": "mysql through ssh",
        "source": {"connector": "mysql", "config": config},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": "t", "mode": "Full Refresh | Overwrite"}],
    })
    run("sync", pipeline)
    rows = sorted((r["_airbyte_data"]["id"], r["_airbyte_data"].get("v")) for r in read_records(tmp_path / "out"))
    assert rows == [(1, "one"), (2, "two"), (3, None)]
    assert ssh.forwards_to(mariadb.port) - before >= 2, ssh.log_text()[-2000:]
    bad = dict(config, port=1)
    status, _ = check(tmp_path, "source-mysql", bad)
    assert status["status"] == "FAILED"
    assert status["message"].startswith("host / port (as the SSH server sees them): SSH tunnel:"), status


@pytest.fixture(scope="module")
def password_ssh():
    server = SshServer(password=register_secret("tunnel-Pass-Word-5520"))
    try:
        yield server
    finally:
        server.stop()


def test_password_auth(tmp_path, pg, password_ssh, source_db):
    def config(password):
        return pg.config(source_db, tunnel_method={
            "tunnel_method": "SSH_PASSWORD_AUTH", "tunnel_host": password_ssh.host, "tunnel_port": password_ssh.port,
            "tunnel_user": password_ssh.user, "tunnel_user_password": password, "ssh_key": ""})

    before = password_ssh.forwards_to(pg.port)
    status, out = check(tmp_path, "source-postgres", config(password_ssh.password))
    assert status["status"] == "SUCCEEDED", out
    assert password_ssh.forwards_to(pg.port) > before
    assert password_ssh.password not in out

    wrong = register_secret("not-the-Pass-Word-0071")
    status, out = check(tmp_path, "destination-postgres", config(wrong))
    assert status["status"] == "FAILED"
    assert status["message"].startswith("tunnel_method.tunnel_user / tunnel_method.tunnel_user_password:"), status
    assert "refused the password" in status["message"]
    assert wrong not in out and password_ssh.password not in out


def test_config_api_check_connection_through_the_tunnel(pg, ssh, key, source_db):
    with sluice_server() as s:
        workspace = s.ok("workspaces/list")["workspaces"][0]["workspaceId"]
        definitions = s.ok("source_definitions/list")["sourceDefinitions"]
        pg_def = next(d for d in definitions if d["name"] in ("Postgres", "source-postgres"))
        created = s.ok("sources/create", {"workspaceId": workspace, "name": "pg via ssh",
                                          "sourceDefinitionId": pg_def["sourceDefinitionId"],
                                          "connectionConfiguration": tunnelled(pg, ssh, key, source_db)})
        assert created["connectionConfiguration"]["tunnel_method"]["ssh_key"] != key
        result = s.ok("sources/check_connection", {"sourceId": created["sourceId"]})
        assert result["status"] == "succeeded", result
        # the stored key is used (the answer masked it): a bad one fails with the field named
        bad = tunnelled(pg, ssh, key, source_db, tunnel_user="nobody-here")
        bad_source = s.ok("sources/create", {"workspaceId": workspace, "name": "pg via ssh, wrong user",
                                             "sourceDefinitionId": pg_def["sourceDefinitionId"],
                                             "connectionConfiguration": bad})
        result = s.ok("sources/check_connection", {"sourceId": bad_source["sourceId"]})
        assert result["status"] == "failed"
        assert "tunnel_method.tunnel_user" in result["message"], result
