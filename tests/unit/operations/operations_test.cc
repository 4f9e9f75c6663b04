// Airbyte's OperatorConfiguration read into OperatorConfig: each operator type, dbtArguments
// parsing, and the errors naming the field.
#include "operations/operations.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace sluice {
namespace {

Json Parse(const char* text) { return Json::parse(text); }

std::string ErrorOf(const Json& json) {
  auto parsed = ParseOperatorConfiguration(json);
  EXPECT_FALSE(parsed.ok());
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().failure_type(), FailureType::kConfig);
  return parsed.status().message();
}

TEST(OperationsTest, NormalizationIsBasicOnly) {
  auto c = ParseOperatorConfiguration(Parse(R"({"operatorType":"normalization","normalization":{"option":"basic"}})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->type, OperatorType::kNormalization);
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"normalization","normalization":{"option":"fancy"}})")),
            "operatorConfiguration.normalization.option: 'fancy' is not basic");
}

TEST(OperationsTest, DbtArgumentsAreRead) {
  auto c = ParseOperatorConfiguration(Parse(R"({"operatorType":"dbt","dbt":{
      "gitRepoUrl":"file:///srv/dbt/analytics","gitRepoBranch":"main","dockerImage":"fishtownanalytics/dbt:1.0.0",
      "dbtArguments":"dbt build --select 'stg_orders orders+' --full-refresh --vars '{\"since\": \"2024-01-01\", \"n\": 3}'"}})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->type, OperatorType::kDbt);
  EXPECT_EQ(c->repo, "file:///srv/dbt/analytics");
  EXPECT_EQ(c->branch, "main");
  EXPECT_EQ(c->command, "build");
  EXPECT_EQ(c->select, (std::vector<std::string>{"stg_orders", "orders+"}));
  EXPECT_TRUE(c->full_refresh);
  EXPECT_EQ(c->vars, Parse(R"({"since":"2024-01-01","n":3})"));

  auto plain = ParseOperatorConfiguration(Parse(R"({"operatorType":"dbt","dbt":{"gitRepoUrl":"https://example.com/a.git"}})"));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->command, "run");
  EXPECT_TRUE(plain->select.empty());

  auto yaml_vars = ParseOperatorConfiguration(
      Parse(R"({"operatorType":"dbt","dbt":{"gitRepoUrl":"/p","dbtArguments":"test -s m --vars '{start: 2024-01-01}'"}})"));
  ASSERT_TRUE(yaml_vars.ok()) << yaml_vars.status().ToString();
  EXPECT_EQ(yaml_vars->command, "test");
  EXPECT_EQ(yaml_vars->vars["start"], "2024-01-01");
}

TEST(OperationsTest, DbtErrorsNameTheField) {
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"dbt"})")),
            "operatorConfiguration.dbt: is required when operatorType is dbt");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"dbt","dbt":{}})")),
            "operatorConfiguration.dbt.gitRepoUrl: is required: the dbt project's folder or git URL");
  EXPECT_NE(ErrorOf(Parse(R"({"operatorType":"dbt","dbt":{"gitRepoUrl":"relative/dir"}})"))
                .find("operatorConfiguration.dbt.gitRepoUrl: 'relative/dir' is neither"),
            std::string::npos);
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"dbt","dbt":{"gitRepoUrl":"/p","dbtArguments":"seed"}})")),
            "operatorConfiguration.dbt.dbtArguments: 'seed' is not one of run, test, build");
  EXPECT_NE(ErrorOf(Parse(R"({"operatorType":"dbt","dbt":{"gitRepoUrl":"/p","dbtArguments":"run --threads 4"}})"))
                .find("'--threads' is not supported"),
            std::string::npos);
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"dbt","dbt":{"gitRepoUrl":"/p","dbtArguments":"run --select"}})")),
            "operatorConfiguration.dbt.dbtArguments: --select needs a value");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"dbt","dbt":{"gitRepoUrl":"/p","dbtArguments":"run -s 'x"}})")),
            "operatorConfiguration.dbt.dbtArguments: unterminated ' quote");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"dbt","dbt":{"gitRepoUrl":7}})")),
            "operatorConfiguration.dbt.gitRepoUrl: must be a string");
}

TEST(OperationsTest, WebhookNeedsAnHttpUrlAndJsonBody) {
  auto c = ParseOperatorConfiguration(Parse(R"({"operatorType":"webhook","webhook":{
      "executionUrl":"https://cloud.getdbt.com/api/v2/accounts/1/jobs/2/run/","executionBody":"{\"cause\":\"sluice\"}",
      "webhookConfigId":"6e9d6a52-0d3a-4c4c-8d8c-3f1e5a9c2b10"}})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->type, OperatorType::kWebhook);
  EXPECT_EQ(c->body, Parse(R"({"cause":"sluice"})"));
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"webhook","webhook":{"executionUrl":"ftp://x"}})")),
            "operatorConfiguration.webhook.executionUrl: is required: an http:// or https:// URL");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"webhook","webhook":{"executionUrl":"http://x/","executionBody":"{"}})")),
            "operatorConfiguration.webhook.executionBody: must be JSON text");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"sql"})")),
            "operatorConfiguration.operatorType: 'sql' is not one of normalization, dbt, webhook");
  EXPECT_EQ(ErrorOf(Parse(R"([1])")), "operatorConfiguration: must be an object");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":123})")), "operatorConfiguration.operatorType: must be a string");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"normalization","normalization":{"option":1}})")),
            "operatorConfiguration.normalization.option: must be a string");
}

TEST(OperationsTest, CheckFindsTheProjectFile) {
  const std::string dir = std::filesystem::temp_directory_path() / ("sluice-ops-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto c = ParseOperatorConfiguration(Json{{"operatorType", "dbt"}, {"dbt", {{"gitRepoUrl", "file://" + dir}}}});
  ASSERT_TRUE(c.ok());
  Status missing = CheckOperator(*c);
  EXPECT_EQ(missing.failure_type(), FailureType::kConfig);
  EXPECT_NE(missing.message().find("no dbt_project.yml in '" + dir + "'"), std::string::npos) << missing.message();
  std::ofstream(dir + "/dbt_project.yml") << "name: x\n";
  EXPECT_TRUE(CheckOperator(*c).ok());
  std::filesystem::remove_all(dir);
}

TEST(OperationsTest, TransformRunsOnlyAgainstPostgres) {
  std::unique_ptr<SshTunnel> tunnel;
  auto o = TransformOptionsForDestination("destination-s3", Json::object(), tunnel);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("the destination is destination-s3"), std::string::npos);
  auto pg = TransformOptionsForDestination(
      "destination-postgres",
      Json{{"host", "db"}, {"port", 5433}, {"database", "dw"}, {"username", "u"}, {"password", "p"}, {"schema", "raw"}},
      tunnel);
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  EXPECT_EQ(pg->schema, "raw");
  ASSERT_TRUE(pg->connection);
  EXPECT_EQ(pg->connection->port, 5433);
}

}  // namespace
}  // namespace sluice
