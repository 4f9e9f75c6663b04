#include "template/jinja_value.h"

#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "base/text.h"
#include "template/py_datetime.h"

namespace sluice::jinja {

Value Value::CopyJson(const Json& j) {
  if (j.is_array()) {
    ValueList items;
    for (const Json& e : j) items.push_back(CopyJson(e));
    return List(std::move(items));
  }
  if (j.is_object()) {
    ValueDict items;
    for (auto it = j.begin(); it != j.end(); ++it) items.emplace_back(it.key(), CopyJson(it.value()));
    return Dict(std::move(items));
  }
  return FromJson(j);
}

Value Value::FromJson(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return None();
    case Json::value_t::boolean: return Bool(j.get<bool>());
    case Json::value_t::number_integer: return Int(j.get<int64_t>());
    case Json::value_t::number_unsigned: {
      const uint64_t u = j.get<uint64_t>();
      if (u <= uint64_t(std::numeric_limits<int64_t>::max())) return Int(int64_t(u));
      return Float(double(u));
    }
    case Json::value_t::number_float: return Float(j.get<double>());
    case Json::value_t::string: return Str(j.get<std::string>());
    case Json::value_t::object:
    case Json::value_t::array: {
      Value v;
      v.kind = Kind::kJson;
      v.json = &j;
      return v;
    }
    default: return None();
  }
}

std::string TypeName(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined: return "Undefined";
    case Kind::kNone: return "NoneType";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kList: return "list";
    case Kind::kDict: return "dict";
    case Kind::kJson: return v.json->is_object() ? "dict" : "list";
    case Kind::kDateTime: return "datetime.datetime";
    case Kind::kDate: return "datetime.date";
    case Kind::kDuration: return "datetime.timedelta";
  }
  return "object";
}

bool Truthy(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined:
    case Kind::kNone: return false;
    case Kind::kBool: return v.b;
    case Kind::kInt: return v.i != 0;
    case Kind::kFloat: return v.f != 0;
    case Kind::kString: return !v.s.empty();
    case Kind::kList: return !v.list->empty();
    case Kind::kDict: return !v.dict->empty();
    case Kind::kJson: return !v.json->empty();
    case Kind::kDuration: return v.i != 0 || v.months != 0;
    default: return true;
  }
}

std::string FloatRepr(double f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f < 0 ? "-inf" : "inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific);
  std::string sci(buf, r.ptr);  // "-1.2345e+02"
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const size_t e = sci.find('e');
  const int exponent = std::stoi(sci.substr(e + 1));
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  if (exponent >= -4 && exponent < 16) {
    std::string out;
    if (exponent < 0) {
      out = "0." + std::string(size_t(-exponent - 1), '0') + digits;
    } else if (size_t(exponent) + 1 >= digits.size()) {
      out = digits + std::string(size_t(exponent) + 1 - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, size_t(exponent) + 1) + "." + digits.substr(size_t(exponent) + 1);
    }
    return sign + out;
  }
  std::string mantissa = digits.substr(0, 1);
  if (digits.size() > 1) mantissa += "." + digits.substr(1);
  return sign + mantissa + fmt::format("e{}{:02d}", exponent < 0 ? '-' : '+', std::abs(exponent));
}

namespace {

std::string StrRepr(const std::string& s) {
  const bool has_single = s.find('\'') != std::string::npos;
  const bool has_double = s.find('"') != std::string::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == quote) { out += '\\'; out += char(c); }
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += char(c);
  }
  out += quote;
  return out;
}

std::string ContainerText(const Value& v) {
  if (v.is_list()) {
    const bool tuple = v.kind == Kind::kList && v.tuple;
    std::string out = tuple ? "(" : "[";
    const ValueList items = Elements(v).value_or(ValueList{});
    for (size_t k = 0; k < items.size(); ++k) {
      if (k > 0) out += ", ";
      out += Repr(items[k]);
    }
    if (tuple && items.size() == 1) out += ",";
    return out + (tuple ? ")" : "]");
  }
  std::string out = "{";
  bool first = true;
  for (const auto& [k, e] : DictItems(v)) {
    if (!first) out += ", ";
    first = false;
    out += StrRepr(k) + ": " + Repr(e);
  }
  return out + "}";
}

}  // namespace

std::string Str(const Value& v) {
  if (v.text) return *v.text;
  switch (v.kind) {
    case Kind::kUndefined: return "";
    case Kind::kNone: return "None";
    case Kind::kBool: return v.b ? "True" : "False";
    case Kind::kInt: return std::to_string(v.i);
    case Kind::kFloat: return FloatRepr(v.f);
    case Kind::kString: return v.s;
    case Kind::kDateTime: return PythonDatetimeText(v.i, v.aware);
    case Kind::kDate: return PythonDatetimeText(v.i, false).substr(0, 10);
    case Kind::kDuration: return PythonTimedeltaText(v.i);
    default: return ContainerText(v);
  }
}

std::string Repr(const Value& v) {
  switch (v.kind) {
    case Kind::kString: return StrRepr(v.s);
    case Kind::kUndefined: return "Undefined";
    case Kind::kDateTime: {
      // datetime.datetime(2024, 1, 2, 3, 4, 5[, micro][, tzinfo=datetime.timezone.utc])
      const std::string t = PythonDatetimeText(v.i, false);
      std::string out = fmt::format("datetime.datetime({}, {}, {}, {}, {}", std::stoi(t.substr(0, 4)),
                                    std::stoi(t.substr(5, 2)), std::stoi(t.substr(8, 2)), std::stoi(t.substr(11, 2)),
                                    std::stoi(t.substr(14, 2)));
      const int seconds = std::stoi(t.substr(17, 2));
      const int micro = t.size() > 19 ? std::stoi(t.substr(20)) : 0;
      if (seconds != 0 || micro != 0) out += fmt::format(", {}", seconds);
      if (micro != 0) out += fmt::format(", {}", micro);
      if (v.aware) out += ", tzinfo=datetime.timezone.utc";
      return out + ")";
    }
    default: return Str(v);
  }
}

bool Equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind == Kind::kFloat || b.kind == Kind::kFloat) return a.AsDouble() == b.AsDouble();
    return a.AsInt() == b.AsInt();
  }
  if (a.is_list() && b.is_list()) {
    const ValueList x = *Elements(a), y = *Elements(b);
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!Equal(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_dict() && b.is_dict()) {
    const ValueDict x = DictItems(a), y = DictItems(b);
    if (x.size() != y.size()) return false;
    for (const auto& [k, e] : x) {
      bool found = false;
      for (const auto& [k2, e2] : y) {
        if (k == k2) {
          found = Equal(e, e2);
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::kUndefined:
    case Kind::kNone: return true;
    case Kind::kString: return a.s == b.s;
    case Kind::kDateTime:
    case Kind::kDate: return a.i == b.i;
    case Kind::kDuration: return a.i == b.i && a.months == b.months;
    default: return false;
  }
}

std::optional<bool> Less(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind == Kind::kFloat || b.kind == Kind::kFloat) return a.AsDouble() < b.AsDouble();
    return a.AsInt() < b.AsInt();
  }
  if (a.kind == Kind::kString && b.kind == Kind::kString) return a.s < b.s;
  if ((a.kind == Kind::kDateTime || a.kind == Kind::kDate) && (b.kind == Kind::kDateTime || b.kind == Kind::kDate)) {
    return a.i < b.i;
  }
  if (a.kind == Kind::kDuration && b.kind == Kind::kDuration && a.months == b.months) return a.i < b.i;
  if (a.is_list() && b.is_list()) {
    const ValueList x = *Elements(a), y = *Elements(b);
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (Equal(x[i], y[i])) continue;
      return Less(x[i], y[i]);
    }
    return x.size() < y.size();
  }
  return std::nullopt;
}

std::optional<ValueList> Elements(const Value& v) {
  ValueList out;
  switch (v.kind) {
    case Kind::kList: return *v.list;
    case Kind::kDict:
      for (const auto& [k, e] : *v.dict) out.push_back(Value::Str(k));
      return out;
    case Kind::kJson:
      if (v.json->is_array()) {
        out.reserve(v.json->size());
        for (const Json& e : *v.json) out.push_back(Value::FromJson(e));
      } else {
        for (auto it = v.json->begin(); it != v.json->end(); ++it) out.push_back(Value::Str(it.key()));
      }
      return out;
    case Kind::kString:
      for (size_t i = 0; i < v.s.size();) {
        const size_t n = std::max<size_t>(1, Utf8SequenceLength(v.s, i));
        out.push_back(Value::Str(v.s.substr(i, n)));
        i += n;
      }
      return out;
    case Kind::kUndefined: return out;  // Jinja iterates an Undefined as empty
    default: return std::nullopt;
  }
}

ValueDict DictItems(const Value& v) {
  if (v.kind == Kind::kDict) return *v.dict;
  ValueDict out;
  if (v.kind == Kind::kJson && v.json->is_object()) {
    for (auto it = v.json->begin(); it != v.json->end(); ++it) out.emplace_back(it.key(), Value::FromJson(it.value()));
  }
  return out;
}

Value Item(const Value& v, const Value& key) {
  if (v.is_dict()) {
    if (key.kind != Kind::kString) {
      // JSON keys are strings: d[1] finds "1" only in Python if the key were an int; it is not.
      return Value::Undefined(fmt::format("dict object has no element {}", Repr(key)));
    }
    if (v.kind == Kind::kDict) {
      for (const auto& [k, e] : *v.dict) {
        if (k == key.s) return e;
      }
    } else {
      auto it = v.json->find(key.s);
      if (it != v.json->end()) return Value::FromJson(*it);
    }
    return Value::Undefined(fmt::format("dict object has no element {}", Repr(key)));
  }
  if ((v.is_list() || v.kind == Kind::kString) && (key.kind == Kind::kInt || key.kind == Kind::kBool)) {
    int64_t index = key.AsInt();
    if (v.kind == Kind::kString) {
      const int64_t n = int64_t(v.s.size());
      if (index < 0) index += n;
      if (index < 0 || index >= n) return Value::Undefined("string index out of range");
      return Value::Str(v.s.substr(size_t(index), 1));
    }
    const int64_t n = v.kind == Kind::kList ? int64_t(v.list->size()) : int64_t(v.json->size());
    if (index < 0) index += n;
    if (index < 0 || index >= n) return Value::Undefined(fmt::format("list object has no element {}", key.i));
    if (v.kind == Kind::kList) return (*v.list)[size_t(index)];
    return Value::FromJson((*v.json)[size_t(index)]);
  }
  return Value::Undefined(fmt::format("{} object has no element {}", TypeName(v), Repr(key)));
}

Json ToJson(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined:
    case Kind::kNone: return nullptr;
    case Kind::kBool: return v.b;
    case Kind::kInt: return v.i;
    case Kind::kFloat: return v.f;
    case Kind::kString: return v.s;
    case Kind::kJson: return *v.json;
    case Kind::kList: {
      Json out = Json::array();
      for (const Value& e : *v.list) out.push_back(ToJson(e));
      return out;
    }
    case Kind::kDict: {
      Json out = Json::object();
      for (const auto& [k, e] : *v.dict) out[k] = ToJson(e);
      return out;
    }
    case Kind::kDateTime: return PythonDatetimeText(v.i, v.aware, 'T');
    case Kind::kDate: return PythonDatetimeText(v.i, false).substr(0, 10);
    case Kind::kDuration: return PythonTimedeltaText(v.i);
  }
  return nullptr;
}

namespace {

// Escapes like Python's json.dumps with ensure_ascii (\uXXXX for every non-ASCII character, surrogate
// pairs above the BMP), which dbt's and the CDK's tojson give; not protocol's UTF-8 JSON writer.
void AppendPyJsonString(std::string& out, const std::string& s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20) out += fmt::format("\\u{:04x}", c);
          else out += char(c);
      }
      ++i;
      continue;
    }
    const size_t n = std::max<size_t>(1, Utf8SequenceLength(s, i));
    uint32_t cp = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += fmt::format("\\u{:04x}\\u{:04x}", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
    } else {
      out += fmt::format("\\u{:04x}", cp);
    }
    i += n;
  }
  out += '"';
}

void AppendPyJson(std::string& out, const Json& j, bool sort_keys) {
  switch (j.type()) {
    case Json::value_t::null: out += "null"; break;
    case Json::value_t::boolean: out += j.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_float: {
      const double f = j.get<double>();
      out += std::isnan(f) ? "NaN" : std::isinf(f) ? (f < 0 ? "-Infinity" : "Infinity") : FloatRepr(f);
      break;
    }
    case Json::value_t::string: AppendPyJsonString(out, j.get_ref<const std::string&>()); break;
    case Json::value_t::array: {
      out += '[';
      for (size_t k = 0; k < j.size(); ++k) {
        if (k > 0) out += ", ";
        AppendPyJson(out, j[k], sort_keys);
      }
      out += ']';
      break;
    }
    case Json::value_t::object: {
      std::vector<std::pair<std::string, const Json*>> items;
      for (auto it = j.begin(); it != j.end(); ++it) items.emplace_back(it.key(), &it.value());
      if (sort_keys) std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      out += '{';
      for (size_t k = 0; k < items.size(); ++k) {
        if (k > 0) out += ", ";
        AppendPyJsonString(out, items[k].first);
        out += ": ";
        AppendPyJson(out, *items[k].second, sort_keys);
      }
      out += '}';
      break;
    }
    default: out += j.dump(); break;
  }
}

}  // namespace

std::string PyJsonDumps(const Json& j, bool sort_keys) {
  std::string out;
  AppendPyJson(out, j, sort_keys);
  return out;
}

std::optional<int64_t> Length(const Value& v) {
  switch (v.kind) {
    case Kind::kString: {
      int64_t n = 0;
      for (size_t i = 0; i < v.s.size(); i += std::max<size_t>(1, Utf8SequenceLength(v.s, i))) ++n;
      return n;
    }
    case Kind::kList: return int64_t(v.list->size());
    case Kind::kDict: return int64_t(v.dict->size());
    case Kind::kJson: return int64_t(v.json->size());
    default: return std::nullopt;
  }
}

}  // namespace sluice::jinja
