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
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/types.h"

namespace sluice {

class Column {
 public:
  explicit Column(TypeId type);

  TypeId type() const { return type_; }
  size_t size() const { return size_; }
  size_t null_count() const { return null_count_; }
  bool IsNull(size_t row) const { return (validity_[row >> 3] & (1u << (row & 7))) == 0; }

  // Readers. REQUIRES: row < size() and the accessor matches type() (see types.h).
  bool Bool(size_t row) const { return values_[row] != 0; }
  int32_t Int32(size_t row) const { return Load<int32_t>(row); }
  int64_t Int64(size_t row) const { return Load<int64_t>(row); }
  double Double(size_t row) const { return Load<double>(row); }
  std::string_view Bytes(size_t row) const {
    return std::string_view(data_.data() + offsets_[row], offsets_[row + 1] - offsets_[row]);
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
  void CommitBytes();
  //! Drops the bytes appended to bytes() since the last committed value.
  void DiscardUncommittedBytes() { data_.resize(offsets_[size_]); }

  //! Removes all rows; keeps capacity.
  void Clear();
  //! Memory held by values (not capacity), used for channel accounting.
  size_t ByteSize() const { return validity_.size() + values_.size() + offsets_.size() * 4 + data_.size(); }

 private:
  template <typename T>
  T Load(size_t row) const {
    T v;
    std::memcpy(&v, values_.data() + row * sizeof(T), sizeof(T));
    return v;
  }
  template <typename T>
  void AppendFixed(T v) {
    const size_t at = values_.size();
    values_.resize(at + sizeof(T));
    std::memcpy(values_.data() + at, &v, sizeof(T));
    MarkValid();
  }
  void MarkValid() {
    if ((size_ & 7) == 0) validity_.push_back(0);
    validity_[size_ >> 3] |= static_cast<uint8_t>(1u << (size_ & 7));
    ++size_;
  }

  TypeId type_;
  size_t size_ = 0;
  size_t null_count_ = 0;
  std::vector<uint8_t> validity_;
  std::vector<uint8_t> values_;
  std::vector<uint32_t> offsets_;
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

  size_t ByteSize() const;
  //! Removes all rows; keeps capacity.
  void Clear();

 private:
  SchemaPtr schema_;
  uint32_t stream_ = 0;
  size_t num_rows_ = 0;
  int64_t emitted_at_ms_ = 0;
  std::vector<Column> columns_;
  std::vector<RecordChange> changes_;
};

}  // namespace sluice
