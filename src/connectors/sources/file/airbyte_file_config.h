#pragma once
// Airbyte source-file's single-file config — dataset_name, format, url, provider,
// reader_options (a JSON string) — as sluice's own `streams` form, so a config written for
// Airbyte works as written. Pure: no I/O.

#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

//! The top-level keys of Airbyte's single-file shape.
const std::vector<std::string_view>& AirbyteFileKeys();

//! Whether `config` uses Airbyte's shape (any of AirbyteFileKeys()); mixing it with `streams` is a
//! config error naming both.
Result<bool> UsesAirbyteFileShape(const Json& config);

//! The same config in sluice's form: {"streams": [one stream named dataset_name], "provider",
//! …}. Config errors name the Airbyte key: a format or provider storage sluice cannot read (it
//! reads csv, json, jsonl, parquet over HTTPS, S3 and local), a reader option it does not map.
Result<Json> AirbyteFileConfigToStreams(const Json& config);

}  // namespace sluice
