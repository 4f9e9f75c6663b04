#include "protocol/types.h"

namespace sluice {

std::string_view TypeName(TypeId type) {
  switch (type) {
    case TypeId::kBoolean: return "boolean";
    case TypeId::kInteger: return "integer";
    case TypeId::kNumber: return "number";
    case TypeId::kDecimal: return "decimal";
    case TypeId::kString: return "string";
    case TypeId::kBinary: return "binary";
    case TypeId::kDate: return "date";
    case TypeId::kTimeNoTz: return "time_without_timezone";
    case TypeId::kTimeTz: return "time_with_timezone";
    case TypeId::kTimestampNoTz: return "timestamp_without_timezone";
    case TypeId::kTimestampTz: return "timestamp_with_timezone";
    case TypeId::kJson: return "json";
  }
  return "json";
}

int FixedWidth(TypeId type) {
  switch (type) {
    case TypeId::kBoolean: return 1;
    case TypeId::kDate: return 4;
    case TypeId::kInteger:
    case TypeId::kNumber:
    case TypeId::kTimeNoTz:
    case TypeId::kTimeTz:
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz: return 8;
    case TypeId::kDecimal:
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kJson: return 0;
  }
  return 0;
}

Schema::Schema(std::vector<Field> fields) : fields_(std::move(fields)) {
  for (size_t i = 0; i < fields_.size(); ++i) index_.emplace(fields_[i].name, static_cast<int>(i));
}

int Schema::IndexOf(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

namespace {

TypeId FromWellKnownRef(std::string_view ref, bool& known) {
  known = true;
  const auto pos = ref.rfind('/');
  std::string_view name = pos == std::string_view::npos ? ref : ref.substr(pos + 1);
  if (name == "String") return TypeId::kString;
  if (name == "BinaryData") return TypeId::kBinary;
  if (name == "Date") return TypeId::kDate;
  if (name == "TimestampWithTimezone") return TypeId::kTimestampTz;
  if (name == "TimestampWithoutTimezone") return TypeId::kTimestampNoTz;
  if (name == "TimeWithTimezone") return TypeId::kTimeTz;
  if (name == "TimeWithoutTimezone") return TypeId::kTimeNoTz;
  if (name == "Number") return TypeId::kNumber;
  if (name == "Integer") return TypeId::kInteger;
  if (name == "Boolean") return TypeId::kBoolean;
  known = false;
  return TypeId::kJson;
}

TypeId FromStringSchema(const Json& s) {
  const std::string format = s.contains("format") && s["format"].is_string() ? s["format"].get<std::string>() : "";
  const std::string airbyte_type =
      s.contains("airbyte_type") && s["airbyte_type"].is_string() ? s["airbyte_type"].get<std::string>() : "";
  if (s.contains("contentEncoding") && s["contentEncoding"] == "base64") return TypeId::kBinary;
  if (format == "date") return TypeId::kDate;
  if (format == "time" || airbyte_type.rfind("time_with", 0) == 0) {
    return airbyte_type == "time_with_timezone" ? TypeId::kTimeTz : TypeId::kTimeNoTz;
  }
  if (format == "date-time" || airbyte_type.rfind("timestamp", 0) == 0) {
    return airbyte_type == "timestamp_without_timezone" ? TypeId::kTimestampNoTz : TypeId::kTimestampTz;
  }
  return TypeId::kString;
}

}  // namespace

TypeId TypeFromJsonSchema(const Json& s, bool* nullable) {
  if (nullable) *nullable = true;
  if (!s.is_object()) return TypeId::kJson;
  if (s.contains("$ref") && s["$ref"].is_string()) {
    bool known;
    TypeId t = FromWellKnownRef(s["$ref"].get<std::string>(), known);
    if (known) return t;
  }
  for (const char* union_key : {"oneOf", "anyOf"}) {
    if (s.contains(union_key) && s[union_key].is_array()) {
      // ["null", X] unions collapse to X; anything richer is JSON.
      const Json* only = nullptr;
      int non_null = 0;
      for (const auto& option : s[union_key]) {
        if (option.is_object() && option.contains("type") && option["type"] == "null") continue;
        only = &option;
        ++non_null;
      }
      if (non_null == 1) return TypeFromJsonSchema(*only, nullptr);
      return TypeId::kJson;
    }
  }
  if (!s.contains("type")) return TypeId::kJson;
  std::string type;
  const Json& t = s["type"];
  if (t.is_string()) {
    type = t.get<std::string>();
  } else if (t.is_array()) {
    int non_null = 0;
    for (const auto& v : t) {
      if (!v.is_string()) continue;
      if (v == "null") continue;
      type = v.get<std::string>();
      ++non_null;
    }
    if (non_null != 1) return TypeId::kJson;
  } else {
    return TypeId::kJson;
  }
  if (type == "boolean") return TypeId::kBoolean;
  if (type == "integer") return TypeId::kInteger;
  if (type == "number") {
    if (s.contains("airbyte_type") && s["airbyte_type"] == "integer") return TypeId::kInteger;
    if (s.contains("airbyte_type") && s["airbyte_type"] == "big_number") return TypeId::kDecimal;
    return TypeId::kNumber;
  }
  if (type == "string") return FromStringSchema(s);
  return TypeId::kJson;  // object, array, null
}

Json JsonSchemaForType(TypeId type, bool nullable) {
  Json s = Json::object();
  auto set_type = [&](const char* name) {
    if (nullable) {
      s["type"] = Json::array({"null", name});
    } else {
      s["type"] = name;
    }
  };
  switch (type) {
    case TypeId::kBoolean: set_type("boolean"); break;
    case TypeId::kInteger: set_type("integer"); break;
    case TypeId::kNumber: set_type("number"); break;
    case TypeId::kDecimal:
      set_type("number");
      s["airbyte_type"] = "big_number";
      break;
    case TypeId::kString: set_type("string"); break;
    case TypeId::kBinary:
      set_type("string");
      s["contentEncoding"] = "base64";
      break;
    case TypeId::kDate:
      set_type("string");
      s["format"] = "date";
      break;
    case TypeId::kTimeNoTz:
    case TypeId::kTimeTz:
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz: {
      const bool time_of_day = type == TypeId::kTimeNoTz || type == TypeId::kTimeTz;
      set_type("string");
      s["format"] = time_of_day ? "time" : "date-time";
      s["airbyte_type"] = std::string(TypeName(type));
      break;
    }
    case TypeId::kJson: break;  // {}: any JSON value
  }
  return s;
}

Result<std::shared_ptr<const Schema>> Schema::FromJsonSchema(const Json& json_schema) {
  if (!json_schema.is_object()) {
    return Status::ConfigError("json_schema must be an object, got " + std::string(json_schema.type_name()));
  }
  std::vector<Field> fields;
  if (json_schema.contains("properties")) {
    const Json& props = json_schema["properties"];
    if (!props.is_object()) return Status::ConfigError("json_schema.properties must be an object");
    for (const auto& [name, prop] : props.items()) {
      if (!prop.is_object() && !prop.is_boolean()) {
        return Status::ConfigError("json_schema.properties." + name + " must be a schema object");
      }
      Field f;
      f.name = name;
      f.type = TypeFromJsonSchema(prop, &f.nullable);
      f.json_schema = prop;
      fields.push_back(std::move(f));
    }
  }
  return std::shared_ptr<const Schema>(std::make_shared<Schema>(std::move(fields)));
}

Json Schema::ToJsonSchema() const {
  Json props = Json::object();
  for (const auto& f : fields_) {
    props[f.name] = f.json_schema.is_null() || f.json_schema.empty() ? JsonSchemaForType(f.type, f.nullable)
                                                                      : f.json_schema;
  }
  return Json{{"$schema", "http://json-schema.org/draft-07/schema#"},
              {"type", "object"},
              {"additionalProperties", true},
              {"properties", std::move(props)}};
}

}  // namespace sluice
