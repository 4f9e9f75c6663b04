#include "connectors/sources/file/file_source.h"

#include <unistd.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "base/log.h"
#include "base/time.h"
#include "connectors/sdk/registry.h"
#include "connectors/sources/file/file_store.h"
#include "connectors/kit/schema_inference.h"
#include "io/input_stream.h"
#include "formats/csv/csv_reader.h"
#include "formats/parquet/parquet_reader.h"
#include "protocol/codec.h"

namespace sluice {

namespace {

constexpr size_t kBatchRows = 16384;
constexpr size_t kBatchBytes = size_t{4} << 20;
constexpr size_t kMaxNotedRows = 5;  // malformed rows named in the summary log line

// ---- Config ---------------------------------------------------------------------------------

enum class FileFormat { kCsv, kJsonl, kParquet };

struct StreamConfig {
  std::string name;
  std::string pattern;  // the path or URL, or the glob pattern
  bool is_glob = false;
  FileScheme scheme = FileScheme::kLocal;
  FileProvider provider;              // the one serving `scheme` (the default: local / environment)
  std::shared_ptr<FileStore> store;   // made by PrepareStream
  std::optional<FileFormat> format;  // set by ResolveFormat when not configured
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
  "description": "Reads CSV and JSONL files (plain or gzip/zstd-compressed) and Parquet files: local paths, s3://bucket/key objects and http(s):// URLs. Each entry of streams becomes one stream.",
  "type": "object",
  "required": ["streams"],
  "additionalProperties": false,
  "properties": {
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
          "format": {"title": "Format", "description": "File format. Default: from the file name: .csv and .tsv are csv, .jsonl and .ndjson are jsonl (also with a .gz or .zst suffix), .parquet is parquet (its columns and types come from the file).", "type": "string", "enum": ["csv", "jsonl", "parquet"]},
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
    "provider": {"description": "Storage provider for s3:// or http(s):// URLs (credentials, endpoint, CA certificate)."},
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

Result<FileConfig> ParseConfig(const Json& config) {
  if (!config.is_object() || !config.contains("streams") || !config["streams"].is_array() ||
      config["streams"].empty()) {
    return Status::ConfigError("streams must be a non-empty array");
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
        s.format = FileFormat::kCsv;
      } else if (f == "jsonl") {
        s.format = FileFormat::kJsonl;
      } else if (f == "parquet") {
        s.format = FileFormat::kParquet;
      } else {
        return Status::ConfigError(where + ".format must be csv, jsonl or parquet");
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
Result<std::vector<std::string>> ListFiles(const StreamConfig& s) {
  if (!s.is_glob) return std::vector<std::string>{s.pattern};
  auto files = s.store->Glob(s.pattern);
  if (!files.ok()) return files.status().WithContext(s.Label());
  if (files->empty()) return Status::ConfigError(s.Label() + ": no file matches glob '" + s.pattern + "'");
  return files;
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
Status ResolveFormat(StreamConfig& s, const std::vector<std::string>& files) {
  std::string ext = LowerExtension(s.pattern);
  if (ext != ".csv" && ext != ".tsv" && ext != ".jsonl" && ext != ".ndjson" && ext != ".parquet" && !files.empty()) {
    ext = LowerExtension(files[0]);
  }
  if (ext == ".tsv" && !s.delimiter_given) s.csv.delimiter = '\t';
  if (!s.format) {
    if (ext == ".csv" || ext == ".tsv") {
      s.format = FileFormat::kCsv;
    } else if (ext == ".jsonl" || ext == ".ndjson") {
      s.format = FileFormat::kJsonl;
    } else if (ext == ".parquet" || ext == ".pq") {
      s.format = FileFormat::kParquet;
    } else {
      return Status::ConfigError(s.Label() + ": cannot tell the format of '" + (files.empty() ? s.pattern : files[0]) +
                                 "' from its name; set format to csv, jsonl or parquet");
    }
  }
  if (*s.format == FileFormat::kParquet && s.schema) {
    return Status::ConfigError(s.Label() + ": Parquet files carry their own column types; leave out the schema option");
  }
  return Status::Ok();
}

//! A Parquet file's reader (footer read and checked).
Result<std::unique_ptr<ParquetReader>> OpenParquet(FileStore& store, const std::string& path) {
  SLUICE_ASSIGN_OR_RETURN(auto file, store.OpenRandomAccess(path));
  return ParquetReader::Open(std::move(file));
}

Result<std::vector<std::string>> PrepareStream(StreamConfig& s) {
  if (!s.store) {
    auto store = MakeFileStore(s.scheme, s.provider);
    if (!store.ok()) return store.status().WithContext(s.Label());
    s.store = std::move(*store);
  }
  SLUICE_ASSIGN_OR_RETURN(auto files, ListFiles(s));
  SLUICE_RETURN_IF_ERROR(ResolveFormat(s, files));
  return files;
}

Result<std::unique_ptr<CsvReader>> OpenCsv(FileStore& store, const std::string& path, const CsvOptions& options) {
  SLUICE_ASSIGN_OR_RETURN(auto input, store.Open(path));
  return CsvReader::Open(std::move(input), options);
}

// ---- Cell conversion ------------------------------------------------------------------------

//! One parsed CSV cell, held until the whole row has parsed (so a bad cell drops the row cheaply).
struct CellValue {
  bool null = false;
  int64_t i = 0;
  double d = 0;
  std::string_view text;
};

//! Checks JSON texts (for json columns) with a reused, padded buffer.
class JsonValidator {
 public:
  bool Valid(std::string_view text) {
    buffer_.assign(text.data(), text.size());
    buffer_.append(simdjson::SIMDJSON_PADDING, ' ');
    simdjson::dom::element element;
    return parser_.parse(buffer_.data(), text.size(), false).get(element) == simdjson::SUCCESS;
  }

 private:
  simdjson::dom::parser parser_;
  std::string buffer_;
};

// Fast paths for the usual fixed layouts of dates and timestamps; anything else goes to the
// general parsers of base/time.h, which give the same result for these layouts.
inline bool TwoDigits(const char* s, int& out) {
  const unsigned a = static_cast<unsigned>(s[0] - '0');
  const unsigned b = static_cast<unsigned>(s[1] - '0');
  if (a > 9 || b > 9) return false;
  out = static_cast<int>(a * 10 + b);
  return true;
}

// "YYYY-MM-DD" at s. REQUIRES: 10 readable bytes.
inline bool FastDate(const char* s, int64_t& days) {
  int y1, y2, m, d;
  if (s[4] != '-' || s[7] != '-' || !TwoDigits(s, y1) || !TwoDigits(s + 2, y2) || !TwoDigits(s + 5, m) ||
      !TwoDigits(s + 8, d)) {
    return false;
  }
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int y = y1 * 100 + y2;
  if (m < 1 || m > 12 || d < 1 || d > kDaysIn[m - 1]) return false;
  if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
  days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

std::optional<int64_t> ParseDateFast(std::string_view t) {
  int64_t days;
  if (t.size() == 10 && FastDate(t.data(), days)) return days;
  return ParseDate(t);
}

// "YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z]" fast, the rest by ParseTimestamp.
std::optional<int64_t> ParseTimestampFast(std::string_view t) {
  int64_t days;
  int h, mi, sec;
  if (t.size() >= 19 && (t[10] == 'T' || t[10] == ' ') && t[13] == ':' && t[16] == ':' && FastDate(t.data(), days) &&
      TwoDigits(t.data() + 11, h) && TwoDigits(t.data() + 14, mi) && TwoDigits(t.data() + 17, sec) && h <= 24 &&
      mi <= 59 && sec <= 60) {
    size_t i = 19;
    int64_t frac = 0;
    int digits = 0;
    if (i < t.size() && t[i] == '.') {
      for (++i; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i, ++digits) {
        if (digits < 6) frac = frac * 10 + (t[i] - '0');
      }
      if (digits == 0) return ParseTimestamp(t);
      for (int k = digits; k < 6; ++k) frac *= 10;
    }
    if (i < t.size() && t[i] == 'Z') ++i;
    if (i == t.size()) {
      return days * kMicrosPerDay + ((h * 60 + mi) * 60 + sec) * kMicrosPerSecond + frac;
    }
  }
  return ParseTimestamp(t);
}

bool ParseBoolText(std::string_view t, bool& out) {
  if (t.size() > 5) return false;
  char lower[5];
  for (size_t k = 0; k < t.size(); ++k) {
    const char c = t[k];
    lower[k] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const std::string_view l(lower, t.size());
  if (l == "true" || l == "t" || l == "yes" || l == "y" || l == "1") {
    out = true;
    return true;
  }
  if (l == "false" || l == "f" || l == "no" || l == "n" || l == "0") {
    out = false;
    return true;
  }
  return false;
}

std::string_view StripPlus(std::string_view t) {
  if (!t.empty() && t[0] == '+') t.remove_prefix(1);
  return t;
}

//! Parses `text` as `type` into `v`; false when it is not a value of that type.
bool ParseCell(TypeId type, std::string_view text, CellValue& v, JsonValidator& json) {
  v.null = false;
  switch (type) {
    case TypeId::kString:
    case TypeId::kBinary: v.text = text; return true;
    case TypeId::kInteger: {
      const std::string_view t = StripPlus(TrimSpaces(text));
      const auto r = std::from_chars(t.data(), t.data() + t.size(), v.i);
      return r.ec == std::errc() && r.ptr == t.data() + t.size() && !t.empty();
    }
    case TypeId::kNumber: {
      const std::string_view t = StripPlus(TrimSpaces(text));
      const auto r = std::from_chars(t.data(), t.data() + t.size(), v.d);
      return r.ec == std::errc() && r.ptr == t.data() + t.size() && !t.empty();
    }
    case TypeId::kDecimal: {
      const std::string_view t = TrimSpaces(text);
      const std::string_view digits = StripPlus(t);
      double d;
      const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), d);
      if (digits.empty() || r.ptr != digits.data() + digits.size()) return false;
      if (r.ec != std::errc() && r.ec != std::errc::result_out_of_range) return false;
      v.text = t;
      return true;
    }
    case TypeId::kBoolean: {
      bool b;
      if (!ParseBoolText(TrimSpaces(text), b)) return false;
      v.i = b ? 1 : 0;
      return true;
    }
    case TypeId::kDate: {
      const auto days = ParseDateFast(TrimSpaces(text));
      if (!days) return false;
      v.i = *days;
      return true;
    }
    case TypeId::kTimeNoTz:
    case TypeId::kTimeTz: {
      const auto t = ParseTime(TrimSpaces(text));
      if (!t) return false;
      v.i = *t;
      return true;
    }
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz: {
      const std::string_view t = TrimSpaces(text);
      if (t == "infinity" || t == "-infinity") {
        v.i = t[0] == '-' ? kMinusInfinityMicros : kInfinityMicros;
        return true;
      }
      const auto ts = ParseTimestampFast(t);
      if (!ts) return false;
      v.i = *ts;
      return true;
    }
    case TypeId::kJson:
      if (!json.Valid(text)) return false;
      v.text = text;
      return true;
  }
  return false;
}

void AppendCell(TypeId type, const CellValue& v, Column& col) {
  if (v.null) {
    col.AppendNull();
    return;
  }
  switch (type) {
    case TypeId::kBoolean: col.AppendBool(v.i != 0); break;
    case TypeId::kInteger:
    case TypeId::kTimeNoTz:
    case TypeId::kTimeTz:
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz: col.AppendInt64(v.i); break;
    case TypeId::kNumber: col.AppendDouble(v.d); break;
    case TypeId::kDate: col.AppendInt32(static_cast<int32_t>(v.i)); break;
    case TypeId::kDecimal:
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kJson: col.AppendBytes(v.text); break;
  }
}

std::string_view TypeNoun(TypeId type) {
  switch (type) {
    case TypeId::kBoolean: return "a boolean";
    case TypeId::kInteger: return "an integer";
    case TypeId::kNumber:
    case TypeId::kDecimal: return "a number";
    case TypeId::kDate: return "a date";
    case TypeId::kTimeNoTz:
    case TypeId::kTimeTz: return "a time";
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz: return "a timestamp";
    case TypeId::kJson: return "valid JSON";
    case TypeId::kString:
    case TypeId::kBinary: return "a string";
  }
  return "a value";
}

std::string Shorten(std::string_view text) {
  constexpr size_t kMax = 60;
  if (text.size() <= kMax) return std::string(text);
  size_t cut = kMax;
  while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return std::string(text.substr(0, cut)) + "...";
}

// ---- Reading one stream ---------------------------------------------------------------------

class StreamReader {
 public:
  StreamReader(const StreamConfig& config, SchemaPtr schema, uint32_t index, Emitter& out)
      : config_(config), schema_(std::move(schema)), index_(index), out_(out), batch_(schema_, index) {}

  Status Run(const std::vector<std::string>& files) {
    for (const auto& file : files) {
      switch (*config_.format) {
        case FileFormat::kCsv: SLUICE_RETURN_IF_ERROR(ReadCsvFile(file)); break;
        case FileFormat::kJsonl: SLUICE_RETURN_IF_ERROR(ReadJsonlFile(file)); break;
        case FileFormat::kParquet: SLUICE_RETURN_IF_ERROR(ReadParquetFile(file)); break;
      }
      ++files_read_;
    }
    SLUICE_RETURN_IF_ERROR(Flush());
    if (skipped_ > 0) {
      std::string where;
      for (const auto& n : noted_) where += (where.empty() ? "" : ", ") + n;
      Log(LogLevel::kWarn, "{}: skipped {} malformed rows (first at {})", config_.Label(), skipped_, where);
    }
    if (unknown_fields_ > 0) {
      Log(LogLevel::kInfo, "{}: {} values of fields outside the catalog's schema were dropped", config_.Label(),
          unknown_fields_);
    }
    Log(LogLevel::kInfo, "{}: read {} rows from {} file(s)", config_.Label(), rows_, files_read_);
    return Status::Ok();
  }

  uint64_t files_read() const { return files_read_; }
  uint64_t rows() const { return rows_; }

 private:
  struct CellPlan {
    size_t source;  // cell index in the file's rows
    size_t target;  // column in the batch
    TypeId type;
    bool nullable_text;  // null values turn into null (false: string column, strings_can_be_null off)
  };

  Status ReadCsvFile(const std::string& path) {
    SLUICE_ASSIGN_OR_RETURN(auto reader, OpenCsv(*config_.store, path, config_.csv));
    std::vector<std::string> names = reader->column_names();
    if (names.empty()) return Status::Ok();  // an empty file
    if (!config_.csv.header && config_.schema) {
      // Without a header the configured schema names the columns, in order.
      for (size_t j = 0; j < names.size() && j < config_.schema->num_fields(); ++j) {
        names[j] = config_.schema->field(j).name;
      }
    }
    if (!config_.schema) {
      if (first_header_.empty()) {
        first_header_ = names;
        first_file_ = path;
      } else {
        for (const auto& n : names) {
          if (std::find(first_header_.begin(), first_header_.end(), n) == first_header_.end()) {
            return Status::ConfigError("file " + path + ": column '" + n + "' is not in the header of the first file (" +
                                       first_file_ + ")");
          }
        }
      }
    }
    const Schema& schema = *schema_;
    plan_.clear();
    for (size_t j = 0; j < names.size(); ++j) {
      const int target = schema.IndexOf(names[j]);
      if (target < 0) continue;  // not selected, or not in the configured schema
      const TypeId type = schema.field(static_cast<size_t>(target)).type;
      plan_.push_back({j, static_cast<size_t>(target), type,
                       type != TypeId::kString || config_.csv.strings_can_be_null});
    }
    values_.resize(plan_.size());
    std::vector<uint64_t> bad_lines;
    uint64_t bad = 0;
    while (true) {
      SLUICE_ASSIGN_OR_RETURN(const bool got, reader->Next());
      if (!got) break;
      const auto& row = reader->row();
      size_t k = 0;
      for (; k < plan_.size(); ++k) {
        const CellPlan& p = plan_[k];
        const std::string_view text = row[p.source];
        if (p.nullable_text && reader->IsNullValue(text)) {
          values_[k].null = true;
          continue;
        }
        if (!ParseCell(p.type, text, values_[k], json_)) break;
      }
      if (k < plan_.size()) {
        if (!config_.skip_errors) {
          return Status::ConfigError("file " + path + " line " + std::to_string(reader->line()) + " column '" +
                                     schema.field(plan_[k].target).name + "': '" + Shorten(row[plan_[k].source]) +
                                     "' is not " + std::string(TypeNoun(plan_[k].type)));
        }
        ++bad;
        if (bad_lines.size() < kMaxNotedRows) bad_lines.push_back(reader->line());
        continue;
      }
      for (k = 0; k < plan_.size(); ++k) AppendCell(plan_[k].type, values_[k], batch_.column(plan_[k].target));
      batch_.FinishRow();
      ++rows_;
      SLUICE_RETURN_IF_ERROR(MaybeFlush());
    }
    bad += reader->malformed_rows();
    bad_lines.insert(bad_lines.end(), reader->malformed_lines().begin(), reader->malformed_lines().end());
    NoteSkipped(path, bad, bad_lines);
    return Status::Ok();
  }

  // Columns are matched by name (SetOutputSchema); the first file's columns are the stream's,
  // and a later file may lack some (null) but not bring new ones, as with CSV headers.
  Status ReadParquetFile(const std::string& path) {
    SLUICE_ASSIGN_OR_RETURN(auto reader, OpenParquet(*config_.store, path));
    const Schema& file_schema = *reader->schema();
    if (first_header_.empty()) {
      for (const Field& f : file_schema.fields()) first_header_.push_back(f.name);
      first_file_ = path;
    } else {
      for (const Field& f : file_schema.fields()) {
        if (std::find(first_header_.begin(), first_header_.end(), f.name) == first_header_.end()) {
          return Status::ConfigError("file " + path + ": column '" + f.name + "' is not in the first file (" +
                                     first_file_ + ")");
        }
      }
    }
    SLUICE_RETURN_IF_ERROR(reader->SetOutputSchema(schema_));
    for (;;) {
      const size_t before = batch_.num_rows();
      const size_t room = kBatchRows - before;
      SLUICE_ASSIGN_OR_RETURN(const bool got, reader->Next(batch_, std::min<size_t>(room, 4096)));
      if (!got) break;
      rows_ += batch_.num_rows() - before;
      if (batch_.num_rows() >= kBatchRows || batch_.ByteSize() >= kBatchBytes) SLUICE_RETURN_IF_ERROR(Flush());
    }
    return Status::Ok();
  }

  Status ReadJsonlFile(const std::string& path) {
    SLUICE_ASSIGN_OR_RETURN(auto input, config_.store->Open(path));
    LineReader lines(std::move(input), simdjson::SIMDJSON_PADDING);
    std::string_view line;
    std::vector<uint64_t> bad_lines;
    uint64_t bad = 0;
    while (true) {
      SLUICE_ASSIGN_OR_RETURN(const bool got, lines.Next(&line));
      if (!got) break;
      if (TrimSpaces(line).empty()) continue;
      simdjson::ondemand::document doc;
      simdjson::ondemand::object object;
      auto e = parser_.iterate(line.data(), line.size(), line.size() + simdjson::SIMDJSON_PADDING).get(doc);
      if (!e) e = doc.get_object().get(object);
      Status st;
      if (e) {
        st = Status::ConfigError(e == simdjson::INCORRECT_TYPE ? std::string("expected a JSON object")
                                                                : std::string("invalid JSON (") +
                                                                      simdjson::error_message(e) + ")");
      } else {
        st = AppendJsonObjectRow(object, batch_, ChangeReason::kSourceSerializationError, &unknown_fields_);
      }
      if (!st.ok()) {
        if (!config_.skip_errors) {
          return Status::ConfigError("file " + path + " line " + std::to_string(lines.line_number()) + ": " +
                                     st.message());
        }
        ++bad;
        if (bad_lines.size() < kMaxNotedRows) bad_lines.push_back(lines.line_number());
        continue;
      }
      ++rows_;
      SLUICE_RETURN_IF_ERROR(MaybeFlush());
    }
    NoteSkipped(path, bad, bad_lines);
    return Status::Ok();
  }

  void NoteSkipped(const std::string& path, uint64_t count, std::vector<uint64_t>& lines) {
    skipped_ += count;
    std::sort(lines.begin(), lines.end());
    for (uint64_t line : lines) {
      if (noted_.size() >= kMaxNotedRows) break;
      noted_.push_back(path + ":" + std::to_string(line));
    }
  }

  Status MaybeFlush() {
    const size_t rows = batch_.num_rows();
    if (rows >= kBatchRows || ((rows & 255) == 0 && batch_.ByteSize() >= kBatchBytes)) return Flush();
    return Status::Ok();
  }

  Status Flush() {
    if (out_.cancelled()) return Status::Cancelled();
    if (batch_.num_rows() == 0) return Status::Ok();
    if (!running_) {
      SLUICE_RETURN_IF_ERROR(out_.EmitStreamStatus(index_, StreamStatus::kRunning));
      running_ = true;
    }
    batch_.set_emitted_at_ms(NowMicros() / 1000);
    RecordBatch full = std::move(batch_);
    batch_ = RecordBatch(schema_, index_);
    return out_.Emit(std::move(full));
  }

  const StreamConfig& config_;
  SchemaPtr schema_;
  uint32_t index_;
  Emitter& out_;
  RecordBatch batch_;
  bool running_ = false;

  std::vector<CellPlan> plan_;
  std::vector<CellValue> values_;
  JsonValidator json_;
  simdjson::ondemand::parser parser_;
  std::vector<std::string> first_header_;
  std::string first_file_;

  uint64_t files_read_ = 0;
  uint64_t rows_ = 0;
  uint64_t skipped_ = 0;
  size_t unknown_fields_ = 0;
  std::vector<std::string> noted_;
};

// ---- The connector --------------------------------------------------------------------------

class FileSource final : public Source {
 public:
  ConnectorSpec Spec() const override {
    ConnectorSpec spec;
    spec.documentation_url = "https://docs.airbyte.com/integrations/sources/file";
    spec.connection_specification = SpecJson();
    spec.supports_incremental = false;
    return spec;
  }

  Status Check(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(FileConfig parsed, ParseConfig(config));
    for (auto& s : parsed.streams) {
      SLUICE_ASSIGN_OR_RETURN(auto files, PrepareStream(s));
      for (const auto& file : files) {
        Status st = CheckFile(s, file);
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
        const FileOpener open = [&s](const std::string& file) { return s.store->Open(file); };
        Result<SchemaPtr> inferred = Status::SystemError("no format");
        switch (*s.format) {
          case FileFormat::kCsv: inferred = InferCsvSchema(files, s.csv, parsed.infer_rows, open); break;
          case FileFormat::kJsonl: inferred = InferJsonlSchema(files, parsed.infer_rows, s.skip_errors, open); break;
          case FileFormat::kParquet: {
            auto reader = OpenParquet(*s.store, files[0]);
            inferred = reader.ok() ? Result<SchemaPtr>((*reader)->schema()) : Result<SchemaPtr>(reader.status());
            break;
          }
        }
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
    for (size_t i = 0; i < catalog.streams.size(); ++i) {
      const ConfiguredStream& cs = catalog.streams[i];
      auto it = std::find_if(parsed.streams.begin(), parsed.streams.end(),
                             [&](const StreamConfig& s) { return s.name == cs.stream.name; });
      if (it == parsed.streams.end() || cs.stream.namespace_) {
        return Status::ConfigError("stream '" + cs.descriptor().ToString() + "' of the catalog is not in the config");
      }
      if (!cs.schema) return Status::SystemError("stream '" + cs.stream.name + "': catalog is not bound");
      const uint32_t index = static_cast<uint32_t>(i);
      SLUICE_RETURN_IF_ERROR(out.EmitStreamStatus(index, StreamStatus::kStarted));
      Status st = ReadStream(*it, cs, index, out);
      if (!st.ok()) {
        if (!st.cancelled()) (void)out.EmitStreamStatus(index, StreamStatus::kIncomplete);
        return st;
      }
    }
    return Status::Ok();
  }

 private:
  static Status CheckFile(const StreamConfig& s, const std::string& file) {
    if (*s.format == FileFormat::kParquet) return OpenParquet(*s.store, file).status();
    if (*s.format == FileFormat::kCsv) {
      CsvOptions options = s.csv;
      options.chunk_bytes = 64 << 10;
      return OpenCsv(*s.store, file, options).status();
    }
    SLUICE_ASSIGN_OR_RETURN(auto input, s.store->Open(file));
    char probe[4096];
    return input->Read(probe, sizeof(probe)).status();
  }

  static Status ReadStream(StreamConfig& s, const ConfiguredStream& cs, uint32_t index, Emitter& out) {
    auto files = PrepareStream(s);
    if (!files.ok()) return files.status();
    StreamReader reader(s, cs.schema, index, out);
    SLUICE_RETURN_IF_ERROR(reader.Run(*files));
    StateMessage state;
    state.type = StateType::kStream;
    state.stream.descriptor = cs.descriptor();
    state.stream.stream_state = Json{{"files_read", reader.files_read()}, {"rows_read", reader.rows()}};
    SLUICE_RETURN_IF_ERROR(out.EmitState(std::move(state)));
    return out.EmitStreamStatus(index, StreamStatus::kComplete);
  }
};

}  // namespace

std::unique_ptr<Source> MakeFileSource() { return std::make_unique<FileSource>(); }

SLUICE_REGISTER_CONNECTOR({
    .name = "source-file",
    .kind = ConnectorKind::kSource,
    .title = "File (CSV, JSONL, Parquet)",
    .description = "CSV, JSONL and Parquet files, local or at https:// and s3:// URLs, plain or gzip/zstd-compressed, one stream per file or glob",
    .make_source = MakeFileSource});

}  // namespace sluice
