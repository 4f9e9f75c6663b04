#include "platform/schema_policy.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <utility>

#include "base/text.h"
#include "platform/sync_catalog.h"

namespace sluice {

namespace {

StreamKey KeyOf(const Json& stream) { return StreamKeyOf(stream); }
StreamKey KeyOf(const AirbyteStream& stream) { return {stream.namespace_, stream.name}; }

const Json& StreamsOf(const Json& catalog) {
  static const Json empty = Json::array();
  if (!catalog.is_object()) return empty;
  auto it = catalog.find("streams");
  return it != catalog.end() && it->is_array() ? *it : empty;
}

bool Valid(const Json& entry) {
  return entry.is_object() && entry.contains("stream") && entry["stream"].is_object() &&
         entry["stream"].contains("name") && entry["stream"]["name"].is_string();
}

//! `stored` with every stream the source still has refreshed from `fresh` (its configuration
//! kept), streams the source removed dropped, and — when `add_new` — new streams of `fresh`
//! appended with their default configuration and `selected` = `new_selected`.
Json MergeCatalog(const Json& stored, const Json& fresh, bool add_new, bool new_selected) {
  std::map<StreamKey, const Json*> fresh_by_key;
  for (const Json& entry : StreamsOf(fresh)) {
    if (Valid(entry)) fresh_by_key[KeyOf(entry["stream"])] = &entry;
  }
  Json out = stored.is_object() ? stored : Json::object();
  Json streams = Json::array();
  std::set<StreamKey> kept;
  for (const Json& entry : StreamsOf(stored)) {
    if (!Valid(entry)) continue;
    const StreamKey key = KeyOf(entry["stream"]);
    auto found = fresh_by_key.find(key);
    if (found == fresh_by_key.end()) continue;
    Json merged = entry;
    merged["stream"] = (*found->second)["stream"];
    streams.push_back(std::move(merged));
    kept.insert(key);
  }
  if (add_new) {
    for (const Json& entry : StreamsOf(fresh)) {
      if (!Valid(entry) || kept.count(KeyOf(entry["stream"])) > 0) continue;
      Json added = entry;
      added["config"]["selected"] = new_selected;
      streams.push_back(std::move(added));
    }
  }
  out["streams"] = std::move(streams);
  return out;
}

//! The stored catalog without the streams the source no longer has.
Json WithoutRemovedStreams(const Json& stored, const Catalog& discovered) {
  std::set<StreamKey> present;
  for (const auto& s : discovered.streams) present.insert(KeyOf(s));
  Json out = stored.is_object() ? stored : Json::object();
  Json streams = Json::array();
  for (const Json& entry : StreamsOf(stored)) {
    if (Valid(entry) && present.count(KeyOf(entry["stream"])) > 0) streams.push_back(entry);
  }
  out["streams"] = std::move(streams);
  return out;
}

//! `discovered` where every stream the stored catalog has reads only the stored fields (those the
//! source still has; each with its discovered schema, which may have widened).
Catalog StoredFieldsOnly(const Json& stored, const Catalog& discovered) {
  std::map<StreamKey, const Json*> stored_schemas;
  for (const Json& entry : StreamsOf(stored)) {
    if (!Valid(entry)) continue;
    auto it = entry["stream"].find("jsonSchema");
    if (it != entry["stream"].end() && it->is_object()) stored_schemas[KeyOf(entry["stream"])] = &*it;
  }
  Catalog out = discovered;
  for (AirbyteStream& s : out.streams) {
    auto found = stored_schemas.find(KeyOf(s));
    if (found == stored_schemas.end() || !s.json_schema.is_object()) continue;
    const Json* stored_props = found->second->contains("properties") ? &(*found->second)["properties"] : nullptr;
    if (stored_props == nullptr || !stored_props->is_object()) continue;  // a schema written without fields
    auto props = s.json_schema.find("properties");
    if (props == s.json_schema.end() || !props->is_object()) continue;
    Json kept = Json::object();
    for (const auto& [name, schema] : props->items()) {
      if (stored_props->contains(name)) kept[name] = schema;
    }
    *props = std::move(kept);
    if (auto required = s.json_schema.find("required"); required != s.json_schema.end() && required->is_array()) {
      Json still = Json::array();
      for (const auto& r : *required) {
        if (r.is_string() && (*props).contains(r.get<std::string>())) still.push_back(r);
      }
      *required = std::move(still);
    }
  }
  return out;
}

bool HasPath(const Json& json_schema, const Json& path) {
  if (!path.is_array() || path.empty()) return false;
  const Json* node = &json_schema;
  for (const Json& part : path) {
    if (!part.is_string() || !node->is_object()) return false;
    auto props = node->find("properties");
    if (props == node->end() || !props->is_object() || !props->contains(part.get<std::string>())) return false;
    node = &(*props)[part.get<std::string>()];
  }
  return true;
}

//! A reviewed stream whose configured cursor or primary key names a field the source no longer
//! has takes the source's own (possibly none): saving then either works or says what to choose.
void RepairKeys(Json& entry) {
  const Json& stream = entry["stream"];
  Json& config = entry["config"];
  if (!config.is_object()) return;
  const Json schema = stream.value("jsonSchema", Json::object());
  if (auto cursor = config.find("cursorField"); cursor != config.end() && cursor->is_array() && !cursor->empty() &&
                                                !HasPath(schema, *cursor)) {
    *cursor = stream.value("defaultCursorField", Json::array());
  }
  if (auto pk = config.find("primaryKey"); pk != config.end() && pk->is_array()) {
    for (const Json& path : *pk) {
      if (!HasPath(schema, path)) {
        *pk = stream.value("sourceDefinedPrimaryKey", Json::array());
        break;
      }
    }
  }
}

}  // namespace

std::string_view NonBreakingPolicyName(NonBreakingPolicy policy) {
  switch (policy) {
    case NonBreakingPolicy::kIgnore: return "ignore";
    case NonBreakingPolicy::kDisable: return "disable";
    case NonBreakingPolicy::kPropagateColumns: return "propagate_columns";
    case NonBreakingPolicy::kPropagateFully: return "propagate_fully";
  }
  return "ignore";
}

std::optional<NonBreakingPolicy> ParseNonBreakingPolicy(std::string_view name) {
  for (auto p : {NonBreakingPolicy::kIgnore, NonBreakingPolicy::kDisable, NonBreakingPolicy::kPropagateColumns,
                 NonBreakingPolicy::kPropagateFully}) {
    if (NonBreakingPolicyName(p) == name) return p;
  }
  return std::nullopt;
}

std::string_view SchemaPolicyOutcome::ActionName() const {
  if (diff.empty()) return "none";
  if (disables_connection()) return "connection_disabled";
  if (new_sync_catalog) return "propagated";
  return "pending";
}

std::string SchemaPolicyOutcome::FailureMessage() const {
  std::vector<std::string> lines;
  for (std::string& line : diff.Describe()) {
    if (action != Action::kFailBreaking || line.find("(breaking") != std::string::npos) lines.push_back(std::move(line));
  }
  if (action == Action::kFailBreaking) {
    return fmt::format(
        "breaking schema change: {}. The connection is disabled: refresh the source schema, review the changes "
        "(choose another cursor or primary key, or deselect the stream), save the streams, then enable the "
        "connection again",
        JoinText(lines, "; "));
  }
  return fmt::format(
      "the source schema changed ({}: {}) and the connection's nonBreakingChangesPreference is 'disable': the "
      "connection is disabled. Review and accept the changes, then enable the connection again",
      diff.Summary(), JoinText(lines, "; "));
}

Json SchemaPolicyOutcome::ToJobJson() const {
  Json changes = Json::array();
  for (std::string& line : diff.Describe()) changes.push_back(std::move(line));
  return {{"schemaChange", SchemaChangeName(diff.change())},
          {"nonBreakingChangesPreference", NonBreakingPolicyName(policy)},
          {"action", ActionName()},
          {"summary", diff.Summary()},
          {"changes", std::move(changes)},
          {"catalogDiff", diff.ToJson()}};
}

Result<SchemaPolicyOutcome> ApplySchemaPolicy(const Connection& connection, const Catalog& discovered,
                                              const ConnectorSpec& destination_spec) {
  SchemaPolicyOutcome out;
  out.policy = ParseNonBreakingPolicy(connection.non_breaking_changes_preference).value_or(NonBreakingPolicy::kIgnore);
  const Json& stored = connection.sync_catalog;
  const Json fresh = SyncCatalogFromDiscovered(discovered, &destination_spec);
  out.diff = DiffSyncCatalogs(stored, fresh);
  out.run_sync_catalog = stored;
  out.run_discovered = discovered;
  if (out.diff.empty()) return out;

  if (out.diff.breaking()) {
    out.action = SchemaPolicyOutcome::Action::kFailBreaking;
    out.pending = out.diff;
    return out;
  }
  switch (out.policy) {
    case NonBreakingPolicy::kDisable:
      out.action = SchemaPolicyOutcome::Action::kDisable;
      out.pending = out.diff;
      return out;
    case NonBreakingPolicy::kIgnore:
      out.pending = out.diff;
      out.run_sync_catalog = WithoutRemovedStreams(stored, discovered);
      out.run_discovered = StoredFieldsOnly(stored, discovered);
      return out;
    case NonBreakingPolicy::kPropagateColumns:
    case NonBreakingPolicy::kPropagateFully: {
      const bool fully = out.policy == NonBreakingPolicy::kPropagateFully;
      Json merged = MergeCatalog(stored, fresh, fully, true);
      auto normalized = NormalizeSyncCatalog(merged, destination_spec);
      if (!normalized.ok()) {
        return Status::ConfigError(fmt::format("cannot propagate the schema change ({}): {}", out.diff.Summary(),
                                               normalized.status().message()));
      }
      out.new_sync_catalog = *normalized;
      out.run_sync_catalog = *normalized;
      out.pending = DiffSyncCatalogs(*normalized, fresh);
      return out;
    }
  }
  return out;
}

Json RefreshedSyncCatalog(const Json& stored, const Catalog& discovered, const ConnectorSpec* destination_spec) {
  Json out = MergeCatalog(stored, SyncCatalogFromDiscovered(discovered, destination_spec), true, false);
  for (Json& entry : out["streams"]) RepairKeys(entry);
  return out;
}

}  // namespace sluice
