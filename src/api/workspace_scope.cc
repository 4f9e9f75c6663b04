#include "api/workspace_scope.h"

#include <fmt/format.h>

#include <algorithm>

#include "api/request_fields.h"

namespace sluice {

namespace {

// An id no workspace or object has: a list filter naming something of another workspace gets it
// instead, so the handler answers exactly as for an unknown id (nothing matches).
constexpr const char* kScopeNoSuchId = "00000000-0000-0000-0000-000000000000";

// The fields naming one object, and what their 404 calls it (the handlers' words).
struct ScopeObjectField {
  const char* field;
  WorkspaceObject kind;
  const char* noun;
};
constexpr ScopeObjectField kScopeObjectFields[] = {
    {"sourceId", WorkspaceObject::kSource, "source"},
    {"destinationId", WorkspaceObject::kDestination, "destination"},
    {"connectionId", WorkspaceObject::kConnection, "connection"},
    {"operationId", WorkspaceObject::kOperation, "operation"},
    {"jobId", WorkspaceObject::kJob, "job"},
};
// A filter naming a connection (jobs/list): another workspace's is replaced by kScopeNoSuchId.
constexpr const char* kScopeConnectionFilter = "configId";

const char* ScopeNounOf(WorkspaceObject kind) {
  for (const auto& f : kScopeObjectFields) {
    if (f.kind == kind) return f.noun;
  }
  return "object";
}

// An id field's value as text: strings, and numbers for job ids ({"id": 42}).
std::optional<std::string> ScopeIdText(const Json& value, WorkspaceObject kind) {
  if (value.is_string()) return value.get<std::string>();
  if (kind == WorkspaceObject::kJob && value.is_number_integer()) return std::to_string(value.get<int64_t>());
  return std::nullopt;
}

bool ScopeTakesField(const Route& route, std::string_view name) {
  return std::any_of(route.fields.begin(), route.fields.end(), [name](const FieldDoc& f) { return f.name == name; });
}

bool ScopeWrites(const Route& route) {
  switch (route.permission) {
    case Permission::kManageUsers:
    case Permission::kManageSettings:
    case Permission::kEditConfigs:
    case Permission::kRunSyncs:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::vector<WorkspaceRef> WorkspaceRefsOf(const Route& route, const Json& body) {
  std::vector<WorkspaceRef> out;
  if (!body.is_object()) return out;
  auto add = [&](const std::string& field, const Json* value, WorkspaceObject kind) {
    if (value == nullptr) return;
    if (auto id = ScopeIdText(*value, kind)) out.push_back({field, kind, *id});
  };
  for (const auto& f : kScopeObjectFields) add(f.field, FindField(body, f.field), f.kind);
  if (!route.job_id_field.empty() && route.job_id_field != "jobId") {
    add(route.job_id_field, FindField(body, route.job_id_field), WorkspaceObject::kJob);
  }
  add(kScopeConnectionFilter, FindField(body, kScopeConnectionFilter), WorkspaceObject::kConnection);
  if (const Json* ids = FindField(body, "connectionIds"); ids != nullptr && ids->is_array()) {
    for (size_t i = 0; i < ids->size(); ++i) {
      add(fmt::format("connectionIds[{}]", i), &(*ids)[i], WorkspaceObject::kConnection);
    }
  }
  return out;
}

WorkspaceUse EffectiveWorkspaceUse(const Route& route) {
  return route.access == Access::kPermission ? route.workspace : WorkspaceUse::kNone;
}

std::string_view WorkspaceUseName(WorkspaceUse use) {
  switch (use) {
    case WorkspaceUse::kScoped:
      return "scoped";
    case WorkspaceUse::kNone:
      return "none";
    case WorkspaceUse::kAllWorkspaces:
      return "all_workspaces";
  }
  return "scoped";
}

void CheckWorkspaceScope(MetadataStore& store, const Route& route, Json& body, const Principal& principal) {
  if (principal.all_workspaces) return;
  const WorkspaceUse use = EffectiveWorkspaceUse(route);
  if (use == WorkspaceUse::kNone) return;
  if (use == WorkspaceUse::kAllWorkspaces) {
    ThrowApiError(403, fmt::format("forbidden: {} needs a user who reaches every workspace (yours reaches {})",
                                   route.path, principal.workspace_ids.size()));
  }
  if (principal.workspace_ids.empty()) ThrowApiError(403, "forbidden: your user reaches no workspace");
  if (!body.is_object()) return;  // the handler answers 400

  // The objects named: another workspace's is not found (a filter: matches nothing).
  const std::vector<WorkspaceRef> refs = WorkspaceRefsOf(route, body);
  for (const WorkspaceRef& ref : refs) {
    auto workspace = Unwrap(store.WorkspaceOf(ref.kind, ref.id));
    if (!workspace || principal.Reaches(*workspace)) continue;  // unknown: the handler's 404
    if (ref.field == kScopeConnectionFilter) {
      body[kScopeConnectionFilter] = kScopeNoSuchId;
      continue;
    }
    const std::string field = ref.field.starts_with("connectionIds[") ? "connectionIds" : ref.field;
    ThrowNotFound(ScopeNounOf(ref.kind), ref.id, field);
  }

  // The workspace named, or the caller's first one for a request that names nothing.
  if (const Json* ws = FindField(body, "workspaceId"); ws != nullptr && ws->is_string()) {
    const std::string id = ws->get<std::string>();
    if (!principal.Reaches(id)) {
      if (ScopeWrites(route)) {
        ThrowApiError(403, fmt::format("forbidden: workspace {} is not one of your user's workspaces", id),
                      {{"workspaceId", "is not one of your user's workspaces"}});
      }
      ThrowNotFound("workspace", id, "workspaceId");
    }
  } else if (ws == nullptr && refs.empty() && ScopeTakesField(route, "workspaceId")) {
    body["workspaceId"] = principal.workspace_ids.front();
  }

  // A filter of workspaces: the caller's ones only (another's matches nothing, as an unknown one);
  // absent or empty (which would mean all): every workspace of the caller.
  if (FindField(body, "workspaceIds") != nullptr || ScopeTakesField(route, "workspaceIds")) {
    Json kept = Json::array();
    for (const std::string& id : StringListField(body, "workspaceIds")) {
      const std::string reachable = principal.Reaches(id) ? id : kScopeNoSuchId;
      if (std::find(kept.begin(), kept.end(), reachable) == kept.end()) kept.push_back(reachable);
    }
    body["workspaceIds"] = kept.empty() ? Json(principal.workspace_ids) : std::move(kept);
  }
}

}  // namespace sluice
