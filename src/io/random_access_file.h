#pragma once
// RandomAccessFile: a readable object of known size read at any offset — a local file, an
// in-memory string, or (s3/) an S3 object through ranged GETs. Parquet readers use it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"

namespace sluice {

//! A readable object. Not thread-safe; owned by one reader.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  virtual Result<uint64_t> Size() = 0;
  //! Sets `out` to exactly the `length` bytes at `offset`; reading past the end is an error.
  virtual Status ReadAt(uint64_t offset, size_t length, std::string& out) = 0;
  //! The file's path or URL, for messages (never credentials).
  virtual const std::string& name() const = 0;
};

//! Opens a local file. Errors (ConfigError) name the file and the OS reason.
Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccessFile(const std::string& path);
//! An in-memory file (tests, and callers that already hold the bytes).
std::unique_ptr<RandomAccessFile> MakeStringRandomAccessFile(std::string data, std::string name);

}  // namespace sluice
