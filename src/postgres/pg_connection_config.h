#pragma once
// PgConnectionConfig: where and how libpq connects (host, port, database, user, password, TLS,
// extra keywords, timeout). Filled by the connectors from Airbyte's config keys
// (connectors/postgres_common/pg_config.h) and by the metadata store from its URL.

#include <string>
#include <utility>
#include <vector>

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
  std::string client_certificate;   //!< PEM text of a client certificate (libpq sslcert; a 0600 temp file)
  std::string client_key;           //!< PEM text of its private key (libpq sslkey; a 0600 temp file)
  std::string client_key_password;  //!< libpq sslpassword, for an encrypted client key
  //! Extra libpq keywords from `jdbc_url_params` ("key=value&key2=value2"), e.g. options, keepalives.
  std::vector<std::pair<std::string, std::string>> extra_params;
  int connect_timeout_seconds = 10;
  //! Set when an SSH tunnel carries the connection (connectors/kit/ssh_tunnel_config.h): libpq
  //! connects to 127.0.0.1:tunnel_local_port (its `hostaddr`) while `host` still names the
  //! server for TLS verification and messages. 0: connect to host:port directly.
  int tunnel_local_port = 0;
  std::string tunnel;  //!< "user@bastion:22" for messages

  //! "host:port/database" (plus " through the SSH tunnel user@bastion:22") for messages (no
  //! password).
  std::string Describe() const;
};

}  // namespace sluice
