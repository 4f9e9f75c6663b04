#pragma once
// InputStream: a sequential byte source (a local file, optionally gzip- or zstd-compressed), and
// LineReader, which splits one into lines for line-oriented formats (JSONL).
//
// Every error is a ConfigError whose message names the file: a missing or unreadable file, or
// compressed data that is corrupt or truncated, is something the user has to fix.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace sluice {

enum class Compression {
  kAuto,  //!< decide from the magic bytes, then from the file name's extension
  kNone,
  kGzip,  //!< gzip (RFC 1952), any number of concatenated members; zlib streams too
  kZstd,  //!< zstd, any number of concatenated frames
};

//! "auto", "none", "gzip", "zstd".
std::string_view CompressionName(Compression compression);

//! A forward-only byte source. Not thread-safe; owned by one reader.
class InputStream {
 public:
  virtual ~InputStream() = default;
  //! Reads up to `n` bytes into `buf` and returns how many were read; 0 only at end of stream
  //! (or when n == 0). May return fewer than `n` before the end. After an error the stream is
  //! unusable.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
  //! The file's name as given (for messages).
  virtual const std::string& name() const = 0;
};

//! Opens a local file for sequential reading and wraps it in a decompressor when `compression`
//! says so; kAuto recognises gzip (1f 8b) and zstd (28 b5 2f fd) by their magic bytes, and a
//! .gz/.gzip/.zst/.zstd name whose content lacks the magic is reported as corrupt.
//! Errors: "cannot open '/x/y.csv': No such file or directory".
Result<std::unique_ptr<InputStream>> OpenInputFile(const std::string& path, Compression compression = Compression::kAuto);

//! The compression a file name's extension implies (.gz/.gzip → gzip, .zst/.zstd → zstd,
//! otherwise none); case-insensitive.
Compression CompressionFromPath(std::string_view path);
//! `path` without a compression extension ("a.csv.gz" → "a.csv"), for format detection.
std::string_view StripCompressionExtension(std::string_view path);

//! Wraps `inner` so reads return decompressed bytes. REQUIRES: compression is kGzip or kZstd.
std::unique_ptr<InputStream> MakeDecompressingStream(std::unique_ptr<InputStream> inner, Compression compression);
//! An in-memory stream over `data` (tests, and sources that already hold the bytes).
std::unique_ptr<InputStream> MakeStringInputStream(std::string data, std::string name);

//! Splits an InputStream into lines ('\n'-terminated; a "\r\n" ending loses its '\r'; the last
//! line may lack a terminator). Reads in large chunks and hands out views into its buffer.
class LineReader {
 public:
  //! `padding`: bytes guaranteed readable after the end of every returned line (simdjson needs
  //! SIMDJSON_PADDING); their content is unspecified.
  explicit LineReader(std::unique_ptr<InputStream> input, size_t padding = 0, size_t chunk_bytes = 1 << 20);

  //! Sets `*line` to the next line and returns true, or returns false at end of input. The view
  //! stays valid until the next call. Lines keep their bytes as they are (no UTF-8 check).
  Result<bool> Next(std::string_view* line);
  //! 1-based number of the line last returned.
  uint64_t line_number() const { return line_number_; }
  const std::string& name() const { return input_->name(); }

 private:
  Status Fill();

  std::unique_ptr<InputStream> input_;
  size_t padding_;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_;  // usable bytes; padding_ more are allocated after them
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  uint64_t line_number_ = 0;
};

}  // namespace sluice
