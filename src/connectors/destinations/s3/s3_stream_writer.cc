#include "connectors/destinations/s3/s3_stream_writer.h"

#include <fmt/format.h>

#include "base/log.h"
#include "base/time.h"
#include "formats/parquet/parquet_writer.h"
#include "s3/s3_output_stream.h"

namespace sluice {

// ---- Data files ------------------------------------------------------------------------------

class S3StreamWriter::DataFile {
 public:
  explicit DataFile(std::string key) : key_(std::move(key)) {}
  virtual ~DataFile() = default;
  virtual Status Write(const RecordBatch& batch) = 0;
  //! Bytes the object will have so far (about: compressors and row groups hold some back).
  virtual uint64_t size() const = 0;
  //! Completes the object: it exists from now on.
  virtual Status Close() = 0;
  //! Drops the upload; nothing becomes visible.
  virtual Status Abort() = 0;
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

namespace {

constexpr size_t kDrainBytes = 1 << 20;

S3UploadOptions UploadOptionsFor(const S3DestinationConfig& config, const S3StreamPlan& plan) {
  S3UploadOptions o;
  o.part_bytes = config.part_bytes;
  o.max_parallel_parts = config.upload_threads;
  o.put.content_type = "application/octet-stream";
  o.put.metadata = {{"ab-generation-id", std::to_string(plan.generation_id)}};
  return o;
}

// JSONL or CSV, optionally gzip-compressed.
class TextFile final : public S3StreamWriter::DataFile {
 public:
  TextFile(std::string key, const S3DestinationConfig& config, std::shared_ptr<S3Client> client,
           const S3StreamPlan& plan, AirbyteRowFormatter& formatter)
      : DataFile(key), config_(config), formatter_(formatter) {
    auto s3 = std::make_unique<S3OutputStream>(std::move(client), config.bucket, key, UploadOptionsFor(config, plan));
    s3_ = s3.get();
    if (config.compression == Compression::kGzip) {
      out_ = MakeGzipOutputStream(std::move(s3), 1);
    } else {
      out_ = std::move(s3);
    }
    if (config.format == S3OutputFormat::kCsv) formatter_.AppendCsvHeader(buffer_);
  }

  Status Write(const RecordBatch& batch) override {
    formatter_.BeginBatch(batch);
    size_t change_cursor = 0;
    const bool csv = config_.format == S3OutputFormat::kCsv;
    for (size_t row = 0; row < batch.num_rows(); ++row) {
      if (csv) {
        formatter_.AppendCsvRow(buffer_, batch, row, change_cursor);
      } else {
        formatter_.AppendJsonlRow(buffer_, batch, row, change_cursor);
      }
      if (buffer_.size() >= kDrainBytes) SLUICE_RETURN_IF_ERROR(Drain());
    }
    return Status::Ok();
  }

  uint64_t size() const override {
    // A compressor's input is not file size yet; it counts once drained.
    return out_->bytes_written() + (config_.compression == Compression::kNone ? buffer_.size() : 0);
  }

  Status Close() override {
    SLUICE_RETURN_IF_ERROR(Drain());
    return out_->Close();
  }

  Status Abort() override {
    buffer_.clear();
    Status st = s3_->Abort();
    out_.reset();
    return st;
  }

 private:
  Status Drain() {
    if (buffer_.empty()) return Status::Ok();
    Status st = out_->Write(buffer_);
    buffer_.clear();
    return st;
  }

  const S3DestinationConfig& config_;
  AirbyteRowFormatter& formatter_;
  S3OutputStream* s3_ = nullptr;  // owned by out_ (directly or inside the gzip stream)
  std::unique_ptr<OutputStream> out_;
  std::string buffer_;
};

class ParquetFile final : public S3StreamWriter::DataFile {
 public:
  ParquetFile(std::string key, const S3DestinationConfig& config, std::shared_ptr<S3Client> client,
              const S3StreamPlan& plan, AirbyteRowFormatter& formatter)
      : DataFile(key),
        formatter_(formatter),
        stream_(std::move(client), config.bucket, std::move(key), UploadOptionsFor(config, plan)) {}

  Status Open(SchemaPtr file_schema, ParquetWriterOptions options) {
    SLUICE_ASSIGN_OR_RETURN(writer_, ParquetWriter::Open(std::move(file_schema), std::move(options), &stream_));
    return Status::Ok();
  }

  Status Write(const RecordBatch& batch) override {
    formatter_.BeginBatch(batch);
    raw_id_.Clear();
    extracted_at_.Clear();
    generation_.Clear();
    meta_.Clear();
    const int64_t extracted_micros = formatter_.extracted_at_ms() * 1000;
    size_t change_cursor = 0;
    for (size_t row = 0; row < batch.num_rows(); ++row) {
      formatter_.AppendUuid(raw_id_.bytes());
      raw_id_.CommitBytes();
      extracted_at_.AppendInt64(extracted_micros);
      generation_.AppendInt64(formatter_.generation_id());
      formatter_.AppendMeta(meta_.bytes(), batch, row, change_cursor);
      meta_.CommitBytes();
    }
    columns_.assign({&raw_id_, &extracted_at_, &generation_, &meta_});
    for (size_t i : formatter_.data_columns()) columns_.push_back(&batch.column(i));
    SLUICE_RETURN_IF_ERROR(writer_->Write(columns_, batch.num_rows()));
    if (writer_->num_row_groups() == row_groups_) return Status::Ok();
    // A row group was written out: send it now, while the next one is encoded.
    row_groups_ = writer_->num_row_groups();
    return stream_.SubmitBuffered();
  }

  uint64_t size() const override { return writer_->estimated_file_bytes(); }

  Status Close() override {
    SLUICE_RETURN_IF_ERROR(writer_->Close());
    return stream_.Close();
  }

  Status Abort() override { return stream_.Abort(); }

 private:
  AirbyteRowFormatter& formatter_;
  S3OutputStream stream_;
  std::unique_ptr<ParquetWriter> writer_;
  Column raw_id_{TypeId::kString};
  Column extracted_at_{TypeId::kTimestampTz};
  Column generation_{TypeId::kInteger};
  Column meta_{TypeId::kJson};
  std::vector<const Column*> columns_;
  int row_groups_ = 0;  // row groups written out so far
};

SchemaPtr ParquetFileSchema(const AirbyteRowFormatter& formatter) {
  std::vector<Field> fields;
  fields.push_back({"_airbyte_raw_id", TypeId::kString, false, {}});
  fields.push_back({"_airbyte_extracted_at", TypeId::kTimestampTz, false, {}});
  fields.push_back({"_airbyte_generation_id", TypeId::kInteger, false, {}});
  fields.push_back({"_airbyte_meta", TypeId::kJson, false, Json{{"type", "object"}}});
  for (size_t i : formatter.data_columns()) fields.push_back(formatter.schema().field(i));
  return std::make_shared<const Schema>(std::move(fields));
}

}  // namespace

// ---- S3StreamWriter --------------------------------------------------------------------------

S3StreamWriter::S3StreamWriter(const S3DestinationConfig& config, std::shared_ptr<S3Client> client, S3StreamPlan plan)
    : config_(config),
      client_(std::move(client)),
      plan_(std::move(plan)),
      formatter_(config.format == S3OutputFormat::kParquet ? S3Flattening::kRootLevel : config.flattening, plan_.schema,
                 plan_.generation_id, plan_.sync_id, plan_.sync_start_micros / 1000, plan_.name) {
  if (config_.format == S3OutputFormat::kParquet) file_schema_ = ParquetFileSchema(formatter_);
}

Result<std::unique_ptr<S3StreamWriter>> S3StreamWriter::Open(const S3DestinationConfig& config,
                                                             std::shared_ptr<S3Client> client, S3StreamPlan plan) {
  std::unique_ptr<S3StreamWriter> w(new S3StreamWriter(config, std::move(client), std::move(plan)));
  Status listed = w->client_->ListAll(config.bucket, w->plan_.prefix, [&](const S3Object& o) {
    if (w->existing_.insert(o.key).second) w->existing_order_.push_back(o.key);
    return Status::Ok();
  });
  if (!listed.ok()) {
    w->finished_ = true;
    return listed.WithContext(fmt::format("stream '{}'", w->plan_.name));
  }
  return w;
}

S3StreamWriter::~S3StreamWriter() {
  if (!finished_) {
    Status st = Finish(StreamOutcome::kIncomplete);
    if (!st.ok()) Log(LogLevel::kWarn, "stream '{}': {}", plan_.name, st.message());
  }
}

Status S3StreamWriter::OpenFile() {
  std::string key;
  for (int tries = 0;; ++tries) {
    if (tries > 100'000) {
      return Status::SystemError(fmt::format("no free object name under '{}' (file_name_pattern gives taken names)",
                                             plan_.key_base));
    }
    SLUICE_ASSIGN_OR_RETURN(std::string name, ExpandS3FileName(config_, next_part_++, plan_.sync_id, NowMicros()));
    key = plan_.key_base + name;
    // Never over an existing object: an overwrite's old data must survive a failed run.
    if (existing_.count(key) == 0 && std::find(written_.begin(), written_.end(), key) == written_.end()) break;
  }
  if (config_.format == S3OutputFormat::kParquet) {
    auto file = std::make_unique<ParquetFile>(key, config_, client_, plan_, formatter_);
    // block_size_mb is the user's row-group size and is kept as given (readers plan their scans
    // by row group); each finished row group is uploaded while the next one is encoded.
    ParquetWriterOptions options = config_.parquet;
    options.key_value_metadata.emplace_back(std::string(kParquetJsonSchemaKey),
                                            plan_.schema ? plan_.schema->ToJsonSchema().dump() : "{}");
    SLUICE_RETURN_IF_ERROR(file->Open(file_schema_, std::move(options)));
    file_ = std::move(file);
  } else {
    file_ = std::make_unique<TextFile>(key, config_, client_, plan_, formatter_);
  }
  return Status::Ok();
}

Status S3StreamWriter::CloseFile() {
  std::unique_ptr<DataFile> file = std::move(file_);
  Status st = file->Close();
  if (!st.ok()) {
    Status aborted = file->Abort();
    if (!aborted.ok()) Log(LogLevel::kWarn, "stream '{}': {}", plan_.name, aborted.message());
    return st;
  }
  written_.push_back(file->key());
  return Status::Ok();
}

Status S3StreamWriter::Write(const RecordBatch& batch) {
  if (failed_ || finished_) {
    return Status::SystemError(fmt::format("stream '{}': write after an error or Finish", plan_.name));
  }
  if (batch.num_rows() == 0) return Status::Ok();
  Status st;
  if (!file_) st = OpenFile();
  if (st.ok()) st = file_->Write(batch);
  // Files roll over between batches: a file exceeds file_size_mb by less than one batch.
  if (st.ok() && file_->size() >= config_.file_size_bytes) st = CloseFile();
  if (!st.ok()) {
    failed_ = true;
    return st.WithContext(fmt::format("stream '{}'", plan_.name));
  }
  rows_ += batch.num_rows();
  return Status::Ok();
}

Status S3StreamWriter::Flush() {
  if (failed_ || finished_) {
    return Status::SystemError(fmt::format("stream '{}': flush after an error or Finish", plan_.name));
  }
  if (!file_) return Status::Ok();
  Status st = CloseFile();
  if (!st.ok()) {
    failed_ = true;
    return st.WithContext(fmt::format("stream '{}'", plan_.name));
  }
  return Status::Ok();
}

Status S3StreamWriter::Abandon() {
  Status first;
  if (file_) {
    first = file_->Abort();
    file_.reset();
  }
  if (plan_.mode == DestinationSyncMode::kOverwrite && !written_.empty()) {
    // The new generation is incomplete: remove it so the old one stays the only one.
    Status deleted = client_->DeleteObjects(config_.bucket, written_);
    if (first.ok()) first = deleted;
    if (deleted.ok()) written_.clear();
  }
  return first;
}

Status S3StreamWriter::Finish(StreamOutcome outcome) {
  if (finished_) return Status::Ok();
  finished_ = true;
  if (outcome == StreamOutcome::kComplete && !failed_) {
    Status st;
    if (file_) st = CloseFile();
    if (!st.ok()) {
      Status cleaned = Abandon();
      if (!cleaned.ok()) Log(LogLevel::kWarn, "stream '{}': {}", plan_.name, cleaned.message());
      return st.WithContext(fmt::format("stream '{}'", plan_.name));
    }
    if (plan_.mode == DestinationSyncMode::kOverwrite && !existing_order_.empty()) {
      // The new generation is complete: now the old objects go. If that fails the new data
      // stays (it is complete) and the next overwrite deletes the leftovers.
      st = client_->DeleteObjects(config_.bucket, existing_order_);
      if (!st.ok()) {
        return st.WithContext(fmt::format(
            "stream '{}': the new data is complete but objects of the previous generation remain", plan_.name));
      }
      Log(LogLevel::kInfo, "stream '{}': deleted {} objects of the previous generation under s3://{}/{}", plan_.name,
          existing_order_.size(), config_.bucket, plan_.prefix);
    }
    Log(LogLevel::kInfo, "stream '{}': {} rows in {} files under s3://{}/{}", plan_.name, rows_, written_.size(),
        config_.bucket, plan_.prefix);
    return Status::Ok();
  }
  Status st = Abandon();
  if (outcome == StreamOutcome::kComplete) {
    return Status::SystemError(fmt::format("stream '{}': cannot complete after an earlier write error", plan_.name));
  }
  return st.WithContext(fmt::format("stream '{}'", plan_.name));
}

}  // namespace sluice
