#pragma once
// Secrets inside connector configs: the values whose spec property has `airbyte_secret: true`
// (also inside oneOf/anyOf/allOf branches, nested objects and arrays of objects; which values
// are secret is decided by SecretPaths in protocol/config_validator.h, and masking for
// API responses is its MaskSecrets).
//
// At rest a config is stored whole and encrypted (EncryptConfig): simpler and safer than
// encrypting only the marked values — nothing depends on the spec to decrypt, a spec that changes
// between connector versions cannot strand a value, and a sensitive value the spec forgot to mark
// (an external connector's) is protected too. The price, that stored configs cannot be queried,
// does not matter: the API reads them by id.

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "protocol/config_validator.h"  // MaskSecrets, SecretPaths, kSecretMask
#include "security/secret_box.h"

namespace sluice {

//! `config` serialized and encrypted: what the metadata store keeps.
std::string EncryptConfig(const SecretBox& box, const Json& config);
//! The config EncryptConfig stored. Errors: those of SecretBox::Decrypt, or SystemError when
//! the plaintext is not JSON (never quoted).
Result<Json> DecryptConfig(const SecretBox& box, std::string_view text);

//! The config an update stores: `new_config` where every secret whose value is the mask
//! ("**********", as the API returned it) takes the value at the same path in `old_config`.
//! ConfigError naming the path when a masked secret has no stored value to keep (the user must
//! type it). A secret given in clear replaces the old one.
Result<Json> MergeSecrets(const Json& spec, const Json& old_config, const Json& new_config);

//! The secret values of `config` as they can appear in text: each string value (numbers as
//! JSON text; objects and arrays by their leaves; booleans and nulls are no secret), plus its JSON-escaped form when
//! that differs. Empty values and the mask are left out; longest first, without duplicates.
std::vector<std::string> CollectSecretValues(const Json& spec, const Json& config);

//! A notification webhook URL as stored: `stored` is SecretBox text (what the API writes), or a
//! URL in clear (written before URLs were encrypted), returned as it is.
Result<std::string> DecryptWebhookUrl(const SecretBox& box, std::string_view stored);

//! Replaces every occurrence of the given secret values in text with "**********". Build once
//! per config and reuse for every log line of a run. Thread-safe (immutable).
class SecretRedactor {
 public:
  SecretRedactor() = default;
  explicit SecretRedactor(std::vector<std::string> secrets);
  //! The redactor for the secrets of `config` (CollectSecretValues).
  static SecretRedactor ForConfig(const Json& spec, const Json& config);

  std::string Redact(std::string_view text) const;
  bool empty() const { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;  // longest first, so a secret containing another goes whole
};

//! `text` with the secret values of `config` replaced by the mask (one-off use; prefer a
//! SecretRedactor for many lines).
std::string RedactSecrets(const Json& spec, const Json& config, std::string_view text);

}  // namespace sluice
