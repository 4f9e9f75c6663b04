#pragma once
// `sluice transform PROJECT_DIR`: runs a dbt-style project (transform/transform.h) against
// PostgreSQL — the profile from profiles.yml, or a pipeline file's destination-postgres config
// (--destination) — and, after `sluice sync`, a pipeline's `transform:` project.

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

struct TransformCommandArgs {
  std::string project_dir;
  std::string profiles_dir;  //!< --profiles-dir
  std::string target;        //!< --target
  std::string destination;   //!< --destination PIPELINE.yaml: its destination-postgres config as the profile
  std::vector<std::string> select;  //!< --select
  std::string vars;          //!< --vars: YAML/JSON mapping
  bool test = false;         //!< --test: run schema tests after the models
  bool test_only = false;    //!< --test-only: only the tests
  bool full_refresh = false;  //!< --full-refresh
};

//! Returns the process exit code.
int RunTransformCommand(const TransformCommandArgs& args);

//! Runs `project_dir` against a destination-postgres config (prepared: defaults applied), the
//! way a pipeline's `transform:` runs after its sync. Summary lines go to stderr.
Status RunTransformForDestination(const std::string& project_dir, const std::string& destination_name,
                                  const Json& destination_config);

}  // namespace sluice
