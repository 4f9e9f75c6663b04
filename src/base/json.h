#pragma once
// The JSON value type used for configs, catalogs, state and API bodies (not the hot path: records
// travel in RecordBatches and are parsed with simdjson).
#include <nlohmann/json.hpp>

namespace sluice {
using Json = nlohmann::ordered_json;
}  // namespace sluice
