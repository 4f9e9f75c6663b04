#include "connectors/sources/declarative_manifest/manifest_backed_source.h"

#include "connectors/sources/declarative_manifest/declarative_manifest_source.h"

namespace sluice {

ManifestBackedSource::ManifestBackedSource(ConnectorSpec spec, ManifestConfigFn to_manifest_config)
    : spec_(std::move(spec)), to_manifest_config_(std::move(to_manifest_config)), inner_(MakeDeclarativeManifestSource()) {}

ManifestBackedSource::~ManifestBackedSource() = default;

Status ManifestBackedSource::Check(const Json& config) {
  SLUICE_ASSIGN_OR_RETURN(Json c, to_manifest_config_(config));
  return inner_->Check(c);
}

Result<Catalog> ManifestBackedSource::Discover(const Json& config) {
  SLUICE_ASSIGN_OR_RETURN(Json c, to_manifest_config_(config));
  return inner_->Discover(c);
}

Status ManifestBackedSource::Read(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out) {
  SLUICE_ASSIGN_OR_RETURN(Json c, to_manifest_config_(config));
  return inner_->Read(c, catalog, state, out);
}

}  // namespace sluice
