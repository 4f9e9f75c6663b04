#pragma once
// LocalStreamWriter: one stream's records as rolled JSONL/CSV/Parquet part files (layout and
// crash safety: local_layout.h). The rows, the formats and the rolling are the kit's
// FileStreamWriter (connectors/kit/file_stream_writer.h); this is its sink: local files.
//
// A part is written as a hidden temp file; it is closed when it reaches file_size_mb (and then
// waits, still hidden) or at Flush(), which fsyncs every closed part, renames them to their
// final names and fsyncs the folder. So whatever is visible under a final name was flushed, and
// everything flushed is visible. Overwrite streams do the same inside a staging folder, which
// Finish(kComplete) swaps in for the stream folder.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "connectors/destinations/local/local_config.h"
#include "connectors/kit/file_destination.h"
#include "connectors/kit/file_stream_writer.h"

namespace sluice {

//! What Destination::Begin decided for one stream: the kit's plan, and its folder.
struct LocalStreamPlan : FileStreamPlan {
  std::string folder;    //!< the stream folder
  int64_t sync_ms = 0;   //!< names the data files and the staging folder
};

class LocalStreamWriter final : public FileStreamWriter {
 public:
  //! Creates the stream folder (append) or an empty staging folder (overwrite).
  //! `config` must outlive the writer.
  static Result<std::unique_ptr<LocalStreamWriter>> Open(const LocalConfig& config, LocalStreamPlan plan);
  //! A writer destroyed without Finish() finishes as kIncomplete.
  ~LocalStreamWriter() override { FinishOnDestroy(); }

  uint64_t files_committed() const { return committed_; }  //!< parts renamed to their final names

 private:
  struct Part {
    std::string temp_path;
    std::string final_path;
  };

  LocalStreamWriter(const LocalConfig& config, LocalStreamPlan plan);

  Result<std::unique_ptr<OutputStream>> OpenFile(uint64_t part) override;
  Status FileClosed() override;
  Status Publish() override;
  Status Complete(uint64_t rows) override;
  //! Deletes every unflushed part (and an overwrite's staging folder).
  Status Abandon() override;

  LocalStreamPlan plan_;
  std::string dir_;        // where parts are written: the stream folder or the staging folder
  std::string extension_;  // "jsonl.gz"
  Part current_;
  std::vector<Part> closed_;  // closed parts waiting for Flush
  uint64_t committed_ = 0;
};

}  // namespace sluice
