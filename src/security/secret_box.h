#pragma once
// SecretBox: authenticated encryption of secrets at rest (libsodium crypto_secretbox_easy,
// XSalsa20-Poly1305) to a versioned text form that fits a TEXT column:
//
//   v1:<base64 of nonce (24 bytes) || MAC (16 bytes) || ciphertext>
//
// Every Encrypt draws a fresh random nonce, so equal plaintexts give different texts. Decrypt
// authenticates before returning anything: a wrong key, a truncated or edited text all fail
// with one message that quotes neither the text nor the key. Where the key comes from:
// secret_key.h. Thread-safe (immutable after construction); the key bytes are wiped on
// destruction.

#include <array>
#include <string>
#include <string_view>

#include "base/status.h"

namespace sluice {

class SecretBox {
 public:
  static constexpr size_t kKeyBytes = 32;
  //! The prefix of the current text form.
  static constexpr std::string_view kVersionPrefix = "v1:";

  //! A box using `key`. ConfigError when `key` is not kKeyBytes long; SystemError when
  //! libsodium cannot start.
  static Result<SecretBox> FromKey(std::string_view key);
  //! A box with a fresh random key (tests, and the key file created on first use).
  static Result<SecretBox> WithRandomKey();

  SecretBox(const SecretBox& other) = default;
  SecretBox& operator=(const SecretBox& other) = default;
  ~SecretBox();

  //! `plaintext` encrypted, in the text form above.
  std::string Encrypt(std::string_view plaintext) const;
  //! The plaintext of `text`. ConfigError when `text` is not in a known text form;
  //! ConfigError "wrong key or tampered data" when authentication fails.
  Result<std::string> Decrypt(std::string_view text) const;

  //! True when `text` has the shape of an encrypted secret (its version prefix); says nothing
  //! about whether it decrypts.
  static bool LooksEncrypted(std::string_view text);

  //! The raw key, to write it to a key file. Handle with care.
  std::string_view key() const {
    return {reinterpret_cast<const char*>(key_.data()), key_.size()};
  }

 private:
  SecretBox() = default;
  std::array<unsigned char, kKeyBytes> key_{};
};

}  // namespace sluice
