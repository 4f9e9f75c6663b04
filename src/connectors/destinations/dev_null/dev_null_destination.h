#pragma once
// destination-dev-null: accepts every sync mode, counts what it gets and keeps nothing. Flush is
// a no-op, so it measures the engine and the source alone (benchmarks). The config is Airbyte's
// ({"test_destination": {"test_destination_type": "SILENT"}}); any test_destination object is
// accepted and ignored.

#include <cstdint>
#include <memory>
#include <vector>

#include "connectors/sdk/destination.h"

namespace sluice {

class DevNullDestination final : public Destination {
 public:
  ConnectorSpec Spec() const override;
  Status Check(const Json& config) override;
  Status Begin(const Json& config, const ConfiguredCatalog& catalog) override;
  //! The writer counts into this destination, which must outlive it.
  Result<std::unique_ptr<StreamWriter>> Open(uint32_t stream) override;
  Status End(bool success) override;

  //! Rows received in this run, in all streams / in one stream (0 for an unknown index).
  uint64_t rows() const;
  uint64_t rows(uint32_t stream) const { return stream < rows_.size() ? rows_[stream] : 0; }
  //! RecordBatch::ByteSize() of everything received.
  uint64_t bytes() const { return bytes_; }

 private:
  std::vector<uint64_t> rows_;
  uint64_t bytes_ = 0;
};

std::unique_ptr<Destination> MakeDevNullDestination();

}  // namespace sluice
