"""Basic normalization in the Parquet destinations (destination-local here; destination-s3 shares the kit's
writer): the seed's customers example as one Parquet dataset per flat table, read back with an independent
reader (DuckDB through tests/js/read_parquet.mjs), hash ids equal to md5 of the key as destination-postgres
computes them; and the connection setting `normalization: basic` with faker."""
import hashlib
import json

from conftest import run, write_pipeline
from test_parquet import node_readers, parquet_files, sql  # noqa: F401  (module fixture)

SCHEMA = {
    "id": {"type": "integer"},
    "name": {"type": "string"},
    "contact": {"type": ["null", "object"], "properties": {"email": {"type": "string"}, "phone": {"type": "string"}}},
    "addresses": {"type": ["null", "array"], "items": {"type": "object", "properties": {
        "type": {"type": "string"}, "city": {"type": "string"},
        "lines": {"type": "array", "items": {"type": "string"}}}}},
    "tags": {"type": "array", "items": {"type": "string"}},
}
RECORDS = [
    {"id": 1, "name": "Acme Corp", "contact": {"email": "info@acme.com", "phone": "+1234567890"},
     "addresses": [{"type": "billing", "city": "New York", "lines": ["5th Ave", "Floor 2"]},
                   {"type": "shipping", "city": "Boston"}], "tags": ["b2b"]},
    {"id": 2, "name": "Beta", "contact": None, "addresses": [], "tags": None},
    {"id": 3, "name": "Gamma", "contact": {"email": 5}, "addresses": [{"city": "Gent", "type": None}]},
]


def write(tmp_path, out, mode="overwrite"):
    cfg = tmp_path / "dest.json"
    cfg.write_text(json.dumps({"destination_path": str(out), "format": {"format_type": "Parquet"},
                               "normalization": "basic"}))
    cat = tmp_path / "catalog.json"
    cat.write_text(json.dumps({"streams": [{
        "stream": {"name": "customers", "json_schema": {"type": "object", "properties": SCHEMA},
                   "supported_sync_modes": ["full_refresh"]},
        "sync_mode": "full_refresh", "destination_sync_mode": mode, "primary_key": [["id"]]}]}))
    lines = [{"type": "RECORD", "record": {"stream": "customers", "data": r, "emitted_at": 1_760_608_800_000}}
             for r in RECORDS]
    lines.append({"type": "STATE", "state": {"type": "STREAM", "stream": {
        "stream_descriptor": {"name": "customers"}, "stream_state": {"n": 1}}}})
    run("connector", "destination-local", "write", "--config", cfg, "--catalog", cat,
        input="".join(json.dumps(m) + "\n" for m in lines))


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def test_seed_customers_as_parquet_tables(tmp_path):
    out = tmp_path / "out"
    write(tmp_path, out)
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == ["customers", "customers_addresses", "customers_addresses_lines", "customers_tags"]
    for f in folders:
        assert parquet_files(out / f)
    t = {f: f"read_parquet('{out / f}/*.parquet')" for f in folders}
    cols = [r[0] for r in sql(f"describe select * from {t['customers']}")]
    assert cols == ["_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_generation_id", "_airbyte_meta", "id", "name",
                    "contact_email", "contact_phone", "_airbyte_customers_hashid", "_airbyte_normalized_at"]
    assert sql(f"select id, name, contact_email, contact_phone, _airbyte_customers_hashid from {t['customers']} "
               "order by id") == [
        ["1", "Acme Corp", "info@acme.com", "+1234567890", md5("[1]")],
        ["2", "Beta", None, None, md5("[2]")],
        ["3", "Gamma", "5", None, md5("[3]")]]
    # Children link by the hash ids: the parent's, then their own (md5 of the parent's and the position).
    rows = sql(f"select c.id, a.type, a.city, a._airbyte_customers_addresses_hashid from {t['customers_addresses']} a "
               f"join {t['customers']} c using (_airbyte_customers_hashid) order by 1, 4")
    expected = [[1, "billing", "New York", md5(md5("[1]") + "-1")], [1, "shipping", "Boston", md5(md5("[1]") + "-2")],
                [3, None, "Gent", md5(md5("[3]") + "-1")]]
    assert sorted([[int(r[0])] + r[1:] for r in rows], key=repr) == sorted(expected, key=repr)
    # Arrays in elements recurse, with the root's hash id beside the parent's.
    assert sql(f"select l.value, l._airbyte_customers_hashid = a._airbyte_customers_hashid from "
               f"{t['customers_addresses_lines']} l join {t['customers_addresses']} a "
               f"using (_airbyte_customers_addresses_hashid) order by 1") == [["5th Ave", True], ["Floor 2", True]]
    assert sql(f"select value, _airbyte_customers_hashid from {t['customers_tags']}") == [["b2b", md5("[1]")]]


def test_connection_setting_normalizes_faker_into_parquet(tmp_path):
    out = tmp_path / "pq"
    p = write_pipeline(tmp_path / "faker.yaml", {
        "name": "faker parquet normalized",
        "source": {"connector": "faker", "config": {"count": 300, "seed": 5}},
        "destination": {"connector": "local", "config": {"destination_path": str(out),
                                                         "format": {"format_type": "Parquet"}}},
        "normalization": "basic",
        "streams": [{"name": "users", "mode": "Full Refresh | Overwrite"}],
    })
    r = run("sync", p, "--json", "--no-progress")
    assert json.loads(r.stdout)["status"] == "succeeded"
    users, tags = f"read_parquet('{out}/users/*.parquet')", f"read_parquet('{out}/users_tags/*.parquet')"
    cols = [r[0] for r in sql(f"describe select * from {users}")]
    assert "address_city" in cols and "address" not in cols and "tags" not in cols
    assert sql(f"select count(*), count(address_city), count(distinct _airbyte_users_hashid) from {users}") == [
        ["300", "300", "300"]]
    # Every tag row belongs to a user, and the tags of a user come back in the order of the array.
    assert sql(f"select count(*) from {tags} t left join {users} u using (_airbyte_users_hashid) "
               "where u.id is null") == [["0"]]
    assert int(sql(f"select count(*) from {tags}")[0][0]) > 0
