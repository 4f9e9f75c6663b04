#include "base/uuid.h"

#include <random>

namespace sluice {

UuidV4Generator::UuidV4Generator() {
  std::random_device device;
  uint64_t seed = (static_cast<uint64_t>(device()) << 32) ^ device() ^ reinterpret_cast<uintptr_t>(this);
  for (uint64_t& s : s_) {  // splitmix64 fills the state
    seed += 0x9e3779b97f4a7c15ull;
    uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    s = z ^ (z >> 31);
  }
}

uint64_t UuidV4Generator::Next() {  // xoshiro256**
  const auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

void UuidV4Generator::NextBytes(uint8_t (&bytes)[16]) {
  const uint64_t hi = (Next() & 0xffffffffffff0fffull) | 0x0000000000004000ull;  // version 4
  const uint64_t lo = (Next() & 0x3fffffffffffffffull) | 0x8000000000000000ull;  // variant 10
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    bytes[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
}

void UuidV4Generator::Write(char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint8_t bytes[16];
  NextBytes(bytes);
  int pos = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[pos++] = '-';
    out[pos++] = kHex[bytes[i] >> 4];
    out[pos++] = kHex[bytes[i] & 15];
  }
}

void UuidV4Generator::Append(std::string& out) {
  char text[36];
  Write(text);
  out.append(text, sizeof(text));
}

void UuidV4Generator::AppendBytes(std::string& out) {
  uint8_t bytes[16];
  NextBytes(bytes);
  out.append(reinterpret_cast<const char*>(bytes), sizeof(bytes));
}

}  // namespace sluice
