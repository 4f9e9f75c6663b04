// The kit's JSON records: simdjson's parse written as nlohmann's dump would write it
// (DumpDomAsJson, DumpDomRecord) and read as nlohmann's parser would (DomToJson) — on chosen
// texts and on random documents — and JsonRowsPipe appending pages in order.

#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "connectors/kit/json_rows.h"
#include "unit/testing/connector_test_util.h"

namespace sluice {
namespace {

std::string Dumped(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Same values and the same nlohmann types (unsigned vs integer vs float) throughout — but for
// "-0", a signed 0 to nlohmann and an unsigned one to DomToJson (simdjson keeps no sign of an
// integer 0): equal to every comparison and printed the same.
bool SameJson(const Json& a, const Json& b) {
  if (a.is_number_integer() && b.is_number_integer() && a == 0 && b == 0) return true;
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    auto ib = b.begin();
    for (auto ia = a.begin(); ia != a.end(); ++ia, ++ib) {
      if (ia.key() != ib.key() || !SameJson(*ia, *ib)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!SameJson(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

// Parses `text` with simdjson; false when it refuses it.
bool DomParse(simdjson::dom::parser& parser, const std::string& text, simdjson::dom::element& out) {
  return parser.parse(text).get(out) == simdjson::SUCCESS;
}

void ExpectSameAsNlohmann(const std::string& text) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_TRUE(DomParse(parser, text, root)) << text;
  const Json expected = Json::parse(text);
  std::string written;
  ASSERT_TRUE(DumpDomAsJson(root, written)) << text;
  EXPECT_EQ(written, Dumped(expected)) << text;
  EXPECT_TRUE(SameJson(DomToJson(root), expected)) << text << " → " << Dumped(DomToJson(root));
}

TEST(JsonRowsTest, DomWriterMatchesNlohmannDump) {
  for (const char* text : {
           R"j({"a": {"b": [1, {"c": null}], "d": {}}, "e": [], "f": [[]]})j",
           R"j({"s": "caf\u00e9 \ud83d\ude00 \/ \b\f\n\r\t \" \\ \u0001\u001f\u007f\u0000 é 😀"})j",
           R"j({"k\"ey\n": 1, "\u00e9": 2})j",
           R"j([0, -0, 1, -1, 9223372036854775807, -9223372036854775808, 9223372036854775808, 18446744073709551615])j",
           R"j([0.1, 1e2, 1E-2, 1.5e300, 5e-324, 1e-400, -1e-400, 2.5, 1.0, 100.0, 123456789.123456789, -0.0, 1e22, 1e21, 0.30000000000000004])j",
           R"j([true, false, null, "", "x"])j",
           R"j(  {"spaced" :  [ 1 ,2 , { } ] }  )j",
           R"j("just a string")j",
           R"j(42)j",
       }) {
    ExpectSameAsNlohmann(text);
  }
}

// A random JSON text: nesting, spacing, escapes, unicode, integers and floats in many spellings.
std::string RandomJson(std::mt19937_64& rng, int depth) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  auto space = [&] { return std::string(pick(3) == 0 ? pick(3) : 0, ' '); };
  auto string = [&] {
    static const char* kPieces[] = {"a", "Z", "0", " ", "\\n", "\\t", "\\\"", "\\\\", "\\/", "\\u00e9", "\\u0000", "\\u001b",
                                    "\\ud83d\\ude00", "é", "😀", "\\u007f", "\x7f", "\\b", "\\f", "\\r", "ключ", "\\u2028"};
    std::string s = "\"";
    for (int i = pick(6); i > 0; --i) s += kPieces[pick(static_cast<int>(std::size(kPieces)))];
    return s + "\"";
  };
  auto number = [&] {
    std::string s = pick(2) ? "-" : "";
    const int kind = pick(6);
    if (kind == 0) return s + std::to_string(rng() % 1000);
    if (kind == 1) return s + std::to_string(rng() >> pick(64));
    std::string digits = std::to_string(rng() % 100000);
    s += digits;
    if (kind != 5) s += "." + std::to_string(rng() % 1000000);
    if (kind >= 3) s += std::string(pick(2) ? "e" : "E") + (pick(2) ? "-" : pick(2) ? "+" : "") + std::to_string(pick(320));
    return s;
  };
  const int kind = depth >= 4 ? pick(5) : pick(7);
  switch (kind) {
    case 0: return string();
    case 1: return number();
    case 2: return pick(2) ? "true" : "false";
    case 3: return "null";
    case 4: return number();
    case 5: {
      std::string s = "{" + space();
      const int n = pick(5);
      for (int i = 0; i < n; ++i) {
        if (i > 0) s += "," + space();
        s += "\"k" + std::to_string(i) + (pick(4) == 0 ? "\\u00e9" : "") + "\"" + space() + ":" + space() + RandomJson(rng, depth + 1);
      }
      return s + space() + "}";
    }
    default: {
      std::string s = "[" + space();
      const int n = pick(5);
      for (int i = 0; i < n; ++i) s += (i > 0 ? "," + space() : "") + RandomJson(rng, depth + 1);
      return s + space() + "]";
    }
  }
}

TEST(JsonRowsTest, DomWriterMatchesNlohmannDumpOnRandomDocuments) {
  std::mt19937_64 rng(20241206);
  simdjson::dom::parser parser;
  int compared = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string text = RandomJson(rng, 0);
    simdjson::dom::element root;
    if (!DomParse(parser, text, root)) {
      continue;  // numbers beyond 64 bits or a double's range: the read loop hands these to nlohmann

    }
    ++compared;
    const Json expected = Json::parse(text);
    std::string written;
    ASSERT_TRUE(DumpDomAsJson(root, written)) << text;
    ASSERT_EQ(written, Dumped(expected)) << text;
    ASSERT_TRUE(SameJson(DomToJson(root), expected)) << text;
  }
  EXPECT_GT(compared, 2000);
}

TEST(JsonRowsTest, RepeatedKeysAreLeftToNlohmann) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const std::string text = R"j({"a": 1, "b": {"x": 1, "x": 2}, "a": 3})j";
  ASSERT_TRUE(DomParse(parser, text, root));
  std::string written;
  EXPECT_FALSE(DumpDomAsJson(root, written));
  // DomToJson keeps the last value at the first key's place, as nlohmann's parser does.
  EXPECT_TRUE(SameJson(DomToJson(root), Json::parse(text)));
  // Many keys (the hashed check) too.
  std::string wide = "{";
  for (int i = 0; i < 40; ++i) wide += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ",";
  wide += "\"k7\": 0}";
  ASSERT_TRUE(DomParse(parser, wide, root));
  written.clear();
  EXPECT_FALSE(DumpDomAsJson(root, written));
  written.clear();
  DumpDomRecord(root, written);  // the record path: nlohmann's dump of nlohmann's reading
  std::string expected = Dumped(Json::parse(wide));
  EXPECT_EQ(written, expected);
}

// The same batches: rows (as written out) and change notes. Returns the notes compared.
size_t ExpectSameBatches(const testing::CollectingEmitter& got, const testing::CollectingEmitter& want, size_t rows) {
  EXPECT_EQ(got.batches.size(), want.batches.size());
  size_t seen = 0, changes = 0;
  for (size_t b = 0; b < got.batches.size() && b < want.batches.size(); ++b) {
    const RecordBatch& x = got.batches[b];
    const RecordBatch& y = want.batches[b];
    EXPECT_EQ(x.num_rows(), y.num_rows()) << "batch " << b;
    for (size_t r = 0; r < x.num_rows() && r < y.num_rows(); ++r, ++seen) {
      std::string dx, dy;
      AppendRecordData(dx, x, r);
      AppendRecordData(dy, y, r);
      EXPECT_EQ(dx, dy) << "batch " << b << " row " << r;
      for (size_t c = 0; c < x.num_columns(); ++c) {  // the bytes themselves (written out, bad UTF-8 is replaced)
        if (!IsVariableLength(x.column(c).type()) || x.column(c).IsNull(r) || y.column(c).IsNull(r)) continue;
        EXPECT_EQ(x.column(c).Bytes(r), y.column(c).Bytes(r)) << "batch " << b << " row " << r << " column " << c;
      }
    }
    EXPECT_EQ(x.changes().size(), y.changes().size()) << "batch " << b;
    for (size_t c = 0; c < x.changes().size() && c < y.changes().size(); ++c, ++changes) {
      EXPECT_EQ(x.changes()[c].row, y.changes()[c].row);
      EXPECT_EQ(x.changes()[c].field, y.changes()[c].field);
      EXPECT_EQ(x.changes()[c].change, y.changes()[c].change);
      EXPECT_EQ(x.changes()[c].reason, y.changes()[c].reason);
    }
  }
  EXPECT_EQ(seen, rows);
  return changes;
}

// Every column type, values of every JSON kind in many spellings, keys in any order, unknown
// and repeated keys: AppendDom lands each record exactly as AppendText lands DumpDomRecord's
// text of it — the same column values (as written out) and the same change notes — and so does
// AppendJson of nlohmann's parse of it.
TEST(JsonRowsTest, DomRowsLandAsTheirTextWould) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{
      {"i", TypeId::kInteger, true, {}}, {"n", TypeId::kNumber, true, {}}, {"d", TypeId::kDecimal, true, {}},
      {"s", TypeId::kString, true, {}}, {"b", TypeId::kBinary, true, {}}, {"day", TypeId::kDate, true, {}},
      {"t", TypeId::kTimeTz, true, {}}, {"ts", TypeId::kTimestampTz, true, {}}, {"ts0", TypeId::kTimestampNoTz, true, {}},
      {"j", TypeId::kJson, true, {}}, {"ok", TypeId::kBoolean, true, {}}});
  static const char* kValues[] = {
      "1", "-0", "0", "1.0", "1E2", "1.5", "-2.25e-3", "9223372036854775807", "-9223372036854775808",
      "9223372036854775808", "18446744073709551615", "1e300", "0.10", "123456789.123456789", "\"12\"", "\"-7\"",
      "\"1.5\"", "\"1e3\"", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"infinity\"", "\"abc\"", "\"\"",
      "\"2024-01-02\"", "\"0044-03-15 BC\"", "\"12:00:00Z\"", "\"23:59:59.999999+05:30\"",
      "\"2024-01-02T03:04:05.123456+02:00\"", "\"2024-01-02 03:04:05\"", "\"aGVsbG8=\"", "\"aGVsbG8\"",
      "true", "false", "null", "{\"a\": [1, \"\\u00e9\"], \"b\": {}}", "[1, 2.50, null]", "[]",
      "\"\\u00e9\\n\\\"q\\\" \\ud83d\\ude00\"", "{\"x\": 1, \"x\": 2}"};
  constexpr size_t kNumValues = sizeof kValues / sizeof kValues[0];
  std::mt19937_64 rng(6122026);
  testing::CollectingEmitter from_dom, from_text, from_json;
  StreamBatcher dom_out(from_dom, 0, schema, {.max_rows = 97});
  StreamBatcher text_out(from_text, 0, schema, {.max_rows = 97});
  StreamBatcher json_out(from_json, 0, schema, {.max_rows = 97});
  JsonRows dom_rows, text_rows, json_rows;
  simdjson::dom::parser parser;
  for (int r = 0; r < 3000; ++r) {
    std::vector<std::string> keys;
    for (size_t f = 0; f < schema->num_fields(); ++f) {
      if (rng() % 5 != 0) keys.push_back(schema->field(f).name);
    }
    if (rng() % 4 == 0) keys.push_back("unknown");
    if (rng() % 10 == 0 && !keys.empty()) keys.push_back(keys[rng() % keys.size()]);  // a repeated key
    std::shuffle(keys.begin(), keys.end(), rng);
    std::string text = "{";
    for (size_t k = 0; k < keys.size(); ++k) {
      text += (k ? ", \"" : "\"") + keys[k] + "\": " + kValues[rng() % kNumValues];
    }
    text += "}";
    simdjson::dom::element root;
    ASSERT_TRUE(DomParse(parser, text, root)) << text;
    ASSERT_TRUE(dom_rows.AppendDom(dom_out, root).ok()) << text;
    std::string written;
    DumpDomRecord(root, written);
    written.reserve(written.size() + simdjson::SIMDJSON_PADDING);
    ASSERT_TRUE(text_rows.AppendText(text_out, written, written.capacity()).ok()) << text;
    ASSERT_TRUE(json_rows.AppendJson(json_out, Json::parse(text)).ok()) << text;
  }
  ASSERT_TRUE(dom_out.Finish(Status::Ok()).ok());
  ASSERT_TRUE(text_out.Finish(Status::Ok()).ok());
  ASSERT_TRUE(json_out.Finish(Status::Ok()).ok());
  EXPECT_GT(ExpectSameBatches(from_dom, from_text, 3000), 1000u);  // many values do not fit: notes compared
  ExpectSameBatches(from_json, from_text, 3000);
}

// Values only a Json built in code holds: NaN and infinities (dump() writes null), strings that
// are not UTF-8 (dump() replaces the bytes), nested ones too — AppendJson lands them as their
// dump's text.
TEST(JsonRowsTest, JsonRecordsOfCodeLandAsTheirDump) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{
      {"n", TypeId::kNumber, true, {}}, {"d", TypeId::kDecimal, true, {}}, {"s", TypeId::kString, true, {}},
      {"j", TypeId::kJson, true, {}}, {"i", TypeId::kInteger, true, {}}});
  const std::string bad = "caf\xe9 \xff";
  const std::vector<Json> records = {
      {{"n", std::nan("")}, {"d", HUGE_VAL}, {"s", "ok"}, {"i", -HUGE_VAL}},
      {{"s", bad}, {"n", 1.5}},
      {{"j", {{"k", bad}}}, {"i", 3}},
      {{"s", Json::array({1, bad})}, {"d", 2.50}},
      {{bad, 1}, {"i", 4}},
      {{"n", 18446744073709551615ull}, {"i", 18446744073709551615ull}, {"d", -7}, {"s", 0.1}},
  };
  testing::CollectingEmitter direct, text;
  StreamBatcher direct_out(direct, 0, schema), text_out(text, 0, schema);
  JsonRows rows;
  for (const Json& record : records) {
    ASSERT_TRUE(rows.AppendJson(direct_out, record).ok());
    std::string written = Dumped(record);
    written.reserve(written.size() + simdjson::SIMDJSON_PADDING);
    ASSERT_TRUE(rows.AppendText(text_out, written, written.capacity()).ok());
  }
  ASSERT_TRUE(direct_out.Finish(Status::Ok()).ok());
  ASSERT_TRUE(text_out.Finish(Status::Ok()).ok());
  ExpectSameBatches(direct, text, records.size());
  EXPECT_EQ(direct.Rows()[1]["s"], "caf\ufffd \ufffd");  // replaced, as the dump replaces it
}

TEST(JsonRowsTest, DomRecordThatIsNoObjectIsAnError) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{{"i", TypeId::kInteger, true, {}}});
  testing::CollectingEmitter sink;
  StreamBatcher out(sink, 0, schema);
  JsonRows rows;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_TRUE(DomParse(parser, "[1, 2]", root));
  const Status st = rows.AppendDom(out, root);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("could not be re-read"), std::string::npos) << st.message();
  EXPECT_EQ(out.rows(), 0u);
}

TEST(JsonRowsTest, PipeAppendsPagesInOrderAsTheJsonPathDoes) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{
      {"id", TypeId::kInteger, false, {}}, {"v", TypeId::kJson, true, {}}, {"n", TypeId::kDecimal, true, {}},
      {"s", TypeId::kString, true, {}}});
  testing::CollectingEmitter piped, direct;
  StreamBatcher piped_out(piped, 0, schema, {.max_rows = 64});
  StreamBatcher direct_out(direct, 0, schema, {.max_rows = 64});
  JsonRows rows;
  std::vector<std::weak_ptr<simdjson::dom::parser>> documents;
  {
    JsonRowsPipe pipe(piped_out, 1);
    for (int page = 0; page < 50; ++page) {
      std::string text = "[";
      for (int i = 0; i < 3; ++i) {
        const int id = page * 3 + i;
        text += (i ? "," : "") + std::string("{\"id\": ") + std::to_string(id) + ", \"v\": {\"a\" : [1E2, \"\\u00e9\"], \"b\": " +
                std::to_string(id) + ", \"b\": 0}, \"n\": 0.10, \"s\": [ 1 , 2 ], \"id\": -1}";
      }
      text += "]";
      for (const Json& record : Json::parse(text)) ASSERT_TRUE(rows.AppendJson(direct_out, record).ok());
      auto parser = std::make_shared<simdjson::dom::parser>();
      simdjson::dom::element root;
      ASSERT_EQ(parser->parse(text).get(root), simdjson::SUCCESS);
      std::vector<simdjson::dom::element> records;
      for (simdjson::dom::element r : DomAs<simdjson::dom::array>(root)) records.push_back(r);
      documents.push_back(parser);
      ASSERT_TRUE(pipe.Submit(records, parser).ok());
      EXPECT_TRUE(records.empty());
    }
    ASSERT_TRUE(pipe.Drain().ok());
  }
  for (const auto& d : documents) EXPECT_TRUE(d.expired()) << "a page's document is let go once appended";
  ASSERT_TRUE(piped_out.Finish(Status::Ok()).ok());
  ASSERT_TRUE(direct_out.Finish(Status::Ok()).ok());
  const std::vector<Json> got = piped.Rows();
  ASSERT_EQ(got.size(), 150u);
  EXPECT_EQ(got, direct.Rows());
  EXPECT_EQ(got[7]["id"], -1);  // nlohmann's reading: a repeated key's last value
  EXPECT_EQ(got[7]["v"]["b"], 0);
}

}  // namespace
}  // namespace sluice
