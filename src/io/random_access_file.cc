#include "io/random_access_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "io/output_stream.h"  // FileErrorStatus

namespace sluice {

namespace {

class LocalRandomAccessFile final : public RandomAccessFile {
 public:
  LocalRandomAccessFile(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  ~LocalRandomAccessFile() override { ::close(fd_); }

  Result<uint64_t> Size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return FileErrorStatus("cannot stat", name_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Status ReadAt(uint64_t offset, size_t length, std::string& out) override {
    out.resize(length);
    size_t done = 0;
    while (done < length) {
      const ssize_t n = ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return FileErrorStatus("cannot read", name_, errno);
      }
      if (n == 0) {
        return Status::ConfigError(
            fmt::format("file {}: unexpected end of file reading {} bytes at offset {}", name_, length, offset));
      }
      done += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  const std::string& name() const override { return name_; }

 private:
  int fd_;
  std::string name_;
};

class StringRandomAccessFile final : public RandomAccessFile {
 public:
  StringRandomAccessFile(std::string data, std::string name) : data_(std::move(data)), name_(std::move(name)) {}
  Result<uint64_t> Size() override { return static_cast<uint64_t>(data_.size()); }
  Status ReadAt(uint64_t offset, size_t length, std::string& out) override {
    if (offset > data_.size() || length > data_.size() - offset) {
      return Status::ConfigError(
          fmt::format("file {}: unexpected end of file reading {} bytes at offset {}", name_, length, offset));
    }
    out.assign(data_.data() + offset, length);
    return Status::Ok();
  }
  const std::string& name() const override { return name_; }

 private:
  std::string data_;
  std::string name_;
};

}  // namespace

Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccessFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileErrorStatus("cannot open", path, errno);
  return std::unique_ptr<RandomAccessFile>(new LocalRandomAccessFile(fd, path));
}

std::unique_ptr<RandomAccessFile> MakeStringRandomAccessFile(std::string data, std::string name) {
  return std::make_unique<StringRandomAccessFile>(std::move(data), std::move(name));
}

}  // namespace sluice
