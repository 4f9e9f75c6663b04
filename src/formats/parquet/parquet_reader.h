#pragma once
// ParquetReader: an Apache Parquet file (flat schema) → RecordBatch rows.
//
// Reads data pages v1 and v2; encodings PLAIN, PLAIN_DICTIONARY / RLE_DICTIONARY, RLE
// (booleans), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
// BYTE_STREAM_SPLIT; codecs UNCOMPRESSED, SNAPPY, GZIP, ZSTD. Nested columns (groups, repeated
// fields, LIST/MAP) are reported as errors naming the column.
//
// Types (physical + logical → internal):
//   BOOLEAN → boolean; INT32/INT64 (plain, INT(8..64) signed, UINT 8/16/32) → integer;
//   UINT64 → decimal text; DATE → date; TIME(MILLIS|MICROS|NANOS) → time (with/without tz from
//   isAdjustedToUTC; the legacy TIME_*/TIMESTAMP_* converted types mean UTC);
//   TIMESTAMP(any unit) and INT96 → timestamp (µs; INT96 without tz); FLOAT/DOUBLE/FLOAT16 → number;
//   DECIMAL (INT32, INT64, FIXED, BYTE_ARRAY) → decimal text, with "precision"/"scale" in the
//   field's JSON schema; STRING/ENUM/UTF8 → string; JSON → json; UUID → string (canonical text,
//   "format": "uuid"); other BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY → binary.
//
// Memory: the selected columns' chunks of one row group (compressed) plus one decoded page per
// column. Not thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "io/random_access_file.h"
#include "protocol/record_batch.h"

namespace sluice {

class ParquetReader {
 public:
  ~ParquetReader();

  //! Reads and checks the footer. Errors (ConfigError, naming the file): not a Parquet file,
  //! a malformed footer, encryption, a nested column, a column type it cannot read.
  static Result<std::unique_ptr<ParquetReader>> Open(std::unique_ptr<RandomAccessFile> file);

  //! Internal types from physical + logical types (unknown → string/binary). Every field is
  //! nullable unless the column is REQUIRED.
  SchemaPtr schema() const;
  int64_t num_rows() const;
  int num_row_groups() const;
  const std::vector<std::pair<std::string, std::string>>& key_value_metadata() const;

  //! Makes Next fill batches of `target` instead of schema(): each target field takes the file
  //! column of the same name (which must have the same type; ConfigError otherwise); fields the
  //! file lacks stay null. Call before the first Next.
  Status SetOutputSchema(SchemaPtr target);

  //! Appends up to max_rows rows to `batch` (whose schema is schema(), or the one given to
  //! SetOutputSchema); false at the end of the file (nothing appended). Errors (ConfigError)
  //! name the file, the column and what is corrupt.
  Result<bool> Next(RecordBatch& batch, size_t max_rows);

 private:
  struct State;
  class ColumnReader;

  ParquetReader() = default;
  Status OpenRowGroup(int index);

  std::unique_ptr<State> state_;
};

}  // namespace sluice
