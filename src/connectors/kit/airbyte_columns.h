#pragma once
// The Airbyte columns of every file destination's rows, in every format, and the rows around
// them — one layout, so two outputs of one sync agree:
//
//   _airbyte_raw_id          a random UUID v4 as text ("0b6c…-4…-[89ab]…"): a JSON string, a
//                            CSV cell, a Parquet STRING (BYTE_ARRAY, UTF8) — as Airbyte's own
//                            file destinations write it, in every format
//   _airbyte_extracted_at    the batch's emitted_at (else the sync start): epoch ms in JSONL/CSV,
//                            a Parquet TIMESTAMP(MICROS, UTC)
//   _airbyte_generation_id   integer (Parquet INT64)
//   _airbyte_meta            {"changes":[...],"sync_id":N} (Parquet: a JSON string column)
//
// then the record: under _airbyte_data (no flattening) or as one column per top-level field
// (root-level flattening; always so in Parquet). A record field named like one of the four
// Airbyte columns is left out (the Airbyte column wins) and logged once.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/uuid.h"
#include "connectors/kit/file_format.h"
#include "formats/csv/csv_writer.h"
#include "formats/parquet/parquet_schema.h"
#include "protocol/record_batch.h"

namespace sluice {

inline constexpr std::string_view kAirbyteColumnNames[4] = {"_airbyte_raw_id", "_airbyte_extracted_at",
                                                            "_airbyte_generation_id", "_airbyte_meta"};
bool IsAirbyteColumnName(std::string_view name);

//! The four Airbyte columns of a Parquet file, in order (none nullable).
std::vector<Field> AirbyteParquetFields();

//! What a stream's rows carry besides its batches.
struct AirbyteStreamInfo {
  std::string name;               //!< "namespace.name", for messages
  SchemaPtr schema;               //!< the stream's columns; null: the first batch's
  int64_t generation_id = 0;      //!< _airbyte_generation_id
  int64_t sync_id = 0;            //!< _airbyte_meta.sync_id
  int64_t default_extracted_ms = 0;  //!< _airbyte_extracted_at of a batch without emitted_at
};

//! Formats one stream's rows. Not thread-safe; one per stream writer.
class AirbyteRowFormatter {
 public:
  //! `schema` (non-null) is the stream's.
  AirbyteRowFormatter(Flattening flattening, char csv_delimiter, const AirbyteStreamInfo& info, SchemaPtr schema);

  //! Indexes of the stream's columns that are written (all but those named like Airbyte columns).
  const std::vector<size_t>& data_columns() const { return data_columns_; }
  const Schema& schema() const { return *schema_; }
  int64_t generation_id() const { return generation_id_; }

  //! Starts a batch: fixes its _airbyte_extracted_at (the batch's emitted_at, else the default).
  void BeginBatch(const RecordBatch& batch);
  int64_t extracted_at_ms() const { return extracted_at_ms_; }

  void AppendUuid(std::string& out) { uuid_.Append(out); }
  //! {"changes":[...],"sync_id":N}: the row's changes from the source, then a NULLED
  //! DESTINATION_SERIALIZATION_ERROR change for each batch column in `nulled`.
  //! `change_cursor` walks batch.changes(): 0 for row 0.
  void AppendMeta(std::string& out, const RecordBatch& batch, size_t row, size_t& change_cursor,
                  std::span<const size_t> nulled = {}) const;

  //! One JSON object and '\n'.
  void AppendJsonlRow(std::string& out, const RecordBatch& batch, size_t row, size_t& change_cursor);
  //! The header line of every CSV file.
  void AppendCsvHeader(std::string& out) const;
  //! One CSV row and its line end.
  void AppendCsvRow(std::string& out, const RecordBatch& batch, size_t row, size_t& change_cursor);

 private:
  Flattening flattening_;
  SchemaPtr schema_;
  int64_t generation_id_;
  int64_t default_extracted_ms_;
  std::vector<size_t> data_columns_;
  std::vector<std::string> quoted_names_;  // "\"name\":" per data column (JSONL, flattened)
  bool all_columns_ = true;                // no column left out: CsvWriter::AppendRowCells applies
  std::string meta_tail_;                  // ,"sync_id":N}
  std::string generation_text_;
  std::string extracted_text_;
  int64_t extracted_at_ms_ = 0;
  UuidV4Generator uuid_;
  CsvWriter csv_;
  std::string scratch_;
};

//! A Parquet file's columns for one stream: the four Airbyte columns, then each data column of
//! the formatter, nullable (a source's schema is no promise), typed by parquet_schema.h. A value
//! its column cannot hold (a decimal beyond its precision or scale, a malformed UUID) is written
//! as null and noted in _airbyte_meta.changes. Not thread-safe; one per stream writer.
class AirbyteParquetColumns {
 public:
  explicit AirbyteParquetColumns(const AirbyteRowFormatter& formatter);

  const SchemaPtr& file_schema() const { return file_schema_; }
  //! The file's columns for `batch` (REQUIRES: it has the stream's columns), valid until the
  //! next call and while `batch` lives. Calls formatter.BeginBatch.
  const std::vector<const Column*>& Encode(const RecordBatch& batch, AirbyteRowFormatter& formatter);

 private:
  //! A data column written as DECIMAL(p, s) or UUID, whose values may not fit.
  struct CheckedColumn {
    size_t batch_column;
    size_t file_column;
    parquet::ColumnDescriptor desc;
    Column repaired;  // this batch's values with the unrepresentable ones nulled
    bool repaired_used = false;
  };
  struct NulledValue {
    uint32_t row;
    size_t column;  // batch column
  };
  //! Nulls the values their column cannot hold in copies of those columns, noting them in nulled_.
  void NullUnrepresentable(const RecordBatch& batch);

  SchemaPtr file_schema_;
  std::vector<size_t> data_columns_;
  std::vector<CheckedColumn> checked_;
  std::vector<NulledValue> nulled_;  // this batch's, by row
  std::vector<size_t> row_nulled_;
  Column raw_id_{TypeId::kString};
  Column extracted_at_{TypeId::kTimestampTz};
  Column generation_{TypeId::kInteger};
  Column meta_{TypeId::kJson};
  std::vector<const Column*> columns_;
};

}  // namespace sluice
