#pragma once
// Page compression for Parquet: UNCOMPRESSED, SNAPPY (raw block format), GZIP (RFC 1952; zlib
// streams are accepted when reading) and ZSTD. Each object keeps its library contexts, so
// compressing many pages allocates nothing after the first.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "formats/parquet/parquet_metadata.h"
#include "protocol/record_batch.h"  // PodBuffer

namespace sluice::parquet {

class PageCompressor {
 public:
  //! `level`: 0 picks the codec's default (zstd 1, gzip 6); ignored by snappy.
  PageCompressor(Codec codec, int level);
  ~PageCompressor();
  PageCompressor(const PageCompressor&) = delete;
  PageCompressor& operator=(const PageCompressor&) = delete;

  Codec codec() const { return codec_; }
  //! Replaces `out` with the compressed `in` (a PodBuffer: no zero-filling of the output
  //! bound). Errors are SystemErrors (a library failure).
  Status Compress(std::string_view in, PodBuffer& out);

 private:
  Codec codec_;
  int level_;
  void* zstd_ = nullptr;  // ZSTD_CCtx
  void* zlib_ = nullptr;  // z_stream, deflate state kept between pages
};

class PageDecompressor {
 public:
  PageDecompressor() = default;
  ~PageDecompressor();
  PageDecompressor(const PageDecompressor&) = delete;
  PageDecompressor& operator=(const PageDecompressor&) = delete;

  //! Replaces `out` with exactly `uncompressed_size` bytes decompressed from `in`.
  //! Errors (ConfigError): an unsupported codec, or data that does not decompress to that size.
  Status Decompress(Codec codec, std::string_view in, size_t uncompressed_size, std::string& out);

 private:
  void* zstd_ = nullptr;  // ZSTD_DCtx
  void* zlib_ = nullptr;  // z_stream
};

//! "UNCOMPRESSED", "SNAPPY", ... as in parquet.thrift.
std::string_view CodecName(Codec codec);

}  // namespace sluice::parquet
