// The one Airbyte column layout of file outputs: _airbyte_raw_id is a string UUID v4 in JSONL,
// CSV and Parquet alike; the meta columns' Parquet types; rows around the record.
#include "connectors/kit/airbyte_columns.h"

#include <gtest/gtest.h>

#include "unit/testing/connector_test_util.h"

namespace sluice {
namespace {

using testing::IsUuidV4Text;

SchemaPtr UsersSchema() {
  return std::make_shared<const Schema>(std::vector<Field>{
      {"id", TypeId::kInteger, false, Json()},
      {"name", TypeId::kString, true, Json()},
      {"_airbyte_raw_id", TypeId::kString, true, Json()},  // a source field with an Airbyte name
      {"amount", TypeId::kDecimal, true, Json{{"type", "number"}, {"precision", 4}, {"scale", 1}}},
  });
}

RecordBatch UsersBatch() {
  RecordBatch batch(UsersSchema(), 0);
  batch.set_emitted_at_ms(1700000000123);
  batch.column(0).AppendInt64(1);
  batch.column(1).AppendBytes("a,b");
  batch.column(2).AppendBytes("from the source");
  batch.column(3).AppendBytes("12.5");
  batch.FinishRow();
  batch.column(0).AppendInt64(2);
  batch.AddChange("name", ChangeKind::kNulled, ChangeReason::kSourceSerializationError);
  batch.column(3).AppendBytes("123456.7");  // beyond DECIMAL(4, 1)
  batch.FinishRow();
  return batch;
}

AirbyteStreamInfo Info() {
  return {.name = "public.users", .schema = UsersSchema(), .generation_id = 3, .sync_id = 9, .default_extracted_ms = 5};
}

TEST(AirbyteColumnsTest, ParquetFieldsKeepTheRawIdAString) {
  const std::vector<Field> fields = AirbyteParquetFields();
  ASSERT_EQ(fields.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(fields[i].name, kAirbyteColumnNames[i]);
    EXPECT_FALSE(fields[i].nullable) << fields[i].name;
  }
  EXPECT_EQ(fields[0].type, TypeId::kString);
  const parquet::ColumnDescriptor raw_id = parquet::DescribeColumn(fields[0]);
  EXPECT_EQ(raw_id.kind, parquet::ValueKind::kBytes) << "a BYTE_ARRAY STRING, not a 16-byte UUID";
  EXPECT_EQ(fields[1].type, TypeId::kTimestampTz);
  EXPECT_EQ(fields[2].type, TypeId::kInteger);
  EXPECT_EQ(fields[3].type, TypeId::kJson);
  EXPECT_TRUE(IsAirbyteColumnName("_airbyte_meta"));
  EXPECT_FALSE(IsAirbyteColumnName("_airbyte_data"));
}

TEST(AirbyteColumnsTest, JsonlRowsNestedAndFlattened) {
  const RecordBatch batch = UsersBatch();
  for (Flattening flattening : {Flattening::kNone, Flattening::kRootLevel}) {
    AirbyteRowFormatter f(flattening, ',', Info(), UsersSchema());
    EXPECT_EQ(f.data_columns(), (std::vector<size_t>{0, 1, 3}));
    f.BeginBatch(batch);
    std::string out;
    size_t cursor = 0;
    f.AppendJsonlRow(out, batch, 0, cursor);
    f.AppendJsonlRow(out, batch, 1, cursor);
    const size_t nl = out.find('\n');
    const Json first = Json::parse(out.substr(0, nl));
    const Json second = Json::parse(out.substr(nl + 1));
    EXPECT_TRUE(IsUuidV4Text(first["_airbyte_raw_id"].get<std::string>())) << first.dump();
    EXPECT_NE(first["_airbyte_raw_id"], second["_airbyte_raw_id"]);
    EXPECT_EQ(first["_airbyte_extracted_at"], 1700000000123);
    EXPECT_EQ(first["_airbyte_generation_id"], 3);
    EXPECT_EQ(first["_airbyte_meta"], Json::parse(R"({"changes":[],"sync_id":9})"));
    EXPECT_EQ(second["_airbyte_meta"]["changes"][0]["field"], "name");
    EXPECT_EQ(second["_airbyte_meta"]["sync_id"], 9);
    if (flattening == Flattening::kNone) {
      EXPECT_EQ(first["_airbyte_data"]["name"], "a,b");
    } else {
      EXPECT_EQ(first["name"], "a,b");
      EXPECT_EQ(second["name"], nullptr);
      EXPECT_FALSE(first.contains("_airbyte_data"));
    }
  }
}

TEST(AirbyteColumnsTest, CsvRowsStartWithTheSameColumns) {
  const RecordBatch batch = UsersBatch();
  AirbyteRowFormatter f(Flattening::kRootLevel, ';', Info(), UsersSchema());
  f.BeginBatch(batch);
  std::string out;
  f.AppendCsvHeader(out);
  EXPECT_EQ(out, "_airbyte_raw_id;_airbyte_extracted_at;_airbyte_generation_id;_airbyte_meta;id;name;amount\n");
  out.clear();
  size_t cursor = 0;
  f.AppendCsvRow(out, batch, 0, cursor);
  EXPECT_TRUE(IsUuidV4Text(out.substr(0, 36))) << out;
  EXPECT_EQ(out.substr(36), ";1700000000123;3;\"{\"\"changes\"\":[],\"\"sync_id\"\":9}\";1;a,b;12.5\n");
}

TEST(AirbyteColumnsTest, ParquetColumnsCarryTheSameRawIdTextAndNullWhatDoesNotFit) {
  AirbyteRowFormatter f(Flattening::kRootLevel, ',', Info(), UsersSchema());
  AirbyteParquetColumns parquet(f);
  const Schema& file = *parquet.file_schema();
  ASSERT_EQ(file.num_fields(), 7u);  // 4 Airbyte columns, id, name, amount
  EXPECT_EQ(file.field(0).name, "_airbyte_raw_id");
  EXPECT_EQ(file.field(0).type, TypeId::kString);
  EXPECT_TRUE(file.field(4).nullable) << "a source's schema is no promise";

  const RecordBatch batch = UsersBatch();
  const std::vector<const Column*>& columns = parquet.Encode(batch, f);
  ASSERT_EQ(columns.size(), 7u);
  EXPECT_TRUE(IsUuidV4Text(std::string(columns[0]->Bytes(0))));
  EXPECT_EQ(columns[1]->Int64(1), 1700000000123000);
  EXPECT_EQ(columns[2]->Int64(0), 3);
  EXPECT_EQ(columns[3]->Bytes(0), R"({"changes":[],"sync_id":9})");
  // Row 2's amount does not fit DECIMAL(4, 1): null, and a change after the source's own.
  EXPECT_EQ(columns[6]->Bytes(0), "12.5");
  EXPECT_TRUE(columns[6]->IsNull(1));
  const Json meta = Json::parse(columns[3]->Bytes(1));
  ASSERT_EQ(meta["changes"].size(), 2u) << meta.dump();
  EXPECT_EQ(meta["changes"][0]["field"], "name");
  EXPECT_EQ(meta["changes"][1], Json::parse(R"({"field":"amount","change":"NULLED","reason":"DESTINATION_SERIALIZATION_ERROR"})"));
  EXPECT_EQ(meta["sync_id"], 9);
}

}  // namespace
}  // namespace sluice
