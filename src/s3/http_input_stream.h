#pragma once
// Streaming HTTP(S) downloads: an InputStream over one GET whose body is handed out as it
// arrives, so a file of any size is read in bounded memory (source-file's https:// URLs).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/input_stream.h"
#include "http/http_client.h"

namespace sluice {

struct HttpGetOptions {
  HttpTransportOptions http;        //!< timeouts and certificate checking
  std::string ca_certificate_pem;   //!< trusted instead of the system CAs when not empty (PEM text)
  std::vector<HttpHeader> headers;  //!< extra request headers (e.g. User-Agent)
  //! The transfer pauses while this many bytes wait to be read (memory bound besides libcurl's own
  //! receive buffer).
  size_t max_buffer_bytes = size_t{1} << 20;
};

//! Starts a GET of `url` (redirects followed) and returns once the body starts or the transfer
//! ends, so a bad URL fails here, not at the first Read. Errors name RedactedUrl(url):
//!   - HTTP 4xx (404 not found, 401/403 access denied, ...) → ConfigError;
//!   - HTTP 5xx / 429, an unreachable or unknown host, a timeout, a connection lost mid-body →
//!     TransientError ("cannot reach https://host:port/...");
//!   - a rejected certificate or a malformed URL → ConfigError.
//! The stream is not thread-safe (one reader).
Result<std::unique_ptr<InputStream>> OpenHttpInputStream(const std::string& url, const HttpGetOptions& options = {});

//! `url` for messages: without user info and with its query string replaced by "?..." (either may
//! carry secrets, e.g. a presigned URL's signature).
std::string RedactedUrl(std::string_view url);

}  // namespace sluice
