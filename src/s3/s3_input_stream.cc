#include "s3/s3_input_stream.h"

#include <algorithm>
#include <cstring>
#include <future>

namespace sluice {
namespace {

class S3InputStream final : public InputStream {
 public:
  S3InputStream(std::shared_ptr<S3Client> client, std::string bucket, std::string key, uint64_t size,
                size_t chunk_bytes)
      : client_(std::move(client)),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        name_(S3Uri(bucket_, key_)),
        size_(size),
        chunk_bytes_(std::max<size_t>(chunk_bytes, 64 << 10)) {}

  ~S3InputStream() override {
    if (next_.valid()) next_.wait();
  }

  Result<size_t> Read(char* buf, size_t n) override {
    if (!error_.ok()) return error_;
    while (pos_ >= chunk_.size()) {
      if (fetched_ >= size_ || done_) return size_t{0};
      if (!next_.valid()) Prefetch();
      Fetched f = next_.get();
      if (!f.status.ok()) {
        error_ = f.status;
        return error_;
      }
      chunk_ = std::move(f.data);
      pos_ = 0;
      fetched_ += chunk_.size();
      if (chunk_.size() < f.asked) done_ = true;  // the object is shorter than listed
      if (chunk_.empty()) return size_t{0};
      if (fetched_ < size_ && !done_) Prefetch();
    }
    const size_t take = std::min(n, chunk_.size() - pos_);
    std::memcpy(buf, chunk_.data() + pos_, take);
    pos_ += take;
    return take;
  }

  const std::string& name() const override { return name_; }

 private:
  struct Fetched {
    Status status;
    std::string data;
    size_t asked = 0;
  };

  void Prefetch() {
    const uint64_t offset = fetched_;
    const size_t length = static_cast<size_t>(std::min<uint64_t>(chunk_bytes_, size_ - offset));
    next_ = std::async(std::launch::async, [client = client_, bucket = bucket_, key = key_, offset, length] {
      Fetched f;
      f.asked = length;
      f.status = client->GetRange(bucket, key, offset, length, f.data);
      return f;
    });
  }

  std::shared_ptr<S3Client> client_;
  std::string bucket_;
  std::string key_;
  std::string name_;
  uint64_t size_;
  size_t chunk_bytes_;
  std::string chunk_;
  size_t pos_ = 0;
  uint64_t fetched_ = 0;  // bytes of the object in chunks taken so far
  bool done_ = false;
  std::future<Fetched> next_;
  Status error_;
};

}  // namespace

std::unique_ptr<InputStream> OpenS3InputStream(std::shared_ptr<S3Client> client, std::string bucket, std::string key,
                                               uint64_t size, size_t chunk_bytes) {
  return std::make_unique<S3InputStream>(std::move(client), std::move(bucket), std::move(key), size, chunk_bytes);
}

}  // namespace sluice
