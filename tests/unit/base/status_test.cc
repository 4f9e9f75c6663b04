#include "base/status.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

Result<int> Parse(bool ok) {
  if (!ok) return Status::ConfigError("bad number", "detail");
  return 42;
}

Status UseMacros(bool ok, int& out) {
  SLUICE_ASSIGN_OR_RETURN(out, Parse(ok));
  SLUICE_RETURN_IF_ERROR(Status::Ok());
  return Status::Ok();
}

TEST(StatusTest, CarriesFailureTypeAndExitCode) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = Status::TransientError("network down");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.failure_type(), FailureType::kTransient);
  EXPECT_EQ(ExitCodeFor(s.failure_type()), kExitTransientError);
  EXPECT_EQ(FailureTypeName(FailureType::kConfig), "config_error");
  EXPECT_EQ(s.WithContext("stream users").message(), "stream users: network down");
  EXPECT_EQ(s.ToString(), "transient error: network down");
  EXPECT_TRUE(Status::Cancelled().cancelled());
  EXPECT_NE(kExitConfigError, kExitSystemError);
}

TEST(StatusTest, MacrosPropagate) {
  int v = 0;
  EXPECT_TRUE(UseMacros(true, v).ok());
  EXPECT_EQ(v, 42);
  Status s = UseMacros(false, v);
  EXPECT_EQ(s.failure_type(), FailureType::kConfig);
  EXPECT_EQ(s.detail(), "detail");
}

}  // namespace
}  // namespace sluice
