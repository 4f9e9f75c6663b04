#pragma once
// Where source-file's files live: local paths, s3://bucket/key objects or http(s):// URLs. A
// FileStore lists the files a glob matches and opens one file for sequential reading (CSV, JSONL;
// decompressed) or random access (Parquet). The URL's scheme picks the store; a `provider` block
// (Airbyte source-file's field names) carries its credentials and endpoint.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "io/input_stream.h"
#include "formats/parquet/parquet_reader.h"

namespace sluice {

enum class FileScheme {
  kLocal,  //!< a path on this machine
  kS3,     //!< s3://bucket/key
  kHttp,   //!< http:// or https://
};

//! The scheme of a stream's path or URL (case-insensitive; anything else is a local path).
FileScheme SchemeOf(std::string_view location);

//! The `provider` block: which storage and how to reach it.
struct FileProvider {
  enum class Storage { kLocal, kS3, kHttps };
  Storage storage = Storage::kLocal;
  // storage S3. Without keys: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, else unsigned requests.
  std::string aws_access_key_id;
  std::string aws_secret_access_key;
  std::string endpoint;  //!< "http://minio:9000"; empty: AWS
  std::string region;    //!< empty: us-east-1
  // storage HTTPS.
  std::string ca_certificate;  //!< PEM; trusted instead of the system CAs when set
  bool user_agent = false;     //!< send a browser-like User-Agent (some sites refuse others)
};

//! Parses a provider block; errors (ConfigError) name `where`. No I/O.
Result<FileProvider> ParseFileProvider(const Json& j, const std::string& where);
//! The JSON schema of a provider block (for the spec).
Json FileProviderSpecJson();
//! Whether `provider` can serve URLs of `scheme` (local serves local paths only).
bool ProviderServes(const FileProvider& provider, FileScheme scheme);

//! The files of one stream. Not thread-safe.
class FileStore {
 public:
  virtual ~FileStore() = default;
  //! The files `pattern` (glob(3) syntax: * ? [..] within one path segment) matches, in name
  //! order; empty when none. For S3 the listing starts at the pattern's literal prefix.
  virtual Result<std::vector<std::string>> Glob(const std::string& pattern) = 0;
  //! Opens `file` for sequential reading, decompressed (gzip/zstd by magic bytes or name).
  //! Errors name the file or URL (never credentials): missing → ConfigError, unreachable →
  //! TransientError.
  virtual Result<std::unique_ptr<InputStream>> Open(const std::string& file) = 0;
  //! Opens `file` for random access (Parquet): S3 objects by ranged GETs, HTTP(S) downloads are
  //! spooled to an unlinked temporary file first.
  virtual Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& file) = 0;
};

//! The store for locations of `scheme`; `provider` must serve it (see ProviderServes) or be the
//! default local one, in which case S3 uses the AWS environment variables and HTTPS the system
//! CAs. No I/O.
Result<std::unique_ptr<FileStore>> MakeFileStore(FileScheme scheme, const FileProvider& provider);

//! The part of a URL that names the file (no query or fragment), for telling its format.
std::string_view FileNameOf(std::string_view location);

}  // namespace sluice
