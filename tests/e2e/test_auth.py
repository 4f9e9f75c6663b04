"""Authentication and roles of `sluice server`: first login, sessions, API keys, the role matrix,
--no-auth only on loopback."""
import subprocess

import pytest
import requests

from sluice_server import SLUICE, ApiSession, free_port, register_secret, sluice_server

ADMIN = "airbyte@example.com"
NEW_ADMIN_PASSWORD = register_secret("Adm1n-new-passw0rd")
USER_PASSWORD = register_secret("Us3r-passw0rd-42")
SECRETS = ("password", NEW_ADMIN_PASSWORD, USER_PASSWORD)


@pytest.fixture(scope="module")
def auth_server():
    with sluice_server(no_auth=False) as s:
        yield s


def login(s, email, password):
    sess = ApiSession()
    r = s.post("auth/login", {"email": email, "password": password}, session=sess)
    return sess, r


def assert_no_password(r):
    for secret in SECRETS:
        assert f'"{secret}"' not in r.text
    assert "password_hash" not in r.text and "passwordHash" not in r.text and "$argon2" not in r.text


@pytest.fixture(scope="module")
def admin(auth_server):
    """The admin's session after the forced first password change."""
    s = auth_server
    assert s.post("connections/list").status_code == 401
    r = s.post("connections/list", headers={"Cookie": "sluice_session=forged"})
    assert r.status_code == 401
    _, r = login(s, ADMIN, "wrong-password")
    assert r.status_code == 401 and "invalid email or password" in r.json()["message"]

    sess, r = login(s, ADMIN, "password")
    assert r.status_code == 200, r.text
    assert r.json()["mustChangePassword"] is True and r.json()["user"]["role"] == "admin"
    assert_no_password(r)
    cookie = r.headers["Set-Cookie"]
    assert "sluice_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    # Until the password is changed only me / logout / change_password work.
    r = s.post("connections/list", session=sess)
    assert r.status_code == 403 and "password change required" in r.json()["message"]
    assert s.post("auth/me", session=sess).json()["mustChangePassword"] is True
    for body, field in [({"currentPassword": "password", "newPassword": "short"}, "newPassword"),
                        ({"currentPassword": "password", "newPassword": "password"}, "newPassword"),
                        ({"currentPassword": "nope-nope", "newPassword": NEW_ADMIN_PASSWORD}, "currentPassword")]:
        r = s.post("users/change_password", body, session=sess)
        assert r.status_code == 422 and r.json()["details"][0]["field"] == field, r.text
    r = s.post("users/change_password", {"currentPassword": "password", "newPassword": NEW_ADMIN_PASSWORD}, session=sess)
    assert r.status_code == 200 and r.json()["mustChangePassword"] is False
    assert_no_password(r)
    assert s.post("connections/list", session=sess).status_code == 200
    # the old password no longer works, the new one does
    assert login(s, ADMIN, "password")[1].status_code == 401
    assert login(s, ADMIN, NEW_ADMIN_PASSWORD)[1].status_code == 200
    return sess


@pytest.fixture(scope="module")
def users(auth_server, admin):
    """A logged-in session per role."""
    s = auth_server
    out = {"admin": admin}
    for role in ("data_engineer", "analyst", "viewer"):
        r = s.post("users/create", {"email": f"{role}@example.com", "name": role, "role": role,
                                    "password": USER_PASSWORD, "mustChangePassword": False}, session=admin)
        assert r.status_code == 200, r.text
        assert r.json()["role"] == role
        assert_no_password(r)
        sess, r = login(s, f"{role}@example.com", USER_PASSWORD)
        assert r.status_code == 200 and r.json()["mustChangePassword"] is False
        out[role] = sess
    return out


def test_first_login_and_user_admin(auth_server, admin, users):
    s = auth_server
    listed = s.post("users/list", session=admin)
    assert listed.status_code == 200
    assert {u["email"] for u in listed.json()["users"]} >= {ADMIN, "viewer@example.com"}
    assert_no_password(listed)
    r = s.post("users/create", {"email": "viewer@example.com", "role": "viewer", "password": USER_PASSWORD},
               session=admin)
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "email"
    r = s.post("users/create", {"email": "x@example.com", "role": "superuser", "password": USER_PASSWORD},
               session=admin)
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "role"
    # a created user must change the password at first login by default
    r = s.post("users/create", {"email": "new@example.com", "role": "analyst", "password": USER_PASSWORD},
               session=admin)
    assert r.json()["mustChangePassword"] is True
    sess, r = login(s, "new@example.com", USER_PASSWORD)
    assert r.json()["mustChangePassword"] is True
    assert s.post("jobs/list", session=sess).status_code == 403
    uid = r.json()["user"]["userId"]
    upd = s.post("users/update", {"userId": uid, "role": "viewer"}, session=admin)
    assert upd.status_code == 200 and upd.json()["role"] == "viewer"
    assert s.post("users/delete", {"userId": uid}, session=admin).status_code == 204
    assert s.post("auth/me", session=sess).status_code == 401, "sessions end with the user"
    me = s.post("auth/me", session=admin).json()
    r = s.post("users/delete", {"userId": me["user"]["userId"]}, session=admin)
    assert r.status_code == 422, "no deleting yourself"


def test_role_matrix(auth_server, users, tmp_path):
    s = auth_server
    de = users["data_engineer"]
    src = s.post("sources/create", {"sourceDefinitionId": "source-faker", "connectionConfiguration": {"count": 5}},
                 session=de)
    assert src.status_code == 200, src.text
    sid = src.json()["sourceId"]
    # (role, path, body, expected status)
    matrix = [
        ("viewer", "connections/status", {}, 200),
        ("viewer", "connections/list", {}, 403),
        ("viewer", "jobs/list", {}, 403),
        ("viewer", "sources/get", {"sourceId": sid}, 403),
        ("analyst", "connections/list", {}, 200),
        ("analyst", "sources/get", {"sourceId": sid}, 200),
        ("analyst", "jobs/list", {}, 200),
        ("analyst", "jobs/logs", {"id": 1}, 404),  # allowed, no such job
        ("analyst", "sources/create", {"sourceDefinitionId": "source-faker", "connectionConfiguration": {}}, 403),
        ("analyst", "connections/sync", {"connectionId": "x"}, 403),
        ("data_engineer", "sources/update", {"sourceId": sid, "name": "renamed"}, 200),
        ("data_engineer", "connections/sync", {"connectionId": "x"}, 404),  # allowed, unknown id
        ("data_engineer", "jobs/cancel", {"id": 12345}, 404),
        ("data_engineer", "users/list", {}, 403),
        ("data_engineer", "workspaces/update", {"name": "x"}, 403),
        ("admin", "users/list", {}, 200),
        ("admin", "workspaces/update", {"name": "Production Data Platform"}, 200),
    ]
    for role, path, body, expected in matrix:
        r = s.post(path, body, session=users[role])
        assert r.status_code == expected, (role, path, r.status_code, r.text)
        if expected == 403:
            assert "forbidden: your role" in r.json()["message"] and role in r.json()["message"]
    r = requests.get(f"{s.base}/metrics", cookies=users["viewer"].cookies, timeout=5)
    assert r.status_code == 200
    assert requests.get(f"{s.base}/metrics", timeout=5).status_code == 401
    assert requests.get(f"{s.url}/health", timeout=5).status_code == 200  # public
    me = s.post("auth/me", session=users["analyst"]).json()
    assert "read_configs" in me["permissions"] and "edit_configs" not in me["permissions"]


def test_api_keys(auth_server, users):
    s = auth_server
    de = users["data_engineer"]
    r = s.post("api_keys/create", {"name": "ci script"}, session=de)
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    assert token.startswith("sk_") and len(token) > 40
    listed = s.post("api_keys/list", session=de)
    assert listed.status_code == 200 and token not in listed.text
    key_id = r.json()["apiKeyId"]
    assert key_id in [k["apiKeyId"] for k in listed.json()["apiKeys"]]
    bearer = {"Authorization": f"Bearer {token}"}
    r = requests.post(f"{s.url}/sources/list", json={}, headers=bearer, timeout=5)
    assert r.status_code == 200
    r = requests.post(f"{s.url}/users/list", json={}, headers=bearer, timeout=5)
    assert r.status_code == 403, "a key has its user's role"
    # the seed's GET-with-body curl works with a key too
    r = requests.request("GET", f"{s.api_url}/jobs/list", data='{"configTypes": ["sync"]}', headers=bearer, timeout=5)
    assert r.status_code == 200
    bad = {"Authorization": "Bearer sk_" + "A" * 43}
    assert requests.post(f"{s.url}/sources/list", json={}, headers=bad, timeout=5).status_code == 401
    # another user's key cannot be deleted by a non-admin
    assert s.post("api_keys/delete", {"apiKeyId": key_id}, session=users["analyst"]).status_code == 404
    assert s.post("api_keys/delete", {"apiKeyId": key_id}, session=de).status_code == 204
    assert requests.post(f"{s.url}/sources/list", json={}, headers=bearer, timeout=5).status_code == 401
    assert token not in s.log()


def test_logout_ends_the_session(auth_server, users):
    s = auth_server
    sess, r = login(s, "analyst@example.com", USER_PASSWORD)
    assert s.post("auth/me", session=sess).status_code == 200
    session = s.post("auth/session", session=sess).json()
    assert session["authenticated"] is True and session["user"]["role"] == "analyst"
    assert "read_jobs" in session["permissions"] and "run_syncs" not in session["permissions"]
    stolen = dict(sess.cookies)
    r = s.post("auth/logout", session=sess)
    assert r.status_code == 200 and "Max-Age=0" in r.headers["Set-Cookie"]
    assert requests.post(f"{s.url}/auth/me", json={}, cookies=stolen, timeout=5).status_code == 401
    # auth/session answers the same stale cookie, a forged one and none with 200, not logged in.
    for cookies in (stolen, {"sluice_session": "forged"}, {}):
        r = requests.get(f"{s.url}/auth/session", cookies=cookies, timeout=5)
        assert r.status_code == 200 and r.json() == {"authenticated": False}


def test_lockout_after_failed_logins(auth_server, users):
    s = auth_server
    codes = [login(s, "viewer@example.com", f"wrong-{i}")[1].status_code for i in range(5)]
    assert codes == [401] * 5
    r = login(s, "viewer@example.com", USER_PASSWORD)[1]
    assert r.status_code == 429, "locked out even with the right password"
    assert login(s, "analyst@example.com", USER_PASSWORD)[1].status_code == 200, "other accounts unaffected"


def test_passwords_never_in_logs(auth_server, users):
    log = auth_server.log()
    for secret in (NEW_ADMIN_PASSWORD, USER_PASSWORD):
        assert secret not in log


def test_no_auth_refused_on_a_public_address(tmp_path):
    p = subprocess.run([SLUICE, "server", "--no-auth", "--host", "0.0.0.0", "--port", str(free_port()),
                        "--api-port", "0", "--data-dir", str(tmp_path / "d")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert "--no-auth" in p.stderr and "loopback" in p.stderr
    assert not (tmp_path / "d").exists(), "refused before touching anything"


def test_no_auth_acts_as_admin_on_loopback():
    with sluice_server(no_auth=True) as s:
        assert s.post("users/list").status_code == 200
        me = s.ok("auth/me")
        assert me["authMethod"] == "none" and me["user"]["role"] == "admin"
        session = requests.get(f"{s.url}/auth/session", timeout=5).json()
        assert session["authenticated"] is True and session["authMethod"] == "none"
