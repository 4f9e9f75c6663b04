// The job queue: enqueue (one unfinished job per connection), claim (each job exactly once, also
// from concurrent workers), leases and reclaim, attempts, cancel, paging, logs — on SQLite and
// PostgreSQL.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "backends.h"

namespace sluice {
namespace {

using testing_metadata::DialectParamName;
using testing_metadata::StoreTest;

class JobQueueTest : public StoreTest {
 protected:
  static constexpr int64_t kLease = 30'000;

  Job Enqueue(const std::string& connection_id, int64_t now = kStart) {
    auto r = store().EnqueueJob(connection_id, JobConfigType::kSync, now);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->job : Job{};
  }
  std::optional<ClaimedJob> Claim(const std::string& worker, int64_t now) {
    auto r = store().ClaimJob(worker, kLease, now);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::nullopt;
  }
  Job Get(JobId id) {
    auto r = store().GetJob(id);
    EXPECT_TRUE(r.ok() && r->has_value());
    return r.ok() && r->has_value() ? **r : Job{};
  }
  int Failures(const std::string& connection_id) {
    auto c = store().GetConnection(connection_id);
    EXPECT_TRUE(c.ok() && c->has_value());
    return c.ok() && c->has_value() ? (*c)->consecutive_failures : -1;
  }
  int CountJobsOf(const std::string& connection_id) {
    auto jobs = store().ListJobs(JobQuery{.connection_id = connection_id});
    EXPECT_TRUE(jobs.ok());
    return jobs.ok() ? static_cast<int>(jobs->size()) : -1;
  }
  static AttemptResult Failed(std::optional<int64_t> retry_at) {
    AttemptResult r;
    r.outcome = AttemptOutcome::kFailed;
    r.failure_summary = {{"failures", Json::array({{{"failureType", "transient_error"}}})}};
    r.retry_at = retry_at;
    return r;
  }
};

TEST_P(JobQueueTest, OneUnfinishedJobPerConnection) {
  const std::string c = NewConnection();
  SLUICE_ASSERT_OK_AND_ASSIGN(auto first, store().EnqueueJob(c, JobConfigType::kSync, kStart));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.job.status, JobStatus::kPending);
  EXPECT_EQ(first.job.connection_id, c);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto second, store().EnqueueJob(c, JobConfigType::kResetConnection, kStart + 1));
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.job.id, first.job.id);

  auto claimed = Claim("w1", kStart + 2);
  ASSERT_TRUE(claimed);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto while_running, store().EnqueueJob(c, JobConfigType::kSync, kStart + 3));
  EXPECT_FALSE(while_running.created);
  EXPECT_EQ(while_running.job.status, JobStatus::kRunning);

  AttemptResult with_change;
  with_change.schema_change = Json::parse(R"({"schemaChange":"non_breaking","action":"pending"})");
  SLUICE_ASSERT_OK_AND_ASSIGN(auto done, store().FinishAttempt(first.job.id, 1, "w1", with_change, kStart + 4));
  EXPECT_EQ(done.status, JobStatus::kSucceeded);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto attempts, store().ListAttempts(first.job.id));
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].schema_change, with_change.schema_change);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto next, store().EnqueueJob(c, JobConfigType::kResetConnection, kStart + 5));
  EXPECT_TRUE(next.created);
  EXPECT_GT(next.job.id, first.job.id);
  EXPECT_EQ(next.job.config_type, JobConfigType::kResetConnection);

  auto unknown = store().EnqueueJob(NewUuid(), JobConfigType::kSync, kStart);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().failure_type(), FailureType::kConfig);
}

TEST_P(JobQueueTest, ConcurrentEnqueuesCreateOneJob) {
  const std::string c = NewConnection();
  std::vector<std::unique_ptr<MetadataStore>> stores;
  for (int i = 0; i < 4; ++i) {
    SLUICE_ASSERT_OK_AND_ASSIGN(auto s, MetadataStore::Open(url(), kStart));
    stores.push_back(std::move(s));
  }
  std::atomic<int> created{0}, errors{0};
  std::mutex mu;
  std::set<JobId> ids;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        auto r = stores[t]->EnqueueJob(c, JobConfigType::kSync, kStart + i);
        if (!r.ok()) {
          ++errors;
          continue;
        }
        if (r->created) ++created;
        std::lock_guard<std::mutex> lock(mu);
        ids.insert(r->job.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(ids.size(), 1u);
}

TEST_P(JobQueueTest, ClaimTakesTheOldestAndStartsAnAttempt) {
  const std::string a = NewConnection("a"), b = NewConnection("b");
  const Job ja = Enqueue(a, kStart + 1);
  const Job jb = Enqueue(b, kStart + 2);
  auto first = Claim("worker-1", kStart + 10);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->job.id, ja.id);
  EXPECT_EQ(first->job.status, JobStatus::kRunning);
  EXPECT_EQ(first->job.worker_id, "worker-1");
  EXPECT_EQ(first->job.lease_expires_at, kStart + 10 + kLease);
  EXPECT_EQ(first->job.started_at, kStart + 10);
  EXPECT_EQ(first->job.attempt_count, 1);
  EXPECT_EQ(first->attempt.attempt_number, 1);
  EXPECT_EQ(first->attempt.status, AttemptStatus::kRunning);
  auto second = Claim("worker-2", kStart + 11);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->job.id, jb.id);
  EXPECT_FALSE(Claim("worker-3", kStart + 12));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto attempts, store().ListAttempts(ja.id));
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].worker_id, "worker-1");
  EXPECT_EQ(attempts[0].created_at, kStart + 10);
}

TEST_P(JobQueueTest, HeartbeatsExtendTheLeaseUntilItIsLost) {
  const std::string c = NewConnection();
  const Job job = Enqueue(c);
  auto claimed = Claim("w1", kStart);
  ASSERT_TRUE(claimed);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto lease, store().Heartbeat(job.id, 1, "w1", kStart + 2 * kLease, kStart + 1000));
  EXPECT_EQ(lease, LeaseStatus::kHeld);
  EXPECT_EQ(Get(job.id).lease_expires_at, kStart + 2 * kLease);
  SLUICE_ASSERT_OK_AND_ASSIGN(lease, store().Heartbeat(job.id, 1, "someone-else", kStart + 3 * kLease, kStart + 1000));
  EXPECT_EQ(lease, LeaseStatus::kLost);
  SLUICE_ASSERT_OK_AND_ASSIGN(lease, store().Heartbeat(job.id, 2, "w1", kStart + 3 * kLease, kStart + 1000));
  EXPECT_EQ(lease, LeaseStatus::kLost);  // not the running attempt

  // The extended lease protects the job from reclaim until it expires.
  SLUICE_ASSERT_OK_AND_ASSIGN(auto reclaimed, store().ReclaimExpired(kStart + kLease + 1));
  EXPECT_TRUE(reclaimed.empty());
  SLUICE_ASSERT_OK_AND_ASSIGN(reclaimed, store().ReclaimExpired(kStart + 2 * kLease + 1));
  ASSERT_EQ(reclaimed.size(), 1u);
  SLUICE_ASSERT_OK_AND_ASSIGN(lease, store().Heartbeat(job.id, 1, "w1", kStart + 4 * kLease, kStart + 2 * kLease + 2));
  EXPECT_EQ(lease, LeaseStatus::kLost);
}

TEST_P(JobQueueTest, ExpiredLeasesAreReclaimedThenFailAfterMaxAttempts) {
  const std::string c = NewConnection();
  const Job job = Enqueue(c);
  int64_t now = kStart;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto claimed = Claim("w" + std::to_string(attempt), now);
    ASSERT_TRUE(claimed) << "attempt " << attempt;
    EXPECT_EQ(claimed->job.id, job.id);
    EXPECT_EQ(claimed->attempt.attempt_number, attempt);
    SLUICE_ASSERT_OK_AND_ASSIGN(auto early, store().ReclaimExpired(now + kLease - 1));
    EXPECT_TRUE(early.empty());
    now += kLease + 1;
    SLUICE_ASSERT_OK_AND_ASSIGN(auto reclaimed, store().ReclaimExpired(now));
    ASSERT_EQ(reclaimed.size(), 1u);
    EXPECT_EQ(reclaimed[0].status, attempt < 3 ? JobStatus::kIncomplete : JobStatus::kFailed);
    EXPECT_FALSE(reclaimed[0].worker_id);
    // The lost worker can no longer report.
    auto late = store().FinishAttempt(job.id, attempt, "w" + std::to_string(attempt), AttemptResult{}, now + 1);
    ASSERT_FALSE(late.ok());
    EXPECT_NE(late.status().message().find("lease lost"), std::string::npos) << late.status().ToString();
  }
  EXPECT_FALSE(Claim("w4", now + 1));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto attempts, store().ListAttempts(job.id));
  ASSERT_EQ(attempts.size(), 3u);
  for (const Attempt& a : attempts) {
    EXPECT_EQ(a.status, AttemptStatus::kFailed);
    EXPECT_TRUE(a.ended_at);
    EXPECT_NE(a.failure_summary.dump().find("worker lost"), std::string::npos) << a.failure_summary.dump();
  }
  EXPECT_EQ(Get(job.id).status, JobStatus::kFailed);
  EXPECT_EQ(Failures(c), 1);
}

TEST_P(JobQueueTest, JobsOfALostWorkerAreReclaimedBeforeTheirLeaseExpires) {
  const std::string c1 = NewConnection(), c2 = NewConnection();
  const Job gone = Enqueue(c1), alive = Enqueue(c2);
  ASSERT_TRUE(Claim("host:111", kStart));
  ASSERT_TRUE(Claim("host:222", kStart));
  // The attempt of the lost worker committed a checkpoint: its progress is saved with the state.
  const Json progress = {{"recordsCommitted", 500}, {"bytesCommitted", 0}, {"streamStats", Json::array()}};
  SLUICE_ASSERT_OK(store().SaveCheckpoint(c1, Json::array({{{"type", "GLOBAL"}}}), gone.id, 1, progress, kStart + 10));
  std::vector<std::string> asked;
  SLUICE_ASSERT_OK_AND_ASSIGN(auto reclaimed, store().ReclaimLostWorkers(
                                                  [&](const std::string& worker) {
                                                    asked.push_back(worker);
                                                    return worker == "host:111";
                                                  },
                                                  kStart + 1000));
  EXPECT_EQ(asked.size(), 2u);
  ASSERT_EQ(reclaimed.size(), 1u);
  EXPECT_EQ(reclaimed[0].id, gone.id);
  EXPECT_EQ(reclaimed[0].status, JobStatus::kIncomplete);
  EXPECT_EQ(Get(alive.id).status, JobStatus::kRunning);
  // The lost attempt keeps its progress and the job counts it.
  SLUICE_ASSERT_OK_AND_ASSIGN(auto attempts, store().ListAttempts(gone.id));
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].status, AttemptStatus::kFailed);
  EXPECT_EQ(attempts[0].stats.value("recordsCommitted", 0), 500);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto rows, store().database().Query("SELECT records_committed FROM jobs WHERE id = ?", {gone.id}));
  EXPECT_EQ(rows.at(0).GetInt(0), 500);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto state, store().GetState(c1));
  ASSERT_TRUE(state);
  // No attempt running: a checkpoint saves the state and writes no stats.
  SLUICE_ASSERT_OK(store().SaveCheckpoint(c1, Json::array(), gone.id, 1, Json{{"recordsCommitted", 9}}, kStart + 2000));
  SLUICE_ASSERT_OK_AND_ASSIGN(attempts, store().ListAttempts(gone.id));
  EXPECT_EQ(attempts[0].stats.value("recordsCommitted", 0), 500);
}

TEST_P(JobQueueTest, MaxAttemptsIsConfigurable) {
  MetadataStoreOptions options;
  options.max_attempts = 1;
  Reopen(options);
  const std::string c = NewConnection();
  const Job job = Enqueue(c);
  ASSERT_TRUE(Claim("w", kStart));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto finished, store().FinishAttempt(job.id, 1, "w", Failed(kStart + 10), kStart + 1));
  EXPECT_EQ(finished.status, JobStatus::kFailed);  // no attempts left, retry_at ignored
}

TEST_P(JobQueueTest, EnqueueIfLatestCreatesOnlyWhileTheNewestJobIsTheOneSeen) {
  const std::string c = NewConnection();
  // No job yet: "" is the mark of none.
  SLUICE_ASSERT_OK_AND_ASSIGN(auto none_seen, store().EnqueueJobIfLatest(c, JobConfigType::kSync, kStart, "x:y:z"));
  EXPECT_FALSE(none_seen.created);
  EXPECT_EQ(none_seen.job.id, 0);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto first, store().EnqueueJobIfLatest(c, JobConfigType::kSync, kStart, ""));
  ASSERT_TRUE(first.created);

  // The scheduler read the job while it ran; it finished before the enqueue: nothing is created.
  auto claimed = Claim("w", kStart + 1);
  ASSERT_TRUE(claimed);
  const std::string seen_running = MetadataStore::LatestJobMark(claimed->job);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto failed, store().FinishAttempt(first.job.id, 1, "w", Failed(std::nullopt), kStart + 2));
  ASSERT_EQ(failed.status, JobStatus::kFailed);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto stale, store().EnqueueJobIfLatest(c, JobConfigType::kSync, kStart + 3, seen_running));
  EXPECT_FALSE(stale.created);
  EXPECT_EQ(stale.job.id, 0);
  EXPECT_EQ(CountJobsOf(c), 1);

  // Decided on the finished job as it is now: the next job is created.
  SLUICE_ASSERT_OK_AND_ASSIGN(auto fresh,
                              store().EnqueueJobIfLatest(c, JobConfigType::kSync, kStart + 4, MetadataStore::LatestJobMark(failed)));
  EXPECT_TRUE(fresh.created);
  EXPECT_GT(fresh.job.id, first.job.id);

  // A pending job already there (seen as the newest): the unfinished-job rule still holds.
  SLUICE_ASSERT_OK_AND_ASSIGN(auto again,
                              store().EnqueueJobIfLatest(c, JobConfigType::kSync, kStart + 5, MetadataStore::LatestJobMark(fresh.job)));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.job.id, fresh.job.id);
}

TEST_P(JobQueueTest, FinishAttemptSetsTheJobStatusAndFailureCount) {
  const std::string c = NewConnection();
  const Job job = Enqueue(c);
  ASSERT_TRUE(Claim("w", kStart));

  // Failed with a retry: incomplete, claimable only from retry_at.
  SLUICE_ASSERT_OK_AND_ASSIGN(auto retry, store().FinishAttempt(job.id, 1, "w", Failed(kStart + 5000), kStart + 100));
  EXPECT_EQ(retry.status, JobStatus::kIncomplete);
  EXPECT_EQ(retry.not_before, kStart + 5000);
  EXPECT_EQ(Failures(c), 0);
  EXPECT_FALSE(Claim("w", kStart + 4999));
  auto second = Claim("w", kStart + 5000);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->attempt.attempt_number, 2);
  EXPECT_EQ(second->job.started_at, kStart);  // the first claim

  // Failed without a retry: the job fails, the connection counts a failure (and its version moves,
  // even with a clock behind the connection's last change).
  SLUICE_ASSERT_OK_AND_ASSIGN(std::string version_before, store().ConnectionsVersion(std::nullopt));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto failed, store().FinishAttempt(job.id, 2, "w", Failed(std::nullopt), kStart - 60'000));
  EXPECT_EQ(failed.status, JobStatus::kFailed);
  EXPECT_EQ(Failures(c), 1);
  SLUICE_ASSERT_OK_AND_ASSIGN(std::string version_failed, store().ConnectionsVersion(std::nullopt));
  EXPECT_NE(version_failed, version_before);

  // A success stores stats and resets the count.
  const Job next = Enqueue(c, kStart + 7000);
  ASSERT_TRUE(Claim("w", kStart + 7000));
  AttemptResult ok;
  ok.stats = Json::parse(R"({"recordsEmitted":10,"bytesEmitted":1000,"recordsCommitted":10,"bytesCommitted":1000,)"
                         R"("streams":[{"streamName":"users","recordsEmitted":10}]})");
  SLUICE_ASSERT_OK_AND_ASSIGN(auto succeeded, store().FinishAttempt(next.id, 1, "w", ok, kStart + 8000));
  EXPECT_EQ(succeeded.status, JobStatus::kSucceeded);
  EXPECT_FALSE(succeeded.worker_id);
  EXPECT_EQ(Failures(c), 0);
  SLUICE_ASSERT_OK_AND_ASSIGN(std::string version_reset, store().ConnectionsVersion(std::nullopt));
  EXPECT_NE(version_reset, version_failed);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto attempts, store().ListAttempts(next.id));
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].status, AttemptStatus::kSucceeded);
  EXPECT_EQ(attempts[0].stats, ok.stats);
  EXPECT_EQ(attempts[0].ended_at, kStart + 8000);
  auto twice = store().FinishAttempt(next.id, 1, "w", ok, kStart + 8001);
  EXPECT_FALSE(twice.ok());

  // Re-enabling an inactive connection resets its failure count.
  const Job third = Enqueue(c, kStart + 9000);
  ASSERT_TRUE(Claim("w", kStart + 9000));
  SLUICE_ASSERT_OK(store().FinishAttempt(third.id, 1, "w", Failed(std::nullopt), kStart + 9001).status());
  EXPECT_EQ(Failures(c), 1);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto conn, store().GetConnection(c));
  conn->status = ConnectionStatus::kInactive;
  ASSERT_TRUE(store().UpdateConnection(*conn, kStart + 9002).ok());
  EXPECT_EQ(Failures(c), 1);
  conn->status = ConnectionStatus::kActive;
  ASSERT_TRUE(store().UpdateConnection(*conn, kStart + 9003).ok());
  EXPECT_EQ(Failures(c), 0);
}

TEST_P(JobQueueTest, CancelPendingAtOnceAndRunningThroughTheWorker) {
  const std::string a = NewConnection("a"), b = NewConnection("b");
  const Job pending = Enqueue(a);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto cancelled, store().RequestCancel(pending.id, kStart + 1));
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->status, JobStatus::kCancelled);

  const Job running = Enqueue(b);
  ASSERT_TRUE(Claim("w", kStart + 2));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto asked, store().RequestCancel(running.id, kStart + 3));
  ASSERT_TRUE(asked);
  EXPECT_EQ(asked->status, JobStatus::kRunning);
  EXPECT_TRUE(asked->cancel_requested);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto lease, store().Heartbeat(running.id, 1, "w", kStart + kLease, kStart + 4));
  EXPECT_EQ(lease, LeaseStatus::kCancelRequested);
  // The worker stops the attempt; however it ends, the job is cancelled, not retried.
  SLUICE_ASSERT_OK_AND_ASSIGN(auto finished,
                              store().FinishAttempt(running.id, 1, "w", Failed(kStart + 10), kStart + 5));
  EXPECT_EQ(finished.status, JobStatus::kCancelled);
  EXPECT_EQ(Failures(b), 0);

  SLUICE_ASSERT_OK_AND_ASSIGN(auto unchanged, store().RequestCancel(running.id, kStart + 6));
  ASSERT_TRUE(unchanged);
  EXPECT_EQ(unchanged->status, JobStatus::kCancelled);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto unknown, store().RequestCancel(999'999, kStart));
  EXPECT_FALSE(unknown);
  // A new job can be enqueued after a cancel.
  SLUICE_ASSERT_OK_AND_ASSIGN(auto again, store().EnqueueJob(b, JobConfigType::kSync, kStart + 7));
  EXPECT_TRUE(again.created);
}

TEST_P(JobQueueTest, ListJobsNewestFirstWithPagingAndCounts) {
  const std::string a = NewConnection("a"), b = NewConnection("b");
  std::vector<JobId> a_ids;
  for (int i = 0; i < 25; ++i) {
    const Job job = Enqueue(a, kStart + i);
    a_ids.push_back(job.id);
    ASSERT_TRUE(Claim("w", kStart + i));
    ASSERT_TRUE(store().FinishAttempt(job.id, 1, "w", AttemptResult{}, kStart + i).ok());
  }
  const Job b_job = Enqueue(b, kStart + 100);

  JobQuery q;
  q.connection_id = a;
  q.limit = 10;
  SLUICE_ASSERT_OK_AND_ASSIGN(auto page1, store().ListJobs(q));
  ASSERT_EQ(page1.size(), 10u);
  EXPECT_EQ(page1[0].id, a_ids[24]);
  EXPECT_EQ(page1[9].id, a_ids[15]);
  q.offset = 20;
  SLUICE_ASSERT_OK_AND_ASSIGN(auto page3, store().ListJobs(q));
  ASSERT_EQ(page3.size(), 5u);
  EXPECT_EQ(page3[4].id, a_ids[0]);
  EXPECT_EQ(page3[4].attempt_count, 1);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto count, store().CountJobs(q));
  EXPECT_EQ(count, 25);

  JobQuery all;
  all.limit = 3;
  SLUICE_ASSERT_OK_AND_ASSIGN(auto newest, store().ListJobs(all));
  ASSERT_EQ(newest.size(), 3u);
  EXPECT_EQ(newest[0].id, b_job.id);
  SLUICE_ASSERT_OK_AND_ASSIGN(count, store().CountJobs(all));
  EXPECT_EQ(count, 26);
  all.config_types = {JobConfigType::kResetConnection};
  SLUICE_ASSERT_OK_AND_ASSIGN(count, store().CountJobs(all));
  EXPECT_EQ(count, 0);

  SLUICE_ASSERT_OK_AND_ASSIGN(auto by_status, store().CountJobsByStatus());
  EXPECT_EQ(by_status[JobStatus::kSucceeded], 25);
  EXPECT_EQ(by_status[JobStatus::kPending], 1);
  EXPECT_EQ(by_status.count(JobStatus::kRunning), 0u);
}

TEST_P(JobQueueTest, ListJobsByStatusWorkspaceTimeAndOrder) {
  const std::string a = NewConnection("a"), b = NewConnection("b");
  const Job first = Enqueue(a, kStart);  // succeeds at kStart + 50
  ASSERT_TRUE(Claim("w", kStart));
  ASSERT_TRUE(store().FinishAttempt(first.id, 1, "w", AttemptResult{}, kStart + 50).ok());
  const Job second = Enqueue(b, kStart + 10);  // stays pending, updated at kStart + 10
  const Job third = Enqueue(a, kStart + 20);   // pending, updated at kStart + 20

  auto ids = [this](const JobQuery& q) {
    std::vector<JobId> out;
    auto jobs = store().ListJobs(q);
    EXPECT_TRUE(jobs.ok()) << jobs.status().ToString();
    if (jobs.ok()) {
      for (const auto& j : *jobs) out.push_back(j.id);
    }
    auto count = store().CountJobs(q);
    EXPECT_TRUE(count.ok() && *count == static_cast<int64_t>(out.size()));
    return out;
  };
  JobQuery q;
  q.statuses = {JobStatus::kPending};
  EXPECT_EQ(ids(q), (std::vector<JobId>{third.id, second.id}));
  q.statuses = {JobStatus::kSucceeded, JobStatus::kFailed};
  EXPECT_EQ(ids(q), (std::vector<JobId>{first.id}));

  q = JobQuery{};
  q.order = JobQuery::Order::kOldestFirst;
  EXPECT_EQ(ids(q), (std::vector<JobId>{first.id, second.id, third.id}));
  q.order = JobQuery::Order::kUpdatedNewestFirst;  // the first one finished last
  EXPECT_EQ(ids(q), (std::vector<JobId>{first.id, third.id, second.id}));
  q.order = JobQuery::Order::kUpdatedOldestFirst;
  EXPECT_EQ(ids(q), (std::vector<JobId>{second.id, third.id, first.id}));

  q = JobQuery{};
  q.created_from = kStart + 10;
  q.created_to = kStart + 10;
  EXPECT_EQ(ids(q), (std::vector<JobId>{second.id}));
  q = JobQuery{};
  q.updated_from = kStart + 30;
  EXPECT_EQ(ids(q), (std::vector<JobId>{first.id}));
  q = JobQuery{};
  q.updated_to = kStart + 15;
  EXPECT_EQ(ids(q), (std::vector<JobId>{second.id}));

  // A connection's workspace is its source's.
  SLUICE_ASSERT_OK_AND_ASSIGN(auto workspaces, store().ListWorkspaces());
  q = JobQuery{};
  q.workspace_ids = {workspaces[0].workspace_id};
  EXPECT_EQ(ids(q).size(), 3u);
  q.workspace_ids = {"no-such-workspace"};
  EXPECT_TRUE(ids(q).empty());
}

TEST_P(JobQueueTest, AttemptLogsAppendTailAndRead) {
  const std::string c = NewConnection();
  const Job job = Enqueue(c);
  ASSERT_TRUE(Claim("w", kStart));
  SLUICE_ASSERT_OK(store().AppendLogLines(job.id, 1, {"starting", "reading users", "it's \"quoted\" ?"}));
  std::vector<std::string> many;
  for (int i = 0; i < 450; ++i) many.push_back("line " + std::to_string(i));
  SLUICE_ASSERT_OK(store().AppendLogLines(job.id, 1, many));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto all, store().ReadLog(job.id, 1));
  ASSERT_EQ(all.size(), 453u);
  EXPECT_EQ(all[0].seq, 1);
  EXPECT_EQ(all[0].line, "starting");
  EXPECT_EQ(all[2].line, "it's \"quoted\" ?");
  EXPECT_EQ(all[452].seq, 453);
  EXPECT_EQ(all[452].line, "line 449");
  SLUICE_ASSERT_OK_AND_ASSIGN(auto tail, store().TailLog(job.id, 1, 2));
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].line, "line 448");
  EXPECT_EQ(tail[1].line, "line 449");
  SLUICE_ASSERT_OK_AND_ASSIGN(auto page, store().ReadLog(job.id, 1, /*after_seq=*/2, /*limit=*/2));
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].seq, 3);
  EXPECT_EQ(page[1].line, "line 0");
  Status no_attempt = store().AppendLogLines(job.id, 7, {"x"});
  EXPECT_FALSE(no_attempt.ok());
  SLUICE_ASSERT_OK_AND_ASSIGN(auto empty, store().TailLog(job.id, 7, 10));
  EXPECT_TRUE(empty.empty());
}

// Several workers (each its own store, as separate processes would be, plus two threads sharing
// one) claim concurrently: every job is claimed exactly once.
TEST_P(JobQueueTest, ConcurrentClaimsTakeEveryJobExactlyOnce) {
  constexpr int kJobs = 40, kWorkers = 4;
  std::set<JobId> enqueued;
  for (int i = 0; i < kJobs; ++i) enqueued.insert(Enqueue(NewConnection("c" + std::to_string(i)), kStart + i).id);
  std::vector<std::unique_ptr<MetadataStore>> own;
  for (int i = 0; i < kWorkers - 2; ++i) {
    SLUICE_ASSERT_OK_AND_ASSIGN(auto s, MetadataStore::Open(url(), kStart));
    own.push_back(std::move(s));
  }
  std::mutex mu;
  std::multiset<JobId> claimed;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    MetadataStore* s = w < 2 ? store_.get() : own[w - 2].get();
    threads.emplace_back([&, s, w] {
      const std::string worker = "worker-" + std::to_string(w);
      for (;;) {
        auto r = s->ClaimJob(worker, kLease, kStart + 1000);
        if (!r.ok()) {
          ++errors;
          if (errors > 20) return;
          continue;  // e.g. busy: try again
        }
        if (!r->has_value()) return;
        const JobId id = (*r)->job.id;
        {
          std::lock_guard<std::mutex> lock(mu);
          claimed.insert(id);
        }
        if (!s->FinishAttempt(id, 1, worker, AttemptResult{}, kStart + 1001).ok()) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(std::set<JobId>(claimed.begin(), claimed.end()), enqueued);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto by_status, store().CountJobsByStatus());
  EXPECT_EQ(by_status[JobStatus::kSucceeded], kJobs);
}

INSTANTIATE_TEST_SUITE_P(Dialects, JobQueueTest, ::testing::Values(Dialect::kSqlite, Dialect::kPostgres),
                         DialectParamName);

}  // namespace
}  // namespace sluice
