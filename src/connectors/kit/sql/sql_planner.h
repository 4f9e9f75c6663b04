#pragma once
// Query planning every SQL source shares, as SQL text built through a SqlDialect (pure: the
// source runs the queries with its own client and wraps them as it must, e.g. in COPY).
//
//   cursor incremental   SELECT … FROM t [WHERE c >= <saved>] ORDER BY c
//                        The boundary is inclusive: rows sharing the last value saved are read
//                        again (at-least-once), none is skipped — a transaction committing a row
//                        with that value after the last read is not lost. NULL cursors sort last
//                        (PostgreSQL) or first (MySQL) and are read only by a sync without a
//                        saved cursor: a NULL never compares greater.
//   key-chunked full     SELECT … FROM t WHERE <key> > <after> [AND <key> <= <upto>]
//   refresh              ORDER BY <key> LIMIT n — chunks in primary-key order; the last key of
//                        a chunk is the next chunk's `after` and the position a checkpoint saves
//                        (SqlKeyPosition), so an interrupted read resumes after it.
// Composite keys compare lexicographically, spelled out (k1 > a OR (k1 = a AND k2 > b)) so
// every dialect and its index planner take it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

class SqlDialect;

//! A column used in a WHERE / ORDER BY: its name and its type name (for TypedLiteral).
struct SqlKeyColumn {
  std::string name;
  std::string type_name;
};

struct SqlCursorQuery {
  std::string select_list;  //!< the select-list, as the source reads the columns
  std::string table;        //!< qualified and quoted (SqlDialect::QualifiedName)
  SqlKeyColumn cursor;
  std::optional<std::string> saved;  //!< the last cursor value read, in its text form
};
//! SELECT {select_list} FROM {table}[ WHERE {cursor} >= {saved}] ORDER BY {cursor}
std::string CursorQuery(const SqlDialect& dialect, const SqlCursorQuery& query);

struct SqlKeyChunkQuery {
  std::string select_list;
  std::string table;
  std::vector<SqlKeyColumn> key;  //!< the primary key, in key order
  //! Rows after this key (text form, one value per key column); nullopt: from the first row.
  std::optional<std::vector<std::string>> after;
  //! Rows up to and including this key; nullopt: to the end (ranges planned ahead).
  std::optional<std::vector<std::string>> upto;
  uint64_t limit = 0;  //!< rows per chunk; 0: no LIMIT
  std::string filter;  //!< an extra condition ANDed in, or empty
};
//! SELECT {select_list} FROM {table}[ WHERE …] ORDER BY {key}[ LIMIT {limit}]
std::string KeyChunkQuery(const SqlDialect& dialect, const SqlKeyChunkQuery& query);

//! The condition `key > values` (strict) or `key <= values`, lexicographic over the columns.
//! REQUIRES: key.size() == values.size() > 0.
std::string KeyAfterCondition(const SqlDialect& dialect, const std::vector<SqlKeyColumn>& key,
                              const std::vector<std::string>& values);
std::string KeyUptoCondition(const SqlDialect& dialect, const std::vector<SqlKeyColumn>& key,
                             const std::vector<std::string>& values);

//! Splits `boundaries` (sorted keys, e.g. sampled every N rows) into ordered ranges
//! (after, upto]: the first has no `after`, the last no `upto`, consecutive ranges share a
//! boundary, so the ranges cover every key once. No boundaries: one range over the table.
struct SqlKeyRange {
  std::optional<std::vector<std::string>> after;
  std::optional<std::vector<std::string>> upto;
};
std::vector<SqlKeyRange> PlanKeyRanges(const std::vector<std::vector<std::string>>& boundaries);

}  // namespace sluice
