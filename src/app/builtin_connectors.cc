// The one place where the built-in connectors are chosen and registered.
#include "connectors/destinations/dev_null/dev_null_destination.h"
#include "connectors/destinations/local/local_destination.h"
#include "connectors/destinations/postgres/pg_destination.h"
#include "connectors/destinations/s3/s3_destination.h"
#include "connectors/sdk/registry.h"
#include "connectors/sources/faker/faker_source.h"
#include "connectors/sources/file/file_source.h"
#include "connectors/sources/s3/s3_source.h"
#include "connectors/sources/postgres/postgres_source.h"

namespace sluice {

void RegisterBuiltinConnectors(Registry& registry) {
  registry.Add({.name = "source-faker",
                .kind = ConnectorKind::kSource,
                .title = "Sample Data (Faker)",
                .description = "deterministic users, products and purchases (demos, benchmarks)",
                .make_source = MakeFakerSource});
  registry.Add({.name = "source-file",
                .kind = ConnectorKind::kSource,
                .title = "File (CSV, JSONL, Parquet)",
                .description = "CSV, JSONL and Parquet files, local or at https:// and s3:// URLs, plain or gzip/zstd-compressed, one stream per file or glob",
                .make_source = MakeFileSource});
  registry.Add({.name = "source-postgres",
                .kind = ConnectorKind::kSource,
                .title = "Postgres",
                .description = "PostgreSQL tables and views: binary COPY, resumable full refresh, cursor or xmin incremental",
                .make_source = MakePostgresSource});
  registry.Add({.name = "source-s3",
                .kind = ConnectorKind::kSource,
                .title = "S3",
                .description = "CSV, JSONL and Parquet objects in S3 / MinIO, one stream per set of globs, incremental by modification time",
                .make_source = MakeS3Source});
  registry.Add({.name = "destination-local",
                .kind = ConnectorKind::kDestination,
                .title = "Local files",
                .description = "Parquet, JSONL or CSV files (optionally gzip) under a folder",
                .make_destination = MakeLocalDestination});
  registry.Add({.name = "destination-postgres",
                .kind = ConnectorKind::kDestination,
                .title = "Postgres",
                .description = "PostgreSQL: typed final tables and raw tables (Airbyte V2 layout), binary COPY, all sync modes",
                .make_destination = MakePostgresDestination});
  registry.Add({.name = "destination-s3",
                .kind = ConnectorKind::kDestination,
                .title = "S3",
                .description = "Parquet, JSONL or CSV files in S3 / MinIO (SigV4, multipart uploads)",
                .make_destination = MakeS3Destination});
  registry.Add({.name = "destination-dev-null",
                .kind = ConnectorKind::kDestination,
                .title = "Dev Null",
                .description = "discards everything (benchmarks)",
                .make_destination = MakeDevNullDestination});
}

}  // namespace sluice
