#include "connectors/kit/stream_batcher.h"

#include <algorithm>
#include <utility>

#include "base/time.h"

namespace sluice {

StreamBatcher::StreamBatcher(Emitter& out, uint32_t stream, SchemaPtr schema, BatchLimits limits)
    : out_(out), stream_(stream), schema_(std::move(schema)), limits_(limits), batch_(schema_, stream_) {}

Status StreamBatcher::Start() { return out_.EmitStreamStatus(stream_, StreamStatus::kStarted); }

Status StreamBatcher::EnsureRunning() {
  if (running_) return Status::Ok();
  running_ = true;
  return out_.EmitStreamStatus(stream_, StreamStatus::kRunning);
}

Status StreamBatcher::Flush() {
  if (out_.cancelled()) return Status::Cancelled();
  if (batch_.num_rows() == 0) return Status::Ok();
  SLUICE_RETURN_IF_ERROR(EnsureRunning());
  batch_.set_emitted_at_ms(NowMicros() / 1000);
  RecordBatch full = std::move(batch_);
  NewBatch(full);
  flushed_rows_ += full.num_rows();
  ++batches_;
  input_bytes_ = 0;
  return out_.Emit(std::move(full));
}

void StreamBatcher::NewBatch(RecordBatch& last) {
  batch_ = RecordBatch(schema_, stream_);
  if (!limits_.presize || last.num_rows() == 0) return;
  const size_t n = last.num_rows();
  const size_t rows = std::min(limits_.max_rows, n + n / 8 + 16);
  batch_.Reserve(rows);
  for (size_t i = 0; i < batch_.num_columns() && i < last.num_columns(); ++i) {
    Column& column = last.column(i);
    if (!IsVariableLength(column.type())) continue;
    const size_t bytes = column.bytes().size();
    // Scaled to the rows reserved, with an eighth to spare.
    if (bytes > 0) batch_.column(i).bytes().reserve(bytes / n * rows + bytes / 8 + 64);
  }
}

Status StreamBatcher::Checkpoint(StateMessage state) {
  SLUICE_RETURN_IF_ERROR(Flush());
  return out_.EmitState(std::move(state));
}

Status StreamBatcher::Truncate(int64_t at_us) {
  SLUICE_RETURN_IF_ERROR(Flush());
  SLUICE_RETURN_IF_ERROR(EnsureRunning());
  RecordBatch marker(schema_, stream_);
  marker.set_emitted_at_ms(NowMicros() / 1000);
  marker.set_truncated_at_us(at_us > 0 ? at_us : NowMicros());
  ++batches_;
  return out_.Emit(std::move(marker));
}

Status StreamBatcher::Finish(const Status& read_status) {
  if (!read_status.ok()) {
    if (!read_status.cancelled()) (void)out_.EmitStreamStatus(stream_, StreamStatus::kIncomplete);
    return read_status;
  }
  Status st = Flush();
  if (st.ok()) st = EnsureRunning();
  if (st.ok()) return out_.EmitStreamStatus(stream_, StreamStatus::kComplete);
  if (!st.cancelled()) (void)out_.EmitStreamStatus(stream_, StreamStatus::kIncomplete);
  return st;
}

}  // namespace sluice
