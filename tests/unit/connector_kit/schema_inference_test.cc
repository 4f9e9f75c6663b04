#include "connectors/kit/schema_inference.h"

#include <gtest/gtest.h>

#include <initializer_list>

#include "formats/parquet/parquet_writer.h"
#include "io/output_stream.h"
#include "unit/testing/connector_test_util.h"

namespace sluice {
namespace {

TypeId Infer(std::initializer_list<std::string_view> values) {
  TypeInferrer inferrer;
  for (auto v : values) inferrer.AddText(v);
  return inferrer.Type();
}

TEST(SchemaInferenceTest, ClassifiesText) {
  EXPECT_EQ(ClassifyText("true"), TypeInferrer::kBoolean);
  EXPECT_EQ(ClassifyText("FALSE"), TypeInferrer::kBoolean);
  EXPECT_EQ(ClassifyText("t"), TypeInferrer::kString);
  EXPECT_EQ(ClassifyText("0"), TypeInferrer::kInteger);
  EXPECT_EQ(ClassifyText("-12"), TypeInferrer::kInteger);
  EXPECT_EQ(ClassifyText("+12"), TypeInferrer::kInteger);
  EXPECT_EQ(ClassifyText(" 42 "), TypeInferrer::kInteger);
  EXPECT_EQ(ClassifyText("9223372036854775807"), TypeInferrer::kInteger);
  EXPECT_EQ(ClassifyText("9223372036854775808"), TypeInferrer::kNumber);  // beyond int64
  EXPECT_EQ(ClassifyText("1.5"), TypeInferrer::kNumber);
  EXPECT_EQ(ClassifyText(".5"), TypeInferrer::kNumber);
  EXPECT_EQ(ClassifyText("0.5"), TypeInferrer::kNumber);
  EXPECT_EQ(ClassifyText("-1e-3"), TypeInferrer::kNumber);
  EXPECT_EQ(ClassifyText("007"), TypeInferrer::kString);
  EXPECT_EQ(ClassifyText("00.5"), TypeInferrer::kString);
  EXPECT_EQ(ClassifyText("inf"), TypeInferrer::kString);
  EXPECT_EQ(ClassifyText("nan"), TypeInferrer::kString);
  EXPECT_EQ(ClassifyText("1,5"), TypeInferrer::kString);
  EXPECT_EQ(ClassifyText("-"), TypeInferrer::kString);
  EXPECT_EQ(ClassifyText("2024-02-29"), TypeInferrer::kDate);
  EXPECT_EQ(ClassifyText("2023-02-29"), TypeInferrer::kString);
  EXPECT_EQ(ClassifyText("2024-02-29T10:11:12"), TypeInferrer::kTimestampNoTz);
  EXPECT_EQ(ClassifyText("2024-02-29 10:11:12.123456"), TypeInferrer::kTimestampNoTz);
  EXPECT_EQ(ClassifyText("2024-02-29T10:11:12Z"), TypeInferrer::kTimestampTz);
  EXPECT_EQ(ClassifyText("2024-02-29 10:11:12+05:30"), TypeInferrer::kTimestampTz);
  EXPECT_EQ(ClassifyText("2024-02-29X10:11:12"), TypeInferrer::kString);
  EXPECT_EQ(ClassifyText("10:11:12"), TypeInferrer::kString);
  EXPECT_EQ(ClassifyText("hello"), TypeInferrer::kString);
}

TEST(SchemaInferenceTest, Widening) {
  EXPECT_EQ(Infer({}), TypeId::kString);
  EXPECT_EQ(Infer({"true", "False"}), TypeId::kBoolean);
  EXPECT_EQ(Infer({"1", "2"}), TypeId::kInteger);
  EXPECT_EQ(Infer({"1", "2.5", "3"}), TypeId::kNumber);
  EXPECT_EQ(Infer({"2024-01-01", "2024-01-02"}), TypeId::kDate);
  EXPECT_EQ(Infer({"2024-01-01", "2024-01-02T00:00:00"}), TypeId::kTimestampNoTz);
  EXPECT_EQ(Infer({"2024-01-01", "2024-01-02T00:00:00Z"}), TypeId::kTimestampTz);
  EXPECT_EQ(Infer({"2024-01-02T00:00:00", "2024-01-02T00:00:00Z"}), TypeId::kTimestampTz);
  EXPECT_EQ(Infer({"true", "1"}), TypeId::kString);
  EXPECT_EQ(Infer({"1", "2024-01-01"}), TypeId::kString);
  EXPECT_EQ(Infer({"1", "x", "2"}), TypeId::kString);
  TypeInferrer json;
  json.Add(TypeInferrer::kString);
  json.Add(TypeInferrer::kJson);
  EXPECT_EQ(json.Type(), TypeId::kJson);
}

TEST(SchemaInferenceTest, CsvSampleIsLimitedToInferRows) {
  testing::TempDir dir;
  const std::string a = dir.Write("a.csv", "n,s\n1,x\n2,y\n");
  const std::string b = dir.Write("b.csv", "s,n\nz,2.5\n");
  auto schema = InferCsvSchema({a, b}, CsvOptions(), 2);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ((*schema)->field(0).type, TypeId::kInteger);  // b.csv is past the sample
  schema = InferCsvSchema({a, b}, CsvOptions(), 100);
  ASSERT_TRUE(schema.ok());
  EXPECT_EQ((*schema)->field(0).name, "n");
  EXPECT_EQ((*schema)->field(0).type, TypeId::kNumber);
  EXPECT_EQ((*schema)->field(1).type, TypeId::kString);
}

TEST(SchemaInferenceTest, CustomNullValuesDoNotAffectTypes) {
  testing::TempDir dir;
  const std::string a = dir.Write("a.csv", "n,m\nNA,NA\n1,NA\n,\n");
  CsvOptions options;
  options.null_values = {"NA", ""};
  auto schema = InferCsvSchema({a}, options, 100);
  ASSERT_TRUE(schema.ok());
  EXPECT_EQ((*schema)->field(0).type, TypeId::kInteger);
  EXPECT_EQ((*schema)->field(1).type, TypeId::kString);  // all null
}

TEST(SchemaInferenceTest, JsonlKeysInFirstSeenOrder) {
  testing::TempDir dir;
  const std::string a = dir.Write("a.jsonl", "{\"b\":1,\"a\":\"x\"}\n{\"c\":{\"d\":1},\"b\":2.0}\n");
  auto schema = InferJsonlSchema({a}, 100, false);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  ASSERT_EQ((*schema)->num_fields(), 3u);
  EXPECT_EQ((*schema)->field(0).name, "b");
  EXPECT_EQ((*schema)->field(0).type, TypeId::kNumber);
  EXPECT_EQ((*schema)->field(1).name, "a");
  EXPECT_EQ((*schema)->field(2).name, "c");
  EXPECT_EQ((*schema)->field(2).type, TypeId::kJson);
  EXPECT_EQ((*schema)->field(2).json_schema, Json::parse(R"({"type": ["null", "object"]})"));
  EXPECT_TRUE((*schema)->field(0).json_schema.is_null());

  const std::string mixed = dir.Write("m.jsonl", "{\"t\":[1],\"u\":[1],\"v\":{}}\n{\"t\":null,\"u\":{},\"v\":\"x\"}\n");
  schema = InferJsonlSchema({mixed}, 100, false);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ((*schema)->field(0).json_schema, Json::parse(R"({"type": ["null", "array"]})"));
  EXPECT_TRUE((*schema)->field(1).json_schema.is_null());  // arrays and objects: any JSON
  EXPECT_EQ((*schema)->field(1).type, TypeId::kJson);
  EXPECT_TRUE((*schema)->field(2).json_schema.is_null());
  EXPECT_EQ((*schema)->field(2).type, TypeId::kJson);

  const std::string bad = dir.Write("bad.jsonl", "{\"a\":1}\n\"text\"\n");
  auto failed = InferJsonlSchema({bad}, 100, false);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(), "file " + bad + " line 2: expected a JSON object");
  EXPECT_TRUE(InferJsonlSchema({bad}, 100, true).ok());
}

TEST(SchemaInferenceTest, CsvInferenceOptions) {
  testing::TempDir dir;
  const std::string a = dir.Write("a.csv", "flag,n\nYes,1\nno, \n");
  const std::string b = dir.Write("b.csv", "n,extra\n0,2024-01-02\n");
  CsvInferenceOptions o;
  o.true_values = {"yes", "1"};
  o.false_values = {"no", "0"};
  o.blank_is_null = true;
  o.union_columns = true;
  auto schema = InferCsvSchema({a, b}, CsvOptions(), o, 100);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  ASSERT_EQ((*schema)->num_fields(), 3u);
  EXPECT_EQ((*schema)->field(0).type, TypeId::kBoolean);  // words
  EXPECT_EQ((*schema)->field(1).type, TypeId::kInteger);  // "1"/"0" stay numbers; blank skipped
  EXPECT_EQ((*schema)->field(2).name, "extra");           // from the second file
  EXPECT_EQ((*schema)->field(2).type, TypeId::kDate);

  // Without union the first file's columns are the schema's; given names replace headers.
  EXPECT_EQ((*InferCsvSchema({a, b}, CsvOptions(), 100))->num_fields(), 2u);
  CsvOptions no_header;
  no_header.header = false;
  CsvInferenceOptions named;
  named.column_names = {"x", "y", "z"};
  named.infer_types = false;
  schema = InferCsvSchema({dir.Write("c.csv", "1,2\n")}, no_header, named, 100);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  ASSERT_EQ((*schema)->num_fields(), 3u);
  EXPECT_EQ((*schema)->field(0).name, "x");
  EXPECT_EQ((*schema)->field(0).type, TypeId::kString);

  // A malformed row is an error, or ends the sample.
  const std::string ragged = dir.Write("r.csv", "a,b\n1,2\n3\nx,y\n");
  EXPECT_FALSE(InferCsvSchema({ragged}, CsvOptions(), 100).ok());
  CsvInferenceOptions lenient;
  lenient.stop_at_malformed_row = true;
  schema = InferCsvSchema({ragged}, CsvOptions(), lenient, 100);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ((*schema)->field(0).type, TypeId::kInteger);
}

TEST(SchemaInferenceTest, ParquetColumnsFromFooters) {
  testing::TempDir dir;
  auto write = [&](const std::string& name, std::vector<Field> fields) {
    auto schema = std::make_shared<const Schema>(std::move(fields));
    RecordBatch batch(schema, 0);
    std::string bytes;
    auto out = MakeStringOutputStream(&bytes, name);
    auto writer = ParquetWriter::Open(schema, {}, out.get());
    EXPECT_TRUE(writer.ok());
    EXPECT_TRUE((*writer)->Write(batch).ok());
    EXPECT_TRUE((*writer)->Close().ok());
    return dir.Write(name, bytes);
  };
  const std::string a = write("a.parquet", {{"id", TypeId::kInteger, false, {}}, {"name", TypeId::kString, true, {}}});
  const std::string b = write("b.parquet", {{"id", TypeId::kInteger, false, {}}, {"day", TypeId::kDate, false, {}}});
  auto one = InferParquetSchema({a}, {}, false);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ((*one)->num_fields(), 2u);
  EXPECT_FALSE((*one)->field(0).nullable);
  auto both = InferParquetSchema({a, b}, {}, true);
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  ASSERT_EQ((*both)->num_fields(), 3u);
  EXPECT_EQ((*both)->field(2).name, "day");
  EXPECT_EQ((*both)->field(2).type, TypeId::kDate);
  EXPECT_TRUE((*both)->field(0).nullable);
  EXPECT_FALSE(InferParquetSchema({dir.Write("x.parquet", "not parquet")}, {}, false).ok());
}

TEST(SchemaInferenceTest, TypeNames) {
  EXPECT_EQ(ColumnTypeFromName("timestamp"), TypeId::kTimestampNoTz);
  EXPECT_EQ(ColumnTypeFromName("timestamp_with_timezone"), TypeId::kTimestampTz);
  EXPECT_EQ(ColumnTypeFromName("time"), TypeId::kTimeNoTz);
  EXPECT_EQ(ColumnTypeFromName("json"), TypeId::kJson);
  EXPECT_FALSE(ColumnTypeFromName("money").has_value());
  for (const auto& name : ColumnTypeNames()) EXPECT_TRUE(ColumnTypeFromName(name).has_value()) << name;
}

}  // namespace
}  // namespace sluice
