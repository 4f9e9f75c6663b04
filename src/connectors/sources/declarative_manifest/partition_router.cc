#include "connectors/sources/declarative_manifest/partition_router.h"

#include <fmt/format.h>

#include "protocol/config_validator.h"

#include "base/text.h"
#include "connectors/sources/declarative_manifest/record_selector.h"
#include "connectors/sources/declarative_manifest/manifest_errors.h"

namespace sluice {
namespace {

}  // namespace

Result<std::unique_ptr<PartitionRouter>> PartitionRouter::Make(ConfigReader r, BuildContext& ctx, ParentReader parent) {
  auto out = std::make_unique<PartitionRouter>();
  out->parent_ = std::move(parent);
  std::vector<ConfigReader> items;
  if (r.json().is_array()) {
    for (size_t i = 0; i < r.json().size(); ++i) items.emplace_back(r.json()[i], JsonPathIndex(r.path(), i));
  } else if (r.json().is_object()) {
    items.push_back(r);
  }
  for (ConfigReader& p : items) {
    Vars vars;
    vars.config = ctx.config;
    vars.parameters = &ParametersOf(p);
    auto eval = [&](const std::string& s) {
      Result<std::string> v = ctx.interpolator->Text(Json(s), vars, p.path());
      return v.ok() ? *v : s;
    };
    const std::string type = p.String("type");
    if (type == "ListPartitionRouter") {
      Router router;
      SLUICE_ASSIGN_OR_RETURN(router.key, ctx.interpolator->Text(p.Raw("cursor_field"), vars, p.PathOf("cursor_field")));
      SLUICE_ASSIGN_OR_RETURN(Json values, ctx.interpolator->Value(p.Raw("values"), vars, p.PathOf("values")));
      if (values.is_string()) values = Json::array({values});  // a template that gave one value
      if (!values.is_array()) {
        return Status::ConfigError(fmt::format("manifest {}: values must be a list (or a template giving one), got {}",
                                               p.PathOf("values"), values.dump()));
      }
      for (const Json& v : values) router.values.push_back(v.is_string() ? v : Json(ParamText(v)));
      if (p.Has("request_option")) router.option = RequestOption::Parse(p.Object("request_option"), eval);
      out->routers_.push_back(std::move(router));
    } else if (type == "SubstreamPartitionRouter") {
      for (ConfigReader c : p.Array("parent_stream_configs")) {
        Router router;
        router.list = false;
        vars.parameters = &ParametersOf(c);
        SLUICE_ASSIGN_OR_RETURN(router.key, ctx.interpolator->Text(c.Raw("partition_field"), vars, c.PathOf("partition_field")));
        SLUICE_ASSIGN_OR_RETURN(std::string key, ctx.interpolator->Text(c.Raw("parent_key"), vars, c.PathOf("parent_key")));
        for (size_t start = 0; start <= key.size();) {  // dpath: "a/b" reaches into the parent record
          const size_t slash = key.find('/', start);
          router.parent_key.push_back(key.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
          if (slash == std::string::npos) break;
          start = slash + 1;
        }
        if (router.key.empty()) c.Fail("partition_field", "is required");
        if (key.empty()) c.Fail("parent_key", "is required");
        if (!c.Has("stream")) c.Fail("stream", "is required");
        router.parent = c.Object("stream");
        if (c.Has("request_option")) router.option = RequestOption::Parse(c.Object("request_option"), eval);
        out->routers_.push_back(std::move(router));
      }
    } else {
      return UnsupportedComponent(p, "partition router", type, "ListPartitionRouter, SubstreamPartitionRouter");
    }
    SLUICE_RETURN_IF_ERROR(p.status());
  }
  return out;
}

Result<std::vector<Json>> PartitionRouter::Partitions() {
  std::vector<Json> product = {Json::object()};
  for (Router& router : routers_) {
    std::vector<Json> mine;
    if (router.list) {
      for (const Json& v : router.values) mine.push_back(Json{{router.key, v}});
    } else {
      SLUICE_RETURN_IF_ERROR(parent_(router.parent, [&](const Json& record, const Json& slice) {
        std::vector<const Json*> found;
        DpathValues(record, router.parent_key, 0, found);
        if (found.empty() || found[0]->is_null()) return Status::Ok();  // the CDK skips records without the key
        mine.push_back(Json{{router.key, *found[0]}, {"parent_slice", slice}});
        return Status::Ok();
      }));
    }
    std::vector<Json> next;
    for (const Json& a : product) {
      for (const Json& b : mine) {
        Json merged = a;
        for (auto it = b.begin(); it != b.end(); ++it) merged[it.key()] = it.value();
        next.push_back(std::move(merged));
      }
    }
    product = std::move(next);
  }
  return product;
}

void PartitionRouter::Apply(const Json& partition, PreparedRequest& request) const {
  for (const Router& router : routers_) {
    if (!router.option) continue;
    auto it = partition.find(router.key);
    if (it != partition.end()) router.option->Apply(*it, request);
  }
}

}  // namespace sluice
