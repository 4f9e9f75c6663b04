#include "connectors/destinations/s3/s3_stream_writer.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/log.h"
#include "base/time.h"
#include "s3/s3_output_stream.h"

namespace sluice {

S3StreamWriter::S3StreamWriter(const S3DestinationConfig& config, std::shared_ptr<S3Client> client, S3StreamPlan plan)
    : FileStreamWriter(config, plan.RowInfo(plan.path.sync_start_micros / 1000)),
      config_(config),
      client_(std::move(client)),
      plan_(std::move(plan)) {}

Result<std::unique_ptr<S3StreamWriter>> S3StreamWriter::Open(const S3DestinationConfig& config,
                                                             std::shared_ptr<S3Client> client, S3StreamPlan plan) {
  std::unique_ptr<S3StreamWriter> w(new S3StreamWriter(config, std::move(client), std::move(plan)));
  Status listed = w->client_->ListAll(config.bucket, w->plan_.prefix, [&](const S3Object& o) {
    if (w->existing_.insert(o.key).second) w->existing_order_.push_back(o.key);
    return Status::Ok();
  });
  if (listed.ok()) {
    w->AbortEarlierUploads();
    return w;
  }
  w->MarkFinished();
  return listed.WithContext(fmt::format("stream '{}'", w->plan_.name));
}

void S3StreamWriter::AbortEarlierUploads() {
  // Only under the stream's own fixed prefix: with none (a path starting with a time or UUID
  // variable) the listing would be the whole bucket's, other writers' uploads included.
  if (plan_.prefix.empty()) return;
  PathTemplateValues any_run = plan_.path;
  any_run.varying_as_wildcard = true;
  auto base = ExpandS3ObjectPath(config_, any_run);
  auto name = S3FileNameGlob(config_);
  if (!base.ok() || !name.ok()) return;  // cannot happen: Begin expanded the same templates
  const std::string glob = *base + *name;
  auto uploads = client_->ListMultipartUploads(config_.bucket, plan_.prefix);
  if (!uploads.ok()) {  // some S3-compatible servers cannot list uploads: nothing to clean then
    Log(LogLevel::kWarn, "stream '{}': could not list the multipart uploads under s3://{}/{} to abort earlier attempts': {}",
        plan_.name, config_.bucket, plan_.prefix, uploads.status().ToString());
    return;
  }
  size_t aborted = 0;
  for (const S3MultipartUpload& u : *uploads) {
    // Started before this run began (this run's own start later) and named like this stream's files.
    if (u.initiated_micros >= plan_.path.sync_start_micros || !S3KeyMatchesGlob(glob, u.key)) continue;
    Status st = client_->AbortMultipartUpload(config_.bucket, u.key, u.upload_id);
    if (st.ok()) {
      ++aborted;
    } else {
      Log(LogLevel::kWarn, "stream '{}': could not abort the earlier upload of s3://{}/{}: {}", plan_.name,
          config_.bucket, u.key, st.ToString());
    }
  }
  if (aborted > 0) {
    Log(LogLevel::kInfo, "stream '{}': aborted {} multipart uploads left in progress under s3://{}/{} by earlier attempts",
        plan_.name, aborted, config_.bucket, plan_.prefix);
  }
}

Result<std::unique_ptr<OutputStream>> S3StreamWriter::OpenFile(uint64_t part) {
  std::string key;
  for (next_name_ = std::max(next_name_, part);; ++next_name_) {
    if (next_name_ > part + 100'000) {
      return Status::SystemError(fmt::format("no free object name under '{}' (file_name_pattern gives taken names)",
                                             plan_.key_base));
    }
    SLUICE_ASSIGN_OR_RETURN(std::string name, ExpandS3FileName(config_, next_name_, plan_.sync_id, NowMicros()));
    key = plan_.key_base + name;
    // Never over an existing object: an overwrite's old data must survive a failed run.
    if (existing_.count(key) == 0 && std::find(written_.begin(), written_.end(), key) == written_.end()) break;
  }
  ++next_name_;
  S3UploadOptions o;
  o.part_bytes = config_.part_bytes;
  o.max_parallel_parts = config_.upload_threads;
  o.put.content_type = "application/octet-stream";
  o.put.metadata = {{"ab-generation-id", std::to_string(plan_.generation_id)}};
  auto upload = std::make_unique<S3OutputStream>(client_, config_.bucket, key, std::move(o));
  upload_ = upload.get();
  upload_key_ = std::move(key);
  return std::unique_ptr<OutputStream>(std::move(upload));
}

Status S3StreamWriter::FileClosed() {
  written_.push_back(std::move(upload_key_));
  upload_ = nullptr;
  return Status::Ok();
}

// A row group was written out: send it now, while the next one is encoded.
Status S3StreamWriter::RowGroupWritten() { return upload_->SubmitBuffered(); }

Status S3StreamWriter::Complete(uint64_t rows) {
  if (plan_.mode == DestinationSyncMode::kOverwrite) {
    // The new generation is complete: now everything else under the prefix goes. Listed again
    // rather than taken from Open's listing: a run killed just after it asked S3 to complete an
    // upload leaves an object that may appear only after this run's Open listed the prefix (the
    // server finishes the request after its client died) — kept, it would duplicate the stream.
    // If the deletion fails the new data stays (it is complete) and the next overwrite deletes
    // the leftovers.
    std::unordered_set<std::string> ours(written_.begin(), written_.end());
    std::vector<std::string> old;
    Status listed = client_->ListAll(config_.bucket, plan_.prefix, [&](const S3Object& o) {
      if (ours.count(o.key) == 0) old.push_back(o.key);
      return Status::Ok();
    });
    if (!listed.ok()) return listed.WithContext("the new data is complete but the previous generation was not listed");
    if (!old.empty()) {
      Status st = client_->DeleteObjects(config_.bucket, old);
      if (!st.ok()) return st.WithContext("the new data is complete but objects of the previous generation remain");
      const size_t late = old.size() > existing_order_.size() ? old.size() - existing_order_.size() : 0;
      Log(LogLevel::kInfo, "stream '{}': deleted {} objects of the previous generation under s3://{}/{}{}", plan_.name,
          old.size(), config_.bucket, plan_.prefix,
          late > 0 ? fmt::format(" ({} appeared after this run began: a killed run's last upload)", late) : "");
    }
  }
  Log(LogLevel::kInfo, "stream '{}': {} rows in {} files under s3://{}/{}", plan_.name, rows, written_.size(),
      config_.bucket, plan_.prefix);
  return Status::Ok();
}

Status S3StreamWriter::Abandon() {
  Status first;
  if (upload_ != nullptr) {
    first = upload_->Abort();
    upload_ = nullptr;
  }
  if (plan_.mode == DestinationSyncMode::kOverwrite && !written_.empty()) {
    // The new generation is incomplete: remove it so the old one stays the only one.
    Status deleted = client_->DeleteObjects(config_.bucket, written_);
    if (first.ok()) first = deleted;
    if (deleted.ok()) written_.clear();
  }
  return first;
}

}  // namespace sluice
