#pragma once
// HttpRequester with its error handler: builds a request from the manifest (url_base, path,
// http_method, request_parameters, request_headers, request_body_json / request_body_data),
// signs it with the authenticator and sends it, retrying as DefaultErrorHandler /
// CompositeErrorHandler say (response filters: http_codes, error_message_contains, predicate;
// backoff: ConstantBackoffStrategy, ExponentialBackoffStrategy, WaitTimeFromHeader,
// WaitUntilTimeFromHeader; Retry-After honoured by default, and on 429 even beside a shorter
// strategy; max_retries, default 5).
//
// Without filters the CDK's defaults apply: 2xx/3xx succeed, 429 is rate limited (retried), 408
// and 5xx are retried, 401/403 fail as config errors (after one token renewal), other 4xx fail.
// One per stream (per worker in a concurrent read), used from one thread; the authenticator may
// be shared by several, and is used under BuildContext::auth_lock.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/kit/config_reader.h"
#include "connectors/sources/declarative_manifest/authenticators.h"
#include "connectors/sources/declarative_manifest/build_context.h"
#include "connectors/sources/declarative_manifest/request_options.h"

namespace sluice {

//! What to do with a response.
enum class ResponseAction { kSuccess, kRetry, kFail, kIgnore, kRateLimited };

class ErrorHandler {
 public:
  struct Filter {
    ResponseAction action = ResponseAction::kFail;
    std::vector<long> http_codes;
    std::string error_message_contains;
    Json predicate;          //!< template over response / headers
    Json error_message;      //!< template
    FailureType failure_type = FailureType::kSystem;
    bool has_failure_type = false;
  };
  struct Backoff {
    enum class Kind { kConstant, kExponential, kWaitTimeFromHeader, kWaitUntilTimeFromHeader } kind;
    Json value;       //!< seconds (constant), factor (exponential)
    std::string header;
    std::string regex;
    Json limit;       //!< max_waiting_time_in_seconds / min_wait
  };

  //! Parses DefaultErrorHandler / CompositeErrorHandler at `r` (absent: the defaults).
  static Result<ErrorHandler> Parse(ConfigReader r, BuildContext& ctx);

  //! The filter's decision for a response (body decoded or null), with the message to report.
  ResponseAction Interpret(const HttpResponse& response, const Json& body, std::string* message, FailureType* type);
  //! Seconds to wait before retry `attempt` (1-based); nullopt: the default (Retry-After, else
  //! 5 × 2^(attempt-1)). A value above the strategy's limit is returned as negative (give up).
  std::optional<double> BackoffSeconds(const HttpResponse& response, int attempt);
  int max_retries() const { return max_retries_; }

 private:
  BuildContext* ctx_ = nullptr;
  const Json* parameters_ = nullptr;
  std::string path_;
  std::vector<Filter> filters_;
  std::vector<Backoff> backoffs_;
  int max_retries_ = 5;
};

class HttpRequester {
 public:
  //! Parses the HttpRequester at `r`; its authenticator may be shared through ctx. `login` sends
  //! a SessionTokenAuthenticator's login request.
  static Result<std::unique_ptr<HttpRequester>> Make(ConfigReader r, BuildContext& ctx);

  //! The request for `vars` (config, parameters, stream_state, stream_slice, next_page_token):
  //! method, url_base, path, parameters, headers and body evaluated; null parameters dropped.
  Result<PreparedRequest> Prepare(const Vars& vars);
  //! Signs and sends `request`, retrying per the error handler. OK with `*ignored` true when a
  //! filter said IGNORE. Errors name the URL (without its query) and status, never secrets.
  //! `decoded` (optional) receives the body as JSON when it parsed (null otherwise: then Decode
  //! gives the error), so a page is parsed once. `decode` (optional) replaces that parse: what
  //! it returns is what the error handler's templates see as `response` and `decoded` receives
  //! (the read loop's FastPage gives only the keys its templates read).
  using BodyDecoder = std::function<Json(std::string& body)>;
  Result<HttpResponse> Send(PreparedRequest request, bool* ignored, Json* decoded = nullptr, const BodyDecoder& decode = {});
  //! Decodes a response body as JSON (empty body: {}); a ConfigError naming the URL otherwise.
  static Result<Json> Decode(const HttpResponse& response, const std::string& url);
  const Json& parameters() const { return *parameters_; }

 private:
  HttpRequester(ConfigReader r, BuildContext& ctx) : r_(r), ctx_(ctx) {}

  ConfigReader r_;
  BuildContext& ctx_;
  const Json* parameters_ = nullptr;
  std::shared_ptr<Authenticator> auth_;
  ErrorHandler errors_;
};

//! Headers of a response as the templates see them: each name lowercased and in its usual
//! capitalisation ("x-total-count" and "X-Total-Count"), and "link" as the parsed Link header
//! ({"next": {"url": ..., "rel": "next"}}), as requests' response.links.
Json HeadersJson(const HttpResponse& response);

}  // namespace sluice
