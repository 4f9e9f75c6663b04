#include "worker/notifier.h"

#include "base/log.h"

namespace sluice {

Notifier::Notifier(WebhookOptions options) : sender_(options) {}

Notifier::~Notifier() { Stop(); }

void Notifier::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void Notifier::Enqueue(std::string url, Json payload) {
  std::lock_guard lock(mu_);
  if (queue_.size() >= kMaxQueued) {
    Log(LogLevel::kWarn, "notifications: queue full, dropping the oldest message");
    queue_.pop_front();
  }
  queue_.emplace_back(std::move(url), std::move(payload));
  cv_.notify_one();
}

void Notifier::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  if (!queue_.empty()) Log(LogLevel::kWarn, "notifications: {} message(s) not sent (shutting down)", queue_.size());
  queue_.clear();
}

void Notifier::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    auto [url, payload] = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Status sent = sender_.Post(url, payload);  // never logs more of the URL than its host
    if (!sent.ok()) {
      Log(LogLevel::kWarn, "notification to {} failed: {}", WebhookHost(url), sent.message());
    }
    lock.lock();
  }
}

}  // namespace sluice
