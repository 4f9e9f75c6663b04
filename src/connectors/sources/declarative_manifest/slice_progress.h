#pragma once
// Progress of one partition's slices when a concurrent read (declarative_stream.h) finishes them
// in any order: which have completed, and the newest cursor value over the contiguous completed
// prefix. A DatetimeBasedCursor's state claims only that prefix (as the CDK's concurrent cursor
// does): a checkpoint never covers a slice still being read, so a run stopped in the middle
// re-reads the unfinished slices and everything after them. Thread-safe.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace sluice {

class SliceProgress {
 public:
  //! A partition of `slices` slices, none completed.
  explicit SliceProgress(size_t slices);

  struct Advance {
    bool advanced = false;            //!< the completed prefix grew with this call
    size_t prefix = 0;                //!< slices 0 .. prefix-1 have all completed
    std::optional<int64_t> newest;    //!< the newest cursor value of those slices' records
  };
  //! Marks slice `index` completed, its records' newest cursor value `newest` (nullopt: none).
  //! Any thread. Completing a slice twice or one out of range changes nothing.
  Advance Complete(size_t index, std::optional<int64_t> newest);
  //! How many leading slices have completed.
  size_t prefix() const;

 private:
  mutable std::mutex mu_;
  std::vector<char> done_;
  std::vector<std::optional<int64_t>> newest_;
  size_t prefix_ = 0;
  std::optional<int64_t> prefix_newest_;
};

}  // namespace sluice
