#include "connectors/kit/parallel_streams.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/log.h"

namespace sluice {

namespace {

//! What a worker hands to the source thread.
struct Event {
  enum class Kind { kBatch, kState, kStatus, kFinished };
  Kind kind = Kind::kBatch;
  uint32_t stream = 0;
  RecordBatch batch;                              //!< kBatch
  StateMessage state;                             //!< kState
  StreamStatus status = StreamStatus::kStarted;  //!< kStatus
  Status result;                                  //!< kFinished: the stream's outcome
};

}  // namespace

//! A bounded FIFO from the workers to the source thread. Thread-safe. Once stopped, pushes are
//! dropped (but kFinished, which the source thread counts) and queued events are discarded.
class ParallelStreams::Queue {
 public:
  explicit Queue(size_t capacity) : capacity_(capacity) {}

  //! Blocks while full. False once stopped (the event is dropped).
  bool Push(Event event) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return stopped_ || events_.size() < capacity_; });
    if (stopped_ && event.kind != Event::Kind::kFinished) return false;
    events_.push_back(std::move(event));
    not_empty_.notify_one();
    return true;
  }
  //! The next event, or nullopt after `timeout`.
  std::optional<Event> Pop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!not_empty_.wait_for(lock, timeout, [&] { return !events_.empty(); })) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    not_full_.notify_one();
    return e;
  }
  void Stop() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    std::erase_if(events_, [](const Event& e) { return e.kind != Event::Kind::kFinished; });
    not_full_.notify_all();
  }
  bool stopped() const {
    std::lock_guard lock(mu_);
    return stopped_;
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Event> events_;
  bool stopped_ = false;
};

//! The Emitter a worker's read sees: everything goes into the queue, tagged with the stream.
class ParallelStreams::StreamEmitter final : public Emitter {
 public:
  StreamEmitter(Queue& queue, uint32_t stream) : queue_(queue), stream_(stream) {}

  Status Emit(RecordBatch batch) override {
    Event e;
    e.kind = Event::Kind::kBatch;
    e.batch = std::move(batch);
    return Push(std::move(e));
  }
  Status EmitState(StateMessage state) override {
    Event e;
    e.kind = Event::Kind::kState;
    e.state = std::move(state);
    return Push(std::move(e));
  }
  Status EmitStreamStatus(uint32_t stream, StreamStatus status) override {
    Event e;
    e.kind = Event::Kind::kStatus;
    e.status = status;
    return Push(std::move(e), stream);
  }
  bool cancelled() const override { return queue_.stopped(); }

 private:
  Status Push(Event e, std::optional<uint32_t> stream = std::nullopt) {
    e.stream = stream.value_or(stream_);
    return queue_.Push(std::move(e)) ? Status::Ok() : Status::Cancelled();
  }

  Queue& queue_;
  const uint32_t stream_;
};

ParallelStreams::ParallelStreams(Emitter& out, ParallelStreamsOptions options) : out_(out), options_(options) {}

ParallelStreams::~ParallelStreams() = default;

size_t ParallelStreams::WorkersFor(uint32_t count) const {
  return std::max<size_t>(1, std::min<size_t>(options_.workers, count));
}

bool ParallelStreams::stopping() const { return queue_ != nullptr && queue_->stopped(); }

Status ParallelStreams::Run(uint32_t count, const ReadStream& read,
                            const std::function<std::string(uint32_t)>& stream_name) {
  if (count == 0) return Status::Ok();
  const size_t workers = WorkersFor(count);
  queue_ = std::make_unique<Queue>(workers * std::max<size_t>(1, options_.queued_events_per_worker));
  Queue& queue = *queue_;

  auto work = [&](size_t worker) {
    for (;;) {
      const uint32_t i = next_.fetch_add(1);
      if (i >= count) break;
      Event done;
      done.kind = Event::Kind::kFinished;
      done.stream = i;
      if (queue.stopped()) {
        done.result = Status::Cancelled();
      } else {
        StreamEmitter emitter(queue, i);
        done.result = read(worker, i, emitter);
        // A read interrupted because the run is stopping reports as the cancellation it is.
        if (!done.result.ok() && !done.result.cancelled() && queue.stopped()) done.result = Status::Cancelled();
      }
      queue.Push(std::move(done));
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (size_t w = 0; w < workers; ++w) threads.emplace_back(work, w);

  Status first_error;
  bool stopping = false;
  auto stop = [&](Status why) {
    if (first_error.ok()) first_error = std::move(why);
    if (stopping) return;
    stopping = true;
    queue.Stop();
    if (on_stop_) on_stop_();
  };
  auto emit = [&](Event& e) -> Status {
    switch (e.kind) {
      case Event::Kind::kBatch: return out_.Emit(std::move(e.batch));
      case Event::Kind::kState: return out_.EmitState(std::move(e.state));
      case Event::Kind::kStatus: return out_.EmitStreamStatus(e.stream, e.status);
      case Event::Kind::kFinished: break;
    }
    return Status::Ok();
  };
  for (uint32_t remaining = count; remaining > 0;) {
    std::optional<Event> event = queue.Pop(options_.poll_interval);
    if (!event) {
      if (!stopping && out_.cancelled()) stop(Status::Cancelled());
      continue;
    }
    if (event->kind == Event::Kind::kFinished) {
      --remaining;
      const Status& st = event->result;
      if (stopping || st.ok()) continue;
      if (st.cancelled()) {
        stop(st);
        continue;
      }
      // The other streams go on; the run fails at the end with the first error.
      Log(LogLevel::kError, "stream {} failed: {}",
          stream_name ? stream_name(event->stream) : std::to_string(event->stream), st.message());
      if (first_error.ok()) first_error = st;
      continue;
    }
    if (stopping) continue;
    Status st = emit(*event);
    if (!st.ok()) stop(std::move(st));
  }
  for (auto& t : threads) t.join();
  return first_error;
}

}  // namespace sluice
