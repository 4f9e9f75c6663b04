"""destination-s3 when the endpoint fails in the middle of an upload, on moto_server and s3rver.

A small proxy sits between sluice and the server: it forwards requests (one per connection) and
can cut UploadPart requests after the first N, or go down completely (connection refused).
Expected: retries, then a transient failure; no partial object ever looks complete; the
multipart upload is aborted when the endpoint still answers the abort; an overwrite's previous
data stays intact."""
import json
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import SLUICE, run, write_pipeline
from s3_server import bucket, s3, s3_config  # noqa: F401


class FaultProxy:
    """HTTP/1.1 proxy for one upstream; each request gets its own upstream connection."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.pass_parts = None  # None: every UploadPart passes; N: only the first N do
        self.cut_parts_of = None  # a substring of the request target: cut only those UploadParts
        self.part_uploads = 0
        self.cut = 0
        self.requests = []
        self.first_part = threading.Event()
        self.down = False
        self.lock = threading.Lock()
        self.active = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def go_down(self):
        """Refuses new connections and cuts the open ones."""
        self.down = True
        self.listener.close()
        with self.lock:
            for conn in list(self.active):
                self._reset(conn)

    def close(self):
        if not self.down:
            self.go_down()

    @staticmethod
    def _reset(conn):
        try:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
        except OSError:
            pass

    def _accept(self):
        while not self.down:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.active.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, body = data.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = [line for line in lines[1:] if not line.lower().startswith("connection:")]
            length = next((int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length:")), 0)
            while len(body) < length:
                chunk = conn.recv(1 << 20)
                if not chunk:
                    return
                body += chunk
            with self.lock:
                self.requests.append((method, target))
                is_part = method == "PUT" and "partNumber=" in target
                if is_part:
                    self.part_uploads += 1
                    cut = self.pass_parts is not None and self.part_uploads > self.pass_parts
                    cut = cut or (self.cut_parts_of is not None and self.cut_parts_of in target)
                else:
                    cut = False
                if cut:
                    self.cut += 1
            if is_part:
                self.first_part.set()
            if cut or self.down:
                self._reset(conn)
                return
            up = socket.create_connection(("127.0.0.1", self.upstream_port))
            up.sendall(("\r\n".join([lines[0], *headers, "Connection: close"]) + "\r\n\r\n").encode("latin-1") + body)
            while True:
                chunk = up.recv(1 << 20)
                if not chunk:
                    break
                conn.sendall(chunk)
            up.close()
            conn.close()
        except OSError:
            pass
        finally:
            with self.lock:
                self.active.discard(conn)


@pytest.fixture
def proxy(s3):  # noqa: F811
    p = FaultProxy(int(s3.endpoint.rsplit(":", 1)[1]))
    yield p
    p.close()


def pipeline(tmp_path, s3, bucket, endpoint, count, name="p.yaml"):  # noqa: F811
    return write_pipeline(tmp_path / name, {
        "name": "faker to s3 through a faulty link",
        "source": {"connector": "faker", "config": {"count": count, "seed": 3}},
        "destination": {"connector": "s3", "config": s3_config(
            s3, bucket, s3_endpoint=endpoint, format={"format_type": "JSONL"}, part_size_mb=5, upload_threads=2)},
        "streams": [{"name": "users", "mode": "Full Refresh | Overwrite"}],
    })


def test_failing_part_uploads_abort_the_upload_and_keep_the_old_data(tmp_path, s3, bucket, proxy):  # noqa: F811
    # A first, good run leaves data behind.
    run("sync", pipeline(tmp_path, s3, bucket, proxy.endpoint, 1000, "good.yaml"))
    old_keys = s3.keys(bucket)
    assert len(old_keys) == 1
    old_body = s3.get(bucket, old_keys[0])

    # Second run: ~13 MB, so parts of 5 MB; the link drops every part after the first.
    proxy.pass_parts = 1
    started = time.time()
    r = run("sync", pipeline(tmp_path, s3, bucket, proxy.endpoint, 16000), "--json", check=False)
    summary = json.loads(r.stdout)
    assert r.returncode == 3, r.stderr[-3000:]
    assert summary["error"]["failure_type"] == "transient_error", summary["error"]
    assert "UploadPart" in summary["error"]["message"] and "attempts" in summary["error"]["message"]
    assert "retrying" in r.stderr, "retries are logged"
    assert proxy.cut >= 5, "the part was retried with backoff"
    assert time.time() - started < 120
    assert s3.secret_key not in r.stdout + r.stderr

    # Nothing new looks complete, the upload was aborted, the old generation is untouched.
    assert s3.keys(bucket) == old_keys
    assert s3.get(bucket, old_keys[0]) == old_body
    uploads = s3.multipart_uploads(bucket)
    assert uploads in ([], None), uploads
    assert any(m == "DELETE" and "uploadId=" in t for m, t in proxy.requests), "AbortMultipartUpload was sent"


def test_endpoint_down_mid_upload_is_a_transient_failure(tmp_path, s3, bucket, proxy):  # noqa: F811
    p = subprocess.Popen([SLUICE, "sync", str(pipeline(tmp_path, s3, bucket, proxy.endpoint, 16000)), "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proxy.first_part.wait(120), "no part upload started"
        proxy.go_down()
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    summary = json.loads(out)
    assert p.returncode == 3, err[-3000:]
    assert summary["error"]["failure_type"] == "transient_error"
    assert f"cannot reach {proxy.endpoint}" in summary["error"]["message"], summary["error"]["message"]
    assert "retrying" in err
    # No partial object is visible; an unfinished multipart upload is invisible to readers.
    assert s3.keys(bucket) == []


def test_unreachable_endpoint_fails_fast_as_transient(tmp_path, s3, bucket, proxy):  # noqa: F811
    proxy.go_down()
    r = run("sync", pipeline(tmp_path, s3, bucket, proxy.endpoint, 10), "--json", check=False)
    assert r.returncode == 3, r.stderr[-2000:]
    assert json.loads(r.stdout)["error"]["failure_type"] == "transient_error"
    assert s3.keys(bucket) == []
