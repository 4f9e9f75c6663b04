// The kit's JSON records: simdjson's parse written as nlohmann's dump would write it
// (DumpDomAsJson, DumpDomRecord) and read as nlohmann's parser would (DomToJson) — on chosen
// texts and on random documents — and JsonRowsPipe appending pages in order.

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
