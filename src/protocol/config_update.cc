#include "protocol/config_update.h"

#include "base/time.h"

namespace sluice {

Json ConnectorConfigControlMessage(const Json& config) {
  return Json{{"type", "CONTROL"},
              {"control",
               {{"type", "CONNECTOR_CONFIG"},
                {"emitted_at", NowMicros() / 1000},
                {"connectorConfig", {{"config", config}}}}}};
}

std::optional<Json> ConnectorConfigOfControl(const Json& message) {
  if (!message.is_object() || message.value("type", "") != "CONTROL") return std::nullopt;
  auto control = message.find("control");
  if (control == message.end() || !control->is_object() || control->value("type", "") != "CONNECTOR_CONFIG") {
    return std::nullopt;
  }
  auto cc = control->find("connectorConfig");
  if (cc == control->end() || !cc->is_object()) return std::nullopt;
  auto config = cc->find("config");
  if (config == cc->end() || !config->is_object()) return std::nullopt;
  return *config;
}

void SetConfigPath(Json& config, const std::vector<std::string>& path, Json value) {
  if (path.empty()) return;
  Json* at = &config;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (!at->is_object()) *at = Json::object();
    at = &(*at)[path[i]];
  }
  if (!at->is_object()) *at = Json::object();
  (*at)[path.back()] = std::move(value);
}

const Json* FindConfigPath(const Json& config, const std::vector<std::string>& path) {
  const Json* at = &config;
  for (const std::string& key : path) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

namespace {

Json Changes(const Json& before, const Json& after, bool top) {
  Json out = Json::object();
  if (!after.is_object()) return out;
  for (auto it = after.begin(); it != after.end(); ++it) {
    if (top && it.key().starts_with("__injected")) continue;
    const Json* old = before.is_object() && before.contains(it.key()) ? &before[it.key()] : nullptr;
    if (old != nullptr && old->is_object() && it.value().is_object()) {
      Json inner = Changes(*old, it.value(), false);
      if (!inner.empty()) out[it.key()] = std::move(inner);
    } else if (old == nullptr || *old != it.value()) {
      out[it.key()] = it.value();
    }
  }
  return out;
}

void Paths(const Json& changes, const std::string& prefix, std::vector<std::string>& out) {
  for (auto it = changes.begin(); it != changes.end(); ++it) {
    std::string key;
    for (char c : it.key()) key += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
    const std::string p = prefix + "/" + key;
    if (it.value().is_object() && !it.value().empty()) {
      Paths(it.value(), p, out);
    } else {
      out.push_back(p);
    }
  }
}

}  // namespace

Json ConfigChanges(const Json& before, const Json& after) { return Changes(before, after, true); }

Json ApplyConfigChanges(Json config, const Json& changes) {
  if (!config.is_object()) config = Json::object();
  if (!changes.is_object()) return config;
  for (auto it = changes.begin(); it != changes.end(); ++it) {
    if (it.value().is_object() && config.contains(it.key()) && config[it.key()].is_object()) {
      config[it.key()] = ApplyConfigChanges(std::move(config[it.key()]), it.value());
    } else {
      config[it.key()] = it.value();
    }
  }
  return config;
}

std::vector<std::string> ConfigChangePaths(const Json& changes) {
  std::vector<std::string> out;
  if (changes.is_object()) Paths(changes, "", out);
  return out;
}

}  // namespace sluice
