// ListCache (api_env.h), the cache of connections/list and jobs/stats answers: a client reads its
// own writes, and a stream of writes costs one build after another, never one per request.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "api/api_env.h"

namespace sluice {
namespace {

TEST(ListCacheTest, KeptUntilTheVersionMovesOrAWriteInvalidates) {
  ListCache cache(true);
  std::string version = "v1";
  int builds = 0;
  auto get = [&] {
    return *cache.GetOrBuild("k", [&] { return version; }, [&] { return "answer " + std::to_string(++builds); }).body;
  };
  EXPECT_EQ(get(), "answer 1");
  EXPECT_EQ(get(), "answer 1");
  cache.Invalidate();  // a write through the API: the next request sees it
  EXPECT_EQ(get(), "answer 2");
  version = "v2";  // a change made elsewhere: seen once the version is checked again
  std::this_thread::sleep_for(std::chrono::milliseconds(ListCache::kVersionCheckMs + 20));
  EXPECT_EQ(get(), "answer 3");
  EXPECT_EQ(get(), "answer 3");
}

TEST(ListCacheTest, ReadersSeeEveryWriteAnsweredBeforeThem) {
  ListCache cache(true);
  std::atomic<int> store{0};      // what the "store" holds: bumped by each write, then Invalidate()
  std::atomic<int> published{0};  // writes whose Invalidate() returned (the API answered them)
  std::atomic<int> builds{0};
  std::atomic<bool> stop{false};
  std::atomic<int> stale{0};
  std::atomic<int> requests{0};
  std::thread writer([&] {
    while (!stop) {
      const int now = ++store;
      cache.Invalidate();
      published = now;
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        const int written = published.load();  // every write answered before this request
        auto answer = cache.GetOrBuild(
            "k", [] { return std::string("v"); },
            [&] {
              ++builds;
              const int seen = store.load();
              std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a costly build
              return std::to_string(seen);
            });
        if (std::stoi(*answer.body) < written) ++stale;
        ++requests;
      }
    });
  }
  for (auto& r : readers) r.join();
  stop = true;
  writer.join();
  EXPECT_EQ(stale.load(), 0) << "an answer older than a write made before the request";
  EXPECT_EQ(requests.load(), 1600);
}

TEST(ListCacheTest, RequestsWaitingForABuildShareTheNextOne) {
  ListCache cache(true);
  std::atomic<int> builds{0};
  std::atomic<bool> release{false};
  auto build = [&] {
    const int n = ++builds;
    if (n == 1) {
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return std::to_string(n);
  };
  auto version = [] { return std::string("v"); };
  std::thread first([&] { cache.GetOrBuild("k", version, build); });
  while (builds.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  cache.Invalidate();  // a write while the first build runs: its answer is too old for later requests
  std::vector<std::thread> waiting;
  std::vector<std::string> answers(6);
  for (int i = 0; i < 6; ++i) {
    waiting.emplace_back([&, i] { answers[i] = *cache.GetOrBuild("k", version, build).body; });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all six wait for the build in flight
  release = true;
  first.join();
  for (auto& t : waiting) t.join();
  // One more build serves the six (before, each of them rebuilt in turn: 7 builds).
  EXPECT_LE(builds.load(), 3);
  for (const std::string& a : answers) EXPECT_NE(a, "1");
}

}  // namespace
}  // namespace sluice
