#pragma once
// source-mysql's config, in Airbyte source-mysql's keys: host, port, database, username, password,
// ssl_mode ({mode: preferred | required | verify_ca | verify_identity, certificates}),
// jdbc_url_params, replication_method ({method: STANDARD} | {method: CDC, …}), table_filters, and
// read tuning. Parsing is pure (no I/O); `check` does the connecting.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "connectors/kit/ssh_tunnel_config.h"

namespace sluice {

enum class MySqlSslMode {
  kPreferred,       //!< TLS when the server offers it, else plain
  kRequired,        //!< TLS or fail; the certificate is not verified
  kVerifyCa,        //!< TLS, certificate verified against ca_certificate
  kVerifyIdentity,  //!< as verify_ca, and the host name must match the certificate
};

struct MySqlSslConfig {
  MySqlSslMode mode = MySqlSslMode::kRequired;  //!< Airbyte's default
  std::string ca_certificate;      //!< PEM text (verify modes)
  std::string client_certificate;  //!< PEM text, optional
  std::string client_key;          //!< PEM text, optional
  std::string client_key_password;
};

enum class MySqlReplication {
  kStandard,  //!< incremental streams use the user's cursor column
  kCdc,       //!< the binlog (row events), after a consistent snapshot; see mysql_cdc_reader.h
};

//! replication_method {method: CDC, …}.
struct MySqlCdcConfig {
  //! How long a batch read waits for the binlog to reach the server's position at its start
  //! (s; default 300, 120..3600). The read stops as soon as it is caught up.
  int64_t initial_waiting_seconds = 300;
  //! Airbyte's server_timezone: accepted and checked (an IANA name or ±hh:mm). sluice reads
  //! TIMESTAMP in UTC (session time_zone '+00:00', binlog epoch seconds), so it is not needed.
  std::string server_timezone;
  //! "Re-sync data": a saved position the server no longer has (binlog purged) means a new
  //! snapshot; "Fail sync" (default): a config error.
  bool resync_on_invalid_position = false;
  int64_t initial_load_timeout_hours = 8;  //!< accepted (4..24); the snapshot is resumable instead
  //! The server id the binlog reader registers with (sluice's addition; Airbyte's Debezium picks a
  //! random one). Must differ from every server's and other reader's id; default: random in
  //! [5400, 2^31) per read.
  std::optional<uint32_t> server_id;
};

//! One entry of table_filters: tables of `database_name` whose names match a SQL LIKE pattern.
struct MySqlTableFilter {
  std::string database_name;
  std::vector<std::string> patterns;
};

struct MySqlSourceConfig {
  std::string host;
  int port = 3306;
  std::string database;
  std::string username;
  std::string password;
  MySqlSslConfig ssl;
  //! tunnel_method: an SSH tunnel opened per check / discover / read (mysql_source.cc); while it
  //! is open, tunnel_local_port is its 127.0.0.1 port and every connection goes there.
  TunnelConfig tunnel;
  int tunnel_local_port = 0;
  //! jdbc_url_params as key=value pairs, in order. Understood: connectTimeout (ms),
  //! socketTimeout (ms), sessionVariables (k=v,k=v → SET SESSION), useSSL/requireSSL
  //! (false → no TLS), zeroDateTimeBehavior and characterEncoding (accepted; sluice always nulls
  //! zero dates with a note and reads utf8mb4); others are logged and ignored.
  std::vector<std::pair<std::string, std::string>> jdbc_params;
  int connect_timeout_s = 30;
  int socket_timeout_s = 0;  //!< 0: none (reads may wait long for the next row while a sink is busy)
  std::vector<std::pair<std::string, std::string>> session_variables;
  bool tls_disabled_by_params = false;
  MySqlReplication replication = MySqlReplication::kStandard;
  MySqlCdcConfig cdc;  //!< replication == kCdc only
  std::vector<MySqlTableFilter> table_filters;
  //! Connections reading at the same time (Airbyte's max_db_connections; default 2): streams
  //! in parallel, and a large table's primary-key ranges in parallel.
  int max_db_connections = 2;
  //! Full refresh reads a table in primary-key chunks of this many rows (default 100,000); a
  //! checkpoint follows each chunk, so an interrupted read resumes after it.
  int64_t chunk_rows = 100000;
  //! Airbyte's checkpoint_target_interval_seconds (default 300): accepted; sluice checkpoints
  //! after every chunk.
  int64_t checkpoint_target_interval_seconds = 300;
};

//! The connector's JSON Schema (connectionSpecification).
Json MySqlSourceSpecJson();

//! Reads a validated config. Errors (ConfigError) name the field.
Result<MySqlSourceConfig> ParseMySqlSourceConfig(const Json& config);

//! "preferred", …
std::string_view MySqlSslModeName(MySqlSslMode mode);

}  // namespace sluice
