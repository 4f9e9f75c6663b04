// SliceProgress: a partition's cursor state advances only over the contiguous completed prefix of
// its slices, whatever order (and threads) the slices complete in.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include "connectors/sources/declarative_manifest/slice_progress.h"

namespace sluice {
namespace {

TEST(SliceProgress, AdvancesOnlyOverTheCompletedPrefix) {
  SliceProgress p(4);
  auto a = p.Complete(2, 300);  // slice 2 first: slices 0 and 1 are still being read
  EXPECT_FALSE(a.advanced);
  EXPECT_EQ(a.prefix, 0u);
  EXPECT_FALSE(a.newest.has_value());
  a = p.Complete(0, 100);
  EXPECT_TRUE(a.advanced);
  EXPECT_EQ(a.prefix, 1u);
  EXPECT_EQ(a.newest, 100);  // not slice 2's 300
  a = p.Complete(1, std::nullopt);  // no records in slice 1: the prefix now reaches slice 2
  EXPECT_TRUE(a.advanced);
  EXPECT_EQ(a.prefix, 3u);
  EXPECT_EQ(a.newest, 300);
  a = p.Complete(1, 999);  // twice: ignored
  EXPECT_FALSE(a.advanced);
  EXPECT_EQ(a.newest, 300);
  a = p.Complete(3, 250);  // an older value does not move the state back
  EXPECT_TRUE(a.advanced);
  EXPECT_EQ(a.prefix, 4u);
  EXPECT_EQ(a.newest, 300);
  EXPECT_FALSE(p.Complete(7, 1).advanced);  // out of range
}

TEST(SliceProgress, ConcurrentOutOfOrderCompletionNeverClaimsAnUnfinishedSlice) {
  constexpr size_t kSlices = 2000;
  SliceProgress p(kSlices);
  // Slice i's newest cursor value is i; workers complete a shuffled order.
  std::vector<size_t> order(kSlices);
  for (size_t i = 0; i < kSlices; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(42));
  std::vector<std::atomic<bool>> done(kSlices);
  std::atomic<size_t> next{0};
  std::atomic<int> violations{0};
  std::mutex mu;  // orders the observed advances, as the stream's sink lock does
  int64_t last_claim = -1;
  auto worker = [&] {
    while (true) {
      const size_t k = next++;
      if (k >= kSlices) return;
      const size_t slice = order[k];
      done[slice] = true;
      std::lock_guard<std::mutex> lock(mu);
      const SliceProgress::Advance a = p.Complete(slice, static_cast<int64_t>(slice));
      if (!a.advanced) continue;
      // Everything the state claims has completed, and the claim only moves forward.
      for (size_t i = 0; i < a.prefix; ++i) {
        if (!done[i]) ++violations;
      }
      if (!a.newest || *a.newest != static_cast<int64_t>(a.prefix) - 1 || *a.newest < last_claim) ++violations;
      last_claim = *a.newest;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_EQ(p.prefix(), kSlices);
  EXPECT_EQ(last_claim, static_cast<int64_t>(kSlices) - 1);
}

}  // namespace
}  // namespace sluice
