#include "connectors/sources/s3/s3_source_config.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

Json Config(Json stream) {
  return Json{{"bucket", "b"}, {"aws_access_key_id", "k"}, {"aws_secret_access_key", "s"},
              {"streams", Json::array({std::move(stream)})}};
}

TEST(S3SourceConfigTest, ParsesAStream) {
  auto c = ParseS3SourceConfig(Config({{"name", "orders"},
                                       {"globs", {"data/**/*.csv"}},
                                       {"format",
                                        {{"filetype", "csv"},
                                         {"delimiter", "\\t"},
                                         {"inference_type", "Primitive Types Only"},
                                         {"header_definition",
                                          {{"header_definition_type", "User Provided"}, {"column_names", {"a", "b"}}}}}},
                                       {"validation_policy", "Skip Record"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->streams.size(), 1u);
  const S3SourceStreamConfig& s = c->streams[0];
  EXPECT_EQ(s.csv.delimiter, '\t');
  EXPECT_TRUE(s.csv_infer_types);
  EXPECT_FALSE(s.csv.header);
  EXPECT_EQ(s.csv_column_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.validation_policy, S3ValidationPolicy::kSkipRecord);
  EXPECT_EQ(s.days_to_sync_if_history_is_full, 3);
}

TEST(S3SourceConfigTest, ErrorsNameTheJsonPath) {
  auto c = ParseS3SourceConfig(Config({{"name", "x"}, {"format", {{"filetype", "csv"}, {"delimiter", ";;"}}}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "$.streams[0].format.delimiter: must be one character, got ';;'");
  c = ParseS3SourceConfig(Config({{"name", "x"}, {"format", {{"filetype", "xml"}}}, {"input_schema", "[1]"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("$.streams[0].format.filetype: must be one of csv, jsonl, parquet, got 'xml'"),
            std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find("$.streams[0].input_schema: must be a JSON object"), std::string::npos);
  Json twice = Config({{"name", "x"}, {"format", {{"filetype", "jsonl"}}}});
  twice["streams"].push_back(twice["streams"][0]);
  c = ParseS3SourceConfig(twice);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "$.streams[1].name: 'x' is used twice");
}

TEST(S3SourceConfigTest, Globs) {
  EXPECT_TRUE(GlobMatch("data/**/*.csv", "data/a/b/c.csv"));
  EXPECT_TRUE(GlobMatch("data/**/*.csv", "data/c.csv"));
  EXPECT_FALSE(GlobMatch("data/*.csv", "data/a/c.csv"));
  EXPECT_TRUE(GlobMatch("{x,y}/*.jsonl", "y/1.jsonl"));
  EXPECT_EQ(GlobPrefix("data/2024-*/x"), "data/2024-");
}

}  // namespace
}  // namespace sluice
