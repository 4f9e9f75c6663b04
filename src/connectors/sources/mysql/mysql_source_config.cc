#include "connectors/sources/mysql/mysql_source_config.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "base/log.h"
#include "connectors/kit/config_reader.h"

namespace sluice {

namespace {

constexpr const char* kFailSync = "Fail sync";
constexpr const char* kResync = "Re-sync data";

Json Secret(const char* title, const char* description) {
  return Json{{"type", "string"}, {"title", title}, {"description", description}, {"airbyte_secret", true},
              {"multiline", true}};
}

Json SslBranch(const char* mode, const char* description, bool certificates) {
  Json props = {{"mode", {{"type", "string"}, {"const", mode}, {"order", 0}}}};
  Json required = Json::array({"mode"});
  if (certificates) {
    props["ca_certificate"] = Secret("CA certificate", "The certificate authority's certificate (PEM).");
    props["ca_certificate"]["order"] = 1;
    props["client_certificate"] = Secret("Client certificate", "Optional client certificate (PEM); needs the "
                                                               "client key too.");
    props["client_certificate"]["order"] = 2;
    props["client_key"] = Secret("Client key", "Optional client key (PEM); needs the client certificate too.");
    props["client_key"]["order"] = 3;
    props["client_key_password"] = Secret("Client key password", "The client key's passphrase, if any.");
    props["client_key_password"]["order"] = 4;
    required.push_back("ca_certificate");
  }
  return Json{{"title", mode}, {"description", description}, {"type", "object"}, {"required", required},
              {"additionalProperties", true}, {"properties", props}};
}

Json CdcBranch() {
  Json props = {
      {"method", {{"type", "string"}, {"const", "CDC"}, {"order", 0}}},
      {"initial_waiting_seconds",
       {{"type", "integer"},
        {"title", "Initial Waiting Time in Seconds (Advanced)"},
        {"description", "How long a sync waits for the binlog to reach the server's position at its start; it "
                        "stops as soon as it is caught up."},
        {"default", 300},
        {"minimum", 120},
        {"maximum", 3600},
        {"order", 1}}},
      {"server_timezone",
       {{"type", "string"},
        {"title", "Configured server timezone for the MySQL source (Advanced)"},
        {"description", "Accepted for compatibility: sluice reads TIMESTAMP columns in UTC, so the server's "
                        "time zone is not needed. An IANA name or an offset such as +02:00."},
        {"order", 2}}},
      {"invalid_cdc_cursor_position_behavior",
       {{"type", "string"},
        {"title", "Invalid CDC Position Behavior (Advanced)"},
        {"enum", {kFailSync, kResync}},
        {"default", kFailSync},
        {"description", "What to do when the server no longer has the saved binlog position (purged binlogs): "
                        "fail the sync, or take a new snapshot."},
        {"order", 3}}},
      {"initial_load_timeout_hours",
       {{"type", "integer"},
        {"title", "Initial Load Timeout in Hours (Advanced)"},
        {"description", "Accepted for compatibility; the snapshot is resumable instead."},
        {"default", 8},
        {"minimum", 4},
        {"maximum", 24},
        {"order", 4}}},
      {"server_id",
       {{"type", "integer"},
        {"title", "Replica server id (Advanced)"},
        {"description", "The server id the binlog reader registers with; it must differ from every server's and "
                        "every other reader's. Default: a random id per sync."},
        {"minimum", 1},
        {"maximum", 4294967295LL},
        {"order", 5}}},
  };
  return Json{{"title", "Read Changes using Change Data Capture (CDC)"},
              {"description", "Reads inserts, updates and deletes from the binlog (row-based) after a consistent "
                              "snapshot. Needs log_bin, binlog_format=ROW, binlog_row_image=FULL and the "
                              "REPLICATION SLAVE and REPLICATION CLIENT grants."},
              {"type", "object"},
              {"required", {"method"}},
              {"additionalProperties", true},
              {"properties", std::move(props)}};
}

bool ValidTimeZone(const std::string& tz) {
  if (tz.empty()) return true;
  if ((tz[0] == '+' || tz[0] == '-') && tz.size() == 6 && tz[3] == ':') return true;
  if (tz == "UTC" || tz == "SYSTEM") return true;
  for (char c : tz) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '+')) return false;
  }
  return tz.find('/') != std::string::npos || tz.size() <= 5;
}

Result<MySqlCdcConfig> ParseCdcConfig(const Json& method) {
  ConfigReader r(method, "$.replication_method");
  MySqlCdcConfig c;
  c.initial_waiting_seconds = r.Integer("initial_waiting_seconds", 300, 120, 3600);
  c.server_timezone = r.String("server_timezone", "");
  if (!ValidTimeZone(c.server_timezone)) {
    r.Fail("server_timezone", "must be an IANA time zone name (Europe/Amsterdam) or an offset (+02:00)");
  }
  c.resync_on_invalid_position =
      r.Enum("invalid_cdc_cursor_position_behavior", {kFailSync, kResync}, kFailSync) == kResync;
  c.initial_load_timeout_hours = r.Integer("initial_load_timeout_hours", 8, 4, 24);
  if (r.Has("server_id") && !r.Raw("server_id").is_null()) {
    c.server_id = static_cast<uint32_t>(r.Integer("server_id", 0, 1, 4294967295LL));
  }
  SLUICE_RETURN_IF_ERROR(r.status());
  return c;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

//! Percent-decoding of a JDBC URL parameter value.
std::string UrlDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (r.ec == std::errc() && r.ptr == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

Status ParseJdbcParams(const std::string& text, MySqlSourceConfig& c) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('&', start);
    if (end == std::string::npos) end = text.size();
    std::string_view pair(text.data() + start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Status::ConfigError(fmt::format("jdbc_url_params: '{}' is not key=value (pairs are separated by &)",
                                             std::string(pair)));
    }
    std::string key(pair.substr(0, eq));
    std::string value = UrlDecode(pair.substr(eq + 1));
    if (key == "connectTimeout" || key == "socketTimeout") {
      auto ms = ParseInt(value);
      if (!ms || *ms < 0) {
        return Status::ConfigError(fmt::format("jdbc_url_params: {} must be milliseconds, got '{}'", key, value));
      }
      const int secs = static_cast<int>((*ms + 999) / 1000);
      (key == "connectTimeout" ? c.connect_timeout_s : c.socket_timeout_s) = secs;
    } else if (key == "sessionVariables") {
      size_t s = 0;
      while (s < value.size()) {
        size_t e = value.find(',', s);
        if (e == std::string::npos) e = value.size();
        std::string item = value.substr(s, e - s);
        s = e + 1;
        const size_t q = item.find('=');
        if (q == std::string::npos || q == 0) {
          return Status::ConfigError(
              fmt::format("jdbc_url_params: sessionVariables item '{}' is not name=value", item));
        }
        std::string name = item.substr(0, q);
        for (char ch : name) {
          if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_')) {
            return Status::ConfigError(fmt::format("jdbc_url_params: sessionVariables name '{}' is not a variable "
                                                   "name", name));
          }
        }
        c.session_variables.emplace_back(std::move(name), item.substr(q + 1));
      }
    } else if (key == "useSSL" || key == "requireSSL") {
      if (value == "false") c.tls_disabled_by_params = true;
    } else if (key == "zeroDateTimeBehavior" || key == "characterEncoding" || key == "useUnicode" ||
               key == "serverTimezone" || key == "tinyInt1isBit") {
      // Accepted: sluice's behaviour is fixed (README: "Types").
    } else {
      Log(LogLevel::kWarn, "jdbc_url_params: '{}' has no meaning for sluice's MySQL client and is ignored", key);
    }
    c.jdbc_params.emplace_back(std::move(key), std::move(value));
  }
  return Status::Ok();
}

}  // namespace

std::string_view MySqlSslModeName(MySqlSslMode mode) {
  switch (mode) {
    case MySqlSslMode::kPreferred: return "preferred";
    case MySqlSslMode::kRequired: return "required";
    case MySqlSslMode::kVerifyCa: return "verify_ca";
    case MySqlSslMode::kVerifyIdentity: return "verify_identity";
  }
  return "required";
}

Json MySqlSourceSpecJson() {
  int order = 0;
  Json props = Json::object();
  props["host"] = {{"type", "string"}, {"title", "Host"}, {"description", "Hostname of the database."},
                   {"order", order++}};
  props["port"] = {{"type", "integer"}, {"title", "Port"}, {"description", "Port of the database."},
                   {"minimum", 0}, {"maximum", 65536}, {"default", 3306}, {"order", order++}};
  props["database"] = {{"type", "string"}, {"title", "Database"}, {"description", "The database name."},
                       {"order", order++}};
  props["username"] = {{"type", "string"}, {"title", "User"},
                       {"description", "The username which is used to access the database."}, {"order", order++}};
  props["password"] = {{"type", "string"}, {"title", "Password"},
                       {"description", "The password associated with the username."}, {"airbyte_secret", true},
                       {"always_show", true}, {"order", order++}};
  props["table_filters"] = {
      {"type", "array"},
      {"title", "Table Filters"},
      {"description", "Optional filters to include only specific tables from the specified database."},
      {"order", order++},
      {"items",
       {{"type", "object"},
        {"title", "Table Filter"},
        {"required", {"database_name", "table_name_patterns"}},
        {"properties",
         {{"database_name", {{"type", "string"}, {"title", "Database Name"}}},
          {"table_name_patterns",
           {{"type", "array"}, {"title", "Table Filter Patterns"}, {"minItems", 1}, {"items", {{"type", "string"}}},
            {"description", "Table name patterns to include (SQL LIKE)."}}}}}}}};
  props["jdbc_url_params"] = {
      {"type", "string"},
      {"title", "JDBC URL Params"},
      {"description", "Additional properties formatted as 'key=value' pairs separated by '&' (example: "
                      "connectTimeout=10000&sessionVariables=max_execution_time=0). Understood: connectTimeout, "
                      "socketTimeout, sessionVariables, useSSL; others are ignored."},
      {"order", order++}};
  props["ssl_mode"] = {
      {"type", "object"},
      {"title", "Encryption"},
      {"description", "The encryption method which is used when communicating with the database."},
      {"default", {{"mode", "required"}}},
      {"order", order++},
      {"oneOf",
       {SslBranch("preferred", "To allow unencrypted communication only when the source doesn't support "
                               "encryption.", false),
        SslBranch("required", "To always require encryption. Note: The connection will fail if the source "
                              "doesn't support encryption.", false),
        SslBranch("verify_ca", "To always require encryption and verify that the source has a valid SSL "
                               "certificate.", true),
        SslBranch("verify_identity", "To always require encryption and verify that the source has a valid SSL "
                                     "certificate and the host name it was issued for.", true)}}};
  props["replication_method"] = {
      {"type", "object"},
      {"title", "Update Method"},
      {"description", "Configures how data is extracted from the database."},
      {"default", {{"method", "STANDARD"}}},
      {"display_type", "radio"},
      {"order", order++},
      {"oneOf",
       {Json{{"title", "Scan Changes with User Defined Cursor"},
             {"description", "Incrementally detects new inserts and updates using the cursor column chosen when "
                             "configuring a connection (e.g. created_at, updated_at)."},
             {"type", "object"},
             {"required", {"method"}},
             {"properties", {{"method", {{"type", "string"}, {"const", "STANDARD"}, {"order", 0}}}}}},
        CdcBranch()}}};
  props["tunnel_method"] = TunnelMethodSpec(order++);
  props["checkpoint_target_interval_seconds"] = {
      {"type", "integer"}, {"title", "Checkpoint Target Time Interval"},
      {"description", "Accepted for compatibility; sluice checkpoints after every primary-key chunk."},
      {"default", 300}, {"minimum", 1}, {"order", order++}};
  props["max_db_connections"] = {
      {"type", "integer"}, {"title", "Max Concurrent Queries to Database"},
      {"description", "How many connections read at the same time: tables in parallel, and a large table's "
                      "primary-key ranges in parallel."},
      {"minimum", 1}, {"maximum", 64}, {"default", 2}, {"order", order++}};
  props["concurrency"] = {{"type", "integer"}, {"title", "Concurrency"}, {"airbyte_hidden", true},
                          {"description", "Accepted for compatibility (Airbyte's older key for max_db_connections)."},
                          {"minimum", 1}, {"order", order++}};
  props["check_privileges"] = {{"type", "boolean"}, {"title", "Check Table and Column Access Privileges"},
                               {"description", "Accepted for compatibility: discover always lists only what the "
                                               "user may read."},
                               {"default", true}, {"order", order++}};
  props["chunk_rows"] = {{"type", "integer"}, {"title", "Chunk size (rows)"},
                         {"description", "Full refresh reads a table in primary-key chunks of this many rows; a "
                                         "checkpoint follows each chunk, so an interrupted read resumes after it."},
                         {"minimum", 100}, {"maximum", 100000000}, {"default", 100000}, {"order", order++}};
  return Json{{"$schema", "http://json-schema.org/draft-07/schema#"},
              {"title", "MySQL Source Spec"},
              {"type", "object"},
              {"required", {"host", "port", "database", "username", "replication_method"}},
              {"additionalProperties", true},
              {"properties", std::move(props)}};
}

Result<MySqlSourceConfig> ParseMySqlSourceConfig(const Json& config) {
  if (!config.is_object()) return Status::ConfigError("config: must be an object");
  ConfigReader r(config);
  MySqlSourceConfig c;
  c.host = r.String("host");
  c.port = static_cast<int>(r.Integer("port", 3306, 0, 65536));
  c.database = r.String("database");
  c.username = r.String("username");
  c.password = r.String("password", "");
  // ssl_mode: an object {mode: …} as Airbyte, or a plain string.
  const Json& ssl = r.Raw("ssl_mode");
  std::string mode = "required";
  ConfigReader ssl_reader = r.Object("ssl_mode");
  if (ssl.is_string()) {
    mode = ssl.get<std::string>();
  } else if (ssl.is_object()) {
    mode = ssl_reader.Enum("mode", {"preferred", "required", "verify_ca", "verify_identity"}, "required");
  }
  if (mode == "preferred") {
    c.ssl.mode = MySqlSslMode::kPreferred;
  } else if (mode == "required") {
    c.ssl.mode = MySqlSslMode::kRequired;
  } else if (mode == "verify_ca" || mode == "verify_identity") {
    c.ssl.mode = mode == "verify_ca" ? MySqlSslMode::kVerifyCa : MySqlSslMode::kVerifyIdentity;
    if (ssl.is_object()) {
      c.ssl.ca_certificate = ssl_reader.String("ca_certificate");
      c.ssl.client_certificate = ssl_reader.String("client_certificate", "");
      c.ssl.client_key = ssl_reader.String("client_key", "");
      c.ssl.client_key_password = ssl_reader.String("client_key_password", "");
      if (c.ssl.client_certificate.empty() != c.ssl.client_key.empty()) {
        ssl_reader.Fail("client_key", "client_certificate and client_key go together: give both or neither");
      }
    } else {
      r.Fail("ssl_mode", "verify_ca and verify_identity need an object with ca_certificate");
    }
  } else {
    r.Fail("ssl_mode", "must be one of preferred, required, verify_ca, verify_identity");
  }
  const std::string params = r.String("jdbc_url_params", "");
  for (ConfigReader f : r.Array("table_filters")) {
    MySqlTableFilter filter;
    filter.database_name = f.String("database_name");
    filter.patterns = f.StringList("table_name_patterns");
    if (filter.patterns.empty()) f.Fail("table_name_patterns", "must list at least one pattern");
    c.table_filters.push_back(std::move(filter));
  }
  c.checkpoint_target_interval_seconds = r.Integer("checkpoint_target_interval_seconds", 300, 1);
  c.max_db_connections = static_cast<int>(r.Integer("max_db_connections", 2, 1, 64));
  c.chunk_rows = r.Integer("chunk_rows", 100000, 100, 100000000);
  (void)r.Integer("concurrency", 1, 1);
  (void)r.Bool("check_privileges", true);
  SLUICE_RETURN_IF_ERROR(r.status());
  SLUICE_ASSIGN_OR_RETURN(c.tunnel, ParseTunnelMethod(config));
  SLUICE_RETURN_IF_ERROR(ParseJdbcParams(params, c));
  if (c.tls_disabled_by_params) c.ssl.mode = MySqlSslMode::kPreferred;

  const Json& method = r.Raw("replication_method");
  std::string name = "STANDARD";
  if (method.is_string()) {
    name = method.get<std::string>();
  } else if (method.is_object() && method.contains("method") && method["method"].is_string()) {
    name = method["method"].get<std::string>();
  } else if (!method.is_null()) {
    return Status::ConfigError("replication_method: must be {\"method\": \"STANDARD\"} or {\"method\": \"CDC\", …}");
  }
  if (name == "STANDARD" || name == "Standard") {
    c.replication = MySqlReplication::kStandard;
  } else if (name == "CDC") {
    c.replication = MySqlReplication::kCdc;
    SLUICE_ASSIGN_OR_RETURN(c.cdc, ParseCdcConfig(method.is_object() ? method : Json::object()));
  } else {
    return Status::ConfigError(fmt::format("replication_method.method: must be STANDARD or CDC, got '{}'", name));
  }
  return c;
}

}  // namespace sluice
