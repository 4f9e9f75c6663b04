#include "connectors/sources/mysql/mysql_connection.h"

#include <errmsg.h>
#include <fmt/format.h>
#include <mysqld_error.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "base/log.h"

namespace sluice {

namespace {

//! Writes `pem` to a private temporary file for the client library (it takes paths only).
Result<std::string> WriteTempPem(const std::string& pem) {
  char path[] = "/tmp/sluice-mysql-tls-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return Status::SystemError("cannot create a temporary file for a TLS certificate");
  size_t off = 0;
  while (off < pem.size()) {
    const ssize_t n = write(fd, pem.data() + off, pem.size() - off);
    if (n <= 0) {
      close(fd);
      unlink(path);
      return Status::SystemError("cannot write a temporary TLS certificate file");
    }
    off += static_cast<size_t>(n);
  }
  close(fd);
  return std::string(path);
}

}  // namespace

FailureType MySqlFailureType(unsigned int e) {
  switch (e) {
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_BAD_DB_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_NO_SUCH_TABLE:
    case ER_BAD_FIELD_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    case ER_MASTER_FATAL_ERROR_READING_BINLOG:
    case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
    case CR_SSL_CONNECTION_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_AUTH_PLUGIN_CANNOT_LOAD:
      return FailureType::kConfig;
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
    case ER_CON_COUNT_ERROR:
    case ER_TOO_MANY_USER_CONNECTIONS:
    case ER_SERVER_SHUTDOWN:
    case ER_QUERY_INTERRUPTED:
    case ER_NET_READ_ERROR:
    case ER_NET_READ_INTERRUPTED:
    case ER_NET_WRITE_INTERRUPTED:
      return FailureType::kTransient;
    default:
      // Client errors (2000–2999): the network, a lost connection, a timeout.
      if (e >= 2000 && e < 3000) return FailureType::kTransient;
      return FailureType::kSystem;
  }
}

std::string MySqlQuoteIdent(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

std::string MySqlQuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    switch (c) {
      case '\'': out += "''"; break;
      case '\\': out += "\\\\"; break;
      case '\0': out += "\\0"; break;
      default: out += c;
    }
  }
  return out + "'";
}

Result<std::unique_ptr<MySqlConnection>> MySqlConnection::Connect(const MySqlSourceConfig& config) {
  std::unique_ptr<MySqlConnection> conn(new MySqlConnection(config));
  Status st = conn->Open();
  for (const auto& f : conn->temp_files_) unlink(f.c_str());
  conn->temp_files_.clear();
  if (!st.ok()) return st;
  return conn;
}

Status MySqlConnection::Open() {
  mysql_ = mysql_init(nullptr);
  if (mysql_ == nullptr) return Status::SystemError("mysql_init failed (out of memory)");
  const unsigned int connect_timeout = static_cast<unsigned int>(config_.connect_timeout_s);
  mysql_optionsv(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  if (config_.socket_timeout_s > 0) {
    const unsigned int t = static_cast<unsigned int>(config_.socket_timeout_s);
    mysql_optionsv(mysql_, MYSQL_OPT_READ_TIMEOUT, &t);
    mysql_optionsv(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &t);
  }
  mysql_optionsv(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // No ~/.my.cnf or client groups: the config is the whole truth.
  const my_bool yes = 1;
  const bool tls = !config_.tls_disabled_by_params;
  if (tls) {
    mysql_optionsv(mysql_, MYSQL_OPT_SSL_ENFORCE, &yes);  // asks for TLS; falls back when not offered
    const MySqlSslConfig& ssl = config_.ssl;
    if (ssl.mode == MySqlSslMode::kVerifyCa || ssl.mode == MySqlSslMode::kVerifyIdentity) {
      SLUICE_ASSIGN_OR_RETURN(std::string ca, WriteTempPem(ssl.ca_certificate));
      temp_files_.push_back(ca);
      mysql_optionsv(mysql_, MYSQL_OPT_SSL_CA, ca.c_str());
      if (!ssl.client_certificate.empty()) {
        SLUICE_ASSIGN_OR_RETURN(std::string cert, WriteTempPem(ssl.client_certificate));
        temp_files_.push_back(cert);
        SLUICE_ASSIGN_OR_RETURN(std::string key, WriteTempPem(ssl.client_key));
        temp_files_.push_back(key);
        mysql_optionsv(mysql_, MYSQL_OPT_SSL_CERT, cert.c_str());
        mysql_optionsv(mysql_, MYSQL_OPT_SSL_KEY, key.c_str());
        if (!ssl.client_key_password.empty()) {
          mysql_optionsv(mysql_, MARIADB_OPT_TLS_PASSPHRASE, ssl.client_key_password.c_str());
        }
      }
      // Connector/C verifies the chain and the host name together (README: "TLS").
      mysql_optionsv(mysql_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
    }
  }
  // Through an SSH tunnel: its local end (TCP, so "localhost" never means the Unix socket here).
  const bool tunneled = config_.tunnel_local_port != 0;
  const std::string connect_host = tunneled ? "127.0.0.1" : config_.host;
  const int connect_port = tunneled ? config_.tunnel_local_port : config_.port;
  const std::string where =
      fmt::format("connecting to MySQL at {}:{} as '{}'{}", config_.host, config_.port, config_.username,
                  tunneled ? fmt::format(" through the SSH tunnel {}@{}:{}", config_.tunnel.user, config_.tunnel.host,
                                         config_.tunnel.port)
                           : std::string());
  if (mysql_real_connect(mysql_, connect_host.c_str(), config_.username.c_str(), config_.password.c_str(),
                         config_.database.c_str(), static_cast<unsigned int>(connect_port), nullptr,
                         CLIENT_MULTI_RESULTS) == nullptr) {
    const unsigned int e = mysql_errno(mysql_);
    Status st = Error(where);
    if (e == ER_BAD_DB_ERROR) {
      return Status::ConfigError(fmt::format("database: '{}' does not exist on {}:{} ({})", config_.database,
                                             config_.host, config_.port, mysql_error(mysql_)));
    }
    if (e == ER_ACCESS_DENIED_ERROR || e == ER_DBACCESS_DENIED_ERROR) {
      return Status::ConfigError(fmt::format("{}: access denied — check username, password and the user's host "
                                             "({}); GRANT SELECT ON {}.* TO '{}'@'%'",
                                             where, mysql_error(mysql_), MySqlQuoteIdent(config_.database),
                                             config_.username));
    }
    return st;
  }
  if (tls && config_.ssl.mode != MySqlSslMode::kPreferred && tls_cipher().empty()) {
    return Status::ConfigError(fmt::format(
        "ssl_mode: {} needs TLS, but the server at {}:{} does not offer it; enable TLS on the server "
        "(ssl_cert/ssl_key) or use ssl_mode preferred",
        MySqlSslModeName(config_.ssl.mode), config_.host, config_.port));
  }
  const char* info = mysql_get_server_info(mysql_);
  mariadb_ = info != nullptr && std::string_view(info).find("MariaDB") != std::string_view::npos;
  std::string session =
      "SET time_zone = '+00:00', NAMES utf8mb4, SESSION net_write_timeout = 3600, SESSION net_read_timeout = 3600";
  for (const auto& [name, value] : config_.session_variables) {
    session += fmt::format(", SESSION {} = {}", name, MySqlQuoteLiteral(value));
  }
  return Exec(session, "setting up the session");
}

MySqlConnection::~MySqlConnection() {
  Done();
  if (mysql_ != nullptr) mysql_close(mysql_);
}

std::string MySqlConnection::tls_cipher() const {
  const char* c = mysql_get_ssl_cipher(mysql_);
  return c != nullptr ? std::string(c) : std::string();
}

Status MySqlConnection::Error(std::string_view what) const {
  const unsigned int e = mysql_errno(mysql_);
  std::string message = fmt::format("{}{}MySQL error {}: {}", what, what.empty() ? "" : ": ", e, mysql_error(mysql_));
  switch (MySqlFailureType(e)) {
    case FailureType::kConfig: return Status::ConfigError(std::move(message));
    case FailureType::kTransient: return Status::TransientError(std::move(message));
    default: return Status::SystemError(std::move(message));
  }
}

Status MySqlConnection::Exec(std::string_view sql, std::string_view what) {
  Done();
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return Error(what);
  do {
    MYSQL_RES* r = mysql_store_result(mysql_);
    if (r != nullptr) mysql_free_result(r);
    else if (mysql_field_count(mysql_) != 0) return Error(what);
  } while (mysql_next_result(mysql_) == 0);
  if (mysql_errno(mysql_) != 0) return Error(what);
  return Status::Ok();
}

Result<MySqlResult> MySqlConnection::Query(std::string_view sql, std::string_view what) {
  Done();
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return Error(what);
  MYSQL_RES* r = mysql_store_result(mysql_);
  if (r == nullptr) {
    if (mysql_field_count(mysql_) != 0) return Error(what);
    return MySqlResult();
  }
  MySqlResult out;
  out.columns_ = static_cast<int>(mysql_num_fields(r));
  while (MYSQL_ROW row = mysql_fetch_row(r)) {
    const unsigned long* len = mysql_fetch_lengths(r);
    std::vector<std::optional<std::string>> cells(static_cast<size_t>(out.columns_));
    for (int i = 0; i < out.columns_; ++i) {
      if (row[i] != nullptr) cells[static_cast<size_t>(i)] = std::string(row[i], len[i]);
    }
    out.rows_.push_back(std::move(cells));
  }
  mysql_free_result(r);
  while (mysql_next_result(mysql_) == 0) {
    if (MYSQL_RES* more = mysql_store_result(mysql_)) mysql_free_result(more);
  }
  return out;
}

Status MySqlConnection::StartStream(std::string_view sql, std::string_view what) {
  Done();
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return Error(what);
  stream_ = mysql_use_result(mysql_);
  if (stream_ == nullptr) return Error(what);
  return Status::Ok();
}

Result<MYSQL_ROW> MySqlConnection::Next() {
  MYSQL_ROW row = mysql_fetch_row(stream_);
  if (row == nullptr && mysql_errno(mysql_) != 0) {
    Status st = Error("reading rows");
    Done();
    return st;
  }
  return row;
}

void MySqlConnection::Done() {
  if (stream_ == nullptr) return;
  mysql_free_result(stream_);  // reads and discards what is left
  stream_ = nullptr;
  while (mysql_more_results(mysql_) && mysql_next_result(mysql_) == 0) {
    if (MYSQL_RES* more = mysql_store_result(mysql_)) mysql_free_result(more);
  }
}

void MySqlConnection::Cancel(const MySqlSourceConfig& config, unsigned long thread_id) {
  MySqlSourceConfig c = config;
  c.connect_timeout_s = 5;
  auto conn = Connect(c);
  if (!conn.ok()) {
    Log(LogLevel::kDebug, "cancel: {}", conn.status().message());
    return;
  }
  (void)(*conn)->Exec(fmt::format("KILL QUERY {}", thread_id));
}

}  // namespace sluice
