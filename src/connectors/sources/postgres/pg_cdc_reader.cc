#include "connectors/sources/postgres/pg_cdc_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <optional>
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
#include "connectors/sources/postgres/pg_dialect.h"
#include "connectors/sources/postgres/pg_state.h"
#include "connectors/sources/postgres/pg_stream_reader.h"
#include "connectors/sources/postgres/pg_text_values.h"
#include "connectors/sources/postgres/pg_txn_spool.h"
#include "connectors/sources/postgres/pg_types.h"
#include "postgres/pg_replication.h"
#include "postgres/pgoutput.h"

namespace sluice {

namespace {

constexpr std::string_view kApplicationName = "sluice source-postgres cdc";
//! A checkpoint goes out at the first transaction end after this many change rows.
constexpr uint64_t kRowsPerCheckpoint = 50000;
constexpr auto kPollTimeout = std::chrono::milliseconds(500);
// Continuous mode (see the README's "Continuous mode"):
//! While changes flow, a checkpoint at the first transaction end this long after the last one
//! (the engine coalesces them; this bounds how long committed changes wait in the batchers).
constexpr auto kContinuousCheckpointEvery = std::chrono::milliseconds(100);
constexpr auto kContinuousPollTimeout = std::chrono::milliseconds(50);
//! While idle: a heartbeat checkpoint at the server's keepalive position, at most this often.
constexpr auto kHeartbeatEvery = std::chrono::seconds(2);
//! How often an idle stream asks the server for a keepalive (it carries the server's position).
constexpr auto kKeepaliveRequestEvery = std::chrono::seconds(1);
//! heartbeat_action_query runs this often in continuous mode (and once per batch read).
constexpr auto kHeartbeatQueryEvery = std::chrono::seconds(10);
//! Replication lag: measured and reported, and logged, as often as kit/cdc/replication_lag.h says.
constexpr auto kLagLogEvery = kReplicationLagLogEvery;
constexpr auto kLagReportEvery = kReplicationLagReportEvery;

std::string SlotSql(const std::string& slot) {
  return fmt::format("SELECT pg_create_logical_replication_slot({}, 'pgoutput');", QuoteLiteral(slot));
}

// ---- positions --------------------------------------------------------------------------------

struct Position {
  PgLsn lsn;
  uint32_t txid = 0;
  int64_t ts_usec = 0;
};

Json PositionJson(const Position& p) {
  return Json{{"lsn", p.lsn.value}, {"lsn_text", FormatPgLsn(p.lsn)}, {"txId", p.txid}, {"ts_usec", p.ts_usec}};
}

std::optional<Position> ParsePosition(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  auto lsn = j.find("lsn");
  if (lsn == j.end()) return std::nullopt;
  Position p;
  if (lsn->is_number_unsigned() || lsn->is_number_integer()) {
    p.lsn.value = lsn->get<uint64_t>();
  } else if (lsn->is_string()) {
    auto parsed = ParsePgLsn(lsn->get<std::string>());
    if (!parsed.ok()) return std::nullopt;
    p.lsn = *parsed;
  } else {
    return std::nullopt;
  }
  if (auto t = j.find("txId"); t != j.end() && t->is_number()) p.txid = t->get<uint32_t>();
  if (auto t = j.find("ts_usec"); t != j.end() && t->is_number()) p.ts_usec = t->get<int64_t>();
  return p;
}

// ---- check ------------------------------------------------------------------------------------

//! Whether the slot can serve this config; an error names the slot and the fix.
Status ValidateSlot(const std::optional<PgSlotInfo>& slot, const PgSourceConfig& config) {
  const std::string& name = config.cdc.replication_slot;
  if (!slot) {
    return Status::ConfigError(fmt::format(
        "replication_method.replication_slot: replication slot '{}' does not exist; create it with {}", name,
        SlotSql(name)));
  }
  if (slot->slot_type != "logical" || slot->plugin != "pgoutput") {
    return Status::ConfigError(fmt::format(
        "replication_method.replication_slot: slot '{}' is a {} slot using plugin '{}'; CDC needs a logical "
        "pgoutput slot: SELECT pg_drop_replication_slot({}); {}",
        name, slot->slot_type, slot->plugin, QuoteLiteral(name), SlotSql(name)));
  }
  if (slot->database != config.connection.database) {
    return Status::ConfigError(fmt::format(
        "replication_method.replication_slot: slot '{}' belongs to database '{}', not '{}'; create one in '{}' "
        "with {}",
        name, slot->database, config.connection.database, config.connection.database, SlotSql(name)));
  }
  return Status::Ok();
}

Status LostSlotError(const std::string& name, const std::string& what) {
  return Status::ConfigError(fmt::format(
      "replication slot '{}' cannot resume the saved position: {}. Changes since the last sync are gone: reset "
      "the connection's streams (or set invalid_cdc_cursor_position_behavior to \"Re-sync data\" to snapshot "
      "again automatically)",
      name, what));
}

// ---- the read -----------------------------------------------------------------------------------

//! The relation of an Insert, Update or Delete (null for other messages).
struct RelationOf {
  template <typename M>
  std::shared_ptr<const PgRelation> operator()(const M& m) const {
    if constexpr (requires { m.relation; }) {
      return m.relation;
    } else {
      return nullptr;
    }
  }
};

//! How a relation's columns land in a stream's fields (made once per Relation message).
struct RelationPlan {
  uint32_t stream = 0;
  std::vector<int> column_of_field;  //!< relation column per schema field; -1: none (CDC or dropped)
  std::vector<PgColumnType> types;   //!< per relation column
  std::vector<int> cdc_of_field;     //!< 0 lsn, 1 updated_at, 2 deleted_at, -1 data
};

//! Numbers the checkpoints and maps acknowledgements back to LSNs (kit/cdc/position_emitter.h).
using NumberedEmitter = PositionEmitter<PgLsn>;

class CdcRead {
 public:
  CdcRead(const PgSourceConfig& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out,
          const PgSessionFactory& open_session, const std::atomic<bool>* end)
      : config_(config),
        catalog_(catalog),
        state_(state),
        out_(out, position_.lsn),
        open_session_(open_session),
        end_(end),
        streams_(catalog, out_, PgBatchLimits()) {}

  Status Run() {
    SLUICE_ASSIGN_OR_RETURN(conn_, open_session_());
    SLUICE_ASSIGN_OR_RETURN(PgTypeCatalog types, PgTypeCatalog::Load(*conn_));
    types_.emplace(std::move(types));
    SLUICE_RETURN_IF_ERROR(DecideStart());
    SLUICE_RETURN_IF_ERROR(LoadStartSchema());
    SLUICE_RETURN_IF_ERROR(streams_.Start());
    Status st = Snapshot();
    if (st.ok() && HasIncremental()) st = ReadChanges();
    return streams_.Finish(st, out_);
  }

 private:
  bool Incremental(uint32_t i) const { return streams_.Incremental(i); }
  bool HasIncremental() const { return streams_.HasIncremental(); }

  //! The saved position, checked against the slot; or the slot's position for a new snapshot.
  Status DecideStart() {
    const std::string& slot_name = config_.cdc.replication_slot;
    SLUICE_ASSIGN_OR_RETURN(std::optional<PgSlotInfo> slot, ReadSlotInfo(*conn_, slot_name));
    std::optional<CdcState> saved = ParseCdcState(state_);
    std::optional<Position> saved_position = saved ? ParsePosition(saved->position) : std::nullopt;
    if (saved && !saved_position) {
      Log(LogLevel::kWarn, "the saved CDC state has no LSN; taking a new snapshot");
      saved.reset();
    }
    std::string invalid;
    if (!slot) {
      invalid = "the slot does not exist";
    } else if (slot->wal_status == "lost") {
      invalid = "its WAL was removed (wal_status 'lost')";
    } else if (saved_position && slot->confirmed_flush_lsn && *slot->confirmed_flush_lsn > saved_position->lsn) {
      invalid = fmt::format("its confirmed_flush_lsn {} is beyond the saved LSN {} (changes in between were "
                            "acknowledged without being saved)",
                            FormatPgLsn(*slot->confirmed_flush_lsn), FormatPgLsn(saved_position->lsn));
    }
    if (!invalid.empty() && saved_position) {
      if (!config_.cdc.resync_on_invalid_position) return LostSlotError(slot_name, invalid);
      Log(LogLevel::kWarn, "replication slot '{}': {}; re-syncing every stream (invalid_cdc_cursor_position_behavior "
          "= Re-sync data)", slot_name, invalid);
      saved.reset();
      saved_position.reset();
    }
    if (!slot) SLUICE_RETURN_IF_ERROR(ValidateSlot(slot, config_));
    if (slot->wal_status == "lost") {
      return Status::ConfigError(fmt::format("replication slot '{}' lost its WAL (wal_status 'lost'): drop it and "
                                             "create it again (SELECT pg_drop_replication_slot({}); {}), then sync",
                                             slot_name, QuoteLiteral(slot_name), SlotSql(slot_name)));
    }
    SLUICE_RETURN_IF_ERROR(ValidateSlot(slot, config_));
    if (saved_position) {
      position_ = *saved_position;
      resumed_ = true;
      announced_.Load(saved->position);
      streams_.LoadBlobs(*saved);
    } else {
      if (!slot->confirmed_flush_lsn) {
        return Status::ConfigError(fmt::format("replication slot '{}' has no confirmed_flush_lsn yet", slot_name));
      }
      position_.lsn = *slot->confirmed_flush_lsn;
    }
    start_lsn_ = position_.lsn;
    return Status::Ok();
  }

  StateMessage GlobalState() const {
    Json position = PositionJson(position_);
    announced_.SaveTo(position);
    return streams_.GlobalState(std::move(position));
  }

  // ---- snapshot ---------------------------------------------------------------------------------

  Status Snapshot() {
    PgCdcSnapshot snap;
    snap.lsn = position_.lsn.value;
    snap.updated_at_us = NowMicros();
    for (uint32_t i = 0; i < catalog_.streams.size(); ++i) {
      const ConfiguredStream& stream = catalog_.streams[i];
      const Json* saved = streams_.Blob(i);
      if (Incremental(i) && IsCdcSnapshotComplete(saved)) continue;
      if (!Incremental(i)) saved = nullptr;  // a full-refresh stream is read whole every sync
      Log(LogLevel::kInfo, "{}: CDC snapshot at LSN {}", stream.descriptor().ToString(), FormatPgLsn(position_.lsn));
      snap.state_of = streams_.SnapshotStateOf(i, [this] { return GlobalState(); });
      SLUICE_RETURN_IF_ERROR(streams_.batcher(i).MarkRunning());
      // The blob is copied: state_of replaces it while the reader runs.
      std::optional<Json> saved_copy = saved ? std::optional<Json>(*saved) : std::nullopt;
      SLUICE_RETURN_IF_ERROR(ReadPgStream(*conn_, config_, *types_, stream, saved_copy ? &*saved_copy : nullptr,
                                          streams_.batcher(i), &snap));
    }
    return Status::Ok();
  }

  // ---- changes ----------------------------------------------------------------------------------

  PgConnectionConfig ReplicationConnectionConfig() const {
    PgConnectionConfig c = config_.connection;
    // The text forms pg_text_values.h expects, whatever the server's defaults.
    const std::string settings =
        "-c DateStyle=ISO -c TimeZone=UTC -c IntervalStyle=postgres -c extra_float_digits=3 -c bytea_output=hex";
    bool found = false;
    for (auto& [k, v] : c.extra_params) {
      if (k == "options") {
        v += " " + settings;
        found = true;
      }
    }
    if (!found) c.extra_params.emplace_back("options", settings);
    return c;
  }

  //! The incremental stream of table schema.name, if selected.
  std::optional<uint32_t> StreamOf(std::string_view schema, std::string_view name) const {
    for (uint32_t i = 0; i < catalog_.streams.size(); ++i) {
      const ConfiguredStream& s = catalog_.streams[i];
      if (Incremental(i) && s.stream.name == name && s.stream.namespace_.value_or("public") == schema) return i;
    }
    return std::nullopt;
  }

  //! The stream a relation's changes belong to: its own, or — for a partition (a publication
  //! without publish_via_partition_root sends changes under the leaf) — its partition root's.
  Result<std::optional<uint32_t>> StreamOfRelation(const PgRelation& relation) {
    if (auto i = StreamOf(relation.schema, relation.name)) return i;
    SLUICE_ASSIGN_OR_RETURN(
        PgResult r,
        conn_->Query("SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                     "ON n.oid = c.relnamespace WHERE c.oid = pg_catalog.pg_partition_root($1::oid) "
                     "AND c.oid <> $1::oid",
                     {std::to_string(relation.oid)}));
    if (r.rows() == 0) return std::optional<uint32_t>();
    std::optional<uint32_t> i = StreamOf(r.Get(0, 0), r.Get(0, 1));
    if (i) {
      Log(LogLevel::kInfo, "CDC: changes of partition {}.{} go to the stream of its root {}.{}", relation.schema,
          relation.name, r.Get(0, 0), r.Get(0, 1));
    }
    return i;
  }

  //! The stream a relation belongs to, and how its columns map (by name: a partition's column
  //! order may differ from its root's); nullptr when not selected.
  Result<const RelationPlan*> PlanFor(const std::shared_ptr<const PgRelation>& relation) {
    auto it = plans_.find(relation.get());
    if (it != plans_.end()) return it->second ? &*it->second : nullptr;
    std::optional<RelationPlan> plan;
    SLUICE_ASSIGN_OR_RETURN(std::optional<uint32_t> stream, StreamOfRelation(*relation));
    if (stream) {
      const uint32_t i = *stream;
      const ConfiguredStream& s = catalog_.streams[i];
      RelationPlan p;
      p.stream = i;
      for (const auto& c : relation->columns) p.types.push_back(types_->Resolve(c.type_oid, c.type_modifier));
      for (const Field& f : s.schema->fields()) {
        int cdc = -1;
        if (f.name == kCdcLsnColumn) cdc = 0;
        if (f.name == kCdcUpdatedAtColumn) cdc = 1;
        if (f.name == kCdcDeletedAtColumn) cdc = 2;
        p.cdc_of_field.push_back(cdc);
        int col = -1;
        for (size_t c = 0; c < relation->columns.size() && cdc < 0; ++c) {
          if (relation->columns[c].name == f.name) col = static_cast<int>(c);
        }
        p.column_of_field.push_back(col);
      }
      plan = std::move(p);
      SLUICE_RETURN_IF_ERROR(DetectColumnChange(*relation, i));
    } else {
      SLUICE_RETURN_IF_ERROR(DetectNewTable(*relation));
    }
    keep_.push_back(relation);  // the key stays valid while the plan is cached
    auto [pos, _] = plans_.emplace(relation.get(), std::move(plan));
    return pos->second ? &*pos->second : nullptr;
  }

  // ---- schema changes during the read -----------------------------------------------------------
  //
  // A Relation message describes a table as of the change that follows it. A column the
  // stream's catalog does not have, or a table newly in the publication that no stream reads,
  // ends the read before the transaction holding the change: the checkpoint keeps the last
  // transaction end, so the next sync — which discovers first and applies the connection's
  // schema-change policy — reads it again with the new column or stream. Each change is noted
  // in the GLOBAL state (shared_state.state.schema_changes_seen: "schema.table" → ["column",
  // …], "" for the table itself) and stops a read only once: when the policy did not take it
  // into the catalog, later reads go on without it. Replayed WAL may describe a column or table
  // dropped since: only what exists now counts. A column retyped since the read started (the
  // type at the start differs and the table has the new type now) stops the read too.

  //! Column name → type oid of `schema.name` now; empty when the table does not exist.
  Result<std::map<std::string, uint32_t>> ColumnsNow(const std::string& schema, const std::string& name) {
    SLUICE_ASSIGN_OR_RETURN(
        PgResult r, conn_->Query("SELECT a.attname, a.atttypid::int8 FROM pg_catalog.pg_attribute a "
                                 "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n "
                                 "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 "
                                 "AND NOT a.attisdropped",
                                 {schema, name}));
    std::map<std::string, uint32_t> columns;
    for (int row = 0; row < r.rows(); ++row) {
      columns[std::string(r.Get(row, 0))] = static_cast<uint32_t>(std::stoul(std::string(r.Get(row, 1))));
    }
    return columns;
  }

  //! The streams' columns (for retypes) as they are when the read starts.
  Status LoadStartSchema() {
    if (!HasIncremental()) return Status::Ok();
    start_columns_.resize(catalog_.streams.size());
    for (uint32_t i = 0; i < catalog_.streams.size(); ++i) {
      if (!Incremental(i)) continue;
      const AirbyteStream& s = catalog_.streams[i].stream;
      SLUICE_ASSIGN_OR_RETURN(start_columns_[i], ColumnsNow(s.namespace_.value_or("public"), s.name));
    }
    return Status::Ok();
  }

  //! A relation of stream `i` with a column its catalog lacks, or one retyped during the read.
  Status DetectColumnChange(const PgRelation& relation, uint32_t i) {
    const Schema& schema = *catalog_.streams[i].schema;
    const std::map<std::string, uint32_t>& start = start_columns_[i];
    const std::string table = fmt::format("{}.{}", relation.schema, relation.name);
    std::optional<std::map<std::string, uint32_t>> now;
    for (const PgRelationColumn& c : relation.columns) {
      auto was = start.find(c.name);
      const bool added = schema.IndexOf(c.name) < 0;
      const bool retyped = !added && was != start.end() && was->second != c.type_oid;
      if (!added && !retyped) continue;
      if (!now) {
        SLUICE_ASSIGN_OR_RETURN(now, ColumnsNow(relation.schema, relation.name));
      }
      auto is = now->find(c.name);
      if (is == now->end() || is->second != c.type_oid) continue;  // dropped or retyped again since
      if (!announced_.Announce(table, retyped ? fmt::format("{}#{}", c.name, c.type_oid) : c.name)) continue;
      schema_change_ = fmt::format("{}: column '{}' was {}", table, c.name, retyped ? "retyped" : "added");
      return Status::Ok();
    }
    return Status::Ok();
  }

  //! A relation no stream reads: a table new in the publication?
  Status DetectNewTable(const PgRelation& relation) {
    const std::string table = fmt::format("{}.{}", relation.schema, relation.name);
    if (std::find(config_.schemas.begin(), config_.schemas.end(), relation.schema) == config_.schemas.end()) {
      return Status::Ok();  // outside the configured schemas: never a stream
    }
    if (announced_.Seen(table, "")) return Status::Ok();
    SLUICE_ASSIGN_OR_RETURN(PgResult r, conn_->Query("SELECT 1 FROM pg_catalog.pg_publication_tables WHERE pubname = $1 "
                                                     "AND schemaname = $2 AND tablename = $3",
                                                     {config_.cdc.publication, relation.schema, relation.name}));
    if (r.rows() == 0) return Status::Ok();  // dropped since, or a partition (its root is the stream)
    announced_.Announce(table, "");
    schema_change_ = fmt::format("table {} is in publication '{}' and no stream reads it", table,
                                 config_.cdc.publication);
    return Status::Ok();
  }

  //! One change row. `tuple`: the values; `old`: the old row (REPLICA IDENTITY FULL) that holds
  //! unchanged TOASTed values, or null.
  Status AppendRow(const RelationPlan& plan, const PgRelation& relation, const PgTuple& tuple, const PgTuple* old,
                   bool deleted) {
    StreamBatcher& b = streams_.batcher(plan.stream);
    RecordBatch& batch = b.batch();
    for (size_t f = 0; f < plan.column_of_field.size(); ++f) {
      Column& column = batch.column(f);
      const std::string& name = batch.schema().field(f).name;
      switch (plan.cdc_of_field[f]) {
        case 0: column.AppendInt64(static_cast<int64_t>(txn_.lsn.value)); continue;
        case 1: column.AppendInt64(txn_.ts_usec); continue;
        case 2:
          if (deleted) column.AppendInt64(txn_.ts_usec);
          else column.AppendNull();
          continue;
        default: break;
      }
      const int c = plan.column_of_field[f];
      if (c < 0 || static_cast<size_t>(c) >= tuple.size()) {
        column.AppendNull();
        continue;
      }
      const PgColumnValue* v = &tuple[static_cast<size_t>(c)];
      if (v->kind == PgColumnValue::Kind::kUnchangedToast && old != nullptr &&
          static_cast<size_t>(c) < old->size() && (*old)[static_cast<size_t>(c)].kind == PgColumnValue::Kind::kText) {
        v = &(*old)[static_cast<size_t>(c)];  // REPLICA IDENTITY FULL: the old row has the value
      }
      switch (v->kind) {
        case PgColumnValue::Kind::kNull:
          column.AppendNull();
          break;
        case PgColumnValue::Kind::kUnchangedToast:
          // Not sent because unchanged, and not in an old row: never written as a silent NULL.
          column.AppendNull();
          batch.AddChange(name, ChangeKind::kNulled, ChangeReason::kSourceRetrievalError);
          if (toast_warned_.insert(relation.oid).second) {
            Log(LogLevel::kWarn, "{}.{}: an update left the TOASTed column '{}' unchanged and pgoutput did not send "
                "it; the record has it null with a NULLED change in _airbyte_meta. Run ALTER TABLE {}.{} REPLICA "
                "IDENTITY FULL so unchanged values are taken from the old row.",
                relation.schema, relation.name, name, QuoteIdent(relation.schema), QuoteIdent(relation.name));
          }
          break;
        case PgColumnValue::Kind::kText:
          if (!AppendPgText(column, plan.types[static_cast<size_t>(c)], v->data)) {
            column.AppendNull();
            batch.AddChange(name, ChangeKind::kNulled, ChangeReason::kSourceSerializationError);
          }
          break;
        case PgColumnValue::Kind::kBinary:
          column.AppendNull();
          batch.AddChange(name, ChangeKind::kNulled, ChangeReason::kSourceSerializationError);
          break;
      }
    }
    ++rows_since_checkpoint_;
    return b.RowAdded();
  }

  Status Checkpoint() {
    SLUICE_RETURN_IF_ERROR(streams_.FlushAll());
    rows_since_checkpoint_ = 0;
    last_checkpoint_ = std::chrono::steady_clock::now();
    checkpointed_lsn_ = position_.lsn;
    return out_.EmitState(GlobalState());
  }

  //! "After loading Data in the destination": moves the slot to the newest checkpoint the engine
  //! reports durable (committed and saved), during the read. Between Next() calls only: the
  //! replication connection belongs to this thread.
  Status ReleaseDurable() {
    if (!config_.cdc.flush_after_destination) return Status::Ok();  // sent as read instead
    const PgLsn lsn = out_.TakeDurable().value_or(PgLsn{});
    if (!lsn.valid() || lsn <= repl_->flush_lsn()) return Status::Ok();
    return repl_->SendStatus(lsn);
  }

  //! Continuous mode: the replication lag — server WAL position − the slot's flushed LSN, in
  //! bytes — reported to the Emitter (a metric) every kLagReportEvery and logged every
  //! kLagLogEvery with the transaction rate.
  Status MeasureLag() {
    const auto now = std::chrono::steady_clock::now();
    lag_measured_at_ = now;
    SLUICE_ASSIGN_OR_RETURN(PgResult r, conn_->Query("SELECT pg_current_wal_lsn()::text"));
    SLUICE_ASSIGN_OR_RETURN(PgLsn server, ParsePgLsn(r.Get(0, 0)));
    const PgLsn flushed = repl_->flush_lsn();
    const uint64_t lag = server.value > flushed.value ? server.value - flushed.value : 0;
    out_.ReportReplicationLag(lag);
    if (now - lag_logged_at_ < kLagLogEvery) return Status::Ok();
    const double secs = std::chrono::duration<double>(now - lag_logged_at_).count();
    Log(LogLevel::kInfo, "CDC: replication lag {} bytes (server WAL {}, slot flushed {}); {:.0f} transactions/s",
        lag, FormatPgLsn(server), FormatPgLsn(flushed), secs > 0 ? (transactions_ - lag_logged_txns_) / secs : 0.0);
    lag_logged_at_ = now;
    lag_logged_txns_ = transactions_;
    return Status::Ok();
  }

  Status RunHeartbeatQuery() {
    if (config_.cdc.heartbeat_action_query.empty()) return Status::Ok();
    return conn_->Exec(config_.cdc.heartbeat_action_query)
        .WithContext("running replication_method.heartbeat_action_query");
  }

  //! Continuous mode, after each event: checkpoints at transaction ends while changes flow, and
  //! heartbeats (the keepalive position, no rows) while idle; the periodic query and lag log.
  Status ContinuousHousekeeping(const PgStreamEvent& ev) {
    using Clock = std::chrono::steady_clock;
    const auto now = Clock::now();
    if (ev.kind == PgStreamEvent::Kind::kKeepalive && !InTransaction() && rows_since_checkpoint_ == 0 &&
        ev.wal_end > position_.lsn) {
      position_.lsn = ev.wal_end;  // nothing of ours before it: the slot may move past it
    }
    if (!InTransaction() && rows_since_checkpoint_ > 0 &&
        (now - last_checkpoint_ >= kContinuousCheckpointEvery || rows_since_checkpoint_ >= kRowsPerCheckpoint)) {
      SLUICE_RETURN_IF_ERROR(Checkpoint());
    } else if (!InTransaction() && rows_since_checkpoint_ == 0 && position_.lsn > checkpointed_lsn_ &&
               now - last_checkpoint_ >= kHeartbeatEvery) {
      SLUICE_RETURN_IF_ERROR(Checkpoint());  // heartbeat: an idle publication must not hold WAL
    }
    if (ev.kind == PgStreamEvent::Kind::kTimeout && !InTransaction() &&
        now - keepalive_asked_ >= kKeepaliveRequestEvery) {
      keepalive_asked_ = now;
      SLUICE_RETURN_IF_ERROR(repl_->SendStatus(repl_->flush_lsn(), /*reply_requested=*/true));
    }
    if (now - heartbeat_query_at_ >= kHeartbeatQueryEvery) {
      heartbeat_query_at_ = now;
      SLUICE_RETURN_IF_ERROR(RunHeartbeatQuery());
    }
    if (now - lag_measured_at_ >= kLagReportEvery) SLUICE_RETURN_IF_ERROR(MeasureLag());
    return Status::Ok();
  }

  //! Inside Begin … Commit or a Stream Start … Stop block: not a point to stop or checkpoint at.
  bool InTransaction() const { return in_txn_ || in_stream_; }

  Status OnMessage(const PgStreamEvent& ev) {
    const PgMessage& m = ev.message;
    if (auto* begin = std::get_if<PgBegin>(&m)) {
      in_txn_ = true;
      txn_ = {begin->final_lsn, begin->xid, begin->commit_time_us};
      return Status::Ok();
    }
    if (auto* commit = std::get_if<PgCommit>(&m)) {
      in_txn_ = false;
      return EndTransaction(commit->end_lsn, commit->commit_time_us);
    }
    // Protocol 2 streaming: a large transaction arrives in Stream Start … Stop blocks before it
    // commits, interleaved with others; its changes wait in a spool until Stream Commit.
    if (auto* start = std::get_if<PgStreamStart>(&m)) {
      in_stream_ = true;
      stream_xid_ = start->xid;
      auto& spool = streamed_[start->xid];
      if (!spool) spool = std::make_unique<PgTxnSpool>();
      return Status::Ok();
    }
    if (std::holds_alternative<PgStreamStop>(m)) {
      in_stream_ = false;
      return Status::Ok();
    }
    if (auto* abort = std::get_if<PgStreamAbort>(&m)) {
      if (abort->subxid == abort->xid) {
        streamed_.erase(abort->xid);  // rolled back: nothing of it was written
      } else if (auto it = streamed_.find(abort->xid); it != streamed_.end()) {
        it->second->AbortSubtransaction(abort->subxid);  // a rolled-back savepoint
      }
      return Status::Ok();
    }
    if (auto* commit = std::get_if<PgStreamCommit>(&m)) {
      txn_ = {commit->commit_lsn, commit->xid, commit->commit_time_us};
      if (auto it = streamed_.find(commit->xid); it != streamed_.end()) {
        std::unique_ptr<PgTxnSpool> spool = std::move(it->second);
        streamed_.erase(it);
        if (spool->spilled_bytes() > 0) {
          Log(LogLevel::kInfo, "CDC: applying streamed transaction {} ({} changes, {} bytes spilled to disk)",
              commit->xid, spool->changes(), spool->spilled_bytes());
        }
        SLUICE_RETURN_IF_ERROR(spool->Replay([this](const PgMessage& change) { return ApplyChange(change); }));
      }
      return EndTransaction(commit->end_lsn, commit->commit_time_us);
    }
    if (in_stream_ && (std::holds_alternative<PgInsert>(m) || std::holds_alternative<PgUpdate>(m) ||
                       std::holds_alternative<PgDelete>(m) || std::holds_alternative<PgTruncate>(m))) {
      auto it = streamed_.find(stream_xid_);
      if (it == streamed_.end()) return Status::SystemError("CDC: a streamed change outside a Stream Start block");
      if (std::holds_alternative<PgTruncate>(m)) return it->second->Add(m);
      SLUICE_ASSIGN_OR_RETURN(const RelationPlan* plan, PlanFor(std::visit(RelationOf{}, m)));
      if (plan == nullptr) return Status::Ok();  // a table no selected stream reads
      return it->second->Add(m);
    }
    return ApplyChange(m);
  }

  //! A transaction (streamed or not) ended at `end_lsn`: the position moves past it.
  Status EndTransaction(PgLsn end_lsn, int64_t commit_time_us) {
    position_ = {end_lsn, txn_.txid, commit_time_us};
    ++transactions_;
    if (!config_.cdc.flush_after_destination) SLUICE_RETURN_IF_ERROR(repl_->SendStatus(end_lsn));
    if (rows_since_checkpoint_ >= kRowsPerCheckpoint) return Checkpoint();
    return Status::Ok();
  }

  //! One committed change (txn_ holds its transaction) into its stream's batcher.
  Status ApplyChange(const PgMessage& m) {
    if (auto* ins = std::get_if<PgInsert>(&m)) {
      SLUICE_ASSIGN_OR_RETURN(const RelationPlan* plan, PlanFor(ins->relation));
      if (plan == nullptr) return Status::Ok();
      return AppendRow(*plan, *ins->relation, ins->new_tuple, nullptr, false);
    }
    if (auto* upd = std::get_if<PgUpdate>(&m)) {
      SLUICE_ASSIGN_OR_RETURN(const RelationPlan* plan, PlanFor(upd->relation));
      if (plan == nullptr) return Status::Ok();
      if (upd->old_kind == 'K' || (upd->old_kind == 'O' && KeyChanged(*upd))) {
        // The key changed: the row under the old key is gone.
        SLUICE_RETURN_IF_ERROR(AppendRow(*plan, *upd->relation, upd->old_tuple, nullptr, true));
      }
      return AppendRow(*plan, *upd->relation, upd->new_tuple, upd->old_kind == 'O' ? &upd->old_tuple : nullptr,
                       false);
    }
    if (auto* del = std::get_if<PgDelete>(&m)) {
      SLUICE_ASSIGN_OR_RETURN(const RelationPlan* plan, PlanFor(del->relation));
      if (plan == nullptr) return Status::Ok();
      return AppendRow(*plan, *del->relation, del->old_tuple, nullptr, true);
    }
    if (auto* trunc = std::get_if<PgTruncate>(&m)) return ApplyTruncate(*trunc);
    return Status::Ok();  // Relation, Type, Origin, messages: nothing to write
  }

  //! TRUNCATE: each stream whose table was emptied gets a truncate marker (StreamBatcher::
  //! Truncate) in order with its rows. A partition truncated under its root's stream
  //! (publications without publish_via_partition_root send leaves) empties the stream only when
  //! every leaf of the root was truncated; otherwise the root's other rows stay and the
  //! partition's rows cannot be told apart in the destination: a warning says to refresh.
  Status ApplyTruncate(const PgTruncate& t) {
    std::set<uint32_t> emptied;
    std::map<uint32_t, std::vector<std::string>> leaves;  // stream → its truncated partitions
    for (const auto& r : t.relations) {
      SLUICE_ASSIGN_OR_RETURN(const RelationPlan* plan, PlanFor(r));
      if (plan == nullptr) continue;
      if (StreamOf(r->schema, r->name) == plan->stream) {
        emptied.insert(plan->stream);
      } else {
        leaves[plan->stream].push_back(fmt::format("{}.{}", r->schema, r->name));
      }
    }
    for (const auto& [stream, names] : leaves) {
      if (emptied.count(stream) > 0) continue;
      const AirbyteStream& s = catalog_.streams[stream].stream;
      const std::string root = fmt::format("{}.{}", QuoteIdent(s.namespace_.value_or("public")), QuoteIdent(s.name));
      SLUICE_ASSIGN_OR_RETURN(PgResult r, conn_->Query("SELECT count(*) FROM pg_catalog.pg_partition_tree(" +
                                                       QuoteLiteral(root) + "::regclass) WHERE isleaf"));
      if (std::stoul(std::string(r.Get(0, 0))) == names.size()) {
        emptied.insert(stream);
        continue;
      }
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      Log(LogLevel::kWarn, "TRUNCATE of partition(s) {} of {} at LSN {} is not replicated: the destination cannot "
          "tell their rows from the other partitions'. Refresh the stream to drop them.", list, root,
          FormatPgLsn(txn_.lsn));
    }
    for (uint32_t stream : emptied) {
      Log(LogLevel::kInfo, "CDC: {} was truncated at LSN {}", catalog_.streams[stream].descriptor().ToString(),
          FormatPgLsn(txn_.lsn));
      SLUICE_RETURN_IF_ERROR(streams_.batcher(stream).Truncate(txn_.ts_usec));
      ++rows_since_checkpoint_;
    }
    return Status::Ok();
  }

  //! REPLICA IDENTITY FULL sends the whole old row on every update: did a key column change?
  static bool KeyChanged(const PgUpdate& u) {
    for (size_t c = 0; c < u.relation->columns.size() && c < u.old_tuple.size() && c < u.new_tuple.size(); ++c) {
      if (!u.relation->columns[c].key) continue;
      const auto& o = u.old_tuple[c];
      const auto& n = u.new_tuple[c];
      if (n.kind == PgColumnValue::Kind::kUnchangedToast) continue;
      if (o.kind != n.kind || o.data != n.data) return true;
    }
    return false;
  }

  Status ReadChanges() {
    const bool continuous = end_ != nullptr;
    SLUICE_RETURN_IF_ERROR(RunHeartbeatQuery());
    heartbeat_query_at_ = lag_logged_at_ = keepalive_asked_ = std::chrono::steady_clock::now();
    SLUICE_ASSIGN_OR_RETURN(repl_, PgReplicationConnection::Connect(ReplicationConnectionConfig(), kApplicationName));
    SLUICE_ASSIGN_OR_RETURN(PgSystemIdentity id, repl_->IdentifySystem());
    const PgLsn target = id.wal_flush;
    PgStreamOptions options;
    options.proto_version = 1;
    options.publications = {config_.cdc.publication};
    SLUICE_ASSIGN_OR_RETURN(PgResult version, conn_->Query("SELECT current_setting('server_version_num')::int"));
    if (std::stoi(std::string(version.Get(0, 0))) >= 140000) {
      // Large transactions come while in progress (beyond logical_decoding_work_mem) instead of
      // being spilled by the server until commit: spooled here, applied at Stream Commit.
      options.proto_version = 2;
      options.streaming = true;
    }
    SLUICE_RETURN_IF_ERROR(repl_->StartReplication(config_.cdc.replication_slot, start_lsn_, options));
    // The saved position was saved after the destination committed it: the slot may now
    // discard the WAL before it (Airbyte's "After loading Data in the destination").
    if (resumed_ && start_lsn_.valid()) SLUICE_RETURN_IF_ERROR(repl_->SendStatus(start_lsn_));
    if (continuous) {
      Log(LogLevel::kInfo, "CDC: streaming slot '{}' from {} continuously (caught up at {})",
          config_.cdc.replication_slot, FormatPgLsn(start_lsn_), FormatPgLsn(target));
    } else {
      Log(LogLevel::kInfo, "CDC: streaming slot '{}' from {} up to {}", config_.cdc.replication_slot,
          FormatPgLsn(start_lsn_), FormatPgLsn(target));
    }
    const auto idle_limit = std::chrono::seconds(config_.cdc.initial_waiting_seconds);
    auto last_data = std::chrono::steady_clock::now();
    checkpointed_lsn_ = position_.lsn;
    for (;;) {
      if (out_.cancelled()) return Status::Cancelled();
      if (continuous && end_->load(std::memory_order_relaxed)) break;
      SLUICE_RETURN_IF_ERROR(ReleaseDurable());
      SLUICE_ASSIGN_OR_RETURN(PgStreamEvent ev, repl_->Next(continuous ? kContinuousPollTimeout : kPollTimeout));
      if (ev.kind == PgStreamEvent::Kind::kEnd) break;
      if (ev.kind == PgStreamEvent::Kind::kMessage) {
        last_data = std::chrono::steady_clock::now();
        SLUICE_RETURN_IF_ERROR(OnMessage(ev));
        if (!schema_change_.empty()) break;
      }
      if (continuous) {
        SLUICE_RETURN_IF_ERROR(ContinuousHousekeeping(ev));
        continue;
      }
      // Caught up: everything committed before the server's position at the start was sent.
      if (!InTransaction() && ev.kind != PgStreamEvent::Kind::kTimeout && ev.wal_end >= target) {
        if (ev.kind == PgStreamEvent::Kind::kKeepalive && ev.wal_end > position_.lsn) {
          position_.lsn = ev.wal_end;  // nothing of ours before it: the slot may move past it
        }
        break;
      }
      if (ev.kind == PgStreamEvent::Kind::kTimeout) {
        if (!InTransaction() && std::chrono::steady_clock::now() - last_data > idle_limit) {
          Log(LogLevel::kWarn, "CDC: no change for initial_waiting_seconds ({} s) before reaching {}; stopping",
              config_.cdc.initial_waiting_seconds, FormatPgLsn(target));
          break;
        }
        // Ask for a keepalive: it carries the server's position.
        SLUICE_RETURN_IF_ERROR(repl_->SendStatus(repl_->flush_lsn(), /*reply_requested=*/true));
      }
    }
    (void)repl_->StopReplication();
    if (!schema_change_.empty()) {
      // The rows of the open transaction already batched come again with it (at-least-once).
      Log(LogLevel::kInfo, "CDC: schema change: {}. The read stops at {}, before the transaction holding it; the "
          "next sync discovers the change, applies the connection's schema-change policy and reads on from there",
          schema_change_, FormatPgLsn(position_.lsn));
    }
    Log(LogLevel::kInfo, "CDC: read {} transaction(s); position {}", transactions_, FormatPgLsn(position_.lsn));
    return Checkpoint();
  }

  const PgSourceConfig& config_;
  const ConfiguredCatalog& catalog_;
  const StateStore& state_;
  Position position_;  //!< what the next checkpoint saves (before out_, which reads its LSN)
  NumberedEmitter out_;
  const PgSessionFactory& open_session_;
  const std::atomic<bool>* end_;  //!< continuous mode: set by the engine to end the read; else null
  CdcStreams streams_;  //!< batchers, which streams are incremental, their blobs in the GLOBAL state

  std::unique_ptr<PgConnection> conn_;
  std::optional<PgTypeCatalog> types_;
  PgLsn start_lsn_;
  bool resumed_ = false;

  std::unique_ptr<PgReplicationConnection> repl_;
  std::map<const PgRelation*, std::optional<RelationPlan>> plans_;
  std::vector<std::shared_ptr<const PgRelation>> keep_;
  std::set<uint32_t> toast_warned_;
  std::vector<std::map<std::string, uint32_t>> start_columns_;  //!< per stream: its table's columns at the start
  SchemaChangesSeen announced_;  //!< schema changes seen: "schema.table" → ["column", "column#oid", ""]
  std::string schema_change_;  //!< set when a Relation shows a new column or table: the read stops
  bool in_txn_ = false;
  bool in_stream_ = false;   //!< between Stream Start and Stream Stop
  uint32_t stream_xid_ = 0;  //!< the top-level xid of the open Stream Start block
  std::map<uint32_t, std::unique_ptr<PgTxnSpool>> streamed_;  //!< streamed, not yet committed: by xid
  Position txn_;  //!< the open transaction: commit LSN (_ab_cdc_lsn), xid, commit time
  uint64_t rows_since_checkpoint_ = 0;
  uint64_t transactions_ = 0;
  // Continuous mode.
  std::chrono::steady_clock::time_point last_checkpoint_ = std::chrono::steady_clock::now();
  PgLsn checkpointed_lsn_;  //!< position of the last checkpoint
  std::chrono::steady_clock::time_point keepalive_asked_{}, heartbeat_query_at_{}, lag_logged_at_{}, lag_measured_at_{};
  uint64_t lag_logged_txns_ = 0;
};

}  // namespace

Status CheckPgCdc(PgConnection& conn, const PgSourceConfig& config) {
  const std::string& user = config.connection.username;
  SLUICE_ASSIGN_OR_RETURN(PgResult wal, conn.Query("SELECT current_setting('wal_level')"));
  if (wal.Get(0, 0) != "logical") {
    return Status::ConfigError(fmt::format(
        "wal_level is '{}'; CDC needs logical decoding: ALTER SYSTEM SET wal_level = logical; then restart the "
        "server",
        wal.Get(0, 0)));
  }
  SLUICE_ASSIGN_OR_RETURN(PgResult role,
                          conn.Query("SELECT rolsuper OR rolreplication FROM pg_catalog.pg_roles WHERE rolname = "
                                     "current_user"));
  if (role.rows() == 0 || role.Get(0, 0) != "t") {
    return Status::ConfigError(fmt::format(
        "user '{}' may not use logical replication: ALTER ROLE {} WITH REPLICATION;", user, QuoteIdent(user)));
  }
  const std::string& slot_name = config.cdc.replication_slot;
  SLUICE_ASSIGN_OR_RETURN(std::optional<PgSlotInfo> slot, ReadSlotInfo(conn, slot_name));
  SLUICE_RETURN_IF_ERROR(ValidateSlot(slot, config));
  if (slot->wal_status == "lost") {
    return Status::ConfigError(fmt::format(
        "replication slot '{}' lost its WAL (wal_status 'lost'): drop it and create it again (SELECT "
        "pg_drop_replication_slot({}); {}), then sync (a new snapshot)",
        slot_name, QuoteLiteral(slot_name), SlotSql(slot_name)));
  }
  const std::string& pub = config.cdc.publication;
  SLUICE_ASSIGN_OR_RETURN(PgResult p, conn.Query("SELECT puballtables FROM pg_catalog.pg_publication WHERE pubname = $1",
                                                 {pub}));
  if (p.rows() == 0) {
    return Status::ConfigError(fmt::format(
        "replication_method.publication: publication '{}' does not exist; create it with CREATE PUBLICATION {} FOR "
        "TABLE <table>, …; (or FOR ALL TABLES)",
        pub, QuoteIdent(pub)));
  }
  const std::string filter = PgDialect::Get().SchemaFilter(config.schemas);
  SLUICE_ASSIGN_OR_RETURN(
      PgResult t,
      conn.Query("SELECT n.nspname, c.relname, EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables pt WHERE "
                 // Without publish_via_partition_root the view lists a partitioned table's leaves.
                 "pt.pubname = " + QuoteLiteral(pub) + " AND COALESCE(pg_catalog.pg_partition_root("
                 "pg_catalog.format('%I.%I', pt.schemaname, pt.tablename)::regclass), "
                 "pg_catalog.format('%I.%I', pt.schemaname, pt.tablename)::regclass) = c.oid) "
                 "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND " + filter + " ORDER BY 1, 2"));
  std::vector<std::string> covered, uncovered;
  for (int i = 0; i < t.rows(); ++i) {
    const std::string name = fmt::format("{}.{}", t.Get(i, 0), t.Get(i, 1));
    (t.Get(i, 2) == "t" ? covered : uncovered).push_back(name);
  }
  if (covered.empty()) {
    return Status::ConfigError(fmt::format(
        "replication_method.publication: publication '{}' covers no table of the configured schemas; add them: "
        "ALTER PUBLICATION {} ADD TABLE <table>, …;",
        pub, QuoteIdent(pub)));
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
  };
  Log(LogLevel::kInfo, "publication '{}' covers: {}", pub, join(covered));
  if (!uncovered.empty()) {
    Log(LogLevel::kWarn, "publication '{}' does not cover {}: incremental syncs of those streams get no changes "
        "(ALTER PUBLICATION {} ADD TABLE …)", pub, join(uncovered), QuoteIdent(pub));
  }
  return Status::Ok();
}

Status ReadPgCdc(const PgSourceConfig& config, const ConfiguredCatalog& catalog, const StateStore& state,
                 Emitter& out, const PgSessionFactory& open_session, const std::atomic<bool>* end) {
  CdcRead read(config, catalog, state, out, open_session, end);
  return read.Run();
}

}  // namespace sluice
