#include "connectors/sources/declarative_manifest/interpolation.h"

#include <charconv>

#include <fmt/format.h>

namespace sluice {
namespace {

TemplateContext ContextOf(const Vars& v) {
  TemplateContext c;
  static const Json kEmpty = Json::object();
  c.Set("config", v.config != nullptr ? v.config : &kEmpty);
  c.Set("parameters", v.parameters != nullptr ? v.parameters : &kEmpty);
  if (v.stream_state) c.Set("stream_state", v.stream_state);
  const Json* slice = v.stream_slice != nullptr ? v.stream_slice : &kEmpty;
  c.Set("stream_slice", slice);
  c.Set("stream_partition", slice);
  c.Set("stream_interval", slice);
  c.Set("next_page_token", v.next_page_token != nullptr ? v.next_page_token : &kEmpty);
  if (v.response) c.Set("response", v.response);
  if (v.headers) c.Set("headers", v.headers);
  if (v.last_record) c.Set("last_record", v.last_record);
  if (v.last_page_size) c.Set("last_page_size", v.last_page_size);
  if (v.record) c.Set("record", v.record);
  if (v.creation_response) c.Set("creation_response", v.creation_response);
  if (v.components_values) c.Set("components_values", v.components_values);
  if (v.stream_template_config) c.Set("stream_template_config", v.stream_template_config);
  if (v.raw_schema) c.Set("raw_schema", v.raw_schema);
  return c;
}

std::string NumberText(const Json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d)) && std::abs(d) < 1e15) return fmt::format("{}.0", static_cast<int64_t>(d));
    return v.dump();
  }
  return v.dump();
}

}  // namespace

Interpolator::Interpolator(int64_t now_micros) : engine_(MakeJinjaEngine(now_micros)) {}

Result<std::string> Interpolator::Text(const Json& value, const Vars& vars, std::string_view path,
                                       std::string_view fallback) {
  if (value.is_null()) return std::string();
  if (!value.is_string()) return ParamText(value);
  const std::string& text = value.get_ref<const std::string&>();
  if (!IsTemplate(text)) return text;
  TemplateErrorKind kind;
  Result<std::string> r = engine_->Render(text, ContextOf(vars), &kind);
  if (!r.ok()) {
    if (kind == TemplateErrorKind::kUndefined) return std::string(fallback);
    return r.status().WithContext(fmt::format("manifest {}", path));
  }
  return r;
}

Result<Json> Interpolator::Value(const Json& value, const Vars& vars, std::string_view path, const Json& fallback) {
  if (!value.is_string()) return value.is_null() ? fallback : value;
  const std::string& text = value.get_ref<const std::string&>();
  TemplateErrorKind kind = TemplateErrorKind::kNone;
  Result<std::string> r = IsTemplate(text) ? engine_->Render(text, ContextOf(vars), &kind) : Result<std::string>(text);
  if (!r.ok()) {
    if (kind == TemplateErrorKind::kUndefined) return fallback;
    return r.status().WithContext(fmt::format("manifest {}", path));
  }
  if (r->empty()) return fallback;
  return LiteralEval(*r);
}

Result<bool> Interpolator::Condition(const Json& value, const Vars& vars, std::string_view path) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_null()) return false;
  if (!value.is_string()) return !value.empty() && value != 0;
  SLUICE_ASSIGN_OR_RETURN(Json v, Value(value, vars, path, false));
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    return !(s.empty() || s == "False" || s == "false" || s == "0" || s == "0.0" || s == "{}" || s == "[]" || s == "()");
  }
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v != 0;
  return !v.empty();
}

Result<Json> Interpolator::Mapping(const Json& value, const Vars& vars, std::string_view path) {
  if (value.is_null()) return Json::object();
  if (value.is_string()) {
    SLUICE_ASSIGN_OR_RETURN(Json v, Value(value, vars, path, Json::object()));
    if (!v.is_object()) {
      return Status::ConfigError(fmt::format("manifest {}: expected the template to give a mapping, got {}", path, v.dump()));
    }
    return v;
  }
  if (value.is_array()) {
    Json out = Json::array();
    for (size_t i = 0; i < value.size(); ++i) {
      SLUICE_ASSIGN_OR_RETURN(Json item, Mapping(value[i], vars, fmt::format("{}[{}]", path, i)));
      out.push_back(std::move(item));
    }
    return out;
  }
  if (!value.is_object()) return value;
  Json out = Json::object();
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (it.key() == "$parameters" || it.key() == "type") continue;
    const std::string child = fmt::format("{}.{}", path, it.key());
    SLUICE_ASSIGN_OR_RETURN(std::string key, Text(Json(it.key()), vars, child));
    Json v;
    if (it->is_string()) {
      SLUICE_ASSIGN_OR_RETURN(v, Value(*it, vars, child));
    } else {
      SLUICE_ASSIGN_OR_RETURN(v, Mapping(*it, vars, child));
    }
    out[key] = std::move(v);
  }
  return out;
}

const Json* JsonAt(const Json& value, const std::vector<std::string>& path) {
  const Json* cur = &value;
  for (const std::string& key : path) {
    if (cur->is_object()) {
      auto it = cur->find(key);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array()) {
      size_t index = 0;
      auto r = std::from_chars(key.data(), key.data() + key.size(), index);
      if (r.ec != std::errc() || r.ptr != key.data() + key.size() || index >= cur->size()) return nullptr;
      cur = &(*cur)[index];
    } else {
      return nullptr;
    }
  }
  return cur;
}

std::string ParamText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  if (value.is_number() || value.is_boolean()) return NumberText(value);
  return value.dump();
}

}  // namespace sluice
