#pragma once
// ParallelStreams: a source's streams read on N worker threads, their output funnelled into the
// one Emitter on the source thread (the Emitter is not thread-safe and belongs to that thread).
//
//   ParallelStreams streams(out, {.workers = config.max_parallel_streams});
//   streams.set_on_stop([&] { CancelRunningQueries(); });
//   return streams.Run(catalog.streams.size(), [&](size_t worker, uint32_t stream, Emitter& emitter) {
//     StreamBatcher batcher(emitter, stream, schema_of(stream));   // on the worker thread
//     SLUICE_RETURN_IF_ERROR(batcher.Start());
//     return batcher.Finish(ReadTheStream(worker, batcher));
//   });
//
// Guarantees:
//   - Order per stream: a stream's batches, states and statuses reach `out` in the order its
//     worker sent them, so a state goes out only after the batches it covers. Streams interleave.
//   - Bounded memory: each worker may queue at most `queued_events_per_worker` events (mostly
//     batches) ahead of the source thread; a worker blocks while the queue is full.
//   - Cancellation: once `out` is cancelled or fails, the queue stops: queued events are
//     dropped, the workers' emitters return Cancelled (and report cancelled()), on_stop runs so
//     blocking reads can be interrupted, streams not started are skipped.
//   - Errors: a stream that fails does not stop the others; Run returns the first error (a
//     stream's, the emitter's, or Cancelled). An error a stream returns while the run is
//     stopping counts as Cancelled (it is usually the interrupted read).
// Stream statuses are the streams' business (a StreamBatcher per stream sends them).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "connectors/sdk/source.h"

namespace sluice {

struct ParallelStreamsOptions {
  size_t workers = 2;  //!< worker threads (at most one per stream, at least one)
  //! Events a worker may have queued ahead of the source thread (default 3): memory in flight is
  //! about workers × this × one batch.
  size_t queued_events_per_worker = 3;
  //! How often the source thread checks out.cancelled() while no event arrives (default 100 ms).
  std::chrono::milliseconds poll_interval{100};
};

class ParallelStreams {
 public:
  //! Reads stream `stream` on worker thread `worker` (0 ≤ worker < workers()) from its STARTED to
  //! its COMPLETE or INCOMPLETE, sending everything to `out`: an Emitter for this call only, used
  //! from this worker thread only. Its calls block while the queue is full and return Cancelled
  //! once the run is stopping. The returned Status is the stream's outcome. Called concurrently
  //! for different streams; each worker reads its streams one after another.
  using ReadStream = std::function<Status(size_t worker, uint32_t stream, Emitter& out)>;

  //! `out` is the source's Emitter, called only from the thread that calls Run().
  ParallelStreams(Emitter& out, ParallelStreamsOptions options = {});
  ~ParallelStreams();
  ParallelStreams(const ParallelStreams&) = delete;
  ParallelStreams& operator=(const ParallelStreams&) = delete;

  //! Runs once, on the Run() thread, when the run starts stopping (after the queue stopped):
  //! interrupts reads blocked outside the emitter (e.g. cancels running queries). It runs while
  //! workers are busy: it must be safe against them. Set before Run().
  void set_on_stop(std::function<void()> on_stop) { on_stop_ = std::move(on_stop); }

  //! Reads streams 0..count-1, handed to workers in index order as they free up; returns once
  //! every worker is done. `stream_name` names a failed stream in the log (default: its index).
  //! Call once.
  Status Run(uint32_t count, const ReadStream& read, const std::function<std::string(uint32_t)>& stream_name = {});

  //! The worker threads Run() starts for `count` streams.
  size_t WorkersFor(uint32_t count) const;
  //! True once the run is stopping. Thread-safe.
  bool stopping() const;

 private:
  class Queue;
  class StreamEmitter;

  Emitter& out_;
  const ParallelStreamsOptions options_;
  std::function<void()> on_stop_;
  std::unique_ptr<Queue> queue_;
  std::atomic<uint32_t> next_{0};
};

}  // namespace sluice
