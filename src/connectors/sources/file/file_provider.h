#pragma once
// source-file's `provider` block (Airbyte source-file's field names): which storage a stream's
// URL is read from and how to reach it. The URL's scheme picks the storage (kit/file_storage.h);
// the provider carries its credentials, endpoint or CA.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "connectors/kit/file_storage.h"

namespace sluice {

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

//! The storage for locations of `scheme`; `provider` must serve it (see ProviderServes) or be the
//! default local one, in which case S3 uses the AWS environment variables and HTTPS the system
//! CAs. No I/O.
Result<std::unique_ptr<FileStorage>> MakeFileStorage(FileScheme scheme, const FileProvider& provider);

}  // namespace sluice
