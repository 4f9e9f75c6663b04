#include "api/connection_list.h"

#include <fmt/format.h>

#include <unordered_set>

#include "api/api.h"
#include "api/request_fields.h"

namespace sluice {

Json ConnectionToApi(Connection c, bool include_catalog) {
  Json out;
  out["connectionId"] = c.connection_id;
  out["name"] = c.name;
  out["namespaceDefinition"] = c.namespace_definition;
  out["namespaceFormat"] = c.namespace_format ? Json(*c.namespace_format) : Json();
  out["prefix"] = c.prefix;
  out["sourceId"] = c.source_id;
  out["destinationId"] = c.destination_id;
  out["workspaceId"] = c.workspace_id;
  out["operationIds"] = c.operation_ids;
  if (include_catalog) out["syncCatalog"] = std::move(c.sync_catalog);
  out["scheduleType"] = ScheduleTypeName(c.schedule_type);
  if (!c.schedule_data.is_null()) out["scheduleData"] = std::move(c.schedule_data);
  if (c.schedule_type == ScheduleType::kBasic && out.contains("scheduleData") && out["scheduleData"].is_object() &&
      out["scheduleData"].contains("basicSchedule")) {
    out["schedule"] = out["scheduleData"]["basicSchedule"];  // Airbyte's legacy form
  }
  out["status"] = ConnectionStatusName(c.status);
  out["resourceRequirements"] = std::move(c.resource_requirements);
  out["notifySchemaChanges"] = c.notify_schema_changes;
  out["nonBreakingChangesPreference"] = c.non_breaking_changes_preference;
  out["breakingChange"] = c.schema_change == "breaking";
  out["schemaChange"] = c.schema_change;
  out["consecutiveFailures"] = c.consecutive_failures;
  out["createdAt"] = c.created_at / 1000;
  out["updatedAt"] = c.updated_at / 1000;
  return out;
}

namespace {

// More changed rows than this in one build (the first build, a restart of the cache): one query
// for the whole list instead of one per row.
constexpr size_t kRowByRowMax = 16;

}  // namespace

std::shared_ptr<const ConnectionListFragments::Fragment> ConnectionListFragments::MakeFragment(Connection c) {
  auto f = std::make_shared<Fragment>();
  f->workspace_id = c.workspace_id;
  f->updated_at = c.updated_at;
  f->without_catalog = DumpJson(ConnectionToApi(c, false));
  f->with_catalog = DumpJson(ConnectionToApi(std::move(c), true));
  return f;
}

std::string ConnectionListFragments::Items(MetadataStore& store, const std::string& workspace_id,
                                           bool include_catalog) {
  const std::vector<ConnectionVersion> live = Unwrap(store.ListConnectionVersions(workspace_id));
  std::vector<std::shared_ptr<const Fragment>> parts(live.size());
  std::vector<size_t> missing;
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < live.size(); ++i) {
      auto it = fragments_.find(live[i].connection_id);
      if (it != fragments_.end() && it->second->updated_at == live[i].updated_at) {
        parts[i] = it->second;
      } else {
        missing.push_back(i);
      }
    }
  }
  if (!missing.empty()) {
    // A row read now may be newer than its version above (written in between): its newer content
    // is shown, and kept under its own updated_at. One deleted in between is left out.
    std::unordered_map<std::string, Connection> rows;
    if (missing.size() > kRowByRowMax) {
      for (Connection& c : Unwrap(store.ListConnections(workspace_id))) {
        std::string id = c.connection_id;
        rows.emplace(std::move(id), std::move(c));
      }
    } else {
      for (size_t i : missing) {
        if (auto c = Unwrap(store.GetConnection(live[i].connection_id))) rows.emplace(c->connection_id, std::move(*c));
      }
    }
    std::lock_guard lock(mu_);
    for (size_t i : missing) {
      auto row = rows.find(live[i].connection_id);
      if (row == rows.end() || row->second.status == ConnectionStatus::kDeprecated) continue;
      parts[i] = MakeFragment(std::move(row->second));
      auto& kept = fragments_[live[i].connection_id];
      if (!kept || kept->updated_at <= parts[i]->updated_at) kept = parts[i];
    }
  }
  {
    // Connections of this workspace that left its list (deleted) are forgotten.
    std::unordered_set<std::string_view> listed;
    listed.reserve(live.size());
    for (const ConnectionVersion& v : live) listed.insert(v.connection_id);
    std::lock_guard lock(mu_);
    for (auto it = fragments_.begin(); it != fragments_.end();) {
      if (it->second->workspace_id == workspace_id && listed.count(it->first) == 0) {
        it = fragments_.erase(it);
      } else {
        ++it;
      }
    }
  }
  size_t bytes = 0;
  for (const auto& p : parts) {
    if (p) bytes += (include_catalog ? p->with_catalog : p->without_catalog).size() + 1;
  }
  std::string items;
  items.reserve(bytes);
  for (const auto& p : parts) {
    if (!p) continue;
    if (!items.empty()) items += ',';
    items += include_catalog ? p->with_catalog : p->without_catalog;
  }
  return items;
}

std::string ConnectionListFragments::Version(MetadataStore& store, const std::string& workspace_id) {
  const std::vector<ConnectionVersion> live = Unwrap(store.ListConnectionVersions(workspace_id));
  // FNV-1a over "id:updated_at;" of each, in order.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::string_view bytes) {
    for (unsigned char b : bytes) {
      h ^= b;
      h *= 1099511628211ULL;
    }
  };
  for (const ConnectionVersion& v : live) {
    mix(v.connection_id);
    mix(fmt::format(":{};", v.updated_at));
  }
  return fmt::format("{}:{:016x}", live.size(), h);
}

size_t ConnectionListFragments::size() const {
  std::lock_guard lock(mu_);
  return fragments_.size();
}

std::string ConnectionListFragments::Answer(const std::string& items) {
  std::string out;
  out.reserve(items.size() + 20);
  out += R"({"connections":[)";
  out += items;
  out += "]}";
  return out;
}

}  // namespace sluice
