#include "worker/worker_pool.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "base/log.h"
#include "base/subprocess.h"
#include "base/time.h"
#include "worker/attempt_supervisor.h"
#include "worker/job_events.h"
#include "worker/job_scheduler.h"
#include "worker/notifier.h"

namespace sluice {

namespace {

constexpr int64_t kReclaimEveryMs = 2'000;

std::string HostName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "localhost");
  return host;
}

std::string DefaultWorkerId() { return fmt::format("{}:{}", HostName(), getpid()); }

// True when `worker_id` (DefaultWorkerId: "host:pid") names a process of this host that no
// longer exists: its jobs need not wait for their lease. An id of another host, one not in that
// form, or a pid that is alive (perhaps reused) is left to the lease. Host names are assumed
// unique among the processes sharing a metadata store (containers given the same host name
// explicitly, in separate pid namespaces, would break this).
bool IsDeadLocalWorker(const std::string& worker_id, const std::string& own_host) {
  const size_t colon = worker_id.rfind(':');
  if (colon == std::string::npos || worker_id.compare(0, colon, own_host) != 0 || colon != own_host.size()) {
    return false;
  }
  const std::string digits = worker_id.substr(colon + 1);
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return false;
  const pid_t pid = static_cast<pid_t>(std::stol(digits));
  if (pid <= 0) return false;
  return kill(pid, 0) != 0 && errno == ESRCH;
}

std::string SelfExe() {
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : std::string("/proc/self/exe");
}

std::string_view OutcomeName(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::kSucceeded: return "succeeded";
    case AttemptOutcome::kFailed: return "failed";
    case AttemptOutcome::kCancelled: return "cancelled";
  }
  return "failed";
}

}  // namespace

class WorkerPool::Impl {
 public:
  Impl(const PlatformContext& context, WorkerPoolOptions options)
      : context_(context),
        options_(std::move(options)),
        specs_(ResolveBinary()),
        events_(context_, notifier_),
        scheduler_(*context.store, 60, absl::Milliseconds(options_.retry_backoff_ms)) {
    supervisor_options_.worker_id = options_.worker_id.empty() ? DefaultWorkerId() : options_.worker_id;
    supervisor_options_.sluice_binary = ResolveBinary();
    supervisor_options_.lease_ms = options_.lease_ms;
    supervisor_options_.heartbeat_ms = options_.heartbeat_ms;
    supervisor_options_.kill_grace_ms = options_.kill_grace_ms;
    supervisor_options_.retry_backoff_ms = options_.retry_backoff_ms;
  }

  ~Impl() { Stop(); }

  Status Start() {
    std::lock_guard lock(lifecycle_mu_);
    if (started_) return Status::Ok();
    if (context_.store == nullptr || context_.secrets == nullptr || context_.clock == nullptr) {
      return Status::SystemError("worker pool: the platform context lacks a store, secret box or clock");
    }
    // A child that dies before reading its plan must not kill this process with SIGPIPE.
    struct sigaction current = {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
    if (options_.scratch_dir.empty()) {
      auto dir = MakeTempDir("sluice-worker-");
      if (!dir.ok()) return dir.status();
      supervisor_options_.scratch_dir = *dir;
      owns_scratch_ = true;
    } else {
      supervisor_options_.scratch_dir = options_.scratch_dir;
    }
    started_ = true;
    notifier_.Start();
    for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
    housekeeping_ = std::thread([this] { HousekeepingLoop(); });
    if (context_.metrics != nullptr) context_.metrics->live_workers.Get().Set(options_.workers);
    Log(LogLevel::kInfo, "worker pool {}: {} worker(s){}{}", supervisor_options_.worker_id, options_.workers,
        options_.run_scheduler ? ", scheduler" : "", options_.run_reclaimer ? ", reclaimer" : "");
    return Status::Ok();
  }

  void Wake() {
    wake_seq_.fetch_add(1);
    std::lock_guard lock(mu_);
    ++claim_wakes_;
    cv_.notify_all();
  }

  void Stop() {
    std::lock_guard lifecycle(lifecycle_mu_);
    if (!started_ || stopped_) return;
    stopped_ = true;
    stopping_flag_ = true;  // running attempts get SIGTERM
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      cv_.notify_all();
    }
    for (auto& t : workers_) t.join();
    workers_.clear();
    if (housekeeping_.joinable()) housekeeping_.join();
    notifier_.Stop();
    if (context_.metrics != nullptr) context_.metrics->live_workers.Get().Set(0);
    if (owns_scratch_) RemoveTreeIgnoringErrors(supervisor_options_.scratch_dir);
  }

 private:
  std::string ResolveBinary() const { return options_.sluice_binary.empty() ? SelfExe() : options_.sluice_binary; }

  // Waits up to `ms` or until woken/stopping. Returns false when stopping.
  bool Sleep(int64_t ms, uint64_t* seen_wakes) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(ms),
                 [&] { return stopping_ || (seen_wakes != nullptr && claim_wakes_ != *seen_wakes); });
    if (seen_wakes != nullptr) *seen_wakes = claim_wakes_;
    return !stopping_;
  }

  void WorkerLoop(int index) {
    uint64_t seen_wakes = 0;
    while (!stopping_flag_.load()) {
      {
        std::lock_guard lock(mu_);
        if (stopping_) break;
        seen_wakes = claim_wakes_;
      }
      auto claimed = context_.store->ClaimJob(supervisor_options_.worker_id, options_.lease_ms, context_.NowMs());
      if (!claimed.ok()) {
        Log(LogLevel::kWarn, "worker {}: cannot claim a job: {}", index, claimed.status().message());
        if (!Sleep(options_.poll_ms, nullptr)) break;
        continue;
      }
      if (!claimed->has_value()) {
        if (!Sleep(options_.poll_ms, &seen_wakes)) break;
        continue;
      }
      RunClaimed(**claimed);
    }
  }

  void RunClaimed(const ClaimedJob& claimed) {
    AttemptSupervisor supervisor(context_, supervisor_options_, specs_, stopping_flag_, wake_seq_);
    std::optional<AttemptResult> result = supervisor.Run(claimed);
    if (!result) {
      events_.AttemptFinished("failed", Json());
      return;  // lease lost: the reclaimer (ours or another process's) fails the attempt
    }
    auto job = context_.store->FinishAttempt(claimed.job.id, claimed.attempt.attempt_number,
                                             supervisor_options_.worker_id, *result, context_.NowMs());
    if (!job.ok()) {
      Log(LogLevel::kWarn, "job {} attempt {}: cannot record the outcome: {}", claimed.job.id,
          claimed.attempt.attempt_number, job.status().message());
      return;
    }
    events_.AttemptFinished(OutcomeName(result->outcome), result->stats);
    Log(LogLevel::kInfo, "job {} attempt {}: {} → job {}", job->id, claimed.attempt.attempt_number,
        OutcomeName(result->outcome), JobStatusName(job->status));
    (void)context_.store->AppendLogLines(
        job->id, claimed.attempt.attempt_number,
        {fmt::format("{} INFO [worker] job {} is now {}{}",
                     absl::FormatTime("%Y-%m-%d %H:%M:%E3S", absl::Now(), absl::UTCTimeZone()), job->id,
                     JobStatusName(job->status),
                     job->status == JobStatus::kIncomplete ? " (another attempt will follow)" : "")});
    if (!result->schema_change.is_null()) events_.SchemaChanged(*job, result->schema_change);
    if (IsTerminal(job->status)) events_.JobFinished(*job);
  }

  void HousekeepingLoop() {
    int64_t last_reclaim = 0;
    const int64_t tick_ms = std::max<int64_t>(10, options_.scheduler_tick_ms);
    while (true) {
      const int64_t now_mono = MonotonicMicros() / 1000;
      if (options_.run_scheduler) {
        auto created = scheduler_.Tick(context_.clock->Now());
        if (!created.ok()) {
          Log(LogLevel::kWarn, "scheduler: {}", created.status().message());
        } else if (*created > 0 && options_.workers > 0) {
          Wake();
        }
      }
      if (options_.run_reclaimer && now_mono - last_reclaim >= kReclaimEveryMs) {
        last_reclaim = now_mono;
        Reclaim();
      }
      UpdateGauges();
      if (!Sleep(tick_ms, nullptr)) break;
    }
  }

  void Reclaim() {
    // Expired leases, and at once the jobs of a worker process of this host that is gone (a
    // server or `sluice worker` killed with SIGKILL: its attempts died with it, PR_SET_PDEATHSIG).
    const std::string& own_id = supervisor_options_.worker_id;
    const std::string own_host = HostName();
    auto changed = context_.store->ReclaimLostWorkers(
        [&](const std::string& worker_id) { return worker_id != own_id && IsDeadLocalWorker(worker_id, own_host); },
        context_.NowMs());
    if (!changed.ok()) {
      Log(LogLevel::kWarn, "reclaimer: {}", changed.status().message());
      return;
    }
    for (const Job& job : *changed) {
      Log(LogLevel::kWarn, "reclaimer: job {} lost its worker: now {}", job.id, JobStatusName(job.status));
      events_.AttemptFinished("failed", Json());
      if (IsTerminal(job.status)) events_.JobFinished(job);
    }
    if (!changed->empty()) Wake();
  }

  void UpdateGauges() {
    if (context_.metrics == nullptr) return;
    auto counts = context_.store->CountJobsByStatus();
    if (!counts.ok()) return;
    auto count = [&](JobStatus s) {
      auto it = counts->find(s);
      return it == counts->end() ? 0.0 : static_cast<double>(it->second);
    };
    context_.metrics->queue_depth.Get().Set(count(JobStatus::kPending) + count(JobStatus::kIncomplete));
    context_.metrics->running_jobs.Get().Set(count(JobStatus::kRunning));
  }

  const PlatformContext& context_;
  const WorkerPoolOptions options_;
  SupervisorOptions supervisor_options_;
  SpecCache specs_;
  Notifier notifier_;
  JobEvents events_;
  JobScheduler scheduler_;

  std::mutex lifecycle_mu_;
  bool started_ = false;
  bool stopped_ = false;
  bool owns_scratch_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  uint64_t claim_wakes_ = 0;
  std::atomic<bool> stopping_flag_{false};  // read by running attempts
  std::atomic<uint64_t> wake_seq_{0};       // bumped by Wake: heartbeats look at once
  std::vector<std::thread> workers_;
  std::thread housekeeping_;
};

WorkerPool::WorkerPool(const PlatformContext& context, WorkerPoolOptions options)
    : impl_(std::make_unique<Impl>(context, std::move(options))) {}

WorkerPool::~WorkerPool() { Stop(); }

Status WorkerPool::Start() { return impl_->Start(); }

void WorkerPool::Wake() { impl_->Wake(); }

void WorkerPool::Stop() { impl_->Stop(); }

}  // namespace sluice
