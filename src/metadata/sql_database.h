#pragma once
// The SQL seam under the metadata store: a database handle with `?` placeholders and typed
// parameters, rows with typed getters, RAII transactions. Two implementations: SQLite
// (sqlite_database.cc) and PostgreSQL through libpq (postgres_database.cc).
//
// SQL written against this seam uses the common subset of both dialects: `?` placeholders
// (translated to $1.. for PostgreSQL), TRUE/FALSE, `INSERT … RETURNING`, `ON CONFLICT … DO UPDATE`.
// Where dialects differ, branch on dialect().

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "postgres/pg_connection_config.h"

namespace sluice {

enum class Dialect { kSqlite, kPostgres };
std::string_view DialectName(Dialect dialect);  //!< "sqlite" / "postgres"

//! A statement parameter or a column value: NULL, int64, double or text.
class SqlValue {
 public:
  SqlValue() = default;                                          //!< NULL
  SqlValue(std::nullptr_t) {}                                    // NOLINT: implicit by design
  SqlValue(int64_t v) : value_(v) {}                             // NOLINT
  SqlValue(int v) : value_(static_cast<int64_t>(v)) {}           // NOLINT
  SqlValue(bool v) : value_(static_cast<int64_t>(v ? 1 : 0)) {}  // NOLINT: 1/0 (PostgreSQL reads '1'/'0' as booleans)
  SqlValue(double v) : value_(v) {}                              // NOLINT
  SqlValue(std::string v) : value_(std::move(v)) {}              // NOLINT
  SqlValue(std::string_view v) : value_(std::string(v)) {}       // NOLINT
  SqlValue(const char* v) : value_(std::string(v)) {}            // NOLINT
  template <typename T>
  SqlValue(const std::optional<T>& v) {  // NOLINT: nullopt is NULL
    if (v) *this = SqlValue(*v);
  }

  bool is_null() const { return std::holds_alternative<std::monostate>(value_); }
  bool is_int() const { return std::holds_alternative<int64_t>(value_); }
  bool is_double() const { return std::holds_alternative<double>(value_); }
  bool is_text() const { return std::holds_alternative<std::string>(value_); }
  //! The value as text: ints and doubles formatted (doubles round-trip), NULL as "".
  std::string ToText() const;
  const std::variant<std::monostate, int64_t, double, std::string>& variant() const { return value_; }

 private:
  std::variant<std::monostate, int64_t, double, std::string> value_;
};

using SqlParams = std::vector<SqlValue>;

//! One result row. Getters convert: PostgreSQL returns every value as text, SQLite as stored.
//! A getter on a NULL column returns 0 / false / "" (use IsNull or the Optional getters).
class SqlRow {
 public:
  explicit SqlRow(std::vector<SqlValue> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  bool IsNull(size_t column) const { return values_.at(column).is_null(); }
  int64_t GetInt(size_t column) const;
  double GetDouble(size_t column) const;
  bool GetBool(size_t column) const;  //!< 1/0 (SQLite) or t/f (PostgreSQL)
  std::string GetText(size_t column) const;
  std::optional<int64_t> GetOptionalInt(size_t column) const;
  std::optional<std::string> GetOptionalText(size_t column) const;

 private:
  std::vector<SqlValue> values_;
};

using SqlRows = std::vector<SqlRow>;

//! Something statements run on: a transaction, or the database in autocommit mode.
class SqlSession {
 public:
  virtual ~SqlSession() = default;
  virtual Dialect dialect() const = 0;
  //! Runs one statement and returns its rows (empty for statements without RETURNING).
  virtual Result<SqlRows> Query(std::string_view sql, const SqlParams& params = {}) = 0;
  //! Runs one statement; returns the number of rows it inserted, updated or deleted.
  virtual Result<int64_t> Exec(std::string_view sql, const SqlParams& params = {}) = 0;
};

//! An open transaction. Destroying it without Commit() rolls it back.
//! Not thread-safe: one thread uses a transaction at a time.
class SqlTransaction : public SqlSession {
 public:
  //! Runs several `;`-separated statements without parameters (migrations).
  virtual Status ExecScript(std::string_view sql) = 0;
  //! Commits; the transaction is finished afterwards whatever the outcome (an error means rolled
  //! back) and its connection or lock is released at once; later statements on it fail.
  virtual Status Commit() = 0;
};

//! A database handle. Thread-safe: any thread may run statements or begin transactions.
//! Errors: config (bad URL, credentials, unopenable file, constraint violated), transient
//! (connection lost, busy/locked, server shutting down), system (anything else, e.g. SQL bugs).
class SqlDatabase : public SqlSession {
 public:
  //! Begins a write transaction (SQLite: BEGIN IMMEDIATE, so it never fails to upgrade later;
  //! PostgreSQL: BEGIN, read committed). SQLite serializes transactions: while one is open (until
  //! Commit or destruction), other threads wait. REQUIRES: the calling thread neither holds another
  //! open transaction of this database nor uses the database directly while this one is open (it
  //! would wait for itself on SQLite).
  virtual Result<std::unique_ptr<SqlTransaction>> Begin() = 0;
  //! What the database is, for logs and messages: "sqlite /path/file.db" or
  //! "postgres host:port/db" (never a password).
  virtual const std::string& description() const = 0;
};

//! Options for OpenSqlDatabase; the URL decides the implementation.
struct SqlOptions {
  int sqlite_busy_timeout_ms = 5000;  //!< how long SQLite waits for another process's lock
  //! SQLite durability. false (default): synchronous=NORMAL — a commit survives a crash of the
  //! process; a power loss may lose the last commits (never corrupts; syncs are at-least-once).
  //! true: synchronous=FULL — each commit is fsync'ed (a few ms per write on this machine).
  bool sqlite_fsync_each_commit = false;
  int postgres_pool_size = 8;                        //!< maximum open PostgreSQL connections
  std::string application_name = "sluice-metadata";  //!< shown in pg_stat_activity
};

//! Opens a database by URL:
//!   `postgres://user:pass@host:port/db?sslmode=…&connect_timeout=…` (also `postgresql://`; other
//!   query keys are passed to libpq), `sqlite:///abs/path/file.db`, `sqlite:relative/file.db`, or a
//!   plain folder path (created when missing; the file is `<folder>/metadata.db`).
//! A bad URL or credentials is a config error; an unreachable server is transient.
Result<std::unique_ptr<SqlDatabase>> OpenSqlDatabase(std::string_view url, const SqlOptions& options = {});

//! Where a metadata URL points, parsed without touching anything (OpenSqlDatabase's rules).
struct DatabaseLocation {
  Dialect dialect = Dialect::kSqlite;
  std::string sqlite_path;    //!< SQLite: the database file
  std::string sqlite_folder;  //!< SQLite given as a plain folder: that folder (created on open), else ""
  PgConnectionConfig postgres;  //!< PostgreSQL: host, port, database, user, password, sslmode, extra keywords
};
//! Parses a metadata URL (the forms OpenSqlDatabase takes). A bad URL is a config error.
Result<DatabaseLocation> ParseDatabaseUrl(std::string_view url);

//! `url` with the password replaced by "***", for logs.
std::string RedactDatabaseUrl(std::string_view url);

//! Rewrites `?` placeholders outside quotes and comments as $1, $2, … (PostgreSQL).
std::string ToNumberedPlaceholders(std::string_view sql);

}  // namespace sluice
