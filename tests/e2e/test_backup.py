"""`sluice backup` / `sluice restore` of the metadata store, end to end (issue 19): a server
whose connection synced (its state saved) is backed up while it runs, restored into a fresh data
dir (SQLite) or a fresh database (PostgreSQL, pg_dump / pg_restore), and the restored server runs
the connection's next incremental sync from that state — only the rows added since are read.
The secret key: not in the backup by default (restore then needs the original key and refuses a
wrong one before writing anything), or in it with --include-secret-key.
"""
import base64
import os
import pathlib
import shutil
import subprocess
import tarfile
import time

from conftest import SLUICE, read_records, run
from pg_server import pg  # noqa: F401  (session fixture)
from sluice_server import SluiceServer, register_secret



def make_connection(server, pg, database, out_dir):
    """source-postgres `items` (incremental on `updated`, append) → destination-local JSONL."""
    ws = server.workspace_id()
    source_id = server.ok("sources/create", {
        "workspaceId": ws, "name": "shop", "sourceDefinitionId": server.definition_id("source", "source-postgres"),
        "connectionConfiguration": pg.config(database, schemas=["public"])})["sourceId"]
    destination_id = server.ok("destinations/create", {
        "workspaceId": ws, "name": "files",
        "destinationDefinitionId": server.definition_id("destination", "destination-local"),
        "connectionConfiguration": {"destination_path": str(out_dir), "format": {"format_type": "JSONL"}}})["destinationId"]
    catalog = server.ok("sources/discover_schema", {"sourceId": source_id})["catalog"]
    for entry in catalog["streams"]:
        entry["config"]["selected"] = entry["stream"]["name"] == "items"
        entry["config"].update(syncMode="incremental", destinationSyncMode="append", cursorField=["updated"])
    return server.ok("connections/create", {
        "sourceId": source_id, "destinationId": destination_id, "name": "items", "syncCatalog": catalog,
        "scheduleType": "manual", "status": "active"})["connectionId"]


def sync(server, connection_id, timeout=120):
    job_id = server.ok("connections/sync", {"connectionId": connection_id})["job"]["id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = server.ok("jobs/get", {"id": job_id})
        if info["job"]["status"] in ("succeeded", "failed", "cancelled"):
            assert info["job"]["status"] == "succeeded", (info, server.log()[-3000:])
            return info
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish:\n{server.log()[-3000:]}")


def prepare_source(pg, database, rows):
    pg.create_database(database)
    pg.execute(database, "create table items (id int primary key, updated int not null, name text)")
    add_rows(pg, database, 1, rows)


def add_rows(pg, database, first, last):
    pg.execute(database, "insert into items select i, i, 'item ' || i from generate_series(%s, %s) i", (first, last))


def ids_written(out_dir):
    return sorted(r["_airbyte_data"]["id"] for r in read_records(out_dir))


def synced_server(tmp_path, pg, database, **server_kw):
    """A started server with one connection that synced rows 1..100; rows 101..130 added since."""
    register_secret(pg.password)
    prepare_source(pg, database, 100)
    server = SluiceServer(**server_kw)
    server.start()
    connection_id = make_connection(server, pg, database, tmp_path / "out")
    sync(server, connection_id)
    assert ids_written(tmp_path / "out") == list(range(1, 101))
    state = server.ok("state/get", {"connectionId": connection_id})
    assert state["stateType"] not in (None, "not_set"), state
    add_rows(pg, database, 101, 130)
    return server, connection_id, state


def continue_after_restore(server, connection_id, state, tmp_path):
    """The restored server has the connection and its state; the next sync reads only new rows."""
    assert server.ok("connections/get", {"connectionId": connection_id})["name"] == "items"
    assert server.ok("state/get", {"connectionId": connection_id}) == state
    jobs = server.ok("jobs/list", {"configTypes": ["sync"], "configId": connection_id})["jobs"]
    assert len(jobs) == 1 and jobs[0]["job"]["status"] == "succeeded", "the job history came along"
    info = sync(server, connection_id)
    ids = ids_written(tmp_path / "out")
    assert ids[:100] == list(range(1, 101))
    new = ids[100:]
    # Only what the cursor had not passed: rows 101..130 (and at most the boundary row again,
    # as Airbyte's cursor is inclusive) — not the 130 a sync without state reads.
    assert set(range(101, 131)) <= set(new) and len(new) <= 31, new
    assert info["attempts"][-1]["attempt"]["recordsSynced"] == len(new)


def test_sqlite_store_backed_up_online_restored_into_a_fresh_data_dir(pg, tmp_path):
    server, connection_id, state = synced_server(tmp_path, pg, "backup_sqlite_src", data_dir=tmp_path / "a")
    backup = tmp_path / "store.backup"
    try:
        p = run("backup", backup, "--data-dir", tmp_path / "a")  # the server keeps running
    finally:
        assert server.stop() == 0
        server.cleanup()
    assert "1 connections (1 with saved state)" in p.stdout, p.stdout
    # The key is not in the backup; the warning says where it is.
    assert "secret key is NOT in this backup" in p.stderr and str(tmp_path / "a" / "secret.key") in p.stderr, p.stderr
    with tarfile.open(backup) as tar:
        assert sorted(tar.getnames()) == ["manifest.json", "metadata.sqlite3"]
    assert (backup.stat().st_mode & 0o077) == 0, "the backup is private to its owner"
    assert pg.password.encode() not in backup.read_bytes(), "connector secrets stay encrypted in the backup"

    fresh = tmp_path / "b"
    # No key at the target: refused, nothing written.
    p = run("restore", backup, "--data-dir", fresh, check=False)
    assert p.returncode == 2 and "does not include the secret key" in p.stderr, p.stderr
    assert not (fresh / "sluice.db").exists()
    # The wrong key: refused by the key check, nothing written.
    wrong = base64.b64encode(os.urandom(32)).decode()
    p = run("restore", backup, "--data-dir", fresh, check=False, env={"SLUICE_SECRET_KEY": wrong})
    assert p.returncode == 2 and "is not the key this backup was made with" in p.stderr, p.stderr
    assert not (fresh / "sluice.db").exists()
    # The original key: restored.
    fresh.mkdir(exist_ok=True)
    shutil.copy2(tmp_path / "a" / "secret.key", fresh / "secret.key")
    p = run("restore", backup, "--data-dir", fresh)
    assert "1 connections (1 with saved state), 1 jobs" in p.stdout and "secret key checked" in p.stdout, p.stdout
    # A second restore over it needs --force.
    p = run("restore", backup, "--data-dir", fresh, check=False)
    assert p.returncode == 2 and "--force" in p.stderr, p.stderr

    restored = SluiceServer(data_dir=fresh)
    try:
        restored.start()
        continue_after_restore(restored, connection_id, state, tmp_path)
    finally:
        restored.cleanup()


def test_postgres_store_with_its_key_restored_into_a_fresh_database(pg, tmp_path):
    pg.create_database("backup_meta_a")
    pg.create_database("backup_meta_b")
    server, connection_id, state = synced_server(tmp_path, pg, "backup_pg_src", data_dir=tmp_path / "a",
                                                 metadata=pg.url("backup_meta_a"))
    backup = tmp_path / "store.backup"
    try:
        p = run("backup", backup, "--data-dir", tmp_path / "a", "--include-secret-key",
                env={"SLUICE_METADATA_URL": pg.url("backup_meta_a")})  # the URL from the environment
    finally:
        assert server.stop() == 0
        server.cleanup()
    assert "backed up postgres" in p.stdout and "includes the secret key" in p.stderr, (p.stdout, p.stderr)
    assert pg.password not in p.stdout + p.stderr
    with tarfile.open(backup) as tar:
        assert sorted(tar.getnames()) == ["manifest.json", "metadata.pgdump", "secret.key"]
        dump = tar.extractfile("metadata.pgdump").read()
    assert dump.startswith(b"PGDMP"), "pg_dump's custom format"

    fresh = tmp_path / "b"
    # A SQLite target for a PostgreSQL backup is refused with what to do.
    p = run("restore", backup, "--data-dir", fresh, check=False)
    assert p.returncode == 2 and "--metadata postgres://" in p.stderr, p.stderr
    p = run("restore", backup, "--data-dir", fresh, "--metadata", pg.url("backup_meta_b"))
    assert "wrote the backup's secret key to" in p.stdout and "1 connections (1 with saved state)" in p.stdout, p.stdout
    assert (fresh / "secret.key").read_text() == (tmp_path / "a" / "secret.key").read_text()
    assert ((fresh / "secret.key").stat().st_mode & 0o777) == 0o600
    # Again over the restored store: --force replaces it (pg_restore --clean).
    p = run("restore", backup, "--data-dir", fresh, "--metadata", pg.url("backup_meta_b"), check=False)
    assert p.returncode == 2 and "already holds sluice metadata" in p.stderr, p.stderr
    run("restore", backup, "--data-dir", fresh, "--metadata", pg.url("backup_meta_b"), "--force")

    restored = SluiceServer(data_dir=fresh, metadata=pg.url("backup_meta_b"))
    try:
        restored.start()
        continue_after_restore(restored, connection_id, state, tmp_path)
    finally:
        restored.cleanup()


def test_a_file_that_is_not_a_backup_is_a_config_error(tmp_path):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a tar archive" * 100)
    p = run("restore", junk, "--data-dir", tmp_path / "d", check=False)
    assert p.returncode == 2 and "is not a sluice backup" in p.stderr, p.stderr
    p = run("backup", tmp_path / "x.backup", "--data-dir", tmp_path / "nothing", check=False)
    assert p.returncode == 2 and "no metadata store" in p.stderr, p.stderr
    assert not (tmp_path / "x.backup").exists()
