#include "formats/yaml/yaml_json.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <set>
#include <vector>

#include "protocol/config_validator.h"

namespace sluice {

namespace {

constexpr int kMaxDepth = 256;
constexpr size_t kMaxNodes = 1'000'000;  // aliases can multiply a small file ("billion laughs")

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

bool IsNullWord(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

std::optional<Json> ParseInteger(std::string_view s) {
  std::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'o')) {
    if (s.size() != digits.size()) return std::nullopt;  // core schema: no sign on 0x / 0o
    base = digits[1] == 'x' ? 16 : 8;
    digits.remove_prefix(2);
  }
  if (digits.empty()) return std::nullopt;
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (end != digits.data() + digits.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {  // too big for 64 bits: a (lossy) number
    if (base != 10) return std::nullopt;
    double d = 0;
    std::from_chars(s.data() + (s[0] == '+'), s.data() + s.size(), d);
    return Json(d);
  }
  if (ec != std::errc()) return std::nullopt;
  if (!negative) {
    if (magnitude <= static_cast<uint64_t>(INT64_MAX)) return Json(static_cast<int64_t>(magnitude));
    return Json(magnitude);
  }
  if (magnitude <= static_cast<uint64_t>(INT64_MAX)) return Json(-static_cast<int64_t>(magnitude));
  if (magnitude == static_cast<uint64_t>(INT64_MAX) + 1) return Json(INT64_MIN);
  return Json(-static_cast<double>(magnitude));
}

// YAML 1.2 core float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
std::optional<Json> ParseFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  const size_t int_start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  size_t digits = i - int_start;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const size_t frac_start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    digits += i - frac_start;
  }
  if (digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const size_t exp_start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == exp_start) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  double d = 0;
  const char* begin = s.data() + (s[0] == '+');
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return Json(d);
}

std::optional<Json> ParseBool(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE") return Json(true);
  if (s == "false" || s == "False" || s == "FALSE") return Json(false);
  return std::nullopt;
}

//! A plain (unquoted, untagged) scalar typed by the core schema.
Json ResolvePlain(const std::string& s) {
  if (IsNullWord(s)) return nullptr;
  if (auto b = ParseBool(s)) return *b;
  if (auto i = ParseInteger(s)) return *i;
  if (auto f = ParseFloat(s)) return *f;
  return s;  // .inf / .nan included: JSON has no such numbers
}

//! The start of the last component of a JSON path ("$.a['x.y'][3]" → index of "[3]"), or npos.
size_t LastComponent(std::string_view path) {
  size_t last = std::string_view::npos;
  size_t i = path.empty() || path[0] != '$' ? 0 : 1;
  while (i < path.size()) {
    last = i;
    if (path[i] == '.') {
      ++i;
      while (i < path.size() && path[i] != '.' && path[i] != '[') ++i;
    } else if (path[i] == '[' && i + 1 < path.size() && path[i + 1] == '\'') {
      i += 2;
      while (i < path.size() && !(path[i] == '\'' && i + 1 < path.size() && path[i + 1] == ']')) {
        i += path[i] == '\\' ? 2 : 1;
      }
      i += 2;
    } else if (path[i] == '[') {
      while (i < path.size() && path[i] != ']') ++i;
      ++i;
    } else {
      return std::string_view::npos;  // not a path we wrote
    }
  }
  return last;
}

class Converter {
 public:
  Converter(std::string_view file_name, YamlDocument& doc) : file_name_(file_name), doc_(doc) {}

  Status Convert(const YAML::Node& node, const std::string& path, Json& out, int depth) {
    if (depth > kMaxDepth) return Error(node.Mark(), "nesting deeper than 256 levels");
    if (++nodes_ > kMaxNodes) return Error(node.Mark(), "too many values (aliases expanding without bound?)");
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out = node.Tag() == std::string(kTagPrefix) + "str" ? Json("") : Json(nullptr);
        return Status::Ok();
      case YAML::NodeType::Scalar:
        return ConvertScalar(node, out);
      case YAML::NodeType::Sequence: {
        out = Json::array();
        size_t index = 0;
        for (const auto& item : node) {
          const std::string item_path = JsonPathIndex(path, index++);
          Mark(item_path, item.Mark());
          Json value;
          SLUICE_RETURN_IF_ERROR(Convert(item, item_path, value, depth + 1));
          out.push_back(std::move(value));
        }
        return Status::Ok();
      }
      case YAML::NodeType::Map: {
        out = Json::object();
        std::map<std::string, YAML::Mark> seen;
        return AddEntries(node, path, out, seen, false, depth);
      }
    }
    return Status::Ok();
  }

  void Mark(const std::string& path, const YAML::Mark& mark) {
    if (!mark.is_null()) doc_.marks.emplace(path, std::make_pair(mark.line + 1, mark.column + 1));
  }

 private:
  Status Error(const YAML::Mark& mark, std::string_view message) const {
    if (mark.is_null()) return Status::ConfigError(fmt::format("{}: {}", file_name_, message));
    return Status::ConfigError(fmt::format("{}:{}:{}: {}", file_name_, mark.line + 1, mark.column + 1, message));
  }

  Status ConvertScalar(const YAML::Node& node, Json& out) {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    if (tag == "?") {
      out = ResolvePlain(text);
      return Status::Ok();
    }
    if (tag == "!" || tag == std::string(kTagPrefix) + "str") {  // quoted, block, or !!str
      out = text;
      return Status::Ok();
    }
    std::optional<Json> value;
    std::string_view kind = tag;
    if (kind.substr(0, kTagPrefix.size()) == kTagPrefix) {
      kind.remove_prefix(kTagPrefix.size());
      if (kind == "int") value = ParseInteger(text);
      if (kind == "float") value = ParseInteger(text) ? Json(ParseInteger(text)->get<double>()) : ParseFloat(text);
      if (kind == "bool") value = ParseBool(text);
      if (kind == "null" && IsNullWord(text)) value = Json(nullptr);
      if (value) {
        out = std::move(*value);
        return Status::Ok();
      }
      if (kind == "int" || kind == "float" || kind == "bool" || kind == "null") {
        return Error(node.Mark(), fmt::format("'{}' is not a valid !!{}", text, kind));
      }
    }
    return Error(node.Mark(), fmt::format("unsupported YAML tag '{}'", tag));
  }

  // The entries of mapping `node` into `out`. Explicit keys win over "<<" merges, and earlier
  // merges over later ones; a key twice in one mapping is an error.
  Status AddEntries(const YAML::Node& node, const std::string& path, Json& out, std::map<std::string, YAML::Mark>& seen,
                    bool merged, int depth) {
    std::vector<YAML::Node> merges;
    for (const auto& entry : node) {
      const YAML::Node key_node = entry.first;  // copies: iterator values are temporaries
      const YAML::Node value_node = entry.second;
      if (!key_node.IsScalar()) return Error(key_node.Mark(), "mapping keys must be plain strings");
      const std::string& key = key_node.Scalar();
      if (key == "<<" && key_node.Tag() == "?") {
        merges.push_back(value_node);
        continue;
      }
      if (auto prev = seen.find(key); prev != seen.end()) {
        if (merged) continue;
        return Error(key_node.Mark(), fmt::format("duplicate key '{}' (first at line {})", key, prev->second.line + 1));
      }
      seen.emplace(key, key_node.Mark());
      const std::string key_path = JsonPathKey(path, key);
      Mark(key_path, key_node.Mark());
      Json value;
      SLUICE_RETURN_IF_ERROR(Convert(value_node, key_path, value, depth + 1));
      out[key] = std::move(value);
    }
    for (const auto& merge : merges) {
      if (merge.IsMap()) {
        SLUICE_RETURN_IF_ERROR(AddEntries(merge, path, out, seen, true, depth + 1));
        continue;
      }
      if (!merge.IsSequence()) return Error(merge.Mark(), "'<<' needs a mapping or a list of mappings");
      for (const auto& item : merge) {
        if (!item.IsMap()) return Error(item.Mark(), "'<<' needs a mapping or a list of mappings");
        SLUICE_RETURN_IF_ERROR(AddEntries(item, path, out, seen, true, depth + 1));
      }
    }
    return Status::Ok();
  }

  std::string_view file_name_;
  YamlDocument& doc_;
  size_t nodes_ = 0;
};

}  // namespace

std::string YamlDocument::LocationOf(std::string_view path) const {
  std::string_view p = path;
  while (true) {
    if (auto it = marks.find(std::string(p)); it != marks.end()) {
      return fmt::format("{}:{}:{}", file_name, it->second.first, it->second.second);
    }
    const size_t last = LastComponent(p);
    if (last == std::string_view::npos) break;
    p = p.substr(0, last);
  }
  return file_name;
}

Result<YamlDocument> ParseYaml(std::string_view text, std::string_view file_name) {
  YamlDocument doc;
  doc.file_name = std::string(file_name);
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    Converter converter(file_name, doc);
    converter.Mark("$", root.Mark());
    SLUICE_RETURN_IF_ERROR(converter.Convert(root, "$", doc.json, 0));
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return Status::ConfigError(fmt::format("{}: {}", file_name, e.msg));
    return Status::ConfigError(fmt::format("{}:{}:{}: {}", file_name, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  return doc;
}

Result<Json> YamlToJson(std::string_view text, std::string_view file_name) {
  SLUICE_ASSIGN_OR_RETURN(YamlDocument doc, ParseYaml(text, file_name));
  return std::move(doc.json);
}

}  // namespace sluice
