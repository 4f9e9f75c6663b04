"""A local HTTP server that replays the documented wire shapes of a few SaaS APIs, for the
declarative-manifest source tests (no network, no real SaaS account):

- a Stripe-like API (https://docs.stripe.com/api/pagination, /api/customers/list): Bearer secret
  key, `limit` + `starting_after` + `has_more` cursor pagination over newest-first lists, the
  `created[gte]` / `created[lte]` range filter, Stripe's error body on a wrong key;
  /v1/customers and /v1/invoices?customer=ID (a child list per customer);
- a page-number API: /api/items?category=C&page=N&per_page=M, `X-API-Key` header,
  {"items", "total_pages"};
- an OAuth 2.0 refresh-token grant (RFC 6749 §6) at /oauth/token, access tokens that expire
  after `token_lifetime` seconds, optionally single-use refresh tokens (rotation), and an API
  behind it with offset pagination: /crm/contacts?offset=&limit= → {"results", "total"};
- the seed's "REST API" example (/seed/v1/customers, /seed/v1/orders?start_date=YYYY-MM-DD):
  Bearer token, bare JSON arrays (no envelope, no pagination);
- more of Stripe (https://docs.stripe.com/api/charges/list, /invoices/list,
  /subscriptions/list): /v1/charges, /v1/subscriptions (canceled ones only with status=all),
  invoices without a customer filter — for the shipped stripe manifest;
- Salesforce (REST API developer guide): the OAuth refresh-token grant at
  /services/oauth2/token answering {access_token, instance_url, token_type, issued_at} (no
  expires_in, as Salesforce), describeGlobal at /services/data/vXX.X/sobjects ({sobjects: [{name,
  queryable, …}]}, one of them not queryable) and each object's describe at
  …/sobjects/NAME/describe ({name, fields: [{name, type, …}]}; AccountHistory has no
  SystemModstamp), SOQL at /services/data/v59.0/query?q=SELECT … FROM … [WHERE
  SystemModstamp >= … AND SystemModstamp <= … ORDER BY SystemModstamp ASC] answering {totalSize,
  done, records (with attributes), nextRecordsUrl} in batches of `sf_batch`, the next batch at
  /services/data/v59.0/query/<locator>-<n>; 401 [{errorCode: INVALID_SESSION_ID}] for a stale
  session (`sf_expire_sessions()`), 400 INVALID_FIELD for an unknown column;
- Google Sheets API v4 (developers.google.com/sheets/api/reference/rest): Google's OAuth token
  endpoint at /google/token ({access_token, expires_in, token_type}), spreadsheets.get at
  /v4/spreadsheets/<id> (sheet properties; with includeGridData and ranges 'Title'!1:1 the header
  rows as rowData/values/formattedValue), values.get at /v4/spreadsheets/<id>/values/<'Title'>
  ({range, majorDimension, values: rows of strings, trailing empty cells left out}); Google's
  error body {error: {code, message, status}} for 401 / 404;
- faults scripted per path: a list of statuses answered before the real reply (429 carries
  Retry-After: 1, as rate-limited APIs send);
- `delay` seconds added to every request, and the requests in flight counted (`in_flight`,
  `max_in_flight`): what shows a client's requests overlapping.

Every request is recorded (method, path, query, headers) so tests can check what was sent.
"""
import base64
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

DAY = 86400
BASE_CREATED = 1704067200  # 2024-01-01T00:00:00Z


class ApiState:
    def __init__(self):
        self.lock = threading.Lock()
        self.customers = [{"id": f"cus_{i:03d}", "object": "customer", "email": f"user{i}@example.com",
                           "name": f"Customer {i}", "created": BASE_CREATED + i * DAY,
                           "metadata": {"tier": "gold" if i % 3 == 0 else "basic"}} for i in range(1, 26)]
        self.invoices = []
        n = 0
        for c in self.customers[:10]:
            for k in range(int(c["id"][-1]) % 3 + 1):
                n += 1
                self.invoices.append({"id": f"in_{n:03d}", "object": "invoice", "customer": c["id"],
                                      "amount_due": 1000 * k + 250, "currency": "usd", "created": c["created"] + 3600 * k})
        self.items = [{"id": i, "sku": f"SKU-{i:04d}", "price": round(i * 1.25, 2), "active": i % 4 != 0,
                       "category": ("tools", "toys", "food")[i % 3], "internal_note": "x"} for i in range(1, 48)]
        self.contacts = [{"id": i, "first": f"F{i}", "last": f"L{i}", "updated": f"2024-02-{(i % 28) + 1:02d}T10:00:00Z"}
                         for i in range(1, 38)]
        self.charges = [{"id": f"ch_{i:03d}", "object": "charge", "amount": 500 * i, "currency": "usd",
                         "customer": f"cus_{i % 25 + 1:03d}", "paid": True, "status": "succeeded",
                         "created": BASE_CREATED + i * DAY // 2, "metadata": {}} for i in range(1, 31)]
        self.subscriptions = [{"id": f"sub_{i:03d}", "object": "subscription", "customer": f"cus_{i:03d}",
                               "status": "canceled" if i % 4 == 0 else "active", "currency": "usd",
                               "created": BASE_CREATED + i * DAY, "items": {"object": "list", "data": []}}
                              for i in range(1, 13)]
        self.sf_objects = {
            "Account": [{"Id": f"001A{i:04d}", "Name": f"Account {i}", "Industry": ("Retail", "Energy")[i % 2],
                         "AnnualRevenue": 1000.5 * i, "NumberOfEmployees": i * 10, "IsDeleted": False,
                         "CreatedDate": f"2024-01-{i:02d}T08:00:00.000+0000",
                         "SystemModstamp": f"2024-02-{i:02d}T09:30:00.000+0000"} for i in range(1, 14)],
            "Contact": [{"Id": f"003C{i:04d}", "AccountId": f"001A{i % 13 + 1:04d}", "FirstName": f"F{i}",
                         "LastName": f"L{i}", "Email": f"c{i}@example.com", "IsDeleted": False,
                         "CreatedDate": f"2024-01-{i:02d}T08:00:00.000+0000",
                         "SystemModstamp": f"2024-03-{i:02d}T12:00:00.000+0000"} for i in range(1, 10)],
        }
        # AccountHistory has no SystemModstamp (history objects only have CreatedDate): read in full.
        self.sf_objects["AccountHistory"] = [
            {"Id": f"017H{i:04d}", "AccountId": f"001A{i:04d}", "Field": "Industry", "OldValue": "Retail",
             "NewValue": "Energy", "IsDeleted": False, "CreatedDate": f"2024-02-{i:02d}T10:00:00.000+0000"}
            for i in range(1, 7)]
        self.sf_objects["Opportunity"] = []
        # describe answers: fields (name, Salesforce field type) per object, in describe order.
        common = [("IsDeleted", "boolean"), ("CreatedDate", "datetime"), ("SystemModstamp", "datetime")]
        self.sf_describe = {
            "Account": [("Id", "id"), ("Name", "string"), ("Type", "picklist"), ("Industry", "picklist"),
                        ("AnnualRevenue", "currency"), ("NumberOfEmployees", "int")] + common,
            "Contact": [("Id", "id"), ("AccountId", "reference"), ("FirstName", "string"), ("LastName", "string"),
                        ("Email", "email")] + common,
            "Opportunity": [("Id", "id"), ("AccountId", "reference"), ("Name", "string"), ("Amount", "currency"),
                            ("CloseDate", "date"), ("IsWon", "boolean")] + common,
            "AccountHistory": [("Id", "id"), ("AccountId", "reference"), ("Field", "picklist"), ("OldValue", "anyType"),
                               ("NewValue", "anyType"), ("IsDeleted", "boolean"), ("CreatedDate", "datetime")],
        }
        self.sf_unqueryable = ["AggregateResult"]  # listed by sobjects, not queryable
        self.sf_client = ("3MVG9-sf-client", "sf-client-secret")
        self.sf_refresh = "5Aep-sf-refresh"
        self.sf_sessions = set()
        self.sf_cursors = {}  # locator -> remaining rows
        self.sf_batch = 4
        self.spreadsheet_id = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"
        self.sheets = {  # title -> rows (the first is the header)
            "Class Data": [["Student Name", "Gender", "Class Level", "Home State", "Major", "Extracurricular Activity"]] +
                          [[f"Student {i}", ("Female", "Male")[i % 2], f"{i % 4 + 1}. Year", ("CA", "NY", "MA")[i % 3],
                            ("English", "Math", "Art")[i % 3]] + (["Drama Club"] if i % 2 else [])
                           for i in range(1, 31)],
            "Summary": [["Metric", "Value"], ["students", "30"], [], ["states", "3"]],
        }
        self.google_client = ("123-abc.apps.googleusercontent.com", "GOCSPX-google-secret")
        self.google_refresh = "1//google-refresh"
        self.google_tokens = set()
        self.google_service_accounts = {}  # client_email -> public key (cryptography) of its JWTs
        self.orders = [{"order_id": 100 + i, "customer": f"cus_{i % 7 + 1:03d}", "total": 10.5 * i,
                        "ordered_on": f"2024-03-{i:02d}"} for i in range(1, 21)]
        self.seed_token = "seed-token-1"
        self.api_key = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
        self.items_key = "items-key-1"
        self.client_id, self.client_secret = "client-abc", "secret-xyz"
        # A project-management API (pm): projects, their tasks (answered whole: the API cannot
        # filter by date, manifests filter on the client) and an activity log numbered by `seq`.
        self.pm_token = "pm-token-1"
        self.pm_projects = [{"id": 101, "name": "Apollo"}, {"id": 102, "name": "Gemini"}]
        self.pm_tasks = {101: [{"id": f"t{i}", "title": f"Task {i}", "modified_at": f"2024-03-{i:02d}T09:00:00Z"}
                               for i in range(1, 6)],
                         102: [{"id": f"u{i}", "title": f"Task {i}", "modified_at": f"2024-02-{i * 5:02d}T09:00:00Z"}
                               for i in range(1, 4)]}
        self.pm_activities = [{"seq": i, "what": f"event {i}"} for i in range(1, 13)]
        self.refresh_tokens = {"refresh-0"}
        self.rotate = False
        self.token_lifetime = 3600
        self.access_tokens = {}  # token -> expiry
        self.refreshes = 0
        self.faults = {}  # path -> [status, ...] answered before the real reply
        self.requests = []
        self.delay = 0.0
        self.in_flight = 0
        self.max_in_flight = 0

    def fault(self, path, *statuses):
        with self.lock:
            self.faults.setdefault(path, []).extend(statuses)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    @property
    def api(self):
        return self.server.api

    def reply(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def handle_any(self, method):
        with self.api.lock:
            self.api.in_flight += 1
            self.api.max_in_flight = max(self.api.max_in_flight, self.api.in_flight)
        try:
            if self.api.delay:
                time.sleep(self.api.delay)
            self.dispatch(method)
        finally:
            with self.api.lock:
                self.api.in_flight -= 1

    def dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        q = {k: v[-1] for k, v in query.items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        with self.api.lock:
            self.api.requests.append({"method": method, "path": url.path, "query": q, "headers": dict(self.headers),
                                      "body": body, "time": time.time()})
            pending = self.api.faults.get(url.path)
            status = pending.pop(0) if pending else None
        if status is not None:
            headers = {"Retry-After": "1"} if status == 429 else {}
            return self.reply(status, {"error": {"message": f"injected {status}"}}, headers)
        if url.path == "/google/token":
            return self.google_token(body)
        if url.path.startswith("/v4/spreadsheets/"):
            return self.google_sheets(url.path, query)
        if url.path == "/services/oauth2/token":
            return self.sf_token(body)
        if url.path.startswith("/services/data/"):
            return self.sf_query(url.path, q)
        if url.path.startswith("/seed/v1/"):
            return self.seed(url.path, q)
        if url.path.startswith("/v1/"):
            return self.stripe(url.path, q)
        if url.path == "/api/items":
            return self.items(q)
        if url.path == "/oauth/token":
            return self.token(body)
        if url.path == "/crm/contacts":
            return self.contacts(q)
        if url.path.startswith("/pm/"):
            return self.pm(url.path, q)
        return self.reply(404, {"error": "no such endpoint"})

    # ---- Stripe-like
    def stripe(self, path, q):
        auth = self.headers.get("Authorization", "")
        if auth != f"Bearer {self.api.api_key}":
            shown = auth.removeprefix("Bearer ")
            return self.reply(401, {"error": {"message": f"Invalid API Key provided: {shown[:8]}********",
                                              "type": "invalid_request_error"}})
        if path == "/v1/customers":
            rows = self.api.customers
        elif path == "/v1/invoices":
            rows = [i for i in self.api.invoices if "customer" not in q or i["customer"] == q["customer"]]
        elif path == "/v1/charges":
            rows = self.api.charges
        elif path == "/v1/subscriptions":  # Stripe lists canceled subscriptions only with status=all
            rows = [r for r in self.api.subscriptions if q.get("status") == "all" or r["status"] != "canceled"]
        else:
            return self.reply(404, {"error": {"message": f"Unrecognized request URL (GET: {path})",
                                              "type": "invalid_request_error"}})
        if "created[gte]" in q:
            rows = [r for r in rows if r["created"] >= int(q["created[gte]"])]
        if "created[lte]" in q:
            rows = [r for r in rows if r["created"] <= int(q["created[lte]"])]
        rows = sorted(rows, key=lambda r: (-r["created"], r["id"]))  # newest first, as Stripe lists
        if "starting_after" in q:
            ids = [r["id"] for r in rows]
            if q["starting_after"] not in ids:
                return self.reply(400, {"error": {"message": f"No such object: '{q['starting_after']}'",
                                                  "type": "invalid_request_error"}})
            rows = rows[ids.index(q["starting_after"]) + 1:]
        limit = int(q.get("limit", 10))
        page = rows[:limit]
        return self.reply(200, {"object": "list", "url": path, "has_more": len(rows) > limit, "data": page})

    # ---- Salesforce
    def sf_token(self, body):
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(body).items()}
        a = self.api
        if (form.get("client_id"), form.get("client_secret")) != a.sf_client:
            return self.reply(400, {"error": "invalid_client_id", "error_description": "client identifier invalid"})
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != a.sf_refresh:
            return self.reply(400, {"error": "invalid_grant", "error_description": "expired access/refresh token"})
        with a.lock:
            token = f"00Dsf!session-{len(a.sf_sessions) + 1}"
            a.sf_sessions.add(token)
        return self.reply(200, {"access_token": token, "instance_url": self.server.base, "token_type": "Bearer",
                                "id": f"{self.server.base}/id/00D/005", "issued_at": str(int(time.time() * 1000)),
                                "signature": "c2lnbmF0dXJl"})

    def sf_query(self, path, q):
        import re
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.api.sf_sessions:
            return self.reply(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
        a = self.api
        listing = re.fullmatch(r"/services/data/(v\d+\.\d)/sobjects(?:/(\w+)/describe)?", path)
        if listing:
            return self.sf_sobjects(listing.group(1), listing.group(2))
        m = re.fullmatch(r"/services/data/v(\d+\.\d)/query(?:/(\w+)-(\d+))?", path)
        if not m:
            return self.reply(404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
        if m.group(2):  # a nextRecordsUrl
            with a.lock:
                rows = a.sf_cursors.get(m.group(2))
            if rows is None:
                return self.reply(400, [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}])
            offset, locator = int(m.group(3)), m.group(2)
        else:
            soql = re.fullmatch(r"SELECT (.+) FROM (\w+)(?: WHERE SystemModstamp >= (\S+) AND SystemModstamp <= (\S+) "
                                r"ORDER BY SystemModstamp ASC)?", q.get("q", ""))
            if not soql:
                return self.reply(400, [{"message": f"unexpected SOQL: {q.get('q')}", "errorCode": "MALFORMED_QUERY"}])
            fields = [f.strip() for f in soql.group(1).split(",")]
            obj = soql.group(2)
            def ts(text):  # 2024-02-01T09:30:00.000+0000 or 2024-02-01T09:30:00Z, compared as UTC text
                return text[:19]
            if obj not in a.sf_describe:
                return self.reply(400, [{"message": f"sObject type '{obj}' is not supported.",
                                         "errorCode": "INVALID_TYPE"}])
            table = a.sf_objects.get(obj, [])
            allowed = {name for name, _ in a.sf_describe[obj]}
            for f in fields:
                if f not in allowed:
                    return self.reply(400, [{"message": f"No such column '{f}' on entity '{obj}'", "errorCode": "INVALID_FIELD"}])
            if soql.group(3):
                if "SystemModstamp" not in allowed:
                    return self.reply(400, [{"message": f"No such column 'SystemModstamp' on entity '{obj}'",
                                             "errorCode": "INVALID_FIELD"}])
                lo, hi = ts(soql.group(3)), ts(soql.group(4))
                rows = sorted([r for r in table if lo <= ts(r["SystemModstamp"]) <= hi], key=lambda r: r["SystemModstamp"])
            else:
                rows = list(table)
            rows = [dict({"attributes": {"type": obj, "url": f"/services/data/v59.0/sobjects/{obj}/{r['Id']}"}},
                         **{f: r.get(f) for f in fields}) for r in rows]
            offset = 0
            locator = f"01g{len(a.sf_cursors):05d}"
            with a.lock:
                a.sf_cursors[locator] = rows
        batch = rows[offset: offset + a.sf_batch]
        done = offset + a.sf_batch >= len(rows)
        body = {"totalSize": len(rows), "done": done, "records": batch}
        if not done:
            body["nextRecordsUrl"] = f"/services/data/v59.0/query/{locator}-{offset + a.sf_batch}"
        return self.reply(200, body)

    def sf_sobjects(self, version, name):
        """describeGlobal (GET /sobjects: {encoding, maxBatchSize, sobjects: [{name, label, queryable,
        retrieveable, replicateable, custom, urls}]}) and an object's describe (GET
        /sobjects/NAME/describe: {name, label, queryable, fields: [{name, label, type, nillable, ...}],
        urls}) — the shapes of Salesforce's REST API developer guide, trimmed to what matters."""
        a = self.api
        base = f"/services/data/{version}/sobjects"

        def urls(n):
            return {"sobject": f"{base}/{n}", "describe": f"{base}/{n}/describe", "rowTemplate": f"{base}/{n}/{{ID}}"}
        if name is None:
            names = list(a.sf_describe) + a.sf_unqueryable
            return self.reply(200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": [
                {"name": n, "label": n, "labelPlural": n + "s", "keyPrefix": None, "custom": False,
                 "queryable": n not in a.sf_unqueryable, "retrieveable": n not in a.sf_unqueryable,
                 "replicateable": n not in a.sf_unqueryable, "searchable": False, "urls": urls(n)} for n in names]})
        if name not in a.sf_describe:
            return self.reply(404, [{"message": f"The requested resource does not exist", "errorCode": "NOT_FOUND"}])
        fields = [{"name": f, "label": f, "type": t, "nillable": t != "id", "length": 18 if t in ("id", "reference") else 0,
                   "soapType": "xsd:string", "filterable": True, "sortable": t != "anyType"} for f, t in a.sf_describe[name]]
        return self.reply(200, {"name": name, "label": name, "custom": False, "queryable": True, "retrieveable": True,
                                "replicateable": True, "fields": fields, "urls": urls(name)})

    # ---- Google Sheets
    def google_error(self, code, status, message):
        return self.reply(code, {"error": {"code": code, "message": message, "status": status}})

    def google_token(self, body):
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(body).items()}
        a = self.api
        if (form.get("client_id"), form.get("client_secret")) != a.google_client:
            return self.reply(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != a.google_refresh:
            return self.reply(400, {"error": "invalid_grant", "error_description": "Bad Request"})
        with a.lock:
            token = f"ya29.token-{len(a.google_tokens) + 1}"
            a.google_tokens.add(token)
        return self.reply(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer",
                                "scope": "https://www.googleapis.com/auth/spreadsheets.readonly"})

    def google_jwt_ok(self, token):
        """A service account's self-signed JWT (RS256, aud https://sheets.googleapis.com/, unexpired)."""
        try:
            head, body, sig = token.split(".")
            pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
            header = json.loads(base64.urlsafe_b64decode(pad(head)))
            claims = json.loads(base64.urlsafe_b64decode(pad(body)))
            key = self.api.google_service_accounts.get(claims.get("iss"))
            if key is None or header.get("alg") != "RS256":
                return False
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import padding
            key.verify(base64.urlsafe_b64decode(pad(sig)), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
            return claims.get("aud") == "https://sheets.googleapis.com/" and claims["iat"] <= time.time() + 5 < claims["exp"] + 5
        except Exception:  # noqa: BLE001 — any malformed or forged token is simply not authenticated
            return False

    def google_sheets(self, path, query):
        a = self.api
        bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer not in a.google_tokens and not self.google_jwt_ok(bearer):
            return self.google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        parts = path.split("/")  # ['', 'v4', 'spreadsheets', id, ('values', range)]
        if parts[3] != a.spreadsheet_id:
            return self.google_error(404, "NOT_FOUND", "Requested entity was not found.")
        def title_of(a1):  # 'My Sheet'!1:1 or 'My Sheet' or Sheet1
            name = a1.split("!")[0]
            return name[1:-1].replace("''", "'") if name.startswith("'") else name
        if len(parts) == 4:
            sheets = []
            ranges = query.get("ranges", [])
            for index, (title, rows) in enumerate(a.sheets.items()):
                sheet = {"properties": {"sheetId": index * 1000, "title": title, "index": index, "sheetType": "GRID"}}
                if query.get("includeGridData", ["false"])[-1] == "true":
                    wanted = [r for r in ranges if title_of(r) == title]
                    if ranges and not wanted:
                        continue
                    sheet["data"] = [{"rowData": [{"values": [{"formattedValue": v} for v in rows[0]]}]}]
                sheets.append(sheet)
            return self.reply(200, {"spreadsheetId": a.spreadsheet_id, "properties": {"title": "Example"}, "sheets": sheets})
        if len(parts) == 6 and parts[4] == "values":
            title = title_of(urllib.parse.unquote(parts[5]))
            if title not in a.sheets:
                return self.google_error(400, "INVALID_ARGUMENT", f"Unable to parse range: {parts[5]}")
            rows = a.sheets[title]
            return self.reply(200, {"range": f"'{title}'!A1:F{len(rows)}", "majorDimension": "ROWS", "values": rows})
        return self.google_error(404, "NOT_FOUND", "Requested entity was not found.")

    # ---- the seed's REST API example
    def seed(self, path, q):
        if self.headers.get("Authorization") != f"Bearer {self.api.seed_token}":
            return self.reply(401, {"message": "Unauthorized"})
        if path == "/seed/v1/customers":
            return self.reply(200, [{"id": c["id"], "name": c["name"], "email": c["email"]} for c in self.api.customers])
        if path == "/seed/v1/orders":
            if "start_date" not in q:
                return self.reply(400, {"message": "start_date is required"})
            return self.reply(200, [o for o in self.api.orders if o["ordered_on"] >= q["start_date"]])
        return self.reply(404, {"message": "no such endpoint"})

    # ---- page numbers
    def items(self, q):
        if self.headers.get("X-API-Key") != self.api.items_key:
            return self.reply(403, {"message": "Forbidden: bad API key"})
        page, per_page = int(q.get("page", 1)), int(q.get("per_page", 10))
        rows = self.api.items
        if "category" in q:
            rows = [r for r in rows if r["category"] == q["category"]]
        total_pages = (len(rows) + per_page - 1) // per_page
        chunk = rows[(page - 1) * per_page: page * per_page]
        return self.reply(200, {"items": chunk, "page": page, "per_page": per_page, "total_pages": total_pages})

    # ---- OAuth
    def token(self, body):
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(body).items()}
        a = self.api
        if form.get("grant_type") != "refresh_token" or form.get("client_id") != a.client_id \
                or form.get("client_secret") != a.client_secret:
            return self.reply(401, {"error": "invalid_client"})
        with a.lock:
            if form.get("refresh_token") not in a.refresh_tokens:
                return self.reply(400, {"error": "invalid_grant", "error_description": "refresh token is invalid"})
            a.refreshes += 1
            token = f"at-{a.refreshes}"
            a.access_tokens[token] = time.time() + a.token_lifetime
            reply = {"access_token": token, "token_type": "Bearer", "expires_in": a.token_lifetime}
            if a.rotate:
                a.refresh_tokens.discard(form["refresh_token"])
                new = f"refresh-{a.refreshes}"
                a.refresh_tokens.add(new)
                reply["refresh_token"] = new
        return self.reply(200, reply)

    def contacts(self, q):
        auth = self.headers.get("Authorization", "").removeprefix("Bearer ")
        expiry = self.api.access_tokens.get(auth)
        if expiry is None or expiry < time.time():
            return self.reply(401, {"message": "token expired or invalid"})
        offset, limit = int(q.get("offset", 0)), int(q.get("limit", 10))
        return self.reply(200, {"results": self.api.contacts[offset: offset + limit], "total": len(self.api.contacts)})


    # ---- project management: a bearer token; tasks and activities paged by page number
    def pm(self, path, q):
        if self.headers.get("Authorization") != f"Bearer {self.api.pm_token}":
            return self.reply(401, {"message": "invalid token"})
        parts = path.strip("/").split("/")
        if parts == ["pm", "projects"]:
            return self.reply(200, {"data": self.api.pm_projects})
        if len(parts) == 4 and parts[:2] == ["pm", "projects"] and parts[3] == "tasks":
            tasks = self.api.pm_tasks.get(int(parts[2]))
            if tasks is None:
                return self.reply(404, {"message": "no such project"})
            page, size = int(q.get("page", 1)), 3
            return self.reply(200, {"data": tasks[(page - 1) * size: page * size], "has_more": page * size < len(tasks)})
        if parts == ["pm", "activities"]:
            rows = [a for a in self.api.pm_activities if a["seq"] >= int(q.get("min_seq", 0))]
            return self.reply(200, {"data": rows})
        return self.reply(404, {"message": "no such endpoint"})


class RestApiServer:
    def __init__(self):
        self.api = ApiState()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.api = self.api
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.httpd.base = self.base
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def requests(self, path=None):
        with self.api.lock:
            return [r for r in self.api.requests if path is None or r["path"] == path]

    def sf_expire_sessions(self):
        with self.api.lock:
            self.api.sf_sessions.clear()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def api():
    """A started RestApiServer, stopped after the test."""
    server = RestApiServer()
    try:
        yield server
    finally:
        server.stop()
