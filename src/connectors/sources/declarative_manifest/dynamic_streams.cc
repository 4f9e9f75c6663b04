#include "connectors/sources/declarative_manifest/dynamic_streams.h"

#include <fmt/format.h>

#include "connectors/sources/declarative_manifest/declarative_stream.h"
#include "connectors/sources/declarative_manifest/manifest_resolver.h"

namespace sluice {
namespace {

//! Every record `retriever` (a SimpleRetriever component at `path`) reads, without state.
Result<std::vector<Json>> ReadAll(const Json& retriever, const std::string& path, const std::string& name,
                                  BuildContext& ctx, int64_t max_pages = 0) {
  Json& wrapper = ctx.made_components.emplace_back(Json{{"type", "DeclarativeStream"}, {"name", name}, {"retriever", retriever}});
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<DeclarativeStream> stream, DeclarativeStream::Make(ConfigReader(wrapper, path), ctx));
  return stream->ReadRecords(max_pages);
}

//! A ComponentMappingDefinition's value with its value_type (string, number, integer, boolean).
Result<Json> Typed(Json value, const std::string& type, const std::string& path) {
  if (type.empty()) return value;
  auto fail = [&] {
    return Status::ConfigError(fmt::format("manifest {}: the value {} is not of value_type {}", path, value.dump(), type));
  };
  if (type == "string") return value.is_string() ? value : Json(ParamText(value));
  if (type == "boolean") {
    if (value.is_boolean()) return value;
    if (value.is_string() && (value == "true" || value == "True")) return Json(true);
    if (value.is_string() && (value == "false" || value == "False")) return Json(false);
    return fail();
  }
  if (type == "integer" || type == "number") {
    if (value.is_string()) {
      try {
        size_t used = 0;
        const std::string text = value.get<std::string>();
        const double d = std::stod(text, &used);
        if (used != text.size()) return fail();
        value = d;
      } catch (const std::exception&) {
        return fail();
      }
    }
    if (!value.is_number()) return fail();
    if (type == "integer") {
      const double d = value.get<double>();
      if (d != static_cast<double>(static_cast<int64_t>(d))) return fail();
      return Json(static_cast<int64_t>(d));
    }
    return value;
  }
  return Status::ConfigError(fmt::format("manifest {}: unknown value_type '{}' (string, number, integer, boolean)", path, type));
}

}  // namespace

size_t SetMappedValue(Json& target, const std::vector<std::string>& path, const Json& value, bool create) {
  if (path.empty()) return 0;
  const std::string& key = path.front();
  const std::vector<std::string> rest(path.begin() + 1, path.end());
  if (key == "*") {
    size_t n = 0;
    if (target.is_object() || target.is_array()) {
      for (Json& child : target) {
        if (rest.empty()) {
          child = value;
          ++n;
        } else {
          n += SetMappedValue(child, rest, value, create);
        }
      }
    }
    return n;
  }
  Json* child = nullptr;
  if (target.is_array()) {
    size_t index = 0;
    try {
      index = std::stoul(key);
    } catch (const std::exception&) {
      return 0;
    }
    if (index >= target.size()) return 0;
    child = &target[index];
  } else if (target.is_object()) {
    auto it = target.find(key);
    if (it == target.end()) {
      if (!create) return 0;
      target[key] = rest.empty() ? value : Json::object();
      if (rest.empty()) return 1;
      it = target.find(key);
    }
    child = &*it;
  } else {
    return 0;
  }
  if (rest.empty()) {
    *child = value;
    return 1;
  }
  return SetMappedValue(*child, rest, value, create);
}

Result<std::vector<const Json*>> ResolveDynamicStreams(const Json& templates, const Json& resolved, BuildContext& ctx) {
  std::vector<const Json*> out;
  if (templates.is_null()) return out;
  if (!templates.is_array() || !resolved.is_array() || templates.size() != resolved.size()) {
    return Status::ConfigError("manifest $.dynamic_streams: expected a list of DynamicDeclarativeStream");
  }
  for (size_t i = 0; i < templates.size(); ++i) {
    const std::string path = fmt::format("$.dynamic_streams[{}]", i);
    const Json& dyn = resolved[i];
    const Json& raw = templates[i];
    if (!dyn.is_object() || dyn.value("type", "DynamicDeclarativeStream") != "DynamicDeclarativeStream") {
      return Status::ConfigError(fmt::format("manifest {}.type: expected DynamicDeclarativeStream", path));
    }
    const Json resolver = dyn.value("components_resolver", Json());
    const std::string rtype = resolver.is_object() ? resolver.value("type", "") : "";
    if (rtype != "HttpComponentsResolver") {
      return Status::ConfigError(fmt::format("manifest {}.components_resolver.type: unsupported components resolver '{}'; "
                                             "supported: HttpComponentsResolver",
                                             path, rtype));
    }
    const Json raw_template = raw.value("stream_template", Json());
    if (!raw_template.is_object()) {
      return Status::ConfigError(fmt::format("manifest {}.stream_template: expected a DeclarativeStream", path));
    }
    const Json mappings = resolver.value("components_mapping", Json::array());
    if (!mappings.is_array() || mappings.empty()) {
      return Status::ConfigError(fmt::format("manifest {}.components_resolver.components_mapping: expected a list of "
                                             "ComponentMappingDefinition",
                                             path));
    }
    const std::string name = dyn.value("name", "");
    auto read = ReadAll(resolver.value("retriever", Json()), path + ".components_resolver.retriever",
                        name.empty() ? fmt::format("dynamic_streams[{}]", i) : name, ctx);
    if (!read.ok()) return read.status().WithContext(fmt::format("{} (components_resolver)", path));
    const std::vector<Json> components = std::move(read).value();
    const bool parent_first = dyn.value("use_parent_parameters", true);
    for (const Json& values : components) {
      Json stream = raw_template;
      for (size_t m = 0; m < mappings.size(); ++m) {
        const Json& mapping = mappings[m];
        const std::string mpath = fmt::format("{}.components_resolver.components_mapping[{}]", path, m);
        if (!mapping.is_object() || !mapping.value("field_path", Json()).is_array() || !mapping.contains("value")) {
          return Status::ConfigError(fmt::format("manifest {}: a ComponentMappingDefinition needs field_path and value", mpath));
        }
        Vars vars;
        vars.config = ctx.config;
        vars.parameters = &ParametersOf(mapping);
        vars.components_values = &values;
        vars.stream_template_config = &raw_template;
        std::vector<std::string> field_path;
        for (const Json& item : mapping["field_path"]) {
          SLUICE_ASSIGN_OR_RETURN(std::string key, ctx.interpolator->Text(item, vars, mpath + ".field_path"));
          field_path.push_back(std::move(key));
        }
        SLUICE_ASSIGN_OR_RETURN(Json value, ctx.interpolator->Value(mapping["value"], vars, mpath + ".value"));
        SLUICE_ASSIGN_OR_RETURN(value, Typed(std::move(value), mapping.value("value_type", ""), mpath + ".value_type"));
        SetMappedValue(stream, field_path, value, mapping.value("create_or_update", false));
      }
      // Types and parameters flow again through the made stream, the dynamic stream's first.
      if (!stream.contains("type")) stream["type"] = "DeclarativeStream";
      Json parameters = ParametersOf(stream);
      for (auto it = ParametersOf(raw).begin(); it != ParametersOf(raw).end(); ++it) {
        if (parent_first || !parameters.contains(it.key())) parameters[it.key()] = it.value();
      }
      if (!parameters.empty()) stream["$parameters"] = parameters;
      Json source = PropagateManifestParameters(Json{{"type", "DeclarativeSource"}, {"streams", Json::array({stream})}});
      out.push_back(&ctx.made_components.emplace_back(std::move(source["streams"][0])));
    }
  }
  return out;
}

Result<Json> DynamicSchema(ConfigReader loader, BuildContext& ctx) {
  for (const char* key : {"schema_filter", "schema_transformations"}) {
    if (loader.Has(key)) {
      return Status::ConfigError(fmt::format("manifest {}: not supported yet by sluice's DynamicSchemaLoader", loader.PathOf(key)));
    }
  }
  ConfigReader identifier = loader.Object("schema_type_identifier");
  Vars vars;
  vars.config = ctx.config;
  vars.parameters = &ParametersOf(loader.json());
  auto pointer = [&](const char* key) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    const Json& list = identifier.Raw(key);
    if (list.is_null()) return out;
    if (!list.is_array()) return Status::ConfigError(fmt::format("manifest {}: expected a list of keys", identifier.PathOf(key)));
    for (const Json& item : list) {
      SLUICE_ASSIGN_OR_RETURN(std::string k, ctx.interpolator->Text(item, vars, identifier.PathOf(key)));
      out.push_back(std::move(k));
    }
    return out;
  };
  SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> schema_pointer, pointer("schema_pointer"));
  SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> key_pointer, pointer("key_pointer"));
  SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> type_pointer, pointer("type_pointer"));
  if (key_pointer.empty()) {
    return Status::ConfigError(fmt::format("manifest {}: key_pointer is required", identifier.PathOf("key_pointer")));
  }
  const Json types_mapping = identifier.Raw("types_mapping").is_array() ? identifier.Raw("types_mapping") : Json::array();
  auto read = ReadAll(loader.Raw("retriever"), loader.PathOf("retriever"), "schema", ctx, 1);
  if (!read.ok()) return read.status().WithContext(fmt::format("{} (DynamicSchemaLoader)", loader.path()));
  const std::vector<Json> records = std::move(read).value();
  static const Json kAirbyteTypes = Json::parse(R"j({
    "string": {"type": ["null", "string"]},
    "boolean": {"type": ["null", "boolean"]},
    "date": {"type": ["null", "string"], "format": "date"},
    "timestamp_without_timezone": {"type": ["null", "string"], "format": "date-time", "airbyte_type": "timestamp_without_timezone"},
    "timestamp_with_timezone": {"type": ["null", "string"], "format": "date-time", "airbyte_type": "timestamp_with_timezone"},
    "time_without_timezone": {"type": ["null", "string"], "format": "time", "airbyte_type": "time_without_timezone"},
    "time_with_timezone": {"type": ["null", "string"], "format": "time", "airbyte_type": "time_with_timezone"},
    "integer": {"type": ["null", "integer"]},
    "number": {"type": ["null", "number"]},
    "array": {"type": ["null", "array"]},
    "object": {"type": ["null", "object"]}
  })j");
  Json properties = Json::object();
  const Json* raw_schema = nullptr;
  if (!records.empty()) raw_schema = schema_pointer.empty() ? &records[0] : JsonAt(records[0], schema_pointer);
  if (raw_schema != nullptr && raw_schema->is_array()) {
    for (const Json& definition : *raw_schema) {
      const Json* key = JsonAt(definition, key_pointer);
      if (key == nullptr || key->is_null()) continue;
      const std::string name = ParamText(*key);
      Json type = "string";
      if (!type_pointer.empty()) {
        if (const Json* t = JsonAt(definition, type_pointer); t != nullptr && !t->is_null()) type = *t;
      }
      for (size_t m = 0; m < types_mapping.size(); ++m) {
        const Json& map = types_mapping[m];
        if (!map.is_object() || map.value("current_type", Json()) != type) continue;
        if (map.contains("condition")) {
          Vars cv = vars;
          cv.raw_schema = &definition;
          SLUICE_ASSIGN_OR_RETURN(bool ok, ctx.interpolator->Condition(map["condition"], cv,
                                                                      fmt::format("{}[{}].condition", identifier.PathOf("types_mapping"), m)));
          if (!ok) continue;
        }
        type = map.value("target_type", Json("string"));
        break;
      }
      auto airbyte = [&](const Json& t) -> Result<Json> {
        if (t.is_string() && kAirbyteTypes.contains(t.get<std::string>())) return kAirbyteTypes[t.get<std::string>()];
        return Status::ConfigError(fmt::format("{}: property '{}' has the type {}, not an Airbyte data type; map it in {}",
                                               loader.path(), name, t.dump(), identifier.PathOf("types_mapping")));
      };
      if (type.is_array() && type.size() == 2) {
        SLUICE_ASSIGN_OR_RETURN(Json first, airbyte(type[0]));
        SLUICE_ASSIGN_OR_RETURN(Json second, airbyte(type[1]));
        properties[name] = {{"oneOf", Json::array({first, second})}};
      } else {
        SLUICE_ASSIGN_OR_RETURN(properties[name], airbyte(type));
      }
    }
  }
  return Json{{"$schema", "https://json-schema.org/draft-07/schema#"},
              {"type", "object"},
              {"additionalProperties", true},
              {"properties", std::move(properties)}};
}

}  // namespace sluice
