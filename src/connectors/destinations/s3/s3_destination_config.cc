#include "connectors/destinations/s3/s3_destination_config.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>

#include "base/time.h"

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
      "description": "Format of the data files.",
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
      "description": "Appended to s3_bucket_path; the file name follows it directly. Variables: ${NAMESPACE} ${STREAM_NAME} ${YEAR} ${MONTH} ${DAY} ${HOUR} ${MINUTE} ${SECOND} ${MILLISECOND} ${EPOCH} ${UUID} (the sync start, UTC).",
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

Result<std::string> StringField(const Json& object, const char* key, std::string_view where, std::string fallback) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_string()) return Status::ConfigError(fmt::format("{}{}: must be a string", where, key));
  return it->get<std::string>();
}

Result<int64_t> IntField(const Json& object, const char* key, std::string_view where, int64_t fallback, int64_t min,
                         int64_t max) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_number_integer() || it->get<int64_t>() < min || it->get<int64_t>() > max) {
    return Status::ConfigError(fmt::format("{}{}: must be an integer from {} to {}", where, key, min, max));
  }
  return it->get<int64_t>();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

Status ParseFormat(const Json& format, S3DestinationConfig& c) {
  if (!format.is_object()) return Status::ConfigError("format: must be an object with format_type");
  SLUICE_ASSIGN_OR_RETURN(std::string type, StringField(format, "format_type", "format.", "Parquet"));
  if (EqualsIgnoreCase(type, "Parquet")) {
    c.format = S3OutputFormat::kParquet;
    SLUICE_ASSIGN_OR_RETURN(std::string codec, StringField(format, "compression_codec", "format.", "UNCOMPRESSED"));
    if (!ParseParquetCodec(codec, c.parquet.codec)) {
      return Status::ConfigError(fmt::format(
          "format.compression_codec: '{}' is not supported; use UNCOMPRESSED, SNAPPY, GZIP or ZSTD", codec));
    }
    SLUICE_ASSIGN_OR_RETURN(int64_t block_mb, IntField(format, "block_size_mb", "format.", 128, 1, 4096));
    SLUICE_ASSIGN_OR_RETURN(int64_t page_kb, IntField(format, "page_size_kb", "format.", 1024, 1, 1 << 20));
    SLUICE_ASSIGN_OR_RETURN(int64_t dict_kb, IntField(format, "dictionary_page_size_kb", "format.", 1024, 1, 1 << 20));
    SLUICE_RETURN_IF_ERROR(IntField(format, "max_padding_size_mb", "format.", 8, 0, 1 << 20).status());
    c.parquet.row_group_bytes = block_mb << 20;
    c.parquet.page_bytes = page_kb << 10;
    c.parquet.max_dictionary_bytes = dict_kb << 10;
    if (auto it = format.find("dictionary_encoding"); it != format.end() && !it->is_null()) {
      if (!it->is_boolean()) return Status::ConfigError("format.dictionary_encoding: must be true or false");
      c.parquet.dictionary = it->get<bool>();
    }
    return Status::Ok();
  }
  if (EqualsIgnoreCase(type, "JSONL")) {
    c.format = S3OutputFormat::kJsonl;
  } else if (EqualsIgnoreCase(type, "CSV")) {
    c.format = S3OutputFormat::kCsv;
  } else {
    return Status::ConfigError(fmt::format("format.format_type: '{}' is not one of Parquet, JSONL, CSV", type));
  }
  const char* default_flattening = c.format == S3OutputFormat::kCsv ? "Root level flattening" : "No flattening";
  SLUICE_ASSIGN_OR_RETURN(std::string flattening, StringField(format, "flattening", "format.", default_flattening));
  if (EqualsIgnoreCase(flattening, "No flattening")) {
    c.flattening = S3Flattening::kNone;
  } else if (EqualsIgnoreCase(flattening, "Root level flattening")) {
    c.flattening = S3Flattening::kRootLevel;
  } else {
    return Status::ConfigError(
        fmt::format("format.flattening: '{}' is not one of 'No flattening', 'Root level flattening'", flattening));
  }
  c.compression = Compression::kNone;
  if (auto it = format.find("compression"); it != format.end() && !it->is_null()) {
    if (!it->is_object()) return Status::ConfigError("format.compression: must be an object with compression_type");
    SLUICE_ASSIGN_OR_RETURN(std::string ct, StringField(*it, "compression_type", "format.compression.", "No Compression"));
    if (EqualsIgnoreCase(ct, "GZIP")) {
      c.compression = Compression::kGzip;
    } else if (!EqualsIgnoreCase(ct, "No Compression")) {
      return Status::ConfigError(
          fmt::format("format.compression.compression_type: '{}' is not one of 'No Compression', GZIP", ct));
    }
  }
  return Status::Ok();
}

// A name as one key segment: '/' would split it.
void AppendSanitized(std::string& out, std::string_view name) {
  for (char c : name) out += (c == '/' || c == '\0') ? '_' : c;
}

// Expands one template; run-varying variables write `marker` first when `marker` is set.
Status ExpandTemplate(std::string_view field, std::string_view text, const S3PathContext& ctx, std::string& out,
                      size_t* first_varying) {
  int64_t micros = ctx.sync_start_micros;
  int64_t days = micros / kMicrosPerDay;
  int64_t of_day = micros % kMicrosPerDay;
  if (of_day < 0) {
    of_day += kMicrosPerDay;
    --days;
  }
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, year, month, day);
  const int64_t second_of_day = of_day / kMicrosPerSecond;
  for (size_t i = 0; i < text.size();) {
    if (text[i] != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      out += text[i++];
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return Status::ConfigError(fmt::format("{}: unterminated variable in '{}'", field, text));
    }
    const std::string_view name = text.substr(i + 2, close - i - 2);
    const bool varying = name != "NAMESPACE" && name != "STREAM_NAME";
    if (varying && first_varying && *first_varying == std::string::npos) *first_varying = out.size();
    if (name == "NAMESPACE") {
      AppendSanitized(out, ctx.stream.namespace_.value_or(""));
    } else if (name == "STREAM_NAME") {
      AppendSanitized(out, ctx.stream.name);
    } else if (name == "YEAR") {
      out += fmt::format("{:04}", year);
    } else if (name == "MONTH") {
      out += fmt::format("{:02}", month);
    } else if (name == "DAY") {
      out += fmt::format("{:02}", day);
    } else if (name == "HOUR") {
      out += fmt::format("{:02}", second_of_day / 3600);
    } else if (name == "MINUTE") {
      out += fmt::format("{:02}", second_of_day / 60 % 60);
    } else if (name == "SECOND") {
      out += fmt::format("{:02}", second_of_day % 60);
    } else if (name == "MILLISECOND") {
      out += fmt::format("{:03}", of_day / 1000 % 1000);
    } else if (name == "EPOCH") {
      out += fmt::format("{}", micros / 1000);
    } else if (name == "UUID") {
      out += ctx.uuid;
    } else {
      return Status::ConfigError(fmt::format(
          "{}: unknown variable ${{{}}}; known: ${{NAMESPACE}} ${{STREAM_NAME}} ${{YEAR}} ${{MONTH}} ${{DAY}} "
          "${{HOUR}} ${{MINUTE}} ${{SECOND}} ${{MILLISECOND}} ${{EPOCH}} ${{UUID}}",
          field, name));
    }
    i = close + 1;
  }
  return Status::Ok();
}

}  // namespace

ConnectorSpec S3DestinationSpec() {
  ConnectorSpec spec;
  spec.documentation_url = "https://github.com/sluice/sluice/tree/main/src/connectors/destinations/s3";
  spec.connection_specification = Json::parse(kSpec);
  spec.supported_destination_sync_modes = {DestinationSyncMode::kOverwrite, DestinationSyncMode::kAppend};
  return spec;
}

Result<S3DestinationConfig> ParseS3DestinationConfig(const Json& config) {
  if (!config.is_object()) return Status::ConfigError("the config must be a JSON object");
  S3DestinationConfig c;
  SLUICE_ASSIGN_OR_RETURN(c.bucket, StringField(config, "s3_bucket_name", "", ""));
  if (c.bucket.empty()) return Status::ConfigError("s3_bucket_name: required");
  if (c.bucket.find('/') != std::string::npos) {
    return Status::ConfigError(fmt::format("s3_bucket_name: '{}' is not a bucket name (no '/'; put folders in s3_bucket_path)", c.bucket));
  }
  SLUICE_ASSIGN_OR_RETURN(c.bucket_path, StringField(config, "s3_bucket_path", "", ""));
  SLUICE_ASSIGN_OR_RETURN(c.path_format, StringField(config, "s3_path_format", "", c.path_format));
  if (c.path_format.empty()) c.path_format = "${NAMESPACE}/${STREAM_NAME}/${YEAR}_${MONTH}_${DAY}_${EPOCH}_";
  SLUICE_ASSIGN_OR_RETURN(c.file_name_pattern, StringField(config, "file_name_pattern", "", ""));
  if (c.file_name_pattern.find('/') != std::string::npos) {
    return Status::ConfigError(fmt::format("file_name_pattern: '{}' must not contain '/' (folders go in s3_path_format)",
                                           c.file_name_pattern));
  }

  SLUICE_ASSIGN_OR_RETURN(c.client.endpoint, StringField(config, "s3_endpoint", "", ""));
  if (c.client.endpoint.empty()) c.client.endpoint = EnvOr("AWS_ENDPOINT_URL_S3");
  if (c.client.endpoint.empty()) c.client.endpoint = EnvOr("AWS_ENDPOINT_URL");
  SLUICE_ASSIGN_OR_RETURN(c.client.region, StringField(config, "s3_bucket_region", "", ""));
  if (c.client.region.empty()) c.client.region = EnvOr("AWS_REGION");
  if (c.client.region.empty()) c.client.region = EnvOr("AWS_DEFAULT_REGION");
  if (c.client.region.empty()) c.client.region = "us-east-1";
  SLUICE_ASSIGN_OR_RETURN(c.client.credentials.access_key_id, StringField(config, "access_key_id", "", ""));
  SLUICE_ASSIGN_OR_RETURN(c.client.credentials.secret_access_key, StringField(config, "secret_access_key", "", ""));
  if (c.client.credentials.access_key_id.empty() && c.client.credentials.secret_access_key.empty()) {
    c.client.credentials = CredentialsFromEnvironment();
  }
  if (c.client.credentials.access_key_id.empty() != c.client.credentials.secret_access_key.empty()) {
    return Status::ConfigError(c.client.credentials.access_key_id.empty()
                                   ? "access_key_id: required with secret_access_key"
                                   : "secret_access_key: required with access_key_id");
  }
  SLUICE_ASSIGN_OR_RETURN(std::string addressing, StringField(config, "s3_addressing_style", "", "auto"));
  if (addressing == "auto") {
    c.client.addressing = S3Addressing::kAuto;
  } else if (addressing == "path") {
    c.client.addressing = S3Addressing::kPath;
  } else if (addressing == "virtual_host") {
    c.client.addressing = S3Addressing::kVirtualHost;
  } else {
    return Status::ConfigError(fmt::format("s3_addressing_style: '{}' is not one of auto, path, virtual_host", addressing));
  }

  if (auto it = config.find("format"); it != config.end() && !it->is_null()) {
    SLUICE_RETURN_IF_ERROR(ParseFormat(*it, c));
  }
  SLUICE_ASSIGN_OR_RETURN(int64_t file_mb, IntField(config, "file_size_mb", "", 200, 1, 1 << 20));
  c.file_size_bytes = static_cast<uint64_t>(file_mb) << 20;
  SLUICE_ASSIGN_OR_RETURN(int64_t part_mb, IntField(config, "part_size_mb", "", 16, 5, 1024));
  c.part_bytes = static_cast<size_t>(part_mb) << 20;
  SLUICE_ASSIGN_OR_RETURN(int64_t threads, IntField(config, "upload_threads", "", 4, 1, 64));
  c.upload_threads = static_cast<int>(threads);
  return c;
}

Result<std::string> ExpandS3ObjectPath(const S3DestinationConfig& config, const S3PathContext& context,
                                       std::string* fixed_prefix) {
  std::string raw;
  size_t first_varying = std::string::npos;
  SLUICE_RETURN_IF_ERROR(ExpandTemplate("s3_bucket_path", config.bucket_path, context, raw, &first_varying));
  raw += '/';
  SLUICE_RETURN_IF_ERROR(ExpandTemplate("s3_path_format", config.path_format, context, raw, &first_varying));
  // Collapse runs of '/', drop a leading one; map the first-varying offset along.
  std::string out;
  size_t prefix_end = std::string::npos;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (i == first_varying) prefix_end = out.size();
    if (raw[i] == '/' && (out.empty() || out.back() == '/')) continue;
    out += raw[i];
  }
  if (prefix_end == std::string::npos) prefix_end = out.size();
  // ".." segments would let a stream's prefix escape its folder in tools that resolve paths.
  size_t start = 0;
  for (;;) {
    const size_t slash = out.find('/', start);
    const std::string_view segment = std::string_view(out).substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (segment == "..") {
      return Status::ConfigError(
          fmt::format("s3_bucket_path / s3_path_format: '{}' has a '..' segment for stream '{}'", out,
                      context.stream.ToString()));
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (fixed_prefix) *fixed_prefix = out.substr(0, prefix_end);
  return out;
}

std::string S3FormatExtension(const S3DestinationConfig& config) {
  switch (config.format) {
    case S3OutputFormat::kParquet:
      return ".parquet";
    case S3OutputFormat::kCsv:
      return config.compression == Compression::kGzip ? ".csv.gz" : ".csv";
    case S3OutputFormat::kJsonl:
      return config.compression == Compression::kGzip ? ".jsonl.gz" : ".jsonl";
  }
  return "";
}

Result<std::string> ExpandS3FileName(const S3DestinationConfig& config, uint64_t part, int64_t sync_id,
                                     int64_t now_micros) {
  const std::string extension = S3FormatExtension(config);
  const std::string pattern = config.file_name_pattern.empty() ? "{part_number}{format_extension}" : config.file_name_pattern;
  int64_t days = now_micros / kMicrosPerDay;
  if (now_micros % kMicrosPerDay < 0) --days;
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, year, month, day);

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
    if (name == "date") {
      out += fmt::format("{:04}_{:02}_{:02}", year, month, day);
    } else if (name == "date:yyyy_MM") {
      out += fmt::format("{:04}_{:02}", year, month);
    } else if (name == "timestamp" || name == "timestamp:millis") {
      out += fmt::format("{}", now_micros / 1000);
    } else if (name == "timestamp:micros") {
      out += fmt::format("{}", now_micros);
    } else if (name == "part_number") {
      out += fmt::format("{}", part);
      has_part = true;
    } else if (name == "sync_id") {
      out += fmt::format("{}", sync_id);
    } else if (name == "format_extension") {
      extension_at = out.size();
      out += extension;
    } else {
      return Status::ConfigError(fmt::format(
          "file_name_pattern: unknown placeholder {{{}}}; known: {{date}} {{date:yyyy_MM}} {{timestamp}} "
          "{{timestamp:millis}} {{timestamp:micros}} {{part_number}} {{sync_id}} {{format_extension}}",
          name));
    }
    i = close + 1;
  }
  if (!has_part && part > 0) {
    out.insert(extension_at == std::string::npos ? out.size() : extension_at, fmt::format("_{}", part));
  }
  if (out.empty()) return Status::ConfigError("file_name_pattern: gives an empty file name");
  return out;
}

}  // namespace sluice
