#pragma once
// Where the SecretBox key comes from: the environment variable SLUICE_SECRET_KEY (base64 of 32
// bytes, e.g. `openssl rand -base64 32`) or, when it is unset, the key file <data dir>/secret.key,
// created with a fresh random key (mode 0600) on first use. A key file that group or others may
// read is refused: chmod 600 fixes it. No message quotes a key.
//
// Losing the key loses every stored secret (connector passwords must then be entered again), so
// the key file belongs in backups of the data dir, kept apart from metadata-store dumps.

#include <string>
#include <string_view>

#include "base/status.h"
#include "security/secret_box.h"

namespace sluice {

inline constexpr std::string_view kSecretKeyEnvVar = "SLUICE_SECRET_KEY";
inline constexpr std::string_view kSecretKeyFileName = "secret.key";

struct LoadedSecretKey {
  SecretBox box;
  std::string origin;    //!< "SLUICE_SECRET_KEY" or the key file's path: for the startup log line
  bool created = false;  //!< a new key file was written
};

//! The server's key: $SLUICE_SECRET_KEY when set and not empty, else <data_dir>/secret.key
//! (the folder is created when missing). Errors are config errors naming the source.
Result<LoadedSecretKey> LoadSecretKey(const std::string& data_dir);

//! A box from the base64 text of a key; `origin` names the source in error messages.
Result<SecretBox> SecretBoxFromBase64Key(std::string_view base64_key, std::string_view origin);

//! A box from a key file holding the base64 text of a key (surrounding whitespace ignored).
//! When the file is missing and `create_if_missing`, a random key is written first: to a temp
//! file that is then hard-linked into place, so concurrent starts agree on one key and a crash
//! never leaves a half-written key file.
Result<SecretBox> SecretBoxFromKeyFile(const std::string& path, bool create_if_missing);

}  // namespace sluice
