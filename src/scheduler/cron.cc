#include "scheduler/cron.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <vector>

namespace sluice {
namespace {

constexpr int kFirstYear = 1970;
constexpr int kLastYear = 2199;

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

//! One field's bounds and, for month and day-of-week, the value of its first name.
struct Field {
  std::string_view name;
  int min;
  int max;
  const std::string_view* names = nullptr;  //!< kMonthNames or kDayNames
  size_t name_count = 0;
  int first_name_value = 0;  //!< JAN = 1; SUN = 0 (Unix) or 1 (Quartz)
};

constexpr Field kSecond{"second", 0, 59};
constexpr Field kMinute{"minute", 0, 59};
constexpr Field kHour{"hour", 0, 23};
constexpr Field kDayOfMonth{"day-of-month", 1, 31};
constexpr Field kMonth{"month", 1, 12, kMonthNames.data(), kMonthNames.size(), 1};
constexpr Field kUnixDayOfWeek{"day-of-week", 0, 7, kDayNames.data(), kDayNames.size(), 0};
constexpr Field kQuartzDayOfWeek{"day-of-week", 1, 7, kDayNames.data(), kDayNames.size(), 1};
constexpr Field kYear{"year", kFirstYear, kLastYear};

bool IsDigits(std::string_view s) {
  if (s.empty() || s.size() > 4) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int ToInt(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == sep) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

//! A number or, where the field has them, a name ("JAN", "fri").
Result<int> ParseValue(std::string_view token, const Field& field) {
  if (IsDigits(token)) {
    const int v = ToInt(token);
    if (v < field.min || v > field.max) {
      return Status::ConfigError(fmt::format("{} is out of range {}-{}", token, field.min, field.max));
    }
    return v;
  }
  for (size_t i = 0; i < field.name_count; ++i) {
    if (EqualsIgnoreCase(token, field.names[i])) return field.first_name_value + static_cast<int>(i);
  }
  if (token == "?") {
    return Status::ConfigError("'?' is only allowed in the day-of-month and day-of-week fields");
  }
  if (token.empty()) return Status::ConfigError("a value is missing");
  return Status::ConfigError(
      fmt::format("'{}' is not a {}", token, field.names ? "number or name" : "number"));
}

//! A list of `*`, `v`, `a-b`, each optionally `/step`; returns the values in order.
Result<std::vector<int>> ParseList(std::string_view text, const Field& field) {
  std::vector<int> values;
  for (std::string_view item : Split(text, ',')) {
    std::string_view range = item;
    int step = 1;
    const bool has_step = item.find('/') != std::string_view::npos;
    if (has_step) {
      range = item.substr(0, item.find('/'));
      const std::string_view step_text = item.substr(item.find('/') + 1);
      const int span = field.max - field.min + 1;
      if (!IsDigits(step_text) || ToInt(step_text) < 1 || ToInt(step_text) > span) {
        return Status::ConfigError(
            fmt::format("step '{}' in '{}' must be a number from 1 to {}", step_text, item, span));
      }
      step = ToInt(step_text);
    }
    int low = field.min;
    int high = field.max;
    if (range != "*") {
      const size_t dash = range.find('-');
      SLUICE_ASSIGN_OR_RETURN(low, ParseValue(range.substr(0, dash), field));
      if (dash != std::string_view::npos) {
        SLUICE_ASSIGN_OR_RETURN(high, ParseValue(range.substr(dash + 1), field));
        if (low > high) return Status::ConfigError(fmt::format("range '{}' goes downwards", range));
      } else if (!has_step) {
        high = low;
      }
    }
    for (int v = low; v <= high; v += step) values.push_back(v);
  }
  return values;
}

template <size_t N>
Status ParseInto(std::string_view text, const Field& field, std::bitset<N>& bits, int offset = 0) {
  SLUICE_ASSIGN_OR_RETURN(std::vector<int> values, ParseList(text, field));
  for (int v : values) bits.set(v - offset);
  return Status::Ok();
}

int DaysInMonth(absl::CivilDay day) { return (absl::CivilDay(absl::CivilMonth(day) + 1) - 1).day(); }

//! 0 = Sunday … 6 = Saturday.
int WeekdayOf(absl::CivilDay day) { return (static_cast<int>(absl::GetWeekday(day)) + 1) % 7; }

//! Quartz `nW`: the weekday nearest day `target`, without leaving the month; 0 if none.
int NearestWeekday(absl::CivilDay any_day_of_month, int target) {
  const int last = DaysInMonth(any_day_of_month);
  if (target > last) return 0;
  const int weekday = WeekdayOf(absl::CivilDay(any_day_of_month.year(), any_day_of_month.month(), target));
  if (weekday == 6) return target == 1 ? 3 : target - 1;
  if (weekday == 0) return target == last ? target - 2 : target + 1;
  return target;
}

}  // namespace

Result<absl::TimeZone> LoadTimeZone(std::string_view name) {
  absl::TimeZone zone;
  if (name.empty() || !absl::LoadTimeZone(std::string(name), &zone)) {
    return Status::ConfigError(fmt::format("unknown time zone '{}'", name));
  }
  return zone;
}

Result<CronExpression> CronExpression::Parse(std::string_view text) {
  std::vector<std::string_view> tokens;
  for (std::string_view t : Split(text, ' ')) {
    for (std::string_view u : Split(t, '\t')) {
      if (!u.empty()) tokens.push_back(u);
    }
  }
  const std::string context = fmt::format("cron '{}'", text);
  if (tokens.size() < 5 || tokens.size() > 7) {
    return Status::ConfigError(
        fmt::format("{}: expected 5 fields (minute hour day-of-month month day-of-week) or 6-7 Quartz fields "
                    "(second minute hour day-of-month month day-of-week [year]), got {}",
                    context, tokens.size()));
  }
  CronExpression cron;
  cron.text_ = std::string(text);
  cron.quartz_ = tokens.size() >= 6;
  size_t i = 0;
  auto in_field = [&](const Field& field, Status status) {
    return status.WithContext(fmt::format("{}: {} field", context, field.name));
  };
  if (cron.quartz_) {
    if (Status s = ParseInto(tokens[i++], kSecond, cron.seconds_); !s.ok()) return in_field(kSecond, s);
  } else {
    cron.seconds_.set(0);
  }
  if (Status s = ParseInto(tokens[i++], kMinute, cron.minutes_); !s.ok()) return in_field(kMinute, s);
  if (Status s = ParseInto(tokens[i++], kHour, cron.hours_); !s.ok()) return in_field(kHour, s);
  const std::string_view day_of_month = tokens[i++];
  if (Status s = cron.ParseDayOfMonth(day_of_month); !s.ok()) return in_field(kDayOfMonth, s);
  if (Status s = ParseInto(tokens[i++], kMonth, cron.months_); !s.ok()) return in_field(kMonth, s);
  const std::string_view day_of_week = tokens[i++];
  if (Status s = cron.ParseDayOfWeek(day_of_week); !s.ok()) return in_field(kQuartzDayOfWeek, s);
  if (i < tokens.size()) {
    if (Status s = ParseInto(tokens[i], kYear, cron.years_, kFirstYear); !s.ok()) return in_field(kYear, s);
  } else {
    cron.years_.set();
  }
  if (cron.quartz_ && (day_of_month == "?") == (day_of_week == "?")) {
    return Status::ConfigError(fmt::format(
        "{}: exactly one of day-of-month ('{}') and day-of-week ('{}') must be '?' in a Quartz expression",
        context, day_of_month, day_of_week));
  }
  return cron;
}

Status CronExpression::ParseDayOfMonth(std::string_view token) {
  any_day_of_month_ = token == "*" || token == "?";
  if (token == "?") token = "*";
  if (token == "L" || token == "LW") {
    day_of_month_rule_ = token == "L" ? DayOfMonthRule::kLast : DayOfMonthRule::kLastWeekday;
    return Status::Ok();
  }
  if (token.starts_with("L-")) {
    const std::string_view n = token.substr(2);
    if (!IsDigits(n) || ToInt(n) > 30) {
      return Status::ConfigError(fmt::format("'{}': L-n needs n from 0 to 30", token));
    }
    day_of_month_rule_ = DayOfMonthRule::kLast;
    day_of_month_arg_ = ToInt(n);
    return Status::Ok();
  }
  if (token.size() > 1 && token.ends_with('W')) {
    SLUICE_ASSIGN_OR_RETURN(day_of_month_arg_, ParseValue(token.substr(0, token.size() - 1), kDayOfMonth));
    day_of_month_rule_ = DayOfMonthRule::kNearestWeekday;
    return Status::Ok();
  }
  return ParseInto(token, kDayOfMonth, days_of_month_);
}

Status CronExpression::ParseDayOfWeek(std::string_view token) {
  any_day_of_week_ = token == "*" || token == "?";
  if (token == "?") token = "*";
  const Field& field = quartz_ ? kQuartzDayOfWeek : kUnixDayOfWeek;
  auto sunday_zero = [&](int v) { return quartz_ ? v - 1 : v % 7; };
  if (token == "L") {  // Quartz: the last day of the week, Saturday
    days_of_week_.set(6);
    return Status::Ok();
  }
  if (token.size() > 1 && token.ends_with('L')) {
    SLUICE_ASSIGN_OR_RETURN(int v, ParseValue(token.substr(0, token.size() - 1), field));
    day_of_week_rule_ = DayOfWeekRule::kLastInMonth;
    weekday_ = sunday_zero(v);
    return Status::Ok();
  }
  if (const size_t hash = token.find('#'); hash != std::string_view::npos) {
    SLUICE_ASSIGN_OR_RETURN(int v, ParseValue(token.substr(0, hash), field));
    const std::string_view n = token.substr(hash + 1);
    if (!IsDigits(n) || ToInt(n) < 1 || ToInt(n) > 5) {
      return Status::ConfigError(fmt::format("'{}': the occurrence after '#' must be 1-5", token));
    }
    day_of_week_rule_ = DayOfWeekRule::kNth;
    weekday_ = sunday_zero(v);
    nth_ = ToInt(n);
    return Status::Ok();
  }
  SLUICE_ASSIGN_OR_RETURN(std::vector<int> values, ParseList(token, field));
  for (int v : values) days_of_week_.set(sunday_zero(v));
  return Status::Ok();
}

bool CronExpression::DayMatches(absl::CivilDay day) const {
  const int d = day.day();
  const int last = DaysInMonth(day);
  bool day_of_month = false;
  switch (day_of_month_rule_) {
    case DayOfMonthRule::kSet: day_of_month = days_of_month_[d]; break;
    case DayOfMonthRule::kLast: day_of_month = d == last - day_of_month_arg_; break;
    case DayOfMonthRule::kLastWeekday: day_of_month = d == NearestWeekday(day, last); break;
    case DayOfMonthRule::kNearestWeekday: day_of_month = d == NearestWeekday(day, day_of_month_arg_); break;
  }
  const int weekday = WeekdayOf(day);
  bool day_of_week = false;
  switch (day_of_week_rule_) {
    case DayOfWeekRule::kSet: day_of_week = days_of_week_[weekday]; break;
    case DayOfWeekRule::kLastInMonth: day_of_week = weekday == weekday_ && d + 7 > last; break;
    case DayOfWeekRule::kNth: day_of_week = weekday == weekday_ && (d - 1) / 7 + 1 == nth_; break;
  }
  if (any_day_of_month_) return any_day_of_week_ || day_of_week;
  if (any_day_of_week_) return day_of_month;
  return day_of_month || day_of_week;  // the Vixie rule
}

std::optional<int> CronExpression::NextTimeOfDay(int second_of_day) const {
  const int from_hour = second_of_day / 3600;
  const int from_minute = second_of_day / 60 % 60;
  for (int h = from_hour; h < 24; ++h) {
    if (!hours_[h]) continue;
    for (int m = h == from_hour ? from_minute : 0; m < 60; ++m) {
      if (!minutes_[m]) continue;
      for (int s = h == from_hour && m == from_minute ? second_of_day % 60 : 0; s < 60; ++s) {
        if (seconds_[s]) return h * 3600 + m * 60 + s;
      }
    }
  }
  return std::nullopt;
}

std::optional<absl::CivilSecond> CronExpression::NextCivil(absl::CivilSecond from) const {
  const absl::CivilSecond start = from + 1;
  absl::CivilDay day(start);
  int first_second = static_cast<int>(start - absl::CivilSecond(day));
  while (day.year() <= kLastYear) {
    if (day.year() < kFirstYear) {
      day = absl::CivilDay(kFirstYear, 1, 1);
    } else if (!years_[day.year() - kFirstYear]) {
      day = absl::CivilDay(absl::CivilYear(day) + 1);
    } else if (!months_[day.month()]) {
      day = absl::CivilDay(absl::CivilMonth(day) + 1);
    } else {
      if (DayMatches(day)) {
        if (std::optional<int> t = NextTimeOfDay(first_second)) return absl::CivilSecond(day) + *t;
      }
      ++day;
    }
    first_second = 0;
  }
  return std::nullopt;
}

std::optional<absl::Time> CronExpression::Next(absl::Time after, const absl::TimeZone& zone) const {
  using TimeInfo = absl::TimeZone::TimeInfo;
  std::optional<absl::Time> next;
  for (auto c = NextCivil(absl::ToCivilSecond(after, zone)); c; c = NextCivil(*c)) {
    // Skipped wall time: `pre` reads it with the offset before the gap, i.e. shifted forward by
    // the gap. Repeated: `pre` is the first pass; `post` only when `after` is already past it.
    const TimeInfo info = zone.At(*c);
    const absl::Time t = info.kind == TimeInfo::REPEATED && info.pre <= after ? info.post : info.pre;
    if (t > after) {
      next = t;
      break;
    }
  }
  if (hours_.all()) {
    // Every hour: follow real time, so the second pass of a repeated hour fires too. The wall
    // clock jumps back at the next transition; look for a match in the repeated range.
    absl::TimeZone::CivilTransition transition;
    if (zone.NextTransition(after, &transition) && transition.to < transition.from &&
        (!next || zone.At(transition.to).trans <= *next)) {
      if (auto c = NextCivil(transition.to - 1)) {
        const TimeInfo info = zone.At(*c);
        const absl::Time t = info.kind == TimeInfo::REPEATED ? info.post : info.pre;
        if (t > after && (!next || t < *next)) next = t;
      }
    }
  }
  return next;
}

}  // namespace sluice
