#pragma once
// `sluice sync PIPELINE.yaml`: runs the connection a pipeline file describes, once — or, with
// --continuous (CDC sources), until SIGTERM/SIGINT.

#include <cstdint>
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
  //! --commit-interval-ms: checkpoints closer than this are coalesced; -1 = the default (1000,
  //! or kContinuousCommitIntervalMs with --continuous).
  int64_t commit_interval_ms = -1;
  //! --continuous: a CDC source keeps reading changes until SIGTERM/SIGINT, then commits, saves
  //! the state and exits 0.
  bool continuous = false;
};

//! Returns the process exit code.
int RunSyncCommand(const SyncCommandArgs& args);

}  // namespace sluice
