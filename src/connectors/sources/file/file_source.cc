#include "connectors/sources/file/file_source.h"

#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/log.h"
#include "connectors/kit/configured_streams.h"
#include "connectors/kit/file_record_reader.h"
#include "connectors/kit/file_storage.h"
#include "connectors/kit/schema_inference.h"
#include "connectors/kit/stream_batcher.h"
#include "connectors/sdk/registry.h"
#include "connectors/sources/file/airbyte_file_config.h"
#include "connectors/sources/file/file_provider.h"
#include "formats/csv/csv_reader.h"
#include "formats/parquet/parquet_reader.h"
#include "io/json_lines_stream.h"

namespace sluice {

namespace {

// ---- Config ---------------------------------------------------------------------------------

struct StreamConfig {
  std::string name;
  std::string pattern;  // the path or URL, or the glob pattern
  bool is_glob = false;
  FileScheme scheme = FileScheme::kLocal;
  FileProvider provider;              // the one serving `scheme` (the default: local / environment)
  std::shared_ptr<FileStorage> storage;  // made by PrepareStream
  std::optional<InputFileFormat> format;  // set by ResolveFormat when not configured
  bool json_document = false;        // format json: read as JSON lines through MakeJsonToLinesStream
  bool json_wrapped = false;         // `storage` is a JsonDocumentStorage
  CsvOptions csv;
  bool delimiter_given = false;
  SchemaPtr schema;  // the configured schema, or null (inferred)
  std::vector<std::string> primary_key;
  bool skip_errors = false;

  std::string Label() const { return "stream '" + name + "'"; }
};

struct FileConfig {
  std::vector<StreamConfig> streams;
  std::optional<FileProvider> provider;  // the source-level provider block
  uint64_t infer_rows = 10000;
};

Json SpecJson() {
  Json spec = Json::parse(R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "File Source Spec",
  "description": "Reads CSV, JSON and JSONL files (plain or gzip/zstd-compressed) and Parquet files: local paths, s3://bucket/key objects and http(s):// URLs. Give either streams (sluice's form: each entry becomes one stream) or Airbyte source-file's single-file form: dataset_name, url, format, provider, reader_options.",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "dataset_name": {"title": "Dataset Name (Airbyte's form)", "description": "Airbyte source-file: the stream's name. With url, instead of streams.", "type": "string", "order": 0},
    "format": {"title": "File Format (Airbyte's form)", "description": "Airbyte source-file: the file's format (default csv). sluice reads csv, json (an array of objects, one object, or objects one after another), jsonl and parquet; Airbyte's excel, excel_binary, feather, fwf, yaml, html, orc and pickle are a config error naming format.", "type": "string", "enum": ["csv", "json", "jsonl", "parquet", "excel", "excel_binary", "feather", "fwf", "yaml", "html", "orc", "pickle"], "order": 1},
    "reader_options": {"title": "Reader Options (Airbyte's form)", "description": "Airbyte source-file: pandas options as a JSON string. csv: sep/delimiter, quotechar, escapechar, doublequote, encoding (utf-8), header (row number or null), skiprows (a count), na_values, keep_default_na (pandas' missing-value texts are null unless false); json/jsonl: lines, orient (records); parquet: none. Others are a config error naming the option.", "type": "string", "examples": ["{}", "{\"sep\": \";\"}"], "order": 2},
    "url": {"title": "URL (Airbyte's form)", "description": "Airbyte source-file: the file's URL: https://… (provider HTTPS), s3://bucket/key (S3) or a path (local).", "type": "string", "order": 3},
    "streams": {
      "title": "Streams",
      "description": "One stream per entry: a file, or every file a glob pattern matches (read in name order as one stream).",
      "type": "array",
      "minItems": 1,
      "items": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": false,
        "properties": {
          "name": {"title": "Stream name", "description": "The stream's name in the catalog.", "type": "string", "minLength": 1},
          "path": {"title": "Path or URL", "description": "A local file (/data/orders.csv, /data/events.jsonl.gz), an S3 object (s3://bucket/key) or an http(s):// URL; a local or s3:// path with wildcards (/data/*.csv) is read as a glob. Give one of path, url and glob.", "type": "string", "minLength": 1},
          "url": {"title": "URL", "description": "Same as path (Airbyte source-file's name).", "type": "string", "minLength": 1},
          "glob": {"title": "Glob", "description": "A glob(3) pattern over local files (/data/orders/*.csv) or S3 keys (s3://bucket/orders/*.csv; * does not cross '/'); every matching file is read, in name order, as one stream with the first file's columns. Give one of path, url and glob.", "type": "string", "minLength": 1},
          "provider": {"description": "The storage provider for this stream's URL; overrides the source-level provider."},
          "format": {"title": "Format", "description": "File format. Default: from the file name: .csv and .tsv are csv, .jsonl and .ndjson are jsonl, .json is json (also with a .gz or .zst suffix), .parquet is parquet (its columns and types come from the file). json: an array of objects, one object, or objects one after another, pretty-printed or not.", "type": "string", "enum": ["csv", "json", "jsonl", "parquet"]},
          "csv": {
            "title": "CSV options",
            "description": "How CSV files are written.",
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "delimiter": {"title": "Delimiter", "description": "One character; \\t or tab for a tab. Default: ',' (tab for .tsv files).", "type": "string", "default": ","},
              "quote_char": {"title": "Quote character", "description": "Encloses fields holding delimiters, quotes or line breaks; empty turns quoting off.", "type": "string", "default": "\""},
              "escape_char": {"title": "Escape character", "description": "Makes the next character literal, e.g. \\\\. Default: none (quotes are escaped by doubling them).", "type": "string"},
              "double_quote": {"title": "Doubled quotes", "description": "Two quote characters inside a quoted field stand for one.", "type": "boolean", "default": true},
              "header": {"title": "Header row", "description": "The first row holds the column names. Without it columns are named f0, f1, ... (or by the schema option, in order).", "type": "boolean", "default": true},
              "skip_rows_before_header": {"title": "Lines before the header", "description": "Lines skipped at the start of each file.", "type": "integer", "minimum": 0, "default": 0},
              "encoding": {"title": "Encoding", "description": "Only utf-8 is supported.", "type": "string", "default": "utf-8"},
              "null_values": {"title": "Null values", "description": "Cell texts read as null.", "type": "array", "items": {"type": "string"}, "default": [""]},
              "strings_can_be_null": {"title": "Strings can be null", "description": "Whether null_values apply to string columns (otherwise an empty cell is an empty string).", "type": "boolean", "default": true}
            }
          },
          "schema": {
            "title": "Schema",
            "description": "Column name to type; when given it is used instead of inferring types, and columns not listed are not read.",
            "type": "object",
            "additionalProperties": {"type": "string"}
          },
          "primary_key": {"title": "Primary key", "description": "Columns that identify a row.", "type": "array", "items": {"type": "string"}},
          "on_error": {"title": "On malformed rows", "description": "fail stops the sync at the first malformed row; skip leaves such rows out, counts them and logs their line numbers.", "type": "string", "enum": ["fail", "skip"], "default": "fail"}
        }
      }
    },
    "provider": {"description": "Storage provider for s3:// or http(s):// URLs (credentials, endpoint, CA certificate); in Airbyte's single-file form, where url is read from (default HTTPS)."},
    "infer_rows": {"title": "Rows sampled for types", "description": "How many rows (from the first files) are read to infer column types.", "type": "integer", "minimum": 1, "default": 10000}
  }
})json");
  spec["properties"]["streams"]["items"]["properties"]["schema"]["additionalProperties"]["enum"] = ColumnTypeNames();
  for (Json* provider : {&spec["properties"]["provider"], &spec["properties"]["streams"]["items"]["properties"]["provider"]}) {
    const std::string description = (*provider)["description"].get<std::string>();
    *provider = FileProviderSpecJson();
    (*provider)["description"] = description;
  }
  return spec;
}

// One character from a string option: "\t" and "tab" mean a tab; `empty` accepts "" as '\0'.
Result<char> ParseCharOption(const Json& value, const std::string& where, bool allow_empty) {
  if (!value.is_string()) return Status::ConfigError(where + " must be a string");
  const std::string s = value.get<std::string>();
  if (s == "\\t" || s == "tab" || s == "\t") return '\t';
  if (s.empty() && allow_empty) return '\0';
  if (s.size() != 1) return Status::ConfigError(where + " must be a single character, got '" + s + "'");
  return s[0];
}

Status ParseCsvOptions(const Json& j, const std::string& where, StreamConfig& s) {
  if (!j.is_object()) return Status::ConfigError(where + " must be an object");
  CsvOptions& o = s.csv;
  for (const auto& [key, value] : j.items()) {
    const std::string at = where + "." + key;
    if (key == "delimiter") {
      SLUICE_ASSIGN_OR_RETURN(o.delimiter, ParseCharOption(value, at, false));
      s.delimiter_given = true;
    } else if (key == "quote_char") {
      SLUICE_ASSIGN_OR_RETURN(o.quote_char, ParseCharOption(value, at, true));
    } else if (key == "escape_char") {
      SLUICE_ASSIGN_OR_RETURN(const char c, ParseCharOption(value, at, true));
      if (c != '\0') o.escape_char = c;
    } else if (key == "double_quote" || key == "header" || key == "strings_can_be_null") {
      if (!value.is_boolean()) return Status::ConfigError(at + " must be true or false");
      (key == "double_quote" ? o.double_quote : key == "header" ? o.header : o.strings_can_be_null) = value.get<bool>();
    } else if (key == "skip_rows_before_header") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0) {
        return Status::ConfigError(at + " must be a non-negative integer");
      }
      o.skip_rows_before_header = value.get<uint64_t>();
    } else if (key == "encoding") {
      if (!value.is_string()) return Status::ConfigError(at + " must be a string");
      o.encoding = value.get<std::string>();
    } else if (key == "null_values") {
      if (!value.is_array()) return Status::ConfigError(at + " must be an array of strings");
      o.null_values.clear();
      for (const auto& v : value) {
        if (!v.is_string()) return Status::ConfigError(at + " must be an array of strings");
        o.null_values.push_back(v.get<std::string>());
      }
    } else {
      return Status::ConfigError(at + " is not a CSV option");
    }
  }
  return o.Validate().WithContext(where);
}

Result<FileConfig> ParseConfig(const Json& given) {
  SLUICE_ASSIGN_OR_RETURN(const bool airbyte_shape, UsesAirbyteFileShape(given));
  Json translated;
  if (airbyte_shape) {
    SLUICE_ASSIGN_OR_RETURN(translated, AirbyteFileConfigToStreams(given));
  }
  const Json& config = airbyte_shape ? translated : given;
  if (!config.is_object() || !config.contains("streams") || !config["streams"].is_array() ||
      config["streams"].empty()) {
    return Status::ConfigError(
        "streams must be a non-empty array (or give Airbyte source-file's dataset_name and url instead)");
  }
  FileConfig out;
  if (config.contains("infer_rows")) {
    const Json& v = config["infer_rows"];
    if (!v.is_number_integer() || v.get<int64_t>() < 1) return Status::ConfigError("infer_rows must be a positive integer");
    out.infer_rows = v.get<uint64_t>();
  }
  if (config.contains("provider")) {
    SLUICE_ASSIGN_OR_RETURN(out.provider, ParseFileProvider(config["provider"], "provider"));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < config["streams"].size(); ++i) {
    const Json& j = config["streams"][i];
    const std::string where = "streams[" + std::to_string(i) + "]";
    if (!j.is_object()) return Status::ConfigError(where + " must be an object");
    StreamConfig s;
    if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty()) {
      return Status::ConfigError(where + ".name is required");
    }
    s.name = j["name"].get<std::string>();
    if (!names.insert(s.name).second) return Status::ConfigError(where + ": stream name '" + s.name + "' is used twice");
    const char* key = nullptr;
    for (const char* k : {"path", "url", "glob"}) {
      if (!j.contains(k)) continue;
      if (key != nullptr) {
        return Status::ConfigError(where + " (" + s.Label() + ") has both " + key + " and " + k +
                                   "; give only one of path, url and glob");
      }
      key = k;
    }
    if (key == nullptr) return Status::ConfigError(where + " (" + s.Label() + ") needs path, url or glob");
    const bool has_glob = std::string_view(key) == "glob";
    const Json& location = j[key];
    if (!location.is_string() || location.get<std::string>().empty()) {
      return Status::ConfigError(where + "." + key + " must be a non-empty string");
    }
    s.pattern = location.get<std::string>();
    s.scheme = SchemeOf(s.pattern);
    if (s.scheme == FileScheme::kHttp) {
      if (has_glob) return Status::ConfigError(where + ".glob: http(s) URLs cannot be globs (a server cannot list files)");
      s.is_glob = false;  // '?' starts a query string
    } else if (s.scheme == FileScheme::kS3) {
      s.is_glob = has_glob || s.pattern.find_first_of("*?[") != std::string::npos;
    } else {
      // A path with wildcards that names no file is a glob too, as users expect.
      s.is_glob = has_glob || (s.pattern.find_first_of("*?[") != std::string::npos && access(s.pattern.c_str(), F_OK) != 0);
    }
    if (j.contains("provider")) {
      SLUICE_ASSIGN_OR_RETURN(s.provider, ParseFileProvider(j["provider"], where + ".provider"));
      if (!ProviderServes(s.provider, s.scheme)) {
        return Status::ConfigError(where + ".provider: storage does not match " + key + " (S3 serves s3:// URLs, "
                                   "HTTPS http(s):// URLs, local paths)");
      }
    } else if (out.provider && ProviderServes(*out.provider, s.scheme)) {
      s.provider = *out.provider;
    }
    if (j.contains("format")) {
      const Json& f = j["format"];
      if (f == "csv") {
        s.format = InputFileFormat::kCsv;
      } else if (f == "jsonl") {
        s.format = InputFileFormat::kJsonl;
      } else if (f == "json") {
        s.format = InputFileFormat::kJsonl;
        s.json_document = true;
      } else if (f == "parquet") {
        s.format = InputFileFormat::kParquet;
      } else {
        return Status::ConfigError(where + ".format must be csv, json, jsonl or parquet");
      }
    }
    if (j.contains("csv")) SLUICE_RETURN_IF_ERROR(ParseCsvOptions(j["csv"], where + ".csv", s));
    if (j.contains("schema")) {
      const Json& schema = j["schema"];
      if (!schema.is_object() || schema.empty()) {
        return Status::ConfigError(where + ".schema must be an object naming at least one column");
      }
      std::vector<Field> fields;
      for (const auto& [column, type_name] : schema.items()) {
        std::optional<TypeId> type;
        if (type_name.is_string()) type = ColumnTypeFromName(type_name.get<std::string>());
        if (!type) {
          return Status::ConfigError(where + ".schema." + column + ": unknown type " + type_name.dump() +
                                     " (one of boolean, integer, number, string, date, timestamp, "
                                     "timestamp_with_timezone, timestamp_without_timezone, time, json)");
        }
        fields.push_back(Field{column, *type, true, Json()});
      }
      s.schema = std::make_shared<Schema>(std::move(fields));
    }
    if (j.contains("primary_key")) {
      const Json& pk = j["primary_key"];
      if (!pk.is_array()) return Status::ConfigError(where + ".primary_key must be an array of column names");
      for (const auto& c : pk) {
        if (!c.is_string()) return Status::ConfigError(where + ".primary_key must be an array of column names");
        s.primary_key.push_back(c.get<std::string>());
      }
    }
    if (j.contains("on_error")) {
      const Json& e = j["on_error"];
      if (e != "fail" && e != "skip") return Status::ConfigError(where + ".on_error must be fail or skip");
      s.skip_errors = e == "skip";
    }
    s.csv.skip_malformed_rows = s.skip_errors;
    out.streams.push_back(std::move(s));
  }
  return out;
}

// ---- Files and formats ----------------------------------------------------------------------

//! The files of a stream: its path, or its glob's matches (regular files only, sorted).
Result<std::vector<FileInfo>> ListFiles(const StreamConfig& s) {
  if (!s.is_glob) return std::vector<FileInfo>{FileInfo{s.pattern, std::nullopt, 0}};
  auto files = s.storage->Glob(s.pattern);
  if (!files.ok()) return files.status().WithContext(s.Label());
  if (files->empty()) return Status::ConfigError(s.Label() + ": no file matches glob '" + s.pattern + "'");
  return files;
}

std::vector<std::string> Paths(const std::vector<FileInfo>& files) {
  std::vector<std::string> paths;
  paths.reserve(files.size());
  for (const FileInfo& f : files) paths.push_back(f.path);
  return paths;
}

std::string LowerExtension(std::string_view path) {
  path = StripCompressionExtension(FileNameOf(path));
  const size_t slash = path.rfind('/');
  const size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return "";
  std::string ext(path.substr(dot));
  for (char& c : ext) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return ext;
}

//! Sets the stream's format (from its file names when not configured) and the tab delimiter of
//! .tsv files.
Status ResolveFormat(StreamConfig& s, const std::vector<FileInfo>& files) {
  std::string ext = LowerExtension(s.pattern);
  if (ext != ".csv" && ext != ".tsv" && ext != ".jsonl" && ext != ".ndjson" && ext != ".json" && ext != ".parquet" &&
      !files.empty()) {
    ext = LowerExtension(files[0].path);
  }
  if (ext == ".tsv" && !s.delimiter_given) s.csv.delimiter = '\t';
  if (!s.format) {
    if (ext == ".csv" || ext == ".tsv") {
      s.format = InputFileFormat::kCsv;
    } else if (ext == ".jsonl" || ext == ".ndjson") {
      s.format = InputFileFormat::kJsonl;
    } else if (ext == ".json") {
      s.format = InputFileFormat::kJsonl;
      s.json_document = true;
    } else if (ext == ".parquet" || ext == ".pq") {
      s.format = InputFileFormat::kParquet;
    } else {
      return Status::ConfigError(s.Label() + ": cannot tell the format of '" + (files.empty() ? s.pattern : files[0].path) +
                                 "' from its name; set format to csv, json, jsonl or parquet");
    }
  }
  if (*s.format == InputFileFormat::kParquet && s.schema) {
    return Status::ConfigError(s.Label() + ": Parquet files carry their own column types; leave out the schema option");
  }
  return Status::Ok();
}

//! Format json: every opened file reads as JSON lines (one record per line).
class JsonDocumentStorage final : public FileStorage {
 public:
  explicit JsonDocumentStorage(std::shared_ptr<FileStorage> inner) : inner_(std::move(inner)) {}
  Result<std::vector<FileInfo>> Glob(const std::string& pattern) override { return inner_->Glob(pattern); }
  Status List(const std::string& prefix, const std::function<Status(const FileInfo&)>& each) override {
    return inner_->List(prefix, each);
  }
  Result<std::unique_ptr<InputStream>> Open(const std::string& path) override {
    SLUICE_ASSIGN_OR_RETURN(auto input, inner_->Open(path));
    return MakeJsonToLinesStream(std::move(input));
  }
  Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& path) override {
    return inner_->OpenRandomAccess(path);
  }

 private:
  std::shared_ptr<FileStorage> inner_;
};

Result<std::vector<FileInfo>> PrepareStream(StreamConfig& s) {
  if (!s.storage) {
    auto storage = MakeFileStorage(s.scheme, s.provider);
    if (!storage.ok()) return storage.status().WithContext(s.Label());
    s.storage = std::move(*storage);
  }
  SLUICE_ASSIGN_OR_RETURN(auto files, ListFiles(s));
  SLUICE_RETURN_IF_ERROR(ResolveFormat(s, files));
  if (s.json_document && !s.json_wrapped) {
    s.storage = std::make_shared<JsonDocumentStorage>(std::move(s.storage));
    s.json_wrapped = true;
  }
  return files;
}

//! How the kit's reader reads this stream's files.
FileReadOptions ReadOptions(const StreamConfig& s) {
  FileReadOptions o;
  o.format = *s.format;
  o.csv = s.csv;
  if (!s.csv.header && s.schema) {
    // Without a header the configured schema names the columns, in order.
    for (const Field& f : s.schema->fields()) o.csv_column_names.push_back(f.name);
  }
  o.on_bad_row = s.skip_errors ? BadRowPolicy::kSkipRow : BadRowPolicy::kFail;
  o.same_columns_as_first_file = !s.schema;  // inferred from the first file: later ones may not add columns
  return o;
}

Result<SchemaPtr> InferSchema(const StreamConfig& s, const std::vector<FileInfo>& files, uint64_t max_rows) {
  FileStorage& storage = *s.storage;
  switch (*s.format) {
    case InputFileFormat::kCsv:
      return InferCsvSchema(Paths(files), s.csv, max_rows, [&](const std::string& f) { return storage.Open(f); });
    case InputFileFormat::kJsonl:
      return InferJsonlSchema(Paths(files), max_rows, s.skip_errors,
                              [&](const std::string& f) { return storage.Open(f); });
    case InputFileFormat::kParquet:
      return InferParquetSchema({files[0].path}, [&](const std::string& f) { return storage.OpenRandomAccess(f); },
                                false);
  }
  return Status::SystemError("no format");
}

// ---- The connector --------------------------------------------------------------------------

class FileSource final : public Source {
 public:
  ConnectorSpec Spec() const override {
    return ConnectorSpec::ForSource("https://docs.airbyte.com/integrations/sources/file", SpecJson(), false);
  }

  Status Check(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(FileConfig parsed, ParseConfig(config));
    for (auto& s : parsed.streams) {
      SLUICE_ASSIGN_OR_RETURN(auto files, PrepareStream(s));
      for (const auto& file : files) {
        Status st = CheckFile(s, file.path);
        if (!st.ok()) return st.WithContext(s.Label());
      }
    }
    return Status::Ok();
  }

  Result<Catalog> Discover(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(FileConfig parsed, ParseConfig(config));
    Catalog catalog;
    for (auto& s : parsed.streams) {
      SLUICE_ASSIGN_OR_RETURN(auto files, PrepareStream(s));
      SchemaPtr schema = s.schema;
      if (!schema) {
        Result<SchemaPtr> inferred = InferSchema(s, files, parsed.infer_rows);
        if (!inferred.ok()) return inferred.status().WithContext(s.Label());
        schema = *inferred;
      }
      AirbyteStream stream;
      stream.name = s.name;
      stream.json_schema = schema->ToJsonSchema();
      stream.supported_sync_modes = {SyncMode::kFullRefresh};
      for (const auto& column : s.primary_key) {
        if (schema->IndexOf(column) < 0) {
          return Status::ConfigError(s.Label() + ": primary_key column '" + column + "' is not a column of the stream");
        }
        stream.source_defined_primary_key.push_back({column});
      }
      catalog.streams.push_back(std::move(stream));
    }
    return catalog;
  }

  Status Read(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out) override {
    (void)state;  // full refresh: every read starts over
    SLUICE_ASSIGN_OR_RETURN(FileConfig parsed, ParseConfig(config));
    return ReadConfiguredStreams(parsed.streams, catalog, out, ReadStream);
  }

 private:
  static Status CheckFile(const StreamConfig& s, const std::string& file) {
    if (*s.format == InputFileFormat::kParquet) {
      SLUICE_ASSIGN_OR_RETURN(auto input, s.storage->OpenRandomAccess(file));
      return ParquetReader::Open(std::move(input)).status();
    }
    SLUICE_ASSIGN_OR_RETURN(auto input, s.storage->Open(file));
    if (*s.format == InputFileFormat::kCsv) {
      CsvOptions options = s.csv;
      options.chunk_bytes = 64 << 10;
      return CsvReader::Open(std::move(input), options).status();
    }
    char probe[4096];
    return input->Read(probe, sizeof(probe)).status();
  }

  //! Every file of the stream, then its state (a count: full refresh has nothing to resume).
  static Status ReadStream(StreamConfig& s, const ConfiguredStream& cs, StreamBatcher& batcher) {
    SLUICE_ASSIGN_OR_RETURN(const std::vector<FileInfo> files, PrepareStream(s));
    FileRecordReader reader(*s.storage, ReadOptions(s), batcher);
    for (const FileInfo& file : files) SLUICE_RETURN_IF_ERROR(reader.ReadFile(file));
    if (reader.skipped() > 0) {
      std::string where;
      for (const auto& n : reader.skipped_at()) where += (where.empty() ? "" : ", ") + n;
      Log(LogLevel::kWarn, "{}: skipped {} malformed rows (first at {})", s.Label(), reader.skipped(), where);
    }
    if (reader.unknown_fields() > 0) {
      Log(LogLevel::kInfo, "{}: {} values of fields outside the catalog's schema were dropped", s.Label(),
          reader.unknown_fields());
    }
    Log(LogLevel::kInfo, "{}: read {} rows from {} file(s)", s.Label(), batcher.rows(), reader.files_read());
    StateMessage state;
    state.type = StateType::kStream;
    state.stream.descriptor = cs.descriptor();
    state.stream.stream_state = Json{{"files_read", reader.files_read()}, {"rows_read", batcher.rows()}};
    return batcher.Checkpoint(std::move(state));
  }
};

}  // namespace

std::unique_ptr<Source> MakeFileSource() { return std::make_unique<FileSource>(); }

SLUICE_REGISTER_SOURCE("source-file", "File (CSV, JSON, JSONL, Parquet)",
                       "CSV, JSON, JSONL and Parquet files, local or at https:// and s3:// URLs, plain or gzip/zstd-compressed, one stream per file or glob",
                       MakeFileSource);

}  // namespace sluice
