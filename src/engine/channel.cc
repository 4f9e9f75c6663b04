#include "engine/channel.h"

namespace sluice {

bool Channel::Push(ChannelItem item) {
  std::unique_lock lock(mutex_);
  not_full_.wait(lock, [&] { return aborted_ || items_.empty() || bytes_ + item.bytes <= capacity_; });
  if (aborted_) return false;
  bytes_ += item.bytes;
  items_.push_back(std::move(item));
  not_empty_.notify_one();
  return true;
}

Channel::PopResult Channel::Pop(ChannelItem& item, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!not_empty_.wait_for(lock, timeout, [&] { return aborted_ || closed_ || !items_.empty(); })) {
    return PopResult::kTimeout;
  }
  if (aborted_ || items_.empty()) return PopResult::kEnd;
  item = std::move(items_.front());
  items_.pop_front();
  bytes_ -= item.bytes;
  not_full_.notify_one();
  return PopResult::kItem;
}

void Channel::Close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  not_empty_.notify_all();
}

void Channel::Abort() {
  std::lock_guard lock(mutex_);
  aborted_ = true;
  items_.clear();
  bytes_ = 0;
  not_full_.notify_all();
  not_empty_.notify_all();
}

size_t Channel::bytes_in_flight() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace sluice
