#pragma once
// The per-stream state blobs SQL sources share, in Airbyte's shapes (version 2), so a state
// saved by source-postgres (or Airbyte's Java sources) resumes:
//
//   cursor:       {"version":2,"state_type":"cursor_based","stream_name":"t","stream_namespace":"public",
//                  "cursor_field":["updated_at"],"cursor":"2024-05-01T10:00:00.5+00","cursor_record_count":3}
//                  `cursor` is the text form of the last value read (compared with >= next time,
//                  SqlCursorQuery); `cursor_record_count` how many rows had that value.
//   primary key:  {"version":2,"state_type":"primary_key","pk_name":"id","pk_val":"1042"}
//                  — a key-chunked full refresh in progress: every row up to pk_val was read
//                  (Airbyte's MySQL shape). Composite keys add "pk_names"/"pk_vals" arrays.
//                  At the end of the read the dialect writes its own "complete" state.
// Dialect-specific blobs (PostgreSQL's ctid and xmin) live with the dialect and use the helpers
// at the bottom.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"

namespace sluice {

constexpr int kSqlStateVersion = 2;

struct SqlCursorState {
  std::vector<std::string> cursor_field;
  std::optional<std::string> cursor;  //!< nullopt: no value seen yet
  uint64_t record_count = 0;
};

//! A key-chunked read's position: every row with a key ≤ `values` was read.
struct SqlKeyPosition {
  std::vector<std::string> columns;  //!< the key's columns, in key order
  std::vector<std::string> values;   //!< text forms, one per column
};

//! Parsers accept nullptr and other shapes and return nullopt (start over). A numeric cursor
//! saved as a JSON number (Airbyte) comes back as its text.
std::optional<SqlCursorState> ParseCursorState(const Json* blob);
std::optional<SqlKeyPosition> ParseKeyPosition(const Json* blob);

Json CursorStateJson(const std::string& stream_name, const std::optional<std::string>& stream_namespace,
                     const SqlCursorState& state);
//! REQUIRES: position.columns.size() == position.values.size() > 0.
Json KeyPositionJson(const SqlKeyPosition& position);

// ---- Helpers for dialect blobs ----------------------------------------------------------------

//! True when `blob` is an object whose "state_type" is `type`.
bool IsStateType(const Json* blob, std::string_view type);
//! An unsigned integer at `key`: a JSON number, or a string of digits (tolerated); else nullopt.
std::optional<uint64_t> StateU64(const Json& blob, const char* key);

}  // namespace sluice
