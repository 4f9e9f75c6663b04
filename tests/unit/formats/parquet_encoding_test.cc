// The hand-coded Thrift compact protocol and the RLE / bit-packed hybrid encoding, checked
// against bytes computed by hand from the specifications (Thrift compact protocol spec,
// parquet-format Encodings.md).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "formats/parquet/parquet_metadata.h"
#include "formats/parquet/rle_encoding.h"
#include "formats/parquet/thrift_compact.h"

namespace sluice::parquet {
namespace {

using thrift::CompactReader;
using thrift::CompactWriter;
using thrift::CType;

std::vector<int> Bytes(const std::string& s) {
  std::vector<int> out;
  for (char c : s) out.push_back(static_cast<uint8_t>(c));
  return out;
}

TEST(ThriftCompact, FieldHeadersAndValuesMatchHandComputedBytes) {
  std::string out;
  CompactWriter w(out);
  w.StructBegin();
  w.FieldI32(1, 3);            // 0x15 (delta 1, i32), zigzag 6
  w.FieldI64(3, -1);           // 0x26 (delta 2, i64), zigzag 1
  w.FieldBinary(4, "ab");      // 0x18, len 2, 'a' 'b'
  w.FieldBool(5, true);        // 0x11
  w.FieldBool(6, false);       // 0x12
  w.FieldI32(20, 150);         // 0xE5 (delta 14), zigzag 300 = ac 02
  w.FieldI32(40, 1);           // delta 20 > 15: 0x05, zigzag id 80 = 0x50, then zigzag 1 = 0x02
  w.FieldListBegin(41, CType::kI32, 3);  // 0x19, list header 0x35
  w.ElementI32(1);
  w.ElementI32(2);
  w.ElementI32(3);             // 02 04 06
  w.FieldStructBegin(42);      // 0x1c
  w.FieldI32(1, 0);            // 0x15 0x00 (ids restart inside the struct)
  w.StructEnd();               // 0x00
  w.FieldI32(43, 7);           // 0x15 (delta 1 from 42) 0x0e
  w.FieldI8(44, -2);           // 0x13 0xfe
  w.StructEnd();               // 0x00
  EXPECT_EQ(Bytes(out), (std::vector<int>{0x15, 0x06, 0x26, 0x01, 0x18, 0x02, 'a', 'b', 0x11, 0x12, 0xE5, 0xAC,
                                          0x02, 0x05, 0x50, 0x02, 0x19, 0x35, 0x02, 0x04, 0x06, 0x1C, 0x15, 0x00,
                                          0x00, 0x15, 0x0E, 0x13, 0xFE, 0x00}));
}

TEST(ThriftCompact, LongListsUseTheVarintSize) {
  std::string out;
  CompactWriter w(out);
  w.ListHeader(CType::kI32, 20);
  w.ListHeader(CType::kBinary, 14);
  EXPECT_EQ(Bytes(out), (std::vector<int>{0xF5, 0x14, 0xE8}));
}

TEST(ThriftCompact, VarintsAndZigZag) {
  std::string out;
  CompactWriter w(out);
  w.Varint(0);
  w.Varint(127);
  w.Varint(128);
  w.Varint(16384);
  EXPECT_EQ(Bytes(out), (std::vector<int>{0x00, 0x7F, 0x80, 0x01, 0x80, 0x80, 0x01}));
  EXPECT_EQ(CompactWriter::ZigZag(0), 0u);
  EXPECT_EQ(CompactWriter::ZigZag(-1), 1u);
  EXPECT_EQ(CompactWriter::ZigZag(1), 2u);
  EXPECT_EQ(CompactWriter::ZigZag(-2), 3u);
  EXPECT_EQ(CompactWriter::ZigZag(INT64_MIN), UINT64_MAX);
  EXPECT_EQ(CompactReader::UnZigZag(UINT64_MAX), INT64_MIN);
  EXPECT_EQ(CompactReader::UnZigZag(CompactWriter::ZigZag(INT64_MAX)), INT64_MAX);
}

TEST(ThriftCompact, ReaderReadsWhatTheWriterWroteAndSkipsUnknownFields) {
  std::string out;
  CompactWriter w(out);
  w.StructBegin();
  w.FieldI32(1, -7);
  w.FieldListBegin(2, CType::kStruct, 2);  // an unknown list of structs to skip
  for (int i = 0; i < 2; ++i) {
    w.StructBegin();
    w.FieldBinary(1, "x");
    w.FieldListBegin(2, CType::kI64, 1);
    w.ElementI64(5);
    w.StructEnd();
  }
  w.FieldBool(3, true);
  w.FieldI64(100, int64_t{1} << 40);
  w.StructEnd();

  CompactReader r(reinterpret_cast<const uint8_t*>(out.data()), out.size());
  r.StructBegin();
  CType t;
  int16_t id;
  r.FieldBegin(t, id);
  ASSERT_EQ(id, 1);
  EXPECT_EQ(r.I32(), -7);
  r.FieldBegin(t, id);
  ASSERT_EQ(id, 2);
  r.Skip(t);
  r.FieldBegin(t, id);
  ASSERT_EQ(id, 3);
  EXPECT_TRUE(r.BoolValue());
  r.FieldBegin(t, id);
  ASSERT_EQ(id, 100);
  EXPECT_EQ(r.I64(), int64_t{1} << 40);
  r.FieldBegin(t, id);
  EXPECT_EQ(t, CType::kStop);
  r.StructEnd();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.position(), out.size());
}

TEST(ThriftCompact, TruncatedInputFailsWithoutReadingPastTheEnd) {
  std::string out;
  CompactWriter w(out);
  w.StructBegin();
  w.FieldBinary(1, "hello world");
  w.StructEnd();
  for (size_t cut = 0; cut < out.size(); ++cut) {
    CompactReader r(reinterpret_cast<const uint8_t*>(out.data()), cut);
    r.Skip(CType::kStruct);
    EXPECT_FALSE(r.ok()) << cut;
  }
}

TEST(ParquetMetadata, PageHeaderRoundTrip) {
  PageHeader h;
  h.type = PageType::kDataPage;
  h.uncompressed_page_size = 1000;
  h.compressed_page_size = 400;
  h.data_page_header = DataPageHeader{123, Encoding::kRleDictionary, Encoding::kRle, Encoding::kRle, {}};
  std::string out;
  SerializePageHeader(h, out);
  // type 0 (0x15 0x00), sizes 1000/400, then struct 5 {1: 123, 2: 8, 3: 3, 4: 3}
  EXPECT_EQ(Bytes(out), (std::vector<int>{0x15, 0x00, 0x15, 0xD0, 0x0F, 0x15, 0xA0, 0x06, 0x2C, 0x15, 0xF6,
                                          0x01, 0x15, 0x10, 0x15, 0x06, 0x15, 0x06, 0x00, 0x00}));
  out += "trailing page bytes";
  PageHeader back;
  size_t size = 0;
  ASSERT_TRUE(ParsePageHeader(reinterpret_cast<const uint8_t*>(out.data()), out.size(), back, size).ok());
  EXPECT_EQ(size, 20u);
  EXPECT_EQ(back.type, PageType::kDataPage);
  EXPECT_EQ(back.uncompressed_page_size, 1000);
  EXPECT_EQ(back.compressed_page_size, 400);
  ASSERT_TRUE(back.data_page_header.has_value());
  EXPECT_EQ(back.data_page_header->num_values, 123);
  EXPECT_EQ(back.data_page_header->encoding, Encoding::kRleDictionary);
}

TEST(ParquetMetadata, FileMetaDataRoundTrip) {
  FileMetaData m;
  SchemaElement root;
  root.name = "schema";
  root.num_children = 2;
  m.schema.push_back(root);
  SchemaElement a;
  a.name = "ts";
  a.type = Type::kInt64;
  a.repetition = Repetition::kOptional;
  a.converted_type = ConvertedType::kTimestampMicros;
  a.logical.kind = LogicalType::Kind::kTimestamp;
  a.logical.adjusted_to_utc = false;
  a.logical.unit = TimeUnit::kMicros;
  m.schema.push_back(a);
  SchemaElement b;
  b.name = "d";
  b.type = Type::kFixedLenByteArray;
  b.type_length = 5;
  b.repetition = Repetition::kRequired;
  b.logical.kind = LogicalType::Kind::kDecimal;
  b.logical.precision = 10;
  b.logical.scale = 2;
  b.precision = 10;
  b.scale = 2;
  m.schema.push_back(b);
  m.num_rows = 42;
  RowGroup g;
  g.num_rows = 42;
  g.total_byte_size = 999;
  ColumnChunk c;
  c.file_offset = 4;
  ColumnMetaData cm;
  cm.type = Type::kInt64;
  cm.encodings = {Encoding::kPlain, Encoding::kRle};
  cm.path_in_schema = {"ts"};
  cm.codec = Codec::kZstd;
  cm.num_values = 42;
  cm.data_page_offset = 4;
  cm.dictionary_page_offset = 4;
  cm.statistics = Statistics{};
  cm.statistics->null_count = 3;
  cm.statistics->min_value = std::string("\x01\0\0\0\0\0\0\0", 8);
  c.meta_data = cm;
  g.columns = {c, c};
  m.row_groups.push_back(g);
  m.key_value_metadata = {{"k", "v"}};
  m.created_by = "sluice test";
  m.type_defined_column_orders = true;
  std::string out;
  SerializeFileMetaData(m, out);

  FileMetaData back;
  ASSERT_TRUE(ParseFileMetaData(reinterpret_cast<const uint8_t*>(out.data()), out.size(), back).ok());
  ASSERT_EQ(back.schema.size(), 3u);
  EXPECT_EQ(back.schema[0].num_children, 2);
  EXPECT_EQ(back.schema[1].name, "ts");
  EXPECT_EQ(back.schema[1].logical.kind, LogicalType::Kind::kTimestamp);
  EXPECT_FALSE(back.schema[1].logical.adjusted_to_utc);
  EXPECT_EQ(back.schema[1].logical.unit, TimeUnit::kMicros);
  EXPECT_EQ(back.schema[1].converted_type, ConvertedType::kTimestampMicros);
  EXPECT_EQ(back.schema[2].type_length, 5);
  EXPECT_EQ(back.schema[2].logical.kind, LogicalType::Kind::kDecimal);
  EXPECT_EQ(back.schema[2].logical.precision, 10);
  EXPECT_EQ(back.schema[2].logical.scale, 2);
  EXPECT_EQ(back.schema[2].repetition, Repetition::kRequired);
  EXPECT_EQ(back.num_rows, 42);
  ASSERT_EQ(back.row_groups.size(), 1u);
  ASSERT_EQ(back.row_groups[0].columns.size(), 2u);
  const ColumnMetaData& bm = *back.row_groups[0].columns[1].meta_data;
  EXPECT_EQ(bm.codec, Codec::kZstd);
  EXPECT_EQ(bm.path_in_schema, std::vector<std::string>{"ts"});
  EXPECT_EQ(bm.encodings.size(), 2u);
  EXPECT_EQ(bm.dictionary_page_offset, 4);
  ASSERT_TRUE(bm.statistics.has_value());
  EXPECT_EQ(bm.statistics->null_count, 3);
  EXPECT_EQ(bm.statistics->min_value->size(), 8u);
  EXPECT_EQ(back.key_value_metadata, m.key_value_metadata);
  EXPECT_EQ(back.created_by, "sluice test");

  // Every truncation is an error, never a crash.
  for (size_t cut = 0; cut < out.size(); cut += 7) {
    FileMetaData partial;
    EXPECT_FALSE(ParseFileMetaData(reinterpret_cast<const uint8_t*>(out.data()), cut, partial).ok()) << cut;
  }
}

// ---- RLE / bit-packed hybrid ----------------------------------------------------------------

std::string Encode(const std::vector<uint32_t>& values, int bit_width) {
  std::string out;
  RleEncoder e;
  e.Begin(bit_width, &out);
  for (uint32_t v : values) e.Put(v);
  e.Finish();
  return out;
}

std::vector<uint32_t> Decode(const std::string& data, int bit_width, size_t n) {
  std::vector<uint32_t> out(n + 5);
  RleDecoder d(reinterpret_cast<const uint8_t*>(data.data()), data.size(), bit_width);
  out.resize(d.Get(out.data(), n));
  return out;
}

TEST(Rle, BitWidth) {
  EXPECT_EQ(BitWidth(0), 0);
  EXPECT_EQ(BitWidth(1), 1);
  EXPECT_EQ(BitWidth(2), 2);
  EXPECT_EQ(BitWidth(7), 3);
  EXPECT_EQ(BitWidth(8), 4);
  EXPECT_EQ(BitWidth(UINT32_MAX), 32);
}

TEST(Rle, HandComputedRuns) {
  // 8 ones at width 1: one repeated run, header 8 << 1 = 16, value byte 1.
  EXPECT_EQ(Bytes(Encode(std::vector<uint32_t>(8, 1), 1)), (std::vector<int>{0x10, 0x01}));
  // 100 zeros at width 3: header 200 as varint (c8 01), one value byte.
  EXPECT_EQ(Bytes(Encode(std::vector<uint32_t>(100, 0), 3)), (std::vector<int>{0xC8, 0x01, 0x00}));
  // 0..7 at width 3 (the Encodings.md example): one bit-packed group, header 1 << 1 | 1.
  EXPECT_EQ(Bytes(Encode({0, 1, 2, 3, 4, 5, 6, 7}, 3)), (std::vector<int>{0x03, 0x88, 0xC6, 0xFA}));
  // Five alternating bits: one group padded with zeros, LSB first: 0b00010101.
  EXPECT_EQ(Bytes(Encode({1, 0, 1, 0, 1}, 1)), (std::vector<int>{0x03, 0x15}));
  // Fewer than 8 equal values at the end: still a repeated run.
  EXPECT_EQ(Bytes(Encode({5, 5, 5}, 3)), (std::vector<int>{0x06, 0x05}));
  // A run of 8 twos, then 1 2 3 packed at width 2: 1 | 2 << 2 | 3 << 4 = 0x39, then a zero byte.
  EXPECT_EQ(Bytes(Encode({2, 2, 2, 2, 2, 2, 2, 2, 1, 2, 3}, 2)),
            (std::vector<int>{0x10, 0x02, 0x03, 0x39, 0x00}));
  // Width 9: the run value takes two little-endian bytes (300 = 0x012c).
  EXPECT_EQ(Bytes(Encode(std::vector<uint32_t>(10, 300), 9)), (std::vector<int>{0x14, 0x2C, 0x01}));
}

TEST(Rle, BitPackedRunsStopAt63Groups) {
  std::vector<uint32_t> values(1000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = i & 1;
  const std::string out = Encode(values, 1);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x7F);  // 63 groups << 1 | 1
  EXPECT_EQ(Decode(out, 1, values.size()), values);
}

TEST(Rle, RandomRoundTripsAtEveryWidth) {
  std::mt19937 rng(7);
  for (int width = 1; width <= 32; ++width) {
    const uint64_t limit = width == 32 ? UINT32_MAX : (1ull << width) - 1;
    std::vector<uint32_t> values;
    while (values.size() < 5000) {
      const uint32_t v = static_cast<uint32_t>(rng() % (limit + 1));
      const size_t repeat = rng() % 4 == 0 ? 1 + rng() % 40 : 1;
      for (size_t k = 0; k < repeat; ++k) values.push_back(v);
    }
    const std::string out = Encode(values, width);
    EXPECT_EQ(Decode(out, width, values.size()), values) << "width " << width;
  }
}

TEST(Rle, PutRepeatedEqualsPutLoop) {
  std::string a, b;
  RleEncoder ea, eb;
  ea.Begin(1, &a);
  eb.Begin(1, &b);
  const std::vector<std::pair<uint32_t, uint64_t>> runs = {{1, 3}, {0, 1}, {1, 100000}, {0, 7}, {1, 9}, {0, 20}};
  for (auto [v, n] : runs) {
    for (uint64_t i = 0; i < n; ++i) ea.Put(v);
    eb.PutRepeated(v, n);
  }
  ea.Finish();
  eb.Finish();
  EXPECT_EQ(a, b);
  std::vector<uint32_t> expected;
  for (auto [v, n] : runs) expected.insert(expected.end(), n, v);
  EXPECT_EQ(Decode(b, 1, expected.size()), expected);
}

TEST(Rle, UnpackBitsMatchesPackGroup) {
  std::mt19937 rng(3);
  for (int width = 1; width <= 32; ++width) {
    uint32_t v[8];
    for (auto& x : v) x = static_cast<uint32_t>(rng()) & (width == 32 ? UINT32_MAX : (1u << width) - 1);
    std::string packed;
    PackGroup(v, width, packed);
    ASSERT_EQ(packed.size(), static_cast<size_t>(width));
    uint64_t back[8];
    UnpackBits(reinterpret_cast<const uint8_t*>(packed.data()), width, 8, back);
    for (int i = 0; i < 8; ++i) EXPECT_EQ(back[i], v[i]) << width << " " << i;
  }
}

TEST(Rle, TruncatedInputReturnsFewerValues) {
  const std::string out = Encode(std::vector<uint32_t>(100, 0), 3);
  EXPECT_EQ(Decode(out.substr(0, 1), 3, 100).size(), 0u);
  EXPECT_EQ(Decode(out, 3, 200).size(), 100u);
}

}  // namespace
}  // namespace sluice::parquet
