#include "http/http_client.h"

#include <curl/curl.h>

#include <cctype>
#include <charconv>
#include <mutex>

#include <fmt/format.h>

namespace sluice {

const std::string* HttpResponse::Header(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (h.name == name) return &h.value;
  }
  return nullptr;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string FormEncode(const HttpParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += UrlEncode(name);
    out += '=';
    out += UrlEncode(value);
  }
  return out;
}

std::string AppendQuery(std::string url, const HttpParams& params) {
  if (params.empty()) return url;
  const size_t hash = url.find('#');
  std::string fragment;
  if (hash != std::string::npos) {
    fragment = url.substr(hash);
    url.resize(hash);
  }
  const size_t q = url.find('?');
  if (q == std::string::npos) {
    url += '?';
  } else if (q + 1 != url.size() && url.back() != '&') {
    url += '&';
  }
  return url + FormEncode(params) + fragment;
}

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool IsCurlNetworkError(int curl_code) {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_AGAIN:
      return true;
    default:
      return false;
  }
}

std::string CurlErrorDetail(const char* error_buffer, int curl_code) {
  std::string detail = error_buffer[0] != '\0' ? std::string(error_buffer)
                                                : std::string(curl_easy_strerror(static_cast<CURLcode>(curl_code)));
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r')) detail.pop_back();
  return detail;
}

namespace {

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  response->body.append(data, size * count);
  return size * count;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    response->headers.clear();  // a new header block (after 100 Continue or a redirect)
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  HttpHeader h;
  h.name.reserve(colon);
  for (char c : line.substr(0, colon)) h.name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  h.value = std::string(value);
  if (h.name == "content-length") {
    uint64_t n = 0;
    const auto r = std::from_chars(value.data(), value.data() + value.size(), n);
    // Sizes the body buffer once (ranged GETs of many MB would otherwise regrow it repeatedly).
    if (r.ec == std::errc() && n < (uint64_t{1} << 32)) response->body.reserve(static_cast<size_t>(n));
  }
  response->headers.push_back(std::move(h));
  return size * count;
}

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(HttpTransportOptions options) : options_(options) {
    InitCurlOnce();
  }

  ~CurlTransport() override {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  Status Send(const HttpRequest& request, HttpResponse& response) override {
    CURL* h = Acquire();
    if (h == nullptr) return Status::SystemError("cannot create a libcurl handle");
    response = {};
    curl_slist* headers = nullptr;
    for (const HttpHeader& header : request.headers) {
      headers = curl_slist_append(headers, fmt::format("{}: {}", header.name, header.value).c_str());
    }
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    headers = curl_slist_append(headers, "Accept:");

    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, std::max(1L, static_cast<long>(options_.stall_timeout_ms / 1000)));
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    if (request.timeout_ms > 0) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_ms));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);
    if (request.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      if (!request.body.empty() || request.method == "PUT" || request.method == "POST" || request.method == "PATCH") {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.empty() ? "" : request.body.data());
      }
    }
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);

    const CURLcode code = curl_easy_perform(h);
    curl_slist_free_all(headers);
    if (code == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    Release(h, code == CURLE_OK);
    if (code == CURLE_OK) return Status::Ok();

    const std::string detail = CurlErrorDetail(error, code);
    // Besides network failures, the transport also retries a reply libcurl could not parse.
    if (IsCurlNetworkError(code) || code == CURLE_WEIRD_SERVER_REPLY) {
      return Status::TransientError(detail, curl_easy_strerror(code));
    }
    return Status::ConfigError(detail, curl_easy_strerror(code));
  }

 private:
  CURL* Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        curl_easy_reset(h);  // keeps the live connection for reuse
        return h;
      }
    }
    return curl_easy_init();
  }

  void Release(CURL* h, bool healthy) {
    if (!healthy) {
      curl_easy_cleanup(h);  // a failed transfer may leave the connection in any state
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(h);
  }

  HttpTransportOptions options_;
  std::mutex mu_;
  std::vector<CURL*> idle_;
};

}  // namespace

std::shared_ptr<HttpTransport> MakeCurlTransport(HttpTransportOptions options) {
  return std::make_shared<CurlTransport>(options);
}

}  // namespace sluice
