#pragma once
// PgConnection: a libpq connection with errors as classified Status values, plus SQL quoting.
//
// Classification (what the user or the platform should do about a failure):
//   config    — wrong password, unknown database/role/host name, missing privilege, missing
//               table, SSL required but refused: retrying cannot help
//   transient — connection refused or lost, timeouts, server shutting down, serialization
//               failures, deadlocks, lock timeouts, out of connections/disk/memory on the server
//   system    — anything else (a bug on our side or a server surprise)

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "postgres/pg_connection_config.h"

namespace sluice {

//! Owns a PGresult.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* result) : result_(result) {}
  PGresult* get() const { return result_.get(); }
  int rows() const { return PQntuples(result_.get()); }
  int columns() const { return PQnfields(result_.get()); }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  //! The text value (empty for NULL).
  std::string_view Get(int row, int column) const {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<size_t>(PQgetlength(result_.get(), row, column))};
  }

 private:
  struct Deleter {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Deleter> result_;
};

class PgConnection {
 public:
  //! Connects within config.connect_timeout_seconds. `application_name` shows in pg_stat_activity.
  //! Errors name host:port/database, never the password.
  static Result<std::unique_ptr<PgConnection>> Connect(const PgConnectionConfig& config,
                                                       std::string_view application_name);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PGconn* get() const { return conn_; }

  //! Runs `sql` (one or more statements, no parameters); the last result must be OK.
  Status Exec(std::string_view sql);
  //! Runs one statement with text parameters (std::nullopt = NULL) and returns its rows.
  Result<PgResult> Query(std::string_view sql, const std::vector<std::optional<std::string>>& params = {});

  //! The Status for a failed result of `what` ("COPY public.users"): the server's message,
  //! detail and hint, classified by SQLSTATE.
  Status ErrorFromResult(const PGresult* result, std::string_view what) const;
  //! The Status for a failure without a result (connection lost, COPY protocol error).
  Status ErrorFromConnection(std::string_view what) const;

  //! "host:port/database".
  const std::string& description() const { return description_; }

 private:
  PgConnection(PGconn* conn, std::string description, std::string temp_dir);
  PGconn* conn_;
  std::string description_;
  std::string temp_dir_;  // holds the CA certificate file, removed on close
};

//! Classifies a SQLSTATE (5 characters) as above.
FailureType ClassifySqlState(std::string_view sqlstate);

//! "name" with embedded quotes doubled: safe for any identifier (spaces, quotes, unicode,
//! reserved words). Does not shorten.
std::string QuoteIdent(std::string_view name);
//! 'text' with quotes doubled and, when the text has backslashes, the E'' form.
std::string QuoteLiteral(std::string_view text);

}  // namespace sluice
