#pragma once
// Reading PostgreSQL's catalog: the tables, views and their columns a user can read, primary
// keys, and the AirbyteStream each table becomes.

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/sources/postgres/pg_source_config.h"
#include "connectors/sources/postgres/pg_types.h"
#include "protocol/catalog.h"

namespace sluice {

class PgConnection;

struct PgColumn {
  std::string name;
  uint32_t type_oid = 0;
  int32_t typmod = -1;
  bool not_null = false;
  bool readable = true;   //!< the user has SELECT on the column (or the table)
  std::string type_name;  //!< format_type without modifier: "numeric", "public.mood", "integer[]"
  PgColumnType type;
};

struct PgTable {
  uint32_t oid = 0;
  std::string schema;
  std::string name;
  char relkind = 'r';  //!< r table, p partitioned table, v view, m materialized view, f foreign table
  std::vector<PgColumn> columns;
  std::vector<std::string> primary_key;

  //! "schema"."name", quoted for SQL.
  std::string QualifiedName() const;
  //! schema.name, for messages.
  std::string DisplayName() const { return schema + "." + name; }
  const PgColumn* FindColumn(std::string_view column) const;
  //! Has a heap, so ctid and xmin exist: tables and materialized views.
  bool HasHeap() const { return relkind == 'r' || relkind == 'm'; }
};

//! The SQL condition on pg_namespace `n` selecting `schemas` (empty = every non-system schema).
std::string SchemaFilterSql(const std::vector<std::string>& schemas);

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
