#include "operations/operations.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "base/file_util.h"
#include "base/subprocess.h"
#include "connectors/postgres_common/pg_config.h"
#include "monitoring/webhook_sender.h"
#include "operations/sql_script.h"
#include "postgres/pg_connection.h"
#include "protocol/config_validator.h"

namespace sluice {

namespace {

// The destinations whose connection transform, sql and command operations use.
bool IsPostgresDestination(std::string_view name) { return name == "destination-postgres" || name == "postgres"; }

Status Bad(std::string_view path, std::string_view field, std::string_view message) {
  return Status::ConfigError(fmt::format("{}.{}: {}", path, field, message));
}

// Splits dbtArguments as a shell would for plain words and '…' / "…" quoting.
Result<std::vector<std::string>> SplitArguments(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : text) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote != 0) return Status::ConfigError(fmt::format("unterminated {} quote", quote));
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace

Result<Json> ParseDbtVars(const std::string& text) {
  Json parsed = Json::parse(text, nullptr, false);
  if (parsed.is_object()) return parsed;
  try {
    YAML::Node n = YAML::Load(text);
    if (!n.IsMap()) return Status::ConfigError("--vars: expected a mapping such as '{start: 2024-01-01}'");
    Json out = Json::object();
    for (const auto& kv : n) {
      const std::string v = kv.second.as<std::string>();
      Json value = Json::parse(v, nullptr, false);
      out[kv.first.as<std::string>()] = value.is_discarded() ? Json(v) : value;
    }
    return out;
  } catch (const YAML::Exception& e) {
    return Status::ConfigError(fmt::format("--vars: expected a mapping such as '{{start: 2024-01-01}}' ({})", e.what()));
  }
}

namespace {

Status ParseDbtArguments(std::string_view text, OperatorConfig& c, std::string_view path) {
  auto words = SplitArguments(text);
  if (!words.ok()) return Bad(path, "dbt.dbtArguments", words.status().message());
  size_t i = 0;
  if (i < words->size() && (*words)[i] == "dbt") ++i;  // "dbt run" as well as "run"
  if (i < words->size() && (*words)[i].rfind('-', 0) != 0) {
    const std::string& command = (*words)[i++];
    if (command != "run" && command != "test" && command != "build") {
      return Bad(path, "dbt.dbtArguments", fmt::format("'{}' is not one of run, test, build", command));
    }
    c.command = command;
  }
  for (; i < words->size(); ++i) {
    const std::string& w = (*words)[i];
    if (w == "--full-refresh") {
      c.full_refresh = true;
    } else if (w == "--select" || w == "-s" || w == "--models" || w == "-m" || w == "--vars") {
      if (i + 1 >= words->size()) return Bad(path, "dbt.dbtArguments", fmt::format("{} needs a value", w));
      const std::string& value = (*words)[++i];
      if (w == "--vars") {
        auto vars = ParseDbtVars(value);
        if (!vars.ok()) return Bad(path, "dbt.dbtArguments", vars.status().message());
        c.vars = *vars;
      } else {
        auto names = SplitArguments(value);
        for (std::string& n : *names) c.select.push_back(std::move(n));
      }
    } else {
      return Bad(path, "dbt.dbtArguments",
                 fmt::format("'{}' is not supported (known: run | test | build, --select, --full-refresh, --vars)", w));
    }
  }
  return Status::Ok();
}

bool IsGitUrl(std::string_view url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0 || url.rfind("ssh://", 0) == 0 ||
         url.rfind("git@", 0) == 0 || url.rfind("git://", 0) == 0;
}

std::string LocalFolder(std::string_view repo) {
  if (repo.rfind("file://", 0) == 0) return std::string(repo.substr(7));
  return std::string(repo);
}

bool GitAvailable() {
  for (const char* dir : {"/usr/bin/git", "/usr/local/bin/git", "/bin/git"}) {
    if (access(dir, X_OK) == 0) return true;
  }
  return false;
}

// Runs `argv` (no shell) and waits; its non-empty output lines go to `log` as they come.
Status RunProgram(const std::vector<std::string>& argv, const OperationTarget& target) {
  RunOptions options;
  options.stop = target.stop;
  options.on_line = [&target](bool, std::string_view line) {
    if (!line.empty()) target.log(std::string(line));
  };
  SLUICE_ASSIGN_OR_RETURN(ProcessOutput run, RunToCompletion(argv, options));
  if (run.stopped) return Status::Cancelled(fmt::format("{} was stopped (the job was cancelled)", argv[0]));
  if (run.exit_code == 0) return Status::Ok();
  return Status::TransientError(fmt::format("{} failed (exit code {})", argv[0], run.exit_code));
}

Status RunDbt(const OperatorConfig& c, const OperationTarget& target) {
  std::string project = LocalFolder(c.repo);
  if (IsGitUrl(c.repo)) {
    if (!GitAvailable()) {
      return Status::ConfigError("operatorConfiguration.dbt.gitRepoUrl: a git URL needs git installed on the worker");
    }
    project = target.scratch_dir + "/dbt-project";
    std::error_code ec;
    std::filesystem::remove_all(project, ec);
    std::vector<std::string> argv = {"git", "clone", "--depth", "1", "--quiet"};
    if (!c.branch.empty()) {
      argv.push_back("--branch");
      argv.push_back(c.branch);
    }
    argv.push_back("--");
    argv.push_back(c.repo);
    argv.push_back(project);
    target.log(fmt::format("cloning the dbt project{}", c.branch.empty() ? "" : " (branch " + c.branch + ")"));
    SLUICE_RETURN_IF_ERROR(RunProgram(argv, target).WithContext("git clone of operatorConfiguration.dbt.gitRepoUrl"));
  }
  std::unique_ptr<SshTunnel> tunnel;  // the destination's, open until the transform ends
  SLUICE_ASSIGN_OR_RETURN(TransformOptions o,
                          TransformOptionsForDestination(target.destination_name, target.destination_config, tunnel));
  o.project_dir = project;
  o.run = c.command != "test";
  o.test = c.command != "run";
  o.select = c.select;
  o.full_refresh = c.full_refresh;
  o.vars = c.vars;
  o.print = target.log;
  auto summary = RunTransform(o);
  return summary.ok() ? Status::Ok() : summary.status();
}


// The PostgreSQL connection of the destination (and its tunnel, kept by the caller), with
// `database` when given.
Result<PgConnectionConfig> DestinationConnection(const OperationTarget& target, std::string_view field,
                                                 std::unique_ptr<SshTunnel>& tunnel, std::string& schema) {
  if (!IsPostgresDestination(target.destination_name)) {
    return Status::ConfigError(fmt::format("operatorConfiguration.{}: runs against PostgreSQL; the destination is {}",
                                           field, target.destination_name));
  }
  SLUICE_ASSIGN_OR_RETURN(TransformOptions o,
                          TransformOptionsForDestination(target.destination_name, target.destination_config, tunnel));
  schema = o.schema;
  return *o.connection;
}

// "… (at character N)" of a statement's error → the line in the script (0 when not given).
int ScriptLine(const std::string& message, const SqlStatement& statement) {
  const size_t at = message.rfind("(at character ");
  if (at == std::string::npos) return statement.line;
  const long pos = std::strtol(message.c_str() + at + 14, nullptr, 10) - 1;
  if (pos < 0 || static_cast<size_t>(pos) > statement.text.size()) return statement.line;
  return statement.line + static_cast<int>(std::count(statement.text.begin(), statement.text.begin() + pos, '\n'));
}

std::string FirstLine(const std::string& text, size_t max_chars = 80) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > max_chars) line = line.substr(0, max_chars) + "…";
  return line;
}

Status RunSql(const OperatorConfig& c, const OperationTarget& target) {
  SLUICE_ASSIGN_OR_RETURN(const std::vector<SqlStatement> statements, SplitSqlScript(c.sql));
  std::unique_ptr<SshTunnel> tunnel;  // the destination's, open until the script ends
  std::string schema;
  SLUICE_ASSIGN_OR_RETURN(PgConnectionConfig config, DestinationConnection(target, "operatorSql", tunnel, schema));
  if (!c.sql_database.empty()) config.database = c.sql_database;
  if (!c.sql_schema.empty()) schema = c.sql_schema;
  SLUICE_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(config, "sluice sql operation"));
  const std::string search_path = schema == "public" ? QuoteIdent(schema) : QuoteIdent(schema) + ", public";
  target.log(fmt::format("{} statement(s) in one transaction on {} (search_path {})", statements.size(),
                         config.Describe(), search_path));
  SLUICE_RETURN_IF_ERROR(conn->Exec("BEGIN"));
  SLUICE_RETURN_IF_ERROR(conn->Exec("SET LOCAL search_path TO " + search_path));
  for (size_t i = 0; i < statements.size(); ++i) {
    const SqlStatement& statement = statements[i];
    const auto started = std::chrono::steady_clock::now();
    auto result = conn->Query(statement.text);
    if (!result.ok()) {
      (void)conn->Exec("ROLLBACK");
      const Status& st = result.status();
      const std::string where = fmt::format("operatorSql.sql: statement {} of {} (line {}: {}) failed, nothing was "
                                            "committed: {}", i + 1, statements.size(), ScriptLine(st.message(), statement),
                                            FirstLine(statement.text), st.message());
      return st.failure_type() == FailureType::kTransient ? Status::TransientError(where) : Status::ConfigError(where);
    }
    const char* tag = PQcmdStatus(result->get());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    target.log(fmt::format("statement {} of {} (line {}): {} in {:.0f} ms", i + 1, statements.size(), statement.line,
                           tag != nullptr && *tag != '\0' ? tag : "OK", ms));
  }
  SLUICE_RETURN_IF_ERROR(conn->Exec("COMMIT"));
  target.log("committed");
  return Status::Ok();
}

// PG* variables for a command: the destination's connection, when it is PostgreSQL.
Result<std::vector<std::string>> DestinationEnvironment(const OperationTarget& target,
                                                        std::unique_ptr<SshTunnel>& tunnel) {
  std::vector<std::string> env;
  if (!IsPostgresDestination(target.destination_name)) return env;
  std::string schema;
  SLUICE_ASSIGN_OR_RETURN(PgConnectionConfig c, DestinationConnection(target, "operatorCommand", tunnel, schema));
  env.push_back("PGHOST=" + c.host);
  if (c.tunnel_local_port != 0) {
    env.push_back("PGHOSTADDR=127.0.0.1");
    env.push_back(fmt::format("PGPORT={}", c.tunnel_local_port));
  } else {
    env.push_back(fmt::format("PGPORT={}", c.port));
  }
  env.push_back("PGDATABASE=" + c.database);
  env.push_back("PGUSER=" + c.username);
  if (!c.password.empty()) env.push_back("PGPASSWORD=" + c.password);
  env.push_back("PGSSLMODE=" + c.ssl_mode);
  env.push_back(fmt::format("PGCONNECT_TIMEOUT={}", c.connect_timeout_seconds));
  if (!c.ca_certificate.empty()) {
    const std::string path = target.scratch_dir + "/root.crt";
    SLUICE_RETURN_IF_ERROR(WritePrivateFile(path, c.ca_certificate));
    env.push_back("PGSSLROOTCERT=" + path);
  }
  env.push_back("SLUICE_SCHEMA=" + schema);
  return env;
}

Status RunCommand(const OperatorConfig& c, const OperationTarget& target) {
  std::unique_ptr<SshTunnel> tunnel;  // the destination's, open until the command ends
  SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> env, DestinationEnvironment(target, tunnel));
  for (const auto& [k, v] : c.environment) env.push_back(k + "=" + v);
  for (const auto& [k, v] : c.secret_environment) env.push_back(k + "=" + v);
  RunOptions options;
  options.extra_env = std::move(env);
  options.working_dir = c.working_dir.empty() ? target.scratch_dir : c.working_dir;
  options.timeout_ms = static_cast<int64_t>(c.timeout_seconds) * 1000;
  options.stop = target.stop;
  options.on_line = [&target](bool is_stderr, std::string_view line) {
    target.log(is_stderr ? fmt::format("stderr: {}", line) : std::string(line));
  };
  target.log(fmt::format("running {} (in {})", c.argv[0], options.working_dir));
  auto run = RunToCompletion(c.argv, options);
  if (!run.ok()) return run.status().WithContext("operatorCommand.command");
  if (run->stopped) return Status::Cancelled(fmt::format("operatorCommand.command: {} was stopped (the job was cancelled)", c.argv[0]));
  if (run->timed_out) {
    return Status::ConfigError(
        fmt::format("operatorCommand.command: {} did not finish within timeoutSeconds ({} s) and was killed", c.argv[0],
                    c.timeout_seconds));
  }
  if (run->exit_code != 0) {
    return Status::ConfigError(fmt::format("operatorCommand.command: {} failed (exit code {})", c.argv[0], run->exit_code));
  }
  target.log(fmt::format("{} exited with 0", c.argv[0]));
  return Status::Ok();
}

bool ValidEnvName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') return false;
  }
  return true;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseEnvironment(const Json& section, std::string_view key,
                                                                          std::string_view path) {
  std::vector<std::pair<std::string, std::string>> out;
  auto it = section.find(std::string(key));
  if (it == section.end() || it->is_null()) return out;
  const std::string field = fmt::format("operatorCommand.{}", key);
  if (!it->is_object()) return Bad(path, field, "must be an object of NAME: value strings");
  for (const auto& [name, value] : it->items()) {
    if (!ValidEnvName(name)) return Bad(path, field + "." + name, "is not a variable name (letters, digits, _)");
    if (!value.is_string()) return Bad(path, field + "." + name, "must be a string");
    out.emplace_back(name, value.get<std::string>());
  }
  return out;
}

Status ParseSql(const Json& section, OperatorConfig& c, std::string_view path) {
  for (const char* key : {"sql", "database", "schema"}) {
    auto it = section.find(key);
    if (it != section.end() && !it->is_null() && !it->is_string()) {
      return Bad(path, std::string("operatorSql.") + key, "must be a string");
    }
  }
  c.sql = section.value("sql", "");
  c.sql_database = section.value("database", "");
  c.sql_schema = section.value("schema", "");
  auto statements = SplitSqlScript(c.sql);
  if (!statements.ok()) return Bad(path, "operatorSql.sql", statements.status().message());
  if (statements->empty()) return Bad(path, "operatorSql.sql", "is required: one or more SQL statements");
  for (const SqlStatement& st : *statements) {
    if (IsTransactionControl(st.text)) {
      return Bad(path, "operatorSql.sql",
                 fmt::format("line {}: '{}': the script runs in one transaction; leave out BEGIN, COMMIT and ROLLBACK",
                             st.line, FirstLine(st.text, 40)));
    }
  }
  return Status::Ok();
}

Status ParseCommand(const Json& section, OperatorConfig& c, std::string_view path) {
  auto command = section.find("command");
  if (command == section.end() || !command->is_array() || command->empty()) {
    return Bad(path, "operatorCommand.command", "is required: the program and its arguments, as a list of strings");
  }
  for (size_t i = 0; i < command->size(); ++i) {
    if (!(*command)[i].is_string()) return Bad(path, fmt::format("operatorCommand.command[{}]", i), "must be a string");
    c.argv.push_back((*command)[i].get<std::string>());
  }
  if (c.argv[0].empty()) return Bad(path, "operatorCommand.command[0]", "must name a program");
  if (auto it = section.find("workingDirectory"); it != section.end() && !it->is_null()) {
    if (!it->is_string()) return Bad(path, "operatorCommand.workingDirectory", "must be a string");
    c.working_dir = it->get<std::string>();
    if (!c.working_dir.empty() && c.working_dir[0] != '/') {
      return Bad(path, "operatorCommand.workingDirectory", fmt::format("'{}' is not an absolute folder", c.working_dir));
    }
  }
  if (auto it = section.find("timeoutSeconds"); it != section.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 7 * 24 * 3600) {
      return Bad(path, "operatorCommand.timeoutSeconds", "must be a whole number of seconds from 1 to 604800");
    }
    c.timeout_seconds = it->get<int>();
  }
  SLUICE_ASSIGN_OR_RETURN(c.environment, ParseEnvironment(section, "environment", path));
  SLUICE_ASSIGN_OR_RETURN(c.secret_environment, ParseEnvironment(section, "secretEnvironment", path));
  return Status::Ok();
}

}  // namespace

std::string_view OperatorTypeName(OperatorType type) {
  switch (type) {
    case OperatorType::kNormalization: return "normalization";
    case OperatorType::kDbt: return "dbt";
    case OperatorType::kWebhook: return "webhook";
    case OperatorType::kSql: return "sql";
    case OperatorType::kCommand: return "command";
  }
  return "normalization";
}

Result<OperatorConfig> ParseOperatorConfiguration(const Json& json, std::string_view path) {
  if (!json.is_object()) return Status::ConfigError(fmt::format("{}: must be an object", path));
  OperatorConfig c;
  auto type_it = json.find("operatorType");
  if (type_it != json.end() && !type_it->is_string()) return Bad(path, "operatorType", "must be a string");
  const std::string type = type_it == json.end() ? "" : type_it->get<std::string>();
  auto section = [&](std::string_view key) -> Result<const Json*> {
    auto it = json.find(std::string(key));
    if (it == json.end() || it->is_null()) return Bad(path, key, fmt::format("is required when operatorType is {}", type));
    if (!it->is_object()) return Bad(path, key, "must be an object");
    return &*it;
  };
  auto string_field = [&](const Json& object, std::string_view key) -> Result<std::string> {
    auto it = object.find(std::string(key));
    if (it == object.end() || it->is_null()) return std::string();
    if (!it->is_string()) return Status::ConfigError(fmt::format("must be a string"));
    return it->get<std::string>();
  };
  if (type == "normalization") {
    c.type = OperatorType::kNormalization;
    auto it = json.find("normalization");
    std::string option = "basic";
    if (it != json.end() && it->is_object()) {
      auto o = it->find("option");
      if (o != it->end() && !o->is_string()) return Bad(path, "normalization.option", "must be a string");
      if (o != it->end()) option = o->get<std::string>();
    }
    if (option != "basic") return Bad(path, "normalization.option", fmt::format("'{}' is not basic", option));
  } else if (type == "dbt") {
    c.type = OperatorType::kDbt;
    SLUICE_ASSIGN_OR_RETURN(const Json* dbt, section("dbt"));
    for (const char* key : {"gitRepoUrl", "gitRepoBranch", "dockerImage", "dbtArguments"}) {
      auto value = string_field(*dbt, key);
      if (!value.ok()) return Bad(path, std::string("dbt.") + key, value.status().message());
    }
    c.repo = dbt->value("gitRepoUrl", "");
    if (c.repo.empty()) return Bad(path, "dbt.gitRepoUrl", "is required: the dbt project's folder or git URL");
    if (!IsGitUrl(c.repo) && LocalFolder(c.repo).rfind('/', 0) != 0) {
      return Bad(path, "dbt.gitRepoUrl",
                 fmt::format("'{}' is neither an absolute folder (or file:// URL) nor a git URL", c.repo));
    }
    c.branch = dbt->value("gitRepoBranch", "");
    SLUICE_RETURN_IF_ERROR(ParseDbtArguments(dbt->value("dbtArguments", "run"), c, path));
  } else if (type == "webhook") {
    c.type = OperatorType::kWebhook;
    SLUICE_ASSIGN_OR_RETURN(const Json* hook, section("webhook"));
    for (const char* key : {"executionUrl", "executionBody", "webhookConfigId"}) {
      auto value = string_field(*hook, key);
      if (!value.ok()) return Bad(path, std::string("webhook.") + key, value.status().message());
    }
    c.url = hook->value("executionUrl", "");
    if (WebhookHost(c.url).empty()) {
      return Bad(path, "webhook.executionUrl", "is required: an http:// or https:// URL");
    }
    const std::string body = hook->value("executionBody", "");
    if (!body.empty()) {
      c.body = Json::parse(body, nullptr, false);
      if (c.body.is_discarded()) return Bad(path, "webhook.executionBody", "must be JSON text");
    }
  } else if (type == "sql") {
    c.type = OperatorType::kSql;
    SLUICE_ASSIGN_OR_RETURN(const Json* sql, section("operatorSql"));
    SLUICE_RETURN_IF_ERROR(ParseSql(*sql, c, path));
  } else if (type == "command") {
    c.type = OperatorType::kCommand;
    SLUICE_ASSIGN_OR_RETURN(const Json* command, section("operatorCommand"));
    SLUICE_RETURN_IF_ERROR(ParseCommand(*command, c, path));
  } else {
    return Bad(path, "operatorType",
               fmt::format("'{}' is not one of normalization, dbt, webhook, sql, command", type));
  }
  return c;
}

Status CheckOperator(const OperatorConfig& c, std::string_view path) {
  if (c.type == OperatorType::kCommand && !c.working_dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(c.working_dir, ec)) {
      return Bad(path, "operatorCommand.workingDirectory", fmt::format("no folder '{}' on the server", c.working_dir));
    }
  }
  if (c.type != OperatorType::kDbt) return Status::Ok();
  if (IsGitUrl(c.repo)) {
    return GitAvailable() ? Status::Ok() : Bad(path, "dbt.gitRepoUrl", "a git URL needs git installed on the server");
  }
  const std::string folder = LocalFolder(c.repo);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(folder + "/dbt_project.yml", ec)) {
    return Bad(path, "dbt.gitRepoUrl", fmt::format("no dbt_project.yml in '{}'", folder));
  }
  return Status::Ok();
}

Json MaskOperatorSecrets(const Json& config) {
  Json out = config;
  if (auto* section = out.contains("operatorCommand") ? &out["operatorCommand"] : nullptr;
      section != nullptr && section->is_object() && section->contains("secretEnvironment") &&
      (*section)["secretEnvironment"].is_object()) {
    for (auto& [name, value] : (*section)["secretEnvironment"].items()) value = std::string(kSecretMask);
  }
  return out;
}

Result<Json> MergeOperatorSecrets(const Json& stored, const Json& updated) {
  Json out = updated;
  if (!out.is_object() || !out.contains("operatorCommand") || !out["operatorCommand"].is_object()) return out;
  Json& section = out["operatorCommand"];
  if (!section.contains("secretEnvironment") || !section["secretEnvironment"].is_object()) return out;
  const Json* old = nullptr;
  if (stored.is_object() && stored.contains("operatorCommand") && stored["operatorCommand"].is_object() &&
      stored["operatorCommand"].contains("secretEnvironment")) {
    old = &stored["operatorCommand"]["secretEnvironment"];
  }
  for (auto& [name, value] : section["secretEnvironment"].items()) {
    if (!value.is_string() || value.get<std::string>() != kSecretMask) continue;
    if (old == nullptr || !old->is_object() || !old->contains(name) || !(*old)[name].is_string()) {
      return Status::ConfigError(fmt::format(
          "operatorConfiguration.operatorCommand.secretEnvironment.{}: no stored value to keep; type the value", name));
    }
    value = (*old)[name];
  }
  return out;
}

std::vector<std::string> OperatorSecretValues(const OperatorConfig& c) {
  std::vector<std::string> out;
  for (const auto& [name, value] : c.secret_environment) {
    if (!value.empty()) out.push_back(value);
  }
  return out;
}

Result<TransformOptions> TransformOptionsForDestination(const std::string& name, const Json& config,
                                                        std::unique_ptr<SshTunnel>& tunnel) {
  if (!IsPostgresDestination(name)) {
    return Status::ConfigError(fmt::format(
        "transform: runs against PostgreSQL; the destination is {} (use destination-postgres or a profiles.yml)", name));
  }
  TransformOptions o;
  SLUICE_ASSIGN_OR_RETURN(PgConnectionConfig c, ParsePgConnectionConfig(config));
  SLUICE_ASSIGN_OR_RETURN(const TunnelConfig tunnel_config, ParseTunnelMethod(config));
  SLUICE_ASSIGN_OR_RETURN(tunnel, OpenPgTunnel(tunnel_config, c));
  o.connection = c;
  o.schema = config.value("schema", "public");
  return o;
}

Status RunOperator(const OperatorConfig& c, const OperationTarget& target) {
  switch (c.type) {
    case OperatorType::kNormalization: return Status::Ok();
    case OperatorType::kDbt: return RunDbt(c, target);
    case OperatorType::kSql: return RunSql(c, target);
    case OperatorType::kCommand: return RunCommand(c, target);
    case OperatorType::kWebhook: {
      target.log(fmt::format("POST to {}", WebhookHost(c.url)));
      return WebhookSender().Post(c.url, c.body);
    }
  }
  return Status::Ok();
}

}  // namespace sluice
