#include "connectors/kit/config_reader.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(ConfigReaderTest, ReadsTypedValuesWithDefaults) {
  const Json config = Json::parse(R"({"host": "db", "port": 6543, "ssl": true, "ratio": 0.5,
                                      "schemas": "public", "mode": "fast", "nested": {"size_mb": 8.0}})");
  ConfigReader r(config);
  EXPECT_EQ(r.String("host"), "db");
  EXPECT_EQ(r.Integer("port", 5432, 1, 65535), 6543);
  EXPECT_EQ(r.Integer("timeout", 10), 10);
  EXPECT_TRUE(r.Bool("ssl", false));
  EXPECT_DOUBLE_EQ(r.Number("ratio", 1), 0.5);
  EXPECT_EQ(r.StringList("schemas"), std::vector<std::string>{"public"});
  EXPECT_EQ(r.Enum("mode", {"fast", "slow"}, "slow"), "fast");
  EXPECT_EQ(r.Object("nested").Integer("size_mb", 1), 8);
  EXPECT_EQ(r.String("missing", "x"), "x");
  EXPECT_FALSE(r.OptionalString("missing").has_value());
  EXPECT_TRUE(r.status().ok()) << r.status().message();
}

TEST(ConfigReaderTest, EveryProblemNamesItsJsonPath) {
  const Json config = Json::parse(R"({"port": "5432", "streams": [{"name": "a"}, {"name": 3, "delimiter": ";;"}],
                                      "format": "xml", "extra": 1})");
  ConfigReader r(config);
  r.String("host");
  r.Integer("port", 5432);
  for (ConfigReader s : r.Array("streams")) {
    s.String("name");
    if (s.Has("delimiter")) s.Fail("delimiter", "must be one character, got ';;'");
  }
  r.Enum("format", {"csv", "jsonl"}, "csv");
  r.RejectUnknownKeys({"host", "port", "streams", "format"});
  const Status st = r.status();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  const std::string& m = st.message();
  EXPECT_NE(m.find("$.host: is required"), std::string::npos) << m;
  EXPECT_NE(m.find("$.port: must be an integer, got a string"), std::string::npos) << m;
  EXPECT_NE(m.find("$.streams[1].name: must be a non-empty string, got a number"), std::string::npos) << m;
  EXPECT_NE(m.find("$.streams[1].delimiter: must be one character, got ';;'"), std::string::npos) << m;
  EXPECT_NE(m.find("$.format: must be one of csv, jsonl, got 'xml'"), std::string::npos) << m;
  EXPECT_NE(m.find("$.extra: is not a known option"), std::string::npos) << m;
}

TEST(ConfigReaderTest, RangesAndWholeNumbers) {
  const Json config = Json::parse(R"({"a": 0, "b": 2.5, "c": 3.0, "d": 70000})");
  ConfigReader r(config);
  EXPECT_EQ(r.Integer("a", 7, 1), 7);
  EXPECT_EQ(r.Integer("b", 7), 7);
  EXPECT_EQ(r.Integer("c", 7), 3);
  EXPECT_EQ(r.Integer("d", 7, 1, 65535), 7);
  const std::string m = r.status().message();
  EXPECT_NE(m.find("$.a: must be at least 1, got 0"), std::string::npos) << m;
  EXPECT_NE(m.find("$.b: must be an integer, got 2.5"), std::string::npos) << m;
  EXPECT_NE(m.find("$.d: must be between 1 and 65535, got 70000"), std::string::npos) << m;
}

TEST(ConfigReaderTest, KeysThatAreNotIdentifiersAreQuoted) {
  const Json config = Json::parse(R"({"odd key": 1})");
  ConfigReader r(config);
  r.String("odd key");
  EXPECT_EQ(r.status().message(), "$['odd key']: must be a non-empty string, got a number");
}

}  // namespace
}  // namespace sluice
