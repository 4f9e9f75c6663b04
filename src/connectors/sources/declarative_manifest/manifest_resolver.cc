#include "connectors/sources/declarative_manifest/manifest_resolver.h"

#include <map>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "protocol/config_validator.h"

namespace sluice {
namespace {

constexpr std::string_view kParameters = "$parameters";

//! The default component type of a field, by "ParentType.field" (the CDK's DEFAULT_MODEL_TYPES).
const std::map<std::string, std::string, std::less<>>& DefaultTypes() {
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {"CompositeErrorHandler.error_handlers", "DefaultErrorHandler"},
      {"CursorPagination.decoder", "JsonDecoder"},
      {"DatetimeBasedCursor.end_datetime", "MinMaxDatetime"},
      {"DatetimeBasedCursor.end_time_option", "RequestOption"},
      {"DatetimeBasedCursor.start_datetime", "MinMaxDatetime"},
      {"DatetimeBasedCursor.start_time_option", "RequestOption"},
      {"DeclarativeSource.check", "CheckStream"},
      {"DeclarativeSource.spec", "Spec"},
      {"DeclarativeSource.streams", "DeclarativeStream"},
      {"DeclarativeSource.dynamic_streams", "DynamicDeclarativeStream"},
      {"DynamicDeclarativeStream.stream_template", "DeclarativeStream"},
      {"DynamicDeclarativeStream.components_resolver", "HttpComponentsResolver"},
      {"HttpComponentsResolver.retriever", "SimpleRetriever"},
      {"HttpComponentsResolver.components_mapping", "ComponentMappingDefinition"},
      {"DynamicSchemaLoader.retriever", "SimpleRetriever"},
      {"DynamicSchemaLoader.schema_type_identifier", "SchemaTypeIdentifier"},
      {"SchemaTypeIdentifier.types_mapping", "TypesMap"},
      {"DeclarativeStream.retriever", "SimpleRetriever"},
      {"DeclarativeStream.schema_loader", "JsonFileSchemaLoader"},
      {"DefaultErrorHandler.response_filters", "HttpResponseFilter"},
      {"DefaultPaginator.decoder", "JsonDecoder"},
      {"DefaultPaginator.page_size_option", "RequestOption"},
      {"DpathExtractor.decoder", "JsonDecoder"},
      {"HttpRequester.error_handler", "DefaultErrorHandler"},
      {"ListPartitionRouter.request_option", "RequestOption"},
      {"ParentStreamConfig.request_option", "RequestOption"},
      {"ParentStreamConfig.stream", "DeclarativeStream"},
      {"RecordSelector.extractor", "DpathExtractor"},
      {"RecordSelector.record_filter", "RecordFilter"},
      {"SimpleRetriever.paginator", "NoPagination"},
      {"SimpleRetriever.record_selector", "RecordSelector"},
      {"SimpleRetriever.requester", "HttpRequester"},
      {"SubstreamPartitionRouter.parent_stream_configs", "ParentStreamConfig"},
      {"AddFields.fields", "AddedFieldDefinition"},
      {"SessionTokenAuthenticator.login_requester", "HttpRequester"},
  };
  return kTypes;
}

//! "#/definitions/a/b" or "*ref(definitions.a.b)" → the pointer "/definitions/a/b".
std::optional<std::string> PointerOf(const std::string& ref) {
  if (ref.starts_with("#")) return ref.substr(1);
  if (ref.starts_with("*ref(") && ref.ends_with(")")) {
    std::string dotted = ref.substr(5, ref.size() - 6);
    std::string pointer;
    for (char c : dotted) pointer += c == '.' ? '/' : c;
    return "/" + pointer;
  }
  return std::nullopt;
}

class Resolver {
 public:
  explicit Resolver(const Json& root) : root_(root) {}

  Result<Json> Resolve(const Json& node, const std::string& path) {
    if (node.is_string()) {
      const std::string& s = node.get_ref<const std::string&>();
      if (s.starts_with("*ref(")) return Follow(s, path);
      return node;
    }
    if (node.is_array()) {
      Json out = Json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        SLUICE_ASSIGN_OR_RETURN(Json item, Resolve(node[i], JsonPathIndex(path, i)));
        out.push_back(std::move(item));
      }
      return out;
    }
    if (!node.is_object()) return node;
    Json out = Json::object();
    auto ref = node.find("$ref");
    if (ref != node.end()) {
      if (!ref->is_string()) return Status::ConfigError(fmt::format("manifest {}: $ref must be a string", JsonPathKey(path, "$ref")));
      SLUICE_ASSIGN_OR_RETURN(Json target, Follow(ref->get<std::string>(), JsonPathKey(path, "$ref")));
      if (!target.is_object()) {
        if (node.size() == 1) return target;
        return Status::ConfigError(fmt::format("manifest {}: '{}' is not a mapping, so keys beside $ref cannot extend it",
                                               JsonPathKey(path, "$ref"), ref->get<std::string>()));
      }
      out = std::move(target);
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() == "$ref") continue;
      SLUICE_ASSIGN_OR_RETURN(Json value, Resolve(it.value(), JsonPathKey(path, it.key())));
      out[it.key()] = std::move(value);
    }
    return out;
  }

 private:
  Result<Json> Follow(const std::string& ref, const std::string& path) {
    std::optional<std::string> pointer = PointerOf(ref);
    if (!pointer) {
      return Status::ConfigError(fmt::format("manifest {}: '{}' is not a reference like \"#/definitions/name\"", path, ref));
    }
    if (active_.count(*pointer)) {
      return Status::ConfigError(fmt::format("manifest {}: '{}' refers to itself (a cycle of references)", path, ref));
    }
    const Json* target = nullptr;
    try {
      target = &root_.at(Json::json_pointer(*pointer));
    } catch (const std::exception&) {
      return Status::ConfigError(fmt::format("manifest {}: '{}' does not exist in the manifest", path, ref));
    }
    active_.insert(*pointer);
    Result<Json> resolved = Resolve(*target, path);
    active_.erase(*pointer);
    return resolved;
  }

  const Json& root_;
  std::set<std::string> active_;
};

bool IsJsonSchema(const Json& c) {
  auto t = c.find("type");
  if (t == c.end()) return false;
  return *t == "object" || *t == Json::array({"null", "object"});
}

bool Falsy(const Json& v) {
  return v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()) ||
         (v.is_boolean() && !v.get<bool>()) || ((v.is_object() || v.is_array()) && v.empty()) ||
         (v.is_number() && v == 0);
}

Json Propagate(const std::string& parent_field, const Json& component, const Json& parent_parameters) {
  Json out = component;
  if (!out.contains("type")) {
    auto it = DefaultTypes().find(parent_field);
    if (it != DefaultTypes().end() && !out.contains("class_name")) out["type"] = it->second;
  }
  Json parameters = parent_parameters;
  if (auto own = out.find(kParameters); own != out.end()) {
    if (own->is_object()) {
      for (auto it = own->begin(); it != own->end(); ++it) parameters[it.key()] = it.value();
    }
    out.erase(std::string(kParameters));
  }
  if (IsJsonSchema(out)) return out;
  if (!out.contains("type")) {
    // A plain mapping: only nested typed components get the parameters.
    for (auto it = out.begin(); it != out.end(); ++it) {
      if (it->is_object() && it->contains("type")) *it = Propagate(parent_field, *it, parameters);
    }
    return out;
  }
  for (auto it = parameters.begin(); it != parameters.end(); ++it) {
    auto field = out.find(it.key());
    if (field == out.end() || Falsy(*field)) out[it.key()] = it.value();
  }
  const std::string type = out["type"].is_string() ? out["type"].get<std::string>() : "";
  for (auto it = out.begin(); it != out.end(); ++it) {
    if (!it->is_object() && !it->is_array()) continue;
    // A parameter named like the field is not passed into it (the CDK avoids the cycle).
    Json child_parameters = parameters;
    child_parameters.erase(it.key());
    const std::string field = type + "." + it.key();
    if (it->is_object()) {
      *it = Propagate(field, *it, child_parameters);
    } else {
      for (Json& element : *it) {
        if (element.is_object()) element = Propagate(field, element, child_parameters);
      }
    }
  }
  if (!parameters.empty()) out[std::string(kParameters)] = parameters;
  return out;
}

}  // namespace

Result<Json> ResolveManifestReferences(const Json& manifest) {
  if (!manifest.is_object()) return Status::ConfigError("manifest: expected a mapping (version, streams, spec, ...)");
  Resolver resolver(manifest);
  return resolver.Resolve(manifest, "$");
}

Json PropagateManifestParameters(const Json& resolved) {
  Json out = resolved;
  if (!out.contains("type")) out["type"] = "DeclarativeSource";
  return Propagate("", out, Json::object());
}

Result<Json> ResolveManifest(const Json& manifest) {
  SLUICE_ASSIGN_OR_RETURN(Json resolved, ResolveManifestReferences(manifest));
  return PropagateManifestParameters(resolved);
}

}  // namespace sluice
