#pragma once
// zlib compression for tests that feed compressed bodies or files to a reader (gzip input
// streams, the declarative manifests' gzip and zip decoders). Header-only: each test binary
// that includes it links zlib already, through the module it tests.

#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <zlib.h>

namespace sluice::testing {

//! `data` deflated with zlib's `window_bits`: 15 + 16 a gzip member, -15 raw deflate (zip).
inline std::string Deflate(std::string_view data, int window_bits) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

//! `data` as one gzip member.
inline std::string Gzip(std::string_view data) { return Deflate(data, 15 + 16); }

}  // namespace sluice::testing
