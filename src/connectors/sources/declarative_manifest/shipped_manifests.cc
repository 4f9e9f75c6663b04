#include "connectors/sources/declarative_manifest/shipped_manifests.h"

#include <fmt/format.h>

#include "connectors/sdk/registry.h"
#include "connectors/sources/declarative_manifest/declarative_manifest_source.h"
#include "formats/yaml/yaml_json.h"

namespace sluice {

Result<Json> ShippedManifest(std::string_view name) {
  std::vector<std::string> names;
  for (const ShippedManifestText& m : ShippedManifestTexts()) {
    if (m.name == name) return YamlToJson(m.yaml, fmt::format("manifests/{}.yaml (shipped)", name));
    names.emplace_back(m.name);
  }
  return Status::ConfigError(fmt::format("no shipped manifest '{}'; shipped: {}", name, fmt::join(names, ", ")));
}

namespace {

//! source-<name>: source-declarative-manifest with a shipped manifest. Its config holds only the
//! manifest's values; the manifest is injected before every call.
class ShippedManifestSource final : public Source, public ConfigUpdatingSource {
 public:
  std::optional<Json> TakeConfigUpdate() override { return sluice::TakeConfigUpdate(*inner_); }

  explicit ShippedManifestSource(std::string name) : name_(std::move(name)) {}

  ConnectorSpec Spec() const override {
    auto manifest = ShippedManifest(name_);
    if (!manifest.ok()) return inner_->Spec();
    auto spec = DeclarativeManifestSpec(*manifest);
    return spec.ok() ? *spec : inner_->Spec();
  }
  Status Check(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(Json c, Injected(config));
    return inner_->Check(c);
  }
  Result<Catalog> Discover(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(Json c, Injected(config));
    return inner_->Discover(c);
  }
  Status Read(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out) override {
    SLUICE_ASSIGN_OR_RETURN(Json c, Injected(config));
    return inner_->Read(c, catalog, state, out);
  }

 private:
  Result<Json> Injected(const Json& config) const {
    SLUICE_ASSIGN_OR_RETURN(Json manifest, ShippedManifest(name_));
    Json c = config.is_object() ? config : Json::object();
    c[kInjectedManifestKey] = std::move(manifest);
    return c;
  }

  std::string name_;
  std::unique_ptr<Source> inner_ = MakeDeclarativeManifestSource();
};

std::unique_ptr<Source> MakeShipped(const char* name) { return std::make_unique<ShippedManifestSource>(name); }

}  // namespace

SLUICE_REGISTER_SOURCE("source-stripe", "Stripe",
                       "customers, charges, invoices, subscriptions; incremental by created (a manifest shipped with sluice)",
                       [] { return MakeShipped("stripe"); });
SLUICE_REGISTER_SOURCE("source-salesforce", "Salesforce",
                       "every queryable object (sobjects, fields and types from describe) through SOQL; OAuth refresh "
                       "token; incremental by SystemModstamp where the object has it (a manifest shipped with sluice)",
                       [] { return MakeShipped("salesforce"); });

}  // namespace sluice
