#pragma once
// Basic normalization (`normalization: basic`) in destination-postgres: a stream's nested
// records as flat tables. The tables, their columns and names come from the connector kit's plan
// (kit/normalize/flattener.h: flattened objects, child tables for arrays, hash ids, names
// shortened with PgIdentifier); this file adds what PostgreSQL needs of them: SQL types, and the
// SQL projection from a stage of typed rows.
//
// Two ways rows reach the tables (PgStreamPlan::norm_direct):
//   - direct (append, overwrite and truncate refreshes into tables whose columns have the
//     natural types): the writer flattens each record in C++ (kit Flattener) and encodes every
//     table's rows straight into that table's binary COPY stream, by PgNormColumn::role;
//   - staged (append_dedup, or an existing table with other column types): typed rows are
//     COPYed into a session stage table and the SQL built here (NormInsertSql) projects them into
//     every table in the checkpoint's transaction, after the dedup merge.
// Both give the same rows and hash ids. Pure: no I/O.

#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/destinations/postgres/pg_copy_encoder.h"
#include "connectors/kit/normalize/flattener.h"
#include "protocol/types.h"

namespace sluice {

//! What a column of a normalized table holds (how the direct path encodes it).
enum class PgNormRole : uint8_t {
  kData,  //!< NormTable::columns[data]: a top-level field as it is, or a nested leaf
  kParentHash,
  kRootHash,
  kHash,
  kRawId,
  kExtractedAt,
  kMeta,
  kGenerationId,
  kNormalizedAt,
};

struct PgNormColumn {
  std::string name;      //!< column name in its table
  std::string sql_type;  //!< "bigint", "text", "jsonb", …
  std::string expr;      //!< the value over the stage alias `s` and the element aliases
  PgNormRole role = PgNormRole::kData;
  size_t data = 0;       //!< kData: index in the kit table's columns
  PgColumnType type;     //!< the column's type (the direct path needs existing columns to have it)
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
  NormPlan plan;  //!< the kit's plan the tables come from (same order)
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
