#pragma once
// Reading S3 objects: a sequential InputStream (JSONL, CSV, compressed files) over ranged GETs
// with one chunk prefetched in the background.

#include <cstdint>
#include <memory>
#include <string>

#include "io/input_stream.h"
#include "s3/s3_client.h"

namespace sluice {

//! Reads `key` front to back in ranged GETs of `chunk_bytes`, fetching the next chunk while the
//! current one is consumed (memory: two chunks). `size` is the object's size (from a listing);
//! reading stops there, or earlier if the object turns out shorter. Errors name "s3://bucket/key".
std::unique_ptr<InputStream> OpenS3InputStream(std::shared_ptr<S3Client> client, std::string bucket, std::string key,
                                               uint64_t size, size_t chunk_bytes = 8 << 20);

}  // namespace sluice
