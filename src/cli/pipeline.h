#pragma once
// The pipeline file ("config as code", SPEC §6): one connection in YAML — source, destination,
// streams with their sync modes, namespace rule, stream prefix, schedule, state file.
//
//   name: PostgreSQL → MinIO
//   source: {connector: postgres, config: {host: db, password: "${PG_PASSWORD}"}}
//   destination: {command: [python3, my_destination.py], config: {...}}
//   schedule: {cron: "0 2 * * *"}                  # or {every: 24h} or {manual: true}
//   namespace: {definition: custom, format: "production_${SOURCE_NAMESPACE}"}
//   prefix: raw_
//   streams:
//     - {name: customers, mode: "Full Refresh | Overwrite", primary_key: customer_id}
//     - {name: orders, sync_mode: incremental, destination_sync_mode: append_dedup,
//        cursor_field: updated_at, primary_key: [[order_id]]}
//   state: {file: ./state/orders.json}
//   normalization: basic                           # or none: the destination's own setting otherwise
//   transform: ./dbt_project                       # dbt-style models run after a successful sync
//
// Parsing is pure (no connector is contacted): unknown keys are rejected with their line, every
// problem is reported at once, ${VAR}s in connector configs and commands come from the
// environment. Connector configs are checked later against the connector's spec.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "formats/yaml/yaml_json.h"
#include "connection/connection_settings.h"
#include "connectors/sdk/spec.h"
#include "protocol/catalog.h"

namespace sluice {

//! `source:` or `destination:` — a built-in connector by name, or an external command.
struct PipelineConnector {
  std::string connector;             //!< "faker" or "source-faker"; empty when `command` is set
  std::vector<std::string> command;  //!< external connector command line; empty for a built-in
  Json config = Json::object();      //!< ${VAR}s substituted; not yet validated against the spec
};

//! `schedule:`; kept for the scheduler, ignored by a one-off `sluice sync`.
struct PipelineSchedule {
  enum class Kind { kManual, kCron, kEvery };
  Kind kind = Kind::kManual;  //!< kManual when `schedule` is absent
  std::string cron;           //!< kCron: the expression as written (5 fields, or 6-7 Quartz-style)
  std::string timezone;       //!< kCron: IANA zone name; "" = UTC
  int64_t every_seconds = 0;  //!< kEvery: "24h" → 86400
};

//! A pipeline file: connection settings (streams, namespace, prefix; `origin` is the file name)
//! plus the connectors, the schedule and where state is kept.
struct Pipeline : ConnectionSettings {
  std::string name;       //!< `name:`, else the file's stem
  std::string file_name;  //!< as given to ParsePipeline/LoadPipeline
  PipelineConnector source;
  PipelineConnector destination;
  PipelineSchedule schedule;
  std::string state_file;                              //!< `state.file` (relative to the pipeline file's folder), else
                                                       //!< <pipeline dir>/.sluice-state/<pipeline file stem>.state.json
  Json resources;                                      //!< `resources:` as written; null when absent
  //! `transform:` — a dbt-style project folder (relative to the pipeline file's folder) run
  //! against the destination after a successful sync; empty when absent.
  std::string transform_dir;
  YamlDocument document;  //!< the parsed file with line marks (config values before ${VAR} substitution)

  //! "pipeline.yaml:LINE:COL" for a violation path of a connector config:
  //! ConfigLocation("source", "$.port") is where `source.config.port` is written (or its parent).
  std::string ConfigLocation(std::string_view side, std::string_view config_path) const;
};

//! Parses a pipeline file's text; `file_name` is used in messages and to place the state file.
//! Every problem is reported in one ConfigError, one "FILE:LINE:COL: ..." line each.
Result<Pipeline> ParsePipeline(std::string_view yaml_text, const std::string& file_name);

//! Reads and parses the file at `path`; an unreadable file is a ConfigError naming it.
Result<Pipeline> LoadPipeline(const std::string& path);

//! Replaces ${VAR} in every string inside `value` (not in keys) with the environment variable's
//! value; ${VAR:-default} uses `default` when VAR is unset or empty; $${X} is a literal ${X}.
//! The destination's path placeholders (${NAMESPACE}, ${STREAM_NAME}, ${SOURCE_NAMESPACE},
//! ${YEAR} ... ${EPOCH}, ${UUID}) are left untouched. An unset variable is a ConfigError naming
//! it and where it is used (`path` is the JSON path of `value` in `doc`).
Result<Json> SubstituteEnv(const Json& value, std::string_view path, const YamlDocument& doc);

}  // namespace sluice
