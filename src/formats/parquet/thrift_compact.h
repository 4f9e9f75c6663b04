#pragma once
// The Thrift compact protocol, hand-coded: just what Parquet's metadata (parquet.thrift) needs.
//
// Encoding summary: integers are zigzag varints (i8 is one raw byte); a field header is one byte
// (field-id delta << 4 | type) when the delta to the previous field of the same struct is 1..15,
// else the type byte followed by the zigzag varint id; a boolean field carries its value in the
// type nibble (1 true, 2 false); binary/string is a varint length and the bytes; a list header is
// (size << 4 | element type) for sizes < 15, else (0xF0 | type) and a varint size; a struct ends
// with a 0 byte.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sluice::thrift {

//! Compact-protocol type codes (as they appear in field and list headers).
enum class CType : uint8_t {
  kStop = 0,
  kTrue = 1,  //!< a boolean field with value true; as a list element type: BOOL
  kFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

//! Appends compact-protocol bytes to a string. Fields must be written in increasing id order
//! inside each struct (the delta form needs it; Parquet's writers all do so).
class CompactWriter {
 public:
  explicit CompactWriter(std::string& out) : out_(out) {}

  void FieldI32(int16_t id, int32_t v) {
    FieldHeader(CType::kI32, id);
    Varint(ZigZag(v));
  }
  void FieldI64(int16_t id, int64_t v) {
    FieldHeader(CType::kI64, id);
    Varint(ZigZag(v));
  }
  void FieldI8(int16_t id, int8_t v) {
    FieldHeader(CType::kByte, id);
    out_.push_back(static_cast<char>(v));
  }
  void FieldBool(int16_t id, bool v) { FieldHeader(v ? CType::kTrue : CType::kFalse, id); }
  void FieldBinary(int16_t id, std::string_view v) {
    FieldHeader(CType::kBinary, id);
    Binary(v);
  }
  //! Opens a struct-valued field; close it with StructEnd().
  void FieldStructBegin(int16_t id) {
    FieldHeader(CType::kStruct, id);
    StructBegin();
  }
  //! Opens a list-valued field; then write `size` elements with the element calls below.
  void FieldListBegin(int16_t id, CType element, uint32_t size) {
    FieldHeader(CType::kList, id);
    ListHeader(element, size);
  }

  //! A struct as a list element (or the top-level message): StructBegin, fields, StructEnd.
  void StructBegin() {
    last_ids_.push_back(last_id_);
    last_id_ = 0;
  }
  //! Writes the stop byte and returns to the enclosing struct.
  void StructEnd() {
    out_.push_back(0);
    last_id_ = last_ids_.empty() ? 0 : last_ids_.back();
    if (!last_ids_.empty()) last_ids_.pop_back();
  }

  // List elements.
  void ElementI32(int32_t v) { Varint(ZigZag(v)); }
  void ElementI64(int64_t v) { Varint(ZigZag(v)); }
  void ElementBinary(std::string_view v) { Binary(v); }

  void ListHeader(CType element, uint32_t size);
  void Varint(uint64_t v);
  void Binary(std::string_view v) {
    Varint(v.size());
    out_.append(v.data(), v.size());
  }
  static uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }

 private:
  void FieldHeader(CType type, int16_t id);

  std::string& out_;
  int16_t last_id_ = 0;
  std::vector<int16_t> last_ids_;
};

//! Reads compact-protocol bytes from a buffer. Every call checks bounds; after the first
//! problem ok() is false and values read are zero. Nesting deeper than 64 levels is an error.
class CompactReader {
 public:
  CompactReader(const uint8_t* data, size_t size) : p_(data), end_(data + size), begin_(data) {}

  //! Reads a field header: `type` kStop at the end of a struct. A boolean field's value is
  //! then available from BoolValue().
  void FieldBegin(CType& type, int16_t& id);
  bool BoolValue() const { return bool_value_; }
  void StructBegin();
  void StructEnd();
  void ListBegin(CType& element, uint32_t& size);

  int64_t I64() { return UnZigZag(Varint()); }
  int32_t I32() { return static_cast<int32_t>(UnZigZag(Varint())); }
  int8_t I8();
  //! Reads an element of a bool list (1 true; 0 and 2 false, as old writers used 0).
  bool BoolElement() { return I8() == 1; }
  double Double();
  //! A view into the buffer; valid as long as the buffer.
  std::string_view Binary();
  //! Skips a value of `type` (whole structs, lists, sets and maps included).
  void Skip(CType type);

  bool ok() const { return ok_; }
  size_t position() const { return static_cast<size_t>(p_ - begin_); }
  //! Marks the input as malformed (a required field missing, a value out of range, ...).
  void Fail() {
    ok_ = false;
    p_ = end_;
  }

  uint64_t Varint();
  static int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* begin_;
  bool ok_ = true;
  bool bool_value_ = false;
  int16_t last_id_ = 0;
  std::vector<int16_t> last_ids_;
};

}  // namespace sluice::thrift
