"""S3 servers for the tests: moto_server (with SigV4 checking on) and s3rver, started on free
loopback ports in a temporary folder and stopped at the end, also on failure.

moto verifies signatures only when started with INITIAL_NO_AUTH_ACTION_COUNT=N: the first N
calls create an IAM user, its access key and a policy; every later call must be signed with
that key pair (a wrong secret gets 403 SignatureDoesNotMatch). moto 5 checks the signature
against werkzeug's re-normalized URL (%2F in a query value becomes '/', %2B in a key '+'), so
correctly signed requests with such characters fail for boto3 too (getmoto/moto#5948); the
server is started through MOTO_WRAPPER, which makes it check against the raw request URI. s3rver uses S3RVER/S3RVER and
does not verify signatures. Objects are read back with boto3 (path-style, SigV4).

Use the `s3` fixture (parametrized over both servers, one server per session) and `bucket`
(a fresh bucket per test).
"""
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("SLUICE_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
MOTO_SERVER = os.environ.get("SLUICE_MOTO_SERVER") or shutil.which("moto_server", path="/root/.pyenv/shims") \
    or shutil.which("moto_server")
S3RVER = SOURCE_DIR / "tests" / "js" / "node_modules" / ".bin" / "s3rver"
REGION = "us-east-1"

# Runs moto_server with signature checks against the request URI as sent (see the docstring).
MOTO_WRAPPER = r"""
import sys
from urllib.parse import urlparse
from moto.core import authorization, responses

_setup = responses.BaseResponse.setup_class
def setup_class(self, request, full_url, headers, *args, **kwargs):
    _setup(self, request, full_url, headers, *args, **kwargs)
    environ = getattr(request, "environ", None) or {}
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        u = urlparse(full_url)
        self._sluice_raw_uri = f"{u.scheme}://{u.netloc}{raw}"
responses.BaseResponse.setup_class = setup_class

_auth = authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action
def authenticate(self, iam_request_cls, resource="*"):
    raw = getattr(self, "_sluice_raw_uri", None)
    if not raw:
        return _auth(self, iam_request_cls, resource)
    uri, self.uri = self.uri, raw
    try:
        return _auth(self, iam_request_cls, resource)
    finally:
        self.uri = uri
authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate

from moto.server import main
sys.argv[0] = "moto_server"
sys.exit(main())
"""


def moto_python():
    """The Python interpreter moto_server runs with (from the script's #! line)."""
    real = MOTO_SERVER
    if "/shims/" in real:
        p = subprocess.run(["/root/.pyenv/bin/pyenv", "which", "moto_server"], capture_output=True, text=True)
        if p.returncode == 0 and p.stdout.strip():
            real = p.stdout.strip()
    with open(real, "rb") as fh:
        first = fh.readline().decode().strip()
    if not first.startswith("#!"):
        raise RuntimeError(f"cannot find moto's Python from {real}")
    return first[2:].split()[0]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, log, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{pathlib.Path(log).read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port} within {timeout}s:\n{pathlib.Path(log).read_text()[-3000:]}")


class S3Server:
    """A running server: `endpoint`, `access_key`, `secret_key`, `checks_signatures`."""

    def __init__(self, name, proc, endpoint, access_key, secret_key, checks_signatures, folder):
        self.name = name
        self.proc = proc
        self.endpoint = endpoint
        self.access_key = access_key
        self.secret_key = secret_key
        self.checks_signatures = checks_signatures
        self.folder = folder
        self.region = REGION

    def client(self, secret_key=None, endpoint=None):
        import boto3
        from botocore.config import Config
        return boto3.client(
            "s3", endpoint_url=endpoint or self.endpoint, region_name=REGION, aws_access_key_id=self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          retries={"max_attempts": 2}))

    def create_bucket(self, name=None):
        name = name or f"sluice-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket, prefix=""):
        """Every key under `prefix`, sorted."""
        out = []
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            out.extend(o["Key"] for o in page.get("Contents", []))
        return sorted(out)

    def get(self, bucket, key):
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()

    def multipart_uploads(self, bucket, prefix=""):
        """Uploads in progress, or None where the server cannot list them (s3rver)."""
        from botocore.exceptions import ClientError
        try:
            return self.client().list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "NotImplemented":
                return None
            raise

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_moto():
    if not MOTO_SERVER:
        raise RuntimeError("moto_server not found (pyenv shims or PATH)")
    folder = tempfile.mkdtemp(prefix="sluice-moto-")
    port = free_port()
    log = os.path.join(folder, "moto.log")
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3", MOTO_ALLOW_NONEXISTENT_REGION="true")
    with open(log, "w") as fh:
        proc = subprocess.Popen([moto_python(), "-c", MOTO_WRAPPER, "-H", "127.0.0.1", "-p", str(port)], stdout=fh,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=folder)
    server = None
    try:
        wait_for_port(port, proc, log)
        import boto3
        endpoint = f"http://127.0.0.1:{port}"
        iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="bootstrap",
                           aws_secret_access_key="bootstrap")
        # The three unauthenticated calls moto allows.
        iam.create_user(UserName="sluice")
        key = iam.create_access_key(UserName="sluice")["AccessKey"]
        iam.put_user_policy(UserName="sluice", PolicyName="all", PolicyDocument=(
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'))
        server = S3Server("moto", proc, endpoint, key["AccessKeyId"], key["SecretAccessKey"], True, folder)
        return server
    except BaseException:
        if server is None:
            S3Server("moto", proc, "", "", "", True, folder).stop()
        raise


def start_s3rver():
    if not S3RVER.exists():
        raise RuntimeError(f"{S3RVER} is missing: run `npm install` in tests/js (scripts/setup.sh does)")
    folder = tempfile.mkdtemp(prefix="sluice-s3rver-")
    port = free_port()
    log = os.path.join(folder, "s3rver.log")
    os.makedirs(os.path.join(folder, "data"))
    # s3rver makes continuation tokens with DES, which Node's OpenSSL 3 only has in its legacy provider.
    env = dict(os.environ, NODE_OPTIONS=(os.environ.get("NODE_OPTIONS", "") + " --openssl-legacy-provider").strip())
    with open(log, "w") as fh:
        proc = subprocess.Popen([str(S3RVER), "-d", os.path.join(folder, "data"), "-a", "127.0.0.1", "-p", str(port),
                                 "--no-vhost-buckets", "-s"], stdout=fh, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True, cwd=folder)
    try:
        wait_for_port(port, proc, log)
    except BaseException:
        S3Server("s3rver", proc, "", "", "", False, folder).stop()
        raise
    return S3Server("s3rver", proc, f"http://127.0.0.1:{port}", "S3RVER", "S3RVER", False, folder)


STARTERS = {"moto": start_moto, "s3rver": start_s3rver}


@pytest.fixture(scope="session", params=["moto", "s3rver"])
def s3(request):
    server = STARTERS[request.param]()
    request.addfinalizer(server.stop)
    return server


@pytest.fixture(scope="session")
def moto():
    server = start_moto()
    yield server
    server.stop()


@pytest.fixture
def bucket(s3):
    return s3.create_bucket()


# ---- Helpers for the destination/source tests ---------------------------------------------------

JS_DIR = SOURCE_DIR / "tests" / "js"


def s3_config(server, bucket, **extra):
    """A destination-s3 config for `server` (Airbyte's field names)."""
    config = {"s3_bucket_name": bucket, "s3_bucket_path": "airbyte-data/${NAMESPACE}/${STREAM_NAME}",
              "s3_bucket_region": server.region, "s3_endpoint": server.endpoint,
              "access_key_id": server.access_key, "secret_access_key": server.secret_key}
    config.update(extra)
    return config


def read_parquet(path, reader):
    """Rows of a Parquet file as dicts, read by an independent reader (hyparquet or duckdb) through
    tests/js/read_parquet.mjs; values in its canonical form. Returns (header, rows)."""
    import json
    p = subprocess.run(["node", str(JS_DIR / "read_parquet.mjs"), reader, str(path)], capture_output=True, text=True,
                       cwd=JS_DIR, timeout=120)
    assert p.returncode == 0, f"{reader} could not read {path}:\n{p.stderr[-3000:]}"
    lines = p.stdout.splitlines()
    header = json.loads(lines[0])
    names = [c["name"] for c in header["columns"]]
    return header, [dict(zip(names, json.loads(line))) for line in lines[1:]]


def timestamp_micros(text):
    """µs since the epoch of an ISO-8601 timestamp with offset ("...Z")."""
    import datetime
    dt = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (dt - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(microseconds=1)


def canonical_parquet_value(value, schema):
    """What read_parquet.mjs prints for a record value of JSON schema `schema`."""
    import json
    if value is None:
        return None
    types = schema.get("type")
    types = [t for t in types if t != "null"] if isinstance(types, list) else [types]
    t = types[0] if types else None
    if t == "integer":
        return str(value)
    if t == "number":
        return float(value)
    if t == "boolean":
        return bool(value)
    if t == "string" and schema.get("airbyte_type") == "timestamp_with_timezone":
        return str(timestamp_micros(value))
    if t in ("object", "array"):
        return json.dumps(value, separators=(",", ":"))
    return value
