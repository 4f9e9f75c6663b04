#pragma once
// Request signing for S3: the RequestSigner seam, AWS Signature Version 4 (header-based,
// AWS4-HMAC-SHA256) and the hashing helpers it needs (OpenSSL).
//
// A signer never logs and never puts a secret into anything but the Authorization signature.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/http_client.h"  // HttpHeader

namespace sluice {

//! AWS credentials. `session_token` is set for temporary (STS) credentials only.
struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;

  //! True when there is no key pair: requests are then sent unsigned (public buckets).
  bool empty() const { return access_key_id.empty() && secret_access_key.empty(); }
};

//! What a signer sees of a request.
struct SignableRequest {
  std::string method;  //!< "GET", "PUT", ...
  //! The URI-encoded absolute path exactly as sent ("/bucket/a%20b.txt"); see UriEncodePath.
  std::string path;
  //! Query parameters as raw (not encoded) name/value pairs; a flag parameter has an empty value.
  std::vector<std::pair<std::string, std::string>> query;
  //! Every header that is sent and signed; must include "host". The signer appends its own.
  std::vector<HttpHeader> headers;
  //! Lowercase hex SHA-256 of the body, or "UNSIGNED-PAYLOAD".
  std::string payload_hash;
};

//! Adds authentication to requests. Implementations are immutable after construction and may be
//! used from several threads at once.
class RequestSigner {
 public:
  virtual ~RequestSigner() = default;
  //! Appends the authentication headers for the time `now_micros` (µs since the epoch, UTC).
  virtual void Sign(SignableRequest& request, int64_t now_micros) const = 0;
};

//! AWS Signature Version 4 in the Authorization header. Appends x-amz-date,
//! x-amz-security-token (with a session token) and authorization; every header already in the
//! request is signed except user-agent and expect.
class SigV4Signer final : public RequestSigner {
 public:
  SigV4Signer(S3Credentials credentials, std::string region, std::string service = "s3");

  void Sign(SignableRequest& request, int64_t now_micros) const override;

  // The steps, exposed for tests against AWS's published vectors.
  //! Method, path, canonical query, canonical headers, signed header list, payload hash.
  static std::string CanonicalRequest(const SignableRequest& request, std::string* signed_headers = nullptr);
  //! "AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex sha256 of the canonical request>".
  std::string StringToSign(std::string_view canonical_request, std::string_view amz_date) const;
  //! Hex HMAC of the string to sign under the key derived for `amz_date`'s day.
  std::string Signature(std::string_view string_to_sign, std::string_view amz_date) const;

 private:
  S3Credentials credentials_;
  std::string region_;
  std::string service_;
};

//! Sends requests without authentication (anonymous access to public buckets).
class AnonymousSigner final : public RequestSigner {
 public:
  void Sign(SignableRequest& request, int64_t now_micros) const override;
};

//! "20150830T123600Z" for µs since the epoch.
std::string AmzDate(int64_t micros);

//! Percent-encodes every byte except A-Z a-z 0-9 - _ . ~ (uppercase hex), as SigV4 asks for query
//! names and values; with `keep_slash`, '/' stays too (object key paths).
void AppendUriEncoded(std::string& out, std::string_view text, bool keep_slash);
std::string UriEncode(std::string_view text);
//! UriEncode keeping '/': "/bucket/a b/ሴ" → "/bucket/a%20b/%E1%88%B4".
std::string UriEncodePath(std::string_view path);
//! Decodes %XX escapes (and, when `plus_is_space`, '+' as ' '); invalid escapes stay as they are.
std::string UriDecode(std::string_view text, bool plus_is_space = false);

//! Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
//! Raw 32-byte HMAC-SHA256.
std::string HmacSha256(std::string_view key, std::string_view data);
//! Base64 of the raw MD5 of `data` (the Content-Md5 header).
std::string Md5Base64(std::string_view data);
//! Lowercase hex of raw bytes.
std::string HexEncode(std::string_view bytes);

//! SHA-256 of the empty string, in hex (the payload hash of body-less requests).
inline constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

}  // namespace sluice
