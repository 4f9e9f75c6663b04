#include "connectors/sources/declarative_manifest/slice_progress.h"

namespace sluice {

SliceProgress::SliceProgress(size_t slices) : done_(slices, 0), newest_(slices) {}

SliceProgress::Advance SliceProgress::Complete(size_t index, std::optional<int64_t> newest) {
  std::lock_guard<std::mutex> lock(mu_);
  Advance out;
  if (index < done_.size() && !done_[index]) {
    done_[index] = 1;
    newest_[index] = newest;
    while (prefix_ < done_.size() && done_[prefix_]) {
      const std::optional<int64_t>& v = newest_[prefix_];
      if (v && (!prefix_newest_ || *v > *prefix_newest_)) prefix_newest_ = v;
      ++prefix_;
      out.advanced = true;
    }
  }
  out.prefix = prefix_;
  out.newest = prefix_newest_;
  return out;
}

size_t SliceProgress::prefix() const {
  std::lock_guard<std::mutex> lock(mu_);
  return prefix_;
}

}  // namespace sluice
