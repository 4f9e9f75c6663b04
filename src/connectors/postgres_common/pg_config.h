#pragma once
// The connection part of the PostgreSQL source's and destination's configs (Airbyte's field
// names): host, port, database, username, password, ssl_mode, jdbc_url_params, connect timeout.

#include <string>

#include "base/json.h"
#include "base/status.h"
#include "postgres/pg_connection_config.h"

namespace sluice {


//! JSON Schema properties shared by both connectors: host, port, database, username, password,
//! ssl_mode (a oneOf of {mode: ...} objects as Airbyte, with ca_certificate for verify modes),
//! jdbc_url_params, connect_timeout. `order` values start at `first_order`.
Json PgConnectionSpecProperties(int first_order = 0);

//! Reads the connection fields of a validated config. `ssl_mode` may also be a plain string.
//! Errors (ConfigError) name the field: "jdbc_url_params: 'foo' is not key=value".
Result<PgConnectionConfig> ParsePgConnectionConfig(const Json& config);

}  // namespace sluice
