#include "connectors/sources/declarative_manifest/http_requester.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <regex>

#include <fmt/format.h>

#include "base/log.h"
#include "base/time.h"
#include "connectors/sources/declarative_manifest/api_budget.h"
#include "connectors/sources/declarative_manifest/manifest_errors.h"
#include "template/py_datetime.h"

namespace sluice {
namespace {

std::optional<ResponseAction> ActionNamed(const std::string& name) {
  if (name == "SUCCESS") return ResponseAction::kSuccess;
  if (name == "RETRY") return ResponseAction::kRetry;
  if (name == "FAIL") return ResponseAction::kFail;
  if (name == "IGNORE") return ResponseAction::kIgnore;
  if (name == "RATE_LIMITED") return ResponseAction::kRateLimited;
  return std::nullopt;
}

ResponseAction DefaultAction(long status) {
  if (status >= 200 && status < 400) return ResponseAction::kSuccess;
  if (status == 429) return ResponseAction::kRateLimited;
  if (status == 408 || status >= 500) return ResponseAction::kRetry;
  return ResponseAction::kFail;
}

FailureType DefaultFailureType(long status) {
  if (status == 400 || status == 401 || status == 403 || status == 404) return FailureType::kConfig;
  if (status == 429 || status >= 500) return FailureType::kTransient;
  return FailureType::kSystem;
}

//! Retry-After: seconds, or an HTTP date.
std::optional<double> RetryAfterSeconds(const HttpResponse& response) {
  const std::string* v = response.Header("retry-after");
  if (v == nullptr) return std::nullopt;
  try {
    size_t used = 0;
    const double seconds = std::stod(*v, &used);
    if (used == v->size()) return std::max(0.0, seconds);
  } catch (const std::exception&) {
  }
  if (auto t = ParseDatetime(*v, "%a, %d %b %Y %H:%M:%S GMT")) {
    return std::max(0.0, double(*t - NowMicros()) / kMicrosPerSecond);
  }
  return std::nullopt;
}

std::string Capitalized(const std::string& lower) {
  std::string out = lower;
  bool start = true;
  for (char& c : out) {
    if (start) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    start = c == '-';
  }
  return out;
}

std::string Snippet(const std::string& body) {
  std::string s = body.substr(0, 300);
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return body.size() > 300 ? s + "…" : s;
}

}  // namespace

Json HeadersJson(const HttpResponse& response) {
  Json out = Json::object();
  for (const HttpHeader& h : response.headers) {
    out[h.name] = h.value;
    out[Capitalized(h.name)] = h.value;
  }
  if (const std::string* link = response.Header("link")) {
    // <url>; rel="next", <url2>; rel="last"
    Json links = Json::object();
    static const std::regex kLink(R"(<([^>]*)>\s*((?:;\s*[^,;]+)*))");
    static const std::regex kRel(R"re(rel\s*=\s*"?([^";]+)"?)re");
    for (std::sregex_iterator it(link->begin(), link->end(), kLink), end; it != end; ++it) {
      const std::string url = (*it)[1].str(), params = (*it)[2].str();
      std::smatch rel;
      std::string name = url;
      if (std::regex_search(params, rel, kRel)) name = rel[1].str();
      links[name] = {{"url", url}, {"rel", name}};
    }
    out["link"] = links;
    out["Link"] = links;
  }
  return out;
}

Result<ErrorHandler> ErrorHandler::Parse(ConfigReader r, BuildContext& ctx) {
  ErrorHandler h;
  h.ctx_ = &ctx;
  h.path_ = r.path();
  static const Json kEmpty = Json::object();
  h.parameters_ = &kEmpty;
  if (r.json().is_null()) return h;
  const std::string type = r.String("type", "DefaultErrorHandler");
  std::vector<ConfigReader> handlers;
  if (type == "CompositeErrorHandler") {
    handlers = r.Array("error_handlers");
  } else if (type == "DefaultErrorHandler") {
    handlers.push_back(r);
  } else {
    return UnsupportedComponent(r, "error handler type", type, "DefaultErrorHandler, CompositeErrorHandler");
  }
  bool first = true;
  for (ConfigReader& d : handlers) {
    if (d.String("type", "DefaultErrorHandler") != "DefaultErrorHandler") {
      return Status::ConfigError(fmt::format("manifest {}: only DefaultErrorHandler may be nested here", d.PathOf("type")));
    }
    if (first) {
      h.parameters_ = &ParametersOf(d);
      h.max_retries_ = static_cast<int>(d.Integer("max_retries", 5, 0, 1000));
    }
    for (ConfigReader f : d.Array("response_filters")) {
      Filter filter;
      const std::string action = f.String("action", "");
      if (!action.empty()) {
        std::optional<ResponseAction> a = ActionNamed(action);
        if (!a) f.Fail("action", "expected SUCCESS, RETRY, FAIL, IGNORE or RATE_LIMITED, got '" + action + "'");
        filter.action = a.value_or(ResponseAction::kFail);
      }
      for (const Json& code : f.Raw("http_codes")) {
        if (code.is_number_integer()) filter.http_codes.push_back(code.get<long>());
      }
      filter.error_message_contains = f.String("error_message_contains", "");
      filter.predicate = f.Raw("predicate");
      filter.error_message = f.Raw("error_message");
      if (f.Has("failure_type")) {
        const std::string t = f.Enum("failure_type", {"system_error", "config_error", "transient_error"}, "system_error");
        filter.has_failure_type = true;
        filter.failure_type = t == "config_error" ? FailureType::kConfig : t == "transient_error" ? FailureType::kTransient
                                                                                                   : FailureType::kSystem;
      }
      h.filters_.push_back(std::move(filter));
    }
    if (first) {
      for (ConfigReader b : d.Array("backoff_strategies")) {
        Backoff backoff;
        const std::string bt = b.String("type");
        if (bt == "ConstantBackoffStrategy") {
          backoff.kind = Backoff::Kind::kConstant;
          backoff.value = b.Raw("backoff_time_in_seconds");
        } else if (bt == "ExponentialBackoffStrategy") {
          backoff.kind = Backoff::Kind::kExponential;
          backoff.value = b.Has("factor") ? b.Raw("factor") : Json(5);
        } else if (bt == "WaitTimeFromHeader" || bt == "WaitUntilTimeFromHeader") {
          backoff.kind = bt == "WaitTimeFromHeader" ? Backoff::Kind::kWaitTimeFromHeader : Backoff::Kind::kWaitUntilTimeFromHeader;
          backoff.header = b.String("header");
          backoff.regex = b.String("regex", "");
          backoff.limit = b.Raw(bt == "WaitTimeFromHeader" ? "max_waiting_time_in_seconds" : "min_wait");
        } else {
          return Status::ConfigError(fmt::format("manifest {}: unsupported backoff strategy '{}'; supported: "
                                                 "ConstantBackoffStrategy, ExponentialBackoffStrategy, WaitTimeFromHeader, "
                                                 "WaitUntilTimeFromHeader",
                                                 b.PathOf("type"), bt));
        }
        h.backoffs_.push_back(std::move(backoff));
      }
    }
    first = false;
  }
  SLUICE_RETURN_IF_ERROR(r.status());
  return h;
}

ResponseAction ErrorHandler::Interpret(const HttpResponse& response, const Json& body, std::string* message,
                                       FailureType* type) {
  Json headers = HeadersJson(response);
  Vars vars;
  vars.config = ctx_->config;
  vars.parameters = parameters_;
  vars.response = &body;
  vars.headers = &headers;
  for (const Filter& f : filters_) {
    bool match = std::find(f.http_codes.begin(), f.http_codes.end(), response.status) != f.http_codes.end();
    if (!match && !f.error_message_contains.empty()) match = response.body.find(f.error_message_contains) != std::string::npos;
    if (!match && !f.predicate.is_null()) {
      Result<bool> p = ctx_->interpolator->Condition(f.predicate, vars, path_ + ".response_filters.predicate");
      match = p.ok() && *p;
    }
    if (!match) continue;
    if (!f.error_message.is_null()) {
      Result<std::string> m = ctx_->interpolator->Text(f.error_message, vars, path_ + ".response_filters.error_message");
      if (m.ok()) *message = *m;
    }
    *type = f.has_failure_type ? f.failure_type : DefaultFailureType(response.status);
    return f.action;
  }
  *type = DefaultFailureType(response.status);
  return DefaultAction(response.status);
}

std::optional<double> ErrorHandler::BackoffSeconds(const HttpResponse& response, int attempt) {
  Vars vars;
  vars.config = ctx_->config;
  vars.parameters = parameters_;
  for (const Backoff& b : backoffs_) {
    switch (b.kind) {
      case Backoff::Kind::kConstant: {
        Result<Json> v = ctx_->interpolator->Value(b.value, vars, path_ + ".backoff_time_in_seconds");
        if (v.ok() && v->is_number()) return v->get<double>();
        break;
      }
      case Backoff::Kind::kExponential: {
        Result<Json> v = ctx_->interpolator->Value(b.value, vars, path_ + ".factor");
        const double factor = v.ok() && v->is_number() ? v->get<double>() : 5;
        return factor * std::pow(2.0, attempt - 1);
      }
      case Backoff::Kind::kWaitTimeFromHeader:
      case Backoff::Kind::kWaitUntilTimeFromHeader: {
        std::string name = b.header;
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const std::string* value = response.Header(name);
        if (value == nullptr) break;
        std::string text = *value;
        if (!b.regex.empty()) {
          std::smatch m;
          try {
            if (!std::regex_search(text, m, std::regex(b.regex))) break;
            text = m.size() > 1 ? m[1].str() : m[0].str();
          } catch (const std::regex_error&) {
            break;
          }
        }
        double seconds;
        try {
          seconds = std::stod(text);
        } catch (const std::exception&) {
          break;
        }
        Result<Json> limit = ctx_->interpolator->Value(b.limit, vars, path_);
        if (b.kind == Backoff::Kind::kWaitUntilTimeFromHeader) {
          seconds = seconds - double(NowMicros()) / kMicrosPerSecond;
          if (limit.ok() && limit->is_number()) seconds = std::max(seconds, limit->get<double>());
          return std::max(0.0, seconds);
        }
        if (limit.ok() && limit->is_number() && seconds > limit->get<double>()) return -seconds;
        return seconds;
      }
    }
  }
  return std::nullopt;
}

Result<std::unique_ptr<HttpRequester>> HttpRequester::Make(ConfigReader r, BuildContext& ctx) {
  const std::string type = r.String("type", "HttpRequester");
  if (type != "HttpRequester") {
    return UnsupportedComponent(r, "requester type", type, "HttpRequester");
  }
  std::unique_ptr<HttpRequester> q(new HttpRequester(r, ctx));
  q->parameters_ = &ParametersOf(r);
  LoginFn login = [&ctx](ConfigReader login_requester, const ResponseDecoder& decoder) -> Result<Json> {
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<HttpRequester> l, HttpRequester::Make(login_requester, ctx));
    Vars vars;
    vars.config = ctx.config;
    vars.parameters = &l->parameters();
    SLUICE_ASSIGN_OR_RETURN(PreparedRequest request, l->Prepare(vars));
    const std::string url = request.UrlForMessages();
    bool ignored = false;
    SLUICE_ASSIGN_OR_RETURN(HttpResponse response, l->Send(std::move(request), &ignored));
    if (decoder.plain_json()) return Decode(response, url);
    SLUICE_ASSIGN_OR_RETURN(Json reply, decoder.DecodeResponse(response, "the SessionTokenAuthenticator's login", url));
    if (!decoder.documents()) return reply;
    return reply.empty() ? Json::object() : reply[0];
  };
  SLUICE_ASSIGN_OR_RETURN(q->auth_, MakeAuthenticator(r.Object("authenticator"), ctx, login));
  SLUICE_ASSIGN_OR_RETURN(q->errors_, ErrorHandler::Parse(ConfigReader(r.Raw("error_handler"), r.PathOf("error_handler")), ctx));
  r.Enum("http_method", {"GET", "POST"}, "GET");
  if (!r.Has("url_base") && !r.Has("url")) r.Fail("url_base", "is required");
  SLUICE_RETURN_IF_ERROR(r.status());
  return q;
}

Result<PreparedRequest> HttpRequester::Prepare(const Vars& in) {
  Vars vars = in;
  vars.parameters = parameters_;
  Interpolator& interp = *ctx_.interpolator;
  PreparedRequest request;
  request.method = r_.String("http_method", "GET");
  SLUICE_ASSIGN_OR_RETURN(request.url_base, interp.Text(r_.Has("url") ? r_.Raw("url") : r_.Raw("url_base"), vars,
                                                        r_.PathOf(r_.Has("url") ? "url" : "url_base")));
  SLUICE_ASSIGN_OR_RETURN(request.path, interp.Text(r_.Raw("path"), vars, r_.PathOf("path")));
  SLUICE_ASSIGN_OR_RETURN(Json params, interp.Mapping(r_.Raw("request_parameters"), vars, r_.PathOf("request_parameters")));
  for (auto it = params.begin(); it != params.end(); ++it) {
    if (it->is_null()) continue;
    if (it->is_array()) {
      for (const Json& v : *it) request.query.emplace_back(it.key(), ParamText(v));
    } else {
      request.SetQuery(it.key(), ParamText(*it));
    }
  }
  SLUICE_ASSIGN_OR_RETURN(Json headers, interp.Mapping(r_.Raw("request_headers"), vars, r_.PathOf("request_headers")));
  for (auto it = headers.begin(); it != headers.end(); ++it) {
    if (!it->is_null()) request.SetHeader(it.key(), ParamText(*it));
  }
  if (r_.Has("request_body_json")) {
    SLUICE_ASSIGN_OR_RETURN(request.body_json, interp.Mapping(r_.Raw("request_body_json"), vars, r_.PathOf("request_body_json")));
  }
  if (r_.Has("request_body_data")) {
    const Json& data = r_.Raw("request_body_data");
    if (data.is_string()) {
      SLUICE_ASSIGN_OR_RETURN(std::string text, interp.Text(data, vars, r_.PathOf("request_body_data")));
      request.body_text = text;
    } else {
      SLUICE_ASSIGN_OR_RETURN(Json form, interp.Mapping(data, vars, r_.PathOf("request_body_data")));
      for (auto it = form.begin(); it != form.end(); ++it) {
        if (!it->is_null()) request.body_data.emplace_back(it.key(), ParamText(*it));
      }
    }
  }
  return request;
}

Result<Json> HttpRequester::Decode(const HttpResponse& response, const std::string& url) {
  size_t i = 0;
  while (i < response.body.size() && std::isspace(static_cast<unsigned char>(response.body[i]))) ++i;
  if (i == response.body.size()) return Json::object();
  try {
    return Json::parse(response.body);
  } catch (const std::exception& e) {
    return Status::ConfigError(fmt::format("{} did not answer JSON (HTTP {}): {}", url, response.status, Snippet(response.body)),
                               e.what());
  }
}

Result<HttpResponse> HttpRequester::Send(PreparedRequest request, bool* ignored, Json* decoded_out, const BodyDecoder& decode) {
  *ignored = false;
  const std::string shown = request.method + " " + request.UrlForMessages();
  bool renewed = false;
  int attempt = 0;
  while (true) {
    PreparedRequest signed_request = request;
    uint64_t signed_generation = 0;
    {
      std::lock_guard<std::recursive_mutex> lock(ctx_.auth_lock->mu);
      signed_generation = ctx_.auth_lock->generation;
      SLUICE_RETURN_IF_ERROR(auth_->Apply(signed_request));
    }
    HttpRequest http;
    http.method = signed_request.method;
    http.url = signed_request.Url();
    http.headers = signed_request.headers;
    auto [body, content_type] = signed_request.Body();
    if (!content_type.empty()) {
      bool has = false;
      for (const HttpHeader& h : http.headers) has |= h.name.size() == 12 && (h.name == "Content-Type" || h.name == "content-type");
      if (!has) http.headers.push_back({"Content-Type", content_type});
    }
    http.body = body;
    http.timeout_ms = ctx_.request_timeout_ms;
    if (ctx_.budget) {
      SLUICE_RETURN_IF_ERROR(ctx_.budget->Acquire(http.method, http.url, ctx_.sleep, [] { return MonotonicMicros(); }));
    }
    HttpResponse response;
    Status sent = ctx_.transport->Send(http, response);
    double wait = 0;
    std::string why;
    if (!sent.ok()) {
      if (sent.failure_type() != FailureType::kTransient || attempt >= errors_.max_retries()) {
        return sent.WithContext(fmt::format("{} (after {} retries)", shown, attempt));
      }
      wait = 5 * std::pow(2.0, attempt);
      why = sent.message();
    } else {
      Json decoded;
      if (decode) {
        decoded = decode(response.body);
      } else {
        try {
          decoded = Json::parse(response.body);
        } catch (const std::exception&) {
        }
      }
      std::string message;
      FailureType type = FailureType::kSystem;
      const ResponseAction action = errors_.Interpret(response, decoded, &message, &type);
      if (action == ResponseAction::kSuccess) {
        if (decoded_out != nullptr) *decoded_out = std::move(decoded);
        return response;
      }
      if (action == ResponseAction::kIgnore) {
        Log(LogLevel::kInfo, "{} answered HTTP {}: ignored, as the manifest's error handler says", shown, response.status);
        *ignored = true;
        return response;
      }
      if (action == ResponseAction::kFail) {
        if ((response.status == 401 || response.status == 403) && !renewed) {
          // A token that expired early: get a new one once — unless another worker already
          // renewed the token this request was signed with.
          std::lock_guard<std::recursive_mutex> lock(ctx_.auth_lock->mu);
          const bool again = ctx_.auth_lock->generation != signed_generation || auth_->Invalidate();
          if (again && ctx_.auth_lock->generation == signed_generation) ++ctx_.auth_lock->generation;
          if (again) {
            renewed = true;
            continue;
          }
        }
        std::string text = message.empty() ? Snippet(response.body) : message;
        std::string hint = response.status == 401 || response.status == 403
                               ? " — check the credentials in the config"
                               : "";
        std::string m = fmt::format("{} answered HTTP {}{}: {}", shown, response.status, hint, text);
        if (type == FailureType::kConfig) return Status::ConfigError(std::move(m));
        if (type == FailureType::kTransient) return Status::TransientError(std::move(m));
        return Status::SystemError(std::move(m));
      }
      if (attempt >= errors_.max_retries()) {
        return Status::TransientError(fmt::format("{} answered HTTP {} and still failed after {} retries: {}", shown,
                                                  response.status, attempt, message.empty() ? Snippet(response.body) : message));
      }
      std::optional<double> b = errors_.BackoffSeconds(response, attempt + 1);
      if (b && *b < 0) {
        return Status::TransientError(fmt::format("{} answered HTTP {} and asks to wait {:.0f} s, more than the manifest's "
                                                  "max_waiting_time_in_seconds",
                                                  shown, response.status, -*b));
      }
      // A rate-limited reply's Retry-After is honoured even beside a shorter strategy: retrying
      // sooner than the server asks only meets the limit again.
      const std::optional<double> retry_after = RetryAfterSeconds(response);
      if (!b) b = retry_after;
      else if (retry_after && action == ResponseAction::kRateLimited) b = std::max(*b, *retry_after);
      wait = b ? *b : 5 * std::pow(2.0, attempt);
      why = fmt::format("HTTP {}", response.status);
    }
    if (wait > ctx_.max_backoff_seconds) {
      return Status::TransientError(fmt::format("{}: {}, and the wait asked ({:.0f} s) is longer than {:.0f} s", shown, why,
                                                wait, ctx_.max_backoff_seconds));
    }
    ++attempt;
    Log(LogLevel::kInfo, "{}: {}; retry {} of {} in {:.2f} s", shown, why, attempt, errors_.max_retries(), wait);
    if (!ctx_.sleep(wait)) return Status::Cancelled("stopped while waiting to retry " + shown);
  }
}

}  // namespace sluice
