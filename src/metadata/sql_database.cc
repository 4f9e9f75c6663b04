#include "metadata/sql_database.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>

#include "base/text.h"
#include "metadata/postgres_database.h"
#include "metadata/sqlite_database.h"

namespace sluice {

std::string_view DialectName(Dialect dialect) { return dialect == Dialect::kSqlite ? "sqlite" : "postgres"; }

std::string SqlValue::ToText() const {
  if (const auto* i = std::get_if<int64_t>(&value_)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value_)) return fmt::format("{}", *d);
  if (const auto* s = std::get_if<std::string>(&value_)) return *s;
  return "";
}

int64_t SqlRow::GetInt(size_t column) const {
  const SqlValue& v = values_.at(column);
  if (const auto* i = std::get_if<int64_t>(&v.variant())) return *i;
  if (const auto* d = std::get_if<double>(&v.variant())) return static_cast<int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&v.variant())) {
    if (*s == "t") return 1;  // PostgreSQL boolean
    if (*s == "f") return 0;
    int64_t out = 0;
    std::from_chars(s->data(), s->data() + s->size(), out);
    return out;
  }
  return 0;
}

double SqlRow::GetDouble(size_t column) const {
  const SqlValue& v = values_.at(column);
  if (const auto* d = std::get_if<double>(&v.variant())) return *d;
  if (const auto* i = std::get_if<int64_t>(&v.variant())) return static_cast<double>(*i);
  if (const auto* s = std::get_if<std::string>(&v.variant())) return std::strtod(s->c_str(), nullptr);
  return 0;
}

bool SqlRow::GetBool(size_t column) const { return GetInt(column) != 0; }

std::string SqlRow::GetText(size_t column) const { return values_.at(column).ToText(); }

std::optional<int64_t> SqlRow::GetOptionalInt(size_t column) const {
  if (IsNull(column)) return std::nullopt;
  return GetInt(column);
}

std::optional<std::string> SqlRow::GetOptionalText(size_t column) const {
  if (IsNull(column)) return std::nullopt;
  return GetText(column);
}

std::string ToNumberedPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {  // copy a quoted literal or identifier ('' and "" escape themselves)
      const size_t end = sql.find(c, i + 1);
      const size_t stop = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {  // line comment
      const size_t end = sql.find('\n', i);
      const size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(next++);
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

// Percent-decodes one part of the metadata URL; a malformed escape is a config error.
Result<std::string> PercentDecodeUrlPart(std::string_view text, std::string_view what) {
  bool valid = true;
  std::string out = PercentDecode(text, &valid);
  if (!valid) return Status::ConfigError(fmt::format("metadata URL: bad percent-escape in the {}", what));
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// postgres://user:pass@host:port/db?key=value&...
Result<PgConnectionConfig> ParsePostgresUrl(std::string_view url) {
  std::string_view rest = url.substr(url.find("://") + 3);
  PgConnectionConfig config;
  config.ssl_mode = "prefer";
  std::string_view query;
  if (const size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view path;
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    std::string_view user = userinfo, pass;
    if (const size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      pass = userinfo.substr(colon + 1);
    }
    SLUICE_ASSIGN_OR_RETURN(config.username, PercentDecodeUrlPart(user, "user name"));
    SLUICE_ASSIGN_OR_RETURN(config.password, PercentDecodeUrlPart(pass, "password"));
  }
  std::string_view host = rest;
  if (!host.empty() && host.front() == '[') {  // [ipv6]:port
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return Status::ConfigError("metadata URL: unclosed '[' in the host");
    config.host = std::string(host.substr(1, close - 1));
    host = host.substr(close + 1);
    if (!host.empty() && host.front() == ':')
      host = host.substr(1);
    else
      host = {};
  } else if (const size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    config.host = std::string(host.substr(0, colon));
    host = host.substr(colon + 1);
  } else {
    config.host = std::string(host);
    host = {};
  }
  if (!host.empty()) {
    int port = 0;
    auto [ptr, ec] = std::from_chars(host.data(), host.data() + host.size(), port);
    if (ec != std::errc() || ptr != host.data() + host.size() || port <= 0 || port > 65535) {
      return Status::ConfigError(fmt::format("metadata URL: port '{}' is not a number from 1 to 65535", host));
    }
    config.port = port;
  }
  if (config.host.empty()) config.host = "localhost";
  SLUICE_ASSIGN_OR_RETURN(config.database, PercentDecodeUrlPart(path, "database name"));
  if (config.database.empty()) config.database = config.username.empty() ? "postgres" : config.username;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      return Status::ConfigError(fmt::format("metadata URL: query parameter '{}' is not key=value", pair));
    }
    SLUICE_ASSIGN_OR_RETURN(std::string key, PercentDecodeUrlPart(pair.substr(0, eq), "query"));
    SLUICE_ASSIGN_OR_RETURN(std::string value, PercentDecodeUrlPart(pair.substr(eq + 1), "query"));
    if (key == "sslmode") {
      config.ssl_mode = value;
    } else if (key == "connect_timeout") {
      config.connect_timeout_seconds = std::atoi(value.c_str());
      if (config.connect_timeout_seconds <= 0) {
        return Status::ConfigError("metadata URL: connect_timeout must be a positive number of seconds");
      }
    } else if (key == "password" || key == "user" || key == "host" || key == "port" || key == "dbname") {
      return Status::ConfigError(fmt::format("metadata URL: put '{}' in the URL itself, not in the query", key));
    } else {
      config.extra_params.emplace_back(std::move(key), std::move(value));
    }
  }
  return config;
}

}  // namespace

std::string RedactDatabaseUrl(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const size_t start = scheme + 3;
  const size_t end = url.find_first_of("/?", start);
  const std::string_view authority = url.substr(start, end == std::string_view::npos ? url.npos : end - start);
  const size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  const size_t colon = authority.substr(0, at).find(':');
  if (colon == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, start + colon + 1));
  out += "***";
  out += url.substr(start + at);
  return out;
}

Result<DatabaseLocation> ParseDatabaseUrl(std::string_view url) {
  if (url.empty()) return Status::ConfigError("metadata URL is empty");
  DatabaseLocation location;
  if (StartsWith(url, "postgres://") || StartsWith(url, "postgresql://")) {
    location.dialect = Dialect::kPostgres;
    SLUICE_ASSIGN_OR_RETURN(location.postgres, ParsePostgresUrl(url));
    return location;
  }
  location.dialect = Dialect::kSqlite;
  if (StartsWith(url, "sqlite://")) {
    location.sqlite_path = std::string(url.substr(9));  // sqlite:///abs/file.db keeps its leading slash
  } else if (StartsWith(url, "sqlite:")) {
    location.sqlite_path = std::string(url.substr(7));
  } else if (url.find("://") != std::string_view::npos) {
    return Status::ConfigError(
        fmt::format("metadata URL '{}': unknown scheme (use a folder, sqlite:///path/file.db or postgres://…)",
                    RedactDatabaseUrl(url)));
  } else {
    location.sqlite_folder = std::string(url);
    location.sqlite_path = std::string(url) + "/metadata.db";
  }
  if (location.sqlite_path.empty()) return Status::ConfigError("metadata URL: the SQLite file path is empty");
  return location;
}

Result<std::unique_ptr<SqlDatabase>> OpenSqlDatabase(std::string_view url, const SqlOptions& options) {
  SLUICE_ASSIGN_OR_RETURN(DatabaseLocation location, ParseDatabaseUrl(url));
  if (location.dialect == Dialect::kPostgres) return OpenPostgresDatabase(location.postgres, options);
  if (!location.sqlite_folder.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(location.sqlite_folder, ec);
    if (ec) {
      return Status::ConfigError(
          fmt::format("cannot create the metadata folder {}: {}", location.sqlite_folder, ec.message()));
    }
  }
  return OpenSqliteDatabase(location.sqlite_path, options);
}

}  // namespace sluice
