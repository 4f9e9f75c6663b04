#include "connectors/sources/file/airbyte_file_config.h"

#include <fmt/format.h>

#include <algorithm>

namespace sluice {

namespace {

// What pandas reads as a missing value by default (keep_default_na): Airbyte's source-file reads
// CSV with pandas, so these cells are null there too.
const std::vector<std::string> kPandasNullValues = {"",     "#N/A", "#N/A N/A", "#NA",  "-1.#IND", "-1.#QNAN",
                                                    "-NaN", "-nan", "1.#IND",   "1.#QNAN", "<NA>", "N/A",
                                                    "NA",   "NULL", "NaN",      "None", "n/a",  "nan",
                                                    "null"};

std::string Keys(const std::vector<std::string_view>& keys) {
  std::string out;
  for (std::string_view k : keys) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

Status NotMapped(std::string_view key, std::string_view format, const std::vector<std::string_view>& known) {
  return Status::ConfigError(fmt::format(
      "reader_options.{}: not an option sluice's source-file reads for format {} (it reads {}); remove it, or use "
      "the streams form (`sluice connector source-file spec`)",
      key, format, Keys(known)));
}

Result<std::string> OneChar(const Json& v, std::string_view key) {
  if (!v.is_string()) return Status::ConfigError(fmt::format("reader_options.{}: must be a string", key));
  std::string s = v.get<std::string>();
  if (s == "\\t") s = "\t";
  if (s.size() != 1) {
    return Status::ConfigError(
        fmt::format("reader_options.{}: '{}' must be one character (regular-expression separators are not read)", key,
                    s));
  }
  return s;
}

// pandas read_csv options → the stream's csv block (and skip count).
Status MapCsvOptions(const Json& options, Json& csv) {
  static const std::vector<std::string_view> kKnown = {
      "sep",          "delimiter", "quotechar",  "escapechar", "doublequote", "encoding", "header",
      "skiprows",     "na_values", "keep_default_na", "skip_blank_lines", "compression", "engine", "low_memory"};
  int64_t header_row = 0;  // pandas `header`: the row holding the names, after skiprows
  int64_t skip = 0;
  bool keep_default_na = true;
  std::vector<std::string> na_values;
  for (const auto& [key, v] : options.items()) {
    if (key == "sep" || key == "delimiter") {
      SLUICE_ASSIGN_OR_RETURN(csv["delimiter"], OneChar(v, key));
    } else if (key == "quotechar") {
      SLUICE_ASSIGN_OR_RETURN(csv["quote_char"], OneChar(v, key));
    } else if (key == "escapechar") {
      if (!v.is_null()) {
        SLUICE_ASSIGN_OR_RETURN(csv["escape_char"], OneChar(v, key));
      }
    } else if (key == "doublequote" || key == "keep_default_na" || key == "skip_blank_lines" ||
               key == "low_memory") {
      if (!v.is_boolean()) return Status::ConfigError(fmt::format("reader_options.{}: must be true or false", key));
      if (key == "doublequote") csv["double_quote"] = v;
      if (key == "keep_default_na") keep_default_na = v.get<bool>();
    } else if (key == "encoding") {
      if (!v.is_string()) return Status::ConfigError("reader_options.encoding: must be a string");
      csv["encoding"] = v;  // the CSV reader accepts utf-8 (any spelling) and says so otherwise
    } else if (key == "header") {
      if (v.is_null()) {
        csv["header"] = false;
      } else if (v == "infer") {
        header_row = 0;
      } else if (v.is_number_integer() && v.get<int64_t>() >= 0) {
        header_row = v.get<int64_t>();
      } else {
        return Status::ConfigError("reader_options.header: must be a row number, null (no header) or \"infer\"");
      }
    } else if (key == "skiprows") {
      if (!v.is_number_integer() || v.get<int64_t>() < 0) {
        return Status::ConfigError("reader_options.skiprows: must be a number of lines (a list of rows is not read)");
      }
      skip = v.get<int64_t>();
    } else if (key == "na_values") {
      if (v.is_string()) {
        na_values.push_back(v.get<std::string>());
      } else if (v.is_array() && std::all_of(v.begin(), v.end(), [](const Json& x) { return x.is_string(); })) {
        for (const auto& x : v) na_values.push_back(x.get<std::string>());
      } else {
        return Status::ConfigError("reader_options.na_values: must be a string or a list of strings");
      }
    } else if (key == "compression") {
      // Compression is recognised from the name and the bytes (gzip, zstd).
      if (!(v.is_null() || v == "infer" || v == "gzip" || v == "zstd")) {
        return Status::ConfigError("reader_options.compression: must be infer, gzip, zstd or null");
      }
    } else if (key == "engine") {
      // pandas' parser choice: no effect on what is read.
    } else {
      return NotMapped(key, "csv", kKnown);
    }
  }
  std::vector<std::string> nulls = keep_default_na ? kPandasNullValues : std::vector<std::string>{};
  for (auto& n : na_values) {
    if (std::find(nulls.begin(), nulls.end(), n) == nulls.end()) nulls.push_back(std::move(n));
  }
  csv["null_values"] = nulls;
  if (skip + header_row > 0) csv["skip_rows_before_header"] = skip + header_row;
  return Status::Ok();
}

// pandas read_json options: `lines` picks JSON lines; only the records orientation is read.
Result<std::string> MapJsonOptions(const Json& options, std::string format) {
  static const std::vector<std::string_view> kKnown = {"lines", "orient", "encoding", "compression"};
  for (const auto& [key, v] : options.items()) {
    if (key == "lines") {
      if (!v.is_boolean()) return Status::ConfigError("reader_options.lines: must be true or false");
      if (v.get<bool>()) format = "jsonl";
    } else if (key == "orient") {
      if (v != "records") {
        return Status::ConfigError(
            "reader_options.orient: only \"records\" is read (an array of objects, or one object per line)");
      }
    } else if (key == "encoding") {
      if (!v.is_string() || (v != "utf-8" && v != "utf8" && v != "UTF-8" && v != "UTF8")) {
        return Status::ConfigError("reader_options.encoding: JSON files must be utf-8");
      }
    } else if (key == "compression") {
      if (!(v.is_null() || v == "infer" || v == "gzip" || v == "zstd")) {
        return Status::ConfigError("reader_options.compression: must be infer, gzip, zstd or null");
      }
    } else {
      return NotMapped(key, format, kKnown);
    }
  }
  return format;
}

Status MapParquetOptions(const Json& options) {
  static const std::vector<std::string_view> kKnown = {"engine"};
  for (const auto& [key, v] : options.items()) {
    if (key != "engine") return NotMapped(key, "parquet", kKnown);
  }
  return Status::Ok();
}

//! Airbyte's url for `storage`: a scheme is added where Airbyte adds one.
std::string UrlFor(std::string url, std::string_view storage) {
  // A host without a scheme ("example.com/a.csv"); a path stays a path (and then does not fit).
  const bool has_scheme = url.find("://") != std::string::npos || url.starts_with("/") || url.starts_with(".");
  if (storage == "HTTPS" && !has_scheme) return "https://" + url;
  if (storage == "S3" && !has_scheme) return "s3://" + url;
  return url;
}

}  // namespace

const std::vector<std::string_view>& AirbyteFileKeys() {
  static const std::vector<std::string_view> keys = {"dataset_name", "format", "url", "reader_options"};
  return keys;
}

Result<bool> UsesAirbyteFileShape(const Json& config) {
  if (!config.is_object()) return false;
  for (std::string_view key : AirbyteFileKeys()) {
    if (!config.contains(key)) continue;
    if (config.contains("streams")) {
      return Status::ConfigError(fmt::format(
          "{}: Airbyte's single-file key cannot be used with streams; give either streams (several files) or "
          "dataset_name + url (+ format, provider, reader_options) as Airbyte's source-file takes them",
          key));
    }
    return true;
  }
  return false;
}

Result<Json> AirbyteFileConfigToStreams(const Json& config) {
  auto string_key = [&](const char* key, bool required) -> Result<std::string> {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) {
      if (required) {
        return Status::ConfigError(fmt::format("{}: required by Airbyte's single-file form (dataset_name, url, "
                                               "format, provider)",
                                               key));
      }
      return std::string();
    }
    if (!it->is_string()) return Status::ConfigError(fmt::format("{}: must be a string", key));
    return it->get<std::string>();
  };
  SLUICE_ASSIGN_OR_RETURN(std::string name, string_key("dataset_name", true));
  SLUICE_ASSIGN_OR_RETURN(std::string url, string_key("url", true));
  SLUICE_ASSIGN_OR_RETURN(std::string format, string_key("format", false));
  if (name.empty()) return Status::ConfigError("dataset_name: must not be empty");
  if (url.empty()) return Status::ConfigError("url: must not be empty");
  if (format.empty()) format = "csv";  // Airbyte's default

  static const std::vector<std::string_view> kReadable = {"csv", "json", "jsonl", "parquet"};
  if (std::find(kReadable.begin(), kReadable.end(), format) == kReadable.end()) {
    return Status::ConfigError(fmt::format(
        "format: '{}' is an Airbyte source-file format that sluice cannot read; sluice reads {} (convert the file, "
        "or run airbyte/source-file as an external connector)",
        format, Keys(kReadable)));
  }

  Json options = Json::object();
  if (auto it = config.find("reader_options"); it != config.end() && !it->is_null()) {
    if (it->is_object()) {
      options = *it;
    } else if (it->is_string()) {
      const std::string text = it->get<std::string>();
      if (!text.empty()) {
        try {
          options = Json::parse(text);
        } catch (const nlohmann::json::parse_error&) {
          return Status::ConfigError(
              "reader_options: not valid JSON (it is a JSON object as a string, e.g. {\"sep\": \";\"}; single quotes "
              "are not JSON)");
        }
      }
      if (!options.is_object()) return Status::ConfigError("reader_options: must be a JSON object, e.g. {\"sep\": \";\"}");
    } else {
      return Status::ConfigError("reader_options: must be a string holding a JSON object");
    }
  }

  Json provider = Json{{"storage", "HTTPS"}};  // Airbyte's default: Public Web
  if (auto it = config.find("provider"); it != config.end() && !it->is_null()) provider = *it;
  const std::string storage =
      provider.is_object() && provider.contains("storage") && provider["storage"].is_string()
          ? provider["storage"].get<std::string>()
          : std::string();

  url = UrlFor(url, storage);
  const bool s3_url = url.starts_with("s3://");
  const bool http_url = url.starts_with("https://") || url.starts_with("http://");
  if ((storage == "HTTPS" && !http_url) || (storage == "S3" && !s3_url) || (storage == "local" && (s3_url || http_url))) {
    return Status::ConfigError(fmt::format(
        "url: does not fit provider.storage {} (HTTPS reads http(s):// URLs, S3 s3://bucket/key, local a path)",
        storage));
  }
  Json stream = {{"name", name}, {"url", url}};
  if (format == "csv") {
    Json csv = Json::object();
    SLUICE_RETURN_IF_ERROR(MapCsvOptions(options, csv));
    stream["csv"] = std::move(csv);
  } else if (format == "json" || format == "jsonl") {
    SLUICE_ASSIGN_OR_RETURN(format, MapJsonOptions(options, format));
  } else {
    SLUICE_RETURN_IF_ERROR(MapParquetOptions(options));
  }
  stream["format"] = format;

  Json out = Json::object();
  for (const auto& [key, value] : config.items()) {
    const bool airbyte_key = std::find(AirbyteFileKeys().begin(), AirbyteFileKeys().end(), key) != AirbyteFileKeys().end();
    if (!airbyte_key) out[key] = value;  // provider, infer_rows, …
  }
  out["provider"] = std::move(provider);
  out["streams"] = Json::array({std::move(stream)});
  return out;
}

}  // namespace sluice
