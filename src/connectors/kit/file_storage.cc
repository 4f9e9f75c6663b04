#include "connectors/kit/file_storage.h"

#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "io/output_stream.h"  // FileErrorStatus
#include "s3/s3_input_stream.h"
#include "s3/s3_random_access_file.h"

namespace sluice {
namespace {

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

std::string EnvOr(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

// ---- Decompression chosen by magic bytes, for streams that cannot be reopened ----------------

//! Hands out `prefix` first, then the rest of `inner`.
class ReplayStream final : public InputStream {
 public:
  ReplayStream(std::string prefix, std::unique_ptr<InputStream> inner)
      : prefix_(std::move(prefix)), inner_(std::move(inner)) {}

  Result<size_t> Read(char* buf, size_t n) override {
    if (pos_ < prefix_.size()) {
      const size_t k = std::min(n, prefix_.size() - pos_);
      std::memcpy(buf, prefix_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    return inner_->Read(buf, n);
  }
  const std::string& name() const override { return inner_->name(); }

 private:
  std::string prefix_;
  size_t pos_ = 0;
  std::unique_ptr<InputStream> inner_;
};

//! Wraps `inner` in a decompressor when its first bytes are gzip's or zstd's magic; a name ending
//! in .gz/.zst whose content lacks the magic is an error, as for local files.
Result<std::unique_ptr<InputStream>> Decompressed(std::unique_ptr<InputStream> inner, std::string_view file_name) {
  std::string head(4, '\0');
  size_t got = 0;
  while (got < head.size()) {
    SLUICE_ASSIGN_OR_RETURN(const size_t n, inner->Read(head.data() + got, head.size() - got));
    if (n == 0) break;
    got += n;
  }
  head.resize(got);
  Compression compression = Compression::kNone;
  if (got >= 2 && static_cast<uint8_t>(head[0]) == 0x1f && static_cast<uint8_t>(head[1]) == 0x8b) {
    compression = Compression::kGzip;
  } else if (got >= 4 && head == std::string_view("\x28\xb5\x2f\xfd", 4)) {
    compression = Compression::kZstd;
  }
  const Compression named = CompressionFromPath(file_name);
  if (compression == Compression::kNone && named != Compression::kNone && got > 0) {
    return Status::ConfigError(
        fmt::format("'{}' is not {} data, though its name says so", inner->name(), CompressionName(named)));
  }
  auto replay = std::make_unique<ReplayStream>(std::move(head), std::move(inner));
  if (compression == Compression::kNone) return std::unique_ptr<InputStream>(std::move(replay));
  return MakeDecompressingStream(std::move(replay), compression);
}

// ---- Local files -----------------------------------------------------------------------------

//! Size and modification time of a regular file; false for anything else (folders, missing).
bool StatFile(const std::string& path, FileInfo& file) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  file.path = path;
  file.size = static_cast<uint64_t>(st.st_size);
  file.last_modified_micros = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000;
  return true;
}

class LocalFileStorage final : public FileStorage {
 public:
  Result<std::vector<FileInfo>> Glob(const std::string& pattern) override {
    glob_t g{};
    const int rc = ::glob(pattern.c_str(), GLOB_MARK, nullptr, &g);
    std::vector<FileInfo> files;
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        const std::string path = g.gl_pathv[i];
        if (path.empty() || path.back() == '/') continue;  // GLOB_MARK: folders end in '/'
        FileInfo file;
        if (!StatFile(path, file)) file.path = path;  // gone since, or special: Open tells
        files.push_back(std::move(file));
      }
    }
    globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH) return Status::ConfigError("cannot expand glob '" + pattern + "'");
    return files;  // glob(3) sorts
  }

  Status List(const std::string& prefix, const std::function<Status(const FileInfo&)>& each) override {
    namespace fs = std::filesystem;
    const size_t slash = prefix.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : prefix.substr(0, slash + 1);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return Status::Ok();  // nothing under it
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    if (ec) return FileErrorStatus("cannot list", dir, ec.value());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) return FileErrorStatus("cannot list", dir, ec.value());
      std::string path = it->path().string();
      if (slash == std::string::npos && path.starts_with("./") && !prefix.starts_with("./")) path.erase(0, 2);
      FileInfo file;
      if (!path.starts_with(prefix) || !StatFile(path, file)) continue;
      SLUICE_RETURN_IF_ERROR(each(file));
    }
    return Status::Ok();
  }

  Result<std::unique_ptr<InputStream>> Open(const std::string& path) override { return OpenInputFile(path); }

  Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& path) override {
    return OpenRandomAccessFile(path);
  }
};

// ---- S3 ----------------------------------------------------------------------------------------

struct S3Location {
  std::string bucket;
  std::string key;
};

Result<S3Location> ParseS3Url(std::string_view url) {
  std::string_view rest = url.substr(5);  // after "s3://"
  const size_t slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == rest.size()) {
    return Status::ConfigError(fmt::format("'{}' is not an S3 object URL (s3://bucket/key)", url));
  }
  return S3Location{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

class S3FileStorage final : public FileStorage {
 public:
  explicit S3FileStorage(std::shared_ptr<S3Client> client) : client_(std::move(client)) {}

  Result<std::vector<FileInfo>> Glob(const std::string& pattern) override {
    SLUICE_ASSIGN_OR_RETURN(const S3Location at, ParseS3Url(pattern));
    const std::string prefix = at.key.substr(0, at.key.find_first_of("*?["));
    std::vector<FileInfo> files;
    Status listed = ListKeys(at.bucket, prefix, [&](const FileInfo& file, std::string_view key) {
      if (fnmatch(at.key.c_str(), std::string(key).c_str(), FNM_PATHNAME) == 0) files.push_back(file);
      return Status::Ok();
    });
    if (!listed.ok()) return listed.WithContext("glob '" + pattern + "'");
    std::sort(files.begin(), files.end(), [](const FileInfo& a, const FileInfo& b) { return a.path < b.path; });
    return files;
  }

  Status List(const std::string& prefix, const std::function<Status(const FileInfo&)>& each) override {
    const std::string_view rest = StartsWithNoCase(prefix, "s3://") ? std::string_view(prefix).substr(5) : "";
    const size_t slash = rest.find('/');
    if (rest.empty() || slash == 0) {
      return Status::ConfigError(fmt::format("'{}' is not an S3 prefix (s3://bucket/prefix)", prefix));
    }
    const std::string bucket(rest.substr(0, slash));
    const std::string key_prefix(slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1));
    return ListKeys(bucket, key_prefix, [&](const FileInfo& file, std::string_view) { return each(file); });
  }

  Result<std::unique_ptr<InputStream>> Open(const std::string& file) override {
    SLUICE_ASSIGN_OR_RETURN(const S3Location at, ParseS3Url(file));
    SLUICE_ASSIGN_OR_RETURN(const uint64_t size, Size(file, at));
    return Decompressed(OpenS3InputStream(client_, at.bucket, at.key, size), at.key);
  }

  Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& file) override {
    SLUICE_ASSIGN_OR_RETURN(const S3Location at, ParseS3Url(file));
    SLUICE_ASSIGN_OR_RETURN(const uint64_t size, Size(file, at));
    return OpenS3RandomAccessFile(client_, at.bucket, at.key, size);
  }

 private:
  //! Lists objects (not folder markers) under `prefix`, remembering their sizes.
  Status ListKeys(const std::string& bucket, const std::string& prefix,
                  const std::function<Status(const FileInfo&, std::string_view key)>& each) {
    return client_->ListAll(bucket, prefix, [&](const S3Object& object) {
      if (object.key.empty() || object.key.back() == '/') return Status::Ok();
      FileInfo file{S3Uri(bucket, object.key), object.size, object.last_modified_micros};
      sizes_[file.path] = object.size;
      return each(file, object.key);
    });
  }

  //! The object's size, from the listing or a HEAD request (which also tells a missing object).
  Result<uint64_t> Size(const std::string& file, const S3Location& at) {
    auto it = sizes_.find(file);
    if (it != sizes_.end()) return it->second;
    SLUICE_ASSIGN_OR_RETURN(const std::optional<S3Object> head, client_->HeadObject(at.bucket, at.key));
    if (!head) {
      SLUICE_RETURN_IF_ERROR(client_->CheckBucket(at.bucket));  // names a missing bucket
      return Status::ConfigError(fmt::format("{} does not exist", file));
    }
    sizes_[file] = head->size;
    return head->size;
  }

  std::shared_ptr<S3Client> client_;
  std::map<std::string, uint64_t> sizes_;
};

// ---- HTTP(S) -----------------------------------------------------------------------------------

//! A spooled download: an unlinked temporary file read with pread.
class SpooledFile final : public RandomAccessFile {
 public:
  SpooledFile(int fd, uint64_t size, std::string name) : fd_(fd), size_(size), name_(std::move(name)) {}
  ~SpooledFile() override { ::close(fd_); }

  Result<uint64_t> Size() override { return size_; }

  Status ReadAt(uint64_t offset, size_t length, std::string& out) override {
    if (offset > size_ || length > size_ - offset) {
      return Status::ConfigError(fmt::format("{}: read past the end ({} bytes at {} of {})", name_, length, offset, size_));
    }
    out.resize(length);
    size_t done = 0;
    while (done < length) {
      const ssize_t n = ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
      if (n <= 0) return Status::SystemError(fmt::format("{}: cannot read the spooled copy: {}", name_, strerror(errno)));
      done += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  const std::string& name() const override { return name_; }

 private:
  int fd_;
  uint64_t size_;
  std::string name_;
};

class HttpFileStorage final : public FileStorage {
 public:
  explicit HttpFileStorage(HttpGetOptions options) : options_(std::move(options)) {}

  Result<std::vector<FileInfo>> Glob(const std::string& pattern) override {
    return Status::ConfigError(
        fmt::format("'{}': HTTP(S) URLs cannot be globs (a server cannot list files)", RedactedUrl(pattern)));
  }

  Status List(const std::string& prefix, const std::function<Status(const FileInfo&)>&) override {
    return Status::ConfigError(fmt::format("'{}': a web server cannot list files", RedactedUrl(prefix)));
  }

  Result<std::unique_ptr<InputStream>> Open(const std::string& file) override {
    SLUICE_ASSIGN_OR_RETURN(auto in, OpenHttpInputStream(file, options_));
    return Decompressed(std::move(in), FileNameOf(file));
  }

  Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& file) override {
    SLUICE_ASSIGN_OR_RETURN(auto in, OpenHttpInputStream(file, options_));
    std::string dir = EnvOr("TMPDIR");
    if (dir.empty()) dir = "/tmp";
    std::string path = dir + "/sluice-download-XXXXXX";
    const int fd = ::mkstemp(path.data());
    if (fd < 0) return Status::SystemError(fmt::format("cannot create a temporary file in {}: {}", dir, strerror(errno)));
    ::unlink(path.c_str());  // gone when closed, also after a crash
    struct FdGuard {
      int fd;
      ~FdGuard() {
        if (fd >= 0) ::close(fd);
      }
    } guard{fd};
    std::string buffer(size_t{1} << 20, '\0');
    uint64_t size = 0;
    for (;;) {
      SLUICE_ASSIGN_OR_RETURN(const size_t n, in->Read(buffer.data(), buffer.size()));
      if (n == 0) break;
      for (size_t done = 0; done < n;) {
        const ssize_t w = ::write(fd, buffer.data() + done, n - done);
        if (w < 0) {
          return Status::SystemError(fmt::format("cannot spool {} to {}: {}", in->name(), dir, strerror(errno)));
        }
        done += static_cast<size_t>(w);
      }
      size += n;
    }
    auto file_out = std::make_unique<SpooledFile>(fd, size, in->name());
    guard.fd = -1;
    return std::unique_ptr<RandomAccessFile>(std::move(file_out));
  }

 private:
  HttpGetOptions options_;
};

}  // namespace

std::unique_ptr<FileStorage> MakeLocalFileStorage() { return std::make_unique<LocalFileStorage>(); }

std::unique_ptr<FileStorage> MakeS3FileStorage(std::shared_ptr<S3Client> client) {
  return std::make_unique<S3FileStorage>(std::move(client));
}

std::unique_ptr<FileStorage> MakeHttpFileStorage(HttpGetOptions options) {
  return std::make_unique<HttpFileStorage>(std::move(options));
}

void ApplyS3Environment(S3ClientOptions& options) {
  if (options.credentials.empty()) options.credentials = CredentialsFromEnvironment();
  if (options.endpoint.empty()) options.endpoint = EnvOr("AWS_ENDPOINT_URL_S3");
  if (options.endpoint.empty()) options.endpoint = EnvOr("AWS_ENDPOINT_URL");
  if (options.region.empty()) options.region = EnvOr("AWS_REGION");
  if (options.region.empty()) options.region = EnvOr("AWS_DEFAULT_REGION");
  if (options.region.empty()) options.region = "us-east-1";
}

FileScheme SchemeOf(std::string_view location) {
  if (StartsWithNoCase(location, "s3://")) return FileScheme::kS3;
  if (StartsWithNoCase(location, "http://") || StartsWithNoCase(location, "https://")) return FileScheme::kHttp;
  return FileScheme::kLocal;
}

std::string_view FileNameOf(std::string_view location) {
  if (SchemeOf(location) != FileScheme::kHttp) return location;
  const size_t end = location.find_first_of("?#");
  return end == std::string_view::npos ? location : location.substr(0, end);
}

}  // namespace sluice
