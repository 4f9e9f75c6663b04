#pragma once
// Reading MySQL's catalog: the tables and views of the configured database (information_schema,
// through MySqlDialect's catalog queries into the kit's model), their primary keys, and the
// AirbyteStream each becomes (the kit's SqlStreamFor; CDC adds the binlog position columns).

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/kit/sql/sql_catalog.h"
#include "connectors/sources/mysql/mysql_source_config.h"
#include "connectors/sources/mysql/mysql_types.h"
#include "protocol/catalog.h"

namespace sluice {

class MySqlConnection;

struct MySqlTable : BasicSqlTable<MySqlColumn> {
  //! `database`.`table`, quoted.
  std::string QualifiedName() const;
};

//! Tables (base and system-versioned) and views of `config.database` the user can see, filtered
//! by config.table_filters, sorted by name; each with its columns in order and its primary key.
Result<std::vector<MySqlTable>> ListMySqlTables(MySqlConnection& conn, const MySqlSourceConfig& config);

//! One table or view by name, or nullopt when it does not exist.
Result<std::optional<MySqlTable>> FindMySqlTable(MySqlConnection& conn, const std::string& database,
                                                 const std::string& name);

//! The stream a table becomes: namespace = the database; incremental with a user cursor
//! (STANDARD), resumable full refresh when it has a primary key; CDC: tables only, with
//! _ab_cdc_cursor (the cursor), _ab_cdc_log_pos, _ab_cdc_log_file, _ab_cdc_updated_at and
//! _ab_cdc_deleted_at. A table without a primary key says so in its description.
AirbyteStream StreamForMySqlTable(const MySqlTable& table, MySqlReplication method);

}  // namespace sluice
