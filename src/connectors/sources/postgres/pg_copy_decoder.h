#pragma once
// CopyDecoder: the COPY ... TO STDOUT (FORMAT binary) stream → RecordBatch rows.
//
// The stream is a signature header, then one tuple per row (int16 field count, then per field an
// int32 length — -1 for NULL — and the value), then an int16 -1 trailer. PostgreSQL sends a row
// per CopyData message, but Feed() accepts any split: an incomplete row is kept for the next call.
//
// A date column's ±infinity has no internal value (kDate is days since 1970, with no infinity in
// the codec): it becomes null with a NULLED / SOURCE_SERIALIZATION_ERROR change on the record.
// Timestamps keep theirs (INT64_MAX / INT64_MIN print as "infinity" / "-infinity").

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/sources/postgres/pg_binary.h"
#include "protocol/record_batch.h"

namespace sluice {

class CopyDecoder {
 public:
  struct ColumnSpec {
    pgbin::Decoder decoder;
    pgbin::Decoder element;  //!< arrays
  };
  //! One spec per field of the COPY's select list, which are batch columns 0..n-1. `cursor` is
  //! the field whose last non-null raw value is tracked (-1: none).
  explicit CopyDecoder(std::vector<ColumnSpec> columns, int cursor = -1);

  //! Decodes every complete row of `data` into `batch` (one FinishRow per row). Errors: a
  //! malformed stream or value (SystemError naming the row and column).
  Status Feed(const uint8_t* data, size_t size, RecordBatch& batch);
  //! OK when the trailer was seen and nothing is left over.
  Status Finish() const;
  //! Starts a new stream (the next COPY).
  void Reset();

  uint64_t rows() const { return rows_; }
  //! Raw binary value of the cursor field in the last row where it was not null.
  const std::string& last_cursor() const { return last_cursor_; }
  bool has_cursor() const { return has_cursor_; }
  //! Rows so far (this stream and earlier ones) whose cursor equals last_cursor().
  uint64_t last_cursor_rows() const { return last_cursor_rows_; }
  //! Forgets the cursor (a new stream read).
  void ResetCursor();

 private:
  //! Decodes rows from [p, end); returns where the unconsumed bytes start.
  Status DecodeRows(const uint8_t*& p, const uint8_t* end, RecordBatch& batch);
  Status Malformed(std::string_view what) const;

  std::vector<ColumnSpec> columns_;
  int cursor_;
  bool header_done_ = false;
  bool trailer_seen_ = false;
  uint64_t rows_ = 0;
  std::string carry_;  // an incomplete row from the previous Feed
  std::string last_cursor_;
  bool has_cursor_ = false;
  uint64_t last_cursor_rows_ = 0;
};

}  // namespace sluice
