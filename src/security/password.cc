#include "security/password.h"

#include <sodium.h>

#include "security/sodium_util.h"

namespace sluice {

namespace {

constexpr unsigned long long kOpsLimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
constexpr size_t kMemLimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;

}  // namespace

Result<std::string> HashPassword(std::string_view password) {
  SLUICE_RETURN_IF_ERROR(EnsureSodium());
  char out[crypto_pwhash_argon2id_STRBYTES];
  if (crypto_pwhash_argon2id_str(out, password.data(), password.size(), kOpsLimit, kMemLimit) != 0) {
    return Status::SystemError("cannot hash a password: out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  if (!EnsureSodium().ok()) return false;
  // libsodium wants a NUL-terminated string within crypto_pwhash_STRBYTES.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

bool PasswordNeedsRehash(std::string_view hash) {
  if (!EnsureSodium().ok()) return true;
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return true;
  const std::string terminated(hash);
  // 0: current; 1: other limits; -1: not an argon2id string (argon2i or garbage).
  return crypto_pwhash_argon2id_str_needs_rehash(terminated.c_str(), kOpsLimit, kMemLimit) != 0;
}

}  // namespace sluice
