#pragma once
// AttemptSupervisor: runs one claimed attempt in a `sluice run-attempt` child and turns what
// happens into the AttemptResult to finish it with.
//
//   load connection + actors → decrypt configs → plan on the child's stdin → read its events
//   (checkpoint → SaveState) and its stderr (redacted → attempt log) while a heartbeat thread
//   keeps the lease (cancel → SIGTERM, then SIGKILL after the grace period; lost lease → SIGKILL)
//   and an RSS watchdog enforces the memory limit.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "metadata/metadata_store.h"
#include "platform/platform.h"

namespace sluice {

struct SupervisorOptions {
  std::string worker_id;
  std::string sluice_binary;  //!< the executable run as `<binary> run-attempt`
  std::string scratch_dir;    //!< per-attempt folders (the child's TMPDIR) go here
  int64_t lease_ms = 30'000;
  int64_t heartbeat_ms = 3'000;
  int64_t kill_grace_ms = 10'000;      //!< SIGTERM → SIGKILL
  int64_t retry_backoff_ms = 30'000;   //!< before attempt 2; doubles for each further attempt
};

//! The connection-spec JSON schemas of connectors, asked once from `<binary> connector NAME
//! spec` (the binary that runs attempts knows them; the worker process may not). Thread-safe.
class SpecCache {
 public:
  explicit SpecCache(std::string sluice_binary) : binary_(std::move(sluice_binary)) {}
  //! The connectionSpecification, or an error when the binary cannot tell.
  Result<Json> Get(const std::string& connector);

 private:
  std::string binary_;
  std::mutex mu_;
  std::map<std::string, Json> specs_;
};

class AttemptSupervisor {
 public:
  //! All references must outlive the supervisor. `stopping` set: the pool is stopping.
  //! `wake_seq` changes when someone wants heartbeats now (a cancel was requested).
  AttemptSupervisor(const PlatformContext& context, const SupervisorOptions& options, SpecCache& specs,
                    const std::atomic<bool>& stopping, const std::atomic<uint64_t>& wake_seq)
      : context_(context), options_(options), specs_(specs), stopping_(stopping), wake_seq_(wake_seq) {}

  //! Runs the attempt to its end. nullopt: the lease was lost (do not finish the attempt).
  std::optional<AttemptResult> Run(const ClaimedJob& claimed);

 private:
  const PlatformContext& context_;
  const SupervisorOptions& options_;
  SpecCache& specs_;
  const std::atomic<bool>& stopping_;
  const std::atomic<uint64_t>& wake_seq_;
};

//! Airbyte's AttemptFailureSummary with one failure.
Json FailureSummary(std::string_view origin, std::string_view failure_type, const std::string& external_message,
                    const std::string& internal_message, int64_t timestamp_ms, bool partial_success);

}  // namespace sluice
