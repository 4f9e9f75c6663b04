#include "api/authenticator.h"

#include <fmt/format.h>

#include <algorithm>

#include "api/request_fields.h"
#include "base/log.h"
#include "security/password.h"
#include "security/token.h"

namespace sluice {

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Role ToRole(UserRole role) {
  switch (role) {
    case UserRole::kAdmin:
      return Role::kAdmin;
    case UserRole::kDataEngineer:
      return Role::kDataEngineer;
    case UserRole::kAnalyst:
      return Role::kAnalyst;
    case UserRole::kViewer:
      return Role::kViewer;
  }
  return Role::kViewer;
}

[[noreturn]] void Unauthorized(std::string message) { ThrowApiError(401, std::move(message)); }

}  // namespace

std::string CookieValue(std::string_view header, std::string_view name) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view part = header.substr(pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    pos = end + 1;
  }
  return "";
}

std::string CsrfTokenFor(std::string_view session_token) {
  return TokenHash("sluice-csrf\n" + std::string(session_token));
}

Json UserToApi(const User& user) {
  return {{"userId", user.user_id},
          {"email", user.email},
          {"name", user.name},
          {"role", UserRoleName(user.role)},
          {"mustChangePassword", user.must_change_password},
          {"allWorkspaces", user.all_workspaces},
          {"workspaceIds", user.all_workspaces ? Json::array() : Json(user.workspace_ids)},
          {"createdAt", user.created_at / 1000},
          {"updatedAt", user.updated_at / 1000}};
}

Authenticator::Authenticator(const PlatformContext& context, AuthOptions options)
    : context_(context), options_(options) {}

Result<bool> Authenticator::EnsureInitialAdmin() {
  SLUICE_ASSIGN_OR_RETURN(auto users, context_.store->ListUsers());
  if (!users.empty()) return false;
  SLUICE_ASSIGN_OR_RETURN(std::string hash, HashPassword(kInitialAdminPassword));
  User admin;
  admin.email = kInitialAdminEmail;
  admin.name = "Admin";
  admin.role = UserRole::kAdmin;
  admin.password_hash = std::move(hash);
  admin.must_change_password = true;
  auto created = context_.store->CreateUser(std::move(admin), context_.NowMs());
  if (!created.ok()) {
    // Another server process on the same store may have won the race.
    SLUICE_ASSIGN_OR_RETURN(auto again, context_.store->ListUsers());
    if (!again.empty()) return false;
    return created.status();
  }
  return true;
}

Principal Authenticator::FromUser(const User& user, std::string method) const {
  Principal p;
  p.authenticated = true;
  p.user_id = user.user_id;
  p.email = user.email;
  p.role = ToRole(user.role);
  p.must_change_password = user.must_change_password;
  p.auth_method = std::move(method);
  p.all_workspaces = user.all_workspaces;
  p.workspace_ids = user.workspace_ids;
  return p;
}

Principal Authenticator::Resolve(const ApiRequest& request) {
  if (options_.no_auth) {
    Principal p;
    p.authenticated = true;
    p.email = "";
    p.role = Role::kAdmin;
    p.auth_method = "none";
    return p;
  }
  const int64_t now = context_.NowMs();
  std::string token;
  bool bearer = false;
  if (!request.authorization.empty()) {
    std::string_view h = request.authorization;
    if (h.size() > 7 && (h.substr(0, 7) == "Bearer " || h.substr(0, 7) == "bearer ")) {
      token = std::string(h.substr(7));
      bearer = true;
    } else {
      Unauthorized("unsupported Authorization header: use 'Bearer <api key>'");
    }
  } else {
    token = CookieValue(request.cookie, kSessionCookieName);
  }
  if (token.empty()) return Principal{};

  const std::string hash = TokenHash(token);
  if (bearer && LooksLikeApiKey(token)) {
    auto key = Unwrap(context_.store->GetApiKeyByHash(hash));
    if (!key) Unauthorized("invalid API key");
    auto user = Unwrap(context_.store->GetUser(key->user_id));
    if (!user) Unauthorized("invalid API key");
    if (!key->last_used_at || now - *key->last_used_at > 60'000) {
      (void)context_.store->TouchApiKey(key->id, now);  // best effort, at most once a minute
    }
    return FromUser(*user, "api_key");
  }
  if (bearer && token.starts_with(kAccessTokenPrefix)) {
    auto session = Unwrap(context_.store->GetSession(hash, now));
    if (!session) Unauthorized("access token expired or invalid: ask applications/token for a new one");
    auto user = Unwrap(context_.store->GetUser(session->user_id));
    if (!user) Unauthorized("access token expired or invalid: ask applications/token for a new one");
    return FromUser(*user, "access_token");
  }
  auto session = Unwrap(context_.store->GetSession(hash, now));
  if (!session) Unauthorized("session expired or invalid: log in again");
  auto user = Unwrap(context_.store->GetUser(session->user_id));
  if (!user) Unauthorized("session expired or invalid: log in again");
  Principal p = FromUser(*user, "session");
  p.session_token_hash = hash;
  p.csrf_token = CsrfTokenFor(token);
  return p;
}

Authenticator::LoginResult Authenticator::Login(const std::string& email, const std::string& password) {
  const int64_t now = context_.NowMs();
  const std::string key = Lower(email);
  {
    std::lock_guard lock(mu_);
    auto it = failures_.find(key);
    if (it != failures_.end() && it->second.locked_until > now) {
      ThrowApiError(429, fmt::format("too many failed logins for this account: try again in {} s",
                                     (it->second.locked_until - now + 999) / 1000));
    }
  }
  auto user = Unwrap(context_.store->GetUserByEmail(email));
  bool ok = false;
  if (user) {
    ok = VerifyPassword(user->password_hash, password);
  } else {
    {
      std::lock_guard lock(mu_);
      if (dummy_hash_.empty()) {
        auto h = HashPassword("sluice-timing-equalizer");
        if (h.ok()) dummy_hash_ = *h;
      }
    }
    (void)VerifyPassword(dummy_hash_, password);
  }
  if (!ok) {
    {
      std::lock_guard lock(mu_);
      FailedLogins& f = failures_[key];
      if (++f.count >= options_.max_failed_logins) {
        f.locked_until = now + options_.lockout_ms;
        f.count = 0;
      }
    }
    Log(LogLevel::kWarn, "api: failed login attempt");
    Unauthorized("invalid email or password");
  }
  {
    std::lock_guard lock(mu_);
    failures_.erase(key);
  }
  LoginResult result{*user, OpenSession(user->user_id)};
  return result;
}

std::string Authenticator::OpenSession(const std::string& user_id) {
  auto token = Unwrap(NewSessionToken());
  const int64_t now = context_.NowMs();
  Session session{TokenHash(token), user_id, now, now + options_.session_ttl_ms};
  Check(context_.store->CreateSession(session));
  if (now % 64 == 0) (void)context_.store->DeleteExpiredSessions(now);  // occasional cleanup
  return token;
}

std::string Authenticator::IssueAccessToken(const std::string& user_id, int64_t ttl_ms) {
  const std::string token = kAccessTokenPrefix + Unwrap(NewSessionToken());
  const int64_t now = context_.NowMs();
  Check(context_.store->CreateSession(Session{TokenHash(token), user_id, now, now + ttl_ms}));
  if (now % 64 == 0) (void)context_.store->DeleteExpiredSessions(now);  // occasional cleanup
  return token;
}

void Authenticator::Logout(const Principal& principal) {
  if (!principal.session_token_hash.empty()) {
    Check(context_.store->DeleteSession(principal.session_token_hash).status());
  }
}

std::string Authenticator::SessionCookie(const std::string& token) const {
  return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", kSessionCookieName, token,
                     options_.session_ttl_ms / 1000);
}

std::string Authenticator::CsrfCookie(const std::string& token) const {
  return fmt::format("{}={}; Path=/; SameSite=Strict; Max-Age={}", kCsrfCookieName, CsrfTokenFor(token),
                     options_.session_ttl_ms / 1000);
}

std::string Authenticator::ExpiredCsrfCookie() {
  return fmt::format("{}=; Path=/; SameSite=Strict; Max-Age=0", kCsrfCookieName);
}

std::string Authenticator::ExpiredSessionCookie() {
  return fmt::format("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0", kSessionCookieName);
}

}  // namespace sluice
