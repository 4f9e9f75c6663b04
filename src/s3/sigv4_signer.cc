#include "s3/sigv4_signer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>

#include "base/time.h"

namespace sluice {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kHexLower[] = "0123456789abcdef";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims both ends and collapses runs of spaces into one, as SigV4's canonical header values ask.
void AppendTrimmed(std::string& out, std::string_view value) {
  size_t begin = 0, end = value.size();
  while (begin < end && (value[begin] == ' ' || value[begin] == '\t')) ++begin;
  while (end > begin && (value[end - 1] == ' ' || value[end - 1] == '\t')) --end;
  bool in_space = false;
  for (size_t i = begin; i < end; ++i) {
    const char c = value[i];
    if (c == ' ' || c == '\t') {
      if (!in_space) out += ' ';
      in_space = true;
    } else {
      out += c;
      in_space = false;
    }
  }
}

}  // namespace

// ---- Helpers ---------------------------------------------------------------------------------

void AppendUriEncoded(std::string& out, std::string_view text, bool keep_slash) {
  for (unsigned char c : text) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHexUpper[c >> 4];
      out += kHexUpper[c & 15];
    }
  }
}

std::string UriEncode(std::string_view text) {
  std::string out;
  AppendUriEncoded(out, text, false);
  return out;
}

std::string UriEncodePath(std::string_view path) {
  std::string out;
  AppendUriEncoded(out, path, true);
  return out;
}

std::string UriDecode(std::string_view text, bool plus_is_space) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex(text[i + 1]);
      const int lo = hex(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && text[i] == '+') ? ' ' : text[i];
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHexLower[c >> 4];
    out += kHexLower[c & 15];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string Md5Base64(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr);
  unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(encoded, digest, static_cast<int>(length));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(n));
}

std::string AmzDate(int64_t micros) {
  int64_t days = micros / kMicrosPerDay;
  int64_t of_day = micros % kMicrosPerDay;
  if (of_day < 0) {
    of_day += kMicrosPerDay;
    --days;
  }
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, year, month, day);
  const int64_t seconds = of_day / kMicrosPerSecond;
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", year, month, day, seconds / 3600, seconds / 60 % 60,
                     seconds % 60);
}

// ---- SigV4Signer -----------------------------------------------------------------------------

SigV4Signer::SigV4Signer(S3Credentials credentials, std::string region, std::string service)
    : credentials_(std::move(credentials)), region_(std::move(region)), service_(std::move(service)) {}

std::string SigV4Signer::CanonicalRequest(const SignableRequest& request, std::string* signed_headers) {
  std::string out = request.method;
  out += '\n';
  out += request.path.empty() ? "/" : request.path;
  out += '\n';

  std::vector<std::pair<std::string, std::string>> query;
  query.reserve(request.query.size());
  for (const auto& [name, value] : request.query) query.emplace_back(UriEncode(name), UriEncode(value));
  std::sort(query.begin(), query.end());
  for (size_t i = 0; i < query.size(); ++i) {
    if (i > 0) out += '&';
    out += query[i].first;
    out += '=';
    out += query[i].second;
  }
  out += '\n';

  // Lowercase names, sorted; repeated names joined with ',' in the order given.
  std::map<std::string, std::string> headers;
  for (const HttpHeader& h : request.headers) {
    std::string name = ToLower(h.name);
    if (name == "user-agent" || name == "expect" || name == "authorization") continue;
    auto [it, inserted] = headers.try_emplace(std::move(name));
    if (!inserted) it->second += ',';
    AppendTrimmed(it->second, h.value);
  }
  std::string names;
  for (const auto& [name, value] : headers) {
    out += name;
    out += ':';
    out += value;
    out += '\n';
    if (!names.empty()) names += ';';
    names += name;
  }
  out += '\n';
  out += names;
  out += '\n';
  out += request.payload_hash;
  if (signed_headers) *signed_headers = std::move(names);
  return out;
}

std::string SigV4Signer::StringToSign(std::string_view canonical_request, std::string_view amz_date) const {
  return fmt::format("AWS4-HMAC-SHA256\n{}\n{}/{}/{}/aws4_request\n{}", amz_date, amz_date.substr(0, 8), region_,
                     service_, Sha256Hex(canonical_request));
}

std::string SigV4Signer::Signature(std::string_view string_to_sign, std::string_view amz_date) const {
  std::string key = HmacSha256("AWS4" + credentials_.secret_access_key, amz_date.substr(0, 8));
  key = HmacSha256(key, region_);
  key = HmacSha256(key, service_);
  key = HmacSha256(key, "aws4_request");
  return HexEncode(HmacSha256(key, string_to_sign));
}

void SigV4Signer::Sign(SignableRequest& request, int64_t now_micros) const {
  const std::string amz_date = AmzDate(now_micros);
  request.headers.push_back({"x-amz-date", amz_date});
  if (!credentials_.session_token.empty()) {
    request.headers.push_back({"x-amz-security-token", credentials_.session_token});
  }
  std::string signed_headers;
  const std::string canonical = CanonicalRequest(request, &signed_headers);
  const std::string signature = Signature(StringToSign(canonical, amz_date), amz_date);
  request.headers.push_back(
      {"authorization", fmt::format("AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/aws4_request, SignedHeaders={}, Signature={}",
                                    credentials_.access_key_id, amz_date.substr(0, 8), region_, service_,
                                    signed_headers, signature)});
}

void AnonymousSigner::Sign(SignableRequest& request, int64_t now_micros) const {
  request.headers.push_back({"x-amz-date", AmzDate(now_micros)});
}

}  // namespace sluice
