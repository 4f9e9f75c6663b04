#pragma once
// JobScheduler: decides when scheduled connections are due and enqueues their sync jobs. It only
// decides *when*: workers run the jobs.
//
// Cheap with many connections: the list of connections and each one's next due time are cached.
// Each tick asks the store for ConnectionsVersion (one aggregate query) and reloads the list only
// when it moved — a connection created, changed or deleted through any server — or every
// `refresh_every_ticks` ticks; a reload recomputes the due time of changed connections (by
// updated_at) only. Otherwise a tick just compares cached times with now. A due connection is re-checked against its newest job before enqueueing
// (a manual sync may have moved it), and EnqueueJob keeps at most one unfinished job each.
// Continuous connections follow ContinuousNextDue (scheduler/schedule.h): their newest job is
// looked at every tick while one is unfinished, so a job that ends is followed by the next one
// at once (a failed one after `continuous_restart_backoff`; a cancelled one only after the
// connection is changed).
// Not thread-safe: one thread ticks.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/time/time.h"
#include "base/status.h"
#include "metadata/metadata_store.h"
#include "scheduler/schedule.h"

namespace sluice {

class JobScheduler {
 public:
  //! `store` must outlive the scheduler.
  //! `continuous_restart_backoff`: the wait after a continuous connection's job failed.
  explicit JobScheduler(MetadataStore& store, int refresh_every_ticks = 60,
                        absl::Duration continuous_restart_backoff = absl::Seconds(30));

  //! One pass at `now`: enqueues the due jobs. Returns how many jobs were created.
  Result<int> Tick(absl::Time now);
  //! The next tick reloads every connection.
  void Invalidate() { force_refresh_ = true; }

 private:
  struct Entry {
    int64_t updated_at = 0;
    int64_t created_at = 0;
    Schedule schedule = Schedule::Manual();
    std::optional<absl::Time> next_due;
  };

  Status Refresh(absl::Time now);
  //! When the connection is next due, from its newest job (or its creation, for cron). `seen`,
  //! when given, gets that job's MetadataStore::LatestJobMark ("" for none): the enqueue happens
  //! only while it still holds (a job finishing between this read and the enqueue would otherwise
  //! be decided on stale facts, e.g. a failed continuous job restarted without its backoff).
  Result<std::optional<absl::Time>> ComputeNextDue(const std::string& connection_id, const Entry& entry,
                                                   absl::Time now, std::string* seen = nullptr);

  MetadataStore& store_;
  const int refresh_every_ticks_;
  const absl::Duration continuous_restart_backoff_;
  int64_t ticks_ = 0;
  bool force_refresh_ = true;
  std::string version_;  // ConnectionsVersion at the last reload
  std::unordered_map<std::string, Entry> entries_;  // active connections with a schedule
};

}  // namespace sluice
