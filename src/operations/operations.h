#pragma once
// Operations run after a connection's syncs: Airbyte's OperatorConfiguration
// ({"operatorType": "normalization" | "dbt" | "webhook", …}) parsed, checked and run.
//
// - normalization {option: basic}: not run after the sync — the worker sets the destination's
//   `normalization` (connection/connection_settings.h) before it, so it happens while loading.
// - dbt {gitRepoUrl, gitRepoBranch, dbtArguments, dockerImage}: a dbt-style project run by
//   sluice's own transform (transform/transform.h) against the connection's destination-postgres.
//   gitRepoUrl is a local folder (absolute path or file://) or a git URL cloned with `git`
//   (gitRepoBranch when given); dbtArguments is `run` (default), `test` or `build` with
//   --select/-s, --full-refresh and --vars. dockerImage is accepted and ignored (no Docker).
// - webhook {executionUrl, executionBody, webhookConfigId}: executionBody (JSON text, default {})
//   POSTed to executionUrl (monitoring/webhook_sender.h retries); webhookConfigId is accepted and
//   ignored.
//
// Parse and Check are pure / read-only and used by the API; Run is called by the attempt process
// after a successful sync, on its main thread.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "ssh/ssh_tunnel.h"
#include "transform/transform.h"

namespace sluice {

enum class OperatorType { kNormalization, kDbt, kWebhook };
std::string_view OperatorTypeName(OperatorType type);  //!< "normalization", "dbt", "webhook"

struct OperatorConfig {
  OperatorType type = OperatorType::kNormalization;
  // dbt
  std::string repo;    //!< gitRepoUrl as given
  std::string branch;  //!< gitRepoBranch
  std::string command = "run";        //!< run | test | build
  std::vector<std::string> select;    //!< --select / -s (space-separated names allowed)
  bool full_refresh = false;          //!< --full-refresh
  Json vars = Json::object();         //!< --vars (a JSON or YAML-flow mapping)
  // webhook
  std::string url;              //!< executionUrl
  Json body = Json::object();   //!< executionBody parsed
};

//! Reads Airbyte's OperatorConfiguration. Errors are ConfigErrors naming the field under
//! `path` ("operatorConfiguration.dbt.dbtArguments: …").
Result<OperatorConfig> ParseOperatorConfiguration(const Json& json, std::string_view path = "operatorConfiguration");

//! dbt's --vars value: a JSON object or a YAML mapping ("{start: 2024-01-01}"); values that
//! read as JSON become JSON. ConfigError naming --vars otherwise.
Result<Json> ParseDbtVars(const std::string& text);

//! What operations/check_operation checks beyond parsing: a local dbt project folder exists and
//! holds dbt_project.yml, or `git` is installed for a git URL. ConfigError naming the field.
Status CheckOperator(const OperatorConfig& config, std::string_view path = "operatorConfiguration");

//! Where an operation runs: the connection's destination (prepared config, secrets decrypted).
struct OperationTarget {
  std::string destination_name;  //!< "destination-postgres", …
  Json destination_config;
  std::string scratch_dir;       //!< for git clones; removed by the caller
  std::function<void(const std::string&)> log;  //!< one line per call (the job's log)
};

//! The transform options for a destination's config (prepared): its PostgreSQL connection and
//! schema. ConfigError for a destination other than destination-postgres. `tunnel` receives the
//! destination's SSH tunnel (tunnel_method), if any: the caller keeps it until the transform ends.
Result<TransformOptions> TransformOptionsForDestination(const std::string& destination_name, const Json& config,
                                                        std::unique_ptr<SshTunnel>& tunnel);

//! Runs a dbt or webhook operation (normalization is a no-op here). A failing model or test, a
//! bad project, a dbt operation on a destination other than PostgreSQL, or a 4xx from a webhook
//! is a ConfigError; network trouble a TransientError.
Status RunOperator(const OperatorConfig& config, const OperationTarget& target);

}  // namespace sluice
