#pragma once
// A built-in source that is source-declarative-manifest underneath: its own spec, and a function
// turning its config into source-declarative-manifest's config (the manifest under
// `__injected_declarative_manifest` beside the manifest's values). Check / Discover / Read turn
// the config, then forward to an inner DeclarativeManifestSource. Used by the shipped manifests
// (source-stripe, source-salesforce: the manifest injected) and source-rest-api (a manifest made
// from its config).

#include <functional>
#include <memory>
#include <optional>

#include "base/json.h"
#include "base/status.h"
#include "connectors/sdk/source.h"

namespace sluice {

//! Turns a source's config into source-declarative-manifest's config. Pure (no I/O); errors are
//! ConfigErrors naming the config path. Called on the thread of Check / Discover / Read.
using ManifestConfigFn = std::function<Result<Json>(const Json& config)>;

class ManifestBackedSource : public Source, public ConfigUpdatingSource {
 public:
  ManifestBackedSource(ConnectorSpec spec, ManifestConfigFn to_manifest_config);
  ~ManifestBackedSource() override;

  ConnectorSpec Spec() const override { return spec_; }
  Status Check(const Json& config) override;
  Result<Catalog> Discover(const Json& config) override;
  Status Read(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out) override;
  //! The inner source's config update from the last Check / Discover (a rotated OAuth refresh
  //! token), without the injected manifest keys.
  std::optional<Json> TakeConfigUpdate() override { return sluice::TakeConfigUpdate(*inner_); }

 private:
  ConnectorSpec spec_;
  ManifestConfigFn to_manifest_config_;
  std::unique_ptr<Source> inner_;
};

}  // namespace sluice
