// BSON → JSON and BSON → column values, from BSON bytes built with libbson and known JSON.
#include "connectors/sources/mongodb/bson_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sluice {
namespace {

struct Doc {
  bson_t b;
  Doc() { bson_init(&b); }
  ~Doc() { bson_destroy(&b); }
  bson_t* get() { return &b; }
};

Json Convert(Doc& d, const char* key = "v") {
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, d.get(), key));
  return BsonValueToJson(&it);
}

std::optional<TypeId> ColumnType(Doc& d, const char* key = "v") {
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, d.get(), key));
  return BsonColumnType(&it);
}

TEST(BsonJson, Scalars) {
  Doc d;
  bson_append_double(d.get(), "v", 1, 1.5);
  EXPECT_EQ(Convert(d), Json(1.5));
  EXPECT_EQ(ColumnType(d), TypeId::kNumber);
  Doc s;
  bson_append_utf8(s.get(), "v", 1, "héllo ✓", -1);
  EXPECT_EQ(Convert(s), Json("héllo ✓"));
  Doc b;
  bson_append_bool(b.get(), "v", 1, true);
  EXPECT_EQ(Convert(b), Json(true));
  EXPECT_EQ(ColumnType(b), TypeId::kBoolean);
  Doc n;
  bson_append_null(n.get(), "v", 1);
  EXPECT_TRUE(Convert(n).is_null());
  EXPECT_EQ(ColumnType(n), std::nullopt);
  Doc i;
  bson_append_int32(i.get(), "v", 1, -7);
  EXPECT_EQ(Convert(i).dump(), "-7");
  EXPECT_EQ(ColumnType(i), TypeId::kInteger);
}

TEST(BsonJson, NonFiniteDoublesAreStrings) {
  Doc d;
  bson_append_double(d.get(), "a", 1, std::nan(""));
  bson_append_double(d.get(), "b", 1, std::numeric_limits<double>::infinity());
  bson_append_double(d.get(), "c", 1, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(BsonDocumentToJson(d.get()).dump(), R"({"a":"NaN","b":"Infinity","c":"-Infinity"})");
}

TEST(BsonJson, Int64BeyondTwoToThe53IsAString) {
  Doc d;
  bson_append_int64(d.get(), "safe", -1, 9007199254740992LL);       // 2^53: exact in a double
  bson_append_int64(d.get(), "big", -1, 9007199254740993LL);        // 2^53 + 1: would round
  bson_append_int64(d.get(), "min", -1, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(BsonDocumentToJson(d.get()).dump(),
            R"({"safe":9007199254740992,"big":"9007199254740993","min":"-9223372036854775808"})");
}

TEST(BsonJson, ObjectIdAndUuidAndBinary) {
  Doc d;
  bson_oid_t oid;
  bson_oid_init_from_string(&oid, "65a1b2c3d4e5f60718293a4b");
  bson_append_oid(d.get(), "oid", -1, &oid);
  const uint8_t uuid[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef, 0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  bson_append_binary(d.get(), "uuid", -1, BSON_SUBTYPE_UUID, uuid, 16);
  bson_append_binary(d.get(), "legacy", -1, BSON_SUBTYPE_UUID_DEPRECATED, uuid, 16);
  const uint8_t raw[3] = {0x00, 0xff, 0x10};
  bson_append_binary(d.get(), "bin", -1, BSON_SUBTYPE_BINARY, raw, 3);
  bson_append_binary(d.get(), "user", -1, BSON_SUBTYPE_USER, raw, 3);
  EXPECT_EQ(BsonDocumentToJson(d.get()).dump(),
            R"({"oid":"65a1b2c3d4e5f60718293a4b","uuid":"12345678-9abc-4def-8001-020304050607",)"
            R"("legacy":"12345678-9abc-4def-8001-020304050607","bin":"AP8Q","user":"AP8Q"})");
  EXPECT_EQ(ColumnType(d, "oid"), TypeId::kString);
  EXPECT_EQ(ColumnType(d, "uuid"), TypeId::kString);
  EXPECT_EQ(ColumnType(d, "bin"), TypeId::kBinary);
}

TEST(BsonJson, DatesBefore1970AndAfter2038AndOutOfRange) {
  Doc d;
  bson_append_date_time(d.get(), "moon", -1, -14182940000LL);          // 1969-07-20T20:17:40Z
  bson_append_date_time(d.get(), "y2038", -1, 2147483648000LL);        // 2038-01-19T03:14:08Z
  bson_append_date_time(d.get(), "far", -1, 253402300799999LL);        // 9999-12-31T23:59:59.999Z
  bson_append_date_time(d.get(), "huge", -1, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(BsonDocumentToJson(d.get()).dump(),
            R"({"moon":"1969-07-20T20:17:40Z","y2038":"2038-01-19T03:14:08Z","far":"9999-12-31T23:59:59.999Z",)"
            R"("huge":{"$date":{"$numberLong":"9223372036854775807"}}})");
  EXPECT_EQ(ColumnType(d, "moon"), TypeId::kTimestampTz);
}

TEST(BsonJson, Decimal128IsExactText) {
  Doc d;
  bson_decimal128_t dec;
  ASSERT_TRUE(bson_decimal128_from_string("1234567890123456789012345678901234", &dec));
  bson_append_decimal128(d.get(), "big", -1, &dec);
  ASSERT_TRUE(bson_decimal128_from_string("-0.0001", &dec));
  bson_append_decimal128(d.get(), "small", -1, &dec);
  ASSERT_TRUE(bson_decimal128_from_string("1.5E+3", &dec));
  bson_append_decimal128(d.get(), "exp", -1, &dec);
  ASSERT_TRUE(bson_decimal128_from_string("NaN", &dec));
  bson_append_decimal128(d.get(), "nan", -1, &dec);
  EXPECT_EQ(BsonDocumentToJson(d.get()).dump(),
            R"({"big":"1234567890123456789012345678901234","small":"-0.0001","exp":"1500","nan":"NaN"})");
  EXPECT_EQ(ColumnType(d, "big"), TypeId::kDecimal);
}

TEST(BsonJson, RegexTimestampCodeAndKeys) {
  Doc d;
  bson_append_regex(d.get(), "re", -1, "^ab+c$", "im");
  bson_append_timestamp(d.get(), "ts", -1, 1700000000, 7);
  bson_append_code(d.get(), "code", -1, "function() { return 1; }");
  bson_append_symbol(d.get(), "sym", -1, "sym", -1);
  bson_append_minkey(d.get(), "min", -1);
  bson_append_maxkey(d.get(), "max", -1);
  bson_append_undefined(d.get(), "undef", -1);
  Doc scope;
  bson_append_int32(scope.get(), "x", -1, 1);
  bson_append_code_with_scope(d.get(), "cws", -1, "x + 1", scope.get());
  bson_oid_t oid;
  bson_oid_init_from_string(&oid, "65a1b2c3d4e5f60718293a4b");
  bson_append_dbpointer(d.get(), "ptr", -1, "users", &oid);
  EXPECT_EQ(BsonDocumentToJson(d.get()).dump(),
            R"({"re":{"pattern":"^ab+c$","options":"im"},"ts":{"t":1700000000,"i":7},)"
            R"("code":"function() { return 1; }","sym":"sym","min":{"$minKey":1},"max":{"$maxKey":1},)"
            R"("undef":null,"cws":{"code":"x + 1","scope":{"x":1}},)"
            R"("ptr":{"$ref":"users","$id":"65a1b2c3d4e5f60718293a4b"}})");
  EXPECT_EQ(ColumnType(d, "re"), TypeId::kJson);
  EXPECT_EQ(ColumnType(d, "ts"), TypeId::kJson);
  EXPECT_EQ(ColumnType(d, "code"), TypeId::kString);
}

TEST(BsonJson, NestedDocumentsAndArrays) {
  Doc d;
  bson_t child, arr, inner;
  bson_append_document_begin(d.get(), "addr", -1, &child);
  bson_append_utf8(&child, "city", -1, "Paris", -1);
  bson_append_array_begin(&child, "geo", -1, &arr);
  bson_append_double(&arr, "0", -1, 2.35);
  bson_append_double(&arr, "1", -1, 48.85);
  bson_append_array_end(&child, &arr);
  bson_append_document_end(d.get(), &child);
  bson_append_array_begin(d.get(), "tags", -1, &arr);
  bson_append_utf8(&arr, "0", -1, "a", -1);
  bson_append_document_begin(&arr, "1", -1, &inner);
  bson_append_int64(&inner, "n", -1, 5);
  bson_append_document_end(&arr, &inner);
  bson_append_array_end(d.get(), &arr);
  EXPECT_EQ(BsonDocumentToJson(d.get()).dump(),
            R"({"addr":{"city":"Paris","geo":[2.35,48.85]},"tags":["a",{"n":5}]})");
  EXPECT_EQ(ColumnType(d, "addr"), TypeId::kJson);
  EXPECT_EQ(BsonDocumentToJson(d.get(), "addr").dump(), R"({"tags":["a",{"n":5}]})");
}

// ---- column values ---------------------------------------------------------------------------

TEST(BsonColumns, TypedValuesAndMismatches) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{
      {"i", TypeId::kInteger}, {"n", TypeId::kNumber}, {"d", TypeId::kDecimal}, {"s", TypeId::kString},
      {"t", TypeId::kTimestampTz}, {"b", TypeId::kBinary}, {"j", TypeId::kJson}, {"flag", TypeId::kBoolean}});
  RecordBatch batch(schema, 0);
  Doc d;
  bson_append_int64(d.get(), "i", -1, 9007199254740993LL);
  bson_append_int32(d.get(), "n", -1, 3);
  bson_decimal128_t dec;
  bson_decimal128_from_string("12.50", &dec);
  bson_append_decimal128(d.get(), "d", -1, &dec);
  bson_oid_t oid;
  bson_oid_init_from_string(&oid, "65a1b2c3d4e5f60718293a4b");
  bson_append_oid(d.get(), "s", -1, &oid);
  bson_append_date_time(d.get(), "t", -1, -1);  // 1969-12-31T23:59:59.999Z
  const uint8_t raw[2] = {1, 2};
  bson_append_binary(d.get(), "b", -1, BSON_SUBTYPE_BINARY, raw, 2);
  bson_append_regex(d.get(), "j", -1, "x", "");
  bson_append_utf8(d.get(), "flag", -1, "yes", -1);  // not a boolean: null with a note
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init(&it, d.get()));
  size_t col = 0;
  while (bson_iter_next(&it)) AppendBsonValue(&it, col++, batch);
  batch.FinishRow();
  EXPECT_EQ(batch.column(0).Int64(0), 9007199254740993LL);
  EXPECT_EQ(batch.column(1).Double(0), 3.0);
  EXPECT_EQ(batch.column(2).Bytes(0), "12.50");
  EXPECT_EQ(batch.column(3).Bytes(0), "65a1b2c3d4e5f60718293a4b");
  EXPECT_EQ(batch.column(4).Int64(0), -1000);
  EXPECT_EQ(batch.column(5).Bytes(0), std::string("\x01\x02", 2));
  EXPECT_EQ(batch.column(6).Bytes(0), R"({"pattern":"x","options":""})");
  EXPECT_TRUE(batch.column(7).IsNull(0));
  ASSERT_EQ(batch.changes().size(), 1u);
  EXPECT_EQ(batch.changes()[0].field, "flag");
}

TEST(BsonColumns, MixedValuesInAStringColumnAreTheirJsonText) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{{"s", TypeId::kString}});
  RecordBatch batch(schema, 0);
  Doc a, b, c;
  bson_append_int32(a.get(), "s", -1, 5);
  bson_append_utf8(b.get(), "s", -1, "five", -1);
  bson_t child;
  bson_append_document_begin(c.get(), "s", -1, &child);
  bson_append_bool(&child, "k", -1, false);
  bson_append_document_end(c.get(), &child);
  for (Doc* d : {&a, &b, &c}) {
    bson_iter_t it;
    ASSERT_TRUE(bson_iter_init_find(&it, d->get(), "s"));
    AppendBsonValue(&it, 0, batch);
    batch.FinishRow();
  }
  EXPECT_EQ(batch.column(0).Bytes(0), "5");
  EXPECT_EQ(batch.column(0).Bytes(1), "five");
  EXPECT_EQ(batch.column(0).Bytes(2), R"({"k":false})");
}

TEST(MongoId, RoundTripsThroughTheState) {
  Doc d;
  bson_oid_t oid;
  bson_oid_init_from_string(&oid, "65a1b2c3d4e5f60718293a4b");
  bson_append_oid(d.get(), "a", -1, &oid);
  bson_append_int32(d.get(), "b", -1, 42);
  bson_append_int64(d.get(), "c", -1, 1LL << 40);
  bson_append_utf8(d.get(), "d", -1, "key-9", -1);
  bson_append_double(d.get(), "e", -1, 1.0);
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init(&it, d.get()));
  Doc back;
  std::vector<std::string> types;
  while (bson_iter_next(&it)) {
    auto id = MongoIdOf(&it);
    if (!id) {
      types.push_back("-");
      continue;
    }
    types.push_back(id->type);
    ASSERT_TRUE(AppendMongoId(back.get(), bson_iter_key(&it), *id));
  }
  EXPECT_EQ(types, (std::vector<std::string>{"OBJECT_ID", "INT", "LONG", "STRING", "-"}));
  EXPECT_EQ(BsonDocumentToJson(back.get()).dump(),
            R"({"a":"65a1b2c3d4e5f60718293a4b","b":42,"c":1099511627776,"d":"key-9"})");
  Doc bad;
  EXPECT_FALSE(AppendMongoId(bad.get(), "x", MongoIdText{"zz", "OBJECT_ID"}));
  EXPECT_FALSE(AppendMongoId(bad.get(), "x", MongoIdText{"1", "DOUBLE"}));
}

}  // namespace
}  // namespace sluice
