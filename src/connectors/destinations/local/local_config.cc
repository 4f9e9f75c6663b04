#include "connectors/destinations/local/local_config.h"

#include <cctype>

#include <fmt/format.h>

#include "connectors/kit/config_reader.h"
#include "connectors/kit/file_destination.h"
#include "connectors/kit/path_template.h"

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
      "description": "Folder of a stream under the root. Variables: ${NAMESPACE} (its segment is dropped when the stream has no namespace), ${STREAM_NAME}, ${SOURCE_NAMESPACE} (the same as ${NAMESPACE}: destinations see mapped namespaces), the sync start in UTC: ${YEAR} ${MONTH} ${DAY} ${HOUR} ${MINUTE} ${SECOND} ${MILLISECOND} ${EPOCH} (milliseconds), and ${UUID} (random, per stream and run). Must stay inside the root (no '..').",
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
          "description": "JSONL: one JSON object per line with the _airbyte_* columns and the record in _airbyte_data. CSV: the _airbyte_* columns, then one column per top-level field (nested values as JSON text). Parquet: typed columns _airbyte_raw_id (a UUID as a string, as in every format and in destination-s3), _airbyte_extracted_at (timestamp), _airbyte_generation_id, _airbyte_meta (JSON), then one column per top-level field (nested values as JSON).",
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
      "description": "A data file is closed and the next one started at about this size (compressed size when compressed).",
      "default": 256,
      "minimum": 1,
      "maximum": 1048576,
      "order": 3
    }
  }
})json";

void ReadLocalConfig(ConfigReader& r, LocalConfig& c) {
  ReadLocalFolderKeys(r, c);
  ConfigReader format = r.Object("format");
  c.format = ReadFormatType(format, FileFormat::kJsonl);
  c.flattening = c.format == FileFormat::kCsv ? Flattening::kRootLevel : Flattening::kNone;
  const std::string compression = format.String("compression", "none");
  if (EqualsIgnoreCase(compression, "gzip")) {
    c.compression = Compression::kGzip;
  } else if (!EqualsIgnoreCase(compression, "none")) {
    format.Fail("compression", fmt::format("'{}' is not one of none, gzip", compression));
  }
  ReadCsvDelimiter(format, "delimiter", format.String("delimiter", ","), c);
  if (c.format == FileFormat::kParquet) {
    if (c.compression != Compression::kNone) {
      format.Fail("compression",
                  "Parquet files compress their pages (format.compression_codec); set compression to none");
    }
    ReadParquetOptions(format, "ZSTD", c.parquet);
  }
}

}  // namespace

void ReadLocalFolderKeys(ConfigReader& r, LocalConfig& c) {
  c.destination_path = r.String("destination_path");
  if (c.destination_path.find('\0') != std::string::npos) r.Fail("destination_path", "must not contain a NUL character");
  c.path_format = r.String("path_format", c.path_format);
}

void ReadCsvDelimiter(ConfigReader& r, std::string_view key, std::string text, LocalConfig& c) {
  if (text == "\\t") text = "\t";
  // Airbyte's destination-csv spec spells the character as a JSON escape in text: "\u002c".
  if (text.size() == 6 && text.starts_with("\\u00") && std::isxdigit(static_cast<unsigned char>(text[4])) &&
      std::isxdigit(static_cast<unsigned char>(text[5]))) {
    text = std::string(1, static_cast<char>(std::stoi(text.substr(4), nullptr, 16)));
  }
  if (text.size() != 1 || text[0] == '"' || text[0] == '\r' || text[0] == '\n') {
    r.Fail(key, fmt::format("'{}' must be one character other than a quote or a line break", text));
  } else {
    c.csv_delimiter = text[0];
  }
}

ConnectorSpec LocalDestinationSpec() { return FileDestinationSpec(kSpec, "local"); }

Result<LocalConfig> ParseLocalConfig(const Json& config) {
  return ReadFileDestinationConfig<LocalConfig>(config, ReadLocalConfig);
}

Result<std::string> ExpandPathFormat(std::string_view path_format, const StreamDescriptor& stream,
                                     int64_t sync_start_micros, std::string_view uuid) {
  if (!path_format.empty() && path_format.front() == '/') {
    return Status::ConfigError(fmt::format(
        "$.path_format: '{}' is absolute; it must be a folder relative to destination_path", path_format));
  }
  SLUICE_ASSIGN_OR_RETURN(PathTemplate folder, PathTemplate::Parse(path_format, "$.path_format"));
  std::string expanded;
  folder.ExpandTo({.stream = stream, .sync_start_micros = sync_start_micros, .uuid = std::string(uuid)}, expanded);
  SLUICE_ASSIGN_OR_RETURN(std::string out, NormalizeRelativePath(expanded, "$.path_format", stream));
  if (!out.empty() && out.back() == '/') out.pop_back();
  if (out.empty()) {
    return Status::ConfigError(fmt::format(
        "$.path_format: '{}' gives an empty folder for stream '{}'; include ${{STREAM_NAME}}", path_format,
        stream.ToString()));
  }
  return out;
}

}  // namespace sluice
