#include "scheduler/schedule.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scheduler/clock.h"
#include "time_helpers.h"

namespace sluice {
namespace {

Schedule CronSchedule(const std::string& expression, const std::string& zone) {
  Result<Schedule> schedule = Schedule::Cron(expression, zone);
  EXPECT_TRUE(schedule.ok()) << schedule.status().message();
  return schedule.ok() ? *schedule : Schedule::Manual();
}

//! Runs a scheduler loop on a ManualClock from `start` to `end`: jump to the next due time,
//! "start a job" there, repeat. Returns the job starts.
std::vector<absl::Time> Simulate(const Schedule& schedule, absl::Time start, absl::Time end) {
  ManualClock clock(start);
  std::optional<absl::Time> last_start;
  std::vector<absl::Time> starts;
  while (true) {
    std::optional<absl::Time> due = schedule.NextDue(last_start, clock.Now());
    if (!due || *due > end) break;
    if (*due > clock.Now()) clock.Set(*due);
    starts.push_back(clock.Now());
    last_start = clock.Now();
    clock.Advance(absl::Minutes(3));  // the job runs a while; the next due time is unaffected
  }
  return starts;
}

std::string Local(absl::Time t, const absl::TimeZone& zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M %Z", t, zone);
}

//! Every seed expression, in both zones, over 2026 (both DST changes): each job start is at a
//! matching local wall time and every matching local day gets its fires, none twice.
TEST(ScheduleTest, SeedCronExpressionsOverAYearOnAManualClock) {
  struct Case {
    std::string expression;
    int fires_per_matching_day;
    bool (*day_matches)(absl::CivilDay);
    bool (*time_matches)(absl::CivilSecond);
  };
  const std::vector<Case> cases = {
      {"0 */6 * * *", 4, [](absl::CivilDay) { return true; },
       [](absl::CivilSecond c) { return c.hour() % 6 == 0 && c.minute() == 0 && c.second() == 0; }},
      {"0 2 * * 1-5", 1,
       [](absl::CivilDay d) {
         const absl::Weekday w = absl::GetWeekday(d);
         return w != absl::Weekday::saturday && w != absl::Weekday::sunday;
       },
       [](absl::CivilSecond c) { return c.hour() == 2 && c.minute() == 0 && c.second() == 0; }},
      {"0 0 1 * *", 1, [](absl::CivilDay d) { return d.day() == 1; },
       [](absl::CivilSecond c) { return c.hour() == 0 && c.minute() == 0 && c.second() == 0; }},
  };
  for (const std::string zone_name : {"Europe/Amsterdam", "America/New_York"}) {
    const absl::TimeZone zone = *LoadTimeZone(zone_name);
    const absl::Time start = absl::FromCivil(absl::CivilSecond(2025, 12, 31, 23, 0, 0), zone);
    const absl::Time end = absl::FromCivil(absl::CivilSecond(2026, 12, 31, 23, 0, 0), zone);
    for (const Case& c : cases) {
      SCOPED_TRACE(c.expression + " in " + zone_name);
      const std::vector<absl::Time> starts = Simulate(CronSchedule(c.expression, zone_name), start, end);
      int expected = 0;
      for (absl::CivilDay d(2026, 1, 1); d.year() == 2026; ++d)
        expected += c.day_matches(d) ? c.fires_per_matching_day : 0;
      EXPECT_EQ(static_cast<int>(starts.size()), expected);
      for (size_t i = 0; i < starts.size(); ++i) {
        const absl::CivilSecond local = absl::ToCivilSecond(starts[i], zone);
        EXPECT_TRUE(c.day_matches(absl::CivilDay(local)) && c.time_matches(local)) << Local(starts[i], zone);
        if (i > 0) {
          EXPECT_LT(starts[i - 1], starts[i]);
        }
      }
    }
  }
}

TEST(ScheduleTest, SeedCronExpressionsAcrossDstChanges) {
  const absl::TimeZone amsterdam = *LoadTimeZone("Europe/Amsterdam");
  const absl::TimeZone new_york = *LoadTimeZone("America/New_York");
  auto local_starts = [](const std::string& expression, const absl::TimeZone& zone,
                         const std::string& zone_name, const std::string& from, const std::string& to) {
    std::vector<std::string> out;
    for (absl::Time t : Simulate(CronSchedule(expression, zone_name), At(from), At(to)))
      out.push_back(Local(t, zone));
    return out;
  };
  using Strings = std::vector<std::string>;
  // Amsterdam gains an hour on 2026-10-25: 00:00 CEST to 06:00 CET is seven real hours.
  EXPECT_EQ(local_starts("0 */6 * * *", amsterdam, "Europe/Amsterdam", "2026-10-24T15:00:00Z",
                         "2026-10-25T12:00:00Z"),
            (Strings{"2026-10-24 18:00 CEST", "2026-10-25 00:00 CEST", "2026-10-25 06:00 CET",
                     "2026-10-25 12:00 CET"}));
  // New York loses an hour on 2026-03-08 (a Sunday): weekday 02:00 moves from 07:00Z to 06:00Z.
  EXPECT_EQ(local_starts("0 2 * * 1-5", new_york, "America/New_York", "2026-03-05T12:00:00Z",
                         "2026-03-10T12:00:00Z"),
            (Strings{"2026-03-06 02:00 EST", "2026-03-09 02:00 EDT", "2026-03-10 02:00 EDT"}));
  EXPECT_EQ(local_starts("0 */6 * * *", new_york, "America/New_York", "2026-03-08T00:00:00Z",
                         "2026-03-08T17:00:00Z"),
            (Strings{"2026-03-08 00:00 EST", "2026-03-08 06:00 EDT", "2026-03-08 12:00 EDT"}));
  EXPECT_EQ(
      local_starts("0 0 1 * *", new_york, "America/New_York", "2026-10-15T00:00:00Z", "2026-12-15T00:00:00Z"),
      (Strings{"2026-11-01 00:00 EDT", "2026-12-01 00:00 EST"}));
}

TEST(ScheduleTest, MissedCronFiresFoldIntoOneRun) {
  const Schedule schedule = CronSchedule("0 */6 * * *", "UTC");
  // Last job started 2026-01-01 06:00; the server was down until 2026-01-04 10:00.
  const absl::Time last = At("2026-01-01T06:00:00Z");
  const absl::Time now = At("2026-01-04T10:00:00Z");
  EXPECT_EQ(schedule.NextDue(last, now), At("2026-01-01T12:00:00Z"));  // overdue: start now
  EXPECT_EQ(schedule.NextDue(now, now), At("2026-01-04T12:00:00Z"));   // then back on schedule
  EXPECT_EQ(schedule.NextDue(std::nullopt, now), At("2026-01-04T12:00:00Z"));
}

TEST(ScheduleTest, ManualIsNeverDue) {
  EXPECT_EQ(Schedule::Manual().NextDue(std::nullopt, At("2026-01-01T00:00:00Z")), std::nullopt);
  EXPECT_EQ(Schedule::Manual().NextDue(At("2026-01-01T00:00:00Z"), At("2026-02-01T00:00:00Z")), std::nullopt);
}

TEST(ScheduleTest, BasicCountsFromTheLastStart) {
  const absl::Time now = At("2026-01-10T08:00:00Z");
  const absl::Time last = At("2026-01-09T07:30:00Z");
  struct Case {
    int64_t units;
    std::string unit;
    std::string due;
  };
  for (const Case& c : std::vector<Case>{{15, "minutes", "2026-01-09T07:45:00Z"},
                                         {24, "hours", "2026-01-10T07:30:00Z"},
                                         {2, "days", "2026-01-11T07:30:00Z"},
                                         {1, "weeks", "2026-01-16T07:30:00Z"},
                                         {1, "months", "2026-02-08T07:30:00Z"}}) {  // 30 days, as Airbyte
    Result<Schedule> schedule = Schedule::Basic(c.units, c.unit);
    ASSERT_TRUE(schedule.ok()) << c.unit;
    EXPECT_EQ(schedule->NextDue(last, now), At(c.due)) << c.unit;
    EXPECT_EQ(schedule->NextDue(std::nullopt, now), now) << c.unit;  // first run: now
  }
  // On a clock: every 6 hours from the first run.
  const std::vector<absl::Time> starts =
      Simulate(*Schedule::Basic(6, "hours"), At("2026-01-01T00:00:00Z"), At("2026-01-02T00:00:00Z"));
  ASSERT_EQ(starts.size(), 5u);
  EXPECT_EQ(starts[1], At("2026-01-01T06:00:00Z"));
}

TEST(ScheduleTest, BasicRejectsBadValues) {
  EXPECT_EQ(Schedule::Basic(0, "hours").status().message(), "units: must be a positive integer, got 0");
  EXPECT_EQ(Schedule::Basic(1, "fortnights").status().message(),
            "timeUnit: 'fortnights' is not one of minutes, hours, days, weeks, months");
}

TEST(ScheduleTest, ReadsAirbyteJson) {
  using json = Json;
  auto read = [](const json& body) {
    Result<Schedule> schedule = Schedule::FromAirbyte(body);
    EXPECT_TRUE(schedule.ok()) << body.dump() << ": " << schedule.status().message();
    return schedule.ok() ? schedule->ToAirbyte() : json();
  };
  EXPECT_EQ(read(json::object()), (json{{"scheduleType", "manual"}}));
  EXPECT_EQ(read({{"scheduleType", "manual"}}), (json{{"scheduleType", "manual"}}));
  const json basic = {{"units", 24}, {"timeUnit", "hours"}};
  const json basic_out = {
      {"scheduleType", "basic"}, {"scheduleData", {{"basicSchedule", basic}}}, {"schedule", basic}};
  EXPECT_EQ(read({{"scheduleType", "basic"}, {"scheduleData", {{"basicSchedule", basic}}}}), basic_out);
  EXPECT_EQ(read({{"schedule", basic}}), basic_out);  // legacy
  EXPECT_EQ(read({{"schedule", nullptr}}), (json{{"scheduleType", "manual"}}));
  const json cron = {
      {"scheduleType", "cron"},
      {"scheduleData", {{"cron", {{"cronExpression", "0 0 */6 * * ?"}, {"cronTimeZone", "UTC"}}}}}};
  EXPECT_EQ(read(cron), cron);
  EXPECT_EQ(Schedule::FromAirbyte(cron)->NextDue(std::nullopt, At("2026-01-01T01:00:00Z")),
            At("2026-01-01T06:00:00Z"));
}

TEST(ScheduleTest, ContinuousReadsAndWritesAirbyteJson) {
  using nlohmann::json;
  const json body = {{"scheduleType", "continuous"}};
  Result<Schedule> schedule = Schedule::FromAirbyte(body);
  ASSERT_TRUE(schedule.ok()) << schedule.status().message();
  EXPECT_TRUE(schedule->continuous());
  EXPECT_EQ(schedule->ToAirbyte(), body);
  EXPECT_EQ(schedule->NextDue(At("2026-01-01T00:00:00Z"), At("2026-01-01T01:00:00Z")), At("2026-01-01T01:00:00Z"));
}

TEST(ScheduleTest, ContinuousKeepsOneJobRunningUntilStopped) {
  const absl::Time now = At("2026-01-01T12:00:00Z");
  const absl::Time ended = At("2026-01-01T11:59:50Z");
  const absl::Time before = At("2026-01-01T11:00:00Z");
  const absl::Duration backoff = absl::Seconds(30);
  // No job, or one unfinished: due now (enqueueing is a no-op while one is unfinished).
  EXPECT_EQ(ContinuousNextDue(ContinuousJobEnd::kNone, now, before, now, backoff), now);
  EXPECT_EQ(ContinuousNextDue(ContinuousJobEnd::kUnfinished, now, before, now, backoff), now);
  // Succeeded: the source ended the stream itself (a schema change): again at once.
  EXPECT_EQ(ContinuousNextDue(ContinuousJobEnd::kEnded, ended, before, now, backoff), now);
  // Failed for good: again after the backoff.
  EXPECT_EQ(ContinuousNextDue(ContinuousJobEnd::kFailed, ended, before, now, backoff), ended + backoff);
  // Cancelled: not again until the connection is changed after the job ended.
  EXPECT_EQ(ContinuousNextDue(ContinuousJobEnd::kStopped, ended, before, now, backoff), std::nullopt);
  EXPECT_EQ(ContinuousNextDue(ContinuousJobEnd::kStopped, ended, now, now, backoff), now);
}

TEST(ScheduleTest, AirbyteJsonErrorsNameTheField) {
  using nlohmann::json;
  auto error = [](const json& body) {
    Result<Schedule> schedule = Schedule::FromAirbyte(body);
    EXPECT_FALSE(schedule.ok()) << body.dump();
    return schedule.ok() ? std::string() : schedule.status().message();
  };
  EXPECT_EQ(error({{"scheduleType", "hourly"}}),
            "scheduleType: \"hourly\" is not one of manual, basic, cron, continuous");
  EXPECT_EQ(error({{"scheduleType", "basic"}}),
            "scheduleData.basicSchedule: is required when scheduleType is basic");
  EXPECT_EQ(error({{"scheduleType", "basic"},
                   {"scheduleData", {{"basicSchedule", {{"units", "24"}, {"timeUnit", "hours"}}}}}}),
            "scheduleData.basicSchedule.units: must be a positive integer");
  EXPECT_EQ(error({{"scheduleType", "basic"},
                   {"scheduleData", {{"basicSchedule", {{"units", -1}, {"timeUnit", "hours"}}}}}}),
            "scheduleData.basicSchedule: units: must be a positive integer, got -1");
  EXPECT_EQ(error({{"schedule", {{"units", 1}, {"timeUnit", 7}}}}), "schedule.timeUnit: must be a string");
  EXPECT_EQ(error({{"scheduleType", "cron"}}), "scheduleData.cron: is required when scheduleType is cron");
  EXPECT_EQ(
      error({{"scheduleType", "cron"},
             {"scheduleData", {{"cron", {{"cronExpression", "0 25 * * *"}, {"cronTimeZone", "UTC"}}}}}}),
      "scheduleData.cron: cronExpression: cron '0 25 * * *': hour field: 25 is out of range 0-23");
  EXPECT_EQ(
      error({{"scheduleType", "cron"}, {"scheduleData", {{"cron", {{"cronExpression", "0 2 * * *"}}}}}}),
      "scheduleData.cron.cronTimeZone: is required");
  EXPECT_EQ(error({{"scheduleType", "cron"},
                   {"scheduleData",
                    {{"cron", {{"cronExpression", "0 2 * * *"}, {"cronTimeZone", "Europe/Amsterdamm"}}}}}}),
            "scheduleData.cron: cronTimeZone: unknown time zone 'Europe/Amsterdamm'");
}

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(At("2026-01-01T00:00:00Z"));
  EXPECT_EQ(clock.Now(), At("2026-01-01T00:00:00Z"));
  clock.Advance(absl::Hours(25));
  EXPECT_EQ(clock.Now(), At("2026-01-02T01:00:00Z"));
  clock.Set(At("2026-06-01T12:00:00Z"));
  EXPECT_EQ(clock.Now(), At("2026-06-01T12:00:00Z"));
  SystemClock system;
  EXPECT_GT(system.Now(), At("2020-01-01T00:00:00Z"));
}

}  // namespace
}  // namespace sluice
