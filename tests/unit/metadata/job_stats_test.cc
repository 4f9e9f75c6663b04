// SyncJobStats: per day figures of finished sync jobs (counts by status, committed records and
// bytes, median and maximum duration), days cut at UTC midnights and at local midnights of a zone
// with a DST change (a 23-hour day), the connection filter, and migration 2's backfill of the
// job totals — on SQLite and PostgreSQL (whose code paths differ).
#include <gtest/gtest.h>

#include <chrono>

#include "backends.h"

namespace sluice {
namespace {

using testing_metadata::DialectParamName;
using testing_metadata::StoreTest;

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;

//! Days since 1970-01-01 of a calendar date.
int64_t EpochDay(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return sys_days{year{y} / month{m} / day{d}}.time_since_epoch().count();
}

//! An instant (epoch ms) from a UTC date and time.
int64_t Utc(int y, unsigned m, unsigned d, int hour, int minute = 0) {
  return EpochDay(y, m, d) * kDay + hour * kHour + minute * 60'000;
}

class JobStatsTest : public StoreTest {
 protected:
  static Json StatsJson(int64_t records, int64_t bytes) {
    return {{"recordsEmitted", records},
            {"bytesEmitted", bytes},
            {"recordsCommitted", records},
            {"bytesCommitted", bytes},
            {"streamStats", Json::array({{{"streamName", "users"}, {"recordsCommitted", records + 1000}}})}};
  }

  //! A job of `type` that starts at `start` and ends at `end` with `outcome`; each entry of
  //! `attempt_records` is one attempt committing that many records (and 10 bytes per record);
  //! the attempts before the last fail and are retried.
  JobId RunJob(const std::string& connection, int64_t start, int64_t end, AttemptOutcome outcome,
               std::vector<int64_t> attempt_records = {0}, JobConfigType type = JobConfigType::kSync) {
    auto enqueued = store().EnqueueJob(connection, type, start - 1000);
    EXPECT_TRUE(enqueued.ok()) << enqueued.status().ToString();
    if (!enqueued.ok()) return 0;
    const JobId id = enqueued->job.id;
    for (size_t i = 0; i < attempt_records.size(); ++i) {
      const bool last = i + 1 == attempt_records.size();
      const int64_t at = start + static_cast<int64_t>(i) * 10;
      auto claimed = store().ClaimJob("w", 60'000, at);
      EXPECT_TRUE(claimed.ok() && claimed->has_value());
      if (!claimed.ok() || !claimed->has_value()) return 0;
      EXPECT_EQ((*claimed)->job.id, id);
      AttemptResult result;
      result.outcome = last ? outcome : AttemptOutcome::kFailed;
      result.stats = StatsJson(attempt_records[i], attempt_records[i] * 10);
      if (!last) result.retry_at = at + 1;
      auto finished = store().FinishAttempt(id, static_cast<int>(i + 1), "w", result, last ? end : at + 5);
      EXPECT_TRUE(finished.ok()) << finished.status().ToString();
    }
    return id;
  }

  //! `n` UTC days from `first` (epoch ms of a midnight).
  static JobStatsQuery UtcDays(int64_t first, int n) {
    JobStatsQuery q;
    for (int i = 0; i <= n; ++i) q.day_starts.push_back(first + i * kDay);
    return q;
  }

  JobStats Stats(const JobStatsQuery& query) {
    auto stats = store().SyncJobStats(query);
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    return stats.ok() ? *stats : JobStats{};
  }
};

TEST_P(JobStatsTest, CountsSumsAndDurationsPerDay) {
  const std::string a = NewConnection("a");
  const std::string b = NewConnection("b");
  // Day 1 (2026-11-28, UTC): three syncs of a: 10 s, 20 s and 40 s; one of b failing after 30 s
  // with two attempts that committed 5 and 7 records.
  RunJob(a, Utc(2026, 11, 28, 8), Utc(2026, 11, 28, 8) + 10'000, AttemptOutcome::kSucceeded, {100});
  RunJob(a, Utc(2026, 11, 28, 9), Utc(2026, 11, 28, 9) + 20'000, AttemptOutcome::kSucceeded, {200});
  RunJob(a, Utc(2026, 11, 28, 10), Utc(2026, 11, 28, 10) + 40'500, AttemptOutcome::kSucceeded, {300});
  RunJob(b, Utc(2026, 11, 28, 11), Utc(2026, 11, 28, 11) + 30'000, AttemptOutcome::kFailed, {5, 7});
  // Day 2: a reset (left out), a sync cancelled while running, and one cancelled before it ran
  // (counted, no duration); a job still running is not finished and not counted.
  RunJob(a, Utc(2026, 11, 29, 1), Utc(2026, 11, 29, 1) + 1000, AttemptOutcome::kSucceeded, {0},
         JobConfigType::kResetConnection);
  RunJob(a, Utc(2026, 11, 29, 2), Utc(2026, 11, 29, 2) + 700'000, AttemptOutcome::kCancelled, {50});
  auto queued = store().EnqueueJob(b, JobConfigType::kSync, Utc(2026, 11, 29, 3));
  ASSERT_TRUE(queued.ok());
  ASSERT_TRUE(store().RequestCancel(queued->job.id, Utc(2026, 11, 29, 3) + 5).ok());
  ASSERT_TRUE(store().EnqueueJob(a, JobConfigType::kSync, Utc(2026, 11, 29, 4)).ok());
  ASSERT_TRUE(store().ClaimJob("w", 60'000, Utc(2026, 11, 29, 4)).ok());

  JobStatsQuery query = UtcDays(Utc(2026, 11, 27, 0), 4);  // the 27th to the 30th
  JobStats stats = Stats(query);
  ASSERT_EQ(stats.days.size(), 4u);
  EXPECT_EQ(stats.days[0].succeeded + stats.days[0].failed + stats.days[0].cancelled, 0);
  EXPECT_FALSE(stats.days[0].duration_p50_s);
  EXPECT_FALSE(stats.days[3].duration_max_s);
  const JobStatsFigures& d1 = stats.days[1];
  EXPECT_EQ(d1.succeeded, 3);
  EXPECT_EQ(d1.failed, 1);
  EXPECT_EQ(d1.cancelled, 0);
  EXPECT_EQ(d1.records_committed, 100 + 200 + 300 + 5 + 7);
  EXPECT_EQ(d1.bytes_committed, 10 * (100 + 200 + 300 + 5 + 7));
  ASSERT_TRUE(d1.duration_p50_s && d1.duration_max_s);
  EXPECT_DOUBLE_EQ(*d1.duration_p50_s, 25);  // 10, 20, 30, 40.5
  EXPECT_DOUBLE_EQ(*d1.duration_max_s, 40.5);

  const JobStatsFigures& d2 = stats.days[2];
  EXPECT_EQ(d2.succeeded, 0);
  EXPECT_EQ(d2.failed, 0);
  EXPECT_EQ(d2.cancelled, 2);
  EXPECT_EQ(d2.records_committed, 50);
  ASSERT_TRUE(d2.duration_p50_s);
  EXPECT_DOUBLE_EQ(*d2.duration_p50_s, 700);  // only the job that ran has a duration
  EXPECT_DOUBLE_EQ(*d2.duration_max_s, 700);

  EXPECT_EQ(stats.totals.succeeded, 3);
  EXPECT_EQ(stats.totals.failed, 1);
  EXPECT_EQ(stats.totals.cancelled, 2);
  EXPECT_EQ(stats.totals.records_committed, 662);
  EXPECT_EQ(stats.totals.bytes_committed, 6620);
  EXPECT_DOUBLE_EQ(*stats.totals.duration_p50_s, 30);  // 10, 20, 30, 40.5, 700
  EXPECT_DOUBLE_EQ(*stats.totals.duration_max_s, 700);

  // One connection only.
  query.connection_id = b;
  stats = Stats(query);
  ASSERT_EQ(stats.days.size(), 4u);
  EXPECT_EQ(stats.days[1].failed, 1);
  EXPECT_EQ(stats.days[1].succeeded, 0);
  EXPECT_EQ(stats.days[1].records_committed, 12);
  EXPECT_DOUBLE_EQ(*stats.days[1].duration_p50_s, 30);
  EXPECT_EQ(stats.days[2].cancelled, 1);
  EXPECT_FALSE(stats.days[2].duration_p50_s);
  EXPECT_EQ(stats.totals.failed + stats.totals.cancelled, 2);

  // The period's ends: from is inclusive, to exclusive.
  query.connection_id.reset();
  query.day_starts = {Utc(2026, 11, 28, 10) + 40'500, Utc(2026, 11, 28, 11) + 30'000};
  stats = Stats(query);
  EXPECT_EQ(stats.totals.succeeded, 1);
  EXPECT_EQ(stats.totals.failed, 0);

  // An empty period.
  stats = Stats(UtcDays(Utc(2026, 12, 1, 0), 1));
  ASSERT_EQ(stats.days.size(), 1u);
  EXPECT_EQ(stats.totals.succeeded + stats.totals.failed + stats.totals.cancelled, 0);
  EXPECT_FALSE(stats.totals.duration_p50_s);
}

TEST_P(JobStatsTest, WorkspaceIdsKeepToTheirConnections) {
  const std::string a = NewConnection("a");
  const std::string b = NewConnection("b");
  Workspace w;
  w.name = "other";
  SLUICE_ASSERT_OK_AND_ASSIGN(Workspace other, store().CreateWorkspace(w, 1));
  ASSERT_TRUE(store().database().Exec("UPDATE actors SET workspace_id = ? WHERE id = "
                                      "(SELECT source_id FROM connections WHERE id = ?)",
                                      {other.workspace_id, b}).ok());
  const std::string first = store().ListWorkspaces()->front().workspace_id;
  const int64_t t = Utc(2026, 7, 1, 8);
  RunJob(a, t, t + 1000, AttemptOutcome::kSucceeded, {3});
  RunJob(b, t + kHour, t + kHour + 1000, AttemptOutcome::kFailed, {4});
  JobStatsQuery query = UtcDays(Utc(2026, 7, 1, 0), 1);
  query.workspace_ids = {other.workspace_id};
  JobStats stats = Stats(query);
  EXPECT_EQ(stats.totals.succeeded, 0);
  EXPECT_EQ(stats.totals.failed, 1);
  EXPECT_EQ(stats.totals.records_committed, 4);
  query.workspace_ids = {first, other.workspace_id};
  EXPECT_EQ(Stats(query).totals.records_committed, 7);
  query.connection_id = a;  // both filters hold
  EXPECT_EQ(Stats(query).totals.records_committed, 3);
  query.workspace_ids = {other.workspace_id};
  EXPECT_EQ(Stats(query).totals.records_committed, 0);
  query.connection_id.reset();
  query.workspace_ids = {NewUuid()};
  EXPECT_EQ(Stats(query).totals.succeeded + Stats(query).totals.failed, 0);
}

TEST_P(JobStatsTest, MedianOfOddAndEvenCounts) {
  const std::string a = NewConnection("a");
  const int64_t t = Utc(2026, 6, 1, 0);
  RunJob(a, t, t + 599'900, AttemptOutcome::kSucceeded);
  RunJob(a, t + kHour, t + kHour + 3'675'000, AttemptOutcome::kSucceeded);
  RunJob(a, t + 3 * kHour, t + 3 * kHour + 10'950'000, AttemptOutcome::kSucceeded);
  JobStatsQuery query = UtcDays(t, 1);
  JobStats stats = Stats(query);
  ASSERT_EQ(stats.days.size(), 1u);
  EXPECT_DOUBLE_EQ(*stats.days[0].duration_p50_s, 3675);
  EXPECT_DOUBLE_EQ(*stats.days[0].duration_max_s, 10950);
  RunJob(a, t + 7 * kHour, t + 7 * kHour + 1'000, AttemptOutcome::kSucceeded);
  stats = Stats(query);
  EXPECT_DOUBLE_EQ(*stats.days[0].duration_p50_s, (599.9 + 3675) / 2);
  EXPECT_DOUBLE_EQ(*stats.totals.duration_p50_s, (599.9 + 3675) / 2);
}

TEST_P(JobStatsTest, DaysAreCutInTheGivenZoneAcrossADaylightSavingChange) {
  const std::string a = NewConnection("a");
  // Europe/Amsterdam: +01:00 until 2026-03-29 01:00 UTC, +02:00 after.
  const int64_t change = Utc(2026, 3, 29, 1);
  RunJob(a, Utc(2026, 3, 28, 22, 0), Utc(2026, 3, 28, 22, 50), AttemptOutcome::kSucceeded, {1});   // 23:50 on the 28th
  RunJob(a, Utc(2026, 3, 28, 23, 0), Utc(2026, 3, 28, 23, 10), AttemptOutcome::kSucceeded, {2});   // 00:10 on the 29th
  RunJob(a, Utc(2026, 3, 29, 21, 0), Utc(2026, 3, 29, 21, 50), AttemptOutcome::kSucceeded, {4});   // 23:50 on the 29th
  RunJob(a, Utc(2026, 3, 29, 22, 0), Utc(2026, 3, 29, 22, 10), AttemptOutcome::kFailed, {8});      // 00:10 on the 30th

  JobStatsQuery amsterdam;  // local midnights of the 28th to the 31st
  amsterdam.day_starts = {Utc(2026, 3, 27, 23), Utc(2026, 3, 28, 23), Utc(2026, 3, 29, 22), Utc(2026, 3, 30, 22)};
  ASSERT_LT(amsterdam.day_starts[1], change);
  ASSERT_GT(amsterdam.day_starts[2], change);
  JobStats stats = Stats(amsterdam);
  ASSERT_EQ(stats.days.size(), 3u);
  EXPECT_EQ(stats.days[0].records_committed, 1);
  EXPECT_EQ(stats.days[1].records_committed, 2 + 4);  // the 23-hour day
  EXPECT_EQ(stats.days[2].records_committed, 8);
  EXPECT_EQ(stats.days[2].failed, 1);
  EXPECT_EQ(stats.totals.records_committed, 15);

  // The same jobs by UTC days: 1 and 2 on the 28th, 4 and 8 on the 29th.
  stats = Stats(UtcDays(Utc(2026, 3, 28, 0), 3));
  ASSERT_EQ(stats.days.size(), 3u);
  EXPECT_EQ(stats.days[0].records_committed, 1 + 2);
  EXPECT_EQ(stats.days[1].records_committed, 4 + 8);
  EXPECT_EQ(stats.days[2].records_committed, 0);

  // Refused: no day, more than 366, starts out of order.
  for (JobStatsQuery bad : {JobStatsQuery{.day_starts = {1}}, UtcDays(0, 367), JobStatsQuery{.day_starts = {5, 1}}}) {
    auto refused = store().SyncJobStats(bad);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().failure_type(), FailureType::kConfig);
  }
}

TEST_P(JobStatsTest, MigrationBackfillsTheJobTotalsFromAttemptStats) {
  const std::string a = NewConnection("a");
  const int64_t t = Utc(2026, 5, 1, 12);
  RunJob(a, t, t + 1000, AttemptOutcome::kSucceeded, {3, 4});
  RunJob(a, t + kHour, t + kHour + 1000, AttemptOutcome::kFailed, {0});
  // Back to schema version 1: migration 4's table and column, migration 3's columns and
  // migration 2's columns and index go (migration 4's wider CHECK stays: applying it again
  // changes nothing), then reopening migrates again.
  SqlDatabase& db = store().database();
  for (const char* sql : {"DROP TABLE stream_generations", "ALTER TABLE jobs DROP COLUMN streams",
                          "DROP INDEX jobs_finished",
                          "ALTER TABLE jobs DROP COLUMN records_committed",
                          "ALTER TABLE jobs DROP COLUMN bytes_committed",
                          "ALTER TABLE connections DROP COLUMN schema_change",
                          "ALTER TABLE connections DROP COLUMN pending_catalog_diff",
                          "ALTER TABLE attempts DROP COLUMN schema_change",
                          "DROP INDEX connections_live",  // migration 9
                          "DROP TABLE user_workspaces",  // migration 8
                          "ALTER TABLE users DROP COLUMN all_workspaces",
                          "DROP TABLE custom_source_definitions",  // migration 7
                          "DROP TABLE operations",  // migration 6
                          "ALTER TABLE connections DROP COLUMN operation_ids",
                          "DELETE FROM schema_migrations WHERE version >= 2"}) {
    auto done = db.Exec(sql);
    ASSERT_TRUE(done.ok()) << sql << ": " << done.status().ToString();
  }
  Reopen();
  JobStats stats = Stats(UtcDays(Utc(2026, 5, 1, 0), 1));
  EXPECT_EQ(stats.totals.records_committed, 7);
  EXPECT_EQ(stats.totals.bytes_committed, 70);
  EXPECT_EQ(stats.totals.succeeded, 1);
  EXPECT_EQ(stats.totals.failed, 1);
}

INSTANTIATE_TEST_SUITE_P(Dialects, JobStatsTest, ::testing::Values(Dialect::kSqlite, Dialect::kPostgres),
                         DialectParamName);

}  // namespace
}  // namespace sluice
