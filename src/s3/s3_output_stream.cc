#include "s3/s3_output_stream.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "base/log.h"

namespace sluice {

namespace {
constexpr size_t kMinPartBytes = 5 << 20;  // S3's minimum for every part but the last
constexpr int kMaxParts = 10000;           // S3's part numbers: 1..10000
}  // namespace

S3OutputStream::S3OutputStream(std::shared_ptr<S3Client> client, std::string bucket, std::string key,
                               S3UploadOptions options)
    : client_(std::move(client)),
      bucket_(std::move(bucket)),
      key_(std::move(key)),
      name_(S3Uri(bucket_, key_)),
      options_(std::move(options)) {
  options_.part_bytes = std::max(options_.part_bytes, kMinPartBytes);
  options_.max_parallel_parts = std::max(1, options_.max_parallel_parts);
}

S3OutputStream::~S3OutputStream() {
  if (!closed_) {
    Status st = Abort();
    if (!st.ok()) Log(LogLevel::kWarn, "{}: cannot abort the unfinished upload: {}", name_, st.message());
  }
}

Status S3OutputStream::Write(std::string_view data) {
  if (!error_.ok()) return error_;
  if (closed_) return Status::SystemError(fmt::format("{}: write after Close", name_));
  bytes_ += data.size();
  while (!data.empty()) {
    if (current_.capacity() < options_.part_bytes) current_.reserve(options_.part_bytes);
    const size_t take = std::min(data.size(), options_.part_bytes - current_.size());
    current_.append(data.data(), take);
    data.remove_prefix(take);
    if (current_.size() >= options_.part_bytes) SLUICE_RETURN_IF_ERROR(SubmitPart());
  }
  return Status::Ok();
}

Status S3OutputStream::SubmitBuffered() {
  if (!error_.ok()) return error_;
  if (closed_ || current_.size() < kMinPartBytes || next_part_ > kMaxParts / 2) return Status::Ok();
  return SubmitPart();
}

Status S3OutputStream::SubmitPart() {
  if (upload_id_.empty()) {
    auto id = client_->CreateMultipartUpload(bucket_, key_, options_.put);
    if (!id.ok()) return Fail(id.status());
    upload_id_ = std::move(id).value();
  }
  if (next_part_ > kMaxParts) {
    return Fail(Status::SystemError(fmt::format("{}: more than 10000 parts; raise the part size", name_)));
  }
  // Parts that already finished free their buffers and report a failure now, so a failed part
  // stops the writer at its next part instead of at Close.
  CollectFinished();
  while (static_cast<int>(in_flight_.size()) >= options_.max_parallel_parts) CollectOne();
  if (!error_.ok()) return Fail(error_);

  const int number = next_part_++;
  std::string buffer = std::move(current_);
  current_.clear();
  if (!free_buffers_.empty()) {
    current_ = std::move(free_buffers_.back());
    free_buffers_.pop_back();
    current_.clear();
  }
  in_flight_.push_back(std::async(std::launch::async, [client = client_, bucket = bucket_, key = key_,
                                                       upload_id = upload_id_, number,
                                                       buffer = std::move(buffer)]() mutable {
    PartResult result;
    result.number = number;
    auto etag = client->UploadPart(bucket, key, upload_id, number, buffer);
    if (etag.ok()) {
      result.etag = std::move(etag).value();
    } else {
      result.status = etag.status();
    }
    result.buffer = std::move(buffer);
    return result;
  }));
  return Status::Ok();
}

void S3OutputStream::CollectOne() { Collect(in_flight_.begin()); }

void S3OutputStream::CollectFinished() {
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      it = Collect(it);
    } else {
      ++it;
    }
  }
}

std::deque<std::future<S3OutputStream::PartResult>>::iterator S3OutputStream::Collect(
    std::deque<std::future<PartResult>>::iterator it) {
  PartResult result = it->get();
  auto next = in_flight_.erase(it);
  if (!result.status.ok()) {
    if (error_.ok()) error_ = result.status;
  } else {
    parts_.push_back({result.number, std::move(result.etag)});
  }
  result.buffer.clear();
  free_buffers_.push_back(std::move(result.buffer));
  return next;
}

void S3OutputStream::CollectAll() {
  while (!in_flight_.empty()) CollectOne();
}

Status S3OutputStream::Fail(Status status) {
  if (error_.ok()) error_ = status;
  Status aborted = Abort();
  if (!aborted.ok()) Log(LogLevel::kWarn, "{}: cannot abort the failed upload: {}", name_, aborted.message());
  return error_;
}

Status S3OutputStream::Close() {
  if (!error_.ok()) return error_;
  if (closed_) return Status::Ok();
  if (upload_id_.empty()) {
    // Smaller than one part: one PUT.
    Status put = client_->PutObject(bucket_, key_, current_, options_.put);
    if (!put.ok()) return Fail(put);
    closed_ = true;
    current_ = std::string();
    free_buffers_.clear();
    return Status::Ok();
  }
  if (!current_.empty()) SLUICE_RETURN_IF_ERROR(SubmitPart());
  CollectAll();
  if (!error_.ok()) return Fail(error_);
  std::sort(parts_.begin(), parts_.end(),
            [](const S3CompletedPart& a, const S3CompletedPart& b) { return a.part_number < b.part_number; });
  Status completed = client_->CompleteMultipartUpload(bucket_, key_, upload_id_, parts_);
  if (!completed.ok()) return Fail(completed);
  closed_ = true;
  current_ = std::string();
  free_buffers_.clear();
  return Status::Ok();
}

Status S3OutputStream::Abort() {
  if (closed_) return Status::Ok();
  // Parts in flight finish (or fail) first, so none lands after the abort.
  while (!in_flight_.empty()) {
    in_flight_.front().wait();
    in_flight_.pop_front();
  }
  closed_ = true;
  current_ = std::string();
  free_buffers_.clear();
  if (upload_id_.empty()) return Status::Ok();
  return client_->AbortMultipartUpload(bucket_, key_, upload_id_);
}

}  // namespace sluice
