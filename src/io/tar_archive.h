#pragma once
// A minimal POSIX ustar archive: what `sluice backup` writes (a manifest, the metadata store's
// copy, optionally the secret key) and `sluice restore` reads, so a backup is also readable with
// `tar -tvf` / `tar -xf`. Regular files only; names up to 100 bytes; sizes up to 8 GiB − 1 in the
// octal field, larger ones in GNU's base-256 form (GNU tar and bsdtar read both).
// Not thread-safe; one writer or reader per archive.

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sluice {

//! Writes an archive to `path` through a temporary file beside it, renamed into place by Finish
//! (so a failed or interrupted backup never leaves a half archive under the final name). The
//! archive is created mode 0600: it holds the store's data.
class TarWriter {
 public:
  //! Starts `path`.tmp-<pid>. A folder that cannot be written is a config error naming it.
  static Result<TarWriter> Create(const std::string& path);
  TarWriter(TarWriter&& other) noexcept;
  TarWriter& operator=(TarWriter&&) = delete;
  ~TarWriter();  //!< removes the temporary file unless Finish succeeded

  //! Adds a member `name` holding `data`, with permission bits `mode` (e.g. 0600).
  Status AddBytes(std::string_view name, std::string_view data, int mode = 0600);
  //! Adds a member `name` with the bytes of the local file `source_path` (streamed).
  Status AddFile(std::string_view name, const std::string& source_path, int mode = 0600);
  //! Writes the end-of-archive blocks, fsyncs and renames into place. REQUIRES: called once.
  Status Finish();

 private:
  TarWriter() = default;
  Status WriteHeader(std::string_view name, uint64_t size, int mode);
  Status WriteRaw(const void* data, size_t size);
  Status Pad(uint64_t size);

  std::string path_;
  std::string tmp_path_;
  std::FILE* file_ = nullptr;
  bool finished_ = false;
};

//! One member of an archive.
struct TarEntry {
  std::string name;
  uint64_t size = 0;
  uint64_t offset = 0;  //!< where its bytes start in the archive file
  int mode = 0;
};

//! Reads an archive's members. Headers are checked (checksum, ustar magic, sizes within the
//! file): a file that is not such an archive, or is truncated, is a config error naming it.
class TarReader {
 public:
  static Result<TarReader> Open(const std::string& path);
  TarReader(TarReader&& other) noexcept;
  TarReader& operator=(TarReader&&) = delete;
  ~TarReader();

  const std::vector<TarEntry>& entries() const { return entries_; }
  //! The member named `name`, or nullptr.
  const TarEntry* Find(std::string_view name) const;
  //! The bytes of a member up to `max_bytes` (larger: config error); for manifests and keys.
  Result<std::string> ReadSmall(const TarEntry& entry, size_t max_bytes = 1 << 20);
  //! Copies a member to a new file `dest_path` (mode 0600), fsynced.
  Status ExtractTo(const TarEntry& entry, const std::string& dest_path);

 private:
  TarReader() = default;
  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<TarEntry> entries_;
};

}  // namespace sluice
