"""Network faults between sluice and its servers, through tests/e2e/fault_proxy.py (seeded): TCP
resets mid-COPY into PostgreSQL and mid-read from it, resets mid-multipart upload to S3 (moto),
stalls and a slow link under an HTTP file source. Every sync either finishes with the right data
or fails with a transient error (exit 3) and, run again, resumes from its last checkpoint until
the destination equals the source (deduplicated and overwrite modes: exactly; append: every row,
duplicates counted).

`make test` runs one seed per case; `make torture` (SLUICE_TORTURE=1) runs
SLUICE_TORTURE_SEEDS seeds (default 10) with more faults, and stalls longer than the HTTP
client's stall timeout (60 s)."""
import csv
import hashlib
import json
import os

import pytest

from conftest import read_records, run, write_pipeline
from fault_proxy import FaultProxy, mixed, resets, stalls
from http_file_server import http_server, web_root  # noqa: F401  (fixtures)
from pg_server import pg  # noqa: F401  (session fixture)
from s3_server import moto, s3_config  # noqa: F401  (fixture)

TORTURE = os.environ.get("SLUICE_TORTURE") == "1"
SEEDS = list(range(1, 1 + int(os.environ.get("SLUICE_TORTURE_SEEDS", "10")))) if TORTURE else [1]
FAULTS_PER_RUN = 6 if TORTURE else 3
USERS = 60_000 if TORTURE else 20_000
MAX_RUNS = 12
FIGURES = []  # (case, seed, proxy summary, runs) for the summary line


def run_until_done(pipeline, proxy, case, seed, max_runs=MAX_RUNS):
    """Runs `sluice sync` until it succeeds; every failure must be transient (exit 3)."""
    codes = []
    for _ in range(max_runs):
        p = run("sync", pipeline, "--json", "--no-progress", check=False, timeout=600)
        codes.append(p.returncode)
        if p.returncode == 0:
            FIGURES.append((case, seed, proxy.summary(), len(codes)))
            print(f"{case} seed {seed}: {proxy.summary()} runs {codes}")
            return codes
        assert p.returncode == 3, (f"{case}: a network fault must end as a transient error (exit 3), got "
                                   f"{p.returncode}:\n{p.stderr[-3000:]}")
    raise AssertionError(f"{case}: not done after {max_runs} runs ({codes}); faults {proxy.injected}")


def data_columns(pg, db, table, schema="public"):  # noqa: F811
    cols = [r[0] for r in pg.query(db, "select column_name from information_schema.columns where table_schema = %s "
                                       "and table_name = %s order by column_name", (schema, table))]
    return [c for c in cols if not c.startswith("_airbyte") and not c.startswith("_ab_")]


def digest(pg, db, table, cols, distinct=False):  # noqa: F811
    """md5 of every row's data columns in id order (and the row count)."""
    rows = ", ".join(f'coalesce("{c}"::text, \'∅\')' for c in cols)
    src = f"(select distinct {', '.join(chr(34) + c + chr(34) for c in cols)} from {table})" if distinct else table
    return pg.query(db, f"select count(*), md5(string_agg(concat_ws('|', {rows}), E'\\n' order by id)) "
                        f"from {src} t")[0]


@pytest.fixture(scope="module")
def reference(pg):  # noqa: F811
    """faker users synced without any proxy: what every faulted run must end with."""
    db = pg.create_database("faults_ref")
    p = write_pipeline(pg.dir / "faults_ref.yaml", {
        "name": "reference", "source": {"connector": "faker", "config": {"count": USERS, "seed": 11}},
        "destination": {"connector": "postgres", "config": pg.config(db)},
        "streams": [{"name": "users", "mode": "Full Refresh | Overwrite"}],
        "state": {"file": str(pg.dir / "faults_ref.state")}})
    run("sync", p, "--no-progress")
    cols = data_columns(pg, db, "users")
    return db, cols, digest(pg, db, "users", cols)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mode", ["Full Refresh | Overwrite", "Incremental | Append + Deduped", "Incremental | Append"])
def test_postgres_destination_reset_mid_copy(pg, reference, tmp_path, mode, seed):  # noqa: F811
    ref_db, cols, want = reference
    db = pg.create_database("faults_dst")
    with FaultProxy(pg.port, seed=seed) as proxy:
        # Cut client → server streams (the COPY data) somewhere in their first 1.5 MB.
        proxy.plan = resets(FAULTS_PER_RUN, "up", 16 << 10, 1536 << 10)
        stream = {"name": "users", "mode": mode}
        if mode.startswith("Incremental"):
            stream["cursor_field"] = "updated_at"
        if mode.endswith("Deduped"):
            stream["primary_key"] = "id"
        p = write_pipeline(tmp_path / "p.yaml", {
            "name": "faker to pg through faults",
            "source": {"connector": "faker", "config": {"count": USERS, "seed": 11, "records_per_slice": 2000}},
            "destination": {"connector": "postgres", "config": pg.config(db, port=proxy.port)},
            "streams": [stream], "state": {"file": str(tmp_path / "p.state")}})
        run_until_done(p, proxy, f"pg destination {mode}", seed)
        assert any(f.fired for f in proxy.injected), "no fault fired: the test proved nothing"
    if mode == "Incremental | Append":
        count, distinct = pg.query(db, "select count(*), count(distinct id) from users")[0]
        assert distinct == USERS, "every row arrived"
        assert digest(pg, db, "users", cols, distinct=True) == want, "the rows are the source's"
        print(f"append: {count - USERS} duplicate rows after the re-runs (at-least-once)")
    else:
        assert digest(pg, db, "users", cols) == want


@pytest.mark.parametrize("seed", SEEDS)
def test_postgres_source_reset_mid_read(pg, tmp_path, seed):  # noqa: F811
    src = pg.create_database("faults_src")
    pg.execute(src, "create table t (id bigint primary key, v text, ts timestamptz); "
                    "insert into t select i, repeat(md5(i::text), 4), '2024-01-01'::timestamptz + i * interval '1 s' "
                    "from generate_series(1, 150000) i")
    dst = pg.create_database("faults_src_dst")
    with FaultProxy(pg.port, seed=seed) as proxy:
        # Cut server → client streams (the rows read) somewhere in their first 8 MB.
        proxy.plan = resets(FAULTS_PER_RUN, "down", 64 << 10, 8 << 20)
        p = write_pipeline(tmp_path / "p.yaml", {
            "name": "pg source through faults",
            "source": {"connector": "postgres", "config": pg.config(src, port=proxy.port)},
            "destination": {"connector": "postgres", "config": pg.config(dst)},
            "streams": [{"name": "t", "mode": "Incremental | Append + Deduped", "cursor_field": "id",
                         "primary_key": "id"}],
            "state": {"file": str(tmp_path / "p.state")}})
        run_until_done(p, proxy, "pg source", seed)
        assert any(f.fired for f in proxy.injected)
    assert digest(pg, dst, "public.t", ["id", "v", "ts"]) == digest(pg, src, "t", ["id", "v", "ts"])


@pytest.mark.parametrize("seed", SEEDS)
def test_s3_reset_mid_multipart_upload(moto, tmp_path, seed):  # noqa: F811
    bucket = moto.create_bucket()
    endpoint_port = int(moto.endpoint.rsplit(":", 1)[1])
    users = USERS // 2
    with FaultProxy(endpoint_port, seed=seed) as proxy:
        # Cut uploads (client → server) somewhere in the first 6 MB of a connection: inside parts.
        proxy.plan = resets(FAULTS_PER_RUN, "up", 256 << 10, 6 << 20)
        config = s3_config(moto, bucket, s3_endpoint=f"http://127.0.0.1:{proxy.port}", part_size_mb=5,
                           format={"format_type": "JSONL"})
        p = write_pipeline(tmp_path / "p.yaml", {
            "name": "faker to s3 through faults",
            "source": {"connector": "faker", "config": {"count": users, "seed": 11}},
            "destination": {"connector": "s3", "config": config},
            "streams": [{"name": "users", "mode": "Full Refresh | Overwrite"}],
            "state": {"file": str(tmp_path / "p.state")}})
        run_until_done(p, proxy, "s3 multipart", seed)
        assert any(f.fired for f in proxy.injected), proxy.summary()
    keys = moto.keys(bucket, "airbyte-data/")
    ids = []
    for key in keys:
        for line in moto.get(bucket, key).decode().splitlines():
            ids.append(json.loads(line)["_airbyte_data"]["id"])
    assert sorted(ids) == list(range(1, users + 1)), (len(ids), len(set(ids)), keys)
    assert moto.multipart_uploads(bucket) in ([], None), "no upload left open"


@pytest.mark.parametrize("seed", SEEDS)
def test_http_source_slow_link_stall_and_reset(http_server, web_root, tmp_path, seed):  # noqa: F811
    rows = [(i, hashlib.sha1(str(i).encode()).hexdigest() * 2, f"name {i}") for i in range(1, 30001)]
    name = f"faults-{seed}.csv"
    with open(web_root / name, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "h", "name"])
        w.writerows(rows)
    size = (web_root / name).stat().st_size
    port = int(http_server.base.rsplit(":", 1)[1])
    with FaultProxy(port, seed=seed) as proxy:
        proxy.rate = 2 << 20  # 2 MB/s: a ~3 MB file takes 1.5 s
        stall_seconds = 65 if TORTURE else 2  # longer than the 60 s stall timeout in the long form
        stall = stalls(1, "down", 1024, size // 4, stall_seconds)
        reset = resets(FAULTS_PER_RUN - 1, "down", size // 3, size - 1024)
        proxy.plan = lambda index, rng: (stall(index, rng) or []) + (reset(index, rng) or [])
        p = write_pipeline(tmp_path / "p.yaml", {
            "name": "http through faults",
            "source": {"connector": "file", "config": {"streams": [{
                "name": "rows", "path": f"http://127.0.0.1:{proxy.port}/{name}",
                "schema": {"id": "integer", "h": "string", "name": "string"}}]}},
            "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
            "streams": [{"name": "rows", "mode": "Full Refresh | Overwrite"}],
            "state": {"file": str(tmp_path / "p.state")}})
        run_until_done(p, proxy, "http source", seed)
        assert any(f.fired for f in proxy.injected)
    got = sorted((r["_airbyte_data"]["id"], r["_airbyte_data"]["h"], r["_airbyte_data"]["name"])
                 for r in read_records(tmp_path / "out"))
    assert got == rows


@pytest.mark.skipif(not TORTURE, reason="long form: make torture")
@pytest.mark.parametrize("seed", SEEDS)
def test_postgres_mixed_faults_both_ways(pg, reference, tmp_path, seed):  # noqa: F811
    """Resets and short stalls in both directions on source and destination connections at once."""
    ref_db, cols, want = reference
    src_db = pg.create_database("faults_mixed_src")
    dst_db = pg.create_database("faults_mixed_dst")
    run("sync", write_pipeline(tmp_path / "seed.yaml", {
        "name": "seed", "source": {"connector": "faker", "config": {"count": USERS, "seed": 11}},
        "destination": {"connector": "postgres", "config": pg.config(src_db)},
        "streams": [{"name": "users", "mode": "Full Refresh | Overwrite"}],
        "state": {"file": str(tmp_path / "seed.state")}}), "--no-progress")
    with FaultProxy(pg.port, seed=seed) as a, FaultProxy(pg.port, seed=seed + 1000) as b:
        a.plan = mixed(FAULTS_PER_RUN, 16 << 10, 4 << 20, 3)
        b.plan = mixed(FAULTS_PER_RUN, 16 << 10, 4 << 20, 3)
        p = write_pipeline(tmp_path / "p.yaml", {
            "name": "pg to pg through faults",
            "source": {"connector": "postgres", "config": pg.config(src_db, port=a.port)},
            "destination": {"connector": "postgres", "config": pg.config(dst_db, port=b.port)},
            "streams": [{"name": "users", "mode": "Incremental | Append + Deduped", "cursor_field": "id",
                         "primary_key": "id"}],
            "state": {"file": str(tmp_path / "p.state")}})
        run_until_done(p, a, "pg to pg mixed", seed)
    assert digest(pg, dst_db, "users", cols) == want
