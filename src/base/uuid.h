#pragma once
// Random version 4 UUIDs for _airbyte_raw_id and object names: a per-instance xoshiro256**
// generator seeded once from the OS, so no system call per UUID. Not for secrets.

#include <cstdint>
#include <string>

namespace sluice {

class UuidV4Generator {
 public:
  UuidV4Generator();
  //! Writes "xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx" (36 lowercase hex characters and dashes).
  void Write(char* out);
  //! Appends the same text to `out`.
  void Append(std::string& out);
  //! Appends a UUID as 16 raw bytes (big-endian, as RFC 4122 lays them out).
  void AppendBytes(std::string& out);

 private:
  //! 16 random bytes with the version and variant bits set.
  void NextBytes(uint8_t (&bytes)[16]);
  uint64_t Next();
  uint64_t s_[4];
};

}  // namespace sluice
