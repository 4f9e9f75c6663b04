#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/ (run from anywhere;
the files are committed, rerun after changing a seed). Parquet seeds come from DuckDB (tests/js)
and from sluice itself when their tools are there: `make_corpus.py [path/to/sluice]`."""
import json
import os
import pathlib
import struct
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"


def put(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def csv():
    # first byte: dialect bits (see fuzz_csv.cc)
    put("csv", "plain", b"\x01id,name,amount\n1,Acme,1.5\n2,\"Quote \"\"d\"\"\",\n3,\"multi\nline\",7\n")
    put("csv", "tabs_noheader", b"\x10" + b"1\ta\tb\r\n2\t\t\r\n")
    put("csv", "escape_skip", bytes([8 | 32 | 1]) + b"a,b\nx\\,y,z\nbad row\n\"q\",\"\\\"\"\n")
    put("csv", "tiny_chunks", bytes([128 | 1]) + "col,émoji\nÿ,😀\n".encode() + b"\xff\xfe,x\n")


def protocol():
    lines = [
        {"type": "RECORD", "record": {"stream": "users", "emitted_at": 1700000000000, "data": {
            "id": 1, "name": "Zoë", "score": 1.5, "big": 12345678901234567890.5, "born": "1969-07-20",
            "seen": "2020-01-01T10:00:00+02:00", "local": "2020-01-01T10:00:00", "at": "12:30:00.5",
            "blob": "AAEC", "ok": True, "tags": ["a", "b"], "address": {"city": "Gent"}}}},
        {"type": "RECORD", "record": {"stream": "users", "namespace": "other", "emitted_at": 1, "data": {"id": "2"}}},
        {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "users"},
                                                                 "stream_state": {"cursor": 5}}}},
        {"type": "STATE", "state": {"type": "GLOBAL", "global": {"shared_state": {"lsn": 1}, "stream_states": []}}},
        {"type": "LOG", "log": {"level": "INFO", "message": "hello"}},
        {"type": "TRACE", "trace": {"type": "STREAM_STATUS", "emitted_at": 1, "stream_status": {
            "stream_descriptor": {"name": "users"}, "status": "COMPLETE"}}},
    ]
    put("protocol", "mixed", b"\x00" + "\n".join(json.dumps(x) for x in lines).encode() + b"\n")
    put("protocol", "odd_values", b"\x07" + b'{"type":"RECORD","record":{"stream":"users","emitted_at":1,"data":'
        b'{"id":1e400,"score":"NaN","born":"2024-02-30","seen":"x","blob":"!!","ok":"yes","tags":{}}}}\n'
        b'not json\n{"type":"RECORD","record":{"stream":"nope","data":{}}}')


def json_schema():
    spec = {"type": "object", "required": ["host", "port"], "properties": {
        "host": {"type": "string", "minLength": 1, "pattern": "^[a-z.]+$"},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535, "default": 5432},
        "password": {"type": "string", "airbyte_secret": True},
        "ssl_mode": {"type": "object", "oneOf": [
            {"properties": {"mode": {"const": "disable"}}},
            {"properties": {"mode": {"const": "verify-full"}, "ca": {"type": "string", "airbyte_secret": True}},
             "required": ["ca"]}]},
        "schemas": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
        "tags": {"type": ["null", "array"], "items": {"enum": ["a", "b"]}}}}
    put("json_schema", "valid", json.dumps([spec, {"host": "db.local", "password": "p",
                                                   "ssl_mode": {"mode": "verify-full", "ca": "x"},
                                                   "schemas": ["public"]}]))
    put("json_schema", "invalid", json.dumps([spec, {"host": "", "port": 0, "ssl_mode": {"mode": "?"},
                                                     "schemas": ["a", "a"], "tags": ["c"]}]))
    put("json_schema", "refs", json.dumps([{"definitions": {"x": {"type": "string"}}, "type": "object",
                                            "properties": {"a": {"$ref": "#/definitions/x"},
                                                           "b": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}},
                                           {"a": 1, "b": None}]))


def pipeline():
    put("pipeline", "full", """name: orders
source:
  connector: postgres
  config: {host: localhost, port: 5432, database: shop, username: u, password: p, schemas: [public]}
destination:
  connector: local
  config: {destination_path: /tmp/out, format: {format_type: Parquet}}
namespace: {definition: custom, format: "raw_${SOURCE_NAMESPACE}"}
stream_prefix: x_
streams:
  - name: orders
    mode: Incremental | Append + Deduped
    primary_key: [id]
    cursor_field: updated_at
  - {name: lines, mode: Full Refresh | Overwrite, primary_key: [[order_id], [line]]}
schedule: {cron: "0 */2 * * *", timezone: Europe/Amsterdam}
""")
    put("pipeline", "odd", "name: [1\nsource: &a {connector: *a}\nstreams: 7\n---\n- !!binary x\n")


def cron():
    for i, text in enumerate(["*/5 * * * *", "0 0 1,15 * MON-FRI", "0 0/30 8-17 ? * MON-FRI *",
                              "0 0 12 L * ?", "0 15 10 ? * 6#3", "@daily", "0 0 29 2 *", "59 23 31 12 ? 2099"]):
        put("cron", f"c{i}", text)


def s3_xml():
    put("s3_xml", "list", """<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix>
<KeyCount>2</KeyCount><IsTruncated>true</IsTruncated><NextContinuationToken>t&amp;1</NextContinuationToken>
<Contents><Key>p/a&lt;1&gt;.csv</Key><Size>10</Size><ETag>&quot;abc&quot;</ETag>
<LastModified>2024-01-01T00:00:00.000Z</LastModified></Contents><CommonPrefixes><Prefix>p/x/</Prefix></CommonPrefixes>
</ListBucketResult>""")
    put("s3_xml", "error", "<Error><Code>NoSuchKey</Code><Message>gone</Message><!-- c --><![CDATA[<x>]]>"
                           "<Resource>/b/k</Resource><RequestId>1</RequestId></Error>")
    put("s3_xml", "multipart", "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
                               "<UploadId>u&#65;&#x42;</UploadId></InitiateMultipartUploadResult>")


def pgoutput():
    def s(text):
        return text.encode() + b"\0"

    def msg(b):
        return struct.pack(">H", len(b)) + b

    rel = b"R" + struct.pack(">I", 16384) + s("public") + s("orders") + b"d" + struct.pack(">H", 3)
    rel += b"\x01" + s("id") + struct.pack(">Ii", 20, -1)
    rel += b"\x00" + s("name") + struct.pack(">Ii", 25, -1)
    rel += b"\x00" + s("doc") + struct.pack(">Ii", 3802, -1)
    begin = b"B" + struct.pack(">QqI", 0x16B3748, 700000000000000, 745)
    tup = struct.pack(">H", 3) + b"t" + struct.pack(">I", 1) + b"7" + b"n" + b"u"
    ins = b"I" + struct.pack(">I", 16384) + b"N" + tup
    upd = b"U" + struct.pack(">I", 16384) + b"K" + struct.pack(">H", 3) + b"t" + struct.pack(">I", 1) + b"7nn" + b"N" + tup
    dele = b"D" + struct.pack(">I", 16384) + b"O" + tup
    trunc = b"T" + struct.pack(">IB", 1, 3) + struct.pack(">I", 16384)
    commit = b"C" + b"\0" + struct.pack(">QQq", 0x16B3748, 0x16B3790, 700000000000000)
    typ = b"Y" + struct.pack(">I", 90000) + s("public") + s("mood")
    origin = b"O" + struct.pack(">Q", 5) + s("up")
    put("pgoutput", "v1_txn", b"\x00" + b"".join(msg(m) for m in [begin, rel, typ, origin, ins, upd, dele, trunc, commit]))
    # protocol 2: a streamed transaction (xid after the type byte of its changes)
    xid = struct.pack(">I", 900)
    start = b"S" + xid + b"\x01"
    rel2 = b"R" + xid + rel[1:]
    ins2 = b"I" + xid + ins[1:]
    stop = b"E"
    abort = b"A" + xid + struct.pack(">I", 901)
    scommit = b"c" + xid + b"\0" + struct.pack(">QQq", 0x16B4000, 0x16B4040, 700000000000001)
    put("pgoutput", "v2_stream", b"\x01" + b"".join(msg(m) for m in [start, rel2, ins2, stop, abort, start, ins2, stop, scommit]))


def pg_copy():
    header = b"PGCOPY\n\xff\r\n\0" + struct.pack(">II", 0, 0)

    def row(*fields):
        out = struct.pack(">h", len(fields))
        for f in fields:
            out += struct.pack(">i", -1) if f is None else struct.pack(">i", len(f)) + f
        return out

    # decoder numbers follow pgbin::Decoder: kBool 0, kInt2 1, kInt4 2, kInt8 3, kOid 4, kFloat4 5,
    # kFloat8 6, kNumeric 7, kText 8, kJson 9, kJsonb 10, kBytea 11, kUuid 12, kInet 13, kDate 14,
    # kTime 15, kTimeTz 16, kTimestamp 17, kTimestampTz 18, kArray 19
    cols = bytes([4, 3, 0, 8, 0, 7, 0, 18, 0])  # 4 columns: int8, text, numeric, timestamptz
    numeric = struct.pack(">hhhhhh", 2, 0, 0, 2, 12, 3400)  # 12.34
    body = header + row(struct.pack(">q", 42), "héllo".encode(), numeric, struct.pack(">q", 0))
    body += row(None, b"", None, struct.pack(">q", -1)) + struct.pack(">h", -1)
    put("pg_copy", "mixed", cols + body)
    cols = bytes([3, 19, 2, 10, 0, 12, 0])  # int4[], jsonb, uuid
    arr = struct.pack(">iiIii", 1, 1, 23, 2, 1) + struct.pack(">i", 4) + struct.pack(">i", 7) + struct.pack(">i", -1)
    body = header + row(arr, b"\x01{\"a\": [1, 2]}", bytes(range(16))) + struct.pack(">h", -1)
    put("pg_copy", "arrays", cols + body)
    cols = bytes([4, 13, 0, 14, 0, 15, 0, 16, 0])  # inet, date, time, timetz
    inet = bytes([2, 24, 1, 4, 192, 168, 1, 0])
    body = header + row(inet, struct.pack(">i", 8000), struct.pack(">q", 3600000000),
                        struct.pack(">qi", 3600000000, -7200)) + struct.pack(">h", -1)
    put("pg_copy", "net_time", cols + body)


def parquet(sluice):
    with tempfile.TemporaryDirectory() as tmp:
        t = pathlib.Path(tmp)
        (t / "in.csv").write_text("id,name,amount,day,flag\n1,a,1.5,2024-01-01,true\n2,,2.25,2024-02-29,false\n"
                                  "3,ccc,,1969-12-31,\n")
        node = HERE.parent / "js" / "duckdb_csv_to_parquet.mjs"
        for codec in ["snappy", "uncompressed", "zstd", "gzip"]:
            out = t / f"duckdb_{codec}.parquet"
            r = subprocess.run(["node", str(node), str(t / "in.csv"), str(out), codec], capture_output=True)
            if r.returncode == 0:
                put("parquet", out.name, out.read_bytes())
        if sluice:
            pipe = t / "p.yaml"
            pipe.write_text(f"""name: seed
source: {{connector: file, config: {{streams: [{{name: rows, url: "{t / 'in.csv'}", format: csv}}]}}}}
destination: {{connector: local, config: {{destination_path: "{t / 'out'}", format: {{format_type: Parquet}}}}}}
streams: [{{name: rows, mode: Full Refresh | Overwrite}}]
""")
            subprocess.run([sluice, "sync", str(pipe), "--no-progress"], capture_output=True, cwd=t)
            for f in sorted((t / "out").rglob("*.parquet")):
                put("parquet", "sluice_" + f.name, f.read_bytes())


if __name__ == "__main__":
    csv(); protocol(); json_schema(); pipeline(); cron(); s3_xml(); pgoutput(); pg_copy()
    parquet(sys.argv[1] if len(sys.argv) > 1 else None)
    for d in sorted(CORPUS.iterdir()):
        print(d.name, len(list(d.iterdir())))
