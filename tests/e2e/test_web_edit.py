"""Editing and deleting in the web UI, in a real browser (web_scenario_edit.mjs) against a real
`sluice server` with authentication and a real PostgreSQL server: a Postgres source edited with
its password left masked (the stored one keeps working), a destination deleted with the
connections using it, a connection's settings (schedule, stream modes, refreshed schema), a
composite primary key chosen in the wizard, a connection deleted.
"""
import os
import shutil

import pytest

from pg_server import pg  # noqa: F401  (session fixture)
from sluice_server import register_secret, sluice_server
from test_web_ui import CHROMIUM, WEB_DIR, drive, steps

pytestmark = pytest.mark.skipif(
    not shutil.which("node") or not os.path.exists(CHROMIUM),
    reason="node and Debian's chromium are needed (scripts/setup.sh installs them)")

ADMIN = "airbyte@example.com"


@pytest.fixture(scope="module")
def ui_server():
    assert (WEB_DIR / "index.html").is_file(), f"the web UI is not built into {WEB_DIR} (ninja target sluice_web)"
    with sluice_server(no_auth=False) as s:
        yield s


def test_edit_delete_settings_composite_key(ui_server, pg, tmp_path):  # noqa: F811
    s = ui_server
    password = register_secret("web-edit-Adm1n!")
    db_password = register_secret("shop-Db-S3cret-7f2a")
    # The admin's first login and setup through the API: the browser starts at the login page.
    s.ok("auth/login", {"email": ADMIN, "password": "password"})
    s.ok("users/change_password", {"currentPassword": "password", "newPassword": password})
    s.ok("workspaces/update", {"initialSetupComplete": True, "name": "Edit tests"})

    # A role of its own (its password is the secret watched), owning a source and a warehouse database.
    pg.execute("postgres", "drop role if exists shop_user")
    pg.execute("postgres", f"create role shop_user login password '{db_password}'")
    for db in ("shop", "dw"):
        pg.create_database(db)
        pg.execute("postgres", f"alter database {db} owner to shop_user")
    shop = dict(database="shop", user="shop_user", password=db_password)
    conn = pg.connect(**shop)
    with conn.cursor() as cur:
        # events: no primary key (the wizard's composite key), a jsonb payload (nested data).
        cur.execute("create table events (id int not null, region text not null, payload jsonb, updated_at timestamptz not null)")
        cur.execute("insert into events select i % 5, case when i % 2 = 0 then 'eu' else 'us' end, "
                    "jsonb_build_object('n', i), timestamptz '2024-01-01' + i * interval '1 minute' "
                    "from generate_series(1, 40) i")
        cur.execute("create table orders (id int, region text, amount numeric, updated_at timestamptz, primary key (id, region))")
        cur.execute("insert into orders values (1, 'eu', 10, now()), (1, 'us', 11, now()), (2, 'eu', 12, now())")
    conn.close()

    def pg_config(database):
        return {"host": pg.host, "port": pg.port, "database": database, "username": "shop_user",
                "password": db_password, "ssl_mode": {"mode": "disable"}}

    source = s.ok("sources/create", {"sourceDefinitionId": "source-postgres", "name": "Shop DB",
                                     "connectionConfiguration": pg_config("shop")})
    files = s.ok("destinations/create", {"destinationDefinitionId": "destination-local", "name": "Files",
                                         "connectionConfiguration": {"destination_path": str(tmp_path / "files")}})
    old = s.ok("destinations/create", {"destinationDefinitionId": "destination-local", "name": "Old files",
                                       "connectionConfiguration": {"destination_path": str(tmp_path / "old")}})
    warehouse = s.ok("destinations/create", {"destinationDefinitionId": "destination-postgres", "name": "Warehouse",
                                             "connectionConfiguration": pg_config("dw")})
    to_files = s.ok("connections/create", {"sourceId": source["sourceId"], "destinationId": files["destinationId"],
                                           "name": "Shop to files"})
    to_old = s.ok("connections/create", {"sourceId": source["sourceId"], "destinationId": old["destinationId"],
                                         "name": "Shop to old files"})
    # A table made after the connections: "Refresh source schema" finds it.
    conn = pg.connect(**shop)
    with conn.cursor() as cur:
        cur.execute("create table refunds (id int primary key, amount numeric)")
    conn.close()

    shots = tmp_path / "screenshots"
    shots.mkdir()
    options = {"baseUrl": s.base, "screenshots": str(shots), "email": ADMIN, "password": password,
               "secret": db_password, "chromium": CHROMIUM, "sourceId": source["sourceId"],
               "oldDestinationId": old["destinationId"], "oldConnectionId": to_old["connectionId"],
               "filesConnectionId": to_files["connectionId"]}
    result = drive("edit", options, timeout=150)
    print(result.stdout)
    assert result.returncode == 0, f"browser scenario failed (screenshots in {shots}):\n{result.stderr[-6000:]}"
    done = [x["step"] for x in steps(result)]
    assert done[-1] == "done"
    for name in ("source-edit", "source-edit-800", "delete-confirm", "connection-settings", "connection-settings-800",
                 "new-connection-composite-key"):
        assert (shots / f"{name}.png").stat().st_size > 1000, name

    # What the browser did is in the server (checked here through another session as well).
    got = s.ok("sources/get", {"sourceId": source["sourceId"]})
    assert got["name"] == "Shop database" and got["connectionConfiguration"]["connect_timeout"] == 15
    assert got["connectionConfiguration"]["password"] == "**********"
    assert s.ok("sources/check_connection", {"sourceId": source["sourceId"]})["status"] == "succeeded"
    assert s.post("destinations/get", {"destinationId": old["destinationId"]}).status_code == 404
    listed = [c["connectionId"] for c in s.ok("connections/list", {"includeSyncCatalog": False})["connections"]]
    assert to_old["connectionId"] not in listed and to_files["connectionId"] not in listed
    created = next(x["connectionId"] for x in steps(result) if x["step"] == "composite key stored")
    streams = {x["stream"]["name"]: x["config"] for x in s.ok("connections/get", {"connectionId": created})["syncCatalog"]["streams"]}
    assert streams["events"]["primaryKey"] == [["id"], ["region"]] and streams["events"]["cursorField"] == ["updated_at"]
    assert streams["events"]["destinationSyncMode"] == "append_dedup"
    # The sync the browser ran with the kept password deduplicated on (id, region): 5 ids × 2 regions.
    assert pg.query("dw", "select count(*) from public.events")[0][0] == 10
    assert db_password.encode() not in s.log_path.read_bytes()
