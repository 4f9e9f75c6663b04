#pragma once
// S3StreamWriter: one stream's records as rolled data files (objects) under the stream's prefix.
// The rows, the formats and the rolling are the kit's FileStreamWriter
// (connectors/kit/file_stream_writer.h); this is its sink: one multipart upload per file.
//
// A file is one S3OutputStream: rows are formatted (JSONL/CSV, optionally gzip, or Parquet)
// straight into it, so memory stays at a few upload parts whatever the file's size, and parts
// upload in the background while the next rows are encoded (a Parquet row group reaches the
// upload when it is finished). A file is completed — and only then visible — when it reaches
// file_size_mb or at Flush(); so every visible object is complete, and everything flushed is
// visible.
//
// overwrite: the new files are written beside the old ones (never over them: names that exist
// are skipped) and Finish(kComplete) deletes every object under the stream's prefix that this
// run did not write (listed again then: a killed run's last upload may complete late). Finish(kIncomplete) deletes this run's files instead, so the previous
// generation stays whole. append: Finish(kIncomplete) aborts the unfinished file; completed
// files stay (their checkpoints were committed).

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "connectors/destinations/s3/s3_destination_config.h"
#include "connectors/kit/file_destination.h"
#include "connectors/kit/file_stream_writer.h"
#include "s3/s3_client.h"

namespace sluice {

class S3OutputStream;

//! What Destination::Begin decided for one stream: the kit's plan, and its keys.
struct S3StreamPlan : FileStreamPlan {
  std::string key_base;  //!< expanded bucket path + path format; file names are appended
  std::string prefix;    //!< the stream's fixed key prefix (listing, overwrite deletion)
};

class S3StreamWriter final : public FileStreamWriter {
 public:
  //! Lists the objects already under plan.prefix (names to avoid; an overwrite's old data).
  //! `config` must outlive the writer.
  static Result<std::unique_ptr<S3StreamWriter>> Open(const S3DestinationConfig& config,
                                                      std::shared_ptr<S3Client> client, S3StreamPlan plan);
  //! A writer destroyed without Finish() finishes as kIncomplete.
  ~S3StreamWriter() override { FinishOnDestroy(); }

  //! Keys of the files completed by this run, in order.
  const std::vector<std::string>& written_keys() const { return written_; }

 private:
  S3StreamWriter(const S3DestinationConfig& config, std::shared_ptr<S3Client> client, S3StreamPlan plan);

  //! Aborts the multipart uploads under plan_.prefix that earlier runs left in progress (a run
  //! killed mid-upload never aborts its own): those initiated before this run's sync start whose
  //! key matches the stream's key glob (bucket path + path format with the time and UUID
  //! variables as '*', then the file name pattern's glob). Nothing without a fixed prefix.
  //! Failures are logged, never fatal: the leftovers cost storage, not correctness.
  void AbortEarlierUploads();
  Result<std::unique_ptr<OutputStream>> OpenFile(uint64_t part) override;
  Status FileClosed() override;
  Status RowGroupWritten() override;
  Status Publish() override { return Status::Ok(); }  // a completed upload is visible
  Status Complete(uint64_t rows) override;
  //! Aborts the open file and, for an overwrite, deletes this run's files.
  Status Abandon() override;

  const S3DestinationConfig& config_;
  std::shared_ptr<S3Client> client_;
  S3StreamPlan plan_;
  std::unordered_set<std::string> existing_;  // keys under the prefix when the run began
  std::vector<std::string> existing_order_;
  std::vector<std::string> written_;
  S3OutputStream* upload_ = nullptr;  // the open file's upload (owned by the FileStreamWriter)
  std::string upload_key_;
  uint64_t next_name_ = 0;  // part number of the next file name tried
};

}  // namespace sluice
