#pragma once
// The discovery model of a SQL source — relations, their columns (with the dialect's type names,
// nullability, the user's access) and primary keys — and the AirbyteStream a relation becomes.
// A dialect's discovery fills a BasicSqlTable from its catalog queries (SqlDialect); a dialect
// that needs more per column or table (PostgreSQL: type oids, relkind) derives from these.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "protocol/catalog.h"
#include "protocol/types.h"

namespace sluice {

class SqlDialect;
struct SqlTypeMapping;

//! Relation kinds, by the letter the catalog queries report (PostgreSQL's relkind letters).
enum class SqlRelationKind : char {
  kTable = 'r',
  kPartitionedTable = 'p',
  kView = 'v',
  kMaterializedView = 'm',
  kForeignTable = 'f',
};
//! 'r' → kTable …; an unknown letter is a table.
SqlRelationKind SqlRelationKindFromLetter(char letter);

struct SqlColumn {
  std::string name;
  std::string type_name;  //!< the dialect's name, without modifier: "numeric", "varchar", "public.mood"
  bool nullable = true;
  bool readable = true;   //!< the user may select it
  TypeId type = TypeId::kString;  //!< what it is read as
  bool cursor_ok = false;         //!< may be an incremental cursor
  Json json_schema;               //!< the field's JSON Schema (nullability included)

  //! Sets type, cursor_ok and json_schema from a type-table row (and `nullable`).
  void ApplyMapping(const SqlTypeMapping& mapping);
};

template <typename Column>
struct BasicSqlTable {
  std::string schema;
  std::string name;
  SqlRelationKind kind = SqlRelationKind::kTable;
  std::vector<Column> columns;
  std::vector<std::string> primary_key;  //!< column names in key order; empty: none

  //! schema.name, for messages.
  std::string DisplayName() const { return schema + "." + name; }
  const Column* FindColumn(std::string_view column) const {
    for (const auto& c : columns) {
      if (c.name == column) return &c;
    }
    return nullptr;
  }
};
using SqlTable = BasicSqlTable<SqlColumn>;

//! What the source says about a stream beyond its columns.
struct SqlStreamOptions {
  bool incremental = true;             //!< incremental is among the supported sync modes
  bool source_defined_cursor = false;  //!< the source picks the cursor (xmin, CDC)
  std::vector<std::string> default_cursor_field = {};
  bool is_resumable = false;           //!< a full refresh resumes mid-table
  //! Lists the cursor-capable columns as "cursor_candidates" (a user-picked cursor).
  bool cursor_candidates = true;
};

//! The AirbyteStream of a table: namespace = schema, properties in column order (each column's
//! json_schema), source-defined primary key = the table's.
template <typename Column>
AirbyteStream SqlStreamFor(const BasicSqlTable<Column>& table, const SqlStreamOptions& options) {
  AirbyteStream s;
  s.name = table.name;
  s.namespace_ = table.schema;
  Json properties = Json::object();
  Json candidates = Json::array();
  for (const auto& c : table.columns) {
    properties[c.name] = c.json_schema;
    if (c.cursor_ok) candidates.push_back(Json::array({c.name}));
  }
  s.json_schema = {{"type", "object"}, {"properties", std::move(properties)}};
  s.supported_sync_modes = {SyncMode::kFullRefresh};
  if (options.incremental) s.supported_sync_modes.push_back(SyncMode::kIncremental);
  s.source_defined_cursor = options.source_defined_cursor;
  s.default_cursor_field = options.default_cursor_field;
  for (const auto& k : table.primary_key) s.source_defined_primary_key.push_back({k});
  s.is_resumable = options.is_resumable;
  if (options.cursor_candidates) s.extra["cursor_candidates"] = std::move(candidates);
  return s;
}

}  // namespace sluice
