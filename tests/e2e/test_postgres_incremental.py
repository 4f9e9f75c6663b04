"""destination-postgres at scale, against a real PostgreSQL 15: a first dedup load that skips
merging (tmp table, deduplicated once, swapped in), merges that probe the primary-key index
(checked with the plans `--log-level debug` prints), truncate refreshes (minimum_generation_id ==
generation_id) that keep the old rows until the new generation commits, and tmp tables that a
later attempt of the same generation loads further."""
import json

from conftest import run
from pg_server import pg  # noqa: F401  (session fixture)
from test_postgres_destination import dest_config, faker_pipeline, record, state, stream, sync

DEST = "destination-postgres"
PROPS = {"id": {"type": "integer"}, "v": {"type": "string"}, "updated": {"type": "integer"}}


def write_lines(tmp_path, config, streams, lines, check=True):
    """`sluice connector destination-postgres write` with `lines` (messages, or raw text) on stdin."""
    cfg = tmp_path / "dest.json"
    cfg.write_text(json.dumps(config))
    cat = tmp_path / "catalog.json"
    cat.write_text(json.dumps({"streams": streams}))
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    return run("connector", DEST, "write", "--config", cfg, "--catalog", cat, input=text, check=check)


def debug_sync(pipeline):
    r = run("--log-level", "debug", "sync", pipeline, "--json", "--no-progress")
    return r, json.loads(r.stdout)


def generation(configured, gen, minimum):
    return {**configured, "generation_id": gen, "minimum_generation_id": minimum, "sync_id": gen * 10}


def test_first_dedup_load_skips_merging_then_merges_probe_the_key_index(pg, tmp_path):
    db = pg.create_database("inc_first_load")
    p = faker_pipeline(tmp_path, pg, db, "Incremental | Append + Deduped", count=3000)
    r, summary = debug_sync(p)
    assert summary["status"] == "succeeded"
    assert "is new: rows are loaded into" in r.stderr, r.stderr
    assert "merge plan" not in r.stderr
    assert pg.query(db, "select count(*), count(distinct id) from users") == [(3000, 3000)]
    index = pg.query(db, "select indexname, indexdef from pg_indexes where tablename = 'users'")
    assert len(index) == 1 and "UNIQUE" in index[0][1] and "(id)" in index[0][1], index
    assert not index[0][0].startswith("users_airbyte_tmp"), "the index takes the final table's name"
    assert pg.query(db, "select count(*) from pg_class where relname like '%airbyte_tmp%'") == [(0,)]
    assert "_sluice_seq" not in [c[0] for c in pg.query(
        db, "select column_name from information_schema.columns where table_name = 'users'")]

    # 500 rows again, newer, from another seed: merged through the key index.
    p2 = faker_pipeline(tmp_path, pg, db, "Incremental | Append + Deduped", count=500,
                        source_extra={"seed": 8, "always_updated": True})
    r, summary = debug_sync(p2)
    assert summary["status"] == "succeeded"
    plans = r.stderr[r.stderr.index("merge plan"):]
    assert "Index Scan using users_pk_" in plans or "Index Only Scan using users_pk_" in plans, plans
    assert "Seq Scan on users" not in plans, plans
    assert "Hash Join" not in plans and "Merge Join" not in plans, plans
    assert "merge(s) of 500 row(s)" in r.stderr, r.stderr
    assert pg.query(db, "select count(*), count(distinct id) from users") == [(3000, 3000)]
    # The merged rows are seed 8's: the same as a plain load of it.
    other = pg.create_database("inc_first_load_ref")
    sync(faker_pipeline(tmp_path, pg, other, "Full Refresh | Overwrite", count=500, source_extra={"seed": 8}))
    want = sorted(pg.query(other, "select id, name, email from users"))
    assert sorted(pg.query(db, "select id, name, email from users where id <= 500")) == want


def test_dedup_load_killed_midway_resumes_into_its_tmp_table(pg, tmp_path):
    db = pg.create_database("inc_resume")
    cfg = dest_config(pg, db)
    s = [stream("items", PROPS, mode="append_dedup", pk=["id"], cursor="updated")]
    first = [record("items", {"id": i, "v": f"a{i}", "updated": 1}) for i in range(1, 4)]
    r = write_lines(tmp_path, cfg, s, first + [state("items", {"c": 1}), "this is not json"], check=False)
    assert r.returncode != 0
    # The checkpoint's rows are committed in the tmp table; the final table does not exist yet.
    assert pg.query(db, "select to_regclass('public.items') is null") == [(True,)]
    assert pg.query(db, "select count(*) from items_airbyte_tmp") == [(3,)]
    second = [record("items", {"id": 3, "v": "newer", "updated": 2}), record("items", {"id": 4, "v": "a4", "updated": 1}),
              record("items", {"id": 2, "v": "older", "updated": 0})]
    write_lines(tmp_path, cfg, s, second + [state("items", {"c": 2})])
    assert pg.query(db, "select id, v from items order by id") == [(1, "a1"), (2, "a2"), (3, "newer"), (4, "a4")]
    assert pg.query(db, "select to_regclass('public.items_airbyte_tmp') is null") == [(True,)]


def test_existing_empty_table_is_merged_into_and_keeps_its_views(pg, tmp_path):
    db = pg.create_database("inc_existing")
    pg.execute(db, "create table items (id bigint, v text, updated bigint); create view items_v as select id, v from items")
    s = [stream("items", PROPS, mode="append_dedup", pk=["id"], cursor="updated")]
    r = write_lines(tmp_path, dest_config(pg, db), s, [record("items", {"id": i, "v": "a", "updated": 1}) for i in (1, 2, 1)])
    assert "is new" not in r.stderr
    assert pg.query(db, "select id, v from items_v order by id") == [(1, "a"), (2, "a")]
    assert pg.query(db, "select count(*) from pg_indexes where tablename = 'items' and indexname like 'items_pk_%'") == [(1,)]


def test_truncate_refresh_keeps_old_rows_until_the_new_generation_commits(pg, tmp_path):
    db = pg.create_database("inc_refresh")
    cfg = dest_config(pg, db)
    for mode, pk in (("append", None), ("append_dedup", ["id"])):
        table = f"t_{mode}"
        s = stream(table, PROPS, mode=mode, pk=pk, cursor="updated")
        old = [record(table, {"id": i, "v": "gen1", "updated": 1}) for i in range(1, 6)]
        write_lines(tmp_path, cfg, [generation(s, 1, 0)], old + [state(table, {"c": 1})])
        assert pg.query(db, f"select count(*), min(_airbyte_generation_id) from {table}") == [(5, 1)]
        # Generation 2 replaces generation 1, but its first attempt fails after a checkpoint.
        new = [record(table, {"id": i, "v": "gen2", "updated": 2}) for i in (1, 2)]
        r = write_lines(tmp_path, cfg, [generation(s, 2, 2)], new + [state(table, {"c": 2}), "{broken"], check=False)
        assert r.returncode != 0
        assert pg.query(db, f"select count(*), max(v), max(_airbyte_generation_id) from {table}") == [(5, "gen1", 1)]
        # A merge-style attempt (minimum 0) of another generation would not touch the tmp table;
        # the next attempt of generation 2 loads it further and swaps it in.
        more = [record(table, {"id": i, "v": "gen2", "updated": 2}) for i in (2, 3)]
        write_lines(tmp_path, cfg, [generation(s, 2, 2)], more + [state(table, {"c": 3})])
        rows = pg.query(db, f"select id, v, _airbyte_generation_id from {table} order by id")
        if mode == "append":  # id 2 came in both attempts: at-least-once
            assert rows == [(1, "gen2", 2), (2, "gen2", 2), (2, "gen2", 2), (3, "gen2", 2)]
        else:
            assert rows == [(1, "gen2", 2), (2, "gen2", 2), (3, "gen2", 2)]
        # A tmp table of an older generation is not resumed: generation 3 starts afresh.
        write_lines(tmp_path, cfg, [generation(s, 3, 3)], [record(table, {"id": 9, "v": "gen3", "updated": 3}),
                                                           state(table, {"c": 4}), "oops"], check=False)
        write_lines(tmp_path, cfg, [generation(s, 4, 4)], [record(table, {"id": 8, "v": "gen4", "updated": 4})])
        assert pg.query(db, f"select id, v, _airbyte_generation_id from {table}") == [(8, "gen4", 4)]


def test_merge_refresh_keeps_rows_and_stamps_the_new_generation(pg, tmp_path):
    db = pg.create_database("inc_merge_refresh")
    cfg = dest_config(pg, db)
    s = stream("items", PROPS, mode="append_dedup", pk=["id"], cursor="updated")
    write_lines(tmp_path, cfg, [generation(s, 1, 0)], [record("items", {"id": i, "v": "a", "updated": 1})
                                                        for i in (1, 2)])
    write_lines(tmp_path, cfg, [generation(s, 2, 0)], [record("items", {"id": 2, "v": "b", "updated": 2})])
    assert pg.query(db, "select id, v, _airbyte_generation_id from items order by id") == [(1, "a", 1), (2, "b", 2)]
