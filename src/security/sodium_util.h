#pragma once
// Small libsodium helpers shared by the security module: one-time initialisation and base64.

#include <string>
#include <string_view>

#include "base/status.h"

namespace sluice {

//! Initialises libsodium once per process (thread-safe). A failure (no entropy source) is a
//! system error; every function of this module that needs libsodium calls it first.
Status EnsureSodium();

enum class Base64Variant {
  kStandard,    //!< RFC 4648 alphabet with '=' padding (keys, encrypted secrets)
  kUrlNoPadding //!< '-' and '_' instead of '+' and '/', no padding (tokens in URLs and headers)
};

//! `bytes` in base64.
std::string Base64Encode(std::string_view bytes, Base64Variant variant);
//! The bytes of `text`, or ConfigError "not valid base64" (the text itself is never quoted: it
//! may be a secret). Surrounding whitespace is not accepted.
Result<std::string> Base64Decode(std::string_view text, Base64Variant variant);

}  // namespace sluice
