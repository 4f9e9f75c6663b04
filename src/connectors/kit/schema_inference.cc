#include "connectors/kit/schema_inference.h"

#include <cctype>
#include <set>

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <unordered_map>

#include "base/time.h"
#include "formats/parquet/parquet_reader.h"
#include "io/input_stream.h"

namespace sluice {

namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Integer or number, or 0 when `text` is neither.
TypeInferrer::Kind ClassifyNumber(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (digits.empty() || !(IsDigit(digits[0]) || digits[0] == '.')) return TypeInferrer::Kind{};
  if (digits.size() > 1 && digits[0] == '0' && IsDigit(digits[1])) return TypeInferrer::Kind{};  // "007"
  if (text[0] == '+') text.remove_prefix(1);
  const char* end = text.data() + text.size();
  int64_t i;
  auto r = std::from_chars(text.data(), end, i);
  if (r.ec == std::errc() && r.ptr == end) return TypeInferrer::kInteger;
  double d;
  auto rd = std::from_chars(text.data(), end, d);
  if (rd.ec == std::errc() && rd.ptr == end) return TypeInferrer::kNumber;
  if (rd.ec == std::errc::result_out_of_range && rd.ptr == end) return TypeInferrer::kNumber;
  return TypeInferrer::Kind{};
}

// Date or timestamp kind of a string, or kString.
TypeInferrer::Kind ClassifyTemporal(std::string_view text) {
  if (text.size() < 10 || !IsDigit(text[0])) return TypeInferrer::kString;
  if (ParseDate(text)) return TypeInferrer::kDate;
  bool had_offset = false;
  if (!ParseTimestamp(text, &had_offset)) return TypeInferrer::kString;
  return had_offset ? TypeInferrer::kTimestampTz : TypeInferrer::kTimestampNoTz;
}

}  // namespace

TypeInferrer::Kind ClassifyText(std::string_view text) {
  text = TrimSpaces(text);
  if (text.empty()) return TypeInferrer::kString;
  const char c = text[0];
  if (c == 't' || c == 'T' || c == 'f' || c == 'F') {
    return EqualsNoCase(text, "true") || EqualsNoCase(text, "false") ? TypeInferrer::kBoolean : TypeInferrer::kString;
  }
  if (!IsDigit(c) && c != '-' && c != '+' && c != '.') return TypeInferrer::kString;
  if (const TypeInferrer::Kind number = ClassifyNumber(text)) return number;
  return ClassifyTemporal(text);
}

void TypeInferrer::AddText(std::string_view text) {
  if (seen_ & kString) return;  // nothing can change the outcome any more
  seen_ |= ClassifyText(text);
}

TypeId TypeInferrer::Type() const {
  const unsigned s = seen_;
  if (s == 0) return TypeId::kString;
  if (s & (kJson | kArray)) return TypeId::kJson;
  if (s & kString) return TypeId::kString;
  if (s == kBoolean) return TypeId::kBoolean;
  if ((s & ~(kInteger | kNumber)) == 0) return s == kInteger ? TypeId::kInteger : TypeId::kNumber;
  if ((s & ~(kDate | kTimestampNoTz | kTimestampTz)) == 0) {
    if (s == kDate) return TypeId::kDate;
    return (s & kTimestampTz) ? TypeId::kTimestampTz : TypeId::kTimestampNoTz;
  }
  return TypeId::kString;
}

Json TypeInferrer::JsonSchema() const {
  if (seen_ == kArray) return Json{{"type", Json::array({"null", "array"})}};
  if (seen_ == kJson) return Json{{"type", Json::array({"null", "object"})}};
  return Json();
}

namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool InWords(std::string_view text, const std::vector<std::string>& words) {
  for (const std::string& w : words) {
    if (w.size() == text.size() &&
        std::equal(w.begin(), w.end(), text.begin(), [](char a, char b) { return Lower(a) == Lower(b); })) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<SchemaPtr> InferCsvSchema(const std::vector<std::string>& files, const CsvOptions& options, uint64_t max_rows,
                                 const FileOpener& open) {
  return InferCsvSchema(files, options, CsvInferenceOptions(), max_rows, open);
}

Result<SchemaPtr> InferCsvSchema(const std::vector<std::string>& files, const CsvOptions& options,
                                 const CsvInferenceOptions& inference, uint64_t max_rows, const FileOpener& open) {
  std::vector<std::string> names;
  std::vector<TypeInferrer> inferrers;
  uint64_t rows = 0;
  std::vector<int> to_column;  // file column → inferred column, or -1
  const bool words = !inference.true_values.empty() || !inference.false_values.empty();
  for (size_t f = 0; f < files.size() && rows < max_rows; ++f) {
    SLUICE_ASSIGN_OR_RETURN(auto input, open ? open(files[f]) : OpenInputFile(files[f]));
    SLUICE_ASSIGN_OR_RETURN(auto reader, CsvReader::Open(std::move(input), options));
    const size_t width = reader->column_names().size();
    const auto& file_names = inference.column_names.empty() ? reader->column_names() : inference.column_names;
    const bool first = names.empty();
    to_column.assign(std::min(width, file_names.size()), -1);
    for (size_t j = 0; j < to_column.size(); ++j) {
      for (size_t k = 0; k < names.size(); ++k) {
        if (names[k] == file_names[j]) to_column[j] = static_cast<int>(k);
      }
      if (to_column[j] < 0 && (first || inference.union_columns)) {
        to_column[j] = static_cast<int>(names.size());
        names.push_back(file_names[j]);
        inferrers.emplace_back();
      }
    }
    if (first && width > 0) {  // the first file's names beyond its width are columns too
      for (size_t j = to_column.size(); j < file_names.size(); ++j) {
        names.push_back(file_names[j]);
        inferrers.emplace_back();
      }
    }
    if (!inference.infer_types) continue;
    while (rows < max_rows) {
      auto got = reader->Next();
      if (!got.ok() && inference.stop_at_malformed_row) break;
      SLUICE_RETURN_IF_ERROR(got.status());
      if (!*got) break;
      ++rows;
      const auto& row = reader->row();
      for (size_t j = 0; j < row.size() && j < to_column.size(); ++j) {
        if (to_column[j] < 0 || reader->IsNullValue(row[j])) continue;
        const std::string_view t = TrimSpaces(row[j]);
        if (inference.blank_is_null && t.empty()) continue;
        TypeInferrer& column = inferrers[static_cast<size_t>(to_column[j])];
        if (words && (InWords(t, inference.true_values) || InWords(t, inference.false_values))) {
          // "1"/"0" are numbers too: only words make a boolean column.
          column.Add(IsDigit(t[0]) ? TypeInferrer::kInteger : TypeInferrer::kBoolean);
        } else {
          column.AddText(row[j]);
        }
      }
    }
  }
  std::vector<Field> fields;
  fields.reserve(names.size());
  for (size_t k = 0; k < names.size(); ++k) {
    fields.push_back(Field{names[k], inference.infer_types ? inferrers[k].Type() : TypeId::kString, true, Json()});
  }
  return SchemaPtr(std::make_shared<Schema>(std::move(fields)));
}

Result<SchemaPtr> InferParquetSchema(const std::vector<std::string>& files, const RandomAccessOpener& open,
                                     bool all_nullable) {
  std::vector<Field> fields;
  for (const std::string& file : files) {
    SLUICE_ASSIGN_OR_RETURN(auto input, open ? open(file) : OpenRandomAccessFile(file));
    SLUICE_ASSIGN_OR_RETURN(auto reader, ParquetReader::Open(std::move(input)));
    for (const Field& f : reader->schema()->fields()) {
      if (std::any_of(fields.begin(), fields.end(), [&](const Field& g) { return g.name == f.name; })) continue;
      fields.push_back(f);
      if (all_nullable) fields.back().nullable = true;
    }
  }
  return SchemaPtr(std::make_shared<Schema>(std::move(fields)));
}

namespace {

struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The kind of one JSON value, or 0 for null.
simdjson::error_code ClassifyJson(simdjson::ondemand::value& value, uint16_t& kind) {
  namespace od = simdjson::ondemand;
  od::json_type type;
  if (auto e = value.type().get(type)) return e;
  switch (type) {
    case od::json_type::null: kind = 0; return simdjson::SUCCESS;
    case od::json_type::boolean: kind = TypeInferrer::kBoolean; return simdjson::SUCCESS;
    case od::json_type::object: kind = TypeInferrer::kJson; return simdjson::SUCCESS;
    case od::json_type::array: kind = TypeInferrer::kArray; return simdjson::SUCCESS;
    case od::json_type::number: {
      simdjson::ondemand::number_type number_type;
      if (value.get_number_type().get(number_type) != simdjson::SUCCESS) {
        kind = TypeInferrer::kString;  // beyond 64 bits: kept as text
        return simdjson::SUCCESS;
      }
      kind = number_type == od::number_type::signed_integer ? TypeInferrer::kInteger : TypeInferrer::kNumber;
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view text;
      if (auto e = value.get_string().get(text)) return e;
      kind = ClassifyTemporal(text);
      return simdjson::SUCCESS;
    }
  }
  kind = TypeInferrer::kString;
  return simdjson::SUCCESS;
}

}  // namespace

Result<SchemaPtr> InferJsonlSchema(const std::vector<std::string>& files, uint64_t max_rows, bool skip_malformed,
                                   const FileOpener& open) {
  std::vector<std::string> names;
  std::vector<TypeInferrer> inferrers;
  std::unordered_map<std::string, size_t, NameHash, std::equal_to<>> index;
  simdjson::ondemand::parser parser;
  uint64_t rows = 0;
  for (size_t f = 0; f < files.size() && rows < max_rows; ++f) {
    SLUICE_ASSIGN_OR_RETURN(auto input, open ? open(files[f]) : OpenInputFile(files[f]));
    LineReader lines(std::move(input), simdjson::SIMDJSON_PADDING);
    std::string_view line;
    while (rows < max_rows) {
      SLUICE_ASSIGN_OR_RETURN(const bool got, lines.Next(&line));
      if (!got) break;
      if (TrimSpaces(line).empty()) continue;
      auto fail = [&](std::string_view why) -> Status {
        return Status::ConfigError("file " + files[f] + " line " + std::to_string(lines.line_number()) + ": " +
                                   std::string(why));
      };
      simdjson::ondemand::document doc;
      simdjson::ondemand::object object;
      auto e = parser.iterate(line.data(), line.size(), line.size() + simdjson::SIMDJSON_PADDING).get(doc);
      if (!e) e = doc.get_object().get(object);
      if (e) {
        if (skip_malformed) continue;
        return fail(e == simdjson::INCORRECT_TYPE ? "expected a JSON object"
                                                  : std::string("invalid JSON (") + simdjson::error_message(e) + ")");
      }
      // Collect first so a malformed line in skip mode leaves no trace.
      std::vector<std::pair<size_t, uint16_t>> seen;
      for (auto field : object) {
        std::string_view key;
        simdjson::ondemand::value value;
        uint16_t kind = 0;
        if (!e) e = field.unescaped_key().get(key);
        if (!e) e = field.value().get(value);
        if (!e) e = ClassifyJson(value, kind);
        if (e) break;
        auto it = index.find(key);
        if (it == index.end()) {
          it = index.emplace(std::string(key), names.size()).first;
          names.emplace_back(key);
          inferrers.emplace_back();
        }
        seen.emplace_back(it->second, kind);
      }
      if (e) {
        if (skip_malformed) continue;
        return fail(std::string("invalid JSON (") + simdjson::error_message(e) + ")");
      }
      for (const auto& [column, kind] : seen) {
        if (kind != 0) inferrers[column].Add(static_cast<TypeInferrer::Kind>(kind));
      }
      ++rows;
    }
  }
  std::vector<Field> fields;
  fields.reserve(names.size());
  for (size_t k = 0; k < names.size(); ++k) {
    fields.push_back(Field{names[k], inferrers[k].Type(), true, inferrers[k].JsonSchema()});
  }
  return SchemaPtr(std::make_shared<Schema>(std::move(fields)));
}

const std::vector<std::string>& ColumnTypeNames() {
  static const std::vector<std::string> kNames = {
      "boolean", "integer", "number", "string", "date", "timestamp", "timestamp_with_timezone",
      "timestamp_without_timezone", "time", "time_with_timezone", "time_without_timezone", "json",
  };
  return kNames;
}

std::optional<TypeId> ColumnTypeFromName(std::string_view name) {
  if (name == "boolean") return TypeId::kBoolean;
  if (name == "integer") return TypeId::kInteger;
  if (name == "number") return TypeId::kNumber;
  if (name == "string") return TypeId::kString;
  if (name == "date") return TypeId::kDate;
  if (name == "timestamp" || name == "timestamp_without_timezone") return TypeId::kTimestampNoTz;
  if (name == "timestamp_with_timezone") return TypeId::kTimestampTz;
  if (name == "time" || name == "time_without_timezone") return TypeId::kTimeNoTz;
  if (name == "time_with_timezone") return TypeId::kTimeTz;
  if (name == "json") return TypeId::kJson;
  return std::nullopt;
}

std::vector<std::string> HeaderFieldNames(const std::vector<std::string>& cells, bool normalize) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const std::string& cell : cells) {
    std::string name = cell;
    if (normalize) {
      std::string out;
      for (char c : name) {
        const unsigned char u = static_cast<unsigned char>(c);
        if (std::isalnum(u)) {
          out.push_back(static_cast<char>(std::tolower(u)));
        } else if (!out.empty() && out.back() != '_') {
          out.push_back('_');
        }
      }
      while (!out.empty() && out.back() == '_') out.pop_back();
      if (!out.empty() && std::isdigit(static_cast<unsigned char>(out[0]))) out = "_" + out;
      name = out;
    }
    if (!name.empty() && !seen.insert(name).second) {
      for (int k = 2;; ++k) {
        std::string next = name + "_" + std::to_string(k);
        if (seen.insert(next).second) {
          name = next;
          break;
        }
      }
    }
    names.push_back(std::move(name));
  }
  return names;
}

}  // namespace sluice
