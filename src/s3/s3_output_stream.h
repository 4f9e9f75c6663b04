#pragma once
// S3OutputStream: an OutputStream that writes one S3 object through a multipart upload.
//
// Bytes collect in a part buffer; each full part is uploaded on its own thread, up to
// `max_parallel_parts` at once (Write blocks while that many are in flight), so the writer keeps
// producing while parts upload and memory stays within (max_parallel_parts + 1) × part_bytes
// whatever the object's size. Parts may finish in any order; they are completed in part-number
// order. A failed part is noticed at the next part (or at Close). The object appears only when
// Close() completes the upload; an object smaller than one part is sent with a single PUT
// instead. Abort(), a failed part, or destroying the stream without Close() aborts the
// multipart upload, so no partial object is ever visible.
//
// Thread-safety: none (one writer), as every OutputStream; the part threads are internal.

#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "io/output_stream.h"
#include "s3/s3_client.h"

namespace sluice {

struct S3UploadOptions {
  //! Size of every part but the last; S3 requires ≥ 5 MiB. An object holds up to 10000 parts.
  size_t part_bytes = 16 << 20;
  int max_parallel_parts = 4;  //!< part uploads in flight at once (≥ 1)
  S3PutOptions put;            //!< content type and x-amz-meta-* of the object
};

class S3OutputStream final : public OutputStream {
 public:
  //! No I/O yet: the upload starts when the first part is full (or at Close for a small object).
  //! `client` is shared with the part threads.
  S3OutputStream(std::shared_ptr<S3Client> client, std::string bucket, std::string key, S3UploadOptions options = {});
  //! Aborts the upload when neither Close() nor Abort() ran.
  ~S3OutputStream() override;

  //! After an error every call returns it; the upload has then been aborted.
  Status Write(std::string_view data) override;
  //! Uploads the bytes buffered so far as a part now if they make a valid part (≥ 5 MiB), so a
  //! writer that produces in bursts (a Parquet row group) has each burst on the wire at once
  //! rather than when the part is full. Taken only while half of S3's 10000 part numbers are
  //! free, so full-size parts still fit; otherwise (and below 5 MiB) nothing happens.
  Status SubmitBuffered();
  //! Uploads the last part and completes the upload (the object now exists). Idempotent. On
  //! failure the upload is aborted and the error returned.
  Status Close() override;
  //! Waits for the parts in flight and aborts the upload; nothing becomes visible. Idempotent.
  Status Abort();

  //! Bytes accepted by Write so far (what the object will hold).
  uint64_t bytes_written() const override { return bytes_; }
  //! "s3://bucket/key".
  const std::string& name() const override { return name_; }
  const std::string& key() const { return key_; }
  //! Parts uploaded so far (0 for a single-PUT object).
  int parts_uploaded() const { return static_cast<int>(parts_.size()); }

 private:
  struct PartResult {
    Status status;
    int number = 0;
    std::string etag;
    std::string buffer;  // handed back for reuse
  };

  Status SubmitPart();
  //! Waits for the oldest part in flight and collects it.
  void CollectOne();
  //! Collects the parts that have finished, without waiting.
  void CollectFinished();
  //! Collects `it` (waiting for it); returns the next part in flight.
  std::deque<std::future<PartResult>>::iterator Collect(std::deque<std::future<PartResult>>::iterator it);
  void CollectAll();
  //! Records the first error and aborts the upload.
  Status Fail(Status status);

  std::shared_ptr<S3Client> client_;
  std::string bucket_;
  std::string key_;
  std::string name_;
  S3UploadOptions options_;

  std::string current_;
  std::vector<std::string> free_buffers_;
  std::deque<std::future<PartResult>> in_flight_;
  std::vector<S3CompletedPart> parts_;
  std::string upload_id_;
  int next_part_ = 1;
  uint64_t bytes_ = 0;
  Status error_;
  bool closed_ = false;  // completed or aborted
};

}  // namespace sluice
