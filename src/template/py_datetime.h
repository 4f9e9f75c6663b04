#pragma once
// Python's datetime text forms, as the templates and Airbyte's datetime cursor use them:
// strftime / strptime with Airbyte's epoch formats (%s, %ms, %s_as_float,
// %epoch_microseconds), ISO 8601 durations (P1D, PT1H, P1M) and the lenient ISO 8601 / RFC 3339
// parse of Airbyte's ab_datetime_parse. Datetimes are microseconds since the epoch, UTC.
// Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

//! An ISO 8601 duration. Years and months are kept apart from the rest because their length
//! depends on the date they are added to (P1M from Jan 31 is Feb 28/29, as isodate does).
struct IsoDuration {
  int64_t months = 0;
  int64_t micros = 0;
  bool operator==(const IsoDuration&) const = default;
};

//! Parses "PnYnMnWnDTnHnMnS" (fractions allowed on the last unit, a leading '-' negates);
//! nullopt when `text` is not one.
std::optional<IsoDuration> ParseIsoDuration(std::string_view text);
//! `micros` + `sign` × `duration`: months first (day clipped to the month's length), then the rest.
int64_t AddDuration(int64_t micros, const IsoDuration& duration, int sign = 1);

//! Python's datetime.strftime of `micros` (UTC), plus Airbyte's whole-format epoch forms:
//! "%s" (seconds), "%ms" (milliseconds), "%s_as_float", "%epoch_microseconds". `%z` is "+0000"
//! and `%Z` "UTC" when `tz_aware`, empty otherwise. Unknown directives are copied as written.
std::string FormatDatetime(int64_t micros, std::string_view format, bool tz_aware = true);
//! Python's datetime.strptime with `format` (the whole text must match), plus the epoch forms
//! above; %z accepts Z, ±HH:MM and ±HHMM; the result is UTC (no offset: taken as UTC).
std::optional<int64_t> ParseDatetime(std::string_view text, std::string_view format);
//! Airbyte's lenient parse: a date, an ISO 8601 / RFC 3339 date-time (T or space, optional
//! fraction and offset or Z), or an integer epoch in seconds.
std::optional<int64_t> ParseAnyDatetime(std::string_view text);
//! Python's str(datetime): "YYYY-MM-DD HH:MM:SS[.ffffff]" plus "+00:00" when `tz_aware`;
//! with `separator` 'T' it is isoformat().
std::string PythonDatetimeText(int64_t micros, bool tz_aware, char separator = ' ');
//! Python's str(timedelta): "[D day[s], ]H:MM:SS[.ffffff]".
std::string PythonTimedeltaText(int64_t micros);

}  // namespace sluice
