#pragma once
// `sluice transform PROJECT_DIR`: a dbt-style project run against PostgreSQL, without Python.
//
// Reads dbt_project.yml (name, profile, model-paths, macro-paths, vars, `models:` configs per
// folder with `+materialized`, `+schema`, `+enabled`), models/**/*.sql, every .yml under the
// model paths (`sources:` and `models:` with column tests), macros/**/*.sql, and a profile:
// profiles.yml (dbt's shape, a postgres output; looked for in --profiles-dir, the project, then
// ~/.dbt) or a connection given by the caller (a pipeline's destination). Models are rendered
// with the Jinja subset of template/template.h and dbt's context (ref, source, config, this,
// is_incremental, var, env_var, target), ordered by their refs (a cycle is an error naming
// it), and materialized: view (replaced in a transaction), table (built under a temporary name
// and swapped in, one transaction), incremental (the first run or --full-refresh builds the
// table; later runs merge the model's rows: delete by unique_key, then insert, one
// transaction); ephemeral models are inlined as CTEs. Tests from schema.yml (not_null, unique,
// accepted_values, relationships) run with `test`. Prints a run summary like dbt's.
// Compiled SQL is written to PROJECT_DIR/target/run/<model path>.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "postgres/pg_connection_config.h"

namespace sluice {

struct TransformOptions {
  std::string project_dir;
  std::string profiles_dir;  //!< "": the project folder, then ~/.dbt
  std::string target;        //!< the profile's output; "": the profile's `target`
  //! When set, used instead of profiles.yml (with `schema` as the target schema).
  std::optional<PgConnectionConfig> connection;
  std::string schema = "public";  //!< with `connection`
  bool run = true;                //!< build the models
  bool test = false;              //!< run the schema tests (after the models, when run)
  bool full_refresh = false;      //!< incremental models are rebuilt
  std::vector<std::string> select;  //!< model names (and `+name` for it and its descendants); empty: all
  Json vars = Json::object();       //!< --vars, over dbt_project.yml's
  std::function<void(const std::string&)> print;  //!< summary lines; default: stdout
};

struct TransformSummary {
  int pass = 0, error = 0, skip = 0, warn = 0;
  int total() const { return pass + error + skip + warn; }
};

//! Runs the project. A config error (bad project, cycle, Jinja error) fails before any SQL
//! runs; a model or test failure is counted and reported, and the result's status is a
//! ConfigError naming the failures (non-zero exit). REQUIRES: the caller's thread only.
Result<TransformSummary> RunTransform(const TransformOptions& options);

}  // namespace sluice
