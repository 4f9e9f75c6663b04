#include "connectors/kit/cdc/schema_changes.h"

namespace sluice {

void SchemaChangesSeen::Load(const Json& position) {
  seen_ = Json::object();
  if (!position.is_object()) return;
  auto it = position.find(kSchemaChangesSeenKey);
  if (it == position.end() || !it->is_object()) return;
  for (const auto& [table, list] : it->items()) {
    if (list.is_array()) seen_[table] = list;
  }
}

void SchemaChangesSeen::SaveTo(Json& position) const {
  if (!seen_.empty()) position[std::string(kSchemaChangesSeenKey)] = seen_;
}

bool SchemaChangesSeen::Seen(const std::string& table, const std::string& what) const {
  auto it = seen_.find(table);
  if (it == seen_.end()) return false;
  for (const Json& x : *it) {
    if (x.is_string() && x.get<std::string>() == what) return true;
  }
  return false;
}

bool SchemaChangesSeen::Announce(const std::string& table, const std::string& what) {
  if (Seen(table, what)) return false;
  Json& list = seen_[table];
  if (!list.is_array()) list = Json::array();
  list.push_back(what);
  return true;
}

}  // namespace sluice
