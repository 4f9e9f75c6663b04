// Refreshes and clears in the store: jobs of types refresh and clear with their streams, stream
// generations started once per job (later attempts keep them) together with the removal of the
// streams' saved state, and migration 4 on a database that already has jobs — on SQLite and
// PostgreSQL.
#include <gtest/gtest.h>

#include "backends.h"
#include "metadata/migrations.h"

namespace sluice {
namespace {

using testing_metadata::DialectParamName;
using testing_metadata::StoreTest;

class StreamGenerationsTest : public StoreTest {
 protected:
  static JobStream Stream(std::string name, std::optional<std::string> ns, StreamAction action) {
    JobStream s;
    s.name = std::move(name);
    s.namespace_ = std::move(ns);
    s.action = action;
    return s;
  }
  // Removes every entry whose "stream" equals a job stream's name (a stand-in for
  // platform/RemoveStreamStates; the store does not know the state's format).
  static Result<Json> DropNamed(const Json& state, const std::vector<JobStream>& streams) {
    Json out = Json::array();
    for (const Json& e : state) {
      bool drop = false;
      for (const JobStream& s : streams) drop = drop || e.value("stream", "") == s.name;
      if (!drop) out.push_back(e);
    }
    return out;
  }
  int64_t GenerationOf(const std::string& connection, const std::string& name) {
    auto list = store().ListStreamGenerations(connection);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    if (!list.ok()) return -1;
    for (const StreamGeneration& g : *list) {
      if (g.name == name) return g.generation_id;
    }
    return 0;
  }
};

TEST_P(StreamGenerationsTest, ARefreshStartsItsStreamsOnceAndDropsTheirState) {
  const std::string c = NewConnection();
  SLUICE_ASSERT_OK(store().SaveState(c, Json::parse(R"([{"stream":"users"},{"stream":"orders"}])"), kStart));
  const std::vector<JobStream> streams = {Stream("users", "public", StreamAction::kRefreshTruncate)};
  SLUICE_ASSERT_OK_AND_ASSIGN(auto queued, store().EnqueueJob(c, JobConfigType::kRefresh, kStart, streams));
  ASSERT_TRUE(queued.created);
  EXPECT_EQ(queued.job.config_type, JobConfigType::kRefresh);
  ASSERT_EQ(queued.job.streams.size(), 1u);
  EXPECT_EQ(queued.job.streams[0].name, "users");
  EXPECT_EQ(queued.job.streams[0].namespace_, "public");
  EXPECT_EQ(queued.job.streams[0].action, StreamAction::kRefreshTruncate);
  EXPECT_FALSE(queued.job.streams[0].generation_id);
  EXPECT_EQ(GenerationOf(c, "users"), 0);

  SLUICE_ASSERT_OK_AND_ASSIGN(auto started, store().StartJobStreams(queued.job.id, DropNamed, kStart + 1));
  ASSERT_TRUE(started);
  ASSERT_EQ(started->streams.size(), 1u);
  EXPECT_EQ(started->streams[0].generation_id, 1);
  EXPECT_EQ(GenerationOf(c, "users"), 1);
  EXPECT_EQ(GenerationOf(c, "orders"), 0);  // never refreshed: not listed
  SLUICE_ASSERT_OK_AND_ASSIGN(auto state, store().GetState(c));
  ASSERT_TRUE(state);
  EXPECT_EQ(state->state.dump(), R"([{"stream":"orders"}])");

  // A later attempt: the generation stays, the state (now with the refresh's own checkpoint) too.
  SLUICE_ASSERT_OK(store().SaveState(c, Json::parse(R"([{"stream":"orders"},{"stream":"users"}])"), kStart + 2));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto again, store().StartJobStreams(queued.job.id, DropNamed, kStart + 3));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->streams[0].generation_id, 1);
  EXPECT_EQ(GenerationOf(c, "users"), 1);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto kept_state, store().GetState(c));
  ASSERT_TRUE(kept_state);
  EXPECT_EQ(kept_state->state.size(), 2u);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto job, store().GetJob(queued.job.id));
  EXPECT_EQ(job->streams[0].generation_id, 1);
}

TEST_P(StreamGenerationsTest, EachRefreshOrClearAddsOneGeneration) {
  const std::string c = NewConnection();
  const std::string other = NewConnection("other");
  int64_t now = kStart;
  for (JobConfigType type : {JobConfigType::kRefresh, JobConfigType::kClear, JobConfigType::kRefresh}) {
    const StreamAction action = type == JobConfigType::kClear ? StreamAction::kClear : StreamAction::kRefreshMerge;
    SLUICE_ASSERT_OK_AND_ASSIGN(auto queued,
                                store().EnqueueJob(c, type, ++now, {Stream("users", std::nullopt, action)}));
    auto claimed = store().ClaimJob("w", 30'000, ++now);
    ASSERT_TRUE(claimed.ok() && claimed->has_value());
    SLUICE_ASSERT_OK(store().StartJobStreams(queued.job.id, DropNamed, ++now).status());
    SLUICE_ASSERT_OK(store().FinishAttempt(queued.job.id, 1, "w", AttemptResult{}, ++now).status());
  }
  EXPECT_EQ(GenerationOf(c, "users"), 3);
  EXPECT_EQ(GenerationOf(other, "users"), 0);  // per connection
  // A sync has no streams: nothing starts, nothing changes.
  SLUICE_ASSERT_OK_AND_ASSIGN(auto sync, store().EnqueueJob(c, JobConfigType::kSync, ++now));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto started, store().StartJobStreams(sync.job.id, DropNamed, ++now));
  ASSERT_TRUE(started);
  EXPECT_TRUE(started->streams.empty());
  EXPECT_EQ(GenerationOf(c, "users"), 3);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto unknown, store().StartJobStreams(999999, DropNamed, ++now));
  EXPECT_FALSE(unknown);
}

TEST_P(StreamGenerationsTest, AStateThatCannotBeSplitFailsTheStartAndChangesNothing) {
  const std::string c = NewConnection();
  SLUICE_ASSERT_OK(store().SaveState(c, Json::parse(R"([{"stream":"users"}])"), kStart));
  SLUICE_ASSERT_OK_AND_ASSIGN(
      auto queued, store().EnqueueJob(c, JobConfigType::kClear, kStart, {Stream("users", std::nullopt, StreamAction::kClear)}));
  auto failing = [](const Json&, const std::vector<JobStream>&) -> Result<Json> {
    return Status::ConfigError("state[0]: not a state message");
  };
  auto started = store().StartJobStreams(queued.job.id, failing, kStart + 1);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(started.status().message().find("state[0]"), std::string::npos) << started.status().ToString();
  EXPECT_EQ(GenerationOf(c, "users"), 0);  // rolled back
  SLUICE_ASSERT_OK_AND_ASSIGN(auto job, store().GetJob(queued.job.id));
  EXPECT_FALSE(job->streams[0].generation_id);
}

TEST_P(StreamGenerationsTest, JobsAreListedByAnyOfSeveralTypes) {
  const std::string c = NewConnection();
  int64_t now = kStart;
  for (JobConfigType type : {JobConfigType::kSync, JobConfigType::kRefresh, JobConfigType::kClear,
                             JobConfigType::kResetConnection}) {
    SLUICE_ASSERT_OK_AND_ASSIGN(auto queued, store().EnqueueJob(c, type, ++now));
    SLUICE_ASSERT_OK(store().RequestCancel(queued.job.id, ++now).status());
  }
  JobQuery q;
  q.config_types = {JobConfigType::kRefresh, JobConfigType::kClear};
  SLUICE_ASSERT_OK_AND_ASSIGN(auto jobs, store().ListJobs(q));
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].config_type, JobConfigType::kClear);
  EXPECT_EQ(jobs[1].config_type, JobConfigType::kRefresh);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto count, store().CountJobs(q));
  EXPECT_EQ(count, 2);
  q.config_types = {};
  SLUICE_ASSERT_OK_AND_ASSIGN(count, store().CountJobs(q));
  EXPECT_EQ(count, 4);
}

TEST_P(StreamGenerationsTest, MigrationThreeKeepsTheJobsOfAnOlderSchema) {
  const std::string c = NewConnection();
  SLUICE_ASSERT_OK_AND_ASSIGN(auto old_job, store().EnqueueJob(c, JobConfigType::kSync, kStart));
  SLUICE_ASSERT_OK(store().ClaimJob("w", 30'000, kStart + 1).status());
  SLUICE_ASSERT_OK(store().FinishAttempt(old_job.job.id, 1, "w", AttemptResult{}, kStart + 2).status());
  // Back to version 2 with the old CHECK on jobs.config_type, as a database of that version has it.
  SqlDatabase& db = store().database();
  const std::vector<std::string> back =
      db.dialect() == Dialect::kPostgres
          ? std::vector<std::string>{"ALTER TABLE jobs DROP CONSTRAINT jobs_config_type_check",
                                     "ALTER TABLE jobs ADD CONSTRAINT jobs_config_type_check "
                                     "CHECK (config_type IN ('sync', 'reset_connection'))"}
          : std::vector<std::string>{};
  for (const std::string& sql : back) SLUICE_ASSERT_OK(db.Exec(sql).status());
  for (const char* sql : {"DROP TABLE stream_generations", "ALTER TABLE jobs DROP COLUMN streams",
                          "ALTER TABLE connections DROP COLUMN schema_change",
                          "ALTER TABLE connections DROP COLUMN pending_catalog_diff",
                          "ALTER TABLE attempts DROP COLUMN schema_change",
                          "DROP INDEX connections_live",  // migration 9
                          "DROP TABLE user_workspaces",  // migration 8
                          "ALTER TABLE users DROP COLUMN all_workspaces",
                          "DROP TABLE custom_source_definitions",  // migration 7
                          "DROP TABLE operations",  // migration 6
                          "ALTER TABLE connections DROP COLUMN operation_ids",
                          "DELETE FROM schema_migrations WHERE version >= 3"}) {
    SLUICE_ASSERT_OK(db.Exec(sql).status());
  }
  if (db.dialect() == Dialect::kSqlite) {
    // The CREATE text a version-2 database has, put back the way migration 4 changes it.
    SLUICE_ASSERT_OK_AND_ASSIGN(SqlRows version, db.Query("PRAGMA schema_version"));
    SLUICE_ASSERT_OK(db.Exec("PRAGMA writable_schema = ON").status());
    SLUICE_ASSERT_OK(db.Exec("UPDATE sqlite_schema SET sql = replace(sql, ?, ?) WHERE name = 'jobs'",
                             {"'reset_connection', 'refresh', 'clear'))", "'reset_connection'))"})
                         .status());
    SLUICE_ASSERT_OK(db.Exec("PRAGMA schema_version = " + std::to_string(version.at(0).GetInt(0) + 1)).status());
    SLUICE_ASSERT_OK(db.Exec("PRAGMA writable_schema = OFF").status());
    SLUICE_ASSERT_OK_AND_ASSIGN(SqlRows rows, db.Query("SELECT sql FROM sqlite_schema WHERE name = 'jobs'"));
    const std::string sql = rows.at(0).GetText(0);
    EXPECT_NE(sql.find("IN ('sync', 'reset_connection'))"), std::string::npos) << sql;
  }
  auto refused = db.Exec("INSERT INTO jobs (connection_id, config_type, status, created_at, updated_at) "
                         "VALUES (?, 'refresh', 'cancelled', 0, 0)",
                         {c});
  EXPECT_FALSE(refused.ok());
  Reopen();
  SLUICE_ASSERT_OK_AND_ASSIGN(auto kept, store().GetJob(old_job.job.id));
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->status, JobStatus::kSucceeded);
  EXPECT_EQ(kept->attempt_count, 1);
  EXPECT_TRUE(kept->streams.empty());
  SLUICE_ASSERT_OK_AND_ASSIGN(auto refresh, store().EnqueueJob(c, JobConfigType::kRefresh, kStart + 3,
                                                               {Stream("users", std::nullopt, StreamAction::kRefreshMerge)}));
  EXPECT_EQ(refresh.job.config_type, JobConfigType::kRefresh);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto attempts, store().ListAttempts(old_job.job.id));
  EXPECT_EQ(attempts.size(), 1u);  // the attempts survived the change of the jobs table
  auto bogus = store().database().Exec(
      "INSERT INTO jobs (connection_id, config_type, status, created_at, updated_at) VALUES (?, 'bogus', 'cancelled', 0, 0)",
      {c});
  EXPECT_FALSE(bogus.ok());  // the CHECK is still there
}

INSTANTIATE_TEST_SUITE_P(Dialects, StreamGenerationsTest, ::testing::Values(Dialect::kSqlite, Dialect::kPostgres),
                         DialectParamName);

}  // namespace
}  // namespace sluice
