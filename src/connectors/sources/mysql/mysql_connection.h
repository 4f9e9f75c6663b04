#pragma once
// A MySQL/MariaDB client connection over MariaDB Connector/C (libmariadb): connect with
// source-mysql's config (TLS modes, timeouts, session variables), run statements, read small
// results whole and large ones streamed row by row (mysql_use_result: memory bounded by one row).
// Every connection runs with time_zone '+00:00' and utf8mb4, so TIMESTAMP values and text arrive
// the same whatever the server's defaults.
//
// Errors are Status values classified by the server's or client's error number: access denied,
// unknown database/table, TLS refused → ConfigError; lost or refused connection, lock wait,
// deadlock → TransientError; anything else → SystemError. Messages never carry the password.
//
// Not thread-safe: one connection per thread. Cancel() may be called from any thread (it opens a
// short second connection and runs KILL QUERY).

#include <mysql.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "connectors/sources/mysql/mysql_source_config.h"

namespace sluice {

//! A whole (small) result: rows of nullable text cells.
class MySqlResult {
 public:
  int rows() const { return static_cast<int>(rows_.size()); }
  int columns() const { return columns_; }
  bool IsNull(int row, int column) const { return !rows_[row][column].has_value(); }
  //! The cell's text ("" for NULL).
  std::string_view Get(int row, int column) const {
    const auto& c = rows_[row][column];
    return c ? std::string_view(*c) : std::string_view();
  }

 private:
  friend class MySqlConnection;
  int columns_ = 0;
  std::vector<std::vector<std::optional<std::string>>> rows_;
};

class MySqlConnection {
 public:
  //! Connects (TLS as config.ssl says, database selected) and sets the session. `what` names
  //! the purpose in errors ("connecting to MySQL at host:port").
  static Result<std::unique_ptr<MySqlConnection>> Connect(const MySqlSourceConfig& config);
  ~MySqlConnection();
  MySqlConnection(const MySqlConnection&) = delete;
  MySqlConnection& operator=(const MySqlConnection&) = delete;

  MYSQL* get() { return mysql_; }
  //! Runs `sql`, discarding any result. Errors carry `what` as context.
  Status Exec(std::string_view sql, std::string_view what = {});
  //! Runs `sql` and returns its result whole (for catalog queries and other small results).
  Result<MySqlResult> Query(std::string_view sql, std::string_view what = {});
  //! Starts `sql` with its rows streamed: call Next() until it returns false, then Done().
  Status StartStream(std::string_view sql, std::string_view what = {});
  //! The next row (valid until the next call), or nullptr at the end; an error ends the stream.
  Result<MYSQL_ROW> Next();
  //! The lengths of the current row's cells.
  const unsigned long* lengths() { return mysql_fetch_lengths(stream_); }
  //! Frees the streamed result (reading what is left). Idempotent.
  void Done();

  //! The error of the last call, classified, with `what` as context.
  Status Error(std::string_view what) const;

  bool is_mariadb() const { return mariadb_; }
  //! e.g. 101119 for 10.11.19.
  unsigned long server_version() const { return mysql_get_server_version(mysql_); }
  unsigned long thread_id() { return mysql_thread_id(mysql_); }
  //! The TLS cipher in use, or "" without TLS.
  std::string tls_cipher() const;
  const MySqlSourceConfig& config() const { return config_; }

  //! Asks the server to stop this connection's running statement (KILL QUERY from a second,
  //! short connection). Any thread; best effort.
  static void Cancel(const MySqlSourceConfig& config, unsigned long thread_id);

 private:
  explicit MySqlConnection(const MySqlSourceConfig& config) : config_(config) {}
  Status Open();

  MySqlSourceConfig config_;
  MYSQL* mysql_ = nullptr;
  MYSQL_RES* stream_ = nullptr;
  bool mariadb_ = false;
  std::vector<std::string> temp_files_;  //!< certificates written for the client, removed after connect
};

//! `name` as a MySQL identifier: `name` with backticks doubled.
std::string MySqlQuoteIdent(std::string_view name);
//! `text` as a string literal: '…' with \ and ' escaped (the server's default sql_mode).
std::string MySqlQuoteLiteral(std::string_view text);
//! The classification of a MySQL/MariaDB error number (above).
FailureType MySqlFailureType(unsigned int error_number);

}  // namespace sluice
