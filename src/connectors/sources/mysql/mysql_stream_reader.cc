#include "connectors/sources/mysql/mysql_stream_reader.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <type_traits>
#include <vector>

#include "base/log.h"
#include "connectors/kit/cdc/cdc_columns.h"
#include "connectors/kit/parallel_streams.h"
#include "connectors/kit/sql/sql_planner.h"
#include "connectors/kit/sql/sql_read.h"
#include "connectors/kit/sql/sql_state.h"
#include "connectors/sources/mysql/mysql_connection.h"
#include "connectors/sources/mysql/mysql_dialect.h"
#include "connectors/sources/mysql/mysql_discover.h"

namespace sluice {

namespace {

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

//! One field of the stream: a table column, or a CDC constant.
struct FieldPlan {
  const MySqlColumn* column = nullptr;  //!< null: a CDC column
  int result_index = -1;                //!< the column's index in the SELECT's result
  int cdc = -1;                         //!< 0 cursor, 1 log_pos, 2 log_file, 3 updated_at, 4 deleted_at
};

class StreamReader {
 public:
  StreamReader(MySqlConnection& conn, const MySqlSourceConfig& config, const ConfiguredStream& stream,
               const Json* saved, StreamBatcher& out, const MySqlCdcSnapshot* cdc, const MySqlRangeReaders* ranges)
      : conn_(conn),
        config_(config),
        dialect_(MySqlDialect::Get(conn.is_mariadb())),
        stream_(stream),
        saved_(saved),
        out_(out),
        cdc_(cdc),
        readers_(cdc == nullptr ? ranges : nullptr) {}

  Status Run() {
    if (cdc_ != nullptr) return ReadInTransaction();
    SLUICE_RETURN_IF_ERROR(conn_.Exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", "starting a snapshot"));
    Status st = ReadInTransaction();
    if (!st.ok()) {
      conn_.Done();
      (void)conn_.Exec("ROLLBACK");
      return st;
    }
    return conn_.Exec("COMMIT");
  }

 private:
  // ---- Planning -------------------------------------------------------------------------------

  Status Plan() {
    const std::string database = stream_.stream.namespace_.value_or(config_.database);
    SLUICE_ASSIGN_OR_RETURN(auto found, FindMySqlTable(conn_, database, stream_.stream.name));
    if (!found) {
      return Status::ConfigError(fmt::format(
          "table {} does not exist in database '{}' (dropped or renamed since discover?): run discover again and "
          "update the catalog",
          stream_.descriptor().ToString(), database));
    }
    table_ = std::move(*found);
    what_ = "reading table " + table_.DisplayName();
    const Schema& schema = *stream_.schema;
    std::vector<std::string> missing;
    int next = 0;
    for (const Field& field : schema.fields()) {
      FieldPlan plan;
      if (cdc_ != nullptr && IsCdcColumn(field.name, kBinlogPositionColumns)) {
        if (field.name == kCdcCursorColumn) plan.cdc = 0;
        else if (field.name == kCdcLogPosColumn) plan.cdc = 1;
        else if (field.name == kCdcLogFileColumn) plan.cdc = 2;
        else if (field.name == kCdcUpdatedAtColumn) plan.cdc = 3;
        else plan.cdc = 4;
        fields_.push_back(plan);
        continue;
      }
      plan.column = table_.FindColumn(field.name);
      if (plan.column == nullptr) {
        missing.push_back(field.name);
        continue;
      }
      if (MySqlKindType(plan.column->kind) != field.type && field.type != TypeId::kString) {
        return Status::ConfigError(fmt::format(
            "stream {}: column '{}' is {} (read as {}), but the catalog declares {}: run discover again and update "
            "the catalog",
            stream_.descriptor().ToString(), field.name, plan.column->column_type,
            TypeName(MySqlKindType(plan.column->kind)), TypeName(field.type)));
      }
      plan.result_index = next++;
      if (!select_list_.empty()) select_list_ += ", ";
      select_list_ += dialect_.QuoteIdentifier(field.name);
      fields_.push_back(plan);
    }
    if (!missing.empty()) {
      return Status::ConfigError(fmt::format(
          "stream {}: column(s) {} no longer exist in table {}: run discover again and update the catalog",
          stream_.descriptor().ToString(), JoinNames(missing), table_.DisplayName()));
    }
    data_columns_ = next;
    if (select_list_.empty()) select_list_ = "1";  // only CDC columns selected
    return Status::Ok();
  }

  //! Appends `expression` to the select-list (after the data columns); returns its index.
  int Extra(const std::string& expression) {
    select_list_ += ", " + expression;
    return data_columns_ + extras_++;
  }

  // ---- Modes ----------------------------------------------------------------------------------

  Status ReadInTransaction() {
    SLUICE_RETURN_IF_ERROR(Plan());
    if (stream_.sync_mode == SyncMode::kIncremental && cdc_ == nullptr) return ReadCursor();
    return ReadFullRefresh();
  }

  Status ReadFullRefresh() {
    if (table_.primary_key.empty()) {
      SLUICE_RETURN_IF_ERROR(Stream(conn_, out_, "SELECT " + select_list_ + " FROM " + table_.QualifiedName(), nullptr));
      SLUICE_RETURN_IF_ERROR(out_.Flush());
      return State(MySqlFullRefreshCompleteJson());
    }
    for (const auto& k : table_.primary_key) {
      const MySqlColumn* c = table_.FindColumn(k);
      if (c == nullptr) return Status::SystemError(fmt::format("{}: key column '{}' not found", what_, k));
      key_.push_back({k, c->type_name});
      key_index_.push_back(Extra(dialect_.KeySelectExpression(k, c->type_name)));
    }
    std::optional<std::vector<std::string>> after;
    // An overwrite destination starts its table over on every attempt, so only an append
    // destination can take the rest of an interrupted read (as source-postgres).
    const bool can_resume = stream_.destination_sync_mode != DestinationSyncMode::kOverwrite;
    std::unique_ptr<SqlKeyRanges> ranges = can_resume ? SqlKeyRanges::Parse(saved_) : nullptr;
    if (ranges && ranges->columns() != table_.primary_key) {
      Log(LogLevel::kWarn, "{}: the primary key changed since the saved position; reading from the start",
          table_.DisplayName());
      ranges.reset();
    } else if (ranges) {
      Log(LogLevel::kInfo, "{}: resuming the full refresh: {} of {} key range(s) left", table_.DisplayName(),
          ranges->Pending().size(), ranges->size());
      return ReadRanges(*ranges);
    }
    if (auto position = ParseKeyPosition(saved_); position && can_resume) {
      if (position->columns == table_.primary_key) {
        after = position->values;
        Log(LogLevel::kInfo, "{}: resuming the full refresh after key ({})", table_.DisplayName(),
            JoinNames(position->values));
      } else {
        Log(LogLevel::kWarn, "{}: the primary key changed since the saved position; reading from the start",
            table_.DisplayName());
      }
    }
    if (!after) {
      SLUICE_ASSIGN_OR_RETURN(ranges, PlanRanges());
      if (ranges) return ReadRanges(*ranges);
    }
    const SqlKeyChunkQuery q{select_list_, table_.QualifiedName(), key_, after, std::nullopt,
                             static_cast<uint64_t>(config_.chunk_rows), ""};
    SLUICE_RETURN_IF_ERROR(ReadKeyChunks(
        dialect_, q, [&](const std::string& sql) { return ReadChunk(conn_, out_, sql); },
        [&](const std::vector<std::string>& last) { return State(KeyPositionJson({table_.primary_key, last})); }));
    SLUICE_RETURN_IF_ERROR(out_.Flush());
    return State(MySqlFullRefreshCompleteJson());
  }

  //! One chunk's query streamed into `out` on `conn`; the last row's key when the chunk is full.
  Result<SqlKeyChunk> ReadChunk(MySqlConnection& conn, StreamBatcher& out, const std::string& sql) const {
    const uint64_t limit = static_cast<uint64_t>(config_.chunk_rows);
    SqlKeyChunk chunk;
    SLUICE_RETURN_IF_ERROR(Stream(conn, out, sql, [&](MYSQL_ROW row, const unsigned long* len) {
      if (++chunk.rows != limit) return;  // only the chunk's last row is the next position
      chunk.last.clear();
      for (int i : key_index_) chunk.last.emplace_back(row[i] != nullptr ? std::string(row[i], len[i]) : std::string());
    }));
    return chunk;
  }

  // ---- Key ranges at once -----------------------------------------------------------------------

  //! Ranges for readers_ when the key is one integer column spanning at least two chunks; null
  //! otherwise (chunks one after another).
  Result<std::unique_ptr<SqlKeyRanges>> PlanRanges() {
    if (readers_ == nullptr || readers_->connections < 2 || table_.primary_key.size() != 1) return std::unique_ptr<SqlKeyRanges>();
    const MySqlColumn* c = table_.FindColumn(table_.primary_key[0]);
    const bool integer = c->kind == MySqlKind::kInt || (c->kind == MySqlKind::kDecimal && c->scale == 0 &&
                                                        c->type_name.find("int") != std::string::npos);
    if (!integer) return std::unique_ptr<SqlKeyRanges>();
    const std::string k = dialect_.QuoteIdentifier(c->name);
    SLUICE_ASSIGN_OR_RETURN(MySqlResult r, conn_.Query(fmt::format("SELECT MIN({0}), MAX({0}) FROM {1}", k,
                                                                   table_.QualifiedName()),
                                                       what_ + ": reading the key's span"));
    if (r.rows() == 0 || r.IsNull(0, 0)) return std::unique_ptr<SqlKeyRanges>();
    // Four ranges per connection (uneven ranges even out), each spanning at least one chunk.
    const auto boundaries = SplitIntegerKeySpan(r.Get(0, 0), r.Get(0, 1), static_cast<size_t>(readers_->connections) * 4,
                                                static_cast<uint64_t>(config_.chunk_rows));
    if (boundaries.empty()) return std::unique_ptr<SqlKeyRanges>();
    Log(LogLevel::kInfo, "{}: reading {} key ranges of {} on {} connections at once", table_.DisplayName(),
        boundaries.size() + 1, c->name, std::min<size_t>(readers_->connections, boundaries.size() + 1));
    return std::make_unique<SqlKeyRanges>(table_.primary_key, PlanKeyRanges(boundaries));
  }

  //! Reads the pending ranges of `ranges`, one per reader connection at a time (the kit's
  //! ParallelStreams over out_'s emitter), then the completion state.
  Status ReadRanges(SqlKeyRanges& ranges) {
    const std::vector<size_t> pending = ranges.Pending();
    const bool can_open = readers_ != nullptr && readers_->open;
    const size_t n = std::max<size_t>(1, std::min<size_t>(can_open ? readers_->connections : 1, pending.size()));
    std::vector<std::unique_ptr<MySqlConnection>> conns;
    auto release = [&] {
      for (auto& c : conns) {
        if (c && readers_ != nullptr && readers_->release) readers_->release(*c);
      }
      conns.clear();
    };
    Status st = OpenReaders(n, conns);
    if (st.ok() && !pending.empty()) {
      ParallelStreams parallel(out_.emitter(), {.workers = n, .queued_events_per_worker = 3,
                                                .poll_interval = std::chrono::milliseconds(100)});
      std::atomic<bool> failed{false};
      st = parallel.Run(
          static_cast<uint32_t>(pending.size()),
          [&](size_t worker, uint32_t j, Emitter& emitter) {
            Status r = ReadRange(*conns[worker], ranges, pending[j], emitter, failed);
            if (!r.ok()) failed = true;
            return r;
          },
          [&](uint32_t j) { return fmt::format("{} (key range {})", stream_.descriptor().ToString(), pending[j] + 1); });
    }
    for (auto& c : conns) {
      if (!st.ok()) c->Done();
      (void)c->Exec(st.ok() ? "COMMIT" : "ROLLBACK");
    }
    release();
    SLUICE_RETURN_IF_ERROR(st);
    SLUICE_RETURN_IF_ERROR(out_.Flush());
    return State(MySqlFullRefreshCompleteJson());
  }

  //! `n` reader connections, each in a consistent-snapshot transaction opened while conn_ holds
  //! LOCK TABLES … READ, so that every reader sees the same table.
  Status OpenReaders(size_t n, std::vector<std::unique_ptr<MySqlConnection>>& conns) {
    for (size_t i = 0; i < n; ++i) {
      if (readers_ == nullptr || !readers_->open) return Status::SystemError("no connection for key ranges");
      SLUICE_ASSIGN_OR_RETURN(auto c, readers_->open());
      conns.push_back(std::move(c));
    }
    std::string lock_error;
    Status locked = conn_.Exec("SET SESSION lock_wait_timeout = 10");
    if (locked.ok()) locked = conn_.Exec("LOCK TABLES " + table_.QualifiedName() + " READ");
    for (auto& c : conns) {
      Status st = c->Exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", "starting a snapshot");
      if (!st.ok()) {
        if (locked.ok()) (void)conn_.Exec("UNLOCK TABLES");
        return st;
      }
    }
    if (locked.ok()) {
      SLUICE_RETURN_IF_ERROR(conn_.Exec("UNLOCK TABLES"));
    } else if (n > 1) {
      Log(LogLevel::kWarn, "{}: LOCK TABLES … READ failed ({}); the {} readers' snapshots opened one after another, "
          "so a row whose key moved between ranges meanwhile may be missed or read twice (GRANT LOCK TABLES, or "
          "max_db_connections: 1, reads one snapshot)",
          table_.DisplayName(), locked.message(), n);
    }
    return Status::Ok();
  }

  //! Range `r` in chunks on `conn`, through its own batcher over `emitter` (statuses are out_'s);
  //! after each chunk its progress is recorded and a checkpoint of every range goes out.
  Status ReadRange(MySqlConnection& conn, SqlKeyRanges& ranges, size_t r, Emitter& emitter,
                   const std::atomic<bool>& failed) const {
    StreamBatcher batcher(emitter, out_.stream(), out_.schema(), out_.limits());
    batcher.AssumeRunning();
    auto checkpoint = [&] {
      return ranges.Checkpoint([&](Json blob) { return State(batcher, std::move(blob)); });
    };
    const SqlKeyChunkQuery q{select_list_, table_.QualifiedName(), key_, ranges.ResumeAfter(r), ranges.Upto(r),
                             static_cast<uint64_t>(config_.chunk_rows), ""};
    SLUICE_RETURN_IF_ERROR(ReadKeyChunks(
        dialect_, q,
        [&](const std::string& sql) -> Result<SqlKeyChunk> {
          if (failed.load()) return Status::Cancelled();  // another range failed: its error is the run's
          return ReadChunk(conn, batcher, sql);
        },
        [&](const std::vector<std::string>& last) {
          SLUICE_RETURN_IF_ERROR(batcher.Flush());
          ranges.Advance(r, last);
          return checkpoint();
        }));
    SLUICE_RETURN_IF_ERROR(batcher.Flush());
    ranges.Complete(r);
    return checkpoint();
  }

  Status ReadCursor() {
    const std::string name = stream_.descriptor().ToString();
    std::vector<std::string> candidates;
    for (const auto& c : table_.columns) {
      if (c.cursor_ok && stream_.schema->IndexOf(c.name) >= 0) candidates.push_back(c.name);
    }
    const std::string hint = candidates.empty() ? std::string("no selected column can be a cursor")
                                                : "cursor candidates: " + JoinNames(candidates);
    if (stream_.cursor_field.empty()) {
      return Status::ConfigError(fmt::format("stream {} is incremental but has no cursor_field ({})", name, hint));
    }
    if (stream_.cursor_field.size() != 1) {
      return Status::ConfigError(fmt::format("stream {}: a nested cursor_field is not supported ({})", name, hint));
    }
    const std::string& cursor_name = stream_.cursor_field[0];
    const MySqlColumn* column = table_.FindColumn(cursor_name);
    if (column == nullptr || stream_.schema->IndexOf(cursor_name) < 0) {
      return Status::ConfigError(fmt::format("stream {}: cursor field '{}' is not a selected column ({})", name,
                                             cursor_name, hint));
    }
    if (!column->cursor_ok) {
      return Status::ConfigError(fmt::format("stream {}: column '{}' ({}) cannot be a cursor ({})", name,
                                             cursor_name, column->column_type, hint));
    }
    SqlCursorState state;
    state.cursor_field = stream_.cursor_field;
    if (auto saved = ParseCursorState(saved_)) {
      if (saved->cursor_field == stream_.cursor_field) {
        state.cursor = saved->cursor;
        state.record_count = saved->record_count;
      } else {
        Log(LogLevel::kInfo, "{}: the cursor changed from '{}' to '{}': reading every row", name,
            JoinNames(saved->cursor_field), cursor_name);
      }
    }
    const int cursor_index = Extra(dialect_.KeySelectExpression(cursor_name, column->type_name));
    // >=: rows sharing the last value are read again (at-least-once), none is skipped. NULL
    // cursors sort first in MySQL: read by a sync without a saved cursor, never compared after.
    const SqlCursorQuery query{select_list_, table_.QualifiedName(), {cursor_name, column->type_name}, state.cursor};
    std::optional<std::string> last;
    uint64_t last_count = 0;
    auto emit_state = [&] {
      SqlCursorState s = state;
      if (last) {
        s.cursor = last;
        s.record_count = last_count;
      }
      return State(CursorStateJson(stream_.stream.name, stream_.stream.namespace_, s));
    };
    SLUICE_RETURN_IF_ERROR(Stream(
        conn_, out_, CursorQuery(dialect_, query),
        [&](MYSQL_ROW row, const unsigned long* len) {
          if (row[cursor_index] == nullptr) return;
          std::string_view v(row[cursor_index], len[cursor_index]);
          if (last && *last == v) {
            ++last_count;
          } else {
            last = std::string(v);
            last_count = 1;
          }
        },
        [&] { return emit_state(); }));
    return emit_state();
  }

  // ---- Reading --------------------------------------------------------------------------------

  //! A checkpoint covering every row read so far (through `out`: out_ or a key range's batcher).
  Status State(StreamBatcher& out, Json blob) const {
    return CheckpointSqlStream(out, stream_.descriptor(), std::move(blob), cdc_ != nullptr ? &cdc_->state_of : nullptr);
  }
  Status State(Json blob) { return State(out_, std::move(blob)); }

  //! Runs `sql` on `conn` streamed, appending each row to `out`; `on_row` sees each row (after
  //! it was appended); `on_batch` (optional) replaces the plain flush when a batch is full (e.g.
  //! to checkpoint). Reads only the plan: key ranges call it from several threads at once.
  template <typename OnRow>
  Status Stream(MySqlConnection& conn, StreamBatcher& out, const std::string& sql, OnRow on_row,
                std::function<Status()> on_batch = nullptr) const {
    SLUICE_RETURN_IF_ERROR(conn.StartStream(sql, what_));
    RecordBatch* batch = &out.batch();
    for (;;) {
      SLUICE_ASSIGN_OR_RETURN(MYSQL_ROW row, conn.Next());
      if (row == nullptr) break;
      const unsigned long* len = conn.lengths();
      for (size_t f = 0; f < fields_.size(); ++f) {
        const FieldPlan& p = fields_[f];
        Column& column = batch->column(f);
        if (p.column == nullptr) {
          AppendCdc(p.cdc, column);
          continue;
        }
        const int i = p.result_index;
        if (row[i] == nullptr) {
          column.AppendNull();
        } else {
          AppendMySqlText(*p.column, std::string_view(row[i], len[i]), column, *batch, p.column->name);
        }
      }
      if constexpr (!std::is_same_v<OnRow, std::nullptr_t>) on_row(row, len);
      batch->FinishRow();
      if (out.Full() || batch->num_rows() >= out.limits().max_rows ||
          ((batch->num_rows() & 255) == 0 && batch->ByteSize() >= out.limits().max_bytes)) {
        Status st = on_batch ? on_batch() : out.Flush();
        if (!st.ok()) {
          conn.Done();
          return st;
        }
        batch = &out.batch();
      }
    }
    conn.Done();
    return Status::Ok();
  }

  void AppendCdc(int which, Column& column) const {
    switch (which) {
      case 0: column.AppendInt64(cdc_->cursor); break;
      case 1: column.AppendDouble(static_cast<double>(cdc_->log_pos)); break;
      case 2: column.AppendBytes(cdc_->log_file); break;
      case 3: column.AppendInt64(cdc_->updated_at_us); break;
      default: column.AppendNull(); break;
    }
  }

  MySqlConnection& conn_;
  const MySqlSourceConfig& config_;
  const MySqlDialect& dialect_;
  const ConfiguredStream& stream_;
  const Json* saved_;
  StreamBatcher& out_;
  const MySqlCdcSnapshot* cdc_;
  const MySqlRangeReaders* readers_;  //!< null: chunks one after another

  MySqlTable table_;
  std::vector<SqlKeyColumn> key_;  //!< the primary key (full refresh)
  std::vector<int> key_index_;     //!< its columns' indexes in the select-list
  std::string what_;
  std::vector<FieldPlan> fields_;
  std::string select_list_;
  int data_columns_ = 0;
  int extras_ = 0;
};

}  // namespace

BatchLimits MySqlBatchLimits() {
  BatchLimits limits;
  limits.max_rows = 16384;
  limits.max_bytes = size_t{4} << 20;
  limits.presize = true;
  return limits;
}

Json MySqlFullRefreshCompleteJson() {
  return Json{{"version", kSqlStateVersion}, {"state_type", "primary_key"}, {"complete", true}};
}

Status ReadMySqlStream(MySqlConnection& conn, const MySqlSourceConfig& config, const ConfiguredStream& stream,
                       const Json* saved, StreamBatcher& out, const MySqlCdcSnapshot* cdc,
                       const MySqlRangeReaders* ranges) {
  if (!stream.schema) {
    return Status::SystemError("catalog: stream '" + stream.descriptor().ToString() + "' has no bound schema");
  }
  StreamReader reader(conn, config, stream, saved, out, cdc, ranges);
  return reader.Run();
}

}  // namespace sluice
