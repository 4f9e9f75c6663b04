#pragma once
// ConnectorSpec: what `spec` prints — the JSON Schema of a connector's config plus its
// capabilities (airbyte_protocol.yaml#/definitions/ConnectorSpecification).

#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "protocol/catalog.h"

namespace sluice {

struct ConnectorSpec {
  std::string documentation_url;
  Json connection_specification = Json::object();  //!< JSON Schema; secrets carry airbyte_secret
  bool supports_incremental = false;               //!< sources
  std::vector<DestinationSyncMode> supported_destination_sync_modes;  //!< destinations

  //! A source's spec: where its documentation is, its config schema, whether it reads incrementally.
  static ConnectorSpec ForSource(std::string documentation_url, Json connection_specification,
                                 bool supports_incremental) {
    ConnectorSpec spec;
    spec.documentation_url = std::move(documentation_url);
    spec.connection_specification = std::move(connection_specification);
    spec.supports_incremental = supports_incremental;
    return spec;
  }

  Json ToJson() const;
  static ConnectorSpec FromJson(const Json& json);
  //! True when this destination accepts `mode`.
  bool Supports(DestinationSyncMode mode) const;
};

}  // namespace sluice
