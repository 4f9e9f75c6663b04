#include "connectors/sources/mysql/mysql_cdc_reader.h"

#include <fmt/format.h>
#include <mysql.h>
#include <mariadb_rpl.h>
#include <mysqld_error.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/time.h"
#include "connectors/kit/cdc/cdc_columns.h"
#include "connectors/kit/cdc/cdc_state.h"
#include "connectors/kit/cdc/cdc_streams.h"
#include "connectors/kit/cdc/position_emitter.h"
#include "connectors/kit/cdc/replication_lag.h"
#include "connectors/kit/cdc/schema_changes.h"
#include "connectors/kit/stream_batcher.h"
#include "connectors/sources/mysql/mysql_binlog.h"
#include "connectors/sources/mysql/mysql_connection.h"
#include "connectors/sources/mysql/mysql_discover.h"
#include "connectors/sources/mysql/mysql_stream_reader.h"

namespace sluice {

namespace {

constexpr uint64_t kRowsPerCheckpoint = 50000;
constexpr auto kContinuousCheckpointEvery = std::chrono::milliseconds(100);
constexpr uint64_t kHeartbeatPeriodNs = 500'000'000;

struct EventDeleter {
  void operator()(MARIADB_RPL_EVENT* e) const { mariadb_free_rpl_event(e); }
};
using EventPtr = std::unique_ptr<MARIADB_RPL_EVENT, EventDeleter>;

std::string Str(const MARIADB_STRING& s) { return s.str != nullptr ? std::string(s.str, s.length) : std::string(); }

using TablePtr = std::shared_ptr<const MySqlTable>;

//! How a table's binlog columns land in a stream's fields.
struct TablePlan {
  uint32_t stream = 0;
  TablePtr table;                           //!< the shape `columns` point into (kept alive)
  std::vector<BinlogColumnType> types;
  std::vector<const MySqlColumn*> columns;  //!< by binlog position; null: not matched (read, then dropped)
  std::vector<int> column_of_field;         //!< binlog column per field; -1: none
  std::vector<int> cdc_of_field;            //!< 0 cursor, 1 log_pos, 2 log_file, 3 updated_at, 4 deleted_at, -1 data
  std::vector<size_t> key;                  //!< binlog positions of the primary-key columns
  std::string map;  //!< the TABLE_MAP it was made from (database, table, types, metadata, names)
};

class CdcRead {
 public:
  CdcRead(const MySqlSourceConfig& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out,
          const std::atomic<bool>* end)
      : config_(config),
        catalog_(catalog),
        state_(state),
        out_(out, position_),
        end_(end),
        streams_(catalog, out_, MySqlBatchLimits()) {}

  ~CdcRead() {
    if (rpl_ != nullptr) mariadb_rpl_close(rpl_);
  }

  Status Run() {
    SLUICE_ASSIGN_OR_RETURN(conn_, MySqlConnection::Connect(config_));
    SLUICE_RETURN_IF_ERROR(streams_.Start());
    Status st = DecideStart();
    if (st.ok()) st = LoadStartSchema();
    if (st.ok()) st = Snapshot();
    if (st.ok() && HasIncremental()) st = ReadChanges();
    return streams_.Finish(st, out_);
  }

 private:
  bool Incremental(uint32_t i) const { return streams_.Incremental(i); }
  bool HasIncremental() const { return streams_.HasIncremental(); }

  // ---- start ------------------------------------------------------------------------------------

  Result<bool> BinlogExists(const std::string& file) {
    SLUICE_ASSIGN_OR_RETURN(MySqlResult r, conn_->Query("SHOW BINARY LOGS", "listing the binary logs (SHOW BINARY LOGS)"));
    for (int i = 0; i < r.rows(); ++i) {
      if (r.Get(i, 0) == file) return true;
    }
    return false;
  }

  Status DecideStart() {
    std::optional<CdcState> saved = ParseCdcState(state_);
    std::optional<BinlogPosition> position = saved ? ParseBinlogPosition(saved->position) : std::nullopt;
    if (saved && !position) {
      Log(LogLevel::kWarn, "the saved CDC state has no binlog position; taking a new snapshot");
      saved.reset();
    }
    if (position) {
      SLUICE_ASSIGN_OR_RETURN(bool exists, BinlogExists(position->file));
      if (!exists) {
        const std::string what = fmt::format("binlog file '{}' of the saved position is no longer on the server "
                                             "(purged)", position->file);
        if (!config_.cdc.resync_on_invalid_position) return InvalidPosition(what);
        Log(LogLevel::kWarn, "{}; re-syncing every stream (invalid_cdc_cursor_position_behavior = Re-sync data)", what);
        saved.reset();
        position.reset();
      }
    }
    if (position) {
      position_ = *position;
      announced_.Load(saved->position);
      streams_.LoadBlobs(*saved);
    }
    return Status::Ok();
  }

  Status InvalidPosition(const std::string& what) const {
    return Status::ConfigError(fmt::format(
        "CDC cannot resume the saved position: {}. Changes since the last sync are gone: reset the connection's "
        "streams (or set invalid_cdc_cursor_position_behavior to \"Re-sync data\" to snapshot again automatically), "
        "and keep binlogs longer (binlog_expire_logs_seconds)",
        what));
  }

  StateMessage GlobalState() const {
    Json position = BinlogPositionJson(position_);
    announced_.SaveTo(position);
    return streams_.GlobalState(std::move(position));
  }

  // ---- snapshot ---------------------------------------------------------------------------------

  //! Opens the consistent snapshot on conn_ and returns the binlog position it matches.
  Result<BinlogPosition> OpenSnapshot() {
    BinlogPosition p;
    if (conn_->is_mariadb()) {
      SLUICE_RETURN_IF_ERROR(conn_->Exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", "starting the snapshot"));
      SLUICE_ASSIGN_OR_RETURN(MySqlResult r, conn_->Query("SHOW STATUS LIKE 'binlog_snapshot_%'"));
      for (int i = 0; i < r.rows(); ++i) {
        if (r.Get(i, 0) == "Binlog_snapshot_file") p.file = std::string(r.Get(i, 1));
        if (r.Get(i, 0) == "Binlog_snapshot_position") p.pos = std::stoull(std::string(r.Get(i, 1)));
      }
      if (p.file.empty()) {
        return Status::ConfigError("the binary log is off (log_bin = OFF): CDC needs --log-bin and "
                                   "--binlog-format=ROW; restart the server with them");
      }
      SLUICE_ASSIGN_OR_RETURN(MySqlResult g, conn_->Query(fmt::format("SELECT BINLOG_GTID_POS({}, {})",
                                                                      MySqlQuoteLiteral(p.file), p.pos)));
      if (g.rows() > 0) p.gtid = std::string(g.Get(0, 0));
    } else {
      SLUICE_RETURN_IF_ERROR(conn_->Exec("FLUSH TABLES WITH READ LOCK", "locking for the snapshot (needs RELOAD)"));
      Status st = conn_->Exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", "starting the snapshot");
      auto r = st.ok() ? conn_->Query("SHOW MASTER STATUS") : Result<MySqlResult>(st);
      (void)conn_->Exec("UNLOCK TABLES");
      SLUICE_RETURN_IF_ERROR(r.status());
      if (r->rows() == 0) return Status::ConfigError("the binary log is off (log_bin = OFF): CDC needs --log-bin");
      p.file = std::string(r->Get(0, 0));
      p.pos = std::stoull(std::string(r->Get(0, 1)));
    }
    return p;
  }

  Status Snapshot() {
    std::vector<uint32_t> todo;
    for (uint32_t i = 0; i < catalog_.streams.size(); ++i) {
      if (Incremental(i) && IsCdcSnapshotComplete(streams_.Blob(i))) continue;
      todo.push_back(i);
    }
    const bool have_position = !position_.file.empty();
    if (todo.empty() && have_position) return Status::Ok();
    SLUICE_ASSIGN_OR_RETURN(BinlogPosition at, OpenSnapshot());
    if (!have_position) position_ = at;  // changes are read from here
    MySqlCdcSnapshot snap;
    snap.log_file = at.file;
    snap.log_pos = at.pos;
    snap.cursor = BinlogCursor(at.file, at.pos);
    snap.updated_at_us = NowMicros();
    for (uint32_t i : todo) {
      const ConfiguredStream& stream = catalog_.streams[i];
      // The blob is copied: state_of replaces it while the reader runs.
      std::optional<Json> saved;
      if (Incremental(i) && streams_.Blob(i) != nullptr) saved = *streams_.Blob(i);
      Log(LogLevel::kInfo, "{}: CDC snapshot at binlog {}:{}", stream.descriptor().ToString(), at.file, at.pos);
      snap.state_of = streams_.SnapshotStateOf(i, [this] { return GlobalState(); });
      SLUICE_RETURN_IF_ERROR(streams_.batcher(i).MarkRunning());
      Status st = ReadMySqlStream(*conn_, config_, stream, saved ? &*saved : nullptr, streams_.batcher(i), &snap);
      if (!st.ok()) {
        conn_->Done();
        (void)conn_->Exec("ROLLBACK");
        return st;
      }
    }
    return conn_->Exec("COMMIT");
  }

  // ---- changes ----------------------------------------------------------------------------------

  std::optional<uint32_t> StreamOf(std::string_view database, std::string_view table) const {
    for (uint32_t i = 0; i < catalog_.streams.size(); ++i) {
      const ConfiguredStream& s = catalog_.streams[i];
      if (Incremental(i) && s.stream.name == table && s.stream.namespace_.value_or(config_.database) == database) {
        return i;
      }
    }
    return std::nullopt;
  }

  //! The table's shape as last looked up (information_schema), cached until a DDL names it;
  //! `fresh`: look it up again. Null when it does not exist.
  Result<TablePtr> TableOf(const std::string& database, const std::string& name, bool fresh = false) {
    const auto key = std::make_pair(database, name);
    auto it = tables_.find(key);
    if (it != tables_.end() && !fresh) return it->second.table;
    SLUICE_ASSIGN_OR_RETURN(auto found, FindMySqlTable(*conn_, database, name));
    CachedTable& cached = tables_[key];
    cached = CachedTable{};
    if (found) cached.table = std::make_shared<const MySqlTable>(std::move(*found));
    return cached.table;
  }

  // ---- table shapes and schema changes ------------------------------------------------------------
  //
  // A TABLE_MAP describes the table as of the row events that follow it: column types and
  // metadata, and — with binlog_row_metadata = FULL — the column names. What it lacks (names
  // otherwise, signedness, charsets, ENUM labels) comes from information_schema, looked up at
  // the start of the read and again after a DDL names the table, or when a TABLE_MAP does not
  // fit the looked-up shape. A TABLE_MAP that fits the table as it is now and has a column the
  // stream's catalog lacks (or one retyped since the read started) ends the read before the
  // transaction holding it, once (SchemaChangesSeen in the GLOBAL state): the next sync
  // discovers, applies the schema-change policy and reads on from the last transaction end. So
  // does the first TABLE_MAP of a table new in the database. A TABLE_MAP that fits no lookup is
  // older than the table's last DDL (a replay): its columns are matched by name when the binlog
  // has them, else by position while the types agree, and the rest are read and dropped.

  //! The streams' tables as they are when the read starts (retypes are measured against them),
  //! and the tables of the database then (a table not among them, or created by a CREATE TABLE
  //! or RENAME in the binlog read, is new).
  Status LoadStartSchema() {
    if (!HasIncremental()) return Status::Ok();
    start_.resize(catalog_.streams.size());
    for (uint32_t i = 0; i < catalog_.streams.size(); ++i) {
      if (!Incremental(i)) continue;
      const AirbyteStream& s = catalog_.streams[i].stream;
      SLUICE_ASSIGN_OR_RETURN(start_[i], TableOf(s.namespace_.value_or(config_.database), s.name));
    }
    SLUICE_ASSIGN_OR_RETURN(std::vector<MySqlTable> tables, ListMySqlTables(*conn_, config_));
    for (const auto& t : tables) known_tables_.insert(t.name);
    return Status::Ok();
  }

  //! A TABLE_MAP of a table no stream reads: new in the database since the read started?
  Status DetectNewTable(const std::string& database, const std::string& name) {
    if (database != config_.database || known_tables_.count(name) > 0) return Status::Ok();
    const std::string table = fmt::format("{}.{}", database, name);
    known_tables_.insert(name);  // looked at once per read
    if (announced_.Seen(table, "")) return Status::Ok();
    SLUICE_ASSIGN_OR_RETURN(std::vector<MySqlTable> tables, ListMySqlTables(*conn_, config_));
    const bool listed = std::any_of(tables.begin(), tables.end(), [&](const MySqlTable& t) { return t.name == name; });
    if (!listed) return Status::Ok();  // dropped since, or outside table_filters
    announced_.Announce(table, "");
    schema_change_ = fmt::format("table {} is new in database '{}' and no stream reads it", table, database);
    return Status::Ok();
  }

  //! Stream `stream`'s TABLE_MAP matched the table as it is now: a column its catalog lacks, or
  //! one retyped since the read started?
  void DetectColumnChange(const TablePlan& plan, const std::string& table) {
    const Schema& schema = *catalog_.streams[plan.stream].schema;
    const MySqlTable* start = plan.stream < start_.size() ? start_[plan.stream].get() : nullptr;
    for (const MySqlColumn* c : plan.columns) {
      if (c == nullptr) continue;
      const bool added = schema.IndexOf(c->name) < 0;
      bool retyped = false;
      if (!added && start != nullptr) {
        for (const MySqlColumn& was : start->columns) {
          if (was.name == c->name) retyped = was.kind != c->kind || was.type != c->type;
        }
      }
      if (!added && !retyped) continue;
      if (!announced_.Announce(table, retyped ? fmt::format("{}#{}", c->name, c->column_type) : c->name)) continue;
      schema_change_ = fmt::format("{}: column '{}' was {}", table, c->name, retyped ? "retyped" : "added");
      return;
    }
  }

  static bool ShapeFits(const std::vector<BinlogColumnType>& types, const MySqlTable& table) {
    if (types.size() != table.columns.size()) return false;
    for (size_t c = 0; c < types.size(); ++c) {
      if (!BinlogTypeFits(types[c], table.columns[c])) return false;
    }
    return true;
  }

  static const MySqlColumn* ColumnNamed(const MySqlTable& table, const std::string& name) {
    for (const MySqlColumn& c : table.columns) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }

  Status OnTableMap(const MARIADB_RPL_EVENT& ev) {
    const auto& tm = ev.event.table_map;
    // Every transaction maps its tables again: the same map as last time keeps its plan (a DDL
    // clears the plans, so the table is looked at again).
    std::string map;
    for (const auto& part : {tm.database, tm.table, tm.column_types, tm.metadata}) map.append(part.str, part.length).push_back('\0');
    map.append(reinterpret_cast<const char*>(tm.column_names.data), tm.column_names.length);
    if (auto it = plans_.find(tm.table_id); it != plans_.end() && it->second.map == map) return Status::Ok();
    const std::string database = Str(tm.database), name = Str(tm.table);
    plans_.erase(tm.table_id);
    auto stream = StreamOf(database, name);
    if (!stream) return DetectNewTable(database, name);
    TablePlan plan;
    plan.stream = *stream;
    const std::string signature = Str(tm.column_types) + '/' + Str(tm.metadata);
    if (!ParseTableMapColumns(Str(tm.column_types), Str(tm.metadata), plan.types)) {
      return Status::SystemError(fmt::format("binlog: the TABLE_MAP of {}.{} is malformed", database, name));
    }
    const std::vector<std::string> names = ParseTableMapColumnNames(
        std::string_view(reinterpret_cast<const char*>(tm.column_names.data), tm.column_names.length),
        plan.types.size());
    SLUICE_ASSIGN_OR_RETURN(TablePtr table, TableOf(database, name));
    bool fits = table != nullptr && ShapeFits(plan.types, *table);
    CachedTable& cached = tables_[{database, name}];
    if (!fits && names.empty() && cached.unfit.count(signature) == 0) {
      // Changed since it was looked up (a DDL not seen, or one before the read's start).
      SLUICE_ASSIGN_OR_RETURN(table, TableOf(database, name, /*fresh=*/true));
      fits = table != nullptr && ShapeFits(plan.types, *table);
    }
    if (table == nullptr) {
      Log(LogLevel::kWarn, "CDC: table {}.{} no longer exists; its changes in the binlog are skipped", database, name);
      return Status::Ok();
    }
    plan.table = table;
    plan.columns.assign(plan.types.size(), nullptr);
    if (!names.empty()) {
      for (size_t c = 0; c < names.size(); ++c) {
        const MySqlColumn* col = ColumnNamed(*table, names[c]);
        if (col != nullptr && BinlogTypeFits(plan.types[c], *col)) plan.columns[c] = col;
      }
    } else if (fits) {
      for (size_t c = 0; c < plan.types.size(); ++c) plan.columns[c] = &table->columns[c];
    } else {
      size_t matched = 0;
      while (matched < plan.types.size() && matched < table->columns.size() &&
             BinlogTypeFits(plan.types[matched], table->columns[matched])) {
        plan.columns[matched] = &table->columns[matched];
        ++matched;
      }
      if (tables_[{database, name}].unfit.insert(signature).second) {
        Log(LogLevel::kWarn, "CDC: the binlog at {}:{} describes {}.{} with {} column(s) that do not match its {} "
            "column(s) now (it was altered since); the first {} are matched by position, the others are not read. "
            "Set binlog_row_metadata = FULL on the server so the binlog names its columns", current_file_,
            ev.next_event_pos, database, name, plan.types.size(), table->columns.size(), matched);
      }
    }
    if (fits || !names.empty()) {
      DetectColumnChange(plan, fmt::format("{}.{}", database, name));
      if (!schema_change_.empty()) return Status::Ok();  // the read ends before this transaction
    }
    for (size_t c = 0; c < plan.columns.size(); ++c) {
      if (plan.columns[c] != nullptr && std::find(table->primary_key.begin(), table->primary_key.end(),
                                                  plan.columns[c]->name) != table->primary_key.end()) {
        plan.key.push_back(c);
      }
    }
    const Schema& schema = *catalog_.streams[*stream].schema;
    for (const Field& f : schema.fields()) {
      int cdc = -1;
      if (f.name == kCdcCursorColumn) cdc = 0;
      else if (f.name == kCdcLogPosColumn) cdc = 1;
      else if (f.name == kCdcLogFileColumn) cdc = 2;
      else if (f.name == kCdcUpdatedAtColumn) cdc = 3;
      else if (f.name == kCdcDeletedAtColumn) cdc = 4;
      plan.cdc_of_field.push_back(cdc);
      int col = -1;
      for (size_t c = 0; c < plan.columns.size() && cdc < 0 && col < 0; ++c) {
        if (plan.columns[c] != nullptr && plan.columns[c]->name == f.name) col = static_cast<int>(c);
      }
      plan.column_of_field.push_back(col);
    }
    plan.map = std::move(map);
    plans_[tm.table_id] = std::move(plan);
    return Status::Ok();
  }

  Status OnRows(const MARIADB_RPL_EVENT& ev) {
    const auto& rows = ev.event.rows;
    auto it = plans_.find(rows.table_id);
    if (it == plans_.end()) return Status::Ok();  // a table no selected stream reads
    const TablePlan& plan = it->second;
    if (rows.compressed) {
      return Status::ConfigError("binlog: compressed row events (log_bin_compress) are not supported; turn it off");
    }
    const bool update = rows.type == UPDATE_ROWS;
    std::string_view data(static_cast<const char*>(rows.row_data), rows.row_data_size);
    const uint8_t* after = rows.column_update_bitmap;
    if (update && after == nullptr && ev.event_type == UPDATE_ROWS_EVENT) {
      // v2 update events (MySQL 8): Connector/C 3.3 leaves the after-image bitmap in the data.
      const size_t n = (rows.column_count + 7) / 8;
      after = reinterpret_cast<const uint8_t*>(data.data());
      data.remove_prefix(n);
    }
    decoded_.clear();
    SLUICE_RETURN_IF_ERROR(DecodeBinlogRows(plan.types, plan.columns, rows.column_bitmap, after, update, data, decoded_));
    const uint64_t event_pos = ev.next_event_pos - ev.event_length;
    for (size_t r = 0; r < decoded_.size(); ++r) {
      if (update && r % 2 == 0) {
        // The before image: when the key changed, the row under the old key is gone.
        const BinlogRow& before = decoded_[r];
        const BinlogRow& after_row = decoded_[r + 1];
        bool key_changed = false;
        for (size_t k : plan.key) key_changed = key_changed || before[k] != after_row[k];
        if (key_changed) SLUICE_RETURN_IF_ERROR(AppendRow(plan, before, true, event_pos, ev.timestamp));
        continue;
      }
      SLUICE_RETURN_IF_ERROR(AppendRow(plan, decoded_[r], rows.type == DELETE_ROWS, event_pos, ev.timestamp));
    }
    return Status::Ok();
  }

  Status AppendRow(const TablePlan& plan, const BinlogRow& row, bool deleted, uint64_t event_pos, uint32_t when) {
    StreamBatcher& b = streams_.batcher(plan.stream);
    RecordBatch& batch = b.batch();
    const int64_t micros = static_cast<int64_t>(when) * kMicrosPerSecond;
    for (size_t f = 0; f < plan.column_of_field.size(); ++f) {
      Column& column = batch.column(f);
      switch (plan.cdc_of_field[f]) {
        case 0: column.AppendInt64(BinlogCursor(current_file_, event_pos)); continue;
        case 1: column.AppendDouble(static_cast<double>(event_pos)); continue;
        case 2: column.AppendBytes(current_file_); continue;
        case 3: column.AppendInt64(micros); continue;
        case 4:
          if (deleted) column.AppendInt64(micros);
          else column.AppendNull();
          continue;
        default: break;
      }
      const int c = plan.column_of_field[f];
      if (c < 0 || static_cast<size_t>(c) >= row.size() || !row[static_cast<size_t>(c)]) {
        column.AppendNull();
        continue;
      }
      const MySqlColumn& source = *plan.columns[static_cast<size_t>(c)];
      const Field& field = batch.schema().field(f);
      if (MySqlKindType(source.kind) != field.type) {
        // Retyped since the catalog was made (the policy kept the old type): not this field's value.
        column.AppendNull();
        batch.AddChange(field.name, ChangeKind::kNulled, ChangeReason::kSourceSerializationError);
        continue;
      }
      AppendMySqlText(source, *row[static_cast<size_t>(c)], column, batch, field.name);
    }
    ++rows_since_checkpoint_;
    return b.RowAdded();
  }

  //! A transaction (or a standalone statement) ended with the event ending at `next_pos`.
  Status EndTransaction(uint32_t next_pos) {
    in_txn_ = false;
    position_.file = current_file_;
    position_.pos = next_pos;
    if (!txn_gtid_.empty()) {
      gtids_[txn_domain_] = txn_gtid_;
      position_.gtid.clear();
      for (const auto& [domain, g] : gtids_) position_.gtid += (position_.gtid.empty() ? "" : ",") + g;
      txn_gtid_.clear();
    }
    ++transactions_;
    if (rows_since_checkpoint_ >= kRowsPerCheckpoint) return Checkpoint();
    return Status::Ok();
  }

  Status Checkpoint() {
    SLUICE_RETURN_IF_ERROR(streams_.FlushAll());
    rows_since_checkpoint_ = 0;
    last_checkpoint_ = std::chrono::steady_clock::now();
    return out_.EmitState(GlobalState());
  }

  Status OnQuery(const MARIADB_RPL_EVENT& ev) {
    std::string sql = Str(ev.event.query.statement);
    std::string head;
    for (char c : sql.substr(0, 16)) head += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (head.rfind("BEGIN", 0) == 0) {
      in_txn_ = true;
      return Status::Ok();
    }
    if (head.rfind("COMMIT", 0) == 0) return EndTransaction(ev.next_event_pos);
    const BinlogDdl ddl = ParseBinlogDdl(sql, Str(ev.event.query.database));
    if (ddl.kind == BinlogDdl::Kind::kTruncate) {
      SLUICE_RETURN_IF_ERROR(ApplyTruncate(ddl.tables[0], ev));
    } else if (ddl.kind != BinlogDdl::Kind::kNone) {
      // The tables it names are looked up again at their next TABLE_MAP.
      plans_.clear();
      bool ours = false;
      for (size_t k = 0; k < ddl.tables.size(); ++k) {
        const auto& t = ddl.tables[k];
        tables_.erase(t);
        ours = ours || t.first == config_.database;
        // Created (or renamed to) in the binlog read: new even when it existed at the read's start.
        const bool created = ddl.kind == BinlogDdl::Kind::kCreate || (ddl.kind == BinlogDdl::Kind::kRename && k % 2 == 1);
        if (created && t.first == config_.database) known_tables_.erase(t.second);
      }
      if (ours) Log(LogLevel::kInfo, "CDC: DDL at {}:{}: {}", current_file_, ev.next_event_pos, sql.substr(0, 200));
    } else if (head.rfind("ALTER", 0) == 0 || head.rfind("CREATE", 0) == 0 || head.rfind("DROP", 0) == 0 ||
               head.rfind("RENAME", 0) == 0 || head.rfind("TRUNCATE", 0) == 0) {
      tables_.clear();  // not understood: every table is looked up again
      plans_.clear();
      Log(LogLevel::kInfo, "CDC: DDL at {}:{}: {}", current_file_, ev.next_event_pos, sql.substr(0, 200));
    }
    if (!in_txn_) return EndTransaction(ev.next_event_pos);  // a standalone statement (DDL)
    return Status::Ok();
  }

  //! TRUNCATE TABLE of a stream's table: a truncate marker in order with its rows
  //! (StreamBatcher::Truncate); the destination decides what it removes.
  Status ApplyTruncate(const std::pair<std::string, std::string>& table, const MARIADB_RPL_EVENT& ev) {
    auto stream = StreamOf(table.first, table.second);
    tables_.erase(table);
    plans_.clear();
    if (!stream) return Status::Ok();
    Log(LogLevel::kInfo, "CDC: {} was truncated at {}:{}", catalog_.streams[*stream].descriptor().ToString(),
        current_file_, ev.next_event_pos);
    SLUICE_RETURN_IF_ERROR(streams_.batcher(*stream).Truncate(static_cast<int64_t>(ev.timestamp) * kMicrosPerSecond));
    ++rows_since_checkpoint_;
    return Status::Ok();
  }

  Status OpenDump(uint32_t server_id, bool continuous) {
    // A second connection: the dump protocol takes it over.
    SLUICE_ASSIGN_OR_RETURN(dump_conn_, MySqlConnection::Connect(config_));
    std::string setup = "SET @master_binlog_checksum = @@global.binlog_checksum, @mariadb_slave_capability = 4";
    if (continuous) setup += fmt::format(", @master_heartbeat_period = {}", kHeartbeatPeriodNs);
    const bool by_gtid = dump_conn_->is_mariadb() && !position_.gtid.empty();
    if (by_gtid) {
      setup += ", @slave_connect_state = " + MySqlQuoteLiteral(position_.gtid) +
               ", @slave_gtid_strict_mode = 0, @slave_gtid_ignore_duplicates = 0";
    }
    SLUICE_RETURN_IF_ERROR(dump_conn_->Exec(setup, "preparing the binlog dump"));
    rpl_ = mariadb_rpl_init(dump_conn_->get());
    if (rpl_ == nullptr) return dump_conn_->Error("starting the binlog reader");
    mariadb_rpl_optionsv(rpl_, MARIADB_RPL_SERVER_ID, server_id);
    const unsigned int flags = continuous ? 0 : MARIADB_RPL_BINLOG_DUMP_NON_BLOCK;
    mariadb_rpl_optionsv(rpl_, MARIADB_RPL_FLAGS, flags);
    if (by_gtid) {
      mariadb_rpl_optionsv(rpl_, MARIADB_RPL_FILENAME, "", static_cast<size_t>(0));
      mariadb_rpl_optionsv(rpl_, MARIADB_RPL_START, 4UL);
    } else {
      mariadb_rpl_optionsv(rpl_, MARIADB_RPL_FILENAME, position_.file.c_str(), position_.file.size());
      mariadb_rpl_optionsv(rpl_, MARIADB_RPL_START, static_cast<unsigned long>(position_.pos));
    }
    current_file_ = position_.file;
    if (mariadb_rpl_open(rpl_) != 0) return RplError("starting the binlog dump");
    Log(LogLevel::kInfo, "CDC: reading the binlog from {} as replica server id {}{}",
        by_gtid ? "GTID " + position_.gtid : fmt::format("{}:{}", position_.file, position_.pos), server_id,
        continuous ? " (continuous)" : "");
    return Status::Ok();
  }

  Status RplError(std::string_view what) {
    const unsigned int e = mysql_errno(dump_conn_->get());
    const std::string message = mysql_error(dump_conn_->get());
    if (e == ER_MASTER_FATAL_ERROR_READING_BINLOG) {
      return InvalidPosition(fmt::format("the server refused the binlog position ({})", message));
    }
    return dump_conn_->Error(what);
  }

  uint32_t ServerId() {
    if (config_.cdc.server_id) return *config_.cdc.server_id;
    std::random_device rd;
    return 5400 + rd() % (0x7FFFFFFFu - 5400);
  }

  //! The server's current binlog position (where its binlog ends now); file empty when log_bin is off.
  Result<BinlogPosition> ServerPosition() {
    if (!binary_log_status_) {
      auto r = conn_->Query("SHOW MASTER STATUS");
      if (r.ok()) return FirstPosition(*r);
      if (conn_->is_mariadb()) return r.status();
      binary_log_status_ = true;  // MySQL 8.4 removed it
    }
    SLUICE_ASSIGN_OR_RETURN(MySqlResult r, conn_->Query("SHOW BINARY LOG STATUS", "reading the binlog position"));
    return FirstPosition(r);
  }
  static BinlogPosition FirstPosition(const MySqlResult& r) {
    BinlogPosition p;
    if (r.rows() > 0) {
      p.file = std::string(r.Get(0, 0));
      p.pos = std::stoull(std::string(r.Get(0, 1)));
    }
    return p;
  }

  //! Continuous mode: the replication lag — bytes of binlog from the position the destination
  //! committed to the server's current one (across files, with SHOW BINARY LOGS' sizes) —
  //! reported to the Emitter (a metric) every kReplicationLagReportEvery and logged every
  //! kReplicationLagLogEvery with the transaction rate.
  Status MeasureLag() {
    const auto now = std::chrono::steady_clock::now();
    lag_measured_at_ = now;
    if (out_.acks() == nullptr) {
      durable_ = position_;  // nobody reports durability (`sluice connector read`): what was read
    } else if (auto d = out_.TakeDurable()) {
      durable_ = std::move(*d);
    }
    SLUICE_ASSIGN_OR_RETURN(BinlogPosition server, ServerPosition());
    if (server.file.empty()) return Status::Ok();
    std::vector<std::pair<std::string, uint64_t>> logs;
    if (server.file != durable_.file) {
      SLUICE_ASSIGN_OR_RETURN(MySqlResult r, conn_->Query("SHOW BINARY LOGS", "listing the binary logs (SHOW BINARY LOGS)"));
      for (int i = 0; i < r.rows(); ++i) logs.emplace_back(std::string(r.Get(i, 0)), std::stoull(std::string(r.Get(i, 1))));
    }
    const std::optional<uint64_t> lag = BinlogBytesBetween(durable_, server, logs);
    if (lag) out_.ReportReplicationLag(*lag);
    if (now - lag_logged_at_ < kReplicationLagLogEvery) return Status::Ok();
    const double secs = std::chrono::duration<double>(now - lag_logged_at_).count();
    Log(LogLevel::kInfo, "CDC: replication lag {} bytes (server binlog {}:{}, destination committed {}:{}); {:.0f} "
        "transactions/s", lag ? std::to_string(*lag) : std::string("unknown"), server.file, server.pos, durable_.file,
        durable_.pos, secs > 0 ? static_cast<double>(transactions_ - lag_logged_txns_) / secs : 0.0);
    lag_logged_at_ = now;
    lag_logged_txns_ = transactions_;
    return Status::Ok();
  }

  Status ReadChanges() {
    const bool continuous = end_ != nullptr;
    SLUICE_ASSIGN_OR_RETURN(BinlogPosition target, ServerPosition());
    durable_ = position_;
    SLUICE_RETURN_IF_ERROR(OpenDump(ServerId(), continuous));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(config_.cdc.initial_waiting_seconds);
    last_checkpoint_ = std::chrono::steady_clock::now();
    for (;;) {
      if (out_.cancelled()) return Status::Cancelled();
      if (continuous && end_->load(std::memory_order_relaxed) && !in_txn_) break;
      EventPtr ev(mariadb_rpl_fetch(rpl_, nullptr));
      if (!ev) {
        if (mysql_errno(dump_conn_->get()) != 0) return RplError("reading the binlog");
        if (!continuous) break;  // non-blocking dump: the end of the binlog
        return Status::TransientError("the server ended the binlog dump");
      }
      SLUICE_RETURN_IF_ERROR(OnEvent(*ev));
      if (!schema_change_.empty()) break;
      if (continuous) {
        if (std::chrono::steady_clock::now() - lag_measured_at_ >= kReplicationLagReportEvery) {
          SLUICE_RETURN_IF_ERROR(MeasureLag());
        }
        if (!in_txn_ && rows_since_checkpoint_ > 0 &&
            std::chrono::steady_clock::now() - last_checkpoint_ >= kContinuousCheckpointEvery) {
          SLUICE_RETURN_IF_ERROR(Checkpoint());
        }
        continue;
      }
      if (!in_txn_ && !target.file.empty() && !BinlogBefore(position_, target)) break;  // caught up
      if (!in_txn_ && std::chrono::steady_clock::now() > deadline) {
        Log(LogLevel::kWarn, "CDC: not caught up with {}:{} within initial_waiting_seconds ({} s); stopping at {}:{}",
            target.file, target.pos, config_.cdc.initial_waiting_seconds, position_.file, position_.pos);
        break;
      }
    }
    if (!schema_change_.empty()) {
      // The rows of the open transaction already batched come again with it (at-least-once).
      Log(LogLevel::kInfo, "CDC: schema change: {}. The read stops at {}:{}, before the transaction holding it; the "
          "next sync discovers the change, applies the connection's schema-change policy and reads on from there",
          schema_change_, position_.file, position_.pos);
    }
    Log(LogLevel::kInfo, "CDC: read {} transaction(s); position {}:{}{}", transactions_, position_.file, position_.pos,
        position_.gtid.empty() ? "" : " (GTID " + position_.gtid + ")");
    return Checkpoint();
  }

  Status OnEvent(const MARIADB_RPL_EVENT& ev) {
    switch (ev.event_type) {
      case ROTATE_EVENT:
        current_file_ = Str(ev.event.rotate.filename);
        if (!in_txn_ && ev.timestamp == 0) {  // the fake rotate at the start (GTID mode: the first file)
          if (position_.file.empty() || position_.file != current_file_) {
            position_.file = current_file_;
            position_.pos = ev.event.rotate.position;
          }
        }
        return Status::Ok();
      case GTID_EVENT: {
        in_txn_ = (ev.event.gtid.flags & FL_STANDALONE) == 0;
        txn_domain_ = ev.event.gtid.domain_id;
        txn_gtid_ = fmt::format("{}-{}-{}", ev.event.gtid.domain_id, ev.server_id, ev.event.gtid.sequence_nr);
        if (!in_txn_) standalone_ = true;
        return Status::Ok();
      }
      case GTID_LIST_EVENT: {
        if (gtids_.empty()) {  // the state the dump started from
          for (uint32_t i = 0; i < ev.event.gtid_list.gtid_cnt; ++i) {
            const MARIADB_GTID& g = ev.event.gtid_list.gtid[i];
            gtids_[g.domain_id] = fmt::format("{}-{}-{}", g.domain_id, g.server_id, g.sequence_nr);
          }
          for (const auto& part : Split(position_.gtid)) {
            const size_t dash = part.find('-');
            if (dash != std::string::npos) gtids_[static_cast<uint32_t>(std::stoul(part.substr(0, dash)))] = part;
          }
        }
        return Status::Ok();
      }
      case TABLE_MAP_EVENT:
        return OnTableMap(ev);
      case WRITE_ROWS_EVENT_V1:
      case UPDATE_ROWS_EVENT_V1:
      case DELETE_ROWS_EVENT_V1:
      case WRITE_ROWS_EVENT:
      case UPDATE_ROWS_EVENT:
      case DELETE_ROWS_EVENT:
      case WRITE_ROWS_COMPRESSED_EVENT_V1:
      case UPDATE_ROWS_COMPRESSED_EVENT_V1:
      case DELETE_ROWS_COMPRESSED_EVENT_V1:
        return OnRows(ev);
      case XID_EVENT:
        return EndTransaction(ev.next_event_pos);
      case QUERY_EVENT: {
        Status st = OnQuery(ev);
        standalone_ = false;
        return st;
      }
      default:
        return Status::Ok();  // FORMAT_DESCRIPTION, heartbeats, annotations, checkpoints …
    }
  }

  static std::vector<std::string> Split(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < s.size()) {
      size_t end = s.find(',', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) out.push_back(s.substr(start, end - start));
      start = end + 1;
    }
    return out;
  }

  const MySqlSourceConfig& config_;
  const ConfiguredCatalog& catalog_;
  const StateStore& state_;
  BinlogPosition position_;  //!< where the next read starts (what a checkpoint saves)
  PositionEmitter<BinlogPosition> out_;  //!< the engine's Emitter; maps acknowledged checkpoints to positions
  const std::atomic<bool>* end_;
  CdcStreams streams_;  //!< batchers, which streams are incremental, their blobs in the GLOBAL state

  std::unique_ptr<MySqlConnection> conn_;
  std::unique_ptr<MySqlConnection> dump_conn_;
  MARIADB_RPL* rpl_ = nullptr;

  struct CachedTable {
    TablePtr table;               //!< null: does not exist
    std::set<std::string> unfit;  //!< TABLE_MAP shapes (types/metadata) known not to fit `table`
  };
  std::map<std::pair<std::string, std::string>, CachedTable> tables_;  //!< (database, table) → its shape
  std::vector<TablePtr> start_;          //!< per stream: its table when the read started (incremental only)
  std::set<std::string> known_tables_;   //!< tables not new: listed at the start (unless created since in the binlog read), or looked at
  SchemaChangesSeen announced_;          //!< schema changes this connection's reads stopped for
  std::string schema_change_;            //!< set when a TABLE_MAP shows a new shape: the read stops
  // Continuous mode: replication lag.
  BinlogPosition durable_;  //!< the newest position the destination committed (or read, with nobody acking)
  std::chrono::steady_clock::time_point lag_measured_at_{}, lag_logged_at_{};  //!< the first measurement is logged
  uint64_t lag_logged_txns_ = 0;
  bool binary_log_status_ = false;  //!< MySQL 8.4+: SHOW BINARY LOG STATUS instead of SHOW MASTER STATUS
  std::map<uint64_t, TablePlan> plans_;  //!< by table id of the TABLE_MAP events
  std::vector<BinlogRow> decoded_;
  std::string current_file_;
  bool in_txn_ = false;
  bool standalone_ = false;
  uint32_t txn_domain_ = 0;
  std::string txn_gtid_;
  std::map<uint32_t, std::string> gtids_;  //!< domain → its last GTID
  uint64_t rows_since_checkpoint_ = 0;
  uint64_t transactions_ = 0;
  std::chrono::steady_clock::time_point last_checkpoint_;
};

}  // namespace

Status ReadMySqlCdc(const MySqlSourceConfig& config, const ConfiguredCatalog& catalog, const StateStore& state,
                    Emitter& out, const std::atomic<bool>* end) {
  CdcRead read(config, catalog, state, out, end);
  return read.Run();
}

}  // namespace sluice
