#include "connectors/sources/file/file_provider.h"

#include <fmt/format.h>

namespace sluice {

Json FileProviderSpecJson() {
  return Json::parse(R"json({
  "title": "Storage provider",
  "description": "Where URLs point and how to reach them (Airbyte source-file's provider block). Default: local paths; s3:// URLs with the AWS environment variables; https:// URLs trusting the system CAs. sluice reads HTTPS, S3 and local; Airbyte's GCS, AzBlob, SSH, SCP, SFTP and WebHDFS storages are accepted in the config but are a config error naming provider.storage.",
  "type": "object",
  "required": ["storage"],
  "additionalProperties": false,
  "properties": {
    "storage": {"title": "Storage", "description": "S3 for s3://bucket/key URLs, HTTPS for http(s):// URLs, local for paths. GCS, AzBlob, SSH, SCP, SFTP and WebHDFS (Airbyte's) are not supported by sluice.", "type": "string", "enum": ["HTTPS", "S3", "local", "GCS", "AzBlob", "SSH", "SCP", "SFTP", "WebHDFS"]},
    "aws_access_key_id": {"title": "Access key id", "description": "S3: the key id; empty: AWS_ACCESS_KEY_ID, else unsigned requests (public buckets).", "type": "string"},
    "aws_secret_access_key": {"title": "Secret access key", "description": "S3: the secret; empty: AWS_SECRET_ACCESS_KEY.", "type": "string", "airbyte_secret": true},
    "endpoint": {"title": "Endpoint", "description": "S3 (sluice only): a custom endpoint such as http://minio:9000 (path-style addressing). Default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS.", "type": "string"},
    "region": {"title": "Region", "description": "S3 (sluice only): the bucket's region. Default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1.", "type": "string"},
    "reader_impl": {"title": "Reader implementation", "description": "Airbyte's choice of Python library (smart_open, s3fs, gcsfs); accepted and ignored.", "type": "string"},
    "ca_certificate": {"title": "CA certificate", "description": "HTTPS (sluice only): a PEM certificate (or bundle) trusted instead of the system CAs, e.g. for a private CA or a self-signed server.", "type": "string", "multiline": true},
    "user_agent": {"title": "Browser User-Agent", "description": "HTTPS: send a browser-like User-Agent header; some servers refuse other clients.", "type": "boolean", "default": false},
    "service_account_json": {"title": "Service account JSON", "description": "GCS (Airbyte's; not supported by sluice).", "type": "string", "airbyte_secret": true},
    "storage_account": {"title": "Storage account", "description": "AzBlob (Airbyte's; not supported by sluice).", "type": "string"},
    "sas_token": {"title": "SAS token", "description": "AzBlob (Airbyte's; not supported by sluice).", "type": "string", "airbyte_secret": true},
    "shared_key": {"title": "Shared key", "description": "AzBlob (Airbyte's; not supported by sluice).", "type": "string", "airbyte_secret": true},
    "user": {"title": "User", "description": "SSH, SCP, SFTP (Airbyte's; not supported by sluice).", "type": "string"},
    "password": {"title": "Password", "description": "SSH, SCP, SFTP (Airbyte's; not supported by sluice).", "type": "string", "airbyte_secret": true},
    "host": {"title": "Host", "description": "SSH, SCP, SFTP, WebHDFS (Airbyte's; not supported by sluice).", "type": "string"},
    "port": {"title": "Port", "description": "SSH, SCP, SFTP, WebHDFS (Airbyte's; not supported by sluice).", "type": ["string", "integer"]}
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
  } else if (storage == "GCS" || storage == "AzBlob" || storage == "SSH" || storage == "SCP" || storage == "SFTP" ||
             storage == "WebHDFS") {
    return Status::ConfigError(where + ".storage: " + storage +
                               " is an Airbyte source-file storage that sluice cannot read; sluice reads HTTPS (http(s):// "
                               "URLs), S3 (s3:// URLs, also S3-compatible stores with endpoint) and local paths");
  } else {
    return Status::ConfigError(where + ".storage must be S3, HTTPS or local, got '" + storage + "'");
  }
  for (const auto& [key, value] : j.items()) {
    const std::string at = where + "." + key;
    if (key == "storage" || key == "reader_impl") continue;
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

Result<std::unique_ptr<FileStorage>> MakeFileStorage(FileScheme scheme, const FileProvider& provider) {
  switch (scheme) {
    case FileScheme::kLocal: return MakeLocalFileStorage();
    case FileScheme::kS3: {
      S3ClientOptions options;
      if (provider.storage == FileProvider::Storage::kS3) {
        options.credentials.access_key_id = provider.aws_access_key_id;
        options.credentials.secret_access_key = provider.aws_secret_access_key;
        options.endpoint = provider.endpoint;
        options.region = provider.region;
      }
      ApplyS3Environment(options);
      SLUICE_ASSIGN_OR_RETURN(auto client, S3Client::Make(std::move(options)));
      return MakeS3FileStorage(std::shared_ptr<S3Client>(std::move(client)));
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
      return MakeHttpFileStorage(std::move(options));
    }
  }
  return Status::SystemError("unknown file scheme");
}

}  // namespace sluice
