#pragma once
// CsvReader: a streaming CSV parser (RFC 4180 plus the usual dialect options).
//
// It reads its InputStream in large chunks and hands out each row as string_views into its own
// buffers, so parsing allocates nothing per row. Quoted fields may hold delimiters, quotes
// (doubled, or escaped with escape_char) and line breaks; line() is the physical line a row
// starts on, so messages stay right after multi-line fields. LF, CRLF and lone CR end rows; a
// UTF-8 byte-order mark at the start is dropped; blank lines are skipped (except in single-
// column files, where they are an empty value).
//
// Errors are ConfigErrors of the form "file X line N: ...".

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "io/input_stream.h"

namespace sluice {

struct CsvOptions {
  char delimiter = ',';
  //! '\0' turns quoting off (quote characters are then ordinary data).
  char quote_char = '"';
  //! Inside quoted fields (and before a delimiter or quote elsewhere) the next character is taken
  //! literally. Default: none.
  std::optional<char> escape_char;
  //! Two quote characters inside a quoted field stand for one. Default: true.
  bool double_quote = true;
  //! The first row holds column names. Otherwise columns are named f0, f1, ... and the first row
  //! is data. Default: true.
  bool header = true;
  //! Physical lines skipped before the header (or first row), e.g. a title block. Default: 0.
  uint64_t skip_rows_before_header = 0;
  //! Only UTF-8 is supported ("utf-8"/"utf8", any case); anything else is a ConfigError.
  std::string encoding = "utf-8";
  //! Cell texts that stand for null. Default: the empty string.
  std::vector<std::string> null_values = {""};
  //! Whether null_values apply to string columns too (otherwise "" stays an empty string).
  //! The reader does not use it: it is for the caller's conversion. Default: true.
  bool strings_can_be_null = true;
  //! Check that every row is valid UTF-8. Default: true.
  bool validate_utf8 = true;
  //! A row whose field count differs from the header's, or with invalid UTF-8, is skipped and
  //! counted instead of being an error. Default: false.
  bool skip_malformed_rows = false;
  //! Bytes read from the input at a time; the buffer grows when a single row is larger.
  size_t chunk_bytes = 1 << 20;

  //! Checks the option values (encoding, distinct special characters).
  Status Validate() const;
};

class CsvReader {
 public:
  //! Opens `input` and reads past the header (or, without a header, peeks at the first row to
  //! count the columns; Next() still returns it). An empty input has no columns and no rows.
  static Result<std::unique_ptr<CsvReader>> Open(std::unique_ptr<InputStream> input, CsvOptions options);
  ~CsvReader();

  //! Column names from the header (or f0, f1, ...). An empty header name becomes "column_N"
  //! (1-based) and a repeated name gets a "_2", "_3", ... suffix, so names are unique.
  const std::vector<std::string>& column_names() const { return column_names_; }

  //! Advances to the next row: returns true with row() set, or false at end of input. A
  //! malformed row (wrong field count, invalid UTF-8) is an error unless skip_malformed_rows,
  //! and the reader stays usable after it: the next call goes on with the following row.
  //! Other errors (I/O, corrupt compression, an unterminated quote) are final.
  Result<bool> Next();
  //! The current row's cells, unescaped and without their quotes; one per column. Valid until
  //! the next call to Next().
  const std::vector<std::string_view>& row() const { return cells_; }
  //! 1-based physical line on which the current row starts.
  uint64_t line() const { return row_line_; }
  //! Whether `cell` is one of the null values.
  bool IsNullValue(std::string_view cell) const {
    return only_empty_is_null_ ? cell.empty() : IsListedNullValue(cell);
  }

  const std::string& file_name() const { return input_->name(); }
  const CsvOptions& options() const { return options_; }
  //! Rows returned by Next() so far.
  uint64_t rows_read() const { return rows_read_; }
  //! Malformed rows skipped, and the lines of the first few of them.
  uint64_t malformed_rows() const { return malformed_rows_; }
  const std::vector<uint64_t>& malformed_lines() const { return malformed_lines_; }
  //! Uncompressed bytes consumed so far.
  uint64_t bytes_read() const { return bytes_consumed_ + pos_; }

  //! "file X line N: " + message, as a ConfigError.
  Status ErrorAt(uint64_t line, std::string_view message) const;

  static constexpr size_t kMaxNotedLines = 10;
  //! A row may not exceed this many bytes (it would have to be held in memory at once).
  static constexpr size_t kMaxRowBytes = size_t{256} << 20;
  static constexpr size_t kPadding = 64;

 private:
  enum class Parse { kRow, kBlank, kNeedMore, kEnd, kError };

  CsvReader(std::unique_ptr<InputStream> input, CsvOptions options);
  Status Init();
  Status Refill();
  Status SkipLine(bool* done);
  //! Parses one row at pos_ (restarting from scratch after a refill); kError sets error_.
  Parse ParseRow();
  Parse Fail(std::string_view message);
  bool IsListedNullValue(std::string_view cell) const;
  //! Reads rows until one that is not blank; false at end of input.
  Result<bool> ReadRow();
  //! Whether the row just parsed is well-formed; sets `*problem` otherwise.
  bool CheckRow(std::string* problem);
  std::string ColumnLabel(size_t i) const;

  std::unique_ptr<InputStream> input_;
  CsvOptions options_;
  uint8_t special_[256] = {};        // bytes that end an unquoted run
  uint8_t quoted_special_[256] = {};  // bytes that end a run inside quotes
  // The same two sets as 4 splatted bytes each, for 16-byte-wide scans.
  alignas(16) char scan_sets_[2][4][16] = {};
  bool only_empty_is_null_ = false;

  std::unique_ptr<char[]> buffer_;  // capacity_ bytes plus kPadding for wide loads
  size_t capacity_ = 0;
  Status error_;
  size_t pos_ = 0;  // start of the unparsed bytes
  size_t end_ = 0;  // end of the valid bytes
  bool eof_ = false;
  uint64_t bytes_consumed_ = 0;  // bytes dropped from the buffer's front by refills
  uint64_t line_ = 1;            // physical line at pos_
  size_t ascii_end_ = 0;         // the buffer's bytes before this offset are all ASCII

  std::vector<std::string> column_names_;
  std::vector<std::string_view> cells_;
  std::string scratch_;                                      // unescaped cell contents
  std::vector<std::pair<size_t, size_t>> scratch_cells_;    // (cell index, offset in scratch_)
  const char* row_begin_ = nullptr;                          // raw bytes of the current row
  const char* row_end_ = nullptr;
  uint64_t row_line_ = 0;
  bool pending_row_ = false;  // the first row was read by Open (no header) and not yet returned
  uint64_t rows_read_ = 0;
  uint64_t malformed_rows_ = 0;
  std::vector<uint64_t> malformed_lines_;
};

//! Whether `text` is valid UTF-8 (ASCII fast path, then a full check).
bool IsValidUtf8(std::string_view text);

}  // namespace sluice
