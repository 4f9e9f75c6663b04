// destination-s3: Parquet, JSONL or CSV files in an S3 bucket (AWS, MinIO, any S3-compatible
// store), one key prefix per stream. Sync modes overwrite and append. See README.md.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/uuid.h"
#include "connectors/destinations/s3/s3_destination_config.h"
#include "connectors/destinations/s3/s3_stream_writer.h"
#include "connectors/kit/file_destination.h"
#include "connectors/kit/normalize/file_normalization.h"
#include "connectors/sdk/registry.h"

namespace sluice {
namespace {

Result<std::shared_ptr<S3Client>> MakeClient(const S3DestinationConfig& config) {
  SLUICE_ASSIGN_OR_RETURN(auto client, S3Client::Make(config.client));
  return std::shared_ptr<S3Client>(std::move(client));
}

class S3Destination final : public FileDestination {
 public:
  S3Destination() : FileDestination({}, S3DestinationSpec) {}

  // Writes, lists and deletes a small object under the bucket path, as Airbyte's check does.
  Status Check(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(S3DestinationConfig c, ParseS3DestinationConfig(config));
    SLUICE_RETURN_IF_ERROR(
        ExpandS3ObjectPath(c, {.stream = {"stream", "namespace"}, .sync_start_micros = StartMicros(), .uuid = "uuid"})
            .status());
    SLUICE_ASSIGN_OR_RETURN(auto client, MakeClient(c));
    std::string folder = c.bucket_path.substr(0, c.bucket_path.find("${"));
    folder = folder.substr(0, folder.rfind('/') == std::string::npos ? 0 : folder.rfind('/') + 1);
    while (!folder.empty() && folder.front() == '/') folder.erase(0, 1);
    std::string key = folder + "_airbyte_connection_test_";
    UuidV4Generator().Append(key);
    SLUICE_RETURN_IF_ERROR(client->PutObject(c.bucket, key, "check"));
    bool seen = false;
    Status listed = client->ListAll(c.bucket, key, [&](const S3Object& o) {
      seen = seen || o.key == key;
      return Status::Ok();
    });
    Status deleted = client->DeleteObject(c.bucket, key);
    SLUICE_RETURN_IF_ERROR(listed);
    SLUICE_RETURN_IF_ERROR(deleted);
    if (!seen) {
      return Status::SystemError(fmt::format("{}: the test object was written but the listing does not show it",
                                             S3Uri(c.bucket, key)));
    }
    return Status::Ok();
  }

  Status Begin(const Json& config, const ConfiguredCatalog& catalog) override {
    SLUICE_ASSIGN_OR_RETURN(config_, ParseS3DestinationConfig(config));
    SLUICE_ASSIGN_OR_RETURN(std::vector<FileStreamPlan> streams,
                            PlanFileStreams(catalog, "destination-s3", StartMicros()));
    normalized_.reset();
    if (config_.normalization) {
      // One dataset per flat table: every table is planned (and checked) like a stream.
      SLUICE_ASSIGN_OR_RETURN(NormalizedFileStreams n, ExpandNormalizedFileStreams(std::move(streams), catalog));
      streams = std::move(n.tables);
      n.tables.clear();
      normalized_ = std::move(n);
    }
    plans_.clear();
    std::vector<StreamLocation> locations;
    for (FileStreamPlan& stream : streams) {
      S3StreamPlan plan{std::move(stream)};
      SLUICE_ASSIGN_OR_RETURN(plan.key_base, ExpandS3ObjectPath(config_, plan.path, &plan.prefix));
      const bool overwrite = plan.mode == DestinationSyncMode::kOverwrite;
      if (overwrite && plan.prefix.empty()) {
        return Status::ConfigError(fmt::format(
            "stream '{}': s3_bucket_path + s3_path_format start with a time or UUID variable, so an overwrite would "
            "delete everything in the bucket; put a fixed folder (like ${{STREAM_NAME}}/) first",
            plan.name));
      }
      locations.push_back({plan.name, plan.key_base, overwrite ? std::optional<std::string>(plan.prefix) : std::nullopt});
      plans_.push_back(std::move(plan));
    }
    SLUICE_RETURN_IF_ERROR(CheckStreamLocations(locations, /*folders=*/false, "$.s3_path_format"));
    SLUICE_ASSIGN_OR_RETURN(client_, MakeClient(config_));
    // Wrong credentials, region or bucket fail here, before the source reads anything.
    return client_->CheckBucket(config_.bucket);
  }

  Result<std::unique_ptr<StreamWriter>> Open(uint32_t stream) override {
    auto open = [this](size_t plan) -> Result<std::unique_ptr<StreamWriter>> {
      if (plan >= plans_.size() || !client_) return Status::SystemError(fmt::format("Open: no stream {}", plan));
      SLUICE_ASSIGN_OR_RETURN(auto writer, S3StreamWriter::Open(config_, client_, plans_[plan]));
      return std::unique_ptr<StreamWriter>(std::move(writer));
    };
    if (normalized_) return OpenNormalizedStream(*normalized_, stream, open);
    return open(stream);
  }

 private:
  S3DestinationConfig config_;
  std::shared_ptr<S3Client> client_;
  std::vector<S3StreamPlan> plans_;
  std::optional<NormalizedFileStreams> normalized_;  //!< normalization: the tables of each stream (plans_ per table)
};

// destination-s3 is made only through the registry.
SLUICE_REGISTER_DESTINATION("destination-s3", "S3", "Parquet, JSONL or CSV files in S3 / MinIO (SigV4, multipart uploads)",
                            [] { return std::unique_ptr<Destination>(std::make_unique<S3Destination>()); });

}  // namespace
}  // namespace sluice
