// The one place where the built-in connectors are chosen and registered.
#include "connectors/destinations/dev_null/dev_null_destination.h"
#include "connectors/destinations/local/local_destination.h"
#include "connectors/sdk/registry.h"
#include "connectors/sources/faker/faker_source.h"
#include "connectors/sources/file/file_source.h"

namespace sluice {

void RegisterBuiltinConnectors(Registry& registry) {
  registry.Add({.name = "source-faker",
                .kind = ConnectorKind::kSource,
                .title = "Sample Data (Faker)",
                .description = "deterministic users, products and purchases (demos, benchmarks)",
                .make_source = MakeFakerSource});
  registry.Add({.name = "source-file",
                .kind = ConnectorKind::kSource,
                .title = "File (CSV, JSONL)",
                .description = "local CSV and JSONL files, plain or gzip/zstd-compressed, one stream per file or glob",
                .make_source = MakeFileSource});
  registry.Add({.name = "destination-local",
                .kind = ConnectorKind::kDestination,
                .title = "Local files",
                .description = "JSONL or CSV files (optionally gzip) under a folder",
                .make_destination = MakeLocalDestination});
  registry.Add({.name = "destination-dev-null",
                .kind = ConnectorKind::kDestination,
                .title = "Dev Null",
                .description = "discards everything (benchmarks)",
                .make_destination = MakeDevNullDestination});
}

}  // namespace sluice
