#include "connectors/sources/declarative_manifest/api_budget.h"

#include <fmt/format.h>

#include "template/py_datetime.h"

namespace sluice {
namespace {

std::optional<int64_t> IntervalMicros(ConfigReader& r, std::string_view key) {
  const std::string text = r.String(key);
  std::optional<IsoDuration> d = ParseIsoDuration(text);
  if (!d || d->months != 0 || d->micros <= 0) {
    r.Fail(key, fmt::format("expected a positive ISO 8601 duration without months or years (PT1S, PT1M, P1D), got '{}'", text));
    return std::nullopt;
  }
  return d->micros;
}

std::string PathOfUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t start = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (start == std::string::npos) return "/";
  const size_t end = url.find_first_of("?#", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

Result<std::shared_ptr<ApiBudget>> ApiBudget::Make(ConfigReader r) {
  if (r.json().is_null()) return std::shared_ptr<ApiBudget>();
  const std::string type = r.String("type", "HTTPAPIBudget");
  if (type != "HTTPAPIBudget" && type != "APIBudget") {
    return Status::ConfigError(fmt::format("manifest {}: unsupported api budget '{}'; supported: HTTPAPIBudget", r.PathOf("type"), type));
  }
  auto budget = std::make_shared<ApiBudget>();
  for (ConfigReader p : r.Array("policies")) {
    Policy policy;
    const std::string pt = p.String("type");
    if (pt == "MovingWindowCallRatePolicy") {
      for (ConfigReader rate : p.Array("rates")) {
        Window w;
        w.limit = rate.Integer("limit", 1, 1);
        if (auto us = IntervalMicros(rate, "interval")) w.interval_us = *us;
        policy.windows.push_back(std::move(w));
      }
    } else if (pt == "FixedWindowCallRatePolicy") {
      Window w;
      w.limit = p.Integer("call_limit", 1, 1);
      if (auto us = IntervalMicros(p, "period")) w.interval_us = *us;
      policy.windows.push_back(std::move(w));
    } else if (pt != "UnlimitedCallRatePolicy") {
      p.Fail("type", fmt::format("unsupported call rate policy '{}'; supported: MovingWindowCallRatePolicy, "
                                 "FixedWindowCallRatePolicy, UnlimitedCallRatePolicy", pt));
    }
    for (ConfigReader m : p.Array("matchers")) {
      const std::string mt = m.String("type", "HttpRequestRegexMatcher");
      if (mt != "HttpRequestRegexMatcher") m.Fail("type", "supported: HttpRequestRegexMatcher");
      Matcher matcher;
      matcher.method = m.String("method", "");
      matcher.url_base = m.String("url_base", "");
      if (m.Has("url_path_pattern")) {
        try {
          matcher.path.emplace(m.String("url_path_pattern"));
        } catch (const std::regex_error& e) {
          m.Fail("url_path_pattern", std::string("not a regular expression: ") + e.what());
        }
      }
      if (m.Has("params") || m.Has("headers")) m.Fail("", "matching by params or headers is not supported; match by method, url_base, url_path_pattern");
      policy.matchers.push_back(std::move(matcher));
    }
    if (!policy.windows.empty()) budget->policies_.push_back(std::move(policy));
  }
  SLUICE_RETURN_IF_ERROR(r.status());
  if (budget->policies_.empty()) return std::shared_ptr<ApiBudget>();
  return budget;
}

bool ApiBudget::Applies(const Policy& p, const std::string& method, const std::string& url) {
  if (p.matchers.empty()) return true;
  for (const Matcher& m : p.matchers) {
    if (!m.method.empty() && m.method != method) continue;
    if (!m.url_base.empty() && !url.starts_with(m.url_base)) continue;
    if (m.path && !std::regex_search(PathOfUrl(url), *m.path)) continue;
    return true;
  }
  return false;
}

Status ApiBudget::Acquire(const std::string& method, const std::string& url, const std::function<bool(double)>& sleep,
                          const std::function<int64_t()>& now_us) {
  while (true) {
    int64_t wait_us = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const int64_t now = now_us();
      for (Policy& p : policies_) {
        if (!Applies(p, method, url)) continue;
        for (Window& w : p.windows) {
          while (!w.calls.empty() && w.calls.front() <= now - w.interval_us) w.calls.pop_front();
          if (static_cast<int64_t>(w.calls.size()) >= w.limit) wait_us = std::max(wait_us, w.calls.front() + w.interval_us - now);
        }
      }
      if (wait_us <= 0) {
        for (Policy& p : policies_) {
          if (!Applies(p, method, url)) continue;
          for (Window& w : p.windows) w.calls.push_back(now);
        }
        return Status::Ok();
      }
    }
    if (!sleep(static_cast<double>(wait_us) / 1e6)) return Status::Cancelled("stopped while waiting for the API budget");
  }
}

}  // namespace sluice
