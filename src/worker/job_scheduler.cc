#include "worker/job_scheduler.h"

#include "base/log.h"

namespace sluice {

namespace {

std::optional<absl::Time> LastStart(const Job& job) {
  return absl::FromUnixMillis(job.started_at.value_or(job.created_at));
}

}  // namespace

JobScheduler::JobScheduler(MetadataStore& store, int refresh_every_ticks, absl::Duration continuous_restart_backoff)
    : store_(store),
      refresh_every_ticks_(std::max(1, refresh_every_ticks)),
      continuous_restart_backoff_(continuous_restart_backoff) {}

Result<std::optional<absl::Time>> JobScheduler::ComputeNextDue(const std::string& connection_id, const Entry& entry,
                                                               absl::Time now, std::string* seen) {
  JobQuery query;
  query.connection_id = connection_id;
  query.limit = 1;
  SLUICE_ASSIGN_OR_RETURN(std::vector<Job> jobs, store_.ListJobs(query));
  if (seen != nullptr) *seen = jobs.empty() ? std::string() : MetadataStore::LatestJobMark(jobs[0]);
  if (entry.schedule.continuous()) {
    ContinuousJobEnd end = ContinuousJobEnd::kNone;
    // A finished refresh, clear or reset is no continuous sync: the sync starts again at once.
    if (!jobs.empty() && (!IsTerminal(jobs[0].status) || jobs[0].config_type == JobConfigType::kSync)) {
      end = !IsTerminal(jobs[0].status)           ? ContinuousJobEnd::kUnfinished
            : jobs[0].status == JobStatus::kFailed    ? ContinuousJobEnd::kFailed
            : jobs[0].status == JobStatus::kSucceeded ? ContinuousJobEnd::kEnded
                                                      : ContinuousJobEnd::kStopped;
    }
    const absl::Time ended_at = jobs.empty() ? now : absl::FromUnixMillis(jobs[0].updated_at);
    return ContinuousNextDue(end, ended_at, absl::FromUnixMillis(entry.updated_at), now, continuous_restart_backoff_);
  }
  std::optional<absl::Time> last_start;
  if (!jobs.empty()) {
    last_start = LastStart(jobs[0]);
  } else if (entry.schedule.type() == Schedule::Type::kCron) {
    // Never run: the first fire time after the connection was created (not "after now", which
    // would move with every tick).
    last_start = absl::FromUnixMillis(entry.created_at);
  }
  return entry.schedule.NextDue(last_start, now);
}

Status JobScheduler::Refresh(absl::Time now) {
  SLUICE_ASSIGN_OR_RETURN(std::vector<Connection> connections, store_.ListConnections(std::nullopt, false, /*include_catalogs=*/false));
  std::unordered_map<std::string, Entry> fresh;
  for (const Connection& c : connections) {
    if (c.status != ConnectionStatus::kActive || c.schedule_type == ScheduleType::kManual) continue;
    auto old = entries_.find(c.connection_id);
    if (old != entries_.end() && old->second.updated_at == c.updated_at) {
      fresh.emplace(c.connection_id, std::move(old->second));
      continue;
    }
    Json airbyte = {{"scheduleType", ScheduleTypeName(c.schedule_type)}, {"scheduleData", c.schedule_data}};
    auto schedule = Schedule::FromAirbyte(airbyte);
    if (!schedule.ok()) {
      Log(LogLevel::kWarn, "scheduler: connection {} has an unusable schedule: {}", c.connection_id,
          schedule.status().message());
      continue;
    }
    Entry entry;
    entry.updated_at = c.updated_at;
    entry.created_at = c.created_at;
    entry.schedule = std::move(schedule).value();
    auto next = ComputeNextDue(c.connection_id, entry, now);
    if (!next.ok()) return next.status();
    entry.next_due = *next;
    fresh.emplace(c.connection_id, std::move(entry));
  }
  entries_ = std::move(fresh);
  return Status::Ok();
}

Result<int> JobScheduler::Tick(absl::Time now) {
  SLUICE_ASSIGN_OR_RETURN(std::string version, store_.ConnectionsVersion(std::nullopt));
  if (force_refresh_ || version != version_ || ticks_ % refresh_every_ticks_ == 0) {
    SLUICE_RETURN_IF_ERROR(Refresh(now));
    version_ = std::move(version);
    force_refresh_ = false;
  }
  ++ticks_;
  int created = 0;
  for (auto& [connection_id, entry] : entries_) {
    if (!entry.next_due || *entry.next_due > now) continue;
    // Re-check against the newest job: a manual sync since the last refresh moves the due time.
    std::string seen;
    SLUICE_ASSIGN_OR_RETURN(entry.next_due, ComputeNextDue(connection_id, entry, now, &seen));
    if (!entry.next_due || *entry.next_due > now) continue;
    auto enqueued = store_.EnqueueJobIfLatest(connection_id, JobConfigType::kSync, absl::ToUnixMillis(now), seen);
    if (!enqueued.ok()) {
      // Deleted meanwhile, most likely: forget it until the next refresh.
      Log(LogLevel::kWarn, "scheduler: cannot enqueue a job for connection {}: {}", connection_id,
          enqueued.status().message());
      entry.next_due.reset();
      continue;
    }
    if (!enqueued->created && enqueued->job.id == 0) continue;  // its newest job changed: decide next tick
    if (enqueued->created) {
      ++created;
      Log(LogLevel::kInfo, "scheduler: job {} enqueued for connection {}", enqueued->job.id, connection_id);
    }
    // Continuous: look at the job again next tick (NextDue says now).
    entry.next_due = entry.schedule.NextDue(LastStart(enqueued->job), now);
  }
  return created;
}

}  // namespace sluice
