#pragma once
// A Jinja2-subset evaluator for dbt-style models: the statements and expressions dbt projects
// use, over nlohmann::json values plus host functions (ref, source, config, …) and macros.
//
// NOTE: the `manifest` branch has another Jinja2-subset evaluator (src/template/, expressions,
// if/for/set, Airbyte's macros, checked against Jinja2's output) without host functions or
// macros. This one exists because that branch was not merged when transformations were written;
// the two should become one (this one's JinjaValue functions and {% macro %} moved into it).
//
// Supported: text, {{ expr }}, {# comments #}, {% if/elif/else/endif %}, {% for a[, b] in xs %}
// … {% else %} … {% endfor %} (loop.index, index0, first, last, length), {% set x = e %},
// {% set x %}…{% endset %}, {% macro name(a, b=1) %}…{% endmacro %}, whitespace control
// ({%- -%} {{- -}}). Expressions: literals (numbers, 'strings', true/false/none in either
// case, [lists], {dicts}, (tuples)), names, .attr, [index], calls with keyword arguments,
// filters (| default lower upper trim length join replace string int float first last list
// unique sort abs round), tests (is [not] defined/none/string/number/mapping/iterable), unary
// not -, ** * / // % + - ~, comparisons, in / not in, and, or, x if c else y; str methods
// lower upper strip startswith endswith split replace; dict get items keys values.
// Errors are ConfigErrors "FILE:LINE: message". Not thread-safe: one engine per thread.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

struct JinjaValue;
using JinjaArgs = std::vector<JinjaValue>;
using JinjaKwargs = std::vector<std::pair<std::string, JinjaValue>>;
//! A host function; throwing is not allowed: return an error Status (its message is reported
//! with the template's file and line).
using JinjaFunction = std::function<Result<JinjaValue>(const JinjaArgs&, const JinjaKwargs&)>;

struct JinjaValue {
  Json json;                                //!< the value (null = none)
  std::shared_ptr<const JinjaFunction> fn;  //!< set for callables
  bool undefined = false;
  //! How the value prints when it is not its JSON (a relation prints as "schema"."table").
  std::optional<std::string> text;

  JinjaValue() = default;
  JinjaValue(Json j) : json(std::move(j)) {}  // NOLINT: values convert implicitly
  static JinjaValue Undefined() {
    JinjaValue v;
    v.undefined = true;
    return v;
  }
  static JinjaValue Function(JinjaFunction f) {
    JinjaValue v;
    v.fn = std::make_shared<const JinjaFunction>(std::move(f));
    return v;
  }
  //! What {{ value }} prints: text, else strings as they are, numbers, True/False/None, JSON.
  std::string Str() const;
  bool Truthy() const;
};

class JinjaEngine {
 public:
  JinjaEngine();
  ~JinjaEngine();
  //! A global name every render sees (functions, `target`, …). Later calls replace.
  void SetGlobal(const std::string& name, JinjaValue value);
  //! Parses `text` (a macros file) and makes its {% macro %}s globals; other output is dropped.
  Status AddMacros(std::string_view text, const std::string& file_name);
  //! Renders `text`; `file_name` names it in errors.
  Result<std::string> Render(std::string_view text, const std::string& file_name);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
