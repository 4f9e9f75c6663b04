#pragma once
// The PostgreSQL implementation of SqlDatabase: libpq through PgConnection (errors classified
// there), `?` rewritten as $1.., text parameters, and a small pool of connections. A connection
// that broke (server restart, network) is dropped from the pool instead of being reused.

#include <memory>

#include "postgres/pg_connection_config.h"
#include "metadata/sql_database.h"

namespace sluice {

//! Connects once to check the address and credentials, then keeps that connection in the pool.
Result<std::unique_ptr<SqlDatabase>> OpenPostgresDatabase(const PgConnectionConfig& config, const SqlOptions& options);

}  // namespace sluice
