#pragma once
// destination-local: JSONL or CSV files (optionally gzip) under a folder, one folder per stream.
// Sync modes overwrite and append. See README.md for the layout and the crash-safety rules.

#include <cstdint>
#include <functional>
#include <memory>

#include "connectors/sdk/destination.h"

namespace sluice {

struct LocalDestinationOptions {
  //! The clock that fixes the sync start (file names, ${YEAR}… in path_format), µs since the
  //! epoch. Empty: the wall clock. Tests set it.
  std::function<int64_t()> now_micros;
};

//! The registry's factory.
std::unique_ptr<Destination> MakeLocalDestination();
std::unique_ptr<Destination> MakeLocalDestinationWithOptions(LocalDestinationOptions options);

}  // namespace sluice
