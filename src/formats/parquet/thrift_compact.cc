#include "formats/parquet/thrift_compact.h"

#include <cstring>

namespace sluice::thrift {

namespace {
constexpr size_t kMaxDepth = 64;
}  // namespace

// ---- CompactWriter --------------------------------------------------------------------------

void CompactWriter::Varint(uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out_.append(buf, static_cast<size_t>(n));
}

void CompactWriter::FieldHeader(CType type, int16_t id) {
  const int delta = id - last_id_;
  if (delta > 0 && delta <= 15) {
    out_.push_back(static_cast<char>((delta << 4) | static_cast<int>(type)));
  } else {
    out_.push_back(static_cast<char>(type));
    Varint(ZigZag(id));
  }
  last_id_ = id;
}

void CompactWriter::ListHeader(CType element, uint32_t size) {
  if (size < 15) {
    out_.push_back(static_cast<char>((size << 4) | static_cast<uint32_t>(element)));
  } else {
    out_.push_back(static_cast<char>(0xF0 | static_cast<int>(element)));
    Varint(size);
  }
}

// ---- CompactReader --------------------------------------------------------------------------

uint64_t CompactReader::Varint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p_ >= end_) {
      Fail();
      return 0;
    }
    const uint8_t b = *p_++;
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return v;
  }
  Fail();
  return 0;
}

int8_t CompactReader::I8() {
  if (p_ >= end_) {
    Fail();
    return 0;
  }
  return static_cast<int8_t>(*p_++);
}

double CompactReader::Double() {
  if (end_ - p_ < 8) {
    Fail();
    return 0;
  }
  double d;
  std::memcpy(&d, p_, 8);
  p_ += 8;
  return d;
}

std::string_view CompactReader::Binary() {
  const uint64_t n = Varint();
  if (!ok_ || n > static_cast<uint64_t>(end_ - p_)) {
    Fail();
    return {};
  }
  std::string_view v(reinterpret_cast<const char*>(p_), n);
  p_ += n;
  return v;
}

void CompactReader::FieldBegin(CType& type, int16_t& id) {
  id = 0;
  type = CType::kStop;
  if (p_ >= end_) {
    Fail();
    return;
  }
  const uint8_t b = *p_++;
  type = static_cast<CType>(b & 0x0F);
  if (type == CType::kStop) return;
  const int delta = b >> 4;
  if (delta != 0) {
    id = static_cast<int16_t>(last_id_ + delta);
  } else {
    id = static_cast<int16_t>(UnZigZag(Varint()));
  }
  last_id_ = id;
  if (type == CType::kTrue || type == CType::kFalse) bool_value_ = type == CType::kTrue;
  if (static_cast<uint8_t>(type) > static_cast<uint8_t>(CType::kStruct)) Fail();
}

void CompactReader::StructBegin() {
  if (last_ids_.size() >= kMaxDepth) {
    Fail();
    return;
  }
  last_ids_.push_back(last_id_);
  last_id_ = 0;
}

void CompactReader::StructEnd() {
  if (last_ids_.empty()) {
    Fail();
    return;
  }
  last_id_ = last_ids_.back();
  last_ids_.pop_back();
}

void CompactReader::ListBegin(CType& element, uint32_t& size) {
  const uint8_t b = static_cast<uint8_t>(I8());
  element = static_cast<CType>(b & 0x0F);
  size = b >> 4;
  if (size == 15) {
    const uint64_t n = Varint();
    // Every element takes at least one byte, except booleans... which take one too.
    if (n > static_cast<uint64_t>(end_ - p_)) {
      Fail();
      size = 0;
      return;
    }
    size = static_cast<uint32_t>(n);
  }
  if (!ok_) size = 0;
}

void CompactReader::Skip(CType type) {
  if (!ok_) return;
  switch (type) {
    case CType::kTrue:
    case CType::kFalse:
      // A boolean field has no payload; a boolean list element is one byte (handled by the caller
      // passing kByte).
      return;
    case CType::kByte: I8(); return;
    case CType::kI16:
    case CType::kI32:
    case CType::kI64: Varint(); return;
    case CType::kDouble:
      if (end_ - p_ < 8) {
        Fail();
      } else {
        p_ += 8;
      }
      return;
    case CType::kBinary: Binary(); return;
    case CType::kList:
    case CType::kSet: {
      CType element;
      uint32_t size;
      ListBegin(element, size);
      if (last_ids_.size() >= kMaxDepth) {
        Fail();
        return;
      }
      const CType each = (element == CType::kTrue || element == CType::kFalse) ? CType::kByte : element;
      for (uint32_t i = 0; i < size && ok_; ++i) Skip(each);
      return;
    }
    case CType::kMap: {
      const uint64_t size = Varint();
      if (size == 0 || !ok_) return;
      const uint8_t kinds = static_cast<uint8_t>(I8());
      CType key = static_cast<CType>(kinds >> 4), value = static_cast<CType>(kinds & 0x0F);
      if (key == CType::kTrue || key == CType::kFalse) key = CType::kByte;
      if (value == CType::kTrue || value == CType::kFalse) value = CType::kByte;
      if (size > static_cast<uint64_t>(end_ - p_)) {
        Fail();
        return;
      }
      for (uint64_t i = 0; i < size && ok_; ++i) {
        Skip(key);
        Skip(value);
      }
      return;
    }
    case CType::kStruct: {
      StructBegin();
      for (;;) {
        CType t;
        int16_t id;
        FieldBegin(t, id);
        if (!ok_ || t == CType::kStop) break;
        Skip(t);
      }
      StructEnd();
      return;
    }
    case CType::kStop: Fail(); return;
  }
  Fail();
}

}  // namespace sluice::thrift
