#include "io/input_stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace sluice {

namespace {

constexpr size_t kCompressedChunk = 256 << 10;

std::string Quoted(const std::string& path) { return "'" + path + "'"; }

Status OpenError(const std::string& path, int err) {
  return Status::ConfigError("cannot open " + Quoted(path) + ": " + std::strerror(err));
}

Status ReadError(const std::string& path, int err) {
  return Status::ConfigError("cannot read " + Quoted(path) + ": " + std::strerror(err));
}

Status CorruptError(const std::string& path, std::string_view format, std::string_view why) {
  return Status::ConfigError("cannot read " + Quoted(path) + ": corrupt " + std::string(format) + " data (" +
                             std::string(why) + ")");
}

bool EndsWithNoCase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  s = s.substr(s.size() - suffix.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

constexpr std::string_view kGzipSuffixes[] = {".gz", ".gzip"};
constexpr std::string_view kZstdSuffixes[] = {".zst", ".zstd"};
constexpr std::string_view kCompressionSuffixes[] = {".gz", ".gzip", ".zst", ".zstd"};

class FileInputStream final : public InputStream {
 public:
  FileInputStream(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  ~FileInputStream() override { ::close(fd_); }

  Result<size_t> Read(char* buf, size_t n) override {
    while (true) {
      const ssize_t got = ::read(fd_, buf, n);
      if (got >= 0) return static_cast<size_t>(got);
      if (errno != EINTR) return ReadError(name_, errno);
    }
  }
  const std::string& name() const override { return name_; }

 private:
  int fd_;
  std::string name_;
};

class StringInputStream final : public InputStream {
 public:
  StringInputStream(std::string data, std::string name) : data_(std::move(data)), name_(std::move(name)) {}

  Result<size_t> Read(char* buf, size_t n) override {
    const size_t count = std::min(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, count);
    pos_ += count;
    return count;
  }
  const std::string& name() const override { return name_; }

 private:
  std::string data_;
  std::string name_;
  size_t pos_ = 0;
};

// Base of the decompressors: owns the compressed stream and a chunk of its bytes.
class CompressedStream : public InputStream {
 public:
  explicit CompressedStream(std::unique_ptr<InputStream> inner)
      : inner_(std::move(inner)), in_(new char[kCompressedChunk]) {}
  const std::string& name() const override { return inner_->name(); }

 protected:
  // Reads the next compressed chunk into in_; sets in_size_ (0 at end) and inner_eof_.
  Status FillInput() {
    in_size_ = 0;
    while (in_size_ == 0) {
      SLUICE_ASSIGN_OR_RETURN(const size_t got, inner_->Read(in_.get(), kCompressedChunk));
      if (got == 0) {
        inner_eof_ = true;
        break;
      }
      in_size_ = got;
    }
    return Status::Ok();
  }

  std::unique_ptr<InputStream> inner_;
  std::unique_ptr<char[]> in_;
  size_t in_size_ = 0;
  bool inner_eof_ = false;
  bool done_ = false;
};

class GzipInputStream final : public CompressedStream {
 public:
  explicit GzipInputStream(std::unique_ptr<InputStream> inner) : CompressedStream(std::move(inner)) {
    // 15 + 32: the largest window, gzip or zlib header detected automatically.
    init_status_ = inflateInit2(&z_, 15 + 32);
  }
  ~GzipInputStream() override {
    if (init_status_ == Z_OK) inflateEnd(&z_);
  }

  Result<size_t> Read(char* buf, size_t n) override {
    if (init_status_ != Z_OK) return Status::SystemError("zlib initialisation failed for " + Quoted(name()));
    if (done_ || n == 0) return size_t{0};
    z_.next_out = reinterpret_cast<Bytef*>(buf);
    z_.avail_out = static_cast<uInt>(std::min<size_t>(n, UINT32_MAX));
    const uInt out_size = z_.avail_out;
    while (z_.avail_out > 0) {
      if (z_.avail_in == 0 && !inner_eof_) {
        SLUICE_RETURN_IF_ERROR(FillInput());
        z_.next_in = reinterpret_cast<Bytef*>(in_.get());
        z_.avail_in = static_cast<uInt>(in_size_);
      }
      if (z_.avail_in == 0 && inner_eof_) {
        if (in_member_) return CorruptError(name(), "gzip", "unexpected end of data");
        done_ = true;
        break;
      }
      const uInt avail_in_before = z_.avail_in;
      const int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        // Concatenated members (as `cat a.gz b.gz` makes) form one stream.
        in_member_ = false;
        inflateReset(&z_);
        continue;
      }
      if (rc == Z_OK || rc == Z_BUF_ERROR) {
        if (z_.avail_in != avail_in_before) in_member_ = true;
        continue;
      }
      return CorruptError(name(), "gzip", z_.msg ? z_.msg : "inflate error " + std::to_string(rc));
    }
    return static_cast<size_t>(out_size - z_.avail_out);
  }

 private:
  z_stream z_{};
  int init_status_ = Z_OK;
  bool in_member_ = false;  // input of the current member has been consumed but its end not seen
};

class ZstdInputStream final : public CompressedStream {
 public:
  explicit ZstdInputStream(std::unique_ptr<InputStream> inner)
      : CompressedStream(std::move(inner)), dctx_(ZSTD_createDCtx()) {}
  ~ZstdInputStream() override { ZSTD_freeDCtx(dctx_); }

  Result<size_t> Read(char* buf, size_t n) override {
    if (dctx_ == nullptr) return Status::SystemError("zstd initialisation failed for " + Quoted(name()));
    if (done_ || n == 0) return size_t{0};
    ZSTD_outBuffer out{buf, n, 0};
    while (out.pos < out.size) {
      if (zin_.pos == zin_.size && !inner_eof_) {
        SLUICE_RETURN_IF_ERROR(FillInput());
        zin_ = ZSTD_inBuffer{in_.get(), in_size_, 0};
      }
      const size_t in_before = zin_.pos;
      const size_t out_before = out.pos;
      const size_t rc = ZSTD_decompressStream(dctx_, &out, &zin_);
      if (ZSTD_isError(rc)) return CorruptError(name(), "zstd", ZSTD_getErrorName(rc));
      const bool progress = zin_.pos != in_before || out.pos != out_before;
      if (progress) {
        in_frame_ = rc != 0;  // 0: a frame is complete and fully flushed
      } else if (zin_.pos == zin_.size && inner_eof_) {
        if (in_frame_) return CorruptError(name(), "zstd", "unexpected end of data");
        done_ = true;
        break;
      }
    }
    return out.pos;
  }

 private:
  ZSTD_DCtx* dctx_;
  ZSTD_inBuffer zin_{nullptr, 0, 0};
  bool in_frame_ = false;
};

}  // namespace

std::string_view CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kAuto: return "auto";
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
  }
  return "none";
}

Compression CompressionFromPath(std::string_view path) {
  for (auto s : kGzipSuffixes) {
    if (EndsWithNoCase(path, s)) return Compression::kGzip;
  }
  for (auto s : kZstdSuffixes) {
    if (EndsWithNoCase(path, s)) return Compression::kZstd;
  }
  return Compression::kNone;
}

std::string_view StripCompressionExtension(std::string_view path) {
  for (auto s : kCompressionSuffixes) {
    if (EndsWithNoCase(path, s)) return path.substr(0, path.size() - s.size());
  }
  return path;
}

std::unique_ptr<InputStream> MakeDecompressingStream(std::unique_ptr<InputStream> inner, Compression compression) {
  if (compression == Compression::kGzip) return std::make_unique<GzipInputStream>(std::move(inner));
  if (compression == Compression::kZstd) return std::make_unique<ZstdInputStream>(std::move(inner));
  return inner;
}

std::unique_ptr<InputStream> MakeStringInputStream(std::string data, std::string name) {
  return std::make_unique<StringInputStream>(std::move(data), std::move(name));
}

Result<std::unique_ptr<InputStream>> OpenInputFile(const std::string& path, Compression compression) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OpenError(path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return OpenError(path, err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return OpenError(path, EISDIR);
  }
  if (compression == Compression::kAuto) {
    compression = CompressionFromPath(path);
    unsigned char magic[4];
    // pread leaves the offset alone; a pipe cannot pread and keeps the extension's verdict.
    if (S_ISREG(st.st_mode) && ::pread(fd, magic, sizeof(magic), 0) == static_cast<ssize_t>(sizeof(magic))) {
      if (magic[0] == 0x1f && magic[1] == 0x8b) {
        compression = Compression::kGzip;
      } else if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) {
        compression = Compression::kZstd;
      }
    }
  }
  if (S_ISREG(st.st_mode)) (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::unique_ptr<InputStream> stream = std::make_unique<FileInputStream>(fd, path);
  return MakeDecompressingStream(std::move(stream), compression);
}

// ---- LineReader -----------------------------------------------------------------------------

LineReader::LineReader(std::unique_ptr<InputStream> input, size_t padding, size_t chunk_bytes)
    : input_(std::move(input)),
      padding_(padding),
      buffer_(new char[chunk_bytes + padding]),
      capacity_(chunk_bytes) {}

Status LineReader::Fill() {
  if (pos_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (end_ == capacity_) {
    // One line longer than the buffer: grow it.
    const size_t capacity = capacity_ * 2;
    std::unique_ptr<char[]> bigger(new char[capacity + padding_]);
    std::memcpy(bigger.get(), buffer_.get(), end_);
    buffer_ = std::move(bigger);
    capacity_ = capacity;
  }
  while (end_ < capacity_) {
    SLUICE_ASSIGN_OR_RETURN(const size_t got, input_->Read(buffer_.get() + end_, capacity_ - end_));
    if (got == 0) {
      eof_ = true;
      break;
    }
    end_ += got;
  }
  return Status::Ok();
}

Result<bool> LineReader::Next(std::string_view* line) {
  size_t scanned = pos_;  // bytes before this offset hold no '\n'
  while (true) {
    const char* base = buffer_.get();
    const void* nl = std::memchr(base + scanned, '\n', end_ - scanned);
    size_t stop;
    size_t next;
    if (nl != nullptr) {
      stop = static_cast<size_t>(static_cast<const char*>(nl) - base);
      next = stop + 1;
    } else if (eof_) {
      if (pos_ == end_) return false;
      stop = end_;
      next = end_;
    } else {
      const size_t unscanned = end_ - pos_;
      SLUICE_RETURN_IF_ERROR(Fill());
      scanned = unscanned;  // Fill moved the pending bytes to the front
      continue;
    }
    size_t len = stop - pos_;
    if (len > 0 && base[pos_ + len - 1] == '\r') --len;
    *line = std::string_view(base + pos_, len);
    pos_ = next;
    ++line_number_;
    return true;
  }
}

}  // namespace sluice
