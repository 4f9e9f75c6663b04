#include "api/request_fields.h"

#include <fmt/format.h>

#include <charconv>

namespace sluice {

Json ApiError::ToJson() const {
  Json out = {{"message", message}};
  Json details_json = Json::array();
  for (const auto& d : details) details_json.push_back({{"field", d.field}, {"message", d.message}});
  out["details"] = std::move(details_json);
  return out;
}

void ThrowApiError(int status, std::string message, std::vector<FieldProblem> details) {
  throw ApiError{status, std::move(message), std::move(details)};
}

namespace {

[[noreturn]] void WrongType(std::string_view name, std::string_view expected, const Json& value) {
  std::string message = fmt::format("{}: must be {}, got {}", name, expected, value.type_name());
  ThrowApiError(400, message, {{std::string(name), fmt::format("must be {}", expected)}});
}

}  // namespace

const Json* FindField(const Json& body, std::string_view name) {
  if (!body.is_object()) return nullptr;
  auto it = body.find(std::string(name));
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string RequireString(const Json& body, std::string_view name) {
  const Json* v = FindField(body, name);
  if (v == nullptr) {
    ThrowApiError(422, fmt::format("{}: is required", name), {{std::string(name), "is required"}});
  }
  if (!v->is_string()) WrongType(name, "a string", *v);
  return v->get<std::string>();
}

std::optional<std::string> OptionalString(const Json& body, std::string_view name) {
  const Json* v = FindField(body, name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) WrongType(name, "a string", *v);
  return v->get<std::string>();
}

std::optional<bool> OptionalBool(const Json& body, std::string_view name) {
  const Json* v = FindField(body, name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) WrongType(name, "a boolean", *v);
  return v->get<bool>();
}

std::optional<int64_t> OptionalInt(const Json& body, std::string_view name) {
  const Json* v = FindField(body, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_integer() || v->is_number_unsigned()) return v->get<int64_t>();
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
  }
  WrongType(name, "an integer", *v);
}

const Json* OptionalObject(const Json& body, std::string_view name) {
  const Json* v = FindField(body, name);
  if (v != nullptr && !v->is_object()) WrongType(name, "an object", *v);
  return v;
}

const Json& RequireObject(const Json& body, std::string_view name) {
  const Json* v = OptionalObject(body, name);
  if (v == nullptr) {
    ThrowApiError(422, fmt::format("{}: is required", name), {{std::string(name), "is required"}});
  }
  return *v;
}

std::vector<std::string> StringListField(const Json& body, std::string_view name) {
  std::vector<std::string> out;
  const Json* v = FindField(body, name);
  if (v == nullptr) return out;
  auto add = [&out](std::string_view text) {
    size_t start = 0;
    while (start <= text.size()) {
      size_t comma = text.find(',', start);
      if (comma == std::string_view::npos) comma = text.size();
      std::string_view part = text.substr(start, comma - start);
      if (!part.empty()) out.emplace_back(part);
      start = comma + 1;
    }
  };
  if (v->is_string()) {
    add(v->get_ref<const std::string&>());
    return out;
  }
  if (!v->is_array()) ThrowApiError(400, fmt::format("{}: must be an array", name), {{std::string(name), "must be an array"}});
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      std::string field = fmt::format("{}[{}]", name, i);
      ThrowApiError(400, field + ": must be a string", {{field, "must be a string"}});
    }
    add((*v)[i].get_ref<const std::string&>());
  }
  return out;
}

JobId RequireJobId(const Json& body, std::string_view name) {
  const Json* v = FindField(body, name);
  if (v == nullptr) {
    ThrowApiError(422, fmt::format("{}: is required", name), {{std::string(name), "is required"}});
  }
  if (v->is_number_integer() || v->is_number_unsigned()) return v->get<int64_t>();
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    JobId id = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) return id;
    ThrowApiError(422, fmt::format("{}: must be a job id (an integer)", name),
                  {{std::string(name), "must be a job id (an integer)"}});
  }
  WrongType(name, "an integer", *v);
}

std::vector<FieldProblem> DetailsFromMessage(std::string_view message, std::string_view prefix,
                                             std::string_view fallback) {
  std::vector<FieldProblem> out;
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string_view::npos) end = message.size();
    std::string_view line = message.substr(start, end - start);
    start = end + 1;
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty() || line.back() == ':') continue;  // "<what>: N problem(s):" headers
    size_t colon = line.find(": ");
    std::string_view path = colon == std::string_view::npos ? std::string_view() : line.substr(0, colon);
    bool is_path = !path.empty() && path.find(' ') == std::string_view::npos;
    if (is_path) {
      if (path.starts_with("$")) path.remove_prefix(1);
      if (path.starts_with(".")) path.remove_prefix(1);
      std::string field(prefix);
      if (!path.empty()) {
        if (!field.empty() && path.front() != '[') field += '.';
        field += path;
      }
      out.push_back({field.empty() ? std::string(fallback) : field, std::string(line.substr(colon + 2))});
    } else {
      out.push_back({std::string(fallback), std::string(line)});
    }
    if (end == message.size()) break;
  }
  return out;
}

void ThrowStatus(const Status& status, std::string_view field_prefix) {
  switch (status.failure_type()) {
    case FailureType::kConfig:
      ThrowApiError(422, status.message(), DetailsFromMessage(status.message(), field_prefix, field_prefix));
    case FailureType::kTransient:
      ThrowApiError(503, "temporarily unavailable: " + status.message());
    case FailureType::kSystem:
    case FailureType::kCancelled:
      break;
  }
  ThrowApiError(500, "internal error: " + status.message());
}

void ThrowNotFound(std::string_view what, std::string_view id, std::string_view field) {
  std::string message = fmt::format("{} {} not found", what, id);
  ThrowApiError(404, message, {{std::string(field), message}});
}

}  // namespace sluice
