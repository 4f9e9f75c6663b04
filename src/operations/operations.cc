#include "operations/operations.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "base/subprocess.h"
#include "connectors/postgres_common/pg_config.h"
#include "monitoring/webhook_sender.h"

namespace sluice {

namespace {

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

// Runs `argv` (no shell) and waits; its output lines (stdout's, then stderr's) go to `log`.
Status RunProgram(const std::vector<std::string>& argv, const std::function<void(const std::string&)>& log) {
  SLUICE_ASSIGN_OR_RETURN(ProcessOutput run, RunToCompletion(argv));
  for (const std::string* output : {&run.out, &run.err}) {
    size_t start = 0;
    while (start < output->size()) {
      size_t end = output->find('\n', start);
      if (end == std::string::npos) end = output->size();
      if (end > start) log(output->substr(start, end - start));
      start = end + 1;
    }
  }
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
    SLUICE_RETURN_IF_ERROR(RunProgram(argv, target.log).WithContext("git clone of operatorConfiguration.dbt.gitRepoUrl"));
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

}  // namespace

std::string_view OperatorTypeName(OperatorType type) {
  switch (type) {
    case OperatorType::kNormalization: return "normalization";
    case OperatorType::kDbt: return "dbt";
    case OperatorType::kWebhook: return "webhook";
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
    if (it == json.end() || it->is_null()) return Bad(path, key, fmt::format("is required when operatorType is {}", key));
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
  } else {
    return Bad(path, "operatorType", fmt::format("'{}' is not one of normalization, dbt, webhook", type));
  }
  return c;
}

Status CheckOperator(const OperatorConfig& c, std::string_view path) {
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

Result<TransformOptions> TransformOptionsForDestination(const std::string& name, const Json& config,
                                                        std::unique_ptr<SshTunnel>& tunnel) {
  if (name != "destination-postgres" && name != "postgres") {
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
    case OperatorType::kWebhook: {
      target.log(fmt::format("POST to {}", WebhookHost(c.url)));
      return WebhookSender().Post(c.url, c.body);
    }
  }
  return Status::Ok();
}

}  // namespace sluice
