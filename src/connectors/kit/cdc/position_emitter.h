#pragma once
// PositionEmitter<Position>: an Emitter wrapper a CDC reader emits through, so it learns which of
// its log positions the destination has made durable — for moving a replication slot
// (PostgreSQL) or measuring replication lag (MySQL).
//
// It numbers the checkpoints as the engine does (1 = the first EmitState of this Read) and, for
// each, remembers the position the reader's GlobalState() saved (read from the referenced
// `position` at the time of the EmitState call), so a CheckpointAcks count maps back to a
// position. Positions only move forward, so the newest acknowledged one is the latest popped.
// Everything else is forwarded. Source thread only; `out` and `position` outlive it.

#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "connectors/sdk/checkpoint_acks.h"
#include "connectors/sdk/source.h"

namespace sluice {

template <class Position>
class PositionEmitter : public Emitter {
 public:
  PositionEmitter(Emitter& out, const Position& position) : out_(out), position_(position) {}
  Status Emit(RecordBatch batch) override { return out_.Emit(std::move(batch)); }
  Status EmitState(StateMessage state) override {
    emitted_.push_back({++count_, position_});
    return out_.EmitState(std::move(state));
  }
  Status EmitStreamStatus(uint32_t stream, StreamStatus status) override {
    return out_.EmitStreamStatus(stream, status);
  }
  bool cancelled() const override { return out_.cancelled(); }
  const CheckpointAcks* acks() const override { return out_.acks(); }
  void ReportReplicationLag(uint64_t bytes) override { out_.ReportReplicationLag(bytes); }
  Status EmitConnectorConfig(const Json& config) override { return out_.EmitConnectorConfig(config); }

  //! The position of the newest acknowledged checkpoint not taken before; nullopt when none was
  //! acknowledged since the last call (or nobody reports acknowledgements).
  std::optional<Position> TakeDurable() {
    const CheckpointAcks* acks = out_.acks();
    if (acks == nullptr) return std::nullopt;
    const uint64_t committed = acks->committed();
    std::optional<Position> newest;
    while (!emitted_.empty() && emitted_.front().first <= committed) {
      newest = std::move(emitted_.front().second);
      emitted_.pop_front();
    }
    return newest;
  }

 private:
  Emitter& out_;
  const Position& position_;  //!< what GlobalState() saves at the time of EmitState
  uint64_t count_ = 0;
  std::deque<std::pair<uint64_t, Position>> emitted_;  //!< not yet acknowledged: (number, position)
};

}  // namespace sluice
