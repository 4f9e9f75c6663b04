#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "io/output_stream.h"

namespace sluice {
namespace {

// A full disk is no config mistake and loses nothing: transient, so the server retries it and
// the CLI exits 3; the message names the path and says what to do.
TEST(FileErrorStatus, AFullDiskIsTransientAndNamesThePath) {
  for (int err : {ENOSPC, EDQUOT}) {
    Status st = FileErrorStatus("cannot write", "/data/out/.1_00000.jsonl.tmp", err);
    EXPECT_EQ(st.failure_type(), FailureType::kTransient) << err;
    EXPECT_NE(st.message().find("'/data/out/.1_00000.jsonl.tmp'"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("free space and run again"), std::string::npos) << st.message();
  }
}

TEST(FileErrorStatus, PermissionsAndMissingFoldersAreConfigErrors) {
  for (int err : {EACCES, EPERM, EROFS, ENOENT, ENOTDIR}) {
    EXPECT_EQ(FileErrorStatus("cannot create", "/x", err).failure_type(), FailureType::kConfig) << err;
  }
  EXPECT_EQ(FileErrorStatus("cannot write", "/x", EIO).failure_type(), FailureType::kSystem);
}

}  // namespace
}  // namespace sluice
