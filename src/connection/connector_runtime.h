#pragma once
// Shared by the CLI commands: finding connectors (built-in by name, or an external command),
// reading JSON files, and preparing a config (validated against the spec, defaults applied).

#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "connectors/sdk/registry.h"

namespace sluice {

//! A source or destination ready to use, with its spec.
struct ResolvedConnector {
  std::string name;  //!< "source-faker", or the external command line
  std::unique_ptr<Source> source;
  std::unique_ptr<Destination> destination;
  ConnectorSpec spec;
};

//! A built-in connector by name ("faker", "source-faker", or Airbyte's image or definition id of
//! the connector it replaces), an external command, or — a Docker image sluice has no built-in
//! for ("airbyte/source-stripe:5.4.1") — that image through `docker run -i`
//! (connectors/external/docker_image.h; a ConfigError says what is missing without Docker).
Result<ResolvedConnector> ResolveConnector(ConnectorKind kind, const std::string& name,
                                           const std::vector<std::string>& command);
//! Pure: whether `source` can read `config` (prepared) continuously — a ContinuousSource whose
//! CheckContinuous accepts it (source-postgres with replication_method CDC). A config error
//! otherwise. The one rule for `sluice sync --continuous` and scheduleType continuous.
Status CheckCanReadContinuously(const ResolvedConnector& source, const Json& config);
//! Validates `config` against the connector's spec for it (SpecForConfig; every violation listed)
//! and applies defaults.
Result<Json> PrepareConnectorConfig(const ResolvedConnector& connector, const Json& config);
//! The spec that governs `config`: the connector's own, or for a ConfigSpecSource the spec its
//! config carries (source-declarative-manifest: the manifest's). Pure.
ConnectorSpec SpecForConfig(const ResolvedConnector& connector, const Json& config);
//! The JSON Schema that marks the secrets of `config` for the built-in named `name`: `schema` (its
//! generic spec), or the carried spec when the built-in is a ConfigSpecSource. What the server and
//! the workers mask, keep and redact by. Pure.
Json ConfigSchemaFor(ConnectorKind kind, const std::string& name, const Json& schema, const Json& config);
//! Reads and parses a JSON file; errors name `what` and the path.
Result<Json> ReadJsonFile(const std::string& path, std::string_view what);

}  // namespace sluice
