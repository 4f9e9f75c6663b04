#include "connectors/sources/s3/s3_source_config.h"

#include <fmt/format.h>

#include "base/time.h"
#include "connectors/kit/config_reader.h"
#include "connectors/kit/file_storage.h"
#include "connectors/kit/schema_inference.h"

namespace sluice {
namespace {

constexpr const char* kSpec = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "S3 Source Spec",
  "description": "Reads CSV, JSONL and Parquet objects from an S3 bucket (AWS, MinIO, any S3-compatible store). Each entry of streams is one stream: every object its globs match.",
  "type": "object",
  "required": ["bucket", "streams"],
  "additionalProperties": false,
  "properties": {
    "bucket": {"type": "string", "title": "Bucket", "description": "Name of the S3 bucket.", "order": 0},
    "aws_access_key_id": {
      "type": "string", "title": "AWS Access Key ID", "airbyte_secret": true, "order": 1,
      "description": "Empty: the AWS_ACCESS_KEY_ID environment variable; none at all reads a public bucket anonymously."
    },
    "aws_secret_access_key": {
      "type": "string", "title": "AWS Secret Access Key", "airbyte_secret": true, "order": 2,
      "description": "Empty: the AWS_SECRET_ACCESS_KEY environment variable."
    },
    "endpoint": {
      "type": "string", "title": "Endpoint", "default": "", "order": 3,
      "description": "Endpoint of an S3-compatible store, e.g. http://minio:9000 (path-style). Empty for AWS S3."
    },
    "region_name": {
      "type": "string", "title": "AWS Region", "default": "", "order": 4,
      "description": "Empty: AWS_REGION or AWS_DEFAULT_REGION, else us-east-1."
    },
    "start_date": {
      "type": "string", "title": "Start Date", "order": 5, "format": "date-time",
      "description": "Objects modified before this UTC date-time are not read.",
      "examples": ["2021-01-01T00:00:00.000000Z"]
    },
    "role_arn": {
      "type": "string", "title": "Role ARN (Airbyte's; not supported)", "order": 8,
      "description": "Airbyte's assume-role authentication; sluice signs with access keys only, so a non-empty value is a config error."
    },
    "delivery_method": {
      "type": "object", "title": "Delivery Method (Airbyte's)", "order": 9,
      "description": "Airbyte's choice between records and raw file copies; sluice delivers records only (use_records_transfer).",
      "properties": {"delivery_type": {"type": "string", "enum": ["use_records_transfer", "use_file_transfer"], "default": "use_records_transfer"}}
    },
    "s3_addressing_style": {
      "type": "string", "title": "Addressing Style", "enum": ["auto", "path", "virtual_host"], "default": "auto", "order": 6,
      "description": "auto: path-style with a custom endpoint, virtual-host on AWS."
    },
    "streams": {
      "type": "array", "title": "Streams", "minItems": 1, "order": 7,
      "items": {
        "type": "object",
        "required": ["name", "format"],
        "additionalProperties": false,
        "properties": {
          "name": {"type": "string", "title": "Name", "minLength": 1},
          "globs": {
            "type": "array", "title": "Globs", "items": {"type": "string"}, "default": ["**"],
            "description": "Object keys to read, e.g. data/**/*.csv: ** crosses folders, * and ? stay within one, {a,b} gives alternatives."
          },
          "file_type": {"type": "string", "description": "Airbyte's older name of format.filetype; when given it must agree with it."},
          "legacy_prefix": {"type": "string", "description": "Airbyte's v3 path prefix (hidden there); sluice reads globs only: must be empty."},
          "schemaless": {"type": "boolean", "default": false, "description": "Airbyte's: records without a schema. sluice always reads with one: must be false."},
          "format": {
            "type": "object", "title": "Format",
            "description": "csv, jsonl or parquet (Airbyte's avro, excel and unstructured are not read by sluice: a config error naming format.filetype).",
            "oneOf": [
              {
                "title": "CSV Format", "type": "object", "required": ["filetype"], "additionalProperties": false,
                "properties": {
                  "filetype": {"type": "string", "const": "csv", "default": "csv"},
                  "delimiter": {"type": "string", "default": ",", "description": "One character; \\t for tab."},
                  "quote_char": {"type": "string", "default": "\""},
                  "escape_char": {"type": "string"},
                  "encoding": {"type": "string", "default": "utf8", "description": "Only UTF-8 is supported."},
                  "double_quote": {"type": "boolean", "default": true},
                  "null_values": {"type": "array", "items": {"type": "string"}, "default": []},
                  "strings_can_be_null": {"type": "boolean", "default": true},
                  "skip_rows_before_header": {"type": "integer", "minimum": 0, "default": 0},
                  "true_values": {"type": "array", "items": {"type": "string"}, "default": ["y", "yes", "t", "true", "on", "1"]},
                  "false_values": {"type": "array", "items": {"type": "string"}, "default": ["n", "no", "f", "false", "off", "0"]},
                  "inference_type": {
                    "type": "string", "enum": ["None", "Primitive Types Only"], "default": "None",
                    "description": "None: every column is a string. Primitive Types Only: booleans, integers, numbers, dates and timestamps are recognised."
                  },
                  "header_definition": {
                    "type": "object", "title": "CSV Header Definition", "default": {"header_definition_type": "From CSV"},
                    "oneOf": [
                      {"title": "From CSV", "type": "object", "required": ["header_definition_type"],
                       "properties": {"header_definition_type": {"type": "string", "const": "From CSV", "default": "From CSV"}}},
                      {"title": "Autogenerated", "type": "object", "required": ["header_definition_type"],
                       "properties": {"header_definition_type": {"type": "string", "const": "Autogenerated", "default": "Autogenerated"}}},
                      {"title": "User Provided", "type": "object", "required": ["header_definition_type", "column_names"],
                       "properties": {"header_definition_type": {"type": "string", "const": "User Provided", "default": "User Provided"},
                                      "column_names": {"type": "array", "items": {"type": "string"}, "minItems": 1}}}
                    ]
                  }
                }
              },
              {
                "title": "Jsonl Format", "type": "object", "required": ["filetype"], "additionalProperties": false,
                "properties": {"filetype": {"type": "string", "const": "jsonl", "default": "jsonl"}}
              },
              {
                "title": "Parquet Format", "type": "object", "required": ["filetype"], "additionalProperties": false,
                "properties": {
                  "filetype": {"type": "string", "const": "parquet", "default": "parquet"},
                  "decimal_as_float": {"type": "boolean", "default": false, "description": "Accepted for compatibility; decimals stay exact."}
                }
              }
            ]
          },
          "input_schema": {
            "type": "string", "title": "Input Schema",
            "description": "A JSON object of column name to type (string, integer, number, boolean, date, timestamp, json, ...), used instead of inferring the schema.",
            "examples": ["{\"id\": \"integer\", \"name\": \"string\"}"]
          },
          "primary_key": {"type": "string", "title": "Primary Key", "description": "Column that identifies a record."},
          "validation_policy": {
            "type": "string", "enum": ["Emit Record", "Skip Record"], "default": "Emit Record",
            "description": "A value that does not fit its column: Emit Record nulls it (noted in _airbyte_meta), Skip Record leaves the record out."
          },
          "days_to_sync_if_history_is_full": {"type": "integer", "minimum": 1, "default": 3},
          "recent_n_files_to_read_for_schema_discovery": {"type": "integer", "minimum": 1, "default": 10}
        }
      }
    }
  }
})json";

//! One character: "\\t", "tab" or a tab mean a tab; `allow_empty` takes "" as '\0'.
char OneChar(ConfigReader& r, std::string_view key, std::string fallback, bool allow_empty) {
  const std::string s = r.String(key, std::move(fallback));
  if (s == "\\t" || s == "\t" || s == "tab") return '\t';
  if (s.empty() && allow_empty) return '\0';
  if (s.size() != 1) {
    r.Fail(key, fmt::format("must be one character, got '{}'", s));
    return ',';
  }
  return s[0];
}

void ParseCsvFormat(ConfigReader& f, S3SourceStreamConfig& s) {
  s.csv.delimiter = OneChar(f, "delimiter", ",", false);
  s.csv.quote_char = OneChar(f, "quote_char", "\"", true);
  if (const char e = OneChar(f, "escape_char", "", true); e != '\0') s.csv.escape_char = e;
  s.csv.encoding = f.String("encoding", "utf8");
  s.csv.double_quote = f.Bool("double_quote", true);
  s.csv.strings_can_be_null = f.Bool("strings_can_be_null", true);
  s.csv.null_values = f.StringList("null_values");
  s.csv.skip_rows_before_header = static_cast<uint64_t>(f.Integer("skip_rows_before_header", 0, 0));
  s.true_values = f.StringList("true_values", s.true_values);
  s.false_values = f.StringList("false_values", s.false_values);
  s.csv_infer_types = f.Enum("inference_type", {"None", "Primitive Types Only"}, "None") == "Primitive Types Only";
  if (f.Has("header_definition")) {
    ConfigReader h = f.Object("header_definition");
    const std::string type =
        h.Enum("header_definition_type", {"From CSV", "Autogenerated", "User Provided"}, "From CSV");
    if (type == "Autogenerated") {
      s.csv.header = false;
      s.csv_autogenerate_names = true;
    } else if (type == "User Provided") {
      s.csv.header = false;
      s.csv_column_names = h.StringList("column_names");
      if (s.csv_column_names.empty()) h.Fail("column_names", "is required for User Provided");
    }
  }
  if (f.ok()) {
    if (Status valid = s.csv.Validate(); !valid.ok()) f.Fail("", valid.message());
  }
}

void ParseStream(ConfigReader& j, S3SourceStreamConfig& s) {
  s.name = j.String("name");
  s.globs = j.StringList("globs", {"**"});
  if (s.globs.empty()) j.Fail("globs", "give at least one glob");
  if (!j.Has("format")) j.Fail("format", "is required, with filetype");
  ConfigReader format = j.Object("format");
  const std::string filetype = format.Enum("filetype", {"csv", "jsonl", "parquet"}, "csv");
  if (filetype == "csv") {
    s.filetype = S3FileType::kCsv;
    ParseCsvFormat(format, s);
  } else if (filetype == "jsonl") {
    s.filetype = S3FileType::kJsonl;
  } else {
    s.filetype = S3FileType::kParquet;
  }
  const std::string input_schema = j.String("input_schema", "");
  if (!input_schema.empty()) {
    Json parsed = Json::parse(input_schema, nullptr, false);
    std::vector<Field> fields;
    if (parsed.is_discarded() || !parsed.is_object() || parsed.empty()) {
      j.Fail("input_schema", "must be a JSON object of column name to type, e.g. {\"id\": \"integer\"}");
    } else {
      for (auto& [name, type] : parsed.items()) {
        std::optional<TypeId> t = type.is_string() ? ColumnTypeFromName(type.get<std::string>()) : std::nullopt;
        if (!t) {
          j.Fail("input_schema", fmt::format("column '{}' has an unknown type {}", name, type.dump()));
          continue;
        }
        fields.push_back({name, *t, true, {}});
      }
      s.input_schema = std::make_shared<const Schema>(std::move(fields));
    }
  }
  if (std::string pk = j.String("primary_key", ""); !pk.empty()) s.primary_key = {pk};
  if (std::string file_type = j.String("file_type", ""); !file_type.empty() && file_type != filetype) {
    j.Fail("file_type", fmt::format("'{}' disagrees with format.filetype '{}'", file_type, filetype));
  }
  if (!j.String("legacy_prefix", "").empty()) {
    j.Fail("legacy_prefix", "is not read by sluice; put the prefix into globs (e.g. prefix/**)");
  }
  if (j.Bool("schemaless", false)) j.Fail("schemaless", "true is not supported by sluice: streams are read with a schema");
  s.validation_policy = j.Enum("validation_policy", {"Emit Record", "Skip Record"}, "Emit Record") == "Skip Record"
                            ? S3ValidationPolicy::kSkipRecord
                            : S3ValidationPolicy::kEmitRecord;
  s.days_to_sync_if_history_is_full = static_cast<int>(j.Integer("days_to_sync_if_history_is_full", 3, 1, INT32_MAX));
  s.recent_files_for_discovery =
      static_cast<int>(j.Integer("recent_n_files_to_read_for_schema_discovery", 10, 1, INT32_MAX));
}

bool MatchClass(std::string_view glob, size_t& i, char c) {
  // REQUIRES: glob[i] == '['. On return i is past the closing ']'.
  size_t j = i + 1;
  bool negate = false;
  if (j < glob.size() && (glob[j] == '!' || glob[j] == '^')) {
    negate = true;
    ++j;
  }
  bool matched = false;
  bool first = true;
  for (; j < glob.size() && (first || glob[j] != ']'); ++j, first = false) {
    if (j + 2 < glob.size() && glob[j + 1] == '-' && glob[j + 2] != ']') {
      if (c >= glob[j] && c <= glob[j + 2]) matched = true;
      j += 2;
    } else if (glob[j] == c) {
      matched = true;
    }
  }
  i = j + 1;
  return matched != negate;
}

bool Match(std::string_view g, std::string_view s) {
  size_t i = 0, k = 0;
  while (i < g.size()) {
    const char c = g[i];
    if (c == '*' && i + 1 < g.size() && g[i + 1] == '*') {
      std::string_view rest = g.substr(i + 2);
      if (!rest.empty() && rest.front() == '/' && Match(rest.substr(1), s.substr(k))) return true;  // "**/" = nothing
      for (size_t n = k; n <= s.size(); ++n) {
        if (Match(rest, s.substr(n))) return true;
      }
      return false;
    }
    if (c == '*') {
      for (size_t n = k;; ++n) {
        if (Match(g.substr(i + 1), s.substr(n))) return true;
        if (n >= s.size() || s[n] == '/') return false;
      }
    }
    if (k >= s.size()) return false;
    if (c == '?') {
      if (s[k] == '/') return false;
      ++i, ++k;
    } else if (c == '[' && g.find(']', i + 2) != std::string_view::npos) {
      if (s[k] == '/' || !MatchClass(g, i, s[k])) return false;
      ++k;
    } else {
      char literal = c;
      if (c == '\\' && i + 1 < g.size()) literal = g[++i];
      if (s[k] != literal) return false;
      ++i, ++k;
    }
  }
  return k == s.size();
}

}  // namespace

ConnectorSpec S3SourceSpec() {
  return ConnectorSpec::ForSource("https://github.com/sluice/sluice/tree/main/src/connectors/sources/s3",
                                  Json::parse(kSpec), true);
}

Result<S3SourceConfig> ParseS3SourceConfig(const Json& config) {
  if (!config.is_object()) return Status::ConfigError("the config must be a JSON object");
  ConfigReader r(config);
  S3SourceConfig c;
  c.bucket = r.String("bucket");
  c.client.credentials.access_key_id = r.String("aws_access_key_id", "");
  c.client.credentials.secret_access_key = r.String("aws_secret_access_key", "");
  c.client.endpoint = r.String("endpoint", "");
  c.client.region = r.String("region_name", "");
  if (!r.String("role_arn", "").empty()) {
    r.Fail("role_arn", "assume-role authentication is not supported by sluice; give aws_access_key_id and "
                       "aws_secret_access_key");
  }
  if (r.Has("delivery_method")) {
    ConfigReader delivery = r.Object("delivery_method");
    if (delivery.Enum("delivery_type", {"use_records_transfer", "use_file_transfer"}, "use_records_transfer") !=
        "use_records_transfer") {
      delivery.Fail("delivery_type", "use_file_transfer (copying raw files) is not supported by sluice; use "
                                     "use_records_transfer");
    }
  }
  ApplyS3Environment(c.client);  // what the config leaves empty
  if (c.client.credentials.access_key_id.empty() != c.client.credentials.secret_access_key.empty()) {
    if (c.client.credentials.access_key_id.empty()) {
      r.Fail("aws_access_key_id", "is required with aws_secret_access_key");
    } else {
      r.Fail("aws_secret_access_key", "is required with aws_access_key_id");
    }
  }
  const std::string addressing = r.Enum("s3_addressing_style", {"auto", "path", "virtual_host"}, "auto");
  if (addressing == "path") c.client.addressing = S3Addressing::kPath;
  if (addressing == "virtual_host") c.client.addressing = S3Addressing::kVirtualHost;
  if (const std::string start = r.String("start_date", ""); !start.empty()) {
    if (auto micros = ParseTimestamp(start)) {
      c.start_micros = *micros;
    } else {
      r.Fail("start_date", fmt::format("'{}' is not a date-time like 2021-01-01T00:00:00Z", start));
    }
  }
  std::vector<ConfigReader> streams = r.Array("streams");
  if (streams.empty() && r.ok()) r.Fail("streams", "give at least one stream");
  for (ConfigReader& j : streams) {
    S3SourceStreamConfig s;
    ParseStream(j, s);
    for (const S3SourceStreamConfig& other : c.streams) {
      if (!s.name.empty() && other.name == s.name) j.Fail("name", fmt::format("'{}' is used twice", s.name));
    }
    c.streams.push_back(std::move(s));
  }
  SLUICE_RETURN_IF_ERROR(r.status());
  return c;
}

std::vector<std::string> ExpandBraces(std::string_view glob) {
  // The first top-level {...} (not escaped), then recursively.
  size_t open = std::string_view::npos;
  int depth = 0;
  for (size_t i = 0; i < glob.size(); ++i) {
    if (glob[i] == '\\') {
      ++i;
      continue;
    }
    if (glob[i] == '{') {
      if (depth++ == 0) open = i;
    } else if (glob[i] == '}' && depth > 0 && --depth == 0) {
      std::vector<std::string> out;
      const std::string_view body = glob.substr(open + 1, i - open - 1);
      size_t start = 0;
      int d = 0;
      for (size_t k = 0; k <= body.size(); ++k) {
        if (k < body.size() && body[k] == '\\') {
          ++k;
          continue;
        }
        if (k == body.size() || (body[k] == ',' && d == 0)) {
          const std::string alt =
              std::string(glob.substr(0, open)) + std::string(body.substr(start, k - start)) + std::string(glob.substr(i + 1));
          for (std::string& e : ExpandBraces(alt)) out.push_back(std::move(e));
          start = k + 1;
        } else if (body[k] == '{') {
          ++d;
        } else if (body[k] == '}') {
          --d;
        }
      }
      return out;
    }
  }
  return {std::string(glob)};
}

bool GlobMatch(std::string_view glob, std::string_view key) {
  for (const std::string& g : ExpandBraces(glob)) {
    if (Match(g, key)) return true;
  }
  return false;
}

std::string GlobPrefix(std::string_view glob) {
  std::string out;
  for (size_t i = 0; i < glob.size(); ++i) {
    const char c = glob[i];
    if (c == '*' || c == '?' || c == '[' || c == '{') break;
    if (c == '\\' && i + 1 < glob.size()) {
      out += glob[++i];
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace sluice
