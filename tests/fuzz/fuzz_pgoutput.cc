// pgoutput decoding: the input is a sequence of messages, each a 2-byte big-endian length and the
// message's bytes, decoded in order by one decoder (Relation messages feed its cache); the first
// byte picks protocol 1 or 2.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "postgres/pgoutput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  sluice::PgOutputDecoder decoder((data[0] & 1) ? 2 : 1);
  size_t p = 1;
  while (p + 2 <= size) {
    const size_t n = (static_cast<size_t>(data[p]) << 8) | data[p + 1];
    p += 2;
    if (n > size - p) break;
    auto m = decoder.Decode(std::string_view(reinterpret_cast<const char*>(data) + p, n));
    if (m.ok()) (void)sluice::PgMessageName(*m);
    p += n;
  }
  return 0;
}
