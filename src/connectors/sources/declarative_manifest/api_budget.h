#pragma once
// The manifest's `api_budget` (Airbyte's HTTPAPIBudget): call-rate policies every request of the
// run passes through before it is sent (retries included) —
//   MovingWindowCallRatePolicy  rates [{limit, interval}]: at most `limit` calls in any `interval`
//   FixedWindowCallRatePolicy   call_limit per period (kept as a moving window: never looser)
//   UnlimitedCallRatePolicy
// each applying to the requests its matchers (HttpRequestRegexMatcher: method, url_base,
// url_path_pattern) select, or to all without matchers. One per run, shared by every stream;
// thread-safe. `ratelimit_*_header` are not read: a 429's Retry-After is (http_requester.h).

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/kit/config_reader.h"

namespace sluice {

class ApiBudget {
 public:
  //! The budget at `r` (the manifest's api_budget); null (no limit) when absent. Config errors
  //! name the manifest path.
  static Result<std::shared_ptr<ApiBudget>> Make(ConfigReader r);

  //! Waits until every policy that applies to `method` `url` allows one more call, then counts
  //! it. `sleep(seconds)` waits (false: the run is stopping → Cancelled). `now_us` is the clock.
  Status Acquire(const std::string& method, const std::string& url, const std::function<bool(double)>& sleep,
                 const std::function<int64_t()>& now_us);

 private:
  struct Matcher {
    std::string method;  //!< "" = any
    std::string url_base;
    std::optional<std::regex> path;
  };
  struct Window {
    int64_t limit = 0;
    int64_t interval_us = 0;
    std::deque<int64_t> calls;  //!< times of the calls inside the window, oldest first
  };
  struct Policy {
    std::vector<Matcher> matchers;  //!< empty: every request
    std::vector<Window> windows;
  };
  static bool Applies(const Policy& p, const std::string& method, const std::string& url);

  std::mutex mu_;
  std::vector<Policy> policies_;
};

}  // namespace sluice
