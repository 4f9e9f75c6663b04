#include "connectors/destinations/postgres/pg_identifiers.h"

#include <fmt/format.h>

#include <unordered_set>

namespace sluice {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid (NUL counts as invalid here).
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  const size_t left = s.size() - i;
  auto cont = [&](size_t k) { return (b(k) & 0xC0) == 0x80; };
  if (c == 0) return 0;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !cont(i + 1) || !cont(i + 2)) return 0;
    if (c == 0xE0 && b(i + 1) < 0xA0) return 0;
    if (c == 0xED && b(i + 1) > 0x9F) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    if (c == 0xF0 && b(i + 1) < 0x90) return 0;
    if (c == 0xF4 && b(i + 1) > 0x8F) return 0;
    return 4;
  }
  return 0;
}

}  // namespace

uint64_t Fnv1a64(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string PgIdentifier(std::string_view name, size_t max_bytes) {
  std::string clean;
  clean.reserve(name.size());
  for (size_t i = 0; i < name.size();) {
    const size_t n = Utf8Length(name, i);
    if (n == 0) {
      clean.push_back('_');
      ++i;
    } else {
      clean.append(name.data() + i, n);
      i += n;
    }
  }
  if (clean.empty()) clean.push_back('_');
  if (clean.size() <= max_bytes) return clean;
  // The hash is of the original name, so names that differ only in replaced bytes stay apart.
  const std::string suffix = fmt::format("_{:08x}", static_cast<uint32_t>(Fnv1a64(name) >> 32));
  size_t keep = max_bytes - suffix.size();
  while (keep > 0 && (static_cast<uint8_t>(clean[keep]) & 0xC0) == 0x80) --keep;  // not inside a character
  clean.resize(keep);
  clean.append(suffix);
  return clean;
}

std::vector<std::string> AssignColumnNames(const std::vector<std::string>& fields,
                                           const std::vector<std::string>& reserved) {
  std::unordered_set<std::string> taken(reserved.begin(), reserved.end());
  std::vector<std::string> out;
  out.reserve(fields.size());
  // First pass: names that are fine as they are win over suffixed ones, whatever the order.
  std::vector<bool> done(fields.size(), false);
  out.resize(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string name = PgIdentifier(fields[i]);
    if (taken.insert(name).second) {
      out[i] = std::move(name);
      done[i] = true;
    }
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (done[i]) continue;
    for (int k = 2;; ++k) {
      std::string name = PgIdentifier(fmt::format("{}_{}", fields[i], k));
      if (taken.insert(name).second) {
        out[i] = std::move(name);
        break;
      }
    }
  }
  return out;
}

std::string RawTableName(std::string_view namespace_, std::string_view stream) {
  return PgIdentifier(fmt::format("{}_raw__stream_{}", namespace_, stream));
}

std::string TmpTableName(std::string_view table) { return PgIdentifier(fmt::format("{}_airbyte_tmp", table)); }

}  // namespace sluice
