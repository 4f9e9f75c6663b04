#include "connectors/destinations/local/local_stream_writer.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <random>

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

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

// ---- UuidV4Generator ------------------------------------------------------------------------

UuidV4Generator::UuidV4Generator() {
  std::random_device device;
  uint64_t seed = (static_cast<uint64_t>(device()) << 32) ^ device();
  seed ^= reinterpret_cast<uintptr_t>(this);
  for (uint64_t& s : s_) s = SplitMix64(seed);
}

uint64_t UuidV4Generator::Next() {
  const auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

void UuidV4Generator::Append(std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t hi = Next();
  uint64_t lo = Next();
  hi = (hi & 0xffffffffffff0fffull) | 0x0000000000004000ull;  // version 4
  lo = (lo & 0x3fffffffffffffffull) | 0x8000000000000000ull;  // variant 10
  char buf[36];
  int pos = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) buf[pos++] = '-';
    const uint8_t byte = static_cast<uint8_t>(i < 8 ? hi >> (56 - 8 * i) : lo >> (56 - 8 * (i - 8)));
    buf[pos++] = kHex[byte >> 4];
    buf[pos++] = kHex[byte & 15];
  }
  out.append(buf, sizeof(buf));
}

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
  return Status::Ok();
}

Status LocalStreamWriter::Drain() {
  if (buffer_.empty()) return Status::Ok();
  SLUICE_RETURN_IF_ERROR(out_->Write(buffer_));
  buffer_.clear();
  return Status::Ok();
}

Status LocalStreamWriter::ClosePart() {
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

Status LocalStreamWriter::Write(const RecordBatch& batch) {
  if (failed_ || finished_) return Status::SystemError(fmt::format("stream '{}': write after an error or Finish", plan_.name));
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
    Status status = Flush();
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
