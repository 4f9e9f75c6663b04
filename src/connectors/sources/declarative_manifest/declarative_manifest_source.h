#pragma once
// source-declarative-manifest: REST API sources from Airbyte's declarative (low-code) YAML
// manifests, configured as Airbyte's connector of that name is — the parsed manifest under the
// config key `__injected_declarative_manifest`, beside the manifest's own config values.

#include <memory>
#include <string>

#include "base/json.h"
#include "base/status.h"
#include "connectors/sdk/source.h"

namespace sluice {

//! The config key holding the manifest (Airbyte's).
inline constexpr const char* kInjectedManifestKey = "__injected_declarative_manifest";
//! sluice's config key for the directory relative JsonFileSchemaLoader paths start from
//! (pipeline files set it to the manifest file's directory).
inline constexpr const char* kManifestDirectoryKey = "__injected_manifest_directory";

std::unique_ptr<Source> MakeDeclarativeManifestSource();

//! The manifest's own spec (its `spec.connection_specification`), for `spec` with a config
//! that carries a manifest.
Result<ConnectorSpec> DeclarativeManifestSpec(const Json& manifest);

}  // namespace sluice
