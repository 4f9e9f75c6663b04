#pragma once
// destination-s3: Parquet, JSONL or CSV (optionally gzip) files in an S3 bucket (AWS, MinIO, any
// S3-compatible store), one key prefix per stream. Sync modes overwrite and append; dedup is
// rejected at Begin. See README.md for the layout and the rules.

#include <cstdint>
#include <functional>
#include <memory>

#include "connectors/sdk/destination.h"

namespace sluice {

struct S3DestinationOptions {
  //! The clock that fixes the sync start (path variables), µs since the epoch. Empty: the wall
  //! clock. Tests set it.
  std::function<int64_t()> now_micros;
};

//! The registry's factory.
std::unique_ptr<Destination> MakeS3Destination();
std::unique_ptr<Destination> MakeS3DestinationWithOptions(S3DestinationOptions options);

}  // namespace sluice
