#pragma once
// CheckpointAcks: how a source learns that its checkpoints are durable at the destination, while
// it is still reading — so it may release what they cover upstream (a replication slot's flush
// position, a queue's acknowledgement), during the run rather than at the next one.
//
// Checkpoints are numbered by the order of the source's Emitter::EmitState calls in this Read:
// the first is 1. Commits happen in that order, so "committed() == N" means checkpoints 1..N are
// durable (coalesced ones included). Threads:
//   - the engine's destination thread calls Acknowledge(N) after the checkpoint was committed
//     by the destination *and* persisted (on_checkpoint returned OK) — never before;
//   - the source's thread calls committed() whenever it likes (between reads of its log), and
//     acts on it on its own thread (e.g. PgReplicationConnection::SendStatus).
// Lock-free: one atomic counter. Obtained from Emitter::acks(); null where nobody reports
// durability (`sluice connector read`: the Airbyte platform acknowledges nothing).

#include <atomic>
#include <cstdint>

namespace sluice {

class CheckpointAcks {
 public:
  //! Destination thread: checkpoints 1..`count` are durable and persisted. Never goes back.
  void Acknowledge(uint64_t count) {
    uint64_t cur = committed_.load(std::memory_order_relaxed);
    while (count > cur && !committed_.compare_exchange_weak(cur, count, std::memory_order_release)) {
    }
  }
  //! Any thread: how many of the source's checkpoints are durable (0 before the first commit).
  uint64_t committed() const { return committed_.load(std::memory_order_acquire); }

 private:
  std::atomic<uint64_t> committed_{0};
};

}  // namespace sluice
