#include "connectors/sources/rest_api/rest_api_source.h"

#include "connectors/sdk/registry.h"
#include "connectors/sources/declarative_manifest/declarative_manifest_source.h"
#include "connectors/sources/declarative_manifest/manifest_backed_source.h"
#include "connectors/sources/rest_api/rest_api_config.h"
#include "protocol/config_validator.h"

namespace sluice {
namespace {

ConnectorSpec RestApiConnectorSpec() {
  ConnectorSpec spec;
  spec.supports_incremental = true;
  spec.connection_specification = RestApiSpec();
  return spec;
}

//! source-declarative-manifest's config: the normalized values beside the manifest made of them.
Result<Json> RestApiManifestConfig(const Json& config) {
  SLUICE_ASSIGN_OR_RETURN(Json values, PrepareConfig(RestApiSpec(), NormalizeRestApiConfig(config), "source-rest-api config"));
  SLUICE_ASSIGN_OR_RETURN(Json manifest, RestApiManifest(values));
  values[kInjectedManifestKey] = std::move(manifest);
  return values;
}

class RestApiSource final : public ManifestBackedSource, public ConfigSpecSource {
 public:
  RestApiSource() : ManifestBackedSource(RestApiConnectorSpec(), RestApiManifestConfig) {}

  //! The spec spelled as `config` writes its keys ("URL Base", "Authentication": {"Token"}), so
  //! the config as written validates and its secrets are masked.
  ConnectorSpec SpecForConfig(const Json& config) const override {
    ConnectorSpec spec = Spec();
    spec.connection_specification = SpellSpecLike(spec.connection_specification, config);
    return spec;
  }
};

}  // namespace

std::unique_ptr<Source> MakeRestApiSource() { return std::make_unique<RestApiSource>(); }

SLUICE_REGISTER_SOURCE("source-rest-api", "REST API",
                       "any REST API from a small config (URL base, authentication, endpoints with params, record path, "
                       "pagination, cursor), run as a declarative manifest; sluice's own, no Airbyte twin",
                       MakeRestApiSource);

}  // namespace sluice
