#include "base/time.h"

#include <array>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>

namespace sluice {

// Howard Hinnant's public-domain civil calendar algorithms.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

namespace {

// Zero-padded to `width` digits (at most 24).
char* WriteDigits(char* out, uint64_t value, int width) {
  char buf[24];
  char* end = buf + sizeof(buf);
  char* p = end;
  do {
    *--p = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 && p > buf);
  while (end - p < width && p > buf) *--p = '0';
  const auto n = static_cast<size_t>(end - p);
  std::memcpy(out, p, n);
  return out + n;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Writes the date part; sets `bc` when the year is BC (the caller writes " BC" last).
char* WriteDatePart(char* p, int64_t days, bool& bc) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  bc = y <= 0;
  p = WriteDigits(p, static_cast<uint64_t>(bc ? 1 - y : y), 4);
  *p++ = '-';
  p = WriteDigits(p, m, 2);
  *p++ = '-';
  return WriteDigits(p, d, 2);
}

char* WriteTimePart(char* p, int64_t micros) {
  const int64_t secs = micros / kMicrosPerSecond;
  const int64_t frac = micros % kMicrosPerSecond;
  p = WriteDigits(p, static_cast<uint64_t>(secs / 3600), 2);
  *p++ = ':';
  p = WriteDigits(p, static_cast<uint64_t>(secs / 60 % 60), 2);
  *p++ = ':';
  p = WriteDigits(p, static_cast<uint64_t>(secs % 60), 2);
  if (frac != 0) {
    *p++ = '.';
    int64_t f = frac;
    int width = 6;
    while (f % 10 == 0) {
      f /= 10;
      --width;
    }
    p = WriteDigits(p, static_cast<uint64_t>(f), width);
  }
  return p;
}

// "00".."99": two digits per table look-up.
constexpr auto kDigitPairs = [] {
  std::array<char, 200> t{};
  for (int i = 0; i < 100; ++i) {
    t[2 * i] = static_cast<char>('0' + i / 10);
    t[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

inline char* Put2(char* p, unsigned v) {
  std::memcpy(p, &kDigitPairs[2 * v], 2);
  return p + 2;
}

// "YYYY-MM-DD" for years 1..9999, two digits at a time (the same text as WriteDatePart).
inline char* WriteYmd(char* p, unsigned y, unsigned m, unsigned d) {
  p = Put2(p, y / 100);
  p = Put2(p, y % 100);
  *p++ = '-';
  p = Put2(p, m);
  *p++ = '-';
  return Put2(p, d);
}

char* WriteBc(char* p) {
  std::memcpy(p, " BC", 3);
  return p + 3;
}

struct Cursor {
  std::string_view s;
  size_t i = 0;
  bool Done() const { return i >= s.size(); }
  char Peek() const { return i < s.size() ? s[i] : '\0'; }
  bool Digits(int count, int64_t& out) {
    out = 0;
    for (int k = 0; k < count; ++k) {
      if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i++] - '0');
    }
    return true;
  }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++i;
    return true;
  }
};

bool ParseDateAt(Cursor& c, int64_t& days) {
  int64_t y, m, d;
  const std::string_view s = c.s.substr(c.i);
  const auto digit = [&](size_t k) { return static_cast<unsigned>(s[k] - '0') <= 9; };
  const auto number = [&](size_t k, size_t n) {
    int64_t v = 0;
    for (size_t e = k + n; k < e; ++k) v = v * 10 + (s[k] - '0');
    return v;
  };
  if (s.size() >= 10 && s[4] == '-' && s[7] == '-' && digit(0) && digit(1) && digit(2) && digit(3) && digit(5) &&
      digit(6) && digit(8) && digit(9)) {
    // "YYYY-MM-DD", the usual spelling (the protocol reader parses millions), read in place.
    y = number(0, 4);
    m = number(5, 2);
    d = number(8, 2);
    c.i += 10;
  } else {
    size_t start = c.i;
    while (!c.Done() && c.Peek() >= '0' && c.Peek() <= '9') ++c.i;
    size_t ylen = c.i - start;
    if (ylen < 4 || ylen > 9) return false;
    c.i = start;
    if (!c.Digits(static_cast<int>(ylen), y)) return false;
    if (!c.Eat('-') || !c.Digits(2, m) || !c.Eat('-') || !c.Digits(2, d)) return false;
  }
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > kDaysIn[m - 1]) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m == 2 && d == 29 && !leap) return false;
  days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

bool ParseTimeAt(Cursor& c, int64_t& micros) {
  int64_t h, mi, s = 0;
  if (!c.Digits(2, h) || !c.Eat(':') || !c.Digits(2, mi)) return false;
  if (c.Eat(':') && !c.Digits(2, s)) return false;
  if (h > 24 || mi > 59 || s > 60) return false;
  int64_t frac = 0;
  if (c.Eat('.')) {
    int n = 0;
    while (!c.Done() && c.Peek() >= '0' && c.Peek() <= '9') {
      if (n < 6) frac = frac * 10 + (c.Peek() - '0');
      ++n;
      ++c.i;
    }
    if (n == 0) return false;
    for (int k = n; k < 6; ++k) frac *= 10;
  }
  micros = ((h * 60 + mi) * 60 + s) * kMicrosPerSecond + frac;
  return true;
}

// Parses an optional "Z" / "+hh[:mm]" / "-hhmm"; `offset_micros` is added to local to get UTC.
bool ParseOffsetAt(Cursor& c, bool& had, int64_t& to_utc) {
  had = false;
  to_utc = 0;
  if (c.Eat('Z') || c.Eat('z')) {
    had = true;
    return true;
  }
  if (c.Peek() != '+' && c.Peek() != '-') return true;
  const int sign = c.Peek() == '+' ? 1 : -1;
  ++c.i;
  int64_t oh, om = 0;
  size_t start = c.i;
  while (!c.Done() && c.Peek() >= '0' && c.Peek() <= '9') ++c.i;
  size_t n = c.i - start;
  c.i = start;
  if (n == 1 || n == 2) {
    if (!c.Digits(static_cast<int>(n), oh)) return false;
    if (c.Eat(':') && !c.Digits(2, om)) return false;
  } else if (n == 4) {
    if (!c.Digits(2, oh) || !c.Digits(2, om)) return false;
  } else {
    return false;
  }
  had = true;
  to_utc = -sign * (oh * 3600 + om * 60) * kMicrosPerSecond;
  return true;
}

bool ParseBc(Cursor& c) {
  if (c.s.substr(c.i) == " BC") {
    c.i = c.s.size();
    return true;
  }
  return false;
}

// Converts a year parsed as written ("0044 ... BC") to the astronomical year in place.
int64_t ApplyBc(int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  return DaysFromCivil(1 - y, m, d);
}

}  // namespace

char* WriteDate(char* p, int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  if (y >= 1 && y <= 9999) return WriteYmd(p, static_cast<unsigned>(y), m, d);  // the usual years
  bool bc;
  p = WriteDatePart(p, days, bc);
  return bc ? WriteBc(p) : p;
}

char* WriteTime(char* p, int64_t micros_of_day, bool utc) {
  p = WriteTimePart(p, micros_of_day);
  if (utc) *p++ = 'Z';
  return p;
}

void AppendDate(std::string& out, int64_t days) {
  char buf[kMaxDateText];
  out.append(buf, WriteDate(buf, days));
}

void AppendTime(std::string& out, int64_t micros_of_day, bool utc) {
  char buf[kMaxTimeText];
  out.append(buf, WriteTime(buf, micros_of_day, utc));
}

void AppendTimestamp(std::string& out, int64_t micros, bool utc) {
  char buf[kMaxTimestampText];
  out.append(buf, WriteTimestamp(buf, micros, utc));
}


char* WriteTimestamp(char* p, int64_t micros, bool utc) {
  const int64_t days = FloorDiv(micros, kMicrosPerDay);
  // Timestamps written one after another mostly fall on the day before: its "YYYY-MM-DDT" is
  // kept per thread (the calendar arithmetic was a third of the time here).
  thread_local int64_t last_days = INT64_MIN;
  thread_local char last_ymd[11];
  int64_t y = 1;
  unsigned m = 0, d = 0;
  if (days != last_days) CivilFromDays(days, y, m, d);
  if (days == last_days || (y >= 1 && y <= 9999)) {
    // The common case two digits at a time (the protocol writes millions of these); the same
    // text as the general path below.
    const int64_t of_day = micros - days * kMicrosPerDay;
    const auto secs = static_cast<unsigned>(of_day / kMicrosPerSecond);
    auto frac = static_cast<unsigned>(of_day % kMicrosPerSecond);
    if (days != last_days) {
      char* e = WriteYmd(last_ymd, static_cast<unsigned>(y), m, d);
      *e = 'T';
      last_days = days;
    }
    std::memcpy(p, last_ymd, 11);
    p += 11;
    p = Put2(p, secs / 3600);
    *p++ = ':';
    p = Put2(p, secs / 60 % 60);
    *p++ = ':';
    p = Put2(p, secs % 60);
    if (frac != 0) {
      *p++ = '.';
      char f[6];
      for (int i = 5; i >= 0; --i) {
        f[i] = static_cast<char>('0' + frac % 10);
        frac /= 10;
      }
      int width = 6;
      while (f[width - 1] == '0') --width;
      std::memcpy(p, f, static_cast<size_t>(width));
      p += width;
    }
    if (utc) *p++ = 'Z';
    return p;
  }
  bool bc;
  p = WriteDatePart(p, days, bc);
  *p++ = 'T';
  p = WriteTimePart(p, micros - days * kMicrosPerDay);
  if (utc) *p++ = 'Z';
  return bc ? WriteBc(p) : p;
}

std::optional<int64_t> ParseDate(std::string_view text) {
  Cursor c{text};
  int64_t days;
  if (!ParseDateAt(c, days)) return std::nullopt;
  if (ParseBc(c)) days = ApplyBc(days);
  if (!c.Done()) return std::nullopt;
  return days;
}

std::optional<int64_t> ParseTime(std::string_view text, bool* had_offset) {
  Cursor c{text};
  int64_t micros;
  bool had;
  int64_t to_utc;
  if (!ParseTimeAt(c, micros) || !ParseOffsetAt(c, had, to_utc) || !c.Done()) return std::nullopt;
  if (had_offset) *had_offset = had;
  micros += to_utc;
  micros = ((micros % kMicrosPerDay) + kMicrosPerDay) % kMicrosPerDay;
  return micros;
}

namespace {

// "YYYY-MM-DDTHH:MM:SS[.f…f][Z]" with at most 6 fraction digits and every field plainly in
// range (no leap second, no 24:00, a year from 1): what WriteTimestamp writes, read in one
// go. False for anything else, which the general parser then reads (or rejects).
bool ParseCanonicalTimestamp(std::string_view s, int64_t& micros, bool& had_offset) {
  const size_t n = s.size();
  if (n < 19 || n > 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return false;
  static constexpr int kDigitAt[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
  for (int k : kDigitAt) {
    if (static_cast<unsigned>(s[static_cast<size_t>(k)] - '0') > 9) return false;
  }
  const auto two = [&](size_t k) { return static_cast<unsigned>((s[k] - '0') * 10 + (s[k + 1] - '0')); };
  const unsigned y = two(0) * 100 + two(2), m = two(5), d = two(8), h = two(11), mi = two(14), sec = two(17);
  size_t i = 19;
  int64_t frac = 0;
  if (i < n && s[i] == '.') {
    const size_t first = ++i;
    while (i < n && static_cast<unsigned>(s[i] - '0') <= 9) frac = frac * 10 + (s[i++] - '0');
    const size_t digits = i - first;
    if (digits == 0 || digits > 6) return false;
    static constexpr int64_t kScale[] = {1, 100000, 10000, 1000, 100, 10, 1};
    frac *= kScale[digits];
  }
  had_offset = i < n && s[i] == 'Z';
  if (had_offset) ++i;
  if (i != n) return false;
  static constexpr unsigned kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y == 0 || m < 1 || m > 12 || d < 1 || d > kDaysIn[m - 1] || h > 23 || mi > 59 || sec > 59) return false;
  if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
  micros = DaysFromCivil(y, m, d) * kMicrosPerDay + ((h * 60 + mi) * 60 + sec) * kMicrosPerSecond + frac;
  return true;
}

}  // namespace

std::optional<int64_t> ParseTimestamp(std::string_view text, bool* had_offset) {
  {
    int64_t micros;
    bool had;
    if (ParseCanonicalTimestamp(text, micros, had)) {
      if (had_offset) *had_offset = had;
      return micros;
    }
  }
  Cursor c{text};
  int64_t days;
  if (!ParseDateAt(c, days)) return std::nullopt;
  int64_t micros = 0;
  bool had = false;
  int64_t to_utc = 0;
  if (c.Eat('T') || c.Eat('t') || (c.Peek() == ' ' && text.substr(c.i) != " BC" && c.Eat(' '))) {
    if (!ParseTimeAt(c, micros) || !ParseOffsetAt(c, had, to_utc)) return std::nullopt;
  }
  if (ParseBc(c)) days = ApplyBc(days);
  if (!c.Done()) return std::nullopt;
  // Years of up to 9 digits parse, but microseconds since 1970 only reach ±292,000 years.
  constexpr int64_t kMaxDays = INT64_MAX / kMicrosPerDay - 2;
  if (days > kMaxDays || days < -kMaxDays) return std::nullopt;
  if (had_offset) *had_offset = had;
  return days * kMicrosPerDay + micros + to_utc;
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t MonotonicMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace sluice
