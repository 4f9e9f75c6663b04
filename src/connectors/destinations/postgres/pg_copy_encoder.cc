#include "connectors/destinations/postgres/pg_copy_encoder.h"

#include <simdjson.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "base/time.h"
#include "protocol/codec.h"

namespace sluice {

namespace {

constexpr int64_t kPgEpochMicros = 946'684'800'000'000;  // 2000-01-01 in µs since 1970
constexpr int64_t kPgEpochDays = 10'957;                 // 2000-01-01 in days since 1970
constexpr int64_t kPgMinTimestamp = -211'813'488'000'000'000;   // 4714-11-24 BC, µs since 2000
constexpr int64_t kPgEndTimestamp = 9'223'371'331'200'000'000;  // 294277-01-01, exclusive
constexpr int64_t kPgMinDate = -2'451'545;                      // julian day 0, days since 2000
constexpr int64_t kPgEndDate = 2'145'031'949;                   // 5874898-01-01, exclusive
constexpr int kNumericMaxDscale = 0x3FFF;
constexpr int kNumericMaxWeight = 32767;  // base-10000 digits: 131072 decimal digits before the point
constexpr int kJsonMaxDepth = 1000;

inline uint16_t Swap16(uint16_t v) { return __builtin_bswap16(v); }
inline uint32_t Swap32(uint32_t v) { return __builtin_bswap32(v); }
inline uint64_t Swap64(uint64_t v) { return __builtin_bswap64(v); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// ---- Decimal text ---------------------------------------------------------------------------

enum class Special { kNone, kNaN, kPlusInfinity, kMinusInfinity };

// A decimal number as text: [sign] int_digits [. frac_digits] [e exponent].
struct Decimal {
  bool negative = false;
  Special special = Special::kNone;
  std::string_view int_digits;
  std::string_view frac_digits;
  int64_t exponent = 0;

  size_t size() const { return int_digits.size() + frac_digits.size(); }
  char digit(size_t i) const { return i < int_digits.size() ? int_digits[i] : frac_digits[i - int_digits.size()]; }
  // The decimal point's position in the digit sequence once the exponent is applied.
  int64_t point() const { return static_cast<int64_t>(int_digits.size()) + exponent; }
  int64_t dscale() const { return std::max<int64_t>(0, static_cast<int64_t>(frac_digits.size()) - exponent); }
  // The digit (0-9) multiplying 10^e.
  int DigitAt(int64_t e) const {
    const int64_t i = point() - 1 - e;
    return i >= 0 && i < static_cast<int64_t>(size()) ? digit(static_cast<size_t>(i)) - '0' : 0;
  }
};

bool ParseDecimal(std::string_view s, Decimal& d) {
  d = Decimal();
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
    d.negative = s[i] == '-';
    ++i;
  }
  const std::string_view rest = s.substr(i);
  if (EqualsIgnoreCase(rest, "nan")) {
    if (i != 0) return false;
    d.special = Special::kNaN;
    return true;
  }
  if (EqualsIgnoreCase(rest, "infinity") || EqualsIgnoreCase(rest, "inf")) {
    d.special = d.negative ? Special::kMinusInfinity : Special::kPlusInfinity;
    return true;
  }
  const size_t int_start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  d.int_digits = s.substr(int_start, i - int_start);
  if (i < s.size() && s[i] == '.') {
    ++i;
    const size_t frac_start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    d.frac_digits = s.substr(frac_start, i - frac_start);
  }
  if (d.int_digits.empty() && d.frac_digits.empty()) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool negative_exponent = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
      negative_exponent = s[i] == '-';
      ++i;
    }
    const size_t exp_start = i;
    int64_t e = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (e < 1'000'000'000) e = e * 10 + (s[i] - '0');  // anything this large is out of range anyway
      ++i;
    }
    if (i == exp_start) return false;
    d.exponent = negative_exponent ? -e : e;
  }
  return i == s.size();
}

int64_t FloorDiv4(int64_t e) { return e >= 0 ? e / 4 : -((-e + 3) / 4); }

// Where the nonzero digits are: exponents (of 10) of the first and last one. False for zero.
bool NonzeroSpan(const Decimal& d, int64_t& first_exp, int64_t& last_exp) {
  const size_t n = d.size();
  size_t f = 0;
  while (f < n && d.digit(f) == '0') ++f;
  if (f == n) return false;
  size_t l = n - 1;
  while (d.digit(l) == '0') --l;
  first_exp = d.point() - 1 - static_cast<int64_t>(f);
  last_exp = d.point() - 1 - static_cast<int64_t>(l);
  return true;
}

// Does the (finite) value fit numeric, and numeric(p,s) when typmod >= 0?
bool DecimalFits(const Decimal& d, int32_t typmod) {
  if (d.dscale() > kNumericMaxDscale) return false;
  int64_t first_exp = 0, last_exp = 0;
  if (!NonzeroSpan(d, first_exp, last_exp)) return true;  // zero
  if (FloorDiv4(first_exp) > kNumericMaxWeight) return false;
  if (typmod < 4) return true;
  const int32_t tm = typmod - 4;
  const int64_t precision = (tm >> 16) & 0xFFFF;
  const int64_t scale = ((tm & 0x7FF) ^ 1024) - 1024;
  const int64_t max_int_digits = precision - scale;  // the value must stay below 10^max_int_digits
  const int64_t int_digits = first_exp + 1;
  if (int_digits < max_int_digits) return true;
  if (int_digits > max_int_digits) return false;
  // Exactly at the limit: rounding to `scale` digits overflows when it carries all the way.
  for (int64_t e = first_exp; e >= -scale; --e) {
    if (d.DigitAt(e) != 9) return true;
  }
  return d.DigitAt(-scale - 1) < 5;
}

void AppendDecimalBinary(CopyBuffer& out, const Decimal& d) {
  const size_t mark = out.BeginValue();
  uint16_t sign = d.negative ? 0x4000 : 0x0000;
  int64_t first_exp = 0, last_exp = 0;
  if (d.special != Special::kNone) {
    sign = d.special == Special::kNaN ? 0xC000 : d.special == Special::kPlusInfinity ? 0xD000 : 0xF000;
    out.PutInt16(0);
    out.PutInt16(0);
    out.PutInt16(static_cast<int16_t>(sign));
    out.PutInt16(0);
  } else if (!NonzeroSpan(d, first_exp, last_exp)) {
    out.PutInt16(0);
    out.PutInt16(0);
    out.PutInt16(0);
    out.PutInt16(static_cast<int16_t>(d.dscale()));
  } else {
    const int64_t first_group = FloorDiv4(first_exp), last_group = FloorDiv4(last_exp);
    out.PutInt16(static_cast<int16_t>(first_group - last_group + 1));
    out.PutInt16(static_cast<int16_t>(first_group));
    out.PutInt16(static_cast<int16_t>(sign));
    out.PutInt16(static_cast<int16_t>(d.dscale()));
    for (int64_t g = first_group; g >= last_group; --g) {
      const int64_t e = 4 * g;
      const int v = d.DigitAt(e + 3) * 1000 + d.DigitAt(e + 2) * 100 + d.DigitAt(e + 1) * 10 + d.DigitAt(e);
      out.PutInt16(static_cast<int16_t>(v));
    }
  }
  out.EndValue(mark);
}

// ---- UTF-8 and JSON -------------------------------------------------------------------------

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A small validating JSON scanner: structure, string escapes (what jsonb refuses), numbers.
class JsonChecker {
 public:
  explicit JsonChecker(std::string_view s) : s_(s) {}

  bool Run() {
    SkipSpace();
    if (!Value(0)) return false;
    SkipSpace();
    return i_ == s_.size();
  }

 private:
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  bool Value(int depth) {
    if (i_ >= s_.size()) return false;
    switch (s_[i_]) {
      case '{': return Object(depth + 1);
      case '[': return Array(depth + 1);
      case '"': return String();
      case 't': return Literal("true");
      case 'f': return Literal("false");
      case 'n': return Literal("null");
      default: return Number();
    }
  }
  bool Object(int depth) {
    if (depth > kJsonMaxDepth) return false;
    ++i_;
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (i_ >= s_.size() || s_[i_] != '"' || !String()) return false;
      SkipSpace();
      if (i_ >= s_.size() || s_[i_] != ':') return false;
      ++i_;
      SkipSpace();
      if (!Value(depth)) return false;
      SkipSpace();
      if (i_ >= s_.size()) return false;
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] != '}') return false;
      ++i_;
      return true;
    }
  }
  bool Array(int depth) {
    if (depth > kJsonMaxDepth) return false;
    ++i_;
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (!Value(depth)) return false;
      SkipSpace();
      if (i_ >= s_.size()) return false;
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] != ']') return false;
      ++i_;
      return true;
    }
  }
  bool Hex4(uint32_t& v) {
    if (i_ + 4 > s_.size()) return false;
    v = 0;
    for (int k = 0; k < 4; ++k) {
      const int h = HexDigit(s_[i_ + k]);
      if (h < 0) return false;
      v = v * 16 + static_cast<uint32_t>(h);
    }
    i_ += 4;
    return true;
  }
  bool String() {
    ++i_;  // opening quote
    while (i_ < s_.size()) {
      // Fast skip to the next quote or backslash.
      while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\\') {
        if (static_cast<uint8_t>(s_[i_]) < 0x20) return false;
        ++i_;
      }
      if (i_ >= s_.size()) return false;
      if (s_[i_] == '"') {
        ++i_;
        return true;
      }
      ++i_;  // backslash
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') continue;
      if (e != 'u') return false;
      uint32_t cp = 0;
      if (!Hex4(cp)) return false;
      if (cp == 0) return false;                       // jsonb: \u0000 cannot be converted to text
      if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate without its high one
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        uint32_t low = 0;
        if (i_ + 2 > s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u') return false;
        i_ += 2;
        if (!Hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      }
    }
    return false;
  }
  bool Number() {
    const size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ >= s_.size()) return false;
    if (s_[i_] == '0') {
      ++i_;
    } else if (s_[i_] >= '1' && s_[i_] <= '9') {
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    } else {
      return false;
    }
    bool simple = true;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      const size_t f = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (i_ == f) return false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      simple = false;
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      const size_t f = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (i_ == f) return false;
    }
    // Without an exponent only very long numbers can overflow numeric.
    if (!simple || i_ - start > 1000) return NumericTextFits(s_.substr(start, i_ - start));
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// ---- Text parsing for converted columns -----------------------------------------------------

bool ParseBool(std::string_view s, bool& out) {
  for (std::string_view t : {"true", "t", "yes", "y", "on", "1"}) {
    if (EqualsIgnoreCase(s, t)) {
      out = true;
      return true;
    }
  }
  for (std::string_view f : {"false", "f", "no", "n", "off", "0"}) {
    if (EqualsIgnoreCase(s, f)) {
      out = false;
      return true;
    }
  }
  return false;
}

bool ParseInt64(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  const char* begin = s.data();
  if (*begin == '+') ++begin;
  auto r = std::from_chars(begin, s.data() + s.size(), out);
  if (r.ec != std::errc()) return false;
  if (r.ptr == s.data() + s.size()) return true;
  // "12.000" is an integer too.
  if (*r.ptr != '.') return false;
  for (const char* p = r.ptr + 1; p < s.data() + s.size(); ++p) {
    if (*p != '0') return false;
  }
  return true;
}

bool ParseDouble(std::string_view s, double& out) {
  if (s.empty()) return false;
  const char* begin = s.data();
  if (*begin == '+') ++begin;
  auto r = std::from_chars(begin, s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool ParseUuid(std::string_view s, uint8_t out[16]) {
  int n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '-' && (n == 8 || n == 12 || n == 16 || n == 20)) continue;
    const int h = HexDigit(c);
    if (h < 0 || n >= 32) return false;
    if (n % 2 == 0) {
      out[n / 2] = static_cast<uint8_t>(h << 4);
    } else {
      out[n / 2] |= static_cast<uint8_t>(h);
    }
    ++n;
  }
  return n == 32;
}

}  // namespace

// ---- PgColumnType ---------------------------------------------------------------------------

bool PgColumnType::Supported() const {
  using namespace pg_oid;
  switch (oid) {
    case kBool: case kBytea: case kInt8: case kInt2: case kInt4: case kText: case kJson: case kFloat4:
    case kFloat8: case kBpchar: case kVarchar: case kDate: case kTime: case kTimestamp: case kTimestampTz:
    case kTimeTz: case kNumeric: case kUuid: case kJsonb:
      return true;
    default:
      return false;
  }
}

std::string_view PgTypeForField(TypeId type) {
  switch (type) {
    case TypeId::kBoolean: return "boolean";
    case TypeId::kInteger: return "bigint";
    case TypeId::kNumber: return "double precision";
    case TypeId::kDecimal: return "numeric";
    case TypeId::kString: return "text";
    case TypeId::kBinary: return "bytea";
    case TypeId::kDate: return "date";
    case TypeId::kTimeNoTz: return "time without time zone";
    case TypeId::kTimeTz: return "time with time zone";
    case TypeId::kTimestampNoTz: return "timestamp without time zone";
    case TypeId::kTimestampTz: return "timestamp with time zone";
    case TypeId::kJson: return "jsonb";
  }
  return "text";
}

PgColumnType PgColumnTypeForField(TypeId type) {
  using namespace pg_oid;
  switch (type) {
    case TypeId::kBoolean: return {kBool, -1};
    case TypeId::kInteger: return {kInt8, -1};
    case TypeId::kNumber: return {kFloat8, -1};
    case TypeId::kDecimal: return {kNumeric, -1};
    case TypeId::kString: return {kText, -1};
    case TypeId::kBinary: return {kBytea, -1};
    case TypeId::kDate: return {kDate, -1};
    case TypeId::kTimeNoTz: return {kTime, -1};
    case TypeId::kTimeTz: return {kTimeTz, -1};
    case TypeId::kTimestampNoTz: return {kTimestamp, -1};
    case TypeId::kTimestampTz: return {kTimestampTz, -1};
    case TypeId::kJson: return {kJsonb, -1};
  }
  return {kText, -1};
}

bool IsNaturalColumnType(TypeId type, PgColumnType column) {
  auto made = ValueEncoder::Make(type, column);
  return made.ok() && !made->converts();
}

std::optional<PgWidening> WidenColumnType(PgColumnType column, TypeId type) {
  using namespace pg_oid;
  const uint32_t o = column.oid;
  // A length or precision limit makes a natural column narrow: values over it would be nulled.
  const bool limited = column.typmod != -1 && (o == kVarchar || o == kBpchar || o == kNumeric);
  if (!limited && IsNaturalColumnType(type, column)) return std::nullopt;
  const bool integer = o == kInt2 || o == kInt4 || o == kInt8;
  const bool floating = o == kFloat4 || o == kFloat8;
  auto to = [](PgColumnType t, std::string sql, std::string using_) {
    return PgWidening{t, std::move(sql), std::move(using_)};
  };
  switch (type) {
    case TypeId::kInteger:
      if (o == kInt2 || o == kInt4) return to({kInt8, -1}, "bigint", "{}::bigint");
      break;
    case TypeId::kNumber:
      if (o == kFloat4) return to({kFloat8, -1}, "double precision", "{}::double precision");
      if (integer || (o == kNumeric && column.typmod != -1)) return to({kNumeric, -1}, "numeric", "{}::numeric");
      break;
    case TypeId::kDecimal:
      if (integer || floating || (o == kNumeric && column.typmod != -1)) return to({kNumeric, -1}, "numeric", "{}::numeric");
      break;
    case TypeId::kTimestampNoTz:
      if (o == kDate) return to({kTimestamp, -1}, "timestamp without time zone", "{}::timestamp");
      break;
    case TypeId::kTimestampTz:
      if (o == kDate) return to({kTimestampTz, -1}, "timestamp with time zone", "{}::timestamp AT TIME ZONE 'UTC'");
      break;
    case TypeId::kString:
      if (o != kText && o != kBytea) return to({kText, -1}, "text", "{}::text");
      break;
    default: break;
  }
  return std::nullopt;
}

// ---- CopyBuffer -----------------------------------------------------------------------------

void CopyBuffer::AppendHeader() {
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // plus its terminating NUL: 11 bytes
  buffer_.Append(kSignature, 11);
  PutInt32(0);  // flags
  PutInt32(0);  // header extension length
}


void CopyBuffer::AppendFloat4(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  PutInt32(4);
  PutInt32(static_cast<int32_t>(bits));
}

void CopyBuffer::AppendFloat8(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  PutInt32(8);
  PutInt64(static_cast<int64_t>(bits));
}

void CopyBuffer::EndValue(size_t mark) {
  const uint32_t be = Swap32(static_cast<uint32_t>(buffer_.size() - mark - 4));
  std::memcpy(buffer_.data() + mark, &be, 4);
}

// ---- Values ---------------------------------------------------------------------------------

bool AppendNumericText(CopyBuffer& out, std::string_view text, int32_t typmod) {
  Decimal d;
  if (!ParseDecimal(text, d)) return false;
  if (d.special == Special::kPlusInfinity || d.special == Special::kMinusInfinity) {
    if (typmod >= 4) return false;  // a constrained numeric cannot hold an infinity
  } else if (d.special == Special::kNone && !DecimalFits(d, typmod)) {
    return false;
  }
  AppendDecimalBinary(out, d);
  return true;
}

bool NumericTextFits(std::string_view text) {
  Decimal d;
  return ParseDecimal(text, d) && (d.special != Special::kNone || DecimalFits(d, -1));
}

bool TextAccepts(std::string_view text) {
  // Fast path for short ASCII text (most values): one pass checks both "no NUL" and "valid UTF-8".
  if (text.size() <= 64) {
    bool ascii = true;
    for (const char ch : text) {
      const auto b = static_cast<uint8_t>(ch);
      if (b == 0) return false;
      ascii &= b < 0x80;
    }
    if (ascii) return true;
  } else if (std::memchr(text.data(), 0, text.size()) != nullptr) {
    return false;
  }
  return simdjson::validate_utf8(text.data(), text.size());
}

bool JsonbAccepts(std::string_view json) {
  if (!simdjson::validate_utf8(json.data(), json.size())) return false;
  return JsonChecker(json).Run();
}

size_t Utf8CharCount(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

bool AppendTimestampMicros(CopyBuffer& out, int64_t micros) {
  if (micros == kInfinityMicros || micros == kMinusInfinityMicros) {
    out.AppendInt64(micros);
    return true;
  }
  if (micros < std::numeric_limits<int64_t>::min() + kPgEpochMicros) return false;
  const int64_t t = micros - kPgEpochMicros;
  if (t < kPgMinTimestamp || t >= kPgEndTimestamp) return false;
  out.AppendInt64(t);
  return true;
}

bool AppendDateDays(CopyBuffer& out, int64_t days) {
  const int64_t d = days - kPgEpochDays;
  if (d < kPgMinDate || d >= kPgEndDate) return false;
  out.AppendInt32(static_cast<int32_t>(d));
  return true;
}

Result<ValueEncoder> ValueEncoder::Make(TypeId source, PgColumnType target) {
  using namespace pg_oid;
  if (!target.Supported()) {
    return Status::ConfigError(fmt::format("the column's type (oid {}) is not one destination-postgres can write "
                                           "{} values into",
                                           target.oid, TypeName(source)));
  }
  const uint32_t t = target.oid;
  auto natural = [&](Kind k) { return ValueEncoder(source, target, k); };
  switch (source) {
    case TypeId::kBoolean:
      if (t == kBool) return natural(Kind::kBool);
      break;
    case TypeId::kInteger:
      if (t == kInt8) return natural(Kind::kInt8);
      break;
    case TypeId::kNumber:
      if (t == kFloat8) return natural(Kind::kFloat8);
      break;
    case TypeId::kDecimal:
      if (t == kNumeric) return natural(Kind::kNumeric);
      break;
    case TypeId::kString:
      if (t == kText || t == kVarchar || t == kBpchar) return natural(Kind::kText);
      break;
    case TypeId::kBinary:
      if (t == kBytea) return natural(Kind::kBytea);
      break;
    case TypeId::kDate:
      if (t == kDate) return natural(Kind::kDate);
      break;
    case TypeId::kTimeNoTz:
      if (t == kTime) return natural(Kind::kTime);
      break;
    case TypeId::kTimeTz:
      if (t == kTimeTz) return natural(Kind::kTimeTz);
      break;
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz:
      // Both are µs on the same axis: a wall-clock value lands in a timestamptz column as UTC.
      if (t == kTimestamp || t == kTimestampTz) return natural(Kind::kTimestamp);
      break;
    case TypeId::kJson:
      if (t == kJsonb) return natural(Kind::kJsonb);
      if (t == kJson) return natural(Kind::kJsonText);
      break;
  }
  if (t == kJson || t == kJsonb) return ValueEncoder(source, target, Kind::kViaJson);
  return ValueEncoder(source, target, Kind::kViaText);
}

bool ValueEncoder::EncodeText(std::string_view text, CopyBuffer& out) const {
  if (!TextAccepts(text)) return false;
  if (target_.typmod >= 4 && (target_.oid == pg_oid::kVarchar || target_.oid == pg_oid::kBpchar)) {
    const size_t limit = static_cast<size_t>(target_.typmod - 4);
    if (text.size() > limit && Utf8CharCount(text) > limit) return false;
  }
  out.AppendBytes(text);
  return true;
}

bool ValueEncoder::EncodeFromText(std::string_view text, CopyBuffer& out) const {
  using namespace pg_oid;
  switch (target_.oid) {
    case kBool: {
      bool v = false;
      if (!ParseBool(text, v)) return false;
      out.AppendBool(v);
      return true;
    }
    case kInt2:
    case kInt4:
    case kInt8: {
      int64_t v = 0;
      if (!ParseInt64(text, v)) return false;
      if (target_.oid == kInt2) {
        if (v < INT16_MIN || v > INT16_MAX) return false;
        out.AppendInt16(static_cast<int16_t>(v));
      } else if (target_.oid == kInt4) {
        if (v < INT32_MIN || v > INT32_MAX) return false;
        out.AppendInt32(static_cast<int32_t>(v));
      } else {
        out.AppendInt64(v);
      }
      return true;
    }
    case kFloat4:
    case kFloat8: {
      double v = 0;
      if (!ParseDouble(text, v)) return false;
      if (target_.oid == kFloat8) {
        out.AppendFloat8(v);
      } else {
        if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max()) return false;
        out.AppendFloat4(static_cast<float>(v));
      }
      return true;
    }
    case kNumeric: return AppendNumericText(out, text, target_.typmod);
    case kText:
    case kVarchar:
    case kBpchar: return EncodeText(text, out);
    case kBytea: out.AppendBytes(text); return true;
    case kDate: {
      auto v = ParseDate(text);
      return v && AppendDateDays(out, *v);
    }
    case kTime:
    case kTimeTz: {
      auto v = ParseTime(text);
      if (!v || *v < 0 || *v > kMicrosPerDay) return false;
      if (target_.oid == kTime) {
        out.AppendInt64(*v);
      } else {
        out.AppendTimeTz(*v);
      }
      return true;
    }
    case kTimestamp:
    case kTimestampTz: {
      if (EqualsIgnoreCase(text, "infinity")) return AppendTimestampMicros(out, kInfinityMicros);
      if (EqualsIgnoreCase(text, "-infinity")) return AppendTimestampMicros(out, kMinusInfinityMicros);
      auto v = ParseTimestamp(text);
      return v && AppendTimestampMicros(out, *v);
    }
    case kUuid: {
      uint8_t bytes[16];
      if (!ParseUuid(text, bytes)) return false;
      out.AppendBytes(std::string_view(reinterpret_cast<const char*>(bytes), 16));
      return true;
    }
    case kJson:
    case kJsonb:
      if (!JsonbAccepts(text)) return false;
      if (target_.oid == kJsonb) {
        out.AppendJsonb(text);
      } else {
        out.AppendBytes(text);
      }
      return true;
    default: return false;
  }
}

bool ValueEncoder::Encode(const Column& column, size_t row, CopyBuffer& out, std::string& scratch) const {
  if (column.IsNull(row)) {
    out.AppendNull();
    return true;
  }
  bool ok = true;
  switch (kind_) {
    case Kind::kBool: out.AppendBool(column.Bool(row)); return true;
    case Kind::kInt8: out.AppendInt64(column.Int64(row)); return true;
    case Kind::kFloat8: out.AppendFloat8(column.Double(row)); return true;
    case Kind::kNumeric: ok = AppendNumericText(out, column.Bytes(row), target_.typmod); break;
    case Kind::kText: ok = EncodeText(column.Bytes(row), out); break;
    case Kind::kBytea: out.AppendBytes(column.Bytes(row)); return true;
    case Kind::kDate: ok = AppendDateDays(out, column.Int32(row)); break;
    case Kind::kTime:
    case Kind::kTimeTz: {
      const int64_t v = column.Int64(row);
      ok = v >= 0 && v <= kMicrosPerDay;
      if (ok) {
        if (kind_ == Kind::kTime) {
          out.AppendInt64(v);
        } else {
          out.AppendTimeTz(v);
        }
      }
      break;
    }
    case Kind::kTimestamp: ok = AppendTimestampMicros(out, column.Int64(row)); break;
    case Kind::kJsonb:
    case Kind::kJsonText: {
      const std::string_view json = column.Bytes(row);
      ok = JsonbAccepts(json);
      if (ok) {
        if (kind_ == Kind::kJsonb) {
          out.AppendJsonb(json);
        } else {
          out.AppendBytes(json);
        }
      }
      break;
    }
    case Kind::kViaText:
      scratch.clear();
      AppendValueText(scratch, column, row);
      ok = EncodeFromText(scratch, out);
      break;
    case Kind::kViaJson:
      scratch.clear();
      AppendValueJson(scratch, column, row);
      ok = EncodeFromText(scratch, out);
      break;
  }
  if (!ok) out.AppendNull();
  return ok;
}

}  // namespace sluice
