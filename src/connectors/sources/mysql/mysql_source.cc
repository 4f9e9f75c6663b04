#include "connectors/sources/mysql/mysql_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <vector>

#include "base/log.h"
#include "connectors/kit/parallel_streams.h"
#include "connectors/kit/stream_batcher.h"
#include "connectors/sdk/registry.h"
#include "connectors/sources/mysql/mysql_cdc_reader.h"
#include "connectors/sources/mysql/mysql_connection.h"
#include "connectors/sources/mysql/mysql_discover.h"
#include "connectors/sources/mysql/mysql_source_config.h"
#include "connectors/sources/mysql/mysql_stream_reader.h"

namespace sluice {

namespace {

constexpr size_t kQueuedEventsPerWorker = 3;
constexpr auto kPollInterval = std::chrono::milliseconds(100);

// ---- Check ----------------------------------------------------------------------------------

//! 'user'@'host' of CURRENT_USER(), as information_schema's GRANTEE column writes it.
Result<std::string> Grantee(MySqlConnection& conn) {
  SLUICE_ASSIGN_OR_RETURN(MySqlResult r, conn.Query("SELECT CURRENT_USER()"));
  const std::string user(r.Get(0, 0));
  const size_t at = user.rfind('@');
  if (at == std::string::npos) return "'" + user + "'";
  return "'" + user.substr(0, at) + "'@'" + user.substr(at + 1) + "'";
}

//! The privileges of the current user that matter here: global ones, and those on the database.
Result<std::vector<std::string>> Privileges(MySqlConnection& conn, const std::string& grantee,
                                            const std::string& database) {
  const std::string g = MySqlQuoteLiteral(grantee);
  SLUICE_ASSIGN_OR_RETURN(
      MySqlResult r,
      conn.Query("SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = " + g +
                 " UNION SELECT CONCAT('DB ', PRIVILEGE_TYPE) FROM information_schema.SCHEMA_PRIVILEGES WHERE "
                 "GRANTEE = " + g + " AND " + MySqlQuoteLiteral(database) + " LIKE TABLE_SCHEMA"
                 " UNION SELECT CONCAT('TABLE ', PRIVILEGE_TYPE) FROM information_schema.TABLE_PRIVILEGES WHERE "
                 "GRANTEE = " + g + " AND TABLE_SCHEMA = " + MySqlQuoteLiteral(database),
                 "reading the user's privileges"));
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.Get(i, 0));
  return out;
}

bool Has(const std::vector<std::string>& privileges, std::string_view p) {
  return std::find(privileges.begin(), privileges.end(), p) != privileges.end();
}

Status CheckAccess(MySqlConnection& conn, const MySqlSourceConfig& config) {
  SLUICE_ASSIGN_OR_RETURN(const std::string grantee, Grantee(conn));
  SLUICE_ASSIGN_OR_RETURN(const std::vector<std::string> privileges, Privileges(conn, grantee, config.database));
  std::vector<std::string> problems;
  const bool select = Has(privileges, "SELECT") || Has(privileges, "DB SELECT") || Has(privileges, "TABLE SELECT");
  if (!select) {
    problems.push_back(fmt::format("user {} may not SELECT from database '{}': GRANT SELECT ON {}.* TO {};", grantee,
                                   config.database, MySqlQuoteIdent(config.database), grantee));
  }
  if (config.replication == MySqlReplication::kCdc) {
    SLUICE_ASSIGN_OR_RETURN(MySqlResult v, conn.Query("SELECT @@log_bin, @@binlog_format, @@binlog_row_image"));
    if (v.Get(0, 0) != "1") {
      problems.push_back("the binary log is off (log_bin = OFF); CDC reads it: start the server with --log-bin "
                         "(log_bin = ON in my.cnf) and --binlog-format=ROW, then restart it");
    }
    if (v.Get(0, 1) != "ROW") {
      problems.push_back(fmt::format("binlog_format is {}; CDC needs row events: SET GLOBAL binlog_format = 'ROW'; "
                                     "(and binlog_format = ROW in my.cnf)",
                                     v.Get(0, 1)));
    }
    if (v.Get(0, 2) != "FULL") {
      problems.push_back(fmt::format("binlog_row_image is {}; CDC needs whole rows: SET GLOBAL binlog_row_image = "
                                     "'FULL'; (and binlog_row_image = FULL in my.cnf)",
                                     v.Get(0, 2)));
    }
    // Not required, but without column names in the binlog a replay of rows written before an
    // ALTER … ADD COLUMN … AFTER x is matched by position (see the README). MariaDB < 10.5 and
    // MySQL < 8.0 lack the variable.
    if (auto meta = conn.Query("SELECT @@binlog_row_metadata"); meta.ok() && meta->rows() > 0 &&
                                                                 meta->Get(0, 0) != "FULL") {
      Log(LogLevel::kWarn, "binlog_row_metadata is {}: the binlog does not name its columns, so rows replayed from "
          "before an ALTER TABLE that adds a column in the middle of a table may shift; SET GLOBAL "
          "binlog_row_metadata = 'FULL'; (and in my.cnf) makes CDC exact across such changes",
          meta->Get(0, 0));
    }
    std::vector<std::string> missing;
    if (!Has(privileges, "REPLICATION SLAVE")) missing.push_back("REPLICATION SLAVE");
    // MariaDB 10.5+ calls REPLICATION CLIENT "BINLOG MONITOR" (the old name is an alias).
    if (!Has(privileges, "REPLICATION CLIENT") && !Has(privileges, "BINLOG MONITOR") && !Has(privileges, "SUPER")) {
      missing.push_back("REPLICATION CLIENT");
    }
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      problems.push_back(fmt::format("user {} lacks {} (CDC reads the binlog as a replica): GRANT {} ON *.* TO {};",
                                     grantee, list, list, grantee));
    }
  }
  if (problems.empty()) return Status::Ok();
  std::string message;
  for (const auto& p : problems) message += (message.empty() ? "" : "\n") + p;
  return Status::ConfigError(message);
}

// ---- Parallel read --------------------------------------------------------------------------

//! Reads the streams on the kit's ParallelStreams workers, each on its own connection; the
//! thread that called Read() emits everything.
class ParallelReader {
 public:
  ParallelReader(const MySqlSourceConfig& config, const ConfiguredCatalog& catalog, const StateStore& state,
                 Emitter& out)
      : config_(config),
        catalog_(catalog),
        state_(state),
        streams_(out, {.workers = static_cast<size_t>(std::max(1, config.max_db_connections)),
                       .queued_events_per_worker = kQueuedEventsPerWorker,
                       .poll_interval = kPollInterval}) {}

  Status Run() {
    const auto n = static_cast<uint32_t>(catalog_.streams.size());
    if (n == 0) return Status::Ok();
    // One connection up front: bad credentials fail the run once, before any stream starts.
    SLUICE_ASSIGN_OR_RETURN(auto first, MySqlConnection::Connect(config_));
    const size_t workers = streams_.WorkersFor(n);
    conns_.resize(workers);
    thread_ids_.assign(workers, 0);
    conns_[0] = std::move(first);
    SetThread(0, conns_[0].get());
    // Connections no stream takes read a table's key ranges at once (one stream, two
    // connections: two ranges at a time).
    ranges_.connections = std::max(1, config_.max_db_connections / static_cast<int>(workers));
    ranges_.open = [this]() -> Result<std::unique_ptr<MySqlConnection>> {
      SLUICE_ASSIGN_OR_RETURN(auto conn, MySqlConnection::Connect(config_));
      std::lock_guard lock(mu_);
      extra_ids_[conn.get()] = conn->thread_id();
      return conn;
    };
    ranges_.release = [this](MySqlConnection& conn) {
      std::lock_guard lock(mu_);
      extra_ids_.erase(&conn);
    };
    streams_.set_on_stop([this] { CancelQueries(); });
    Status st = streams_.Run(
        n, [this](size_t worker, uint32_t index, Emitter& out) { return ReadOne(worker, index, out); },
        [this](uint32_t index) { return catalog_.streams[index].descriptor().ToString(); });
    return st;
  }

 private:
  //! KILL QUERY for every worker's running statement, so a stop does not wait for a long scan.
  void CancelQueries() {
    std::vector<unsigned long> ids;
    {
      std::lock_guard lock(mu_);
      ids = thread_ids_;
      for (const auto& [conn, id] : extra_ids_) ids.push_back(id);
    }
    for (unsigned long id : ids) {
      if (id != 0) MySqlConnection::Cancel(config_, id);
    }
  }

  void SetThread(size_t worker, MySqlConnection* conn) {
    std::lock_guard lock(mu_);
    thread_ids_[worker] = conn != nullptr ? conn->thread_id() : 0;
  }

  Status ReadOne(size_t worker, uint32_t index, Emitter& out) {
    const ConfiguredStream& stream = catalog_.streams[index];
    if (!stream.schema) {
      return Status::SystemError("catalog: stream '" + stream.descriptor().ToString() + "' has no bound schema");
    }
    StreamBatcher batcher(out, index, stream.schema, MySqlBatchLimits());
    SLUICE_RETURN_IF_ERROR(batcher.Start());
    std::unique_ptr<MySqlConnection>& conn = conns_[worker];
    Status st = Status::Ok();
    if (!conn) {
      auto opened = MySqlConnection::Connect(config_);
      if (opened.ok()) {
        conn = std::move(*opened);
        SetThread(worker, conn.get());
      } else {
        st = opened.status();
      }
    }
    if (st.ok()) st = batcher.MarkRunning();
    if (st.ok()) st = ReadMySqlStream(*conn, config_, stream, state_.Find(stream.descriptor()), batcher, nullptr, &ranges_);
    if (!st.ok() && conn) {  // a connection that failed mid-read does not serve the next stream
      SetThread(worker, nullptr);
      conn.reset();
    }
    if (!st.ok() && !st.cancelled() && out.cancelled()) st = Status::Cancelled();
    return batcher.Finish(st);
  }

  const MySqlSourceConfig& config_;
  const ConfiguredCatalog& catalog_;
  const StateStore& state_;
  ParallelStreams streams_;
  std::vector<std::unique_ptr<MySqlConnection>> conns_;  //!< one per worker, touched by its thread only
  MySqlRangeReaders ranges_;  //!< more connections for one table's key ranges
  std::mutex mu_;
  std::vector<unsigned long> thread_ids_;
  std::map<const MySqlConnection*, unsigned long> extra_ids_;  //!< the key-range connections open now
};

// ---- The source -----------------------------------------------------------------------------

//! Opens the config's SSH tunnel (nullptr without one) and points `config` at it. The caller
//! keeps it, declared before its connections, until they are closed.
Result<std::unique_ptr<SshTunnel>> OpenMySqlTunnel(MySqlSourceConfig& config) {
  SLUICE_ASSIGN_OR_RETURN(auto tunnel, OpenTunnel(config.tunnel, config.host, config.port, config.connect_timeout_s));
  if (tunnel) config.tunnel_local_port = tunnel->local_port();
  return tunnel;
}

class MySqlSource final : public Source, public ContinuousSource {
 public:
  ConnectorSpec Spec() const override {
    return ConnectorSpec::ForSource("https://docs.airbyte.com/integrations/sources/mysql", MySqlSourceSpecJson(), true);
  }

  Status Check(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(MySqlSourceConfig parsed, ParseMySqlSourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto tunnel, OpenMySqlTunnel(parsed));
    SLUICE_ASSIGN_OR_RETURN(auto conn, MySqlConnection::Connect(parsed));
    Log(LogLevel::kDebug, "connected to {} {} at {}:{}{}", conn->is_mariadb() ? "MariaDB" : "MySQL",
        mysql_get_server_info(conn->get()), parsed.host, parsed.port,
        conn->tls_cipher().empty() ? std::string(" (no TLS)") : " (TLS " + conn->tls_cipher() + ")");
    return CheckAccess(*conn, parsed);
  }

  Result<Catalog> Discover(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(MySqlSourceConfig parsed, ParseMySqlSourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto tunnel, OpenMySqlTunnel(parsed));
    SLUICE_ASSIGN_OR_RETURN(auto conn, MySqlConnection::Connect(parsed));
    SLUICE_ASSIGN_OR_RETURN(const std::vector<MySqlTable> tables, ListMySqlTables(*conn, parsed));
    if (tables.empty()) {
      Log(LogLevel::kWarn, "no readable table or view in database '{}' (or none matches table_filters)",
          parsed.database);
    }
    Catalog catalog;
    for (const auto& table : tables) catalog.streams.push_back(StreamForMySqlTable(table, parsed.replication));
    return catalog;
  }

  Status Read(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out) override {
    SLUICE_ASSIGN_OR_RETURN(MySqlSourceConfig parsed, ParseMySqlSourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto tunnel, OpenMySqlTunnel(parsed));
    if (parsed.replication == MySqlReplication::kCdc) return ReadMySqlCdc(parsed, catalog, state, out);
    ParallelReader reader(parsed, catalog, state, out);
    return reader.Run();
  }

  Status CheckContinuous(const Json& config) const override {
    SLUICE_ASSIGN_OR_RETURN(const MySqlSourceConfig parsed, ParseMySqlSourceConfig(config));
    if (parsed.replication != MySqlReplication::kCdc) {
      return Status::ConfigError(
          "replication_method: continuous syncs need CDC (replication_method.method: CDC, with the binlog in ROW "
          "format); STANDARD reads in batches only");
    }
    return Status::Ok();
  }

  Status ReadContinuous(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out,
                        const std::atomic<bool>& end) override {
    SLUICE_RETURN_IF_ERROR(CheckContinuous(config));
    SLUICE_ASSIGN_OR_RETURN(MySqlSourceConfig parsed, ParseMySqlSourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto tunnel, OpenMySqlTunnel(parsed));
    return ReadMySqlCdc(parsed, catalog, state, out, &end);
  }
};

}  // namespace

std::unique_ptr<Source> MakeMySqlSource() { return std::make_unique<MySqlSource>(); }

SLUICE_REGISTER_SOURCE("source-mysql", "MySQL",
                       "MySQL and MariaDB tables and views: resumable primary-key chunks, cursor incremental, binlog "
                       "CDC",
                       MakeMySqlSource);

}  // namespace sluice
