#pragma once
// Airbyte's identities of sluice's built-in connectors: the registry's `definitionId` and
// `dockerRepository` of the Airbyte connector each built-in replaces, so scripts written for
// Airbyte (sources/create with "decd338e-…", `connector: airbyte/source-postgres`) run unchanged.
// The one table of these ids; Registry::Find (CLI, pipeline files) and the API's connector
// catalog both read it. Rows may name built-ins that are not linked into this binary yet: those
// ids are known, and resolving them says the connector is not built in.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

enum class ConnectorKind { kSource, kDestination };

struct AirbyteDefinition {
  ConnectorKind kind;
  std::string_view docker_repository;  //!< "airbyte/source-postgres"
  std::string_view definition_id;      //!< Airbyte's registry id (metadata.yaml `definitionId`)
  //! The sluice built-ins that serve it, in order of preference (the first one registered wins).
  std::vector<std::string_view> sluice_names;
};

//! Every row, sources then destinations.
std::span<const AirbyteDefinition> AirbyteDefinitions();

//! The row whose definition id (any case) or docker repository matches `id_or_image`. The
//! image may carry a tag or digest and a registry host: "airbyte/source-postgres:3.7.0",
//! "docker.io/airbyte/source-postgres". `kind` narrows the search; nullptr when none matches.
const AirbyteDefinition* FindAirbyteDefinition(std::string_view id_or_image,
                                               std::optional<ConnectorKind> kind = std::nullopt);

//! The row of built-in `sluice_name` ("source-postgres"): its Airbyte definition id and
//! repository; nullptr when it has no Airbyte twin.
const AirbyteDefinition* AirbyteIdentityOf(std::string_view sluice_name);

//! `image` without a registry host ("docker.io/"), tag (":1.2") or digest ("@sha256:…");
//! "airbyte/source-postgres" from "docker.io/airbyte/source-postgres:3.7.0".
std::string_view DockerRepositoryOf(std::string_view image);

}  // namespace sluice
