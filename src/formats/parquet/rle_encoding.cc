#include "formats/parquet/rle_encoding.h"

#include <cstring>

namespace sluice::parquet {

namespace {

void AppendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

}  // namespace

int BitWidth(uint64_t max_value) {
  int bits = 0;
  while (max_value != 0) {
    ++bits;
    max_value >>= 1;
  }
  return bits;
}

void PackGroup(const uint32_t* v, int bit_width, std::string& out) {
  if (bit_width == 0) return;
  char bytes[32];
  int n = 0;
  uint64_t acc = 0;
  int bits = 0;
  const uint64_t mask = bit_width == 32 ? 0xFFFFFFFFull : (1ull << bit_width) - 1;
  for (int i = 0; i < 8; ++i) {
    acc |= (static_cast<uint64_t>(v[i]) & mask) << bits;
    bits += bit_width;
    while (bits >= 8) {
      bytes[n++] = static_cast<char>(acc & 0xFF);
      acc >>= 8;
      bits -= 8;
    }
  }
  out.append(bytes, static_cast<size_t>(n));
}

void UnpackBits(const uint8_t* data, int bit_width, size_t count, uint64_t* out) {
  if (bit_width == 0) {
    std::memset(out, 0, count * sizeof(uint64_t));
    return;
  }
  const uint64_t mask = bit_width == 64 ? ~0ull : (1ull << bit_width) - 1;
  uint64_t bit = 0;
  for (size_t i = 0; i < count; ++i, bit += static_cast<uint64_t>(bit_width)) {
    const uint64_t byte = bit >> 3;
    const int shift = static_cast<int>(bit & 7);
    const int need = (shift + bit_width + 7) / 8;  // bytes the value touches (≤ 9)
    uint64_t lo = 0;
    std::memcpy(&lo, data + byte, static_cast<size_t>(need < 8 ? need : 8));
    uint64_t v = lo >> shift;
    if (need > 8) v |= static_cast<uint64_t>(data[byte + 8]) << (64 - shift);
    out[i] = v & mask;
  }
}

// ---- RleEncoder -----------------------------------------------------------------------------

void RleEncoder::Begin(int bit_width, std::string* out) {
  out_ = out;
  bit_width_ = bit_width;
  num_buffered_ = 0;
  current_value_ = 0;
  repeat_count_ = 0;
  literal_count_ = 0;
  indicator_pos_ = -1;
}

void RleEncoder::PutRepeated(uint32_t value, uint64_t count) {
  while (count > 0 && !(value == current_value_ && repeat_count_ >= 8 && num_buffered_ == 0)) {
    Put(value);
    --count;
  }
  repeat_count_ += count;
}

void RleEncoder::FlushBufferedValues(bool done) {
  if (repeat_count_ >= 8) {
    // The 8 buffered values are all current_value_: they become the start of a repeated run.
    num_buffered_ = 0;
    if (literal_count_ != 0) FlushLiteralRun(true);
    return;
  }
  literal_count_ += static_cast<uint64_t>(num_buffered_);
  const uint64_t groups = literal_count_ / 8;
  FlushLiteralRun(done || groups + 1 >= 64);
  repeat_count_ = 0;
}

void RleEncoder::FlushLiteralRun(bool update_indicator) {
  if (indicator_pos_ < 0) {
    indicator_pos_ = static_cast<int64_t>(out_->size());
    out_->push_back(0);
  }
  if (num_buffered_ > 0) {
    for (int i = num_buffered_; i < 8; ++i) buffered_[i] = 0;
    PackGroup(buffered_, bit_width_, *out_);
    num_buffered_ = 0;
  }
  if (update_indicator) {
    const uint64_t groups = (literal_count_ + 7) / 8;
    (*out_)[static_cast<size_t>(indicator_pos_)] = static_cast<char>((groups << 1) | 1);
    indicator_pos_ = -1;
    literal_count_ = 0;
  }
}

void RleEncoder::FlushRepeatedRun() {
  AppendVarint(*out_, repeat_count_ << 1);
  const int bytes = (bit_width_ + 7) / 8;
  for (int i = 0; i < bytes; ++i) out_->push_back(static_cast<char>((current_value_ >> (8 * i)) & 0xFF));
  num_buffered_ = 0;
  repeat_count_ = 0;
}

void RleEncoder::Finish() {
  if (literal_count_ == 0 && repeat_count_ == 0 && num_buffered_ == 0) return;
  const bool all_repeat =
      literal_count_ == 0 && (repeat_count_ == static_cast<uint64_t>(num_buffered_) || num_buffered_ == 0);
  if (repeat_count_ > 0 && all_repeat) {
    FlushRepeatedRun();
  } else {
    literal_count_ += static_cast<uint64_t>(num_buffered_);
    FlushLiteralRun(true);
    repeat_count_ = 0;
  }
  num_buffered_ = 0;
  current_value_ = 0;
}

// ---- RleDecoder -----------------------------------------------------------------------------

void RleDecoder::Reset(const uint8_t* data, size_t size, int bit_width) {
  p_ = data;
  end_ = data + size;
  bit_width_ = bit_width;
  repeat_left_ = 0;
  literal_left_ = 0;
}

bool RleDecoder::NextRun() {
  uint64_t header = 0;
  for (int shift = 0;; shift += 7) {
    if (p_ >= end_ || shift > 63) return false;
    const uint8_t b = *p_++;
    header |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) break;
  }
  if (header & 1) {
    const uint64_t groups = header >> 1;
    const uint64_t bytes = groups * static_cast<uint64_t>(bit_width_);
    if (groups == 0) return NextRun();
    literal_ = p_;
    literal_bit_ = 0;
    // A final run may be cut short (writers pad only to the values they have): take what is there.
    const uint64_t available = static_cast<uint64_t>(end_ - p_);
    if (bytes > available) {
      literal_left_ = bit_width_ == 0 ? groups * 8 : available * 8 / static_cast<uint64_t>(bit_width_);
      p_ = end_;
    } else {
      literal_left_ = groups * 8;
      p_ += bytes;
    }
    return literal_left_ > 0;
  }
  repeat_left_ = header >> 1;
  const int bytes = (bit_width_ + 7) / 8;
  if (end_ - p_ < bytes) return false;
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint32_t>(p_[i]) << (8 * i);
  p_ += bytes;
  repeat_value_ = v;
  return repeat_left_ > 0 || NextRun();
}

size_t RleDecoder::Get(uint32_t* out, size_t n) {
  size_t got = 0;
  uint64_t tmp[64];
  while (got < n) {
    if (repeat_left_ == 0 && literal_left_ == 0 && !NextRun()) break;
    if (repeat_left_ > 0) {
      const size_t k = static_cast<size_t>(repeat_left_ < n - got ? repeat_left_ : n - got);
      for (size_t i = 0; i < k; ++i) out[got + i] = repeat_value_;
      got += k;
      repeat_left_ -= k;
      continue;
    }
    size_t k = static_cast<size_t>(literal_left_ < n - got ? literal_left_ : n - got);
    if (k > 64) k = 64;
    // UnpackBits starts at a byte: literal_bit_ is a multiple of 8 only at group starts, so
    // unpack from the containing byte and shift.
    const uint8_t* base = literal_ + (literal_bit_ >> 3);
    const int skip = static_cast<int>(literal_bit_ & 7);
    if (skip == 0) {
      UnpackBits(base, bit_width_, k, tmp);
      for (size_t i = 0; i < k; ++i) out[got + i] = static_cast<uint32_t>(tmp[i]);
    } else {
      for (size_t i = 0; i < k; ++i) {
        const uint64_t bit = literal_bit_ + i * static_cast<uint64_t>(bit_width_);
        uint64_t v;
        UnpackBits(literal_ + (bit >> 3), bit_width_ + static_cast<int>(bit & 7), 1, &v);
        out[got + i] = static_cast<uint32_t>(v >> (bit & 7));
      }
    }
    got += k;
    literal_left_ -= k;
    literal_bit_ += k * static_cast<uint64_t>(bit_width_);
  }
  return got;
}

}  // namespace sluice::parquet
