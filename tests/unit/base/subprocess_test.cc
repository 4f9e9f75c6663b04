#include "base/subprocess.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sluice
