#include "connectors/postgres_common/pg_config.h"

#include <fmt/format.h>

#include "base/text.h"

namespace sluice {

Json PgConnectionSpecProperties(int first_order) {
  int order = first_order;
  auto ssl_branch = [](std::string_view mode, std::string_view title, bool with_ca) {
    Json branch = {{"title", title},
                   {"type", "object"},
                   {"required", {"mode"}},
                   {"properties", {{"mode", {{"type", "string"}, {"const", mode}, {"order", 0}}}}}};
    if (with_ca) {
      branch["required"].push_back("ca_certificate");
      branch["properties"]["ca_certificate"] = {{"type", "string"},
                                                {"title", "CA certificate"},
                                                {"description", "PEM text of the certificate authority"},
                                                {"airbyte_secret", true},
                                                {"multiline", true},
                                                {"order", 1}};
      branch["properties"]["client_certificate"] = {{"type", "string"},
                                                    {"title", "Client certificate"},
                                                    {"description", "PEM text of a client certificate, for servers "
                                                                    "that authenticate clients by certificate"},
                                                    {"airbyte_secret", true},
                                                    {"multiline", true},
                                                    {"order", 2}};
      branch["properties"]["client_key"] = {{"type", "string"},
                                            {"title", "Client key"},
                                            {"description", "PEM text of the client certificate's private key"},
                                            {"airbyte_secret", true},
                                            {"multiline", true},
                                            {"order", 3}};
      branch["properties"]["client_key_password"] = {{"type", "string"},
                                                     {"title", "Client key password"},
                                                     {"description", "The password of an encrypted client key"},
                                                     {"airbyte_secret", true},
                                                     {"order", 4}};
    }
    return branch;
  };
  Json properties = Json::object();
  properties["host"] = {{"type", "string"}, {"title", "Host"}, {"description", "Hostname of the database"}, {"order", order++}};
  properties["port"] = {{"type", "integer"}, {"title", "Port"}, {"minimum", 1}, {"maximum", 65535},
                        {"default", 5432}, {"order", order++}};
  properties["database"] = {{"type", "string"}, {"title", "Database name"}, {"order", order++}};
  properties["username"] = {{"type", "string"}, {"title", "Username"}, {"order", order++}};
  properties["password"] = {{"type", "string"}, {"title", "Password"}, {"airbyte_secret", true}, {"order", order++}};
  properties["ssl_mode"] = {
      {"title", "SSL mode"},
      {"description", "How the connection uses TLS (libpq sslmode)"},
      {"type", "object"},
      {"default", {{"mode", "prefer"}}},
      {"order", order++},
      {"oneOf",
       {ssl_branch("disable", "disable", false), ssl_branch("allow", "allow", false),
        ssl_branch("prefer", "prefer", false), ssl_branch("require", "require", false),
        ssl_branch("verify-ca", "verify-ca", true), ssl_branch("verify-full", "verify-full", true)}}};
  properties["jdbc_url_params"] = {
      {"type", "string"},
      {"title", "Extra connection parameters"},
      {"description", "libpq keywords as key=value pairs joined by '&' (e.g. options=-c%20statement_timeout=0)"},
      {"order", order++}};
  properties["connect_timeout"] = {{"type", "integer"}, {"title", "Connect timeout (seconds)"},
                                   {"minimum", 1}, {"maximum", 600}, {"default", 10}, {"order", order++}};
  properties["tunnel_method"] = TunnelMethodSpec(order++);
  return properties;
}

Result<PgConnectionConfig> ParsePgConnectionConfig(const Json& config) {
  PgConnectionConfig c;
  auto string_field = [&](const char* key) -> std::string {
    auto it = config.find(key);
    return it != config.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  c.host = string_field("host");
  c.database = string_field("database");
  c.username = string_field("username");
  c.password = string_field("password");
  if (c.host.empty()) return Status::ConfigError("host: must not be empty");
  if (c.database.empty()) return Status::ConfigError("database: must not be empty");
  if (auto it = config.find("port"); it != config.end() && it->is_number_integer()) c.port = it->get<int>();
  if (auto it = config.find("connect_timeout"); it != config.end() && it->is_number_integer()) {
    c.connect_timeout_seconds = it->get<int>();
  }
  if (auto it = config.find("ssl_mode"); it != config.end()) {
    if (it->is_string()) {
      c.ssl_mode = it->get<std::string>();
    } else if (it->is_object()) {
      c.ssl_mode = it->value("mode", std::string("prefer"));
      c.ca_certificate = it->value("ca_certificate", std::string());
      c.client_certificate = it->value("client_certificate", std::string());
      c.client_key = it->value("client_key", std::string());
      c.client_key_password = it->value("client_key_password", std::string());
    }
    static constexpr std::string_view kModes[] = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"};
    bool known = false;
    for (std::string_view m : kModes) known = known || m == c.ssl_mode;
    if (!known) {
      return Status::ConfigError(fmt::format(
          "ssl_mode: '{}' is not one of disable, allow, prefer, require, verify-ca, verify-full", c.ssl_mode));
    }
    if ((c.ssl_mode == "verify-ca" || c.ssl_mode == "verify-full") && c.ca_certificate.empty()) {
      return Status::ConfigError(fmt::format("ssl_mode.ca_certificate: required for mode {}", c.ssl_mode));
    }
    if (c.client_certificate.empty() != c.client_key.empty()) {
      return Status::ConfigError("ssl_mode: give both client_certificate and client_key, or neither");
    }
  }
  const std::string params = string_field("jdbc_url_params");
  size_t start = 0;
  while (start < params.size()) {
    size_t end = params.find('&', start);
    if (end == std::string::npos) end = params.size();
    std::string_view pair(params.data() + start, end - start);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return Status::ConfigError(fmt::format("jdbc_url_params: '{}' is not key=value", pair));
      }
      std::string key = PercentDecode(pair.substr(0, eq));
      if (key == "password" || key == "user" || key == "dbname" || key == "host" || key == "port") {
        return Status::ConfigError(
            fmt::format("jdbc_url_params: '{}' must be set with its own field, not as an extra parameter", key));
      }
      c.extra_params.emplace_back(std::move(key), PercentDecode(pair.substr(eq + 1)));
    }
    start = end + 1;
  }
  return c;
}

Result<std::unique_ptr<SshTunnel>> OpenPgTunnel(const TunnelConfig& tunnel, PgConnectionConfig& connection) {
  SLUICE_ASSIGN_OR_RETURN(auto opened,
                          OpenTunnel(tunnel, connection.host, connection.port, connection.connect_timeout_seconds));
  if (opened) {
    connection.tunnel_local_port = opened->local_port();
    connection.tunnel = fmt::format("{}@{}:{}", tunnel.user, tunnel.host, tunnel.port);
  }
  return opened;
}

}  // namespace sluice
