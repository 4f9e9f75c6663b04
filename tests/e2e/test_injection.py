"""Hostile identifiers from sources, through the destinations: schema, table, column and stream
names with quotes, semicolons, backslashes, unicode, leading digits, spaces, dots and over 63
bytes — a PostgreSQL source table so named, synced into destination-postgres in each sync mode
(the cursor and the primary key are such columns too) and into local Parquet, CSV and JSONL; and
path traversal in stream names and path templates of file destinations (`../`, absolute paths,
NUL), which must be refused or made safe, never writing outside the destination root."""
import csv
import json
import os
import pathlib

import pytest

from conftest import read_records, run, write_pipeline
from pg_server import pg  # noqa: F401  (session fixture)
from s3_server import read_parquet

SCHEMA = 'Sch "q"; DROP SCHEMA public CASCADE;--'
# 63 bytes (PostgreSQL's limit in the source); the destination prefix takes it over.
TABLE = ('t\'b"l;\\ ünï 日本 1st' + "x" * 63)[:63]
while len(TABLE.encode()) > 63:
    TABLE = TABLE[:-1]
KEY = 'k"ey; DROP TABLE victim;--'
CURSOR = "cur'sor\\"
COLUMNS = {  # name -> SQL type; values below
    KEY: "int",
    CURSOR: "int",
    'we"ird': "text",
    "back\\slash": "text",
    "ünï 日本 🚀": "text",
    "1st": "text",
    "with space": "text",
    "select": "text",
    "a.b": "text",
    "$1": "text",
    ("c" * 50 + "_long_é" * 2)[:63]: "text",
}
while len(list(COLUMNS)[-1].encode()) > 63:  # keep the last one within the source's limit
    last = list(COLUMNS)[-1]
    COLUMNS[last[:-1]] = COLUMNS.pop(last)
PREFIX = "p_;\"'"
MODES = ["Full Refresh | Overwrite", "Full Refresh | Append", "Incremental | Append", "Incremental | Append + Deduped"]


def q(name):
    return '"' + name.replace('"', '""') + '"'


def value(col, i):
    return i if COLUMNS[col] == "int" else f"{col[:5]}'\";\\{i}"


@pytest.fixture(scope="module")
def source_db(pg):  # noqa: F811
    db = pg.create_database("inj_src")
    cols = ", ".join(f"{q(c)} {t}" + (" primary key" if c == KEY else "") for c, t in COLUMNS.items())
    pg.execute(db, f"create schema {q(SCHEMA)}; create table {q(SCHEMA)}.{q(TABLE)} ({cols})")
    insert_rows(pg, db, range(1, 6))
    return db


def insert_rows(pg, db, ids, cursor_base=0):  # noqa: F811
    names = list(COLUMNS)
    for i in ids:
        vals = [i if c == KEY else (cursor_base + i if c == CURSOR else value(c, i)) for c in names]
        pg.execute(db, f"insert into {q(SCHEMA)}.{q(TABLE)} ({', '.join(map(q, names))}) values "
                       f"({', '.join(['%s'] * len(names))}) on conflict ({q(KEY)}) do update set "
                       + ", ".join(f"{q(c)} = excluded.{q(c)}" for c in names if c != KEY), vals)


def source_rows(pg, db):  # noqa: F811
    names = list(COLUMNS)
    return sorted(pg.query(db, f"select {', '.join(map(q, names))} from {q(SCHEMA)}.{q(TABLE)}"))


def pipeline(tmp_path, pg, src_db, destination, mode, name="p"):  # noqa: F811
    stream = {"name": TABLE, "namespace": SCHEMA, "mode": mode}
    if mode.startswith("Incremental"):
        stream["cursor_field"] = [CURSOR]
    if mode.endswith("Deduped"):
        stream["primary_key"] = [[KEY]]
    return write_pipeline(tmp_path / f"{name}.yaml", {
        "name": "hostile names",
        "source": {"connector": "postgres", "config": pg.config(src_db, schemas=[SCHEMA])},
        "destination": destination,
        "prefix": PREFIX,
        "streams": [stream],
        "state": {"file": str(tmp_path / f"{name}.state.json")},
    })


def sync(path, check=True):
    return run("sync", path, "--json", "--no-progress", check=check)


@pytest.mark.parametrize("mode, direct_load", [(m, False) for m in MODES] + [(MODES[0], True), (MODES[3], True)])
def test_hostile_identifiers_into_postgres(pg, source_db, tmp_path, mode, direct_load):  # noqa: F811
    db = pg.create_database("inj_dst")
    pg.execute(db, "create table victim (x int); insert into victim values (42)")
    dest = {"connector": "postgres", "config": pg.config(db, direct_load=direct_load)}
    p = pipeline(tmp_path, pg, source_db, dest, mode)
    sync(p)
    # A change between the runs: one row updated (higher cursor), one new.
    insert_rows(pg, source_db, [3], cursor_base=100)
    insert_rows(pg, source_db, [6], cursor_base=100)
    try:
        sync(p)
        names = list(COLUMNS)
        assert pg.query(db, "select x from victim") == [(42,)]
        assert pg.query(db, "select count(*) from pg_namespace where nspname = 'public'") == [(1,)]
        tables = pg.query(db, "select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                              "where nspname = %s and relkind = 'r'", (SCHEMA,))
        assert len(tables) == 1, tables
        table = tables[0][0]
        assert len(table.encode()) <= 63 and table.startswith(PREFIX), table  # shortened with its hash
        cols = {r[0] for r in pg.query(db, "select attname from pg_attribute where attrelid = %s::regclass "
                                           "and attnum > 0 and not attisdropped", (f"{q(SCHEMA)}.{q(table)}",))}
        assert set(names) <= cols, set(names) - cols
        got = sorted(pg.query(db, f"select {', '.join(map(q, names))} from {q(SCHEMA)}.{q(table)}"))
        want = source_rows(pg, source_db)
        if mode in ("Full Refresh | Overwrite", "Incremental | Append + Deduped"):
            assert got == want
        elif mode == "Full Refresh | Append":
            assert len(got) == 5 + 6 and set(want) <= set(got)
        else:  # incremental append: at least once, nothing missing
            assert set(want) <= set(got) and len(got) >= len(want) + 1
        raw = pg.query(db, "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                           "where nspname = 'airbyte_internal' and relkind = 'r'")
        assert raw == [(0 if direct_load else 1,)]
    finally:
        pg.execute(source_db, f"delete from {q(SCHEMA)}.{q(TABLE)} where {q(KEY)} = 6")
        insert_rows(pg, source_db, [3])


@pytest.mark.parametrize("fmt", ["Parquet", "CSV", "JSONL"])
def test_hostile_identifiers_into_local_files(pg, source_db, tmp_path, fmt):  # noqa: F811
    root = tmp_path / "jail" / "out"
    root.mkdir(parents=True)
    dest = {"connector": "local", "config": {"destination_path": str(root),
                                             "path_format": "${NAMESPACE}/${STREAM_NAME}",
                                             "format": {"format_type": fmt}}}
    sync(pipeline(tmp_path, pg, source_db, dest, "Full Refresh | Overwrite"))
    assert_inside(tmp_path / "jail", root)
    files = [f for f in root.rglob("*") if f.is_file() and not f.name.startswith(".")]
    assert len(files) == 1, files
    rel = files[0].relative_to(root)
    assert len(rel.parts) == 3, rel  # namespace / stream / file: '/' in names cannot add levels
    names = list(COLUMNS)
    want = sorted(tuple(str(v) for v in r) for r in source_rows(pg, source_db))
    if fmt == "JSONL":
        rows = [r["_airbyte_data"] for r in read_records(files[0].parent)]
    elif fmt == "CSV":
        with open(files[0], newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames
            rows = list(reader)
        assert set(names) <= set(header), set(names) - set(header)
    else:
        header, rows = read_parquet(files[0], "duckdb")
        assert set(names) <= {c["name"] for c in header["columns"]}
    got = sorted(tuple(str(r[c]) for c in names) for r in rows)
    assert got == want


def assert_inside(jail, root):
    """Nothing under `jail` outside `root` (the destination root's parent is the jail)."""
    stray = [p for p in jail.rglob("*") if root not in p.parents and p != root]
    assert not stray, f"written outside the destination root: {stray}"


TRAVERSAL_NAMES = ["../../escape", "/etc/sluice_abs", "..", ".", "a/../../b", "nul\0byte", "back\\..\\slash",
                   "~root", "-rf"]


def test_path_traversal_in_stream_names(tmp_path):
    """Stream names from a source (here the file source's) become one path segment each."""
    data = tmp_path / "in.csv"
    data.write_text("id,name\n1,a\n2,b\n")
    root = tmp_path / "jail" / "out"
    root.mkdir(parents=True)
    for fmt in ("JSONL", "CSV", "Parquet"):
        p = write_pipeline(tmp_path / "t.yaml", {
            "name": "traversal",
            "source": {"connector": "file", "config": {"streams": [{"name": n, "path": str(data)}
                                                                   for n in TRAVERSAL_NAMES]}},
            "destination": {"connector": "local", "config": {
                "destination_path": str(root / fmt), "path_format": "${NAMESPACE}/${STREAM_NAME}",
                "format": {"format_type": fmt}}},
            "state": {"file": str(tmp_path / f"{fmt}.state")},
        })
        r = sync(p, check=False)
        if r.returncode == 2:  # refused as a config error (e.g. a NUL in a name): then nothing written
            assert not any((root / fmt).rglob("*.*")), r.stderr
            continue
        assert r.returncode == 0, r.stderr
        assert_inside(tmp_path / "jail", root)
        assert not pathlib.Path("/etc/sluice_abs").exists()
        folders = {f.parent.relative_to(root / fmt) for f in (root / fmt).rglob("*") if f.is_file()}
        assert len(folders) == len(TRAVERSAL_NAMES), folders  # each stream its own folder, none shared
        for folder in folders:
            assert ".." not in folder.parts and not folder.is_absolute()
            assert (root / fmt / folder).resolve().is_relative_to((root / fmt).resolve())


@pytest.mark.parametrize("template, ok", [
    ("../${STREAM_NAME}", False),
    ("${STREAM_NAME}/../../../x", False),
    ("a/..", False),
    ("/abs/${STREAM_NAME}", None),          # refused, or relative to the root
    ("//${NAMESPACE}/./${STREAM_NAME}", None),
    ("${NAMESPACE}/./${STREAM_NAME}", True),
    ("x\0/${STREAM_NAME}", False),
])
def test_path_templates_stay_inside_the_root(tmp_path, template, ok):
    data = tmp_path / "in.csv"
    data.write_text("id\n1\n")
    root = tmp_path / "jail" / "out"
    root.mkdir(parents=True)
    p = tmp_path / "t.yaml"
    p.write_text(json.dumps({
        "name": "template",
        "source": {"connector": "file", "config": {"streams": [{"name": "s", "path": str(data)}]}},
        "destination": {"connector": "local", "config": {"destination_path": str(root), "path_format": template}},
        "state": {"file": str(tmp_path / "t.state")},
    }))
    r = sync(p, check=False)
    if ok is None:
        ok = r.returncode == 0
    if ok:
        assert r.returncode == 0, r.stderr
        assert any(f.is_file() for f in root.rglob("*"))
    else:
        assert r.returncode == 2, (r.returncode, r.stderr)
        assert "path_format" in r.stderr, r.stderr
    assert_inside(tmp_path / "jail", root)
    assert not pathlib.Path("/abs").exists()
