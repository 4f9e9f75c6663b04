#include "connectors/destinations/local/local_config.h"

#include <gtest/gtest.h>

#include "base/time.h"
#include "connectors/destinations/local/local_layout.h"

namespace sluice {
namespace {

// 2024-03-05T07:08:09.123Z
const int64_t kStart = (DaysFromCivil(2024, 3, 5) * 86400 + 7 * 3600 + 8 * 60 + 9) * kMicrosPerSecond + 123000;

std::string Expand(std::string_view format, StreamDescriptor stream) {
  auto r = ExpandPathFormat(format, stream, kStart);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::string();
}

Status ExpandError(std::string_view format, StreamDescriptor stream = {"users", std::nullopt}) {
  auto r = ExpandPathFormat(format, stream, kStart);
  EXPECT_FALSE(r.ok()) << format;
  return r.ok() ? Status::Ok() : r.status();
}

TEST(LocalConfigTest, PathFormatWithAndWithoutNamespace) {
  EXPECT_EQ(Expand("${NAMESPACE}/${STREAM_NAME}", {"users", "public"}), "public/users");
  EXPECT_EQ(Expand("${NAMESPACE}/${STREAM_NAME}", {"users", std::nullopt}), "users");
  EXPECT_EQ(Expand("${NAMESPACE}/${STREAM_NAME}", {"users", ""}), "users");
  EXPECT_EQ(Expand("data/${NAMESPACE}//${STREAM_NAME}/", {"users", std::nullopt}), "data/users");
  EXPECT_EQ(Expand("./x_${NAMESPACE}/${STREAM_NAME}", {"users", std::nullopt}), "x_/users");
}

TEST(LocalConfigTest, PathFormatTimeVariablesAreTheSyncStartInUtc) {
  EXPECT_EQ(Expand("${STREAM_NAME}/${YEAR}/${MONTH}/${DAY}/${HOUR}-${MINUTE}-${SECOND}/${EPOCH}", {"s", std::nullopt}),
            "s/2024/03/05/07-08-09/1709622489123");
}

TEST(LocalConfigTest, PathFormatSanitizesNames) {
  EXPECT_EQ(Expand("${NAMESPACE}/${STREAM_NAME}", {"a/b", "x/../y"}), "x_.._y/a_b");
  EXPECT_EQ(Expand("${NAMESPACE}/${STREAM_NAME}", {"..", "."}), "_/__");
  EXPECT_EQ(Expand("${STREAM_NAME}", {std::string("a\0b", 3), std::nullopt}), "a_b");
}

TEST(LocalConfigTest, PathFormatErrors) {
  EXPECT_NE(ExpandError("../${STREAM_NAME}").message().find("'..'"), std::string::npos);
  EXPECT_NE(ExpandError("a/../../b").message().find("'..'"), std::string::npos);
  EXPECT_NE(ExpandError(".${NAMESPACE}./x").message().find("'..'"), std::string::npos);
  EXPECT_NE(ExpandError("/abs/${STREAM_NAME}").message().find("absolute"), std::string::npos);
  EXPECT_NE(ExpandError("${STREAM}").message().find("unknown variable ${STREAM}"), std::string::npos);
  EXPECT_NE(ExpandError("${STREAM_NAME").message().find("unterminated"), std::string::npos);
  const Status empty = ExpandError("${NAMESPACE}");
  EXPECT_EQ(empty.failure_type(), FailureType::kConfig);
  EXPECT_NE(empty.message().find("empty folder"), std::string::npos);
}

TEST(LocalConfigTest, ParsesDefaultsAndOptions) {
  auto c = ParseLocalConfig(Json{{"destination_path", "/tmp/x"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->destination_path, "/tmp/x");
  EXPECT_EQ(c->path_format, "${NAMESPACE}/${STREAM_NAME}");
  EXPECT_EQ(c->format, LocalFileFormat::kJsonl);
  EXPECT_EQ(c->compression, Compression::kNone);
  EXPECT_EQ(c->file_size_bytes, 256ull << 20);
  EXPECT_EQ(DataFileExtension(*c), "jsonl");

  c = ParseLocalConfig(Json::parse(R"({"destination_path":"out","path_format":"${STREAM_NAME}",
      "format":{"format_type":"CSV","compression":"gzip","delimiter":"\\t"},"file_size_mb":3})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->format, LocalFileFormat::kCsv);
  EXPECT_EQ(c->compression, Compression::kGzip);
  EXPECT_EQ(c->csv_delimiter, '\t');
  EXPECT_EQ(c->file_size_bytes, 3ull << 20);
  EXPECT_EQ(DataFileExtension(*c), "csv.gz");
}

TEST(LocalConfigTest, RejectsBadValuesNamingTheField) {
  auto c = ParseLocalConfig(Json::object());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("destination_path"), std::string::npos);
  c = ParseLocalConfig(Json{{"destination_path", "x"}, {"format", {{"format_type", "XML"}}}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("format.format_type"), std::string::npos);
  c = ParseLocalConfig(Json{{"destination_path", "x"}, {"format", {{"delimiter", "\""}}}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("format.delimiter"), std::string::npos);
  c = ParseLocalConfig(Json{{"destination_path", "x"}, {"file_size_mb", 0}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("file_size_mb"), std::string::npos);
}

TEST(LocalConfigTest, SpecDescribesTheConfig) {
  ConnectorSpec spec = LocalDestinationSpec();
  const Json& schema = spec.connection_specification;
  EXPECT_EQ(schema["required"], Json::array({"destination_path"}));
  EXPECT_EQ(schema["additionalProperties"], false);
  for (const char* key : {"destination_path", "path_format", "format", "file_size_mb"}) {
    ASSERT_TRUE(schema["properties"].contains(key)) << key;
    EXPECT_TRUE(schema["properties"][key].contains("title")) << key;
    EXPECT_TRUE(schema["properties"][key].contains("description")) << key;
  }
  EXPECT_EQ(schema["properties"]["format"]["properties"]["format_type"]["enum"], Json::array({"JSONL", "CSV", "Parquet"}));
  EXPECT_TRUE(spec.Supports(DestinationSyncMode::kOverwrite));
  EXPECT_TRUE(spec.Supports(DestinationSyncMode::kAppend));
  EXPECT_FALSE(spec.Supports(DestinationSyncMode::kAppendDedup));
}

TEST(LocalLayoutTest, Names) {
  EXPECT_EQ(DataFileName(1700000000123, 3, "jsonl.gz"), "1700000000123_00003.jsonl.gz");
  EXPECT_EQ(TempFileName("1_00000.csv"), ".1_00000.csv.tmp");
  EXPECT_TRUE(IsTempFileName(".1700000000123_00003.jsonl.gz.tmp"));
  EXPECT_FALSE(IsTempFileName(".notes.tmp"));
  EXPECT_FALSE(IsTempFileName("1_00000.csv"));
  EXPECT_EQ(StagingFolder("/r/public/users", 5), "/r/public/.users.sluice-staging-5");
  EXPECT_EQ(OldFolder("/r/users", 5), "/r/.users.sluice-old-5");
  EXPECT_EQ(JoinPath("/r/", "a/b"), "/r/a/b");
  EXPECT_EQ(JoinPath("/", "a"), "/a");
  EXPECT_EQ(JoinPath("rel", "a"), "rel/a");
}

}  // namespace
}  // namespace sluice
