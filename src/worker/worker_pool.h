#pragma once
// WorkerPool: the threads of one process (`sluice server` or `sluice worker`) that claim jobs from
// the metadata store and run each attempt in its own child process (`sluice run-attempt`), plus —
// in the server — the scheduler that enqueues due jobs and the reclaimer that fails attempts of
// lost workers.

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "platform/platform.h"

namespace sluice {

struct WorkerPoolOptions {
  int workers = 2;                //!< attempts run at once (threads); 0 = none (scheduler only)
  std::string worker_id;          //!< "" = "<hostname>:<pid>"
  std::string scratch_dir;        //!< per-attempt folders; "" = a temp folder
  bool run_scheduler = true;      //!< enqueue due scheduled jobs (the server: yes; `sluice worker`: no)
  bool run_reclaimer = true;      //!< fail attempts whose worker stopped heart-beating
  int64_t lease_ms = 30'000;      //!< a claim's lease; renewed every heartbeat_ms
  int64_t heartbeat_ms = 3'000;
  int64_t poll_ms = 1'000;        //!< idle workers look for jobs at least this often
  int64_t scheduler_tick_ms = 1'000;
  int64_t retry_backoff_ms = 30'000;  //!< wait before attempt 2 of a failed job; doubles after each
  int64_t kill_grace_ms = 10'000;     //!< after SIGTERM (cancel, stop), SIGKILL this much later
  std::string sluice_binary;      //!< the executable started per attempt; "" = /proc/self/exe

  //! The command lines' --lease-seconds and --retry-backoff-seconds: sets lease_ms,
  //! heartbeat_ms (a tenth of the lease, at least 200 ms) and retry_backoff_ms.
  void SetTimings(int lease_seconds, int retry_backoff_seconds) {
    lease_ms = int64_t{lease_seconds} * 1000;
    heartbeat_ms = lease_ms / 10 > 200 ? lease_ms / 10 : 200;
    retry_backoff_ms = int64_t{retry_backoff_seconds} * 1000;
  }
};

class WorkerPool {
 public:
  //! `context` must outlive the pool.
  WorkerPool(const PlatformContext& context, WorkerPoolOptions options);
  ~WorkerPool();  //!< Stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  Status Start();
  //! Idle workers look for a job now (after an enqueue or a cancel request).
  void Wake();
  //! Stops claiming; running attempts get SIGTERM (then SIGKILL after a grace period) and end as
  //! failed attempts, so their jobs resume from saved state after a restart. Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
