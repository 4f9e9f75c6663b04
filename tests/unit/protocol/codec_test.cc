#include "protocol/codec.h"

#include <gtest/gtest.h>

#include <cmath>

#include "base/time.h"

namespace sluice {
namespace {

ConfiguredCatalog TwoStreams() {
  auto c = ConfiguredCatalog::FromJson(Json::parse(R"({"streams":[
    {"stream":{"name":"users","json_schema":{"type":"object","properties":{
        "id":{"type":"integer"},"name":{"type":["null","string"]},"score":{"type":"number"},
        "big":{"type":"number","airbyte_type":"big_number"},"born":{"type":"string","format":"date"},
        "seen":{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"},
        "blob":{"type":"string","contentEncoding":"base64"},"ok":{"type":"boolean"},
        "address":{"type":"object"}}},"supported_sync_modes":["full_refresh"]},
     "sync_mode":"full_refresh","destination_sync_mode":"append"},
    {"stream":{"name":"users","namespace":"other","json_schema":{"type":"object","properties":{
        "id":{"type":"integer"}}},"supported_sync_modes":["full_refresh"]},
     "sync_mode":"full_refresh","destination_sync_mode":"append"}]})"));
  EXPECT_TRUE(c.ok()) << c.status().message();
  return std::move(c).value();
}

struct Collector : MessageHandler {
  std::vector<RecordBatch> batches;
  std::vector<StateMessage> states;
  std::vector<Json> others;
  std::vector<std::string> order;
  Status OnBatch(RecordBatch b) override {
    order.push_back("batch");
    batches.push_back(std::move(b));
    return Status::Ok();
  }
  Status OnState(StateMessage s) override {
    order.push_back("state");
    states.push_back(std::move(s));
    return Status::Ok();
  }
  Status OnOtherMessage(const Json& m) override {
    others.push_back(m);
    return Status::Ok();
  }
};

TEST(CodecTest, EscapesStringsAndReplacesInvalidUtf8) {
  std::string out;
  AppendJsonString(out, "a\"b\\c\n\x01é😀");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001é😀\"");
  out.clear();
  AppendJsonString(out, std::string("x\xff" "y", 3));
  EXPECT_EQ(out, "\"x\xEF\xBF\xBDy\"");
  EXPECT_TRUE(Json::accept(out));
}

// The escaper scans eight bytes at a time: every byte that needs a look must be caught at every
// position of a word, and the result must equal a byte-at-a-time reference (nlohmann's dump).
TEST(CodecTest, EscapesEverySpecialByteAtEveryOffset) {
  const std::vector<std::string> specials = {"\"", "\\", "\n", std::string(1, '\0'), "\x1f", "\x7f", "é",
                                             "\xff", "\x80", "😀"};
  for (const std::string& special : specials) {
    for (size_t pos = 0; pos < 20; ++pos) {
      std::string text = std::string(pos, 'a') + special + std::string(19 - pos, 'z');
      std::string out;
      AppendJsonString(out, text);
      const std::string expected =
          Json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      EXPECT_EQ(out, expected) << "special byte " << static_cast<int>(static_cast<uint8_t>(special[0]))
                               << " at " << pos;
    }
  }
  std::string out;
  AppendJsonString(out, "");
  EXPECT_EQ(out, "\"\"");
  out.clear();
  AppendJsonString(out, "exactly8");
  EXPECT_EQ(out, "\"exactly8\"");
}

// Escaped keys and string values are unescaped; plain ones are read as they are.
TEST(CodecTest, ReadsEscapedKeysAndStringValues) {
  ConfiguredCatalog catalog = TwoStreams();
  Collector c;
  ProtocolReader reader(catalog, c);
  const std::string input =
      R"({"type":"RECORD","record":{"stream":"users","data":{"\u0069d":7,"name":"a\"b\\c\u00e9","score":2}, "emitted_at":1}})"
      "\n"
      R"({"type":"RECORD","record":{"stream":"users","data":{"id":8,"name":"plain text" ,"ok":false,"idx":1}, "emitted_at":1}})"
      "\n";
  ASSERT_TRUE(reader.Feed(input).ok());
  ASSERT_TRUE(reader.Finish().ok());
  ASSERT_EQ(c.batches.size(), 1u);
  const RecordBatch& b = c.batches[0];
  ASSERT_EQ(b.num_rows(), 2u);
  EXPECT_EQ(b.column(0).Int64(0), 7);
  EXPECT_EQ(b.column(1).Bytes(0), "a\"b\\cé");
  EXPECT_EQ(b.column(0).Int64(1), 8);
  EXPECT_EQ(b.column(1).Bytes(1), "plain text");
  EXPECT_FALSE(b.column(7).Bool(1));
}

TEST(CodecTest, Base64RoundTrips) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)}) {
    std::string enc, dec;
    AppendBase64(enc, s);
    ASSERT_TRUE(DecodeBase64(enc, dec));
    EXPECT_EQ(dec, s);
  }
  std::string enc;
  AppendBase64(enc, "foobar");
  EXPECT_EQ(enc, "Zm9vYmFy");
  std::string dec;
  EXPECT_FALSE(DecodeBase64("!!", dec));
}

TEST(CodecTest, ParsesRecordsIntoTypedColumnsAndRoundTrips) {
  ConfiguredCatalog catalog = TwoStreams();
  Collector c;
  ProtocolReader reader(catalog, c);
  const std::string input =
      R"({"type":"RECORD","record":{"stream":"users","data":{"id":1,"name":"Zoë","score":1.5,"big":123456789012345678901234567890.123,"born":"1969-07-20","seen":"2020-01-01T10:00:00+02:00","blob":"AAEC","ok":true,"address":{"city":"Gent","zip":[1,2]}},"emitted_at":1700000000000}})"
      "\n"
      R"({"type":"RECORD","record":{"data":{"id":"2","score":"NaN","extra":5},"stream":"users","emitted_at":1}})"
      "\n"
      R"({"type":"LOG","log":{"level":"INFO","message":"hi"}})"
      "\n"
      R"({"type":"RECORD","record":{"stream":"users","namespace":"other","data":{"id":3}, "emitted_at":1}})"
      "\n"
      R"({"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"users"},"stream_state":{"c":1}}}})"
      "\n"
      R"({"type":"RECORD","record":{"stream":"users","data":{"id":"not a number","ok":"yes"},"emitted_at":1}})";
  // Feed in small pieces to exercise line reassembly.
  for (size_t i = 0; i < input.size(); i += 7) ASSERT_TRUE(reader.Feed(input.substr(i, 7)).ok());
  ASSERT_TRUE(reader.Finish().ok());
  EXPECT_EQ(reader.lines(), 6u);
  ASSERT_EQ(c.states.size(), 1u);
  ASSERT_EQ(c.others.size(), 1u);
  // Both pending batches are handed over before the state.
  ASSERT_EQ(c.order.size(), 4u);
  EXPECT_EQ(c.order[2], "state");
  ASSERT_EQ(c.batches.size(), 3u);
  const RecordBatch& users = c.batches[0].stream() == 0 ? c.batches[0] : c.batches[1];
  ASSERT_EQ(users.num_rows(), 2u);
  EXPECT_EQ(users.emitted_at_ms(), 1700000000000);
  EXPECT_EQ(users.column(0).Int64(0), 1);
  EXPECT_EQ(users.column(1).Bytes(0), "Zoë");
  EXPECT_EQ(users.column(3).Bytes(0), "123456789012345678901234567890.123");  // exact, not a double
  EXPECT_EQ(users.column(4).Int32(0), -165);
  EXPECT_EQ(users.column(5).Int64(0), *ParseTimestamp("2020-01-01T08:00:00Z"));
  EXPECT_EQ(users.column(6).Bytes(0), std::string("\0\1\2", 3));
  EXPECT_EQ(users.column(8).Bytes(0), R"({"city":"Gent","zip":[1,2]})");
  EXPECT_EQ(users.column(0).Int64(1), 2);  // integer given as a string
  EXPECT_TRUE(std::isnan(users.column(2).Double(1)));
  EXPECT_TRUE(users.column(1).IsNull(1));

  std::string out;
  AppendRecordMessages(out, users, {"users", std::nullopt});
  const auto lines = Json::parse(out.substr(0, out.find('\n')));
  EXPECT_EQ(lines["record"]["data"]["name"], "Zoë");
  EXPECT_EQ(lines["record"]["data"]["seen"], "2020-01-01T08:00:00Z");
  EXPECT_EQ(lines["record"]["data"]["born"], "1969-07-20");
  EXPECT_EQ(lines["record"]["data"]["blob"], "AAEC");
  EXPECT_EQ(lines["record"]["data"]["address"]["zip"][1], 2);
  EXPECT_NE(out.find("\"big\":123456789012345678901234567890.123"), std::string::npos);
  EXPECT_NE(out.find("\"score\":\"NaN\""), std::string::npos);

  // The last record: wrong types become null with a change note, never a failed sync.
  const RecordBatch& last = c.batches[2];
  ASSERT_EQ(last.num_rows(), 1u);
  EXPECT_TRUE(last.column(0).IsNull(0));
  ASSERT_EQ(last.changes().size(), 2u);
  EXPECT_EQ(last.changes()[0].field, "id");
  EXPECT_EQ(last.changes()[0].reason, ChangeReason::kPlatformSerializationError);
  out.clear();
  AppendRecordMessages(out, last, {"users", std::nullopt});
  auto msg = Json::parse(out);
  EXPECT_EQ(msg["record"]["meta"]["changes"][1]["field"], "ok");
  EXPECT_EQ(msg["record"]["meta"]["changes"][1]["change"], "NULLED");
}

TEST(CodecTest, InvalidLinesNameTheLine) {
  ConfiguredCatalog catalog = TwoStreams();
  Collector c;
  ProtocolReader reader(catalog, c);
  Status st = reader.Feed("{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"x\"}}\n{not json\n");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find("line 2"), std::string::npos) << st.message();

  Collector c2;
  ProtocolReader reader2(catalog, c2);
  st = reader2.Feed(R"({"type":"RECORD","record":{"stream":"nope","data":{},"emitted_at":1}})" "\n");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'nope'"), std::string::npos);

  Collector c3;
  ProtocolReader reader3(catalog, c3, {.skip_invalid_lines = true});
  EXPECT_TRUE(reader3.Feed("garbage\n{\"type\":\"RECORD\",\"record\":{\"stream\":\"users\",\"namespace\":\"other\",\"data\":{\"id\":9},\"emitted_at\":1}}\n").ok());
  EXPECT_TRUE(reader3.Finish().ok());
  ASSERT_EQ(c3.batches.size(), 1u);
  EXPECT_EQ(c3.batches[0].stream(), 1u);
}

TEST(CodecTest, TraceErrorCarriesFailureType) {
  const StreamDescriptor d{"users", "public"};
  Json m = TraceErrorMessage(Status::ConfigError("wrong password", "FATAL: auth"), &d);
  EXPECT_EQ(m["type"], "TRACE");
  EXPECT_EQ(m["trace"]["error"]["failure_type"], "config_error");
  EXPECT_EQ(m["trace"]["error"]["internal_message"], "FATAL: auth");
  EXPECT_EQ(m["trace"]["error"]["stream_descriptor"]["namespace"], "public");
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

// Found by fuzz_protocol: an emitted_at beyond ±2^63 ms was cast to int64 (undefined behaviour).
TEST(CodecTest, RejectsAnEmittedAtOutOfRange) {
  ConfiguredCatalog catalog = TwoStreams();
  Collector c;
  ProtocolReader reader(catalog, c);
  Status st = reader.Feed(R"({"type":"RECORD","record":{"stream":"users","emitted_at":1.7e41,"data":{"id":1}}})" "\n");
  if (st.ok()) st = reader.Finish();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("record.emitted_at is out of range"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace sluice
