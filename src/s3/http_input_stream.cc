#include "s3/http_input_stream.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace sluice {
namespace {

std::string_view HttpReason(long status) {
  switch (status) {
    case 400: return "bad request";
    case 401: return "authentication required";
    case 403: return "access denied";
    case 404: return "not found";
    case 410: return "gone";
    case 416: return "range not satisfiable";
    case 429: return "too many requests";
    case 500: return "internal server error";
    case 502: return "bad gateway";
    case 503: return "service unavailable";
    case 504: return "gateway timeout";
    default: return "";
  }
}

class HttpInputStream final : public InputStream {
 public:
  HttpInputStream(const std::string& url, const HttpGetOptions& options)
      : name_(RedactedUrl(url)), max_buffer_(std::max<size_t>(options.max_buffer_bytes, 64 << 10)) {}

  ~HttpInputStream() override {
    if (multi_ != nullptr && easy_ != nullptr) curl_multi_remove_handle(multi_, easy_);
    if (easy_ != nullptr) curl_easy_cleanup(easy_);
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
    curl_slist_free_all(headers_);
  }

  Status Start(const std::string& url, const HttpGetOptions& options) {
    InitCurlOnce();
    easy_ = curl_easy_init();
    multi_ = curl_multi_init();
    if (easy_ == nullptr || multi_ == nullptr) return Status::SystemError("cannot create a libcurl handle");
    for (const HttpHeader& h : options.headers) {
      headers_ = curl_slist_append(headers_, fmt::format("{}: {}", h.name, h.value).c_str());
    }
    curl_easy_setopt(easy_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy_, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy_, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(easy_, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.http.connect_timeout_ms));
    curl_easy_setopt(easy_, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(easy_, CURLOPT_LOW_SPEED_TIME,
                     std::max(1L, static_cast<long>(options.http.stall_timeout_ms / 1000)));
    curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, options.http.verify_tls ? 1L : 0L);
    curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, options.http.verify_tls ? 2L : 0L);
    if (!options.ca_certificate_pem.empty()) {
      curl_blob blob{const_cast<char*>(options.ca_certificate_pem.data()), options.ca_certificate_pem.size(),
                     CURL_BLOB_COPY};
      curl_easy_setopt(easy_, CURLOPT_CAINFO_BLOB, &blob);
    }
    curl_easy_setopt(easy_, CURLOPT_BUFFERSIZE, 256L << 10);
    if (headers_ != nullptr) curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, OnData);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_);
    if (curl_multi_add_handle(multi_, easy_) != CURLM_OK) return Status::SystemError("cannot start a libcurl transfer");
    while (buffer_.empty() && !done_) SLUICE_RETURN_IF_ERROR(Pump());
    return result_;
  }

  Result<size_t> Read(char* buf, size_t n) override {
    if (n == 0) return size_t{0};
    while (pos_ >= buffer_.size()) {
      buffer_.clear();
      pos_ = 0;
      if (done_) {
        if (!result_.ok()) return result_;
        return size_t{0};
      }
      if (paused_) {
        paused_ = false;
        curl_easy_pause(easy_, CURLPAUSE_CONT);  // may hand over the held-back data right away
      }
      if (buffer_.empty()) SLUICE_RETURN_IF_ERROR(Pump());
    }
    const size_t k = std::min(n, buffer_.size() - pos_);
    std::memcpy(buf, buffer_.data() + pos_, k);
    pos_ += k;
    return k;
  }

  const std::string& name() const override { return name_; }

 private:
  static size_t OnData(char* data, size_t size, size_t count, void* user) {
    auto* self = static_cast<HttpInputStream*>(user);
    if (self->buffer_.size() - self->pos_ >= self->max_buffer_) {
      self->paused_ = true;
      return CURL_WRITEFUNC_PAUSE;
    }
    self->buffer_.append(data, size * count);
    self->received_ += size * count;
    return size * count;
  }

  //! Moves the transfer along: data lands in buffer_, or the transfer ends (done_, result_).
  Status Pump() {
    int running = 0;
    CURLMcode mc = curl_multi_perform(multi_, &running);
    if (mc != CURLM_OK) return Status::SystemError("libcurl: " + std::string(curl_multi_strerror(mc)));
    int queued = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_, &queued)) {
      if (m->msg == CURLMSG_DONE) {
        done_ = true;
        result_ = ToStatus(m->data.result);
      }
    }
    if (!done_ && buffer_.empty() && !paused_) {
      mc = curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
      if (mc != CURLM_OK) return Status::SystemError("libcurl: " + std::string(curl_multi_strerror(mc)));
    }
    return Status::Ok();
  }

  Status ToStatus(CURLcode code) {
    if (code == CURLE_OK) return Status::Ok();
    const std::string detail = CurlErrorDetail(error_, code);
    if (code == CURLE_HTTP_RETURNED_ERROR) {
      long status = 0;
      curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
      const std::string_view reason = HttpReason(status);
      std::string message = fmt::format("GET {}: HTTP {}", name_, status);
      if (!reason.empty()) message += fmt::format(" ({})", reason);
      if (status >= 500 || status == 429 || status == 408) return Status::TransientError(message, detail);
      return Status::ConfigError(message, detail);
    }
    if (IsCurlNetworkError(code)) {
      if (received_ > 0) {
        return Status::TransientError(
            fmt::format("GET {}: connection lost after {} bytes: {}", name_, received_, detail), detail);
      }
      return Status::TransientError(fmt::format("cannot reach {}: {}", name_, detail), detail);
    }
    return Status::ConfigError(fmt::format("GET {}: {}", name_, detail), detail);
  }

  std::string name_;
  size_t max_buffer_;
  CURL* easy_ = nullptr;
  CURLM* multi_ = nullptr;
  curl_slist* headers_ = nullptr;
  char error_[CURL_ERROR_SIZE] = {};
  std::string buffer_;
  size_t pos_ = 0;
  uint64_t received_ = 0;
  bool paused_ = false;
  bool done_ = false;
  Status result_;
};

}  // namespace

Result<std::unique_ptr<InputStream>> OpenHttpInputStream(const std::string& url, const HttpGetOptions& options) {
  auto stream = std::make_unique<HttpInputStream>(url, options);
  SLUICE_RETURN_IF_ERROR(stream->Start(url, options));
  return std::unique_ptr<InputStream>(std::move(stream));
}

std::string RedactedUrl(std::string_view url) {
  std::string out;
  const size_t scheme_end = url.find("://");
  size_t rest = 0;
  if (scheme_end != std::string_view::npos) {
    const size_t authority = scheme_end + 3;
    size_t authority_end = url.find_first_of("/?#", authority);
    if (authority_end == std::string_view::npos) authority_end = url.size();
    std::string_view host = url.substr(authority, authority_end - authority);
    const size_t at = host.rfind('@');
    if (at != std::string_view::npos) host.remove_prefix(at + 1);
    out.append(url.substr(0, authority));
    out.append(host);
    rest = authority_end;
  }
  std::string_view tail = url.substr(rest);
  const size_t fragment = tail.find('#');
  if (fragment != std::string_view::npos) tail = tail.substr(0, fragment);
  const size_t query = tail.find('?');
  if (query != std::string_view::npos) {
    out.append(tail.substr(0, query));
    out.append("?...");
  } else {
    out.append(tail);
  }
  return out;
}

}  // namespace sluice
