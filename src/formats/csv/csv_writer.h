#pragma once
// CsvWriter: formats RecordBatch rows as RFC 4180 CSV into a caller-owned buffer.
//
// A cell is quoted (with inner quotes doubled) when it holds the delimiter, a quote, CR or LF.
// A null is an empty cell; an empty string is written as "" so the two stay apart (as
// PostgreSQL's COPY … CSV does). Values are formatted by AppendValueText (protocol/codec.h):
// strings as they are, numbers bare, temporal types in their well-known text form, binary as
// base64, JSON columns as JSON text.
//
// The writer only appends to std::string buffers; the caller decides when to hand them to a
// file. Thread-safety: none; a writer belongs to one stream writer.

#include <string>
#include <string_view>
#include <vector>

#include "protocol/record_batch.h"

namespace sluice {

struct CsvWriterOptions {
  char delimiter = ',';                 //!< one byte; not '"', CR or LF
  std::string line_terminator = "\n";   //!< written after every row: "\n" or "\r\n" (RFC 4180's)
};

class CsvWriter {
 public:
  //! REQUIRES: options.delimiter is not '"', '\r' or '\n'.
  explicit CsvWriter(CsvWriterOptions options = {});

  const CsvWriterOptions& options() const { return options_; }

  //! Appends one cell: `text`, quoted when needed. An empty `text` is written as "" when
  //! `quote_empty` (an empty string) and as nothing otherwise (a null).
  void AppendCell(std::string& out, std::string_view text, bool quote_empty = true) const;
  void AppendDelimiter(std::string& out) const { out.push_back(options_.delimiter); }
  void EndRow(std::string& out) const { out += options_.line_terminator; }

  //! Appends a header line of `names` (quoted when needed), ending the row.
  void AppendHeader(std::string& out, const std::vector<std::string>& names) const;
  //! Appends a header line of the schema's field names, ending the row.
  void AppendHeader(std::string& out, const Schema& schema) const;

  //! Appends the cells of `row`, one per column, separated by the delimiter; no line end (so a
  //! caller may put its own cells first). REQUIRES: row < batch.num_rows().
  void AppendRowCells(std::string& out, const RecordBatch& batch, size_t row) const;
  //! AppendRowCells then EndRow.
  void AppendRow(std::string& out, const RecordBatch& batch, size_t row) const {
    AppendRowCells(out, batch, row);
    EndRow(out);
  }

 private:
  //! Quotes out[begin, end) in place when it needs quoting.
  void QuoteTail(std::string& out, size_t begin) const;

  CsvWriterOptions options_;
  bool special_[256];  // bytes that force quoting
};

}  // namespace sluice
