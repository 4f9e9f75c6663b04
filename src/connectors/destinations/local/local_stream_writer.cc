#include "connectors/destinations/local/local_stream_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include <fmt/format.h>

#include "base/log.h"
#include "connectors/destinations/local/local_layout.h"
#include "protocol/codec.h"

namespace sluice {
namespace {

constexpr size_t kDrainBytes = 512 << 10;

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

}  // namespace

// ---- LocalStreamWriter ----------------------------------------------------------------------

LocalStreamWriter::LocalStreamWriter(const LocalConfig& config, LocalStreamPlan plan)
    : config_(config),
      plan_(std::move(plan)),
      extension_(DataFileExtension(config)),
      csv_(CsvWriterOptions{.delimiter = config.csv_delimiter}) {
  dir_ = plan_.mode == DestinationSyncMode::kOverwrite ? StagingFolder(plan_.folder, plan_.sync_ms) : plan_.folder;
  meta_tail_ = fmt::format(",\"sync_id\":{}}}", plan_.sync_id);
  if (config_.format == LocalFileFormat::kCsv) {
    csv_header_ = {"_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_generation_id", "_airbyte_meta"};
    if (plan_.schema) {
      for (const Field& f : plan_.schema->fields()) csv_header_.push_back(f.name);
    }
  }
}

Result<std::unique_ptr<LocalStreamWriter>> LocalStreamWriter::Open(const LocalConfig& config, LocalStreamPlan plan) {
  std::unique_ptr<LocalStreamWriter> writer(new LocalStreamWriter(config, std::move(plan)));
  if (writer->plan_.mode == DestinationSyncMode::kOverwrite) {
    SLUICE_RETURN_IF_ERROR(RemoveTree(writer->dir_));
  }
  Status created = CreateFolders(writer->dir_);
  if (!created.ok()) {
    writer->finished_ = true;
    return created.WithContext(fmt::format("stream '{}'", writer->plan_.name));
  }
  return writer;
}

LocalStreamWriter::~LocalStreamWriter() {
  if (!finished_) {
    Status st = Finish(StreamOutcome::kIncomplete);
    if (!st.ok()) Log(LogLevel::kWarn, "stream '{}': {}", plan_.name, st.message());
  }
}

Status LocalStreamWriter::OpenPart() {
  const std::string name = DataFileName(plan_.sync_ms, next_part_++, extension_);
  current_.final_path = JoinPath(dir_, name);
  current_.temp_path = JoinPath(dir_, TempFileName(name));
  SLUICE_ASSIGN_OR_RETURN(out_, OpenOutputFile(current_.temp_path, {.compression = config_.compression}));
  if (config_.format == LocalFileFormat::kCsv) csv_.AppendHeader(buffer_, csv_header_);
  if (config_.format == LocalFileFormat::kParquet) {
    ParquetWriterOptions options = config_.parquet;
    options.key_value_metadata.emplace_back(std::string(kParquetJsonSchemaKey), stream_json_schema_);
    options.key_value_metadata.emplace_back("airbyte.stream", plan_.name);
    SLUICE_ASSIGN_OR_RETURN(parquet_, ParquetWriter::Open(parquet_schema_, std::move(options), out_.get()));
  }
  return Status::Ok();
}

Status LocalStreamWriter::Drain() {
  if (buffer_.empty()) return Status::Ok();
  SLUICE_RETURN_IF_ERROR(out_->Write(buffer_));
  buffer_.clear();
  return Status::Ok();
}

Status LocalStreamWriter::ClosePart() {
  if (parquet_) {
    SLUICE_RETURN_IF_ERROR(parquet_->Close());  // the last row group and the footer
    parquet_.reset();
  }
  SLUICE_RETURN_IF_ERROR(Drain());
  SLUICE_RETURN_IF_ERROR(out_->Close());
  out_.reset();
  closed_.push_back(std::move(current_));
  current_ = {};
  return Status::Ok();
}

void LocalStreamWriter::AppendMeta(std::string& out, const RecordBatch& batch, size_t row, size_t& change_cursor) {
  const size_t mark = out.size();
  AppendRecordMeta(out, batch, row, change_cursor);
  if (out.size() == mark) {
    out += "{\"changes\":[]";
  } else {
    out.pop_back();  // the closing '}'
  }
  out += meta_tail_;
}

void LocalStreamWriter::AppendJsonlRow(const RecordBatch& batch, size_t row, size_t& change_cursor) {
  buffer_ += "{\"_airbyte_raw_id\":\"";
  uuid_.Append(buffer_);
  buffer_ += "\",\"_airbyte_extracted_at\":";
  buffer_ += extracted_at_;
  buffer_ += ",\"_airbyte_generation_id\":";
  AppendInt(buffer_, plan_.generation_id);
  buffer_ += ",\"_airbyte_meta\":";
  AppendMeta(buffer_, batch, row, change_cursor);
  buffer_ += ",\"_airbyte_data\":";
  AppendRecordData(buffer_, batch, row);
  buffer_ += "}\n";
}

void LocalStreamWriter::AppendCsvRow(const RecordBatch& batch, size_t row, size_t& change_cursor) {
  uuid_.Append(buffer_);
  csv_.AppendDelimiter(buffer_);
  buffer_ += extracted_at_;
  csv_.AppendDelimiter(buffer_);
  AppendInt(buffer_, plan_.generation_id);
  csv_.AppendDelimiter(buffer_);
  scratch_.clear();
  AppendMeta(scratch_, batch, row, change_cursor);
  csv_.AppendCell(buffer_, scratch_);
  if (batch.num_columns() > 0) {
    csv_.AppendDelimiter(buffer_);
    csv_.AppendRowCells(buffer_, batch, row);
  }
  csv_.EndRow(buffer_);
}

void LocalStreamWriter::PlanParquetColumns(const Schema& stream) {
  std::vector<Field> fields = {
      // 16 raw bytes: a UUID column (FIXED_LEN_BYTE_ARRAY(16)) without formatting and parsing text.
      {"_airbyte_raw_id", TypeId::kBinary, false, Json{{"type", "string"}, {"format", "uuid"}}},
      {"_airbyte_extracted_at", TypeId::kTimestampTz, false, Json()},
      {"_airbyte_generation_id", TypeId::kInteger, false, Json()},
      {"_airbyte_meta", TypeId::kJson, false, Json{{"type", "object"}}},
  };
  const size_t meta_count = fields.size();
  parquet_fields_.clear();
  parquet_checked_.clear();
  for (size_t i = 0; i < stream.num_fields(); ++i) {
    Field f = stream.field(i);
    if (f.name.starts_with("_airbyte_") &&
        std::any_of(fields.begin(), fields.begin() + static_cast<std::ptrdiff_t>(meta_count),
                    [&](const Field& m) { return m.name == f.name; })) {
      Log(LogLevel::kWarn, "stream '{}': field '{}' clashes with the Parquet column of the same name and is not written",
          plan_.name, f.name);
      continue;
    }
    f.nullable = true;  // a source's schema is no promise: any field may be null
    parquet::ColumnDescriptor desc = parquet::DescribeColumn(f);
    if (desc.kind == parquet::ValueKind::kDecimalFixed || desc.kind == parquet::ValueKind::kUuid ||
        desc.kind == parquet::ValueKind::kUuidBytes) {
      parquet_checked_.push_back({i, fields.size(), std::move(desc), Column(f.type)});
    }
    fields.push_back(std::move(f));
    parquet_fields_.push_back(i);
  }
  stream_columns_ = stream.num_fields();
  parquet_schema_ = std::make_shared<Schema>(std::move(fields));
  stream_json_schema_ = (plan_.schema ? *plan_.schema : stream).ToJsonSchema().dump();
  meta_columns_.clear();
  for (size_t i = 0; i < meta_count; ++i) meta_columns_.emplace_back(parquet_schema_->field(i).type);
}

void LocalStreamWriter::NullUnrepresentable(const RecordBatch& batch) {
  nulled_.clear();
  for (CheckedColumn& checked : parquet_checked_) {
    const size_t index = checked.batch_column;
    const Column& c = batch.column(index);
    const parquet::ColumnDescriptor& desc = checked.desc;
    checked.repaired_used = false;
    auto fits = [&](std::string_view v) {
      uint8_t uuid[16];
      __int128 unscaled;
      switch (desc.kind) {
        case parquet::ValueKind::kUuid: return parquet::ParseUuid(v, uuid);
        case parquet::ValueKind::kUuidBytes: return v.size() == 16;
        default: return parquet::ParseDecimal(v, desc.precision, desc.scale, unscaled);
      }
    };
    size_t first_bad = c.size();
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      if (!c.IsNull(r) && !fits(c.Bytes(r))) {
        first_bad = r;
        break;
      }
    }
    if (first_bad == c.size()) continue;
    Column& copy = checked.repaired;
    copy.Clear();
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      if (c.IsNull(r)) {
        copy.AppendNull();
      } else if (r >= first_bad && !fits(c.Bytes(r))) {
        copy.AppendNull();
        nulled_.push_back({static_cast<uint32_t>(r), index});
      } else {
        copy.AppendBytes(c.Bytes(r));
      }
    }
    checked.repaired_used = true;
  }
  std::sort(nulled_.begin(), nulled_.end(), [](const NulledValue& a, const NulledValue& b) { return a.row < b.row; });
}

Status LocalStreamWriter::WriteParquet(const RecordBatch& batch) {
  if (!parquet_schema_) PlanParquetColumns(batch.schema());
  if (batch.num_columns() != stream_columns_) {
    return Status::SystemError(fmt::format("a batch has {} columns; the stream has {}", batch.num_columns(), stream_columns_));
  }
  if (batch.num_rows() == 0) return Status::Ok();
  if (!out_) SLUICE_RETURN_IF_ERROR(OpenPart());
  const size_t rows = batch.num_rows();
  const int64_t extracted_at_us = (batch.emitted_at_ms() != 0 ? batch.emitted_at_ms() : plan_.sync_ms) * 1000;
  if (!parquet_checked_.empty()) NullUnrepresentable(batch);
  for (Column& c : meta_columns_) c.Clear();
  Column& raw_id = meta_columns_[0];
  Column& extracted_at = meta_columns_[1];
  Column& generation = meta_columns_[2];
  Column& meta = meta_columns_[3];
  size_t change_cursor = 0;
  size_t nulled = 0;
  for (size_t row = 0; row < rows; ++row) {
    uuid_.AppendBytes(raw_id.bytes());
    raw_id.CommitBytes();
    extracted_at.AppendInt64(extracted_at_us);
    generation.AppendInt64(plan_.generation_id);
    if (nulled < nulled_.size() && nulled_[nulled].row == row) {
      // {"changes":[<the source's>, <ours>],"sync_id":N}
      std::string& out = meta.bytes();
      const size_t mark = out.size();
      AppendRecordMeta(out, batch, row, change_cursor);
      if (out.size() == mark) {
        out += "{\"changes\":[";
      } else {
        out.resize(out.size() - 2);  // "]}"
        out.push_back(',');
      }
      for (bool first = true; nulled < nulled_.size() && nulled_[nulled].row == row; ++nulled, first = false) {
        if (!first) out.push_back(',');
        out += "{\"field\":";
        AppendJsonString(out, batch.schema().field(nulled_[nulled].column).name);
        out += ",\"change\":\"NULLED\",\"reason\":\"DESTINATION_SERIALIZATION_ERROR\"}";
      }
      out += ']';
      out += meta_tail_;
    } else {
      AppendMeta(meta.bytes(), batch, row, change_cursor);
    }
    meta.CommitBytes();
  }
  parquet_columns_.clear();
  for (const Column& c : meta_columns_) parquet_columns_.push_back(&c);
  for (size_t i : parquet_fields_) parquet_columns_.push_back(&batch.column(i));
  for (const CheckedColumn& checked : parquet_checked_) {
    if (checked.repaired_used) parquet_columns_[checked.file_column] = &checked.repaired;
  }
  SLUICE_RETURN_IF_ERROR(parquet_->Write(parquet_columns_, rows));
  if (parquet_->estimated_file_bytes() >= config_.file_size_bytes) SLUICE_RETURN_IF_ERROR(ClosePart());
  return Status::Ok();
}

Status LocalStreamWriter::Write(const RecordBatch& batch) {
  if (failed_ || finished_) return Status::SystemError(fmt::format("stream '{}': write after an error or Finish", plan_.name));
  if (config_.format == LocalFileFormat::kParquet) {
    Status status = WriteParquet(batch);
    if (!status.ok()) {
      failed_ = true;
      return status.WithContext(fmt::format("stream '{}'", plan_.name));
    }
    rows_ += batch.num_rows();
    return Status::Ok();
  }
  extracted_at_.clear();
  AppendInt(extracted_at_, batch.emitted_at_ms() != 0 ? batch.emitted_at_ms() : plan_.sync_ms);
  const bool compressed = config_.compression != Compression::kNone;
  size_t change_cursor = 0;
  Status status;
  for (size_t row = 0; row < batch.num_rows() && status.ok(); ++row) {
    if (!out_) {
      status = OpenPart();
      if (!status.ok()) break;
    }
    if (config_.format == LocalFileFormat::kCsv) {
      AppendCsvRow(batch, row, change_cursor);
    } else {
      AppendJsonlRow(batch, row, change_cursor);
    }
    if (buffer_.size() >= kDrainBytes) status = Drain();
    // A compressor's input is not file size yet; count it once drained.
    const uint64_t part_bytes = out_->bytes_written() + (compressed ? 0 : buffer_.size());
    if (status.ok() && part_bytes >= config_.file_size_bytes) status = ClosePart();
  }
  if (!status.ok()) {
    failed_ = true;
    return status.WithContext(fmt::format("stream '{}'", plan_.name));
  }
  rows_ += batch.num_rows();
  return Status::Ok();
}

Status LocalStreamWriter::Flush() {
  if (failed_ || finished_) return Status::SystemError(fmt::format("stream '{}': flush after an error or Finish", plan_.name));
  Status status;
  if (out_) status = ClosePart();
  for (size_t i = 0; i < closed_.size() && status.ok(); ++i) {
    // ClosePart fsynced the file; the rename publishes it, the folder fsync makes that durable.
    if (::rename(closed_[i].temp_path.c_str(), closed_[i].final_path.c_str()) != 0) {
      status = FileErrorStatus(fmt::format("cannot rename '{}' to", closed_[i].temp_path), closed_[i].final_path, errno);
    }
  }
  if (status.ok() && !closed_.empty()) status = SyncFolder(dir_);
  if (!status.ok()) {
    failed_ = true;
    return status.WithContext(fmt::format("stream '{}'", plan_.name));
  }
  committed_ += closed_.size();
  closed_.clear();
  return Status::Ok();
}

Status LocalStreamWriter::Abandon() {
  Status first;
  parquet_.reset();
  out_.reset();  // closes without a trailer or fsync: the temp file is deleted next
  if (!current_.temp_path.empty()) closed_.push_back(std::move(current_));
  current_ = {};
  for (const Part& part : closed_) {
    if (::unlink(part.temp_path.c_str()) != 0 && errno != ENOENT && first.ok()) {
      first = FileErrorStatus("cannot delete", part.temp_path, errno);
    }
  }
  closed_.clear();
  buffer_.clear();
  if (plan_.mode == DestinationSyncMode::kOverwrite) {
    Status removed = RemoveTree(dir_);
    if (first.ok()) first = removed;
  }
  return first;
}

Status LocalStreamWriter::Finish(StreamOutcome outcome) {
  if (finished_) return Status::Ok();
  if (outcome == StreamOutcome::kComplete && !failed_) {
    Status status;
    if (config_.format == LocalFileFormat::kParquet && plan_.mode == DestinationSyncMode::kOverwrite && rows_ == 0 &&
        committed_ == 0 && !out_) {
      // An empty stream still gets one (empty) Parquet file: readers of the folder find its schema
      // (overwrite only: in append mode every empty sync would add a file).
      if (!parquet_schema_) PlanParquetColumns(plan_.schema ? *plan_.schema : Schema());
      status = OpenPart();
    }
    if (status.ok()) status = Flush();
    if (status.ok() && plan_.mode == DestinationSyncMode::kOverwrite) {
      status = ReplaceFolder(dir_, plan_.folder, plan_.sync_ms).WithContext(fmt::format("stream '{}'", plan_.name));
    }
    finished_ = true;
    if (status.ok()) return status;
    Status cleaned = Abandon();
    if (!cleaned.ok()) Log(LogLevel::kWarn, "stream '{}': {}", plan_.name, cleaned.message());
    return status;
  }
  finished_ = true;
  Status status = Abandon();
  if (outcome == StreamOutcome::kComplete) {
    return Status::SystemError(fmt::format("stream '{}': cannot complete after an earlier write error", plan_.name));
  }
  return status.WithContext(fmt::format("stream '{}'", plan_.name));
}

}  // namespace sluice
