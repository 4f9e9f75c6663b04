#pragma once
// The connection part of the PostgreSQL source's and destination's configs (Airbyte's field
// names): host, port, database, username, password, ssl_mode, jdbc_url_params, connect timeout.

#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

struct PgConnectionConfig {
  std::string host;
  int port = 5432;
  std::string database;
  std::string username;
  std::string password;
  //! libpq sslmode: disable, allow, prefer, require, verify-ca, verify-full.
  std::string ssl_mode = "prefer";
  std::string ca_certificate;  //!< PEM text for verify-ca / verify-full (written to a 0600 temp file)
  //! Extra libpq keywords from `jdbc_url_params` ("key=value&key2=value2"), e.g. options, keepalives.
  std::vector<std::pair<std::string, std::string>> extra_params;
  int connect_timeout_seconds = 10;

  //! "host:port/database" for messages (no user, no password).
  std::string Describe() const;
};

//! JSON Schema properties shared by both connectors: host, port, database, username, password,
//! ssl_mode (a oneOf of {mode: ...} objects as Airbyte, with ca_certificate for verify modes),
//! jdbc_url_params, connect_timeout. `order` values start at `first_order`.
Json PgConnectionSpecProperties(int first_order = 0);

//! Reads the connection fields of a validated config. `ssl_mode` may also be a plain string.
//! Errors (ConfigError) name the field: "jdbc_url_params: 'foo' is not key=value".
Result<PgConnectionConfig> ParsePgConnectionConfig(const Json& config);

}  // namespace sluice
