#include "monitoring/webhook_sender.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "base/log.h"

namespace sluice {

namespace {

constexpr size_t kMaxResponseBody = 512;  // enough for Slack's "no_service" and friends

std::once_flag g_curl_init;

struct Attempt {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;   // the start of the response body
  std::string error;  // curl's message when code != CURLE_OK
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t n = size * count;
  body->append(data, std::min(n, kMaxResponseBody - std::min(body->size(), kMaxResponseBody)));
  return n;
}

Attempt PostOnce(const std::string& url, const std::string& body, int64_t timeout_ms) {
  Attempt attempt;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    attempt.code = CURLE_FAILED_INIT;
    attempt.error = "cannot create a curl handle";
    return attempt;
  }
  char error[CURL_ERROR_SIZE] = {};
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &attempt.body);
  attempt.code = curl_easy_perform(curl);
  if (attempt.code == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &attempt.status);
  } else {
    attempt.error = error[0] != '\0' ? error : curl_easy_strerror(attempt.code);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return attempt;
}

// curl's messages name the host at most, but make sure nothing past it survives.
std::string Scrub(std::string text, std::string_view url, std::string_view host) {
  const size_t host_at = url.find(host);
  const std::string_view secret = host_at == std::string_view::npos ? url : url.substr(host_at + host.size());
  if (!secret.empty()) {
    for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
      text.replace(pos, secret.size(), "/***");
    }
  }
  return text;
}

// Printable start of a response body, for the detail of an error (Slack explains 4xx in it).
std::string Printable(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  return out;
}

}  // namespace

std::string WebhookHost(std::string_view url) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURLU* parsed = curl_url();
  if (parsed == nullptr) return "";
  std::string host;
  const std::string text(url);
  char* scheme = nullptr;
  char* h = nullptr;
  if (curl_url_set(parsed, CURLUPART_URL, text.c_str(), 0) == CURLUE_OK &&
      curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      (std::string_view(scheme) == "http" || std::string_view(scheme) == "https") &&
      curl_url_get(parsed, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
    host = h;
  }
  curl_free(scheme);
  curl_free(h);
  curl_url_cleanup(parsed);
  return host;
}

WebhookSender::WebhookSender(WebhookOptions options) : options_(options) {
  options_.max_attempts = std::max(options_.max_attempts, 1);
}

Status WebhookSender::Post(std::string_view url, const Json& payload) const {
  const std::string host = WebhookHost(url);
  if (host.empty()) return Status::ConfigError("the webhook URL is not an http(s) URL with a host");
  const std::string target(url);
  const std::string body = payload.dump();
  int64_t backoff_ms = options_.initial_backoff_ms;
  std::string last_problem;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    const Attempt result = PostOnce(target, body, options_.timeout_ms);
    if (result.code == CURLE_OK && result.status >= 200 && result.status < 300) {
      if (attempt > 1) Log(LogLevel::kInfo, "webhook to {}: delivered on attempt {}", host, attempt);
      return Status::Ok();
    }
    bool retryable = true;
    if (result.code != CURLE_OK) {
      last_problem = Scrub(result.error, url, host);
      // A URL curl refuses outright will not improve with time.
      retryable = result.code != CURLE_URL_MALFORMAT && result.code != CURLE_UNSUPPORTED_PROTOCOL;
    } else {
      last_problem = fmt::format("HTTP {}", result.status);
      retryable = result.status >= 500 || result.status == 429;
      if (!retryable) {
        return Status::ConfigError(
            fmt::format("the webhook at {} refused the notification with HTTP {}: check the webhook URL", host,
                        result.status),
            Scrub(Printable(result.body), url, host));
      }
    }
    if (!retryable) return Status::ConfigError(fmt::format("cannot send to the webhook at {}: {}", host, last_problem));
    if (attempt == options_.max_attempts) break;
    Log(LogLevel::kWarn, "webhook to {}: {} (attempt {} of {}), retrying in {} ms", host, last_problem, attempt,
        options_.max_attempts, backoff_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, options_.max_backoff_ms);
  }
  return Status::TransientError(
      fmt::format("cannot deliver to the webhook at {} after {} attempt(s): {}", host, options_.max_attempts,
                  last_problem));
}

}  // namespace sluice
