#include "connectors/destinations/s3/s3_destination_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <optional>

#include "base/time.h"
#include "connectors/kit/config_reader.h"
#include "connectors/kit/file_destination.h"
#include "connectors/kit/path_template.h"

namespace sluice {
namespace {

constexpr const char* kSpec = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "S3 Destination Spec",
  "type": "object",
  "required": ["s3_bucket_name", "s3_bucket_path"],
  "additionalProperties": false,
  "properties": {
    "access_key_id": {
      "type": "string",
      "title": "S3 Key ID",
      "description": "The access key id; it needs read, write and delete permission on the bucket. Empty: the AWS_ACCESS_KEY_ID environment variable.",
      "airbyte_secret": true,
      "examples": ["A012345678910EXAMPLE"],
      "order": 0
    },
    "secret_access_key": {
      "type": "string",
      "title": "S3 Access Key",
      "description": "The secret of the access key. Empty: the AWS_SECRET_ACCESS_KEY environment variable.",
      "airbyte_secret": true,
      "examples": ["a012345678910ABCDEFGH/AbCdEfGhEXAMPLEKEY"],
      "order": 1
    },
    "s3_bucket_name": {
      "type": "string",
      "title": "S3 Bucket Name",
      "description": "The bucket the data goes to; it must exist.",
      "examples": ["airbyte_sync", "datalake"],
      "order": 2
    },
    "s3_bucket_path": {
      "type": "string",
      "title": "S3 Bucket Path",
      "description": "Folder under the bucket. May use the path variables of s3_path_format.",
      "examples": ["data_sync/test", "airbyte-data/${NAMESPACE}/${STREAM_NAME}"],
      "order": 3
    },
    "s3_bucket_region": {
      "type": "string",
      "title": "S3 Bucket Region",
      "description": "The bucket's region. Empty: AWS_REGION or AWS_DEFAULT_REGION, else us-east-1 (what MinIO expects).",
      "default": "",
      "examples": ["us-east-1", "eu-west-1"],
      "order": 4
    },
    "format": {
      "type": "object",
      "title": "Output Format",
      "description": "Format of the data files. Airbyte's Avro is not written by sluice (a config error naming format.format_type).",
      "default": {"format_type": "Parquet"},
      "order": 5,
      "oneOf": [
        {
          "title": "CSV: Comma-Separated Values",
          "type": "object",
          "required": ["format_type"],
          "additionalProperties": false,
          "properties": {
            "format_type": {"type": "string", "const": "CSV", "default": "CSV"},
            "flattening": {
              "type": "string",
              "title": "Flattening",
              "description": "Root level flattening: one column per top-level field of the record (nested values as JSON text). No flattening: the record as JSON text in _airbyte_data.",
              "enum": ["No flattening", "Root level flattening"],
              "default": "Root level flattening"
            },
            "compression": {"$ref": "#/definitions/compression"}
          }
        },
        {
          "title": "JSON Lines: Newline-delimited JSON",
          "type": "object",
          "required": ["format_type"],
          "additionalProperties": false,
          "properties": {
            "format_type": {"type": "string", "const": "JSONL", "default": "JSONL"},
            "flattening": {
              "type": "string",
              "title": "Flattening",
              "description": "No flattening: the record under _airbyte_data. Root level flattening: the record's top-level fields beside the _airbyte_* fields.",
              "enum": ["No flattening", "Root level flattening"],
              "default": "No flattening"
            },
            "compression": {"$ref": "#/definitions/compression"}
          }
        },
        {
          "title": "Parquet: Columnar Storage",
          "type": "object",
          "required": ["format_type"],
          "additionalProperties": false,
          "properties": {
            "format_type": {"type": "string", "const": "Parquet", "default": "Parquet"},
            "compression_codec": {
              "type": "string",
              "title": "Compression Codec",
              "description": "Compression of the data pages.",
              "enum": ["UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD"],
              "default": "UNCOMPRESSED"
            },
            "block_size_mb": {
              "type": "integer",
              "title": "Block Size (Row Group Size) (MB)",
              "description": "A row group is buffered in memory up to about this size, before it is written; each finished row group is uploaded while the next one is encoded.",
              "default": 128,
              "minimum": 1,
              "maximum": 4096,
              "examples": [128]
            },
            "max_padding_size_mb": {
              "type": "integer",
              "title": "Max Padding Size (MB)",
              "description": "Accepted for compatibility; row groups are not padded.",
              "default": 8,
              "minimum": 0
            },
            "page_size_kb": {
              "type": "integer",
              "title": "Page Size (KB)",
              "description": "A data page is closed at about this size.",
              "default": 1024,
              "minimum": 1,
              "maximum": 1048576
            },
            "dictionary_page_size_kb": {
              "type": "integer",
              "title": "Dictionary Page Size (KB)",
              "description": "A column chunk whose dictionary outgrows this falls back to plain encoding.",
              "default": 1024,
              "minimum": 1,
              "maximum": 1048576
            },
            "dictionary_encoding": {
              "type": "boolean",
              "title": "Dictionary Encoding",
              "default": true
            }
          }
        }
      ]
    },
    "role_arn": {
      "type": "string",
      "title": "Role ARN (Airbyte's; not supported)",
      "description": "Airbyte's assume-role authentication; sluice signs with access keys only, so a non-empty value is a config error naming role_arn.",
      "order": 20
    },
    "s3_endpoint": {
      "type": "string",
      "title": "Endpoint",
      "description": "The S3 endpoint URL; empty for AWS S3. For MinIO and other S3-compatible stores, e.g. http://minio:9000 (path-style addressing).",
      "default": "",
      "examples": ["http://localhost:9000", "http://minio:9000"],
      "order": 6
    },
    "s3_path_format": {
      "type": "string",
      "title": "S3 Path Format",
      "description": "Appended to s3_bucket_path; the file name follows it directly. Variables: ${NAMESPACE} ${STREAM_NAME} ${SOURCE_NAMESPACE} (the same as ${NAMESPACE}: destinations see mapped namespaces) ${YEAR} ${MONTH} ${DAY} ${HOUR} ${MINUTE} ${SECOND} ${MILLISECOND} ${EPOCH} ${UUID} (the sync start, UTC).",
      "default": "${NAMESPACE}/${STREAM_NAME}/${YEAR}_${MONTH}_${DAY}_${EPOCH}_",
      "examples": ["${NAMESPACE}/${STREAM_NAME}/${YEAR}_${MONTH}_${DAY}_${EPOCH}_", "${NAMESPACE}/${STREAM_NAME}/"],
      "order": 7
    },
    "file_name_pattern": {
      "type": "string",
      "title": "File Name Pattern",
      "description": "File names: {date}, {date:yyyy_MM}, {timestamp}, {timestamp:millis}, {timestamp:micros}, {part_number}, {sync_id}, {format_extension}. Empty: {part_number}{format_extension}.",
      "default": "",
      "examples": ["{date}", "{date:yyyy_MM}", "{timestamp}", "{part_number}", "{sync_id}"],
      "order": 8
    },
    "s3_addressing_style": {
      "type": "string",
      "title": "Addressing Style",
      "description": "auto: path-style with a custom endpoint, virtual-host on AWS.",
      "enum": ["auto", "path", "virtual_host"],
      "default": "auto",
      "order": 9
    },
    "normalization": {
      "type": "string",
      "title": "Normalization",
      "description": "basic: nested objects flattened into columns and arrays written as child tables, each table its own dataset (customers/, customers_addresses/, linked by _airbyte_customers_hashid); meant for Parquet. none: nested values stay JSON columns. A connection's normalization setting overrides this.",
      "enum": ["none", "basic"],
      "default": "none"
    },
    "file_size_mb": {
      "type": "integer",
      "title": "File Size (MB)",
      "description": "A data file is closed and the next started at about this size (compressed).",
      "default": 200,
      "minimum": 1,
      "maximum": 1048576,
      "order": 10
    },
    "part_size_mb": {
      "type": "integer",
      "title": "Upload Part Size (MB)",
      "description": "Files are uploaded in multipart parts of this size; memory per stream is about (upload_threads + 1) parts.",
      "default": 16,
      "minimum": 5,
      "maximum": 1024,
      "order": 11
    },
    "upload_threads": {
      "type": "integer",
      "title": "Parallel Part Uploads",
      "description": "Parts of one file uploaded at the same time.",
      "default": 4,
      "minimum": 1,
      "maximum": 64,
      "order": 12
    }
  },
  "definitions": {
    "compression": {
      "type": "object",
      "title": "Compression",
      "description": "GZIP adds .gz to the file names.",
      "default": {"compression_type": "No Compression"},
      "oneOf": [
        {
          "title": "No Compression",
          "type": "object",
          "required": ["compression_type"],
          "properties": {"compression_type": {"type": "string", "const": "No Compression", "default": "No Compression"}}
        },
        {
          "title": "GZIP",
          "type": "object",
          "required": ["compression_type"],
          "properties": {"compression_type": {"type": "string", "const": "GZIP", "default": "GZIP"}}
        }
      ]
    }
  }
})json";

std::string EnvOr(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// The JSONL/CSV keys of the format object: flattening and compression.
void ReadTextFormat(ConfigReader& format, S3DestinationConfig& c) {
  const char* default_flattening = c.format == FileFormat::kCsv ? "Root level flattening" : "No flattening";
  const std::string flattening = format.String("flattening", default_flattening);
  if (EqualsIgnoreCase(flattening, "No flattening")) {
    c.flattening = Flattening::kNone;
  } else if (EqualsIgnoreCase(flattening, "Root level flattening")) {
    c.flattening = Flattening::kRootLevel;
  } else {
    format.Fail("flattening", fmt::format("'{}' is not one of 'No flattening', 'Root level flattening'", flattening));
  }
  ConfigReader compression = format.Object("compression");
  const std::string type = compression.String("compression_type", "No Compression");
  if (EqualsIgnoreCase(type, "GZIP")) {
    c.compression = Compression::kGzip;
  } else if (!EqualsIgnoreCase(type, "No Compression")) {
    compression.Fail("compression_type", fmt::format("'{}' is not one of 'No Compression', GZIP", type));
  }
}

void ReadS3Config(ConfigReader& r, S3DestinationConfig& c) {
  c.bucket = r.String("s3_bucket_name");
  if (c.bucket.find('/') != std::string::npos) {
    r.Fail("s3_bucket_name", fmt::format("'{}' is not a bucket name (no '/'; put folders in s3_bucket_path)", c.bucket));
  }
  c.bucket_path = r.String("s3_bucket_path", "");
  c.path_format = r.String("s3_path_format", c.path_format);
  if (c.path_format.empty()) c.path_format = S3DestinationConfig().path_format;
  c.file_name_pattern = r.String("file_name_pattern", "");
  if (c.file_name_pattern.find('/') != std::string::npos) {
    r.Fail("file_name_pattern",
           fmt::format("'{}' must not contain '/' (folders go in s3_path_format)", c.file_name_pattern));
  }

  c.client.endpoint = r.String("s3_endpoint", "");
  if (c.client.endpoint.empty()) c.client.endpoint = EnvOr("AWS_ENDPOINT_URL_S3");
  if (c.client.endpoint.empty()) c.client.endpoint = EnvOr("AWS_ENDPOINT_URL");
  c.client.region = r.String("s3_bucket_region", "");
  if (c.client.region.empty()) c.client.region = EnvOr("AWS_REGION");
  if (c.client.region.empty()) c.client.region = EnvOr("AWS_DEFAULT_REGION");
  if (c.client.region.empty()) c.client.region = "us-east-1";
  S3Credentials& credentials = c.client.credentials;
  if (!r.String("role_arn", "").empty()) {
    r.Fail("role_arn", "assume-role authentication is not supported by sluice; give access_key_id and secret_access_key");
  }
  credentials.access_key_id = r.String("access_key_id", "");
  credentials.secret_access_key = r.String("secret_access_key", "");
  if (credentials.access_key_id.empty() && credentials.secret_access_key.empty()) credentials = CredentialsFromEnvironment();
  if (credentials.access_key_id.empty() != credentials.secret_access_key.empty()) {
    if (credentials.access_key_id.empty()) {
      r.Fail("access_key_id", "required with secret_access_key");
    } else {
      r.Fail("secret_access_key", "required with access_key_id");
    }
  }
  const std::string addressing = r.Enum("s3_addressing_style", {"auto", "path", "virtual_host"}, "auto");
  c.client.addressing = addressing == "path"           ? S3Addressing::kPath
                        : addressing == "virtual_host" ? S3Addressing::kVirtualHost
                                                       : S3Addressing::kAuto;

  if (r.Has("format")) {
    ConfigReader format = r.Object("format");
    c.format = ReadFormatType(format, FileFormat::kParquet);
    if (c.format == FileFormat::kParquet) {
      ReadParquetOptions(format, "UNCOMPRESSED", c.parquet);
      format.Integer("max_padding_size_mb", 8, 0, 1 << 20);  // accepted, not used
    } else {
      ReadTextFormat(format, c);
    }
  }
  c.part_bytes = static_cast<size_t>(r.Integer("part_size_mb", 16, 5, 1024)) << 20;
  c.upload_threads = static_cast<int>(r.Integer("upload_threads", 4, 1, 64));
}

}  // namespace

ConnectorSpec S3DestinationSpec() { return FileDestinationSpec(kSpec, "s3"); }

Result<S3DestinationConfig> ParseS3DestinationConfig(const Json& config) {
  return ReadFileDestinationConfig<S3DestinationConfig>(config, ReadS3Config);
}

Result<std::string> ExpandS3ObjectPath(const S3DestinationConfig& config, const PathTemplateValues& values,
                                       std::string* fixed_prefix) {
  SLUICE_ASSIGN_OR_RETURN(PathTemplate bucket_path, PathTemplate::Parse(config.bucket_path, "$.s3_bucket_path"));
  SLUICE_ASSIGN_OR_RETURN(PathTemplate path_format, PathTemplate::Parse(config.path_format, "$.s3_path_format"));
  std::string raw;
  size_t first_varying = std::string::npos;
  bucket_path.ExpandTo(values, raw, &first_varying);
  raw += '/';
  path_format.ExpandTo(values, raw, &first_varying);
  size_t prefix = std::min(first_varying, raw.size());
  SLUICE_ASSIGN_OR_RETURN(std::string out,
                          NormalizeRelativePath(raw, "$.s3_bucket_path / $.s3_path_format", values.stream, &prefix));
  if (fixed_prefix != nullptr) *fixed_prefix = out.substr(0, prefix);
  return out;
}

std::string S3FormatExtension(const S3DestinationConfig& config) { return "." + FileExtension(config); }

namespace {

// file_name_pattern with each placeholder but {format_extension} replaced by `value(name)`
// (nullopt: an unknown placeholder) and, when the pattern has no {part_number}, `part_suffix`
// before the extension.
Result<std::string> FillFileNamePattern(const S3DestinationConfig& config,
                                        const std::function<std::optional<std::string>(std::string_view)>& value,
                                        const std::string& part_suffix) {
  const std::string extension = S3FormatExtension(config);
  const std::string pattern = config.file_name_pattern.empty() ? "{part_number}{format_extension}" : config.file_name_pattern;
  std::string out;
  bool has_part = false;
  size_t extension_at = std::string::npos;
  for (size_t i = 0; i < pattern.size();) {
    if (pattern[i] != '{') {
      out += pattern[i++];
      continue;
    }
    const size_t close = pattern.find('}', i + 1);
    if (close == std::string::npos) {
      return Status::ConfigError(fmt::format("file_name_pattern: unterminated placeholder in '{}'", pattern));
    }
    const std::string_view name = std::string_view(pattern).substr(i + 1, close - i - 1);
    if (name == "format_extension") {
      extension_at = out.size();
      out += extension;
    } else if (std::optional<std::string> v = value(name)) {
      has_part = has_part || name == "part_number";
      out += *v;
    } else {
      return Status::ConfigError(fmt::format(
          "file_name_pattern: unknown placeholder {{{}}}; known: {{date}} {{date:yyyy_MM}} {{timestamp}} "
          "{{timestamp:millis}} {{timestamp:micros}} {{part_number}} {{sync_id}} {{format_extension}}",
          name));
    }
    i = close + 1;
  }
  if (!has_part) out.insert(extension_at == std::string::npos ? out.size() : extension_at, part_suffix);
  if (out.empty()) return Status::ConfigError("file_name_pattern: gives an empty file name");
  return out;
}

}  // namespace

Result<std::string> ExpandS3FileName(const S3DestinationConfig& config, uint64_t part, int64_t sync_id,
                                     int64_t now_micros) {
  int64_t days = now_micros / kMicrosPerDay;
  if (now_micros % kMicrosPerDay < 0) --days;
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, year, month, day);
  auto value = [&](std::string_view name) -> std::optional<std::string> {
    if (name == "date") return fmt::format("{:04}_{:02}_{:02}", year, month, day);
    if (name == "date:yyyy_MM") return fmt::format("{:04}_{:02}", year, month);
    if (name == "timestamp" || name == "timestamp:millis") return fmt::format("{}", now_micros / 1000);
    if (name == "timestamp:micros") return fmt::format("{}", now_micros);
    if (name == "part_number") return fmt::format("{}", part);
    if (name == "sync_id") return fmt::format("{}", sync_id);
    return std::nullopt;
  };
  return FillFileNamePattern(config, value, part > 0 ? fmt::format("_{}", part) : "");
}

Result<std::string> S3FileNameGlob(const S3DestinationConfig& config) {
  // Unknown placeholders are errors as when the names are made.
  SLUICE_RETURN_IF_ERROR(ExpandS3FileName(config, 1, 0, 0).status());
  return FillFileNamePattern(config, [](std::string_view) { return std::optional<std::string>("*"); }, "*");
}

namespace {

// `glob` and `text` have no '/': '*' is any run of characters (one backtrack point suffices).
bool SegmentMatches(std::string_view glob, std::string_view text) {
  size_t g = 0, t = 0, star = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (g < glob.size() && glob[g] == '*') {
      star = g++;
      star_t = t;
    } else if (g < glob.size() && glob[g] == text[t]) {
      ++g;
      ++t;
    } else if (star != std::string_view::npos) {
      g = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

}  // namespace

bool S3KeyMatchesGlob(std::string_view glob, std::string_view key) {
  for (;;) {
    const size_t gs = glob.find('/'), ks = key.find('/');
    if ((gs == std::string_view::npos) != (ks == std::string_view::npos)) return false;
    if (!SegmentMatches(glob.substr(0, gs), key.substr(0, ks))) return false;
    if (gs == std::string_view::npos) return true;
    glob.remove_prefix(gs + 1);
    key.remove_prefix(ks + 1);
  }
}

}  // namespace sluice
