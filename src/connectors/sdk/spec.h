#pragma once
// ConnectorSpec: what `spec` prints — the JSON Schema of a connector's config plus its
// capabilities (airbyte_protocol.yaml#/definitions/ConnectorSpecification).

#include <string>
#include <vector>

#include "base/json.h"
#include "protocol/catalog.h"

namespace sluice {

struct ConnectorSpec {
  std::string documentation_url;
  Json connection_specification = Json::object();  //!< JSON Schema; secrets carry airbyte_secret
  bool supports_incremental = false;               //!< sources
  std::vector<DestinationSyncMode> supported_destination_sync_modes;  //!< destinations

  Json ToJson() const;
  static ConnectorSpec FromJson(const Json& json);
  //! True when this destination accepts `mode`.
  bool Supports(DestinationSyncMode mode) const;
};

}  // namespace sluice
