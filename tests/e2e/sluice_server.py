"""A real `sluice server` for the tests: started on free loopback ports with a temporary
--data-dir (or a given one, to test restarts) and optional --metadata URL, ready once
GET /api/v1/health answers, stopped with SIGTERM at the end (also when a test fails).

    from sluice_server import SluiceServer, sluice_server, server  # noqa: F401 (fixture)

    def test_x(server):                       # function-scoped fixture, --no-auth
        r = server.post("sources/list", {})    # -> requests.Response
        assert r.status_code == 200

    with sluice_server(no_auth=False) as s:   # context manager, any options
        s.post("auth/login", {"email": ..., "password": ...})

Secrets: a test registers each secret value it gives the server (`register_secret`); every
answer a SluiceServer's session receives, its log, and the files of its data dir are scanned for
all registered values when it stops — a secret in an API answer, a log or the store in clear
fails the test that leaked it.

`server.api_url` is the --api-port base (http://127.0.0.1:<port>/api/v1, Airbyte's 8001);
`server.url` the --port one. `server.session` is a requests.Session (keeps the login cookie).
"""
import contextlib
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests

SOURCE_DIR = pathlib.Path(os.environ.get("SLUICE_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
SLUICE = os.environ.get("SLUICE_BIN", str(SOURCE_DIR / "build" / "sluice"))


SECRETS = set()  # values that must never appear in an answer, a log or the store (tests add theirs)


def register_secret(value):
    """Adds a secret value to the suite-wide scan; returns it."""
    SECRETS.add(value)
    return value


class ApiSession(requests.Session):
    """A requests.Session that behaves like the web UI on a session cookie: every request also
    carries the session's CSRF token (the `sluice_csrf` cookie) in the X-Sluice-CSRF header,
    unless the caller sets that header (or `csrf=False` to leave it out, as a foreign page would)."""

    def request(self, method, url, *args, csrf=True, **kwargs):
        token = self.cookies.get("sluice_csrf")
        if csrf and token:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-Sluice-CSRF", token)
            kwargs["headers"] = headers
        return super().request(method, url, *args, **kwargs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SluiceServer:
    def __init__(self, data_dir=None, metadata=None, no_auth=True, workers=2, host="127.0.0.1",
                 extra_args=(), env=None):
        self._tmp = pathlib.Path(tempfile.mkdtemp(prefix="sluice-server-"))
        self.data_dir = pathlib.Path(data_dir) if data_dir else self._tmp / "data"
        self.metadata = metadata
        self.no_auth = no_auth
        self.workers = workers
        self.host = host
        self.extra_args = list(extra_args)
        self.env = dict(env or {})
        self.log_path = self._tmp / "server.log"
        self.proc = None
        self.port = None
        self.api_port = None
        self.answers = []  # every answer body the session received, for the secret scan
        self.session = self._new_session()

    # --- lifecycle ---
    def command(self):
        cmd = [SLUICE, "server", "--data-dir", str(self.data_dir), "--host", self.host,
               "--port", str(self.port), "--api-port", str(self.api_port), "--workers", str(self.workers)]
        if self.metadata:
            cmd += ["--metadata", self.metadata]
        if self.no_auth:
            cmd.append("--no-auth")
        return cmd + self.extra_args

    def start(self, timeout=30, same_ports=False):
        """Starts the server (new free ports each time, or the previous ones with `same_ports`, as
        clients of a restarted server expect) and waits until it is healthy."""
        assert self.proc is None, "already running"
        if not (same_ports and self.port):
            self.port, self.api_port = free_port(), free_port()
            while self.api_port == self.port:
                self.api_port = free_port()
        env = dict(os.environ)
        env.update(self.env)
        log = open(self.log_path, "a")
        shown = re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", " ".join(self.command()))  # no password in the log
        log.write(f"\n=== {shown}\n")
        log.flush()
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=env,
                                     stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.proc = None
                raise AssertionError(f"sluice server exited with {code} before it was healthy:\n{self.log()[-4000:]}")
            try:
                r = requests.get(f"{self.url}/health", timeout=1)
                if r.status_code == 200 and r.json().get("available") is True:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.02)
        self.stop()
        raise AssertionError(f"sluice server not healthy within {timeout} s:\n{self.log()[-4000:]}")

    def stop(self, timeout=30, sig=signal.SIGTERM):
        """`sig` (SIGTERM), then SIGKILL after `timeout` s. Returns the exit code (None if not running).
        With sig=SIGKILL the server dies at once: its attempt processes follow it (PR_SET_PDEATHSIG)."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def restart(self, sig=signal.SIGTERM, same_ports=False):
        self.stop(sig=sig)
        self.session = self._new_session()
        return self.start(same_ports=same_ports)

    def cleanup(self):
        self.stop()
        try:
            self.scan_for_secrets()
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def _new_session(self):
        session = ApiSession()
        session.hooks["response"].append(self._record)
        return session

    def _record(self, response, *args, **kwargs):
        if not response.headers.get("Content-Type", "").startswith("text/event-stream"):
            self.answers.append(response.content)

    def scan_for_secrets(self):
        """Fails when a registered secret is in an answer, the server log or a data-dir file."""
        places = [(f"answer {i}", body) for i, body in enumerate(self.answers)]
        if self.log_path.exists():
            places.append(("the server log", self.log_path.read_bytes()))
        if self.data_dir.exists():
            places += [(str(p), p.read_bytes()) for p in self.data_dir.rglob("*") if p.is_file()]
        for secret in SECRETS:
            for where, data in places:
                assert secret.encode() not in data, f"a secret value is in {where}"

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # --- requests ---
    @property
    def url(self):
        return f"http://{self.host}:{self.port}/api/v1"

    @property
    def api_url(self):
        return f"http://{self.host}:{self.api_port}/api/v1"

    @property
    def base(self):
        return f"http://{self.host}:{self.port}"

    def post(self, path, body=None, session=None, **kw):
        """POST /api/v1/<path> with a JSON body; returns the requests.Response."""
        kw.setdefault("timeout", 60)
        return (session or self.session).post(f"{self.url}/{path}", json=body if body is not None else {}, **kw)

    def ok(self, path, body=None, session=None, **kw):
        """post() that must answer 200; returns the parsed JSON."""
        r = self.post(path, body, session=session, **kw)
        assert r.status_code == 200, f"{path}: {r.status_code} {r.text[:2000]}"
        return r.json()

    def definition_id(self, kind, name):
        """The id of the `kind` ("source" or "destination") definition whose connectorName is `name`."""
        for d in self.ok(f"{kind}_definitions/list")[f"{kind}Definitions"]:
            if d["connectorName"] == name:
                return d[f"{kind}DefinitionId"]
        raise AssertionError(f"no {kind} definition {name}")

    def workspace_id(self):
        """The first workspace's id (a fresh server has just the default one)."""
        return self.ok("workspaces/list")["workspaces"][0]["workspaceId"]


@contextlib.contextmanager
def sluice_server(**kwargs):
    """A started SluiceServer for the with-block; stopped and its temp folder removed after."""
    s = SluiceServer(**kwargs)
    try:
        s.start()
        yield s
    finally:
        s.cleanup()


@contextlib.contextmanager
def external_workers(server, metadata, count, log_dir, lease_seconds=3):
    """`count` `sluice worker` processes sharing `server`'s metadata store (logs in log_dir/workerN.log),
    stopped with SIGTERM (then SIGKILL after 30 s) when the with-block ends. Yields the Popen list."""
    workers = [subprocess.Popen([SLUICE, "worker", "--metadata", metadata, "--data-dir", str(server.data_dir),
                                 "--lease-seconds", str(lease_seconds), "--retry-backoff-seconds", "1"],
                                stdout=open(pathlib.Path(log_dir) / f"worker{i}.log", "w"), stderr=subprocess.STDOUT)
               for i in range(count)]
    try:
        yield workers
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(30)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()


@pytest.fixture
def server():
    """A fresh `sluice server --no-auth` for one test."""
    with sluice_server() as s:
        yield s


@pytest.fixture(scope="module")
def module_server():
    """One `sluice server --no-auth` shared by the tests of a module."""
    with sluice_server() as s:
        yield s
