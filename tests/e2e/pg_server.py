"""A real PostgreSQL 15 server for the tests: started in a temporary folder on a free loopback
port, stopped at the end (also when a test fails).

    from pg_server import pg  # noqa: F401  (the session fixture)

    def test_x(pg):
        pg.create_database("src")
        pg.execute("src", "create table t (id int primary key)")
        rows = pg.query("src", "select * from t")
        config = pg.config("src")   # host/port/database/username/password for connectors
"""
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

import psycopg2
import pytest

PGBIN = pathlib.Path("/usr/lib/postgresql/15/bin")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd, **kw):
    """Runs `cmd` as the postgres user when we are root (the server refuses root)."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


class PgServer:
    PASSWORD = "sluice-secret-pw"

    def __init__(self):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="sluice-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self.data = self.dir / "data"
        pwfile = self.dir / "pw"
        pwfile.write_text(self.PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        _as_postgres([str(PGBIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=scram-sha-256",
                      f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8"])
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c wal_level=logical "
                "-c max_replication_slots=10 -c max_wal_senders=10 -c fsync=off -c full_page_writes=off "
                "-c synchronous_commit=on -c max_connections=100 -c shared_buffers=256MB")
        _as_postgres([str(PGBIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w",
                      "-o", opts, "start"])
        self.host = "127.0.0.1"
        self.user = "postgres"
        self.password = self.PASSWORD

    def stop(self):
        try:
            _as_postgres([str(PGBIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def dsn(self, database="postgres", user=None, password=None):
        return dict(host=self.host, port=self.port, dbname=database, user=user or self.user,
                    password=password if password is not None else self.password)

    def url(self, database="postgres"):
        """A postgres:// URL (as `sluice server --metadata` takes) for `database`."""
        return f"postgres://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def connect(self, database="postgres", **kw):
        conn = psycopg2.connect(**self.dsn(database, **kw))
        conn.autocommit = True
        return conn

    def create_database(self, name, drop=True):
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                if drop:
                    cur.execute(f'drop database if exists "{name}" with (force)')
                cur.execute(f'create database "{name}"')
        finally:
            conn.close()
        return name

    def execute(self, database, sql, params=None):
        conn = self.connect(database)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
        finally:
            conn.close()

    def query(self, database, sql, params=None):
        conn = self.connect(database)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()
        finally:
            conn.close()

    def config(self, database, **extra):
        """A connector config (Airbyte field names) for `database`."""
        c = {"host": self.host, "port": self.port, "database": database, "username": self.user,
             "password": self.password, "ssl_mode": {"mode": "disable"}}
        c.update(extra)
        return c

    def log_tail(self, n=50):
        log = self.dir / "server.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-n:]) if log.exists() else ""


@pytest.fixture(scope="session")
def pg():
    server = PgServer()
    try:
        yield server
    finally:
        server.stop()


if __name__ == "__main__":
    # `python3 pg_server.py serve`: starts a server, prints "DSN postgres://user:password@host:port/postgres"
    # and stops it when stdin reaches end of file (the parent closed it or died) or on SIGTERM.
    # Used by the C++ tests (tests/unit/metadata).
    import signal
    import sys

    if sys.argv[1:] != ["serve"]:
        sys.exit("usage: pg_server.py serve")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = PgServer()
    try:
        print(f"DSN postgres://{server.user}:{server.password}@{server.host}:{server.port}/postgres", flush=True)
        sys.stdin.read()
    finally:
        server.stop()
