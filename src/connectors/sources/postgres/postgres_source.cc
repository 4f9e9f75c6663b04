#include "connectors/sources/postgres/postgres_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <vector>

#include "base/log.h"
#include "connectors/kit/parallel_streams.h"
#include "connectors/kit/stream_batcher.h"
#include "connectors/sdk/registry.h"
#include "postgres/pg_connection.h"
#include "connectors/sources/postgres/pg_cdc_reader.h"
#include "connectors/sources/postgres/pg_dialect.h"
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
  const std::string filter = PgDialect::Get().SchemaFilter(config.schemas);
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

//! Reads the streams on the kit's ParallelStreams workers, each on its own connection; the
//! thread that called Read() emits everything.
class ParallelReader {
 public:
  ParallelReader(const PgSourceConfig& config, const ConfiguredCatalog& catalog, const StateStore& state,
                 Emitter& out)
      : config_(config),
        catalog_(catalog),
        state_(state),
        streams_(out, {.workers = static_cast<size_t>(std::max(1, config.max_parallel_streams)),
                       .queued_events_per_worker = kQueuedEventsPerWorker,
                       .poll_interval = kPollInterval}) {}

  Status Run() {
    const auto n = static_cast<uint32_t>(catalog_.streams.size());
    if (n == 0) return Status::Ok();
    // One connection up front: bad credentials fail the run once, before any stream starts;
    // the type catalog is the database's, shared by every worker.
    SLUICE_ASSIGN_OR_RETURN(auto first, OpenSession(config_));
    SLUICE_ASSIGN_OR_RETURN(PgTypeCatalog types, PgTypeCatalog::Load(*first));
    types_.emplace(std::move(types));
    const size_t workers = streams_.WorkersFor(n);
    conns_.resize(workers);
    cancels_.assign(workers, nullptr);
    conns_[0] = std::move(first);  // worker 0 reads its first stream on it
    SetCancel(0, conns_[0].get());
    streams_.set_on_stop([this] { CancelQueries(); });
    Status st = streams_.Run(
        n, [this](size_t worker, uint32_t index, Emitter& out) { return ReadOne(worker, index, out); },
        [this](uint32_t index) { return catalog_.streams[index].descriptor().ToString(); });
    for (size_t w = 0; w < workers; ++w) SetCancel(w, nullptr);
    return st;
  }

 private:
  //! Sends a cancel request to every worker's running query, so a stop does not wait for a
  //! long sort or a slow COPY to produce its next row. Runs on the source thread.
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

  //! On worker `worker`'s thread: STARTED, a connection (the worker's, kept between its
  //! streams), RUNNING, the read, COMPLETE or INCOMPLETE.
  Status ReadOne(size_t worker, uint32_t index, Emitter& out) {
    const ConfiguredStream& stream = catalog_.streams[index];
    if (!stream.schema) {
      return Status::SystemError("catalog: stream '" + stream.descriptor().ToString() + "' has no bound schema");
    }
    StreamBatcher batcher(out, index, stream.schema, PgBatchLimits());
    SLUICE_RETURN_IF_ERROR(batcher.Start());
    std::unique_ptr<PgConnection>& conn = conns_[worker];
    Status st = Status::Ok();
    if (!conn) {
      auto opened = OpenSession(config_);
      if (opened.ok()) {
        conn = std::move(*opened);
        SetCancel(worker, conn.get());
      } else {
        st = opened.status();
      }
    }
    if (st.ok()) st = batcher.MarkRunning();
    if (st.ok()) st = ReadPgStream(*conn, config_, *types_, stream, state_.Find(stream.descriptor()), batcher);
    // A connection left mid-COPY or in a transaction cannot serve the next stream.
    if (conn && (PQstatus(conn->get()) != CONNECTION_OK || PQtransactionStatus(conn->get()) != PQTRANS_IDLE)) {
      SetCancel(worker, nullptr);
      conn.reset();
    }
    // A query cancelled because the run is stopping reports as the cancellation it is.
    if (!st.ok() && !st.cancelled() && out.cancelled()) st = Status::Cancelled();
    return batcher.Finish(st);
  }

  const PgSourceConfig& config_;
  const ConfiguredCatalog& catalog_;
  const StateStore& state_;
  ParallelStreams streams_;
  std::vector<std::unique_ptr<PgConnection>> conns_;  //!< one per worker, touched by its thread only
  std::mutex cancel_mu_;
  std::vector<PGcancel*> cancels_;
  std::optional<PgTypeCatalog> types_;
};

// ---- The source -----------------------------------------------------------------------------

class PostgresSource final : public Source, public ContinuousSource {
 public:
  ConnectorSpec Spec() const override {
    return ConnectorSpec::ForSource("https://docs.airbyte.com/integrations/sources/postgres", PgSourceSpecJson(), true);
  }

  // Each operation opens the config's SSH tunnel (if any) first and keeps it, declared before
  // the connections, until they are closed.
  Status Check(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(PgSourceConfig parsed, ParsePgSourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto tunnel, OpenPgTunnel(parsed.tunnel, parsed.connection));
    SLUICE_ASSIGN_OR_RETURN(auto conn, OpenSession(parsed));
    SLUICE_RETURN_IF_ERROR(CheckAccess(*conn, parsed));
    if (parsed.replication == ReplicationMethod::kCdc) return CheckPgCdc(*conn, parsed);
    return Status::Ok();
  }

  Result<Catalog> Discover(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(PgSourceConfig parsed, ParsePgSourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto tunnel, OpenPgTunnel(parsed.tunnel, parsed.connection));
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
    SLUICE_ASSIGN_OR_RETURN(PgSourceConfig parsed, ParsePgSourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto tunnel, OpenPgTunnel(parsed.tunnel, parsed.connection));
    if (parsed.replication == ReplicationMethod::kCdc) {
      // One connection, streams snapshotted one after another: a GLOBAL state lists every
      // stream, so a checkpoint must never get ahead of another stream's batches.
      return ReadPgCdc(parsed, catalog, state, out, [&parsed] { return OpenSession(parsed); });
    }
    ParallelReader reader(parsed, catalog, state, out);
    return reader.Run();
  }

  Status CheckContinuous(const Json& config) const override {
    SLUICE_ASSIGN_OR_RETURN(const PgSourceConfig parsed, ParsePgSourceConfig(config));
    if (parsed.replication != ReplicationMethod::kCdc) {
      return Status::ConfigError(
          "replication_method: continuous syncs need CDC (replication_method.method: CDC, with a replication slot "
          "and a publication); Standard and Xmin read in batches only");
    }
    return Status::Ok();
  }

  Status ReadContinuous(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out,
                        const std::atomic<bool>& end) override {
    SLUICE_RETURN_IF_ERROR(CheckContinuous(config));
    SLUICE_ASSIGN_OR_RETURN(PgSourceConfig parsed, ParsePgSourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto tunnel, OpenPgTunnel(parsed.tunnel, parsed.connection));
    return ReadPgCdc(parsed, catalog, state, out, [&parsed] { return OpenSession(parsed); }, &end);
  }
};

}  // namespace

std::unique_ptr<Source> MakePostgresSource() { return std::make_unique<PostgresSource>(); }

SLUICE_REGISTER_SOURCE("source-postgres", "Postgres",
                       "PostgreSQL tables and views: binary COPY, resumable full refresh, cursor or xmin incremental",
                       MakePostgresSource);

}  // namespace sluice
