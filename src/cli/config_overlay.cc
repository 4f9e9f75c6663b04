#include "cli/config_overlay.h"

#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/file_util.h"
#include "base/log.h"
#include "base/time.h"
#include "connection/connector_runtime.h"
#include "protocol/config_update.h"

namespace sluice {

namespace {

//! The pipeline's values at the paths `changes` sets (null where absent), by JSON pointer.
Json BaseOf(const Json& pipeline_config, const Json& changes) {
  Json base = Json::object();
  for (const std::string& p : ConfigChangePaths(changes)) {
    const Json::json_pointer ptr(p);
    base[p] = pipeline_config.contains(ptr) ? pipeline_config.at(ptr) : Json();
  }
  return base;
}

}  // namespace

std::string SourceConfigOverlay::FileFor(const std::string& state_file) {
  if (state_file.empty()) return "";
  std::string f = state_file;
  for (std::string_view suffix : {".state.json", ".json"}) {
    if (f.size() > suffix.size() && f.ends_with(suffix)) {
      f.resize(f.size() - suffix.size());
      break;
    }
  }
  return f + ".source-config.json";
}

Result<SourceConfigOverlay> SourceConfigOverlay::Load(std::string file, Json pipeline_config) {
  SourceConfigOverlay o;
  o.file_ = std::move(file);
  o.pipeline_config_ = std::move(pipeline_config);
  if (o.file_.empty() || !std::filesystem::exists(o.file_)) return o;
  SLUICE_ASSIGN_OR_RETURN(Json saved, ReadJsonFile(o.file_, "source config overlay"));
  if (!saved.is_object() || !saved.value("changes", Json()).is_object() || !saved.value("replaced", Json()).is_object()) {
    return Status::ConfigError(fmt::format("'{}': not a source config overlay (an object with 'changes' and "
                                           "'replaced'); delete it to start from the pipeline file's config",
                                           o.file_));
  }
  // Stale when the pipeline file no longer has the values the changes replaced.
  if (BaseOf(o.pipeline_config_, saved["changes"]) != saved["replaced"]) {
    Log(LogLevel::kInfo, "source config: the pipeline file's values changed since '{}' was written: it is ignored",
        o.file_);
    return o;
  }
  o.changes_ = saved["changes"];
  std::vector<std::string> paths = ConfigChangePaths(o.changes_);
  Log(LogLevel::kInfo, "source config: {} value(s) the source updated in an earlier run ({}) are applied from '{}'",
      paths.size(), fmt::join(paths, ", "), o.file_);
  return o;
}

Json SourceConfigOverlay::Apply(const Json& config) const { return ApplyConfigChanges(config, changes_); }

Status SourceConfigOverlay::Add(const Json& changes) {
  std::lock_guard lock(mu_);
  if (!changes.is_object() || changes.empty()) return Status::Ok();
  changes_ = ApplyConfigChanges(changes_, changes);
  std::vector<std::string> paths = ConfigChangePaths(changes);
  if (file_.empty()) {
    Log(LogLevel::kWarn, "source config: the source updated {} (a rotated token?) but the pipeline has no state file to "
                         "keep it beside: the next run starts from the pipeline file's values",
        fmt::join(paths, ", "));
    return Status::Ok();
  }
  std::string when;
  AppendTimestamp(when, NowMicros(), true);
  Json doc = {{"about", "values sluice-sync's source updated itself (Airbyte CONTROL message), applied on the next run "
                        "while the pipeline file still has the 'replaced' values"},
              {"updatedAt", when},
              {"replaced", BaseOf(pipeline_config_, changes_)},
              {"changes", changes_}};
  SLUICE_RETURN_IF_ERROR(ReplaceFileDurably(file_, doc.dump(2) + "\n"));
  Log(LogLevel::kInfo, "source config: the source updated {}; saved to '{}' for the next run", fmt::join(paths, ", "),
      file_);
  return Status::Ok();
}

}  // namespace sluice
