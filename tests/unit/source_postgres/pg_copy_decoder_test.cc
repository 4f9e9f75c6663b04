// CopyDecoder: binary COPY streams, split anywhere, into batches.
#include "connectors/sources/postgres/pg_copy_decoder.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

using pgbin::Decoder;

class CopyStream {
 public:
  CopyStream() {
    out_.append("PGCOPY\n\xff\r\n\0", 11);
    Put32(0);
    Put32(0);
  }
  CopyStream& Row(int fields) {
    Put16(fields);
    return *this;
  }
  CopyStream& Int4(int32_t v) {
    Put32(4);
    Put32(static_cast<uint32_t>(v));
    return *this;
  }
  CopyStream& Text(std::string_view s) {
    Put32(static_cast<uint32_t>(s.size()));
    out_.append(s);
    return *this;
  }
  CopyStream& Null() {
    Put32(0xFFFFFFFF);
    return *this;
  }
  std::string Finish() {
    Put16(0xFFFF);
    return out_;
  }

 private:
  void Put16(uint32_t v) {
    out_.push_back(static_cast<char>((v >> 8) & 0xFF));
    out_.push_back(static_cast<char>(v & 0xFF));
  }
  void Put32(uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
  std::string out_;
};

SchemaPtr TwoColumns() {
  return std::make_shared<Schema>(std::vector<Field>{{"id", TypeId::kInteger, true, {}}, {"name", TypeId::kString, true, {}}});
}

std::string Sample() {
  CopyStream s;
  s.Row(2).Int4(1).Text("eins");
  s.Row(2).Int4(2).Null();
  s.Row(2).Null().Text("drei ü");
  s.Row(2).Int4(2).Text("again");
  return s.Finish();
}

void ExpectSample(const RecordBatch& batch) {
  ASSERT_EQ(batch.num_rows(), 4u);
  EXPECT_EQ(batch.column(0).Int64(0), 1);
  EXPECT_EQ(batch.column(1).Bytes(0), "eins");
  EXPECT_EQ(batch.column(0).Int64(1), 2);
  EXPECT_TRUE(batch.column(1).IsNull(1));
  EXPECT_TRUE(batch.column(0).IsNull(2));
  EXPECT_EQ(batch.column(1).Bytes(2), "drei ü");
  EXPECT_EQ(batch.column(1).Bytes(3), "again");
}

TEST(CopyDecoder, WholeStream) {
  CopyDecoder decoder({{Decoder::kInt4, Decoder::kText}, {Decoder::kText, Decoder::kText}}, /*cursor=*/0);
  RecordBatch batch(TwoColumns(), 0);
  const std::string data = Sample();
  ASSERT_TRUE(decoder.Feed(reinterpret_cast<const uint8_t*>(data.data()), data.size(), batch).ok());
  ASSERT_TRUE(decoder.Finish().ok());
  ExpectSample(batch);
  // The cursor is the last non-null value (2), seen in two rows.
  ASSERT_TRUE(decoder.has_cursor());
  EXPECT_EQ(decoder.last_cursor(), std::string("\0\0\0\x02", 4));
  EXPECT_EQ(decoder.last_cursor_rows(), 2u);
}

TEST(CopyDecoder, AnySplitGivesTheSameRows) {
  const std::string data = Sample();
  for (size_t step = 1; step <= 7; ++step) {
    CopyDecoder decoder({{Decoder::kInt4, Decoder::kText}, {Decoder::kText, Decoder::kText}});
    RecordBatch batch(TwoColumns(), 0);
    for (size_t i = 0; i < data.size(); i += step) {
      const size_t n = std::min(step, data.size() - i);
      ASSERT_TRUE(decoder.Feed(reinterpret_cast<const uint8_t*>(data.data() + i), n, batch).ok()) << step;
    }
    ASSERT_TRUE(decoder.Finish().ok()) << step;
    ExpectSample(batch);
  }
}

TEST(CopyDecoder, RepeatedCursorValuesAreCounted) {
  CopyStream s;
  s.Row(2).Int4(5).Text("a");
  s.Row(2).Int4(7).Text("b");
  s.Row(2).Int4(7).Text("c");
  s.Row(2).Null().Text("d");
  const std::string data = s.Finish();
  CopyDecoder decoder({{Decoder::kInt4, Decoder::kText}, {Decoder::kText, Decoder::kText}}, 0);
  RecordBatch batch(TwoColumns(), 0);
  ASSERT_TRUE(decoder.Feed(reinterpret_cast<const uint8_t*>(data.data()), data.size(), batch).ok());
  EXPECT_EQ(decoder.last_cursor(), std::string("\0\0\0\x07", 4));
  EXPECT_EQ(decoder.last_cursor_rows(), 2u);
}

TEST(CopyDecoder, InfiniteDatesBecomeNullWithAChange) {
  CopyStream s;
  s.Row(2).Int4(1).Int4(INT32_MAX);
  s.Row(2).Int4(2).Int4(-1);  // 1999-12-31
  s.Row(2).Int4(3).Int4(INT32_MIN);
  const std::string data = s.Finish();
  auto schema = std::make_shared<Schema>(
      std::vector<Field>{{"id", TypeId::kInteger, true, {}}, {"day", TypeId::kDate, true, {}}});
  CopyDecoder decoder({{Decoder::kInt4, Decoder::kText}, {Decoder::kDate, Decoder::kText}});
  RecordBatch batch(schema, 0);
  ASSERT_TRUE(decoder.Feed(reinterpret_cast<const uint8_t*>(data.data()), data.size(), batch).ok());
  ASSERT_EQ(batch.num_rows(), 3u);
  EXPECT_TRUE(batch.column(1).IsNull(0));
  EXPECT_EQ(batch.column(1).Int32(1), 10956);
  EXPECT_TRUE(batch.column(1).IsNull(2));
  ASSERT_EQ(batch.changes().size(), 2u);
  EXPECT_EQ(batch.changes()[0].row, 0u);
  EXPECT_EQ(batch.changes()[0].field, "day");
  EXPECT_EQ(batch.changes()[0].change, ChangeKind::kNulled);
  EXPECT_EQ(batch.changes()[0].reason, ChangeReason::kSourceSerializationError);
  EXPECT_EQ(batch.changes()[1].row, 2u);
}

TEST(CopyDecoder, Errors) {
  RecordBatch batch(TwoColumns(), 0);
  {
    CopyDecoder decoder({{Decoder::kInt4, Decoder::kText}, {Decoder::kText, Decoder::kText}});
    const std::string bad("NOTCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0\0", 21);
    Status st = decoder.Feed(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), batch);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("signature"), std::string::npos);
  }
  {
    CopyDecoder decoder({{Decoder::kInt4, Decoder::kText}, {Decoder::kText, Decoder::kText}});
    CopyStream s;
    s.Row(1).Int4(1);
    const std::string data = s.Finish();
    Status st = decoder.Feed(reinterpret_cast<const uint8_t*>(data.data()), data.size(), batch);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("1 fields, expected 2"), std::string::npos) << st.message();
  }
  {
    CopyDecoder decoder({{Decoder::kInt4, Decoder::kText}, {Decoder::kText, Decoder::kText}});
    CopyStream s;
    s.Row(2).Text("xy").Text("z");  // a 2-byte int4
    const std::string data = s.Finish();
    Status st = decoder.Feed(reinterpret_cast<const uint8_t*>(data.data()), data.size(), batch);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("column 1 ('id')"), std::string::npos) << st.message();
    EXPECT_EQ(batch.num_rows(), 0u);
  }
  {
    CopyDecoder decoder({{Decoder::kInt4, Decoder::kText}, {Decoder::kText, Decoder::kText}});
    CopyStream s;
    s.Row(2).Int4(1).Text("a");
    std::string data = s.Finish();
    data.resize(data.size() - 2);  // no trailer
    ASSERT_TRUE(decoder.Feed(reinterpret_cast<const uint8_t*>(data.data()), data.size(), batch).ok());
    EXPECT_FALSE(decoder.Finish().ok());
  }
}

}  // namespace
}  // namespace sluice
