#pragma once
// Roles and what each may do, from the seed's architecture document: Admin (users, settings,
// everything), Data Engineer (create and modify sources, destinations, connections; run syncs),
// Analyst (read-only), Viewer (status only). The API checks one Permission per endpoint with
// Allowed; the matrix is in README.md. Pure functions.

#include <string_view>

#include "base/status.h"

namespace sluice {

enum class Role { kAdmin, kDataEngineer, kAnalyst, kViewer };

enum class Permission {
  kManageUsers,     //!< create, update, delete users and their roles; other users' API keys
  kManageSettings,  //!< workspace settings, notification webhooks
  kEditConfigs,     //!< create, update, delete, check and discover sources, destinations, connections
  kRunSyncs,        //!< sync, reset, cancel jobs
  kReadConfigs,     //!< get and list sources, destinations, connections (secrets masked), definitions
  kReadJobs,        //!< list and get jobs with attempts and stats, connection state
  kReadLogs,        //!< attempt logs (tail and download)
  kReadStatus,      //!< health, connection status (last sync, running or not)
};

//! True when `role` grants `permission`. Roles are nested: each has all the permissions of the
//! roles below it (Admin ⊃ Data Engineer ⊃ Analyst ⊃ Viewer).
bool Allowed(Role role, Permission permission);

//! "admin", "data_engineer", "analyst", "viewer": the API's and the store's text form.
std::string_view RoleName(Role role);
//! The role named `name` (RoleName's form); ConfigError listing the names otherwise.
Result<Role> ParseRole(std::string_view name);
//! "manage_users", ...: for "forbidden: your role (analyst) lacks run_syncs".
std::string_view PermissionName(Permission permission);

}  // namespace sluice
