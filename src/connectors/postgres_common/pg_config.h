#pragma once
// The connection part of the PostgreSQL source's and destination's configs (Airbyte's field
// names): host, port, database, username, password, ssl_mode, jdbc_url_params, connect timeout,
// tunnel_method (an SSH tunnel: connectors/kit/ssh_tunnel_config.h).

#include <memory>
#include <string>

#include "base/json.h"
#include "base/status.h"
#include "connectors/kit/ssh_tunnel_config.h"
#include "postgres/pg_connection_config.h"

namespace sluice {


//! JSON Schema properties shared by both connectors: host, port, database, username, password,
//! ssl_mode (a oneOf of {mode: ...} objects as Airbyte, with ca_certificate for verify modes),
//! jdbc_url_params, connect_timeout, tunnel_method (Airbyte's oneOf). `order` values start at
//! `first_order`.
Json PgConnectionSpecProperties(int first_order = 0);

//! Reads the connection fields of a validated config. `ssl_mode` may also be a plain string.
//! Errors (ConfigError) name the field: "jdbc_url_params: 'foo' is not key=value".
//! tunnel_method is read separately (ParseTunnelMethod), into the connector's config.
Result<PgConnectionConfig> ParsePgConnectionConfig(const Json& config);

//! Opens the SSH tunnel `tunnel` describes (nullptr for NO_TUNNEL) to connection.host:port and
//! points `connection` at it (tunnel_local_port, tunnel). The caller keeps the tunnel alive
//! until every connection made with `connection` is closed. Errors name tunnel_method.* fields.
Result<std::unique_ptr<SshTunnel>> OpenPgTunnel(const TunnelConfig& tunnel, PgConnectionConfig& connection);

}  // namespace sluice
