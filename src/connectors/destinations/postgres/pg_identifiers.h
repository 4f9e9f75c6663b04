#pragma once
// Table and column names for destination-postgres. Names are kept as they are (case, spaces,
// quotes, unicode, reserved words: they are always quoted with QuoteIdent); only what PostgreSQL
// cannot hold is changed:
//   - a NUL byte or an invalid UTF-8 byte becomes '_', an empty name "_";
//   - a name longer than 63 bytes (NAMEDATALEN - 1) keeps its longest prefix that ends on a
//     character boundary and leaves room for "_" + 8 hex digits of a hash of the whole name, so
//     the result is deterministic and two long names that differ anywhere stay distinct.
// Pure functions, no I/O.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

inline constexpr size_t kPgMaxIdentifierBytes = 63;

//! FNV-1a, 64 bits.
uint64_t Fnv1a64(std::string_view data);

//! `name` made valid (NUL / invalid UTF-8 → '_') and shortened to at most `max_bytes` bytes as
//! described above. REQUIRES: max_bytes >= 16.
std::string PgIdentifier(std::string_view name, size_t max_bytes = kPgMaxIdentifierBytes);

//! Column names for `fields`, in order: each PgIdentifier(field); a name equal to one in
//! `reserved` or to an earlier column's gets the suffix "_2", "_3", ... (shortened as needed),
//! so the result has no duplicates and depends only on the inputs.
std::vector<std::string> AssignColumnNames(const std::vector<std::string>& fields,
                                           const std::vector<std::string>& reserved);

//! Airbyte's raw table name for a stream: "{namespace}_raw__stream_{name}", shortened.
std::string RawTableName(std::string_view namespace_, std::string_view stream);

//! The table an overwrite loads before the swap: "{table}_airbyte_tmp", shortened.
std::string TmpTableName(std::string_view table);

}  // namespace sluice
