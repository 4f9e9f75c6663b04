#include "connectors/sources/postgres/pg_copy_decoder.h"

#include <fmt/format.h>

#include <cstring>

namespace sluice {

namespace {

constexpr uint8_t kSignature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xFF, '\r', '\n', 0};
constexpr uint32_t kFlagWithOids = 1u << 16;

bool IsInfiniteDate(const uint8_t* p) {
  const int32_t v = static_cast<int32_t>(pgbin::Load32(p));
  return v == pgbin::kDateInfinity || v == pgbin::kDateMinusInfinity;
}

}  // namespace

CopyDecoder::CopyDecoder(std::vector<ColumnSpec> columns, int cursor) : columns_(std::move(columns)), cursor_(cursor) {}

void CopyDecoder::Reset() {
  header_done_ = false;
  trailer_seen_ = false;
  carry_.clear();
}

void CopyDecoder::ResetCursor() {
  last_cursor_.clear();
  has_cursor_ = false;
  last_cursor_rows_ = 0;
}

Status CopyDecoder::Malformed(std::string_view what) const {
  return Status::SystemError(fmt::format("malformed binary COPY data at row {}: {}", rows_ + 1, what));
}

Status CopyDecoder::Feed(const uint8_t* data, size_t size, RecordBatch& batch) {
  if (carry_.empty()) {
    const uint8_t* p = data;
    SLUICE_RETURN_IF_ERROR(DecodeRows(p, data + size, batch));
    if (p != data + size) carry_.assign(reinterpret_cast<const char*>(p), static_cast<size_t>(data + size - p));
    return Status::Ok();
  }
  carry_.append(reinterpret_cast<const char*>(data), size);
  const uint8_t* begin = reinterpret_cast<const uint8_t*>(carry_.data());
  const uint8_t* p = begin;
  SLUICE_RETURN_IF_ERROR(DecodeRows(p, begin + carry_.size(), batch));
  carry_.erase(0, static_cast<size_t>(p - begin));
  return Status::Ok();
}

Status CopyDecoder::Finish() const {
  if (!header_done_) return Malformed("the stream ended before its header");
  if (!trailer_seen_) return Malformed("the stream ended without its trailer");
  if (!carry_.empty()) return Malformed("bytes after the trailer");
  return Status::Ok();
}

Status CopyDecoder::DecodeRows(const uint8_t*& p, const uint8_t* end, RecordBatch& batch) {
  using pgbin::Load16;
  using pgbin::Load32;
  if (!header_done_) {
    if (end - p < 19) return Status::Ok();
    if (std::memcmp(p, kSignature, sizeof(kSignature)) != 0) return Malformed("bad signature");
    const uint32_t flags = Load32(p + 11);
    const uint32_t extension = Load32(p + 15);
    if (flags & kFlagWithOids) return Malformed("unexpected OIDs");
    if (static_cast<uint64_t>(end - p) < 19 + static_cast<uint64_t>(extension)) return Status::Ok();
    p += 19 + extension;
    header_done_ = true;
  }
  const size_t ncols = columns_.size();
  while (end - p >= 2) {
    if (trailer_seen_) return Malformed("data after the trailer");
    const int16_t count = static_cast<int16_t>(Load16(p));
    if (count == -1) {
      trailer_seen_ = true;
      p += 2;
      continue;
    }
    if (static_cast<size_t>(count) != ncols) {
      return Malformed(fmt::format("{} fields, expected {}", count, ncols));
    }
    // Find the row's end first, so an incomplete row leaves the batch untouched.
    const uint8_t* q = p + 2;
    bool complete = true;
    for (size_t i = 0; i < ncols; ++i) {
      if (end - q < 4) {
        complete = false;
        break;
      }
      const int32_t len = static_cast<int32_t>(Load32(q));
      q += 4;
      if (len < 0) {
        if (len != -1) return Malformed(fmt::format("column {}: negative length {}", i + 1, len));
        continue;
      }
      if (end - q < len) {
        complete = false;
        break;
      }
      q += len;
    }
    if (!complete) return Status::Ok();  // the rest arrives with the next Feed

    q = p + 2;
    const uint8_t* cursor_value = nullptr;
    int32_t cursor_len = -1;
    for (size_t i = 0; i < ncols; ++i) {
      const int32_t len = static_cast<int32_t>(Load32(q));
      q += 4;
      Column& column = batch.column(i);
      if (len < 0) {
        column.AppendNull();
        continue;
      }
      const ColumnSpec& spec = columns_[i];
      if (spec.decoder == pgbin::Decoder::kDate && len == 4 && IsInfiniteDate(q)) {
        // The internal date type has no infinity: null, with the reason in the record's meta.
        column.AppendNull();
        batch.AddChange(batch.schema().field(i).name, ChangeKind::kNulled, ChangeReason::kSourceSerializationError);
      } else if (!pgbin::AppendValue(column, spec.decoder, spec.element, q, static_cast<size_t>(len))) {
        batch.AbandonRow();
        return Malformed(fmt::format("column {} ('{}'): invalid value of {} bytes", i + 1,
                                     batch.schema().field(i).name, len));
      }
      if (static_cast<int>(i) == cursor_) {
        cursor_value = q;
        cursor_len = len;
      }
      q += len;
    }
    batch.FinishRow();
    ++rows_;
    p = q;
    if (cursor_value != nullptr) {
      const std::string_view v(reinterpret_cast<const char*>(cursor_value), static_cast<size_t>(cursor_len));
      if (has_cursor_ && v == last_cursor_) {
        ++last_cursor_rows_;
      } else {
        last_cursor_.assign(v);
        has_cursor_ = true;
        last_cursor_rows_ = 1;
      }
    }
  }
  return Status::Ok();
}

}  // namespace sluice
