#pragma once
// `sluice sync`: where a source's own config changes are kept between runs (a rotated OAuth
// refresh token, reported by the source as Airbyte's CONTROL CONNECTOR_CONFIG message). The
// pipeline file is the user's and is never rewritten: the changes go to a file beside the state
// file (`<state file stem>.source-config.json`, 0600: it holds secrets), with the pipeline's
// values they replaced. The next run applies them while the pipeline file still has those
// values; when the user changed one of them (a new refresh token pasted in), the file is stale
// and ignored. Used from the CLI's thread and the source thread (Add is locked).

#include <mutex>
#include <string>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

class SourceConfigOverlay {
 public:
  //! The overlay file of a state file ("" when there is no state file: nothing is kept).
  static std::string FileFor(const std::string& state_file);

  //! Reads `file` (absent: no changes). `pipeline_config` is the source config as the pipeline
  //! file has it. A file that does not parse is a config error naming it.
  static Result<SourceConfigOverlay> Load(std::string file, Json pipeline_config);

  //! The pipeline's config with the kept changes applied (when still valid).
  Json Apply(const Json& config) const;
  //! Merges `changes` (protocol/config_update.h's form) into the kept ones and rewrites the file.
  Status Add(const Json& changes);
  bool applied() const { return !changes_.empty(); }
  const std::string& file() const { return file_; }

  SourceConfigOverlay(SourceConfigOverlay&& other) noexcept
      : file_(std::move(other.file_)), pipeline_config_(std::move(other.pipeline_config_)),
        changes_(std::move(other.changes_)) {}

 private:
  SourceConfigOverlay() = default;
  std::string file_;
  Json pipeline_config_;
  Json changes_ = Json::object();
  std::mutex mu_;
};

}  // namespace sluice
