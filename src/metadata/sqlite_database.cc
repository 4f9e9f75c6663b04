#include "metadata/sqlite_database.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <mutex>
#include <unordered_map>

namespace sluice {

namespace {

std::string SqlForMessage(std::string_view sql) {
  std::string text(sql.substr(0, 80));
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  if (sql.size() > 80) text += "…";
  return text;
}

class SqliteDatabase;

class SqliteTransaction final : public SqlTransaction {
 public:
  SqliteTransaction(SqliteDatabase* db, std::unique_lock<std::mutex> lock) : db_(db), lock_(std::move(lock)) {}
  ~SqliteTransaction() override;
  Dialect dialect() const override { return Dialect::kSqlite; }
  Result<SqlRows> Query(std::string_view sql, const SqlParams& params) override;
  Result<int64_t> Exec(std::string_view sql, const SqlParams& params) override;
  Status ExecScript(std::string_view sql) override;
  Status Commit() override;

 private:
  SqliteDatabase* db_;
  std::unique_lock<std::mutex> lock_;
  bool finished_ = false;
};

class SqliteDatabase final : public SqlDatabase {
 public:
  SqliteDatabase(sqlite3* db, std::string description) : db_(db), description_(std::move(description)) {}
  ~SqliteDatabase() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  const std::string& description() const override { return description_; }

  Result<SqlRows> Query(std::string_view sql, const SqlParams& params) override {
    std::lock_guard<std::mutex> lock(mu_);
    return Run(sql, params, nullptr);
  }
  Result<int64_t> Exec(std::string_view sql, const SqlParams& params) override {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t changes = 0;
    auto rows = Run(sql, params, &changes);
    if (!rows.ok()) return rows.status();
    return changes;
  }
  Result<std::unique_ptr<SqlTransaction>> Begin() override {
    std::unique_lock<std::mutex> lock(mu_);
    SLUICE_RETURN_IF_ERROR(ExecScriptLocked("BEGIN IMMEDIATE"));
    return std::unique_ptr<SqlTransaction>(new SqliteTransaction(this, std::move(lock)));
  }

  // REQUIRES: mu_ held.
  Result<SqlRows> Run(std::string_view sql, const SqlParams& params, int64_t* changes) {
    sqlite3_stmt* stmt = nullptr;
    int rc = Prepare(sql, &stmt);
    if (rc != SQLITE_OK) return Error(rc, sql);
    struct Resetter {  // leaves the cached statement ready for its next use
      sqlite3_stmt* s;
      ~Resetter() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } resetter{stmt};
    if (static_cast<size_t>(sqlite3_bind_parameter_count(stmt)) != params.size()) {
      return Status::SystemError(fmt::format("{}: '{}' has {} placeholders but {} parameters", description_,
                                             SqlForMessage(sql), sqlite3_bind_parameter_count(stmt), params.size()));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      const auto& v = params[i].variant();
      if (const auto* n = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, index, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, index, *d);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text(stmt, index, s->data(), static_cast<int>(s->size()), SQLITE_STATIC);
      } else {
        rc = sqlite3_bind_null(stmt, index);
      }
      if (rc != SQLITE_OK) return Error(rc, sql);
    }
    SqlRows rows;
    const int columns = sqlite3_column_count(stmt);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<SqlValue> values;
      values.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER:
            values.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
            break;
          case SQLITE_FLOAT:
            values.emplace_back(sqlite3_column_double(stmt, c));
            break;
          case SQLITE_NULL:
            values.emplace_back();
            break;
          default: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            values.emplace_back(std::string(text ? text : "", sqlite3_column_bytes(stmt, c)));
          }
        }
      }
      rows.emplace_back(std::move(values));
    }
    if (rc != SQLITE_DONE) return Error(rc, sql);
    if (changes) *changes = sqlite3_changes64(db_);
    return rows;
  }

  // A prepared statement for `sql`, from the cache (the store runs a few dozen distinct statements).
  // REQUIRES: mu_ held.
  int Prepare(std::string_view sql, sqlite3_stmt** stmt) {
    const std::string key(sql);
    if (auto it = statements_.find(key); it != statements_.end()) {
      *stmt = it->second;
      return SQLITE_OK;
    }
    const int rc = sqlite3_prepare_v2(db_, key.data(), static_cast<int>(key.size()), stmt, nullptr);
    if (rc != SQLITE_OK) return rc;
    if (statements_.size() >= kMaxCachedStatements) {
      for (auto& [unused, cached] : statements_) sqlite3_finalize(cached);
      statements_.clear();
    }
    statements_.emplace(key, *stmt);
    return SQLITE_OK;
  }

  // REQUIRES: mu_ held.
  Status ExecScriptLocked(std::string_view sql) {
    const std::string text(sql);
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return Error(rc, sql);
    return Status::Ok();
  }

  Status Error(int rc, std::string_view sql) const {
    std::string message = fmt::format("{}: {} (in '{}')", description_, sqlite3_errmsg(db_), SqlForMessage(sql));
    switch (rc & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
      case SQLITE_FULL:
      case SQLITE_INTERRUPT:
        return Status::TransientError(std::move(message));
      case SQLITE_CONSTRAINT:
      case SQLITE_CANTOPEN:
      case SQLITE_PERM:
      case SQLITE_READONLY:
      case SQLITE_NOTADB:
      case SQLITE_AUTH:
        return Status::ConfigError(std::move(message));
      default:
        return Status::SystemError(std::move(message));
    }
  }

 private:
  sqlite3* db_;
  static constexpr size_t kMaxCachedStatements = 256;

  std::string description_;
  std::mutex mu_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;  // guarded by mu_
};

SqliteTransaction::~SqliteTransaction() {
  if (!finished_) (void)db_->ExecScriptLocked("ROLLBACK");  // may fail when SQLite already rolled back
}

Result<SqlRows> SqliteTransaction::Query(std::string_view sql, const SqlParams& params) {
  if (finished_) return Status::SystemError("transaction already finished");
  return db_->Run(sql, params, nullptr);
}

Result<int64_t> SqliteTransaction::Exec(std::string_view sql, const SqlParams& params) {
  if (finished_) return Status::SystemError("transaction already finished");
  int64_t changes = 0;
  auto rows = db_->Run(sql, params, &changes);
  if (!rows.ok()) return rows.status();
  return changes;
}

Status SqliteTransaction::ExecScript(std::string_view sql) {
  if (finished_) return Status::SystemError("transaction already finished");
  return db_->ExecScriptLocked(sql);
}

Status SqliteTransaction::Commit() {
  if (finished_) return Status::SystemError("transaction already finished");
  Status status = db_->ExecScriptLocked("COMMIT");
  if (!status.ok()) (void)db_->ExecScriptLocked("ROLLBACK");
  finished_ = true;
  lock_.unlock();  // other threads may go on while this object lives
  return status;
}

}  // namespace

Result<std::unique_ptr<SqlDatabase>> OpenSqliteDatabase(const std::string& path, const SqlOptions& options) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close_v2(raw);
    return Status::ConfigError(fmt::format("cannot open the SQLite metadata file {}: {}", path, message));
  }
  auto db = std::make_unique<SqliteDatabase>(raw, "sqlite " + path);
  sqlite3_busy_timeout(raw, options.sqlite_busy_timeout_ms);
  // WAL: readers never block the writer. Foreign keys are off by default in SQLite.
  auto mode = db->Query("PRAGMA journal_mode=WAL", {});
  if (!mode.ok()) return mode.status().WithContext("cannot use the SQLite metadata file");
  if (mode->empty() || (*mode)[0].GetText(0) != "wal") {
    return Status::ConfigError(fmt::format("{}: cannot switch to WAL journal mode", db->description()));
  }
  const char* synchronous = options.sqlite_fsync_each_commit ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  for (const char* pragma : {synchronous, "PRAGMA foreign_keys=ON"}) {
    auto done = db->Exec(pragma, {});
    if (!done.ok()) return done.status();
  }
  return std::unique_ptr<SqlDatabase>(std::move(db));
}

}  // namespace sluice
