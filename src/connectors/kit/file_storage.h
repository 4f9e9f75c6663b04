#pragma once
// FileStorage: where a file-based source's files live — local paths, s3://bucket/key objects or
// http(s):// URLs. A storage lists files with their size and modification time and opens one
// for sequential reading (CSV, JSONL; decompressed) or random access (Parquet). This is the
// "list" and "open" half of Airbyte's file-based CDK; the readers in file_record_reader.h are
// the other half. The connector builds the storage from its own config (credentials, CA).
//
// Paths and URLs are the storage's names for files: local storage takes paths, S3 storage
// s3://bucket/key URLs, HTTP storage http(s):// URLs. Errors name the file or URL, never
// credentials: a missing file is a ConfigError, an unreachable server a TransientError.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "io/input_stream.h"
#include "io/random_access_file.h"
#include "s3/http_input_stream.h"
#include "s3/s3_client.h"

namespace sluice {

//! One file as a listing saw it.
struct FileInfo {
  std::string path;                          //!< local path or URL, as the storage names it
  std::optional<uint64_t> size;              //!< bytes (compressed), when known
  int64_t last_modified_micros = 0;          //!< µs since the epoch, UTC; 0 when unknown
};

//! The files of one source. Not thread-safe: one storage per reading thread.
class FileStorage {
 public:
  virtual ~FileStorage() = default;
  //! The files `pattern` matches (glob(3) syntax: * ? [..] within one path segment), sorted by
  //! path; empty when none. S3 lists from the pattern's literal prefix. HTTP cannot list:
  //! ConfigError.
  virtual Result<std::vector<FileInfo>> Glob(const std::string& pattern) = 0;
  //! Calls `each` for every file whose path starts with `prefix` (S3: keys with that prefix;
  //! local: files below the prefix's folder, recursively), in no particular order; folders and
  //! S3 folder markers are left out. Stops at the first error `each` returns.
  virtual Status List(const std::string& prefix, const std::function<Status(const FileInfo&)>& each) = 0;
  //! Opens `path` for sequential reading, decompressed (gzip/zstd by magic bytes; a .gz/.zst
  //! name without them is a ConfigError). The stream's name() is `path`.
  virtual Result<std::unique_ptr<InputStream>> Open(const std::string& path) = 0;
  //! Opens `path` for random access (Parquet): S3 objects by ranged GETs, HTTP(S) downloads
  //! spooled to an unlinked temporary file first.
  virtual Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& path) = 0;
};

//! Paths on this machine.
std::unique_ptr<FileStorage> MakeLocalFileStorage();
//! s3://bucket/key objects read through `client` (shared: the caller may use it too, e.g. to
//! check a bucket). Sizes seen by Glob/List save a HEAD request at Open.
std::unique_ptr<FileStorage> MakeS3FileStorage(std::shared_ptr<S3Client> client);
//! http(s):// URLs fetched with `options` (headers, CA).
std::unique_ptr<FileStorage> MakeHttpFileStorage(HttpGetOptions options);

//! Fills what an S3 config left empty from the environment, as the AWS tools do: credentials
//! (AWS_ACCESS_KEY_ID, ...), endpoint (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL), region
//! (AWS_REGION, AWS_DEFAULT_REGION, else us-east-1). No I/O.
void ApplyS3Environment(S3ClientOptions& options);

enum class FileScheme {
  kLocal,  //!< a path on this machine
  kS3,     //!< s3://bucket/key
  kHttp,   //!< http:// or https://
};
//! The scheme of a path or URL (case-insensitive; anything else is a local path).
FileScheme SchemeOf(std::string_view location);
//! The part of a location that names the file (an URL without query or fragment), for telling
//! its format and compression.
std::string_view FileNameOf(std::string_view location);

}  // namespace sluice
