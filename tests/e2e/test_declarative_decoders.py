"""source-declarative-manifest with responses that are not JSON (decoders.h): a local server
answers CSV pages in cp1252, gzipped JSON lines paged by the Link header, an XML feed behind an
XML session login paged by an attribute of the feed, and a zip of CSV exports; the manifest
(fixtures/manifests/decoders.yaml) is written in the shape of public low-code manifests. Syncs go
to destination-local; a malformed body fails the sync with the stream and the URL named."""
import gzip
import io
import pathlib
import threading
import urllib.parse
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from conftest import record_data, sync_json, write_pipeline

MANIFEST = pathlib.Path(__file__).parent / "fixtures" / "manifests" / "decoders.yaml"
API_KEY = "dec-key-7f3a"
PASSWORD = "hunter2-pw"
TOKEN = "sess-91c4"

# reports: 7 rows over pages of 3 — a quoted ';', a line break inside quotes, '€' (0x80 in
# cp1252), an empty cell ("" stays ""), "N/A" (null), a short row (missing cell: null).
REPORT_ROWS = [
    ["r1", "north", "plain", "10"],
    ["r2", "south", '"semi;colon"', "N/A"],
    ["r3", "east", '"two\r\nlines"', "30"],
    ["r4", "west", "cost \u20ac5", ""],
    ["r5", "north", '"say ""hi"""', "50"],
    ["r6", "south", "short"],
    ["r7", "east", "last", "70"],
]
EVENTS = [{"event": {"id": i, "kind": "click" if i % 2 else "view", "at": f"2024-01-{i:02d}"}} for i in range(1, 8)]


def report_page(page):
    rows = REPORT_ROWS[(page - 1) * 3:page * 3]
    text = "id;region;note;amount\r\n" + "".join(";".join(r) + "\r\n" for r in rows)
    return text.encode("cp1252")


def feed_page(after):
    entries = {
        "": ('<entry id="e1" lang="en"><title>First</title><tags><tag>a</tag><tag>b</tag></tags>'
             '<author><name>Ann</name><email type="work">ann@example.com</email></author></entry>'
             '<entry id="e2"><title><![CDATA[Second & <more>]]></title><tags><tag>c</tag></tags></entry>'
             '<next cursor="c2"/>'),
        "c2": '<entry id="e3" lang="fr"><title>Troisi\u00e8me</title><tags/></entry>',
    }[after]
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns:x="urn:x" updated="2024-02-01">{entries}</feed>'.encode()


def export_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("2024-01.csv", "sku,qty\nA-1,3\n\"B,2\",4\n")
        z.writestr("2024-02.csv", "sku,qty\nC-3,5\n")
    return buf.getvalue()


class DecodersApi:
    def __init__(self):
        self.requests = []
        self.broken_xml = False
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, body, content_type, headers=()):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                api.requests.append({"method": "POST", "path": self.path, "form": form})
                if self.path == "/login" and form.get("password") == [PASSWORD]:
                    return self.answer(200, f"<session><user>u</user><token>{TOKEN}</token></session>".encode(),
                                       "application/xml")
                return self.answer(401, b"<error>bad login</error>", "application/xml")

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
                api.requests.append({"method": "GET", "path": url.path, "query": q, "headers": dict(self.headers)})
                if url.path == "/feed.xml":
                    if self.headers.get("X-Session") != TOKEN:
                        return self.answer(401, b"<error>no session</error>", "application/xml")
                    if api.broken_xml:
                        return self.answer(200, b"<feed><entry id='e1'><title>First</entry></feed>", "application/xml")
                    return self.answer(200, feed_page(q.get("after", "")), "application/xml")
                if q.get("key") != API_KEY:
                    return self.answer(401, b"bad key", "text/plain")
                if url.path == "/reports.csv":
                    return self.answer(200, report_page(int(q.get("page", "1"))), "text/csv; charset=windows-1252")
                if url.path == "/events":
                    # Three lines a page; the next page's URL in the Link header (RFC 8288).
                    page = int(q.get("page", "1"))
                    lines = EVENTS[(page - 1) * 3:page * 3]
                    body = gzip.compress("".join(__import__("json").dumps(e) + "\n" for e in lines).encode())
                    headers = []
                    if page * 3 < len(EVENTS):
                        nxt = f"http://127.0.0.1:{api.port}/events?key={API_KEY}&page={page + 1}"
                        headers.append(("Link", f'<{nxt}>; rel="next"'))
                    return self.answer(200, body, "application/gzip", headers)
                if url.path == "/export.zip":
                    return self.answer(200, export_zip(), "application/zip")
                return self.answer(404, b"not found", "text/plain")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def dapi():
    a = DecodersApi()
    yield a
    a.close()


def pipeline(tmp_path, dapi, streams):
    config = {"base_url": dapi.base, "api_key": API_KEY, "username": "u", "password": PASSWORD}
    return write_pipeline(tmp_path / "dec.yaml", {
        "name": "decoders",
        "source": {"manifest": str(MANIFEST), "config": config},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": s, "mode": "Full Refresh | Overwrite"} for s in streams],
    })


def test_csv_jsonl_gzip_xml_and_zip_pages_sync(tmp_path, dapi):
    summary, _ = sync_json(pipeline(tmp_path, dapi, ["reports", "events", "entries", "archive", "legacy"]))
    assert summary["status"] == "succeeded", summary

    reports = record_data(tmp_path / "out" / "reports")
    assert reports == [
        {"id": "r1", "region": "north", "note": "plain", "amount": "10"},
        {"id": "r2", "region": "south", "note": "semi;colon", "amount": None},
        {"id": "r3", "region": "east", "note": "two\nlines", "amount": "30"},
        {"id": "r4", "region": "west", "note": "cost \u20ac5", "amount": ""},
        {"id": "r5", "region": "north", "note": 'say "hi"', "amount": "50"},
        {"id": "r6", "region": "south", "note": "short", "amount": None},
        {"id": "r7", "region": "east", "note": "last", "amount": "70"},
    ]
    # PageIncrement: full pages of 3 asked the next; the short third page ended it.
    assert [r["query"].get("page") for r in dapi.requests if r["path"] == "/reports.csv"] == [None, "2", "3"]

    events = record_data(tmp_path / "out" / "events")
    assert events == [e["event"] for e in EVENTS], "every line once, in order"
    # The Link header's URL was followed as the next request's path (RequestPath).
    assert [r["query"].get("page") for r in dapi.requests if r["path"] == "/events"][:3] == [None, "2", "3"]
    assert record_data(tmp_path / "out" / "legacy") == [e["event"] for e in EVENTS[:3]]

    entries = record_data(tmp_path / "out" / "entries")
    # (destination-local writes the schema's columns a record lacks as null)
    assert entries == [
        {"@id": "e1", "@lang": "en", "title": "First", "tags": {"tag": ["a", "b"]},
         "author": {"name": "Ann", "email": {"@type": "work", "#text": "ann@example.com"}}, "id": "e1"},
        {"@id": "e2", "@lang": None, "title": "Second & <more>", "tags": {"tag": "c"}, "author": None, "id": "e2"},
        {"@id": "e3", "@lang": "fr", "title": "Troisi\u00e8me", "tags": None, "author": None, "id": "e3"},
    ]
    # The session token came from the XML login; the second page's cursor from the feed's
    # <next cursor="c2"/>; the page without <next> ended it.
    logins = [r for r in dapi.requests if r["path"] == "/login"]
    assert len(logins) == 1 and logins[0]["form"]["user"] == ["u"]
    assert [r["query"].get("after") for r in dapi.requests if r["path"] == "/feed.xml"] == [None, "c2"]

    archive = record_data(tmp_path / "out" / "archive")
    assert archive == [{"sku": "A-1", "qty": "3"}, {"sku": "B,2", "qty": "4"}, {"sku": "C-3", "qty": "5"}]


def test_a_malformed_body_fails_naming_stream_and_url(tmp_path, dapi):
    dapi.broken_xml = True
    summary, p = sync_json(pipeline(tmp_path, dapi, ["entries"]), check=False)
    assert p.returncode != 0 and summary is None
    out = p.stdout + p.stderr
    assert "stream 'entries'" in out and f"{dapi.base}/feed.xml" in out, out[-3000:]
    assert "XmlDecoder" in out and "not XML" in out, out[-3000:]
    assert TOKEN not in out and PASSWORD not in out


def test_an_unknown_decoder_is_a_config_error_naming_its_path(tmp_path, dapi):
    m = yaml.safe_load(MANIFEST.read_text())
    m["streams"][0]["retriever"]["decoder"] = {"type": "CustomDecoder", "class_name": "source_x.Decoder"}
    manifest = tmp_path / "custom.yaml"
    manifest.write_text(yaml.safe_dump(m, sort_keys=False))
    p = write_pipeline(tmp_path / "dec.yaml", {
        "name": "decoders",
        "source": {"manifest": str(manifest), "config": {"base_url": dapi.base, "api_key": API_KEY, "username": "u",
                                                         "password": PASSWORD}},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": "reports", "mode": "Full Refresh | Overwrite"}],
    })
    summary, proc = sync_json(p, check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "$.streams[0].retriever.decoder.type" in out and "custom Python" in out, out[-3000:]
