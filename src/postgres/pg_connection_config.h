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

  //! "host:port/database" for messages (no user, no password).
  std::string Describe() const;
};

}  // namespace sluice
