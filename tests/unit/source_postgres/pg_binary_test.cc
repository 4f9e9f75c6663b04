// The binary wire decoders of source-postgres, on values produced by PostgreSQL 15's own send
// functions (e.g. `SELECT encode(numeric_send('-12345.6700'), 'hex')`).
#include "connectors/sources/postgres/pg_binary.h"

#include <gtest/gtest.h>

#include <cmath>

#include "base/time.h"

namespace sluice {
namespace {

using pgbin::Decoder;

std::string Bytes(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

const uint8_t* U(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::string Numeric(std::string_view hex) {
  const std::string b = Bytes(hex);
  std::string out;
  EXPECT_TRUE(pgbin::AppendNumericText(out, U(b), b.size())) << hex;
  return out;
}

TEST(PgBinary, NumericExactText) {
  EXPECT_EQ(Numeric("0000000000000000"), "0");
  EXPECT_EQ(Numeric("0003000140000004000109291a2c"), "-12345.6700");
  EXPECT_EQ(Numeric("00000000c0000000"), "NaN");
  EXPECT_EQ(Numeric("00000000d0000020"), "Infinity");
  EXPECT_EQ(Numeric("00000000f0000020"), "-Infinity");
  EXPECT_EQ(Numeric("0001fffe0000000503e8"), "0.00001");
  EXPECT_EQ(Numeric("000b000700000009000c0d801ed204d2162e23340d801ed204d2162e2328"),
            "123456789012345678901234567890.123456789");
  EXPECT_EQ(Numeric("00010005000000000001"), "100000000000000000000");
  EXPECT_EQ(Numeric("0001ffff400000011388"), "-0.5");
  EXPECT_EQ(Numeric("00010001000000000001"), "10000");
  EXPECT_EQ(Numeric("00010000000000040001"), "1.0000");
}

TEST(PgBinary, NumericHundredDigits) {
  // 99…9 (100 nines): 25 groups of 9999, weight 24.
  std::string b;
  auto put16 = [&](int v) {
    b.push_back(static_cast<char>((v >> 8) & 0xFF));
    b.push_back(static_cast<char>(v & 0xFF));
  };
  put16(25);
  put16(24);
  put16(0x4000);
  put16(0);
  for (int i = 0; i < 25; ++i) put16(9999);
  std::string out;
  ASSERT_TRUE(pgbin::AppendNumericText(out, U(b), b.size()));
  EXPECT_EQ(out, "-" + std::string(100, '9'));
}

TEST(PgBinary, NumericRejectsMalformed) {
  std::string out;
  const std::string short_value = Bytes("000300014000");
  EXPECT_FALSE(pgbin::AppendNumericText(out, U(short_value), short_value.size()));
  const std::string wrong_count = Bytes("0003000140000004000109291a");
  EXPECT_FALSE(pgbin::AppendNumericText(out, U(wrong_count), wrong_count.size()));
  const std::string bad_digit = Bytes("000100000000000027100000");  // 10000 is not a base-10000 digit
  EXPECT_FALSE(pgbin::AppendNumericText(out, U(bad_digit), 10));
  const std::string bad_sign = Bytes("0000000012340000");
  EXPECT_FALSE(pgbin::AppendNumericText(out, U(bad_sign), bad_sign.size()));
}

TEST(PgBinary, Float4IsItsShortestDecimal) {
  EXPECT_EQ(pgbin::Float4ToDouble(0x3f8ccccd), 1.1);
  EXPECT_TRUE(std::isnan(pgbin::Float4ToDouble(0x7fc00000)));
  EXPECT_EQ(pgbin::Float4ToDouble(0x7f800000), HUGE_VAL);
  EXPECT_EQ(pgbin::Float4ToDouble(0xff800000), -HUGE_VAL);
}

TEST(PgBinary, DatesAndTimestamps) {
  Column dates(TypeId::kDate);
  for (std::string_view hex : {"7fffffff", "80000000", "ffffd532", "00000000"}) {
    const std::string b = Bytes(hex);
    ASSERT_TRUE(pgbin::AppendValue(dates, Decoder::kDate, Decoder::kText, U(b), b.size()));
  }
  EXPECT_EQ(dates.Int32(0), INT32_MAX);  // infinity
  EXPECT_EQ(dates.Int32(1), INT32_MIN);  // -infinity
  EXPECT_EQ(dates.Int32(2), DaysFromCivil(1969, 12, 31) + 0);
  EXPECT_EQ(dates.Int32(3), DaysFromCivil(2000, 1, 1));

  Column ts(TypeId::kTimestampNoTz);
  for (std::string_view hex : {"fff4c9f907f1a608", "7fffffffffffffff", "8000000000000000", "ff1af9e74e1f8800"}) {
    const std::string b = Bytes(hex);
    ASSERT_TRUE(pgbin::AppendValue(ts, Decoder::kTimestamp, Decoder::kText, U(b), b.size()));
  }
  EXPECT_EQ(ts.Int64(0), DaysFromCivil(1900, 1, 1) * kMicrosPerDay + (12 * 3600 + 34 * 60 + 56) * kMicrosPerSecond +
                             789000);
  EXPECT_EQ(ts.Int64(1), kInfinityMicros);
  EXPECT_EQ(ts.Int64(2), kMinusInfinityMicros);
  // 0044-03-15 10:00:00 BC is year -43 in the proleptic calendar.
  EXPECT_EQ(ts.Int64(3), DaysFromCivil(-43, 3, 15) * kMicrosPerDay + 10 * 3600 * kMicrosPerSecond);
}

TEST(PgBinary, TimeTzIsUtc) {
  // 12:00:00+02 is sent as 12:00 and zone -7200 (seconds west of UTC).
  const std::string b = Bytes("0000000a0eebb000ffffe3e0");
  Column c(TypeId::kTimeTz);
  ASSERT_TRUE(pgbin::AppendValue(c, Decoder::kTimeTz, Decoder::kText, U(b), b.size()));
  EXPECT_EQ(c.Int64(0), 10 * 3600 * kMicrosPerSecond);
  EXPECT_EQ(pgbin::TimeTzToUtc(1 * 3600 * kMicrosPerSecond, -2 * 3600), 23 * 3600 * kMicrosPerSecond);
  EXPECT_EQ(pgbin::TimeTzToUtc(23 * 3600 * kMicrosPerSecond, 2 * 3600), 1 * 3600 * kMicrosPerSecond);
}

TEST(PgBinary, UuidJsonbAndText) {
  Column c(TypeId::kString);
  const std::string uuid = Bytes("a0eebc999c0b4ef8bb6d6bb9bd380a11");
  ASSERT_TRUE(pgbin::AppendValue(c, Decoder::kUuid, Decoder::kText, U(uuid), uuid.size()));
  EXPECT_EQ(c.Bytes(0), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");

  Column j(TypeId::kJson);
  const std::string jsonb = Bytes("017b2261223a205b312c202278225d7d");
  ASSERT_TRUE(pgbin::AppendValue(j, Decoder::kJsonb, Decoder::kText, U(jsonb), jsonb.size()));
  EXPECT_EQ(j.Bytes(0), R"({"a": [1, "x"]})");
  const std::string json = "{\n  \"a\": \"x\\ny\"\r\n}";
  ASSERT_TRUE(pgbin::AppendValue(j, Decoder::kJson, Decoder::kText, U(json), json.size()));
  EXPECT_EQ(j.Bytes(1), "{   \"a\": \"x\\ny\"  }");
  const std::string bad_version = Bytes("027b7d");
  EXPECT_FALSE(pgbin::AppendValue(j, Decoder::kJsonb, Decoder::kText, U(bad_version), bad_version.size()));
  EXPECT_EQ(j.size(), 2u);
}

TEST(PgBinary, InetPrintsLikePostgres) {
  auto inet = [](std::string_view hex) {
    const std::string b = Bytes(hex);
    std::string out;
    EXPECT_TRUE(pgbin::AppendInet(out, U(b), b.size())) << hex;
    return out;
  };
  EXPECT_EQ(inet("0380001000000000000000000000000000000002"), "::2");  // inet_send('::2')
  EXPECT_EQ(inet("02080004" "0a010203"), "10.1.2.3/8");
  EXPECT_EQ(inet("02200004" "0a010203"), "10.1.2.3");
  EXPECT_EQ(inet("02000104" "00000000"), "0.0.0.0/0");        // cidr shows its length always
  EXPECT_EQ(inet("03800110" "00000000000000000000ffff01020304"), "::ffff:1.2.3.4/128");
  std::string out;
  const std::string bad = Bytes("02210004" "0a010203");  // 33 bits
  EXPECT_FALSE(pgbin::AppendInet(out, U(bad), bad.size()));
}

TEST(PgBinary, IntegersAndLengthChecks) {
  Column c(TypeId::kInteger);
  const std::string i2 = Bytes("8000"), i4 = Bytes("ffffffff"), i8 = Bytes("7fffffffffffffff"), oid = Bytes("ffffffff");
  ASSERT_TRUE(pgbin::AppendValue(c, Decoder::kInt2, Decoder::kText, U(i2), 2));
  ASSERT_TRUE(pgbin::AppendValue(c, Decoder::kInt4, Decoder::kText, U(i4), 4));
  ASSERT_TRUE(pgbin::AppendValue(c, Decoder::kInt8, Decoder::kText, U(i8), 8));
  ASSERT_TRUE(pgbin::AppendValue(c, Decoder::kOid, Decoder::kText, U(oid), 4));
  EXPECT_EQ(c.Int64(0), -32768);
  EXPECT_EQ(c.Int64(1), -1);
  EXPECT_EQ(c.Int64(2), INT64_MAX);
  EXPECT_EQ(c.Int64(3), 4294967295);
  EXPECT_FALSE(pgbin::AppendValue(c, Decoder::kInt4, Decoder::kText, U(i8), 8));
  EXPECT_EQ(c.size(), 4u);
}

std::string ArrayJson(std::string_view hex, Decoder element) {
  const std::string b = Bytes(hex);
  std::string out;
  EXPECT_TRUE(pgbin::AppendArrayJson(out, element, U(b), b.size())) << hex;
  return out;
}

TEST(PgBinary, Arrays) {
  EXPECT_EQ(ArrayJson("00000002000000010000001700000002000000010000000200000001000000040000000100000004000000020000"
                      "000400000003ffffffff",
                      Decoder::kInt4),
            "[[1,2],[3,null]]");
  EXPECT_EQ(ArrayJson("000000000000000000000017", Decoder::kInt4), "[]");
  EXPECT_EQ(ArrayJson("000000010000000100000019000000030000000100000003612262ffffffff00000002c3bc", Decoder::kText),
            "[\"a\\\"b\",null,\"ü\"]");
  // A truncated array is malformed.
  const std::string b = Bytes("000000010000000100000019000000030000000100000003612262ffffffff00000002c3");
  std::string out;
  EXPECT_FALSE(pgbin::AppendArrayJson(out, Decoder::kText, U(b), b.size()));
  // Found by fuzz_pg_copy: dimensions 2^30 × 2^30 × 0 made nested empty arrays without end (no
  // element bytes needed). Dimensions whose element count cannot fit in the value are malformed.
  const std::string huge = Bytes("00000003000000000000001740000000000000014000000000000001000000000000000100000000");
  out.clear();
  EXPECT_FALSE(pgbin::AppendArrayJson(out, Decoder::kInt4, U(huge), huge.size()));
  EXPECT_LT(out.size(), 16u);
  const std::string too_many = Bytes("00000001000000000000001700000003000000010000000400000001");  // 3 elements, 1 sent
  out.clear();
  EXPECT_FALSE(pgbin::AppendArrayJson(out, Decoder::kInt4, U(too_many), too_many.size()));
}

TEST(PgBinary, ElementJson) {
  auto element = [](Decoder d, std::string_view hex) {
    const std::string b = Bytes(hex);
    std::string out;
    EXPECT_TRUE(pgbin::AppendElementJson(out, d, U(b), b.size()));
    return out;
  };
  EXPECT_EQ(element(Decoder::kFloat8, "7ff8000000000000"), "\"NaN\"");
  EXPECT_EQ(element(Decoder::kFloat8, "fff0000000000000"), "\"-Infinity\"");
  EXPECT_EQ(element(Decoder::kFloat4, "3f8ccccd"), "1.1");
  EXPECT_EQ(element(Decoder::kNumeric, "0003000140000004000109291a2c"), "-12345.6700");
  EXPECT_EQ(element(Decoder::kNumeric, "00000000c0000000"), "\"NaN\"");
  EXPECT_EQ(element(Decoder::kNumeric, "00000000f0000020"), "\"-Infinity\"");
  EXPECT_EQ(element(Decoder::kBool, "01"), "true");
  EXPECT_EQ(element(Decoder::kDate, "7fffffff"), "\"infinity\"");
  EXPECT_EQ(element(Decoder::kDate, "ffffd532"), "\"1969-12-31\"");
  EXPECT_EQ(element(Decoder::kTimestampTz, "7fffffffffffffff"), "\"infinity\"");
  EXPECT_EQ(element(Decoder::kBytea, "00ff"), "\"AP8=\"");
  EXPECT_EQ(element(Decoder::kUuid, "a0eebc999c0b4ef8bb6d6bb9bd380a11"), "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
}

TEST(PgBinary, CursorText) {
  auto cursor = [](Decoder d, std::string_view hex) {
    const std::string b = Bytes(hex);
    std::string out;
    EXPECT_TRUE(pgbin::AppendCursorText(out, d, U(b), b.size()));
    return out;
  };
  EXPECT_EQ(cursor(Decoder::kTimestamp, "fff4c9f907f1a608"), "1900-01-01T12:34:56.789");
  EXPECT_EQ(cursor(Decoder::kTimestampTz, "fff4c9f907f1a608"), "1900-01-01T12:34:56.789+00");
  EXPECT_EQ(cursor(Decoder::kTimestampTz, "ff1af9e74e1f8800"), "0044-03-15T10:00:00+00 BC");
  EXPECT_EQ(cursor(Decoder::kTimestampTz, "7fffffffffffffff"), "infinity");
  EXPECT_EQ(cursor(Decoder::kDate, "80000000"), "-infinity");
  EXPECT_EQ(cursor(Decoder::kDate, "ffffd532"), "1969-12-31");
  EXPECT_EQ(cursor(Decoder::kFloat4, "3f8ccccd"), "1.1");
  EXPECT_EQ(cursor(Decoder::kFloat8, "7ff8000000000000"), "NaN");
  EXPECT_EQ(cursor(Decoder::kNumeric, "0003000140000004000109291a2c"), "-12345.6700");
  EXPECT_EQ(cursor(Decoder::kInt8, "fffffffffffffffe"), "-2");
  EXPECT_EQ(cursor(Decoder::kTimeTz, "0000000a0eebb000ffffe3e0"), "10:00:00+00");
  std::string out;
  EXPECT_FALSE(pgbin::AppendCursorText(out, Decoder::kBool, U(std::string("\x01")), 1));
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

// Found by fuzz_pg_copy: a date near 2^31 days overflowed the epoch shift (undefined behaviour).
TEST(PgBinary, EpochShiftsSaturate) {
  EXPECT_EQ(pgbin::DateFromPg(0), pgbin::kPgEpochDays);
  EXPECT_EQ(pgbin::DateFromPg(INT32_MAX - 100), pgbin::kDateInfinity);
  EXPECT_EQ(pgbin::TimestampFromPg(INT64_MAX - 100), INT64_MAX);
  EXPECT_EQ(pgbin::TimestampFromPg(0), pgbin::kPgEpochMicros);
}

}  // namespace
}  // namespace sluice
