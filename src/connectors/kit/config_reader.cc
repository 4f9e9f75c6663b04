#include "connectors/kit/config_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "protocol/config_validator.h"

namespace sluice {

namespace {

const Json& NullJson() {
  static const Json null_value;
  return null_value;
}

const Json& EmptyObject() {
  static const Json empty = Json::object();
  return empty;
}

std::string_view TypeName(const Json& v) {
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_null()) return "null";
  return "a number";
}

}  // namespace

ConfigReader::ConfigReader(const Json& value, std::string path)
    : ConfigReader(value, std::move(path), std::make_shared<std::vector<std::string>>()) {}

ConfigReader::ConfigReader(const Json& value, std::string path, std::shared_ptr<std::vector<std::string>> problems)
    : value_(&value), path_(std::move(path)), problems_(std::move(problems)) {}

std::string ConfigReader::PathOf(std::string_view key) const { return JsonPathKey(path_, key); }

const Json* ConfigReader::Find(std::string_view key) const {
  if (!value_->is_object()) return nullptr;
  auto it = value_->find(key);
  return it == value_->end() || it->is_null() ? nullptr : &*it;
}

bool ConfigReader::Has(std::string_view key) const { return Find(key) != nullptr; }

const Json& ConfigReader::Raw(std::string_view key) const {
  const Json* v = Find(key);
  return v ? *v : NullJson();
}

void ConfigReader::Fail(std::string_view key, std::string_view message) {
  problems_->push_back(fmt::format("{}: {}", key.empty() ? path_ : PathOf(key), message));
}

std::string ConfigReader::String(std::string_view key) {
  const Json* v = Find(key);
  if (v == nullptr) {
    Fail(key, "is required");
    return {};
  }
  if (!v->is_string() || v->get_ref<const std::string&>().empty()) {
    Fail(key, fmt::format("must be a non-empty string, got {}", TypeName(*v)));
    return {};
  }
  return v->get<std::string>();
}

std::string ConfigReader::String(std::string_view key, std::string fallback) {
  const Json* v = Find(key);
  if (v == nullptr) return fallback;
  if (!v->is_string()) {
    Fail(key, fmt::format("must be a string, got {}", TypeName(*v)));
    return fallback;
  }
  return v->get<std::string>();
}

std::optional<std::string> ConfigReader::OptionalString(std::string_view key) {
  if (!Has(key)) return std::nullopt;
  return String(key, std::string());
}

std::string ConfigReader::Enum(std::string_view key, const std::vector<std::string>& allowed, std::string fallback) {
  std::string value = String(key, fallback);
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return value;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  Fail(key, fmt::format("must be one of {}, got '{}'", list, value));
  return fallback;
}

int64_t ConfigReader::Integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
  const Json* v = Find(key);
  if (v == nullptr) return fallback;
  int64_t out = 0;
  if (v->is_number_integer()) {
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      Fail(key, fmt::format("must be at most {}", max));
      return fallback;
    }
    out = v->get<int64_t>();
  } else if (v->is_number_float() && std::isfinite(v->get<double>()) && std::trunc(v->get<double>()) == v->get<double>() &&
             std::fabs(v->get<double>()) < 9.2e18) {
    out = static_cast<int64_t>(v->get<double>());
  } else {
    Fail(key, fmt::format("must be an integer, got {}", v->is_number() ? v->dump() : std::string(TypeName(*v))));
    return fallback;
  }
  if (out < min || out > max) {
    if (max == INT64_MAX) Fail(key, fmt::format("must be at least {}, got {}", min, out));
    else if (min == INT64_MIN) Fail(key, fmt::format("must be at most {}, got {}", max, out));
    else Fail(key, fmt::format("must be between {} and {}, got {}", min, max, out));
    return fallback;
  }
  return out;
}

double ConfigReader::Number(std::string_view key, double fallback) {
  const Json* v = Find(key);
  if (v == nullptr) return fallback;
  if (!v->is_number()) {
    Fail(key, fmt::format("must be a number, got {}", TypeName(*v)));
    return fallback;
  }
  return v->get<double>();
}

bool ConfigReader::Bool(std::string_view key, bool fallback) {
  const Json* v = Find(key);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) {
    Fail(key, fmt::format("must be true or false, got {}", TypeName(*v)));
    return fallback;
  }
  return v->get<bool>();
}

std::vector<std::string> ConfigReader::StringList(std::string_view key, std::vector<std::string> fallback) {
  const Json* v = Find(key);
  if (v == nullptr) return fallback;
  if (v->is_string()) return {v->get<std::string>()};
  if (v->is_array() && std::all_of(v->begin(), v->end(), [](const Json& item) { return item.is_string(); })) {
    return v->get<std::vector<std::string>>();
  }
  Fail(key, fmt::format("must be a list of strings, got {}", TypeName(*v)));
  return fallback;
}

ConfigReader ConfigReader::Object(std::string_view key) {
  const Json* v = Find(key);
  if (v != nullptr && !v->is_object()) {
    Fail(key, fmt::format("must be an object, got {}", TypeName(*v)));
    v = nullptr;
  }
  return ConfigReader(v ? *v : EmptyObject(), PathOf(key), problems_);
}

std::vector<ConfigReader> ConfigReader::Array(std::string_view key) {
  std::vector<ConfigReader> out;
  const Json* v = Find(key);
  if (v == nullptr) return out;
  if (!v->is_array()) {
    Fail(key, fmt::format("must be an array, got {}", TypeName(*v)));
    return out;
  }
  const std::string at = PathOf(key);
  for (size_t i = 0; i < v->size(); ++i) out.push_back(ConfigReader((*v)[i], JsonPathIndex(at, i), problems_));
  return out;
}

void ConfigReader::RejectUnknownKeys(const std::vector<std::string_view>& known) {
  if (!value_->is_object()) return;
  for (const auto& [key, unused] : value_->items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) Fail(key, "is not a known option");
  }
}

Status ConfigReader::status() const {
  if (problems_->empty()) return Status::Ok();
  if (problems_->size() == 1) return Status::ConfigError(problems_->front());
  std::string text = fmt::format("{} problems in the config:", problems_->size());
  for (const auto& p : *problems_) text += "\n  " + p;
  return Status::ConfigError(text);
}

}  // namespace sluice
