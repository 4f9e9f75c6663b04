#include "connectors/sdk/spec.h"

#include <algorithm>

namespace sluice {

Json ConnectorSpec::ToJson() const {
  Json j = Json::object();
  if (!documentation_url.empty()) j["documentationUrl"] = documentation_url;
  j["connectionSpecification"] = connection_specification;
  j["supportsIncremental"] = supports_incremental;
  if (!supported_destination_sync_modes.empty()) {
    Json modes = Json::array();
    for (auto m : supported_destination_sync_modes) modes.push_back(DestinationSyncModeName(m));
    j["supported_destination_sync_modes"] = modes;
  }
  j["protocol_version"] = "0.3.2";
  return j;
}

ConnectorSpec ConnectorSpec::FromJson(const Json& j) {
  ConnectorSpec s;
  if (j.contains("documentationUrl") && j["documentationUrl"].is_string()) {
    s.documentation_url = j["documentationUrl"].get<std::string>();
  }
  if (j.contains("connectionSpecification")) s.connection_specification = j["connectionSpecification"];
  if (j.contains("supportsIncremental") && j["supportsIncremental"].is_boolean()) {
    s.supports_incremental = j["supportsIncremental"].get<bool>();
  }
  if (j.contains("supported_destination_sync_modes") && j["supported_destination_sync_modes"].is_array()) {
    for (const auto& m : j["supported_destination_sync_modes"]) {
      DestinationSyncMode mode;
      if (m.is_string() && ParseDestinationSyncMode(m.get<std::string>(), mode)) {
        s.supported_destination_sync_modes.push_back(mode);
      }
    }
  }
  return s;
}

bool ConnectorSpec::Supports(DestinationSyncMode mode) const {
  return std::find(supported_destination_sync_modes.begin(), supported_destination_sync_modes.end(), mode) !=
         supported_destination_sync_modes.end();
}

}  // namespace sluice
