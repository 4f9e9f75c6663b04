#include "protocol/record_batch.h"

#include <new>
#include <stdexcept>

namespace sluice {

void PodBuffer::Grow(size_t need) {
  size_t cap = capacity_ < 64 ? 64 : capacity_;
  while (cap < need) cap *= 2;
  auto* p = static_cast<uint8_t*>(std::realloc(data_, cap));
  if (p == nullptr) throw std::bad_alloc();
  data_ = p;
  capacity_ = cap;
}

Column::Column(TypeId type) : type_(type) {
  if (IsVariableLength(type)) {
    const uint32_t zero = 0;
    offsets_.Append(&zero, sizeof(zero));
  }
}

void Column::Reserve(size_t rows, size_t data_bytes) {
  validity_.Reserve(rows / 8 + 1);
  if (IsVariableLength(type_)) {
    offsets_.Reserve((rows + 1) * 4);
    if (data_bytes > 0) data_.reserve(data_bytes);
  } else {
    values_.Reserve(rows * static_cast<size_t>(FixedWidth(type_)));
  }
}

void RecordBatch::Reserve(size_t rows) {
  for (auto& c : columns_) c.Reserve(rows);
}

void Column::ThrowTooLarge() { throw std::length_error("column bytes exceed 4 GiB in one batch"); }

void Column::AppendNull() {
  if ((size_ & 7) == 0) *validity_.Extend(1) = 0;
  if (IsVariableLength(type_)) {
    DiscardUncommittedBytes();
    const uint32_t end = static_cast<uint32_t>(data_.size());
    offsets_.Append(&end, sizeof(end));
  } else {
    const size_t w = static_cast<size_t>(FixedWidth(type_));
    std::memset(values_.Extend(w), 0, w);
  }
  ++size_;
  ++null_count_;
}

void Column::TruncateTo(size_t rows) {
  if (rows < size_) {
    for (size_t r = rows; r < size_; ++r) null_count_ -= IsNull(r) ? 1 : 0;
    validity_.Resize((rows + 7) / 8);
    if ((rows & 7) != 0) validity_.data()[rows >> 3] &= static_cast<uint8_t>((1u << (rows & 7)) - 1);
    if (IsVariableLength(type_)) {
      offsets_.Resize((rows + 1) * 4);
    } else {
      values_.Resize(rows * static_cast<size_t>(FixedWidth(type_)));
    }
    size_ = rows;
  }
  if (IsVariableLength(type_)) DiscardUncommittedBytes();
}

void Column::Clear() {
  size_ = 0;
  null_count_ = 0;
  validity_.Clear();
  values_.Clear();
  data_.clear();
  if (IsVariableLength(type_)) {
    offsets_.Clear();
    const uint32_t zero = 0;
    offsets_.Append(&zero, sizeof(zero));
  }
}

namespace {
constexpr std::string_view kKindNames[] = {"NULLED", "TRUNCATED"};
constexpr std::string_view kReasonNames[] = {
    "SOURCE_RECORD_SIZE_LIMITATION",  "DESTINATION_RECORD_SIZE_LIMITATION", "PLATFORM_RECORD_SIZE_LIMITATION",
    "SOURCE_FIELD_SIZE_LIMITATION",   "DESTINATION_FIELD_SIZE_LIMITATION",  "PLATFORM_FIELD_SIZE_LIMITATION",
    "SOURCE_SERIALIZATION_ERROR",     "DESTINATION_SERIALIZATION_ERROR",    "PLATFORM_SERIALIZATION_ERROR",
    "SOURCE_RETRIEVAL_ERROR",         "DESTINATION_TYPECAST_ERROR",
};
}  // namespace

std::string_view ChangeKindName(ChangeKind kind) { return kKindNames[static_cast<int>(kind)]; }
std::string_view ChangeReasonName(ChangeReason reason) { return kReasonNames[static_cast<int>(reason)]; }

bool ParseChangeKind(std::string_view name, ChangeKind& out) { return ParseEnumName(kKindNames, name, out); }
bool ParseChangeReason(std::string_view name, ChangeReason& out) { return ParseEnumName(kReasonNames, name, out); }

RecordBatch::RecordBatch(SchemaPtr schema, uint32_t stream) : schema_(std::move(schema)), stream_(stream) {
  columns_.reserve(schema_->num_fields());
  for (const auto& f : schema_->fields()) columns_.emplace_back(f.type);
}

void RecordBatch::AbandonRow() {
  for (Column& c : columns_) c.TruncateTo(num_rows_);
  while (!changes_.empty() && changes_.back().row == num_rows_) changes_.pop_back();
}

size_t RecordBatch::ByteSize() const {
  size_t n = 0;
  for (const auto& c : columns_) n += c.ByteSize();
  return n;
}

void RecordBatch::Clear() {
  for (auto& c : columns_) c.Clear();
  changes_.clear();
  num_rows_ = 0;
}

}  // namespace sluice
