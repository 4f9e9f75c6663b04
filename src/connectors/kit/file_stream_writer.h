#pragma once
// FileStreamWriter: what every file destination's StreamWriter does between a batch and the
// bytes of a data file — rows in the configured format (airbyte_columns.h), a data file rolled
// at file_size_bytes, parts numbered 0, 1, 2 … — and the Write/Flush/Finish rules of the
// destination seam. A connector derives from it and only says where the bytes go (its sink):
//
//   OpenFile(part)   a new data file: the stream its (uncompressed) bytes go to
//   FileClosed()     the file's trailer was written and the stream closed without an error
//   Publish()        at Flush, after the open file was closed: make every closed file durable
//                    and visible (local: fsync + rename; S3: nothing, a completed upload is)
//   Complete(rows)   at Finish(kComplete), after the last Publish (local: swap the staging
//                    folder in; S3: delete the previous generation); on an error it cleans up
//                    itself (what is published may have to stay)
//   Abandon()        at Finish(kIncomplete) or after an error: drop the open file and whatever
//                    is not published (an overwrite: this run's files)
//
// Text (JSONL/CSV) rows are buffered and handed to the file in ~512 KB chunks; a text file is
// rolled between rows, a Parquet file between batches (a ParquetWriter holds one row group).
// Gzip (JSONL/CSV) is added here, over the sink's stream. Not thread-safe: one writer per stream,
// called from the destination thread. A derived destructor must call FinishOnDestroy().

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "connectors/kit/airbyte_columns.h"
#include "connectors/kit/file_format.h"
#include "connectors/sdk/destination.h"
#include "formats/parquet/parquet_writer.h"
#include "io/output_stream.h"

namespace sluice {

class FileStreamWriter : public StreamWriter {
 public:
  //! `options` must outlive the writer. `info.schema` null: the first batch's schema.
  //! `empty_file_when_no_rows`: Parquet only; a stream that completes without rows still gets
  //! one (empty) file carrying the schema.
  FileStreamWriter(const FileFormatOptions& options, AirbyteStreamInfo info, bool empty_file_when_no_rows = false);
  ~FileStreamWriter() override = default;

  Status Write(const RecordBatch& batch) final;
  Status Flush() final;
  Status Finish(StreamOutcome outcome) final;

  uint64_t rows() const { return rows_; }                 //!< rows taken by Write
  const std::string& name() const { return info_.name; }  //!< "namespace.name"

 protected:
  virtual Result<std::unique_ptr<OutputStream>> OpenFile(uint64_t part) = 0;
  virtual Status FileClosed() = 0;
  virtual Status Publish() = 0;
  virtual Status Complete(uint64_t rows) = 0;
  virtual Status Abandon() = 0;
  //! After a Parquet row group was written to the open file (S3 starts uploading it). Default: nothing.
  virtual Status RowGroupWritten() { return Status::Ok(); }

  //! For a derived destructor: finishes as kIncomplete unless Finish ran.
  void FinishOnDestroy();
  //! Marks the writer finished without a Finish call (an Open that failed half-way).
  void MarkFinished() { finished_ = true; }

 private:
  Status WriteRows(const RecordBatch& batch);
  Status StartFile();
  //! Hands the text buffer to the open file.
  Status Drain();
  //! Finishes the open file (trailer, close) and tells the sink.
  Status CloseFile();
  //! Drops the open file without a trailer, then the sink's Abandon.
  Status DropAll();
  //! The formatter (and the Parquet plan) for `schema`, made at the first batch.
  void Plan(const SchemaPtr& schema);
  uint64_t FileBytes() const;

  const FileFormatOptions& options_;
  AirbyteStreamInfo info_;
  bool empty_file_when_no_rows_;
  std::optional<AirbyteRowFormatter> formatter_;
  std::optional<AirbyteParquetColumns> parquet_columns_;
  std::string json_schema_;  // the stream's, in every Parquet file's key-value metadata

  std::unique_ptr<OutputStream> out_;       // the open file, if any (gzip over the sink's stream)
  std::unique_ptr<ParquetWriter> parquet_;  // writes the open file (Parquet)
  int row_groups_ = 0;                      // row groups of the open Parquet file written out
  std::string buffer_;                      // text rows not yet handed to out_
  uint64_t next_part_ = 0;
  uint64_t files_ = 0;  // files closed
  uint64_t rows_ = 0;
  bool failed_ = false;  // a Write/Flush failed: only Finish is allowed
  bool finished_ = false;
};

}  // namespace sluice
