// The scheduler inside WorkerPool (no workers) driven by a ManualClock: the seed's cron
// expressions fire exactly at their times, basic schedules every N units from the last start,
// and a connection never gets two unfinished jobs.
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "worker/job_scheduler.h"
#include "worker_test_util.h"

namespace sluice {
namespace {

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = MakeTempDir("sluice-scheduler-test-");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    auto store = MetadataStore::Open(dir_ + "/meta", Ms(kCreated));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto box = SecretBox::WithRandomKey();
    ASSERT_TRUE(box.ok());
    box_ = std::make_unique<SecretBox>(*box);
    context_.store = store_.get();
    context_.secrets = box_.get();
    context_.clock = &clock_;
    context_.metrics = &metrics_;
  }
  void TearDown() override {
    pool_.reset();
    store_.reset();
    RemoveTreeIgnoringErrors(dir_);
  }
  static int64_t Ms(absl::Time t) { return absl::ToUnixMillis(t); }

  std::string NewConnection(ScheduleType type, const Json& data, ConnectionStatus status = ConnectionStatus::kActive) {
    auto ws = store_->ListWorkspaces();
    EXPECT_TRUE(ws.ok() && !ws->empty());
    Actor s{ActorKind::kSource, "", (*ws)[0].workspace_id, "source-faker", "s", EncryptConfig(*box_, Json::object())};
    Actor d{ActorKind::kDestination, "", (*ws)[0].workspace_id, "destination-dev-null", "d",
            EncryptConfig(*box_, Json::object())};
    auto cs = store_->CreateActor(s, Ms(kCreated));
    auto cd = store_->CreateActor(d, Ms(kCreated));
    Connection c;
    c.name = "scheduled";
    c.source_id = cs->id;
    c.destination_id = cd->id;
    c.schedule_type = type;
    c.schedule_data = data;
    c.status = status;
    auto created = store_->CreateConnection(c, Ms(kCreated));
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created->connection_id;
  }
  static Json Cron(const std::string& expression) {
    return {{"cron", {{"cronExpression", expression}, {"cronTimeZone", "UTC"}}}};
  }

  void StartScheduler() {
    WorkerPoolOptions options;
    options.workers = 0;
    options.run_scheduler = true;
    options.run_reclaimer = false;
    options.scheduler_tick_ms = 10;
    options.sluice_binary = "/bin/false";
    pool_ = std::make_unique<WorkerPool>(context_, options);
    ASSERT_TRUE(pool_->Start().ok());
  }

  std::vector<Job> Jobs(const std::string& connection_id) {
    JobQuery q;
    q.connection_id = connection_id;
    q.limit = 100;
    auto jobs = store_->ListJobs(q);
    EXPECT_TRUE(jobs.ok());
    return jobs.ok() ? *jobs : std::vector<Job>{};
  }
  // Lets the scheduler tick several times at the current clock (it ticks every 10 ms).
  static void LetTick() { std::this_thread::sleep_for(std::chrono::milliseconds(120)); }
  // Waits until `connection_id` has `n` jobs (or 3 s).
  std::vector<Job> WaitJobs(const std::string& connection_id, size_t n) {
    std::vector<Job> jobs = Jobs(connection_id);
    for (int i = 0; i < 150 && jobs.size() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      jobs = Jobs(connection_id);
    }
    return jobs;
  }
  // Finishes a connection's pending job as a worker would (claim → succeeded) at `at`.
  void RunJob(absl::Time at) {
    auto claimed = store_->ClaimJob("w", 60'000, Ms(at));
    ASSERT_TRUE(claimed.ok() && claimed->has_value());
    AttemptResult ok;
    ok.stats = Json::object();
    ASSERT_TRUE(store_->FinishAttempt((*claimed)->job.id, 1, "w", ok, Ms(at)).ok());
  }

  // Firing exactly at `fire`: nothing one second before, one job created at `fire`.
  void ExpectFiresAt(const std::string& connection_id, absl::Time fire, size_t jobs_before) {
    clock_.Set(fire - absl::Seconds(1));
    LetTick();
    ASSERT_EQ(Jobs(connection_id).size(), jobs_before) << "fired before " << fire;
    clock_.Set(fire);
    std::vector<Job> jobs = WaitJobs(connection_id, jobs_before + 1);
    ASSERT_EQ(jobs.size(), jobs_before + 1) << "did not fire at " << fire;
    EXPECT_EQ(jobs[0].created_at, Ms(fire));
    RunJob(fire);
  }

  const absl::Time kCreated = Utc(2024, 1, 3, 10, 0, 0);  // a Wednesday
  std::string dir_;
  std::unique_ptr<MetadataStore> store_;
  std::unique_ptr<SecretBox> box_;
  ManualClock clock_{Utc(2024, 1, 3, 10, 0, 0)};
  PlatformMetrics metrics_;
  PlatformContext context_;
  std::unique_ptr<WorkerPool> pool_;
};

TEST_F(SchedulerTest, EverySixHours) {
  const std::string c = NewConnection(ScheduleType::kCron, Cron("0 */6 * * *"));
  StartScheduler();
  ExpectFiresAt(c, Utc(2024, 1, 3, 12), 0);
  ExpectFiresAt(c, Utc(2024, 1, 3, 18), 1);
  ExpectFiresAt(c, Utc(2024, 1, 4, 0), 2);
}

TEST_F(SchedulerTest, WeekdaysAtTwo) {
  const std::string c = NewConnection(ScheduleType::kCron, Cron("0 2 * * 1-5"));
  StartScheduler();
  ExpectFiresAt(c, Utc(2024, 1, 4, 2), 0);  // Thursday
  ExpectFiresAt(c, Utc(2024, 1, 5, 2), 1);  // Friday
  // Not on Saturday or Sunday: next Monday.
  clock_.Set(Utc(2024, 1, 7, 23, 59, 59));
  LetTick();
  ASSERT_EQ(Jobs(c).size(), 2u);
  ExpectFiresAt(c, Utc(2024, 1, 8, 2), 2);
}

TEST_F(SchedulerTest, FirstOfTheMonth) {
  const std::string c = NewConnection(ScheduleType::kCron, Cron("0 0 1 * *"));
  StartScheduler();
  ExpectFiresAt(c, Utc(2024, 2, 1), 0);
  ExpectFiresAt(c, Utc(2024, 3, 1), 1);
}

TEST_F(SchedulerTest, BasicEvery24HoursAndNeverTwoUnfinishedJobs) {
  const std::string c =
      NewConnection(ScheduleType::kBasic, {{"basicSchedule", {{"units", 24}, {"timeUnit", "hours"}}}});
  const std::string manual = NewConnection(ScheduleType::kManual, Json());
  const std::string inactive = NewConnection(ScheduleType::kBasic, {{"basicSchedule", {{"units", 1}, {"timeUnit", "hours"}}}},
                                             ConnectionStatus::kInactive);
  StartScheduler();
  // Never run: due at once.
  std::vector<Job> jobs = WaitJobs(c, 1);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].created_at, Ms(kCreated));
  // The job is not run: days pass, still one unfinished job.
  clock_.Set(kCreated + absl::Hours(72));
  LetTick();
  EXPECT_EQ(Jobs(c).size(), 1u);
  // Run it (started at kCreated + 72h): next due 24 h after that start.
  RunJob(kCreated + absl::Hours(72));
  ExpectFiresAt(c, kCreated + absl::Hours(96), 1);
  EXPECT_TRUE(Jobs(manual).empty());
  EXPECT_TRUE(Jobs(inactive).empty());
}

TEST_F(SchedulerTest, ContinuousKeepsOneJobUntilCancelled) {
  const std::string c = NewConnection(ScheduleType::kContinuous, Json());
  StartScheduler();
  // At once, and only one while it runs.
  std::vector<Job> jobs = WaitJobs(c, 1);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].created_at, Ms(kCreated));
  clock_.Set(kCreated + absl::Hours(1));
  LetTick();
  ASSERT_EQ(Jobs(c).size(), 1u);
  // The job fails for good: the next one after the backoff (30 s), not before.
  auto claimed = store_->ClaimJob("w", 60'000, Ms(clock_.Now()));
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  AttemptResult failed;
  failed.outcome = AttemptOutcome::kFailed;
  failed.stats = Json::object();
  ASSERT_TRUE(store_->FinishAttempt((*claimed)->job.id, 1, "w", failed, Ms(clock_.Now())).ok());
  const absl::Time ended = clock_.Now();
  clock_.Set(ended + absl::Seconds(29));
  LetTick();
  ASSERT_EQ(Jobs(c).size(), 1u);
  clock_.Set(ended + absl::Seconds(30));
  jobs = WaitJobs(c, 2);
  ASSERT_EQ(jobs.size(), 2u);
  // Cancelled: no new job while the connection is unchanged.
  ASSERT_TRUE(store_->RequestCancel(jobs[0].id, Ms(clock_.Now())).ok());
  clock_.Set(ended + absl::Hours(2));
  LetTick();
  ASSERT_EQ(Jobs(c).size(), 2u);
  // Changed after the cancel (e.g. set active again): running again.
  auto connection = store_->GetConnection(c);
  ASSERT_TRUE(connection.ok() && connection->has_value());
  ASSERT_TRUE(store_->UpdateConnection(**connection, Ms(clock_.Now())).ok());
  EXPECT_EQ(WaitJobs(c, 3).size(), 3u);
}

TEST(JobSchedulerScaleTest, ThousandConnectionsTickFromTheCache) {
  auto dir = MakeTempDir("sluice-scheduler-scale-");
  ASSERT_TRUE(dir.ok());
  const absl::Time start = Utc(2024, 1, 3, 10);
  auto store = MetadataStore::Open(*dir + "/meta", absl::ToUnixMillis(start));
  ASSERT_TRUE(store.ok());
  auto ws = (*store)->ListWorkspaces();
  Actor s{ActorKind::kSource, "", (*ws)[0].workspace_id, "source-faker", "s", "{}"};
  Actor d{ActorKind::kDestination, "", (*ws)[0].workspace_id, "destination-dev-null", "d", "{}"};
  auto cs = (*store)->CreateActor(s, absl::ToUnixMillis(start));
  auto cd = (*store)->CreateActor(d, absl::ToUnixMillis(start));
  for (int i = 0; i < 1000; ++i) {
    Connection c;
    c.name = "c" + std::to_string(i);
    c.source_id = cs->id;
    c.destination_id = cd->id;
    c.schedule_type = ScheduleType::kCron;
    c.schedule_data = {{"cron", {{"cronExpression", "0 */6 * * *"}, {"cronTimeZone", "UTC"}}}};
    ASSERT_TRUE((*store)->CreateConnection(c, absl::ToUnixMillis(start)).ok());
  }
  JobScheduler scheduler(**store, /*refresh_every_ticks=*/1000);
  auto first = scheduler.Tick(start);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 0);
  for (int i = 0; i < 8; ++i) ASSERT_EQ(*scheduler.Tick(start + absl::Seconds(i)), 0);  // from the cache
  // A connection created meanwhile (by another server, say) is seen at the next tick.
  Connection late;
  late.name = "late";
  late.source_id = cs->id;
  late.destination_id = cd->id;
  late.schedule_type = ScheduleType::kCron;
  late.schedule_data = {{"cron", {{"cronExpression", "0 */6 * * *"}, {"cronTimeZone", "UTC"}}}};
  ASSERT_TRUE((*store)->CreateConnection(late, absl::ToUnixMillis(start + absl::Seconds(9))).ok());
  auto fired = scheduler.Tick(Utc(2024, 1, 3, 12));
  ASSERT_TRUE(fired.ok());
  EXPECT_EQ(*fired, 1001);
  auto again = scheduler.Tick(Utc(2024, 1, 3, 12, 0, 1));
  EXPECT_EQ(*again, 0);
  store->reset();
  RemoveTreeIgnoringErrors(*dir);
}

}  // namespace
}  // namespace sluice
