#include "connectors/sdk/registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

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

namespace {

// Filled before main() by BuiltinRegistration; a function-local static, so it exists whatever
// the order in which the connectors' files are initialized.
std::vector<ConnectorInfo>& PendingBuiltins() {
  static auto* pending = new std::vector<ConnectorInfo>();
  return *pending;
}

}  // namespace

BuiltinRegistration::BuiltinRegistration(ConnectorInfo info) { PendingBuiltins().push_back(std::move(info)); }

Registry& Registry::Builtins() {
  static Registry* registry = [] {
    auto* r = new Registry();
    std::vector<ConnectorInfo> all = PendingBuiltins();
    // Sources first, then destinations, each by name: the same order whatever the link order.
    std::sort(all.begin(), all.end(), [](const ConnectorInfo& a, const ConnectorInfo& b) {
      return std::tie(a.kind, a.name) < std::tie(b.kind, b.name);
    });
    for (auto& info : all) r->Add(std::move(info));
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
  if (matches.empty()) {
    if (const AirbyteDefinition* airbyte = FindAirbyteDefinition(name, kind)) {
      for (std::string_view builtin : airbyte->sluice_names) {
        for (const auto& c : connectors_) {
          if (c.kind == airbyte->kind && c.name == builtin) return &c;
        }
      }
      return Status::ConfigError(fmt::format(
          "'{}' is Airbyte's {} (definition {}), which this sluice has no built-in for; run Airbyte's connector as an "
          "external one (`command: [...]`), or see `sluice connectors` for the built-ins",
          name, airbyte->docker_repository, airbyte->definition_id));
    }
  }
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
