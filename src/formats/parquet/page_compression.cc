#include "formats/parquet/page_compression.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <fmt/format.h>

namespace sluice::parquet {

std::string_view CodecName(Codec codec) {
  switch (codec) {
    case Codec::kUncompressed: return "UNCOMPRESSED";
    case Codec::kSnappy: return "SNAPPY";
    case Codec::kGzip: return "GZIP";
    case Codec::kLzo: return "LZO";
    case Codec::kBrotli: return "BROTLI";
    case Codec::kLz4: return "LZ4";
    case Codec::kZstd: return "ZSTD";
    case Codec::kLz4Raw: return "LZ4_RAW";
  }
  return "UNKNOWN";
}

// ---- PageCompressor -------------------------------------------------------------------------

PageCompressor::PageCompressor(Codec codec, int level) : codec_(codec), level_(level) {
  if (level_ == 0) level_ = codec == Codec::kGzip ? 6 : 1;
}

PageCompressor::~PageCompressor() {
  if (zstd_ != nullptr) ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(zstd_));
  if (zlib_ != nullptr) {
    deflateEnd(static_cast<z_stream*>(zlib_));
    delete static_cast<z_stream*>(zlib_);
  }
}

Status PageCompressor::Compress(std::string_view in, PodBuffer& out) {
  switch (codec_) {
    case Codec::kUncompressed:
      out.Clear();
      out.Append(in.data(), in.size());
      return Status::Ok();
    case Codec::kSnappy: {
      out.Resize(snappy::MaxCompressedLength(in.size()));
      size_t n = 0;
      snappy::RawCompress(in.data(), in.size(), reinterpret_cast<char*>(out.data()), &n);
      out.Resize(n);
      return Status::Ok();
    }
    case Codec::kZstd: {
      if (zstd_ == nullptr) {
        zstd_ = ZSTD_createCCtx();
        if (zstd_ == nullptr) return Status::SystemError("zstd: cannot create a compression context");
        ZSTD_CCtx_setParameter(static_cast<ZSTD_CCtx*>(zstd_), ZSTD_c_compressionLevel, level_);
      }
      out.Resize(ZSTD_compressBound(in.size()));
      const size_t n = ZSTD_compress2(static_cast<ZSTD_CCtx*>(zstd_), out.data(), out.size(), in.data(), in.size());
      if (ZSTD_isError(n)) return Status::SystemError(fmt::format("zstd compression failed: {}", ZSTD_getErrorName(n)));
      out.Resize(n);
      return Status::Ok();
    }
    case Codec::kGzip: {
      auto* z = static_cast<z_stream*>(zlib_);
      if (z == nullptr) {
        z = new z_stream{};
        if (deflateInit2(z, level_, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
          delete z;
          return Status::SystemError("zlib: cannot initialize gzip compression");
        }
        zlib_ = z;
      } else if (deflateReset(z) != Z_OK) {
        return Status::SystemError("zlib: deflateReset failed");
      }
      out.Resize(deflateBound(z, static_cast<uLong>(in.size())) + 32);
      z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      z->avail_in = static_cast<uInt>(in.size());
      z->next_out = out.data();
      z->avail_out = static_cast<uInt>(out.size());
      const int rc = deflate(z, Z_FINISH);
      if (rc != Z_STREAM_END) return Status::SystemError(fmt::format("zlib: gzip compression failed ({})", rc));
      out.Resize(out.size() - z->avail_out);
      return Status::Ok();
    }
    default: break;
  }
  return Status::SystemError(fmt::format("Parquet codec {} is not supported for writing", CodecName(codec_)));
}

// ---- PageDecompressor -----------------------------------------------------------------------

PageDecompressor::~PageDecompressor() {
  if (zstd_ != nullptr) ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(zstd_));
  if (zlib_ != nullptr) {
    inflateEnd(static_cast<z_stream*>(zlib_));
    delete static_cast<z_stream*>(zlib_);
  }
}

Status PageDecompressor::Decompress(Codec codec, std::string_view in, size_t uncompressed_size, std::string& out) {
  const auto corrupt = [&](std::string_view why) {
    return Status::ConfigError(fmt::format("corrupt {} page data ({})", CodecName(codec), why));
  };
  out.resize(uncompressed_size);
  switch (codec) {
    case Codec::kUncompressed:
      if (in.size() != uncompressed_size) return corrupt("size mismatch");
      out.assign(in.data(), in.size());
      return Status::Ok();
    case Codec::kSnappy: {
      size_t n = 0;
      if (!snappy::GetUncompressedLength(in.data(), in.size(), &n) || n != uncompressed_size) {
        return corrupt("bad length");
      }
      if (!snappy::RawUncompress(in.data(), in.size(), out.data())) return corrupt("snappy");
      return Status::Ok();
    }
    case Codec::kZstd: {
      if (zstd_ == nullptr) zstd_ = ZSTD_createDCtx();
      if (zstd_ == nullptr) return Status::SystemError("zstd: cannot create a decompression context");
      const size_t n = ZSTD_decompressDCtx(static_cast<ZSTD_DCtx*>(zstd_), out.data(), out.size(), in.data(), in.size());
      if (ZSTD_isError(n)) return corrupt(ZSTD_getErrorName(n));
      if (n != uncompressed_size) return corrupt("size mismatch");
      return Status::Ok();
    }
    case Codec::kGzip: {
      auto* z = static_cast<z_stream*>(zlib_);
      if (z == nullptr) {
        z = new z_stream{};
        if (inflateInit2(z, 15 + 32) != Z_OK) {  // gzip or zlib, detected by the header
          delete z;
          return Status::SystemError("zlib: cannot initialize decompression");
        }
        zlib_ = z;
      } else if (inflateReset(z) != Z_OK) {
        return Status::SystemError("zlib: inflateReset failed");
      }
      z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      z->avail_in = static_cast<uInt>(in.size());
      z->next_out = reinterpret_cast<Bytef*>(out.data());
      z->avail_out = static_cast<uInt>(out.size());
      const int rc = inflate(z, Z_FINISH);
      if (rc != Z_STREAM_END || z->avail_out != 0) return corrupt("gzip");
      return Status::Ok();
    }
    default: break;
  }
  return Status::ConfigError(
      fmt::format("Parquet codec {} is not supported (supported: UNCOMPRESSED, SNAPPY, GZIP, ZSTD)", CodecName(codec)));
}

}  // namespace sluice::parquet
