// Binary COPY encoding: every internal type in its natural column, conversions into existing
// columns of other types, and the values that do not fit (NULL + false).
#include "connectors/destinations/postgres/pg_copy_encoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "base/time.h"

namespace sluice {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Of(const CopyBuffer& b) { return Bytes(b.data(), b.data() + b.size()); }

// Big-endian helpers to build expected values.
void Be16(Bytes& out, int v) {
  out.push_back(static_cast<uint8_t>((v >> 8) & 0xFF));
  out.push_back(static_cast<uint8_t>(v & 0xFF));
}
void Be32(Bytes& out, int64_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>((v >> s) & 0xFF));
}
void Be64(Bytes& out, int64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>((static_cast<uint64_t>(v) >> s) & 0xFF));
}

// numeric's binary value with its length prefix.
Bytes Numeric(int weight, int sign, int dscale, std::vector<int> digits) {
  Bytes out;
  Be32(out, 8 + 2 * static_cast<int64_t>(digits.size()));
  Be16(out, static_cast<int>(digits.size()));
  Be16(out, weight);
  Be16(out, sign);
  Be16(out, dscale);
  for (int d : digits) Be16(out, d);
  return out;
}

Bytes NumericOf(std::string_view text, int32_t typmod = -1, bool* ok = nullptr) {
  CopyBuffer b;
  const bool fits = AppendNumericText(b, text, typmod);
  if (ok) *ok = fits;
  return Of(b);
}

int32_t NumericTypmod(int precision, int scale) { return ((precision << 16) | (scale & 0x7FF)) + 4; }

// Encodes row 0 of a one-value column into a column of `target`.
struct Encoded {
  bool ok;
  Bytes bytes;
};
Encoded Encode(const Column& column, PgColumnType target, size_t row = 0) {
  auto encoder = ValueEncoder::Make(column.type(), target);
  EXPECT_TRUE(encoder.ok()) << encoder.status().message();
  CopyBuffer b;
  std::string scratch;
  const bool ok = encoder->Encode(column, row, b, scratch);
  return {ok, Of(b)};
}

Column Strings(std::initializer_list<std::string_view> values) {
  Column c(TypeId::kString);
  for (auto v : values) c.AppendBytes(v);
  return c;
}

Bytes Null() { return {0xFF, 0xFF, 0xFF, 0xFF}; }
Bytes Int64Value(int64_t v) {
  Bytes out;
  Be32(out, 8);
  Be64(out, v);
  return out;
}
Bytes TextValue(std::string_view s) {
  Bytes out;
  Be32(out, static_cast<int64_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

TEST(CopyBuffer, HeaderRowAndTrailer) {
  CopyBuffer b;
  b.AppendHeader();
  const Bytes header = Of(b);
  ASSERT_EQ(header.size(), 19u);
  EXPECT_EQ(std::memcmp(header.data(), "PGCOPY\n\377\r\n\0", 11), 0);
  EXPECT_EQ(Bytes(header.begin() + 11, header.end()), Bytes(8, 0));
  b.Clear();
  b.BeginRow(3);
  b.AppendNull();
  b.AppendBool(true);
  b.AppendInt16(-2);
  b.AppendTrailer();
  EXPECT_EQ(Of(b), (Bytes{0, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 1, 0, 0, 0, 2, 0xFF, 0xFE, 0xFF, 0xFF}));
}

TEST(CopyBuffer, IntegersFloatsAndInPlaceValues) {
  CopyBuffer b;
  b.AppendInt32(0x01020304);
  b.AppendInt64(-1);
  EXPECT_EQ(Of(b), (Bytes{0, 0, 0, 4, 1, 2, 3, 4, 0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
  b.Clear();
  b.AppendFloat8(1.0);  // 0x3FF0000000000000
  EXPECT_EQ(Of(b), (Bytes{0, 0, 0, 8, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0}));
  b.Clear();
  b.AppendFloat4(-2.0f);  // 0xC0000000
  EXPECT_EQ(Of(b), (Bytes{0, 0, 0, 4, 0xC0, 0, 0, 0}));
  b.Clear();
  const size_t mark = b.BeginValue();
  b.raw().Append("abc", 3);
  b.EndValue(mark);
  EXPECT_EQ(Of(b), TextValue("abc"));
  b.Clear();
  b.AppendJsonb("{}");
  EXPECT_EQ(Of(b), (Bytes{0, 0, 0, 3, 1, '{', '}'}));
  b.Clear();
  b.AppendTimeTz(1);
  EXPECT_EQ(Of(b), (Bytes{0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}));
}

TEST(Numeric, BaseTenThousandDigits) {
  EXPECT_EQ(NumericOf("12345.678"), Numeric(1, 0, 3, {1, 2345, 6780}));
  EXPECT_EQ(NumericOf("-0.0001"), Numeric(-1, 0x4000, 4, {1}));
  EXPECT_EQ(NumericOf("10000"), Numeric(1, 0, 0, {1}));
  EXPECT_EQ(NumericOf("9999"), Numeric(0, 0, 0, {9999}));
  EXPECT_EQ(NumericOf("0.5"), Numeric(-1, 0, 1, {5000}));
  EXPECT_EQ(NumericOf("123.4500"), Numeric(0, 0, 4, {123, 4500}));  // trailing zeros keep their scale
  EXPECT_EQ(NumericOf("+007"), Numeric(0, 0, 0, {7}));
  EXPECT_EQ(NumericOf("1e5"), Numeric(1, 0, 0, {10}));
  EXPECT_EQ(NumericOf("1.5E-3"), Numeric(-1, 0, 4, {15}));
  EXPECT_EQ(NumericOf("12345678901234567890"), Numeric(4, 0, 0, {1234, 5678, 9012, 3456, 7890}));
  EXPECT_EQ(NumericOf(".25"), Numeric(-1, 0, 2, {2500}));
}

TEST(Numeric, ZeroAndSpecialValues) {
  EXPECT_EQ(NumericOf("0"), Numeric(0, 0, 0, {}));
  EXPECT_EQ(NumericOf("-0.000"), Numeric(0, 0, 3, {}));
  EXPECT_EQ(NumericOf("NaN"), Numeric(0, 0xC000, 0, {}));
  EXPECT_EQ(NumericOf("Infinity"), Numeric(0, 0xD000, 0, {}));
  EXPECT_EQ(NumericOf("-Infinity"), Numeric(0, 0xF000, 0, {}));
}

TEST(Numeric, RejectsWhatPostgresRejects) {
  for (std::string_view bad : {"", "-", ".", "1.2.3", "abc", "1e", "1e+", "12 ", " 12", "0x10", "1,5"}) {
    bool ok = true;
    EXPECT_TRUE(NumericOf(bad, -1, &ok).empty()) << bad;
    EXPECT_FALSE(ok) << bad;
  }
  // numeric's limits: 131072 digits before the point, 16383 after.
  EXPECT_TRUE(NumericTextFits("1e131071"));
  EXPECT_FALSE(NumericTextFits("1e131072"));
  EXPECT_TRUE(NumericTextFits("1e-16383"));
  EXPECT_FALSE(NumericTextFits("1e-16384"));
  EXPECT_FALSE(NumericTextFits("1e999999999999"));
}

TEST(Numeric, Typmod) {
  const int32_t n10_2 = NumericTypmod(10, 2);
  bool ok = false;
  NumericOf("12345678.99", n10_2, &ok);
  EXPECT_TRUE(ok);
  NumericOf("123456789.1", n10_2, &ok);
  EXPECT_FALSE(ok);
  NumericOf("99999999.994", n10_2, &ok);  // rounds to 99999999.99
  EXPECT_TRUE(ok);
  NumericOf("99999999.995", n10_2, &ok);  // rounds to 100000000.00: overflow
  EXPECT_FALSE(ok);
  NumericOf("-0.001", n10_2, &ok);
  EXPECT_TRUE(ok);
  NumericOf("NaN", n10_2, &ok);
  EXPECT_TRUE(ok);
  NumericOf("Infinity", n10_2, &ok);  // a constrained numeric holds no infinity
  EXPECT_FALSE(ok);
  // Airbyte's default decimal(38, 9).
  NumericOf("12345678901234567890123456789.123456789", NumericTypmod(38, 9), &ok);
  EXPECT_TRUE(ok);
  NumericOf("123456789012345678901234567890", NumericTypmod(38, 9), &ok);
  EXPECT_FALSE(ok);
  // Scale above precision: numeric(2, 3) holds values below 0.1.
  NumericOf("0.099", NumericTypmod(2, 3), &ok);
  EXPECT_TRUE(ok);
  NumericOf("0.1", NumericTypmod(2, 3), &ok);
  EXPECT_FALSE(ok);
}

TEST(Jsonb, AcceptsValidJson) {
  for (std::string_view good : {"{}", "[]", "null", "true", "0", "-1.5e10", "\"x\"", " {\"a\": [1, {\"b\": null}]} ",
                                "\"\\ud83d\\ude00\"", "\"caf\xC3\xA9\"", "\"\\u00e9\\n\\t\\\"\"", "[1e1000]"}) {
    EXPECT_TRUE(JsonbAccepts(good)) << good;
  }
}

TEST(Jsonb, RejectsWhatJsonbRejects) {
  for (std::string_view bad :
       {"", "{", "[1,]", "{\"a\"}", "{\"a\":1,}", "tru", "01", "1.", "-", "\"\\u0000\"", "\"\\ud800\"",
        "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\x01\"", "\"\\x\"", "[1e131072]", "\"\xFF\"", "{} {}", "[1] x"}) {
    EXPECT_FALSE(JsonbAccepts(bad)) << bad;
  }
  std::string deep(2000, '[');
  deep += std::string(2000, ']');
  EXPECT_FALSE(JsonbAccepts(deep));
}

TEST(Text, NulAndInvalidUtf8DoNotFit) {
  EXPECT_TRUE(TextAccepts("plain"));
  EXPECT_TRUE(TextAccepts("\xE6\x97\xA5\xE6\x9C\xAC"));
  EXPECT_FALSE(TextAccepts(std::string_view("a\0b", 3)));
  EXPECT_FALSE(TextAccepts("\xC3"));
  EXPECT_FALSE(TextAccepts(std::string_view("\xC3\xA9\0", 3)));  // short, non-ASCII and a NUL
  // Longer than the short-text fast path: the same answers.
  const std::string long_ascii(100, 'x');
  EXPECT_TRUE(TextAccepts(long_ascii));
  EXPECT_TRUE(TextAccepts(long_ascii + "\xE6\x97\xA5"));
  EXPECT_FALSE(TextAccepts(long_ascii + std::string(1, '\0')));
  EXPECT_FALSE(TextAccepts(long_ascii + "\xC3"));
  EXPECT_FALSE(TextAccepts(long_ascii + "\xED\xA0\x80"));  // a surrogate
  EXPECT_EQ(Utf8CharCount("\xE6\x97\xA5x"), 2u);
}

TEST(Temporal, TimestampsAreMicrosSince2000) {
  CopyBuffer b;
  ASSERT_TRUE(AppendTimestampMicros(b, 946'684'800'000'000));  // 2000-01-01
  EXPECT_EQ(Of(b), Int64Value(0));
  b.Clear();
  ASSERT_TRUE(AppendTimestampMicros(b, 0));  // 1970-01-01
  EXPECT_EQ(Of(b), Int64Value(-946'684'800'000'000));
  b.Clear();
  ASSERT_TRUE(AppendTimestampMicros(b, kInfinityMicros));
  EXPECT_EQ(Of(b), Int64Value(INT64_MAX));
  b.Clear();
  ASSERT_TRUE(AppendTimestampMicros(b, kMinusInfinityMicros));
  EXPECT_EQ(Of(b), Int64Value(INT64_MIN));
  b.Clear();
  // Every finite int64 after 1970 is inside PostgreSQL's range (it ends in 294276 AD); before
  // 4713 BC is not.
  EXPECT_FALSE(AppendTimestampMicros(b, INT64_MIN + 1));
  EXPECT_FALSE(AppendTimestampMicros(b, -211'813'488'000'000'000 + 946'684'800'000'000 - 1));
  EXPECT_TRUE(b.size() == 0);
}

TEST(Temporal, DatesAreDaysSince2000) {
  CopyBuffer b;
  ASSERT_TRUE(AppendDateDays(b, 10'957));
  Bytes expected;
  Be32(expected, 4);
  Be32(expected, 0);
  EXPECT_EQ(Of(b), expected);
  b.Clear();
  EXPECT_TRUE(AppendDateDays(b, -2'451'545 + 10'957));  // 4714-11-24 BC
  EXPECT_FALSE(AppendDateDays(b, -2'451'546 + 10'957));
  EXPECT_FALSE(AppendDateDays(b, int64_t{1} << 40));
}

TEST(ValueEncoder, EveryTypeInItsNaturalColumn) {
  {
    Column c(TypeId::kBoolean);
    c.AppendBool(true);
    c.AppendNull();
    EXPECT_EQ(Encode(c, PgColumnTypeForField(TypeId::kBoolean)).bytes, (Bytes{0, 0, 0, 1, 1}));
    auto null = Encode(c, PgColumnTypeForField(TypeId::kBoolean), 1);
    EXPECT_TRUE(null.ok);
    EXPECT_EQ(null.bytes, Null());
  }
  {
    Column c(TypeId::kInteger);
    c.AppendInt64(-5);
    EXPECT_EQ(Encode(c, PgColumnTypeForField(TypeId::kInteger)).bytes, Int64Value(-5));
  }
  {
    Column c(TypeId::kNumber);
    c.AppendDouble(std::nan(""));
    auto e = Encode(c, PgColumnTypeForField(TypeId::kNumber));
    ASSERT_EQ(e.bytes.size(), 12u);  // NaN goes through as is
    EXPECT_TRUE(e.ok);
  }
  {
    Column c(TypeId::kDecimal);
    c.AppendBytes("-12.5");
    EXPECT_EQ(Encode(c, PgColumnTypeForField(TypeId::kDecimal)).bytes, Numeric(0, 0x4000, 1, {12, 5000}));
  }
  {
    Column c = Strings({"héllo"});
    EXPECT_EQ(Encode(c, PgColumnTypeForField(TypeId::kString)).bytes, TextValue("héllo"));
  }
  {
    Column c(TypeId::kBinary);
    c.AppendBytes(std::string_view("\0\xFF", 2));
    EXPECT_EQ(Encode(c, PgColumnTypeForField(TypeId::kBinary)).bytes, (Bytes{0, 0, 0, 2, 0, 0xFF}));
  }
  {
    Column c(TypeId::kDate);
    c.AppendInt32(10'958);  // 2000-01-02
    Bytes expected;
    Be32(expected, 4);
    Be32(expected, 1);
    EXPECT_EQ(Encode(c, PgColumnTypeForField(TypeId::kDate)).bytes, expected);
  }
  {
    Column c(TypeId::kTimeNoTz);
    c.AppendInt64(3'600'000'000);
    c.AppendInt64(kMicrosPerDay + 1);
    EXPECT_EQ(Encode(c, PgColumnTypeForField(TypeId::kTimeNoTz)).bytes, Int64Value(3'600'000'000));
    auto bad = Encode(c, PgColumnTypeForField(TypeId::kTimeNoTz), 1);
    EXPECT_FALSE(bad.ok);
    EXPECT_EQ(bad.bytes, Null());
  }
  {
    Column c(TypeId::kTimeTz);
    c.AppendInt64(1);
    EXPECT_EQ(Encode(c, PgColumnTypeForField(TypeId::kTimeTz)).bytes,
              (Bytes{0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}));
  }
  for (TypeId t : {TypeId::kTimestampNoTz, TypeId::kTimestampTz}) {
    Column c(t);
    c.AppendInt64(946'684'800'000'001);
    EXPECT_EQ(Encode(c, PgColumnTypeForField(t)).bytes, Int64Value(1));
  }
  {
    Column c(TypeId::kJson);
    c.AppendBytes("{\"a\":[1,2]}");
    c.AppendBytes("{\"a\":\"\\u0000\"}");
    auto good = Encode(c, PgColumnTypeForField(TypeId::kJson));
    EXPECT_TRUE(good.ok);
    EXPECT_EQ(good.bytes[4], 1);  // jsonb version byte
    auto bad = Encode(c, PgColumnTypeForField(TypeId::kJson), 1);
    EXPECT_FALSE(bad.ok);
    EXPECT_EQ(bad.bytes, Null());
  }
}

TEST(ValueEncoder, NaturalTypesNeedNoConversion) {
  const TypeId all[] = {TypeId::kBoolean, TypeId::kInteger, TypeId::kNumber, TypeId::kDecimal,
                        TypeId::kString, TypeId::kBinary, TypeId::kDate, TypeId::kTimeNoTz,
                        TypeId::kTimeTz, TypeId::kTimestampNoTz, TypeId::kTimestampTz, TypeId::kJson};
  std::set<std::string_view> sql;
  for (TypeId t : all) {
    EXPECT_TRUE(IsNaturalColumnType(t, PgColumnTypeForField(t))) << TypeName(t);
    EXPECT_TRUE(PgColumnTypeForField(t).Supported());
    sql.insert(PgTypeForField(t));
  }
  EXPECT_EQ(sql.size(), std::size(all));
  EXPECT_TRUE(IsNaturalColumnType(TypeId::kString, {pg_oid::kVarchar, 24}));
  EXPECT_FALSE(IsNaturalColumnType(TypeId::kInteger, {pg_oid::kInt4, -1}));
}

TEST(ValueEncoder, UnsupportedColumnTypeIsAConfigError) {
  auto e = ValueEncoder::Make(TypeId::kString, {869 /* inet */, -1});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().failure_type(), FailureType::kConfig);
}

TEST(ValueEncoder, StringsIntoOtherColumnTypes) {
  Column c = Strings({"42", "4000000000", "x", "12.000", "2024-02-29", "2024-02-30", "true", "maybe"});
  // int4: fits, out of range, not a number, integral decimal.
  Bytes i42;
  Be32(i42, 4);
  Be32(i42, 42);
  EXPECT_EQ(Encode(c, {pg_oid::kInt4, -1}, 0).bytes, i42);
  EXPECT_FALSE(Encode(c, {pg_oid::kInt4, -1}, 1).ok);
  EXPECT_TRUE(Encode(c, {pg_oid::kInt8, -1}, 1).ok);
  EXPECT_FALSE(Encode(c, {pg_oid::kInt8, -1}, 2).ok);
  EXPECT_EQ(Encode(c, {pg_oid::kInt8, -1}, 3).bytes, Int64Value(12));
  // date
  Bytes leap;
  Be32(leap, 4);
  Be32(leap, DaysFromCivil(2024, 2, 29) - 10'957);
  EXPECT_EQ(Encode(c, {pg_oid::kDate, -1}, 4).bytes, leap);
  EXPECT_FALSE(Encode(c, {pg_oid::kDate, -1}, 5).ok);
  // boolean
  EXPECT_EQ(Encode(c, {pg_oid::kBool, -1}, 6).bytes, (Bytes{0, 0, 0, 1, 1}));
  auto maybe = Encode(c, {pg_oid::kBool, -1}, 7);
  EXPECT_FALSE(maybe.ok);
  EXPECT_EQ(maybe.bytes, Null());
  // A string into json/jsonb becomes a JSON string.
  auto json = Encode(c, {pg_oid::kJsonb, -1}, 2);
  EXPECT_EQ(json.bytes, (Bytes{0, 0, 0, 4, 1, '"', 'x', '"'}));
}

TEST(ValueEncoder, VarcharLengthCountsCharacters) {
  Column c = Strings({"日本語", "日本語x"});
  const PgColumnType varchar3{pg_oid::kVarchar, 3 + 4};
  EXPECT_TRUE(Encode(c, varchar3, 0).ok);
  EXPECT_FALSE(Encode(c, varchar3, 1).ok);
  const PgColumnType bpchar3{pg_oid::kBpchar, 3 + 4};
  EXPECT_FALSE(Encode(c, bpchar3, 1).ok);
}

TEST(ValueEncoder, TextWithNulOrBadUtf8IsNulled) {
  Column c = Strings({std::string_view("a\0b", 3), "\xC3\x28"});
  for (size_t row : {0, 1}) {
    auto e = Encode(c, PgColumnTypeForField(TypeId::kString), row);
    EXPECT_FALSE(e.ok);
    EXPECT_EQ(e.bytes, Null());
  }
}

TEST(ValueEncoder, NumbersIntoOtherColumnTypes) {
  Column n(TypeId::kNumber);
  n.AppendDouble(3.0);
  n.AppendDouble(3.5);
  n.AppendDouble(1e300);
  EXPECT_EQ(Encode(n, {pg_oid::kInt8, -1}, 0).bytes, Int64Value(3));
  EXPECT_FALSE(Encode(n, {pg_oid::kInt8, -1}, 1).ok);
  EXPECT_FALSE(Encode(n, {pg_oid::kFloat4, -1}, 2).ok);
  EXPECT_EQ(Encode(n, {pg_oid::kNumeric, -1}, 1).bytes, Numeric(0, 0, 1, {3, 5000}));
  EXPECT_FALSE(Encode(n, {pg_oid::kNumeric, NumericTypmod(38, 9)}, 2).ok);
  // integer → text, numeric, float8
  Column i(TypeId::kInteger);
  i.AppendInt64(-7);
  EXPECT_EQ(Encode(i, {pg_oid::kText, -1}).bytes, TextValue("-7"));
  EXPECT_EQ(Encode(i, {pg_oid::kNumeric, NumericTypmod(38, 9)}).bytes, Numeric(0, 0x4000, 0, {7}));
  Bytes f;
  Be32(f, 8);
  double seven = -7.0;
  uint64_t bits;
  std::memcpy(&bits, &seven, 8);
  Be64(f, static_cast<int64_t>(bits));
  EXPECT_EQ(Encode(i, {pg_oid::kFloat8, -1}).bytes, f);
  // decimal → int8: only integral values
  Column d(TypeId::kDecimal);
  d.AppendBytes("10.00");
  d.AppendBytes("10.5");
  EXPECT_EQ(Encode(d, {pg_oid::kInt8, -1}, 0).bytes, Int64Value(10));
  EXPECT_FALSE(Encode(d, {pg_oid::kInt8, -1}, 1).ok);
}

TEST(ValueEncoder, TemporalConversions) {
  Column ts(TypeId::kTimestampTz);
  ts.AppendInt64(kInfinityMicros);
  ts.AppendInt64(1'700'000'000'000'000);
  EXPECT_EQ(Encode(ts, {pg_oid::kTimestamp, -1}, 0).bytes, Int64Value(INT64_MAX));
  EXPECT_EQ(Encode(ts, {pg_oid::kText, -1}, 1).bytes, TextValue("2023-11-14T22:13:20Z"));
  EXPECT_FALSE(Encode(ts, {pg_oid::kDate, -1}, 1).ok);
  Column s = Strings({"2023-11-14T23:13:20+01:00", "infinity", "10:30:00", "not a time"});
  EXPECT_EQ(Encode(s, {pg_oid::kTimestampTz, -1}, 0).bytes, Int64Value(1'700'000'000'000'000 - 946'684'800'000'000));
  EXPECT_EQ(Encode(s, {pg_oid::kTimestampTz, -1}, 1).bytes, Int64Value(INT64_MAX));
  EXPECT_EQ(Encode(s, {pg_oid::kTime, -1}, 2).bytes, Int64Value(37'800'000'000));
  EXPECT_FALSE(Encode(s, {pg_oid::kTime, -1}, 3).ok);
}

TEST(ValueEncoder, UuidAndBytea) {
  Column s = Strings({"123e4567-e89b-12d3-a456-426614174000", "123e4567"});
  auto u = Encode(s, {pg_oid::kUuid, -1}, 0);
  ASSERT_TRUE(u.ok);
  EXPECT_EQ(u.bytes, (Bytes{0, 0, 0, 16, 0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14,
                            0x17, 0x40, 0x00}));
  EXPECT_FALSE(Encode(s, {pg_oid::kUuid, -1}, 1).ok);
  // binary into a text column: base64, as Airbyte writes it.
  Column b(TypeId::kBinary);
  b.AppendBytes("hi");
  EXPECT_EQ(Encode(b, {pg_oid::kText, -1}).bytes, TextValue("aGk="));
}

TEST(ValueEncoder, JsonIntoTextAndOtherTypesIntoJsonb) {
  Column j(TypeId::kJson);
  j.AppendBytes("[1,2]");
  EXPECT_EQ(Encode(j, {pg_oid::kText, -1}).bytes, TextValue("[1,2]"));
  Column i(TypeId::kInteger);
  i.AppendInt64(5);
  EXPECT_EQ(Encode(i, {pg_oid::kJsonb, -1}).bytes, (Bytes{0, 0, 0, 2, 1, '5'}));
  Column ts(TypeId::kTimestampTz);
  ts.AppendInt64(0);
  EXPECT_EQ(Encode(ts, {pg_oid::kJson, -1}).bytes, TextValue("\"1970-01-01T00:00:00Z\""));
}

}  // namespace
}  // namespace sluice
