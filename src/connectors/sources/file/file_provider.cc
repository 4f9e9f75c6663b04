#include "connectors/sources/file/file_store.h"

#include <fnmatch.h>
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "s3/http_input_stream.h"
#include "s3/s3_client.h"
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

class LocalFileStore final : public FileStore {
 public:
  Result<std::vector<std::string>> Glob(const std::string& pattern) override {
    glob_t g{};
    const int rc = ::glob(pattern.c_str(), GLOB_MARK, nullptr, &g);
    std::vector<std::string> files;
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        std::string path = g.gl_pathv[i];
        if (!path.empty() && path.back() != '/') files.push_back(std::move(path));  // GLOB_MARK: dirs end in '/'
      }
    }
    globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH) return Status::ConfigError("cannot expand glob '" + pattern + "'");
    return files;
  }

  Result<std::unique_ptr<InputStream>> Open(const std::string& file) override { return OpenInputFile(file); }

  Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& file) override {
    return OpenRandomAccessFile(file);
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

class S3FileStore final : public FileStore {
 public:
  explicit S3FileStore(std::shared_ptr<S3Client> client) : client_(std::move(client)) {}

  Result<std::vector<std::string>> Glob(const std::string& pattern) override {
    SLUICE_ASSIGN_OR_RETURN(const S3Location at, ParseS3Url(pattern));
    const std::string prefix = at.key.substr(0, at.key.find_first_of("*?["));
    std::vector<std::string> files;
    Status listed = client_->ListAll(at.bucket, prefix, [&](const S3Object& object) {
      if (!object.key.ends_with('/') && fnmatch(at.key.c_str(), object.key.c_str(), FNM_PATHNAME) == 0) {
        std::string url = S3Uri(at.bucket, object.key);
        sizes_[url] = object.size;
        files.push_back(std::move(url));
      }
      return Status::Ok();
    });
    if (!listed.ok()) return listed.WithContext("glob '" + pattern + "'");
    std::sort(files.begin(), files.end());
    return files;
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

class HttpFileStore final : public FileStore {
 public:
  explicit HttpFileStore(HttpGetOptions options) : options_(std::move(options)) {}

  Result<std::vector<std::string>> Glob(const std::string& pattern) override {
    return Status::ConfigError(
        fmt::format("'{}': HTTP(S) URLs cannot be globs (a server cannot list files)", RedactedUrl(pattern)));
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

Json FileProviderSpecJson() {
  return Json::parse(R"json({
  "title": "Storage provider",
  "description": "Where URLs point and how to reach them (Airbyte source-file's provider block). Default: local paths; s3:// URLs with the AWS environment variables; https:// URLs trusting the system CAs.",
  "type": "object",
  "required": ["storage"],
  "additionalProperties": false,
  "properties": {
    "storage": {"title": "Storage", "description": "S3 for s3://bucket/key URLs, HTTPS for http(s):// URLs, local for paths.", "type": "string", "enum": ["local", "S3", "HTTPS"]},
    "aws_access_key_id": {"title": "Access key id", "description": "S3: the key id; empty: AWS_ACCESS_KEY_ID, else unsigned requests (public buckets).", "type": "string"},
    "aws_secret_access_key": {"title": "Secret access key", "description": "S3: the secret; empty: AWS_SECRET_ACCESS_KEY.", "type": "string", "airbyte_secret": true},
    "endpoint": {"title": "Endpoint", "description": "S3: a custom endpoint such as http://minio:9000 (path-style addressing). Default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS.", "type": "string"},
    "region": {"title": "Region", "description": "S3: the bucket's region. Default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1.", "type": "string"},
    "ca_certificate": {"title": "CA certificate", "description": "HTTPS: a PEM certificate (or bundle) trusted instead of the system CAs, e.g. for a private CA or a self-signed server.", "type": "string", "multiline": true},
    "user_agent": {"title": "Browser User-Agent", "description": "HTTPS: send a browser-like User-Agent header; some servers refuse other clients.", "type": "boolean", "default": false}
  }
})json");
}

Result<FileProvider> ParseFileProvider(const Json& j, const std::string& where) {
  if (!j.is_object()) return Status::ConfigError(where + " must be an object");
  FileProvider p;
  if (!j.contains("storage") || !j["storage"].is_string()) {
    return Status::ConfigError(where + ".storage is required (S3, HTTPS or local)");
  }
  const std::string storage = j["storage"].get<std::string>();
  if (storage == "S3") {
    p.storage = FileProvider::Storage::kS3;
  } else if (storage == "HTTPS") {
    p.storage = FileProvider::Storage::kHttps;
  } else if (storage == "local") {
    p.storage = FileProvider::Storage::kLocal;
  } else {
    return Status::ConfigError(where + ".storage must be S3, HTTPS or local, got '" + storage + "'");
  }
  for (const auto& [key, value] : j.items()) {
    const std::string at = where + "." + key;
    if (key == "storage") continue;
    const bool s3_key = key == "aws_access_key_id" || key == "aws_secret_access_key" || key == "endpoint" ||
                        key == "region";
    const bool https_key = key == "ca_certificate" || key == "user_agent";
    if (!s3_key && !https_key) return Status::ConfigError(at + " is not a provider option");
    if ((s3_key && p.storage != FileProvider::Storage::kS3) ||
        (https_key && p.storage != FileProvider::Storage::kHttps)) {
      // Defaults filled in from the spec (false, "") are harmless; a real value is a mistake.
      const bool unset = value.is_null() || value == false || value == "";
      if (unset) continue;
      return Status::ConfigError(at + " does not apply to storage " + storage);
    }
    if (key == "user_agent") {
      if (!value.is_boolean()) return Status::ConfigError(at + " must be true or false");
      p.user_agent = value.get<bool>();
      continue;
    }
    if (!value.is_string()) return Status::ConfigError(at + " must be a string");
    const std::string v = value.get<std::string>();
    if (key == "aws_access_key_id") p.aws_access_key_id = v;
    if (key == "aws_secret_access_key") p.aws_secret_access_key = v;
    if (key == "endpoint") p.endpoint = v;
    if (key == "region") p.region = v;
    if (key == "ca_certificate") {
      if (!v.empty() && v.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
        return Status::ConfigError(at + " must be PEM text (-----BEGIN CERTIFICATE----- ...)");
      }
      p.ca_certificate = v;
    }
  }
  if (p.aws_access_key_id.empty() != p.aws_secret_access_key.empty()) {
    return Status::ConfigError(where + ": give both aws_access_key_id and aws_secret_access_key, or neither");
  }
  return p;
}

bool ProviderServes(const FileProvider& provider, FileScheme scheme) {
  switch (provider.storage) {
    case FileProvider::Storage::kLocal: return scheme == FileScheme::kLocal;
    case FileProvider::Storage::kS3: return scheme == FileScheme::kS3;
    case FileProvider::Storage::kHttps: return scheme == FileScheme::kHttp;
  }
  return false;
}

Result<std::unique_ptr<FileStore>> MakeFileStore(FileScheme scheme, const FileProvider& provider) {
  switch (scheme) {
    case FileScheme::kLocal: return std::unique_ptr<FileStore>(std::make_unique<LocalFileStore>());
    case FileScheme::kS3: {
      S3ClientOptions options;
      const bool own = provider.storage == FileProvider::Storage::kS3;
      options.credentials.access_key_id = own ? provider.aws_access_key_id : "";
      options.credentials.secret_access_key = own ? provider.aws_secret_access_key : "";
      if (options.credentials.empty()) options.credentials = CredentialsFromEnvironment();
      options.endpoint = own ? provider.endpoint : "";
      if (options.endpoint.empty()) options.endpoint = EnvOr("AWS_ENDPOINT_URL_S3");
      if (options.endpoint.empty()) options.endpoint = EnvOr("AWS_ENDPOINT_URL");
      options.region = own ? provider.region : "";
      if (options.region.empty()) options.region = EnvOr("AWS_REGION");
      if (options.region.empty()) options.region = EnvOr("AWS_DEFAULT_REGION");
      if (options.region.empty()) options.region = "us-east-1";
      SLUICE_ASSIGN_OR_RETURN(auto client, S3Client::Make(std::move(options)));
      return std::unique_ptr<FileStore>(std::make_unique<S3FileStore>(std::shared_ptr<S3Client>(std::move(client))));
    }
    case FileScheme::kHttp: {
      HttpGetOptions options;
      if (provider.storage == FileProvider::Storage::kHttps) {
        options.ca_certificate_pem = provider.ca_certificate;
        if (provider.user_agent) {
          options.headers.push_back(
              {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"});
        }
      }
      if (options.headers.empty()) options.headers.push_back({"User-Agent", "sluice"});
      return std::unique_ptr<FileStore>(std::make_unique<HttpFileStore>(std::move(options)));
    }
  }
  return Status::SystemError("unknown file scheme");
}

}  // namespace sluice
