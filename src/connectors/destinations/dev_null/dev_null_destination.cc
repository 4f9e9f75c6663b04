#include "connectors/destinations/dev_null/dev_null_destination.h"

#include <fmt/format.h>

#include <numeric>

#include "base/log.h"
#include "connectors/sdk/registry.h"

namespace sluice {
namespace {

constexpr const char* kSpec = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Dev Null Destination Spec",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "test_destination": {
      "type": "object",
      "title": "Test Destination",
      "description": "Accepted for compatibility with Airbyte's destination-dev-null; every record is discarded whatever it says.",
      "default": {},
      "properties": {
        "test_destination_type": {
          "type": "string",
          "title": "Test Destination Type",
          "enum": ["SILENT", "LOGGING", "THROTTLED", "FAILING"],
          "default": "SILENT"
        }
      }
    }
  }
})json";

Status CheckConfig(const Json& config) {
  if (!config.is_object()) return Status::ConfigError("the config must be a JSON object");
  auto test = config.find("test_destination");
  if (test != config.end() && !test->is_null() && !test->is_object()) {
    return Status::ConfigError("test_destination: must be an object");
  }
  return Status::Ok();
}

class DevNullWriter final : public StreamWriter {
 public:
  DevNullWriter(uint64_t& rows, uint64_t& bytes) : rows_(rows), bytes_(bytes) {}
  Status Write(const RecordBatch& batch) override {
    rows_ += batch.num_rows();
    bytes_ += batch.ByteSize();
    return Status::Ok();
  }
  Status Flush() override { return Status::Ok(); }
  Status Finish(StreamOutcome outcome) override {
    (void)outcome;
    return Status::Ok();
  }

 private:
  uint64_t& rows_;
  uint64_t& bytes_;
};

}  // namespace

ConnectorSpec DevNullDestination::Spec() const {
  ConnectorSpec spec;
  spec.documentation_url = "https://github.com/sluice/sluice/tree/main/src/connectors/destinations/dev_null";
  spec.connection_specification = Json::parse(kSpec);
  spec.supported_destination_sync_modes = {DestinationSyncMode::kOverwrite, DestinationSyncMode::kAppend,
                                           DestinationSyncMode::kAppendDedup, DestinationSyncMode::kUpdate,
                                           DestinationSyncMode::kSoftDelete};
  return spec;
}

Status DevNullDestination::Check(const Json& config) { return CheckConfig(config); }

Status DevNullDestination::Begin(const Json& config, const ConfiguredCatalog& catalog) {
  SLUICE_RETURN_IF_ERROR(CheckConfig(config));
  rows_.assign(catalog.streams.size(), 0);
  bytes_ = 0;
  return Status::Ok();
}

Result<std::unique_ptr<StreamWriter>> DevNullDestination::Open(uint32_t stream) {
  if (stream >= rows_.size()) return Status::SystemError(fmt::format("Open: no stream {}", stream));
  return std::unique_ptr<StreamWriter>(std::make_unique<DevNullWriter>(rows_[stream], bytes_));
}

Status DevNullDestination::End(bool success) {
  Log(LogLevel::kDebug, "destination-dev-null discarded {} records ({} bytes); run {}", rows(), bytes_,
      success ? "succeeded" : "failed");
  return Status::Ok();
}

uint64_t DevNullDestination::rows() const { return std::accumulate(rows_.begin(), rows_.end(), uint64_t{0}); }

std::unique_ptr<Destination> MakeDevNullDestination() { return std::make_unique<DevNullDestination>(); }

SLUICE_REGISTER_DESTINATION("destination-dev-null", "Dev Null",
                            "discards everything (benchmarks)",
                            MakeDevNullDestination);

}  // namespace sluice
