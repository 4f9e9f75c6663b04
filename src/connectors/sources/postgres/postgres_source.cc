#include "connectors/sources/postgres/postgres_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/log.h"
#include "connectors/sdk/registry.h"
#include "postgres/pg_connection.h"
#include "connectors/sources/postgres/pg_discover.h"
#include "connectors/sources/postgres/pg_source_config.h"
#include "connectors/sources/postgres/pg_stream_reader.h"
#include "connectors/sources/postgres/pg_types.h"

namespace sluice {

namespace {

constexpr std::string_view kApplicationName = "sluice source-postgres";
//! Events (mostly batches of ≤ 4 MB) a worker may have queued ahead of the emitting thread.
constexpr size_t kQueuedEventsPerWorker = 3;
constexpr auto kPollInterval = std::chrono::milliseconds(100);

//! A connection with the session settings every read relies on: ISO dates, PostgreSQL's
//! interval style, exact floats in text casts, UTC, and no statement timeouts (as pg_dump).
Result<std::unique_ptr<PgConnection>> OpenSession(const PgSourceConfig& config) {
  SLUICE_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(config.connection, kApplicationName));
  SLUICE_RETURN_IF_ERROR(conn->Exec(
      "SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3; SET TimeZone = 'UTC'; "
      "SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0"));
  return conn;
}

std::string SchemaList(const std::vector<std::string>& schemas) {
  std::string out;
  for (const auto& s : schemas) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// ---- Check ----------------------------------------------------------------------------------

Status CheckAccess(PgConnection& conn, const PgSourceConfig& config) {
  const std::string& user = config.connection.username;
  const std::string& db = config.connection.database;
  if (!config.schemas.empty()) {
    std::string in;
    for (const auto& s : config.schemas) in += (in.empty() ? "" : ", ") + QuoteLiteral(s);
    SLUICE_ASSIGN_OR_RETURN(
        PgResult r, conn.Query("SELECT nspname, pg_catalog.has_schema_privilege(oid, 'USAGE') "
                               "FROM pg_catalog.pg_namespace WHERE nspname IN (" + in + ")"));
    for (const auto& schema : config.schemas) {
      int row = -1;
      for (int i = 0; i < r.rows(); ++i) {
        if (r.Get(i, 0) == schema) row = i;
      }
      if (row < 0) return Status::ConfigError(fmt::format("schemas: schema '{}' does not exist in database '{}'", schema, db));
      if (r.Get(row, 1) != "t") {
        return Status::ConfigError(fmt::format(
            "permission denied: user '{}' has no USAGE privilege on schema '{}' (GRANT USAGE ON SCHEMA {} TO {})", user,
            schema, QuoteIdent(schema), QuoteIdent(user)));
      }
    }
  }
  const std::string filter = SchemaFilterSql(config.schemas);
  SLUICE_ASSIGN_OR_RETURN(
      PgResult r,
      conn.Query("SELECT n.nspname, count(*), "
                 "count(*) FILTER (WHERE pg_catalog.has_any_column_privilege(c.oid, 'SELECT')), "
                 "min(c.relname) FILTER (WHERE NOT pg_catalog.has_any_column_privilege(c.oid, 'SELECT')) "
                 "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND " + filter +
                 " GROUP BY n.nspname ORDER BY n.nspname"));
  for (int i = 0; i < r.rows(); ++i) {
    const std::string schema(r.Get(i, 0));
    const std::string total(r.Get(i, 1)), readable(r.Get(i, 2));
    if (readable == "0") {
      return Status::ConfigError(fmt::format(
          "permission denied: user '{}' may not SELECT any table of schema '{}' (e.g. {}.{}): GRANT SELECT ON ALL "
          "TABLES IN SCHEMA {} TO {}",
          user, schema, schema, r.Get(i, 3), QuoteIdent(schema), QuoteIdent(user)));
    }
    if (readable != total) {
      Log(LogLevel::kWarn, "user '{}' may read {} of the {} tables and views of schema '{}' (not e.g. {}); the others "
          "are left out of the catalog", user, readable, total, schema, r.Get(i, 3));
    }
  }
  return Status::Ok();
}

// ---- Parallel read --------------------------------------------------------------------------

//! What workers hand to the emitting thread, in order per stream.
struct Event {
  enum class Kind { kBatch, kState, kStatus, kFinished };
  Kind kind = Kind::kBatch;
  uint32_t stream = 0;
  RecordBatch batch;
  Json state;
  StreamStatus status = StreamStatus::kStarted;
  Status result;  //!< kFinished
};

//! A bounded FIFO between the workers and the emitting thread. Thread-safe.
class EventQueue {
 public:
  explicit EventQueue(size_t capacity) : capacity_(capacity) {}

  //! Blocks while full. False once stopped (the event is dropped).
  bool Push(Event event) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return stopped_ || events_.size() < capacity_; });
    if (stopped_ && event.kind != Event::Kind::kFinished) return false;
    events_.push_back(std::move(event));
    not_empty_.notify_one();
    return true;
  }
  //! The next event, or nullopt after `timeout`.
  std::optional<Event> Pop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!not_empty_.wait_for(lock, timeout, [&] { return !events_.empty(); })) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    not_full_.notify_one();
    return e;
  }
  //! Wakes blocked pushers; later pushes (but kFinished) are dropped.
  void Stop() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    events_.erase(std::remove_if(events_.begin(), events_.end(),
                                 [](const Event& e) { return e.kind != Event::Kind::kFinished; }),
                  events_.end());
    not_full_.notify_all();
  }
  bool stopped() const {
    std::lock_guard lock(mu_);
    return stopped_;
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Event> events_;
  bool stopped_ = false;
};

//! Reads streams on worker threads; the thread that called Read() emits everything.
class ParallelReader {
 public:
  ParallelReader(const PgSourceConfig& config, const ConfiguredCatalog& catalog, const StateStore& state,
                 Emitter& out)
      : config_(config),
        catalog_(catalog),
        state_(state),
        out_(out),
        workers_(std::min<size_t>(static_cast<size_t>(config.max_parallel_streams), catalog.streams.size())),
        queue_(std::max<size_t>(1, workers_) * kQueuedEventsPerWorker),
        cancels_(workers_, nullptr) {}

  Status Run() {
    const size_t n = catalog_.streams.size();
    if (n == 0) return Status::Ok();
    // One connection up front: bad credentials fail the run once, before any stream starts;
    // the type catalog is the database's, shared by every worker.
    SLUICE_ASSIGN_OR_RETURN(first_conn_, OpenSession(config_));
    SLUICE_ASSIGN_OR_RETURN(PgTypeCatalog types, PgTypeCatalog::Load(*first_conn_));
    types_.emplace(std::move(types));
    std::vector<std::thread> threads;
    threads.reserve(workers_);
    for (size_t w = 0; w < workers_; ++w) threads.emplace_back([this, w] { Work(w); });

    Status first_error;
    size_t remaining = n;
    bool stopping = false;
    auto stop = [&](Status why) {
      if (first_error.ok()) first_error = std::move(why);
      if (!stopping) {
        stopping = true;
        queue_.Stop();
        CancelQueries();
      }
    };
    while (remaining > 0) {
      std::optional<Event> event = queue_.Pop(kPollInterval);
      if (!event) {
        if (!stopping && out_.cancelled()) stop(Status::Cancelled());
        continue;
      }
      if (event->kind == Event::Kind::kFinished) {
        --remaining;
        const Status& st = event->result;
        if (stopping) continue;
        if (st.ok()) {
          Status emitted = out_.EmitStreamStatus(event->stream, StreamStatus::kComplete);
          if (!emitted.ok()) stop(std::move(emitted));
        } else if (st.cancelled()) {
          stop(st);
        } else {
          // The other streams go on; the run fails at the end with the first error.
          Log(LogLevel::kError, "stream {} failed: {}", catalog_.streams[event->stream].descriptor().ToString(),
              st.message());
          if (first_error.ok()) first_error = st;
          Status emitted = out_.EmitStreamStatus(event->stream, StreamStatus::kIncomplete);
          if (!emitted.ok()) stop(std::move(emitted));
        }
        continue;
      }
      if (stopping) continue;
      Status st = Emit(*event);
      if (!st.ok()) stop(std::move(st));
    }
    for (auto& t : threads) t.join();
    return first_error;
  }

 private:
  Status Emit(Event& event) {
    switch (event.kind) {
      case Event::Kind::kBatch: return out_.Emit(std::move(event.batch));
      case Event::Kind::kState: {
        StateMessage message;
        message.type = StateType::kStream;
        message.stream.descriptor = catalog_.streams[event.stream].descriptor();
        message.stream.stream_state = std::move(event.state);
        return out_.EmitState(std::move(message));
      }
      case Event::Kind::kStatus: return out_.EmitStreamStatus(event.stream, event.status);
      case Event::Kind::kFinished: break;
    }
    return Status::Ok();
  }

  //! Sends a cancel request to every worker's running query, so a stop does not wait for a
  //! long sort or a slow COPY to produce its next row.
  void CancelQueries() {
    std::lock_guard lock(cancel_mu_);
    char error[256];
    for (PGcancel* cancel : cancels_) {
      if (cancel != nullptr) PQcancel(cancel, error, sizeof(error));
    }
  }

  void SetCancel(size_t worker, PgConnection* conn) {
    std::lock_guard lock(cancel_mu_);
    if (cancels_[worker] != nullptr) PQfreeCancel(cancels_[worker]);
    cancels_[worker] = conn != nullptr ? PQgetCancel(conn->get()) : nullptr;
  }

  class QueueSink final : public PgStreamSink {
   public:
    QueueSink(EventQueue& queue, uint32_t stream) : queue_(queue), stream_(stream) {}
    Status Batch(RecordBatch batch) override {
      Event e;
      e.kind = Event::Kind::kBatch;
      e.stream = stream_;
      e.batch = std::move(batch);
      return queue_.Push(std::move(e)) ? Status::Ok() : Status::Cancelled();
    }
    Status State(Json stream_state) override {
      Event e;
      e.kind = Event::Kind::kState;
      e.stream = stream_;
      e.state = std::move(stream_state);
      return queue_.Push(std::move(e)) ? Status::Ok() : Status::Cancelled();
    }
    Status StreamStatusEvent(StreamStatus status) {
      Event e;
      e.kind = Event::Kind::kStatus;
      e.stream = stream_;
      e.status = status;
      return queue_.Push(std::move(e)) ? Status::Ok() : Status::Cancelled();
    }

   private:
    EventQueue& queue_;
    const uint32_t stream_;
  };

  void Work(size_t worker) {
    std::unique_ptr<PgConnection> conn;
    if (worker == 0) {
      conn = std::move(first_conn_);
      SetCancel(worker, conn.get());
    }
    for (;;) {
      const size_t i = next_.fetch_add(1);
      if (i >= catalog_.streams.size()) break;
      Event done;
      done.kind = Event::Kind::kFinished;
      done.stream = static_cast<uint32_t>(i);
      if (queue_.stopped()) {
        done.result = Status::Cancelled();
      } else {
        done.result = ReadOne(worker, static_cast<uint32_t>(i), conn);
        // A connection left mid-COPY or in a transaction cannot serve the next stream.
        if (conn && (PQstatus(conn->get()) != CONNECTION_OK || PQtransactionStatus(conn->get()) != PQTRANS_IDLE)) {
          SetCancel(worker, nullptr);
          conn.reset();
        }
      }
      queue_.Push(std::move(done));
    }
    SetCancel(worker, nullptr);
  }

  Status ReadOne(size_t worker, uint32_t index, std::unique_ptr<PgConnection>& conn) {
    QueueSink sink(queue_, index);
    SLUICE_RETURN_IF_ERROR(sink.StreamStatusEvent(StreamStatus::kStarted));
    if (!conn) {
      SLUICE_ASSIGN_OR_RETURN(conn, OpenSession(config_));
      SetCancel(worker, conn.get());
    }
    SLUICE_RETURN_IF_ERROR(sink.StreamStatusEvent(StreamStatus::kRunning));
    const ConfiguredStream& stream = catalog_.streams[index];
    Status st = ReadPgStream(*conn, config_, *types_, stream, index, state_.Find(stream.descriptor()), sink);
    // A query cancelled because the run is stopping reports as the cancellation it is.
    if (!st.ok() && !st.cancelled() && queue_.stopped()) return Status::Cancelled();
    return st;
  }

  const PgSourceConfig& config_;
  const ConfiguredCatalog& catalog_;
  const StateStore& state_;
  Emitter& out_;
  const size_t workers_;
  EventQueue queue_;
  std::atomic<size_t> next_{0};
  std::mutex cancel_mu_;
  std::vector<PGcancel*> cancels_;
  std::unique_ptr<PgConnection> first_conn_;  //!< opened by Run(), taken by worker 0
  std::optional<PgTypeCatalog> types_;
};

// ---- The source -----------------------------------------------------------------------------

class PostgresSource final : public Source {
 public:
  ConnectorSpec Spec() const override {
    ConnectorSpec spec;
    spec.documentation_url = "https://docs.airbyte.com/integrations/sources/postgres";
    spec.connection_specification = PgSourceSpecJson();
    spec.supports_incremental = true;
    return spec;
  }

  Status Check(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(const PgSourceConfig parsed, ParsePgSourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto conn, OpenSession(parsed));
    return CheckAccess(*conn, parsed);
  }

  Result<Catalog> Discover(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(const PgSourceConfig parsed, ParsePgSourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto conn, OpenSession(parsed));
    SLUICE_ASSIGN_OR_RETURN(const PgTypeCatalog types, PgTypeCatalog::Load(*conn));
    SLUICE_ASSIGN_OR_RETURN(const std::vector<PgTable> tables, ListTables(*conn, types, parsed.schemas));
    if (tables.empty()) {
      Log(LogLevel::kWarn, "no readable table or view in schema(s) {} of database '{}'",
          parsed.schemas.empty() ? std::string("(all)") : SchemaList(parsed.schemas), parsed.connection.database);
    }
    const int version = PQserverVersion(conn->get());
    Catalog catalog;
    for (const auto& table : tables) catalog.streams.push_back(StreamForTable(table, parsed.replication, version));
    return catalog;
  }

  Status Read(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out) override {
    SLUICE_ASSIGN_OR_RETURN(const PgSourceConfig parsed, ParsePgSourceConfig(config));
    ParallelReader reader(parsed, catalog, state, out);
    return reader.Run();
  }
};

}  // namespace

std::unique_ptr<Source> MakePostgresSource() { return std::make_unique<PostgresSource>(); }

SLUICE_REGISTER_CONNECTOR({
    .name = "source-postgres",
    .kind = ConnectorKind::kSource,
    .title = "Postgres",
    .description = "PostgreSQL tables and views: binary COPY, resumable full refresh, cursor or xmin incremental",
    .make_source = MakePostgresSource});

}  // namespace sluice
