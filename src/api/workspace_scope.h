#pragma once
// Workspace scoping: the one place where the API checks that a caller limited to some workspaces
// (Principal::all_workspaces false) reaches what a request names. Api::Handle calls
// CheckWorkspaceScope for every route after the role check, and CallConfig (the public API's
// call of a Config API handler) for the inner route too; handlers do not check by hand.
//
// What a request names (kScoped routes), read from its body (path and query parameters are in it):
//   workspaceId, workspaceIds                  the workspaces themselves
//   sourceId, destinationId                    the actor's workspace
//   connectionId, configId, connectionIds[]    the connection's (its source's)
//   operationId                                the operation's
//   jobId, and the route's job_id_field ("id")  the job's connection's
// Answers for a caller who does not reach it:
//   - an object of another workspace: 404 as for an unknown id, reads and writes alike (its
//     existence is not revealed); an unknown id is left to the handler (404 too);
//   - a workspace named by a read (workspaceId, workspaceIds): 404 as for an unknown workspace;
//     by a write (edit_configs, run_syncs, manage_*): 403, whether it exists or not;
//   - a kAllWorkspaces route: 403.
// Defaults, so lists and "the default workspace" stay within the caller's workspaces: a request
// naming no workspace and no object of one gets `workspaceId` = the caller's first (oldest)
// workspace when the route takes that field, and `workspaceIds` = every workspace of the caller
// when the route takes that one. workspaces/list (no field at all) filters in its handler.
// A caller reaching every workspace costs nothing: the check returns at once. A limited one
// costs one primary-key lookup per object named.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_types.h"
#include "metadata/metadata_store.h"

namespace sluice {

//! One object a request names whose workspace must be the caller's.
struct WorkspaceRef {
  std::string field;  //!< the body field, e.g. "sourceId" or "connectionIds[1]"
  WorkspaceObject kind = WorkspaceObject::kSource;
  std::string id;
};

//! The objects `body` names for `route` (pure: no store access). Non-string values are skipped
//! (the handler answers 400 for them).
std::vector<WorkspaceRef> WorkspaceRefsOf(const Route& route, const Json& body);

//! The route's use as checked: kNone for public and authenticated-only routes.
WorkspaceUse EffectiveWorkspaceUse(const Route& route);
//! "scoped", "none", "all_workspaces": the OpenAPI document's x-sluice-workspace.
std::string_view WorkspaceUseName(WorkspaceUse use);

//! Throws ApiError (403/404, as above) when `principal` may not reach what `body` names for
//! `route`; may add the default workspaceId / workspaceIds to `body`.
void CheckWorkspaceScope(MetadataStore& store, const Route& route, Json& body, const Principal& principal);

}  // namespace sluice
