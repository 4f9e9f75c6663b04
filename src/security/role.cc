#include "security/role.h"

#include <iterator>
#include <string>

namespace sluice {

namespace {

// The text forms, indexed by the enum's value.
constexpr std::string_view kRoleNames[] = {"admin", "data_engineer", "analyst", "viewer"};
constexpr std::string_view kPermissionNames[] = {"manage_users", "manage_settings", "edit_configs", "run_syncs",
                                                 "read_configs", "read_jobs", "read_logs", "read_status"};
static_assert(std::size(kRoleNames) == static_cast<size_t>(Role::kViewer) + 1);
static_assert(std::size(kPermissionNames) == static_cast<size_t>(Permission::kReadStatus) + 1);

// The lowest role that has each permission; a role has it when it is at least that high.
// Role values are ordered from most to least powerful.
Role LowestRoleWith(Permission permission) {
  switch (permission) {
    case Permission::kManageUsers:
    case Permission::kManageSettings:
      return Role::kAdmin;
    case Permission::kEditConfigs:
    case Permission::kRunSyncs:
      return Role::kDataEngineer;
    case Permission::kReadConfigs:
    case Permission::kReadJobs:
    case Permission::kReadLogs:
      return Role::kAnalyst;
    case Permission::kReadStatus:
      return Role::kViewer;
  }
  return Role::kAdmin;  // unreachable; deny by default
}

}  // namespace

bool Allowed(Role role, Permission permission) {
  return static_cast<int>(role) <= static_cast<int>(LowestRoleWith(permission));
}

std::string_view RoleName(Role role) {
  const auto i = static_cast<size_t>(role);
  return i < std::size(kRoleNames) ? kRoleNames[i] : "viewer";
}

Result<Role> ParseRole(std::string_view name) {
  for (size_t i = 0; i < std::size(kRoleNames); ++i) {
    if (name == kRoleNames[i]) return static_cast<Role>(i);
  }
  return Status::ConfigError("unknown role '" + std::string(name) +
                             "': expected one of admin, data_engineer, analyst, viewer");
}

std::string_view PermissionName(Permission permission) {
  const auto i = static_cast<size_t>(permission);
  return i < std::size(kPermissionNames) ? kPermissionNames[i] : "unknown";
}

}  // namespace sluice
