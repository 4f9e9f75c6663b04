// WorkerPool end to end on a real SQLite store with real `sluice run-attempt` children: syncs,
// incremental resume, failures and retries, disabling + webhooks, cancel, memory limit, secrets.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "worker_test_util.h"

namespace sluice {
namespace {

// The worker counts a job in the metrics just after it stores the job's end, which the tests
// wait for: a metric may lag that by a moment. Its value once it is `want`, or after 5 s.
double Eventually(const std::function<double()>& value, double want) {
  for (int i = 0; i < 500 && value() != want; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return value();
}

using worker_test::PlatformFixture;

class WorkerPoolTest : public PlatformFixture {
 protected:
  Json LocalConfig(const std::string& sub) { return {{"destination_path", dir_ + "/" + sub}}; }
  static Json UsersCatalog(const std::string& sync_mode = "incremental",
                           const std::string& destination_mode = "append") {
    return {{"streams", Json::array({Stream("users", sync_mode, destination_mode)})}};
  }
};

TEST_F(WorkerPoolTest, FakerToLocalSucceedsAndTheNextRunResumesFromState) {
  SLUICE_REQUIRE_BINARY();
  const std::string conn = NewConnection("source-faker", {{"count", 2500}, {"records_per_slice", 1000}},
                                         "destination-local", LocalConfig("out"), UsersCatalog());
  StartPool();
  const JobId first = Enqueue(conn);
  Job job = WaitTerminal(first);
  ASSERT_EQ(job.status, JobStatus::kSucceeded) << Joined(LogLines(first, 1));
  auto attempts = Attempts(first);
  ASSERT_EQ(attempts.size(), 1u);
  const Json& stats = attempts[0].stats;
  EXPECT_EQ(stats["recordsEmitted"], 2500);
  EXPECT_EQ(stats["recordsCommitted"], 2500);
  EXPECT_GT(stats["bytesCommitted"].get<int64_t>(), 0);
  ASSERT_EQ(stats["streamStats"].size(), 1u);
  EXPECT_EQ(stats["streamStats"][0]["streamName"], "users");
  EXPECT_EQ(stats["streamStats"][0]["stats"]["recordsCommitted"], 2500);
  auto state = store().GetState(conn);
  ASSERT_TRUE(state.ok() && state->has_value());
  EXPECT_NE((*state)->state.dump().find("updated_at"), std::string::npos) << (*state)->state.dump();
  const std::string log = Joined(LogLines(first, 1));
  EXPECT_NE(log.find("attempt 1 of job " + std::to_string(first) + " (sync) started on worker test-worker"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("checkpoint 1 saved"), std::string::npos) << log;
  EXPECT_NE(log.find("exit code 0"), std::string::npos) << log;

  // Incremental: the second run starts from the saved cursor and finds nothing new.
  const JobId second = Enqueue(conn);
  ASSERT_NE(second, first);
  job = WaitTerminal(second);
  ASSERT_EQ(job.status, JobStatus::kSucceeded) << Joined(LogLines(second, 1));
  attempts = Attempts(second);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].stats["recordsEmitted"], 0) << attempts[0].stats.dump();
  EXPECT_NE(Joined(LogLines(second, 1)).find("resuming from saved state"), std::string::npos);

  EXPECT_EQ(Eventually([&] { return metrics_.syncs.WithLabels({"succeeded"}).value(); }, 2), 2);
  EXPECT_EQ(Eventually([&] { return metrics_.attempts.WithLabels({"succeeded"}).value(); }, 2), 2);
  EXPECT_EQ(metrics_.records.Get().value(), 2500);
  EXPECT_EQ(metrics_.sync_duration.Get().Read().count, 2u);

  // A reset clears the state.
  const JobId reset = Enqueue(conn, JobConfigType::kResetConnection);
  job = WaitTerminal(reset);
  ASSERT_EQ(job.status, JobStatus::kSucceeded) << Joined(LogLines(reset, 1));
  state = store().GetState(conn);
  ASSERT_TRUE(state.ok() && state->has_value());
  EXPECT_EQ((*state)->state, Json::array());
}

TEST_F(WorkerPoolTest, ConfigErrorFailsAtOnceWithoutRetry) {
  SLUICE_REQUIRE_BINARY();
  // A destination folder below a regular file can never be created.
  ASSERT_TRUE(WritePrivateFile(dir_ + "/not-a-folder", "x").ok());
  const std::string conn = NewConnection("source-faker", {{"count", 10}}, "destination-local",
                                         {{"destination_path", dir_ + "/not-a-folder/out"}}, UsersCatalog());
  StartPool();
  const JobId id = Enqueue(conn);
  Job job = WaitTerminal(id);
  ASSERT_EQ(job.status, JobStatus::kFailed);
  EXPECT_EQ(job.attempt_count, 1);
  auto attempts = Attempts(id);
  ASSERT_EQ(attempts.size(), 1u);
  const Json& failure = attempts[0].failure_summary["failures"][0];
  EXPECT_EQ(failure["failureType"], "config_error") << attempts[0].failure_summary.dump();
  EXPECT_FALSE(failure["externalMessage"].get<std::string>().empty());
  EXPECT_EQ(Eventually([&] { return metrics_.syncs.WithLabels({"failed"}).value(); }, 1), 1);
}

TEST_F(WorkerPoolTest, TransientFailuresRetryThenFailAndSecretsNeverReachTheLog) {
  SLUICE_REQUIRE_BINARY();
  // Nothing listens on port 1: connection refused is a transient error. The secret is also the
  // database name and the connection's name, so it would show up in error messages and logs.
  const std::string secret = "S3cr3t-Passw0rd-4711";
  const Json source = {{"host", "127.0.0.1"}, {"port", 1},         {"database", secret},
                       {"username", "u"},     {"password", secret}, {"ssl_mode", {{"mode", "disable"}}}};
  const std::string conn = NewConnection("source-postgres", source, "destination-dev-null", Json::object(),
                                         {{"streams", Json::array()}}, Json(), "conn " + secret);
  StartPool();
  const JobId id = Enqueue(conn);
  Job job = WaitTerminal(id);
  ASSERT_EQ(job.status, JobStatus::kFailed);
  EXPECT_EQ(job.attempt_count, 2);  // max_attempts of the store
  auto attempts = Attempts(id);
  ASSERT_EQ(attempts.size(), 2u);
  std::string everything;
  for (const Attempt& a : attempts) {
    EXPECT_EQ(a.status, AttemptStatus::kFailed);
    EXPECT_EQ(a.failure_summary["failures"][0]["failureType"], "transient_error") << a.failure_summary.dump();
    EXPECT_EQ(a.failure_summary["failures"][0]["failureOrigin"], "source");
    everything += a.failure_summary.dump() + "\n" + Joined(LogLines(id, a.attempt_number));
  }
  EXPECT_EQ(everything.find(secret), std::string::npos) << everything;
  EXPECT_NE(everything.find("**********"), std::string::npos) << everything;  // it was there, redacted
  EXPECT_NE(everything.find("Connection refused"), std::string::npos) << everything;
  EXPECT_EQ(Eventually([&] { return metrics_.attempts.WithLabels({"failed"}).value(); }, 2), 2);
}

TEST_F(WorkerPoolTest, ConsecutiveFailuresDisableTheConnectionAndNotify) {
  SLUICE_REQUIRE_BINARY();
  worker_test::WebhookListener hook;
  auto ws = store().GetWorkspace(WorkspaceId());
  ASSERT_TRUE(ws.ok() && ws->has_value());
  Workspace workspace = **ws;
  workspace.notification_settings = {{"slackWebhookUrl", box_->Encrypt(hook.url())},  // as the API stores it
                                     {"sendOnFailure", true},
                                     {"sendOnSuccess", false},
                                     {"sendOnConnectionDisabled", true},
                                     {"consecutiveFailureThreshold", 2}};
  ASSERT_TRUE(store().UpdateWorkspace(workspace, Now()).ok());
  ASSERT_TRUE(WritePrivateFile(dir_ + "/file", "x").ok());
  const std::string conn = NewConnection("source-faker", {{"count", 10}}, "destination-local",
                                         {{"destination_path", dir_ + "/file/out"}}, UsersCatalog());
  StartPool();
  for (int i = 0; i < 2; ++i) {
    const JobId id = Enqueue(conn);
    ASSERT_EQ(WaitTerminal(id).status, JobStatus::kFailed);
  }
  // The job's end is stored first; the worker disables the connection just after it.
  auto c = store().GetConnection(conn);
  for (int i = 0; i < 500 && c.ok() && c->has_value() && (*c)->status != ConnectionStatus::kInactive; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    c = store().GetConnection(conn);
  }
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->consecutive_failures, 2);
  EXPECT_EQ((*c)->status, ConnectionStatus::kInactive);

  // Two failure notices and one "disabled", posted by the notifier thread.
  std::vector<std::string> bodies;
  for (int i = 0; i < 200 && bodies.size() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    bodies = hook.bodies();
  }
  ASSERT_EQ(bodies.size(), 3u);
  int failures = 0, disabled = 0;
  for (const std::string& body : bodies) {
    Json payload = Json::parse(body);
    const std::string text = payload["text"];
    if (text.find("Sync failed") != std::string::npos) ++failures;
    if (text.find("disabled after 2 consecutive") != std::string::npos) ++disabled;
    EXPECT_NE(text.find("test connection"), std::string::npos) << text;
  }
  EXPECT_EQ(failures, 2);
  EXPECT_EQ(disabled, 1);
}

TEST_F(WorkerPoolTest, CancelStopsALongRunningAttempt) {
  SLUICE_REQUIRE_BINARY();
  const std::string conn =
      NewConnection("source-faker", {{"count", 200'000'000}, {"records_per_slice", 100'000}}, "destination-dev-null",
                    Json::object(), UsersCatalog("full_refresh", "append"));
  StartPool();
  const JobId id = Enqueue(conn);
  // Running, with data flowing (a checkpoint saved).
  Job job = WaitFor(id, [&](const Job& j) {
    return j.status == JobStatus::kRunning && Joined(LogLines(id, 1)).find("checkpoint 1 saved") != std::string::npos;
  });
  ASSERT_EQ(job.status, JobStatus::kRunning);
  auto cancelled = store().RequestCancel(id, Now());
  ASSERT_TRUE(cancelled.ok());
  pool_->Wake();
  job = WaitTerminal(id);
  EXPECT_EQ(job.status, JobStatus::kCancelled);
  const std::string log = Joined(LogLines(id, 1));
  EXPECT_NE(log.find("cancel requested: SIGTERM"), std::string::npos) << log;
  auto attempts = Attempts(id);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].failure_summary["failures"][0]["failureType"], "manual_cancellation");
  EXPECT_EQ(Eventually([&] { return metrics_.syncs.WithLabels({"cancelled"}).value(); }, 1), 1);
}

TEST_F(WorkerPoolTest, MemoryLimitKillsTheAttempt) {
  SLUICE_REQUIRE_BINARY();
  // The local destination is slower than faker: the 64 MiB channel fills and RSS grows past 32 MiB.
  const std::string conn = NewConnection("source-faker", {{"count", 1'000'000}}, "destination-local",
                                         LocalConfig("big"), UsersCatalog("full_refresh", "overwrite"),
                                         {{"memory_limit", "32Mi"}, {"memory_request", "16Mi"}});
  StartPool();
  const JobId id = Enqueue(conn);
  Job job = WaitTerminal(id, 60);
  ASSERT_EQ(job.status, JobStatus::kFailed);
  auto attempts = Attempts(id);
  ASSERT_GE(attempts.size(), 1u);
  const Json& failure = attempts[0].failure_summary["failures"][0];
  EXPECT_EQ(failure["failureType"], "system_error");
  EXPECT_NE(failure["externalMessage"].get<std::string>().find("killed: memory limit 32 MiB exceeded (RSS "),
            std::string::npos)
      << failure.dump();
  const std::string log = Joined(LogLines(id, 1));
  EXPECT_NE(log.find("killed: memory limit 32 MiB exceeded"), std::string::npos) << log;
  EXPECT_NE(log.find("killed by signal 9"), std::string::npos) << log;
}

TEST_F(WorkerPoolTest, CpuLimitIsAppliedAndLogged) {
  SLUICE_REQUIRE_BINARY();
  const std::string conn = NewConnection("source-faker", {{"count", 100}}, "destination-dev-null", Json::object(),
                                         UsersCatalog(), {{"source", {{"cpu_limit", "0.5"}}}});
  StartPool();
  const JobId id = Enqueue(conn);
  ASSERT_EQ(WaitTerminal(id).status, JobStatus::kSucceeded);
  const std::string log = Joined(LogLines(id, 1));
  EXPECT_NE(log.find("cpu limit 0.5 core(s): "), std::string::npos) << log;
  EXPECT_TRUE(log.find("sched_setaffinity") != std::string::npos || log.find("cpu.max") != std::string::npos) << log;
}

}  // namespace
}  // namespace sluice
