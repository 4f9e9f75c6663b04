#include "formats/parquet/parquet_schema.h"

#include <cmath>

namespace sluice::parquet {

namespace {

using K = LogicalType::Kind;

// An integer key of the field's JSON schema, or -1.
int64_t IntKey(const Json& schema, const char* key) {
  if (!schema.is_object()) return -1;
  auto it = schema.find(key);
  if (it == schema.end() || !it->is_number_integer()) return -1;
  return it->get<int64_t>();
}

bool HasUuidFormat(const Json& schema) {
  if (!schema.is_object()) return false;
  auto it = schema.find("format");
  return it != schema.end() && it->is_string() && it->get<std::string>() == "uuid";
}

// Hex digit values; -1 for other bytes.
struct HexTable {
  int8_t v[256];
  constexpr HexTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = -1;
    for (int i = 0; i < 10; ++i) v['0' + i] = static_cast<int8_t>(i);
    for (int i = 0; i < 6; ++i) {
      v['a' + i] = static_cast<int8_t>(10 + i);
      v['A' + i] = static_cast<int8_t>(10 + i);
    }
  }
};
constexpr HexTable kHex;

inline int HexValue(char c) { return kHex.v[static_cast<uint8_t>(c)]; }

}  // namespace

int32_t DecimalByteWidth(int32_t precision) {
  // The smallest n with 10^precision - 1 < 2^(8n - 1).
  const double bits = static_cast<double>(precision) * std::log2(10.0) + 1.0;
  return static_cast<int32_t>(std::ceil(bits / 8.0));
}

ColumnDescriptor DescribeColumn(const Field& field) {
  ColumnDescriptor d;
  d.name = field.name;
  d.type = field.type;
  d.nullable = field.nullable;
  SchemaElement& e = d.element;
  e.name = field.name;
  e.repetition = field.nullable ? Repetition::kOptional : Repetition::kRequired;
  auto set = [&](Type physical, ValueKind kind) {
    e.type = physical;
    d.kind = kind;
  };
  auto annotate = [&](K logical, ConvertedType converted) {  // the logical type and its legacy form
    e.logical.kind = logical;
    e.converted_type = converted;
  };
  auto set_utf8 = [&] {
    set(Type::kByteArray, ValueKind::kBytes);
    annotate(K::kString, ConvertedType::kUtf8);
  };
  auto set_uuid = [&](ValueKind kind) {  // FIXED_LEN_BYTE_ARRAY(16)
    set(Type::kFixedLenByteArray, kind);
    d.fixed_length = 16;
    e.type_length = 16;
    e.logical.kind = K::kUuid;
  };
  switch (field.type) {
    case TypeId::kBoolean: set(Type::kBoolean, ValueKind::kBool); break;
    case TypeId::kInteger:
      set(Type::kInt64, ValueKind::kInt64);
      annotate(K::kInteger, ConvertedType::kInt64);
      e.logical.bit_width = 64;
      e.logical.is_signed = true;
      break;
    case TypeId::kNumber: set(Type::kDouble, ValueKind::kDouble); break;
    case TypeId::kDecimal: {
      const int64_t precision = IntKey(field.json_schema, "precision");
      const int64_t scale = IntKey(field.json_schema, "scale");
      if (precision >= 1 && precision <= 38 && scale >= 0 && scale <= precision) {
        set(Type::kFixedLenByteArray, ValueKind::kDecimalFixed);
        d.precision = static_cast<int32_t>(precision);
        d.scale = static_cast<int32_t>(scale);
        d.fixed_length = DecimalByteWidth(d.precision);
        e.type_length = d.fixed_length;
        annotate(K::kDecimal, ConvertedType::kDecimal);
        e.logical.precision = d.precision;
        e.logical.scale = d.scale;
        e.precision = d.precision;
        e.scale = d.scale;
      } else {
        set_utf8();
      }
      break;
    }
    case TypeId::kString:
    case TypeId::kBinary:
      if (HasUuidFormat(field.json_schema)) {
        set_uuid(field.type == TypeId::kString ? ValueKind::kUuid : ValueKind::kUuidBytes);
      } else if (field.type == TypeId::kString) {
        set_utf8();
      } else {
        set(Type::kByteArray, ValueKind::kBytes);
      }
      break;
    case TypeId::kDate:
      set(Type::kInt32, ValueKind::kInt32);
      annotate(K::kDate, ConvertedType::kDate);
      break;
    case TypeId::kTimeNoTz:
    case TypeId::kTimeTz:
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz: {
      const bool time_of_day = field.type == TypeId::kTimeNoTz || field.type == TypeId::kTimeTz;
      set(Type::kInt64, ValueKind::kInt64);
      annotate(time_of_day ? K::kTime : K::kTimestamp,
               time_of_day ? ConvertedType::kTimeMicros : ConvertedType::kTimestampMicros);
      e.logical.unit = TimeUnit::kMicros;
      e.logical.adjusted_to_utc = field.type == TypeId::kTimeTz || field.type == TypeId::kTimestampTz;
      break;
    }
    case TypeId::kJson:
      set(Type::kByteArray, ValueKind::kBytes);
      annotate(K::kJson, ConvertedType::kJson);
      break;
  }
  return d;
}

bool ParseUuid(std::string_view text, uint8_t out[16]) {
  if (text.size() == 36) {
    if (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') return false;
    static constexpr uint8_t kAt[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
    int bad = 0;
    for (int i = 0; i < 16; ++i) {
      const int hi = HexValue(text[kAt[i]]), lo = HexValue(text[kAt[i] + 1]);
      bad |= hi | lo;  // negative when either is not a hex digit
      out[i] = static_cast<uint8_t>((hi << 4) | (lo & 15));
    }
    return bad >= 0;
  }
  if (text.size() == 32) {
    for (size_t i = 0; i < 32; ++i) {
      const int h = HexValue(text[i]);
      if (h < 0) return false;
      if ((i & 1) == 0) {
        out[i / 2] = static_cast<uint8_t>(h << 4);
      } else {
        out[i / 2] |= static_cast<uint8_t>(h);
      }
    }
    return true;
  }
  return false;
}

void AppendUuid(std::string& out, const uint8_t bytes[16]) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[36];
  int pos = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) buf[pos++] = '-';
    buf[pos++] = kHex[bytes[i] >> 4];
    buf[pos++] = kHex[bytes[i] & 15];
  }
  out.append(buf, sizeof(buf));
}

bool ParseDecimal(std::string_view text, int32_t precision, int32_t scale, __int128& out) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  char digits[80];
  int count = 0;      // significant digits kept (leading zeros dropped)
  int frac = 0;       // digits after the point, including dropped leading zeros
  bool any = false;
  bool point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      any = true;
      if (point) ++frac;
      if (count == 0 && c == '0') continue;
      if (count == static_cast<int>(sizeof(digits))) return false;
      digits[count++] = c;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!any) return false;
  int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) exp_negative = text[i++] == '-';
    if (i == text.size()) return false;
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      if (exponent < 100000) exponent = exponent * 10 + (text[i] - '0');
    }
    if (exp_negative) exponent = -exponent;
  }
  if (i != text.size()) return false;
  // value = digits × 10^(exponent - frac); unscaled = digits × 10^(exponent - frac + scale)
  int64_t shift = exponent - frac + scale;
  while (shift < 0 && count > 0) {
    if (digits[count - 1] != '0') return false;  // a significant digit below the scale
    --count;
    ++shift;
  }
  if (count == 0) {
    out = 0;
    return true;
  }
  if (static_cast<int64_t>(count) + shift > precision) return false;
  __int128 v = 0;
  for (int k = 0; k < count; ++k) v = v * 10 + (digits[k] - '0');
  for (int64_t k = 0; k < shift; ++k) v *= 10;
  out = negative ? -v : v;
  return true;
}

void AppendDecimal(std::string& out, __int128 unscaled, int32_t scale) {
  const bool negative = unscaled < 0;
  unsigned __int128 v = negative ? static_cast<unsigned __int128>(-(unscaled + 1)) + 1 : static_cast<unsigned __int128>(unscaled);
  char buf[48];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  } while (v != 0);
  while (n <= scale) buf[n++] = '0';  // at least one digit before the point
  if (negative) out.push_back('-');
  for (int k = n - 1; k >= 0; --k) {
    out.push_back(buf[k]);
    if (k == scale && scale > 0) out.push_back('.');
  }
}

}  // namespace sluice::parquet
