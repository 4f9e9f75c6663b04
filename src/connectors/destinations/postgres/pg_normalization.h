#pragma once
// Basic normalization (`normalization: basic`): a stream's nested records as flat tables.
//
// From the stream's JSON schema (fields keep their declared schemas in Field::json_schema):
//   - an object with `properties` is flattened into its parent's columns, named
//     `{field}_{property}` (recursively: `contact_geo_lat`);
//   - an array becomes a child table `{parent table}_{field}` with one row per element, its
//     parent's hash id in `_airbyte_{parent table}_hashid`, its own in
//     `_airbyte_{child table}_hashid`: elements that are objects give their (flattened)
//     properties as columns, scalars (or elements of unknown shape) a `value` column, arrays a
//     grandchild table `{child}_value`; arrays inside elements recurse
//     (`customers_addresses_lines`);
//   - anything else (an object without properties, a union) stays one column of its type
//     (jsonb for JSON).
// Hash ids: the root row's is md5 of its primary key as a JSON array when the stream has one
// and is not appended (stable across syncs), else md5 of its `_airbyte_raw_id`; a child's is
// md5 of its parent's hash id and its position in the array. Every table has
// `_airbyte_normalized_at`; child tables of depth ≥ 2 also carry the root's hash id, so a
// parent's whole subtree is found by one indexed column.
// Names: every name is PgIdentifier-shortened (over 63 bytes: a prefix + an 8-hex hash of the
// whole name). Within a table, top-level fields keep their names; a flattened name that
// collides with an earlier column (or an Airbyte column) gets `_2`, `_3`, …; a child table
// name that collides with a table already taken (other streams' tables, earlier children) gets
// `_2`, `_3`, … likewise — so names depend only on the catalog, in order.
//
// The rows are produced on the server: typed rows are COPYed into a session stage table and
// the SQL built here (InsertSql) projects them into every table in the checkpoint's
// transaction. Pure: no I/O.

#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "protocol/types.h"

namespace sluice {

inline constexpr const char* kColNormalizedAt = "_airbyte_normalized_at";

struct PgNormColumn {
  std::string name;      //!< column name in its table
  std::string sql_type;  //!< "bigint", "text", "jsonb", …
  std::string expr;      //!< the value over the stage alias `s` and the element aliases
};

struct PgNormTable {
  std::string table;       //!< name readers see
  int parent = -1;         //!< index of the parent table, -1 for the root
  int depth = 0;           //!< 0 root, 1 child, …
  std::vector<PgNormColumn> columns;  //!< every column in table order, Airbyte columns included
  std::string hashid_column;          //!< `_airbyte_{table}_hashid`
  std::string parent_hashid_column;   //!< children: `_airbyte_{parent}_hashid`
  std::string root_hashid_column;     //!< children: the column holding the root's hash id
  std::string hashid_expr;            //!< this table's hash id over the FROM aliases
  //! Children: the LATERAL joins after `stage AS s` that produce one row per element.
  std::string laterals;
};

//! The stream's normalized tables: [0] is the root (the stream's final table), parents come
//! before their children.
struct PgNormalization {
  std::vector<PgNormTable> tables;
  //! Per stream field: true when the root table has a column of that name (a top-level field
  //! that is neither flattened nor a child table).
  std::vector<bool> root_has_field;
};

//! Plans the tables of a stream. `columns` are the stage's column names per field (as the
//! typed table names them), `root_table` the final table's name, `hash_key` the field indexes
//! of the primary key the hash ids come from (empty: the raw id). `taken` holds table names
//! already used in the final schema; the child tables' names are added to it.
PgNormalization PlanNormalization(const Schema& schema, const std::vector<std::string>& columns,
                                  const std::string& root_table, const std::vector<int>& hash_key,
                                  std::set<std::string>& taken);

//! INSERT … SELECT of table `t` from the stage `stage` into `target` (both qualified).
//! `only_live`: a column (quoted) whose non-NULL value excludes the staged row (hard-deleted
//! CDC rows), or empty.
std::string NormInsertSql(const PgNormalization& n, size_t t, const std::string& stage, const std::string& target,
                          const std::string& only_live);

//! DELETE of the rows of child table `t` (REQUIRES: t > 0) whose root is a staged row.
std::string NormDeleteChildrenSql(const PgNormalization& n, size_t t, const std::string& stage,
                                  const std::string& target);

//! The SQL type of a column holding a nested value of `type` (binary stays base64 text).
std::string_view NormLeafType(TypeId type);

//! The expression reading a nested jsonb value `v` as `type`; values of another JSON type or
//! text that does not look like the type become NULL.
std::string NormLeafExpr(const std::string& v, TypeId type);

}  // namespace sluice
