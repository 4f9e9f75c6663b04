#include "protocol/config_validator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>

namespace sluice {

namespace {

// Deeper than any real spec; stops $ref cycles ("#" referring to itself).
constexpr int kMaxDepth = 64;
constexpr size_t kMaxShownChars = 80;

bool IsIdentifier(std::string_view key) {
  if (key.empty()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

//! JSON Schema's "integer": any number with a zero fractional part (3.0 included).
bool IsInteger(const Json& v) {
  if (v.is_number_integer()) return true;
  if (!v.is_number_float()) return false;
  const double d = v.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

//! The JSON type name of a value, "integer" for integer-typed numbers.
std::string_view TypeOf(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    default:
      return "value";
  }
}

bool HasType(const Json& v, std::string_view type) {
  if (type == "integer") return IsInteger(v);
  if (type == "number") return v.is_number();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "null") return v.is_null();
  return false;
}

// long double holds every int64, uint64 and double exactly on the platforms we build for.
long double AsLongDouble(const Json& v) {
  if (v.is_number_unsigned()) return static_cast<long double>(v.get<uint64_t>());
  if (v.is_number_integer()) return static_cast<long double>(v.get<int64_t>());
  return static_cast<long double>(v.get<double>());
}

//! JSON equality: numbers by value (1 == 1.0), objects regardless of key order, booleans are
//! not numbers.
bool JsonEqual(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return AsLongDouble(a) == AsLongDouble(b);
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [key, value] : a.items()) {
      auto it = b.find(key);
      if (it == b.end() || !JsonEqual(value, *it)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!JsonEqual(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Truncate(std::string s) {
  if (s.size() <= kMaxShownChars) return s;
  size_t cut = kMaxShownChars - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 chars
  s.resize(cut);
  return s + "...";
}

//! A value as it appears after "got": "\"XML\"", "5", "null", "an object"; secrets hidden.
std::string ValueText(const Json& v, bool secret) {
  if (secret) return "a secret value (not shown)";
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  return Truncate(v.dump());
}

//! "string \"ten\"", "integer 5", "null", "object"; secrets hidden.
std::string TypedValueText(const Json& v, bool secret) {
  if (v.is_null() || v.is_object() || v.is_array()) return std::string(TypeOf(v));
  if (secret) return fmt::format("{} (secret, not shown)", TypeOf(v));
  return fmt::format("{} {}", TypeOf(v), Truncate(v.dump()));
}

//! A schema constant in a list: strings bare (JSONL), everything else as JSON.
std::string ConstText(const Json& v) { return v.is_string() ? v.get<std::string>() : Truncate(v.dump()); }

std::string NumberText(const Json& v) { return v.dump(); }

std::string JoinTypes(const Json& type) {
  if (type.is_string()) return type.get<std::string>();
  std::string out;
  for (size_t i = 0; i < type.size(); ++i) {
    if (i > 0) out += i + 1 == type.size() ? " or " : ", ";
    out += type[i].is_string() ? type[i].get<std::string>() : type[i].dump();
  }
  return out;
}

bool TypeFits(const Json& type, const Json& v) {
  if (type.is_string()) return HasType(v, type.get<std::string>());
  if (!type.is_array()) return true;
  return std::any_of(type.begin(), type.end(),
                     [&](const Json& t) { return t.is_string() && HasType(v, t.get<std::string>()); });
}

bool ParseDigits(std::string_view s, size_t pos, size_t count, int& out) {
  if (pos + count > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

//! RFC 3339 full-date: YYYY-MM-DD with a real month and day.
bool IsDate(std::string_view s) {
  int year, month, day;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!ParseDigits(s, 0, 4, year) || !ParseDigits(s, 5, 2, month) || !ParseDigits(s, 8, 2, day)) return false;
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int max_day = kDays[month - 1] + (month == 2 && IsLeapYear(year) ? 1 : 0);
  return day <= max_day;
}

//! RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM); "T" and "Z" in either case.
bool IsDateTime(std::string_view s) {
  if (s.size() < 20 || !IsDate(s.substr(0, 10)) || (s[10] != 'T' && s[10] != 't')) return false;
  int hour, minute, second;
  if (!ParseDigits(s, 11, 2, hour) || s[13] != ':' || !ParseDigits(s, 14, 2, minute) || s[16] != ':' ||
      !ParseDigits(s, 17, 2, second)) {
    return false;
  }
  if (hour > 23 || minute > 59 || second > 60) return false;  // 60: leap second
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    const size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return false;
  }
  if (pos >= s.size()) return false;  // the offset is required
  if (s[pos] == 'Z' || s[pos] == 'z') return pos + 1 == s.size();
  if (s[pos] != '+' && s[pos] != '-') return false;
  int off_hour, off_minute;
  return s.size() == pos + 6 && ParseDigits(s, pos + 1, 2, off_hour) && s[pos + 3] == ':' &&
         ParseDigits(s, pos + 4, 2, off_minute) && off_hour <= 23 && off_minute <= 59;
}

std::string BranchName(const Json& branch, size_t index) {
  if (branch.is_object()) {
    auto it = branch.find("title");
    if (it != branch.end() && it->is_string()) return "'" + it->get<std::string>() + "'";
  }
  return fmt::format("option {}", index + 1);
}

// The object keywords that decide which subschemas a member is checked against.
struct MemberSchemas {
  const Json* properties = nullptr;
  const Json* patterns = nullptr;
  const Json* additional = nullptr;

  explicit MemberSchemas(const Json& schema) {
    if (auto it = schema.find("properties"); it != schema.end() && it->is_object()) properties = &*it;
    if (auto it = schema.find("patternProperties"); it != schema.end() && it->is_object()) patterns = &*it;
    if (auto it = schema.find("additionalProperties"); it != schema.end()) additional = &*it;
  }

  //! Calls `visit(subschema)` for the `properties` and matching `patternProperties` entries of
  //! `key`; returns false when none describes it (then `additional` applies).
  template <typename Matches, typename Visit>
  bool VisitDescribed(const std::string& key, Matches&& matches, Visit&& visit) const {
    bool described = false;
    if (properties != nullptr) {
      if (auto p = properties->find(key); p != properties->end()) {
        described = true;
        visit(*p);
      }
    }
    if (patterns != nullptr) {
      for (const auto& [pattern, sub] : patterns->items()) {
        if (matches(pattern, key)) {
          described = true;
          visit(sub);
        }
      }
    }
    return described;
  }
};

class Validator {
 public:
  explicit Validator(const Json& root) : root_(root) {}

  //! `schema` with its $ref chain followed; nullptr when a $ref does not resolve.
  const Json* Resolve(const Json& schema, int depth = 0) const {
    const Json* s = &schema;
    while (s->is_object() && s->contains("$ref")) {
      if (++depth > kMaxDepth) return nullptr;
      const Json& ref = (*s)["$ref"];
      if (!ref.is_string()) return nullptr;
      s = Lookup(ref.get<std::string>());
      if (s == nullptr) return nullptr;
    }
    return s;
  }

  void Validate(const Json& schema, const Json& v, const std::string& path, bool secret,
                std::vector<ConfigViolation>& out, int depth) {
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) out.push_back({path, "no value is allowed here"});
      return;
    }
    if (!schema.is_object()) return;  // not a schema: nothing to check
    if (depth > kMaxDepth) {
      out.push_back({path, "schema error: nesting too deep (a recursive $ref?)"});
      return;
    }
    if (auto ref = schema.find("$ref"); ref != schema.end()) {
      const Json* target = ref->is_string() ? Lookup(ref->get<std::string>()) : nullptr;
      if (target == nullptr) {
        out.push_back({path, fmt::format("schema error: cannot resolve $ref {}", ref->dump())});
        return;
      }
      Validate(*target, v, path, secret, out, depth + 1);  // draft-07: siblings of $ref are ignored
      return;
    }
    if (auto s = schema.find("airbyte_secret"); s != schema.end() && s->is_boolean() && s->get<bool>()) {
      secret = true;
    }

    if (auto type = schema.find("type"); type != schema.end()) {
      if (!TypeFits(*type, v)) {
        out.push_back({path, fmt::format("expected {}, got {}", JoinTypes(*type), TypedValueText(v, secret))});
        return;  // the other keywords would only repeat the mismatch
      }
    }
    if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
      const bool found = std::any_of(e->begin(), e->end(), [&](const Json& c) { return JsonEqual(c, v); });
      if (!found) {
        std::string list;
        for (const auto& c : *e) list += (list.empty() ? "" : ", ") + ConstText(c);
        out.push_back({path, fmt::format("must be one of [{}], got {}", list, ValueText(v, secret))});
      }
    }
    if (auto c = schema.find("const"); c != schema.end() && !JsonEqual(*c, v)) {
      out.push_back({path, fmt::format("must be {}, got {}", Truncate(c->dump()), ValueText(v, secret))});
    }

    if (v.is_number()) CheckNumber(schema, v, path, secret, out);
    if (v.is_string()) CheckString(schema, v.get_ref<const std::string&>(), path, secret, out);
    if (v.is_array()) CheckArray(schema, v, path, secret, out, depth);
    if (v.is_object()) CheckObject(schema, v, path, secret, out, depth);

    if (auto all = schema.find("allOf"); all != schema.end() && all->is_array()) {
      for (const auto& branch : *all) Validate(branch, v, path, secret, out, depth + 1);
    }
    if (auto any = schema.find("anyOf"); any != schema.end() && any->is_array() && !any->empty()) {
      CheckAlternatives(*any, "anyOf", v, path, secret, out, depth);
    }
    if (auto one = schema.find("oneOf"); one != schema.end() && one->is_array() && !one->empty()) {
      CheckAlternatives(*one, "oneOf", v, path, secret, out, depth);
    }
    if (auto n = schema.find("not"); n != schema.end() && IsValid(*n, v, depth + 1)) {
      out.push_back({path, "must not match the schema given in 'not'"});
    }
    if (auto cond = schema.find("if"); cond != schema.end()) {
      const char* next = IsValid(*cond, v, depth + 1) ? "then" : "else";
      if (auto branch = schema.find(next); branch != schema.end()) Validate(*branch, v, path, secret, out, depth + 1);
    }
  }

  bool IsValid(const Json& schema, const Json& v, int depth) {
    std::vector<ConfigViolation> scratch;
    Validate(schema, v, "$", false, scratch, depth);
    return scratch.empty();
  }

  //! The property all branches pin with a const (Airbyte's oneOf style: format_type: {const: CSV}),
  //! or "" when there is none. `values[i]` receives branch i's constant.
  std::string Discriminator(const Json& branches, std::vector<const Json*>& values) const {
    if (branches.empty()) return {};
    const Json* first = Resolve(branches[0]);
    if (first == nullptr || !first->is_object() || !first->contains("properties")) return {};
    const Json& props = (*first)["properties"];
    if (!props.is_object()) return {};
    for (const auto& [name, unused] : props.items()) {
      values.clear();
      for (const auto& branch : branches) {
        const Json* c = BranchConst(branch, name);
        if (c == nullptr) break;
        values.push_back(c);
      }
      if (values.size() == branches.size()) return name;
    }
    values.clear();
    return {};
  }

  bool MatchesRegex(const std::string& pattern, const std::string& text, bool& bad_pattern) {
    auto it = regexes_.find(pattern);
    if (it == regexes_.end()) {
      std::optional<std::regex> re;
      try {
        re.emplace(pattern, std::regex::ECMAScript);
      } catch (const std::regex_error&) {
      }
      it = regexes_.emplace(pattern, std::move(re)).first;
    }
    if (!it->second) {
      bad_pattern = true;
      return false;
    }
    try {
      return std::regex_search(text, *it->second);
    } catch (const std::regex_error&) {  // too complex for std::regex: treat as not matching
      return false;
    }
  }

 private:
  const Json* Lookup(const std::string& ref) const {
    if (ref.empty() || ref[0] != '#') return nullptr;  // only refs within this schema
    try {
      const Json::json_pointer pointer(ref.substr(1));
      if (!root_.contains(pointer)) return nullptr;
      return &root_.at(pointer);
    } catch (const Json::exception&) {
      return nullptr;
    }
  }

  //! The constant that `branch` pins property `name` to, or nullptr.
  const Json* BranchConst(const Json& branch, const std::string& name) const {
    const Json* b = Resolve(branch);
    if (b == nullptr || !b->is_object()) return nullptr;
    auto props = b->find("properties");
    if (props == b->end() || !props->is_object()) return nullptr;
    auto prop = props->find(name);
    if (prop == props->end()) return nullptr;
    const Json* p = Resolve(*prop);
    if (p == nullptr || !p->is_object()) return nullptr;
    if (auto c = p->find("const"); c != p->end()) return &*c;
    if (auto e = p->find("enum"); e != p->end() && e->is_array() && e->size() == 1) return &(*e)[0];
    return nullptr;
  }

  void CheckNumber(const Json& schema, const Json& v, const std::string& path, bool secret,
                   std::vector<ConfigViolation>& out) {
    const long double x = AsLongDouble(v);
    auto bound = [&](const char* keyword, const char* op, auto fails) {
      auto it = schema.find(keyword);
      if (it == schema.end() || !it->is_number()) return;
      if (fails(x, AsLongDouble(*it))) {
        out.push_back({path, fmt::format("must be {} {}, got {}", op, NumberText(*it), ValueText(v, secret))});
      }
    };
    bound("minimum", ">=", [](long double a, long double b) { return a < b; });
    bound("maximum", "<=", [](long double a, long double b) { return a > b; });
    bound("exclusiveMinimum", ">", [](long double a, long double b) { return a <= b; });
    bound("exclusiveMaximum", "<", [](long double a, long double b) { return a >= b; });
    if (auto m = schema.find("multipleOf"); m != schema.end() && m->is_number() && AsLongDouble(*m) > 0) {
      bool multiple;
      if (v.is_number_integer() && m->is_number_integer()) {
        const long double q = x / AsLongDouble(*m);
        multiple = q == std::floor(q);
      } else {
        const double q = v.get<double>() / m->get<double>();
        multiple = std::isfinite(q) && q == std::floor(q);
      }
      if (!multiple) {
        out.push_back({path, fmt::format("must be a multiple of {}, got {}", NumberText(*m), ValueText(v, secret))});
      }
    }
  }

  void CheckString(const Json& schema, const std::string& s, const std::string& path, bool secret,
                   std::vector<ConfigViolation>& out) {
    const size_t length = CodePoints(s);
    if (auto it = schema.find("minLength"); it != schema.end() && it->is_number() && length < AsLongDouble(*it)) {
      out.push_back({path, fmt::format("must be at least {} character(s) long, got {}", NumberText(*it), length)});
    }
    if (auto it = schema.find("maxLength"); it != schema.end() && it->is_number() && length > AsLongDouble(*it)) {
      out.push_back({path, fmt::format("must be at most {} character(s) long, got {}", NumberText(*it), length)});
    }
    if (auto it = schema.find("pattern"); it != schema.end() && it->is_string()) {
      bool bad_pattern = false;
      const std::string& pattern = it->get_ref<const std::string&>();
      if (!MatchesRegex(pattern, s, bad_pattern)) {
        if (bad_pattern) {
          out.push_back({path, fmt::format("schema error: invalid pattern '{}'", pattern)});
        } else {
          out.push_back({path, fmt::format("must match pattern '{}', got {}", pattern, ValueText(Json(s), secret))});
        }
      }
    }
    if (auto it = schema.find("format"); it != schema.end() && it->is_string()) {
      const std::string& format = it->get_ref<const std::string&>();
      if (format == "date" && !IsDate(s)) {
        out.push_back({path, fmt::format("must be a date (YYYY-MM-DD), got {}", ValueText(Json(s), secret))});
      } else if (format == "date-time" && !IsDateTime(s)) {
        out.push_back({path, fmt::format("must be an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.fff]Z or ±HH:MM), got {}",
                                         ValueText(Json(s), secret))});
      }
    }
  }

  void CheckArray(const Json& schema, const Json& v, const std::string& path, bool secret,
                  std::vector<ConfigViolation>& out, int depth) {
    if (auto it = schema.find("minItems"); it != schema.end() && it->is_number() && v.size() < AsLongDouble(*it)) {
      out.push_back({path, fmt::format("must have at least {} item(s), got {}", NumberText(*it), v.size())});
    }
    if (auto it = schema.find("maxItems"); it != schema.end() && it->is_number() && v.size() > AsLongDouble(*it)) {
      out.push_back({path, fmt::format("must have at most {} item(s), got {}", NumberText(*it), v.size())});
    }
    if (auto it = schema.find("items"); it != schema.end()) {
      if (it->is_array()) {  // tuple form: one schema per position, then additionalItems
        const Json* additional = schema.contains("additionalItems") ? &schema["additionalItems"] : nullptr;
        for (size_t i = 0; i < v.size(); ++i) {
          if (i < it->size()) {
            Validate((*it)[i], v[i], JsonPathIndex(path, i), secret, out, depth + 1);
          } else if (additional != nullptr) {
            if (additional->is_boolean() && !additional->get<bool>()) {
              out.push_back({path, fmt::format("must have at most {} item(s), got {}", it->size(), v.size())});
              break;
            }
            Validate(*additional, v[i], JsonPathIndex(path, i), secret, out, depth + 1);
          }
        }
      } else {
        for (size_t i = 0; i < v.size(); ++i) Validate(*it, v[i], JsonPathIndex(path, i), secret, out, depth + 1);
      }
    }
    if (auto it = schema.find("uniqueItems"); it != schema.end() && it->is_boolean() && it->get<bool>()) {
      bool reported = false;
      for (size_t i = 0; i < v.size() && !reported; ++i) {
        for (size_t j = i + 1; j < v.size() && !reported; ++j) {
          if (JsonEqual(v[i], v[j])) {
            out.push_back({path, fmt::format("items must be unique, but [{}] and [{}] are equal", i, j)});
            reported = true;
          }
        }
      }
    }
    if (auto it = schema.find("contains"); it != schema.end()) {
      const bool found =
          std::any_of(v.begin(), v.end(), [&](const Json& item) { return IsValid(*it, item, depth + 1); });
      if (!found) out.push_back({path, "must contain at least one item matching the 'contains' schema"});
    }
  }

  void CheckObject(const Json& schema, const Json& v, const std::string& path, bool secret,
                   std::vector<ConfigViolation>& out, int depth) {
    if (auto req = schema.find("required"); req != schema.end() && req->is_array()) {
      for (const auto& name : *req) {
        if (name.is_string() && !v.contains(name.get<std::string>())) {
          out.push_back({path, fmt::format("missing required property '{}'", name.get<std::string>())});
        }
      }
    }
    if (auto it = schema.find("minProperties"); it != schema.end() && it->is_number() && v.size() < AsLongDouble(*it)) {
      out.push_back({path, fmt::format("must have at least {} propert(ies), got {}", NumberText(*it), v.size())});
    }
    if (auto it = schema.find("maxProperties"); it != schema.end() && it->is_number() && v.size() > AsLongDouble(*it)) {
      out.push_back({path, fmt::format("must have at most {} propert(ies), got {}", NumberText(*it), v.size())});
    }
    const MemberSchemas members(schema);
    const Json* names = schema.contains("propertyNames") ? &schema["propertyNames"] : nullptr;
    const auto matches = [this](const std::string& pattern, const std::string& key) {
      bool bad_pattern = false;
      return MatchesRegex(pattern, key, bad_pattern);
    };
    for (const auto& entry : v.items()) {
      // Named copies, not structured bindings: lambdas may not capture those before clang 16.
      const std::string& key = entry.key();
      const Json& value = entry.value();
      const std::string key_path = JsonPathKey(path, key);
      const bool described = members.VisitDescribed(
          key, matches, [&](const Json& sub) { Validate(sub, value, key_path, secret, out, depth + 1); });
      if (!described && members.additional != nullptr) {
        if (members.additional->is_boolean() && !members.additional->get<bool>()) {
          out.push_back({key_path, UnknownPropertyMessage(members.properties, members.patterns)});
        } else {
          Validate(*members.additional, value, key_path, secret, out, depth + 1);
        }
      }
      if (names != nullptr) {
        std::vector<ConfigViolation> name_violations;
        Validate(*names, Json(key), key_path, false, name_violations, depth + 1);
        for (auto& nv : name_violations) out.push_back({nv.path, "invalid property name: " + nv.message});
      }
    }
    if (auto deps = schema.find("dependencies"); deps != schema.end() && deps->is_object()) {
      for (const auto& [key, dep] : deps->items()) {
        if (!v.contains(key)) continue;
        if (dep.is_array()) {
          for (const auto& needed : dep) {
            if (needed.is_string() && !v.contains(needed.get<std::string>())) {
              out.push_back(
                  {path, fmt::format("property '{}' requires property '{}'", key, needed.get<std::string>())});
            }
          }
        } else {
          Validate(dep, v, path, secret, out, depth + 1);
        }
      }
    }
  }

  static std::string UnknownPropertyMessage(const Json* props, const Json* patterns) {
    std::string allowed;
    if (props != nullptr) {
      for (const auto& [name, unused] : props->items()) allowed += (allowed.empty() ? "" : ", ") + name;
    }
    if (patterns != nullptr) {
      for (const auto& [pattern, unused] : patterns->items()) {
        allowed += (allowed.empty() ? "names matching /" : ", names matching /") + pattern + "/";
      }
    }
    if (allowed.empty()) return "unknown property (no properties are allowed here)";
    return fmt::format("unknown property (allowed: {})", allowed);
  }

  // anyOf / oneOf: on failure report the closest branch, so the user sees actionable errors.
  void CheckAlternatives(const Json& branches, std::string_view keyword, const Json& v, const std::string& path,
                         bool secret, std::vector<ConfigViolation>& out, int depth) {
    std::vector<std::vector<ConfigViolation>> results(branches.size());
    std::vector<size_t> matching;
    for (size_t i = 0; i < branches.size(); ++i) {
      Validate(branches[i], v, path, secret, results[i], depth + 1);
      if (results[i].empty()) matching.push_back(i);
    }
    if (keyword == "anyOf" ? !matching.empty() : matching.size() == 1) return;
    if (matching.size() > 1) {
      std::string list;
      for (size_t i : matching) list += (list.empty() ? "" : ", ") + BranchName(branches[i], i);
      out.push_back(
          {path, fmt::format("matches {} of the oneOf options ({}), expected exactly one", matching.size(), list)});
      return;
    }

    // No branch matches. A const discriminator picks the branch the user meant.
    std::vector<const Json*> values;
    const std::string discriminator = v.is_object() ? Discriminator(branches, values) : std::string();
    if (!discriminator.empty() && v.contains(discriminator)) {
      const Json& given = v[discriminator];
      for (size_t i = 0; i < values.size(); ++i) {
        if (JsonEqual(*values[i], given)) {
          out.insert(out.end(), results[i].begin(), results[i].end());
          return;
        }
      }
      std::string list;
      for (const Json* c : values) list += (list.empty() ? "" : ", ") + ConstText(*c);
      out.push_back({JsonPathKey(path, discriminator),
                     fmt::format("must be one of [{}], got {}", list, ValueText(given, secret))});
      return;
    }

    // Otherwise: the branches whose type fits, and of those the one with the fewest violations.
    std::vector<size_t> fitting;
    Json all_types = Json::array();
    for (size_t i = 0; i < branches.size(); ++i) {
      const Json* b = Resolve(branches[i]);
      const Json* type = b != nullptr && b->is_object() && b->contains("type") ? &(*b)["type"] : nullptr;
      if (type == nullptr || TypeFits(*type, v)) fitting.push_back(i);
      if (type == nullptr) continue;
      for (const Json& t : type->is_array() ? *type : Json::array({*type})) {
        if (std::find(all_types.begin(), all_types.end(), t) == all_types.end()) all_types.push_back(t);
      }
    }
    if (fitting.empty()) {
      out.push_back({path, fmt::format("expected {}, got {}", JoinTypes(all_types), TypedValueText(v, secret))});
      return;
    }
    size_t best = fitting[0];
    for (size_t i : fitting) {
      if (results[i].size() < results[best].size()) best = i;
    }
    if (fitting.size() > 1) {
      std::string list;
      for (size_t i = 0; i < branches.size(); ++i) list += (list.empty() ? "" : ", ") + BranchName(branches[i], i);
      out.push_back({path, fmt::format("matches none of the {} options ({}); the closest, {}, fails:", keyword, list,
                                       BranchName(branches[best], best))});
    }
    out.insert(out.end(), results[best].begin(), results[best].end());
  }

  const Json& root_;
  std::map<std::string, std::optional<std::regex>> regexes_;
};

class DefaultsApplier {
 public:
  explicit DefaultsApplier(const Json& root) : validator_(root) {}

  Json Apply(const Json& schema, Json value, int depth) {
    if (!schema.is_object() || depth > kMaxDepth) return value;
    if (schema.contains("$ref")) {
      const Json* target = validator_.Resolve(schema);
      return target == nullptr ? value : Apply(*target, std::move(value), depth + 1);
    }
    if (value.is_object()) {
      if (auto props = schema.find("properties"); props != schema.end() && props->is_object()) {
        for (const auto& [key, sub] : props->items()) {
          if (auto it = value.find(key); it != value.end()) {
            *it = Apply(sub, std::move(*it), depth + 1);
          } else if (const Json* def = DefaultOf(sub)) {
            value[key] = Apply(sub, *def, depth + 1);
          }
        }
      }
      if (auto add = schema.find("additionalProperties"); add != schema.end() && add->is_object()) {
        const Json* props = schema.contains("properties") ? &schema["properties"] : nullptr;
        for (auto& [key, item] : value.items()) {
          if (props == nullptr || !props->contains(key)) item = Apply(*add, std::move(item), depth + 1);
        }
      }
    }
    if (value.is_array()) {
      if (auto items = schema.find("items"); items != schema.end()) {
        for (size_t i = 0; i < value.size(); ++i) {
          const Json* sub = items->is_array() ? (i < items->size() ? &(*items)[i] : nullptr) : &*items;
          if (sub != nullptr) value[i] = Apply(*sub, std::move(value[i]), depth + 1);
        }
      }
    }
    if (auto all = schema.find("allOf"); all != schema.end() && all->is_array()) {
      for (const auto& branch : *all) value = Apply(branch, std::move(value), depth + 1);
    }
    for (const char* keyword : {"oneOf", "anyOf"}) {
      if (auto branches = schema.find(keyword); branches != schema.end() && branches->is_array()) {
        value = ApplyChosenBranch(*branches, std::move(value), depth);
      }
    }
    if (auto cond = schema.find("if"); cond != schema.end()) {
      const char* next = validator_.IsValid(*cond, value, depth + 1) ? "then" : "else";
      if (auto branch = schema.find(next); branch != schema.end()) value = Apply(*branch, std::move(value), depth + 1);
    }
    return value;
  }

 private:
  const Json* DefaultOf(const Json& schema) {
    if (!schema.is_object()) return nullptr;
    if (auto it = schema.find("default"); it != schema.end()) return &*it;
    const Json* target = validator_.Resolve(schema);
    if (target == nullptr || target == &schema || !target->is_object()) return nullptr;
    auto it = target->find("default");
    return it == target->end() ? nullptr : &*it;
  }

  Json ApplyChosenBranch(const Json& branches, Json value, int depth) {
    std::optional<Json> chosen;
    int matches = 0;
    for (const auto& branch : branches) {
      Json candidate = Apply(branch, value, depth + 1);
      if (validator_.IsValid(branch, candidate, depth + 1)) {
        if (++matches == 1) chosen = std::move(candidate);
      }
    }
    if (matches == 1) return std::move(*chosen);
    if (matches > 1 || !value.is_object()) return value;
    std::vector<const Json*> values;
    const std::string discriminator = validator_.Discriminator(branches, values);
    if (discriminator.empty() || !value.contains(discriminator)) return value;
    int picked = -1;
    for (size_t i = 0; i < values.size(); ++i) {
      if (JsonEqual(*values[i], value[discriminator])) {
        if (picked >= 0) return value;  // two branches share the constant: ambiguous
        picked = static_cast<int>(i);
      }
    }
    return picked < 0 ? value : Apply(branches[picked], std::move(value), depth + 1);
  }

  Validator validator_;
};

// Calls `found(path, value)` for every value in `v` whose schema is marked airbyte_secret.
class SecretWalker {
 public:
  SecretWalker(const Json& root, std::function<void(const std::string&, Json&)> found)
      : validator_(root), found_(std::move(found)) {}

  void Walk(const Json& schema, Json& v, const std::string& path, int depth) {
    if (!schema.is_object() || depth > kMaxDepth || v.is_null()) return;
    if (schema.contains("$ref")) {
      const Json* target = validator_.Resolve(schema);
      if (target != nullptr) Walk(*target, v, path, depth + 1);
      return;
    }
    if (auto s = schema.find("airbyte_secret"); s != schema.end() && s->is_boolean() && s->get<bool>()) {
      found_(path, v);
      return;
    }
    if (v.is_object()) {
      const MemberSchemas members(schema);
      const auto matches = [this](const std::string& pattern, const std::string& key) {
        bool bad_pattern = false;
        return validator_.MatchesRegex(pattern, key, bad_pattern);
      };
      for (auto& entry : v.items()) {
        const std::string& key = entry.key();
        Json& item = entry.value();
        const std::string key_path = JsonPathKey(path, key);
        const bool described =
            members.VisitDescribed(key, matches, [&](const Json& sub) { Walk(sub, item, key_path, depth + 1); });
        if (!described && members.additional != nullptr) Walk(*members.additional, item, key_path, depth + 1);
      }
    }
    if (v.is_array()) {
      if (auto items = schema.find("items"); items != schema.end()) {
        for (size_t i = 0; i < v.size(); ++i) {
          const Json* sub = items->is_array() ? (i < items->size() ? &(*items)[i] : nullptr) : &*items;
          if (sub != nullptr) Walk(*sub, v[i], JsonPathIndex(path, i), depth + 1);
        }
      }
    }
    // Conservative: a value secret in any branch is a secret.
    for (const char* keyword : {"allOf", "anyOf", "oneOf"}) {
      if (auto branches = schema.find(keyword); branches != schema.end() && branches->is_array()) {
        for (const auto& branch : *branches) Walk(branch, v, path, depth + 1);
      }
    }
    for (const char* keyword : {"then", "else"}) {
      if (auto branch = schema.find(keyword); branch != schema.end()) Walk(*branch, v, path, depth + 1);
    }
  }

 private:
  Validator validator_;
  std::function<void(const std::string&, Json&)> found_;
};

}  // namespace

std::string JsonPathKey(std::string_view path, std::string_view key) {
  std::string out(path);
  if (IsIdentifier(key)) {
    out += '.';
    out += key;
    return out;
  }
  out += "['";
  for (char c : key) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += "']";
  return out;
}

std::string JsonPathIndex(std::string_view path, size_t index) { return fmt::format("{}[{}]", path, index); }

std::vector<ConfigViolation> ValidateConfig(const Json& schema, const Json& config) {
  std::vector<ConfigViolation> out;
  Validator(schema).Validate(schema, config, "$", false, out, 0);
  return out;
}

Json ApplyDefaults(const Json& schema, const Json& config) { return DefaultsApplier(schema).Apply(schema, config, 0); }

Result<Json> PrepareConfig(const Json& schema, const Json& config, std::string_view what) {
  Json prepared = ApplyDefaults(schema, config);
  const std::vector<ConfigViolation> violations = ValidateConfig(schema, prepared);
  if (violations.empty()) return prepared;
  if (violations.size() == 1) return Status::ConfigError(fmt::format("{}: {}", what, violations[0].ToString()));
  std::string message = fmt::format("{}: {} problems:", what, violations.size());
  for (const auto& v : violations) message += "\n  " + v.ToString();
  return Status::ConfigError(std::move(message));
}

std::vector<std::string> SecretPaths(const Json& schema, const Json& config) {
  std::vector<std::string> paths;
  std::set<std::string> seen;
  Json copy = config;
  SecretWalker(schema, [&](const std::string& path, Json&) {
    if (seen.insert(path).second) paths.push_back(path);
  }).Walk(schema, copy, "$", 0);
  return paths;
}

Json MaskSecrets(const Json& schema, const Json& config) {
  Json masked = config;
  SecretWalker(schema, [](const std::string&, Json& value) {
    value = std::string(kSecretMask);
  }).Walk(schema, masked, "$", 0);
  return masked;
}

}  // namespace sluice
