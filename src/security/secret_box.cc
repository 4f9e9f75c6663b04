#include "security/secret_box.h"

#include <sodium.h>

#include "security/sodium_util.h"

namespace sluice {

static_assert(SecretBox::kKeyBytes == crypto_secretbox_KEYBYTES);

Result<SecretBox> SecretBox::FromKey(std::string_view key) {
  SLUICE_RETURN_IF_ERROR(EnsureSodium());
  if (key.size() != kKeyBytes) {
    return Status::ConfigError("a secret key must be " + std::to_string(kKeyBytes) + " bytes, got " +
                               std::to_string(key.size()));
  }
  SecretBox box;
  std::copy(key.begin(), key.end(), box.key_.begin());
  return box;
}

Result<SecretBox> SecretBox::WithRandomKey() {
  SLUICE_RETURN_IF_ERROR(EnsureSodium());
  SecretBox box;
  crypto_secretbox_keygen(box.key_.data());
  return box;
}

SecretBox::~SecretBox() { sodium_memzero(key_.data(), key_.size()); }

std::string SecretBox::Encrypt(std::string_view plaintext) const {
  std::string sealed(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(sealed.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        plaintext.size(), nonce, key_.data());
  std::string text(kVersionPrefix);
  text += Base64Encode(sealed, Base64Variant::kStandard);
  sodium_memzero(sealed.data(), sealed.size());
  return text;
}

Result<std::string> SecretBox::Decrypt(std::string_view text) const {
  if (!LooksEncrypted(text)) {
    return Status::ConfigError("cannot decrypt secret: not an encrypted secret (expected the form v1:<base64>)");
  }
  Result<std::string> sealed = Base64Decode(text.substr(kVersionPrefix.size()), Base64Variant::kStandard);
  if (!sealed.ok()) return Status::ConfigError("cannot decrypt secret: the encrypted text is not valid base64");
  if (sealed->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return Status::ConfigError("cannot decrypt secret: the encrypted text is truncated");
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed->data());
  const size_t cipher_len = sealed->size() - crypto_secretbox_NONCEBYTES;
  std::string plaintext(cipher_len - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plaintext.data()),
                                 nonce + crypto_secretbox_NONCEBYTES, cipher_len, nonce, key_.data()) != 0) {
    return Status::ConfigError(
        "cannot decrypt secret: wrong key or tampered data (was SLUICE_SECRET_KEY or the key file changed?)");
  }
  return plaintext;
}

bool SecretBox::LooksEncrypted(std::string_view text) { return text.starts_with(kVersionPrefix); }

}  // namespace sluice
