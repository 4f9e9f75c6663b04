#include "connectors/destinations/postgres/pg_stream_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "base/log.h"
#include "base/time.h"
#include "protocol/codec.h"

namespace sluice {

namespace {

// COPY data goes to a lane in pieces of about this size; when one lane takes both raw and typed
// rows (append_dedup), the bigger size keeps COPY switches (each a round trip) rare.
constexpr size_t kSendBytes = 1 << 20;
constexpr size_t kSendBytesSwitching = 8 << 20;
// While rows are encoded, queued COPY data moves on to the sockets every this many rows.
constexpr size_t kRowsPerSendQueued = 512;

void AppendChange(std::string& out, std::string_view field, std::string_view change, std::string_view reason) {
  out += "{\"field\":";
  AppendJsonString(out, field);
  out += ",\"change\":\"";
  out += change;
  out += "\",\"reason\":\"";
  out += reason;
  out += "\"}";
}

}  // namespace

// ---- Writer ---------------------------------------------------------------------------------

PgStreamWriter::PgStreamWriter(const PgStreamPlan& plan, PgConnectionPool& pool) : plan_(plan), pool_(pool) {
  if (plan_.write_final) {
    copy_sql_[kFinal] = plan_.CopyFinalSql(false);
    copy_sql_[kFinalMeta] = plan_.CopyFinalSql(true);
    what_[kFinal] = what_[kFinalMeta] = fmt::format("stream '{}': COPY into {}", plan_.name, plan_.LoadName());
  }
  if (plan_.write_raw) {
    copy_sql_[kRaw] = plan_.CopyRawSql(false);
    copy_sql_[kRawMeta] = plan_.CopyRawSql(true);
    what_[kRaw] = what_[kRawMeta] = fmt::format("stream '{}': COPY into {}", plan_.name, plan_.RawLoadName());
  }
  size_t lanes = 1;
  if (plan_.normalize && plan_.norm_direct) {
    const size_t tables = plan_.norm.tables.size();
    flattener_ = std::make_unique<Flattener>(plan_.norm.plan);
    emit_ = [this](const NormRow& r) { EncodeNormRow(r); };
    norm_buffers_.resize(2 * tables);
    for (size_t t = 0; t < tables; ++t) {
      for (bool meta : {false, true}) norm_copy_sql_.push_back(plan_.NormCopySql(t, meta && t == 0));
      norm_what_.push_back(fmt::format("stream '{}': COPY into {}", plan_.name, plan_.NormLoadName(t)));
      norm_what_.push_back(norm_what_.back());
      norm_fields_.push_back(plan_.NormFieldCount(t));
    }
    // Fresh tmp tables are invisible until the swap: one lane per table. Otherwise one lane for
    // everything, so that each checkpoint commits parents and children together.
    norm_lane_per_table_ = plan_.swap() && !plan_.resume_tmp;
    if (norm_lane_per_table_) {
      lanes_per_kind_ = static_cast<size_t>(std::max(1, plan_.parallel_copies));
      raw_lane_base_ = tables;
      lanes = tables + (plan_.write_raw ? lanes_per_kind_ : 0);
    }
  } else if (!plan_.staged()) {
    lanes_per_kind_ = static_cast<size_t>(std::max(1, plan_.parallel_copies));
    raw_lane_base_ = plan_.write_final ? lanes_per_kind_ : 0;
    lanes = lanes_per_kind_ * ((plan_.write_final ? 1 : 0) + (plan_.write_raw ? 1 : 0));
  }
  for (size_t i = 0; i < lanes; ++i) lanes_.emplace_back(pool_);
  send_bytes_ = lanes == 1 && (plan_.write_raw || flattener_) ? kSendBytesSwitching : kSendBytes;
  for (size_t i = 0; i < plan_.schema->num_fields(); ++i) {
    std::string p = i == 0 ? "" : ",";
    AppendJsonString(p, plan_.schema->field(i).name);
    p.push_back(':');
    data_prefixes_.push_back(std::move(p));
  }
  meta_tail_ = fmt::format("],\"sync_id\":{}}}", plan_.sync_id);
}

PgStreamWriter::~PgStreamWriter() { Abort(); }

Status PgStreamWriter::Fail(Status status) {
  failed_ = true;
  Abort();
  return status;
}

Status PgStreamWriter::Write(const RecordBatch& batch) {
  if (failed_) return Status::SystemError(fmt::format("stream '{}': the writer failed earlier", plan_.name));
  if (batch.num_columns() != plan_.schema->num_fields()) {
    return Fail(Status::SystemError(fmt::format("stream '{}': batch has {} columns, the stream {}", plan_.name,
                                                batch.num_columns(), plan_.schema->num_fields())));
  }
  loaded_at_micros_ = NowMicros();
  size_t change_cursor = 0;
  for (size_t row = 0; row < batch.num_rows(); ++row) {
    EncodeRow(batch, row, change_cursor);
    for (int t = 0; t < static_cast<int>(num_targets()); ++t) {
      if (BufferOf(t).size() >= send_bytes_) SLUICE_RETURN_IF_ERROR(Send(t));
    }
    if (row % kRowsPerSendQueued == kRowsPerSendQueued - 1) SLUICE_RETURN_IF_ERROR(SendQueued());
  }
  rows_in_transaction_ += batch.num_rows();
  return Status::Ok();
}

void PgStreamWriter::EncodeRow(const RecordBatch& batch, size_t row, size_t& change_cursor) {
  const auto& changes = batch.changes();
  while (change_cursor < changes.size() && changes[change_cursor].row < row) ++change_cursor;
  const size_t first_change = change_cursor;
  char uuid[36];
  uuid_.Write(uuid);
  const std::string_view raw_id(uuid, sizeof(uuid));
  const int64_t extracted_micros = batch.emitted_at_ms() * 1000;

  if (flattener_) {
    cur_batch_ = &batch;
    cur_row_ = row;
    cur_first_change_ = first_change;
    cur_raw_id_ = raw_id;
    cur_extracted_micros_ = extracted_micros;
    flattener_->Flatten(batch, row, raw_id, emit_);
  } else if (plan_.write_final) {
    CopyBuffer& out = buffers_[kFinal];
    final_changes_.clear();
    const size_t start = out.size();
    out.BeginRow(plan_.FinalFieldCount());
    out.AppendBytes(raw_id);
    if (!AppendTimestampMicros(out, extracted_micros)) out.AppendNull();
    out.AppendInt64(plan_.generation_id);
    for (size_t i = 0; i < plan_.encoders.size(); ++i) {
      if (!plan_.encoders[i].Encode(batch.column(i), row, out, scratch_)) {
        final_changes_.push_back(&plan_.schema->field(i).name);
      }
    }
    if (plan_.dedup()) out.AppendInt64(seq_++);
    EndRow(kFinal, start, batch, row, first_change, final_changes_, ChangeReason::kDestinationTypecastError);
  }
  if (plan_.write_raw) {
    CopyBuffer& out = buffers_[kRaw];
    raw_changes_.clear();
    const size_t start = out.size();
    out.BeginRow(plan_.RawFieldCount());
    out.AppendBytes(raw_id);
    AppendRawData(out.raw(), batch, row);
    if (!AppendTimestampMicros(out, extracted_micros)) out.AppendNull();
    if (plan_.legacy_raw) return;  // the pre-V2 layout has no more columns (and no _airbyte_meta)
    if (plan_.write_final) {
      AppendTimestampMicros(out, loaded_at_micros_);
    } else {
      out.AppendNull();
    }
    out.AppendInt64(plan_.generation_id);
    EndRow(kRaw, start, batch, row, first_change, raw_changes_, ChangeReason::kDestinationSerializationError);
  }
}

void PgStreamWriter::EncodeNormRow(const NormRow& r) {
  const PgNormTable& table = plan_.norm.tables[r.table];
  const NormTable& flat = plan_.norm.plan.tables[r.table];
  CopyBuffer& out = norm_buffers_[2 * r.table];
  const size_t start = out.size();
  out.BeginRow(norm_fields_[r.table]);
  if (r.table == 0) final_changes_.clear();
  for (const PgNormColumn& c : table.columns) {
    switch (c.role) {
      case PgNormRole::kData: {
        const NormColumn& col = flat.columns[c.data];
        if (col.leaf) {
          EncodeLeaf(r.leaves[c.data], col.type, out);
        } else {
          const size_t f = static_cast<size_t>(col.field);
          if (!plan_.encoders[f].Encode(cur_batch_->column(f), cur_row_, out, scratch_)) {
            final_changes_.push_back(&plan_.schema->field(f).name);
          }
        }
        break;
      }
      case PgNormRole::kParentHash: out.AppendBytes(r.parent_hash); break;
      case PgNormRole::kRootHash: out.AppendBytes(r.root_hash); break;
      case PgNormRole::kHash: out.AppendBytes(r.hash); break;
      case PgNormRole::kRawId: out.AppendBytes(cur_raw_id_); break;
      case PgNormRole::kExtractedAt:
        if (!AppendTimestampMicros(out, cur_extracted_micros_)) out.AppendNull();
        break;
      case PgNormRole::kMeta: break;  // last, only for rows with changes (EndRowIn)
      case PgNormRole::kGenerationId: out.AppendInt64(plan_.generation_id); break;
      case PgNormRole::kNormalizedAt: AppendTimestampMicros(out, loaded_at_micros_); break;
    }
  }
  if (r.table == 0) {
    EndRowIn(out, norm_buffers_[1], false, start, *cur_batch_, cur_row_, cur_first_change_, final_changes_,
             ChangeReason::kDestinationTypecastError);
  }
}

// The SQL projection's rules (NormLeafExpr), applied by the kit's Flattener; here the leaf's
// binary form. Text the column type cannot hold is NULL.
void PgStreamWriter::EncodeLeaf(const NormLeaf& leaf, TypeId type, CopyBuffer& out) {
  switch (leaf.kind) {
    case NormLeaf::kNull: out.AppendNull(); return;
    case NormLeaf::kBool: out.AppendBool(leaf.b); return;
    case NormLeaf::kInt: out.AppendInt64(leaf.i); return;
    case NormLeaf::kDouble: out.AppendFloat8(leaf.d); return;
    case NormLeaf::kJson:
      if (JsonbAccepts(leaf.text)) {
        out.AppendJsonb(leaf.text);
      } else {
        out.AppendNull();
      }
      return;
    case NormLeaf::kText: break;
  }
  bool ok = false;
  switch (type) {
    case TypeId::kDecimal: ok = AppendNumericText(out, leaf.text, -1); break;
    case TypeId::kDate:
      if (auto days = ParseDate(leaf.text)) ok = AppendDateDays(out, *days);
      break;
    case TypeId::kTimeNoTz:
      if (auto micros = ParseTime(leaf.text)) {
        out.AppendInt64(*micros);
        ok = true;
      }
      break;
    case TypeId::kTimeTz:
      if (auto micros = ParseTime(leaf.text)) {
        out.AppendTimeTz(*micros);
        ok = true;
      }
      break;
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz:
      if (auto micros = ParseTimestamp(leaf.text)) ok = AppendTimestampMicros(out, *micros);
      break;
    default:
      if (TextAccepts(leaf.text)) {
        out.AppendBytes(leaf.text);
        ok = true;
      }
  }
  if (!ok) out.AppendNull();
}

// A row with changes gets Airbyte's _airbyte_meta as its last field, a jsonb value
// {"changes":[{"field":…,"change":…,"reason":…}…],"sync_id":N} — the source's changes of the
// row, then the fields this destination nulled (`extra`, with `extra_reason`) — and moves to
// the COPY that lists the column. Rows without changes get the column's DEFAULT.
void PgStreamWriter::EndRow(Target plain, size_t row_start, const RecordBatch& batch, size_t row,
                            size_t first_change, const std::vector<const std::string*>& extra,
                            ChangeReason extra_reason) {
  EndRowIn(buffers_[plain], buffers_[plain + 1], plain == kFinal && plan_.keeps_unchanged(), row_start, batch, row,
           first_change, extra, extra_reason);
}

void PgStreamWriter::EndRowIn(CopyBuffer& from, CopyBuffer& to, bool keep, size_t row_start, const RecordBatch& batch,
                              size_t row, size_t first_change, const std::vector<const std::string*>& extra,
                              ChangeReason extra_reason) {
  const auto& changes = batch.changes();
  const bool source_changes = first_change < changes.size() && changes[first_change].row == row;
  if (!source_changes && extra.empty()) return;
  const size_t row_bytes = from.size() - row_start;
  uint8_t* dest = to.raw().Extend(row_bytes);
  std::memcpy(dest, from.data() + row_start, row_bytes);
  // One more field: meta (and _sluice_keep where the stream keeps unchanged values).
  const unsigned fields = ((static_cast<unsigned>(dest[0]) << 8) | dest[1]) + (keep ? 2 : 1);
  dest[0] = static_cast<uint8_t>(fields >> 8);
  dest[1] = static_cast<uint8_t>(fields & 0xFF);
  from.raw().Resize(row_start);

  json_.clear();
  json_ += "{\"changes\":[";
  bool first = true;
  for (size_t k = first_change; k < changes.size() && changes[k].row == row; ++k) {
    if (!first) json_.push_back(',');
    first = false;
    AppendChange(json_, changes[k].field, ChangeKindName(changes[k].change), ChangeReasonName(changes[k].reason));
  }
  const std::string_view reason = ChangeReasonName(extra_reason);
  for (const std::string* field : extra) {
    if (!first) json_.push_back(',');
    first = false;
    AppendChange(json_, *field, ChangeKindName(ChangeKind::kNulled), reason);
  }
  json_ += meta_tail_;
  to.AppendJsonb(json_);
  if (!keep) return;
  // The fields the source marked as not sent (NULLED + SOURCE_RETRIEVAL_ERROR): the merge gives
  // them the value stored before (PgStreamPlan::KeepUnchangedSql).
  json_.clear();
  for (size_t k = first_change; k < changes.size() && changes[k].row == row; ++k) {
    if (changes[k].change != ChangeKind::kNulled || changes[k].reason != ChangeReason::kSourceRetrievalError) continue;
    const int i = plan_.schema->IndexOf(changes[k].field);
    if (i < 0) continue;
    json_.push_back(json_.empty() ? '[' : ',');
    AppendJsonString(json_, plan_.columns[static_cast<size_t>(i)]);
    kept_columns_.insert(static_cast<size_t>(i));
  }
  if (json_.empty()) {
    to.AppendNull();
  } else {
    json_.push_back(']');
    to.AppendJsonb(json_);
  }
}

// Writes _airbyte_data as jsonb: the record as JSON, with what jsonb cannot hold (a NUL in a
// string, a JSON value with \u0000 or a lone surrogate) nulled and noted in raw_changes_.
void PgStreamWriter::AppendRawData(PodBuffer& out, const RecordBatch& batch, size_t row) {
  json_.clear();
  json_.push_back('{');
  for (size_t i = 0; i < batch.num_columns(); ++i) {
    json_ += data_prefixes_[i];
    const Column& c = batch.column(i);
    if (c.IsNull(row)) {
      json_ += "null";
      continue;
    }
    switch (c.type()) {
      case TypeId::kString: {
        const std::string_view s = c.Bytes(row);
        if (std::memchr(s.data(), 0, s.size()) != nullptr) {
          json_ += "null";
          raw_changes_.push_back(&plan_.schema->field(i).name);
        } else {
          AppendJsonString(json_, s);
        }
        break;
      }
      case TypeId::kJson: {
        const std::string_view s = c.Bytes(row);
        if (JsonbAccepts(s)) {
          json_ += s;
        } else {
          json_ += "null";
          raw_changes_.push_back(&plan_.schema->field(i).name);
        }
        break;
      }
      case TypeId::kDecimal: {
        // A number jsonb's numeric cannot hold (or text that is no number) is kept as a string.
        const std::string_view s = c.Bytes(row);
        if (NumericTextFits(s)) {
          AppendValueJson(json_, c, row);
        } else {
          AppendJsonString(json_, s);
        }
        break;
      }
      default: AppendValueJson(json_, c, row);
    }
  }
  json_.push_back('}');
  const uint32_t len = __builtin_bswap32(static_cast<uint32_t>(json_.size() + 1));
  uint8_t* p = out.Extend(4 + 1 + json_.size());
  std::memcpy(p, &len, 4);
  p[4] = 1;
  std::memcpy(p + 5, json_.data(), json_.size());
}

size_t PgStreamWriter::NextLane(int target) {
  if (lanes_.size() == 1) return 0;
  if (target >= kTargets) return static_cast<size_t>(target - kTargets) / 2;  // norm_lane_per_table_
  const int kind = target == kRaw || target == kRawMeta ? 1 : 0;
  const size_t lane = (kind == 1 ? raw_lane_base_ : 0) + next_lane_[kind];
  next_lane_[kind] = (next_lane_[kind] + 1) % lanes_per_kind_;
  return lane;
}

Status PgStreamWriter::BeginLane(size_t lane) {
  Status st = plan_.staged() ? lanes_[lane].Begin(plan_.load_table, plan_.CreateStageSql()) : lanes_[lane].Begin();
  return st.ok() ? st : st.WithContext(fmt::format("stream '{}': starting a transaction", plan_.name));
}

Status PgStreamWriter::Send(int target) {
  CopyBuffer& buffer = BufferOf(target);
  if (buffer.size() == 0) return Status::Ok();
  const size_t lane = NextLane(target);
  Status st = BeginLane(lane);
  // Other lanes' queued data keeps moving while this one catches up.
  if (st.ok()) st = WaitUntilSent(lanes_, lane);
  const bool norm = target >= kTargets;
  if (st.ok()) {
    st = lanes_[lane].Put(target, norm ? norm_copy_sql_[static_cast<size_t>(target - kTargets)] : copy_sql_[target],
                          norm ? norm_what_[static_cast<size_t>(target - kTargets)] : what_[target], buffer.data(),
                          buffer.size());
  }
  buffer.Clear();
  if (!st.ok()) return Fail(st);
  return Status::Ok();
}

Status PgStreamWriter::SendQueued() {
  for (PgCopyLane& lane : lanes_) {
    if (!lane.open()) continue;
    Status st = lane.SendQueued();
    if (!st.ok()) return Fail(st);
  }
  return Status::Ok();
}

Status PgStreamWriter::ExecSteps(PgCopyLane& lane, const std::vector<std::string>& sql, std::string_view what) {
  for (const std::string& statement : sql) {
    SLUICE_RETURN_IF_ERROR(lane.Exec(statement, fmt::format("stream '{}': {}", plan_.name, what)));
  }
  return Status::Ok();
}

Status PgStreamWriter::Drain() {
  for (int t = 0; t < static_cast<int>(num_targets()); ++t) SLUICE_RETURN_IF_ERROR(Send(t));
  // Every COPY ends before the first result is awaited: the backends finish side by side.
  Status st = WaitUntilSent(lanes_, static_cast<size_t>(-1));
  for (PgCopyLane& lane : lanes_) {
    if (st.ok() && lane.open()) st = lane.SendCopyEnd();
  }
  for (PgCopyLane& lane : lanes_) {
    if (st.ok() && lane.open()) st = lane.FinishCopyEnd();
  }
  // Normalized dedup streams merge into their root table's load table, the tmp one too.
  if (st.ok() && (plan_.merge() || (plan_.normalize && plan_.dedup())) && lanes_[0].open()) st = Merge(lanes_[0]);
  if (st.ok() && plan_.normalize && !plan_.norm_direct && lanes_[0].open()) {
    st = ExecSteps(lanes_[0], plan_.NormApplySql(), "normalizing into the flat tables");
  }
  if (!st.ok()) return Fail(st);
  return Status::Ok();
}

Status PgStreamWriter::Merge(PgCopyLane& lane) {
  const int64_t start = NowMicros();
  Status st;
  for (size_t column : kept_columns_) {
    // Normalized: only columns the root table has keep their value (flattened ones do not).
    if (plan_.normalize && !plan_.norm.root_has_field[column]) continue;
    if (st.ok()) st = ExecSteps(lane, plan_.KeepUnchangedSql(plan_.LoadName(), column, true), "keeping unchanged values");
  }
  kept_columns_.clear();
  if (st.ok()) st = ExecSteps(lane, {plan_.DedupSql(plan_.LoadName())}, "deduplicating the staged rows");
  const std::vector<std::string> merge = plan_.MergeSql(false);
  if (st.ok() && merges_ == 0 && LogEnabled(LogLevel::kDebug)) {
    // The plans, once per stream: `--log-level debug` shows that merges probe the key index.
    for (size_t i = 1; i < merge.size() && st.ok(); ++i) {
      st = ExecSteps(lane, {merge[0]}, "planning the merge");
      auto plan = st.ok() ? lane.Query("EXPLAIN " + merge[i]) : Result<PgResult>(st);
      if (!plan.ok()) {
        st = plan.status();
        break;
      }
      std::string text;
      for (int r = 0; r < plan->rows(); ++r) text += fmt::format("\n  {}", plan->Get(r, 0));
      Log(LogLevel::kDebug, "stream '{}': merge plan of {}{}", plan_.name, merge[i], text);
    }
  }
  if (st.ok()) st = ExecSteps(lane, merge, "merging into the final table");
  if (st.ok()) {
    auto has_null = lane.Query(plan_.StageHasNullKeySql());
    if (!has_null.ok()) {
      st = has_null.status();
    } else if (has_null->rows() == 1 && has_null->Get(0, 0) == "t") {
      st = ExecSteps(lane, plan_.MergeSql(true), "merging rows with NULL keys into the final table");
    }
  }
  if (st.ok() && !plan_.normalize) st = ExecSteps(lane, {plan_.InsertFromStageSql()}, "merging into the final table");
  const int64_t took = NowMicros() - start;
  ++merges_;
  merge_rows_ += rows_in_transaction_;
  merge_micros_ += took;
  merge_micros_max_ = std::max(merge_micros_max_, took);
  return st;
}

// kSwap of an append_dedup stream: one row per key in the tmp table, its key index built.
Status PgStreamWriter::DedupTmp(PgCopyLane& lane) {
  const int64_t start = NowMicros();
  Status st;
  // Values not sent by the source take the earlier row's; the whole tmp table is one stage (a
  // resumed one with marked rows of an earlier attempt too: the marked columns are read back).
  if (plan_.keeps_unchanged()) {
    auto marked = lane.Query(fmt::format("SELECT DISTINCT jsonb_array_elements_text({0}) FROM {1} WHERE {0} IS NOT NULL",
                                         QuoteIdent(kColKeep), plan_.LoadName()));
    if (!marked.ok()) return marked.status();
    for (int r = 0; r < marked->rows() && st.ok(); ++r) {
      const auto it = std::find(plan_.columns.begin(), plan_.columns.end(), marked->Get(r, 0));
      if (it == plan_.columns.end()) continue;
      const size_t column = static_cast<size_t>(it - plan_.columns.begin());
      st = ExecSteps(lane, plan_.KeepUnchangedSql(plan_.LoadName(), column, false), "keeping unchanged values");
    }
    kept_columns_.clear();
  }
  if (!st.ok()) return st;
  if (plan_.unique_nulls_not_distinct) {
    // A unique index builds only when no key repeats: then nothing needs deduplicating.
    st = ExecSteps(lane, {"SAVEPOINT sluice_unique"}, "building the primary key index");
    Status unique = st.ok() ? lane.Exec(plan_.CreateTmpPkIndexSql(true), "building the primary key index") : st;
    if (st.ok() && !unique.ok()) {
      if (unique.message().find("SQLSTATE 23505") == std::string::npos) return unique.WithContext(
          fmt::format("stream '{}': building the primary key index", plan_.name));
      st = ExecSteps(lane,
                     {"ROLLBACK TO SAVEPOINT sluice_unique", plan_.DedupSql(plan_.LoadName()),
                      plan_.CreateTmpPkIndexSql(true)},
                     "deduplicating the loaded rows");
    }
  } else {
    st = ExecSteps(lane, {plan_.DedupSql(plan_.LoadName()), plan_.CreateTmpPkIndexSql(false)},
                   "deduplicating the loaded rows");
  }
  if (st.ok()) st = ExecSteps(lane, plan_.FinishTmpDedupSql(), "deduplicating the loaded rows");
  if (st.ok()) {
    Log(LogLevel::kInfo, "stream '{}': deduplicated {} and built its key index in {} ms", plan_.name, plan_.LoadName(),
        (NowMicros() - start) / 1000);
  }
  return st;
}

Status PgStreamWriter::Commit() {
  const std::string what = fmt::format("stream '{}': COMMIT", plan_.name);
  Status st;
  for (PgCopyLane& lane : lanes_) {
    if (st.ok()) st = lane.SendCommit(what);
  }
  for (PgCopyLane& lane : lanes_) {
    Status one = lane.FinishCommit();
    if (st.ok()) st = one;
  }
  if (!st.ok()) return Fail(st);
  next_lane_[0] = next_lane_[1] = 0;  // a small checkpoint needs one connection per kind
  rows_in_transaction_ = 0;
  return Status::Ok();
}

Status PgStreamWriter::Flush() {
  if (failed_) return Status::SystemError(fmt::format("stream '{}': the writer failed earlier", plan_.name));
  SLUICE_RETURN_IF_ERROR(Drain());
  return Commit();
}

Result<bool> PgStreamWriter::Truncate(int64_t at_us) {
  if (!plan_.write_final || !(plan_.dedup() || plan_.overwrite())) return false;
  SLUICE_RETURN_IF_ERROR(Flush());
  Status st = BeginLane(0);
  if (st.ok()) st = ExecSteps(lanes_[0], plan_.TruncateSql(at_us), "replicating a TRUNCATE");
  if (!st.ok()) return Fail(st);
  SLUICE_RETURN_IF_ERROR(Commit());
  return true;
}

Status PgStreamWriter::Finish(StreamOutcome outcome) {
  if (finished_) return Status::Ok();
  finished_ = true;
  if (outcome == StreamOutcome::kIncomplete || failed_) {
    Abort();
    if (failed_ && outcome == StreamOutcome::kComplete) {
      return Status::SystemError(fmt::format("stream '{}': the writer failed earlier", plan_.name));
    }
    return Status::Ok();
  }
  SLUICE_RETURN_IF_ERROR(Drain());
  SLUICE_RETURN_IF_ERROR(Commit());
  if (merges_ > 0) {
    Log(LogLevel::kInfo, "stream '{}': {} merge(s) of {} row(s) into {}: {} ms on average, {} ms at most", plan_.name,
        merges_, merge_rows_, plan_.FinalName(), merge_micros_ / merges_ / 1000, merge_micros_max_ / 1000);
  }
  if (!plan_.swap()) return Status::Ok();
  // Every lane committed its rows into the tmp tables: swap them in, in one transaction.
  Status st = BeginLane(0);
  if (plan_.normalize) {
    // Normalized tmp tables were merged into at every checkpoint: nothing to deduplicate.
    if (st.ok()) st = ExecSteps(lanes_[0], plan_.NormSwapSql(), "replacing the tables with the newly loaded ones");
  } else {
    if (st.ok() && plan_.dedup()) st = DedupTmp(lanes_[0]);
    if (st.ok()) st = ExecSteps(lanes_[0], plan_.SwapSql(), "replacing the table with the newly loaded one");
  }
  if (!st.ok()) {
    if (plan_.drop_cascade == false && st.message().find("2BP01") != std::string::npos) {
      st = Status::ConfigError(st.message() + " (set drop_cascade: true to drop the dependent objects too)");
    }
    return Fail(st);
  }
  return Commit();
}

void PgStreamWriter::Abort() {
  for (CopyBuffer& b : buffers_) b.Clear();
  for (CopyBuffer& b : norm_buffers_) b.Clear();
  kept_columns_.clear();
  for (PgCopyLane& lane : lanes_) lane.Abort();
  rows_in_transaction_ = 0;
}

}  // namespace sluice
