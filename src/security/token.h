#pragma once
// Bearer tokens: session tokens (the UI's cookie) and API keys (scripts). A token is 32 random
// bytes in URL-safe base64 without padding (43 characters); an API key carries the prefix "sk_"
// so it is recognisable in a config file or a leaked log (and by secret scanners). Only the
// SHA-256 of a token is stored (TokenHash): a stolen metadata store grants no access. Tokens
// are high-entropy, so a fast hash is enough (no argon2 needed); look-ups go by hash, and a
// comparison of hashes uses ConstantTimeEquals.

#include <string>
#include <string_view>

#include "base/status.h"

namespace sluice {

inline constexpr std::string_view kApiKeyPrefix = "sk_";
inline constexpr size_t kTokenRandomBytes = 32;

//! A new session token (43 URL-safe characters). SystemError only when libsodium cannot start.
Result<std::string> NewSessionToken();
//! A new API key: "sk_" + 43 URL-safe characters.
Result<std::string> NewApiKey();
//! True when `token` has the shape NewApiKey makes (prefix and length; says nothing of validity).
bool LooksLikeApiKey(std::string_view token);

//! The lowercase hex SHA-256 of `token` (64 characters): what is stored and looked up.
std::string TokenHash(std::string_view token);

//! Equality that takes the same time wherever the first difference is (sodium_memcmp). Strings
//! of different lengths are unequal at once: compare fixed-length values such as TokenHash.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace sluice
