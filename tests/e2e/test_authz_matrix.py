"""The authorization matrix of `sluice server`, walked over every route of the OpenAPI documents
the server serves (so a new route cannot be forgotten): each route with each role (by API key
and by cookie session), no credentials, a forged token, an expired session, a deleted user's
key, a user who must still change the password, and a wrong workspace: for each role a user
limited to workspace B (src/api/workspace_scope.h) walks every route with workspace A's ids
(refused: 404 for objects and reads, 403 for writes naming A; lists without A's data) and with
B's own (what its role allows). Also CSRF on cookie sessions, login rate limiting, and no secret
in any answer.

The expectations are this file's own, written from the documented roles (README "Server",
src/api/README.md "Roles" and "Endpoints"), not read from the server's route table:
- ROLE_PERMISSIONS: what each role may do;
- EXPECTED: the permission each documented /api/v1 route needs;
- WORKSPACE_NONE / WORKSPACE_ALL: the routes touching no workspace, and those only a user reaching
  every workspace may call; every other route is scoped (x-sluice-workspace in the document must
  say the same, so a new route is held to the workspace check unless listed here).
A route of the document that EXPECTED does not list fails the test, unless it belongs to a
route family whose rule is below (FAMILY_RULES: the public REST API, /api/public/v1/…): such a
route must declare its permission in the document (`x-sluice-permission`), the declaration must
fit the family's rule for its HTTP method, and the server's answers must follow it.
"""
import hashlib
import itertools
import json
import re
import sqlite3
import time
import uuid

import pytest
import requests

from sluice_server import ApiSession, register_secret, sluice_server

ADMIN = "airbyte@example.com"
ADMIN_PASSWORD = register_secret("Matr1x-admin-passw0rd")
USER_PASSWORD = register_secret("Matr1x-user-passw0rd")
PG_SECRET = register_secret("matrix-pg-secret-value-8d1f")
ROLES = ("admin", "data_engineer", "analyst", "viewer")

# The documented roles: nested, each has everything below it.
READS = {"read_configs", "read_jobs", "read_logs"}
ROLE_PERMISSIONS = {
    "viewer": {"read_status"},
    "analyst": {"read_status"} | READS,
    "data_engineer": {"read_status", "edit_configs", "run_syncs"} | READS,
    "admin": {"read_status", "edit_configs", "run_syncs", "manage_settings", "manage_users"} | READS,
}
STATE_CHANGING = {"edit_configs", "run_syncs", "manage_settings", "manage_users"}


def _expand(permission, *specs):
    out = {}
    for spec in specs:
        prefix, _, actions = spec.rpartition("/")
        for action in actions.split("|"):
            out[f"{prefix}/{action}" if prefix else action] = permission
    return out


# The documented permission of every /api/v1 route (src/api/README.md "Endpoints").
V1 = "/api/v1/"
EXPECTED = {
    **{V1 + "health": "public", V1 + "openapi.json": "public", V1 + "auth/login": "public", V1 + "auth/session": "public"},
    **{V1 + p: "authenticated" for p in ("auth/logout", "auth/me", "users/change_password")},
    "/metrics": "read_status",
    **{V1 + p: v for p, v in _expand("read_status", "connections/status", "api_keys/create|list|delete").items()},
    **{V1 + p: v for p, v in _expand(
        "read_configs", "workspaces/list|get", "source_definitions/list|get", "destination_definitions/list|get",
        "source_definition_specifications/get", "destination_definition_specifications/get", "sources/get|list",
        "destinations/get|list", "connections/get|list", "web_backend/connections/get", "operations/get|list").items()},
    **{V1 + p: v for p, v in _expand("read_jobs", "jobs/list|get|stats", "state/get").items()},
    **{V1 + p: v for p, v in _expand("read_logs", "jobs/logs", "jobs/logs/download", "jobs/logs/stream").items()},
    **{V1 + p: v for p, v in _expand(
        "edit_configs", "sources/create|update|delete|check_connection|discover_schema",
        "destinations/create|update|delete|check_connection", "connections/create|update|delete",
        "operations/check|create|update|delete", "declarative_source_definitions/create_manifest",
        "connector_builder/stream/read").items()},
    **{V1 + p: v for p, v in _expand(
        "run_syncs", "connections/sync|reset|refresh|clear", "connections/reset/stream", "connections/clear/stream",
        "jobs/cancel").items()},
    **{V1 + p: v for p, v in _expand("manage_settings", "workspaces/create|update").items()},
    **{V1 + p: v for p, v in _expand("manage_users", "users/create|list|get|update|delete").items()},
    # The public API's applications: the caller's own (like API keys); the token exchange is open.
    **{f"{m} /api/public/v1/applications": "read_status" for m in ("GET", "POST")},
    **{f"{m} /api/public/v1/applications/{{applicationId}}": "read_status" for m in ("GET", "DELETE")},
    "POST /api/public/v1/applications/token": "public",
}
# Routes that change state although their permission is a read or none (a CSRF'd request must not reach them).
STATE_CHANGING_ROUTES = {V1 + p for p in ("auth/logout", "users/change_password", "api_keys/create", "api_keys/delete")} | {
    "/api/public/v1/applications", "/api/public/v1/applications/{applicationId}"}

# Workspace expectations (src/api/README.md "Workspaces"): routes touching no workspace, and routes
# needing a user who reaches every workspace; every other route is scoped.
WORKSPACE_NONE = {
    V1 + "health", V1 + "openapi.json", "/metrics", V1 + "operations/check",
    *(V1 + p for p in ("auth/login", "auth/session", "auth/logout", "auth/me", "users/change_password",
                       "api_keys/create", "api_keys/list", "api_keys/delete")),
    *(V1 + p for p in _expand("x", "source_definitions/list|get", "destination_definitions/list|get",
                              "source_definition_specifications/get", "destination_definition_specifications/get")),
    "GET /api/public/v1/health", "GET /api/public/v1/applications", "POST /api/public/v1/applications",
    "GET /api/public/v1/applications/{applicationId}", "DELETE /api/public/v1/applications/{applicationId}",
    "POST /api/public/v1/applications/token",
}
WORKSPACE_ALL = {V1 + "workspaces/create", "POST /api/public/v1/workspaces",
                 *(V1 + p for p in _expand("x", "users/create|list|get|update|delete"))}
# Body fields naming one object of a workspace (a job also by "id" on /api/v1/jobs/*).
OBJECT_FIELDS = ("sourceId", "destinationId", "connectionId", "operationId", "jobId", "connectionIds")


def workspace_expectation(method, path):
    key = f"{method.upper()} {path}"
    if key in WORKSPACE_NONE or path in WORKSPACE_NONE:
        return "none"
    if key in WORKSPACE_ALL or path in WORKSPACE_ALL:
        return "all_workspaces"
    return "scoped"


# Route families whose members declare their permission; the rule each declaration must fit.
SAFE_METHODS = {"get", "head"}
FAMILY_RULES = [
    # Airbyte's public REST API: reads are GETs, anything else changes state.
    (re.compile(r"^/api/public/v1/"), {
        "safe": {"public", "authenticated", "read_status"} | READS | STATE_CHANGING,
        "unsafe": STATE_CHANGING,
        # endpoints that hand out credentials or report health may be open
        "open_paths": re.compile(r"/(health|applications/token|auth/[a-z_]+)$"),
    }),
]
OPENAPI_DOCUMENTS = ["/api/v1/openapi.json", "/api/public/v1/openapi.json"]
DUMMY_ID = "00000000-0000-4000-8000-000000000000"


def route_expectation(method, path, declared):
    """(permission, problem): the permission the test holds the route to, or a problem text."""
    exact = EXPECTED.get(f"{method.upper()} {path}") or EXPECTED.get(path)
    if exact is not None:
        if declared != exact:
            return exact, (f"{method.upper()} {path}: the OpenAPI document declares x-sluice-permission "
                           f"{declared!r}, the documented matrix says {exact!r}")
        return exact, None
    for pattern, rule in FAMILY_RULES:
        if not pattern.search(path):
            continue
        if not declared:
            return None, (f"{method.upper()} {path} declares no role: add x-sluice-permission to its OpenAPI "
                          "operation (Route.permission / Route.access)")
        allowed = rule["safe"] if method in SAFE_METHODS else rule["unsafe"]
        if rule["open_paths"].search(path):
            allowed = allowed | {"public", "authenticated"}
        if declared not in allowed:
            return None, (f"{method.upper()} {path} declares {declared!r}, which its family's rule forbids for a "
                          f"{method.upper()} (allowed: {sorted(allowed)})")
        return declared, None
    return None, (f"{method.upper()} {path} (declared {declared!r}) has no expectation: add it to EXPECTED in "
                  "tests/e2e/test_authz_matrix.py from the documented role matrix (src/api/README.md)")


class Caller:
    """One way of calling: headers and cookies, and what the test expects of it."""

    def __init__(self, name, role=None, headers=None, cookies=None, csrf=None, kind="ok"):
        self.name, self.role, self.kind = name, role, kind
        self.headers = dict(headers or {})
        self.cookies = dict(cookies or {})
        if csrf:
            self.headers["X-Sluice-CSRF"] = csrf


def call(base, method, path, caller, body=None, extra_headers=None):
    url = base + path
    headers = dict(caller.headers)
    headers.update(extra_headers or {})
    kw = {"headers": headers, "cookies": caller.cookies, "timeout": 30, "allow_redirects": False}
    if method in SAFE_METHODS:
        r = requests.request(method.upper(), url, params=body or {}, stream=True, **kw)
        # A live log stream never ends: read what is there and close.
        content = b""
        for chunk in r.iter_content(4096):
            content += chunk
            if len(content) > 1 << 20 or r.headers.get("Content-Type", "").startswith("text/event-stream"):
                break
        r.close()
        r._content = content
        return r
    return requests.request(method.upper(), url, json=body if body is not None else {}, **kw)


def login(s, email, password):
    sess = ApiSession()
    r = sess.post(f"{s.url}/auth/login", json={"email": email, "password": password}, timeout=30)
    assert r.status_code == 200, r.text
    return sess, r.json()


@pytest.fixture(scope="module")
def platform():
    with sluice_server(no_auth=False, workers=0) as s:
        admin, first = login(s, ADMIN, "password")
        assert first["mustChangePassword"] is True and first["csrfToken"] == admin.cookies["sluice_csrf"]
        r = admin.post(f"{s.url}/users/change_password", json={"currentPassword": "password",
                                                               "newPassword": ADMIN_PASSWORD}, timeout=30)
        assert r.status_code == 200, r.text
        s.answers.append(r.content)
        env = {"server": s, "sessions": {"admin": admin}, "keys": {}, "answers": [], "user_ids": {}}
        for role in ROLES[1:]:
            r = admin.post(f"{s.url}/users/create", json={"email": f"{role}@matrix.example", "role": role,
                                                          "password": USER_PASSWORD, "mustChangePassword": False},
                           timeout=30)
            assert r.status_code == 200, r.text
            env["user_ids"][role] = r.json()["userId"]
            env["sessions"][role] = login(s, f"{role}@matrix.example", USER_PASSWORD)[0]
        for role in ROLES:
            r = env["sessions"][role].post(f"{s.url}/api_keys/create", json={"name": f"matrix {role}"}, timeout=30)
            assert r.status_code == 200, r.text
            env["keys"][role] = register_secret(r.json()["token"])
        # A user who must still change the password, and a deleted user's key.
        r = admin.post(f"{s.url}/users/create", json={"email": "pending@matrix.example", "role": "admin",
                                                      "password": USER_PASSWORD}, timeout=30)
        assert r.status_code == 200 and r.json()["mustChangePassword"] is True
        env["pending"] = login(s, "pending@matrix.example", USER_PASSWORD)[0]
        r = admin.post(f"{s.url}/users/create", json={"email": "gone@matrix.example", "role": "admin",
                                                      "password": USER_PASSWORD, "mustChangePassword": False},
                       timeout=30)
        gone_id = r.json()["userId"]
        gone = login(s, "gone@matrix.example", USER_PASSWORD)[0]
        env["gone_key"] = register_secret(gone.post(f"{s.url}/api_keys/create", json={"name": "x"}, timeout=30)
                                          .json()["token"])
        assert admin.post(f"{s.url}/users/delete", json={"userId": gone_id}, timeout=30).status_code == 204
        # An expired session: logged in, then its row's expiry moved into the past.
        expired, _ = login(s, f"analyst@matrix.example", USER_PASSWORD)
        token = expired.cookies["sluice_session"]
        with sqlite3.connect(s.data_dir / "sluice.db", timeout=30) as db:
            n = db.execute("UPDATE sessions SET expires_at = ? WHERE token_hash = ?",
                           (int(time.time() * 1000) - 1000, hashlib.sha256(token.encode()).hexdigest())).rowcount
        assert n == 1, "the expired session's row"
        env["expired"] = expired
        # Objects to read: a source holding a secret, a destination, a connection.
        src = admin.post(f"{s.url}/sources/create", json={
            "sourceDefinitionId": "source-postgres", "name": "pg",
            "connectionConfiguration": {"host": "127.0.0.1", "port": 1, "database": "d", "username": "u",
                                        "password": PG_SECRET}}, timeout=30)
        assert src.status_code == 200, src.text
        faker = admin.post(f"{s.url}/sources/create", json={"sourceDefinitionId": "source-faker",
                                                            "connectionConfiguration": {"count": 3}}, timeout=30)
        dst = admin.post(f"{s.url}/destinations/create", json={
            "destinationDefinitionId": "destination-local",
            "connectionConfiguration": {"destination_path": str(s.data_dir / "out")}}, timeout=30)
        assert dst.status_code == 200, dst.text
        conn = admin.post(f"{s.url}/connections/create", json={"sourceId": faker.json()["sourceId"],
                                                               "destinationId": dst.json()["destinationId"]},
                          timeout=60)
        assert conn.status_code == 200, conn.text
        env["ids"] = {"sourceId": src.json()["sourceId"], "destinationId": dst.json()["destinationId"],
                      "connectionId": conn.json()["connectionId"],
                      "workspaceId": conn.json()["workspaceId"]}
        for r in (src, faker, dst, conn):
            env["answers"].append(r.content)
        add_workspace_b(s, env)
        yield env
        # Every answer the walk received: no secret, no password hash, no other user's token.
        for body in env["answers"] + s.answers:
            for secret in (PG_SECRET, ADMIN_PASSWORD, USER_PASSWORD, env["gone_key"], *env["keys"].values(),
                           *env["b_secrets"]):
                assert secret.encode() not in body, "a secret value is in an answer"
            assert b"$argon2" not in body and b"password_hash" not in body


def add_workspace_b(s, env):
    """Workspace B with its own source, destination, connection, operation and job; a job and an
    operation in A too; for each role a user limited to B (API key), and B callers by session and
    by an application's access token."""
    admin = env["sessions"]["admin"]

    def ok(path, body):
        r = admin.post(f"{s.url}/{path}", json=body, timeout=60)
        assert r.status_code == 200, (path, r.text)
        env["answers"].append(r.content)
        return r.json()

    a_ws = env["ids"]["workspaceId"]
    b_ws = ok("workspaces/create", {"name": "matrix B"})["workspaceId"]
    hook = {"operatorType": "webhook", "webhook": {"executionUrl": "http://127.0.0.1:9/hook"}}
    a = dict(env["ids"])
    a["operationId"] = ok("operations/create", {"workspaceId": a_ws, "name": "a hook",
                                                "operatorConfiguration": hook})["operationId"]
    a["jobId"] = ok("connections/sync", {"connectionId": a["connectionId"]})["job"]["id"]  # no workers: pending
    b = {"workspaceId": b_ws}
    b["sourceId"] = ok("sources/create", {"sourceDefinitionId": "source-faker", "workspaceId": b_ws, "name": "b",
                                          "connectionConfiguration": {"count": 3}})["sourceId"]
    b["destinationId"] = ok("destinations/create", {
        "destinationDefinitionId": "destination-local", "workspaceId": b_ws, "name": "b",
        "connectionConfiguration": {"destination_path": str(s.data_dir / "b-out")}})["destinationId"]
    b["connectionId"] = ok("connections/create", {"sourceId": b["sourceId"],
                                                  "destinationId": b["destinationId"]})["connectionId"]
    b["operationId"] = ok("operations/create", {"workspaceId": b_ws, "name": "b hook",
                                                "operatorConfiguration": hook})["operationId"]
    b["jobId"] = ok("connections/sync", {"connectionId": b["connectionId"]})["job"]["id"]
    env["a"], env["b"], env["b_keys"], env["b_secrets"] = a, b, {}, []
    for role in ROLES:
        user = ok("users/create", {"email": f"{role}-b@matrix.example", "role": role, "password": USER_PASSWORD,
                                   "mustChangePassword": False, "workspaceIds": [b_ws]})
        assert user["allWorkspaces"] is False and user["workspaceIds"] == [b_ws], user
        sess = login(s, f"{role}-b@matrix.example", USER_PASSWORD)[0]
        r = sess.post(f"{s.url}/api_keys/create", json={"name": f"matrix {role} B"}, timeout=30)
        assert r.status_code == 200, r.text
        env["b_keys"][role] = register_secret(r.json()["token"])
        env["b_secrets"].append(env["b_keys"][role])
        env["sessions"][f"{role}-b"] = sess
    # An access token of an application of the analyst limited to B.
    bearer = {"Authorization": f"Bearer {env['b_keys']['analyst']}"}
    app = requests.post(f"{s.base}/api/public/v1/applications", json={"name": "matrix B"}, headers=bearer, timeout=30)
    assert app.status_code == 200, app.text
    secret = register_secret(app.json()["clientSecret"])
    token = requests.post(f"{s.base}/api/public/v1/applications/token",
                          json={"client_id": app.json()["clientId"], "client_secret": secret}, timeout=30)
    assert token.status_code == 200, token.text
    env["b_access_token"] = register_secret(token.json()["access_token"])
    env["b_secrets"] += [secret, env["b_access_token"]]


def callers(env):
    """Every way of calling, with its kind: 'role' (judge by the matrix), 'anonymous', 'bad' (401),
    'pending' (403 except for public/authenticated routes)."""
    out = []
    for role in ROLES:
        out.append(Caller(f"{role} by API key", role, headers={"Authorization": f"Bearer {env['keys'][role]}"},
                          kind="role"))
        sess = env["sessions"][role]
        out.append(Caller(f"{role} by session", role, cookies=dict(sess.cookies), csrf=sess.cookies["sluice_csrf"],
                          kind="role"))
    out.append(Caller("no credentials", kind="anonymous"))
    out.append(Caller("a forged API key", headers={"Authorization": "Bearer sk_" + "A" * 43}, kind="bad"))
    out.append(Caller("a forged session", cookies={"sluice_session": "forged"}, csrf="forged", kind="bad"))
    out.append(Caller("an unsupported Authorization", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}, kind="bad"))
    exp = env["expired"]
    out.append(Caller("an expired session", cookies=dict(exp.cookies), csrf=exp.cookies["sluice_csrf"], kind="bad"))
    out.append(Caller("a deleted user's API key", headers={"Authorization": f"Bearer {env['gone_key']}"}, kind="bad"))
    pend = env["pending"]
    out.append(Caller("a user who must change the password", cookies=dict(pend.cookies),
                      csrf=pend.cookies["sluice_csrf"], kind="pending"))
    return out


def documented_routes(s):
    """(method, path, operation) of every operation in the OpenAPI documents the server serves."""
    routes = []
    found = 0
    for doc_path in OPENAPI_DOCUMENTS:
        r = requests.get(s.base + doc_path, timeout=10)
        if r.status_code == 404:
            continue
        assert r.status_code == 200, (doc_path, r.status_code)
        found += 1
        for path, item in r.json()["paths"].items():
            for method, op in item.items():
                if method in ("get", "post", "put", "patch", "delete", "head"):
                    routes.append((method, path, op))
    assert found >= 1 and len(routes) >= len(EXPECTED) - 5
    return routes


def request_body(path, op, permission, env):
    """A body naming real objects for reads (so answers carry data to scan), unknown ids otherwise
    (a state-changing request then reaches its handler, which answers 404, and changes nothing)."""
    props = {}
    schema = (op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {}))
    props.update(schema.get("properties", {}))
    for p in op.get("parameters", []):
        if p.get("in") == "query":
            props[p["name"]] = p.get("schema", {})
    body = {}
    reading = permission in READS or permission == "read_status"
    for name in props:
        if name in env["ids"] and name != "workspaceId":
            body[name] = env["ids"][name] if reading else DUMMY_ID
        elif name in ("id", "jobId") and "jobs/" in path:
            body[name] = 987654
        elif name == "userId" and not reading:
            body[name] = DUMMY_ID
        elif name == "apiKeyId":
            body[name] = DUMMY_ID
    return body


def concrete(path):
    return re.sub(r"\{[^}]+\}", DUMMY_ID, path)


def test_every_route_with_every_caller(platform):
    env = platform
    s = env["server"]
    routes = documented_routes(s)
    problems = []
    checked = 0
    # auth/logout last: it ends the session it is called with.
    routes.sort(key=lambda r: r[1].endswith("/auth/logout"))
    all_callers = callers(env)
    for method, path, op in routes:
        declared = op.get("x-sluice-permission")
        permission, problem = route_expectation(method, path, declared)
        if problem:
            problems.append(problem)
        if permission is None:
            continue
        body = request_body(path, op, permission, env)
        url_path = concrete(path)
        for caller in all_callers:
            if path.endswith("/auth/logout") and caller.kind == "role" and "session" in caller.name:
                # a throwaway session of the same user, so the walk's sessions stay open
                sess = login(s, ADMIN if caller.role == "admin" else f"{caller.role}@matrix.example",
                             ADMIN_PASSWORD if caller.role == "admin" else USER_PASSWORD)[0]
                caller = Caller(caller.name, caller.role, cookies=dict(sess.cookies), csrf=sess.cookies["sluice_csrf"],
                                kind="role")
            r = call(s.base, method, url_path, caller, body)
            env["answers"].append(r.content)
            checked += 1
            where = f"{method.upper()} {path} as {caller.name}: {r.status_code} {r.text[:200]}"
            if permission == "public":
                ok = r.status_code not in (401, 403)
            elif caller.kind in ("anonymous", "bad"):
                ok = r.status_code == 401
            elif caller.kind == "pending":
                ok = (r.status_code not in (401, 403)) if permission == "authenticated" else (
                    r.status_code == 403 and "password change required" in r.text)
            elif permission == "authenticated" or permission in ROLE_PERMISSIONS[caller.role]:
                ok = r.status_code not in (401, 403) and r.status_code < 500
            else:
                ok = r.status_code == 403 and "forbidden" in r.text
            if not ok:
                problems.append(where)
    assert not problems, f"{len(problems)} of {checked} checks failed:\n" + "\n".join(problems[:60])
    print(f"authorization matrix: {len(routes)} routes x {len(all_callers)} callers = {checked} requests checked")


def test_csrf_on_cookie_sessions(platform):
    """Every state-changing route refuses a cookie session without the CSRF header (or with
    another session's), also as a cross-site form would send it; API keys need no header."""
    env = platform
    s = env["server"]
    admin = env["sessions"]["admin"]
    other = env["sessions"]["data_engineer"].cookies["sluice_csrf"]
    problems = []
    n = 0
    for method, path, op in documented_routes(s):
        permission, _ = route_expectation(method, path, op.get("x-sluice-permission"))
        if permission not in STATE_CHANGING and path not in STATE_CHANGING_ROUTES:
            continue
        url_path = concrete(path)
        body = request_body(path, op, "edit_configs", env)
        for label, csrf in (("no CSRF header", None), ("another session's token", other), ("an empty one", "")):
            caller = Caller(label, "admin", cookies=dict(admin.cookies))
            if csrf is not None:
                caller.headers["X-Sluice-CSRF"] = csrf
            r = call(s.base, method, url_path, caller, body)
            n += 1
            if r.status_code != 403 or "CSRF" not in r.text:
                problems.append(f"{method.upper()} {path} with {label}: {r.status_code} {r.text[:200]}")
    assert not problems, "\n".join(problems)
    assert n >= 3 * 25
    cookies = dict(admin.cookies)
    cid = env["ids"]["connectionId"]
    # A cross-site form post (text/plain, no custom header) and an <img src> GET with query parameters.
    r = requests.post(f"{s.url}/connections/sync", data=json.dumps({"connectionId": cid}),
                      headers={"Content-Type": "text/plain"}, cookies=cookies, timeout=10)
    assert r.status_code == 403 and "CSRF" in r.text
    r = requests.get(f"{s.url}/connections/delete", params={"connectionId": cid}, cookies=cookies, timeout=10)
    assert r.status_code == 403 and "CSRF" in r.text
    assert admin.post(f"{s.url}/connections/get", json={"connectionId": cid}, timeout=10).status_code == 200
    # The same requests with the header, or by API key, pass the check (reads here: nothing changes).
    r = requests.post(f"{s.url}/connections/list", json={}, cookies=cookies,
                      headers={"X-Sluice-CSRF": admin.cookies["sluice_csrf"]}, timeout=10)
    assert r.status_code == 200
    r = requests.post(f"{s.url}/connections/list", json={},
                      headers={"Authorization": f"Bearer {env['keys']['admin']}"}, timeout=10)
    assert r.status_code == 200
    # What a browser opens itself (a download link, the live log stream, /metrics) needs no header.
    assert requests.get(f"{s.base}/metrics", cookies=cookies, timeout=10).status_code == 200
    assert requests.get(f"{s.url}/jobs/logs/download", params={"id": 987654}, cookies=cookies,
                        timeout=10).status_code == 404
    # auth/session answers the token of the session (for a page loaded with an older cookie).
    r = requests.post(f"{s.url}/auth/session", json={}, cookies=cookies, timeout=10)
    assert r.json()["csrfToken"] == admin.cookies["sluice_csrf"]
    assert "sluice_csrf=" in requests.post(f"{s.url}/auth/login", json={
        "email": "viewer@matrix.example", "password": USER_PASSWORD}, timeout=30).headers["Set-Cookie"]


def test_command_operations_need_an_admin(platform):
    """A command operation runs a program on the server: saving one needs manage_settings (an
    admin), more than the operations routes' edit_configs; a SQL one does not."""
    env = platform
    s = env["server"]
    engineer, admin = env["sessions"]["data_engineer"], env["sessions"]["admin"]
    command = {"operatorType": "command", "operatorCommand": {"command": ["true"]}}
    r = engineer.post(f"{s.url}/operations/create", json={"name": "cmd", "operatorConfiguration": command}, timeout=30)
    assert r.status_code == 403 and "manage_settings" in r.text, r.text
    sql = engineer.post(f"{s.url}/operations/create", json={"name": "sql", "operatorConfiguration": {
        "operatorType": "sql", "operatorSql": {"sql": "select 1"}}}, timeout=30)
    assert sql.status_code == 200, sql.text
    r = engineer.post(f"{s.url}/operations/update", json={"operationId": sql.json()["operationId"],
                                                           "operatorConfiguration": command}, timeout=30)
    assert r.status_code == 403, r.text
    r = admin.post(f"{s.url}/operations/create", json={"name": "cmd", "operatorConfiguration": command}, timeout=30)
    assert r.status_code == 200, r.text
    for op in (sql.json(), r.json()):
        assert admin.post(f"{s.url}/operations/delete", json={"operationId": op["operationId"]},
                          timeout=30).status_code == 204


def test_wrong_workspace(platform):
    """A second workspace: lists are per workspace, an unknown workspace is a 404 (never another
    workspace's data), and a connection cannot join a source and a destination of two workspaces."""
    env = platform
    s = env["server"]
    admin = env["sessions"]["admin"]
    other_ws = str(uuid.uuid4())
    now = int(time.time() * 1000)
    with sqlite3.connect(s.data_dir / "sluice.db", timeout=30) as db:
        db.execute("INSERT INTO workspaces (id, name, notification_settings, created_at, updated_at) "
                   "VALUES (?, 'other', '{}', ?, ?)", (other_ws, now, now))
    dst = admin.post(f"{s.url}/destinations/create", json={
        "destinationDefinitionId": "destination-local", "workspaceId": other_ws, "name": "theirs",
        "connectionConfiguration": {"destination_path": str(s.data_dir / "theirs")}}, timeout=30)
    assert dst.status_code == 200 and dst.json()["workspaceId"] == other_ws, dst.text
    theirs = dst.json()["destinationId"]
    mine = env["ids"]
    r = admin.post(f"{s.url}/connections/create", json={"sourceId": mine["sourceId"], "destinationId": theirs},
                   timeout=30)
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "destinationId", r.text
    r = admin.post(f"{s.url}/connections/create", json={"sourceId": mine["sourceId"],
                                                        "destinationId": mine["destinationId"],
                                                        "workspaceId": other_ws}, timeout=30)
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "workspaceId", r.text
    for resource, key in (("sources", "sourceId"), ("destinations", "destinationId"),
                          ("connections", "connectionId")):
        listed = admin.post(f"{s.url}/{resource}/list", json={"workspaceId": other_ws}, timeout=30)
        assert listed.status_code == 200, listed.text
        ids = {x[key] for x in listed.json()[resource]}
        assert mine.get(key) not in ids, f"{resource}/list of another workspace shows this one's"
        assert ids == ({theirs} if resource == "destinations" else set()), (resource, ids)
        env["answers"].append(listed.content)
    # Every documented route taking a workspaceId, with an unknown one: a 4xx, or nothing of ours.
    checked = 0
    for method, path, op in documented_routes(s):
        permission, _ = route_expectation(method, path, op.get("x-sluice-permission"))
        schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        names = set(schema.get("properties", {})) | {p["name"] for p in op.get("parameters", [])}
        if "workspaceId" not in names or permission in STATE_CHANGING and permission != "manage_settings":
            continue
        if permission == "manage_settings":
            body = {"workspaceId": str(uuid.uuid4()), "name": "hijack"}
        else:
            body = {"workspaceId": str(uuid.uuid4())}
        r = call(s.base, method, concrete(path), Caller("admin", "admin",
                                                         headers={"Authorization": f"Bearer {env['keys']['admin']}"}),
                 body)
        env["answers"].append(r.content)
        checked += 1
        leaked = [v for k, v in mine.items() if k != "workspaceId" and v.encode() in r.content]
        assert r.status_code in (200, 400, 404, 422) and not leaked, (path, r.status_code, r.text[:300])
    assert checked >= 6
    ws = admin.post(f"{s.url}/workspaces/get", json={}, timeout=10).json()
    assert ws["name"] != "hijack"


def b_callers(env):
    """Callers limited to workspace B: each role by API key; by session and by access token too."""
    out = [Caller(f"{role} limited to B by API key", role,
                  headers={"Authorization": f"Bearer {env['b_keys'][role]}"}, kind="role") for role in ROLES]
    sess = env["sessions"]["data_engineer-b"]
    out.append(Caller("data_engineer limited to B by session", "data_engineer", cookies=dict(sess.cookies),
                      csrf=sess.cookies["sluice_csrf"], kind="role"))
    out.append(Caller("analyst limited to B by access token", "analyst",
                      headers={"Authorization": f"Bearer {env['b_access_token']}"}, kind="role"))
    return out


def scoped_request(path, op, ids, reading):
    """(url path, body) naming `ids` (one workspace's) in every field and path parameter the route
    takes; writes name unknown objects instead when `reading` is False (nothing changes)."""
    props = dict(op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
                 .get("properties", {}))
    for p in op.get("parameters", []):
        if p.get("in") == "query":
            props[p["name"]] = p.get("schema", {})
    jobs_route = path.startswith(V1 + "jobs/")

    def value(name):
        if name == "workspaceId":
            return ids["workspaceId"]
        if name == "workspaceIds":
            return [ids["workspaceId"]]
        if name == "configId":
            return ids["connectionId"] if reading else DUMMY_ID
        if name == "connectionIds":
            return [ids["connectionId"] if reading else DUMMY_ID]
        if name == "jobId" or (name == "id" and jobs_route):
            return ids["jobId"] if reading else 987654
        if name in ids:
            return ids[name] if reading else DUMMY_ID
        return None

    body = {}
    for name in props:
        v = value(name)
        if v is not None:
            body[name] = v
    url_path = re.sub(r"\{([^}]+)\}", lambda m: str(value(m.group(1)) or DUMMY_ID), path)
    return url_path, body


def test_wrong_workspace_matrix(platform):
    """Every route, by callers limited to workspace B (each role; a session and an access token too):
    with workspace A's ids the request is refused — 404 when it names an object of A or reads A, 403
    when it writes to A or needs every workspace, and a list answers nothing of A — ; with B's own
    ids the caller gets what its role allows, and nothing of A."""
    env = platform
    s = env["server"]
    a, b = env["a"], env["b"]
    a_values = [str(v).encode() for k, v in a.items() if k != "jobId"]
    problems = []
    checked = 0
    routes = [r for r in documented_routes(s) if not r[1].endswith("/auth/logout")]
    for method, path, op in routes:
        permission, _ = route_expectation(method, path, op.get("x-sluice-permission"))
        expected_ws = workspace_expectation(method, path)
        declared_ws = op.get("x-sluice-workspace")
        if declared_ws != expected_ws:
            problems.append(f"{method.upper()} {path}: the document declares x-sluice-workspace {declared_ws!r}, "
                            f"the matrix says {expected_ws!r} (WORKSPACE_NONE / WORKSPACE_ALL)")
        if permission is None or permission in ("public", "authenticated"):
            continue
        writes = permission in STATE_CHANGING or path in STATE_CHANGING_ROUTES
        for caller in b_callers(env):
            allowed = permission in ROLE_PERMISSIONS[caller.role]
            for label, ids, reading in (("A's ids", a, True),
                                        ("B's ids", b, permission in READS or permission == "read_status")):
                url_path, body = scoped_request(path, op, ids, reading)
                r = call(s.base, method, url_path, caller, body)
                env["answers"].append(r.content)
                checked += 1
                leaked = [v for v in a_values if v in r.content]
                if not allowed:
                    ok = r.status_code == 403 and "forbidden" in r.text
                elif expected_ws == "all_workspaces":
                    ok = r.status_code == 403
                elif expected_ws == "none" or ids is b:  # what the role allows, and nothing of A
                    ok = r.status_code not in (401, 403) and r.status_code < 500 and not leaked
                elif any(k in body for k in OBJECT_FIELDS) or ("id" in body and path.startswith(V1 + "jobs/")) \
                        or re.search(r"\{(source|destination|connection|job)Id\}", path):
                    ok = r.status_code == 404  # an object of A: as an unknown one
                elif "workspaceId" in body or "{workspaceId}" in path:
                    ok = r.status_code == (403 if writes else 404)
                else:  # a list filtered by A (or naming nothing): nothing of A
                    ok = r.status_code in (200, 404) and not leaked
                if not ok or (r.status_code < 300 and leaked):
                    problems.append(f"{label}: {method.upper()} {path} as {caller.name}: {r.status_code} "
                                    f"{r.text[:200]}")
    assert not problems, f"{len(problems)} of {checked} checks failed:\n" + "\n".join(problems[:60])
    # B's objects are what the limited callers see in lists.
    key = {"Authorization": f"Bearer {env['b_keys']['analyst']}"}
    listed = requests.post(f"{s.url}/connections/list", json={}, headers=key, timeout=30).json()["connections"]
    assert [c["connectionId"] for c in listed] == [b["connectionId"]]
    jobs = requests.post(f"{s.url}/jobs/list", json={}, headers=key, timeout=30).json()
    assert [j["job"]["id"] for j in jobs["jobs"]] == [b["jobId"]] and jobs["totalJobCount"] == 1, jobs
    workspaces = requests.get(f"{s.base}/api/public/v1/workspaces", headers=key, timeout=30).json()["data"]
    assert [w["workspaceId"] for w in workspaces] == [b["workspaceId"]]
    print(f"wrong-workspace matrix: {len(routes)} routes x {len(b_callers(env))} limited callers x 2 = "
          f"{checked} requests checked")


def test_login_rate_limiting(platform):
    """Five failed logins lock an account for a while, whatever the letter case of its email and
    even for the right password; an unknown email answers exactly like a known one."""
    s = platform["server"]

    def attempt(email, password):
        return requests.post(f"{s.url}/auth/login", json={"email": email, "password": password}, timeout=30)

    for email in ("viewer@matrix.example", "nobody@matrix.example"):
        variants = itertools.cycle([email, email.upper(), email.title()])
        codes = [attempt(next(variants), f"wrong-{i}") for i in range(5)]
        assert [r.status_code for r in codes] == [401] * 5, [r.text for r in codes]
        assert len({r.text for r in codes}) == 1, "the same answer every time"
        locked = attempt(email, USER_PASSWORD if email.startswith("viewer") else "whatever")
        assert locked.status_code == 429 and "too many failed logins" in locked.json()["message"]
        assert attempt(email.upper(), "wrong").status_code == 429
    assert attempt("analyst@matrix.example", USER_PASSWORD).status_code == 200, "other accounts unaffected"
