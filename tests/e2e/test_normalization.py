"""Basic normalization in destination-postgres against a real PostgreSQL 15: the seed's customers
example table by table, deeper nesting (objects in array elements, arrays of arrays, scalar
arrays, empty arrays, nulls, bad values), long names and collisions, dedup replacing and removing
child rows, an overwrite that fails leaving every table as it was, the legacy raw layout, and the
pipeline file's `normalization:` key with faker."""
import json

from conftest import run, write_pipeline
from pg_server import pg  # noqa: F401  (session fixture)

DEST = "destination-postgres"

CUSTOMERS_SCHEMA = {
    "id": {"type": "integer"},
    "name": {"type": "string"},
    "contact": {"type": ["null", "object"], "properties": {"email": {"type": "string"}, "phone": {"type": "string"}}},
    "addresses": {"type": ["null", "array"], "items": {"type": "object", "properties": {
        "type": {"type": "string"}, "city": {"type": "string"}}}},
}

SEED_RECORD = {"id": 1, "name": "Acme Corp", "contact": {"email": "info@acme.com", "phone": "+1234567890"},
               "addresses": [{"type": "billing", "city": "New York"}, {"type": "shipping", "city": "Boston"}]}


def stream(name, props, mode="append", sync_mode="incremental", pk=None, cursor=None):
    c = {"stream": {"name": name, "json_schema": {"type": "object", "properties": props},
                    "supported_sync_modes": ["full_refresh", "incremental"]},
         "sync_mode": sync_mode, "destination_sync_mode": mode}
    if pk:
        c["primary_key"] = [[k] for k in pk]
    if cursor:
        c["cursor_field"] = [cursor]
    return c


def record(name, data, emitted_at=1_760_608_800_000):
    return {"type": "RECORD", "record": {"stream": name, "data": data, "emitted_at": emitted_at}}


def state(name, n):
    return {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": name},
                                                                    "stream_state": {"n": n}}}}


def write(tmp_path, config, streams, messages, check=True, extra_lines=""):
    cfg = tmp_path / "dest.json"
    cfg.write_text(json.dumps(config))
    cat = tmp_path / "catalog.json"
    cat.write_text(json.dumps({"streams": streams}))
    text = "".join(json.dumps(m) + "\n" for m in messages) + extra_lines
    return run("connector", DEST, "write", "--config", cfg, "--catalog", cat, input=text, check=check)


def columns(pg, db, table, schema="public"):
    return [r[0] for r in pg.query(db, "select attname from pg_attribute where attrelid = %s::regclass "
                                   "and attnum > 0 and not attisdropped order by attnum", (f'"{schema}"."{table}"',))]


def tables(pg, db, schema="public"):
    return {r[0] for r in pg.query(db, "select relname from pg_class where relkind = 'r' and relnamespace = "
                                   "%s::regnamespace", (schema,))}


def test_seed_customers_example_exactly(pg, tmp_path):
    db = pg.create_database("norm_seed")
    cfg = pg.config(db, normalization="basic", legacy_raw_tables=True)
    write(tmp_path, cfg, [stream("customers", CUSTOMERS_SCHEMA, mode="append_dedup", pk=["id"])],
          [record("customers", SEED_RECORD), state("customers", 1)])
    assert tables(pg, db) == {"customers", "customers_addresses", "_airbyte_raw_customers"}
    # customers(id, name, contact_email, contact_phone, …, _airbyte_normalized_at)
    cols = columns(pg, db, "customers")
    assert cols[:4] == ["id", "name", "contact_email", "contact_phone"]
    assert cols[-1] == "_airbyte_normalized_at" and "_airbyte_customers_hashid" in cols
    assert "contact" not in cols and "addresses" not in cols
    assert pg.query(db, "select id, name, contact_email, contact_phone, _airbyte_normalized_at is not null "
                        "from customers") == [(1, "Acme Corp", "info@acme.com", "+1234567890", True)]
    # customers_addresses(_airbyte_customers_hashid, type, city, …)
    assert columns(pg, db, "customers_addresses")[:3] == ["_airbyte_customers_hashid", "type", "city"]
    rows = pg.query(db, "select a._airbyte_customers_hashid = c._airbyte_customers_hashid, a.type, a.city "
                        "from customers_addresses a, customers c order by a._airbyte_customers_addresses_hashid")
    assert sorted(rows, key=lambda r: r[1]) == [(True, "billing", "New York"), (True, "shipping", "Boston")]
    # The hash id comes from the primary key: md5 of [1].
    assert pg.query(db, "select _airbyte_customers_hashid = md5('[1]') from customers") == [(True,)]
    # The legacy raw table the seed's dbt model reads.
    assert columns(pg, db, "_airbyte_raw_customers") == ["_airbyte_ab_id", "_airbyte_data", "_airbyte_emitted_at"]
    assert pg.query(db, "select (_airbyte_data->>'id')::int, _airbyte_data->'contact'->>'email', "
                        "_airbyte_emitted_at is not null from _airbyte_raw_customers") == [
        (1, "info@acme.com", True)]


DEEP_SCHEMA = {
    "id": {"type": "integer"},
    "contact_email": {"type": "string"},  # collides with contact.email
    "contact": {"type": "object", "properties": {
        "email": {"type": "string"},
        "geo": {"type": "object", "properties": {"lat": {"type": "number"}, "ok": {"type": "boolean"}}},
        "since": {"type": "string", "format": "date"},
        "phones": {"type": "array", "items": {"type": "string"}}}},
    "addresses": {"type": "array", "items": {"type": "object", "properties": {
        "city": {"type": "string"},
        "zip": {"type": "integer"},
        "lines": {"type": "array", "items": {"type": "string"}},
        "meta": {"type": "object"}}}},
    "matrix": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
    "tags": {"type": "array", "items": {"type": "string"}},
    "free": {"type": "object"},
    "x" * 70: {"type": "array", "items": {"type": "object", "properties": {"y" * 70: {"type": "integer"}}}},
}


def test_deeper_nesting_empty_arrays_nulls_and_names(pg, tmp_path):
    db = pg.create_database("norm_deep")
    recs = [
        {"id": 1, "contact_email": "top@x", "contact": {"email": "nested@x", "geo": {"lat": 52.5, "ok": True},
                                                       "since": "2020-01-31", "phones": ["+1", "+2"]},
         "addresses": [{"city": "Utrecht", "zip": 3511, "lines": ["a", "b"], "meta": {"k": 1}},
                       {"city": "Gent", "zip": "not a number", "lines": []}],
         "matrix": [[1, 2], [3]], "tags": ["a", "b", "c"], "free": {"any": [1]}, "x" * 70: [{"y" * 70: 7}]},
        {"id": 2, "contact": None, "addresses": [], "matrix": None, "tags": [], "free": None},
        {"id": 3, "contact": {"geo": None, "since": "bad-date"}},
    ]
    write(tmp_path, pg.config(db, normalization="basic"), [stream("customers", DEEP_SCHEMA)],
          [record("customers", r) for r in recs] + [state("customers", 1)])
    long_parent = "customers_" + "x" * 70
    t = tables(pg, db)
    assert {"customers", "customers_contact_phones", "customers_addresses", "customers_addresses_lines",
            "customers_matrix", "customers_matrix_value", "customers_tags"} <= t
    long_tables = [name for name in t if name.startswith("customers_xxxx")]
    assert len(long_tables) == 1 and len(long_tables[0]) == 63 and long_tables[0] != long_parent[:63]
    cols = columns(pg, db, "customers")
    assert {"contact_email", "contact_email_2", "contact_geo_lat", "contact_geo_ok", "contact_since", "free"} <= set(cols)
    assert pg.query(db, "select id, contact_email, contact_email_2, contact_geo_lat, contact_geo_ok, contact_since, "
                        "free from customers order by id") == [
        (1, "top@x", "nested@x", 52.5, True, __import__("datetime").date(2020, 1, 31), {"any": [1]}),
        (2, None, None, None, None, None, None),
        (3, None, None, None, None, None, None)]
    # Element objects flattened, a value that does not fit its type is NULL, nested objects stay jsonb.
    assert pg.query(db, "select city, zip, meta from customers_addresses order by city") == [
        ("Gent", None, None), ("Utrecht", 3511, {"k": 1})]
    # Arrays inside elements recurse; their parent is the element, the root's hash id comes along.
    assert pg.query(db, "select l.value, l._airbyte_customers_addresses_hashid = a._airbyte_customers_addresses_hashid,"
                        " l._airbyte_customers_hashid = c._airbyte_customers_hashid from customers_addresses_lines l "
                        "join customers_addresses a using (_airbyte_customers_addresses_hashid) join customers c on "
                        "c._airbyte_customers_hashid = a._airbyte_customers_hashid order by l.value") == [
        ("a", True, True), ("b", True, True)]
    assert pg.query(db, "select value from customers_tags order by value") == [("a",), ("b",), ("c",)]
    assert pg.query(db, "select value from customers_contact_phones order by value") == [("+1",), ("+2",)]
    # Arrays of arrays: one row per inner array, its elements in the grandchild's value column.
    assert pg.query(db, "select count(*) from customers_matrix") == [(2,)]
    assert pg.query(db, "select array_agg(value order by value) from customers_matrix_value "
                        "group by _airbyte_customers_matrix_hashid order by 1") == [([1, 2],), ([3],)]
    ycols = [c for c in columns(pg, db, long_tables[0]) if c.startswith("yyy")]
    assert len(ycols) == 1 and len(ycols[0]) == 63
    assert pg.query(db, f'select "{ycols[0]}" from "{long_tables[0]}"') == [(7,)]
    # Append mode: hash ids from the raw id, so every parent row has its own.
    assert pg.query(db, "select count(distinct _airbyte_customers_hashid) from customers") == [(3,)]


def test_dedup_replaces_and_removes_child_rows(pg, tmp_path):
    db = pg.create_database("norm_dedup")
    schema = dict(CUSTOMERS_SCHEMA, updated_at={"type": "integer"}, _ab_cdc_deleted_at={"type": ["null", "string"]})
    s = [stream("customers", schema, mode="append_dedup", pk=["id"], cursor="updated_at")]
    cfg = pg.config(db, normalization="basic")
    first = [record("customers", dict(SEED_RECORD, updated_at=1)),
             record("customers", {"id": 2, "name": "Beta", "updated_at": 1,
                                  "addresses": [{"type": "billing", "city": "Delft"}]}),
             record("customers", {"id": 3, "name": "Gamma", "updated_at": 1,
                                  "addresses": [{"type": "billing", "city": "Leiden"}]}),
             state("customers", 1)]
    write(tmp_path, cfg, s, first)
    hashes = dict(pg.query(db, "select id, _airbyte_customers_hashid from customers"))
    assert pg.query(db, "select count(*) from customers_addresses") == [(4,)]
    second = [
        # 1 moves: one address instead of two, twice in the checkpoint (the later one wins)
        record("customers", dict(SEED_RECORD, updated_at=2, addresses=[{"type": "billing", "city": "Haarlem"}])),
        record("customers", dict(SEED_RECORD, updated_at=3, addresses=[{"type": "billing", "city": "Zwolle"}])),
        # 2 is deleted (CDC), 3 is an older version: ignored
        record("customers", {"id": 2, "name": "Beta", "updated_at": 2, "_ab_cdc_deleted_at": "2025-10-17T00:00:00Z"}),
        record("customers", {"id": 3, "name": "Old", "updated_at": 0, "addresses": []}),
        state("customers", 2),
        # a later checkpoint: 4 is new
        record("customers", {"id": 4, "name": "Delta", "updated_at": 1, "addresses": [{"city": "Ede"}]}),
        state("customers", 3)]
    write(tmp_path, cfg, s, second)
    assert pg.query(db, "select id, name from customers order by id") == [(1, "Acme Corp"), (3, "Gamma"), (4, "Delta")]
    rows = pg.query(db, "select c.id, a.city from customers_addresses a join customers c using "
                        "(_airbyte_customers_hashid) order by 1, 2")
    assert rows == [(1, "Zwolle"), (3, "Leiden"), (4, "Ede")]
    assert pg.query(db, "select count(*) from customers_addresses") == [(3,)]  # none orphaned
    # Hash ids are stable across syncs.
    assert dict(pg.query(db, "select id, _airbyte_customers_hashid from customers where id in (1, 3)")) == {
        1: hashes[1], 3: hashes[3]}


def test_overwrite_swaps_every_table_and_a_failure_keeps_them(pg, tmp_path):
    db = pg.create_database("norm_overwrite")
    s = [stream("customers", CUSTOMERS_SCHEMA, mode="overwrite", sync_mode="full_refresh", pk=["id"])]
    cfg = pg.config(db, normalization="basic")
    write(tmp_path, cfg, s, [record("customers", SEED_RECORD), record("customers", {"id": 2, "addresses": [{}]}),
                             state("customers", 1)])
    assert pg.query(db, "select count(*) from customers_addresses") == [(3,)]
    # A failing run (a malformed line after some records) leaves both tables as they were.
    p = write(tmp_path, cfg, s, [record("customers", {"id": 9, "addresses": [{"city": "X"}]}), state("customers", 2)],
              check=False, extra_lines="{not json\n")
    assert p.returncode != 0
    assert pg.query(db, "select array_agg(id order by id) from customers") == [([1, 2],)]
    assert pg.query(db, "select count(*) from customers_addresses") == [(3,)]
    # A complete run replaces both (and the failed run's tmp tables go).
    write(tmp_path, cfg, s, [record("customers", {"id": 9, "addresses": [{"city": "X"}]}), state("customers", 3)])
    assert pg.query(db, "select id from customers") == [(9,)]
    assert pg.query(db, "select city from customers_addresses") == [("X",)]
    assert tables(pg, db) == {"customers", "customers_addresses"}


def test_pipeline_normalization_key_with_faker(pg, tmp_path):
    db = pg.create_database("norm_faker")
    p = write_pipeline(tmp_path / "faker.yaml", {
        "name": "faker normalized",
        "source": {"connector": "faker", "config": {"count": 200, "seed": 3}},
        "destination": {"connector": "postgres", "config": pg.config(db)},
        "normalization": "basic",
        "streams": [{"name": "users", "mode": "Full Refresh | Overwrite"}],
    })
    r = run("sync", p, "--json", "--no-progress")
    assert json.loads(r.stdout)["status"] == "succeeded"
    cols = columns(pg, db, "users")
    assert "address_city" in cols and "address" not in cols and "tags" not in cols
    assert pg.query(db, "select count(*), count(address_city) from users") == [(200, 200)]
    assert pg.query(db, "select count(distinct _airbyte_users_hashid) from users_tags") == [(200,)] or \
        pg.query(db, "select count(*) from users_tags")[0][0] > 0
    # A destination that cannot normalize says so.
    bad = write_pipeline(tmp_path / "bad.yaml", {
        "source": {"connector": "faker", "config": {"count": 1}},
        "destination": {"connector": "dev-null", "config": {}},
        "normalization": "basic"})
    r = run("sync", bad, "--no-progress", check=False)
    assert r.returncode == 2 and "cannot normalize" in r.stderr


def test_flattening_in_cpp_matches_the_sql_projection(pg, tmp_path):
    """Overwrite flattens records in C++ and COPYs every table directly; append_dedup stages the typed rows
    and projects them in SQL. The same records give the same rows and the same hash ids either way."""
    recs = [
        {"id": 1, "contact_email": "top@x", "contact": {"email": "nested@x", "geo": {"lat": 52.5, "ok": True},
                                                       "since": "2020-01-31", "phones": ["+1", "+2"]},
         "addresses": [{"city": "Utrecht", "zip": 3511, "lines": ["a", "b"], "meta": {"k": 1}},
                       {"city": "Gent", "zip": "not a number", "lines": []}],
         "matrix": [[1, 2], [3]], "tags": ["a", "b", "c"], "free": {"any": [1]}, "x" * 70: [{"y" * 70: 7}]},
        {"id": 2, "contact": None, "addresses": [], "matrix": None, "tags": [], "free": None},
        {"id": 3, "contact": {"geo": None, "since": "bad-date", "email": 12.5}},
        # type changes: a string leaf holding an object or a boolean, an integer leaf holding a float
        {"id": 4, "contact": {"email": {"b": [1, "x"], "a": None}, "geo": {"lat": "far", "ok": "yes"}},
         "addresses": [{"city": True, "zip": 1.5, "lines": [1, None, "c\n\"d\""]}], "tags": "not an array",
         "matrix": [[], [4], "x"]},
        {"id": 5, "contact": 7, "addresses": "nope"},
    ]
    loaded = {}
    for mode, sync_mode in (("overwrite", "full_refresh"), ("append_dedup", "incremental")):
        db = pg.create_database(f"norm_same_{mode}")
        write(tmp_path, pg.config(db, normalization="basic"),
              [stream("customers", DEEP_SCHEMA, mode=mode, sync_mode=sync_mode, pk=["id"])],
              [record("customers", r) for r in recs] + [state("customers", 1)])
        skip = {"_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_normalized_at", "_airbyte_meta"}
        content = {}
        for table in tables(pg, db):
            cols = ", ".join(f'"{c}"::text' for c in columns(pg, db, table) if c not in skip)
            content[table] = sorted(pg.query(db, f'select {cols} from "{table}"'), key=repr)
        loaded[mode] = content
    assert set(loaded["overwrite"]) == set(loaded["append_dedup"])
    for table, rows in loaded["append_dedup"].items():
        assert loaded["overwrite"][table] == rows, table
    assert len(loaded["overwrite"]["customers_matrix_value"]) == 4


def test_append_failure_leaves_no_child_rows_without_parents(pg, tmp_path):
    """Append loads every table of a normalized stream in one transaction per checkpoint: a sync that fails
    after a checkpoint keeps that checkpoint's parents and children, and nothing of the rows after it."""
    db = pg.create_database("norm_append_fail")
    s = [stream("customers", CUSTOMERS_SCHEMA)]
    p = write(tmp_path, pg.config(db, normalization="basic"), s,
              [record("customers", SEED_RECORD), state("customers", 1),
               record("customers", {"id": 2, "addresses": [{"city": "Lost"}] * 3})],
              check=False, extra_lines="{not json\n")
    assert p.returncode != 0
    assert pg.query(db, "select id from customers") == [(1,)]
    assert pg.query(db, "select count(*), count(c.id) from customers_addresses a left join customers c "
                        "using (_airbyte_customers_hashid)") == [(2, 2)]
