#pragma once
// Authentication: who sends a request (session cookie, `Authorization: Bearer sk_…` API key, or
// nobody), logins with a lockout after repeated failures, and the first admin user.
//
// Sessions and API keys are stored by TokenHash only (security/token.h): the tokens themselves
// exist only in the client's hands. Thread-safe.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "api/api_types.h"
#include "platform/platform.h"

namespace sluice {

inline constexpr const char* kSessionCookieName = "sluice_session";
//! A second cookie, readable by the page's scripts: the CSRF token the UI echoes in the
//! X-Sluice-CSRF header. A cross-site page can neither read it nor set that header.
inline constexpr const char* kCsrfCookieName = "sluice_csrf";
inline constexpr const char* kCsrfHeaderName = "X-Sluice-CSRF";
inline constexpr const char* kInitialAdminEmail = "airbyte@example.com";
inline constexpr const char* kAccessTokenPrefix = "at_";
//! An application of the Airbyte API (client_id + client_secret) is an API key row of its user
//! named kApplicationKeyPrefix + its name, holding TokenHash(client_secret); its id is both the
//! applicationId and the client_id. The secret is not in API key form ("sk_…"), so it is no
//! bearer token itself: only applications/token takes it. api_keys/list leaves these rows out.
inline constexpr std::string_view kApplicationKeyPrefix = "application:";
inline constexpr const char* kInitialAdminPassword = "password";  // must be changed at first login

struct AuthOptions {
  bool no_auth = false;                       //!< every request acts as an admin
  int64_t session_ttl_ms = 12 * 3600 * 1000;  //!< a session's lifetime (12 h)
  int max_failed_logins = 5;                  //!< consecutive failures before a lockout
  int64_t lockout_ms = 60'000;                //!< how long a locked-out email is refused
};

class Authenticator {
 public:
  //! `context` must outlive the authenticator.
  Authenticator(const PlatformContext& context, AuthOptions options);

  bool no_auth() const { return options_.no_auth; }

  //! Creates the admin airbyte@example.com / "password" (must change it at first login) when the
  //! store has no user at all — so deleting that user later does not bring it back. Returns true
  //! when it was created.
  Result<bool> EnsureInitialAdmin();

  //! The caller of `request`. No credentials: an unauthenticated principal. Credentials that do
  //! not resolve (unknown or expired token, deleted user): ApiError 401. With no_auth: an admin.
  Principal Resolve(const ApiRequest& request);

  struct LoginResult {
    User user;
    std::string session_token;  //!< for the cookie only; never logged
  };
  //! Checks the password (ApiError 401 "invalid email or password"; 429 while locked out) and
  //! opens a session.
  LoginResult Login(const std::string& email, const std::string& password);
  //! A new session for `user_id` (after a password change).
  std::string OpenSession(const std::string& user_id);
  //! A short-lived bearer token for `user_id` (the Airbyte API's `applications/token`): "at_" + a
  //! session token, stored as a session expiring after `ttl_ms`. Resolve answers it as
  //! auth_method "access_token" (a header, so no CSRF check), with the user's role.
  std::string IssueAccessToken(const std::string& user_id, int64_t ttl_ms);
  //! Ends the session of `principal` (nothing for other methods).
  void Logout(const Principal& principal);

  //! Set-Cookie values.
  std::string SessionCookie(const std::string& token) const;
  static std::string ExpiredSessionCookie();
  //! The CSRF cookie of the session `token` (readable by scripts), and its expiry.
  std::string CsrfCookie(const std::string& token) const;
  static std::string ExpiredCsrfCookie();

 private:
  struct FailedLogins {
    int count = 0;
    int64_t locked_until = 0;
  };
  Principal FromUser(const User& user, std::string method) const;

  const PlatformContext& context_;
  AuthOptions options_;
  std::mutex mu_;
  std::unordered_map<std::string, FailedLogins> failures_;  // by lowercase email
  std::string dummy_hash_;  // verified against for unknown emails, so timing does not tell
};

//! The CSRF token of session token `token`: SHA-256 of a domain-separated form of it (so neither
//! the token nor its stored TokenHash can be derived from it). Stateless: nothing is stored.
std::string CsrfTokenFor(std::string_view session_token);

//! The value of cookie `name` in a Cookie header, or "".
std::string CookieValue(std::string_view header, std::string_view name);

//! The User as the API returns it (never the password hash): allWorkspaces, and workspaceIds (the
//! workspaces it reaches, oldest first; [] with allWorkspaces).
Json UserToApi(const User& user);

}  // namespace sluice
