#pragma once
// Notifier: sends webhook notifications on its own thread, so a slow or unreachable webhook never
// holds up a worker. Messages are queued (bounded: the oldest is dropped past kMaxQueued) and
// posted in order with WebhookSender's retries. Thread-safe.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "base/json.h"
#include "monitoring/webhook_sender.h"

namespace sluice {

class Notifier {
 public:
  static constexpr size_t kMaxQueued = 1000;

  explicit Notifier(WebhookOptions options = {});
  ~Notifier();  //!< Stop()

  void Start();
  //! Queues `payload` for `url`; returns at once.
  void Enqueue(std::string url, Json payload);
  //! Finishes the message being sent, drops the rest (logged), joins the thread. Idempotent.
  void Stop();

 private:
  void Run();

  WebhookSender sender_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, Json>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sluice
