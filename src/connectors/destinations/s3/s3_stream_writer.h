#pragma once
// S3StreamWriter: one stream's records as rolled data files (objects) under the stream's prefix.
//
// A file is one S3OutputStream (multipart upload): rows are formatted (JSONL/CSV, optionally
// gzip, or Parquet) straight into it, so memory stays at a few upload parts whatever the
// file's size, and parts upload in the background while the next rows are encoded (a Parquet
// row group reaches the upload when it is finished). A file is
// completed — and only then visible — when it reaches file_size_mb or at Flush(); so every
// visible object is complete, and everything flushed is visible.
//
// overwrite: the new files are written beside the old ones (never over them: names that exist
// are skipped) and Finish(kComplete) deletes the objects that were under the stream's prefix
// when the run began. Finish(kIncomplete) deletes this run's files instead, so the previous
// generation stays whole. append: Finish(kIncomplete) aborts the unfinished file; completed
// files stay (their checkpoints were committed).

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "connectors/destinations/s3/s3_destination_config.h"
#include "connectors/destinations/s3/s3_row_format.h"
#include "connectors/sdk/destination.h"
#include "s3/s3_client.h"

namespace sluice {

//! What Destination::Begin decided for one stream.
struct S3StreamPlan {
  std::string name;                                         //!< "namespace.name", for messages
  DestinationSyncMode mode = DestinationSyncMode::kAppend;  //!< kAppend or kOverwrite
  std::string key_base;     //!< expanded bucket path + path format; file names are appended
  std::string prefix;       //!< the stream's fixed key prefix (listing, overwrite deletion)
  int64_t sync_start_micros = 0;
  int64_t generation_id = 0;  //!< _airbyte_generation_id, also x-amz-meta-ab-generation-id
  int64_t sync_id = 0;        //!< _airbyte_meta.sync_id
  SchemaPtr schema;
};

class S3StreamWriter final : public StreamWriter {
 public:
  //! Lists the objects already under plan.prefix (names to avoid; an overwrite's old data).
  //! `config` must outlive the writer.
  static Result<std::unique_ptr<S3StreamWriter>> Open(const S3DestinationConfig& config,
                                                      std::shared_ptr<S3Client> client, S3StreamPlan plan);
  //! A writer destroyed without Finish() finishes as kIncomplete.
  ~S3StreamWriter() override;

  Status Write(const RecordBatch& batch) override;
  Status Flush() override;
  Status Finish(StreamOutcome outcome) override;

  uint64_t rows() const { return rows_; }
  //! Keys of the files completed by this run, in order.
  const std::vector<std::string>& written_keys() const { return written_; }

  class DataFile;  // one object being written (format-specific)

 private:
  S3StreamWriter(const S3DestinationConfig& config, std::shared_ptr<S3Client> client, S3StreamPlan plan);

  Status OpenFile();
  Status CloseFile();
  //! Aborts the open file and, for an overwrite, deletes this run's files.
  Status Abandon();

  const S3DestinationConfig& config_;
  std::shared_ptr<S3Client> client_;
  S3StreamPlan plan_;
  AirbyteRowFormatter formatter_;
  SchemaPtr file_schema_;  // Parquet: Airbyte columns + data columns
  std::unordered_set<std::string> existing_;  // keys under the prefix when the run began
  std::vector<std::string> existing_order_;
  std::vector<std::string> written_;
  std::unique_ptr<DataFile> file_;
  uint64_t next_part_ = 0;
  uint64_t rows_ = 0;
  bool failed_ = false;
  bool finished_ = false;
};

}  // namespace sluice
