#include "metadata/postgres_database.h"

#include <fmt/format.h>

#include <condition_variable>
#include <mutex>

#include "postgres/pg_connection.h"

namespace sluice {

namespace {

bool Healthy(const PgConnection& conn) {
  return PQstatus(conn.get()) == CONNECTION_OK && PQtransactionStatus(conn.get()) == PQTRANS_IDLE;
}

// Runs one statement on `conn`; `changes` receives the affected row count.
Result<SqlRows> Run(PgConnection& conn, std::string_view sql, const SqlParams& params, int64_t* changes) {
  std::vector<std::optional<std::string>> texts;
  texts.reserve(params.size());
  for (const SqlValue& p : params) {
    if (p.is_null()) {
      texts.emplace_back(std::nullopt);
    } else {
      texts.emplace_back(p.ToText());
    }
  }
  SLUICE_ASSIGN_OR_RETURN(PgResult result, conn.Query(ToNumberedPlaceholders(sql), texts));
  SqlRows rows;
  const int n = result.rows(), columns = result.columns();
  rows.reserve(n);
  for (int r = 0; r < n; ++r) {
    std::vector<SqlValue> values;
    values.reserve(columns);
    for (int c = 0; c < columns; ++c) {
      if (result.IsNull(r, c)) {
        values.emplace_back();
      } else {
        values.emplace_back(std::string(result.Get(r, c)));
      }
    }
    rows.emplace_back(std::move(values));
  }
  if (changes) {
    const char* tuples = PQcmdTuples(result.get());
    *changes = tuples && *tuples ? std::atoll(tuples) : 0;
  }
  return rows;
}

class PostgresDatabase;

class PostgresTransaction final : public SqlTransaction {
 public:
  PostgresTransaction(PostgresDatabase* db, std::unique_ptr<PgConnection> conn) : db_(db), conn_(std::move(conn)) {}
  ~PostgresTransaction() override;
  Dialect dialect() const override { return Dialect::kPostgres; }
  Result<SqlRows> Query(std::string_view sql, const SqlParams& params) override {
    if (finished_) return Status::SystemError("transaction already finished");
    return Run(*conn_, sql, params, nullptr);
  }
  Result<int64_t> Exec(std::string_view sql, const SqlParams& params) override {
    if (finished_) return Status::SystemError("transaction already finished");
    int64_t changes = 0;
    auto rows = Run(*conn_, sql, params, &changes);
    if (!rows.ok()) return rows.status();
    return changes;
  }
  Status ExecScript(std::string_view sql) override {
    if (finished_) return Status::SystemError("transaction already finished");
    return conn_->Exec(sql);
  }
  Status Commit() override {
    if (finished_) return Status::SystemError("transaction already finished");
    finished_ = true;
    // COMMIT of a transaction aborted by an earlier error "succeeds" as ROLLBACK: refuse it.
    Status status;
    if (PQtransactionStatus(conn_->get()) == PQTRANS_INERROR) {
      (void)conn_->Exec("ROLLBACK");
      status = Status::SystemError(fmt::format("{}: transaction aborted by an earlier error", conn_->description()));
    } else {
      status = conn_->Exec("COMMIT");
    }
    ReleaseConnection();  // back to the pool at once, not when this object dies
    return status;
  }

 private:
  void ReleaseConnection();

  PostgresDatabase* db_;
  std::unique_ptr<PgConnection> conn_;  // null once released
  bool finished_ = false;
};

class PostgresDatabase final : public SqlDatabase {
 public:
  PostgresDatabase(PgConnectionConfig config, SqlOptions options)
      : config_(std::move(config)), options_(std::move(options)), description_("postgres " + config_.Describe()) {}

  Dialect dialect() const override { return Dialect::kPostgres; }
  const std::string& description() const override { return description_; }

  Result<SqlRows> Query(std::string_view sql, const SqlParams& params) override {
    SLUICE_ASSIGN_OR_RETURN(auto conn, Acquire());
    auto rows = Run(*conn, sql, params, nullptr);
    Release(std::move(conn));
    return rows;
  }
  Result<int64_t> Exec(std::string_view sql, const SqlParams& params) override {
    SLUICE_ASSIGN_OR_RETURN(auto conn, Acquire());
    int64_t changes = 0;
    auto rows = Run(*conn, sql, params, &changes);
    Release(std::move(conn));
    if (!rows.ok()) return rows.status();
    return changes;
  }
  Result<std::unique_ptr<SqlTransaction>> Begin() override {
    // A pooled connection may have died while idle (server restart): BEGIN has no effect, so
    // one retry on a fresh connection is safe.
    for (int attempt = 0;; ++attempt) {
      SLUICE_ASSIGN_OR_RETURN(auto conn, Acquire());
      Status begun = conn->Exec("BEGIN");
      if (begun.ok()) return std::unique_ptr<SqlTransaction>(new PostgresTransaction(this, std::move(conn)));
      Release(std::move(conn));
      if (attempt > 0 || begun.failure_type() != FailureType::kTransient) return begun;
    }
  }

  Status Connect() {
    SLUICE_ASSIGN_OR_RETURN(auto conn, Acquire());
    Release(std::move(conn));
    return Status::Ok();
  }

  //! Blocks while `pool_size` connections are in use.
  Result<std::unique_ptr<PgConnection>> Acquire() {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !idle_.empty() || open_ < options_.postgres_pool_size; });
      if (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        return conn;
      }
      ++open_;
    }
    auto conn = PgConnection::Connect(config_, options_.application_name);
    if (conn.ok())
      PQsetNoticeProcessor((*conn)->get(), [](void*, const char*) {}, nullptr);  // "already exists, skipping"
    if (!conn.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      --open_;
      cv_.notify_one();
      return conn.status().WithContext("metadata store");
    }
    return std::move(conn).value();
  }

  void Release(std::unique_ptr<PgConnection> conn) {
    std::vector<std::unique_ptr<PgConnection>> dropped;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (Healthy(*conn)) {
        idle_.push_back(std::move(conn));
      } else {
        // One broken connection usually means the server restarted: drop the idle ones too.
        dropped.push_back(std::move(conn));
        for (auto& c : idle_) dropped.push_back(std::move(c));
        idle_.clear();
        open_ -= static_cast<int>(dropped.size());
      }
      cv_.notify_all();
    }
  }  // `dropped` closes outside the lock

 private:
  PgConnectionConfig config_;
  SqlOptions options_;
  std::string description_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;  // idle + in use
};

PostgresTransaction::~PostgresTransaction() {
  if (!conn_) return;
  if (!finished_ && PQstatus(conn_->get()) == CONNECTION_OK) (void)conn_->Exec("ROLLBACK");
  ReleaseConnection();
}

void PostgresTransaction::ReleaseConnection() {
  if (conn_) db_->Release(std::move(conn_));
}

}  // namespace

Result<std::unique_ptr<SqlDatabase>> OpenPostgresDatabase(const PgConnectionConfig& config, const SqlOptions& options) {
  if (options.postgres_pool_size < 1) return Status::ConfigError("postgres_pool_size must be at least 1");
  auto db = std::make_unique<PostgresDatabase>(config, options);
  SLUICE_RETURN_IF_ERROR(db->Connect());
  return std::unique_ptr<SqlDatabase>(std::move(db));
}

}  // namespace sluice
