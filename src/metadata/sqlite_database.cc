#include "metadata/sqlite_database.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace sluice {

namespace {

constexpr int kSqliteReaders = 4;  // read-only connections beside the writer (OpenReaders)

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
    if (!readers_.empty() && IsPlainSelect(sql)) return ReadOnReader(sql, params);
    std::lock_guard<std::mutex> lock(mu_);
    return Run(sql, params, nullptr);
  }

  //! Opens `count` read-only connections to `path` beside the writer: a SELECT outside a
  //! transaction runs on one of them (WAL: readers see every committed write and neither block nor
  //! wait for the writer), so the API's reads do not queue behind the writer's mutex. Best effort:
  //! a reader that cannot be opened is left out.
  void OpenReaders(const std::string& path, int count, int busy_timeout_ms) {
    for (int i = 0; i < count; ++i) {
      sqlite3* raw = nullptr;
      if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
        sqlite3_close_v2(raw);
        return;
      }
      sqlite3_busy_timeout(raw, busy_timeout_ms);
      auto reader = std::make_unique<Reader>();
      reader->db = raw;
      readers_.push_back(std::move(reader));
    }
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
    return RunOn(db_, statements_, sql, params, changes);
  }

  // REQUIRES: the mutex guarding `db` and `statements` held.
  Result<SqlRows> RunOn(sqlite3* db, std::unordered_map<std::string, sqlite3_stmt*>& statements,
                        std::string_view sql, const SqlParams& params, int64_t* changes) {
    sqlite3_stmt* stmt = nullptr;
    int rc = Prepare(db, statements, sql, &stmt);
    if (rc != SQLITE_OK) return Error(rc, sql, db);
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
      if (rc != SQLITE_OK) return Error(rc, sql, db);
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
    if (rc != SQLITE_DONE) return Error(rc, sql, db);
    if (changes) *changes = sqlite3_changes64(db);
    return rows;
  }

  // A prepared statement for `sql` on `db`, from its cache (the store runs a few dozen distinct
  // statements). REQUIRES: the mutex guarding `db` and `statements` held.
  static int Prepare(sqlite3* db, std::unordered_map<std::string, sqlite3_stmt*>& statements, std::string_view sql,
                     sqlite3_stmt** stmt) {
    const std::string key(sql);
    if (auto it = statements.find(key); it != statements.end()) {
      *stmt = it->second;
      return SQLITE_OK;
    }
    const int rc = sqlite3_prepare_v2(db, key.data(), static_cast<int>(key.size()), stmt, nullptr);
    if (rc != SQLITE_OK) return rc;
    if (statements.size() >= kMaxCachedStatements) {
      for (auto& [unused, cached] : statements) sqlite3_finalize(cached);
      statements.clear();
    }
    statements.emplace(key, *stmt);
    return SQLITE_OK;
  }

  // A SELECT (no RETURNING, no CTE that could write): safe on a read-only connection.
  static bool IsPlainSelect(std::string_view sql) {
    size_t i = 0;
    while (i < sql.size() && (sql[i] == ' ' || sql[i] == '\n' || sql[i] == '\t')) ++i;
    if (sql.size() - i < 7) return false;
    for (size_t k = 0; k < 6; ++k) {
      if ((sql[i + k] | 0x20) != "select"[k]) return false;
    }
    return sql[i + 6] == ' ' || sql[i + 6] == '\n' || sql[i + 6] == '\t';
  }

  Result<SqlRows> ReadOnReader(std::string_view sql, const SqlParams& params) {
    const size_t n = readers_.size();
    const size_t start = next_reader_.fetch_add(1, std::memory_order_relaxed) % n;
    for (size_t k = 0; k < n; ++k) {  // a free reader, else wait for the next one in turn
      Reader& r = *readers_[(start + k) % n];
      std::unique_lock<std::mutex> lock(r.mu, std::try_to_lock);
      if (lock.owns_lock()) return RunOn(r.db, r.statements, sql, params, nullptr);
    }
    Reader& r = *readers_[start];
    std::lock_guard<std::mutex> lock(r.mu);
    return RunOn(r.db, r.statements, sql, params, nullptr);
  }

  // REQUIRES: mu_ held.
  Status ExecScriptLocked(std::string_view sql) {
    const std::string text(sql);
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return Error(rc, sql, db_);
    return Status::Ok();
  }

  Status Error(int rc, std::string_view sql, sqlite3* db) const {
    std::string message = fmt::format("{}: {} (in '{}')", description_, sqlite3_errmsg(db), SqlForMessage(sql));
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

  struct Reader {
    ~Reader() {
      for (auto& [sql, stmt] : statements) sqlite3_finalize(stmt);
      sqlite3_close_v2(db);
    }
    std::mutex mu;
    sqlite3* db = nullptr;                                      // read-only, guarded by mu
    std::unordered_map<std::string, sqlite3_stmt*> statements;  // guarded by mu
  };
  std::vector<std::unique_ptr<Reader>> readers_;  // fixed after OpenSqliteDatabase
  std::atomic<size_t> next_reader_{0};
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
  // Not for an in-memory or temporary database: another connection would see another database.
  if (!path.empty() && path != ":memory:" && path.find("mode=memory") == std::string::npos) {
    db->OpenReaders(path, kSqliteReaders, options.sqlite_busy_timeout_ms);
  }
  return std::unique_ptr<SqlDatabase>(std::move(db));
}

}  // namespace sluice
