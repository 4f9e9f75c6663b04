#include "security/role.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

// The matrix of README.md, row by row: {Admin, DataEngineer, Analyst, Viewer}.
struct Row {
  Permission permission;
  bool admin, data_engineer, analyst, viewer;
};

const Row kMatrix[] = {
    {Permission::kManageUsers, true, false, false, false},
    {Permission::kManageSettings, true, false, false, false},
    {Permission::kEditConfigs, true, true, false, false},
    {Permission::kRunSyncs, true, true, false, false},
    {Permission::kReadConfigs, true, true, true, false},
    {Permission::kReadJobs, true, true, true, false},
    {Permission::kReadLogs, true, true, true, false},
    {Permission::kReadStatus, true, true, true, true},
};

TEST(RoleTest, PermissionMatrix) {
  for (const Row& row : kMatrix) {
    SCOPED_TRACE(std::string(PermissionName(row.permission)));
    EXPECT_EQ(Allowed(Role::kAdmin, row.permission), row.admin);
    EXPECT_EQ(Allowed(Role::kDataEngineer, row.permission), row.data_engineer);
    EXPECT_EQ(Allowed(Role::kAnalyst, row.permission), row.analyst);
    EXPECT_EQ(Allowed(Role::kViewer, row.permission), row.viewer);
  }
}

TEST(RoleTest, NamesRoundTrip) {
  for (Role role : {Role::kAdmin, Role::kDataEngineer, Role::kAnalyst, Role::kViewer}) {
    auto parsed = ParseRole(RoleName(role));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, role);
  }
  EXPECT_EQ(RoleName(Role::kDataEngineer), "data_engineer");
  auto unknown = ParseRole("root");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(unknown.status().message().find("admin, data_engineer, analyst, viewer"), std::string::npos);
  EXPECT_FALSE(ParseRole("Admin").ok());
}

}  // namespace
}  // namespace sluice
