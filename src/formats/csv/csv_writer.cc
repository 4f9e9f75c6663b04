#include "formats/csv/csv_writer.h"

#include <utility>

#include "protocol/codec.h"

namespace sluice {

CsvWriter::CsvWriter(CsvWriterOptions options) : options_(std::move(options)) {
  for (bool& b : special_) b = false;
  special_[static_cast<unsigned char>('"')] = true;
  special_[static_cast<unsigned char>('\r')] = true;
  special_[static_cast<unsigned char>('\n')] = true;
  special_[static_cast<unsigned char>(options_.delimiter)] = true;
}

void CsvWriter::QuoteTail(std::string& out, size_t begin) const {
  size_t quotes = 0;
  bool needs = false;
  for (size_t i = begin; i < out.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    if (special_[c]) {
      needs = true;
      if (c == '"') ++quotes;
    }
  }
  if (!needs) return;
  // Widen in place, moving bytes from the back: `"` + text with quotes doubled + `"`.
  const size_t old_end = out.size();
  out.resize(old_end + quotes + 2);
  size_t w = out.size();
  out[--w] = '"';
  for (size_t r = old_end; r > begin;) {
    const char c = out[--r];
    out[--w] = c;
    if (c == '"') out[--w] = '"';
  }
  out[--w] = '"';
}

void CsvWriter::AppendCell(std::string& out, std::string_view text, bool quote_empty) const {
  if (text.empty()) {
    if (quote_empty) out += "\"\"";
    return;
  }
  const size_t begin = out.size();
  out.append(text);
  QuoteTail(out, begin);
}

void CsvWriter::AppendHeader(std::string& out, const std::vector<std::string>& names) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) AppendDelimiter(out);
    AppendCell(out, names[i]);
  }
  EndRow(out);
}

void CsvWriter::AppendHeader(std::string& out, const Schema& schema) const {
  for (size_t i = 0; i < schema.num_fields(); ++i) {
    if (i > 0) AppendDelimiter(out);
    AppendCell(out, schema.field(i).name);
  }
  EndRow(out);
}

void CsvWriter::AppendRowCells(std::string& out, const RecordBatch& batch, size_t row) const {
  for (size_t i = 0; i < batch.num_columns(); ++i) {
    if (i > 0) AppendDelimiter(out);
    const Column& column = batch.column(i);
    if (column.IsNull(row)) continue;
    const size_t begin = out.size();
    AppendValueText(out, column, row);
    if (out.size() == begin) {
      out += "\"\"";  // an empty value, not a null
    } else {
      QuoteTail(out, begin);
    }
  }
}

}  // namespace sluice
