#include "connectors/sdk/airbyte_definitions.h"

#include <cctype>

namespace sluice {

namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// From Airbyte's connector metadata (airbyte-integrations/connectors/<name>/metadata.yaml:
// definitionId, dockerRepository). Ids never change in Airbyte's registry; add a row when a
// built-in replaces another Airbyte connector.
const std::vector<AirbyteDefinition>& Table() {
  using K = ConnectorKind;
  static const auto* table = new std::vector<AirbyteDefinition>{
      {K::kSource, "airbyte/source-declarative-manifest", "0b5c867e-1b12-4d02-ab74-97b2184ff6d8",
       {"source-declarative-manifest"}},
      {K::kSource, "airbyte/source-faker", "dfd88b22-b603-4c3d-aad7-3701784586b1", {"source-faker"}},
      {K::kSource, "airbyte/source-file", "778daa7c-feaf-4db6-96f3-70fd645acc77", {"source-file"}},
      {K::kSource, "airbyte/source-mongodb-v2", "b2e713cd-cc36-4c0a-b5bd-b47cb8a0561e",
       {"source-mongodb-v2", "source-mongodb"}},
      {K::kSource, "airbyte/source-mysql", "435bb9a5-7887-4809-aa58-28c27df0d7ad", {"source-mysql"}},
      {K::kSource, "airbyte/source-postgres", "decd338e-5647-4c0b-adf4-da0e75f5a750", {"source-postgres"}},
      {K::kSource, "airbyte/source-s3", "69589781-7828-43c5-9f63-8925b1c1ccc2", {"source-s3"}},
      // A manifest shipped with sluice: Airbyte's config keys, fewer streams (its README).
      {K::kSource, "airbyte/source-stripe", "e094cb9a-26de-4645-8761-65c0c425d1de", {"source-stripe"}},
      {K::kDestination, "airbyte/destination-csv", "8be1cf83-fde1-477f-a4ad-318d23c9f3c6", {"destination-csv"}},
      {K::kDestination, "airbyte/destination-dev-null", "a7bcc9d8-13b3-4e49-b80d-d020b90045e3",
       {"destination-dev-null"}},
      // Airbyte's Local JSON writes JSON lines under a folder: destination-local's default format.
      {K::kDestination, "airbyte/destination-local-json", "a625d593-bba5-4a1c-a53d-2d246268a816",
       {"destination-local"}},
      {K::kDestination, "airbyte/destination-postgres", "25c5221d-dce2-4163-ade9-739ef790f503",
       {"destination-postgres"}},
      {K::kDestination, "airbyte/destination-s3", "4816b78f-1489-44c1-9060-4b19d5fa9362", {"destination-s3"}},
  };
  return *table;
}

}  // namespace

std::span<const AirbyteDefinition> AirbyteDefinitions() { return Table(); }

std::string_view DockerRepositoryOf(std::string_view image) {
  if (const size_t at = image.find('@'); at != std::string_view::npos) image = image.substr(0, at);
  // A tag follows the last ':' after the last '/' (a registry host may have a port: host:5000/x).
  const size_t slash = image.rfind('/');
  if (const size_t colon = image.rfind(':'); colon != std::string_view::npos &&
                                             (slash == std::string_view::npos || colon > slash)) {
    image = image.substr(0, colon);
  }
  for (std::string_view host : {"docker.io/", "index.docker.io/", "registry-1.docker.io/"}) {
    if (image.starts_with(host)) return image.substr(host.size());
  }
  return image;
}

const AirbyteDefinition* FindAirbyteDefinition(std::string_view id_or_image, std::optional<ConnectorKind> kind) {
  const std::string_view repository = DockerRepositoryOf(id_or_image);
  for (const AirbyteDefinition& d : Table()) {
    if (kind && d.kind != *kind) continue;
    if (EqualsNoCase(d.definition_id, id_or_image) || d.docker_repository == repository) return &d;
  }
  return nullptr;
}

const AirbyteDefinition* AirbyteIdentityOf(std::string_view sluice_name) {
  for (const AirbyteDefinition& d : Table()) {
    for (std::string_view name : d.sluice_names) {
      if (name == sluice_name) return &d;
    }
  }
  return nullptr;
}

}  // namespace sluice
