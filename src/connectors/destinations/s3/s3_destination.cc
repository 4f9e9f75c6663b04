#include "connectors/destinations/s3/s3_destination.h"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/time.h"
#include "connectors/destinations/s3/s3_destination_config.h"
#include "base/uuid.h"
#include "connectors/destinations/s3/s3_stream_writer.h"
#include "connectors/sdk/registry.h"

namespace sluice {
namespace {

Result<std::shared_ptr<S3Client>> MakeClient(const S3DestinationConfig& config) {
  SLUICE_ASSIGN_OR_RETURN(auto client, S3Client::Make(config.client));
  return std::shared_ptr<S3Client>(std::move(client));
}

class S3Destination final : public Destination {
 public:
  explicit S3Destination(S3DestinationOptions options) : options_(std::move(options)) {
    if (!options_.now_micros) options_.now_micros = NowMicros;
  }

  ConnectorSpec Spec() const override { return S3DestinationSpec(); }

  // Writes, lists and deletes a small object under the bucket path, as Airbyte's check does.
  Status Check(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(S3DestinationConfig c, ParseS3DestinationConfig(config));
    SLUICE_RETURN_IF_ERROR(
        ExpandS3ObjectPath(c, {{"stream", "namespace"}, options_.now_micros(), "uuid"}).status());
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
    const int64_t start_micros = options_.now_micros();
    plans_.clear();
    UuidV4Generator uuids;
    for (const ConfiguredStream& s : catalog.streams) {
      const std::string name = s.descriptor().ToString();
      if (s.destination_sync_mode != DestinationSyncMode::kOverwrite &&
          s.destination_sync_mode != DestinationSyncMode::kAppend) {
        return Status::ConfigError(fmt::format(
            "stream '{}': destination-s3 does not support destination sync mode {}{}; use overwrite or append",
            name, DestinationSyncModeName(s.destination_sync_mode),
            s.destination_sync_mode == DestinationSyncMode::kAppendDedup
                ? " (Incremental | Append + Deduped): files in S3 are not updated in place"
                : ""));
      }
      S3PathContext context{s.descriptor(), start_micros, {}};
      uuids.Append(context.uuid);
      S3StreamPlan plan;
      plan.name = name;
      plan.mode = s.destination_sync_mode;
      SLUICE_ASSIGN_OR_RETURN(plan.key_base, ExpandS3ObjectPath(config_, context, &plan.prefix));
      if (plan.mode == DestinationSyncMode::kOverwrite && plan.prefix.empty()) {
        return Status::ConfigError(fmt::format(
            "stream '{}': s3_bucket_path + s3_path_format start with a time or UUID variable, so an overwrite would "
            "delete everything in the bucket; put a fixed folder (like ${{STREAM_NAME}}/) first",
            name));
      }
      plan.sync_start_micros = start_micros;
      plan.generation_id = s.generation_id.value_or(0);
      plan.sync_id = s.sync_id.value_or(0);
      plan.schema = s.schema;
      plans_.push_back(std::move(plan));
    }
    SLUICE_RETURN_IF_ERROR(CheckDistinctPrefixes());
    SLUICE_ASSIGN_OR_RETURN(client_, MakeClient(config_));
    // Wrong credentials, region or bucket fail here, before the source reads anything.
    return client_->CheckBucket(config_.bucket);
  }

  Result<std::unique_ptr<StreamWriter>> Open(uint32_t stream) override {
    if (stream >= plans_.size() || !client_) return Status::SystemError(fmt::format("Open: no stream {}", stream));
    SLUICE_ASSIGN_OR_RETURN(auto writer, S3StreamWriter::Open(config_, client_, plans_[stream]));
    return std::unique_ptr<StreamWriter>(std::move(writer));
  }

 private:
  // Two streams must not write the same names, and an overwrite must not delete another
  // stream's objects (its prefix must not cover the other's).
  Status CheckDistinctPrefixes() const {
    for (size_t i = 0; i < plans_.size(); ++i) {
      for (size_t j = 0; j < plans_.size(); ++j) {
        if (i == j) continue;
        const S3StreamPlan& a = plans_[i];
        const S3StreamPlan& b = plans_[j];
        if (i < j && a.key_base == b.key_base) {
          return Status::ConfigError(fmt::format(
              "s3_path_format: streams '{}' and '{}' both write to '{}'; include ${{STREAM_NAME}} (and ${{NAMESPACE}})",
              a.name, b.name, a.key_base));
        }
        if (a.mode == DestinationSyncMode::kOverwrite && b.key_base.starts_with(a.prefix)) {
          return Status::ConfigError(fmt::format(
              "s3_path_format: the objects of stream '{}' ('{}…') are under the prefix '{}' of stream '{}', which an "
              "overwrite clears; give each stream its own folder (end the stream part with '/')",
              b.name, b.key_base, a.prefix, a.name));
        }
      }
    }
    return Status::Ok();
  }

  S3DestinationOptions options_;
  S3DestinationConfig config_;
  std::shared_ptr<S3Client> client_;
  std::vector<S3StreamPlan> plans_;
};

}  // namespace

std::unique_ptr<Destination> MakeS3Destination() { return MakeS3DestinationWithOptions({}); }

std::unique_ptr<Destination> MakeS3DestinationWithOptions(S3DestinationOptions options) {
  return std::make_unique<S3Destination>(std::move(options));
}

SLUICE_REGISTER_CONNECTOR({
    .name = "destination-s3",
    .kind = ConnectorKind::kDestination,
    .title = "S3",
    .description = "Parquet, JSONL or CSV files in S3 / MinIO (SigV4, multipart uploads)",
    .make_destination = MakeS3Destination});

}  // namespace sluice
