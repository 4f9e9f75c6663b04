#include "connectors/sdk/registry.h"

#include <fmt/format.h>

namespace sluice {

std::string_view StreamStatusName(StreamStatus status) {
  switch (status) {
    case StreamStatus::kStarted: return "STARTED";
    case StreamStatus::kRunning: return "RUNNING";
    case StreamStatus::kComplete: return "COMPLETE";
    case StreamStatus::kIncomplete: return "INCOMPLETE";
  }
  return "RUNNING";
}

Registry& Registry::Builtins() {
  static Registry* registry = [] {
    auto* r = new Registry();
    RegisterBuiltinConnectors(*r);
    return r;
  }();
  return *registry;
}

void Registry::Add(ConnectorInfo info) { connectors_.push_back(std::move(info)); }

Result<const ConnectorInfo*> Registry::Find(std::string_view name, std::optional<ConnectorKind> kind) const {
  std::vector<const ConnectorInfo*> matches;
  for (const auto& c : connectors_) {
    if (kind && c.kind != *kind) continue;
    const std::string_view prefix = c.kind == ConnectorKind::kSource ? "source-" : "destination-";
    std::string_view short_name = std::string_view(c.name).substr(prefix.size());
    if (c.name == name) return &c;
    if (short_name == name) matches.push_back(&c);
  }
  if (matches.size() == 1) return matches[0];
  std::string known;
  for (const auto& c : connectors_) {
    if (kind && c.kind != *kind) continue;
    known += known.empty() ? c.name : ", " + c.name;
  }
  if (matches.size() > 1) {
    return Status::ConfigError(fmt::format("connector '{}' is ambiguous: say source-{} or destination-{}", name, name,
                                           name));
  }
  return Status::ConfigError(fmt::format("unknown connector '{}' (known: {})", name, known));
}

}  // namespace sluice
