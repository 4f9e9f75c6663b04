#pragma once
// Channel: the bounded queue between the source thread and the destination thread.
// Bounded in bytes, so memory is bounded by the channel, never by table size. One producer, one
// consumer; thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>

#include "connectors/sdk/source.h"
#include "protocol/record_batch.h"
#include "protocol/state.h"

namespace sluice {

struct ChannelItem {
  enum class Kind { kBatch, kState, kStreamStatus };
  Kind kind = Kind::kBatch;
  RecordBatch batch;        //!< kBatch
  StateMessage state;       //!< kState
  uint32_t stream = 0;      //!< kStreamStatus
  StreamStatus status = StreamStatus::kStarted;  //!< kStreamStatus
  size_t bytes = 0;         //!< what the item counts against the capacity
};

class Channel {
 public:
  explicit Channel(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  //! Blocks while the channel is full (an item larger than the capacity still enters an empty
  //! channel). Returns false, dropping the item, once the channel was aborted.
  bool Push(ChannelItem item);
  enum class PopResult { kItem, kEnd, kTimeout };
  //! Waits up to `timeout` for an item. kEnd: the producer closed and everything was popped.
  PopResult Pop(ChannelItem& item, std::chrono::milliseconds timeout);
  //! The producer is done; the consumer drains what is left.
  void Close();
  //! Stops both sides: pending and future pushes fail; pops report kEnd.
  void Abort();
  size_t bytes_in_flight() const;

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<ChannelItem> items_;
  size_t bytes_ = 0;
  bool closed_ = false;
  bool aborted_ = false;
};

}  // namespace sluice
