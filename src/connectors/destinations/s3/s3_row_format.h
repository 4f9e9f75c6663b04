#pragma once
// The Airbyte columns of destination-s3 rows and their text forms:
//   _airbyte_raw_id (UUID v4), _airbyte_extracted_at (epoch ms in JSONL/CSV, a UTC timestamp in
//   Parquet), _airbyte_generation_id, _airbyte_meta ({"changes":[...],"sync_id":N}),
// then the record: under _airbyte_data (no flattening) or as top-level fields/columns (root
// level flattening; always so in Parquet). A record field named like one of the four Airbyte
// columns is left out (the Airbyte column wins) and logged once.

#include <cstdint>
#include <string>
#include <vector>

#include "base/uuid.h"
#include "connectors/destinations/s3/s3_destination_config.h"
#include "formats/csv/csv_writer.h"
#include "protocol/record_batch.h"

namespace sluice {

//! Formats one stream's rows. Not thread-safe; one per stream writer.
class AirbyteRowFormatter {
 public:
  static constexpr const char* kAirbyteColumns[4] = {"_airbyte_raw_id", "_airbyte_extracted_at",
                                                     "_airbyte_generation_id", "_airbyte_meta"};

  //! `schema` is the stream's; `stream_name` is for the collision warning.
  AirbyteRowFormatter(S3Flattening flattening, SchemaPtr schema, int64_t generation_id, int64_t sync_id,
                      int64_t default_extracted_ms, const std::string& stream_name);

  //! Indexes of the stream's columns that are written (all but those named like Airbyte columns).
  const std::vector<size_t>& data_columns() const { return data_columns_; }
  const Schema& schema() const { return *schema_; }
  int64_t generation_id() const { return generation_id_; }

  //! Starts a batch: fixes its _airbyte_extracted_at (the batch's emitted_at, else the sync start).
  void BeginBatch(const RecordBatch& batch);
  int64_t extracted_at_ms() const { return extracted_at_ms_; }

  void AppendUuid(std::string& out) { uuid_.Append(out); }
  //! {"changes":[...],"sync_id":N}. `change_cursor` walks batch.changes(): 0 for row 0.
  void AppendMeta(std::string& out, const RecordBatch& batch, size_t row, size_t& change_cursor) const;

  //! One JSON object and '\n'.
  void AppendJsonlRow(std::string& out, const RecordBatch& batch, size_t row, size_t& change_cursor);
  //! The header line of every CSV file.
  void AppendCsvHeader(std::string& out) const;
  //! One CSV row and its line end.
  void AppendCsvRow(std::string& out, const RecordBatch& batch, size_t row, size_t& change_cursor);

 private:
  S3Flattening flattening_;
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

}  // namespace sluice
