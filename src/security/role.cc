#include "security/role.h"

#include <string>

namespace sluice {

namespace {

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
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kDataEngineer:
      return "data_engineer";
    case Role::kAnalyst:
      return "analyst";
    case Role::kViewer:
      return "viewer";
  }
  return "viewer";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role role : {Role::kAdmin, Role::kDataEngineer, Role::kAnalyst, Role::kViewer}) {
    if (name == RoleName(role)) return role;
  }
  return Status::ConfigError("unknown role '" + std::string(name) +
                             "': expected one of admin, data_engineer, analyst, viewer");
}

std::string_view PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kManageUsers:
      return "manage_users";
    case Permission::kManageSettings:
      return "manage_settings";
    case Permission::kEditConfigs:
      return "edit_configs";
    case Permission::kRunSyncs:
      return "run_syncs";
    case Permission::kReadConfigs:
      return "read_configs";
    case Permission::kReadJobs:
      return "read_jobs";
    case Permission::kReadLogs:
      return "read_logs";
    case Permission::kReadStatus:
      return "read_status";
  }
  return "unknown";
}

}  // namespace sluice
