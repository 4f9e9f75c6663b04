#include "connectors/destinations/local/local_stream_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <fmt/format.h>

#include "base/log.h"
#include "connectors/destinations/local/local_layout.h"

namespace sluice {

LocalStreamWriter::LocalStreamWriter(const LocalConfig& config, LocalStreamPlan plan)
    : FileStreamWriter(config, plan.RowInfo(plan.sync_ms),
                       // An empty overwrite still gets one (empty) Parquet file: readers of the folder find
                       // its schema (in append mode every empty sync would add a file).
                       /*empty_file_when_no_rows=*/plan.mode == DestinationSyncMode::kOverwrite),
      plan_(std::move(plan)),
      extension_(DataFileExtension(config)) {
  dir_ = plan_.mode == DestinationSyncMode::kOverwrite ? StagingFolder(plan_.folder, plan_.sync_ms) : plan_.folder;
}

Result<std::unique_ptr<LocalStreamWriter>> LocalStreamWriter::Open(const LocalConfig& config, LocalStreamPlan plan) {
  std::unique_ptr<LocalStreamWriter> writer(new LocalStreamWriter(config, std::move(plan)));
  Status ready;
  if (writer->plan_.mode == DestinationSyncMode::kOverwrite) ready = RemoveTree(writer->dir_);
  if (ready.ok()) ready = CreateFolders(writer->dir_);
  if (ready.ok()) return writer;
  writer->MarkFinished();
  return ready.WithContext(fmt::format("stream '{}'", writer->plan_.name));
}

Result<std::unique_ptr<OutputStream>> LocalStreamWriter::OpenFile(uint64_t part) {
  const std::string name = DataFileName(plan_.sync_ms, static_cast<uint32_t>(part), extension_);
  current_.final_path = JoinPath(dir_, name);
  current_.temp_path = JoinPath(dir_, TempFileName(name));
  return OpenOutputFile(current_.temp_path);  // fsynced at Close
}

Status LocalStreamWriter::FileClosed() {
  closed_.push_back(std::move(current_));
  current_ = {};
  return Status::Ok();
}

Status LocalStreamWriter::Publish() {
  for (const Part& part : closed_) {
    // The file was fsynced at its close; the rename publishes it, the folder fsync makes that durable.
    if (::rename(part.temp_path.c_str(), part.final_path.c_str()) != 0) {
      return FileErrorStatus(fmt::format("cannot rename '{}' to", part.temp_path), part.final_path, errno);
    }
  }
  if (!closed_.empty()) SLUICE_RETURN_IF_ERROR(SyncFolder(dir_));
  committed_ += closed_.size();
  closed_.clear();
  return Status::Ok();
}

Status LocalStreamWriter::Complete(uint64_t rows) {
  (void)rows;
  if (plan_.mode != DestinationSyncMode::kOverwrite) return Status::Ok();
  Status replaced = ReplaceFolder(dir_, plan_.folder, plan_.sync_ms);
  if (replaced.ok()) return replaced;
  Status cleaned = Abandon();
  if (!cleaned.ok()) Log(LogLevel::kWarn, "stream '{}': {}", plan_.name, cleaned.message());
  return replaced;
}

Status LocalStreamWriter::Abandon() {
  Status first;
  if (!current_.temp_path.empty()) closed_.push_back(std::move(current_));
  current_ = {};
  for (const Part& part : closed_) {
    if (::unlink(part.temp_path.c_str()) != 0 && errno != ENOENT && first.ok()) {
      first = FileErrorStatus("cannot delete", part.temp_path, errno);
    }
  }
  closed_.clear();
  if (plan_.mode == DestinationSyncMode::kOverwrite) {
    Status removed = RemoveTree(dir_);
    if (first.ok()) first = removed;
  }
  return first;
}

}  // namespace sluice
