#pragma once
// The live progress display of `sluice sync` and its final summary.
//
// On a terminal: one line per stream (records, rows/s, MB/s, elapsed), redrawn in place on
// stderr. Otherwise: a plain log line per stream every `log_every_secs`. The summary is a table
// (or JSON with --json) on stdout.

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/json.h"
#include "engine/sync_runner.h"

namespace sluice {

class ProgressDisplay {
 public:
  //! `names` are the streams' display names, in catalog order. `live` draws in place (a tty).
  ProgressDisplay(const SyncProgress& progress, std::vector<std::string> names, bool live, int log_every_secs = 10);
  ~ProgressDisplay();
  void Start();
  //! Stops drawing and leaves the last frame on screen.
  void Stop();

 private:
  void Run();
  void Draw(bool final_frame);

  const SyncProgress& progress_;
  std::vector<std::string> names_;
  bool live_;
  int log_every_secs_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool done_ = false;  //!< guarded by mu_
  std::thread thread_;
  size_t lines_drawn_ = 0;
};

//! The summary table printed after a sync.
std::string FormatSummary(const std::string& pipeline_name, const SyncResult& result,
                          const std::vector<std::string>& names, const std::string& state_file);
//! The same as JSON (for --json).
Json SummaryJson(const std::string& pipeline_name, const SyncResult& result, const std::vector<std::string>& names,
                 const std::string& state_file);

}  // namespace sluice
