#pragma once
// Calendar arithmetic and the text forms of the Airbyte well-known temporal types.
// Dates are days since 1970-01-01; times and timestamps are microseconds (UTC for *_tz types).
// Years <= 0 are written with a " BC" suffix (year 0 is 1 BC), as the well-known types ask.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

//! Days since 1970-01-01 of a proleptic Gregorian date (year 0 = 1 BC).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
void CivilFromDays(int64_t days, int64_t& year, unsigned& month, unsigned& day);

//! Appends "YYYY-MM-DD" (or "YYYY-MM-DD BC").
void AppendDate(std::string& out, int64_t days);
//! The same texts written at `p` (room for kMax*Text bytes); return the end. For encoders that
//! write a whole line through one pointer (protocol/codec.cc).
inline constexpr size_t kMaxDateText = 40;
inline constexpr size_t kMaxTimeText = 48;
inline constexpr size_t kMaxTimestampText = 72;
char* WriteDate(char* p, int64_t days);
char* WriteTime(char* p, int64_t micros_of_day, bool utc);
char* WriteTimestamp(char* p, int64_t micros, bool utc);
//! Appends "HH:MM:SS[.ffffff]" plus "Z" when `utc` is true.
void AppendTime(std::string& out, int64_t micros_of_day, bool utc);
//! Appends "YYYY-MM-DDTHH:MM:SS[.ffffff]" plus "Z" when `utc`; " BC" last for years <= 0.
void AppendTimestamp(std::string& out, int64_t micros, bool utc);

//! Parses "YYYY-MM-DD[ BC]".
std::optional<int64_t> ParseDate(std::string_view text);
//! Parses "HH:MM:SS[.f+]" with an optional offset ("Z", "+02:00", "-0530"), returned as UTC
//! when an offset is present. `had_offset` tells whether one was.
std::optional<int64_t> ParseTime(std::string_view text, bool* had_offset = nullptr);
//! Parses "YYYY-MM-DD[T| ]HH:MM:SS[.f+][offset][ BC]" or a bare date (midnight); an offset is
//! applied so the result is UTC. `had_offset` tells whether one was.
std::optional<int64_t> ParseTimestamp(std::string_view text, bool* had_offset = nullptr);

//! Wall-clock now, microseconds since the epoch.
int64_t NowMicros();
//! Monotonic clock, microseconds.
int64_t MonotonicMicros();

}  // namespace sluice
