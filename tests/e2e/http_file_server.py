"""Static file servers for the URL tests: Python's http.server over plain HTTP and over HTTPS with a
self-signed certificate made by openssl for 127.0.0.1 (so a client trusting only the system CAs
rejects it). Both serve one folder, `root`, on free loopback ports and stop at the end of the
session.

http.server answers GET without Range support, as many simple servers do.
"""
import functools
import http.server
import pathlib
import shutil
import ssl
import subprocess
import tempfile
import threading

import pytest


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class FileServer:
    """Serves `root` at `base` (http://127.0.0.1:PORT or https://...)."""

    def __init__(self, root, cert=None, key=None):
        handler = functools.partial(Quiet, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        scheme = "http"
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.root = pathlib.Path(root)
        self.base = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name):
        return f"{self.base}/{name}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def self_signed_certificate(folder):
    """(cert.pem, key.pem) for CN/SAN 127.0.0.1, valid for a day."""
    folder = pathlib.Path(folder)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="session")
def web_root():
    folder = pathlib.Path(tempfile.mkdtemp(prefix="sluice-web-"))
    (folder / "files").mkdir()
    yield folder / "files"
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def http_server(web_root):
    server = FileServer(web_root)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def https_server(web_root):
    cert, key = self_signed_certificate(web_root.parent)
    server = FileServer(web_root, cert, key)
    server.cert_pem = cert.read_text()
    yield server
    server.stop()
