#pragma once
// `sluice sync PIPELINE.yaml`: runs the connection a pipeline file describes, once.

#include <string>

namespace sluice {

struct SyncCommandArgs {
  std::string pipeline_file;
  std::string state_file;  //!< --state-file: overrides the pipeline's
  std::string state_dir;   //!< --state-dir: <dir>/<pipeline name>.state.json
  bool reset = false;      //!< --reset: ignore saved state and start over
  bool json = false;       //!< --json: machine-readable summary on stdout
  bool progress = true;    //!< live display on a terminal
  size_t channel_mb = 64;  //!< --channel-mb
  int64_t commit_interval_ms = 1000;  //!< --commit-interval-ms: checkpoints closer than this are coalesced
};

//! Returns the process exit code.
int RunSyncCommand(const SyncCommandArgs& args);

}  // namespace sluice
