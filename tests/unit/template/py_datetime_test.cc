#include "template/py_datetime.h"

#include <gtest/gtest.h>

#include "base/time.h"

namespace sluice {
namespace {

int64_t At(const char* text) { return *ParseTimestamp(text); }

TEST(PyDatetimeTest, IsoDurations) {
  EXPECT_EQ(*ParseIsoDuration("P1D"), (IsoDuration{0, kMicrosPerDay}));
  EXPECT_EQ(*ParseIsoDuration("PT1H30M"), (IsoDuration{0, 5400 * kMicrosPerSecond}));
  EXPECT_EQ(*ParseIsoDuration("P1Y2M"), (IsoDuration{14, 0}));
  EXPECT_EQ(*ParseIsoDuration("P2W"), (IsoDuration{0, 14 * kMicrosPerDay}));
  EXPECT_EQ(*ParseIsoDuration("PT0.5S"), (IsoDuration{0, 500000}));
  EXPECT_EQ(*ParseIsoDuration("-P1D"), (IsoDuration{0, -kMicrosPerDay}));
  EXPECT_FALSE(ParseIsoDuration("1D"));
  EXPECT_FALSE(ParseIsoDuration("P"));
  EXPECT_FALSE(ParseIsoDuration("P1X"));
}

TEST(PyDatetimeTest, MonthsClipTheDay) {
  EXPECT_EQ(AddDuration(At("2024-01-31T10:00:00Z"), {1, 0}), At("2024-02-29T10:00:00Z"));
  EXPECT_EQ(AddDuration(At("2023-12-15T00:00:00Z"), {1, 0}), At("2024-01-15T00:00:00Z"));
  EXPECT_EQ(AddDuration(At("2024-03-31T00:00:00Z"), {1, 0}, -1), At("2024-02-29T00:00:00Z"));
}

TEST(PyDatetimeTest, Strftime) {
  const int64_t t = At("2024-03-05T06:07:08.123456Z");
  EXPECT_EQ(FormatDatetime(t, "%Y-%m-%dT%H:%M:%S.%f%z"), "2024-03-05T06:07:08.123456+0000");
  EXPECT_EQ(FormatDatetime(t, "%Y-%m-%dT%H:%M:%SZ"), "2024-03-05T06:07:08Z");
  EXPECT_EQ(FormatDatetime(t, "%s"), "1709618828");
  EXPECT_EQ(FormatDatetime(t, "%ms"), "1709618828123");
  EXPECT_EQ(FormatDatetime(t, "%d %b %Y %a %j"), "05 Mar 2024 Tue 065");
  EXPECT_EQ(FormatDatetime(t, "%z", false), "");
}

TEST(PyDatetimeTest, Strptime) {
  EXPECT_EQ(*ParseDatetime("2024-03-05T06:07:08Z", "%Y-%m-%dT%H:%M:%SZ"), At("2024-03-05T06:07:08Z"));
  EXPECT_EQ(*ParseDatetime("2024-03-05T06:07:08+02:00", "%Y-%m-%dT%H:%M:%S%z"), At("2024-03-05T04:07:08Z"));
  EXPECT_EQ(*ParseDatetime("2024-03-05T06:07:08.5+0000", "%Y-%m-%dT%H:%M:%S.%f%z"), At("2024-03-05T06:07:08.5Z"));
  EXPECT_EQ(*ParseDatetime("1709618828", "%s"), At("2024-03-05T06:07:08Z"));
  EXPECT_EQ(*ParseDatetime("1709618828123", "%ms"), At("2024-03-05T06:07:08.123Z"));
  EXPECT_EQ(*ParseDatetime("05/03/2024", "%d/%m/%Y"), At("2024-03-05T00:00:00Z"));
  EXPECT_FALSE(ParseDatetime("2024-03-05", "%Y-%m-%dT%H:%M:%SZ"));
  EXPECT_FALSE(ParseDatetime("2024-02-30", "%Y-%m-%d"));
  EXPECT_FALSE(ParseDatetime("2024-03-05x", "%Y-%m-%d"));
}

TEST(PyDatetimeTest, LenientParse) {
  EXPECT_EQ(*ParseAnyDatetime("2024-03-05"), At("2024-03-05T00:00:00Z"));
  EXPECT_EQ(*ParseAnyDatetime("2024-03-05T06:07:08Z"), At("2024-03-05T06:07:08Z"));
  EXPECT_EQ(*ParseAnyDatetime("2024-03-05 06:07:08+01:00"), At("2024-03-05T05:07:08Z"));
  EXPECT_EQ(*ParseAnyDatetime("1709618828"), At("2024-03-05T06:07:08Z"));
  EXPECT_FALSE(ParseAnyDatetime("yesterday"));
}

TEST(PyDatetimeTest, PythonTexts) {
  EXPECT_EQ(PythonDatetimeText(At("2024-03-05T06:07:08Z"), true), "2024-03-05 06:07:08+00:00");
  EXPECT_EQ(PythonDatetimeText(At("2024-03-05T06:07:08.5Z"), false, 'T'), "2024-03-05T06:07:08.500000");
  EXPECT_EQ(PythonTimedeltaText(kMicrosPerDay), "1 day, 0:00:00");
  EXPECT_EQ(PythonTimedeltaText(-kMicrosPerSecond), "-1 day, 23:59:59");
  EXPECT_EQ(PythonTimedeltaText(90 * kMicrosPerSecond), "0:01:30");
}

}  // namespace
}  // namespace sluice
