#include "connectors/destinations/postgres/pg_identifiers.h"

#include <fmt/format.h>

#include <unordered_set>

#include "base/text.h"

namespace sluice {

namespace {

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
    const size_t n = name[i] == '\0' ? 0 : Utf8SequenceLength(name, i);  // NUL is invalid here
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
