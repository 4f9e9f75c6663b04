#pragma once
// Authenticators of Airbyte's manifests: NoAuth, BearerAuthenticator, ApiKeyAuthenticator
// (header or query parameter), BasicHttpAuthenticator, OAuthAuthenticator (refresh-token or
// client-credentials grant, token kept until it expires, a rotated refresh token kept for the
// rest of the run), SessionTokenAuthenticator (a login request whose token is sent as an API key
// or bearer token, renewed after expiration_duration), JwtAuthenticator (a JWT signed
// HS256/384/512, or RS256/384/512 with an RSA key in PEM through OpenSSL — Google service
// accounts' self-signed JWTs) and SelectiveAuthenticator (one of several, chosen by a config value).

#include <functional>
#include <memory>

#include "base/status.h"
#include "connectors/kit/config_reader.h"
#include "connectors/sources/declarative_manifest/build_context.h"
#include "connectors/sources/declarative_manifest/decoders.h"
#include "connectors/sources/declarative_manifest/request_options.h"

namespace sluice {

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  //! Adds credentials to `request`, first getting or renewing a token when needed (I/O).
  //! Called from the reading thread.
  virtual Status Apply(PreparedRequest& request) = 0;
  //! After a 401: drops a cached token. True when trying again with a new one may help.
  virtual bool Invalidate() { return false; }
};

//! Sends the login request of a SessionTokenAuthenticator (its `login_requester` component)
//! and returns the response body decoded by `decoder` (the authenticator's; its first document).
using LoginFn = std::function<Result<Json>(ConfigReader login_requester, const ResponseDecoder& decoder)>;

//! The authenticator component at `r` (null or absent: NoAuth). Equal components share one
//! instance through ctx.authenticators. Unknown types are ConfigErrors naming the path.
Result<std::shared_ptr<Authenticator>> MakeAuthenticator(ConfigReader r, BuildContext& ctx, const LoginFn& login);

}  // namespace sluice
