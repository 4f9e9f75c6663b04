"""The manifests shipped in the binary (source-stripe, source-salesforce) against the local server
of rest_api_server.py, which replays those APIs' documented response shapes: pagination
(starting_after / has_more, nextRecordsUrl), auth (a wrong key → 401, an expired session renewed
through the refresh token), faults (429 with Retry-After, a 500 then success) and incremental
state. No SaaS account is called."""
import json
import pathlib
import threading
import time

from conftest import record_data, run, sync_json, write_pipeline
from rest_api_server import api, BASE_CREATED, DAY  # noqa: F401  (api: fixture)





def states(summary):
    return {m["stream"]["stream_descriptor"]["name"]: m["stream"]["stream_state"]
            for m in json.loads(pathlib.Path(summary["state_file"]).read_text())}


def records_of(summary, stream):
    return next(x for x in summary["streams"] if x["stream"] == stream)["records"]


def check(tmp_path, name, config):
    cfg = tmp_path / f"{name}.json"
    cfg.write_text(json.dumps(config))
    out = run("connector", name, "check", "--config", cfg).stdout
    return json.loads(out.splitlines()[-1])["connectionStatus"]


# ---- Stripe ------------------------------------------------------------------------------------


def stripe_config(api, **extra):
    return {"client_secret": api.api.api_key, "start_date": "2024-01-01T00:00:00Z", "api_base_url": api.base,
            "backoff_factor": 0.1, **extra}


def test_stripe_spec_is_the_manifests(protocol_validator):
    spec = json.loads(run("connector", "source-stripe", "spec").stdout.splitlines()[0])
    protocol_validator.message(spec)
    props = spec["spec"]["connectionSpecification"]["properties"]
    assert props["client_secret"]["airbyte_secret"] is True
    assert {"account_id", "start_date", "lookback_window_days", "slice_range"} <= set(props)
    names = {c["name"] for c in json.loads(run("connectors", "--json").stdout)}
    assert {"source-stripe", "source-salesforce"} <= names


def test_stripe_four_streams_paged_incremental_with_faults(tmp_path, api):
    # 230 charges: three pages of 100 (starting_after the last id, until has_more is false).
    api.api.charges = [{"id": f"ch_{i:04d}", "object": "charge", "amount": 100 + i, "currency": "usd",
                        "customer": f"cus_{i % 25 + 1:03d}", "paid": True, "status": "succeeded",
                        "created": BASE_CREATED + i * 3600, "metadata": {}} for i in range(1, 231)]
    api.api.fault("/v1/charges", 429, 500)
    pipeline = write_pipeline(tmp_path / "stripe.yaml", {
        "name": "stripe", "source": {"manifest": "stripe", "config": stripe_config(api)},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": n, "mode": "Incremental | Append"} for n in ("customers", "charges", "invoices", "subscriptions")]})
    s1, _ = sync_json(pipeline)
    assert s1["status"] == "succeeded"
    for stream, rows in [("customers", api.api.customers), ("charges", api.api.charges), ("invoices", api.api.invoices),
                         ("subscriptions", api.api.subscriptions)]:
        got = sorted(r["id"] for r in record_data(tmp_path / "out" / stream))
        assert got == sorted(r["id"] for r in rows), f"{stream}: every record once"
    assert {r["status"] for r in record_data(tmp_path / "out" / "subscriptions")} == {"active", "canceled"}  # status=all
    charges = [r for r in api.requests("/v1/charges") if r["headers"].get("Authorization")]
    attempts = [r for r in charges if r["query"].get("starting_after") is None and r["query"]["created[gte]"] == str(BASE_CREATED)]
    assert attempts[1]["time"] - attempts[0]["time"] >= 0.9, "the 429's Retry-After: 1 was honoured"
    pages = [r["query"].get("starting_after") for r in charges if r["query"]["created[gte]"] == str(BASE_CREATED)]
    assert pages[-3:] == [None, "ch_0131", "ch_0031"] and all(r["query"]["limit"] == "100" for r in charges)
    assert states(s1)["customers"] == {"created": str(BASE_CREATED + 25 * DAY)}
    assert states(s1)["charges"] == {"created": str(BASE_CREATED + 230 * 3600)}
    # The next run starts at the saved cursor (created[gte], inclusive) and reads what is new.
    api.api.customers.append({"id": "cus_026", "object": "customer", "email": "n@example.com", "name": "New",
                              "created": BASE_CREATED + 30 * DAY, "metadata": {}})
    before = len(api.requests("/v1/customers"))
    s2, _ = sync_json(pipeline)
    assert records_of(s2, "customers") == 2 and records_of(s2, "charges") == 1
    assert api.requests("/v1/customers")[before]["query"]["created[gte]"] == str(BASE_CREATED + 25 * DAY)


def test_stripe_wrong_key_is_a_config_error_without_the_key(tmp_path, api):
    status = check(tmp_path, "source-stripe", stripe_config(api, client_secret="sk_test_NotTheKey77"))
    assert status["status"] == "FAILED"
    assert "Stripe rejected the secret key" in status["message"] and "HTTP 401" in status["message"], status
    assert "NotTheKey77" not in status["message"]
    assert check(tmp_path, "source-stripe", stripe_config(api))["status"] == "SUCCEEDED"


# ---- Salesforce ----------------------------------------------------------------------------------


def sf_config(api, **extra):
    client_id, client_secret = api.api.sf_client
    return {"client_id": client_id, "client_secret": client_secret, "refresh_token": api.api.sf_refresh,
            "instance_url": api.base, "login_url": api.base, "start_date": "2024-01-01T00:00:00Z",
            "backoff_factor": 0.1, **extra}


def test_salesforce_soql_paging_session_renewal_and_incremental(tmp_path, api):
    api.api.fault("/services/data/v59.0/query", 500)
    pipeline = write_pipeline(tmp_path / "sf.yaml", {
        "name": "sf", "source": {"connector": "salesforce", "config": sf_config(api)},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": n, "mode": "Incremental | Append"} for n in ("Account", "Contact", "Opportunity")]})

    def expire_mid_sync():  # the session expires after the second Account batch: renewed, then on
        deadline = time.time() + 20
        while time.time() < deadline:
            if len([r for r in api.requests() if "/query/" in r["path"]]) >= 1:
                api.sf_expire_sessions()
                return
            time.sleep(0.002)
    t = threading.Thread(target=expire_mid_sync)
    t.start()
    s1, _ = sync_json(pipeline)
    t.join()
    assert s1["status"] == "succeeded"
    accounts = record_data(tmp_path / "out" / "Account")
    assert sorted(a["Id"] for a in accounts) == sorted(a["Id"] for a in api.api.sf_objects["Account"]), "every record once"
    assert "attributes" not in accounts[0] and accounts[0]["AnnualRevenue"] is not None
    assert sorted(c["Id"] for c in record_data(tmp_path / "out" / "Contact")) == sorted(c["Id"] for c in api.api.sf_objects["Contact"])
    assert records_of(s1, "Opportunity") == 0
    assert len(api.requests("/services/oauth2/token")) >= 2, "the expired session was renewed with the refresh token"
    # nextRecordsUrl batches carry no q; the first request of a range carries the SOQL.
    queries = [r for r in api.requests() if r["path"].startswith("/services/data/")]
    assert all("q" not in r["query"] for r in queries if "/query/" in r["path"])
    first = next(r["query"]["q"] for r in queries if "FROM Account" in r["query"].get("q", ""))
    assert first.startswith("SELECT Id, Name, Type") and "SystemModstamp >= 2024-01-01T00:00:00Z" in first
    assert states(s1)["Account"] == {"SystemModstamp": "2024-02-13T09:30:00Z"}
    # Incremental: a record modified later is read by the next run (and the boundary again).
    api.api.sf_objects["Account"].append({"Id": "001A9999", "Name": "Late", "IsDeleted": False,
                                          "CreatedDate": "2024-05-01T00:00:00.000+0000",
                                          "SystemModstamp": "2024-05-02T10:00:00.000+0000"})
    s2, _ = sync_json(pipeline)
    assert records_of(s2, "Account") == 2
    assert states(s2)["Account"] == {"SystemModstamp": "2024-05-02T10:00:00Z"}


def test_salesforce_objects_and_fields_come_from_sobjects_and_describe(tmp_path, api, protocol_validator):
    """The streams are the org's queryable objects (describeGlobal), their columns and types the
    describe's fields; objects with SystemModstamp are incremental by it, the others (here
    AccountHistory) full refresh."""
    cfg = tmp_path / "sf.json"
    cfg.write_text(json.dumps(sf_config(api)))

    def discover():
        out = run("connector", "source-salesforce", "discover", "--config", cfg).stdout
        msg = json.loads(out.splitlines()[-1])
        protocol_validator.message(msg)
        return {x["name"]: x for x in msg["catalog"]["streams"]}
    streams = discover()
    assert sorted(streams) == ["Account", "AccountHistory", "Contact", "Opportunity"]  # AggregateResult: not queryable
    account = streams["Account"]
    assert account["supported_sync_modes"] == ["full_refresh", "incremental"]
    assert account["default_cursor_field"] == ["SystemModstamp"] and account["source_defined_primary_key"] == [["Id"]]
    props = account["json_schema"]["properties"]
    assert list(props) == [name for name, _ in api.api.sf_describe["Account"]]
    assert props["AnnualRevenue"]["type"] == ["null", "number"] and props["NumberOfEmployees"]["type"] == ["null", "integer"]
    assert props["SystemModstamp"]["format"] == "date-time" and props["Industry"]["type"] == ["null", "string"]
    assert streams["Opportunity"]["json_schema"]["properties"]["CloseDate"]["format"] == "date"
    history = streams["AccountHistory"]
    assert history["supported_sync_modes"] == ["full_refresh"] and "default_cursor_field" not in history
    # A new object in the org is a new stream (nothing is a fixed list).
    api.api.sf_describe["Case"] = [("Id", "id"), ("Subject", "string"), ("SystemModstamp", "datetime")]
    api.api.sf_objects["Case"] = [{"Id": "500C0001", "Subject": "Broken", "SystemModstamp": "2024-04-01T00:00:00.000+0000"}]
    assert "Case" in discover()

    pipeline = write_pipeline(tmp_path / "sf.yaml", {
        "name": "sf", "source": {"connector": "salesforce", "config": sf_config(api)},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": "Account", "mode": "Incremental | Append"},
                    {"name": "Case", "mode": "Incremental | Append"},
                    {"name": "AccountHistory", "mode": "Full Refresh | Overwrite"}]})
    s1, _ = sync_json(pipeline)
    assert s1["status"] == "succeeded"
    history_rows = record_data(tmp_path / "out" / "AccountHistory")
    assert sorted(h["Id"] for h in history_rows) == sorted(h["Id"] for h in api.api.sf_objects["AccountHistory"])
    assert history_rows[0]["NewValue"] == "Energy" and "attributes" not in history_rows[0]
    assert [c["Subject"] for c in record_data(tmp_path / "out" / "Case")] == ["Broken"]
    queries = [r["query"]["q"] for r in api.requests() if r["path"].endswith("/query") and "q" in r["query"]]
    hq = [q for q in queries if "FROM AccountHistory" in q]
    assert hq == ["SELECT Id, AccountId, Field, OldValue, NewValue, IsDeleted, CreatedDate FROM AccountHistory"], hq
    aq = next(q for q in queries if "FROM Account " in q)
    assert aq.startswith("SELECT Id, Name, Type, Industry, AnnualRevenue, NumberOfEmployees, IsDeleted, CreatedDate, "
                         "SystemModstamp FROM Account WHERE SystemModstamp >= 2024-01-01T00:00:00Z"), aq
    assert states(s1)["Account"] == {"SystemModstamp": "2024-02-13T09:30:00Z"}
    # Second run: the incremental object reads from its state (the boundary record again), the
    # full-refresh one everything again.
    s2, _ = sync_json(pipeline)
    assert records_of(s2, "Account") == 1 and records_of(s2, "AccountHistory") == 6


def test_salesforce_bad_credentials_fail_clearly(tmp_path, api):
    status = check(tmp_path, "source-salesforce", sf_config(api, client_secret="wrong-sf-secret-31"))
    assert status["status"] == "FAILED" and "token" in status["message"].lower(), status
    assert "wrong-sf-secret-31" not in status["message"]
    assert check(tmp_path, "source-salesforce", sf_config(api))["status"] == "SUCCEEDED"


# ---- Google Sheets (source-google-sheets: manifests made from its config) -------------------------


def sheets_config(api, **extra):
    client_id, client_secret = api.api.google_client
    return {"spreadsheet_id": f"https://docs.google.com/spreadsheets/d/{api.api.spreadsheet_id}/edit#gid=0",
            "credentials": {"auth_type": "Client", "client_id": client_id, "client_secret": client_secret,
                            "refresh_token": api.api.google_refresh},
            "api_base_url": api.base, "token_url": f"{api.base}/google/token", "backoff_factor": 0.1, **extra}


def test_google_sheets_one_stream_per_sheet_header_as_columns(tmp_path, api, protocol_validator):
    cfg = tmp_path / "g.json"
    cfg.write_text(json.dumps(sheets_config(api, names_conversion=True)))
    catalog = json.loads(run("connector", "source-google-sheets", "discover", "--config", cfg).stdout.splitlines()[-1])
    protocol_validator.message(catalog)
    streams = {s["name"]: s for s in catalog["catalog"]["streams"]}
    assert set(streams) == {"Class Data", "Summary"}
    assert list(streams["Class Data"]["json_schema"]["properties"]) == [
        "student_name", "gender", "class_level", "home_state", "major", "extracurricular_activity"]
    api.api.fault(f"/v4/spreadsheets/{api.api.spreadsheet_id}/values/%27Class%20Data%27", 429, 500)
    pipeline = write_pipeline(tmp_path / "sheets.yaml", {
        "name": "sheets", "source": {"connector": "google-sheets", "config": sheets_config(api)},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}}})
    summary, _ = sync_json(pipeline)
    assert summary["status"] == "succeeded"
    rows = record_data(tmp_path / "out" / "Class Data")
    assert len(rows) == 30 and rows[0]["Student Name"] == "Student 1" and rows[0]["Extracurricular Activity"] == "Drama Club"
    assert rows[1].get("Extracurricular Activity") is None  # a trailing empty cell the API left out
    summary_rows = record_data(tmp_path / "out" / "Summary")
    assert [r["Metric"] for r in summary_rows] == ["students", "states"]  # the blank row is no record
    assert all(r["headers"]["Authorization"].startswith("Bearer ya29.") for r in api.requests()
               if r["path"].startswith("/v4/"))


def test_google_sheets_failures_are_clear(tmp_path, api):
    status = check(tmp_path, "source-google-sheets", sheets_config(api, spreadsheet_id="no-such-sheet"))
    assert status["status"] == "FAILED" and "spreadsheet was not found" in status["message"], status
    bad = sheets_config(api)
    bad["credentials"]["client_secret"] = "GOCSPX-wrong-9911"
    status = check(tmp_path, "source-google-sheets", bad)
    assert status["status"] == "FAILED" and "GOCSPX-wrong-9911" not in status["message"], status
    service = sheets_config(api, credentials={"auth_type": "Service", "service_account_info": "{}"})
    status = check(tmp_path, "source-google-sheets", service)
    assert status["status"] == "FAILED" and "service_account_info" in status["message"], status
    assert check(tmp_path, "source-google-sheets", sheets_config(api))["status"] == "SUCCEEDED"


def test_google_sheets_with_a_service_account_jwt(tmp_path, api):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    def service_account(email):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        info = {"type": "service_account", "project_id": "p", "private_key_id": "kid-1", "private_key": pem,
                "client_email": email, "token_uri": "https://oauth2.googleapis.com/token"}
        return key, json.dumps(info)

    key, info = service_account("reader@p.iam.gserviceaccount.com")
    api.api.google_service_accounts["reader@p.iam.gserviceaccount.com"] = key.public_key()
    config = sheets_config(api, credentials={"auth_type": "Service", "service_account_info": info})
    assert check(tmp_path, "source-google-sheets", config)["status"] == "SUCCEEDED"
    assert api.requests("/google/token") == [], "a self-signed JWT: no token exchange"
    pipeline = write_pipeline(tmp_path / "sa.yaml", {
        "name": "sa", "source": {"connector": "google-sheets", "config": config},
        "destination": {"connector": "local", "config": {"destination_path": str(tmp_path / "out")}},
        "streams": [{"name": "Summary", "mode": "Full Refresh | Overwrite"}]})
    summary, _ = sync_json(pipeline)
    assert summary["status"] == "succeeded" and records_of(summary, "Summary") == 2
    # A key the server does not know (another account's signature) is refused: 401, a clear failure.
    _, other = service_account("reader@p.iam.gserviceaccount.com")
    status = check(tmp_path, "source-google-sheets", sheets_config(api, credentials={"auth_type": "Service", "service_account_info": other}))
    assert status["status"] == "FAILED" and "401" in status["message"], status
    assert "PRIVATE KEY" not in status["message"]
