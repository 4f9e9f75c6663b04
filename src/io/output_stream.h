#pragma once
// OutputStream: a sequential byte sink (a local file, optionally gzip-compressed) that writers
// of line-oriented formats (JSONL, CSV) feed in large chunks.
//
// Errors name the file and the OS reason. Problems the user has to fix (permissions, a full
// disk, a read-only file system, a missing folder) are ConfigErrors; anything else is a
// SystemError.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "io/input_stream.h"  // Compression

namespace sluice {

//! A forward-only byte sink. Not thread-safe; owned by one writer.
class OutputStream {
 public:
  virtual ~OutputStream() = default;
  //! Appends `data`. Chunks should be large (≥ 64 KB): file streams do not buffer.
  //! After an error the stream is unusable (Close still releases it).
  virtual Status Write(std::string_view data) = 0;
  //! Ends the stream: writes the compression trailer, hands every byte to the OS and, for a file
  //! opened with `sync`, fsyncs it. Calling it again returns OK and does nothing; no Write after.
  virtual Status Close() = 0;
  //! Bytes that reached the underlying sink so far (compressed size for a compressing stream;
  //! a compressor may hold up to a few hundred KB that are not counted yet).
  virtual uint64_t bytes_written() const = 0;
  //! The file's name as given (for messages).
  virtual const std::string& name() const = 0;
};

struct OutputFileOptions {
  Compression compression = Compression::kNone;  //!< kNone or kGzip
  int gzip_level = 1;  //!< 1 (fastest, default: data files are written once, read rarely) … 9 (smallest)
  bool sync = true;                              //!< fsync the file in Close()
};

//! Creates `path` (truncating an existing file) and wraps it in a compressor when asked.
//! Errors: "cannot create '/x/y.jsonl': Permission denied"; a compression other than kNone or
//! kGzip is a SystemError (a caller bug).
Result<std::unique_ptr<OutputStream>> OpenOutputFile(const std::string& path, OutputFileOptions options = {});

//! Wraps `inner` so written bytes are gzip-compressed (one RFC 1952 member, written at Close).
std::unique_ptr<OutputStream> MakeGzipOutputStream(std::unique_ptr<OutputStream> inner, int level = 6);
//! An in-memory sink appending to `*out`, which must outlive the stream (tests).
std::unique_ptr<OutputStream> MakeStringOutputStream(std::string* out, std::string name);

//! The Status for a failed file operation: `action` names it ("cannot create"), `err` is the
//! errno value. EACCES, EPERM, EROFS, ENOENT, ENOTDIR, EISDIR, EEXIST and ENAMETOOLONG are
//! ConfigErrors ("cannot create '/x': Permission denied"); ENOSPC and EDQUOT TransientErrors
//! ("cannot write '/x': No space left on device (the disk is full: free space and run again)");
//! others SystemErrors.
Status FileErrorStatus(std::string_view action, const std::string& path, int err);

}  // namespace sluice
