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

// Rows abandoned at every position (validity bytes half full, nulls and values, uncommitted
// bytes) leave the batch exactly as if they had never been started.
TEST(RecordBatchTest, AbandonedRowsLeaveNoTrace) {
  RecordBatch with(TestSchema(), 0), without(TestSchema(), 0);
  auto append = [](RecordBatch& b, int i) {
    if (i % 3) b.column(0).AppendInt64(i); else b.column(0).AppendNull();
    if (i % 5) b.column(1).AppendBytes(std::string(static_cast<size_t>(i % 7), 'a' + static_cast<char>(i % 26)));
    if (i % 2) b.column(2).AppendDouble(i * 0.5);
    if (i % 4 == 0) b.AddChange("ok", ChangeKind::kNulled, ChangeReason::kSourceSerializationError);
    b.FinishRow();
  };
  for (int i = 0; i < 300; ++i) {
    append(with, i);
    append(without, i);
    if (i % 3 == 1 || i % 7 == 0) {  // a started row given up: values, a null, stray bytes, a change
      with.column(0).AppendInt64(-1);
      with.column(1).AppendBytes("abandoned");
      with.column(2).AppendNull();
      with.column(1).bytes() += "uncommitted";
      with.AddChange("id", ChangeKind::kNulled, ChangeReason::kSourceSerializationError);
      with.AbandonRow();
    }
  }
  ASSERT_EQ(with.num_rows(), without.num_rows());
  for (size_t c = 0; c < 4; ++c) {
    EXPECT_EQ(with.column(c).null_count(), without.column(c).null_count()) << c;
    EXPECT_EQ(with.column(c).ByteSize(), without.column(c).ByteSize()) << c;
  }
  for (size_t r = 0; r < with.num_rows(); ++r) {
    std::string a, b;
    AppendRecordData(a, with, r);
    AppendRecordData(b, without, r);
    ASSERT_EQ(a, b) << r;
  }
  ASSERT_EQ(with.changes().size(), without.changes().size());
  for (size_t i = 0; i < with.changes().size(); ++i) {
    EXPECT_EQ(with.changes()[i].row, without.changes()[i].row);
    EXPECT_EQ(with.changes()[i].field, without.changes()[i].field);
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
