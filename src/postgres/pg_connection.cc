#include "postgres/pg_connection.h"

#include <fmt/format.h>

#include <tuple>
#include <utility>

#include "base/file_util.h"
#include "base/subprocess.h"

namespace sluice {

std::string PgConnectionConfig::Describe() const {
  if (tunnel_local_port != 0) return fmt::format("{}:{}/{} through the SSH tunnel {}", host, port, database, tunnel);
  return fmt::format("{}:{}/{}", host, port, database);
}

namespace {

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string Trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  // libpq repeats "connection to server at ... failed: " for every address it tried; keep it.
  return s;
}

// A failed connection attempt has no SQLSTATE: classify libpq's message.
FailureType ClassifyConnectFailure(std::string_view message) {
  static constexpr std::string_view kConfigMarkers[] = {
      "password authentication failed", "no password supplied", "authentication failed",
      "does not exist",                 "no pg_hba.conf entry", "could not translate host name",
      "server does not support SSL",    "certificate",          "invalid sslmode",
      "invalid connection option",      "invalid integer value", "permission denied",
      "SSL error",                      "unsupported frontend protocol",
      "pg_hba.conf rejects connection", "invalid value for parameter",
      "unrecognized configuration parameter"};
  for (std::string_view marker : kConfigMarkers) {
    if (Contains(message, marker)) return FailureType::kConfig;
  }
  return FailureType::kTransient;  // refused, timed out, unreachable, starting up, too many clients
}

}  // namespace

FailureType ClassifySqlState(std::string_view state) {
  if (state.size() != 5) return FailureType::kSystem;
  const std::string_view cls = state.substr(0, 2);
  if (cls == "08" || cls == "53" || cls == "57" || cls == "58" || cls == "40") return FailureType::kTransient;
  if (state == "55P03" || state == "55006") return FailureType::kTransient;  // lock not available, object in use
  if (cls == "28" || cls == "3D" || cls == "3F" || cls == "42" || cls == "22" || cls == "23" || cls == "0A" ||
      cls == "2B" || cls == "44") {
    return FailureType::kConfig;  // auth, missing db/schema, privilege, undefined objects, data
  }
  return FailureType::kSystem;
}

std::string QuoteIdent(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '"';
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string QuoteLiteral(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 3);
  const bool backslash = Contains(text, "\\");
  if (backslash) out += 'E';
  out += '\'';
  for (char c : text) {
    if (c == '\'') out += '\'';
    if (c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

PgConnection::PgConnection(PGconn* conn, std::string description, std::string temp_dir)
    : conn_(conn), description_(std::move(description)), temp_dir_(std::move(temp_dir)) {}

PgConnection::~PgConnection() {
  PQfinish(conn_);
  if (!temp_dir_.empty()) RemoveTreeIgnoringErrors(temp_dir_);
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const PgConnectionConfig& config,
                                                              std::string_view application_name) {
  std::vector<std::pair<std::string, std::string>> params = {
      {"host", config.host},
      {"port", std::to_string(config.tunnel_local_port != 0 ? config.tunnel_local_port : config.port)},
      {"dbname", config.database},
      {"user", config.username},
      {"password", config.password},
      {"sslmode", config.ssl_mode},
      {"connect_timeout", std::to_string(config.connect_timeout_seconds)},
      {"application_name", std::string(application_name)},
      {"client_encoding", "UTF8"},
  };
  // Certificates and keys go to 0600 files in a private folder, removed with the connection.
  std::string temp_dir;
  for (const auto& [keyword, file, text] : {std::tuple<const char*, const char*, const std::string&>{
                                                "sslrootcert", "ca.pem", config.ca_certificate},
                                            {"sslcert", "client.pem", config.client_certificate},
                                            {"sslkey", "client.key", config.client_key}}) {
    if (text.empty()) continue;
    if (temp_dir.empty()) {
      SLUICE_ASSIGN_OR_RETURN(temp_dir, MakeTempDir("sluice-pg-ca"));
    }
    const std::string path = temp_dir + "/" + file;
    Status written = WritePrivateFile(path, text);
    if (!written.ok()) {
      RemoveTreeIgnoringErrors(temp_dir);
      return written;
    }
    params.emplace_back(keyword, path);
  }
  if (!config.client_key_password.empty()) params.emplace_back("sslpassword", config.client_key_password);
  if (config.tunnel_local_port != 0) params.emplace_back("hostaddr", "127.0.0.1");  // host stays for TLS checks
  for (const auto& [key, value] : config.extra_params) params.emplace_back(key, value);

  std::vector<const char*> keys, values;
  for (const auto& [key, value] : params) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 0);
  const std::string description = config.Describe();
  if (conn == nullptr) {
    if (!temp_dir.empty()) RemoveTreeIgnoringErrors(temp_dir);
    return Status::SystemError("cannot connect to PostgreSQL: out of memory");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    if (!temp_dir.empty()) RemoveTreeIgnoringErrors(temp_dir);
    const FailureType type = ClassifyConnectFailure(message);
    std::string text = fmt::format("cannot connect to PostgreSQL at {}: {}", description, message);
    if (type == FailureType::kConfig) return Status::ConfigError(std::move(text));
    return Status::TransientError(std::move(text));
  }
  return std::unique_ptr<PgConnection>(new PgConnection(conn, description, std::move(temp_dir)));
}

Status PgConnection::ErrorFromResult(const PGresult* result, std::string_view what) const {
  if (result == nullptr) return ErrorFromConnection(what);
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
  const char* hint = PQresultErrorField(result, PG_DIAG_MESSAGE_HINT);
  if (state == nullptr || primary == nullptr) return ErrorFromConnection(what);
  std::string message = fmt::format("{} on {}: {} (SQLSTATE {})", what, description_, primary, state);
  if (detail) message += fmt::format("; {}", detail);
  if (hint) message += fmt::format("; hint: {}", hint);
  if (const char* position = PQresultErrorField(result, PG_DIAG_STATEMENT_POSITION)) {
    message += fmt::format(" (at character {})", position);
  }
  switch (ClassifySqlState(state)) {
    case FailureType::kConfig:
      return Status::ConfigError(std::move(message));
    case FailureType::kTransient:
      return Status::TransientError(std::move(message));
    default:
      return Status::SystemError(std::move(message));
  }
}

Status PgConnection::ErrorFromConnection(std::string_view what) const {
  std::string message = Trimmed(PQerrorMessage(conn_));
  if (PQstatus(conn_) == CONNECTION_BAD) {
    return Status::TransientError(fmt::format("{} on {}: connection lost: {}", what, description_, message));
  }
  return Status::SystemError(fmt::format("{} on {}: {}", what, description_, message));
}

Status PgConnection::Exec(std::string_view sql) {
  const std::string text(sql);
  if (!PQsendQuery(conn_, text.c_str())) return ErrorFromConnection("query");
  Status status;
  while (PGresult* raw = PQgetResult(conn_)) {
    PgResult result(raw);
    const ExecStatusType st = PQresultStatus(raw);
    if (status.ok() && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
      std::string what(text.substr(0, 80));
      for (char& c : what) {
        if (c == '\n') c = ' ';
      }
      status = ErrorFromResult(raw, fmt::format("'{}{}'", what, text.size() > 80 ? "…" : ""));
    }
  }
  return status;
}

Result<PgResult> PgConnection::Query(std::string_view sql, const std::vector<std::optional<std::string>>& params) {
  const std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PgResult result(PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                               nullptr, nullptr, 0));
  if (result.get() == nullptr) return ErrorFromConnection("query");
  const ExecStatusType st = PQresultStatus(result.get());
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    std::string what(text.substr(0, 80));
    for (char& c : what) {
      if (c == '\n') c = ' ';
    }
    return ErrorFromResult(result.get(), fmt::format("'{}{}'", what, text.size() > 80 ? "…" : ""));
  }
  return result;
}

}  // namespace sluice
