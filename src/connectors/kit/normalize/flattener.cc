#include "connectors/kit/normalize/flattener.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <unordered_set>

namespace sluice {

namespace {

// ---- Plan -----------------------------------------------------------------------------------

// The one non-null alternative of a nullable union ({"type": ["null", "object"]} keeps its
// keys; {"anyOf": [{"type": "null"}, X]} gives X), else the schema itself.
const Json& Unwrap(const Json& s) {
  if (!s.is_object()) return s;
  for (const char* key : {"oneOf", "anyOf"}) {
    auto it = s.find(key);
    if (it == s.end() || !it->is_array()) continue;
    const Json* only = nullptr;
    int non_null = 0;
    for (const Json& option : *it) {
      if (option.is_object() && option.value("type", Json()) == "null") continue;
      only = &option;
      ++non_null;
    }
    if (non_null == 1) return Unwrap(*only);
  }
  return s;
}

// "object" / "array" when the schema's (non-null) type is that, else "".
std::string Shape(const Json& s) {
  if (!s.is_object()) return "";
  auto it = s.find("type");
  if (it == s.end()) return "";
  std::string found;
  int non_null = 0;
  auto consider = [&](const Json& v) {
    if (!v.is_string() || v == "null") return;
    found = v.get<std::string>();
    ++non_null;
  };
  if (it->is_array()) {
    for (const Json& v : *it) consider(v);
  } else {
    consider(*it);
  }
  if (non_null != 1) return "";
  return found == "object" || found == "array" ? found : "";
}

bool HasProperties(const Json& s) {
  auto it = s.find("properties");
  return it != s.end() && it->is_object() && !it->empty();
}

struct Loc {
  int field = -1;
  std::vector<std::string> path;
};

struct Pending {
  std::string logical;  // the name before shortening and collision suffixes
  NormColumn column;
  bool fixed = false;   // the name is final (root top-level fields)
};

class Planner {
 public:
  Planner(NormPlan& n, std::set<std::string>& taken, const NameShortener& shorten)
      : n_(n), taken_(taken), shorten_(shorten) {}

  size_t NewTable(const std::string& logical, int parent) {
    std::string name = shorten_(logical);
    for (int k = 2; !taken_.insert(name).second; ++k) name = shorten_(fmt::format("{}_{}", logical, k));
    NormTable t;
    t.name = name;
    t.parent = parent;
    t.depth = parent < 0 ? 0 : n_.tables[static_cast<size_t>(parent)].depth + 1;
    t.hashid_column = shorten_(fmt::format("_airbyte_{}_hashid", name));
    n_.tables.push_back(std::move(t));
    logical_.push_back(logical);
    pending_.emplace_back();
    return n_.tables.size() - 1;
  }

  void Value(size_t t, const std::string& name, const Loc& loc, const Json& raw_schema) {
    const Json& schema = Unwrap(raw_schema);
    const std::string shape = Shape(schema);
    if (shape == "object" && HasProperties(schema)) {
      for (const auto& [key, sub] : schema["properties"].items()) {
        Loc inner = loc;
        inner.path.push_back(key);
        Value(t, name.empty() ? key : name + "_" + key, inner, sub);
      }
      return;
    }
    if (shape == "array") {
      Array(t, name.empty() ? "value" : name, loc, schema.contains("items") ? schema["items"] : Json());
      return;
    }
    Pending p;
    p.logical = name.empty() ? "value" : name;
    p.column.type = TypeFromJsonSchema(schema);
    p.column.leaf = true;
    p.column.field = loc.field;
    p.column.path = loc.path;
    pending_[t].push_back(std::move(p));
  }

  void Array(size_t t, const std::string& name, const Loc& loc, const Json& items) {
    const size_t c = NewTable(logical_[t] + "_" + name, static_cast<int>(t));
    NormTable& child = n_.tables[c];
    child.array_field = loc.field;
    child.array_path = loc.path;
    child.parent_hashid_column = n_.tables[t].hashid_column;
    const Json& element = Unwrap(items);
    if (Shape(element) == "object" && HasProperties(element)) {
      Value(c, "", Loc{}, element);
    } else {
      Value(c, "value", Loc{}, element.is_object() ? element : Json::object());
    }
  }

  void Finish(size_t t, const std::vector<std::string>& reserved) {
    std::unordered_set<std::string> used(reserved.begin(), reserved.end());
    std::vector<Pending>& cols = pending_[t];
    std::vector<std::string> names(cols.size());
    for (size_t i = 0; i < cols.size(); ++i) {  // names already decided, and unchanged ones first
      if (cols[i].fixed) {
        names[i] = cols[i].logical;
        used.insert(names[i]);
      }
    }
    for (size_t i = 0; i < cols.size(); ++i) {
      if (!names[i].empty()) continue;
      std::string name = shorten_(cols[i].logical);
      if (used.insert(name).second) names[i] = std::move(name);
    }
    for (size_t i = 0; i < cols.size(); ++i) {
      if (!names[i].empty()) continue;
      for (int k = 2;; ++k) {
        std::string name = shorten_(fmt::format("{}_{}", cols[i].logical, k));
        if (used.insert(name).second) {
          names[i] = std::move(name);
          break;
        }
      }
    }
    for (size_t i = 0; i < cols.size(); ++i) {
      cols[i].column.name = names[i];
      n_.tables[t].columns.push_back(std::move(cols[i].column));
    }
  }

  std::vector<std::vector<Pending>>& pending() { return pending_; }

 private:
  NormPlan& n_;
  std::set<std::string>& taken_;
  const NameShortener& shorten_;
  std::vector<std::string> logical_;
  std::vector<std::vector<Pending>> pending_;
};

// ---- MD5 (RFC 1321) -------------------------------------------------------------------------

constexpr uint32_t kMd5K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
constexpr int kMd5S[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9,  14, 20, 5, 9,
                           14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                           4,  11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

inline uint32_t Rotl(uint32_t x, int c) { return (x << c) | (x >> (32 - c)); }

void Md5Block(uint32_t h[4], const uint8_t* block) {
  uint32_t m[16];
  for (int i = 0; i < 16; ++i) {
    m[i] = static_cast<uint32_t>(block[i * 4]) | (static_cast<uint32_t>(block[i * 4 + 1]) << 8) |
           (static_cast<uint32_t>(block[i * 4 + 2]) << 16) | (static_cast<uint32_t>(block[i * 4 + 3]) << 24);
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
  for (int i = 0; i < 64; ++i) {
    uint32_t f;
    int g;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) % 16;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) % 16;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) % 16;
    }
    const uint32_t tmp = d;
    d = c;
    c = b;
    b = b + Rotl(a + f + kMd5K[i] + m[g], kMd5S[i]);
    a = tmp;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
}

// ---- Leaves ---------------------------------------------------------------------------------

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool Digits(std::string_view s, size_t& i, size_t n) {
  for (size_t k = 0; k < n; ++k, ++i) {
    if (i >= s.size() || !IsDigit(s[i])) return false;
  }
  return true;
}

// \d{4}-\d{2}-\d{2}
bool MatchDate(std::string_view s, size_t& i) {
  return Digits(s, i, 4) && i < s.size() && s[i++] == '-' && Digits(s, i, 2) && i < s.size() && s[i++] == '-' &&
         Digits(s, i, 2);
}

// \d{2}:\d{2}(:\d{2}(\.\d+)?)?
bool MatchTime(std::string_view s, size_t& i) {
  if (!(Digits(s, i, 2) && i < s.size() && s[i++] == ':' && Digits(s, i, 2))) return false;
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!Digits(s, i, 2)) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      const size_t start = i;
      while (i < s.size() && IsDigit(s[i])) ++i;
      if (i == start) return false;
    }
  }
  return true;
}

// (Z|[+-]\d{2}(:?\d{2})?)?  — consumes nothing when absent.
bool MatchZone(std::string_view s, size_t& i) {
  if (i >= s.size()) return true;
  if (s[i] == 'Z') {
    ++i;
    return true;
  }
  if (s[i] != '+' && s[i] != '-') return true;
  ++i;
  if (!Digits(s, i, 2)) return false;
  if (i < s.size() && s[i] == ':') {
    ++i;
    return Digits(s, i, 2);
  }
  if (i < s.size() && IsDigit(s[i])) return Digits(s, i, 2);
  return true;
}

bool LooksLike(TypeId type, std::string_view s) {
  size_t i = 0;
  bool ok = false;
  switch (type) {
    case TypeId::kDate: ok = MatchDate(s, i); break;
    case TypeId::kTimeNoTz: ok = MatchTime(s, i); break;
    case TypeId::kTimeTz: ok = MatchTime(s, i) && MatchZone(s, i); break;
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz:
      ok = MatchDate(s, i);
      if (ok && i < s.size() && (s[i] == 'T' || s[i] == ' ')) {
        ++i;
        ok = MatchTime(s, i);
      }
      if (ok && type == TypeId::kTimestampTz) ok = MatchZone(s, i);
      break;
    default: break;
  }
  return ok && i == s.size();
}

// jsonb's escaping of a string: \" \\ \b \f \n \r \t, other control characters \u00xx.
void AppendJsonbString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

void AppendDouble(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, static_cast<size_t>(end - buf));
}

void AppendNumber(std::string& out, simdjson::dom::element e) {
  int64_t i;
  uint64_t u;
  double d;
  if (e.get_int64().get(i) == simdjson::SUCCESS) {
    out += std::to_string(i);
  } else if (e.get_uint64().get(u) == simdjson::SUCCESS) {
    out += std::to_string(u);
  } else if (e.get_double().get(d) == simdjson::SUCCESS) {
    AppendDouble(out, d);
  }
}

void RenderJsonb(std::string& out, simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::OBJECT: {
      // jsonb: keys ordered by length, then bytes; of duplicate keys the last one stays.
      std::vector<std::pair<std::string_view, simdjson::dom::element>> fields;
      for (auto field : simdjson::dom::object(e)) fields.emplace_back(field.key, field.value);
      std::stable_sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) {
        if (a.first.size() != b.first.size()) return a.first.size() < b.first.size();
        return a.first < b.first;
      });
      out.push_back('{');
      bool first = true;
      for (size_t k = 0; k < fields.size(); ++k) {
        if (k + 1 < fields.size() && fields[k + 1].first == fields[k].first) continue;
        if (!first) out += ", ";
        first = false;
        AppendJsonbString(out, fields[k].first);
        out += ": ";
        RenderJsonb(out, fields[k].second);
      }
      out.push_back('}');
      break;
    }
    case element_type::ARRAY: {
      out.push_back('[');
      bool first = true;
      for (auto v : simdjson::dom::array(e)) {
        if (!first) out += ", ";
        first = false;
        RenderJsonb(out, v);
      }
      out.push_back(']');
      break;
    }
    case element_type::STRING: AppendJsonbString(out, std::string_view(e)); break;
    case element_type::BOOL: out += bool(e) ? "true" : "false"; break;
    case element_type::NULL_VALUE: out += "null"; break;
    default: AppendNumber(out, e);
  }
}

constexpr int64_t kMaxInt18 = 999'999'999'999'999'999;

}  // namespace

// ---- Public ---------------------------------------------------------------------------------

NormPlan PlanNormalizedTables(const Schema& schema, const std::vector<std::string>& columns,
                              const std::string& root_table, const std::vector<int>& hash_key,
                              std::set<std::string>& taken, const NameShortener& shorten) {
  NormPlan n;
  n.hash_key = hash_key;
  Planner planner(n, taken, shorten);
  taken.erase(root_table);  // the root keeps the final table's name (the caller checked it)
  const size_t root = planner.NewTable(root_table, -1);
  n.root_has_field.assign(schema.num_fields(), false);
  for (size_t i = 0; i < schema.num_fields(); ++i) {
    const Field& f = schema.field(i);
    const Json& js = Unwrap(f.json_schema);
    const std::string shape = f.type == TypeId::kJson ? Shape(js) : "";
    const Loc loc{static_cast<int>(i), {}};
    if (shape == "object" && HasProperties(js)) {
      planner.Value(root, f.name, loc, js);
    } else if (shape == "array") {
      planner.Array(root, f.name, loc, js.contains("items") ? js["items"] : Json());
    } else {
      Pending p;
      p.logical = columns[i];
      p.fixed = true;
      p.column.type = f.type;
      p.column.field = static_cast<int>(i);
      planner.pending()[root].push_back(std::move(p));
      n.root_has_field[i] = true;
    }
  }
  for (size_t t = 0; t < n.tables.size(); ++t) {
    NormTable& table = n.tables[t];
    std::vector<std::string> reserved = {"_airbyte_raw_id",        "_airbyte_extracted_at", "_airbyte_meta",
                                         "_airbyte_generation_id", kColNormalizedAt,        table.hashid_column};
    if (t > 0) {
      table.root_hashid_column = table.depth == 1 ? table.parent_hashid_column : n.tables[0].hashid_column;
      reserved.push_back(table.parent_hashid_column);
      reserved.push_back(table.root_hashid_column);
    }
    planner.Finish(t, reserved);
  }
  return n;
}

bool FlattenerHashesKeyType(TypeId type) {
  return type == TypeId::kInteger || type == TypeId::kString || type == TypeId::kBoolean;
}

std::array<char, 32> Md5Hex(std::string_view data) {
  uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  size_t off = 0;
  for (; off + 64 <= n; off += 64) Md5Block(h, p + off);
  uint8_t tail[128] = {};
  const size_t rest = n - off;
  std::memcpy(tail, p + off, rest);
  tail[rest] = 0x80;
  const size_t total = rest + 9 <= 64 ? 64 : 128;
  const uint64_t bits = static_cast<uint64_t>(n) * 8;
  for (int i = 0; i < 8; ++i) tail[total - 8 + i] = static_cast<uint8_t>(bits >> (8 * i));
  Md5Block(h, tail);
  if (total == 128) Md5Block(h, tail + 64);
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<char, 32> out;
  for (int w = 0; w < 4; ++w) {
    for (int b = 0; b < 4; ++b) {
      const uint8_t byte = static_cast<uint8_t>(h[w] >> (8 * b));
      out[static_cast<size_t>(w * 8 + b * 2)] = kHex[byte >> 4];
      out[static_cast<size_t>(w * 8 + b * 2 + 1)] = kHex[byte & 15];
    }
  }
  return out;
}

bool AppendJsonbStyle(std::string& out, std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(json.data(), json.size(), true).get(e) != simdjson::SUCCESS) return false;
  RenderJsonb(out, e);
  return true;
}

// ---- Flattener ------------------------------------------------------------------------------

struct Flattener::Impl {
  const NormPlan& plan;
  std::vector<std::vector<size_t>> children;      // per table
  std::vector<int> json_fields;                    // fields the record needs parsed
  std::vector<simdjson::dom::parser> parsers;     // per field (only json_fields used)
  std::vector<simdjson::dom::element> parsed;     // per field; valid when has_parsed
  std::vector<bool> has_parsed;
  std::vector<std::vector<NormLeaf>> leaves;      // per table, per column
  std::vector<std::vector<std::string>> scratch;  // per table, per column
  std::string key_text;
  std::string hash_input;

  explicit Impl(const NormPlan& p) : plan(p) {
    children.resize(p.tables.size());
    std::set<int> needed;
    for (size_t t = 0; t < p.tables.size(); ++t) {
      const NormTable& table = p.tables[t];
      if (table.parent >= 0) children[static_cast<size_t>(table.parent)].push_back(t);
      if (table.parent == 0 && table.array_field >= 0) needed.insert(table.array_field);
      if (t == 0) {
        for (const NormColumn& c : table.columns) {
          if (c.leaf && c.field >= 0) needed.insert(c.field);
        }
      }
      leaves.emplace_back(table.columns.size());
      scratch.emplace_back(table.columns.size());
    }
    json_fields.assign(needed.begin(), needed.end());
    const size_t fields = p.root_has_field.size();
    parsers.resize(fields);
    parsed.resize(fields);
    has_parsed.assign(fields, false);
  }

  // The value at `path` from `start` (or none).
  static bool Follow(simdjson::dom::element start, const std::vector<std::string>& path, simdjson::dom::element& out) {
    simdjson::dom::element e = start;
    for (const std::string& key : path) {
      if (!e.is_object()) return false;
      if (simdjson::dom::object(e).at_key(key).get(e) != simdjson::SUCCESS) return false;
    }
    out = e;
    return true;
  }

  void Convert(simdjson::dom::element e, TypeId type, std::string& scratch_text, NormLeaf& leaf) {
    using simdjson::dom::element_type;
    leaf.kind = NormLeaf::kNull;
    const element_type et = e.type();
    if (et == element_type::NULL_VALUE) return;
    const bool number = et == element_type::INT64 || et == element_type::UINT64 || et == element_type::DOUBLE;
    switch (type) {
      case TypeId::kBoolean:
        if (et == element_type::BOOL) {
          leaf.kind = NormLeaf::kBool;
          leaf.b = bool(e);
        }
        return;
      case TypeId::kInteger:
        if (et == element_type::INT64) {
          const int64_t v = int64_t(e);
          if (v >= -kMaxInt18 && v <= kMaxInt18) {
            leaf.kind = NormLeaf::kInt;
            leaf.i = v;
          }
        }
        return;
      case TypeId::kNumber:
        if (number) {
          const double v = et == element_type::INT64 ? static_cast<double>(int64_t(e))
                           : et == element_type::UINT64 ? static_cast<double>(uint64_t(e))
                                                        : double(e);
          if (std::fabs(v) < 1e300) {
            leaf.kind = NormLeaf::kDouble;
            leaf.d = v;
          }
        }
        return;
      case TypeId::kDecimal:
        if (number) {
          scratch_text.clear();
          AppendNumber(scratch_text, e);
          leaf.kind = NormLeaf::kText;
          leaf.text = scratch_text;
        }
        return;
      case TypeId::kDate:
      case TypeId::kTimeNoTz:
      case TypeId::kTimeTz:
      case TypeId::kTimestampNoTz:
      case TypeId::kTimestampTz:
        if (et == element_type::STRING) {
          const std::string_view s(e);
          if (LooksLike(type, s)) {
            leaf.kind = NormLeaf::kText;
            leaf.text = s;
          }
        }
        return;
      case TypeId::kJson:
        scratch_text.clear();
        scratch_text = simdjson::minify(e);
        leaf.kind = NormLeaf::kJson;
        leaf.text = scratch_text;
        return;
      default:  // string, binary (base64 text): the value's text
        if (et == element_type::STRING) {
          leaf.kind = NormLeaf::kText;
          leaf.text = std::string_view(e);
          return;
        }
        scratch_text.clear();
        if (et == element_type::BOOL) {
          scratch_text = bool(e) ? "true" : "false";
        } else if (number) {
          AppendNumber(scratch_text, e);
        } else {
          RenderJsonb(scratch_text, e);
        }
        leaf.kind = NormLeaf::kText;
        leaf.text = scratch_text;
    }
  }

  // Fills the leaves of table `t` from the record (root) or from `element`.
  void FillLeaves(size_t t, const simdjson::dom::element* element) {
    const NormTable& table = plan.tables[t];
    for (size_t c = 0; c < table.columns.size(); ++c) {
      const NormColumn& col = table.columns[c];
      NormLeaf& leaf = leaves[t][c];
      leaf.kind = NormLeaf::kNull;
      if (!col.leaf) continue;
      simdjson::dom::element start;
      if (col.field >= 0) {
        if (!has_parsed[static_cast<size_t>(col.field)]) continue;
        start = parsed[static_cast<size_t>(col.field)];
      } else if (element != nullptr) {
        start = *element;
      } else {
        continue;
      }
      simdjson::dom::element v;
      if (Follow(start, col.path, v)) Convert(v, col.type, scratch[t][c], leaf);
    }
  }

  // Emits the rows of child table `c` under a parent row with hash `parent_hash`, the parent's
  // context being the record (`element` null) or an element.
  void Children(size_t parent, const simdjson::dom::element* element, std::string_view parent_hash,
                std::string_view root_hash, const std::function<void(const NormRow&)>& emit) {
    for (size_t c : children[parent]) {
      const NormTable& table = plan.tables[c];
      simdjson::dom::element start;
      if (table.array_field >= 0) {
        if (!has_parsed[static_cast<size_t>(table.array_field)]) continue;
        start = parsed[static_cast<size_t>(table.array_field)];
      } else if (element != nullptr) {
        start = *element;
      } else {
        continue;
      }
      simdjson::dom::element array;
      if (!Follow(start, table.array_path, array) || !array.is_array()) continue;
      size_t n = 0;
      for (simdjson::dom::element item : simdjson::dom::array(array)) {
        ++n;
        hash_input.assign(parent_hash);
        hash_input.push_back('-');
        hash_input += std::to_string(n);
        const std::array<char, 32> hash = Md5Hex(hash_input);
        const std::string_view hash_view(hash.data(), hash.size());
        FillLeaves(c, &item);
        NormRow row;
        row.table = c;
        row.hash = hash_view;
        row.parent_hash = parent_hash;
        row.root_hash = root_hash;
        row.leaves = leaves[c].data();
        emit(row);
        Children(c, &item, hash_view, root_hash, emit);
      }
    }
  }
};

Flattener::Flattener(const NormPlan& plan) : impl_(std::make_unique<Impl>(plan)) {}
Flattener::~Flattener() = default;

void Flattener::Flatten(const RecordBatch& batch, size_t row, std::string_view raw_id,
                        const std::function<void(const NormRow&)>& emit) {
  Impl& m = *impl_;
  for (int f : m.json_fields) {
    const size_t i = static_cast<size_t>(f);
    m.has_parsed[i] = false;
    const Column& col = batch.column(i);
    if (col.IsNull(row) || col.type() != TypeId::kJson) continue;
    const std::string_view text = col.Bytes(row);
    m.has_parsed[i] = m.parsers[i].parse(text.data(), text.size(), true).get(m.parsed[i]) == simdjson::SUCCESS;
  }
  // The root's hash id: md5 of the key as jsonb prints a JSON array, or of the raw id.
  std::array<char, 32> root_hash;
  if (m.plan.hash_key.empty()) {
    root_hash = Md5Hex(raw_id);
  } else {
    m.key_text = "[";
    for (size_t k = 0; k < m.plan.hash_key.size(); ++k) {
      if (k) m.key_text += ", ";
      const Column& col = batch.column(static_cast<size_t>(m.plan.hash_key[k]));
      if (col.IsNull(row)) {
        m.key_text += "null";
        continue;
      }
      switch (col.type()) {
        case TypeId::kInteger: m.key_text += std::to_string(col.Int64(row)); break;
        case TypeId::kBoolean: m.key_text += col.Bool(row) ? "true" : "false"; break;
        default: AppendJsonbString(m.key_text, col.Bytes(row));
      }
    }
    m.key_text += "]";
    root_hash = Md5Hex(m.key_text);
  }
  const std::string_view root_view(root_hash.data(), root_hash.size());
  m.FillLeaves(0, nullptr);
  NormRow root;
  root.table = 0;
  root.hash = root_view;
  root.leaves = m.leaves[0].data();
  emit(root);
  m.Children(0, nullptr, root_view, root_view, emit);
}

}  // namespace sluice
