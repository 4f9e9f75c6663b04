#pragma once
// The HTTP client every module above `base` shares (the S3 client, the REST API source): the
// HttpTransport seam (one request in, one response out), its libcurl implementation
// (keep-alive connections pooled per transport), and URL / form encoding helpers. Tests plug in
// fakes to script responses and failures.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace sluice {

//! One HTTP header; names compare case-insensitively.
struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpRequest {
  std::string method;                //!< GET, HEAD, PUT, POST, PATCH, DELETE
  std::string url;                   //!< absolute, already encoded (BuildUrl)
  std::vector<HttpHeader> headers;   //!< sent as given (Host included)
  std::string_view body;             //!< must stay valid during Send
  //! The whole exchange must end within this many milliseconds (0: no limit beyond the
  //! transport's connect and stall timeouts). Exceeding it is a TransientError.
  int64_t timeout_ms = 0;
};

struct HttpResponse {
  long status = 0;
  std::vector<HttpHeader> headers;  //!< names lowercased
  std::string body;

  //! The first header named `name` (lowercase), or nullptr.
  const std::string* Header(std::string_view name) const;
};

struct HttpTransportOptions {
  int64_t connect_timeout_ms = 10'000;  //!< TCP + TLS handshake
  //! A transfer that moves no byte for this long is abandoned (a stalled connection).
  int64_t stall_timeout_ms = 60'000;
  bool verify_tls = true;  //!< verify the server certificate and host name (https)
};

//! Sends requests. Thread-safe: several threads may Send at once.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  //! Sends `request` and fills `response` (any HTTP status is OK here). A failure to get a
  //! response is a TransientError when trying again may help (connection refused or reset,
  //! timeout, DNS failure) and a ConfigError otherwise (malformed URL, unsupported scheme,
  //! certificate rejected); its detail carries the library's text.
  virtual Status Send(const HttpRequest& request, HttpResponse& response) = 0;
};

//! The libcurl transport. `curl_global_init` happens once per process on first use.
std::shared_ptr<HttpTransport> MakeCurlTransport(HttpTransportOptions options = {});

//! Query or form parameters in order (names may repeat).
using HttpParams = std::vector<std::pair<std::string, std::string>>;

//! Percent-encodes everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string UrlEncode(std::string_view text);
//! `name=value&...`, each side UrlEncode'd: a query string or an
//! application/x-www-form-urlencoded body.
std::string FormEncode(const HttpParams& params);
//! `url` with `params` appended to its query ("?" or "&" as needed); `url` unchanged when empty.
std::string AppendQuery(std::string url, const HttpParams& params);

//! libcurl helpers shared by the transport and the HTTP(S) download stream. Thread-safe.
//! Calls `curl_global_init` the first time, and never again in this process.
void InitCurlOnce();
//! True when `curl_code` (a CURLcode) means getting (the rest of) a response failed on the
//! network (DNS, connect, reset, timeout, TLS handshake): trying again later may cure it.
bool IsCurlNetworkError(int curl_code);
//! The text of a failed transfer: libcurl's error buffer when set, else the code's own text,
//! without a trailing line break.
std::string CurlErrorDetail(const char* error_buffer, int curl_code);

}  // namespace sluice
