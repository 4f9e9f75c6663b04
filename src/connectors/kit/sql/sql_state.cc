#include "connectors/kit/sql/sql_state.h"

#include <charconv>

namespace sluice {

bool IsStateType(const Json* blob, std::string_view type) {
  if (blob == nullptr || !blob->is_object()) return false;
  auto it = blob->find("state_type");
  return it != blob->end() && it->is_string() && it->get<std::string>() == type;
}

std::optional<uint64_t> StateU64(const Json& blob, const char* key) {
  auto it = blob.find(key);
  if (it == blob.end()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_number_integer() && it->get<int64_t>() >= 0) return static_cast<uint64_t>(it->get<int64_t>());
  if (it->is_string()) {  // tolerate numbers saved as strings
    const std::string s = it->get<std::string>();
    uint64_t v;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return v;
  }
  return std::nullopt;
}

std::optional<SqlCursorState> ParseCursorState(const Json* blob) {
  if (!IsStateType(blob, "cursor_based")) return std::nullopt;
  SqlCursorState s;
  auto field = blob->find("cursor_field");
  if (field == blob->end() || !field->is_array()) return std::nullopt;
  for (const auto& part : *field) {
    if (!part.is_string()) return std::nullopt;
    s.cursor_field.push_back(part.get<std::string>());
  }
  auto cursor = blob->find("cursor");
  if (cursor != blob->end() && cursor->is_string()) {
    s.cursor = cursor->get<std::string>();
  } else if (cursor != blob->end() && cursor->is_number()) {
    s.cursor = cursor->dump();
  }
  s.record_count = StateU64(*blob, "cursor_record_count").value_or(0);
  return s;
}

Json CursorStateJson(const std::string& stream_name, const std::optional<std::string>& stream_namespace,
                     const SqlCursorState& state) {
  Json j = {{"version", kSqlStateVersion},
            {"state_type", "cursor_based"},
            {"stream_name", stream_name},
            {"stream_namespace", stream_namespace.value_or("")},
            {"cursor_field", state.cursor_field}};
  j["cursor"] = state.cursor ? Json(*state.cursor) : Json(nullptr);
  j["cursor_record_count"] = state.record_count;
  return j;
}

namespace {

//! A key value as text: strings as they are, numbers (Airbyte may save them so) printed.
std::optional<std::string> KeyText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return value.dump();
  return std::nullopt;
}

}  // namespace

std::optional<SqlKeyPosition> ParseKeyPosition(const Json* blob) {
  if (!IsStateType(blob, "primary_key")) return std::nullopt;
  SqlKeyPosition p;
  auto names = blob->find("pk_names");
  auto values = blob->find("pk_vals");
  if (names != blob->end() && values != blob->end()) {
    if (!names->is_array() || !values->is_array() || names->size() != values->size()) return std::nullopt;
    for (size_t i = 0; i < names->size(); ++i) {
      auto text = KeyText((*values)[i]);
      if (!(*names)[i].is_string() || !text) return std::nullopt;
      p.columns.push_back((*names)[i].get<std::string>());
      p.values.push_back(std::move(*text));
    }
  } else {
    auto name = blob->find("pk_name");
    auto value = blob->find("pk_val");
    if (name == blob->end() || value == blob->end() || !name->is_string()) return std::nullopt;
    auto text = KeyText(*value);
    if (!text) return std::nullopt;
    p.columns.push_back(name->get<std::string>());
    p.values.push_back(std::move(*text));
  }
  if (p.columns.empty()) return std::nullopt;
  return p;
}

Json KeyPositionJson(const SqlKeyPosition& position) {
  Json j = {{"version", kSqlStateVersion}, {"state_type", "primary_key"}};
  j["pk_name"] = position.columns.front();
  j["pk_val"] = position.values.front();
  if (position.columns.size() > 1) {
    j["pk_names"] = position.columns;
    j["pk_vals"] = position.values;
  }
  return j;
}

}  // namespace sluice
