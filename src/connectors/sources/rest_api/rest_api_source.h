#pragma once
// source-rest-api: the seed's simple "REST API" source. Its config (url_base, authentication,
// endpoints with path / method / params / record path / pagination / cursor) becomes a
// declarative manifest (rest_api_config.h) that source-declarative-manifest runs: the one HTTP,
// pagination and incremental implementation. sluice's own connector: no Airbyte twin.

#include <memory>

#include "connectors/sdk/source.h"

namespace sluice {

std::unique_ptr<Source> MakeRestApiSource();

}  // namespace sluice
