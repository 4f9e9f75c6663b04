// Airbyte's OperatorConfiguration read into OperatorConfig: each operator type, dbtArguments
// parsing, and the errors naming the field.
#include "operations/operations.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
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
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"spark"})")),
            "operatorConfiguration.operatorType: 'spark' is not one of normalization, dbt, webhook, sql, command");
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

TEST(OperationsTest, SqlScriptIsReadAndChecked) {
  auto c = ParseOperatorConfiguration(Parse(R"({"operatorType":"sql","operatorSql":{
      "sql":"create table t(a int);\ninsert into t values (1);","database":"dw","schema":"marts"}})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->type, OperatorType::kSql);
  EXPECT_EQ(OperatorTypeName(c->type), "sql");
  EXPECT_EQ(c->sql_database, "dw");
  EXPECT_EQ(c->sql_schema, "marts");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"sql"})")),
            "operatorConfiguration.operatorSql: is required when operatorType is sql");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"sql","operatorSql":{"sql":" -- nothing\n;"}})")),
            "operatorConfiguration.operatorSql.sql: is required: one or more SQL statements");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"sql","operatorSql":{"sql":"select 1;\nselect 'x"}})")),
            "operatorConfiguration.operatorSql.sql: line 2: a 'string' is not closed");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"sql","operatorSql":{"sql":"select 1;\n\ncommit;"}})")),
            "operatorConfiguration.operatorSql.sql: line 3: 'commit': the script runs in one transaction; leave out "
            "BEGIN, COMMIT and ROLLBACK");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"sql","operatorSql":{"sql":"select 1","schema":3}})")),
            "operatorConfiguration.operatorSql.schema: must be a string");
}

TEST(OperationsTest, CommandIsReadAndChecked) {
  auto c = ParseOperatorConfiguration(Parse(R"({"operatorType":"command","operatorCommand":{
      "command":["dbt","run","--profiles-dir","."],"workingDirectory":"/tmp","timeoutSeconds":60,
      "environment":{"DBT_TARGET":"prod","A_1":"x"},"secretEnvironment":{"DREMIO_TOKEN":"s3cr3t"}}})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->type, OperatorType::kCommand);
  EXPECT_EQ(c->argv, (std::vector<std::string>{"dbt", "run", "--profiles-dir", "."}));
  EXPECT_EQ(c->working_dir, "/tmp");
  EXPECT_EQ(c->timeout_seconds, 60);
  EXPECT_EQ(c->environment.size(), 2u);
  EXPECT_EQ(OperatorSecretValues(*c), std::vector<std::string>{"s3cr3t"});
  EXPECT_TRUE(CheckOperator(*c).ok());
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"command","operatorCommand":{"command":[]}})")),
            "operatorConfiguration.operatorCommand.command: is required: the program and its arguments, as a list of "
            "strings");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"command","operatorCommand":{"command":"dbt run"}})")),
            "operatorConfiguration.operatorCommand.command: is required: the program and its arguments, as a list of "
            "strings");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"command","operatorCommand":{"command":["x",1]}})")),
            "operatorConfiguration.operatorCommand.command[1]: must be a string");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"command","operatorCommand":{"command":["x"],"timeoutSeconds":0}})")),
            "operatorConfiguration.operatorCommand.timeoutSeconds: must be a whole number of seconds from 1 to 604800");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"command","operatorCommand":{"command":["x"],"environment":{"A-B":"1"}}})")),
            "operatorConfiguration.operatorCommand.environment.A-B: is not a variable name (letters, digits, _)");
  EXPECT_EQ(ErrorOf(Parse(R"({"operatorType":"command","operatorCommand":{"command":["x"],"workingDirectory":"rel"}})")),
            "operatorConfiguration.operatorCommand.workingDirectory: 'rel' is not an absolute folder");
  auto missing = ParseOperatorConfiguration(
      Parse(R"({"operatorType":"command","operatorCommand":{"command":["x"],"workingDirectory":"/no/such/dir"}})"));
  ASSERT_TRUE(missing.ok());
  EXPECT_NE(CheckOperator(*missing).message().find("operatorCommand.workingDirectory: no folder '/no/such/dir'"),
            std::string::npos);
}

TEST(OperationsTest, SecretEnvironmentIsMaskedAndKeptOnUpdate) {
  const Json stored = Parse(R"({"operatorType":"command","operatorCommand":{"command":["x"],
      "environment":{"PLAIN":"shown"},"secretEnvironment":{"TOKEN":"s3cr3t","OTHER":"o"}}})");
  const Json masked = MaskOperatorSecrets(stored);
  EXPECT_EQ(masked["operatorCommand"]["secretEnvironment"], Parse(R"({"TOKEN":"**********","OTHER":"**********"})"));
  EXPECT_EQ(masked["operatorCommand"]["environment"]["PLAIN"], "shown");
  EXPECT_EQ(MaskOperatorSecrets(Parse(R"({"operatorType":"dbt"})")), Parse(R"({"operatorType":"dbt"})"));
  Json update = masked;
  update["operatorCommand"]["secretEnvironment"]["OTHER"] = "changed";
  auto merged = MergeOperatorSecrets(stored, update);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ((*merged)["operatorCommand"]["secretEnvironment"], Parse(R"({"TOKEN":"s3cr3t","OTHER":"changed"})"));
  auto fresh = MergeOperatorSecrets(Json::object(), masked);
  ASSERT_FALSE(fresh.ok());
  EXPECT_NE(fresh.status().message().find("operatorCommand.secretEnvironment."), std::string::npos);
}

// A command operation on a destination that is not PostgreSQL: no PG* variables; its lines in
// order, its environment and folder, and a non-zero exit or the timeout failing it.
TEST(OperationsTest, CommandRunsWithoutAShell) {
  std::vector<std::string> lines;
  const std::string scratch = std::filesystem::temp_directory_path() / ("sluice-ops-cmd-" + std::to_string(getpid()));
  std::filesystem::create_directories(scratch);
  OperationTarget target{"destination-local", Json::object(), scratch,
                         [&lines](const std::string& line) { lines.push_back(line); }};
  auto c = ParseOperatorConfiguration(Json{
      {"operatorType", "command"},
      {"operatorCommand",
       {{"command", {"sh", "-c", "pwd; echo \"$GREETING $TOKEN ${PGHOST:-no-pg}\"; echo oops >&2; echo '$GREETING'"}},
        {"environment", {{"GREETING", "hello"}}},
        {"secretEnvironment", {{"TOKEN", "t0k"}}}}}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Status st = RunOperator(*c, target);
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto has = [&lines](const std::string& line) { return std::find(lines.begin(), lines.end(), line) != lines.end(); };
  EXPECT_TRUE(has(std::filesystem::canonical(scratch).string())) << testing::PrintToString(lines);
  EXPECT_TRUE(has("hello t0k no-pg")) << testing::PrintToString(lines);
  EXPECT_TRUE(has("stderr: oops"));
  EXPECT_TRUE(has("$GREETING"));

  auto failing = ParseOperatorConfiguration(
      Json{{"operatorType", "command"}, {"operatorCommand", {{"command", {"sh", "-c", "exit 3"}}}}});
  ASSERT_TRUE(failing.ok());
  st = RunOperator(*failing, target);
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_EQ(st.message(), "operatorCommand.command: sh failed (exit code 3)");

  auto slow = ParseOperatorConfiguration(Json{
      {"operatorType", "command"}, {"operatorCommand", {{"command", {"sleep", "30"}}, {"timeoutSeconds", 1}}}});
  ASSERT_TRUE(slow.ok());
  st = RunOperator(*slow, target);
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_EQ(st.message(), "operatorCommand.command: sleep did not finish within timeoutSeconds (1 s) and was killed");

  auto missing = ParseOperatorConfiguration(
      Json{{"operatorType", "command"}, {"operatorCommand", {{"command", {"sluice-no-such-program"}}}}});
  ASSERT_TRUE(missing.ok());
  st = RunOperator(*missing, target);
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find("sluice-no-such-program"), std::string::npos) << st.message();

  auto sql = ParseOperatorConfiguration(Json{{"operatorType", "sql"}, {"operatorSql", {{"sql", "select 1"}}}});
  ASSERT_TRUE(sql.ok());
  st = RunOperator(*sql, target);
  EXPECT_EQ(st.message(), "operatorConfiguration.operatorSql: runs against PostgreSQL; the destination is destination-local");
  std::filesystem::remove_all(scratch);
}

// A git URL that cannot be cloned: git's own lines in the log, a transient error (retried).
TEST(OperationsTest, AFailedCloneIsTransientWithGitsLines) {
  if (access("/usr/bin/git", X_OK) != 0) GTEST_SKIP() << "git is not installed";
  std::vector<std::string> lines;
  const std::string scratch = std::filesystem::temp_directory_path() / ("sluice-ops-git-" + std::to_string(getpid()));
  std::filesystem::create_directories(scratch);
  OperationTarget target{"destination-postgres", Json::object(), scratch,
                         [&lines](const std::string& line) { lines.push_back(line); }};
  auto c = ParseOperatorConfiguration(
      Json{{"operatorType", "dbt"}, {"dbt", {{"gitRepoUrl", "git://127.0.0.1:1/nothing.git"}}}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Status st = RunOperator(*c, target);
  EXPECT_EQ(st.failure_type(), FailureType::kTransient) << st.ToString();
  EXPECT_NE(st.message().find("git clone of operatorConfiguration.dbt.gitRepoUrl"), std::string::npos) << st.message();
  EXPECT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0], "cloning the dbt project");
  EXPECT_NE(lines[1].find("fatal: unable to connect"), std::string::npos) << testing::PrintToString(lines);
  std::filesystem::remove_all(scratch);
}

}  // namespace
}  // namespace sluice
