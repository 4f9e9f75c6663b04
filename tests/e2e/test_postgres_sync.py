"""PostgreSQL → PostgreSQL with source-postgres and destination-postgres, in every sync mode.

The source table lives in schema public and the destination writes schema "dst" of the same
database (namespace rule), so every check is one SQL query: the source rows EXCEPT ALL the
destination rows, both ways, must be empty."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import SLUICE, run, write_pipeline
from crash_loop import kill_after_checkpoint
from pg_server import pg  # noqa: F401  (session fixture)

# Eighteen columns of mixed types; the destination's types differ (int → bigint, varchar → text,
# real → double precision, uuid → text), so the comparison casts where equality needs it.
COLUMNS = ("id, i, small, amount, name, code, flag, ts, lts, day, f, r::real, doc, u::text, "
           "bin, tm, ttz at time zone 'UTC', big, updated_at")

CREATE = """
create table public.t (id bigint primary key, i int, small smallint, amount numeric(12,2), name text,
                       code varchar(10), flag boolean, ts timestamptz, lts timestamp, day date, f float8,
                       r real, doc jsonb, u uuid, bin bytea, tm time, ttz timetz, big numeric,
                       updated_at timestamptz not null, _ab_cdc_deleted_at timestamptz)"""

INSERT = """
insert into public.t
select g, g * 2, mod(g, 100)::smallint, g * 1.25, 'name ' || g || repeat('x', mod(g, 50)), 'c' || mod(g, 1000),
       mod(g, 2) = 0, '2024-01-01 00:00:00+00'::timestamptz - g * interval '1 minute',
       '2020-01-01'::timestamp + g * interval '1 second', '2020-01-01'::date + mod(g, 1000), g / 3.0, g / 7.0,
       jsonb_build_object('k', g, 'arr', jsonb_build_array(g, 'x', null)), md5(g::text)::uuid,
       decode(md5(g::text), 'hex'), '10:00:00'::time + g * interval '1 ms', '10:00:00+03'::timetz,
       g * 123456789.123456789, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 second', null
from generate_series(%s, %s) g"""


def setup_source(pg, db, first, last):
    pg.create_database(db)
    pg.execute(db, CREATE)
    pg.execute(db, INSERT, (first, last))
    # A row of NULLs (apart from the key and the cursor).
    pg.execute(db, "insert into public.t (id, updated_at) values (0, '2023-06-01 00:00:00+00')")


def pipeline(tmp_path, pg, db, mode, **source_extra):
    s = {"name": "t", "mode": mode}
    if mode.startswith("Incremental"):
        s.update(cursor_field="updated_at", primary_key="id")
    return write_pipeline(tmp_path / "pgpg.yaml", {
        "name": "postgres to postgres",
        "source": {"connector": "postgres", "config": pg.config(db, **source_extra)},
        "destination": {"connector": "postgres", "config": pg.config(db)},
        "namespace": {"definition": "custom", "format": "dst"},
        "streams": [s],
    })


def sync(p, *extra):
    return json.loads(run("sync", p, "--json", "--no-progress", *extra).stdout)


def difference(pg, db, source_sql, dest_sql):
    """(rows only in the source, rows only in the destination), multiset semantics."""
    a = pg.query(db, f"select count(*) from (({source_sql}) except all ({dest_sql})) d")[0][0]
    b = pg.query(db, f"select count(*) from (({dest_sql}) except all ({source_sql})) d")[0][0]
    return a, b


SRC = f"select {COLUMNS} from public.t"
DST = f"select {COLUMNS} from dst.t"


def change_source(pg, db, new_first, new_last):
    """Inserts new rows, updates some (newer cursor), marks some deleted (newer cursor)."""
    pg.execute(db, INSERT, (new_first, new_last))
    pg.execute(db, """update public.t set name = 'updated ' || id, amount = -amount, doc = '{"updated": true}',
                      updated_at = '2025-01-01 00:00:00+00'::timestamptz + id * interval '1 ms' where id % 10 = 3""")
    pg.execute(db, """update public.t set _ab_cdc_deleted_at = now(),
                      updated_at = '2025-02-01 00:00:00+00'::timestamptz + id * interval '1 ms' where id % 10 = 7""")


def test_full_refresh_overwrite(pg, tmp_path):
    db = "pgpg_overwrite"
    setup_source(pg, db, 1, 3000)
    p = pipeline(tmp_path, pg, db, "Full Refresh | Overwrite")
    s = sync(p)
    assert s["records"] == 3001
    assert difference(pg, db, SRC, DST) == (0, 0)
    change_source(pg, db, 3001, 3500)
    pg.execute(db, "delete from public.t where id % 10 = 9")
    sync(p)
    assert difference(pg, db, SRC, DST) == (0, 0)
    assert pg.query(db, "select count(*) from dst.t")[0][0] == pg.query(db, "select count(*) from public.t")[0][0]


def test_full_refresh_append(pg, tmp_path):
    db = "pgpg_append"
    setup_source(pg, db, 1, 2000)
    p = pipeline(tmp_path, pg, db, "Full Refresh | Append")
    sync(p)
    sync(p)
    assert difference(pg, db, f"{SRC} union all {SRC}", DST) == (0, 0)


def test_incremental_append_after_inserts_and_updates(pg, tmp_path):
    db = "pgpg_incremental"
    setup_source(pg, db, 1, 3000)
    p = pipeline(tmp_path, pg, db, "Incremental | Append")
    sync(p)
    assert difference(pg, db, SRC, DST) == (0, 0)
    before = pg.query(db, "select count(*) from dst.t")[0][0]
    change_source(pg, db, 3001, 3400)
    s = sync(p)
    changed = pg.query(db, "select count(*) from public.t where id > 3000 or id % 10 in (3, 7)")[0][0]
    # The second run reads the new and changed rows, plus the rows at the saved cursor value
    # (>=: at-least-once at the boundary).
    assert changed <= s["records"] <= changed + 1
    assert pg.query(db, "select count(*) from dst.t")[0][0] == before + s["records"]
    # Every current source row is there; the latest version per key equals the source.
    latest = f"select distinct on (id) {COLUMNS} from dst.t order by id, updated_at desc"
    assert difference(pg, db, SRC, latest) == (0, 0)


def test_dedup_after_updates_and_deletes(pg, tmp_path):
    db = "pgpg_dedup"
    setup_source(pg, db, 1, 3000)
    p = pipeline(tmp_path, pg, db, "Incremental | Append + Deduped")
    sync(p)
    assert difference(pg, db, SRC, DST) == (0, 0)
    change_source(pg, db, 3001, 3400)
    sync(p)
    # Rows marked deleted (_ab_cdc_deleted_at) are gone; everything else is exactly the source.
    live = f"select {COLUMNS} from public.t where _ab_cdc_deleted_at is null"
    assert difference(pg, db, live, DST) == (0, 0)
    assert pg.query(db, "select count(*) from dst.t where id % 10 = 7") == [(0,)]
    # A third run with nothing new changes nothing.
    sync(p)
    assert difference(pg, db, live, DST) == (0, 0)


def wait_for(predicate, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("mode", ["Incremental | Append + Deduped", "Incremental | Append"])
def test_kill_9_mid_table_then_rerun(pg, tmp_path, mode):
    db = "pgpg_kill"
    count = 300_000
    setup_source(pg, db, 1, count)
    p = pipeline(tmp_path, pg, db, mode)
    state_file = tmp_path / ".sluice-state" / "pgpg.state.json"
    kill_after_checkpoint(p, lambda: state_file.exists() and "cursor" in state_file.read_text())
    # A first dedup load goes into the tmp table, swapped in when the stream completes.
    table = "dst.t_airbyte_tmp" if mode == "Incremental | Append + Deduped" else "dst.t"
    committed = pg.query(db, f"select count(*) from {table}")[0][0]
    assert 0 < committed < count + 1
    saved = json.loads(state_file.read_text())[0]["stream"]["stream_state"]["cursor"]
    assert pg.query(db, f"select max(updated_at) >= %s::timestamptz from {table}", (saved,)) == [(True,)], \
        "the saved state covers only committed rows"
    sync(p)
    if mode == "Incremental | Append + Deduped":
        assert difference(pg, db, SRC, DST) == (0, 0), "nothing lost, nothing duplicated"
    else:
        assert difference(pg, db, SRC, f"select distinct {COLUMNS} from dst.t") == (0, 0), "nothing lost"


def test_overwrite_killed_mid_table_then_rerun(pg, tmp_path):
    """A full refresh killed after some ranges were committed: the old copy stays whole until the
    re-run (which resumes the source at the saved range) swaps in a complete, duplicate-free one."""
    db = "pgpg_kill_overwrite"
    setup_source(pg, db, 1, 3000)
    p = pipeline(tmp_path, pg, db, "Full Refresh | Overwrite", chunk_size_mb=1)
    sync(p)
    old = pg.query(db, "select count(*) from dst.t")[0][0]
    pg.execute(db, INSERT, (3001, 300_000))
    state_file = tmp_path / ".sluice-state" / "pgpg.state.json"
    proc = subprocess.Popen([SLUICE, "sync", str(p), "--no-progress", "--commit-interval-ms", "20"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: state_file.exists() and '"ctid"' in state_file.read_text()
                        and "complete" not in state_file.read_text()), "no mid-table checkpoint"
        assert proc.poll() is None, "the sync finished before it could be killed: raise the count"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert pg.query(db, "select count(*) from dst.t")[0][0] == old, "the old copy is untouched"
    sync(p)
    assert difference(pg, db, SRC, DST) == (0, 0), "nothing lost, nothing duplicated"
