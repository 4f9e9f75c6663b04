// ParquetWriter → bytes → ParquetReader, value by value, for every type, nulls, every codec,
// several row groups and pages, dictionary fallback, and the footer's metadata.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "formats/parquet/parquet_metadata.h"
#include "formats/parquet/parquet_reader.h"
#include "formats/parquet/parquet_schema.h"
#include "formats/parquet/parquet_writer.h"

namespace sluice {
namespace {

namespace pq = parquet;

Field MakeField(std::string name, TypeId type, bool nullable = true, Json schema = Json()) {
  return Field{std::move(name), type, nullable, std::move(schema)};
}

SchemaPtr AllTypesSchema() {
  return std::make_shared<Schema>(std::vector<Field>{
      MakeField("b", TypeId::kBoolean),
      MakeField("i", TypeId::kInteger),
      MakeField("n", TypeId::kNumber),
      MakeField("dec_text", TypeId::kDecimal),
      MakeField("dec", TypeId::kDecimal, true, Json{{"type", "number"}, {"precision", 12}, {"scale", 3}}),
      MakeField("dec38", TypeId::kDecimal, true, Json{{"type", "number"}, {"precision", 38}, {"scale", 0}}),
      MakeField("s", TypeId::kString),
      MakeField("u", TypeId::kString, true, Json{{"type", "string"}, {"format", "uuid"}}),
      MakeField("bin", TypeId::kBinary),
      MakeField("d", TypeId::kDate),
      MakeField("t", TypeId::kTimeNoTz),
      MakeField("ttz", TypeId::kTimeTz),
      MakeField("ts", TypeId::kTimestampNoTz),
      MakeField("tstz", TypeId::kTimestampTz),
      MakeField("j", TypeId::kJson),
      MakeField("req", TypeId::kInteger, false),
  });
}

std::string Uuid(size_t row) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08zx-0000-4000-8000-%012zx", row * 2654435761u % 0xFFFFFFFFu, row);
  return buf;
}

// Row `r` of the all-types batch; `nulls` puts a null in every nullable column now and then.
void AppendRow(RecordBatch& batch, size_t r, bool nulls) {
  const auto null_at = [&](size_t col) { return nulls && (r * 7 + col * 3) % 11 == 0; };
  size_t c = 0;
  auto next = [&]() -> Column* {
    Column* col = &batch.column(c);
    if (c < 15 && null_at(c)) {
      col->AppendNull();
      ++c;
      return nullptr;
    }
    ++c;
    return col;
  };
  if (Column* col = next()) col->AppendBool(r % 3 == 0);
  if (Column* col = next()) col->AppendInt64(r % 5 == 0 ? INT64_MIN + static_cast<int64_t>(r) : static_cast<int64_t>(r * 1000003) - 500);
  if (Column* col = next()) col->AppendDouble(r % 13 == 0 ? -0.0 : static_cast<double>(r) / 7.0 - 3);
  if (Column* col = next()) col->AppendBytes(r % 2 ? "12345678901234567890.000000000001" : "-0.5");
  if (Column* col = next()) col->AppendBytes(std::to_string(static_cast<int64_t>(r) * 37 - 1000) + ".125");
  if (Column* col = next()) col->AppendBytes(r % 2 ? "-99999999999999999999999999999999999999" : std::to_string(r));
  if (Column* col = next()) col->AppendBytes(r % 4 == 0 ? std::string() : "value " + std::to_string(r % 50) + " é");
  if (Column* col = next()) col->AppendBytes(Uuid(r));
  if (Column* col = next()) col->AppendBytes(std::string("\0\xff\x01", 3) + std::to_string(r));
  if (Column* col = next()) col->AppendInt32(static_cast<int32_t>(r) - 20000);
  if (Column* col = next()) col->AppendInt64(static_cast<int64_t>(r % 86400) * 1000000 + 7);
  if (Column* col = next()) col->AppendInt64(static_cast<int64_t>(r % 3600) * 1000000);
  if (Column* col = next()) col->AppendInt64(1700000000000000LL + static_cast<int64_t>(r) * 1001);
  if (Column* col = next()) {
    col->AppendInt64(r == 1 ? kInfinityMicros : r == 2 ? kMinusInfinityMicros : -86400000000LL * static_cast<int64_t>(r));
  }
  if (Column* col = next()) col->AppendBytes("{\"k\":" + std::to_string(r % 9) + ",\"a\":[1,2]}");
  batch.column(c).AppendInt64(static_cast<int64_t>(r));
  batch.FinishRow();
}

// The expected text of a cell, after a round trip (UUIDs and decimals normalized).
std::string Cell(const Column& col, size_t r) {
  if (col.IsNull(r)) return "null";
  switch (col.type()) {
    case TypeId::kBoolean: return col.Bool(r) ? "true" : "false";
    case TypeId::kDate: return std::to_string(col.Int32(r));
    case TypeId::kNumber: {
      const double d = col.Double(r);
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g%s", d, std::signbit(d) ? "-" : "");
      return buf;
    }
    case TypeId::kInteger:
    case TypeId::kTimeNoTz:
    case TypeId::kTimeTz:
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz: return std::to_string(col.Int64(r));
    default: return std::string(col.Bytes(r));
  }
}

std::string NormalizedDecimal(std::string_view text, int scale) {
  __int128 v;
  if (!pq::ParseDecimal(text, 38, scale, v)) return "unparsable " + std::string(text);
  std::string out;
  pq::AppendDecimal(out, v, scale);
  return out;
}

std::string Write(const RecordBatch& batch, ParquetWriterOptions options, std::vector<size_t> splits = {}) {
  std::string file;
  auto out = MakeStringOutputStream(&file, "mem.parquet");
  auto writer = ParquetWriter::Open(batch.schema_ptr(), std::move(options), out.get());
  EXPECT_TRUE(writer.ok()) << writer.status().ToString();
  if (!writer.ok()) return "";
  if (splits.empty()) {
    Status st = (*writer)->Write(batch);
    EXPECT_TRUE(st.ok()) << st.ToString();
  } else {
    // Write in pieces, as columns of several batches.
    size_t begin = 0;
    for (size_t end : splits) {
      RecordBatch part(batch.schema_ptr(), 0);
      for (size_t r = begin; r < end; ++r) {
        for (size_t c = 0; c < batch.num_columns(); ++c) {
          const Column& src = batch.column(c);
          Column& dst = part.column(c);
          if (src.IsNull(r)) {
            dst.AppendNull();
            continue;
          }
          switch (FixedWidth(src.type())) {
            case 0: dst.AppendBytes(src.Bytes(r)); break;
            case 1: dst.AppendBool(src.Bool(r)); break;
            case 4: dst.AppendInt32(src.Int32(r)); break;
            default: dst.AppendInt64(src.Int64(r)); break;
          }
        }
        part.FinishRow();
      }
      Status st = (*writer)->Write(part);
      EXPECT_TRUE(st.ok()) << st.ToString();
      begin = end;
    }
  }
  EXPECT_EQ((*writer)->rows(), batch.num_rows());
  Status closed = (*writer)->Close();
  EXPECT_TRUE(closed.ok()) << closed.ToString();
  EXPECT_EQ(out->bytes_written(), file.size());
  return file;
}

std::unique_ptr<ParquetReader> OpenReader(const std::string& file) {
  auto reader = ParquetReader::Open(MakeStringRandomAccessFile(file, "mem.parquet"));
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  return reader.ok() ? std::move(*reader) : nullptr;
}

// Reads everything back in batches of `max_rows` and compares cell by cell.
void ExpectSameRows(const RecordBatch& expected, const std::string& file, size_t max_rows = 1000) {
  auto reader = OpenReader(file);
  ASSERT_TRUE(reader);
  ASSERT_EQ(reader->num_rows(), static_cast<int64_t>(expected.num_rows()));
  const Schema& schema = *reader->schema();
  ASSERT_EQ(schema.num_fields(), expected.num_columns());
  size_t row = 0;
  for (;;) {
    RecordBatch batch(reader->schema(), 0);
    auto got = reader->Next(batch, max_rows);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    if (!*got) break;
    ASSERT_LE(batch.num_rows(), max_rows);
    for (size_t r = 0; r < batch.num_rows(); ++r, ++row) {
      ASSERT_LT(row, expected.num_rows());
      for (size_t c = 0; c < batch.num_columns(); ++c) {
        const Field& f = expected.schema().field(c);
        ASSERT_EQ(schema.field(c).name, f.name);
        ASSERT_EQ(schema.field(c).type, f.type) << f.name;
        std::string want = Cell(expected.column(c), row);
        std::string have = Cell(batch.column(c), r);
        if (f.type == TypeId::kString && f.json_schema.contains("format") && want != "null") {
          for (char& ch : want) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        if (f.type == TypeId::kDecimal && f.json_schema.contains("scale") && want != "null") {
          want = NormalizedDecimal(want, f.json_schema["scale"].get<int>());
        }
        ASSERT_EQ(have, want) << "row " << row << " column " << f.name;
      }
    }
  }
  EXPECT_EQ(row, expected.num_rows());
}

RecordBatch AllTypesBatch(size_t rows, bool nulls) {
  RecordBatch batch(AllTypesSchema(), 0);
  for (size_t r = 0; r < rows; ++r) AppendRow(batch, r, nulls);
  return batch;
}

pq::FileMetaData Footer(const std::string& file) {
  uint32_t len;
  std::memcpy(&len, file.data() + file.size() - 8, 4);
  pq::FileMetaData meta;
  EXPECT_TRUE(pq::ParseFileMetaData(reinterpret_cast<const uint8_t*>(file.data()) + file.size() - 8 - len, len, meta).ok());
  return meta;
}

TEST(ParquetRoundTrip, EveryTypeWithNullsEveryCodec) {
  const RecordBatch batch = AllTypesBatch(3000, true);
  for (auto codec : {ParquetCodec::kUncompressed, ParquetCodec::kSnappy, ParquetCodec::kGzip, ParquetCodec::kZstd}) {
    SCOPED_TRACE(std::string(ParquetCodecName(codec)));
    ParquetWriterOptions options;
    options.codec = codec;
    // The stream's JSON schema tells the reader that dec_text (a STRING column) is a decimal.
    options.key_value_metadata = {{std::string(kParquetJsonSchemaKey), batch.schema().ToJsonSchema().dump()}};
    const std::string file = Write(batch, options);
    ASSERT_EQ(file.substr(0, 4), "PAR1");
    ASSERT_EQ(file.substr(file.size() - 4), "PAR1");
    ExpectSameRows(batch, file);
  }
}

TEST(ParquetRoundTrip, PlainOnlyAndTinyPagesAndRowGroups) {
  const RecordBatch batch = AllTypesBatch(5000, true);
  ParquetWriterOptions options;
  options.dictionary = false;
  options.page_bytes = 512;
  options.row_group_bytes = 16 << 10;
  options.key_value_metadata = {{std::string(kParquetJsonSchemaKey), batch.schema().ToJsonSchema().dump()}};
  const std::string file = Write(batch, options, {1, 17, 1000, 4999, 5000});
  const pq::FileMetaData meta = Footer(file);
  EXPECT_GE(meta.row_groups.size(), 3u);
  int64_t rows = 0;
  for (const auto& g : meta.row_groups) rows += g.num_rows;
  EXPECT_EQ(rows, 5000);
  ExpectSameRows(batch, file, 777);
}

TEST(ParquetRoundTrip, DictionaryFallsBackToPlainWhenItOutgrowsItsLimit) {
  SchemaPtr schema = std::make_shared<Schema>(std::vector<Field>{MakeField("s", TypeId::kString),
                                                                 MakeField("i", TypeId::kInteger),
                                                                 MakeField("low", TypeId::kString)});
  RecordBatch batch(schema, 0);
  for (size_t r = 0; r < 20000; ++r) {
    // Repeats at first (dictionary), then distinct values (fallback mid-chunk).
    batch.column(0).AppendBytes(r < 5000 ? "k" + std::to_string(r % 10) : "unique-" + std::to_string(r));
    batch.column(1).AppendInt64(r < 5000 ? static_cast<int64_t>(r % 3) : static_cast<int64_t>(r));
    batch.column(2).AppendBytes(r % 2 ? "yes" : "no");
    batch.FinishRow();
  }
  ParquetWriterOptions options;
  options.max_dictionary_bytes = 4096;
  options.page_bytes = 8192;
  const std::string file = Write(batch, options);
  const pq::FileMetaData meta = Footer(file);
  ASSERT_EQ(meta.row_groups.size(), 1u);
  auto has = [](const pq::ColumnMetaData& m, pq::Encoding e) {
    return std::find(m.encodings.begin(), m.encodings.end(), e) != m.encodings.end();
  };
  const auto& s = *meta.row_groups[0].columns[0].meta_data;
  EXPECT_TRUE(has(s, pq::Encoding::kRleDictionary));
  EXPECT_TRUE(s.dictionary_page_offset.has_value());
  const auto& low = *meta.row_groups[0].columns[2].meta_data;
  EXPECT_TRUE(has(low, pq::Encoding::kRleDictionary));
  EXPECT_LT(low.total_compressed_size, 2000);
  ExpectSameRows(batch, file);
}

TEST(ParquetRoundTrip, StatisticsAndSchemaInTheFooter) {
  SchemaPtr schema = std::make_shared<Schema>(std::vector<Field>{
      MakeField("i", TypeId::kInteger), MakeField("s", TypeId::kString), MakeField("n", TypeId::kNumber),
      MakeField("dec", TypeId::kDecimal, true, Json{{"precision", 5}, {"scale", 2}}),
      MakeField("ts", TypeId::kTimestampTz, false), MakeField("j", TypeId::kJson)});
  RecordBatch batch(schema, 0);
  const std::vector<std::string> decs = {"1.5", "-2.25", "999.99", "0"};
  for (int r = 0; r < 4; ++r) {
    if (r == 2) {
      batch.column(0).AppendNull();
      batch.column(1).AppendNull();
      batch.column(2).AppendDouble(NAN);
    } else {
      batch.column(0).AppendInt64(r * 10 - 5);
      batch.column(1).AppendBytes(r == 0 ? "pear" : r == 1 ? "apple" : "zebra");
      batch.column(2).AppendDouble(r == 0 ? 0.0 : r * 1.5);
    }
    batch.column(3).AppendBytes(decs[static_cast<size_t>(r)]);
    batch.column(4).AppendInt64(1000 + r);
    batch.column(5).AppendBytes("{}");
    batch.FinishRow();
  }
  ParquetWriterOptions options;
  options.key_value_metadata = {{std::string(kParquetJsonSchemaKey), schema->ToJsonSchema().dump()}};
  const std::string file = Write(batch, options);
  const pq::FileMetaData meta = Footer(file);
  ASSERT_EQ(meta.schema.size(), 7u);
  EXPECT_EQ(meta.schema[1].logical.kind, pq::LogicalType::Kind::kInteger);
  EXPECT_EQ(meta.schema[1].repetition, pq::Repetition::kOptional);
  EXPECT_EQ(meta.schema[2].converted_type, pq::ConvertedType::kUtf8);
  EXPECT_EQ(meta.schema[4].type, pq::Type::kFixedLenByteArray);
  EXPECT_EQ(meta.schema[4].type_length, 3);
  EXPECT_EQ(meta.schema[4].logical.precision, 5);
  EXPECT_EQ(meta.schema[5].repetition, pq::Repetition::kRequired);
  EXPECT_TRUE(meta.schema[5].logical.adjusted_to_utc);
  EXPECT_EQ(meta.schema[6].logical.kind, pq::LogicalType::Kind::kJson);
  EXPECT_EQ(meta.key_value_metadata.size(), 1u);
  const auto stats = [&](size_t c) { return *meta.row_groups[0].columns[c].meta_data->statistics; };
  auto i64 = [](const std::string& b) {
    int64_t v;
    std::memcpy(&v, b.data(), 8);
    return v;
  };
  auto f64 = [](const std::string& b) {
    double v;
    std::memcpy(&v, b.data(), 8);
    return v;
  };
  EXPECT_EQ(stats(0).null_count, 1);
  EXPECT_EQ(i64(*stats(0).min_value), -5);
  EXPECT_EQ(i64(*stats(0).max_value), 25);
  EXPECT_EQ(*stats(1).min_value, "apple");
  EXPECT_EQ(*stats(1).max_value, "zebra");
  EXPECT_FALSE(stats(1).min.has_value()) << "legacy min/max only for signed orders";
  EXPECT_TRUE(std::signbit(f64(*stats(2).min_value))) << "a zero min is written as -0.0";
  EXPECT_EQ(f64(*stats(2).max_value), 4.5) << "NaN is left out";
  EXPECT_EQ(*stats(3).min_value, std::string("\xff\xff\x1f", 3));  // -225
  EXPECT_EQ(*stats(3).max_value, std::string("\x01\x86\x9f", 3));  // 99999
  EXPECT_EQ(i64(*stats(4).min_value), 1000);
  EXPECT_EQ(stats(4).null_count, 0);
  EXPECT_FALSE(stats(5).min_value.has_value()) << "no min/max for JSON";

  auto reader = OpenReader(file);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->key_value_metadata(), options.key_value_metadata);
  EXPECT_EQ(reader->schema()->field(3).json_schema["precision"], 5);
  EXPECT_FALSE(reader->schema()->field(4).nullable);
  ExpectSameRows(batch, file);
}

TEST(ParquetRoundTrip, ByteStatisticsFollowByteOrderPastSharedPrefixes) {
  // Strings sharing long prefixes, with NUL and 0xff bytes and lengths around 8, and decimals of
  // both signs: min/max must be the byte-wise (decimals: numeric) extremes, in either encoding.
  SchemaPtr schema = std::make_shared<Schema>(std::vector<Field>{
      MakeField("s", TypeId::kString), MakeField("bin", TypeId::kBinary),
      MakeField("dec", TypeId::kDecimal, true, Json{{"precision", 18}, {"scale", 0}}),
      MakeField("dec3", TypeId::kDecimal, true, Json{{"precision", 3}, {"scale", 1}})});
  uint64_t seed = 12345;
  auto next = [&] {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return seed >> 33;
  };
  static const char kAlphabet[] = {'\0', 'a', 'b', '\x7f', '\x80', '\xff'};
  for (bool dictionary : {true, false}) {
    SCOPED_TRACE(dictionary ? "dictionary" : "plain");
    RecordBatch batch(schema, 0);
    std::string min_s, max_s;
    int64_t min_d = INT64_MAX, max_d = INT64_MIN, min_d3 = 999, max_d3 = -999;
    for (int r = 0; r < 3000; ++r) {
      std::string s = next() % 2 ? "prefix-long-" : "prefix-";
      s.resize(s.size() - next() % 8);
      for (size_t n = next() % 5; n > 0; --n) s.push_back(kAlphabet[next() % sizeof(kAlphabet)]);
      if (r == 0 || s < min_s) min_s = s;
      if (r == 0 || s > max_s) max_s = s;
      batch.column(0).AppendBytes(s);
      batch.column(1).AppendBytes(s);
      const int64_t d = static_cast<int64_t>(next() % 2000001) - 1000000 + (r == 7 ? 1000000000000LL : 0);
      min_d = std::min(min_d, d);
      max_d = std::max(max_d, d);
      batch.column(2).AppendBytes(std::to_string(d));
      const int64_t d3 = static_cast<int64_t>(next() % 1999) - 999;  // tenths
      min_d3 = std::min(min_d3, d3);
      max_d3 = std::max(max_d3, d3);
      batch.column(3).AppendBytes(std::to_string(d3) + "e-1");
      batch.FinishRow();
    }
    ParquetWriterOptions options;
    options.dictionary = dictionary;
    options.page_bytes = 2048;  // many pages
    const std::string file = Write(batch, options);
    const pq::FileMetaData meta = Footer(file);
    const auto stats = [&](size_t c) { return *meta.row_groups[0].columns[c].meta_data->statistics; };
    EXPECT_EQ(*stats(0).min_value, min_s);
    EXPECT_EQ(*stats(0).max_value, max_s);
    EXPECT_EQ(*stats(1).min_value, min_s);
    EXPECT_EQ(*stats(1).max_value, max_s);
    auto decimal = [](const std::string& bytes) {
      int64_t v = static_cast<int8_t>(bytes[0]);
      for (size_t i = 1; i < bytes.size(); ++i) v = v * 256 + static_cast<uint8_t>(bytes[i]);
      return v;
    };
    EXPECT_EQ(decimal(*stats(2).min_value), min_d);
    EXPECT_EQ(decimal(*stats(2).max_value), max_d);
    EXPECT_EQ(decimal(*stats(3).min_value), min_d3);
    EXPECT_EQ(decimal(*stats(3).max_value), max_d3);
    ExpectSameRows(batch, file);
  }
}

TEST(ParquetRoundTrip, EmptyFileHasSchemaAndNoRowGroups) {
  const RecordBatch batch = AllTypesBatch(0, false);
  const std::string file = Write(batch, {});
  EXPECT_TRUE(Footer(file).row_groups.empty());
  auto reader = OpenReader(file);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->num_rows(), 0);
  EXPECT_EQ(reader->schema()->num_fields(), AllTypesSchema()->num_fields());
  RecordBatch out(reader->schema(), 0);
  auto got = reader->Next(out, 100);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(*got);
}

TEST(ParquetRoundTrip, AllNullColumnsAndLargeRowCount) {
  SchemaPtr schema = std::make_shared<Schema>(
      std::vector<Field>{MakeField("x", TypeId::kInteger), MakeField("s", TypeId::kString), MakeField("b", TypeId::kBoolean)});
  RecordBatch batch(schema, 0);
  for (size_t r = 0; r < 300000; ++r) {
    batch.column(0).AppendNull();
    if (r % 1000 == 999) {
      batch.column(1).AppendBytes("rare");
    } else {
      batch.column(1).AppendNull();
    }
    batch.column(2).AppendBool((r / 3) % 2 == 0);
    batch.FinishRow();
  }
  ParquetWriterOptions options;
  options.row_group_bytes = 20 << 10;
  const std::string file = Write(batch, options);
  EXPECT_LT(file.size(), 200000u);
  ExpectSameRows(batch, file, 65536);
}

TEST(ParquetRoundTrip, SetOutputSchemaSelectsAndReordersColumns) {
  const RecordBatch batch = AllTypesBatch(100, true);
  const std::string file = Write(batch, {});
  auto reader = OpenReader(file);
  ASSERT_TRUE(reader);
  SchemaPtr target = std::make_shared<Schema>(std::vector<Field>{
      MakeField("ts", TypeId::kTimestampNoTz), MakeField("missing", TypeId::kString), MakeField("i", TypeId::kInteger)});
  ASSERT_TRUE(reader->SetOutputSchema(target).ok());
  RecordBatch out(target, 0);
  auto got = reader->Next(out, 1000);
  ASSERT_TRUE(got.ok() && *got);
  ASSERT_EQ(out.num_rows(), 100u);
  for (size_t r = 0; r < 100; ++r) {
    EXPECT_EQ(Cell(out.column(0), r), Cell(batch.column(12), r));
    EXPECT_TRUE(out.column(1).IsNull(r));
    EXPECT_EQ(Cell(out.column(2), r), Cell(batch.column(1), r));
  }
  auto wrong = OpenReader(file);
  Status st = wrong->SetOutputSchema(
      std::make_shared<Schema>(std::vector<Field>{MakeField("i", TypeId::kString)}));
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("column 'i' is integer in the file but string"), std::string::npos) << st.message();
}

TEST(ParquetWriterErrors, BadValuesNameTheColumn) {
  auto write_one = [](Field field, std::string_view value) {
    SchemaPtr schema = std::make_shared<Schema>(std::vector<Field>{field});
    RecordBatch batch(schema, 0);
    if (value == "NULL") {
      batch.column(0).AppendNull();
    } else if (field.type == TypeId::kInteger) {
      batch.column(0).AppendInt64(1);
    } else {
      batch.column(0).AppendBytes(value);
    }
    batch.FinishRow();
    std::string file;
    auto out = MakeStringOutputStream(&file, "x");
    auto writer = ParquetWriter::Open(schema, {}, out.get());
    EXPECT_TRUE(writer.ok());
    return (*writer)->Write(batch);
  };
  Status st = write_one(MakeField("id", TypeId::kInteger, false), "NULL");
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find("column 'id' is required"), std::string::npos) << st.message();
  st = write_one(MakeField("u", TypeId::kString, true, Json{{"format", "uuid"}}), "not-a-uuid");
  EXPECT_NE(st.message().find("column 'u': 'not-a-uuid' is not a UUID"), std::string::npos) << st.message();
  st = write_one(MakeField("d", TypeId::kDecimal, true, Json{{"precision", 4}, {"scale", 2}}), "123.45");
  EXPECT_NE(st.message().find("does not fit DECIMAL(4, 2)"), std::string::npos) << st.message();
  st = write_one(MakeField("d", TypeId::kDecimal, true, Json{{"precision", 6}, {"scale", 1}}), "1.25");
  EXPECT_FALSE(st.ok()) << "a digit below the scale is not dropped silently";
  EXPECT_TRUE(write_one(MakeField("d", TypeId::kDecimal, true, Json{{"precision", 6}, {"scale", 1}}), "1.20").ok());

  std::string file;
  auto out = MakeStringOutputStream(&file, "x");
  auto dup = ParquetWriter::Open(
      std::make_shared<Schema>(std::vector<Field>{MakeField("a", TypeId::kInteger), MakeField("a", TypeId::kString)}),
      {}, out.get());
  EXPECT_FALSE(dup.ok());
}

TEST(ParquetReaderErrors, NotParquetOrTruncated) {
  auto open = [](std::string data) { return ParquetReader::Open(MakeStringRandomAccessFile(std::move(data), "bad.parquet")); };
  auto r = open("hello");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("file bad.parquet: not a Parquet file"), std::string::npos) << r.status().message();
  EXPECT_FALSE(open(std::string(100, 'x')).ok());

  const RecordBatch batch = AllTypesBatch(2000, true);
  const std::string file = Write(batch, {});
  // A footer cut short, or data pages overwritten: an error naming the file, never a crash.
  EXPECT_FALSE(open(file.substr(0, file.size() - 20) + file.substr(file.size() - 8)).ok());
  std::string damaged = file;
  for (size_t i = 200; i < damaged.size() / 2; i += 3) damaged[i] = static_cast<char>(damaged[i] ^ 0x5A);
  auto reader = open(damaged);
  if (reader.ok()) {
    RecordBatch out((*reader)->schema(), 0);
    Result<bool> got = true;
    while (got.ok() && *got) {
      out.Clear();
      got = (*reader)->Next(out, 500);
    }
    EXPECT_FALSE(got.ok());
    EXPECT_NE(got.status().message().find("bad.parquet"), std::string::npos) << got.status().message();
  }
}

TEST(ParquetSchema, DecimalHelpers) {
  EXPECT_EQ(pq::DecimalByteWidth(1), 1);
  EXPECT_EQ(pq::DecimalByteWidth(2), 1);
  EXPECT_EQ(pq::DecimalByteWidth(3), 2);
  EXPECT_EQ(pq::DecimalByteWidth(9), 4);
  EXPECT_EQ(pq::DecimalByteWidth(10), 5);
  EXPECT_EQ(pq::DecimalByteWidth(18), 8);
  EXPECT_EQ(pq::DecimalByteWidth(19), 9);
  EXPECT_EQ(pq::DecimalByteWidth(38), 16);
  __int128 v;
  ASSERT_TRUE(pq::ParseDecimal("-12.5", 5, 2, v));
  EXPECT_TRUE(v == -1250);
  ASSERT_TRUE(pq::ParseDecimal("1.5e2", 5, 0, v));
  EXPECT_TRUE(v == 150);
  ASSERT_TRUE(pq::ParseDecimal("000.0100", 3, 2, v));
  EXPECT_TRUE(v == 1);
  EXPECT_FALSE(pq::ParseDecimal("1000", 3, 0, v));
  EXPECT_FALSE(pq::ParseDecimal("abc", 3, 0, v));
  std::string s;
  pq::AppendDecimal(s, -5, 2);
  EXPECT_EQ(s, "-0.05");
  s.clear();
  pq::AppendDecimal(s, 12345, 0);
  EXPECT_EQ(s, "12345");
  s.clear();
  pq::AppendDecimal(s, 100, 2);
  EXPECT_EQ(s, "1.00");
  uint8_t u[16];
  ASSERT_TRUE(pq::ParseUuid("123E4567-E89B-12D3-A456-426614174000", u));
  s.clear();
  pq::AppendUuid(s, u);
  EXPECT_EQ(s, "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_FALSE(pq::ParseUuid("123e4567e89b-12d3-a456-4266141740000", u));
}

}  // namespace
}  // namespace sluice
