#pragma once
// source-postgres's per-stream state blobs, in Airbyte's shapes (version 2). The cursor state
// ("state_type":"cursor_based") is the SQL toolkit's (connectors/kit/sql/sql_state.h: SqlCursorState,
// CursorStateJson, ParseCursorState); PostgreSQL's own are
//
//   xmin:    {"version":2,"state_type":"xmin","xmin_xid_value":812,"xmin_raw_value":812,"num_wraparound":0}
//   ctid:    {"version":2,"state_type":"ctid","ctid":"(16384,0)","relation_filenode":16391}
//            — a full refresh in progress: every page before the ctid's block was read.
//            At the end of a full refresh: {"version":2,"state_type":"ctid","complete":true}.
//   A partitioned table is read partition by partition (in oid order): "relation_filenode" is
//   then the partition being read, and "completed_filenodes" lists those already read.
//   An xmin read in progress is an xmin state (the previous sync's values, which still filter
//   the rows) plus "ctid", "relation_filenode" and "snapshot_xmin_raw_value" (what the state
//   becomes once the read completes).
//
// A cursor state's `cursor` is the PostgreSQL text form of the last value read, cast back to the
// column's type in `WHERE cursor >= '<cursor>'::type` (PgDialect::TypedLiteral).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "connectors/kit/sql/sql_state.h"

namespace sluice {

struct PgCtidPosition {
  uint32_t page = 0;      //!< the next block to read
  uint32_t filenode = 0;  //!< pg_relation_filenode when the position was saved
  //! Partitioned tables: the partitions (by filenode) read completely before this one.
  std::vector<uint32_t> completed_filenodes = {};
};

struct PgXminState {
  std::optional<uint64_t> raw;                //!< the last completed sync's snapshot xmin (64-bit)
  std::optional<PgCtidPosition> position;     //!< a read in progress
  std::optional<uint64_t> snapshot_raw;       //!< with position: the value `raw` becomes at the end
};

//! Parsers accept nullptr / other shapes and return nullopt (start over).
std::optional<PgCtidPosition> ParseFullRefreshPosition(const Json* blob);
std::optional<PgXminState> ParseXminState(const Json* blob);

Json CtidStateJson(const PgCtidPosition& position);
Json FullRefreshCompleteJson();
Json XminStateJson(const PgXminState& state);

//! "(page,0)" and back.
std::string FormatCtid(uint32_t page);
std::optional<uint32_t> ParseCtidPage(std::string_view text);

//! The WHERE condition selecting rows changed since the sync whose snapshot xmin was
//! `previous_raw`, given the current snapshot's xmax (both 64-bit: epoch << 32 | xid):
//!   same epoch          (xmin::text::bigint >= previous xid AND xmin::text::bigint < current xid)
//!                       — rows of the epoch before have raw xids above the current one
//!   one wraparound      (xmin::text::bigint >= previous xid OR xmin::text::bigint < current xid)
//!   no previous / more  "" (every row)
std::string XminFilterSql(std::optional<uint64_t> previous_raw, uint64_t current_xmax_raw);

}  // namespace sluice
