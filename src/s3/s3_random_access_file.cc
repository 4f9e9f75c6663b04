#include "s3/s3_random_access_file.h"

#include <fmt/format.h>

namespace sluice {
namespace {

constexpr uint64_t kTailBytes = 64 << 10;

class S3RandomAccessFile final : public RandomAccessFile {
 public:
  S3RandomAccessFile(std::shared_ptr<S3Client> client, std::string bucket, std::string key,
                     std::optional<uint64_t> size)
      : client_(std::move(client)), bucket_(std::move(bucket)), key_(std::move(key)), name_(S3Uri(bucket_, key_)),
        size_(size) {}

  Result<uint64_t> Size() override {
    if (!size_) {
      SLUICE_ASSIGN_OR_RETURN(auto head, client_->HeadObject(bucket_, key_));
      if (!head) return Status::ConfigError(fmt::format("{}: the object does not exist", name_));
      size_ = head->size;
    }
    return *size_;
  }

  Status ReadAt(uint64_t offset, size_t length, std::string& out) override {
    SLUICE_ASSIGN_OR_RETURN(const uint64_t size, Size());
    if (offset > size || length > size - offset) {
      return Status::ConfigError(fmt::format("{}: read of {} bytes at {} is past the end ({} bytes): truncated file?",
                                             name_, length, offset, size));
    }
    const uint64_t tail_start = size > kTailBytes ? size - kTailBytes : 0;
    if (offset >= tail_start) {
      if (!tail_loaded_) {
        SLUICE_RETURN_IF_ERROR(client_->GetRange(bucket_, key_, tail_start, size - tail_start, tail_));
        if (tail_.size() != size - tail_start) return ShortRead(size);
        tail_loaded_ = true;
      }
      out.assign(tail_, static_cast<size_t>(offset - tail_start), length);
      return Status::Ok();
    }
    SLUICE_RETURN_IF_ERROR(client_->GetRange(bucket_, key_, offset, length, out));
    if (out.size() != length) return ShortRead(size);
    return Status::Ok();
  }

  const std::string& name() const override { return name_; }

 private:
  Status ShortRead(uint64_t size) const {
    return Status::ConfigError(
        fmt::format("{}: the object is shorter than its listed size of {} bytes (changed while read?)", name_, size));
  }

  std::shared_ptr<S3Client> client_;
  std::string bucket_, key_, name_;
  std::optional<uint64_t> size_;
  std::string tail_;
  bool tail_loaded_ = false;
};

}  // namespace

std::unique_ptr<RandomAccessFile> OpenS3RandomAccessFile(std::shared_ptr<S3Client> client, std::string bucket,
                                                         std::string key, std::optional<uint64_t> size) {
  return std::make_unique<S3RandomAccessFile>(std::move(client), std::move(bucket), std::move(key), size);
}

}  // namespace sluice
