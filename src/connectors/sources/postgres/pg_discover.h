#pragma once
// Reading PostgreSQL's catalog: the tables, views and their columns a user can read, primary
// keys (PgDialect's catalog queries into the kit's model), and the AirbyteStream each table
// becomes (the kit's SqlStreamFor).

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/kit/sql/sql_catalog.h"
#include "connectors/sources/postgres/pg_source_config.h"
#include "connectors/sources/postgres/pg_types.h"
#include "protocol/catalog.h"

namespace sluice {

class PgConnection;

//! A column as the kit models it (name, format_type name without modifier, nullability,
//! readable) plus what reading it in binary needs.
struct PgColumn : SqlColumn {
  uint32_t type_oid = 0;
  int32_t typmod = -1;
  PgColumnType pg_type;

  //! Sets pg_type and, from it, the kit's type, cursor_ok and json_schema (uses `nullable`).
  void SetPgType(const PgColumnType& type);
};

//! A relation as the kit models it plus its oid and relkind.
struct PgTable : BasicSqlTable<PgColumn> {
  uint32_t oid = 0;
  char relkind = 'r';  //!< r table, p partitioned table, v view, m materialized view, f foreign table

  //! "schema"."name", quoted for SQL.
  std::string QualifiedName() const;
  //! Has a heap, so ctid and xmin exist: tables and materialized views.
  bool HasHeap() const { return relkind == 'r' || relkind == 'm'; }
};

//! Tables, partitioned tables (not their partitions), views, materialized views and foreign
//! tables of `schemas` on which the user has USAGE on the schema and SELECT on at least one
//! column; only readable columns are listed. Sorted by schema, then name.
Result<std::vector<PgTable>> ListTables(PgConnection& conn, const PgTypeCatalog& types,
                                        const std::vector<std::string>& schemas);

//! One relation by name with all its columns (`readable` says which the user may select), or
//! nullopt when it does not exist.
Result<std::optional<PgTable>> FindTable(PgConnection& conn, const PgTypeCatalog& types, const std::string& schema,
                                         const std::string& name);

//! True when full-refresh and xmin reads can go in ctid ranges (TID range scans need 14+):
//! tables, materialized views and partitioned tables (each leaf partition in its own ranges).
bool ReadsInCtidRanges(const PgTable& table, int server_version);

//! The stream a table becomes.
AirbyteStream StreamForTable(const PgTable& table, ReplicationMethod method, int server_version);

}  // namespace sluice
