#pragma once
// An S3 object as a RandomAccessFile (formats/parquet/parquet_reader.h): each ReadAt is one
// ranged GET, except reads within the last 64 KB (Parquet footers), which are served from one
// cached GET of the object's tail.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "io/random_access_file.h"
#include "s3/s3_client.h"

namespace sluice {

//! `size` (from a listing) saves a HEAD request; without it Size() asks the server once.
//! Errors name "s3://bucket/key"; a missing object is a ConfigError.
std::unique_ptr<RandomAccessFile> OpenS3RandomAccessFile(std::shared_ptr<S3Client> client, std::string bucket,
                                                         std::string key, std::optional<uint64_t> size = std::nullopt);

}  // namespace sluice
