#include "s3/s3_client.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "base/log.h"
#include "base/time.h"
#include "s3/xml.h"

namespace sluice {
namespace {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

std::string EnvOr(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Virtual-host addressing needs a bucket name that is a valid DNS label sequence without dots
// (dots break TLS wildcard certificates).
bool IsVirtualHostable(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return bucket.front() != '-' && bucket.back() != '-';
}

// One request as the retry loop sees it.
struct Call {
  std::string_view op;  // for messages: "PUT", "GET", "LIST", ...
  std::string method;
  std::string_view bucket;
  std::string_view key;  // empty for bucket-level calls
  QueryParams query;
  std::vector<HttpHeader> headers;
  std::string_view body;
  bool allow_not_found = false;  // a 404 is returned as a response, not an error
  bool allow_bad_range = false;  // a 416 likewise
};

// What an S3 error response says.
struct S3ErrorInfo {
  std::string code;
  std::string message;
};

S3ErrorInfo ParseErrorBody(const std::string& body) {
  S3ErrorInfo info;
  if (body.empty()) return info;
  auto root = ParseXml(body);
  if (!root.ok()) return info;
  if (root->name != "Error") return info;
  info.code = root->ChildText("Code");
  info.message = root->ChildText("Message");
  return info;
}

bool IsRetryableStatus(long status, std::string_view code) {
  if (status == 500 || status == 502 || status == 503 || status == 504 || status == 408 || status == 429) return true;
  return code == "SlowDown" || code == "Throttling" || code == "ThrottlingException" || code == "RequestTimeout" ||
         code == "InternalError" || code == "ServiceUnavailable" || code == "RequestThrottled";
}

int64_t ParseInt64(std::string_view text, int64_t fallback) {
  int64_t v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  return r.ec == std::errc() ? v : fallback;
}

int64_t ParseIsoTime(std::string_view text) {
  auto t = ParseTimestamp(text);
  return t ? *t : 0;
}

}  // namespace

S3Credentials CredentialsFromEnvironment() {
  return {EnvOr("AWS_ACCESS_KEY_ID"), EnvOr("AWS_SECRET_ACCESS_KEY"), EnvOr("AWS_SESSION_TOKEN")};
}

std::string S3Uri(std::string_view bucket, std::string_view key) { return fmt::format("s3://{}/{}", bucket, key); }

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const size_t comma = text.find(", ");
  if (comma == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(comma + 2);
  if (rest.size() < 20) return std::nullopt;
  const auto num = [](std::string_view s, int& out) {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
  };
  int day, year, hour, minute, second;
  if (!num(rest.substr(0, 2), day) || !num(rest.substr(7, 4), year) || !num(rest.substr(12, 2), hour) ||
      !num(rest.substr(15, 2), minute) || !num(rest.substr(18, 2), second)) {
    return std::nullopt;
  }
  const std::string_view month_name = rest.substr(3, 3);
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i) {
    if (kMonths[i] == month_name) month = i + 1;
  }
  if (month == 0) return std::nullopt;
  const int64_t days = DaysFromCivil(year, month, static_cast<unsigned>(day));
  return (days * 86400 + hour * 3600 + minute * 60 + second) * kMicrosPerSecond;
}

struct S3Client::Impl {
  S3ClientOptions options;
  std::string scheme;     // "http" | "https"
  std::string authority;  // "host[:port]"
  std::string base_path;  // "" or "/prefix" (an endpoint with a path)
  std::string endpoint;   // scheme://authority + base_path, for messages
  bool path_style = true;
  std::unique_ptr<RequestSigner> signer;

  bool UsePathStyle(std::string_view bucket) const { return path_style || !IsVirtualHostable(bucket); }

  std::string Host(std::string_view bucket) const {
    if (bucket.empty() || UsePathStyle(bucket)) return authority;
    return fmt::format("{}.{}", bucket, authority);
  }

  std::string CanonicalPath(std::string_view bucket, std::string_view key) const {
    std::string path = base_path;
    if (!bucket.empty() && UsePathStyle(bucket)) {
      path += '/';
      AppendUriEncoded(path, bucket, false);
    }
    if (!key.empty() || path.empty()) {
      path += '/';
      AppendUriEncoded(path, key, true);
    }
    return path;
  }

  static std::string QueryString(const QueryParams& query) {
    std::string out;
    for (const auto& [name, value] : query) {
      out += out.empty() ? '?' : '&';
      AppendUriEncoded(out, name, false);
      out += '=';
      AppendUriEncoded(out, value, false);
    }
    return out;
  }

  std::string Url(std::string_view bucket, std::string_view key, const QueryParams& query) const {
    return fmt::format("{}://{}{}{}", scheme, Host(bucket), CanonicalPath(bucket, key), QueryString(query));
  }

  void Sleep(int64_t ms) const {
    if (options.sleep_ms) {
      options.sleep_ms(ms);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
  }

  // Exponential backoff with equal jitter: half the step plus a random part of the other half.
  int64_t BackoffMs(int attempt) const {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    int64_t step = options.initial_backoff_ms;
    for (int i = 1; i < attempt && step < options.max_backoff_ms; ++i) step *= 2;
    step = std::min(step, options.max_backoff_ms);
    if (step <= 1) return step;
    return step / 2 + static_cast<int64_t>(rng() % static_cast<uint64_t>(step / 2 + 1));
  }

  Status ErrorFor(const Call& call, const HttpResponse& response, const S3ErrorInfo& info, int attempts) const {
    const std::string where = call.key.empty() ? fmt::format("s3://{}", call.bucket) : S3Uri(call.bucket, call.key);
    const std::string prefix = fmt::format("S3 {} {}", call.op, where);
    const std::string detail = info.code.empty() ? fmt::format("HTTP {}", response.status)
                                                 : fmt::format("HTTP {} {}: {}", response.status, info.code, info.message);
    const std::string& code = info.code;
    if (IsRetryableStatus(response.status, code)) {
      return Status::TransientError(
          fmt::format("{}: the server keeps failing ({} {}) after {} attempts", prefix, response.status,
                      code.empty() ? "error" : code, attempts),
          detail);
    }
    if (code == "SignatureDoesNotMatch") {
      return Status::ConfigError(
          fmt::format("{}: the request signature does not match (SignatureDoesNotMatch): secret_access_key is wrong "
                      "for this access_key_id",
                      prefix),
          detail);
    }
    if (code == "InvalidAccessKeyId") {
      return Status::ConfigError(
          fmt::format("{}: the server does not know this access key (InvalidAccessKeyId): check access_key_id", prefix),
          detail);
    }
    if (code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired") {
      return Status::ConfigError(fmt::format("{}: the session token is expired or invalid ({})", prefix, code), detail);
    }
    if (code == "RequestTimeTooSkewed") {
      return Status::ConfigError(
          fmt::format("{}: this machine's clock differs too much from the server's (RequestTimeTooSkewed)", prefix),
          detail);
    }
    if (code == "NoSuchBucket") {
      return Status::ConfigError(
          fmt::format("S3 {}: bucket '{}' does not exist at {} (NoSuchBucket): check s3_bucket_name", call.op,
                      call.bucket, endpoint),
          detail);
    }
    if (code == "NoSuchKey" || (response.status == 404 && call.method == "HEAD")) {
      return Status::ConfigError(fmt::format("{}: the object does not exist", prefix), detail);
    }
    if (code == "AuthorizationHeaderMalformed" || code == "PermanentRedirect" || code == "IllegalLocationConstraintException" ||
        response.status == 301) {
      const std::string* region = response.Header("x-amz-bucket-region");
      return Status::ConfigError(
          fmt::format("{}: the bucket is in another region{} than '{}' ({}): check s3_bucket_region", prefix,
                      region ? fmt::format(" ('{}')", *region) : std::string(), options.region,
                      code.empty() ? std::to_string(response.status) : code),
          detail);
    }
    if (code == "AccessDenied" || code == "AllAccessDisabled" || response.status == 403) {
      return Status::ConfigError(
          fmt::format("{}: access denied ({}): the credentials lack permission, or access_key_id / "
                      "secret_access_key are wrong",
                      prefix, code.empty() ? "HTTP 403" : code),
          detail);
    }
    if (response.status >= 400 && response.status < 500) {
      return Status::ConfigError(
          fmt::format("{}: rejected with HTTP {} {}{}", prefix, response.status, code,
                      info.message.empty() ? std::string() : ": " + info.message),
          detail);
    }
    return Status::SystemError(fmt::format("{}: unexpected HTTP {} {}", prefix, response.status, code), detail);
  }

  Result<HttpResponse> Execute(Call& call) const {
    const std::string where = call.key.empty() ? fmt::format("s3://{}", call.bucket) : S3Uri(call.bucket, call.key);
    SignableRequest base;
    base.method = call.method;
    base.path = CanonicalPath(call.bucket, call.key);
    base.query = call.query;
    base.payload_hash = options.sign_payload || call.body.empty() ? Sha256Hex(call.body) : "UNSIGNED-PAYLOAD";
    base.headers.push_back({"host", Host(call.bucket)});
    base.headers.push_back({"x-amz-content-sha256", base.payload_hash});
    for (HttpHeader& h : call.headers) base.headers.push_back(std::move(h));
    call.headers.clear();
    const std::string url = Url(call.bucket, call.key, call.query);

    const int max_attempts = std::max(1, options.max_attempts);
    for (int attempt = 1;; ++attempt) {
      SignableRequest signable = base;
      signer->Sign(signable, options.now_micros ? options.now_micros() : NowMicros());
      HttpRequest request{call.method, url, std::move(signable.headers), call.body};
      HttpResponse response;
      Status sent = options.transport->Send(request, response);
      std::string why;
      if (!sent.ok()) {
        if (sent.failure_type() != FailureType::kTransient) {
          return Status::ConfigError(fmt::format("S3 {} {}: cannot send the request to {}: {}", call.op, where,
                                                 endpoint, sent.message()),
                                     sent.detail());
        }
        if (attempt >= max_attempts) {
          return Status::TransientError(fmt::format("S3 {} {}: cannot reach {} after {} attempts: {}", call.op, where,
                                                    endpoint, attempt, sent.message()),
                                        sent.detail());
        }
        why = sent.message();
      } else {
        const long status = response.status;
        if ((status >= 200 && status < 300) || (call.allow_not_found && status == 404) ||
            (call.allow_bad_range && status == 416)) {
          // CompleteMultipartUpload (and copies) may report an error inside a 200 response.
          if (status == 200 && call.method == "POST" && response.body.find("<Error>") != std::string::npos) {
            S3ErrorInfo info = ParseErrorBody(response.body);
            if (!info.code.empty()) {
              if (!IsRetryableStatus(500, info.code) || attempt >= max_attempts) {
                response.status = IsRetryableStatus(500, info.code) ? 500 : 400;
                return ErrorFor(call, response, info, attempt);
              }
              why = fmt::format("{} in a 200 response", info.code);
            }
          }
          if (why.empty()) return response;
        } else {
          S3ErrorInfo info = ParseErrorBody(response.body);
          if (!IsRetryableStatus(status, info.code) || attempt >= max_attempts) {
            return ErrorFor(call, response, info, attempt);
          }
          why = fmt::format("HTTP {} {}", status, info.code);
        }
      }
      const int64_t wait = BackoffMs(attempt);
      Log(LogLevel::kWarn, "S3 {} {}: {}; retrying in {} ms (attempt {} of {})", call.op, where, why, wait,
          attempt + 1, max_attempts);
      Sleep(wait);
    }
  }
};

S3Client::S3Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
S3Client::~S3Client() = default;

Result<std::unique_ptr<S3Client>> S3Client::Make(S3ClientOptions options) {
  auto impl = std::make_unique<Impl>();
  if (options.region.empty()) options.region = "us-east-1";
  for (char c : options.region) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) {
      return Status::ConfigError(fmt::format("s3_bucket_region: '{}' is not a region name (like eu-west-1)", options.region));
    }
  }
  std::string endpoint = options.endpoint;
  while (!endpoint.empty() && std::isspace(static_cast<unsigned char>(endpoint.back()))) endpoint.pop_back();
  bool aws = false;
  if (endpoint.empty()) {
    impl->scheme = "https";
    impl->authority = fmt::format("s3.{}.amazonaws.com", options.region);
    aws = true;
  } else {
    std::string_view rest = endpoint;
    const size_t sep = rest.find("://");
    if (sep != std::string_view::npos) {
      std::string scheme(rest.substr(0, sep));
      for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (scheme != "http" && scheme != "https") {
        return Status::ConfigError(
            fmt::format("s3_endpoint: '{}' must start with http:// or https://", endpoint));
      }
      impl->scheme = scheme;
      rest.remove_prefix(sep + 3);
    } else {
      impl->scheme = "http";
    }
    const size_t slash = rest.find('/');
    impl->authority = std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos) {
      std::string_view path = rest.substr(slash);
      while (!path.empty() && path.back() == '/') path.remove_suffix(1);
      impl->base_path = std::string(path);
    }
    if (impl->authority.empty() || impl->authority.find_first_of(" @?#") != std::string::npos) {
      return Status::ConfigError(fmt::format("s3_endpoint: '{}' has no valid host (expected like http://minio:9000)", endpoint));
    }
    std::string host = impl->authority.substr(0, impl->authority.rfind(':'));
    aws = EndsWith(host, ".amazonaws.com");
  }
  impl->endpoint = fmt::format("{}://{}{}", impl->scheme, impl->authority, impl->base_path);
  switch (options.addressing) {
    case S3Addressing::kAuto:
      impl->path_style = !aws;
      break;
    case S3Addressing::kPath:
      impl->path_style = true;
      break;
    case S3Addressing::kVirtualHost:
      impl->path_style = false;
      break;
  }
  if (options.credentials.empty()) {
    impl->signer = std::make_unique<AnonymousSigner>();
  } else {
    impl->signer = std::make_unique<SigV4Signer>(options.credentials, options.region, "s3");
  }
  if (!options.transport) options.transport = MakeCurlTransport(options.http);
  impl->options = std::move(options);
  return std::unique_ptr<S3Client>(new S3Client(std::move(impl)));
}

const std::string& S3Client::endpoint() const { return impl_->endpoint; }
bool S3Client::path_style() const { return impl_->path_style; }

std::string S3Client::ObjectUrl(std::string_view bucket, std::string_view key, const QueryParams& query) const {
  return impl_->Url(bucket, key, query);
}

namespace {

void AddPutHeaders(std::vector<HttpHeader>& headers, const S3PutOptions& options) {
  headers.push_back({"content-type", options.content_type});
  for (const HttpHeader& m : options.metadata) headers.push_back({"x-amz-meta-" + m.name, m.value});
}

}  // namespace

Status S3Client::PutObject(std::string_view bucket, std::string_view key, std::string_view body,
                           const S3PutOptions& options) {
  Call call{.op = "PUT", .method = "PUT", .bucket = bucket, .key = key, .body = body};
  AddPutHeaders(call.headers, options);
  return impl_->Execute(call).status();
}

Status S3Client::GetObject(std::string_view bucket, std::string_view key, std::string& out) {
  Call call{.op = "GET", .method = "GET", .bucket = bucket, .key = key};
  SLUICE_ASSIGN_OR_RETURN(HttpResponse response, impl_->Execute(call));
  out = std::move(response.body);
  return Status::Ok();
}

Status S3Client::GetRange(std::string_view bucket, std::string_view key, uint64_t offset, size_t length,
                          std::string& out) {
  out.clear();
  if (length == 0) return Status::Ok();
  Call call{.op = "GET", .method = "GET", .bucket = bucket, .key = key, .allow_bad_range = true};
  call.headers.push_back({"range", fmt::format("bytes={}-{}", offset, offset + length - 1)});
  SLUICE_ASSIGN_OR_RETURN(HttpResponse response, impl_->Execute(call));
  if (response.status == 416) return Status::Ok();  // starts past the end
  if (response.status == 200) {
    // A server that ignores Range sends the whole object: cut the asked window out of it.
    if (offset >= response.body.size()) return Status::Ok();
    out.assign(response.body, static_cast<size_t>(offset), length);
    return Status::Ok();
  }
  out = std::move(response.body);
  if (out.size() > length) out.resize(length);
  return Status::Ok();
}

Result<std::optional<S3Object>> S3Client::HeadObject(std::string_view bucket, std::string_view key) {
  Call call{.op = "HEAD", .method = "HEAD", .bucket = bucket, .key = key, .allow_not_found = true};
  SLUICE_ASSIGN_OR_RETURN(HttpResponse response, impl_->Execute(call));
  if (response.status == 404) return std::optional<S3Object>();
  S3Object object;
  object.key = std::string(key);
  if (const std::string* len = response.Header("content-length")) object.size = static_cast<uint64_t>(ParseInt64(*len, 0));
  if (const std::string* etag = response.Header("etag")) object.etag = *etag;
  if (const std::string* modified = response.Header("last-modified")) {
    object.last_modified_micros = ParseHttpDate(*modified).value_or(0);
  }
  return std::optional<S3Object>(std::move(object));
}

Result<S3ListPage> S3Client::ListObjectsV2(std::string_view bucket, std::string_view prefix,
                                           std::string_view continuation_token, int max_keys,
                                           std::string_view delimiter) {
  Call call{.op = "LIST", .method = "GET", .bucket = bucket};
  call.query.emplace_back("list-type", "2");
  if (!continuation_token.empty()) call.query.emplace_back("continuation-token", std::string(continuation_token));
  if (!delimiter.empty()) call.query.emplace_back("delimiter", std::string(delimiter));
  call.query.emplace_back("max-keys", std::to_string(std::clamp(max_keys, 1, 1000)));
  call.query.emplace_back("prefix", std::string(prefix));
  SLUICE_ASSIGN_OR_RETURN(HttpResponse response, impl_->Execute(call));
  auto root = ParseXml(response.body);
  if (!root.ok()) return root.status().WithContext(fmt::format("S3 LIST s3://{}/{}", bucket, prefix));
  S3ListPage page;
  for (const XmlElement& child : root->children) {
    if (child.name == "Contents") {
      S3Object object;
      object.key = child.ChildText("Key");
      object.size = static_cast<uint64_t>(ParseInt64(child.ChildText("Size"), 0));
      object.etag = child.ChildText("ETag");
      object.last_modified_micros = ParseIsoTime(child.ChildText("LastModified"));
      page.objects.push_back(std::move(object));
    } else if (child.name == "CommonPrefixes") {
      page.common_prefixes.push_back(child.ChildText("Prefix"));
    }
  }
  if (root->ChildText("IsTruncated") == "true") {
    page.next_continuation_token = root->ChildText("NextContinuationToken");
    if (page.next_continuation_token.empty()) {
      return Status::SystemError(
          fmt::format("S3 LIST s3://{}/{}: the server says the listing is truncated but gives no continuation token",
                      bucket, prefix));
    }
  }
  return page;
}

Status S3Client::ListAll(std::string_view bucket, std::string_view prefix,
                         const std::function<Status(const S3Object&)>& visit) {
  std::string token;
  do {
    SLUICE_ASSIGN_OR_RETURN(S3ListPage page, ListObjectsV2(bucket, prefix, token));
    for (const S3Object& object : page.objects) SLUICE_RETURN_IF_ERROR(visit(object));
    if (!page.next_continuation_token.empty() && page.next_continuation_token == token) {
      return Status::SystemError(fmt::format("S3 LIST s3://{}/{}: the server repeats its continuation token", bucket, prefix));
    }
    token = std::move(page.next_continuation_token);
  } while (!token.empty());
  return Status::Ok();
}

Status S3Client::DeleteObjects(std::string_view bucket, std::span<const std::string> keys) {
  constexpr size_t kBatch = 1000;
  for (size_t begin = 0; begin < keys.size(); begin += kBatch) {
    const size_t end = std::min(keys.size(), begin + kBatch);
    std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>";
    for (size_t i = begin; i < end; ++i) {
      body += "<Object><Key>";
      AppendXmlEscaped(body, keys[i]);
      body += "</Key></Object>";
    }
    body += "</Delete>";
    Call call{.op = "DELETE (batch)", .method = "POST", .bucket = bucket, .body = body};
    call.query.emplace_back("delete", "");
    call.headers.push_back({"content-type", "application/xml"});
    call.headers.push_back({"content-md5", Md5Base64(body)});
    SLUICE_ASSIGN_OR_RETURN(HttpResponse response, impl_->Execute(call));
    if (response.body.empty()) continue;
    auto root = ParseXml(response.body);
    if (!root.ok()) return root.status().WithContext(fmt::format("S3 DELETE (batch) s3://{}", bucket));
    for (const XmlElement& child : root->children) {
      if (child.name != "Error") continue;
      const std::string& code = child.ChildText("Code");
      if (code == "NoSuchKey") continue;
      const std::string where = S3Uri(bucket, child.ChildText("Key"));
      if (code == "AccessDenied") {
        return Status::ConfigError(fmt::format("S3 DELETE {}: access denied: the credentials lack delete permission", where),
                                   child.ChildText("Message"));
      }
      return Status::TransientError(fmt::format("S3 DELETE {}: {} {}", where, code, child.ChildText("Message")));
    }
  }
  return Status::Ok();
}

Status S3Client::DeleteObject(std::string_view bucket, std::string_view key) {
  Call call{.op = "DELETE", .method = "DELETE", .bucket = bucket, .key = key, .allow_not_found = true};
  return impl_->Execute(call).status();
}

Status S3Client::CheckBucket(std::string_view bucket) {
  if (bucket.empty()) return Status::ConfigError("s3_bucket_name: empty");
  return ListObjectsV2(bucket, "", {}, 1).status();
}

Result<std::string> S3Client::CreateMultipartUpload(std::string_view bucket, std::string_view key,
                                                    const S3PutOptions& options) {
  Call call{.op = "CreateMultipartUpload", .method = "POST", .bucket = bucket, .key = key};
  call.query.emplace_back("uploads", "");
  AddPutHeaders(call.headers, options);
  SLUICE_ASSIGN_OR_RETURN(HttpResponse response, impl_->Execute(call));
  auto root = ParseXml(response.body);
  if (!root.ok()) return root.status().WithContext(fmt::format("S3 CreateMultipartUpload {}", S3Uri(bucket, key)));
  std::string id = root->ChildText("UploadId");
  if (id.empty()) {
    return Status::SystemError(fmt::format("S3 CreateMultipartUpload {}: no UploadId in the response", S3Uri(bucket, key)));
  }
  return id;
}

Result<std::string> S3Client::UploadPart(std::string_view bucket, std::string_view key, std::string_view upload_id,
                                         int part_number, std::string_view body) {
  const std::string op = fmt::format("UploadPart {}", part_number);
  Call call{.op = op, .method = "PUT", .bucket = bucket, .key = key, .body = body};
  call.query.emplace_back("partNumber", std::to_string(part_number));
  call.query.emplace_back("uploadId", std::string(upload_id));
  call.headers.push_back({"content-type", "application/octet-stream"});
  SLUICE_ASSIGN_OR_RETURN(HttpResponse response, impl_->Execute(call));
  const std::string* etag = response.Header("etag");
  if (etag == nullptr || etag->empty()) {
    return Status::SystemError(fmt::format("S3 {} {}: no ETag in the response", op, S3Uri(bucket, key)));
  }
  return *etag;
}

Status S3Client::CompleteMultipartUpload(std::string_view bucket, std::string_view key, std::string_view upload_id,
                                         std::span<const S3CompletedPart> parts) {
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUpload>";
  for (const S3CompletedPart& part : parts) {
    body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>", part.part_number);
    AppendXmlEscaped(body, part.etag);
    body += "</ETag></Part>";
  }
  body += "</CompleteMultipartUpload>";
  Call call{.op = "CompleteMultipartUpload", .method = "POST", .bucket = bucket, .key = key, .body = body};
  call.query.emplace_back("uploadId", std::string(upload_id));
  call.headers.push_back({"content-type", "application/xml"});
  auto result = impl_->Execute(call);
  if (result.ok()) return Status::Ok();
  // A retry after a lost response finds the upload already completed: the object is there.
  if (result.status().detail().find("NoSuchUpload") != std::string::npos) {
    auto head = HeadObject(bucket, key);
    if (head.ok() && head->has_value()) return Status::Ok();
  }
  return result.status();
}

Status S3Client::AbortMultipartUpload(std::string_view bucket, std::string_view key, std::string_view upload_id) {
  Call call{.op = "AbortMultipartUpload", .method = "DELETE", .bucket = bucket, .key = key, .allow_not_found = true};
  call.query.emplace_back("uploadId", std::string(upload_id));
  return impl_->Execute(call).status();
}

Result<std::vector<S3MultipartUpload>> S3Client::ListMultipartUploads(std::string_view bucket, std::string_view prefix) {
  Call call{.op = "ListMultipartUploads", .method = "GET", .bucket = bucket};
  call.query.emplace_back("prefix", std::string(prefix));
  call.query.emplace_back("uploads", "");
  SLUICE_ASSIGN_OR_RETURN(HttpResponse response, impl_->Execute(call));
  auto root = ParseXml(response.body);
  if (!root.ok()) return root.status().WithContext(fmt::format("S3 ListMultipartUploads s3://{}/{}", bucket, prefix));
  std::vector<S3MultipartUpload> uploads;
  for (const XmlElement& child : root->children) {
    if (child.name != "Upload") continue;
    uploads.push_back({child.ChildText("Key"), child.ChildText("UploadId"), ParseIsoTime(child.ChildText("Initiated"))});
  }
  return uploads;
}

}  // namespace sluice
