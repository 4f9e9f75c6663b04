// The one path template of file destinations: its variable list, expansion, validation, and
// the path normalization both destinations apply.
#include "connectors/kit/path_template.h"

#include <gtest/gtest.h>

#include "base/time.h"

namespace sluice {
namespace {

// 2024-03-05T07:08:09.123Z
const int64_t kStart = (DaysFromCivil(2024, 3, 5) * 86400 + 7 * 3600 + 8 * 60 + 9) * kMicrosPerSecond + 123000;

std::string Expand(std::string_view text, PathTemplateValues values, size_t* first_varying = nullptr) {
  auto t = PathTemplate::Parse(text, "$.path");
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  std::string out;
  if (t.ok()) t->ExpandTo(values, out, first_varying);
  return out;
}

PathTemplateValues Values(StreamDescriptor stream, int64_t micros = kStart) {
  return {.stream = std::move(stream), .sync_start_micros = micros, .uuid = "0b6c2e1a-5a4f-4c3d-9e8f-123456789abc"};
}

TEST(PathTemplateTest, OneListOfVariablesForEveryFileDestination) {
  const std::vector<std::string_view> expected = {"NAMESPACE", "STREAM_NAME", "SOURCE_NAMESPACE", "YEAR",
                                                  "MONTH",     "DAY",         "HOUR",             "MINUTE",
                                                  "SECOND",    "MILLISECOND", "EPOCH",            "UUID"};
  EXPECT_EQ(PathTemplateVariables(), expected);
  EXPECT_EQ(PathTemplateVariableList(),
            "${NAMESPACE} ${STREAM_NAME} ${SOURCE_NAMESPACE} ${YEAR} ${MONTH} ${DAY} ${HOUR} ${MINUTE} ${SECOND} "
            "${MILLISECOND} ${EPOCH} ${UUID}");
}

TEST(PathTemplateTest, ExpandsEveryVariable) {
  EXPECT_EQ(Expand("${NAMESPACE}/${STREAM_NAME}/${SOURCE_NAMESPACE}", Values({"users", "public"})),
            "public/users/public");
  EXPECT_EQ(Expand("${YEAR}/${MONTH}/${DAY}/${HOUR}-${MINUTE}-${SECOND}.${MILLISECOND}/${EPOCH}", Values({"s", {}})),
            "2024/03/05/07-08-09.123/1709622489123");
  EXPECT_EQ(Expand("x_${UUID}", Values({"s", {}})), "x_0b6c2e1a-5a4f-4c3d-9e8f-123456789abc");
  PathTemplateValues mapped = Values({"users", "prod_public"});
  mapped.source_namespace = "public";
  EXPECT_EQ(Expand("${SOURCE_NAMESPACE}", mapped), "public");
  EXPECT_EQ(Expand("no variables/", Values({"s", {}})), "no variables/");
  EXPECT_EQ(Expand("$x {y} $", Values({"s", {}})), "$x {y} $");
}

TEST(PathTemplateTest, TimesBefore1970FallOnTheirDay) {
  // 1969-12-31T23:59:59.500Z
  EXPECT_EQ(Expand("${YEAR}-${MONTH}-${DAY} ${HOUR}:${MINUTE}:${SECOND}.${MILLISECOND}", Values({"s", {}}, -500000)),
            "1969-12-31 23:59:59.500");
}

TEST(PathTemplateTest, NamesBecomeOnePathSegment) {
  EXPECT_EQ(Expand("${NAMESPACE}/${STREAM_NAME}", Values({"a/b", "x/../y"})), "x_.._y/a_b");
  EXPECT_EQ(Expand("${NAMESPACE}/${STREAM_NAME}", Values({"..", "."})), "_/__");
  EXPECT_EQ(Expand("${STREAM_NAME}", Values({std::string("a\0b", 3), {}})), "a_b");
}

TEST(PathTemplateTest, UnknownAndUnterminatedVariablesAreConfigErrorsNamingThePath) {
  auto unknown = PathTemplate::Parse("${NAMESPACE}/${STREAM}", "$.s3_path_format");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().failure_type(), FailureType::kConfig);
  EXPECT_EQ(unknown.status().message(),
            "$.s3_path_format: unknown variable ${STREAM}; known: " + PathTemplateVariableList());
  auto open = PathTemplate::Parse("${STREAM_NAME", "$.path_format");
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.status().message(), "$.path_format: unterminated variable in '${STREAM_NAME'");
}

TEST(PathTemplateTest, ANulCharacterIsAConfigError) {
  using namespace std::string_literals;
  auto nul = PathTemplate::Parse("x\0/../${STREAM_NAME}"s, "$.path_format");
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.status().failure_type(), FailureType::kConfig);
  EXPECT_EQ(nul.status().message(), "$.path_format: must not contain a NUL character");
}

TEST(PathTemplateTest, FirstVaryingVariableMarksTheFixedPrefix) {
  size_t first = std::string::npos;
  EXPECT_EQ(Expand("${STREAM_NAME}/${YEAR}_", Values({"users", {}}), &first), "users/2024_");
  EXPECT_EQ(first, 6u);
  first = std::string::npos;
  Expand("${NAMESPACE}/${STREAM_NAME}/", Values({"users", "p"}), &first);
  EXPECT_EQ(first, std::string::npos);
}

TEST(PathTemplateTest, NormalizeCollapsesSlashesAndDotsAndRejectsParents) {
  const StreamDescriptor users{"users", "public"};
  EXPECT_EQ(*NormalizeRelativePath("/a//b/./c/", "$.p", users), "a/b/c/");
  EXPECT_EQ(*NormalizeRelativePath("./x_/users", "$.p", users), "x_/users");
  EXPECT_EQ(*NormalizeRelativePath("a/.b./c", "$.p", users), "a/.b./c");
  auto up = NormalizeRelativePath("a/../b", "$.path_format", users);
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(up.status().message().find("$.path_format: 'a/../b' has a '..' segment for stream 'public.users'"),
            std::string::npos)
      << up.status().message();

  // The fixed prefix (an offset before the first varying variable) follows the normalization.
  size_t prefix = std::string("//data//users_").size();
  EXPECT_EQ(*NormalizeRelativePath("//data//users_2024", "$.p", users, &prefix), "data/users_2024");
  EXPECT_EQ(prefix, std::string("data/users_").size());
  prefix = std::string("data/./").size();
  EXPECT_EQ(*NormalizeRelativePath("data/./2024/x", "$.p", users, &prefix), "data/2024/x");
  EXPECT_EQ(prefix, std::string("data/").size());
  prefix = std::string("data/users/").size();
  EXPECT_EQ(*NormalizeRelativePath("data/users/", "$.p", users, &prefix), "data/users/");
  EXPECT_EQ(prefix, std::string("data/users/").size());
}

}  // namespace
}  // namespace sluice
