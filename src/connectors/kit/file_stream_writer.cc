#include "connectors/kit/file_stream_writer.h"

#include <fmt/format.h>

#include "base/log.h"

namespace sluice {
namespace {

constexpr size_t kDrainBytes = 512 << 10;

}  // namespace

FileStreamWriter::FileStreamWriter(const FileFormatOptions& options, AirbyteStreamInfo info,
                                   bool empty_file_when_no_rows)
    : options_(options), info_(std::move(info)), empty_file_when_no_rows_(empty_file_when_no_rows) {
  if (info_.schema) Plan(info_.schema);
}

void FileStreamWriter::Plan(const SchemaPtr& schema) {
  const Flattening flattening = options_.format == FileFormat::kParquet ? Flattening::kRootLevel : options_.flattening;
  formatter_.emplace(flattening, options_.csv_delimiter, info_, schema);
  if (options_.format != FileFormat::kParquet) return;
  parquet_columns_.emplace(*formatter_);
  json_schema_ = schema->ToJsonSchema().dump();
}

void FileStreamWriter::FinishOnDestroy() {
  if (finished_) return;
  Status st = Finish(StreamOutcome::kIncomplete);
  if (!st.ok()) Log(LogLevel::kWarn, "stream '{}': {}", info_.name, st.message());
}

uint64_t FileStreamWriter::FileBytes() const {
  if (parquet_) return parquet_->estimated_file_bytes();
  // A compressor's input is not file size yet; it counts once drained.
  return out_->bytes_written() + (options_.compression == Compression::kNone ? buffer_.size() : 0);
}

Status FileStreamWriter::StartFile() {
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<OutputStream> sink, OpenFile(next_part_++));
  if (options_.format != FileFormat::kParquet && options_.compression == Compression::kGzip) {
    out_ = MakeGzipOutputStream(std::move(sink), 1);
  } else {
    out_ = std::move(sink);
  }
  row_groups_ = 0;
  if (options_.format == FileFormat::kCsv) formatter_->AppendCsvHeader(buffer_);
  if (options_.format == FileFormat::kParquet) {
    ParquetWriterOptions parquet = options_.parquet;
    parquet.key_value_metadata.emplace_back(std::string(kParquetJsonSchemaKey), json_schema_);
    parquet.key_value_metadata.emplace_back("airbyte.stream", info_.name);
    SLUICE_ASSIGN_OR_RETURN(parquet_, ParquetWriter::Open(parquet_columns_->file_schema(), std::move(parquet), out_.get()));
  }
  return Status::Ok();
}

Status FileStreamWriter::Drain() {
  if (buffer_.empty()) return Status::Ok();
  Status st = out_->Write(buffer_);
  buffer_.clear();
  return st;
}

Status FileStreamWriter::CloseFile() {
  if (parquet_) {
    SLUICE_RETURN_IF_ERROR(parquet_->Close());  // the last row group and the footer
    parquet_.reset();
  }
  SLUICE_RETURN_IF_ERROR(Drain());
  SLUICE_RETURN_IF_ERROR(out_->Close());
  out_.reset();
  ++files_;
  return FileClosed();
}

Status FileStreamWriter::WriteRows(const RecordBatch& batch) {
  if (!formatter_) Plan(std::make_shared<const Schema>(batch.schema()));
  if (batch.num_columns() != formatter_->schema().num_fields()) {
    return Status::SystemError(
        fmt::format("a batch has {} columns; the stream has {}", batch.num_columns(), formatter_->schema().num_fields()));
  }
  if (batch.num_rows() == 0) return Status::Ok();
  if (options_.format == FileFormat::kParquet) {
    if (!out_) SLUICE_RETURN_IF_ERROR(StartFile());
    SLUICE_RETURN_IF_ERROR(parquet_->Write(parquet_columns_->Encode(batch, *formatter_), batch.num_rows()));
    if (parquet_->num_row_groups() != row_groups_) {
      row_groups_ = parquet_->num_row_groups();
      SLUICE_RETURN_IF_ERROR(RowGroupWritten());
    }
    if (FileBytes() >= options_.file_size_bytes) SLUICE_RETURN_IF_ERROR(CloseFile());
    return Status::Ok();
  }
  formatter_->BeginBatch(batch);
  const bool csv = options_.format == FileFormat::kCsv;
  size_t change_cursor = 0;
  for (size_t row = 0; row < batch.num_rows(); ++row) {
    if (!out_) SLUICE_RETURN_IF_ERROR(StartFile());
    if (csv) {
      formatter_->AppendCsvRow(buffer_, batch, row, change_cursor);
    } else {
      formatter_->AppendJsonlRow(buffer_, batch, row, change_cursor);
    }
    if (buffer_.size() >= kDrainBytes) SLUICE_RETURN_IF_ERROR(Drain());
    if (FileBytes() >= options_.file_size_bytes) SLUICE_RETURN_IF_ERROR(CloseFile());
  }
  return Status::Ok();
}

Status FileStreamWriter::Write(const RecordBatch& batch) {
  if (failed_ || finished_) return Status::SystemError(fmt::format("stream '{}': write after an error or Finish", info_.name));
  Status st = WriteRows(batch);
  if (!st.ok()) {
    failed_ = true;
    return st.WithContext(fmt::format("stream '{}'", info_.name));
  }
  rows_ += batch.num_rows();
  return Status::Ok();
}

Status FileStreamWriter::Flush() {
  if (failed_ || finished_) return Status::SystemError(fmt::format("stream '{}': flush after an error or Finish", info_.name));
  Status st;
  if (out_) st = CloseFile();
  if (st.ok()) st = Publish();
  if (!st.ok()) {
    failed_ = true;
    return st.WithContext(fmt::format("stream '{}'", info_.name));
  }
  return Status::Ok();
}

Status FileStreamWriter::DropAll() {
  Status st = Abandon();
  parquet_.reset();
  out_.reset();  // closes without a trailer: the sink dropped the file
  buffer_.clear();
  return st;
}

Status FileStreamWriter::Finish(StreamOutcome outcome) {
  if (finished_) return Status::Ok();
  finished_ = true;
  if (outcome == StreamOutcome::kComplete && !failed_) {
    Status st;
    if (empty_file_when_no_rows_ && options_.format == FileFormat::kParquet && rows_ == 0 && files_ == 0 && !out_) {
      // An empty stream still gets one (empty) Parquet file: readers of the folder find its schema.
      if (!formatter_) Plan(std::make_shared<const Schema>());
      st = StartFile();
    }
    if (st.ok() && out_) st = CloseFile();
    if (st.ok()) st = Publish();
    if (st.ok()) return Complete(rows_).WithContext(fmt::format("stream '{}'", info_.name));
    Status cleaned = DropAll();
    if (!cleaned.ok()) Log(LogLevel::kWarn, "stream '{}': {}", info_.name, cleaned.message());
    return st.WithContext(fmt::format("stream '{}'", info_.name));
  }
  Status st = DropAll();
  if (outcome == StreamOutcome::kComplete) {
    return Status::SystemError(fmt::format("stream '{}': cannot complete after an earlier write error", info_.name));
  }
  return st.WithContext(fmt::format("stream '{}'", info_.name));
}

}  // namespace sluice
