#include "connectors/sources/postgres/pg_binary.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <charconv>
#include <cmath>

#include "base/time.h"
#include "protocol/codec.h"

namespace sluice::pgbin {

namespace {

constexpr uint16_t kNumericPositive = 0x0000;
constexpr uint16_t kNumericNegative = 0x4000;
constexpr uint16_t kNumericNaN = 0xC000;
constexpr uint16_t kNumericPlusInf = 0xD000;
constexpr uint16_t kNumericMinusInf = 0xF000;
constexpr int kMaxArrayDims = 6;  // PostgreSQL's MAXDIM

// "00".."99", for writing base-10000 digit groups two decimal digits at a time.
constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

void AppendGroup4(char* out, unsigned group) {
  std::memcpy(out, kDigitPairs + 2 * (group / 100), 2);
  std::memcpy(out + 2, kDigitPairs + 2 * (group % 100), 2);
}

template <typename T>
void AppendNumber(std::string& out, T v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

// NaN and ±Infinity as PostgreSQL spells them; false for finite values.
bool AppendSpecialDouble(std::string& out, double v, bool quoted) {
  if (!std::isnan(v) && !std::isinf(v)) return false;
  if (quoted) out.push_back('"');
  out += std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity");
  if (quoted) out.push_back('"');
  return true;
}

bool DoubleOf(Decoder decoder, const uint8_t* p, size_t size, double& v) {
  if (decoder == Decoder::kFloat4) {
    if (size != 4) return false;
    v = Float4ToDouble(Load32(p));
    return true;
  }
  if (size != 8) return false;
  const uint64_t bits = Load64(p);
  std::memcpy(&v, &bits, 8);
  return true;
}

bool IntegerOf(Decoder decoder, const uint8_t* p, size_t size, int64_t& v) {
  switch (decoder) {
    case Decoder::kInt2:
      if (size != 2) return false;
      v = static_cast<int16_t>(Load16(p));
      return true;
    case Decoder::kInt4:
      if (size != 4) return false;
      v = static_cast<int32_t>(Load32(p));
      return true;
    case Decoder::kOid:
      if (size != 4) return false;
      v = Load32(p);
      return true;
    case Decoder::kInt8:
      if (size != 8) return false;
      v = static_cast<int64_t>(Load64(p));
      return true;
    default: return false;
  }
}

// Temporal wire values converted to the internal form; false when malformed.
bool TemporalOf(Decoder decoder, const uint8_t* p, size_t size, int64_t& v) {
  switch (decoder) {
    case Decoder::kDate:
      if (size != 4) return false;
      v = DateFromPg(static_cast<int32_t>(Load32(p)));
      return true;
    case Decoder::kTime:
      if (size != 8) return false;
      v = static_cast<int64_t>(Load64(p));
      return true;
    case Decoder::kTimeTz:
      if (size != 12) return false;
      v = TimeTzToUtc(static_cast<int64_t>(Load64(p)), static_cast<int32_t>(Load32(p + 8)));
      return true;
    case Decoder::kTimestamp:
    case Decoder::kTimestampTz:
      if (size != 8) return false;
      v = TimestampFromPg(static_cast<int64_t>(Load64(p)));
      return true;
    default: return false;
  }
}

// One dimension of an array: `dims[0]` elements, each a sub-array of the remaining dims.
bool AppendArrayLevel(std::string& out, Decoder element, const int32_t* dims, int ndim, const uint8_t*& p,
                      const uint8_t* end) {
  out.push_back('[');
  for (int32_t i = 0; i < dims[0]; ++i) {
    if (i > 0) out.push_back(',');
    if (ndim > 1) {
      if (!AppendArrayLevel(out, element, dims + 1, ndim - 1, p, end)) return false;
      continue;
    }
    if (end - p < 4) return false;
    const int32_t len = static_cast<int32_t>(Load32(p));
    p += 4;
    if (len < 0) {
      out += "null";
      continue;
    }
    if (end - p < len) return false;
    if (!AppendElementJson(out, element, p, static_cast<size_t>(len))) return false;
    p += len;
  }
  out.push_back(']');
  return true;
}

}  // namespace

bool AppendNumericText(std::string& out, const uint8_t* p, size_t size) {
  if (size < 8) return false;
  const int ndigits = Load16(p);
  const int weight = static_cast<int16_t>(Load16(p + 2));
  const uint16_t sign = Load16(p + 4);
  const int dscale = Load16(p + 6);
  if (size != 8 + 2 * static_cast<size_t>(ndigits)) return false;
  switch (sign) {
    case kNumericNaN: out += "NaN"; return true;
    case kNumericPlusInf: out += "Infinity"; return true;
    case kNumericMinusInf: out += "-Infinity"; return true;
    case kNumericPositive:
    case kNumericNegative: break;
    default: return false;
  }
  if (dscale > 0x3FFF) return false;
  const uint8_t* digits = p + 8;
  auto digit = [&](int i) -> unsigned { return i >= 0 && i < ndigits ? Load16(digits + 2 * i) : 0; };
  for (int i = 0; i < ndigits; ++i) {
    if (digit(i) > 9999) return false;
  }
  // Upper bound: sign, 4 chars per integer group (at least one), point, dscale rounded up to 4.
  const size_t int_groups = weight >= 0 ? static_cast<size_t>(weight) + 1 : 1;
  const size_t start = out.size();
  out.resize(start + 2 + 4 * int_groups + static_cast<size_t>(dscale) + 4);
  char* cp = out.data() + start;
  if (sign == kNumericNegative) *cp++ = '-';
  int d;
  if (weight < 0) {
    d = weight + 1;
    *cp++ = '0';
  } else {
    for (d = 0; d <= weight; ++d) {
      const unsigned group = digit(d);
      if (d == 0) {
        // The first group without leading zeros.
        char buf[4];
        AppendGroup4(buf, group);
        int skip = 0;
        while (skip < 3 && buf[skip] == '0') ++skip;
        std::memcpy(cp, buf + skip, static_cast<size_t>(4 - skip));
        cp += 4 - skip;
      } else {
        AppendGroup4(cp, group);
        cp += 4;
      }
    }
  }
  if (dscale > 0) {
    *cp++ = '.';
    char* const end = cp + dscale;
    for (int i = 0; i < dscale; i += 4, ++d) {
      AppendGroup4(cp, digit(d));
      cp += 4;
    }
    cp = end;
  }
  out.resize(static_cast<size_t>(cp - out.data()));
  return true;
}

double Float4ToDouble(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  if (std::isnan(f) || std::isinf(f)) return static_cast<double>(f);
  // The shortest text that reads back as this float, read as a double: 1.1f -> 1.1, which is
  // what PostgreSQL prints and clients read (a plain widening would give 1.100000023841858).
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), f);
  double d = static_cast<double>(f);
  std::from_chars(buf, r.ptr, d);
  return d;
}

void AppendUuid(std::string& out, const uint8_t* p) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[36];
  int o = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) buf[o++] = '-';
    buf[o++] = kHex[p[i] >> 4];
    buf[o++] = kHex[p[i] & 15];
  }
  out.append(buf, sizeof(buf));
}

bool AppendInet(std::string& out, const uint8_t* p, size_t size) {
  // family (2 = IPv4, 3 = IPv6 in PostgreSQL's numbering), bits, is_cidr, address length, address.
  if (size < 4) return false;
  const uint8_t family = p[0], bits = p[1], is_cidr = p[2], length = p[3];
  const bool v4 = family == 2;
  if ((!v4 && family != 3) || length != (v4 ? 4 : 16) || size != 4u + length || bits > length * 8) return false;
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(v4 ? AF_INET : AF_INET6, p + 4, text, sizeof(text)) == nullptr) return false;
  out += text;
  if (is_cidr != 0 || bits != length * 8) {
    out.push_back('/');
    AppendNumber(out, static_cast<unsigned>(bits));
  }
  return true;
}

void AppendJsonText(std::string& out, const uint8_t* p, size_t size) {
  const size_t start = out.size();
  out.append(reinterpret_cast<const char*>(p), size);
  // Inside JSON strings line breaks must be escaped, so a raw one is whitespace between tokens.
  if (std::memchr(p, '\n', size) == nullptr && std::memchr(p, '\r', size) == nullptr) return;
  for (size_t i = start; i < out.size(); ++i) {
    if (out[i] == '\n' || out[i] == '\r') out[i] = ' ';
  }
}

int32_t DateFromPg(int32_t pg_days) {
  if (pg_days == kDateInfinity || pg_days == kDateMinusInfinity) return pg_days;
  // PostgreSQL's dates end in 5874897 AD, far from overflowing after the shift; bytes that are
  // no PostgreSQL date saturate instead (found by fuzz_pg_copy).
  int32_t out;
  if (__builtin_add_overflow(pg_days, kPgEpochDays, &out)) return kDateInfinity;
  return out;
}

int64_t TimestampFromPg(int64_t pg_micros) {
  if (pg_micros == INT64_MAX || pg_micros == INT64_MIN) return pg_micros;
  int64_t out;
  if (__builtin_add_overflow(pg_micros, kPgEpochMicros, &out)) return INT64_MAX;
  return out;
}

int64_t TimeTzToUtc(int64_t micros, int32_t zone_seconds_west) {
  int64_t utc = (micros + static_cast<int64_t>(zone_seconds_west) * kMicrosPerSecond) % kMicrosPerDay;
  if (utc < 0) utc += kMicrosPerDay;
  return utc;
}

namespace {

// Keeps the text just appended to the column's byte buffer when `ok`, else drops it; returns `ok`.
bool CommitOrDiscard(Column& column, bool ok) {
  if (ok) {
    column.CommitBytes();
  } else {
    column.DiscardUncommittedBytes();
  }
  return ok;
}

}  // namespace

bool AppendValue(Column& column, Decoder decoder, Decoder element, const uint8_t* p, size_t size) {
  switch (decoder) {
    case Decoder::kBool:
      if (size != 1) return false;
      column.AppendBool(p[0] != 0);
      return true;
    case Decoder::kInt2:
    case Decoder::kInt4:
    case Decoder::kInt8:
    case Decoder::kOid: {
      int64_t v;
      if (!IntegerOf(decoder, p, size, v)) return false;
      column.AppendInt64(v);
      return true;
    }
    case Decoder::kFloat4:
    case Decoder::kFloat8: {
      double v;
      if (!DoubleOf(decoder, p, size, v)) return false;
      column.AppendDouble(v);
      return true;
    }
    case Decoder::kNumeric:
      return CommitOrDiscard(column, AppendNumericText(column.bytes(), p, size));
    case Decoder::kText:
    case Decoder::kBytea:
      column.AppendBytes(std::string_view(reinterpret_cast<const char*>(p), size));
      return true;
    case Decoder::kJsonb:
      if (size < 1 || p[0] != 1) return false;
      AppendJsonText(column.bytes(), p + 1, size - 1);
      column.CommitBytes();
      return true;
    case Decoder::kJson:
      AppendJsonText(column.bytes(), p, size);
      column.CommitBytes();
      return true;
    case Decoder::kUuid:
      if (size != 16) return false;
      AppendUuid(column.bytes(), p);
      column.CommitBytes();
      return true;
    case Decoder::kInet:
      return CommitOrDiscard(column, AppendInet(column.bytes(), p, size));
    case Decoder::kDate: {
      if (size != 4) return false;
      column.AppendInt32(DateFromPg(static_cast<int32_t>(Load32(p))));
      return true;
    }
    case Decoder::kTime:
    case Decoder::kTimeTz:
    case Decoder::kTimestamp:
    case Decoder::kTimestampTz: {
      int64_t v;
      if (!TemporalOf(decoder, p, size, v)) return false;
      column.AppendInt64(v);
      return true;
    }
    case Decoder::kArray:
      return CommitOrDiscard(column, AppendArrayJson(column.bytes(), element, p, size));
  }
  return false;
}

bool AppendElementJson(std::string& out, Decoder decoder, const uint8_t* p, size_t size) {
  switch (decoder) {
    case Decoder::kBool:
      if (size != 1) return false;
      out += p[0] != 0 ? "true" : "false";
      return true;
    case Decoder::kInt2:
    case Decoder::kInt4:
    case Decoder::kInt8:
    case Decoder::kOid: {
      int64_t v;
      if (!IntegerOf(decoder, p, size, v)) return false;
      AppendNumber(out, v);
      return true;
    }
    case Decoder::kFloat4:
    case Decoder::kFloat8: {
      double v;
      if (!DoubleOf(decoder, p, size, v)) return false;
      if (!AppendSpecialDouble(out, v, /*quoted=*/true)) AppendNumber(out, v);
      return true;
    }
    case Decoder::kNumeric: {
      const size_t mark = out.size();
      if (!AppendNumericText(out, p, size)) return false;
      const char c = out[mark];
      if (c != '-' && (c < '0' || c > '9')) {  // NaN, Infinity: strings, as in scalar columns
        out.insert(out.begin() + static_cast<std::ptrdiff_t>(mark), '"');
        out.push_back('"');
      } else if (c == '-' && out.size() > mark + 1 && out[mark + 1] == 'I') {  // -Infinity
        out.insert(out.begin() + static_cast<std::ptrdiff_t>(mark), '"');
        out.push_back('"');
      }
      return true;
    }
    case Decoder::kText:
      AppendJsonString(out, std::string_view(reinterpret_cast<const char*>(p), size));
      return true;
    case Decoder::kJson: AppendJsonText(out, p, size); return true;
    case Decoder::kJsonb:
      if (size < 1 || p[0] != 1) return false;
      AppendJsonText(out, p + 1, size - 1);
      return true;
    case Decoder::kBytea:
      out.push_back('"');
      AppendBase64(out, std::string_view(reinterpret_cast<const char*>(p), size));
      out.push_back('"');
      return true;
    case Decoder::kUuid:
      if (size != 16) return false;
      out.push_back('"');
      AppendUuid(out, p);
      out.push_back('"');
      return true;
    case Decoder::kInet: {
      const size_t mark = out.size();
      out.push_back('"');
      if (!AppendInet(out, p, size)) {
        out.resize(mark);
        return false;
      }
      out.push_back('"');
      return true;
    }
    case Decoder::kDate:
    case Decoder::kTime:
    case Decoder::kTimeTz:
    case Decoder::kTimestamp:
    case Decoder::kTimestampTz: {
      int64_t v;
      if (!TemporalOf(decoder, p, size, v)) return false;
      out.push_back('"');
      if (decoder == Decoder::kDate) {
        if (v == kDateInfinity) {
          out += "infinity";
        } else if (v == kDateMinusInfinity) {
          out += "-infinity";
        } else {
          AppendDate(out, v);
        }
      } else if (decoder == Decoder::kTime || decoder == Decoder::kTimeTz) {
        AppendTime(out, v, decoder == Decoder::kTimeTz);
      } else if (v == INT64_MAX) {
        out += "infinity";
      } else if (v == INT64_MIN) {
        out += "-infinity";
      } else {
        AppendTimestamp(out, v, decoder == Decoder::kTimestampTz);
      }
      out.push_back('"');
      return true;
    }
    case Decoder::kArray: return false;  // PostgreSQL has no arrays of arrays
  }
  return false;
}

bool AppendArrayJson(std::string& out, Decoder element, const uint8_t* p, size_t size) {
  if (size < 12) return false;
  const int32_t ndim = static_cast<int32_t>(Load32(p));
  // p+4: has-nulls flag, p+8: element type oid (a domain's base type may differ: not used).
  if (ndim < 0 || ndim > kMaxArrayDims) return false;
  if (ndim == 0) {
    out += "[]";
    return true;
  }
  if (size < 12 + 8 * static_cast<size_t>(ndim)) return false;
  int32_t dims[kMaxArrayDims];
  // Every element takes at least its 4-byte length: more elements than that cannot be there
  // (and a zero dimension, which PostgreSQL never sends, would make nested empty arrays without
  // bounds — found by fuzz_pg_copy).
  const size_t room = (size - 12 - 8 * static_cast<size_t>(ndim)) / 4;
  uint64_t elements = 1;
  for (int i = 0; i < ndim; ++i) {
    dims[i] = static_cast<int32_t>(Load32(p + 12 + 8 * i));  // then the lower bound, dropped
    if (dims[i] <= 0) return false;
    elements *= static_cast<uint64_t>(dims[i]);
    if (elements > room) return false;
  }
  const uint8_t* cursor = p + 12 + 8 * ndim;
  const uint8_t* end = p + size;
  if (!AppendArrayLevel(out, element, dims, ndim, cursor, end)) return false;
  return cursor == end;
}

bool AppendCursorText(std::string& out, Decoder decoder, const uint8_t* p, size_t size) {
  switch (decoder) {
    case Decoder::kInt2:
    case Decoder::kInt4:
    case Decoder::kInt8:
    case Decoder::kOid: {
      int64_t v;
      if (!IntegerOf(decoder, p, size, v)) return false;
      AppendNumber(out, v);
      return true;
    }
    case Decoder::kFloat4: {
      if (size != 4) return false;
      float f;
      const uint32_t bits = Load32(p);
      std::memcpy(&f, &bits, 4);
      if (!AppendSpecialDouble(out, f, false)) AppendNumber(out, f);
      return true;
    }
    case Decoder::kFloat8: {
      double v;
      if (!DoubleOf(decoder, p, size, v)) return false;
      if (!AppendSpecialDouble(out, v, false)) AppendNumber(out, v);
      return true;
    }
    case Decoder::kNumeric: return AppendNumericText(out, p, size);
    case Decoder::kText: out.append(reinterpret_cast<const char*>(p), size); return true;
    case Decoder::kUuid:
      if (size != 16) return false;
      AppendUuid(out, p);
      return true;
    case Decoder::kDate: {
      if (size != 4) return false;
      const int32_t v = DateFromPg(static_cast<int32_t>(Load32(p)));
      if (v == kDateInfinity || v == kDateMinusInfinity) {
        out += v == kDateInfinity ? "infinity" : "-infinity";
      } else {
        AppendDate(out, v);
      }
      return true;
    }
    case Decoder::kTime:
    case Decoder::kTimeTz: {
      int64_t v;
      if (!TemporalOf(decoder, p, size, v)) return false;
      AppendTime(out, v, false);
      if (decoder == Decoder::kTimeTz) out += "+00";
      return true;
    }
    case Decoder::kTimestamp:
    case Decoder::kTimestampTz: {
      int64_t v;
      if (!TemporalOf(decoder, p, size, v)) return false;
      if (v == INT64_MAX || v == INT64_MIN) {
        out += v == INT64_MAX ? "infinity" : "-infinity";
        return true;
      }
      const size_t mark = out.size();
      AppendTimestamp(out, v, false);  // "YYYY-MM-DDTHH:MM:SS[.f][ BC]"
      if (decoder == Decoder::kTimestampTz) {
        const bool bc = out.size() >= mark + 3 && out.compare(out.size() - 3, 3, " BC") == 0;
        out.insert(bc ? out.size() - 3 : out.size(), "+00");
      }
      return true;
    }
    default: return false;
  }
}

}  // namespace sluice::pgbin
