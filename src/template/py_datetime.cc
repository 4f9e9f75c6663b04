#include "template/py_datetime.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "base/time.h"

namespace sluice {
namespace {

constexpr const char* kMonthNames[] = {"January", "February", "March",     "April",   "May",      "June",
                                       "July",    "August",   "September", "October", "November", "December"};
constexpr const char* kDayNames[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

//! The broken-down UTC time of `micros`.
struct Civil {
  int64_t year;
  unsigned month, day;
  int64_t hour, minute, second, micro;
  int64_t days;  // since the epoch
};

Civil ToCivil(int64_t micros) {
  Civil c{};
  c.days = FloorDiv(micros, kMicrosPerDay);
  int64_t rest = micros - c.days * kMicrosPerDay;
  CivilFromDays(c.days, c.year, c.month, c.day);
  c.hour = rest / (3600 * kMicrosPerSecond);
  rest %= 3600 * kMicrosPerSecond;
  c.minute = rest / (60 * kMicrosPerSecond);
  rest %= 60 * kMicrosPerSecond;
  c.second = rest / kMicrosPerSecond;
  c.micro = rest % kMicrosPerSecond;
  return c;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

std::string FloatText(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// Reads up to `max_digits` digits (at least one) at text[pos].
bool ReadInt(std::string_view text, size_t& pos, int max_digits, int64_t& out, bool allow_sign = false) {
  bool negative = false;
  if (allow_sign && pos < text.size() && (text[pos] == '-' || text[pos] == '+')) {
    negative = text[pos] == '-';
    ++pos;
  }
  size_t start = pos;
  out = 0;
  while (pos < text.size() && pos - start < size_t(max_digits) && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    out = out * 10 + (text[pos] - '0');
    ++pos;
  }
  if (negative) out = -out;
  return pos > start;
}

bool ReadName(std::string_view text, size_t& pos, const char* const* names, int count, bool abbreviated, int64_t& out) {
  for (int i = 0; i < count; ++i) {
    std::string_view name = names[i];
    if (abbreviated) name = name.substr(0, 3);
    if (text.size() - pos >= name.size()) {
      bool match = true;
      for (size_t k = 0; k < name.size() && match; ++k) {
        match = std::tolower(static_cast<unsigned char>(text[pos + k])) == std::tolower(static_cast<unsigned char>(name[k]));
      }
      if (match) {
        pos += name.size();
        out = i;
        return true;
      }
    }
  }
  return false;
}

// An offset "Z", "+HH:MM", "+HHMM", "+HH" at text[pos], in microseconds east of UTC.
bool ReadOffset(std::string_view text, size_t& pos, int64_t& offset_micros) {
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
    offset_micros = 0;
    return true;
  }
  if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) return false;
  const int sign = text[pos] == '-' ? -1 : 1;
  ++pos;
  int64_t hh = 0, mm = 0;
  size_t p = pos;
  if (!ReadInt(text, p, 2, hh) || p - pos != 2) return false;
  if (p < text.size() && text[p] == ':') ++p;
  size_t q = p;
  if (ReadInt(text, q, 2, mm) && q - p == 2) p = q; else mm = 0;
  pos = p;
  offset_micros = sign * (hh * 3600 + mm * 60) * kMicrosPerSecond;
  return true;
}

}  // namespace

std::optional<IsoDuration> ParseIsoDuration(std::string_view text) {
  IsoDuration d;
  size_t pos = 0;
  int sign = 1;
  if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) sign = text[pos++] == '-' ? -1 : 1;
  if (pos >= text.size() || (text[pos] != 'P' && text[pos] != 'p')) return std::nullopt;
  ++pos;
  bool in_time = false, any = false;
  double micros = 0;
  while (pos < text.size()) {
    if (text[pos] == 'T' || text[pos] == 't') {
      in_time = true;
      ++pos;
      continue;
    }
    size_t start = pos;
    while (pos < text.size() && (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.' || text[pos] == ',')) ++pos;
    if (pos == start || pos >= text.size()) return std::nullopt;
    std::string number(text.substr(start, pos - start));
    for (char& c : number) if (c == ',') c = '.';
    double value = 0;
    auto r = std::from_chars(number.data(), number.data() + number.size(), value);
    if (r.ec != std::errc() || r.ptr != number.data() + number.size()) return std::nullopt;
    const char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(text[pos++])));
    any = true;
    if (!in_time) {
      switch (unit) {
        case 'Y': d.months += static_cast<int64_t>(value * 12); break;
        case 'M': d.months += static_cast<int64_t>(value); break;
        case 'W': micros += value * 7 * kMicrosPerDay; break;
        case 'D': micros += value * kMicrosPerDay; break;
        default: return std::nullopt;
      }
    } else {
      switch (unit) {
        case 'H': micros += value * 3600 * kMicrosPerSecond; break;
        case 'M': micros += value * 60 * kMicrosPerSecond; break;
        case 'S': micros += value * kMicrosPerSecond; break;
        default: return std::nullopt;
      }
    }
  }
  if (!any) return std::nullopt;
  d.micros = static_cast<int64_t>(std::llround(micros)) * sign;
  d.months *= sign;
  return d;
}

int64_t AddDuration(int64_t micros, const IsoDuration& duration, int sign) {
  if (duration.months != 0) {
    Civil c = ToCivil(micros);
    const int64_t rest = micros - c.days * kMicrosPerDay;
    int64_t month_index = c.year * 12 + (c.month - 1) + sign * duration.months;
    const int64_t year = FloorDiv(month_index, 12);
    const unsigned month = static_cast<unsigned>(month_index - year * 12 + 1);
    const unsigned day = std::min(c.day, DaysInMonth(year, month));
    micros = DaysFromCivil(year, month, day) * kMicrosPerDay + rest;
  }
  return micros + sign * duration.micros;
}

std::string FormatDatetime(int64_t micros, std::string_view format, bool tz_aware) {
  if (format == "%s") return std::to_string(FloorDiv(micros, kMicrosPerSecond));
  if (format == "%ms") return std::to_string(FloorDiv(micros, 1000));
  if (format == "%epoch_microseconds") return std::to_string(micros);
  if (format == "%s_as_float") return FloatText(static_cast<double>(micros) / kMicrosPerSecond);
  const Civil c = ToCivil(micros);
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 == format.size()) {
      out += format[i];
      continue;
    }
    const char d = format[++i];
    const int64_t weekday = ((c.days % 7) + 7 + 3) % 7;  // 1970-01-01 was a Thursday (Monday = 0)
    switch (d) {
      case 'Y': out += fmt::format("{:04d}", c.year); break;
      case 'y': out += fmt::format("{:02d}", ((c.year % 100) + 100) % 100); break;
      case 'm': out += fmt::format("{:02d}", c.month); break;
      case 'd': out += fmt::format("{:02d}", c.day); break;
      case 'H': out += fmt::format("{:02d}", c.hour); break;
      case 'I': out += fmt::format("{:02d}", c.hour % 12 == 0 ? 12 : c.hour % 12); break;
      case 'p': out += c.hour < 12 ? "AM" : "PM"; break;
      case 'M': out += fmt::format("{:02d}", c.minute); break;
      case 'S': out += fmt::format("{:02d}", c.second); break;
      case 'f': out += fmt::format("{:06d}", c.micro); break;
      case 'z': if (tz_aware) out += "+0000"; break;
      case 'Z': if (tz_aware) out += "UTC"; break;
      case 'j': out += fmt::format("{:03d}", c.days - DaysFromCivil(c.year, 1, 1) + 1); break;
      case 'b': case 'h': out += std::string_view(kMonthNames[c.month - 1]).substr(0, 3); break;
      case 'B': out += kMonthNames[c.month - 1]; break;
      case 'a': out += std::string_view(kDayNames[weekday]).substr(0, 3); break;
      case 'A': out += kDayNames[weekday]; break;
      case 'w': out += std::to_string((weekday + 1) % 7); break;
      case 'u': out += std::to_string(weekday + 1); break;
      case 's': out += std::to_string(FloorDiv(micros, kMicrosPerSecond)); break;
      case '%': out += '%'; break;
      default: out += '%'; out += d; break;
    }
  }
  return out;
}

std::optional<int64_t> ParseDatetime(std::string_view text, std::string_view format) {
  auto integer = [&](std::string_view t) -> std::optional<int64_t> {
    int64_t v = 0;
    auto r = std::from_chars(t.data(), t.data() + t.size(), v);
    if (r.ec != std::errc() || r.ptr != t.data() + t.size()) return std::nullopt;
    return v;
  };
  if (format == "%s") {
    if (auto v = integer(text)) return *v * kMicrosPerSecond;
    return std::nullopt;
  }
  if (format == "%ms") {
    if (auto v = integer(text)) return *v * 1000;
    return std::nullopt;
  }
  if (format == "%epoch_microseconds") return integer(text);
  if (format == "%s_as_float") {
    double v = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
    return static_cast<int64_t>(std::llround(v * kMicrosPerSecond));
  }
  int64_t year = 1900, month = 1, day = 1, hour = 0, minute = 0, second = 0, micro = 0, offset = 0;
  int64_t hour12 = -1, pm = -1, yday = -1;
  std::optional<int64_t> epoch;
  size_t pos = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 == format.size()) {
      if (std::isspace(static_cast<unsigned char>(format[i]))) {
        while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
        continue;
      }
      if (pos >= text.size() || text[pos] != format[i]) return std::nullopt;
      ++pos;
      continue;
    }
    const char d = format[++i];
    bool ok = true;
    int64_t v = 0;
    switch (d) {
      case 'Y': ok = ReadInt(text, pos, 4, year); break;
      case 'y': ok = ReadInt(text, pos, 2, v); year = v < 69 ? 2000 + v : 1900 + v; break;
      case 'm': ok = ReadInt(text, pos, 2, month); break;
      case 'd': ok = ReadInt(text, pos, 2, day); break;
      case 'H': ok = ReadInt(text, pos, 2, hour); break;
      case 'I': ok = ReadInt(text, pos, 2, hour12); break;
      case 'M': ok = ReadInt(text, pos, 2, minute); break;
      case 'S': ok = ReadInt(text, pos, 2, second); break;
      case 'j': ok = ReadInt(text, pos, 3, yday); break;
      case 'f': {
        size_t start = pos;
        ok = ReadInt(text, pos, 6, micro);
        for (size_t n = pos - start; ok && n < 6; ++n) micro *= 10;
        break;
      }
      case 'z': ok = ReadOffset(text, pos, offset); break;
      case 'Z': {
        if (text.substr(pos, 3) == "UTC" || text.substr(pos, 3) == "GMT") pos += 3;
        else ok = false;
        break;
      }
      case 'p': {
        std::string_view t = text.substr(pos, 2);
        if (t == "AM" || t == "am") pm = 0;
        else if (t == "PM" || t == "pm") pm = 1;
        else ok = false;
        pos += 2;
        break;
      }
      case 'b': case 'h': ok = ReadName(text, pos, kMonthNames, 12, true, v); month = v + 1; break;
      case 'B': ok = ReadName(text, pos, kMonthNames, 12, false, v); month = v + 1; break;
      case 'a': ok = ReadName(text, pos, kDayNames, 7, true, v); break;
      case 'A': ok = ReadName(text, pos, kDayNames, 7, false, v); break;
      case 's': ok = ReadInt(text, pos, 19, v, true); epoch = v * kMicrosPerSecond; break;
      case '%': ok = pos < text.size() && text[pos++] == '%'; break;
      default: return std::nullopt;
    }
    if (!ok) return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  if (epoch) return *epoch;
  if (hour12 >= 0) hour = hour12 % 12 + (pm == 1 ? 12 : 0);
  else if (pm == 1 && hour < 12) hour += 12;
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, unsigned(month)) || hour > 23 || minute > 59 ||
      second > 61) {
    return std::nullopt;
  }
  int64_t days = yday > 0 ? DaysFromCivil(year, 1, 1) + yday - 1 : DaysFromCivil(year, unsigned(month), unsigned(day));
  return days * kMicrosPerDay + ((hour * 60 + minute) * 60 + second) * kMicrosPerSecond + micro - offset;
}

std::optional<int64_t> ParseAnyDatetime(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  bool all_digits = true;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])) && !(i == 0 && text[i] == '-')) all_digits = false;
  }
  if (all_digits && text.size() != 8) return ParseDatetime(text, "%s");
  if (auto t = ParseTimestamp(text)) return t;
  // Forms ParseTimestamp does not take: "2024-01-02T03:04Z", "20240102", "2024-01-02T03:04:05+0000".
  for (const char* f : {"%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M", "%Y%m%d", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z",
                        "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%fZ"}) {
    if (auto t = ParseDatetime(text, f)) return t;
  }
  return std::nullopt;
}

std::string PythonDatetimeText(int64_t micros, bool tz_aware, char separator) {
  const Civil c = ToCivil(micros);
  std::string out = fmt::format("{:04d}-{:02d}-{:02d}{}{:02d}:{:02d}:{:02d}", c.year, c.month, c.day, separator, c.hour,
                                c.minute, c.second);
  if (c.micro != 0) out += fmt::format(".{:06d}", c.micro);
  if (tz_aware) out += "+00:00";
  return out;
}

std::string PythonTimedeltaText(int64_t micros) {
  const int64_t days = FloorDiv(micros, kMicrosPerDay);
  int64_t rest = micros - days * kMicrosPerDay;
  std::string out;
  if (days != 0) out = fmt::format("{} day{}, ", days, days == 1 || days == -1 ? "" : "s");
  const int64_t seconds = rest / kMicrosPerSecond;
  out += fmt::format("{}:{:02d}:{:02d}", seconds / 3600, (seconds / 60) % 60, seconds % 60);
  if (rest % kMicrosPerSecond != 0) out += fmt::format(".{:06d}", rest % kMicrosPerSecond);
  return out;
}

}  // namespace sluice
