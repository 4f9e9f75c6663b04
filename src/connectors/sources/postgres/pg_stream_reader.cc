#include "connectors/sources/postgres/pg_stream_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "base/log.h"
#include "base/time.h"
#include "connectors/kit/cdc/cdc_columns.h"
#include "postgres/pg_connection.h"
#include "connectors/kit/sql/sql_planner.h"
#include "connectors/kit/sql/sql_read.h"
#include "connectors/sources/postgres/pg_copy_decoder.h"
#include "connectors/sources/postgres/pg_dialect.h"
#include "connectors/sources/postgres/pg_discover.h"
#include "connectors/sources/postgres/pg_state.h"

namespace sluice {

namespace {

using pgbin::Decoder;

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::optional<uint64_t> ParseU64(std::string_view s) {
  uint64_t v;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

//! One selected field: how it is selected and decoded.
struct FieldPlan {
  std::string expression;  //!< select-list entry
  CopyDecoder::ColumnSpec spec;
  bool cursor_ok = false;
};

class StreamReader {
 public:
  StreamReader(PgConnection& conn, const PgSourceConfig& config, const PgTypeCatalog& types,
               const ConfiguredStream& stream, const Json* saved, StreamBatcher& out, const PgCdcSnapshot* cdc)
      : conn_(conn), config_(config), types_(types), stream_(stream), saved_(saved), out_(out), cdc_(cdc) {}

  Status Run() {
    SLUICE_RETURN_IF_ERROR(conn_.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
    Status st = ReadInTransaction();
    if (!st.ok()) {
      // After a failed COPY the connection may still be streaming: the caller drops it then.
      if (PQtransactionStatus(conn_.get()) == PQTRANS_INERROR || PQtransactionStatus(conn_.get()) == PQTRANS_INTRANS) {
        (void)conn_.Exec("ROLLBACK");
      }
      return st;
    }
    return conn_.Exec("COMMIT");
  }

 private:
  // ---- Planning -------------------------------------------------------------------------------

  Result<PgTable> LookUpTable() {
    std::vector<std::string> schemas;
    if (stream_.stream.namespace_) {
      schemas.push_back(*stream_.stream.namespace_);
    } else {
      schemas = config_.schemas.empty() ? std::vector<std::string>{"public"} : config_.schemas;
    }
    for (const auto& schema : schemas) {
      SLUICE_ASSIGN_OR_RETURN(auto table, FindTable(conn_, types_, schema, stream_.stream.name));
      if (table) return std::move(*table);
    }
    return Status::ConfigError(fmt::format(
        "table {} does not exist in database '{}' (dropped or renamed since discover?): run discover again and "
        "update the catalog",
        stream_.descriptor().ToString(), config_.connection.database));
  }

  //! How to select a column so it arrives as the catalog's type.
  Result<FieldPlan> PlanField(const Field& field, const PgColumn& column) {
    const PgColumnType& t = column.pg_type;
    FieldPlan plan;
    plan.expression = PgDialect::Get().QuoteIdentifier(column.name);
    if (field.type == t.type) {
      plan.expression += t.cast;
      plan.spec = {t.decoder, t.element};
      plan.cursor_ok = t.cursor_ok && t.cast.empty();
      return plan;
    }
    // A catalog made elsewhere (e.g. by Airbyte: numeric as number, json as string): convert in SQL.
    auto integral = [&] { return t.type == TypeId::kInteger; };
    auto numeric = [&] { return t.type == TypeId::kInteger || t.type == TypeId::kDecimal || t.type == TypeId::kNumber; };
    if (field.type == TypeId::kString) {
      plan.expression += "::text";
      plan.spec = {Decoder::kText, Decoder::kText};
      return plan;
    }
    if (field.type == TypeId::kNumber && numeric()) {
      plan.expression += "::float8";
      plan.spec = {Decoder::kFloat8, Decoder::kText};
      return plan;
    }
    if (field.type == TypeId::kDecimal && numeric()) {
      plan.expression += "::numeric";
      plan.spec = {Decoder::kNumeric, Decoder::kText};
      return plan;
    }
    if (field.type == TypeId::kInteger && integral()) {
      plan.expression += "::int8";
      plan.spec = {Decoder::kInt8, Decoder::kText};
      return plan;
    }
    return Status::ConfigError(fmt::format(
        "stream {}: column '{}' is {} (read as {}), but the catalog declares {}: run discover again and update "
        "the catalog",
        stream_.descriptor().ToString(), column.name, column.type_name, TypeName(t.type), TypeName(field.type)));
  }

  //! A CDC column of a snapshot row: the snapshot's position and time, never deleted.
  FieldPlan CdcConstant(const Field& field) const {
    FieldPlan plan;
    if (field.name == kCdcLsnColumn) {
      plan.expression = fmt::format("{}::int8", cdc_->lsn);
      plan.spec = {Decoder::kInt8, Decoder::kText};
    } else if (field.name == kCdcUpdatedAtColumn) {
      std::string ts;
      AppendTimestamp(ts, cdc_->updated_at_us, /*utc=*/true);
      plan.expression = "'" + ts + "'::timestamptz";
      plan.spec = {Decoder::kTimestampTz, Decoder::kText};
    } else {
      plan.expression = "NULL::timestamptz";
      plan.spec = {Decoder::kTimestampTz, Decoder::kText};
    }
    return plan;
  }

  Status Plan() {
    SLUICE_ASSIGN_OR_RETURN(table_, LookUpTable());
    what_ = "reading table " + table_.DisplayName();
    const Schema& schema = *stream_.schema;
    std::vector<std::string> missing, denied;
    for (const Field& field : schema.fields()) {
      if (cdc_ != nullptr && IsCdcColumn(field.name)) {
        fields_.push_back(CdcConstant(field));
        continue;
      }
      const PgColumn* column = table_.FindColumn(field.name);
      if (column == nullptr) {
        missing.push_back(field.name);
        continue;
      }
      if (!column->readable) denied.push_back(field.name);
      SLUICE_ASSIGN_OR_RETURN(FieldPlan plan, PlanField(field, *column));
      fields_.push_back(std::move(plan));
    }
    if (!missing.empty()) {
      return Status::ConfigError(fmt::format(
          "stream {}: column(s) {} no longer exist in table {}: run discover again and update the catalog",
          stream_.descriptor().ToString(), JoinNames(missing), table_.DisplayName()));
    }
    if (!denied.empty()) {
      return Status::ConfigError(fmt::format(
          "permission denied: user '{}' may not SELECT {} of table {} (GRANT SELECT ON {} TO {})",
          config_.connection.username,
          denied.size() == table_.columns.size() ? std::string("any column")
                                                 : "column(s) " + JoinNames(denied),
          table_.DisplayName(), table_.QualifiedName(), QuoteIdent(config_.connection.username)));
    }
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (i > 0) select_list_ += ", ";
      select_list_ += fields_[i].expression;
    }
    ranges_ = ReadsInCtidRanges(table_, PQserverVersion(conn_.get()));
    return Status::Ok();
  }

  //! The segments read in ctid ranges: the table itself, or a partitioned table's leaf
  //! partitions in oid order (each selected directly, so each needs the user's SELECT grant and
  //! no row security on the parent; otherwise the table is read through the parent in one COPY).
  Status MeasureTable() {
    if (!ranges_) return Status::Ok();
    constexpr std::string_view kSizes =
        "pg_catalog.pg_relation_filenode(c.oid), "
        "pg_catalog.pg_relation_size(c.oid) / current_setting('block_size')::bigint, "
        "current_setting('block_size')::bigint";
    std::string sql;
    if (table_.relkind == 'p') {
      sql = fmt::format(
          "SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), {}, "
          "pg_catalog.has_table_privilege(c.oid, 'SELECT') AND NOT parent.relrowsecurity "
          "FROM pg_catalog.pg_partition_tree({}::regclass) t "
          "JOIN pg_catalog.pg_class c ON c.oid = t.relid "
          "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
          "JOIN pg_catalog.pg_class parent ON parent.oid = {} "
          "WHERE t.isleaf ORDER BY c.oid",
          kSizes, table_.oid, table_.oid);
    } else {
      sql = fmt::format("SELECT '', {}, true FROM pg_catalog.pg_class c WHERE c.oid = {}", kSizes, table_.oid);
    }
    SLUICE_ASSIGN_OR_RETURN(PgResult r, conn_.Query(sql));
    for (int i = 0; i < r.rows(); ++i) {
      if (r.IsNull(i, 1) || r.Get(i, 4) != "t") {  // no storage of its own (foreign), or not readable
        segments_.clear();
        break;
      }
      Segment segment;
      segment.name = table_.relkind == 'p' ? std::string(r.Get(i, 0)) : table_.QualifiedName();
      segment.filenode = static_cast<uint32_t>(ParseU64(r.Get(i, 1)).value_or(0));
      segment.pages = ParseU64(r.Get(i, 2)).value_or(0);
      const uint64_t block = std::max<uint64_t>(1, ParseU64(r.Get(i, 3)).value_or(8192));
      range_pages_ =
          std::max<uint64_t>(1, static_cast<uint64_t>(config_.chunk_size_mb) * (uint64_t{1} << 20) / block);
      segments_.push_back(std::move(segment));
    }
    ranges_ = !segments_.empty();
    return Status::Ok();
  }

  //! Whether a saved position belongs to the table as it is now: its segment still exists
  //! (a rewritten table or partition has a new filenode).
  bool PositionStillValid(const PgCtidPosition& position) const {
    if (!ranges_) return false;
    for (const auto& segment : segments_) {
      if (segment.filenode == position.filenode) return true;
    }
    return false;
  }

  // ---- Modes ----------------------------------------------------------------------------------

  Status ReadInTransaction() {
    SLUICE_RETURN_IF_ERROR(Plan());
    SLUICE_RETURN_IF_ERROR(MeasureTable());
    if (stream_.sync_mode == SyncMode::kFullRefresh || cdc_ != nullptr) return ReadFullRefresh();
    if (config_.replication == ReplicationMethod::kXmin) return ReadXmin();
    return ReadCursor();
  }

  Status ReadFullRefresh() {
    NewDecoder(-1);
    std::optional<PgCtidPosition> start;
    // An overwrite destination starts its table over on every attempt, so only an append
    // destination can take the rest of an interrupted read.
    const bool can_resume = ranges_ && stream_.destination_sync_mode != DestinationSyncMode::kOverwrite;
    if (auto position = ParseFullRefreshPosition(saved_); position && can_resume) {
      if (PositionStillValid(*position)) {
        start = std::move(position);
        Log(LogLevel::kInfo, "{}: resuming the full refresh at page {}", table_.DisplayName(), start->page);
      } else {
        Log(LogLevel::kWarn, "{}: the table was rewritten since the saved position; reading it from the start",
            table_.DisplayName());
      }
    }
    SLUICE_RETURN_IF_ERROR(
        ReadRanges(start, "", [&](const PgCtidPosition& next) { return State(CtidStateJson(next)); }));
    return State(FullRefreshCompleteJson());
  }

  Status ReadXmin() {
    if (!table_.HasHeap() && table_.relkind != 'p') {
      return Status::ConfigError(fmt::format(
          "stream {}: xmin replication needs a table, and {} is a view or foreign table: sync it in full refresh",
          stream_.descriptor().ToString(), table_.DisplayName()));
    }
    NewDecoder(-1);
    SLUICE_ASSIGN_OR_RETURN(PgResult r, conn_.Query("SELECT txid_snapshot_xmin(s), txid_snapshot_xmax(s) "
                                                    "FROM txid_current_snapshot() s"));
    const uint64_t snapshot_xmin = ParseU64(r.Get(0, 0)).value_or(0);
    const uint64_t snapshot_xmax = ParseU64(r.Get(0, 1)).value_or(0);
    const auto saved = ParseXminState(saved_);
    PgXminState progress;
    progress.raw = saved ? saved->raw : std::nullopt;
    progress.snapshot_raw = snapshot_xmin;
    std::optional<PgCtidPosition> start;
    if (saved && saved->position && ranges_) {
      if (PositionStillValid(*saved->position)) {
        start = saved->position;
        // Rows changed after the interrupted read's snapshot are read again by the next sync.
        progress.snapshot_raw = saved->snapshot_raw;
        Log(LogLevel::kInfo, "{}: resuming the xmin read at page {}", table_.DisplayName(), start->page);
      } else {
        Log(LogLevel::kWarn, "{}: the table was rewritten since the saved position; reading it from the start",
            table_.DisplayName());
      }
    }
    const std::string filter = XminFilterSql(progress.raw, snapshot_xmax);
    if (progress.raw && filter.empty()) {
      Log(LogLevel::kWarn, "{}: the transaction ids wrapped around more than once since the last sync; reading every row",
          table_.DisplayName());
    }
    SLUICE_RETURN_IF_ERROR(ReadRanges(start, filter, [&](const PgCtidPosition& next) {
      progress.position = next;
      return State(XminStateJson(progress));
    }));
    PgXminState done;
    done.raw = progress.snapshot_raw;
    return State(XminStateJson(done));
  }

  Status ReadCursor() {
    const std::string stream_name = stream_.descriptor().ToString();
    std::vector<std::string> candidates;
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (fields_[i].cursor_ok) candidates.push_back(stream_.schema->field(i).name);
    }
    const std::string hint = candidates.empty() ? std::string("no selected column can be a cursor")
                                                : "cursor candidates: " + JoinNames(candidates);
    if (stream_.cursor_field.empty()) {
      return Status::ConfigError(fmt::format("stream {} is incremental but has no cursor_field ({})", stream_name, hint));
    }
    if (stream_.cursor_field.size() != 1) {
      return Status::ConfigError(fmt::format("stream {}: a nested cursor_field is not supported by source-postgres ({})",
                                             stream_name, hint));
    }
    const std::string& cursor_name = stream_.cursor_field[0];
    const int cursor = stream_.schema->IndexOf(cursor_name);
    if (cursor < 0) {
      return Status::ConfigError(fmt::format("stream {}: cursor field '{}' is not a selected column ({})", stream_name,
                                             cursor_name, hint));
    }
    const PgColumn* column = table_.FindColumn(cursor_name);
    if (!fields_[static_cast<size_t>(cursor)].cursor_ok) {
      return Status::ConfigError(fmt::format("stream {}: column '{}' ({}) cannot be a cursor ({})", stream_name,
                                             cursor_name, column->type_name, hint));
    }
    cursor_ = cursor;
    cursor_decoder_ = fields_[static_cast<size_t>(cursor)].spec.decoder;
    NewDecoder(cursor);

    if (auto saved = ParseCursorState(saved_)) {
      if (saved->cursor_field == stream_.cursor_field) {
        saved_cursor_ = saved->cursor;
        saved_count_ = saved->record_count;
      } else {
        Log(LogLevel::kInfo, "{}: the cursor changed from '{}' to '{}': reading every row", stream_name,
            JoinNames(saved->cursor_field), cursor_name);
      }
    }
    // >=: rows sharing the last value may be read again (at-least-once), none is skipped. NULL
    // cursors sort last: read by a sync without a saved cursor, never compared after.
    const SqlCursorQuery query{select_list_, table_.QualifiedName(), {cursor_name, column->type_name}, saved_cursor_};
    SLUICE_RETURN_IF_ERROR(RunCopy("COPY (" + CursorQuery(PgDialect::Get(), query) + ") TO STDOUT (FORMAT binary)"));
    if (out_.batch().num_rows() > 0) return FlushBatch();  // emits the final state after the batch
    return EmitCursorState();
  }

  Status EmitCursorState() {
    SqlCursorState s;
    s.cursor_field = stream_.cursor_field;
    if (decoder_->has_cursor()) {
      std::string text;
      const std::string& raw = decoder_->last_cursor();
      if (!pgbin::AppendCursorText(text, cursor_decoder_, reinterpret_cast<const uint8_t*>(raw.data()), raw.size())) {
        return Status::SystemError(fmt::format("{}: cannot format the cursor value", what_));
      }
      s.cursor = std::move(text);
      s.record_count = decoder_->last_cursor_rows();
    } else {
      s.cursor = saved_cursor_;
      s.record_count = saved_count_;
    }
    return State(CursorStateJson(stream_.stream.name, stream_.stream.namespace_, s));
  }

  //! A STREAM state covering every row read so far (the batch is flushed first).
  Status State(Json blob) {
    return CheckpointSqlStream(out_, stream_.descriptor(), std::move(blob), cdc_ != nullptr ? &cdc_->state_of : nullptr);
  }

  // ---- Reading --------------------------------------------------------------------------------

  //! Reads the table (filtered by `filter` when not empty), in ranges when the table allows it,
  //! from `start` (nullopt: the beginning); `on_range` gets the position after each range but
  //! the last.
  template <typename OnRange>
  Status ReadRanges(const std::optional<PgCtidPosition>& start, const std::string& filter, OnRange on_range) {
    const std::string tail = ") TO STDOUT (FORMAT binary)";
    if (!ranges_) {
      SLUICE_RETURN_IF_ERROR(RunCopy(fmt::format("COPY (SELECT {} FROM {}", select_list_, table_.QualifiedName()) +
                                     (filter.empty() ? "" : " WHERE " + filter) + tail));
      return FlushBatch();
    }
    PgCtidPosition position;
    if (start) position.completed_filenodes = start->completed_filenodes;
    auto completed = [&](uint32_t filenode) {
      return std::find(position.completed_filenodes.begin(), position.completed_filenodes.end(), filenode) !=
             position.completed_filenodes.end();
    };
    // The segments still to read, each from its first page but the one the saved position is in.
    std::vector<const Segment*> todo;
    for (const auto& segment : segments_) {
      if (!completed(segment.filenode)) todo.push_back(&segment);
    }
    for (size_t s = 0; s < todo.size(); ++s) {
      const Segment& segment = *todo[s];
      const std::string head = fmt::format("COPY (SELECT {} FROM {}", select_list_, segment.name);
      uint64_t page = start && start->filenode == segment.filenode ? start->page : 0;
      position.filenode = segment.filenode;
      for (;;) {
        const bool last = page >= segment.pages || segment.pages - page <= range_pages_;
        std::string where = fmt::format(" WHERE ctid >= '{}'::tid", FormatCtid(static_cast<uint32_t>(page)));
        if (!last) where += fmt::format(" AND ctid < '{}'::tid", FormatCtid(static_cast<uint32_t>(page + range_pages_)));
        if (!filter.empty()) where += " AND " + filter;
        SLUICE_RETURN_IF_ERROR(RunCopy(head + where + tail));
        SLUICE_RETURN_IF_ERROR(FlushBatch());
        if (last) break;
        page += range_pages_;
        position.page = static_cast<uint32_t>(page);
        SLUICE_RETURN_IF_ERROR(on_range(position));
      }
      if (s + 1 == todo.size()) return Status::Ok();
      position.completed_filenodes.push_back(segment.filenode);
      position.filenode = todo[s + 1]->filenode;
      position.page = 0;
      SLUICE_RETURN_IF_ERROR(on_range(position));
    }
    return Status::Ok();
  }

  void NewDecoder(int cursor) {
    std::vector<CopyDecoder::ColumnSpec> specs;
    for (const auto& f : fields_) specs.push_back(f.spec);
    decoder_.emplace(std::move(specs), cursor);
  }

  Status RunCopy(const std::string& sql) {
    decoder_->Reset();
    PGconn* c = conn_.get();
    if (!PQsendQuery(c, sql.c_str())) return conn_.ErrorFromConnection(what_);
    {
      PgResult r(PQgetResult(c));
      if (PQresultStatus(r.get()) != PGRES_COPY_OUT) {
        Status st = conn_.ErrorFromResult(r.get(), what_);
        while (PGresult* more = PQgetResult(c)) PQclear(more);
        return st;
      }
    }
    for (;;) {
      char* buffer = nullptr;
      const int n = PQgetCopyData(c, &buffer, 0);
      if (n > 0) {
        Status st = decoder_->Feed(reinterpret_cast<const uint8_t*>(buffer), static_cast<size_t>(n), out_.batch());
        PQfreemem(buffer);
        if (!st.ok()) return st.WithContext(what_);
        out_.AddInputBytes(static_cast<size_t>(n));
        if (out_.Full()) SLUICE_RETURN_IF_ERROR(FlushBatch());
        continue;
      }
      if (n == -1) break;
      return conn_.ErrorFromConnection(what_);
    }
    Status st;
    while (PGresult* raw = PQgetResult(c)) {
      PgResult r(raw);
      if (st.ok() && PQresultStatus(raw) != PGRES_COMMAND_OK) st = conn_.ErrorFromResult(raw, what_);
    }
    SLUICE_RETURN_IF_ERROR(st);
    Status finished = decoder_->Finish();
    return finished.ok() ? finished : finished.WithContext(what_);
  }

  //! Hands the current batch over (if it has rows); in cursor mode a state follows it.
  Status FlushBatch() {
    if (out_.batch().num_rows() == 0) return Status::Ok();
    if (cursor_ >= 0) return EmitCursorState();  // flushes, then the state
    return out_.Flush();
  }

  PgConnection& conn_;
  const PgSourceConfig& config_;
  const PgTypeCatalog& types_;
  const ConfiguredStream& stream_;
  const Json* saved_;
  StreamBatcher& out_;
  const PgCdcSnapshot* cdc_;

  PgTable table_;
  std::string what_;
  std::vector<FieldPlan> fields_;
  std::string select_list_;
  //! A relation read in ctid ranges: the table itself or one leaf partition.
  struct Segment {
    std::string name;  //!< qualified, quoted
    uint32_t filenode = 0;
    uint64_t pages = 0;
  };
  bool ranges_ = false;
  std::vector<Segment> segments_;
  uint64_t range_pages_ = 1;

  int cursor_ = -1;
  Decoder cursor_decoder_ = Decoder::kText;
  std::optional<std::string> saved_cursor_;
  uint64_t saved_count_ = 0;

  std::optional<CopyDecoder> decoder_;
};

}  // namespace

BatchLimits PgBatchLimits() {
  BatchLimits limits;
  limits.max_rows = 16384;
  limits.max_bytes = size_t{4} << 20;  // of COPY data (AddInputBytes)
  limits.presize = true;
  return limits;
}

Status ReadPgStream(PgConnection& conn, const PgSourceConfig& config, const PgTypeCatalog& types,
                    const ConfiguredStream& stream, const Json* saved, StreamBatcher& out,
                    const PgCdcSnapshot* cdc) {
  if (!stream.schema) {
    return Status::SystemError("catalog: stream '" + stream.descriptor().ToString() + "' has no bound schema");
  }
  StreamReader reader(conn, config, types, stream, saved, out, cdc);
  return reader.Run();
}

}  // namespace sluice
