#include "base/time.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace sluice {
namespace {

std::string Ts(int64_t micros, bool utc) {
  std::string s;
  AppendTimestamp(s, micros, utc);
  return s;
}

TEST(TimeTest, CivilRoundTripsOverFourHundredYears) {
  for (int64_t d = -200000; d < 200000; d += 7) {
    int64_t y;
    unsigned m, day;
    CivilFromDays(d, y, m, day);
    ASSERT_EQ(DaysFromCivil(y, m, day), d);
  }
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
}

TEST(TimeTest, FormatsTimestamps) {
  EXPECT_EQ(Ts(0, true), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Ts(1'500'000, false), "1970-01-01T00:00:01.5");
  EXPECT_EQ(Ts(-1, true), "1969-12-31T23:59:59.999999Z");
  // Year 0 is 1 BC.
  const int64_t bc = DaysFromCivil(0, 1, 1) * kMicrosPerDay;
  EXPECT_EQ(Ts(bc, true), "0001-01-01T00:00:00Z BC");
}

// Years 1..9999 take a one-buffer path: it must print what the date and time parts print, and
// parse back to the same instant.
TEST(TimeTest, FastTimestampPathMatchesTheParts) {
  uint64_t x = 88172645463325252ULL;
  const int64_t lo = DaysFromCivil(1, 1, 1) * kMicrosPerDay;
  const int64_t hi = DaysFromCivil(10000, 1, 1) * kMicrosPerDay;
  for (int i = 0; i < 200000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    int64_t micros = lo + static_cast<int64_t>(x % static_cast<uint64_t>(hi - lo));
    if (i % 4 == 1) micros -= micros % 1000;  // trailing zeros in the fraction
    if (i % 4 == 2) micros -= micros % kMicrosPerSecond;
    const int64_t days = micros >= 0 ? micros / kMicrosPerDay : -((-micros + kMicrosPerDay - 1) / kMicrosPerDay);
    std::string expected;
    AppendDate(expected, days);
    expected.push_back('T');
    AppendTime(expected, micros - days * kMicrosPerDay, i % 2 == 0);
    ASSERT_EQ(Ts(micros, i % 2 == 0), expected) << micros;
    ASSERT_EQ(ParseTimestamp(Ts(micros, true)), micros) << micros;
  }
  EXPECT_EQ(Ts(DaysFromCivil(9999, 12, 31) * kMicrosPerDay + kMicrosPerDay - 1, true), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(Ts(DaysFromCivil(10000, 1, 1) * kMicrosPerDay, true), "10000-01-01T00:00:00Z");
}

// Dates of years 1..9999 are written two digits at a time: the same text as the general form.
TEST(TimeTest, FastDatePathMatchesPrintf) {
  for (int64_t days = DaysFromCivil(1, 1, 1) - 800; days < DaysFromCivil(10000, 1, 1) + 800; days += 13) {
    int64_t y;
    unsigned m, d;
    CivilFromDays(days, y, m, d);
    char expected[64];
    if (y >= 1) {
      std::snprintf(expected, sizeof(expected), "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
    } else {
      std::snprintf(expected, sizeof(expected), "%04lld-%02u-%02u BC", static_cast<long long>(1 - y), m, d);
    }
    std::string text;
    AppendDate(text, days);
    ASSERT_EQ(text, expected) << days;
    ASSERT_EQ(ParseDate(text), days) << text;
  }
}

// "YYYY-MM-DDTHH:MM:SS[.f][Z]" is read in one go; it must agree with the general parser (which
// reads the same text with a space for the 'T') on every edge, accepted or not.
TEST(TimeTest, CanonicalTimestampPathMatchesTheGeneralParser) {
  const std::vector<std::string> texts = {
      "2020-01-01T00:00:00Z", "2020-01-01T00:00:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z",
      "2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z",
      "2020-04-31T00:00:00Z", "2020-00-10T00:00:00Z", "2020-13-10T00:00:00Z", "2020-01-00T00:00:00Z",
      "2020-01-32T00:00:00Z", "0000-01-01T00:00:00Z", "2020-01-01T24:00:00Z", "2020-01-01T23:60:00Z",
      "2020-01-01T23:59:60Z", "2020-01-01T25:00:00Z", "2020-01-01T10:00:00.", "2020-01-01T10:00:00.5",
      "2020-01-01T10:00:00.123456", "2020-01-01T10:00:00.1234567Z", "2020-01-01T10:00:00.000001Z",
      "2020-01-01T10:00:00.12x", "2020-01-01T10:00:00Zx", "2020-01-01T10:00:00z", "2020-01-01T10:00:00+02:00",
      "2020-01-01T10:00:00-0530", "2020-01-01T10:00:00Z BC", "2020-01-01T10:0a:00Z", "2020-1-01T10:00:00Z",
      "20200-01-01T10:00:00Z", "2020-01-01T10:00", "2020-01-01T10:00:00 BC", "-020-01-01T10:00:00Z",
  };
  for (const std::string& text : texts) {
    std::string general = text;
    if (const size_t t = general.find('T'); t != std::string::npos) general[t] = ' ';
    bool had = false, had_general = false;
    const auto fast = ParseTimestamp(text, &had);
    const auto slow = ParseTimestamp(general, &had_general);
    EXPECT_EQ(fast, slow) << text;
    if (fast && slow) {
      EXPECT_EQ(had, had_general) << text;
    }
  }
  EXPECT_EQ(ParseTimestamp("2020-01-01T00:00:00.5Z"), DaysFromCivil(2020, 1, 1) * kMicrosPerDay + 500000);
  EXPECT_FALSE(ParseTimestamp("2023-02-29T12:00:00Z").has_value());
  // Years beyond what microseconds since 1970 hold are not a timestamp (found by fuzzing).
  EXPECT_FALSE(ParseTimestamp("737808112-01-01T00:00:00Z").has_value());
  EXPECT_FALSE(ParseTimestamp("300000-01-01").has_value());
  EXPECT_TRUE(ParseTimestamp("290000-01-01T00:00:00Z").has_value());
  EXPECT_TRUE(ParseTimestamp("290000-01-01 BC").has_value());
}

TEST(TimeTest, ParsesTimestampsWithOffsets) {
  bool had = false;
  EXPECT_EQ(ParseTimestamp("2022-01-23T01:23:45Z", &had), (DaysFromCivil(2022, 1, 23) * 86400 + 5025) * kMicrosPerSecond);
  EXPECT_TRUE(had);
  EXPECT_EQ(ParseTimestamp("2022-01-23T03:23:45+02:00"), ParseTimestamp("2022-01-23T01:23:45Z"));
  EXPECT_EQ(ParseTimestamp("2022-01-23 01:23:45.5", &had), *ParseTimestamp("2022-01-23T01:23:45Z") + 500000);
  EXPECT_FALSE(had);
  EXPECT_EQ(ParseTimestamp("2022-01-23"), DaysFromCivil(2022, 1, 23) * kMicrosPerDay);
  EXPECT_FALSE(ParseTimestamp("2022-02-30T00:00:00"));
  EXPECT_FALSE(ParseTimestamp("yesterday"));
  EXPECT_FALSE(ParseTimestamp("2022-01-23T01:23:45Zjunk"));
}

TEST(TimeTest, DatesAndTimesRoundTrip) {
  for (const char* text : {"2024-02-29", "1900-01-01", "9999-12-31", "0044-03-15 BC"}) {
    auto d = ParseDate(text);
    ASSERT_TRUE(d) << text;
    std::string out;
    AppendDate(out, *d);
    EXPECT_EQ(out, text);
  }
  EXPECT_FALSE(ParseDate("2023-02-29"));
  auto t = ParseTime("13:45:01.25");
  ASSERT_TRUE(t);
  std::string out;
  AppendTime(out, *t, false);
  EXPECT_EQ(out, "13:45:01.25");
  bool had;
  EXPECT_EQ(ParseTime("01:00:00+02:00", &had), 23 * 3600 * kMicrosPerSecond);
  EXPECT_TRUE(had);
}

}  // namespace
}  // namespace sluice
