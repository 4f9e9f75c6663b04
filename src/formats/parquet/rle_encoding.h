#pragma once
// Parquet's RLE / bit-packing hybrid encoding (definition levels, dictionary indices, v2
// booleans) and the bit-unpacking it shares with DELTA_BINARY_PACKED.
//
//   encoded := run*
//   run     := rle-run | bit-packed-run
//   rle-run := varint(count << 1)  value as ceil(bit_width / 8) little-endian bytes
//   bit-packed-run := varint(groups << 1 | 1)  groups * 8 values, bit_width bits each, LSB first
//
// The encoder emits a repeated run for 8+ equal values starting at a group boundary and
// bit-packed groups otherwise (at most 63 groups per bit-packed run, so its header is one byte).

#include <cstddef>
#include <cstdint>
#include <string>

namespace sluice::parquet {

//! Bits needed to store `max_value` (0 for 0).
int BitWidth(uint64_t max_value);

//! Appends the 8 values `v[0..8)` packed at `bit_width` (≤ 32) bits each: exactly bit_width bytes.
void PackGroup(const uint32_t* v, int bit_width, std::string& out);

//! Reads `count` values of `bit_width` (≤ 64) bits each, LSB first, from `data` starting at
//! bit 0. REQUIRES: data holds ceil(count * bit_width / 8) bytes.
void UnpackBits(const uint8_t* data, int bit_width, size_t count, uint64_t* out);

class RleEncoder {
 public:
  //! Starts a new encoding appended to `*out` (which must outlive the encoding).
  //! REQUIRES: 0 ≤ bit_width ≤ 32.
  void Begin(int bit_width, std::string* out);
  void Put(uint32_t value) {
    if (value == current_value_) {
      if (++repeat_count_ > 8) return;  // inside a repeated run: nothing to buffer
    } else {
      if (repeat_count_ >= 8) FlushRepeatedRun();
      repeat_count_ = 1;
      current_value_ = value;
    }
    buffered_[num_buffered_++] = value;
    if (num_buffered_ == 8) FlushBufferedValues(false);
  }
  //! Same as `count` calls of Put(value), in O(1) once a run is established.
  void PutRepeated(uint32_t value, uint64_t count);
  //! Writes everything still buffered; the encoding is then complete.
  void Finish();

 private:
  void FlushBufferedValues(bool done);
  void FlushLiteralRun(bool update_indicator);
  void FlushRepeatedRun();

  std::string* out_ = nullptr;
  int bit_width_ = 1;
  uint32_t buffered_[8] = {};
  int num_buffered_ = 0;
  uint32_t current_value_ = 0;
  uint64_t repeat_count_ = 0;
  uint64_t literal_count_ = 0;
  int64_t indicator_pos_ = -1;  // where the open bit-packed run's header byte is, or -1
};

//! Decodes an RLE / bit-packed hybrid stream (no length prefix). Malformed input makes Get
//! return fewer values than asked.
class RleDecoder {
 public:
  RleDecoder() = default;
  RleDecoder(const uint8_t* data, size_t size, int bit_width) { Reset(data, size, bit_width); }
  void Reset(const uint8_t* data, size_t size, int bit_width);
  //! Decodes up to `n` values into `out`; returns how many (less than n only at the end or on
  //! malformed input).
  size_t Get(uint32_t* out, size_t n);

 private:
  bool NextRun();

  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  int bit_width_ = 0;
  uint64_t repeat_left_ = 0;
  uint32_t repeat_value_ = 0;
  uint64_t literal_left_ = 0;  // values left in the bit-packed run
  const uint8_t* literal_ = nullptr;
  uint64_t literal_bit_ = 0;  // bit offset into literal_
};

}  // namespace sluice::parquet
