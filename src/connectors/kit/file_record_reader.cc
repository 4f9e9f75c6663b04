#include "connectors/kit/file_record_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "base/time.h"
#include "connectors/kit/schema_inference.h"
#include "formats/parquet/parquet_reader.h"
#include "protocol/codec.h"

namespace sluice {
namespace {

// ---- Cell conversion ------------------------------------------------------------------------

//! One parsed CSV cell, held until the whole row has parsed (so a bad cell drops the row cheaply).
struct CellValue {
  bool null = false;
  bool nulled = false;  //!< a bad value made null (kNullValue): noted in _airbyte_meta
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

std::string_view StripPlus(std::string_view t) {
  if (!t.empty() && t[0] == '+') t.remove_prefix(1);
  return t;
}

bool TextEqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

//! Which words are booleans (compared without case).
struct BoolWords {
  std::vector<std::string> true_values;
  std::vector<std::string> false_values;

  bool Parse(std::string_view t, bool& out) const {
    for (const std::string& w : true_values) {
      if (TextEqualsNoCase(t, w)) return out = true;
    }
    for (const std::string& w : false_values) {
      if (TextEqualsNoCase(t, w)) {
        out = false;
        return true;
      }
    }
    return false;
  }
};

//! Parses `text` as `type` into `v`; false when it is not a value of that type.
bool ParseCell(TypeId type, std::string_view text, CellValue& v, JsonValidator& json, const BoolWords& words) {
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
      if (!words.Parse(TrimSpaces(text), b)) return false;
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

std::string Shorten(std::string_view text) {
  constexpr size_t kMax = 60;
  if (text.size() <= kMax) return std::string(text);
  size_t cut = kMax;
  while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return std::string(text.substr(0, cut)) + "...";
}

void CopyValue(Column& dst, const Column& src, size_t row) {
  if (src.IsNull(row)) {
    dst.AppendNull();
    return;
  }
  switch (src.type()) {
    case TypeId::kBoolean: dst.AppendBool(src.Bool(row)); break;
    case TypeId::kInteger:
    case TypeId::kTimeNoTz:
    case TypeId::kTimeTz:
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz: dst.AppendInt64(src.Int64(row)); break;
    case TypeId::kNumber: dst.AppendDouble(src.Double(row)); break;
    case TypeId::kDate: dst.AppendInt32(src.Int32(row)); break;
    case TypeId::kDecimal:
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kJson: dst.AppendBytes(src.Bytes(row)); break;
  }
}

constexpr size_t kParquetChunkRows = 4096;

}  // namespace

// ---- The reader -------------------------------------------------------------------------------

struct FileRecordReader::Impl {
  Impl(FileStorage& s, FileReadOptions o, StreamBatcher& b) : storage(s), options(std::move(o)), out(b) {
    options.csv.skip_malformed_rows = options.on_bad_row == BadRowPolicy::kSkipRow;
    words.true_values = options.true_values;
    words.false_values = options.false_values;
    const Schema& schema = *out.schema();
    if (!options.modified_column.empty()) modified_column = schema.IndexOf(options.modified_column);
    if (!options.url_column.empty()) url_column = schema.IndexOf(options.url_column);
  }

  bool IsFileColumn(int index) const { return index == modified_column || index == url_column; }
  bool HasFileColumns() const { return modified_column >= 0 || url_column >= 0; }

  //! The per-file values of the current row. The catalog decides their types: a timestamp, or
  //! text (Airbyte's string form).
  void AppendFileColumns(RecordBatch& batch) const {
    if (modified_column >= 0) {
      Column& c = batch.column(static_cast<size_t>(modified_column));
      if (c.type() == TypeId::kTimestampTz || c.type() == TypeId::kTimestampNoTz) {
        c.AppendInt64(modified_micros);
      } else if (c.type() == TypeId::kString) {
        c.AppendBytes(modified_text);
      } else {
        c.AppendNull();
      }
    }
    if (url_column >= 0) {
      Column& c = batch.column(static_cast<size_t>(url_column));
      if (c.type() == TypeId::kString) {
        c.AppendBytes(url_text);
      } else {
        c.AppendNull();
      }
    }
  }

  //! With same_columns_as_first_file: remembers the first file's columns, or checks a later
  //! file's against them.
  Status CheckColumns(const std::vector<std::string>& names, std::string_view what) {
    if (!options.same_columns_as_first_file) return Status::Ok();
    if (first_columns.empty()) {
      first_columns = names;
      first_file = path;
      return Status::Ok();
    }
    for (const auto& n : names) {
      if (std::find(first_columns.begin(), first_columns.end(), n) == first_columns.end()) {
        return Status::ConfigError(fmt::format("{}: column '{}' is not in {} ({})", label, n, what, first_file));
      }
    }
    return Status::Ok();
  }

  void NoteSkipped(FileRecordReader& r, uint64_t count, std::vector<uint64_t>& lines) {
    r.skipped_ += count;
    std::sort(lines.begin(), lines.end());
    for (uint64_t line : lines) {
      if (r.skipped_at_.size() >= kMaxNotedRows) break;
      r.skipped_at_.push_back(path + ":" + std::to_string(line));
    }
  }

  Status ReadCsv(FileRecordReader& r) {
    SLUICE_ASSIGN_OR_RETURN(auto input, storage.Open(path));
    SLUICE_ASSIGN_OR_RETURN(auto reader, CsvReader::Open(std::move(input), options.csv));
    const size_t width = reader->column_names().size();
    if (width == 0) return Status::Ok();  // an empty file
    const std::vector<std::string>& names =
        options.csv_column_names.empty() ? reader->column_names() : options.csv_column_names;
    SLUICE_RETURN_IF_ERROR(CheckColumns(names, "the header of the first file"));
    const Schema& schema = *out.schema();
    plan.clear();
    for (size_t j = 0; j < names.size() && j < width; ++j) {
      const int target = schema.IndexOf(names[j]);
      if (target < 0 || IsFileColumn(target)) continue;  // not selected, or not in the schema
      const TypeId type = schema.field(static_cast<size_t>(target)).type;
      plan.push_back({j, static_cast<size_t>(target), type, type != TypeId::kString || options.csv.strings_can_be_null,
                      options.blank_is_null && type != TypeId::kString});
    }
    values.resize(plan.size());
    // Locals, so the compiler need not reload the members after each append.
    const CellPlan* const cells = plan.data();
    CellValue* const vals = values.data();
    const size_t n = plan.size();
    const BadRowPolicy policy = options.on_bad_row;
    std::vector<uint64_t> bad_lines;
    uint64_t bad = 0;
    for (;;) {
      SLUICE_ASSIGN_OR_RETURN(const bool got, reader->Next());
      if (!got) break;
      const auto& row = reader->row();
      size_t k = 0;
      bool noted = false;  // some bad value became null (kNullValue): vals[].nulled says which
      for (; k < n; ++k) {
        const CellPlan& p = cells[k];
        const std::string_view text = row[p.source];
        CellValue& v = vals[k];
        if ((p.nullable_text && reader->IsNullValue(text)) || (p.blank_null && TrimSpaces(text).empty())) {
          v.null = true;
          continue;
        }
        if (ParseCell(p.type, text, v, json, words)) continue;
        if (policy != BadRowPolicy::kNullValue) break;
        v.null = v.nulled = noted = true;
      }
      if (k < n) {
        if (policy == BadRowPolicy::kFail) {
          return Status::ConfigError(fmt::format("{} line {} column '{}': '{}' is not {}", label, reader->line(),
                                                 schema.field(cells[k].target).name, Shorten(row[cells[k].source]),
                                                 TypeNoun(cells[k].type)));
        }
        ++bad;
        if (bad_lines.size() < kMaxNotedRows) bad_lines.push_back(reader->line());
        continue;
      }
      RecordBatch& batch = out.batch();  // a new one after each flush
      for (k = 0; k < n; ++k) AppendCell(cells[k].type, vals[k], batch.column(cells[k].target));
      if (noted) {
        for (k = 0; k < n; ++k) {
          if (!vals[k].nulled) continue;
          vals[k].nulled = false;
          batch.AddChange(schema.field(cells[k].target).name, ChangeKind::kNulled, ChangeReason::kSourceSerializationError);
        }
      }
      AppendFileColumns(batch);
      SLUICE_RETURN_IF_ERROR(out.RowAdded());
    }
    bad += reader->malformed_rows();
    bad_lines.insert(bad_lines.end(), reader->malformed_lines().begin(), reader->malformed_lines().end());
    NoteSkipped(r, bad, bad_lines);
    return Status::Ok();
  }

  Status ReadJsonl(FileRecordReader& r) {
    SLUICE_ASSIGN_OR_RETURN(auto input, storage.Open(path));
    LineReader lines(std::move(input), simdjson::SIMDJSON_PADDING);
    std::string_view line;
    std::vector<uint64_t> bad_lines;
    uint64_t bad = 0;
    size_t unknown = 0;
    for (;;) {
      SLUICE_ASSIGN_OR_RETURN(const bool got, lines.Next(&line));
      if (!got) break;
      if (TrimSpaces(line).empty()) continue;
      simdjson::ondemand::document doc;
      simdjson::ondemand::object object;
      auto e = parser.iterate(line.data(), line.size(), line.size() + simdjson::SIMDJSON_PADDING).get(doc);
      if (!e) e = doc.get_object().get(object);
      Status st;
      if (e) {
        st = Status::ConfigError(e == simdjson::INCORRECT_TYPE ? std::string("expected a JSON object")
                                                                : fmt::format("invalid JSON ({})", simdjson::error_message(e)));
      } else {
        RecordBatch& batch = out.batch();
        AppendFileColumns(batch);  // AppendJsonObjectRow finishes the row, or abandons it
        st = AppendJsonObjectRow(object, batch, ChangeReason::kSourceSerializationError, &unknown);
      }
      if (!st.ok()) {
        if (options.on_bad_row != BadRowPolicy::kSkipRow) {
          return Status::ConfigError(fmt::format("{} line {}: {}", label, lines.line_number(), st.message()));
        }
        ++bad;
        if (bad_lines.size() < kMaxNotedRows) bad_lines.push_back(lines.line_number());
        continue;
      }
      SLUICE_RETURN_IF_ERROR(out.RowsFinished(1));
    }
    r.unknown_fields_ += unknown;
    NoteSkipped(r, bad, bad_lines);
    return Status::Ok();
  }

  Status ReadParquet() {
    SLUICE_ASSIGN_OR_RETURN(auto file, storage.OpenRandomAccess(path));
    SLUICE_ASSIGN_OR_RETURN(auto reader, ParquetReader::Open(std::move(file)));
    std::vector<std::string> names;
    for (const Field& f : reader->schema()->fields()) names.push_back(f.name);
    SLUICE_RETURN_IF_ERROR(CheckColumns(names, "the first file"));
    if (!HasFileColumns()) {
      // Straight into the batch: columns by name (SetOutputSchema), the file lacking some → null.
      SLUICE_RETURN_IF_ERROR(reader->SetOutputSchema(out.schema()));
      for (;;) {
        RecordBatch& batch = out.batch();
        const size_t before = batch.num_rows();
        const size_t room = out.limits().max_rows > before ? out.limits().max_rows - before : 1;
        SLUICE_ASSIGN_OR_RETURN(const bool got, reader->Next(batch, std::min(room, kParquetChunkRows)));
        if (!got) break;
        SLUICE_RETURN_IF_ERROR(out.RowsFinished(batch.num_rows() - before));
      }
      return Status::Ok();
    }
    // The data columns (without the per-file ones) are read by name, then copied with them.
    const Schema& schema = *out.schema();
    std::vector<Field> fields;
    std::vector<size_t> target;
    for (size_t i = 0; i < schema.num_fields(); ++i) {
      if (IsFileColumn(static_cast<int>(i))) continue;
      fields.push_back(schema.field(i));
      target.push_back(i);
    }
    auto data_schema = std::make_shared<const Schema>(std::move(fields));
    SLUICE_RETURN_IF_ERROR(reader->SetOutputSchema(data_schema));
    RecordBatch data(data_schema, out.stream());
    for (;;) {
      data.Clear();
      SLUICE_ASSIGN_OR_RETURN(const bool got, reader->Next(data, kParquetChunkRows));
      if (!got) break;
      for (size_t row = 0; row < data.num_rows(); ++row) {
        RecordBatch& batch = out.batch();
        for (size_t c = 0; c < target.size(); ++c) CopyValue(batch.column(target[c]), data.column(c), row);
        AppendFileColumns(batch);
        SLUICE_RETURN_IF_ERROR(out.RowAdded());
      }
    }
    return Status::Ok();
  }

  struct CellPlan {
    size_t source;  // cell index in the file's rows
    size_t target;  // column in the batch
    TypeId type;
    bool nullable_text;  // null values turn into null (false: string column, strings_can_be_null off)
    bool blank_null;     // a blank cell is null (blank_is_null, not a string column)
  };

  FileStorage& storage;
  FileReadOptions options;
  StreamBatcher& out;
  BoolWords words;
  int modified_column = -1;
  int url_column = -1;

  // The file being read.
  std::string path;
  std::string label;
  int64_t modified_micros = 0;
  std::string modified_text;
  std::string url_text;

  std::vector<CellPlan> plan;
  std::vector<CellValue> values;
  JsonValidator json;
  simdjson::ondemand::parser parser;
  std::vector<std::string> first_columns;
  std::string first_file;
};

FileRecordReader::FileRecordReader(FileStorage& storage, FileReadOptions options, StreamBatcher& out)
    : impl_(std::make_unique<Impl>(storage, std::move(options), out)) {}

FileRecordReader::~FileRecordReader() = default;

Status FileRecordReader::ReadFile(const FileInfo& file, std::string_view url) {
  Impl& m = *impl_;
  m.path = file.path;
  m.label = m.options.file_label_prefix + file.path;
  m.modified_micros = file.last_modified_micros;
  if (m.modified_column >= 0) m.modified_text = FileModifiedText(file.last_modified_micros);
  m.url_text = url.empty() ? file.path : std::string(url);
  switch (m.options.format) {
    case InputFileFormat::kCsv: SLUICE_RETURN_IF_ERROR(m.ReadCsv(*this)); break;
    case InputFileFormat::kJsonl: SLUICE_RETURN_IF_ERROR(m.ReadJsonl(*this)); break;
    case InputFileFormat::kParquet: SLUICE_RETURN_IF_ERROR(m.ReadParquet()); break;
  }
  ++files_read_;
  return Status::Ok();
}

std::string FileModifiedText(int64_t micros) {
  std::string out;
  AppendTimestamp(out, micros - micros % kMicrosPerSecond, false);  // "YYYY-MM-DDTHH:MM:SS"
  int64_t frac = micros % kMicrosPerSecond;
  if (frac < 0) frac += kMicrosPerSecond;
  out += fmt::format(".{:06}Z", frac);
  return out;
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


}  // namespace sluice
