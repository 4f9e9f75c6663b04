#pragma once
// RecordBatch: a few thousand rows of one stream in columnar, Arrow-like layout.
//
// Each Column has a validity bitmap (bit set = value present, LSB first, as Arrow) and either
// fixed-width little-endian values or uint32 offsets + bytes. A null still occupies a slot
// (zeroes, or an empty byte range). Sources build batches row by row with the Append* calls and
// FinishRow(); destinations read columns directly. Buffers keep their capacity across Clear(),
// so a builder that is reused allocates nothing per record.
//
// Thread-safety: none; a batch is owned by one thread at a time (moved through the channel).

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/types.h"

namespace sluice {

//! A growable byte buffer for plain data: no zero-filling on growth, appends inline.
class PodBuffer {
 public:
  PodBuffer() = default;
  PodBuffer(const PodBuffer& other) { Append(other.data_, other.size_); }
  PodBuffer(PodBuffer&& other) noexcept : data_(other.data_), size_(other.size_), capacity_(other.capacity_) {
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
  }
  PodBuffer& operator=(PodBuffer other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
    return *this;
  }
  ~PodBuffer() { std::free(data_); }

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  //! Grows by `n` bytes (uninitialized) and returns where they start.
  uint8_t* Extend(size_t n) {
    if (size_ + n > capacity_) Grow(size_ + n);
    uint8_t* p = data_ + size_;
    size_ += n;
    return p;
  }
  void Append(const void* p, size_t n) {
    if (n > 0) std::memcpy(Extend(n), p, n);
  }
  void Resize(size_t n) {
    if (n > capacity_) Grow(n);
    size_ = n;
  }
  void Clear() { size_ = 0; }
  void Reserve(size_t n) {
    if (n > capacity_) Grow(n);
  }

 private:
  void Grow(size_t need);
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

class Column {
 public:
  explicit Column(TypeId type);

  TypeId type() const { return type_; }
  size_t size() const { return size_; }
  size_t null_count() const { return null_count_; }
  bool IsNull(size_t row) const { return (validity_.data()[row >> 3] & (1u << (row & 7))) == 0; }

  // Readers. REQUIRES: row < size() and the accessor matches type() (see types.h).
  bool Bool(size_t row) const { return values_.data()[row] != 0; }
  int32_t Int32(size_t row) const { return Load<int32_t>(row); }
  int64_t Int64(size_t row) const { return Load<int64_t>(row); }
  double Double(size_t row) const { return Load<double>(row); }
  std::string_view Bytes(size_t row) const {
    const uint32_t begin = Offset(row), end = Offset(row + 1);
    return std::string_view(data_.data() + begin, end - begin);
  }

  // Builders: each appends one value at row size().
  void AppendNull();
  void AppendBool(bool v) { AppendFixed<uint8_t>(v ? 1 : 0); }
  void AppendInt32(int32_t v) { AppendFixed(v); }
  void AppendInt64(int64_t v) { AppendFixed(v); }
  void AppendDouble(double v) { AppendFixed(v); }
  void AppendBytes(std::string_view v) {
    data_.append(v.data(), v.size());
    CommitBytes();
  }
  //! For writing a variable-length value in place: append to bytes(), then CommitBytes().
  std::string& bytes() { return data_; }
  void CommitBytes() {
    if (data_.size() > UINT32_MAX) ThrowTooLarge();
    const uint32_t end = static_cast<uint32_t>(data_.size());
    offsets_.Append(&end, sizeof(end));
    MarkValid();
  }
  //! Drops the bytes appended to bytes() since the last committed value.
  void DiscardUncommittedBytes() { data_.resize(Offset(size_)); }

  //! Keeps the first `rows` values (fewer than size(): nothing removed) and drops uncommitted
  //! bytes; O(removed rows). Keeps capacity.
  void TruncateTo(size_t rows);
  //! Removes all rows; keeps capacity.
  void Clear();
  //! Makes room for `rows` values (and `data_bytes` of variable-length data) without regrowth.
  void Reserve(size_t rows, size_t data_bytes = 0);
  //! Memory held by values (not capacity), used for channel accounting.
  size_t ByteSize() const { return validity_.size() + values_.size() + offsets_.size() + data_.size(); }

 private:
  template <typename T>
  T Load(size_t row) const {
    T v;
    std::memcpy(&v, values_.data() + row * sizeof(T), sizeof(T));
    return v;
  }
  uint32_t Offset(size_t i) const { return Load32(offsets_, i); }
  static uint32_t Load32(const PodBuffer& b, size_t i) {
    uint32_t v;
    std::memcpy(&v, b.data() + i * 4, 4);
    return v;
  }
  template <typename T>
  void AppendFixed(T v) {
    std::memcpy(values_.Extend(sizeof(T)), &v, sizeof(T));
    MarkValid();
  }
  void MarkValid() {
    if ((size_ & 7) == 0) *validity_.Extend(1) = 0;
    validity_.data()[size_ >> 3] |= static_cast<uint8_t>(1u << (size_ & 7));
    ++size_;
  }
  [[noreturn]] static void ThrowTooLarge();

  TypeId type_;
  size_t size_ = 0;
  size_t null_count_ = 0;
  PodBuffer validity_;
  PodBuffer values_;
  PodBuffer offsets_;  //!< uint32 offsets, size()+1 of them for variable-length types
  std::string data_;
};

//! Airbyte's record-level change notes (`_airbyte_meta.changes`).
enum class ChangeKind : uint8_t { kNulled, kTruncated };
enum class ChangeReason : uint8_t {
  kSourceRecordSizeLimitation,
  kDestinationRecordSizeLimitation,
  kPlatformRecordSizeLimitation,
  kSourceFieldSizeLimitation,
  kDestinationFieldSizeLimitation,
  kPlatformFieldSizeLimitation,
  kSourceSerializationError,
  kDestinationSerializationError,
  kPlatformSerializationError,
  kSourceRetrievalError,
  kDestinationTypecastError,
};
std::string_view ChangeKindName(ChangeKind kind);
std::string_view ChangeReasonName(ChangeReason reason);
bool ParseChangeKind(std::string_view name, ChangeKind& out);
bool ParseChangeReason(std::string_view name, ChangeReason& out);

struct RecordChange {
  uint32_t row;
  std::string field;
  ChangeKind change;
  ChangeReason reason;
};

class RecordBatch {
 public:
  RecordBatch() = default;
  //! `stream` is the stream's index in the run's ConfiguredCatalog.
  RecordBatch(SchemaPtr schema, uint32_t stream);

  const Schema& schema() const { return *schema_; }
  const SchemaPtr& schema_ptr() const { return schema_; }
  uint32_t stream() const { return stream_; }
  size_t num_rows() const { return num_rows_; }
  size_t num_columns() const { return columns_.size(); }
  const Column& column(size_t i) const { return columns_[i]; }
  Column& column(size_t i) { return columns_[i]; }

  //! Ends the current row: columns that got no value are padded with null.
  //! REQUIRES: no column got more than one value for this row.
  void FinishRow() {
    for (auto& c : columns_) {
      if (c.size() == num_rows_) c.AppendNull();
    }
    ++num_rows_;
  }
  //! Drops the values appended for the unfinished current row.
  void AbandonRow();

  //! Notes a change to `field` of the current (unfinished) row.
  void AddChange(std::string_view field, ChangeKind change, ChangeReason reason) {
    changes_.push_back({static_cast<uint32_t>(num_rows_), std::string(field), change, reason});
  }
  //! Changes sorted by row (appended in row order).
  const std::vector<RecordChange>& changes() const { return changes_; }

  //! When the source emitted these records, epoch milliseconds.
  int64_t emitted_at_ms() const { return emitted_at_ms_; }
  void set_emitted_at_ms(int64_t ms) { emitted_at_ms_ = ms; }

  //! A replicated TRUNCATE (CDC): the source emptied the stream's table at this time (Unix µs)
  //! before this batch's rows, so the rows of earlier batches are gone there; 0 = none. Such a
  //! batch may have no rows. The engine hands it to StreamWriter::Truncate before its rows.
  int64_t truncated_at_us() const { return truncated_at_us_; }
  void set_truncated_at_us(int64_t us) { truncated_at_us_ = us; }

  size_t ByteSize() const;
  //! Removes all rows; keeps capacity.
  void Clear();
  //! Makes room for `rows` rows in every column (variable-length data is sized by the caller).
  void Reserve(size_t rows);

 private:
  SchemaPtr schema_;
  uint32_t stream_ = 0;
  size_t num_rows_ = 0;
  int64_t emitted_at_ms_ = 0;
  int64_t truncated_at_us_ = 0;
  std::vector<Column> columns_;
  std::vector<RecordChange> changes_;
};

}  // namespace sluice
