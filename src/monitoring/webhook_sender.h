#pragma once
// WebhookSender: POSTs a JSON payload to an incoming-webhook URL (Slack and compatibles) over
// libcurl, retrying with exponential backoff when trying again may help.
//
// A webhook URL's path is its secret (https://hooks.slack.com/services/T…/B…/<token>): no log
// line and no Status message or detail ever contains more of the URL than its host.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

struct WebhookOptions {
  int64_t timeout_ms = 10'000;          //!< per attempt: connect, send and receive
  int max_attempts = 4;                 //!< including the first; >= 1
  int64_t initial_backoff_ms = 1'000;   //!< wait before the second attempt; doubles after each
  int64_t max_backoff_ms = 30'000;      //!< cap of a single wait
};

//! Stateless apart from its options; Post may be called from several threads at once. Post
//! blocks for the whole retry sequence: call it off the request path.
class WebhookSender {
 public:
  explicit WebhookSender(WebhookOptions options = {});

  //! Sends `payload` as application/json to `url` (http or https; redirects are not followed).
  //! OK on any 2xx. Retried: connection errors, timeouts, 5xx and 429 — after the last attempt a
  //! TransientError. Not retried: other 4xx (ConfigError: the URL is wrong or revoked) and a URL
  //! that is not http(s) (ConfigError, nothing sent).
  Status Post(std::string_view url, const Json& payload) const;

 private:
  WebhookOptions options_;
};

//! The host of an http(s) URL ("hooks.slack.com"), or "" when `url` is not one: the only part
//! of a webhook URL that may be shown.
std::string WebhookHost(std::string_view url);

}  // namespace sluice
