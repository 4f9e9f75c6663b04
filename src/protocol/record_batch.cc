#include "protocol/record_batch.h"

#include <stdexcept>

namespace sluice {

Column::Column(TypeId type) : type_(type) {
  if (IsVariableLength(type)) offsets_.push_back(0);
}

void Column::AppendNull() {
  if ((size_ & 7) == 0) validity_.push_back(0);
  if (IsVariableLength(type_)) {
    DiscardUncommittedBytes();
    offsets_.push_back(static_cast<uint32_t>(data_.size()));
  } else {
    values_.resize(values_.size() + static_cast<size_t>(FixedWidth(type_)));
  }
  ++size_;
  ++null_count_;
}

void Column::CommitBytes() {
  if (data_.size() > UINT32_MAX) throw std::length_error("column bytes exceed 4 GiB in one batch");
  offsets_.push_back(static_cast<uint32_t>(data_.size()));
  MarkValid();
}

void Column::Clear() {
  size_ = 0;
  null_count_ = 0;
  validity_.clear();
  values_.clear();
  data_.clear();
  if (IsVariableLength(type_)) {
    offsets_.clear();
    offsets_.push_back(0);
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

bool ParseChangeKind(std::string_view name, ChangeKind& out) {
  for (size_t i = 0; i < std::size(kKindNames); ++i) {
    if (kKindNames[i] == name) {
      out = static_cast<ChangeKind>(i);
      return true;
    }
  }
  return false;
}

bool ParseChangeReason(std::string_view name, ChangeReason& out) {
  for (size_t i = 0; i < std::size(kReasonNames); ++i) {
    if (kReasonNames[i] == name) {
      out = static_cast<ChangeReason>(i);
      return true;
    }
  }
  return false;
}

RecordBatch::RecordBatch(SchemaPtr schema, uint32_t stream) : schema_(std::move(schema)), stream_(stream) {
  columns_.reserve(schema_->num_fields());
  for (const auto& f : schema_->fields()) columns_.emplace_back(f.type);
}

void RecordBatch::AbandonRow() {
  // Rebuilding the row is rare (a rejected input line), so truncate by copying the good rows.
  for (size_t i = 0; i < columns_.size(); ++i) {
    Column& c = columns_[i];
    if (c.size() == num_rows_) {
      if (IsVariableLength(c.type())) c.DiscardUncommittedBytes();
      continue;
    }
    Column kept(c.type());
    for (size_t r = 0; r < num_rows_; ++r) {
      if (c.IsNull(r)) {
        kept.AppendNull();
        continue;
      }
      switch (FixedWidth(c.type())) {
        case 0: kept.AppendBytes(c.Bytes(r)); break;
        case 1: kept.AppendBool(c.Bool(r)); break;
        case 4: kept.AppendInt32(c.Int32(r)); break;
        default: kept.AppendInt64(c.Int64(r)); break;
      }
    }
    c = std::move(kept);
  }
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
