#pragma once
// LocalStreamWriter: one stream's records as rolled JSONL/CSV/Parquet part files (layout and
// crash safety: local_layout.h).
//
// JSONL/CSV rows go into a buffer that is handed to the current part's file in ~512 KB chunks;
// Parquet batches go to a ParquetWriter (one row group buffered in memory, then written). A part is
// written as a hidden temp file; it is closed when it reaches file_size_mb (and then waits,
// still hidden) or at Flush(), which fsyncs every closed part, renames them to their final names
// and fsyncs the folder. So whatever is visible under a final name was flushed, and everything
// flushed is visible. Overwrite streams do the same inside a staging folder, which
// Finish(kComplete) swaps in for the stream folder.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/uuid.h"
#include "connectors/destinations/local/local_config.h"
#include "connectors/sdk/destination.h"
#include "io/output_stream.h"
#include "formats/csv/csv_writer.h"
#include "formats/parquet/parquet_schema.h"
#include "formats/parquet/parquet_writer.h"

namespace sluice {

//! What Destination::Begin decided for one stream.
struct LocalStreamPlan {
  std::string name;                                         //!< "namespace.name", for messages
  DestinationSyncMode mode = DestinationSyncMode::kAppend;  //!< kAppend or kOverwrite
  std::string folder;                                       //!< the stream folder
  int64_t sync_ms = 0;       //!< names the data files and the staging folder
  int64_t generation_id = 0; //!< _airbyte_generation_id
  int64_t sync_id = 0;       //!< _airbyte_meta.sync_id
  SchemaPtr schema;          //!< the stream's columns (CSV header)
};

class LocalStreamWriter final : public StreamWriter {
 public:
  //! Creates the stream folder (append) or an empty staging folder (overwrite).
  //! `config` must outlive the writer.
  static Result<std::unique_ptr<LocalStreamWriter>> Open(const LocalConfig& config, LocalStreamPlan plan);
  //! A writer destroyed without Finish() finishes as kIncomplete.
  ~LocalStreamWriter() override;

  Status Write(const RecordBatch& batch) override;
  Status Flush() override;
  Status Finish(StreamOutcome outcome) override;

  uint64_t rows() const { return rows_; }                 //!< rows taken by Write
  uint64_t files_committed() const { return committed_; } //!< parts renamed to their final names

 private:
  struct Part {
    std::string temp_path;
    std::string final_path;
  };

  LocalStreamWriter(const LocalConfig& config, LocalStreamPlan plan);

  Status OpenPart();
  //! Hands the buffer to the current part's file.
  Status Drain();
  //! Finishes the current part (trailer, fsync) and queues it for renaming at the next Flush.
  Status ClosePart();
  //! Deletes every unflushed part (and an overwrite's staging folder).
  Status Abandon();
  //! Parquet: the file's columns (the _airbyte_* columns, then the stream's fields) for the
  //! stream schema `stream`, built at the first batch.
  void PlanParquetColumns(const Schema& stream);
  Status WriteParquet(const RecordBatch& batch);
  //! Replaces values a Parquet column cannot hold (a decimal beyond the column's precision or
  //! scale, NaN, a malformed UUID) by null in a copy of their column, noting each in nulled_.
  void NullUnrepresentable(const RecordBatch& batch);
  void AppendJsonlRow(const RecordBatch& batch, size_t row, size_t& change_cursor);
  void AppendCsvRow(const RecordBatch& batch, size_t row, size_t& change_cursor);
  //! {"changes":[...],"sync_id":N}
  void AppendMeta(std::string& out, const RecordBatch& batch, size_t row, size_t& change_cursor);

  const LocalConfig& config_;
  LocalStreamPlan plan_;
  std::string dir_;        // where parts are written: the stream folder or the staging folder
  std::string extension_;  // "jsonl.gz"
  CsvWriter csv_;
  std::vector<std::string> csv_header_;
  UuidV4Generator uuid_;

  std::unique_ptr<OutputStream> out_;  // the open part, if any
  std::unique_ptr<ParquetWriter> parquet_;  // writes the open part (Parquet)
  SchemaPtr parquet_schema_;                // the Parquet file's columns
  std::vector<size_t> parquet_fields_;      // batch column of each stream column in the file
  size_t stream_columns_ = 0;               // columns a batch of the stream has
  std::vector<Column> meta_columns_;        // this batch's _airbyte_* values
  std::vector<const Column*> parquet_columns_;
  //! A stream column written as DECIMAL(p, s) or UUID, whose values may not fit.
  struct CheckedColumn {
    size_t batch_column;
    size_t file_column;
    parquet::ColumnDescriptor desc;
    Column repaired;  // this batch's values with the unrepresentable ones nulled
    bool repaired_used = false;
  };
  std::vector<CheckedColumn> parquet_checked_;
  struct NulledValue {
    uint32_t row;
    size_t column;  // batch column
  };
  std::vector<NulledValue> nulled_;  // this batch's, by row
  std::string stream_json_schema_;          // key-value metadata of every Parquet file
  Part current_;
  std::vector<Part> closed_;  // closed parts waiting for Flush
  uint32_t next_part_ = 0;
  std::string buffer_;
  std::string scratch_;
  std::string extracted_at_;  // the current batch's _airbyte_extracted_at as text
  std::string meta_tail_;     // ,"sync_id":N}

  uint64_t rows_ = 0;
  uint64_t committed_ = 0;
  bool failed_ = false;  // a Write/Flush failed: only Finish is allowed
  bool finished_ = false;
};

}  // namespace sluice
