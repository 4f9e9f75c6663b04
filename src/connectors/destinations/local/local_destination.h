#pragma once
// destination-local: Parquet, JSONL or CSV files (optionally gzip) under a folder, one folder per
// stream. Sync modes overwrite and append. See README.md for the layout and the crash-safety rules.

#include <memory>

#include "connectors/kit/file_destination.h"
#include "connectors/sdk/destination.h"

namespace sluice {

using LocalDestinationOptions = FileDestinationOptions;

//! The registry's factory.
std::unique_ptr<Destination> MakeLocalDestination();
std::unique_ptr<Destination> MakeLocalDestinationWithOptions(LocalDestinationOptions options);

}  // namespace sluice
