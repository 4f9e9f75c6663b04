#include "worker/resource_limits.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "worker/attempt_protocol.h"

namespace sluice {
namespace {

TEST(ResourceLimitsTest, MemoryQuantities) {
  EXPECT_EQ(*ParseMemoryQuantity("1Gi", "m"), 1073741824);
  EXPECT_EQ(*ParseMemoryQuantity("512Mi", "m"), 512 * 1048576LL);
  EXPECT_EQ(*ParseMemoryQuantity("128M", "m"), 128'000'000);
  EXPECT_EQ(*ParseMemoryQuantity("1e9", "m"), 1'000'000'000);
  EXPECT_EQ(*ParseMemoryQuantity("1000", "m"), 1000);
  EXPECT_EQ(*ParseMemoryQuantity("1.5Gi", "m"), 1610612736);
  for (const char* bad : {"", "Gi", "12XB", "-1Mi", "abc"}) {
    auto r = ParseMemoryQuantity(bad, "resourceRequirements.memory_limit");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("resourceRequirements.memory_limit"), std::string::npos);
  }
}

TEST(ResourceLimitsTest, CpuQuantities) {
  EXPECT_DOUBLE_EQ(*ParseCpuQuantity("2", "c"), 2);
  EXPECT_DOUBLE_EQ(*ParseCpuQuantity("0.5", "c"), 0.5);
  EXPECT_DOUBLE_EQ(*ParseCpuQuantity("500m", "c"), 0.5);
  EXPECT_FALSE(ParseCpuQuantity("0", "c").ok());
  EXPECT_FALSE(ParseCpuQuantity("1Gi", "c").ok());
}

TEST(ResourceLimitsTest, FlatAndNestedForms) {
  auto flat = ParseResourceRequirements(
      Json::parse(R"({"cpu_limit":"0.5","cpu_request":"0.25","memory_limit":"1Gi","memory_request":"512Mi"})"));
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(*flat->memory_limit_bytes, 1073741824);
  EXPECT_DOUBLE_EQ(*flat->cpu_limit, 0.5);
  // The seed's config.yaml: per side; the larger limit wins (both run in one process).
  auto nested = ParseResourceRequirements(Json::parse(
      R"({"source":{"memory_limit":"512Mi","cpu_limit":"1"},"destination":{"memory_limit":"2Gi","cpu_limit":"0.5"}})"));
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(*nested->memory_limit_bytes, 2LL << 30);
  EXPECT_DOUBLE_EQ(*nested->cpu_limit, 1);
  auto none = ParseResourceRequirements(Json());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->memory_limit_bytes.has_value());
  EXPECT_FALSE(ParseResourceRequirements(Json::parse(R"({"memory_limit":"lots"})")).ok());
  EXPECT_EQ(FormatMiB(256LL << 20), "256 MiB");
}

TEST(ResourceLimitsTest, ReadsOwnRss) {
  auto rss = ReadRssBytes(getpid());
  ASSERT_TRUE(rss.has_value());
  EXPECT_GT(*rss, 1 << 20);
  EXPECT_FALSE(ReadRssBytes(999'999'999).has_value());
}

TEST(AttemptProtocolTest, PlanRoundTrip) {
  AttemptPlan plan;
  plan.job_id = 7;
  plan.attempt_number = 2;
  plan.job_type = JobConfigType::kResetConnection;
  plan.source_connector = "source-faker";
  plan.source_config = {{"count", 5}};
  plan.destination_connector = "destination-local";
  plan.destination_config = {{"destination_path", "/tmp/x"}};
  plan.connection.namespace_definition = "customformat";
  plan.connection.namespace_format = "raw_${SOURCE_NAMESPACE}";
  plan.connection.prefix = "p_";
  plan.state = Json::array();
  auto back = AttemptPlan::FromJson(plan.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->job_id, 7);
  EXPECT_EQ(back->attempt_number, 2);
  EXPECT_EQ(back->job_type, JobConfigType::kResetConnection);
  EXPECT_EQ(back->source_config, plan.source_config);
  EXPECT_EQ(back->destination_connector, "destination-local");
  EXPECT_EQ(back->connection.namespace_format, plan.connection.namespace_format);
  EXPECT_EQ(back->connection.prefix, "p_");
  EXPECT_EQ(back->state, Json::array());
  EXPECT_FALSE(AttemptPlan::FromJson(Json::parse(R"({"jobType":"sync"})")).ok());
}

}  // namespace
}  // namespace sluice
