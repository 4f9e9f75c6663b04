#include "connectors/kit/airbyte_columns.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/log.h"
#include "protocol/codec.h"

namespace sluice {

bool IsAirbyteColumnName(std::string_view name) {
  return std::find(std::begin(kAirbyteColumnNames), std::end(kAirbyteColumnNames), name) != std::end(kAirbyteColumnNames);
}

std::vector<Field> AirbyteParquetFields() {
  return {
      {std::string(kAirbyteColumnNames[0]), TypeId::kString, false, Json()},
      {std::string(kAirbyteColumnNames[1]), TypeId::kTimestampTz, false, Json()},
      {std::string(kAirbyteColumnNames[2]), TypeId::kInteger, false, Json()},
      {std::string(kAirbyteColumnNames[3]), TypeId::kJson, false, Json{{"type", "object"}}},
  };
}

// ---- AirbyteRowFormatter ---------------------------------------------------------------------

AirbyteRowFormatter::AirbyteRowFormatter(Flattening flattening, char csv_delimiter, const AirbyteStreamInfo& info,
                                         SchemaPtr schema)
    : flattening_(flattening),
      schema_(std::move(schema)),
      generation_id_(info.generation_id),
      default_extracted_ms_(info.default_extracted_ms),
      csv_(CsvWriterOptions{.delimiter = csv_delimiter}) {
  for (size_t i = 0; i < schema_->num_fields(); ++i) {
    const std::string& name = schema_->field(i).name;
    if (IsAirbyteColumnName(name)) {
      all_columns_ = false;
      Log(LogLevel::kWarn, "stream '{}': field '{}' has the name of an Airbyte column; it is not written", info.name,
          name);
      continue;
    }
    data_columns_.push_back(i);
    std::string quoted;
    AppendJsonString(quoted, name);
    quoted += ':';
    quoted_names_.push_back(std::move(quoted));
  }
  meta_tail_ = fmt::format(",\"sync_id\":{}}}", info.sync_id);
  generation_text_ = std::to_string(generation_id_);
}

void AirbyteRowFormatter::BeginBatch(const RecordBatch& batch) {
  extracted_at_ms_ = batch.emitted_at_ms() != 0 ? batch.emitted_at_ms() : default_extracted_ms_;
  extracted_text_ = std::to_string(extracted_at_ms_);
}

void AirbyteRowFormatter::AppendMeta(std::string& out, const RecordBatch& batch, size_t row, size_t& change_cursor,
                                     std::span<const size_t> nulled) const {
  const size_t mark = out.size();
  AppendRecordMeta(out, batch, row, change_cursor);
  if (out.size() == mark) {
    out += nulled.empty() ? "{\"changes\":[]" : "{\"changes\":[";
  } else if (nulled.empty()) {
    out.pop_back();  // its closing '}': sync_id follows
  } else {
    out.resize(out.size() - 2);  // "]}": our changes follow the source's
    out.push_back(',');
  }
  if (!nulled.empty()) {
    for (size_t i = 0; i < nulled.size(); ++i) {
      if (i > 0) out.push_back(',');
      out += "{\"field\":";
      AppendJsonString(out, batch.schema().field(nulled[i]).name);
      out += ",\"change\":\"NULLED\",\"reason\":\"DESTINATION_SERIALIZATION_ERROR\"}";
    }
    out += ']';
  }
  out += meta_tail_;
}

void AirbyteRowFormatter::AppendJsonlRow(std::string& out, const RecordBatch& batch, size_t row,
                                         size_t& change_cursor) {
  out += "{\"_airbyte_raw_id\":\"";
  uuid_.Append(out);
  out += "\",\"_airbyte_extracted_at\":";
  out += extracted_text_;
  out += ",\"_airbyte_generation_id\":";
  out += generation_text_;
  out += ",\"_airbyte_meta\":";
  AppendMeta(out, batch, row, change_cursor);
  if (flattening_ == Flattening::kNone) {
    out += ",\"_airbyte_data\":";
    AppendRecordData(out, batch, row);
    out += "}\n";
    return;
  }
  for (size_t i = 0; i < data_columns_.size(); ++i) {
    out += ',';
    out += quoted_names_[i];
    const Column& column = batch.column(data_columns_[i]);
    if (column.IsNull(row)) {
      out += "null";
    } else {
      AppendValueJson(out, column, row);
    }
  }
  out += "}\n";
}

void AirbyteRowFormatter::AppendCsvHeader(std::string& out) const {
  std::vector<std::string> names(std::begin(kAirbyteColumnNames), std::end(kAirbyteColumnNames));
  if (flattening_ == Flattening::kNone) {
    names.push_back("_airbyte_data");
  } else {
    for (size_t i : data_columns_) names.push_back(schema_->field(i).name);
  }
  csv_.AppendHeader(out, names);
}

void AirbyteRowFormatter::AppendCsvRow(std::string& out, const RecordBatch& batch, size_t row, size_t& change_cursor) {
  uuid_.Append(out);
  csv_.AppendDelimiter(out);
  out += extracted_text_;
  csv_.AppendDelimiter(out);
  out += generation_text_;
  csv_.AppendDelimiter(out);
  scratch_.clear();
  AppendMeta(scratch_, batch, row, change_cursor);
  csv_.AppendCell(out, scratch_);
  if (flattening_ == Flattening::kNone) {
    csv_.AppendDelimiter(out);
    scratch_.clear();
    AppendRecordData(scratch_, batch, row);
    csv_.AppendCell(out, scratch_);
  } else if (all_columns_) {
    if (batch.num_columns() > 0) {
      csv_.AppendDelimiter(out);
      csv_.AppendRowCells(out, batch, row);
    }
  } else {
    for (size_t i : data_columns_) {
      csv_.AppendDelimiter(out);
      const Column& column = batch.column(i);
      if (column.IsNull(row)) continue;
      scratch_.clear();
      AppendValueText(scratch_, column, row);
      csv_.AppendCell(out, scratch_);
    }
  }
  csv_.EndRow(out);
}

// ---- AirbyteParquetColumns -------------------------------------------------------------------

AirbyteParquetColumns::AirbyteParquetColumns(const AirbyteRowFormatter& formatter)
    : data_columns_(formatter.data_columns()) {
  std::vector<Field> fields = AirbyteParquetFields();
  for (size_t i : data_columns_) {
    Field f = formatter.schema().field(i);
    f.nullable = true;  // a source's schema is no promise: any field may be null
    parquet::ColumnDescriptor desc = parquet::DescribeColumn(f);
    if (desc.kind == parquet::ValueKind::kDecimalFixed || desc.kind == parquet::ValueKind::kUuid ||
        desc.kind == parquet::ValueKind::kUuidBytes) {
      checked_.push_back({i, fields.size(), std::move(desc), Column(f.type)});
    }
    fields.push_back(std::move(f));
  }
  file_schema_ = std::make_shared<Schema>(std::move(fields));
}

void AirbyteParquetColumns::NullUnrepresentable(const RecordBatch& batch) {
  nulled_.clear();
  for (CheckedColumn& checked : checked_) {
    const size_t index = checked.batch_column;
    const Column& c = batch.column(index);
    const parquet::ColumnDescriptor& desc = checked.desc;
    checked.repaired_used = false;
    auto fits = [&](std::string_view v) {
      uint8_t uuid[16];
      __int128 unscaled;
      switch (desc.kind) {
        case parquet::ValueKind::kUuid: return parquet::ParseUuid(v, uuid);
        case parquet::ValueKind::kUuidBytes: return v.size() == 16;
        default: return parquet::ParseDecimal(v, desc.precision, desc.scale, unscaled);
      }
    };
    size_t first_bad = c.size();
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      if (!c.IsNull(r) && !fits(c.Bytes(r))) {
        first_bad = r;
        break;
      }
    }
    if (first_bad == c.size()) continue;
    Column& copy = checked.repaired;
    copy.Clear();
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      if (c.IsNull(r)) {
        copy.AppendNull();
      } else if (r >= first_bad && !fits(c.Bytes(r))) {
        copy.AppendNull();
        nulled_.push_back({static_cast<uint32_t>(r), index});
      } else {
        copy.AppendBytes(c.Bytes(r));
      }
    }
    checked.repaired_used = true;
  }
  std::stable_sort(nulled_.begin(), nulled_.end(), [](const NulledValue& a, const NulledValue& b) { return a.row < b.row; });
}

const std::vector<const Column*>& AirbyteParquetColumns::Encode(const RecordBatch& batch,
                                                                AirbyteRowFormatter& formatter) {
  formatter.BeginBatch(batch);
  if (!checked_.empty()) NullUnrepresentable(batch);
  raw_id_.Clear();
  extracted_at_.Clear();
  generation_.Clear();
  meta_.Clear();
  const int64_t extracted_micros = formatter.extracted_at_ms() * 1000;
  size_t change_cursor = 0;
  size_t next_nulled = 0;
  for (size_t row = 0; row < batch.num_rows(); ++row) {
    formatter.AppendUuid(raw_id_.bytes());
    raw_id_.CommitBytes();
    extracted_at_.AppendInt64(extracted_micros);
    generation_.AppendInt64(formatter.generation_id());
    row_nulled_.clear();
    for (; next_nulled < nulled_.size() && nulled_[next_nulled].row == row; ++next_nulled) {
      row_nulled_.push_back(nulled_[next_nulled].column);
    }
    formatter.AppendMeta(meta_.bytes(), batch, row, change_cursor, row_nulled_);
    meta_.CommitBytes();
  }
  columns_.assign({&raw_id_, &extracted_at_, &generation_, &meta_});
  for (size_t i : data_columns_) columns_.push_back(&batch.column(i));
  for (const CheckedColumn& checked : checked_) {
    if (checked.repaired_used) columns_[checked.file_column] = &checked.repaired;
  }
  return columns_;
}

}  // namespace sluice
