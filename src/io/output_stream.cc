#include "io/output_stream.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace sluice {

Status FileErrorStatus(std::string_view action, const std::string& path, int err) {
  std::string message = fmt::format("{} '{}': {}", action, path, std::strerror(err));
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      // Not the config's fault, and nothing is lost: committed data and state stay as they were
      // (tests/e2e/test_disk_full.py), so a run after space is freed resumes. Transient: the
      // server retries it with backoff; the CLI exits 3.
      return Status::TransientError(message + " (the disk is full: free space and run again)");
    case EACCES:
    case EPERM:
    case EROFS:
    case ENOENT:
    case ENOTDIR:
    case EISDIR:
    case EEXIST:
    case ENAMETOOLONG:
      return Status::ConfigError(std::move(message));
    default:
      return Status::SystemError(std::move(message));
  }
}

namespace {

// An unbuffered file: callers hand over large chunks.
class FileOutputStream final : public OutputStream {
 public:
  FileOutputStream(int fd, std::string name, bool sync) : fd_(fd), name_(std::move(name)), sync_(sync) {}
  ~FileOutputStream() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Write(std::string_view data) override {
    if (fd_ < 0) return Status::SystemError(fmt::format("write to '{}' after close", name_));
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return FileErrorStatus("cannot write", name_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      bytes_ += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    const int fd = fd_;
    fd_ = -1;
    if (sync_ && ::fsync(fd) != 0) {
      const int err = errno;
      ::close(fd);
      return FileErrorStatus("cannot sync", name_, err);
    }
    // close() reports deferred write errors on some file systems (NFS).
    if (::close(fd) != 0 && errno != EINTR) return FileErrorStatus("cannot close", name_, errno);
    return Status::Ok();
  }

  uint64_t bytes_written() const override { return bytes_; }
  const std::string& name() const override { return name_; }

 private:
  int fd_;
  std::string name_;
  bool sync_;
  uint64_t bytes_ = 0;
};

class GzipOutputStream final : public OutputStream {
 public:
  GzipOutputStream(std::unique_ptr<OutputStream> inner, int level) : inner_(std::move(inner)), out_(kOutBytes) {
    std::memset(&z_, 0, sizeof(z_));
    // 15 + 16: a gzip header and trailer around the deflate stream.
    init_ = deflateInit2(&z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    z_.next_out = reinterpret_cast<Bytef*>(out_.data());
    z_.avail_out = static_cast<uInt>(kOutBytes);
  }
  ~GzipOutputStream() override {
    if (init_ == Z_OK) deflateEnd(&z_);
  }

  Status Write(std::string_view data) override {
    if (init_ != Z_OK) return Status::SystemError(fmt::format("cannot start gzip compression of '{}'", name()));
    if (closed_) return Status::SystemError(fmt::format("write to '{}' after close", name()));
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z_.avail_in = static_cast<uInt>(data.size());  // callers write far less than 4 GB at once
    while (z_.avail_in > 0) {
      if (z_.avail_out == 0) SLUICE_RETURN_IF_ERROR(Drain());
      if (deflate(&z_, Z_NO_FLUSH) == Z_STREAM_ERROR) {
        return Status::SystemError(fmt::format("gzip compression of '{}' failed", name()));
      }
    }
    return Status::Ok();
  }

  Status Close() override {
    if (closed_) return Status::Ok();
    closed_ = true;
    if (init_ != Z_OK) return Status::SystemError(fmt::format("cannot start gzip compression of '{}'", name()));
    z_.next_in = nullptr;
    z_.avail_in = 0;
    for (;;) {
      if (z_.avail_out == 0) SLUICE_RETURN_IF_ERROR(Drain());
      const int rc = deflate(&z_, Z_FINISH);
      if (rc == Z_STREAM_END) break;
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return Status::SystemError(fmt::format("gzip compression of '{}' failed", name()));
      }
    }
    SLUICE_RETURN_IF_ERROR(Drain());
    return inner_->Close();
  }

  uint64_t bytes_written() const override { return inner_->bytes_written(); }
  const std::string& name() const override { return inner_->name(); }

 private:
  static constexpr size_t kOutBytes = 256 << 10;

  // Hands the compressed bytes produced so far to the inner stream and resets the out buffer.
  Status Drain() {
    const size_t n = kOutBytes - z_.avail_out;
    if (n > 0) SLUICE_RETURN_IF_ERROR(inner_->Write(std::string_view(out_.data(), n)));
    z_.next_out = reinterpret_cast<Bytef*>(out_.data());
    z_.avail_out = static_cast<uInt>(kOutBytes);
    return Status::Ok();
  }

  std::unique_ptr<OutputStream> inner_;
  std::vector<char> out_;
  z_stream z_;
  int init_ = Z_STREAM_ERROR;
  bool closed_ = false;
};

class StringOutputStream final : public OutputStream {
 public:
  StringOutputStream(std::string* out, std::string name) : out_(out), name_(std::move(name)) {}
  Status Write(std::string_view data) override {
    out_->append(data);
    bytes_ += data.size();
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }
  uint64_t bytes_written() const override { return bytes_; }
  const std::string& name() const override { return name_; }

 private:
  std::string* out_;
  std::string name_;
  uint64_t bytes_ = 0;
};

}  // namespace

Result<std::unique_ptr<OutputStream>> OpenOutputFile(const std::string& path, OutputFileOptions options) {
  if (options.compression != Compression::kNone && options.compression != Compression::kGzip) {
    return Status::SystemError(
        fmt::format("cannot write '{}': unsupported output compression {}", path, CompressionName(options.compression)));
  }
  int fd;
  do {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return FileErrorStatus("cannot create", path, errno);
  std::unique_ptr<OutputStream> file = std::make_unique<FileOutputStream>(fd, path, options.sync);
  if (options.compression == Compression::kGzip) return MakeGzipOutputStream(std::move(file), options.gzip_level);
  return file;
}

std::unique_ptr<OutputStream> MakeGzipOutputStream(std::unique_ptr<OutputStream> inner, int level) {
  return std::make_unique<GzipOutputStream>(std::move(inner), level);
}

std::unique_ptr<OutputStream> MakeStringOutputStream(std::string* out, std::string name) {
  return std::make_unique<StringOutputStream>(out, std::move(name));
}

}  // namespace sluice
