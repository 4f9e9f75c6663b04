#include "base/subprocess.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sluice {
namespace {

TEST(RunToCompletionTest, CollectsBothStreamsAndTheExitCode) {
  auto r = RunToCompletion({"sh", "-c", "printf out; printf err >&2; exit 3"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out");
  EXPECT_EQ(r->err, "err");
}

// A child writing far more than a pipe holds (64 KiB) to stderr before it writes to stdout, and
// then to stdout: reading stdout to its end first would wait forever on a child blocked on stderr.
TEST(RunToCompletionTest, DrainsBothPipesWhenBothFill) {
  auto r = RunToCompletion({"sh", "-c",
                            "head -c 1000000 /dev/zero | tr '\\0' e >&2; head -c 1000000 /dev/zero | tr '\\0' o; "
                            "head -c 300000 /dev/zero | tr '\\0' e >&2"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, std::string(1000000, 'o'));
  EXPECT_EQ(r->err, std::string(1300000, 'e'));
}

TEST(RunToCompletionTest, KeepsTheFirstBytesAndStillDrainsTheRest) {
  RunOptions options;
  options.max_output_bytes = 10;
  auto r = RunToCompletion({"sh", "-c", "head -c 500000 /dev/zero | tr '\\0' x; echo done >&2"}, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, std::string(10, 'x'));
  EXPECT_EQ(r->err, "done\n");
}

TEST(RunToCompletionTest, PassesExtraEnvironmentAndReportsSignals) {
  RunOptions options;
  options.extra_env = {"SLUICE_TEST_VALUE=forty-two"};
  auto r = RunToCompletion({"sh", "-c", "printf %s \"$SLUICE_TEST_VALUE\"; kill -TERM $$"}, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->out, "forty-two");
  EXPECT_EQ(r->exit_code, 128 + 15);
}

TEST(RunToCompletionTest, AMissingProgramIsAConfigError) {
  auto r = RunToCompletion({"sluice-no-such-program-here"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().failure_type(), FailureType::kConfig);
}

TEST(RunToCompletionTest, StartsInTheWorkingDirectoryAndHandsOverLines) {
  RunOptions options;
  options.working_dir = "/tmp";
  std::vector<std::pair<bool, std::string>> lines;
  options.on_line = [&](bool is_stderr, std::string_view line) { lines.emplace_back(is_stderr, std::string(line)); };
  auto r = RunToCompletion({"sh", "-c", "pwd; echo warn >&2; printf 'a\\n\\nlast'"}, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_TRUE(r->out.empty());
  std::vector<std::pair<bool, std::string>> out, err;
  for (auto& l : lines) (l.first ? err : out).push_back(l);
  EXPECT_EQ(out, (std::vector<std::pair<bool, std::string>>{{false, "/tmp"}, {false, "a"}, {false, ""}, {false, "last"}}));
  EXPECT_EQ(err, (std::vector<std::pair<bool, std::string>>{{true, "warn"}}));
}

TEST(RunToCompletionTest, AMissingWorkingDirectoryIsAConfigError) {
  RunOptions options;
  options.working_dir = "/no/such/folder/here";
  auto r = RunToCompletion({"true"}, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(r.status().message().find("/no/such/folder/here"), std::string::npos);
}

// The timeout kills the child's whole process group: a grandchild holding the pipes open too.
TEST(RunToCompletionTest, ATimeoutKillsTheProcessGroup) {
  RunOptions options;
  options.timeout_ms = 300;
  const auto started = std::chrono::steady_clock::now();
  auto r = RunToCompletion({"sh", "-c", "sleep 30 & sleep 30; echo never"}, options);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->timed_out);
  EXPECT_NE(r->exit_code, 0);
  EXPECT_EQ(r->out, "");
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(RunToCompletionTest, AFastChildDoesNotTimeOut) {
  RunOptions options;
  options.timeout_ms = 5000;
  auto r = RunToCompletion({"sh", "-c", "echo ok"}, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, "ok\n");
}

TEST(RunToCompletionTest, AStopFlagStopsTheChild) {
  std::atomic<bool> stop{false};
  RunOptions options;
  options.stop = &stop;
  std::thread stopper([&stop] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  const auto started = std::chrono::steady_clock::now();
  auto r = RunToCompletion({"sh", "-c", "sleep 30 & sleep 30"}, options);
  stopper.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->stopped);
  EXPECT_FALSE(r->timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

}  // namespace
}  // namespace sluice
