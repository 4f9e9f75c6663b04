#pragma once
// Operations run after a connection's syncs: Airbyte's OperatorConfiguration
// ({"operatorType": "normalization" | "dbt" | "webhook", …}, plus sluice's extensions "sql" and
// "command" in the same shape) parsed, checked and run.
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
// - sql {sql, database, schema} (sluice): the script's statements (sql_script.h) run in one
//   transaction on the destination-postgres database (`database`: another database of that
//   server), with search_path = `schema` (default: the destination's schema), public. A failing
//   statement rolls all of it back; the error names the statement's number and script line.
// - command {command: [argv…], workingDirectory, environment, secretEnvironment, timeoutSeconds}
//   (sluice): a program run without a shell (base/subprocess.h). Its environment: the worker's,
//   then for destination-postgres PGHOST/PGHOSTADDR/PGPORT/PGDATABASE/PGUSER/PGPASSWORD/
//   PGSSLMODE (PGSSLROOTCERT: its CA certificate in the scratch folder) and SLUICE_SCHEMA, then
//   `environment` and `secretEnvironment` (K: V strings). Its output lines go to the job's log
//   as they come; a non-zero exit or the timeout (default 3600 s: SIGTERM to its process group,
//   SIGKILL 5 s later) fails the step. secretEnvironment values are masked in API answers
//   (MaskOperatorSecrets) and, like PGPASSWORD, redacted from the job's logs.
//
// Parse and Check are pure / read-only and used by the API; Run is called by the attempt process
// after a successful sync, on its main thread.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "ssh/ssh_tunnel.h"
#include "transform/transform.h"

namespace sluice {

enum class OperatorType { kNormalization, kDbt, kWebhook, kSql, kCommand };
//! "normalization", "dbt", "webhook", "sql", "command"
std::string_view OperatorTypeName(OperatorType type);

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
  // sql (operatorSql)
  std::string sql;           //!< the script
  std::string sql_database;  //!< "": the destination's database
  std::string sql_schema;    //!< "": the destination's schema
  // command (operatorCommand)
  std::vector<std::string> argv;  //!< command: argv[0] looked up in PATH
  std::string working_dir;        //!< workingDirectory; "": the step's scratch folder
  std::vector<std::pair<std::string, std::string>> environment;         //!< in the given order
  std::vector<std::pair<std::string, std::string>> secret_environment;  //!< secretEnvironment
  int timeout_seconds = 3600;
};

//! The mask API answers show for a secret ("**********", as connector secrets).
Json MaskOperatorSecrets(const Json& operator_configuration);
//! What an update stores: `updated` where a masked secretEnvironment value keeps the value of
//! `stored` under the same name. ConfigError naming the field when there is none.
Result<Json> MergeOperatorSecrets(const Json& stored, const Json& updated);
//! The secret values an operation's logs must not show (secretEnvironment's).
std::vector<std::string> OperatorSecretValues(const OperatorConfig& config);

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
  //! Turns true when the attempt is asked to stop (a cancel): a running command is stopped.
  const std::atomic<bool>* stop = nullptr;
};

//! The transform options for a destination's config (prepared): its PostgreSQL connection and
//! schema. ConfigError for a destination other than destination-postgres. `tunnel` receives the
//! destination's SSH tunnel (tunnel_method), if any: the caller keeps it until the transform ends.
Result<TransformOptions> TransformOptionsForDestination(const std::string& destination_name, const Json& config,
                                                        std::unique_ptr<SshTunnel>& tunnel);

//! Runs a dbt, webhook, sql or command operation (normalization is a no-op here). A failing
//! model or test, a bad project, a dbt or sql operation on a destination other than PostgreSQL,
//! a failing SQL statement, a command's non-zero exit or timeout, or a 4xx from a webhook is a
//! ConfigError (not retried); network trouble a TransientError.
Status RunOperator(const OperatorConfig& config, const OperationTarget& target);

}  // namespace sluice
