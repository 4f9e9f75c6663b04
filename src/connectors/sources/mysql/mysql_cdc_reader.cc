#include "connectors/sources/mysql/mysql_cdc_reader.h"

namespace sluice {

Status ReadMySqlCdc(const MySqlSourceConfig&, const ConfiguredCatalog&, const StateStore&, Emitter&,
                    const std::atomic<bool>*) {
  return Status::ConfigError("replication_method: CDC is not implemented yet");
}

}  // namespace sluice
