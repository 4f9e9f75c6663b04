#include "cli/commands.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "base/log.h"
#include "base/status.h"
#include "cli/backup_command.h"
#include "cli/connector_command.h"
#include "cli/run_attempt_command.h"
#include "cli/server_command.h"
#include "cli/sync_command.h"
#include "cli/transform_command.h"
#include "cli/worker_command.h"
#include "connectors/sdk/registry.h"

namespace sluice {

namespace {

constexpr const char* kVersion = "0.1.0";

int ListConnectors(bool json) {
  const auto& all = Registry::Builtins().connectors();
  if (json) {
    Json arr = Json::array();
    for (const auto& c : all) {
      Json entry = {{"name", c.name},
                    {"kind", c.kind == ConnectorKind::kSource ? "source" : "destination"},
                    {"title", c.title},
                    {"description", c.description}};
      if (const AirbyteDefinition* airbyte = AirbyteIdentityOf(c.name)) {
        entry["dockerRepository"] = airbyte->docker_repository;
        entry["definitionId"] = airbyte->definition_id;
      }
      arr.push_back(std::move(entry));
    }
    std::cout << arr.dump(2) << std::endl;
    return 0;
  }
  std::cout << fmt::format("{:<22} {:<12} {:<32} {}\n", "NAME", "KIND", "AIRBYTE", "DESCRIPTION");
  for (const auto& c : all) {
    const AirbyteDefinition* airbyte = AirbyteIdentityOf(c.name);
    std::cout << fmt::format("{:<22} {:<12} {:<32} {}\n", c.name,
                             c.kind == ConnectorKind::kSource ? "source" : "destination",
                             airbyte ? airbyte->docker_repository : "-", c.description);
  }
  std::cout << "\nA connector is also found by its AIRBYTE name (a tag is ignored) or by Airbyte's definition id.\n";
  std::cout << "\nAny executable that speaks the Airbyte protocol can also be used: "
               "`command: [...]` in a pipeline file.\n";
  return 0;
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{"sluice: move data from sources to destinations (Airbyte-protocol compatible ELT)", "sluice"};
  app.require_subcommand(1);
  std::string log_level;
  app.add_option("--log-level", log_level, "trace, debug, info (default), warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.set_version_flag("--version", kVersion);

  SyncCommandArgs sync_args;
  auto* sync = app.add_subcommand("sync", "Run the connection a pipeline file describes, once");
  sync->add_option("pipeline", sync_args.pipeline_file, "the pipeline YAML file")->required();
  sync->add_option("--state-file", sync_args.state_file,
                   "where the state is kept (default: .sluice-state/<name>.state.json beside the pipeline file)");
  sync->add_option("--state-dir", sync_args.state_dir, "keep the state in DIR/<pipeline file name>.state.json");
  sync->add_flag("--reset", sync_args.reset, "forget the saved state: every stream starts over");
  sync->add_flag("--json", sync_args.json, "print a machine-readable summary on stdout");
  bool no_progress = false;
  sync->add_flag("--no-progress", no_progress, "no live progress display");
  sync->add_option("--channel-mb", sync_args.channel_mb, "memory between source and destination, MiB (default 64)")
      ->check(CLI::Range(1, 4096));
  sync->add_option("--commit-interval-ms", sync_args.commit_interval_ms,
                   "commit checkpoints at most this often, ms (default 1000, 200 with --continuous; 0 = every "
                   "checkpoint)")
      ->check(CLI::Range(0, 3600000));
  sync->add_flag("--continuous", sync_args.continuous,
                 "CDC sources: keep reading changes (commits at most ~1 s apart) until SIGTERM/SIGINT, then "
                 "commit, save the state and exit 0");

  ConnectorCommandArgs connector_args;
  auto* connector = app.add_subcommand("connector", "Run one built-in connector by the Airbyte protocol");
  connector->add_option("name", connector_args.name,
                        "connector name, e.g. source-faker, faker, airbyte/source-faker or Airbyte's definition id")
      ->required();
  connector->add_option("command", connector_args.verb, "spec, check, discover, read or write")->required();
  connector->add_option("--config", connector_args.config, "config JSON file");
  connector->add_option("--catalog", connector_args.catalog, "configured catalog JSON file (read, write)");
  connector->add_option("--state", connector_args.state, "state JSON file (read)");

  bool connectors_json = false;
  auto* connectors = app.add_subcommand("connectors", "List the built-in connectors");
  connectors->add_flag("--json", connectors_json, "as JSON");

  ServerCommandArgs server_args;
  auto* server = app.add_subcommand("server", "Run the API, web UI, scheduler and workers");
  server->add_option("--data-dir", server_args.data_dir, "metadata (SQLite), secret key and scratch (default ./sluice-data)");
  server->add_option("--metadata", server_args.metadata_url,
                     "metadata store URL, e.g. postgres://user@host/db (default: SQLite in the data dir; env SLUICE_METADATA_URL)")
      ->envname("SLUICE_METADATA_URL");
  server->add_option("--host", server_args.host, "address to listen on (default 127.0.0.1)");
  server->add_option("--port", server_args.port, "port of the API and web UI (default 8000)")->check(CLI::Range(1, 65535));
  server->add_option("--api-port", server_args.api_port, "second port serving the API, as Airbyte's 8001 (0 = off)")
      ->check(CLI::Range(0, 65535));
  server->add_flag("--no-auth", server_args.no_auth, "no authentication (only allowed on a loopback address)");
  server->add_option("--workers", server_args.workers, "attempts run at once by this process (default 2, 0 = none)")
      ->check(CLI::Range(0, 64));
  server->add_option("--public-url", server_args.public_url, "the server's URL as users reach it (links in notifications)");
  server->add_option("--lease-seconds", server_args.lease_seconds,
                     "a worker that has not heart-beaten for this long loses its job to another (default 30)")
      ->check(CLI::Range(2, 3600));
  server->add_option("--retry-backoff-seconds", server_args.retry_backoff_seconds,
                     "wait before retrying a failed attempt; doubles each time (default 30)")
      ->check(CLI::Range(0, 86400));
  server->add_option("--web-dir", server_args.web_dir,
                     "the built web UI served at / (default: the web folder beside the sluice binary)");

  WorkerCommandArgs worker_args;
  auto* worker = app.add_subcommand("worker", "Run jobs from a shared PostgreSQL metadata store");
  worker->add_option("--metadata", worker_args.metadata_url, "metadata store URL (postgres://…; env SLUICE_METADATA_URL)")
      ->envname("SLUICE_METADATA_URL")
      ->required();
  worker->add_option("--data-dir", worker_args.data_dir, "secret key file (unless SLUICE_SECRET_KEY is set) and scratch");
  worker->add_option("--workers", worker_args.workers, "attempts run at once (default 1)")->check(CLI::Range(1, 64));
  worker->add_option("--lease-seconds", worker_args.lease_seconds,
                     "a worker that has not heart-beaten for this long loses its job to another (default 30)")
      ->check(CLI::Range(2, 3600));
  worker->add_option("--retry-backoff-seconds", worker_args.retry_backoff_seconds,
                     "wait before retrying a failed attempt; doubles each time (default 30)")
      ->check(CLI::Range(0, 86400));

  BackupCommandArgs backup_args;
  auto* backup = app.add_subcommand("backup", "Back up the server's metadata store (connections, state, jobs, users) to FILE");
  backup->add_option("file", backup_args.file, "the backup file to write (a tar archive)")->required();
  backup->add_option("--data-dir", backup_args.data_dir, "the server's --data-dir: SQLite store and secret key (default ./sluice-data)");
  backup->add_option("--metadata", backup_args.metadata_url,
                     "the server's --metadata postgres://… URL (backed up with pg_dump; env SLUICE_METADATA_URL)")
      ->envname("SLUICE_METADATA_URL");
  backup->add_flag("--include-secret-key", backup_args.include_secret_key,
                   "put the secret key in the backup too (default: not; keep the key apart)");

  BackupCommandArgs restore_args;
  auto* restore = app.add_subcommand("restore", "Restore a metadata store from a `sluice backup` FILE (stop the server first)");
  restore->add_option("file", restore_args.file, "the backup file")->required();
  restore->add_option("--data-dir", restore_args.data_dir, "the server's --data-dir: SQLite store and secret key (default ./sluice-data)");
  restore->add_option("--metadata", restore_args.metadata_url,
                      "restore into this PostgreSQL database (pg_restore) instead of SQLite (env SLUICE_METADATA_URL)")
      ->envname("SLUICE_METADATA_URL");
  restore->add_flag("--force", restore_args.force, "replace a store that already holds sluice metadata");

  auto* run_attempt = app.add_subcommand("run-attempt", "Internal: run one attempt planned by a worker (plan on stdin)");
  run_attempt->group("");  // hidden from --help

  TransformCommandArgs transform_args;
  auto* transform = app.add_subcommand("transform", "Run a dbt-style project (models, sources, tests) against PostgreSQL");
  transform->add_option("project", transform_args.project_dir, "the project folder (with dbt_project.yml)")->required();
  transform->add_option("--profiles-dir", transform_args.profiles_dir,
                        "folder of profiles.yml (default: the project folder, then ~/.dbt)");
  transform->add_option("--target", transform_args.target, "the profile's output (default: its `target`)");
  transform->add_option("--destination", transform_args.destination,
                        "a pipeline file whose destination-postgres config is the database (instead of profiles.yml)");
  transform->add_option("--select,-s", transform_args.select, "models to run (name, +name, name+)");
  transform->add_option("--vars", transform_args.vars, "variables as a YAML mapping, over dbt_project.yml's");
  transform->add_flag("--test", transform_args.test, "run the schema.yml tests after the models");
  transform->add_flag("--test-only", transform_args.test_only, "only run the schema.yml tests");
  transform->add_flag("--full-refresh", transform_args.full_refresh, "rebuild incremental models");

  auto* version = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitConfigError;
  }
  if (log_level == "trace") SetLogLevel(LogLevel::kTrace);
  if (log_level == "debug") SetLogLevel(LogLevel::kDebug);
  if (log_level == "warn") SetLogLevel(LogLevel::kWarn);
  if (log_level == "error") SetLogLevel(LogLevel::kError);

  if (sync->parsed()) {
    sync_args.progress = !no_progress;
    return RunSyncCommand(sync_args);
  }
  if (connector->parsed()) return RunConnectorCommand(connector_args);
  if (transform->parsed()) return RunTransformCommand(transform_args);
  if (server->parsed()) return RunServerCommand(server_args);
  if (worker->parsed()) return RunWorkerCommand(worker_args);
  if (run_attempt->parsed()) return RunAttemptCommand();
  if (backup->parsed()) return RunBackupCommand(backup_args, kVersion);
  if (restore->parsed()) return RunRestoreCommand(restore_args);
  if (connectors->parsed()) return ListConnectors(connectors_json);
  if (version->parsed()) {
    std::cout << "sluice " << kVersion << std::endl;
    return 0;
  }
  return kExitConfigError;
}

}  // namespace sluice
