#pragma once
// Small text helpers shared across layers: UTF-8 sequence checks, URL percent-decoding, joining
// lists and "did you mean" hints for messages.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

//! Length (1 to 4) of the valid UTF-8 sequence starting at s[i], or 0 when the bytes there are
//! not valid UTF-8 (a stray continuation byte, an overlong form, a surrogate, past U+10FFFF, or a
//! sequence cut off by the end of `s`). An ASCII byte, NUL included, is a sequence of length 1.
//! REQUIRES: i < s.size().
size_t Utf8SequenceLength(std::string_view s, size_t i);

//! `text` with every %XX escape decoded. An escape that is not '%' and two hex digits is kept
//! as it is, and `*all_valid` (when given) is set to false.
std::string PercentDecode(std::string_view text, bool* all_valid = nullptr);

//! The items separated by `separator`: {"a", "b"} → "a, b".
std::string JoinText(const std::vector<std::string>& items, std::string_view separator = ", ");

//! Levenshtein distance (insertions, deletions, substitutions of bytes).
size_t EditDistance(std::string_view a, std::string_view b);

//! "; did you mean 'streams'?" when one of `candidates` is close to `word` (a typo), else "".
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

//! Standard base64 (RFC 4648 §4, with '=' padding).
std::string Base64Encode(std::string_view data);
//! Decodes standard or URL-safe base64 (padding optional, whitespace skipped); nullopt when
//! `text` is not base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace sluice
