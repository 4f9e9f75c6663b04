#pragma once
// Password hashing with argon2id (libsodium crypto_pwhash, "interactive" limits: 2 passes over
// 64 MiB, about 0.1–0.5 s per hash on this class of machine). The stored form is libsodium's
// self-describing string ("$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>"), so raising the limits
// later only needs PasswordNeedsRehash at the next successful login.

#include <string>
#include <string_view>

#include "base/status.h"

namespace sluice {

//! The argon2id hash string of `password` with a random salt. SystemError when the memory for
//! the hash cannot be had (the only way it fails).
Result<std::string> HashPassword(std::string_view password);

//! True when `password` matches `hash` (a string made by HashPassword, or any argon2i/argon2id
//! string libsodium knows). A malformed hash never matches.
bool VerifyPassword(std::string_view hash, std::string_view password);

//! True when `hash` was made with other limits or another algorithm than HashPassword uses now
//! (hash the password again after verifying it), or is not a valid hash string.
bool PasswordNeedsRehash(std::string_view hash);

}  // namespace sluice
