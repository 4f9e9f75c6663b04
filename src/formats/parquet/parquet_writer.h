#pragma once
// ParquetWriter: RecordBatch columns → one Apache Parquet file (flat schema).
//
// Layout: "PAR1", row groups, the FileMetaData footer (Thrift compact), its length, "PAR1".
// Every column chunk may start with a dictionary page (PLAIN values) followed by data pages v1
// whose values are RLE_DICTIONARY indices; when a column's dictionary grows past
// max_dictionary_bytes (or the values turn out nearly all distinct) the chunk continues with
// PLAIN pages. Definition levels are RLE / bit-packed hybrid. Each chunk carries statistics (min,
// max, null count). Type mapping: parquet_schema.h.
//
// Memory: the current row group is held encoded and compressed (≈ row_group_bytes), plus one
// page and one dictionary per column; values are encoded straight from the columns.
// Not thread-safe.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "io/output_stream.h"
#include "protocol/record_batch.h"

namespace sluice {

enum class ParquetCodec { kUncompressed, kSnappy, kGzip, kZstd };

//! "uncompressed", "snappy", "gzip", "zstd" (any case; "none" is uncompressed too).
bool ParseParquetCodec(std::string_view name, ParquetCodec& out);
std::string_view ParquetCodecName(ParquetCodec codec);

struct ParquetWriterOptions {
  ParquetCodec codec = ParquetCodec::kZstd;
  //! A row group is closed once its encoded, compressed size reaches this (block_size_mb).
  int64_t row_group_bytes = 128LL << 20;
  //! A data page is closed once its values take this many bytes PLAIN-encoded (page_size_kb).
  int64_t page_bytes = 1 << 20;
  //! Try dictionary encoding for every column but booleans.
  bool dictionary = true;
  //! A column chunk whose dictionary (PLAIN size) outgrows this falls back to PLAIN pages.
  int64_t max_dictionary_bytes = 1 << 20;
  //! Codec level; 0 = default (zstd 1, gzip 6).
  int compression_level = 0;
  //! Written to the footer's key_value_metadata in this order.
  std::vector<std::pair<std::string, std::string>> key_value_metadata;
};

//! The key-value metadata entry that carries a stream's JSON schema.
inline constexpr std::string_view kParquetJsonSchemaKey = "airbyte.json_schema";

class ParquetWriter {
 public:
  ~ParquetWriter();

  //! `schema`: the file's columns. `out` must outlive the writer; the writer writes "PAR1", row
  //! groups and the footer through it but never calls out->Close().
  //! Errors: an empty schema or a duplicate column name (ConfigError).
  static Result<std::unique_ptr<ParquetWriter>> Open(SchemaPtr schema, ParquetWriterOptions options, OutputStream* out);

  //! columns[i] holds (at least) num_rows values for schema field i, of the field's type
  //! (columns from different batches are fine). Errors: a value that the column's Parquet type
  //! cannot hold (a null in a REQUIRED column, a malformed UUID or decimal) is a ConfigError
  //! naming the column; a column of the wrong type is a SystemError. After an error the writer
  //! is unusable.
  Status Write(std::span<const Column* const> columns, size_t num_rows);
  //! REQUIRES: batch.schema() has the writer's fields (names and types).
  Status Write(const RecordBatch& batch);
  //! Flushes the last row group and writes the footer. Call once; no Write after.
  Status Close();

  uint64_t rows() const { return rows_; }
  //! Bytes written to `out` so far plus the encoded size buffered for the current row group
  //! (for file roll-over).
  uint64_t estimated_file_bytes() const;
  int num_row_groups() const;

 private:
  class ColumnWriter;
  struct State;

  ParquetWriter() = default;
  Status FlushRowGroup();
  Status WriteBytes(std::string_view data);

  std::unique_ptr<State> state_;
  uint64_t rows_ = 0;
};

}  // namespace sluice
