"""source-postgres CDC with a range-partitioned table: the root is the stream (discover lists no
partitions); changes in its partitions reach the root's stream whether the publication has
publish_via_partition_root (changes arrive under the root) or not (they arrive under each
partition, mapped to its root). A row moving between partitions (an update of the partition key)
arrives as a delete in one partition and an insert in the other."""
import json

import pytest

from conftest import run, write_pipeline
from pg_server import pg  # noqa: F401  (session fixture)
from test_postgres_cdc import difference, sync

CREATE = """
create table public.events (id bigint, day date, v text, n int, primary key (id, day)) partition by range (day);
create table public.events_2024 partition of public.events for values from ('2024-01-01') to ('2025-01-01');
create table public.events_2025 partition of public.events for values from ('2025-01-01') to ('2026-01-01');
"""

INSERT = """
insert into public.events
select g, '2024-01-01'::date + mod(g * 7, 730), 'v' || g, g from generate_series(%s, %s) g"""

COLS = "id, day, v, n"


def assert_equal(pg, db):
    assert difference(pg, db, f"select {COLS} from public.events", f"select {COLS} from dst.events") == (0, 0)


@pytest.mark.parametrize("via_root", [True, False])
def test_partitioned_table(pg, tmp_path, via_root):
    db = f"cdc_part_{'root' if via_root else 'leaf'}"
    slot = f"sluice_slot_{db}"
    pg.create_database(db)
    pg.execute(db, CREATE)
    pg.execute(db, INSERT, (1, 1000))
    pg.execute(db, "create publication sluice_pub for table public.events"
               + (" with (publish_via_partition_root = true)" if via_root else ""))
    pg.execute(db, f"select pg_create_logical_replication_slot('{slot}', 'pgoutput')")
    source = pg.config(db, replication_method={
        "method": "CDC", "plugin": "pgoutput", "replication_slot": slot, "publication": "sluice_pub",
        "initial_waiting_seconds": 120})

    # Discover: the root is a stream, its partitions are not.
    (tmp_path / "c.json").write_text(json.dumps(source))
    r = run("connector", "source-postgres", "discover", "--config", tmp_path / "c.json")
    cat = next(json.loads(l) for l in r.stdout.splitlines() if '"CATALOG"' in l)["catalog"]
    assert [s["name"] for s in cat["streams"]] == ["events"]
    # Check: the publication covers the root (pg_publication_tables lists the leaves without
    # publish_via_partition_root).
    r = run("connector", "source-postgres", "check", "--config", tmp_path / "c.json")
    assert '"SUCCEEDED"' in r.stdout, r.stdout + r.stderr

    p = write_pipeline(tmp_path / "part.yaml", {
        "name": "part",
        "source": {"connector": "postgres", "config": source},
        "destination": {"connector": "postgres", "config": pg.config(db)},
        "namespace": {"definition": "custom", "format": "dst"},
        "streams": [{"name": "events", "mode": "Incremental | Append + Deduped", "primary_key": ["id", "day"]}],
    })
    sync(p)
    assert_equal(pg, db)

    # Changes in both partitions, rows moving between them, a partition added during the stream.
    pg.execute(db, INSERT, (2001, 2200))
    pg.execute(db, "update public.events set v = 'u' || id, n = -n where id % 10 = 3")
    pg.execute(db, "delete from public.events where id % 10 = 7")
    pg.execute(db, "update public.events set day = day + 365 where day < '2025-01-01' and id % 10 = 5")  # 2024 → 2025
    pg.execute(db, "update public.events set day = day - 365 where day >= '2025-01-01' and id % 10 = 1")  # 2025 → 2024
    pg.execute(db, "create table public.events_2026 partition of public.events "
                   "for values from ('2026-01-01') to ('2027-01-01')")
    pg.execute(db, "insert into public.events values (9001, '2026-03-01', 'new partition', 1)")
    pg.execute(db, "update public.events set day = '2026-06-01' where id = 2")  # into the new partition
    moved = pg.query(db, "select count(*) from public.events_2025 where id % 10 = 5")[0][0]
    assert moved > 0
    sync(p)
    assert_equal(pg, db)
    assert pg.query(db, "select count(*) from dst.events where id = 2") == [(1,)]
    assert pg.query(db, "select day::text from dst.events where id = 2") == [("2026-06-01",)]
