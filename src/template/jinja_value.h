#pragma once
// The values the Jinja evaluator computes with (jinja.cc): Python's None, bool, int, float,
// str, list/tuple, dict, datetime, date and timedelta, plus JSON objects and arrays borrowed
// from the context without copying, and Undefined. Python's str(), repr(), truthiness,
// equality and ordering. Internal to the template module.

#include <cstdint>
#include <functional>
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"

namespace sluice::jinja {

struct Value;
using ValueList = std::vector<Value>;
using ValueDict = std::vector<std::pair<std::string, Value>>;

enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kJson, kDateTime, kDate, kDuration };

struct Value {
  Kind kind = Kind::kUndefined;
  bool b = false;
  int64_t i = 0;        //!< kInt; kDateTime / kDate / kDuration: microseconds (UTC for dates)
  double f = 0;
  int64_t months = 0;   //!< kDuration: calendar months (ISO 8601 P1M), beside `i`
  bool aware = true;    //!< kDateTime: has a time zone (UTC)
  bool tuple = false;   //!< kList: a tuple (prints as (a, b))
  std::string s;        //!< kString; kUndefined: what was undefined, for messages
  std::shared_ptr<ValueList> list;  //!< kList (tuples too)
  std::shared_ptr<ValueDict> dict;  //!< kDict, keys in insertion order
  const Json* json = nullptr;       //!< kJson: a borrowed object or array
  std::shared_ptr<const std::string> text;  //!< how str() prints it, when a host says (a relation)

  static Value Undefined(std::string what) { Value v; v.s = std::move(what); return v; }
  static Value None() { Value v; v.kind = Kind::kNone; return v; }
  static Value Bool(bool b) { Value v; v.kind = Kind::kBool; v.b = b; return v; }
  static Value Int(int64_t i) { Value v; v.kind = Kind::kInt; v.i = i; return v; }
  static Value Float(double f) { Value v; v.kind = Kind::kFloat; v.f = f; return v; }
  static Value Str(std::string s) { Value v; v.kind = Kind::kString; v.s = std::move(s); return v; }
  static Value List(ValueList items) {
    Value v; v.kind = Kind::kList; v.list = std::make_shared<ValueList>(std::move(items)); return v;
  }
  static Value Dict(ValueDict items) {
    Value v; v.kind = Kind::kDict; v.dict = std::make_shared<ValueDict>(std::move(items)); return v;
  }
  static Value DateTime(int64_t micros, bool aware = true) {
    Value v; v.kind = Kind::kDateTime; v.i = micros; v.aware = aware; return v;
  }
  static Value Date(int64_t micros) { Value v; v.kind = Kind::kDate; v.i = micros; return v; }
  static Value Duration(int64_t micros, int64_t months = 0) {
    Value v; v.kind = Kind::kDuration; v.i = micros; v.months = months; return v;
  }
  //! A JSON value: scalars are copied into Python values, objects and arrays borrowed.
  static Value FromJson(const Json& j);
  //! A JSON value copied whole (objects and arrays become dicts and lists): for values whose
  //! JSON does not outlive the render (host function results).
  static Value CopyJson(const Json& j);

  bool undefined() const { return kind == Kind::kUndefined; }
  bool is_number() const { return kind == Kind::kInt || kind == Kind::kFloat || kind == Kind::kBool; }
  bool is_list() const { return kind == Kind::kList || (kind == Kind::kJson && json->is_array()); }
  bool is_dict() const { return kind == Kind::kDict || (kind == Kind::kJson && json->is_object()); }
  double AsDouble() const { return kind == Kind::kFloat ? f : kind == Kind::kBool ? (b ? 1 : 0) : double(i); }
  int64_t AsInt() const { return kind == Kind::kBool ? (b ? 1 : 0) : kind == Kind::kFloat ? int64_t(f) : i; }
};

//! Python's type name of `v` ("int", "str", "dict", ...), for messages.
std::string TypeName(const Value& v);
//! Python's bool(v) (Undefined is false).
bool Truthy(const Value& v);
//! Python's str(v) as Jinja prints it (Undefined prints as "").
std::string Str(const Value& v);
//! Python's repr(v).
std::string Repr(const Value& v);
//! Python's repr of a float ("1.0", "0.1", "1e+16").
std::string FloatRepr(double f);
//! Python's ==.
bool Equal(const Value& a, const Value& b);
//! Python's <; nullopt when the two types do not order (a TypeError in Python).
std::optional<bool> Less(const Value& a, const Value& b);
//! The elements of a list, the keys of a dict, the characters of a string; nullopt otherwise.
std::optional<ValueList> Elements(const Value& v);
//! The (key, value) pairs of a dict.
ValueDict DictItems(const Value& v);
//! v[key] for dicts (string keys), lists (int index, negative from the end) and strings;
//! Undefined when absent.
Value Item(const Value& v, const Value& key);
//! The value as JSON (datetimes as isoformat text, Undefined as null).
Json ToJson(const Value& v);
//! Python's json.dumps(ToJson(v)): ", " and ": " separators, non-ASCII as \\uXXXX, keys sorted when
//! `sort_keys` (Jinja's tojson), floats as Python writes them.
std::string PyJsonDumps(const Json& j, bool sort_keys);
//! Length in code points for strings, items for containers; nullopt for other types.
std::optional<int64_t> Length(const Value& v);

}  // namespace sluice::jinja
