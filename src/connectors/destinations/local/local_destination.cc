#include "connectors/destinations/local/local_destination.h"

#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/time.h"
#include "base/uuid.h"
#include "connectors/destinations/local/local_config.h"
#include "connectors/destinations/local/local_layout.h"
#include "connectors/destinations/local/local_stream_writer.h"
#include "connectors/sdk/registry.h"

namespace sluice {
namespace {

class LocalDestination final : public Destination {
 public:
  explicit LocalDestination(LocalDestinationOptions options) : options_(std::move(options)) {
    if (!options_.now_micros) options_.now_micros = NowMicros;
  }

  ConnectorSpec Spec() const override { return LocalDestinationSpec(); }

  Status Check(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(LocalConfig c, ParseLocalConfig(config));
    // Surfaces path_format mistakes now rather than at the first sync.
    SLUICE_RETURN_IF_ERROR(ExpandPathFormat(c.path_format, {"stream", "namespace"}, options_.now_micros()).status());
    return CheckWritable(c.destination_path);
  }

  Status Begin(const Json& config, const ConfiguredCatalog& catalog) override {
    SLUICE_ASSIGN_OR_RETURN(config_, ParseLocalConfig(config));
    const int64_t start_micros = options_.now_micros();
    const ConnectorSpec spec = Spec();
    plans_.clear();
    std::vector<std::string> relative;
    UuidV4Generator uuids;  // ${UUID}: one per stream
    for (const ConfiguredStream& s : catalog.streams) {
      const std::string name = s.descriptor().ToString();
      if (!spec.Supports(s.destination_sync_mode)) {
        return Status::ConfigError(fmt::format(
            "stream '{}': destination-local does not support destination sync mode {} (supported: overwrite, append)",
            name, DestinationSyncModeName(s.destination_sync_mode)));
      }
      std::string uuid;
      uuids.Append(uuid);
      SLUICE_ASSIGN_OR_RETURN(std::string folder,
                              ExpandPathFormat(config_.path_format, s.descriptor(), start_micros, uuid));
      relative.push_back(folder);
      plans_.push_back({.name = name,
                        .mode = s.destination_sync_mode,
                        .folder = JoinPath(config_.destination_path, folder),
                        .generation_id = s.generation_id.value_or(0),
                        .sync_id = s.sync_id.value_or(0),
                        .schema = s.schema});
    }
    SLUICE_RETURN_IF_ERROR(CheckDistinctFolders(relative));

    SLUICE_RETURN_IF_ERROR(CreateFolders(config_.destination_path));
    std::set<int64_t> used_ms;
    for (const LocalStreamPlan& plan : plans_) {
      SLUICE_RETURN_IF_ERROR(RecoverStreamFolder(plan.folder, used_ms).WithContext(fmt::format("stream '{}'", plan.name)));
    }
    // Data files are named by the sync start; step past names an earlier run (same ms) took.
    int64_t sync_ms = start_micros / 1000;
    while (used_ms.count(sync_ms) > 0) ++sync_ms;
    for (LocalStreamPlan& plan : plans_) plan.sync_ms = sync_ms;
    return Status::Ok();
  }

  Result<std::unique_ptr<StreamWriter>> Open(uint32_t stream) override {
    if (stream >= plans_.size()) return Status::SystemError(fmt::format("Open: no stream {}", stream));
    SLUICE_ASSIGN_OR_RETURN(auto writer, LocalStreamWriter::Open(config_, plans_[stream]));
    return std::unique_ptr<StreamWriter>(std::move(writer));
  }

 private:
  // Two streams must not share a folder (their files would collide), and an overwrite must not
  // replace a folder that holds another stream's folder.
  Status CheckDistinctFolders(const std::vector<std::string>& relative) const {
    for (size_t i = 0; i < relative.size(); ++i) {
      for (size_t j = 0; j < relative.size(); ++j) {
        if (i == j) continue;
        if (i < j && relative[i] == relative[j]) {
          return Status::ConfigError(fmt::format(
              "path_format: streams '{}' and '{}' both map to folder '{}'; include ${{STREAM_NAME}} (and ${{NAMESPACE}})",
              plans_[i].name, plans_[j].name, relative[i]));
        }
        const bool inside = relative[j].size() > relative[i].size() && relative[j].starts_with(relative[i]) &&
                            relative[j][relative[i].size()] == '/';
        if (inside && (plans_[i].mode == DestinationSyncMode::kOverwrite ||
                       plans_[j].mode == DestinationSyncMode::kOverwrite)) {
          return Status::ConfigError(fmt::format(
              "path_format: the folder '{}' of stream '{}' is inside the folder '{}' of stream '{}', which an "
              "overwrite would replace; change path_format",
              relative[j], plans_[j].name, relative[i], plans_[i].name));
        }
      }
    }
    return Status::Ok();
  }

  LocalDestinationOptions options_;
  LocalConfig config_;
  std::vector<LocalStreamPlan> plans_;
};

}  // namespace

std::unique_ptr<Destination> MakeLocalDestination() { return MakeLocalDestinationWithOptions({}); }

std::unique_ptr<Destination> MakeLocalDestinationWithOptions(LocalDestinationOptions options) {
  return std::make_unique<LocalDestination>(std::move(options));
}

SLUICE_REGISTER_CONNECTOR({
    .name = "destination-local",
    .kind = ConnectorKind::kDestination,
    .title = "Local files",
    .description = "Parquet, JSONL or CSV files (optionally gzip) under a folder",
    .make_destination = MakeLocalDestination});

}  // namespace sluice
