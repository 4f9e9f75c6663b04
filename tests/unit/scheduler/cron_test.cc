#include "scheduler/cron.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "time_helpers.h"

namespace sluice {
namespace {

//! The next `n` fire times after `start`, as local wall times with the zone's abbreviation.
std::vector<std::string> Fires(const std::string& expression, const std::string& zone_name,
                               const std::string& start, int n) {
  Result<CronExpression> cron = CronExpression::Parse(expression);
  EXPECT_TRUE(cron.ok()) << cron.status().message();
  Result<absl::TimeZone> zone = LoadTimeZone(zone_name);
  EXPECT_TRUE(zone.ok());
  if (!cron.ok() || !zone.ok()) return {};
  std::vector<std::string> out;
  absl::Time t = At(start);
  for (int i = 0; i < n; ++i) {
    std::optional<absl::Time> next = cron->Next(t, *zone);
    if (!next) break;
    out.push_back(absl::FormatTime("%Y-%m-%d %H:%M:%S %Z", *next, *zone));
    t = *next;
  }
  return out;
}

std::string ParseError(const std::string& expression) {
  Result<CronExpression> cron = CronExpression::Parse(expression);
  EXPECT_FALSE(cron.ok()) << expression;
  if (cron.ok()) return "";
  EXPECT_EQ(cron.status().failure_type(), FailureType::kConfig);
  return cron.status().message();
}

using Strings = std::vector<std::string>;

TEST(CronTest, SeedExpressions) {
  // 2026-03-01 is a Sunday.
  EXPECT_EQ(Fires("0 */6 * * *", "UTC", "2026-03-01T05:00:00Z", 4),
            (Strings{"2026-03-01 06:00:00 UTC", "2026-03-01 12:00:00 UTC", "2026-03-01 18:00:00 UTC",
                     "2026-03-02 00:00:00 UTC"}));
  EXPECT_EQ(Fires("0 2 * * 1-5", "UTC", "2026-03-05T03:00:00Z", 3),
            (Strings{"2026-03-06 02:00:00 UTC", "2026-03-09 02:00:00 UTC", "2026-03-10 02:00:00 UTC"}));
  EXPECT_EQ(Fires("0 0 1 * *", "UTC", "2026-01-01T00:00:00Z", 3),
            (Strings{"2026-02-01 00:00:00 UTC", "2026-03-01 00:00:00 UTC", "2026-04-01 00:00:00 UTC"}));
}

TEST(CronTest, NextIsStrictlyAfter) {
  EXPECT_EQ(Fires("0 0 * * *", "UTC", "2026-01-01T00:00:00Z", 1), (Strings{"2026-01-02 00:00:00 UTC"}));
  EXPECT_EQ(Fires("0 0 * * *", "UTC", "2026-01-01T23:59:59.5Z", 1), (Strings{"2026-01-02 00:00:00 UTC"}));
  EXPECT_EQ(Fires("* * * * * ?", "UTC", "2026-01-01T00:00:00.5Z", 1), (Strings{"2026-01-01 00:00:01 UTC"}));
}

TEST(CronTest, UnixSyntax) {
  // 2026-01-01 is a Thursday; 7 and SUN are Sunday; names in any case.
  EXPECT_EQ(Fires("0 0 * * 7", "UTC", "2026-01-01T00:00:00Z", 1), (Strings{"2026-01-04 00:00:00 UTC"}));
  EXPECT_EQ(Fires("0 12 * * sun,SAT", "UTC", "2026-01-01T00:00:00Z", 2),
            (Strings{"2026-01-03 12:00:00 UTC", "2026-01-04 12:00:00 UTC"}));
  EXPECT_EQ(Fires("5-50/20 9-17/4 * feb-MAR *", "UTC", "2026-01-01T00:00:00Z", 4),
            (Strings{"2026-02-01 09:05:00 UTC", "2026-02-01 09:25:00 UTC", "2026-02-01 09:45:00 UTC",
                     "2026-02-01 13:05:00 UTC"}));
  EXPECT_EQ(Fires("30 4/10 * * *", "UTC", "2026-01-01T00:00:00Z", 3),
            (Strings{"2026-01-01 04:30:00 UTC", "2026-01-01 14:30:00 UTC", "2026-01-02 04:30:00 UTC"}));
  EXPECT_EQ(Fires("0 0 1,15 * *", "UTC", "2026-01-02T00:00:00Z", 2),
            (Strings{"2026-01-15 00:00:00 UTC", "2026-02-01 00:00:00 UTC"}));
}

TEST(CronTest, VixieRuleEitherDayFieldMatches) {
  // Day 13 OR a Friday (Jan 2, 9, 16); with one day field `*`, only the other counts.
  EXPECT_EQ(Fires("0 0 13 * FRI", "UTC", "2026-01-01T00:00:00Z", 4),
            (Strings{"2026-01-02 00:00:00 UTC", "2026-01-09 00:00:00 UTC", "2026-01-13 00:00:00 UTC",
                     "2026-01-16 00:00:00 UTC"}));
  EXPECT_EQ(Fires("0 0 13 * *", "UTC", "2026-01-01T00:00:00Z", 1), (Strings{"2026-01-13 00:00:00 UTC"}));
  EXPECT_EQ(Fires("0 0 * * 5", "UTC", "2026-01-01T00:00:00Z", 1), (Strings{"2026-01-02 00:00:00 UTC"}));
}

TEST(CronTest, QuartzSyntax) {
  // Seconds first, `?`, day-of-week 1 = Sunday, optional year.
  EXPECT_EQ(Fires("0 0 */6 * * ?", "UTC", "2026-01-01T01:00:00Z", 2),
            (Strings{"2026-01-01 06:00:00 UTC", "2026-01-01 12:00:00 UTC"}));
  EXPECT_EQ(Fires("15,45 30 10 ? * 1", "UTC", "2026-01-01T00:00:00Z", 3),
            (Strings{"2026-01-04 10:30:15 UTC", "2026-01-04 10:30:45 UTC", "2026-01-11 10:30:15 UTC"}));
  EXPECT_EQ(Fires("0 0 9 ? * MON-FRI", "UTC", "2026-01-02T10:00:00Z", 1),
            (Strings{"2026-01-05 09:00:00 UTC"}));
  EXPECT_EQ(Fires("0 0 0 1 1 ? 2028,2030", "UTC", "2026-01-01T00:00:00Z", 3),
            (Strings{"2028-01-01 00:00:00 UTC", "2030-01-01 00:00:00 UTC"}));
  EXPECT_EQ(Fires("0 0 0 29 2 ?", "UTC", "2026-01-01T00:00:00Z", 1), (Strings{"2028-02-29 00:00:00 UTC"}));
  EXPECT_EQ(Fires("0 0 0 30 2 ?", "UTC", "2026-01-01T00:00:00Z", 1), Strings{});  // never
}

TEST(CronTest, QuartzLastAndWeekdaySpecials) {
  // 2026: Jan 31 Sat, Feb 1 Sun, Feb 28 Sat, Mar 1 Sun, Mar 31 Tue, May 31 Sun, Aug 1 Sat.
  EXPECT_EQ(Fires("0 0 12 L * ?", "UTC", "2026-01-01T00:00:00Z", 3),
            (Strings{"2026-01-31 12:00:00 UTC", "2026-02-28 12:00:00 UTC", "2026-03-31 12:00:00 UTC"}));
  EXPECT_EQ(Fires("0 0 12 L-2 * ?", "UTC", "2026-01-01T00:00:00Z", 2),
            (Strings{"2026-01-29 12:00:00 UTC", "2026-02-26 12:00:00 UTC"}));
  EXPECT_EQ(Fires("0 0 12 LW * ?", "UTC", "2026-01-01T00:00:00Z", 3),
            (Strings{"2026-01-30 12:00:00 UTC", "2026-02-27 12:00:00 UTC", "2026-03-31 12:00:00 UTC"}));
  // 1W never leaves the month: Saturday Aug 1 moves to Monday Aug 3.
  EXPECT_EQ(Fires("0 0 12 1W * ?", "UTC", "2026-01-01T00:00:00Z", 3),
            (Strings{"2026-01-01 12:00:00 UTC", "2026-02-02 12:00:00 UTC", "2026-03-02 12:00:00 UTC"}));
  EXPECT_EQ(Fires("0 0 12 1W 8 ?", "UTC", "2026-01-01T00:00:00Z", 1), (Strings{"2026-08-03 12:00:00 UTC"}));
  // 15W: Sunday Feb 15 -> Monday 16; Saturday Aug 15 -> Friday 14.
  EXPECT_EQ(Fires("0 0 12 15W 2,8 ?", "UTC", "2026-01-01T00:00:00Z", 2),
            (Strings{"2026-02-16 12:00:00 UTC", "2026-08-14 12:00:00 UTC"}));
  // 31W: Saturday Jan 31 -> Friday 30; no day 31 in February; Sunday May 31 -> Friday 29.
  EXPECT_EQ(Fires("0 0 12 31W * ?", "UTC", "2026-01-01T00:00:00Z", 3),
            (Strings{"2026-01-30 12:00:00 UTC", "2026-03-31 12:00:00 UTC", "2026-05-29 12:00:00 UTC"}));
  // 6L = last Friday; 2#1 = first Monday; L alone = Saturday.
  EXPECT_EQ(Fires("0 0 12 ? * 6L", "UTC", "2026-01-01T00:00:00Z", 2),
            (Strings{"2026-01-30 12:00:00 UTC", "2026-02-27 12:00:00 UTC"}));
  EXPECT_EQ(Fires("0 0 12 ? * FRIL", "UTC", "2026-01-01T00:00:00Z", 1), (Strings{"2026-01-30 12:00:00 UTC"}));
  EXPECT_EQ(Fires("0 0 12 ? * 2#1", "UTC", "2026-01-06T00:00:00Z", 2),
            (Strings{"2026-02-02 12:00:00 UTC", "2026-03-02 12:00:00 UTC"}));
  EXPECT_EQ(Fires("0 0 12 ? * L", "UTC", "2026-01-01T00:00:00Z", 2),
            (Strings{"2026-01-03 12:00:00 UTC", "2026-01-10 12:00:00 UTC"}));
  // The same specials in 5-field form (Unix day numbers: 5 = Friday).
  EXPECT_EQ(Fires("0 12 * * 5L", "UTC", "2026-01-01T00:00:00Z", 1), (Strings{"2026-01-30 12:00:00 UTC"}));
  EXPECT_EQ(Fires("0 12 * * 1#2", "UTC", "2026-01-01T00:00:00Z", 1), (Strings{"2026-01-12 12:00:00 UTC"}));
}

TEST(CronTest, SpringForwardShiftsSkippedTimesByTheGap) {
  // New York 2026-03-08: 02:00 EST -> 03:00 EDT. 02:30 does not exist and fires at 03:30.
  EXPECT_EQ(Fires("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", 2),
            (Strings{"2026-03-08 03:30:00 EDT", "2026-03-09 02:30:00 EDT"}));
  EXPECT_EQ(Fires("0 * * * *", "America/New_York", "2026-03-08T06:30:00Z", 2),
            (Strings{"2026-03-08 03:00:00 EDT", "2026-03-08 04:00:00 EDT"}));
  // Amsterdam 2026-03-29: 02:00 CET -> 03:00 CEST.
  EXPECT_EQ(Fires("0 0 2 * * ?", "Europe/Amsterdam", "2026-03-28T12:00:00Z", 2),
            (Strings{"2026-03-29 03:00:00 CEST", "2026-03-30 02:00:00 CEST"}));
}

TEST(CronTest, FallBackFiresRepeatedTimeOnce) {
  // New York 2026-11-01: 02:00 EDT -> 01:00 EST; 01:30 happens twice and fires once.
  EXPECT_EQ(Fires("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 2),
            (Strings{"2026-11-01 01:30:00 EDT", "2026-11-02 01:30:00 EST"}));
  EXPECT_EQ(Fires("*/20 1 * * *", "America/New_York", "2026-11-01T04:30:00Z", 4),
            (Strings{"2026-11-01 01:00:00 EDT", "2026-11-01 01:20:00 EDT", "2026-11-01 01:40:00 EDT",
                     "2026-11-02 01:00:00 EST"}));
  // Amsterdam 2026-10-25: 03:00 CEST -> 02:00 CET.
  EXPECT_EQ(Fires("30 2 * * *", "Europe/Amsterdam", "2026-10-24T12:00:00Z", 2),
            (Strings{"2026-10-25 02:30:00 CEST", "2026-10-26 02:30:00 CET"}));
  // Started inside the second pass, the second pass is what comes next.
  EXPECT_EQ(Fires("30 1 * * *", "America/New_York", "2026-11-01T06:10:00Z", 1),
            (Strings{"2026-11-01 01:30:00 EST"}));
}

TEST(CronTest, FallBackWithEveryHourFollowsRealTime) {
  EXPECT_EQ(Fires("*/30 * * * *", "America/New_York", "2026-11-01T05:10:00Z", 4),
            (Strings{"2026-11-01 01:30:00 EDT", "2026-11-01 01:00:00 EST", "2026-11-01 01:30:00 EST",
                     "2026-11-01 02:00:00 EST"}));
  EXPECT_EQ(Fires("0 0 * * * ?", "Europe/Amsterdam", "2026-10-24T23:30:00Z", 3),
            (Strings{"2026-10-25 02:00:00 CEST", "2026-10-25 02:00:00 CET", "2026-10-25 03:00:00 CET"}));
}

TEST(CronTest, ParseErrorsNameFieldAndToken) {
  EXPECT_EQ(ParseError("0 25 * * *"), "cron '0 25 * * *': hour field: 25 is out of range 0-23");
  EXPECT_EQ(ParseError("61 * * * *"), "cron '61 * * * *': minute field: 61 is out of range 0-59");
  EXPECT_EQ(ParseError("0 0 * FOO *"), "cron '0 0 * FOO *': month field: 'FOO' is not a number or name");
  EXPECT_EQ(ParseError("0 0 * * MON-XYZ"),
            "cron '0 0 * * MON-XYZ': day-of-week field: 'XYZ' is not a number or name");
  EXPECT_EQ(ParseError("0 0 0 * * 0"), "cron '0 0 0 * * 0': day-of-week field: 0 is out of range 1-7");
  EXPECT_EQ(ParseError("*/0 * * * *"),
            "cron '*/0 * * * *': minute field: step '0' in '*/0' must be a number from 1 to 60");
  EXPECT_EQ(ParseError("0 0 FRI-MON * *"),
            "cron '0 0 FRI-MON * *': day-of-month field: 'FRI' is not a number");
  EXPECT_EQ(ParseError("0 0 * * FRI-MON"),
            "cron '0 0 * * FRI-MON': day-of-week field: range 'FRI-MON' goes downwards");
  EXPECT_EQ(ParseError("0 ? * * *"),
            "cron '0 ? * * *': hour field: '?' is only allowed in the day-of-month and day-of-week fields");
  EXPECT_EQ(ParseError("0 0 * * * *"),
            "cron '0 0 * * * *': exactly one of day-of-month ('*') and day-of-week ('*') must be '?' in a "
            "Quartz expression");
  EXPECT_EQ(ParseError("0 0 0 ? * 2#6"),
            "cron '0 0 0 ? * 2#6': day-of-week field: '2#6': the occurrence after '#' must be 1-5");
  EXPECT_EQ(ParseError("0 0 0 * * ? 1969"),
            "cron '0 0 0 * * ? 1969': year field: 1969 is out of range 1970-2199");
  EXPECT_EQ(ParseError("1,,2 * * * *"), "cron '1,,2 * * * *': minute field: a value is missing");
  EXPECT_EQ(
      ParseError("* * * *"),
      "cron '* * * *': expected 5 fields (minute hour day-of-month month day-of-week) or 6-7 Quartz fields "
      "(second minute hour day-of-month month day-of-week [year]), got 4");
}

TEST(CronTest, UnknownTimeZone) {
  EXPECT_TRUE(LoadTimeZone("Europe/Amsterdam").ok());
  Result<absl::TimeZone> zone = LoadTimeZone("Mars/Olympus_Mons");
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(zone.status().message(), "unknown time zone 'Mars/Olympus_Mons'");
}

}  // namespace
}  // namespace sluice
