#include "connectors/destinations/s3/s3_row_format.h"

#include <cstring>

#include <fmt/format.h>

#include "base/log.h"
#include "protocol/codec.h"

namespace sluice {
namespace {

bool IsAirbyteColumn(std::string_view name) {
  for (const char* c : AirbyteRowFormatter::kAirbyteColumns) {
    if (name == c) return true;
  }
  return false;
}

}  // namespace

AirbyteRowFormatter::AirbyteRowFormatter(S3Flattening flattening, SchemaPtr schema, int64_t generation_id,
                                         int64_t sync_id, int64_t default_extracted_ms, const std::string& stream_name)
    : flattening_(flattening),
      schema_(schema ? std::move(schema) : std::make_shared<const Schema>()),
      generation_id_(generation_id),
      default_extracted_ms_(default_extracted_ms) {
  for (size_t i = 0; i < schema_->num_fields(); ++i) {
    const std::string& name = schema_->field(i).name;
    if (IsAirbyteColumn(name)) {
      all_columns_ = false;
      Log(LogLevel::kWarn, "stream '{}': field '{}' has the name of an Airbyte column; it is not written", stream_name,
          name);
      continue;
    }
    data_columns_.push_back(i);
    std::string quoted;
    AppendJsonString(quoted, name);
    quoted += ':';
    quoted_names_.push_back(std::move(quoted));
  }
  meta_tail_ = fmt::format(",\"sync_id\":{}}}", sync_id);
  generation_text_ = std::to_string(generation_id);
}

void AirbyteRowFormatter::BeginBatch(const RecordBatch& batch) {
  extracted_at_ms_ = batch.emitted_at_ms() != 0 ? batch.emitted_at_ms() : default_extracted_ms_;
  extracted_text_ = std::to_string(extracted_at_ms_);
}

void AirbyteRowFormatter::AppendMeta(std::string& out, const RecordBatch& batch, size_t row,
                                     size_t& change_cursor) const {
  const size_t mark = out.size();
  AppendRecordMeta(out, batch, row, change_cursor);
  if (out.size() == mark) {
    out += "{\"changes\":[]";
  } else {
    out.pop_back();  // its closing '}': sync_id follows
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
  if (flattening_ == S3Flattening::kNone) {
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
  std::vector<std::string> names(std::begin(kAirbyteColumns), std::end(kAirbyteColumns));
  if (flattening_ == S3Flattening::kNone) {
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
  if (flattening_ == S3Flattening::kNone) {
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

}  // namespace sluice
