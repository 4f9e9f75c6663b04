#include "connectors/destinations/local/local_config.h"

#include <fmt/format.h>

#include <cctype>

#include "base/time.h"

namespace sluice {
namespace {

constexpr const char* kSpec = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Local Files Destination Spec",
  "type": "object",
  "required": ["destination_path"],
  "additionalProperties": false,
  "properties": {
    "destination_path": {
      "type": "string",
      "title": "Destination Path",
      "description": "Root folder of the output; created if missing. A relative path is relative to the working directory of sluice.",
      "examples": ["/data/sluice", "./output"],
      "order": 0
    },
    "path_format": {
      "type": "string",
      "title": "Stream Folder Format",
      "description": "Folder of a stream under the root. Variables: ${NAMESPACE} (its segment is dropped when the stream has no namespace), ${STREAM_NAME}, and the sync start in UTC: ${YEAR} ${MONTH} ${DAY} ${HOUR} ${MINUTE} ${SECOND} ${EPOCH} (milliseconds). Must stay inside the root (no '..').",
      "default": "${NAMESPACE}/${STREAM_NAME}",
      "examples": ["${NAMESPACE}/${STREAM_NAME}", "${STREAM_NAME}/${YEAR}/${MONTH}/${DAY}"],
      "order": 1
    },
    "format": {
      "type": "object",
      "title": "Output Format",
      "description": "File format of the data files.",
      "additionalProperties": false,
      "default": {"format_type": "JSONL", "compression": "none"},
      "order": 2,
      "properties": {
        "format_type": {
          "type": "string",
          "title": "Format Type",
          "description": "JSONL: one JSON object per line with the _airbyte_* columns and the record in _airbyte_data. CSV: the _airbyte_* columns, then one column per top-level field (nested values as JSON text). Parquet: typed columns _airbyte_raw_id (UUID), _airbyte_extracted_at (timestamp), _airbyte_generation_id, _airbyte_meta (JSON), then one column per top-level field (nested values as JSON).",
          "enum": ["JSONL", "CSV", "Parquet"],
          "default": "JSONL"
        },
        "compression": {
          "type": "string",
          "title": "Compression",
          "description": "JSONL and CSV: gzip adds .gz to the file names. Parquet compresses its pages instead (compression_codec).",
          "enum": ["none", "gzip"],
          "default": "none"
        },
        "compression_codec": {
          "type": "string",
          "title": "Parquet Compression Codec",
          "description": "Parquet only: how data pages are compressed.",
          "enum": ["UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD"],
          "default": "ZSTD"
        },
        "block_size_mb": {
          "type": "integer",
          "title": "Parquet Row Group Size (MB)",
          "description": "Parquet only: a row group is closed at about this encoded, compressed size; memory use is about this much per stream being written.",
          "default": 128,
          "minimum": 1,
          "maximum": 4096
        },
        "page_size_kb": {
          "type": "integer",
          "title": "Parquet Page Size (KB)",
          "description": "Parquet only: a data page is closed once its values take about this many bytes.",
          "default": 1024,
          "minimum": 1,
          "maximum": 1048576
        },
        "dictionary_encoding": {
          "type": "boolean",
          "title": "Parquet Dictionary Encoding",
          "description": "Parquet only: dictionary-encode columns (each falls back to plain values once its dictionary outgrows dictionary_page_size_kb).",
          "default": true
        },
        "dictionary_page_size_kb": {
          "type": "integer",
          "title": "Parquet Dictionary Size (KB)",
          "description": "Parquet only: the largest dictionary of a column chunk.",
          "default": 1024,
          "minimum": 1,
          "maximum": 1048576
        },
        "delimiter": {
          "type": "string",
          "title": "CSV Delimiter",
          "description": "One character between CSV cells (CSV only); \"\\t\" for tab.",
          "default": ",",
          "minLength": 1,
          "maxLength": 2
        }
      }
    },
    "file_size_mb": {
      "type": "integer",
      "title": "File Size (MB)",
      "description": "A data file is closed and the next one started at about this size (compressed size when compressed).",
      "default": 256,
      "minimum": 1,
      "maximum": 1048576,
      "order": 3
    }
  }
})json";

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

Result<std::string> StringField(const Json& object, const char* key, std::string_view where, std::string fallback) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_string()) return Status::ConfigError(fmt::format("{}{}: must be a string", where, key));
  return it->get<std::string>();
}

// A variable's value as one path segment: no '/', no NUL, not "." or "..".
void AppendSanitized(std::string& out, std::string_view name) {
  if (name == ".") {
    out += '_';
    return;
  }
  if (name == "..") {
    out += "__";
    return;
  }
  for (char c : name) out += (c == '/' || c == '\0') ? '_' : c;
}

// A positive integer option of `format` (absent: `fallback`), times `unit`.
Result<int64_t> SizeField(const Json& format, const char* key, int64_t fallback, int64_t max, int64_t unit) {
  auto it = format.find(key);
  if (it == format.end() || it->is_null()) return fallback * unit;
  if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > max) {
    return Status::ConfigError(fmt::format("format.{}: must be an integer from 1 to {}", key, max));
  }
  return it->get<int64_t>() * unit;
}

Status ParseParquetOptions(const Json& format, LocalConfig& c) {
  if (c.compression != Compression::kNone) {
    return Status::ConfigError(
        "format.compression: Parquet files compress their pages (format.compression_codec); set compression to none");
  }
  SLUICE_ASSIGN_OR_RETURN(std::string codec, StringField(format, "compression_codec", "format.", "ZSTD"));
  if (!ParseParquetCodec(codec, c.parquet.codec)) {
    return Status::ConfigError(
        fmt::format("format.compression_codec: '{}' is not one of UNCOMPRESSED, SNAPPY, GZIP, ZSTD", codec));
  }
  SLUICE_ASSIGN_OR_RETURN(c.parquet.row_group_bytes, SizeField(format, "block_size_mb", 128, 4096, int64_t{1} << 20));
  SLUICE_ASSIGN_OR_RETURN(c.parquet.page_bytes, SizeField(format, "page_size_kb", 1024, 1 << 20, 1024));
  SLUICE_ASSIGN_OR_RETURN(c.parquet.max_dictionary_bytes,
                          SizeField(format, "dictionary_page_size_kb", 1024, 1 << 20, 1024));
  auto dictionary = format.find("dictionary_encoding");
  if (dictionary != format.end() && !dictionary->is_null()) {
    if (!dictionary->is_boolean()) return Status::ConfigError("format.dictionary_encoding: must be true or false");
    c.parquet.dictionary = dictionary->get<bool>();
  }
  return Status::Ok();
}

}  // namespace

ConnectorSpec LocalDestinationSpec() {
  ConnectorSpec spec;
  spec.documentation_url = "https://github.com/sluice/sluice/tree/main/src/connectors/destinations/local";
  spec.connection_specification = Json::parse(kSpec);
  spec.supported_destination_sync_modes = {DestinationSyncMode::kOverwrite, DestinationSyncMode::kAppend};
  return spec;
}

Result<LocalConfig> ParseLocalConfig(const Json& config) {
  if (!config.is_object()) return Status::ConfigError("the config must be a JSON object");
  LocalConfig c;
  SLUICE_ASSIGN_OR_RETURN(c.destination_path, StringField(config, "destination_path", "", ""));
  if (c.destination_path.empty()) return Status::ConfigError("destination_path: required, a folder");
  if (c.destination_path.find('\0') != std::string::npos) {
    return Status::ConfigError("destination_path: must not contain a NUL character");
  }
  SLUICE_ASSIGN_OR_RETURN(c.path_format, StringField(config, "path_format", "", c.path_format));

  auto format = config.find("format");
  if (format != config.end() && !format->is_null()) {
    if (!format->is_object()) return Status::ConfigError("format: must be an object");
    SLUICE_ASSIGN_OR_RETURN(std::string type, StringField(*format, "format_type", "format.", "JSONL"));
    if (EqualsIgnoreCase(type, "JSONL")) {
      c.format = LocalFileFormat::kJsonl;
    } else if (EqualsIgnoreCase(type, "CSV")) {
      c.format = LocalFileFormat::kCsv;
    } else if (EqualsIgnoreCase(type, "Parquet")) {
      c.format = LocalFileFormat::kParquet;
    } else {
      return Status::ConfigError(fmt::format("format.format_type: '{}' is not one of JSONL, CSV, Parquet", type));
    }
    SLUICE_ASSIGN_OR_RETURN(std::string compression, StringField(*format, "compression", "format.", "none"));
    if (EqualsIgnoreCase(compression, "none")) {
      c.compression = Compression::kNone;
    } else if (EqualsIgnoreCase(compression, "gzip")) {
      c.compression = Compression::kGzip;
    } else {
      return Status::ConfigError(fmt::format("format.compression: '{}' is not one of none, gzip", compression));
    }
    SLUICE_ASSIGN_OR_RETURN(std::string delimiter, StringField(*format, "delimiter", "format.", ","));
    if (delimiter == "\\t") delimiter = "\t";
    if (delimiter.size() != 1 || delimiter[0] == '"' || delimiter[0] == '\r' || delimiter[0] == '\n') {
      return Status::ConfigError(
          fmt::format("format.delimiter: '{}' must be one character other than a quote or a line break", delimiter));
    }
    c.csv_delimiter = delimiter[0];
    if (c.format == LocalFileFormat::kParquet) SLUICE_RETURN_IF_ERROR(ParseParquetOptions(*format, c));
  }

  auto size = config.find("file_size_mb");
  if (size != config.end() && !size->is_null()) {
    if (!size->is_number_integer() || size->get<int64_t>() < 1 || size->get<int64_t>() > (1 << 20)) {
      return Status::ConfigError("file_size_mb: must be an integer from 1 to 1048576");
    }
    c.file_size_bytes = static_cast<uint64_t>(size->get<int64_t>()) << 20;
  }
  return c;
}

Result<std::string> ExpandPathFormat(std::string_view path_format, const StreamDescriptor& stream,
                                     int64_t sync_start_micros) {
  if (!path_format.empty() && path_format.front() == '/') {
    return Status::ConfigError(
        fmt::format("path_format: '{}' is absolute; it must be a folder relative to destination_path", path_format));
  }
  const int64_t ms = sync_start_micros / 1000;
  int64_t days = sync_start_micros / kMicrosPerDay;
  int64_t micros_of_day = sync_start_micros % kMicrosPerDay;
  if (micros_of_day < 0) {
    micros_of_day += kMicrosPerDay;
    --days;
  }
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, year, month, day);
  const int64_t second_of_day = micros_of_day / kMicrosPerSecond;

  std::string out;
  std::string segment;
  size_t pos = 0;
  for (;;) {
    const size_t slash = path_format.find('/', pos);
    const std::string_view raw = path_format.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    if (raw == "..") {
      return Status::ConfigError(
          fmt::format("path_format: '{}' has a '..' segment; stream folders must stay inside destination_path", path_format));
    }
    segment.clear();
    for (size_t i = 0; i < raw.size();) {
      if (raw[i] != '$' || i + 1 >= raw.size() || raw[i + 1] != '{') {
        segment += raw[i++];
        continue;
      }
      const size_t close = raw.find('}', i + 2);
      if (close == std::string_view::npos) {
        return Status::ConfigError(fmt::format("path_format: unterminated variable in '{}'", path_format));
      }
      const std::string_view name = raw.substr(i + 2, close - i - 2);
      if (name == "NAMESPACE") {
        AppendSanitized(segment, stream.namespace_.value_or(""));
      } else if (name == "STREAM_NAME") {
        AppendSanitized(segment, stream.name);
      } else if (name == "YEAR") {
        segment += fmt::format("{:04}", year);
      } else if (name == "MONTH") {
        segment += fmt::format("{:02}", month);
      } else if (name == "DAY") {
        segment += fmt::format("{:02}", day);
      } else if (name == "HOUR") {
        segment += fmt::format("{:02}", second_of_day / 3600);
      } else if (name == "MINUTE") {
        segment += fmt::format("{:02}", second_of_day / 60 % 60);
      } else if (name == "SECOND") {
        segment += fmt::format("{:02}", second_of_day % 60);
      } else if (name == "EPOCH") {
        segment += fmt::format("{}", ms);
      } else {
        return Status::ConfigError(fmt::format(
            "path_format: unknown variable ${{{}}}; known: ${{NAMESPACE}} ${{STREAM_NAME}} ${{YEAR}} ${{MONTH}} "
            "${{DAY}} ${{HOUR}} ${{MINUTE}} ${{SECOND}} ${{EPOCH}}",
            name));
      }
      i = close + 1;
    }
    if (segment == "..") {
      return Status::ConfigError(
          fmt::format("path_format: '{}' gives a '..' segment; stream folders must stay inside destination_path", path_format));
    }
    if (!segment.empty() && segment != ".") {
      if (!out.empty()) out += '/';
      out += segment;
    }
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  if (out.empty()) {
    return Status::ConfigError(fmt::format("path_format: '{}' gives an empty folder for stream '{}'; include ${{STREAM_NAME}}",
                                           path_format, stream.ToString()));
  }
  return out;
}

std::string DataFileExtension(const LocalConfig& config) {
  if (config.format == LocalFileFormat::kParquet) return "parquet";
  std::string ext = config.format == LocalFileFormat::kCsv ? "csv" : "jsonl";
  if (config.compression == Compression::kGzip) ext += ".gz";
  return ext;
}

}  // namespace sluice
