// auth (login, logout, me), users (change_password; create, list, get, update, delete for admins)
// and api_keys (create — the token is answered once —, list, delete).

#include <fmt/format.h>

#include "api/api_env.h"
#include "base/log.h"
#include "security/password.h"
#include "security/token.h"

namespace sluice {

namespace {

constexpr size_t kMinPasswordLength = 8;
constexpr size_t kMaxPasswordLength = 1024;

UserRole ParseRoleField(const Json& body) {
  std::string name = RequireString(body, "role");
  auto role = ParseUserRole(name);
  if (!role) {
    ThrowApiError(422, "role: must be one of admin, data_engineer, analyst, viewer",
                  {{"role", "must be one of admin, data_engineer, analyst, viewer"}});
  }
  return *role;
}

void CheckNewPassword(const std::string& password, std::string_view field) {
  if (password.size() < kMinPasswordLength || password.size() > kMaxPasswordLength) {
    std::string m = fmt::format("must be {} to {} characters long", kMinPasswordLength, kMaxPasswordLength);
    ThrowApiError(422, fmt::format("{}: {}", field, m), {{std::string(field), m}});
  }
}

std::string HashOrThrow(const std::string& password) { return Unwrap(HashPassword(password)); }

void CheckEmail(const std::string& email) {
  size_t at = email.find('@');
  if (email.size() > 254 || at == std::string::npos || at == 0 || at + 1 >= email.size() ||
      email.find_first_of(" \t\r\n") != std::string::npos) {
    ThrowApiError(422, "email: must be an email address", {{"email", "must be an email address"}});
  }
}

User LoadUser(const ApiEnv& env, const Json& body) {
  std::string id = RequireString(body, "userId");
  auto user = Unwrap(env.store().GetUser(id));
  if (!user) ThrowNotFound("user", id, "userId");
  return *user;
}

// Admins who reach every workspace: at least one must stay (only they manage users).
int CountAdmins(const ApiEnv& env) {
  int n = 0;
  for (const auto& u : Unwrap(env.store().ListUsers())) n += u.role == UserRole::kAdmin && u.all_workspaces ? 1 : 0;
  return n;
}

bool IsFullAdmin(const User& user) { return user.role == UserRole::kAdmin && user.all_workspaces; }

// allWorkspaces / workspaceIds of a users/create or users/update body into `user` (absent: unchanged).
// The store checks that each workspace exists.
void ApplyWorkspaceFields(const Json& body, User& user) {
  const Json* ids = FindField(body, "workspaceIds");
  const std::optional<bool> all = OptionalBool(body, "allWorkspaces");
  if (ids != nullptr) {
    if (all && *all) {
      ThrowApiError(422, "workspaceIds: not with allWorkspaces: true",
                    {{"workspaceIds", "not with allWorkspaces: true"}});
    }
    std::vector<std::string> list = StringListField(body, "workspaceIds");
    if (list.empty()) {
      ThrowApiError(422, "workspaceIds: must name at least one workspace",
                    {{"workspaceIds", "must name at least one workspace (or allWorkspaces: true)"}});
    }
    user.all_workspaces = false;
    user.workspace_ids = std::move(list);
  } else if (all) {
    if (!*all) {
      ThrowApiError(422, "allWorkspaces: false needs workspaceIds", {{"allWorkspaces", "false needs workspaceIds"}});
    }
    user.all_workspaces = true;
    user.workspace_ids.clear();
  }
}

const std::vector<FieldDoc> kWorkspaceFieldDocs = {
    {"allWorkspaces", "boolean", false, "true: the user reaches every workspace (the default on create)"},
    {"workspaceIds", "array", false,
     "the only workspaces the user reaches (at least one); its API keys, tokens and sessions act within them"}};

Json ApiKeyToApi(const ApiKey& key) {
  return {{"apiKeyId", key.id},
          {"name", key.name},
          {"userId", key.user_id},
          {"createdAt", key.created_at / 1000},
          {"lastUsedAt", key.last_used_at ? Json(*key.last_used_at / 1000) : Json()}};
}

Json MeToApi(const ApiEnv& env, const Principal& p) {
  Json out;
  if (p.auth_method == "none") {
    out["user"] = {{"userId", nullptr}, {"email", nullptr}, {"name", "no-auth"}, {"role", "admin"}};
  } else {
    auto user = Unwrap(env.store().GetUser(p.user_id));
    if (!user) ThrowApiError(401, "session expired or invalid: log in again");
    out["user"] = UserToApi(*user);
  }
  out["mustChangePassword"] = p.must_change_password;
  out["authMethod"] = p.auth_method;
  if (!p.csrf_token.empty()) out["csrfToken"] = p.csrf_token;
  Json permissions = Json::array();
  for (Permission perm :
       {Permission::kManageUsers, Permission::kManageSettings, Permission::kEditConfigs, Permission::kRunSyncs,
        Permission::kReadConfigs, Permission::kReadJobs, Permission::kReadLogs, Permission::kReadStatus}) {
    if (Allowed(p.role, perm)) permissions.push_back(PermissionName(perm));
  }
  out["permissions"] = permissions;
  return out;
}

// The user whose API keys a request manages: the caller, or `userId` for an admin.
std::string KeyOwner(const ApiEnv& env, const Call& call) {
  auto user_id = OptionalString(call.body, "userId");
  if (!user_id || *user_id == call.principal.user_id) {
    if (call.principal.user_id.empty()) {
      ThrowApiError(422, "userId: is required with --no-auth (API keys belong to a user)", {{"userId", "is required"}});
    }
    return call.principal.user_id;
  }
  if (!Allowed(call.principal.role, Permission::kManageUsers)) {
    ThrowApiError(403, fmt::format("forbidden: your role ({}) lacks manage_users (other users' API keys)",
                                   RoleName(call.principal.role)));
  }
  if (!call.principal.all_workspaces) {  // a key of a user reaching more would widen the caller's reach
    ThrowApiError(403, "forbidden: other users' API keys need a user who reaches every workspace");
  }
  if (!Unwrap(env.store().GetUser(*user_id))) ThrowNotFound("user", *user_id, "userId");
  return *user_id;
}

}  // namespace

void AddUserRoutes(std::vector<Route>& routes, ApiEnv& env) {
  const size_t first = routes.size();
  Route login = MakeRoute(
      "/api/v1/auth/login", Permission::kReadStatus, "auth",
      "Logs in: sets the session cookie (HttpOnly, SameSite=Strict); answers {user, mustChangePassword}",
      {{"email", "string", true, ""}, {"password", "string", true, ""}}, [env](Call& call) {
        std::string email = RequireString(call.body, "email");
        std::string password = RequireString(call.body, "password");
        if (env.auth.no_auth()) ThrowApiError(422, "the server runs with --no-auth: there is nothing to log in to");
        auto result = env.auth.Login(email, password);
        call.response.headers.emplace_back("Set-Cookie", env.auth.SessionCookie(result.session_token));
        call.response.headers.emplace_back("Set-Cookie", env.auth.CsrfCookie(result.session_token));
        Log(LogLevel::kInfo, "api: user {} logged in", result.user.user_id);
        return Json{{"user", UserToApi(result.user)},
                    {"mustChangePassword", result.user.must_change_password},
                    {"csrfToken", CsrfTokenFor(result.session_token)}};
      });
  login.access = Access::kPublic;
  routes.push_back(std::move(login));

  Route logout = MakeRoute("/api/v1/auth/logout", Permission::kReadStatus, "auth",
                           "Ends the session and clears the cookie", {}, [env](Call& call) {
                             env.auth.Logout(call.principal);
                             call.response.headers.emplace_back("Set-Cookie", Authenticator::ExpiredSessionCookie());
                             call.response.headers.emplace_back("Set-Cookie", Authenticator::ExpiredCsrfCookie());
                             return Json{{"loggedOut", true}};
                           });
  logout.access = Access::kAuthenticated;
  routes.push_back(std::move(logout));

  Route me = MakeRoute("/api/v1/auth/me", Permission::kReadStatus, "auth",
                       "The caller: user, role, permissions, mustChangePassword", {},
                       [env](Call& call) { return MeToApi(env, call.principal); });
  me.access = Access::kAuthenticated;
  routes.push_back(std::move(me));

  // The web UI's first question: never a 401 (a browser reports every 401 in its console), and
  // with --no-auth the caller is in at once.
  Route session = MakeRoute(
      "/api/v1/auth/session", Permission::kReadStatus, "auth",
      "Whether the caller is logged in: {authenticated: false} or auth/me's answer with authenticated: true", {},
      [env](Call& call) {
        if (!call.principal.authenticated) return Json{{"authenticated", false}};
        try {
          Json out = MeToApi(env, call.principal);
          out["authenticated"] = true;
          return out;
        } catch (const ApiError& e) {
          if (e.status != 401) throw;
          return Json{{"authenticated", false}};  // the user was deleted a moment ago
        }
      });
  session.access = Access::kPublic;
  routes.push_back(std::move(session));

  Route change = MakeRoute(
      "/api/v1/users/change_password", Permission::kReadStatus, "users",
      "Changes the caller's password (at least 8 characters, not the current one); ends the other sessions",
      {{"currentPassword", "string", true, ""}, {"newPassword", "string", true, "at least 8 characters"}},
      [env](Call& call) {
        std::string current = RequireString(call.body, "currentPassword");
        std::string next = RequireString(call.body, "newPassword");
        if (call.principal.user_id.empty()) ThrowApiError(422, "the server runs with --no-auth: there is no user");
        auto user = Unwrap(env.store().GetUser(call.principal.user_id));
        if (!user) ThrowApiError(401, "session expired or invalid: log in again");
        if (!VerifyPassword(user->password_hash, current)) {
          ThrowApiError(422, "currentPassword: is not correct", {{"currentPassword", "is not correct"}});
        }
        CheckNewPassword(next, "newPassword");
        if (next == current) {
          ThrowApiError(422, "newPassword: must differ from the current password",
                        {{"newPassword", "must differ from the current password"}});
        }
        user->password_hash = HashOrThrow(next);
        user->must_change_password = false;
        auto updated = Unwrap(env.store().UpdateUser(*user, env.now()));
        if (!updated) ThrowApiError(401, "session expired or invalid: log in again");
        Unwrap(env.store().DeleteUserSessions(user->user_id));
        Json out{{"user", UserToApi(*updated)}, {"mustChangePassword", false}};
        if (call.principal.auth_method == "session") {
          const std::string token = env.auth.OpenSession(user->user_id);
          call.response.headers.emplace_back("Set-Cookie", env.auth.SessionCookie(token));
          call.response.headers.emplace_back("Set-Cookie", env.auth.CsrfCookie(token));
          out["csrfToken"] = CsrfTokenFor(token);
        }
        Log(LogLevel::kInfo, "api: user {} changed the password", user->user_id);
        return out;
      });
  change.access = Access::kAuthenticated;
  routes.push_back(std::move(change));

  routes.push_back(MakeRoute(
      "/api/v1/users/create", Permission::kManageUsers, "users",
      "Creates a user (admin): answers {userId, email, name, role, mustChangePassword, allWorkspaces, workspaceIds, "
      "createdAt, updatedAt}",
      {{"email", "string", true, ""},
       {"name", "string", false, "default: the email"},
       {"role", "string", true, "admin | data_engineer | analyst | viewer"},
       {"password", "string", true, "initial password, at least 8 characters"},
       {"mustChangePassword", "boolean", false, "default true: the user sets a new password at first login"},
       kWorkspaceFieldDocs[0], kWorkspaceFieldDocs[1]},
      [env](Call& call) {
        User user;
        user.email = RequireString(call.body, "email");
        CheckEmail(user.email);
        user.name = OptionalString(call.body, "name").value_or(user.email);
        user.role = ParseRoleField(call.body);
        std::string password = RequireString(call.body, "password");
        CheckNewPassword(password, "password");
        user.must_change_password = OptionalBool(call.body, "mustChangePassword").value_or(true);
        ApplyWorkspaceFields(call.body, user);
        if (Unwrap(env.store().GetUserByEmail(user.email))) {
          ThrowApiError(422, "email: a user with this email exists", {{"email", "a user with this email exists"}});
        }
        user.password_hash = HashOrThrow(password);
        User created = Unwrap(env.store().CreateUser(std::move(user), env.now()));
        Log(LogLevel::kInfo, "api: created user {} ({})", created.user_id, UserRoleName(created.role));
        return UserToApi(created);
      }));

  routes.push_back(
      MakeRoute("/api/v1/users/list", Permission::kManageUsers, "users", "Every user (admin)", {}, [env](Call&) {
        Json list = Json::array();
        for (const auto& u : Unwrap(env.store().ListUsers())) list.push_back(UserToApi(u));
        return Json{{"users", list}};
      }));

  routes.push_back(MakeRoute("/api/v1/users/get", Permission::kManageUsers, "users", "One user (admin)",
                             {{"userId", "string", true, ""}},
                             [env](Call& call) { return UserToApi(LoadUser(env, call.body)); }));

  routes.push_back(MakeRoute(
      "/api/v1/users/update", Permission::kManageUsers, "users",
      "Changes a user's email, name, role; a new password resets it (the user must change it)",
      {{"userId", "string", true, ""},
       {"email", "string", false, ""},
       {"name", "string", false, ""},
       {"role", "string", false, "admin | data_engineer | analyst | viewer"},
       {"password", "string", false, "a new initial password"},
       {"mustChangePassword", "boolean", false, ""},
       kWorkspaceFieldDocs[0], kWorkspaceFieldDocs[1]},
      [env](Call& call) {
        User user = LoadUser(env, call.body);
        if (auto email = OptionalString(call.body, "email")) {
          CheckEmail(*email);
          auto other = Unwrap(env.store().GetUserByEmail(*email));
          if (other && other->user_id != user.user_id) {
            ThrowApiError(422, "email: a user with this email exists", {{"email", "a user with this email exists"}});
          }
          user.email = *email;
        }
        if (auto name = OptionalString(call.body, "name")) user.name = *name;
        const bool full_admin = IsFullAdmin(user);
        if (FindField(call.body, "role")) {
          UserRole role = ParseRoleField(call.body);
          if (full_admin && role != UserRole::kAdmin && CountAdmins(env) <= 1) {
            ThrowApiError(422, "role: the last admin cannot lose the admin role",
                          {{"role", "the last admin must stay admin"}});
          }
          user.role = role;
        }
        ApplyWorkspaceFields(call.body, user);
        if (full_admin && !user.all_workspaces && CountAdmins(env) <= 1) {
          ThrowApiError(422, "workspaceIds: the last admin who reaches every workspace must keep them all",
                        {{"workspaceIds", "the last admin must keep every workspace"}});
        }
        bool reset = false;
        if (auto password = OptionalString(call.body, "password")) {
          CheckNewPassword(*password, "password");
          user.password_hash = HashOrThrow(*password);
          user.must_change_password = true;
          reset = true;
        }
        if (auto must = OptionalBool(call.body, "mustChangePassword")) user.must_change_password = *must;
        auto updated = Unwrap(env.store().UpdateUser(user, env.now()));
        if (!updated) ThrowNotFound("user", user.user_id, "userId");
        if (reset) Unwrap(env.store().DeleteUserSessions(user.user_id));
        return UserToApi(*updated);
      }));

  routes.push_back(
      MakeRoute("/api/v1/users/delete", Permission::kManageUsers, "users",
                "Deletes a user with their sessions and API keys (not yourself, not the last admin)",
                {{"userId", "string", true, ""}}, [env](Call& call) {
                  User user = LoadUser(env, call.body);
                  if (user.user_id == call.principal.user_id) {
                    ThrowApiError(422, "userId: you cannot delete yourself", {{"userId", "is you"}});
                  }
                  if (IsFullAdmin(user) && CountAdmins(env) <= 1) {
                    ThrowApiError(422, "userId: the last admin cannot be deleted", {{"userId", "is the last admin"}});
                  }
                  Unwrap(env.store().DeleteUser(user.user_id));
                  call.response.status = 204;
                  return Json();
                }));

  Route create_key = MakeRoute(
      "/api/v1/api_keys/create", Permission::kReadStatus, "api_keys",
      "Creates an API key for scripts (Authorization: Bearer sk_…); the token is in this answer only",
      {{"name", "string", true, ""}, {"userId", "string", false, "admins: a key for another user"}}, [env](Call& call) {
        std::string name = RequireString(call.body, "name");
        if (name.empty() || name.size() > 200) {
          ThrowApiError(422, "name: must be 1 to 200 characters", {{"name", "must be 1 to 200 characters"}});
        }
        std::string owner = KeyOwner(env, call);
        std::string token = Unwrap(NewApiKey());
        ApiKey key = Unwrap(env.store().CreateApiKey(owner, name, TokenHash(token), env.now()));
        Log(LogLevel::kInfo, "api: API key {} created for user {}", key.id, owner);
        Json out = ApiKeyToApi(key);
        out["token"] = token;
        return out;
      });
  create_key.access = Access::kPermission;
  routes.push_back(std::move(create_key));

  routes.push_back(MakeRoute("/api/v1/api_keys/list", Permission::kReadStatus, "api_keys",
                             "The caller's API keys (admins: another user's with userId); tokens are never shown",
                             {{"userId", "string", false, ""}}, [env](Call& call) {
                               Json list = Json::array();
                               for (const auto& k : Unwrap(env.store().ListApiKeys(KeyOwner(env, call)))) {
                                 if (k.name.starts_with(kApplicationKeyPrefix)) continue;  // applications
                                 list.push_back(ApiKeyToApi(k));
                               }
                               return Json{{"apiKeys", list}};
                             }));

  routes.push_back(MakeRoute("/api/v1/api_keys/delete", Permission::kReadStatus, "api_keys",
                             "Revokes an API key (yours; admins: any)", {{"apiKeyId", "string", true, ""}},
                             [env](Call& call) {
                               std::string id = RequireString(call.body, "apiKeyId");
                               bool mine = false;
                               if (!call.principal.user_id.empty()) {
                                 for (const auto& k : Unwrap(env.store().ListApiKeys(call.principal.user_id)))
                                   mine = mine || k.id == id;
                               }
                               if (!mine && (!Allowed(call.principal.role, Permission::kManageUsers) ||
                                             !call.principal.all_workspaces))
                                 ThrowNotFound("API key", id, "apiKeyId");
                               if (!Unwrap(env.store().DeleteApiKey(id))) ThrowNotFound("API key", id, "apiKeyId");
                               call.response.status = 204;
                               return Json();
                             }));

  // Users are above workspaces: managing them needs a caller who reaches every workspace (a
  // limited admin could otherwise widen its own reach). Auth and one's own API keys touch none.
  for (size_t i = first; i < routes.size(); ++i) {
    Route& r = routes[i];
    r.workspace = r.path.starts_with("/api/v1/users/") && r.access == Access::kPermission ? WorkspaceUse::kAllWorkspaces
                                                                                          : WorkspaceUse::kNone;
  }
}

}  // namespace sluice
