#include "connectors/sources/declarative_manifest/authenticators.h"

#include <algorithm>
#include <mutex>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <fmt/format.h>

#include "base/log.h"
#include "base/text.h"
#include "base/time.h"
#include "protocol/config_update.h"
#include "template/py_datetime.h"

namespace sluice {
namespace {

//! Evaluates the component field `key` (config and parameters) to text.
Result<std::string> FieldText(const ConfigReader& r, BuildContext& ctx, std::string_view key) {
  Vars vars;
  vars.config = ctx.config;
  vars.parameters = &ParametersOf(r);
  return ctx.interpolator->Text(r.Raw(key), vars, r.PathOf(key));
}

std::vector<int64_t> IntList(const Json& list) {
  std::vector<int64_t> out;
  if (!list.is_array()) return out;
  for (const Json& v : list) {
    if (v.is_number_integer()) out.push_back(v.get<int64_t>());
  }
  return out;
}

class NoAuth final : public Authenticator {
 public:
  Status Apply(PreparedRequest&) override { return Status::Ok(); }
};

//! A fixed token put somewhere (Bearer, ApiKey, Basic): evaluated once.
class StaticToken final : public Authenticator {
 public:
  StaticToken(RequestOption option, std::string value) : option_(std::move(option)), value_(std::move(value)) {}
  Status Apply(PreparedRequest& request) override {
    option_.Apply(Json(value_), request);
    return Status::Ok();
  }

 private:
  RequestOption option_;
  std::string value_;
};

RequestOption HeaderOption(std::string name) {
  RequestOption o;
  o.target = RequestOption::Target::kHeader;
  o.field_path = {std::move(name)};
  return o;
}

//! Decodes a token endpoint's reply; errors say which endpoint and status, never the secrets.
Result<Json> DecodeTokenResponse(const HttpResponse& response, std::string_view what, std::string_view url) {
  if (response.status == 401 || response.status == 403 || response.status == 400) {
    return Status::ConfigError(fmt::format("{} at {} refused the credentials (HTTP {}): check the client id, secret "
                                           "and refresh token (or login) in the config",
                                           what, url, response.status));
  }
  if (response.status >= 500 || response.status == 429) {
    return Status::TransientError(fmt::format("{} at {} answered HTTP {}", what, url, response.status));
  }
  if (response.status < 200 || response.status >= 300) {
    return Status::ConfigError(fmt::format("{} at {} answered HTTP {}", what, url, response.status));
  }
  try {
    return Json::parse(response.body);
  } catch (const std::exception&) {
    return Status::ConfigError(fmt::format("{} at {} did not answer JSON", what, url));
  }
}

class OAuth final : public Authenticator {
 public:
  OAuth(ConfigReader r, BuildContext& ctx) : r_(r), ctx_(ctx) {}

  Status Init() {
    SLUICE_ASSIGN_OR_RETURN(endpoint_, FieldText(r_, ctx_, "token_refresh_endpoint"));
    SLUICE_ASSIGN_OR_RETURN(client_id_, FieldText(r_, ctx_, "client_id"));
    SLUICE_ASSIGN_OR_RETURN(client_secret_, FieldText(r_, ctx_, "client_secret"));
    SLUICE_ASSIGN_OR_RETURN(refresh_token_, FieldText(r_, ctx_, "refresh_token"));
    grant_type_ = r_.String("grant_type", "refresh_token");
    access_token_name_ = r_.String("access_token_name", "access_token");
    expires_in_name_ = r_.String("expires_in_name", "expires_in");
    expiry_format_ = r_.String("token_expiry_date_format", "");
    rotates_ = r_.Has("refresh_token_updater");
    // Errors of the token endpoint that mean "the refresh token is void" (the authenticator's
    // fields, or the updater's deprecated ones): a config error, never retried.
    error_codes_ = IntList(r_.Raw("refresh_token_error_status_codes"));
    error_key_ = r_.String("refresh_token_error_key", "");
    error_values_ = r_.StringList("refresh_token_error_values");
    if (rotates_) {
      ConfigReader u = r_.Object("refresh_token_updater");
      refresh_token_name_ = u.String("refresh_token_name", "refresh_token");
      refresh_token_path_ = u.StringList("refresh_token_config_path", {"credentials", "refresh_token"});
      access_token_path_ = u.StringList("access_token_config_path", {"credentials", "access_token"});
      expiry_path_ = u.StringList("token_expiry_date_config_path", {"credentials", "token_expiry_date"});
      if (error_codes_.empty()) error_codes_ = IntList(u.Raw("refresh_token_error_status_codes"));
      if (error_key_.empty()) error_key_ = u.String("refresh_token_error_key", "");
      if (error_values_.empty()) error_values_ = u.StringList("refresh_token_error_values");
      // As the CDK's single-use refresh-token authenticator: the config paths hold the current
      // tokens (a run after a rotation finds the persisted ones there).
      if (const Json* rt = FindConfigPath(*ctx_.config, refresh_token_path_); rt != nullptr && rt->is_string() &&
                                                                              !rt->get<std::string>().empty()) {
        refresh_token_ = rt->get<std::string>();
      }
      const Json* at = FindConfigPath(*ctx_.config, access_token_path_);
      const Json* exp = FindConfigPath(*ctx_.config, expiry_path_);
      if (at != nullptr && at->is_string() && !at->get<std::string>().empty() && exp != nullptr && exp->is_string()) {
        if (auto t = ParseAnyDatetime(exp->get<std::string>())) {
          access_token_ = at->get<std::string>();
          expires_at_ = *t;
        }
      }
    }
    if (endpoint_.empty()) return Status::ConfigError(fmt::format("manifest {}: token_refresh_endpoint is empty", r_.PathOf("token_refresh_endpoint")));
    if (grant_type_ == "refresh_token" && refresh_token_.empty()) {
      return Status::ConfigError(fmt::format("manifest {}: the refresh token is empty (set it in the config)", r_.PathOf("refresh_token")));
    }
    // A token already in the config, valid until token_expiry_date.
    if (r_.Has("access_token_value")) {
      SLUICE_ASSIGN_OR_RETURN(std::string token, FieldText(r_, ctx_, "access_token_value"));
      SLUICE_ASSIGN_OR_RETURN(std::string expiry, FieldText(r_, ctx_, "token_expiry_date"));
      if (!token.empty()) {
        if (auto t = ParseAnyDatetime(expiry)) {
          access_token_ = token;
          expires_at_ = *t;
        }
      }
    }
    return r_.status();
  }

  Status Apply(PreparedRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (access_token_.empty() || NowMicros() >= expires_at_) SLUICE_RETURN_IF_ERROR(Refresh());
    request.SetHeader("Authorization", "Bearer " + access_token_);
    return Status::Ok();
  }

  bool Invalidate() override {
    std::lock_guard<std::mutex> lock(mu_);
    access_token_.clear();
    return true;
  }

 private:
  Status Refresh() {
    HttpParams form = {{"grant_type", grant_type_}, {"client_id", client_id_}, {"client_secret", client_secret_}};
    if (grant_type_ == "refresh_token") form.emplace_back("refresh_token", refresh_token_);
    std::vector<std::string> scopes = r_.StringList("scopes");
    if (!scopes.empty()) form.emplace_back("scopes", JoinText(scopes, " "));
    Vars vars;
    vars.config = ctx_.config;
    vars.parameters = &ParametersOf(r_);
    SLUICE_ASSIGN_OR_RETURN(Json extra, ctx_.interpolator->Mapping(r_.Raw("refresh_request_body"), vars, r_.PathOf("refresh_request_body")));
    for (auto it = extra.begin(); it != extra.end(); ++it) form.emplace_back(it.key(), ParamText(it.value()));
    const std::string body = FormEncode(form);
    HttpRequest request;
    request.method = "POST";
    request.url = endpoint_;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    request.body = body;
    request.timeout_ms = ctx_.request_timeout_ms;
    HttpResponse response;
    Status sent;
    for (int attempt = 0; attempt < 3; ++attempt) {
      sent = ctx_.transport->Send(request, response);
      if (sent.ok() && IsRefreshTokenError(response)) {
        return Status::ConfigError(fmt::format(
            "the OAuth token endpoint {} refused the refresh token (HTTP {}, {}): it is void or was already used; "
            "authenticate again and put the new refresh token in the config",
            endpoint_, response.status, error_key_));
      }
      if (sent.ok() && response.status < 500 && response.status != 429) break;
      if (!ctx_.sleep(1 << attempt)) return Status::Cancelled("stopped while refreshing the OAuth token");
    }
    SLUICE_RETURN_IF_ERROR(sent.WithContext(fmt::format("OAuth token endpoint {}", endpoint_)));
    SLUICE_ASSIGN_OR_RETURN(Json reply, DecodeTokenResponse(response, "the OAuth token endpoint", endpoint_));
    auto token = reply.find(access_token_name_);
    if (token == reply.end() || !token->is_string()) {
      return Status::ConfigError(fmt::format("the OAuth token endpoint {} answered without '{}' (manifest {})", endpoint_,
                                             access_token_name_, r_.PathOf("access_token_name")));
    }
    access_token_ = token->get<std::string>();
    expires_at_ = NowMicros() + 3600 * kMicrosPerSecond;  // the CDK's assumption when no expiry is given
    if (auto e = reply.find(expires_in_name_); e != reply.end()) {
      if (!expiry_format_.empty() && e->is_string()) {
        if (auto t = ParseDatetime(e->get<std::string>(), expiry_format_)) expires_at_ = *t;
      } else if (e->is_number()) {
        expires_at_ = NowMicros() + static_cast<int64_t>(e->get<double>() * kMicrosPerSecond);
      } else if (e->is_string()) {
        try {
          expires_at_ = NowMicros() + static_cast<int64_t>(std::stod(e->get<std::string>()) * kMicrosPerSecond);
        } catch (const std::exception&) {
        }
      }
    }
    ++refreshes_;
    if (rotates_) {
      bool rotated = false;
      if (auto rt = reply.find(refresh_token_name_); rt != reply.end() && rt->is_string() && *rt != refresh_token_) {
        refresh_token_ = rt->get<std::string>();  // single-use refresh tokens: the old one is void now
        rotated = true;
      }
      // As the CDK: the tokens and the expiry go back into the config, which is reported to be
      // persisted (a CONTROL message), so the next run starts from them.
      if (ctx_.update_config) {
        ConfigValues values = {{access_token_path_, Json(access_token_)},
                               {expiry_path_, Json(FormatDatetime(expires_at_, expiry_format_.empty()
                                                                                   ? "%Y-%m-%dT%H:%M:%S+00:00"
                                                                                   : expiry_format_))},
                               {refresh_token_path_, Json(refresh_token_)}};
        SLUICE_RETURN_IF_ERROR(ctx_.update_config(values));
        Log(LogLevel::kInfo, "OAuth: {}; the updated config is reported to be saved for the next run",
            rotated ? "the token endpoint rotated the refresh token" : "new access token");
      } else if (rotated) {
        Log(LogLevel::kInfo, "OAuth: the token endpoint rotated the refresh token; the new one is used for the rest of this run");
      }
    }
    return Status::Ok();
  }

  bool IsRefreshTokenError(const HttpResponse& response) const {
    if (error_key_.empty() || error_values_.empty()) return false;
    if (std::find(error_codes_.begin(), error_codes_.end(), response.status) == error_codes_.end()) return false;
    Json body = Json::parse(response.body, nullptr, false);
    if (!body.is_object()) return false;
    auto v = body.find(error_key_);
    if (v == body.end() || !v->is_string()) return false;
    return std::find(error_values_.begin(), error_values_.end(), v->get<std::string>()) != error_values_.end();
  }

  ConfigReader r_;
  BuildContext& ctx_;
  std::mutex mu_;
  std::string endpoint_, client_id_, client_secret_, refresh_token_, grant_type_, access_token_name_, expires_in_name_;
  std::string expiry_format_, refresh_token_name_;
  std::vector<std::string> refresh_token_path_, access_token_path_, expiry_path_;
  std::vector<int64_t> error_codes_;
  std::string error_key_;
  std::vector<std::string> error_values_;
  bool rotates_ = false;
  std::string access_token_;
  int64_t expires_at_ = 0;
  int refreshes_ = 0;
};

class SessionToken final : public Authenticator {
 public:
  SessionToken(ConfigReader r, LoginFn login, std::vector<std::string> token_path, std::optional<IsoDuration> lifetime,
               RequestOption option, std::string prefix, std::shared_ptr<const ResponseDecoder> decoder)
      : r_(r), login_(std::move(login)), token_path_(std::move(token_path)), lifetime_(lifetime),
        option_(std::move(option)), prefix_(std::move(prefix)), decoder_(std::move(decoder)) {}

  Status Apply(PreparedRequest& request) override {
    if (token_.empty() || (expires_at_ != 0 && NowMicros() >= expires_at_)) {
      SLUICE_ASSIGN_OR_RETURN(Json reply, login_(r_.Object("login_requester"), *decoder_));
      const Json* token = JsonAt(reply, token_path_);
      if (token == nullptr || token->is_null()) {
        return Status::ConfigError(fmt::format("the login response has no session token at {} (manifest {})",
                                               JoinText(token_path_, "."), r_.PathOf("session_token_path")));
      }
      token_ = ParamText(*token);
      expires_at_ = lifetime_ ? AddDuration(NowMicros(), *lifetime_) : 0;
    }
    option_.Apply(Json(prefix_ + token_), request);
    return Status::Ok();
  }

  bool Invalidate() override {
    token_.clear();
    return true;
  }

 private:
  ConfigReader r_;
  LoginFn login_;
  std::vector<std::string> token_path_;
  std::optional<IsoDuration> lifetime_;
  RequestOption option_;
  std::string prefix_;
  std::shared_ptr<const ResponseDecoder> decoder_;
  std::string token_;
  int64_t expires_at_ = 0;
};

std::string Base64Url(std::string_view data) {
  std::string s = Base64Encode(data);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return s;
}

//! JwtAuthenticator (the CDK's): a JWT signed with secret_key — HS256/384/512 (HMAC) or
//! RS256/384/512 (an RSA private key in PEM, e.g. a Google service account's) — sent as
//! "Authorization: [header_prefix ]<jwt>", signed again when 90 % of token_duration is spent.
class Jwt final : public Authenticator {
 public:
  Jwt(ConfigReader r, BuildContext& ctx) : r_(r), ctx_(ctx) {}

  Status Init() {
    Vars vars;
    vars.config = ctx_.config;
    vars.parameters = &ParametersOf(r_);
    SLUICE_ASSIGN_OR_RETURN(key_, FieldText(r_, ctx_, "secret_key"));
    if (r_.Bool("base64_encode_secret_key", false)) key_ = Base64Encode(key_);
    algorithm_ = r_.Enum("algorithm", {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512"}, "HS256");
    duration_ = r_.Integer("token_duration", 1200, 1);
    SLUICE_ASSIGN_OR_RETURN(prefix_, FieldText(r_, ctx_, "header_prefix"));
    ConfigReader headers = r_.Object("jwt_headers");
    header_ = {{"alg", algorithm_}};
    for (const char* k : {"kid", "typ", "cty"}) {
      SLUICE_ASSIGN_OR_RETURN(std::string v, FieldText(headers, ctx_, k));
      if (!v.empty()) header_[k] = v;
    }
    if (!header_.contains("typ")) header_["typ"] = "JWT";
    SLUICE_ASSIGN_OR_RETURN(Json extra_headers, ctx_.interpolator->Mapping(r_.Raw("additional_jwt_headers"), vars, r_.PathOf("additional_jwt_headers")));
    header_.update(extra_headers);
    ConfigReader payload = r_.Object("jwt_payload");
    payload_ = Json::object();
    for (const char* k : {"iss", "sub", "aud"}) {
      SLUICE_ASSIGN_OR_RETURN(std::string v, FieldText(payload, ctx_, k));
      if (!v.empty()) payload_[k] = v;
    }
    SLUICE_ASSIGN_OR_RETURN(Json extra_payload, ctx_.interpolator->Mapping(r_.Raw("additional_jwt_payload"), vars, r_.PathOf("additional_jwt_payload")));
    payload_.update(extra_payload);
    if (key_.empty()) r_.Fail("secret_key", "is empty (set it in the config)");
    return r_.status();
  }

  Status Apply(PreparedRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = NowMicros() / kMicrosPerSecond;
    if (token_.empty() || now >= renew_at_) {
      Json claims = payload_;
      claims["iat"] = now;
      claims["nbf"] = now;
      claims["exp"] = now + duration_;
      const std::string input = Base64Url(header_.dump()) + "." + Base64Url(claims.dump());
      SLUICE_ASSIGN_OR_RETURN(std::string signature, Sign(input));
      token_ = input + "." + Base64Url(signature);
      renew_at_ = now + duration_ * 9 / 10;
    }
    request.SetHeader("Authorization", prefix_.empty() ? token_ : prefix_ + " " + token_);
    return Status::Ok();
  }

  bool Invalidate() override {
    std::lock_guard<std::mutex> lock(mu_);
    const bool had = !token_.empty();
    token_.clear();
    return had;
  }

 private:
  Result<std::string> Sign(const std::string& input) const {
    const EVP_MD* md = algorithm_.ends_with("256") ? EVP_sha256() : algorithm_.ends_with("384") ? EVP_sha384() : EVP_sha512();
    if (algorithm_.starts_with("HS")) {
      unsigned char out[EVP_MAX_MD_SIZE];
      unsigned int n = 0;
      if (HMAC(md, key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(input.data()),
               input.size(), out, &n) == nullptr) {
        return Status::SystemError("JwtAuthenticator: HMAC failed");
      }
      return std::string(reinterpret_cast<char*>(out), n);
    }
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(key_.data(), static_cast<int>(key_.size())), &BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                                                             &EVP_PKEY_free);
    if (!pkey) {
      return Status::ConfigError(fmt::format("manifest {}: secret_key is not an RSA private key in PEM form "
                                             "(-----BEGIN PRIVATE KEY-----) as {} needs", r_.PathOf("secret_key"), algorithm_));
    }
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    size_t n = 0;
    if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, pkey.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
      return Status::ConfigError(fmt::format("manifest {}: the key cannot sign {}", r_.PathOf("secret_key"), algorithm_));
    }
    std::string sig(n, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
      return Status::SystemError("JwtAuthenticator: signing failed");
    }
    sig.resize(n);
    return sig;
  }

  ConfigReader r_;
  BuildContext& ctx_;
  std::mutex mu_;
  std::string key_, algorithm_, prefix_, token_;
  int64_t duration_ = 1200;
  int64_t renew_at_ = 0;
  Json header_, payload_;
};

Result<std::shared_ptr<Authenticator>> Make(ConfigReader r, BuildContext& ctx, const LoginFn& login) {
  const std::string type = r.String("type", "NoAuth");
  auto eval = [&](const std::string& s) {
    Vars vars;
    vars.config = ctx.config;
    vars.parameters = &ParametersOf(r);
    Result<std::string> v = ctx.interpolator->Text(Json(s), vars, r.path());
    return v.ok() ? *v : s;
  };
  if (type == "NoAuth") return std::shared_ptr<Authenticator>(std::make_shared<NoAuth>());
  if (type == "BearerAuthenticator") {
    SLUICE_ASSIGN_OR_RETURN(std::string token, FieldText(r, ctx, "api_token"));
    return std::shared_ptr<Authenticator>(std::make_shared<StaticToken>(HeaderOption("Authorization"), "Bearer " + token));
  }
  if (type == "ApiKeyAuthenticator") {
    SLUICE_ASSIGN_OR_RETURN(std::string token, FieldText(r, ctx, "api_token"));
    RequestOption option;
    if (r.Has("inject_into")) {
      std::optional<RequestOption> o = RequestOption::Parse(r.Object("inject_into"), eval);
      SLUICE_RETURN_IF_ERROR(r.status());
      option = *o;
    } else if (r.Has("header")) {
      option = HeaderOption(eval(r.String("header")));
    } else {
      return Status::ConfigError(fmt::format("manifest {}: an ApiKeyAuthenticator needs inject_into (or header)", r.path()));
    }
    return std::shared_ptr<Authenticator>(std::make_shared<StaticToken>(option, token));
  }
  if (type == "BasicHttpAuthenticator") {
    SLUICE_ASSIGN_OR_RETURN(std::string user, FieldText(r, ctx, "username"));
    SLUICE_ASSIGN_OR_RETURN(std::string password, FieldText(r, ctx, "password"));
    return std::shared_ptr<Authenticator>(
        std::make_shared<StaticToken>(HeaderOption("Authorization"), "Basic " + Base64Encode(user + ":" + password)));
  }
  if (type == "OAuthAuthenticator") {
    auto oauth = std::make_shared<OAuth>(r, ctx);
    SLUICE_RETURN_IF_ERROR(oauth->Init());
    return std::shared_ptr<Authenticator>(oauth);
  }
  if (type == "JwtAuthenticator") {
    auto jwt = std::make_shared<Jwt>(r, ctx);
    SLUICE_RETURN_IF_ERROR(jwt->Init());
    return std::shared_ptr<Authenticator>(jwt);
  }
  if (type == "SessionTokenAuthenticator") {
    std::vector<std::string> token_path = r.StringList("session_token_path");
    std::optional<IsoDuration> lifetime;
    if (r.Has("expiration_duration")) {
      lifetime = ParseIsoDuration(r.String("expiration_duration"));
      if (!lifetime) r.Fail("expiration_duration", "expected an ISO 8601 duration such as PT1H");
    }
    ConfigReader how = r.Object("request_authentication");
    const std::string how_type = how.String("type", "Bearer");
    RequestOption option = HeaderOption("Authorization");
    std::string prefix;
    if (how_type == "ApiKey") {
      std::optional<RequestOption> o = RequestOption::Parse(how.Object("inject_into"), eval);
      if (o) option = *o;
    } else if (how_type == "Bearer") {
      prefix = "Bearer ";
    } else {
      how.Fail("type", "expected ApiKey or Bearer, got '" + how_type + "'");
    }
    if (!r.Has("login_requester")) r.Fail("login_requester", "is required");
    SLUICE_RETURN_IF_ERROR(r.status());
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<ResponseDecoder> decoder, ResponseDecoder::Make(ConfigReader(r.Raw("decoder"), r.PathOf("decoder"))));
    return std::shared_ptr<Authenticator>(
        std::make_shared<SessionToken>(r, login, token_path, lifetime, option, prefix, std::move(decoder)));
  }
  if (type == "SelectiveAuthenticator") {
    std::vector<std::string> selector = r.StringList("authenticator_selection_path");
    SLUICE_RETURN_IF_ERROR(r.status());
    const Json* chosen = JsonAt(*ctx.config, selector);
    if (chosen == nullptr || !chosen->is_string()) {
      return Status::ConfigError(fmt::format("config $.{}: missing — it chooses the authenticator (manifest {})",
                                             JoinText(selector, "."), r.PathOf("authenticator_selection_path")));
    }
    ConfigReader options = r.Object("authenticators");
    if (!options.Has(chosen->get<std::string>())) {
      std::vector<std::string> names;
      for (auto it = options.json().begin(); it != options.json().end(); ++it) names.push_back(it.key());
      return Status::ConfigError(fmt::format("config $.{}: '{}' is not one of the authenticators: {}", JoinText(selector, "."),
                                             chosen->get<std::string>(), JoinText(names)));
    }
    return MakeAuthenticator(options.Object(chosen->get<std::string>()), ctx, login);
  }
  if (type == "CustomAuthenticator" || r.Has("class_name")) {
    return Status::ConfigError(fmt::format("manifest {}: custom Python components ({}) cannot run in sluice; use one of "
                                           "BearerAuthenticator, ApiKeyAuthenticator, BasicHttpAuthenticator, "
                                           "OAuthAuthenticator, JwtAuthenticator, SessionTokenAuthenticator, SelectiveAuthenticator, NoAuth",
                                           r.path(), r.String("class_name", type)));
  }
  return Status::ConfigError(fmt::format("manifest {}: unsupported authenticator type '{}'; supported: "
                                         "BearerAuthenticator, ApiKeyAuthenticator, BasicHttpAuthenticator, "
                                         "OAuthAuthenticator, JwtAuthenticator, SessionTokenAuthenticator, SelectiveAuthenticator, NoAuth",
                                         r.PathOf("type"), type));
}

}  // namespace

Result<std::shared_ptr<Authenticator>> MakeAuthenticator(ConfigReader r, BuildContext& ctx, const LoginFn& login) {
  if (r.json().is_null() || (r.json().is_object() && r.json().empty())) return std::shared_ptr<Authenticator>(std::make_shared<NoAuth>());
  const std::string key = r.json().dump();
  if (auto it = ctx.authenticators.find(key); it != ctx.authenticators.end()) return it->second;
  SLUICE_ASSIGN_OR_RETURN(std::shared_ptr<Authenticator> auth, Make(r, ctx, login));
  SLUICE_RETURN_IF_ERROR(r.status());
  ctx.authenticators[key] = auth;
  return auth;
}

}  // namespace sluice
