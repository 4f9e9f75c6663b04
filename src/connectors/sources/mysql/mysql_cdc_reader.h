#pragma once
// source-mysql in CDC mode: see the .cc (filled in by the CDC step).

#include <atomic>

#include "base/status.h"
#include "connectors/sdk/source.h"
#include "connectors/sources/mysql/mysql_source_config.h"

namespace sluice {

Status ReadMySqlCdc(const MySqlSourceConfig& config, const ConfiguredCatalog& catalog, const StateStore& state,
                    Emitter& out, const std::atomic<bool>* end = nullptr);

}  // namespace sluice
