#pragma once
// destination-local: Parquet, JSONL or CSV files (optionally gzip) under a folder, one folder per
// stream. Sync modes overwrite and append. See README.md for the layout and the crash-safety rules.

#include <memory>

#include "connectors/destinations/local/local_config.h"
#include "connectors/kit/file_destination.h"
#include "connectors/sdk/destination.h"

namespace sluice {

using LocalDestinationOptions = FileDestinationOptions;

//! The registry's factory.
std::unique_ptr<Destination> MakeLocalDestination();
std::unique_ptr<Destination> MakeLocalDestinationWithOptions(LocalDestinationOptions options);
//! The same writer behind another config shape (destination-csv): `spec` is what Spec() answers,
//! `parse` reads a config into the writer's options.
std::unique_ptr<Destination> MakeLocalDestinationWithConfig(ConnectorSpec (*spec)(),
                                                            Result<LocalConfig> (*parse)(const Json&));

}  // namespace sluice
