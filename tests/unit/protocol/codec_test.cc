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

// A one-value write reserves about what the value needs, not a batch writer's 64 KiB steps: a
// caller appending many short strings (DumpDomAsJson, a record's strings one by one) must not
// zero-fill 64 KiB per string (it was 59 % of the REST source's CPU once).
TEST(CodecTest, OneValueWritesReserveWhatTheValueNeeds) {
  std::string out;
  for (int i = 0; i < 100; ++i) AppendJsonString(out, "customer");
  EXPECT_EQ(out.size(), 100u * 10);
  EXPECT_LT(out.capacity(), 8u << 10) << "a short string grew the buffer by a batch writer's step";
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

namespace sluice {
namespace {

// A value of every type, with the values that need care: escapes, invalid UTF-8, NaN and
// ±Infinity, numerics with many digits, BC and far-future dates, ±infinity timestamps, bytes
// with every padding length, nested JSON; a name that needs escaping; nulls.
struct TrickyColumn {
  Field field;
  std::vector<std::string> json;  // expected JSON text per row, "null" for a null
};

std::string Quoted(std::string_view s) {
  return Json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Fills `batch` (schema from `columns`) with `rows` rows, cycling through four value sets.
std::vector<TrickyColumn> TrickyColumns() {
  const std::string long_text = [] {
    std::string s;
    for (int i = 0; i < 300; ++i) s += i % 3 == 0 ? "\"\n" : (i % 3 == 1 ? "é\x01" : "plain text ");
    return s;
  }();
  const std::string invalid("x\xff" "y", 3);
  return {
      {{"id", TypeId::kInteger}, {"-9223372036854775808", "0", "9223372036854775807", "null"}},
      {{"na\"me é\x01", TypeId::kString},
       {Quoted("Zoë 😀 \"q\" \\ \n\t\x01\x7f"), Quoted(invalid), Quoted(long_text), "null"}},
      {{"score", TypeId::kNumber}, {"\"NaN\"", "\"-Infinity\"", "0.1", "null"}},
      {{"big", TypeId::kDecimal}, {"-123456789012345678901234567890.000000001", "\"NaN\"", "1e+300", "null"}},
      {{"ok", TypeId::kBoolean}, {"true", "false", "true", "null"}},
      {{"born", TypeId::kDate}, {"\"1969-07-20\"", "\"0044-03-15 BC\"", "\"9999-12-31\"", "null"}},
      {{"at", TypeId::kTimeNoTz}, {"\"12:34:56.789\"", "\"00:00:00\"", "\"23:59:59.000001\"", "null"}},
      {{"at_tz", TypeId::kTimeTz}, {"\"00:00:00Z\"", "\"08:15:00.5Z\"", "\"23:59:59Z\"", "null"}},
      {{"seen", TypeId::kTimestampTz},
       {"\"2020-01-01T08:00:00.123456Z\"", "\"infinity\"", "\"0044-03-15T00:00:00Z BC\"", "null"}},
      {{"local", TypeId::kTimestampNoTz}, {"\"1970-01-01T00:00:01.5\"", "\"-infinity\"", "\"12345-01-01T00:00:00\"", "null"}},
      {{"blob", TypeId::kBinary}, {"\"\"", "\"AA==\"", "\"AAE=\"", "\"AAEC/w==\""}},
      {{"doc", TypeId::kJson}, {R"({"a":[1,{"b":"é\n"}],"c":null})", "[]", "\"str\"", "null"}},
  };
}

void AppendTrickyRow(RecordBatch& b, size_t set) {
  const int64_t bc_days = DaysFromCivil(-43, 3, 15);
  switch (set) {
    case 0:
      b.column(0).AppendInt64(INT64_MIN);
      b.column(1).AppendBytes("Zoë 😀 \"q\" \\ \n\t\x01\x7f");
      b.column(2).AppendDouble(std::nan(""));
      b.column(3).AppendBytes("-123456789012345678901234567890.000000001");
      b.column(4).AppendBool(true);
      b.column(5).AppendInt32(-165);
      b.column(6).AppendInt64(45296789000);
      b.column(7).AppendInt64(0);
      b.column(8).AppendInt64(*ParseTimestamp("2020-01-01T08:00:00.123456Z"));
      b.column(9).AppendInt64(1500000);
      b.column(10).AppendBytes("");
      b.column(11).AppendBytes(R"({"a":[1,{"b":"é\n"}],"c":null})");
      break;
    case 1:
      b.column(0).AppendInt64(0);
      b.column(1).AppendBytes(std::string("x\xff" "y", 3));
      b.column(2).AppendDouble(-HUGE_VAL);
      b.column(3).AppendBytes("NaN");
      b.column(4).AppendBool(false);
      b.column(5).AppendInt32(static_cast<int32_t>(bc_days));
      b.column(6).AppendInt64(0);
      b.column(7).AppendInt64(29700500000);
      b.column(8).AppendInt64(kInfinityMicros);
      b.column(9).AppendInt64(kMinusInfinityMicros);
      b.column(10).AppendBytes(std::string("\0", 1));
      b.column(11).AppendBytes("[]");
      b.AddChange("big", ChangeKind::kTruncated, ChangeReason::kSourceFieldSizeLimitation);
      break;
    case 2: {
      std::string s;
      for (int i = 0; i < 300; ++i) s += i % 3 == 0 ? "\"\n" : (i % 3 == 1 ? "é\x01" : "plain text ");
      b.column(0).AppendInt64(INT64_MAX);
      b.column(1).AppendBytes(s);
      b.column(2).AppendDouble(0.1);
      b.column(3).AppendBytes("1e+300");
      b.column(4).AppendBool(true);
      b.column(5).AppendInt32(static_cast<int32_t>(DaysFromCivil(9999, 12, 31)));
      b.column(6).AppendInt64(86399000001);
      b.column(7).AppendInt64(86399000000);
      b.column(8).AppendInt64(bc_days * kMicrosPerDay);
      b.column(9).AppendInt64(DaysFromCivil(12345, 1, 1) * kMicrosPerDay);
      b.column(10).AppendBytes(std::string("\0\1", 2));
      b.column(11).AppendBytes("\"str\"");
      break;
    }
    default:
      b.column(10).AppendBytes(std::string("\0\1\2\xff", 4));
      b.AddChange("na\"me é\x01", ChangeKind::kNulled, ChangeReason::kPlatformSerializationError);
      b.AddChange("doc", ChangeKind::kNulled, ChangeReason::kSourceSerializationError);
  }
  b.FinishRow();
}

std::string ExpectedMeta(const RecordBatch& b, size_t row) {
  std::string out;
  for (const RecordChange& ch : b.changes()) {
    if (ch.row != row) continue;
    out += out.empty() ? ",\"meta\":{\"changes\":[" : ",";
    out += "{\"field\":" + Quoted(ch.field) + ",\"change\":\"" + std::string(ChangeKindName(ch.change)) +
           "\",\"reason\":\"" + std::string(ChangeReasonName(ch.reason)) + "\"}";
  }
  return out.empty() ? out : out + "]}";
}

// The line writer (one bound check a line, values written through a pointer) gives exactly the
// text of the values written one by one by an independent reference (nlohmann's string dump,
// literal expectations for the rest), across many rows so its buffer grows mid-batch.
TEST(CodecTest, RecordLinesEqualAValueByValueReference) {
  const std::vector<TrickyColumn> columns = TrickyColumns();
  std::vector<Field> fields;
  for (const auto& c : columns) fields.push_back(c.field);
  RecordBatch batch(std::make_shared<Schema>(fields), 0);
  const size_t rows = 3001;
  for (size_t r = 0; r < rows; ++r) AppendTrickyRow(batch, r % 4);
  batch.set_emitted_at_ms(1700000000000);

  std::string expected = "already here\n";
  for (size_t r = 0; r < rows; ++r) {
    std::string data = "{";
    for (size_t i = 0; i < columns.size(); ++i) {
      data += (i == 0 ? "" : ",") + Quoted(columns[i].field.name) + ":" + columns[i].json[r % 4];
    }
    data += "}";
    if (r < 4) {
      std::string one;
      AppendRecordData(one, batch, r);
      EXPECT_EQ(one, data) << "row " << r;
      for (size_t i = 0; i < columns.size(); ++i) {
        if (batch.column(i).IsNull(r)) continue;
        std::string value;
        AppendValueJson(value, batch.column(i), r);
        EXPECT_EQ(value, columns[i].json[r]) << columns[i].field.name << " row " << r;
      }
    }
    expected += R"({"type":"RECORD","record":{"namespace":"n\"s","stream":"t","data":)" + data +
                R"(,"emitted_at":1700000000000)" + ExpectedMeta(batch, r) + "}}\n";
  }
  std::string out = "already here\n";
  AppendRecordMessages(out, batch, {"t", "n\"s"});
  EXPECT_EQ(out, expected);
  // The PodBuffer form (the protocol pipes') writes the same bytes.
  PodBuffer pod;
  pod.Append("already here\n", 13);
  for (int twice = 0; twice < 2; ++twice) AppendRecordMessages(pod, batch, {"t", "n\"s"});
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(pod.data()), pod.size()), expected + expected.substr(13));

  std::string text;  // plain text: strings unquoted, NaN bare
  AppendValueText(text, batch.column(1), 0);
  EXPECT_EQ(text, "Zoë 😀 \"q\" \\ \n\t\x01\x7f");
  text.clear();
  AppendValueText(text, batch.column(2), 0);
  EXPECT_EQ(text, "NaN");
}

// Reads `input` whole; the one batch it makes (an empty one, and a failure, if not one).
RecordBatch ReadOneBatch(const ConfiguredCatalog& catalog, const std::string& input) {
  Collector c;
  ProtocolReader reader(catalog, c);
  EXPECT_TRUE(reader.Feed(input).ok());
  EXPECT_TRUE(reader.Finish().ok());
  EXPECT_EQ(c.batches.size(), 1u);
  return c.batches.size() == 1 ? std::move(c.batches[0]) : RecordBatch();
}

// Lines written by the line writer read back into the same values (the reader's raw key match
// for the usual spelling, including a name that needs escapes), and keys spelled with other
// escapes, out of order, unknown or repeated read as the generic path reads them.
TEST(CodecTest, ReadsBackTrickyLinesAndKeysSpelledAnyWay) {
  const std::vector<TrickyColumn> columns = TrickyColumns();
  std::vector<Field> fields;
  for (const auto& c : columns) fields.push_back(c.field);
  auto schema = std::make_shared<Schema>(fields);
  RecordBatch batch(schema, 0);
  for (size_t r = 0; r < 4; ++r) AppendTrickyRow(batch, r);
  batch.set_emitted_at_ms(1700000000000);
  std::string lines;
  AppendRecordMessages(lines, batch, {"t", std::nullopt});

  auto catalog = ConfiguredCatalog::FromJson(Json{
      {"streams",
       Json::array({Json{{"stream", {{"name", "t"}, {"json_schema", schema->ToJsonSchema()}, {"supported_sync_modes", {"full_refresh"}}}},
                         {"sync_mode", "full_refresh"},
                         {"destination_sync_mode", "append"}}})}});
  ASSERT_TRUE(catalog.ok()) << catalog.status().message();
  const Schema& read_schema = *catalog->streams[0].schema;
  ASSERT_EQ(read_schema.num_fields(), columns.size());
  std::vector<size_t> at;  // the read schema's index of each column (its order may differ)
  for (size_t i = 0; i < columns.size(); ++i) {
    const int k = read_schema.IndexOf(columns[i].field.name);
    ASSERT_GE(k, 0) << columns[i].field.name;
    at.push_back(static_cast<size_t>(k));
    ASSERT_EQ(read_schema.field(at[i]).type, columns[i].field.type) << columns[i].field.name;
  }
  const RecordBatch back = ReadOneBatch(*catalog, lines);
  ASSERT_EQ(back.num_rows(), 4u);
  // emitted_at follows data in the line; the batch still gets its first record's.
  EXPECT_EQ(back.emitted_at_ms(), 1700000000000);
  for (size_t r = 0; r < 4; ++r) {
    for (size_t i = 0; i < columns.size(); ++i) {
      std::string a = "null", b = "null";
      if (!batch.column(i).IsNull(r)) a.clear(), AppendValueJson(a, batch.column(i), r);
      if (!back.column(at[i]).IsNull(r)) b.clear(), AppendValueJson(b, back.column(at[i]), r);
      if (i == 1 && r == 1) a = Quoted("x\xEF\xBF\xBDy");  // invalid UTF-8 went out as U+FFFD
      EXPECT_EQ(b, a) << columns[i].field.name << " row " << r;
    }
  }

  // The same record, keys spelled with escapes, out of order, unknown and repeated.
  const std::string odd =
      R"({"\u0074ype":"RECORD","rec\u006frd":{"\u0073tream":"t","d\u0061ta":{"ok":true,"\u0069d":5,)"
      R"("na\u0022me \u00e9\u0001":"v","nope":1,"id":6,"score":2.5},"emitted_at":1}})"
      "\n"
      R"({"type":"RECORD","record":{"data":{"na\"me é\u0001":"w","id":7},"stream":"t","emitted_at":2}})"
      "\n";
  const RecordBatch b2 = ReadOneBatch(*catalog, odd);
  ASSERT_EQ(b2.num_rows(), 2u);
  EXPECT_EQ(b2.emitted_at_ms(), 1);
  EXPECT_EQ(b2.column(at[0]).Int64(0), 5);  // the first "id" wins; the repeat is skipped
  EXPECT_EQ(b2.column(at[1]).Bytes(0), "v");
  EXPECT_EQ(b2.column(at[2]).Double(0), 2.5);
  EXPECT_TRUE(b2.column(at[4]).Bool(0));
  EXPECT_EQ(b2.column(at[1]).Bytes(1), "w");
  EXPECT_EQ(b2.column(at[0]).Int64(1), 7);
  EXPECT_TRUE(b2.column(at[2]).IsNull(1));
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

uint64_t out_lines_read = 0;  // ReadAndWriteBack's reader's line count

// What one reader made of some input: the status and the batches written back out as lines.
// `piece`: the input is fed in pieces of that many bytes (0: all at once).
std::string ReadAndWriteBack(const ConfiguredCatalog& catalog, const std::string& input, bool scan, size_t piece = 0) {
  Collector c;
  ProtocolReader reader(catalog, c, {.scan_records = scan});
  Status st;
  for (size_t at = 0; st.ok() && at < input.size(); at += piece == 0 ? input.size() : piece) {
    st = reader.Feed(std::string_view(input).substr(at, piece == 0 ? input.size() : piece));
  }
  if (st.ok()) st = reader.Finish();
  out_lines_read = reader.lines();
  std::string out = st.ok() ? "ok\n" : "error: " + st.message() + "\n";
  for (const RecordBatch& b : c.batches) {
    out += "batch of stream " + std::to_string(b.stream()) + "\n";
    AppendRecordMessages(out, b, catalog.streams[b.stream()].descriptor());
  }
  return out;
}

// The record line scan reads what simdjson reads, value for value, or leaves the line to it:
// every line here gives the same status and the same batches (emitted_at, change notes) both
// ways.
TEST(CodecTest, RecordScanReadsWhatSimdjsonReads) {
  auto catalog = ConfiguredCatalog::FromJson(Json::parse(R"({"streams":[
    {"stream":{"name":"t","namespace":"public","json_schema":{"type":"object","properties":{
        "id":{"type":"integer"},"name":{"type":"string"},"score":{"type":"number"},
        "big":{"type":"number","airbyte_type":"big_number"},"ok":{"type":"boolean"},
        "born":{"type":"string","format":"date"},"at":{"type":"string","format":"time","airbyte_type":"time_without_timezone"},
        "seen":{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"},
        "blob":{"type":"string","contentEncoding":"base64"},"doc":{"type":"object"}}},
        "supported_sync_modes":["full_refresh"]},
     "sync_mode":"full_refresh","destination_sync_mode":"append"}]})"));
  ASSERT_TRUE(catalog.ok()) << catalog.status().message();
  const std::string head = R"({"type":"RECORD","record":{"namespace":"public","stream":"t","data":)";
  const std::string tail = R"(,"emitted_at":1700000000123}})";
  const std::vector<std::string> datas = {
      R"({"id":1,"name":"a b","score":1.5,"big":-12345678901234567890.1234567890,"ok":true,"born":"2020-01-01","at":"10:00:00.25","seen":"2020-01-01T00:00:00Z"})",
      R"({"id":-0,"name":"","score":-0.0,"big":0,"ok":false,"born":"0044-03-15 BC","at":"23:59:59","seen":"infinity"})",
      R"({"id":123456789012345678,"name":"Zoë 😀","score":1e300,"big":1E+5,"ok":null,"born":null,"at":null,"seen":"2020-01-01 10:00:00+02:00"})",
      R"({"id":1234567890123456789,"score":2.2250738585072014e-308})",
      R"({"id":9223372036854775808})",
      R"({"id":1.0,"score":4.9e-324})",
      R"({"id":1e2,"score":1e-400})",
      R"({"id":"7","score":-1e-400})",
      R"({"id":01})",
      R"({"score":1e400})",
      R"({"score":"NaN","name":"x"})",
      R"({"score":1.})",
      R"({"score":-})",
      R"({"name":"a\"b\u00e9"})",
      "{\"name\":\"tab\there\"}",
      "{\"name\":\"bad \xff byte\"}",
      R"({"name":5})",
      R"({"name":{"a":1}})",
      R"({"born":"2020-02-30","seen":"yesterday","at":"25:00:00"})",
      R"({"ok":1})",
      R"({"id":1,"id":2})",
      R"({"name":"n","id":3})",
      R"({"id":1,"nope":2})",
      R"({"ie":1})",
      R"({"id":1,"namf":"x"})",
      R"({"id":1,"name":"x","scorf":1})",
      R"({"id":1,"name":"x","score":1,"bif":1})",
      R"({"blob":"AAEC","doc":{"k":[1,2]}})",
      R"({"id":1,"name":"a","score":1,"big":1,"ok":true,"born":"2020-01-01","at":"10:00:00","seen":"2020-01-01T00:00:00Z","blob":null,"doc":null})",
      R"({})",
      R"({"id":1,})",
      R"({"id":1)",
  };
  std::vector<std::string> lines;
  for (const std::string& d : datas) lines.push_back(head + d + tail);
  // Other spellings of the envelope.
  lines.push_back(R"({"type": "RECORD", "record": {"namespace": "public", "stream": "t", "data": {"id": 1, "name": "spaced"}, "emitted_at": 5}})");
  lines.push_back(R"({"type":"RECORD","record":{"stream":"t","namespace":"public","data":{"id":2},"emitted_at":5}})");
  lines.push_back(R"({"type":"RECORD","record":{"stream":"t","data":{"id":2},"emitted_at":5}})");
  lines.push_back(R"({"type":"RECORD","record":{"namespace":null,"stream":"t","data":{"id":2},"emitted_at":5}})");
  lines.push_back(R"({"type":"RECORD","record":{"namespace":"public","stream":"t","data":{"id":3},"emitted_at":1.5}})");
  lines.push_back(R"({"type":"RECORD","record":{"namespace":"public","stream":"t","data":{"id":3},"emitted_at":12345678901234567}})");
  lines.push_back(R"({"type":"RECORD","record":{"namespace":"public","stream":"t","data":{"id":3},"emitted_at":1e3}})");
  lines.push_back(R"({"type":"RECORD","record":{"namespace":"public","stream":"t","data":{"id":4},"emitted_at":5,"meta":{"changes":[]}}})");
  lines.push_back(R"({"type":"RECORD","record":{"namespace":"public","stream":"t","data":{"id":4},"emitted_at":5}}x)");
  lines.push_back(R"({"type":"RECORD","record":{"namespace":"public","stream":"t","data":{"id":4},"emitted_at":5}})" "   \t\r");
  lines.push_back(R"({"type":"RECORD","record":{"namespace":"public","stream":"u","data":{"id":4},"emitted_at":5}})");
  lines.push_back(R"({"type":"RECORD","record":{"namespace":"pub\u006cic","stream":"t","data":{"id":5},"emitted_at":5}})");
  lines.push_back(R"({"record":{"namespace":"public","stream":"t","data":{"id":6},"emitted_at":5},"type":"RECORD"})");
  // Lines the scan leaves late, after most of the row went into the batch (taken back).
  const std::string full = R"({"id":1,"name":"a","score":1,"big":1,"ok":true,"born":"2020-01-01","at":"10:00:00","seen":"2020-01-01T00:00:00Z","blob":null,)";
  lines.push_back(head + full + R"("doc":{"k":1}})" + tail);
  lines.push_back(head + full + R"("doc":null,"extra":1})" + tail);
  lines.push_back(head + R"({"id":1,"name":"a","score":1,"big":1,"ok":true,"born":"2020-01-01","at":"10:00:00","seen":"2020-02-30T00:00:00Z"})" + tail);
  lines.push_back(head + R"({"id":1,"name":"a","score":1,"big":1,"ok":true,"born":"2020-01-01","at":"10:00:00","seen":"2020-01-01T24:00:00Z"})" + tail);
  lines.push_back(head + R"({"id":1,"name":"a","score":1,"big":1,"ok":true,"born":"2020-01-01","at":"10:00:00","seen":"2020-01-01T00:00:00.1234567Z"})" + tail);
  lines.push_back(head + R"({"id":1,"name":"a","score":1,"big":1,"ok":true,"born":"2020-01-01","at":"10:00:00","seen":"2020-01-01t00:00:00z"})" + tail);
  // A quote, backslash escape or control character at every offset of a string (the scan looks
  // at eight bytes at a time), and plain strings of every length around a word.
  for (size_t k = 0; k < 34; ++k) {
    const std::string run(k, 'x');
    for (const std::string& odd : {std::string("\\\""), std::string("\\n"), std::string("\t"), std::string("\x01"),
                                   std::string("\x7f"), std::string("\xc3\xa9"), std::string("\xff"),
                                   std::string("\xc3\xa9\x02"), std::string("\xc3\xa9\\\"\xc3")}) {
      lines.push_back(head + R"({"id":)" + std::to_string(k) + R"(,"name":")" + run + odd + run + R"("})" + tail);
    }
    // Numbers of every length (read eight digits at a time), whole and with a fraction.
    const std::string digits = std::string("98765432109876543210987654321").substr(0, k + 1);
    lines.push_back(head + R"({"id":)" + digits + R"(,"score":)" + digits + R"(,"big":-)" + digits + "." + digits + "}" + tail);
    lines.push_back(head + R"({"id":-)" + digits + R"(,"score":0.)" + digits + R"(e-)" + std::to_string(k) + "}" + tail);
    lines.push_back(head + R"({"id":)" + digits + "a}" + tail);
    lines.push_back(head + R"({"id":1,"name":")" + run + R"("})" + tail);
    lines.push_back(head + R"({"id":1,"name":")" + run);  // no closing quote
  }
  for (const std::string& line : lines) {
    EXPECT_EQ(ReadAndWriteBack(*catalog, line + "\n", true), ReadAndWriteBack(*catalog, line + "\n", false)) << line;
  }
  // All at once: batches cut at the same rows, first records' emitted_at kept.
  std::string all;
  for (const std::string& line : lines) {
    if (ReadAndWriteBack(*catalog, line + "\n", false).rfind("ok", 0) == 0) all += line + "\n";
  }
  // Nested JSON all along: the stream stops being scanned after a window of misses.
  for (int i = 0; i < 1500; ++i) all += head + R"({"id":1,"doc":{"k":[1,2]}})" + tail + "\n";
  for (int i = 0; i < 2000; ++i) all += head + datas[static_cast<size_t>(i % 3)] + tail + "\n";
  EXPECT_EQ(ReadAndWriteBack(*catalog, all, true), ReadAndWriteBack(*catalog, all, false));
}

// Lines are read where they are in the caller's data (a record the scan takes needs no search
// for its end) or, across calls, from the reader's own buffer: any cut of the input, line
// endings with blanks or CR, blank lines, a last line without '\n', and an invalid line (its
// number in the error) read the same.
TEST(CodecTest, InputCutAnywhereReadsTheSame) {
  auto catalog = ConfiguredCatalog::FromJson(Json::parse(R"({"streams":[
    {"stream":{"name":"t","json_schema":{"type":"object","properties":{
        "id":{"type":"integer"},"name":{"type":"string"},"doc":{"type":"object"}}},
        "supported_sync_modes":["full_refresh"]},
     "sync_mode":"full_refresh","destination_sync_mode":"append"}]})"));
  ASSERT_TRUE(catalog.ok()) << catalog.status().message();
  const std::string rec = R"({"type":"RECORD","record":{"stream":"t","data":{"id":)";
  std::string input;
  for (int i = 0; i < 300; ++i) {
    input += rec + std::to_string(i) + R"(,"name":"n)" + std::string(static_cast<size_t>(i % 40), 'x') + R"("},"emitted_at":)" +
             std::to_string(1000 + i) + "}}";
    input += i % 7 == 0 ? "\r\n" : i % 11 == 0 ? " \t\n" : "\n";
    if (i % 50 == 0) input += "\n  \n";
    if (i % 30 == 0) input += rec + R"(1,"doc":{"a":[1,2]}},"emitted_at":5}})" "\n";
    if (i % 45 == 0) input += R"({"type":"STATE","state":{"type":"LEGACY","data":{"i":)" + std::to_string(i) + "}}}\n";
  }
  input += rec + R"(7,"name":"last"},"emitted_at":9}})";  // no '\n'
  const std::string whole = ReadAndWriteBack(*catalog, input, true);
  const uint64_t lines = out_lines_read;
  EXPECT_EQ(whole.rfind("ok\n", 0), 0u) << whole.substr(0, 200);
  EXPECT_EQ(whole, ReadAndWriteBack(*catalog, input, false));
  for (size_t piece : {1, 2, 7, 64, 229, 4096}) {
    EXPECT_EQ(ReadAndWriteBack(*catalog, input, true, piece), whole) << piece;
    EXPECT_EQ(out_lines_read, lines) << piece;
  }
  const std::string bad = input.substr(0, 5000) + "\n{not json}\n" + input.substr(5000);
  const std::string error = ReadAndWriteBack(*catalog, bad, true);
  EXPECT_EQ(error.rfind("error: line ", 0), 0u) << error.substr(0, 200);
  for (size_t piece : {1, 13, 4096}) EXPECT_EQ(ReadAndWriteBack(*catalog, bad, true, piece), error) << piece;
}

}  // namespace
}  // namespace sluice
