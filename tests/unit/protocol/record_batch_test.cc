#include "protocol/record_batch.h"

#include <gtest/gtest.h>

#include "protocol/codec.h"

namespace sluice {
namespace {

SchemaPtr TestSchema() {
  return std::make_shared<Schema>(std::vector<Field>{
      {"id", TypeId::kInteger}, {"name", TypeId::kString}, {"score", TypeId::kNumber}, {"ok", TypeId::kBoolean}});
}

TEST(RecordBatchTest, BuildsRowsAndPadsMissingValuesWithNull) {
  RecordBatch b(TestSchema(), 3);
  b.column(0).AppendInt64(1);
  b.column(1).AppendBytes("alice");
  b.FinishRow();
  b.column(2).AppendDouble(2.5);
  b.column(3).AppendBool(true);
  b.FinishRow();
  ASSERT_EQ(b.num_rows(), 2u);
  EXPECT_EQ(b.stream(), 3u);
  EXPECT_EQ(b.column(0).Int64(0), 1);
  EXPECT_EQ(b.column(1).Bytes(0), "alice");
  EXPECT_TRUE(b.column(2).IsNull(0));
  EXPECT_TRUE(b.column(0).IsNull(1));
  EXPECT_TRUE(b.column(1).IsNull(1));
  EXPECT_EQ(b.column(1).Bytes(1), "");
  EXPECT_DOUBLE_EQ(b.column(2).Double(1), 2.5);
  EXPECT_TRUE(b.column(3).Bool(1));
  EXPECT_EQ(b.column(0).null_count(), 1u);
}

TEST(RecordBatchTest, AbandonRowDropsPartialValues) {
  RecordBatch b(TestSchema(), 0);
  b.column(0).AppendInt64(1);
  b.FinishRow();
  b.column(0).AppendInt64(2);
  b.column(1).AppendBytes("half");
  b.AddChange("name", ChangeKind::kNulled, ChangeReason::kSourceSerializationError);
  b.AbandonRow();
  b.column(1).AppendBytes("next");
  b.FinishRow();
  ASSERT_EQ(b.num_rows(), 2u);
  EXPECT_TRUE(b.column(0).IsNull(1));
  EXPECT_EQ(b.column(1).Bytes(1), "next");
  EXPECT_TRUE(b.changes().empty());
}

// AbandonRow truncates in place: at every position in a validity byte, with nulls before and in
// the dropped row, the batch then reads as if the row had never been started.
TEST(RecordBatchTest, AbandonRowAtEveryBitKeepsTheRowsBefore) {
  RecordBatch b(TestSchema(), 0);
  for (int64_t r = 0; r < 40; ++r) {
    b.column(0).AppendInt64(100 + r);
    b.column(1).AppendBytes("x" + std::to_string(r));
    if (r % 3 == 0) b.column(2).AppendNull();
    b.column(3).AppendBool(true);
    b.AbandonRow();  // a partial row, taken back
    b.column(0).AppendInt64(r);
    if (r % 2 == 0) b.column(1).AppendBytes("row" + std::to_string(r));
    b.FinishRow();
  }
  ASSERT_EQ(b.num_rows(), 40u);
  for (size_t i = 0; i < b.num_columns(); ++i) ASSERT_EQ(b.column(i).size(), 40u);
  EXPECT_EQ(b.column(0).null_count(), 0u);
  EXPECT_EQ(b.column(1).null_count(), 20u);
  EXPECT_EQ(b.column(2).null_count(), 40u);
  EXPECT_EQ(b.column(3).null_count(), 40u);
  for (size_t r = 0; r < 40; ++r) {
    EXPECT_EQ(b.column(0).Int64(r), static_cast<int64_t>(r));
    EXPECT_EQ(b.column(1).IsNull(r), r % 2 != 0);
    EXPECT_EQ(b.column(1).Bytes(r), r % 2 == 0 ? "row" + std::to_string(r) : "");
    EXPECT_TRUE(b.column(2).IsNull(r));
    EXPECT_TRUE(b.column(3).IsNull(r));
  }
}

TEST(RecordBatchTest, ClearKeepsSchemaAndEmptiesRows) {
  RecordBatch b(TestSchema(), 0);
  for (int i = 0; i < 1000; ++i) {
    b.column(0).AppendInt64(i);
    b.column(1).AppendBytes("xxxxxxxxxxxxxxxx");
    b.FinishRow();
  }
  const size_t bytes = b.ByteSize();
  EXPECT_GT(bytes, 16000u);
  b.Clear();
  EXPECT_EQ(b.num_rows(), 0u);
  EXPECT_LT(b.ByteSize(), 16u);
  b.column(0).AppendInt64(7);
  b.FinishRow();
  EXPECT_EQ(b.column(0).Int64(0), 7);
}

TEST(TypesTest, JsonSchemaMappingRoundTrips) {
  for (TypeId t : {TypeId::kBoolean, TypeId::kInteger, TypeId::kNumber, TypeId::kDecimal, TypeId::kString,
                   TypeId::kBinary, TypeId::kDate, TypeId::kTimeNoTz, TypeId::kTimeTz, TypeId::kTimestampNoTz,
                   TypeId::kTimestampTz}) {
    for (bool nullable : {true, false}) {
      bool n;
      EXPECT_EQ(TypeFromJsonSchema(JsonSchemaForType(t, nullable), &n), t) << TypeName(t);
    }
  }
}

TEST(TypesTest, ReadsWellKnownRefsAndUnions) {
  EXPECT_EQ(TypeFromJsonSchema(Json{{"$ref", "WellKnownTypes.json#/definitions/TimestampWithTimezone"}}),
            TypeId::kTimestampTz);
  EXPECT_EQ(TypeFromJsonSchema(Json{{"$ref", "WellKnownTypes.json#/definitions/Date"}}), TypeId::kDate);
  EXPECT_EQ(TypeFromJsonSchema(Json{{"oneOf", Json::array({{{"type", "null"}}, {{"type", "integer"}}})}}),
            TypeId::kInteger);
  EXPECT_EQ(TypeFromJsonSchema(Json{{"type", Json::array({"null", "string"})}, {"format", "date-time"},
                                    {"airbyte_type", "timestamp_without_timezone"}}),
            TypeId::kTimestampNoTz);
  EXPECT_EQ(TypeFromJsonSchema(Json{{"type", "object"}, {"properties", Json::object()}}), TypeId::kJson);
  EXPECT_EQ(TypeFromJsonSchema(Json{{"type", Json::array({"string", "integer"})}}), TypeId::kJson);
  EXPECT_EQ(TypeFromJsonSchema(Json::object()), TypeId::kJson);
}

TEST(TypesTest, SchemaFromJsonSchemaKeepsOrderAndNestedSchemas) {
  Json js = Json::parse(R"({"type":"object","properties":{
      "id":{"type":"integer"},"address":{"type":"object","properties":{"city":{"type":"string"}}},
      "tags":{"type":"array","items":{"type":"string"}}}})");
  auto schema = Schema::FromJsonSchema(js);
  ASSERT_TRUE(schema.ok());
  const Schema& s = **schema;
  ASSERT_EQ(s.num_fields(), 3u);
  EXPECT_EQ(s.field(1).name, "address");
  EXPECT_EQ(s.field(1).type, TypeId::kJson);
  EXPECT_EQ(s.IndexOf("tags"), 2);
  EXPECT_EQ(s.IndexOf("nope"), -1);
  EXPECT_EQ(s.ToJsonSchema()["properties"]["address"]["properties"]["city"]["type"], "string");
}

}  // namespace
}  // namespace sluice
