#include "security/token.h"

#include <sodium.h>

#include "security/sodium_util.h"

namespace sluice {

namespace {

Result<std::string> RandomToken() {
  SLUICE_RETURN_IF_ERROR(EnsureSodium());
  unsigned char bytes[kTokenRandomBytes];
  randombytes_buf(bytes, sizeof bytes);
  std::string token = Base64Encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes),
                                   Base64Variant::kUrlNoPadding);
  sodium_memzero(bytes, sizeof bytes);
  return token;
}

constexpr size_t kTokenChars = (kTokenRandomBytes * 4 + 2) / 3;  // 43

}  // namespace

Result<std::string> NewSessionToken() { return RandomToken(); }

Result<std::string> NewApiKey() {
  SLUICE_ASSIGN_OR_RETURN(std::string token, RandomToken());
  return std::string(kApiKeyPrefix) + token;
}

bool LooksLikeApiKey(std::string_view token) {
  if (!token.starts_with(kApiKeyPrefix) || token.size() != kApiKeyPrefix.size() + kTokenChars) return false;
  for (char c : token.substr(kApiKeyPrefix.size())) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string TokenHash(std::string_view token) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace sluice
