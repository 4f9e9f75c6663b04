#pragma once
// Cron expressions: parsing and "when does it fire next", in an IANA time zone.
//
// Two dialects, told apart by the number of fields:
// - 5 fields, Unix cron: `minute hour day-of-month month day-of-week`. Day-of-week 0-7 with 0
//   and 7 = Sunday. When both day fields are restricted (anything but `*` or `?`), a day
//   matches if EITHER matches (the Vixie rule; `*/2` counts as restricted, as in cron-parser).
// - 6 or 7 fields, Quartz (what Airbyte's cronExpression is): `second minute hour
//   day-of-month month day-of-week [year]`. Day-of-week 1-7 with 1 = Sunday; exactly one of
//   the day fields must be `?`; year 1970-2199.
// Both: lists `a,b`, ranges `a-b`, steps `*/n`, `a/n`, `a-b/n`; names JAN-DEC and SUN-SAT in any
// case. Day-of-month alone may be `L` (last day), `L-n` (n days before it), `LW` (last
// weekday), `nW` (weekday nearest day n, within the month). Day-of-week alone may be `dL`
// (last d of the month), `d#n` (n-th d of the month, n 1-5) or `L` (Saturday, as in Quartz).
// Ranges must go upwards (`FRI-MON` is an error).
//
// Time zone changes: a local time that does not exist (spring forward) fires at that wall time
// shifted by the gap, as Quartz and cron-parser do (02:30 on a one-hour gap fires at 03:30); a
// local time that happens twice (fall back) fires once, at its first occurrence — except when
// the hour field is every hour, where the schedule follows real time and both passes fire
// (cron-parser and Vixie cron do the same for such "hourly" entries).

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "base/status.h"

namespace sluice {

//! Loads an IANA time zone ("Europe/Amsterdam", "UTC") from the system database
//! (/usr/share/zoneinfo). An unknown name is a config error naming it.
Result<absl::TimeZone> LoadTimeZone(std::string_view name);

//! A parsed cron expression; immutable, copyable, safe to share between threads.
class CronExpression {
 public:
  //! Parses `text` (5 fields: Unix; 6 or 7: Quartz). Errors are config errors naming the
  //! field and the bad token: "cron '0 25 * * *': hour field: 25 is out of range 0-23".
  static Result<CronExpression> Parse(std::string_view text);

  //! The first fire time strictly after `after`, reading wall times in `zone`; nullopt when
  //! it never fires again (searches up to the year 2199).
  std::optional<absl::Time> Next(absl::Time after, const absl::TimeZone& zone) const;

  const std::string& text() const { return text_; }
  bool quartz() const { return quartz_; }

 private:
  enum class DayOfMonthRule { kSet, kLast, kLastWeekday, kNearestWeekday };
  enum class DayOfWeekRule { kSet, kLastInMonth, kNth };

  CronExpression() = default;
  Status ParseDayOfMonth(std::string_view token);
  Status ParseDayOfWeek(std::string_view token);
  //! The first matching civil time strictly after `from`.
  std::optional<absl::CivilSecond> NextCivil(absl::CivilSecond from) const;
  bool DayMatches(absl::CivilDay day) const;
  //! The first matching time of day at or after `second_of_day`, as seconds since midnight.
  std::optional<int> NextTimeOfDay(int second_of_day) const;

  std::string text_;
  bool quartz_ = false;
  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  //!< index = day; for DayOfMonthRule::kSet
  std::bitset<13> months_;         //!< index = month 1-12
  std::bitset<7> days_of_week_;    //!< index 0 = Sunday; for DayOfWeekRule::kSet
  std::bitset<230> years_;         //!< index = year - 1970 (1970-2199)
  bool any_day_of_month_ = true;   //!< `*` or `?`: not restricted (Vixie rule)
  bool any_day_of_week_ = true;
  DayOfMonthRule day_of_month_rule_ = DayOfMonthRule::kSet;
  int day_of_month_arg_ = 0;  //!< kLast: days before the last; kNearestWeekday: the day
  DayOfWeekRule day_of_week_rule_ = DayOfWeekRule::kSet;
  int weekday_ = 0;  //!< kLastInMonth / kNth: 0 = Sunday
  int nth_ = 0;      //!< kNth: 1-5
};

}  // namespace sluice
