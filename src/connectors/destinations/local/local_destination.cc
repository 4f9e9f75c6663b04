#include "connectors/destinations/local/local_destination.h"

#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/time.h"
#include "connectors/destinations/local/local_config.h"
#include "connectors/destinations/local/local_layout.h"
#include "connectors/destinations/local/local_stream_writer.h"
#include "connectors/kit/normalize/file_normalization.h"
#include "connectors/sdk/registry.h"

namespace sluice {
namespace {

class LocalDestination final : public FileDestination {
 public:
  using Parse = Result<LocalConfig> (*)(const Json&);
  LocalDestination(LocalDestinationOptions options, ConnectorSpec (*spec)(), Parse parse)
      : FileDestination(std::move(options), spec), parse_(parse) {}

  Status Check(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(LocalConfig c, parse_(config));
    // Surfaces path_format mistakes now rather than at the first sync.
    SLUICE_RETURN_IF_ERROR(ExpandPathFormat(c.path_format, {"stream", "namespace"}, StartMicros()).status());
    return CheckWritable(c.destination_path);
  }

  Status Begin(const Json& config, const ConfiguredCatalog& catalog) override {
    SLUICE_ASSIGN_OR_RETURN(config_, parse_(config));
    const int64_t start_micros = StartMicros();
    SLUICE_ASSIGN_OR_RETURN(std::vector<FileStreamPlan> streams,
                            PlanFileStreams(catalog, "destination-local", start_micros));
    normalized_.reset();
    if (config_.normalization) {
      // One dataset per flat table: every table is planned (and checked) like a stream.
      SLUICE_ASSIGN_OR_RETURN(NormalizedFileStreams n, ExpandNormalizedFileStreams(std::move(streams), catalog));
      streams = std::move(n.tables);
      n.tables.clear();
      normalized_ = std::move(n);
    }
    plans_.clear();
    std::vector<StreamLocation> folders;  // relative to the root
    for (FileStreamPlan& stream : streams) {
      SLUICE_ASSIGN_OR_RETURN(std::string folder, ExpandPathFormat(config_.path_format, stream.path.stream,
                                                                   start_micros, stream.path.uuid));
      const bool overwrite = stream.mode == DestinationSyncMode::kOverwrite;
      folders.push_back({stream.name, folder, overwrite ? std::optional<std::string>(folder) : std::nullopt});
      plans_.push_back({std::move(stream), JoinPath(config_.destination_path, folder)});
    }
    SLUICE_RETURN_IF_ERROR(CheckStreamLocations(folders, /*folders=*/true, "$.path_format"));

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
    auto open = [this](size_t plan) -> Result<std::unique_ptr<StreamWriter>> {
      if (plan >= plans_.size()) return Status::SystemError(fmt::format("Open: no stream {}", plan));
      SLUICE_ASSIGN_OR_RETURN(auto writer, LocalStreamWriter::Open(config_, plans_[plan]));
      return std::unique_ptr<StreamWriter>(std::move(writer));
    };
    if (normalized_) return OpenNormalizedStream(*normalized_, stream, open);
    return open(stream);
  }

 private:
  Parse parse_;
  LocalConfig config_;
  std::vector<LocalStreamPlan> plans_;
  std::optional<NormalizedFileStreams> normalized_;  //!< normalization: the tables of each stream (plans_ per table)
};

}  // namespace

std::unique_ptr<Destination> MakeLocalDestination() { return MakeLocalDestinationWithOptions({}); }

std::unique_ptr<Destination> MakeLocalDestinationWithOptions(LocalDestinationOptions options) {
  return std::make_unique<LocalDestination>(std::move(options), LocalDestinationSpec, ParseLocalConfig);
}

std::unique_ptr<Destination> MakeLocalDestinationWithConfig(ConnectorSpec (*spec)(),
                                                            Result<LocalConfig> (*parse)(const Json&)) {
  return std::make_unique<LocalDestination>(LocalDestinationOptions{}, spec, parse);
}

SLUICE_REGISTER_DESTINATION("destination-local", "Local files",
                            "Parquet, JSONL or CSV files (optionally gzip) under a folder",
                            MakeLocalDestination);


}  // namespace sluice
