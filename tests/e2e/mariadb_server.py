"""A real MariaDB 10.11 server for the tests, with a ROW binlog (for source-mysql and its CDC):
started in a temporary folder on a free loopback port, stopped at the end (also when a test fails).

    from mariadb_server import mariadb  # noqa: F401  (the session fixture)

    def test_x(mariadb):
        mariadb.create_database("src")
        mariadb.execute("src", "create table t (id int primary key)")
        rows = mariadb.query("src", "select * from t")
        config = mariadb.config("src")   # source-mysql's config (Airbyte field names)

The server runs as the `mysql` user when the tests run as root (mariadbd refuses root), with its
socket in the temporary folder, and no system service is involved. Statements go through the
`mariadb` command-line client (no Python driver is needed), in batch mode with tab-separated output.
"""
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
CLIENT = shutil.which("mariadb") or "/usr/bin/mariadb"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unescape(cell):
    """`mariadb --batch` escapes \\n, \\t, \\\\ and \\0 in cells and prints NULL as NULL."""
    if cell == "NULL":
        return None
    out, i = [], 0
    while i < len(cell):
        c = cell[i]
        if c == "\\" and i + 1 < len(cell):
            n = cell[i + 1]
            out.append({"n": "\n", "t": "\t", "\\": "\\", "0": "\0"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class MariaDbServer:
    PASSWORD = "sluice-secret-pw"
    USER = "sluice"

    def __init__(self, server_id=1, extra_args=()):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="sluice-mariadb-"))
        self.as_root = os.geteuid() == 0
        if self.as_root:
            os.chmod(self.dir, 0o755)
            shutil.chown(self.dir, "mysql", "mysql")
        self.port = free_port()
        self.data = self.dir / "data"
        self.socket = self.dir / "mysqld.sock"
        self.tmp = self.dir / "tmp"
        self.tmp.mkdir()
        if self.as_root:
            shutil.chown(self.tmp, "mysql", "mysql")
        user = ["--user=mysql"] if self.as_root else []
        subprocess.run([INSTALL_DB, "--no-defaults", *user, f"--datadir={self.data}",
                        "--auth-root-authentication-method=normal", "--skip-test-db"],
                       check=True, capture_output=True, text=True)
        self.proc = subprocess.Popen(
            [MARIADBD, "--no-defaults", *user, f"--datadir={self.data}", f"--socket={self.socket}",
             f"--port={self.port}", "--bind-address=127.0.0.1", f"--pid-file={self.dir / 'mysqld.pid'}",
             # Its own temp dir: internal temporary tables (information_schema reads) live there, and
             # a shared /tmp is cleaned by other tests and by CI machines under the server's feet.
             f"--tmpdir={self.tmp}",
             f"--log-error={self.dir / 'error.log'}", f"--server-id={server_id}", f"--log-bin={self.dir / 'binlog'}",
             "--binlog-format=ROW", "--binlog-row-image=FULL", "--innodb-buffer-pool-size=128M",
             "--skip-name-resolve", "--innodb-flush-log-at-trx-commit=2", "--sync-binlog=0",
             "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci", *extra_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while True:
            r = subprocess.run(["mariadb-admin", "--no-defaults", "-uroot", f"--socket={self.socket}", "ping"],
                               capture_output=True, text=True)
            if r.returncode == 0:
                break
            if self.proc.poll() is not None or time.time() > deadline:
                log = self.log_tail()
                self.stop()
                raise RuntimeError(f"mariadbd did not start:\n{log}")
            time.sleep(0.2)
        self.host = "127.0.0.1"
        # A password user reachable over TCP, with what source-mysql's CDC needs.
        self.root(f"CREATE USER '{self.USER}'@'%' IDENTIFIED BY '{self.PASSWORD}';"
                  f"GRANT ALL PRIVILEGES ON *.* TO '{self.USER}'@'%';")
        self.user = self.USER
        self.password = self.PASSWORD

    def stop(self):
        try:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def _client(self, sql, database=None, user=None, password=None):
        args = [CLIENT, "--no-defaults", "--batch", "--raw", "--skip-column-names", "--default-character-set=utf8mb4"]
        if user is None:
            args += ["-uroot", f"--socket={self.socket}"]
        else:
            args += [f"-u{user}", f"-p{password}", "-h127.0.0.1", f"-P{self.port}", "--protocol=TCP"]
        if database:
            args.append(database)
        r = subprocess.run(args, input=sql, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"mariadb: {r.stderr.strip()}\nSQL: {sql[:500]}")
        return r.stdout

    def root(self, sql):
        return self._client(sql)

    def create_database(self, name, drop=True):
        if drop:
            self.root(f"DROP DATABASE IF EXISTS `{name}`")
        self.root(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        return name

    def execute(self, database, sql):
        self._client(sql, database)

    def query(self, database, sql):
        """Rows as tuples of strings (None for NULL), as `mariadb --batch --raw` prints them."""
        out = self._client(sql, database)
        return [tuple(_unescape(c) for c in line.split("\t")) for line in out.splitlines()]

    def config(self, database, **extra):
        """A source-mysql config (Airbyte field names) for `database`."""
        c = {"host": self.host, "port": self.port, "database": database, "username": self.user,
             "password": self.password, "ssl_mode": {"mode": "preferred"},
             "replication_method": {"method": "STANDARD"}}
        c.update(extra)
        return c

    def binlog_position(self):
        row = self.root("SHOW MASTER STATUS").split("\t")
        return row[0], int(row[1])

    def log_tail(self, n=50):
        log = self.dir / "error.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-n:]) if log.exists() else ""


@pytest.fixture(scope="session")
def mariadb():
    server = MariaDbServer()
    try:
        yield server
    finally:
        server.stop()
