#pragma once
// S3Client: the S3 REST calls sluice needs, signed with SigV4, with retries.
//
// Addressing: path-style (http://minio:9000/bucket/key) or virtual-host
// (https://bucket.s3.eu-west-1.amazonaws.com/key). Every call is retried with exponential
// backoff and jitter on connection errors, 5xx, 429/503 throttling (SlowDown) and request
// timeouts; bodies are held by the caller, so a retry resends the same bytes.
//
// Errors name the operation and the object ("S3 PUT s3://bkt/a/b.parquet: ...") and never contain
// credentials:
//   - wrong secret (SignatureDoesNotMatch), unknown key id (InvalidAccessKeyId), AccessDenied,
//     expired token, wrong region, clock skew, a missing bucket (NoSuchBucket) or object
//     (NoSuchKey), other 4xx → ConfigError naming the problem;
//   - connection refused / reset / timeouts / 5xx / throttling still failing after the last
//     attempt → TransientError.
//
// Thread-safety: every method may be called from several threads at once.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "http/http_client.h"
#include "s3/sigv4_signer.h"

namespace sluice {

enum class S3Addressing {
  kAuto,         //!< path-style with a custom endpoint (MinIO & co.), virtual-host on AWS
  kPath,         //!< http(s)://endpoint/bucket/key
  kVirtualHost,  //!< http(s)://bucket.endpoint/key
};

struct S3ClientOptions {
  //! "http://minio:9000", "https://s3.example.com"; empty: AWS (https://s3.<region>.amazonaws.com).
  //! A bare "host:port" means http.
  std::string endpoint;
  std::string region = "us-east-1";  //!< empty means us-east-1
  S3Credentials credentials;         //!< empty: requests go unsigned
  S3Addressing addressing = S3Addressing::kAuto;
  int max_attempts = 5;                 //!< tries per call, including the first
  int64_t initial_backoff_ms = 200;     //!< the first retry waits about this long (jittered)
  int64_t max_backoff_ms = 5'000;       //!< cap of one wait
  bool sign_payload = true;             //!< SHA-256 of bodies in the signature (else UNSIGNED-PAYLOAD)
  HttpTransportOptions http;
  //! Tests: the transport (default: libcurl), the signing clock (default: wall clock), and the
  //! sleep between retries (default: std::this_thread::sleep_for).
  std::shared_ptr<HttpTransport> transport;
  std::function<int64_t()> now_micros;
  std::function<void(int64_t ms)> sleep_ms;
};

//! Reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
S3Credentials CredentialsFromEnvironment();

struct S3Object {
  std::string key;
  uint64_t size = 0;
  int64_t last_modified_micros = 0;  //!< µs since the epoch, UTC
  std::string etag;                  //!< as the server sent it (with quotes)
};

struct S3ListPage {
  std::vector<S3Object> objects;
  std::vector<std::string> common_prefixes;  //!< with a delimiter
  //! Set when there are more keys: pass it to the next ListObjectsV2 call.
  std::string next_continuation_token;
};

struct S3MultipartUpload {
  std::string key;
  std::string upload_id;
  int64_t initiated_micros = 0;
};

struct S3CompletedPart {
  int part_number = 0;  //!< 1..10000
  std::string etag;
};

//! User metadata (sent as x-amz-meta-<name>) and the content type of a new object.
struct S3PutOptions {
  std::string content_type = "application/octet-stream";
  std::vector<HttpHeader> metadata;  //!< names without the x-amz-meta- prefix
};

class S3Client {
 public:
  //! Checks the endpoint (scheme, host) and region; no I/O. ConfigErrors name `s3_endpoint`.
  static Result<std::unique_ptr<S3Client>> Make(S3ClientOptions options);
  ~S3Client();

  //! Stores `body` as one object (up to 5 GB; larger objects need a multipart upload).
  Status PutObject(std::string_view bucket, std::string_view key, std::string_view body,
                   const S3PutOptions& options = {});
  //! The whole object into `out` (replacing its content).
  Status GetObject(std::string_view bucket, std::string_view key, std::string& out);
  //! Bytes [offset, offset + length) into `out`; fewer at the end of the object, none past it.
  Status GetRange(std::string_view bucket, std::string_view key, uint64_t offset, size_t length, std::string& out);
  //! The object's size, modification time and ETag; nullopt when it does not exist.
  Result<std::optional<S3Object>> HeadObject(std::string_view bucket, std::string_view key);
  //! One page (up to `max_keys`, ≤ 1000) of the keys starting with `prefix`, in key order.
  //! `continuation_token` is empty for the first page. With a `delimiter` ("/"), keys with more
  //! after the prefix are folded into common_prefixes.
  Result<S3ListPage> ListObjectsV2(std::string_view bucket, std::string_view prefix,
                                   std::string_view continuation_token = {}, int max_keys = 1000,
                                   std::string_view delimiter = {});
  //! Every key starting with `prefix`, following continuation tokens; `visit` may stop the walk
  //! by returning an error (which is returned).
  Status ListAll(std::string_view bucket, std::string_view prefix, const std::function<Status(const S3Object&)>& visit);
  //! Deletes `keys` in batches of 1000 (missing keys are not an error). The first key S3 reports
  //! it could not delete is an error naming it.
  Status DeleteObjects(std::string_view bucket, std::span<const std::string> keys);
  //! Deletes one object (missing is not an error).
  Status DeleteObject(std::string_view bucket, std::string_view key);
  //! Fails with a ConfigError when the bucket does not exist or the credentials cannot list it.
  Status CheckBucket(std::string_view bucket);

  // Multipart upload. Parts other than the last must be ≥ 5 MiB.
  Result<std::string> CreateMultipartUpload(std::string_view bucket, std::string_view key,
                                            const S3PutOptions& options = {});
  //! Returns the part's ETag.
  Result<std::string> UploadPart(std::string_view bucket, std::string_view key, std::string_view upload_id,
                                 int part_number, std::string_view body);
  //! `parts` in ascending part number order.
  Status CompleteMultipartUpload(std::string_view bucket, std::string_view key, std::string_view upload_id,
                                 std::span<const S3CompletedPart> parts);
  //! An upload that is already gone (completed or aborted) is not an error.
  Status AbortMultipartUpload(std::string_view bucket, std::string_view key, std::string_view upload_id);
  //! Uploads in progress under `prefix` (first 1000).
  Result<std::vector<S3MultipartUpload>> ListMultipartUploads(std::string_view bucket, std::string_view prefix);

  //! The endpoint requests go to, for messages ("http://127.0.0.1:9000").
  const std::string& endpoint() const;
  //! Whether requests use path-style addressing.
  bool path_style() const;

  //! The URL of `key` in `bucket` with `query` (exposed for tests). Query names and values are
  //! raw; they are encoded as SigV4 requires.
  std::string ObjectUrl(std::string_view bucket, std::string_view key,
                        const std::vector<std::pair<std::string, std::string>>& query = {}) const;

 private:
  struct Impl;
  explicit S3Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

//! "s3://bucket/key" for messages.
std::string S3Uri(std::string_view bucket, std::string_view key);

//! Parses an HTTP date ("Wed, 12 Oct 2009 17:50:00 GMT") into µs since the epoch.
std::optional<int64_t> ParseHttpDate(std::string_view text);

}  // namespace sluice
