#pragma once
// Templates: the Jinja2 subset Airbyte's declarative manifests (and dbt-style models) use,
// evaluated over JSON values. No maintained C++ Jinja library is packaged for Debian 12, so this
// is a small lexer → AST → evaluator (jinja.cc) behind the TemplateEngine seam.
//
// Supported: text with {{ expr }}, {% if/elif/else/endif %}, {% for x in xs %}…{% else %}
// {% endfor %} (loop.index, loop.index0, loop.first, loop.last, loop.length), {% set x = e %},
// {# comments #}, whitespace control ({{- -}} {%- -%}). Expressions: literals (numbers,
// 'strings', "strings", true/false/none in either case, [lists], {dicts}, (tuples)), names,
// .attribute, [subscript], [a:b] slices, calls with positional and keyword arguments,
// filters (| name(args)), tests (is [not] defined/none/number/string/…), unary - + not,
// ** * / // % + - ~, comparisons == != < <= > >=, in / not in, and, or, x if c else y.
// Values follow Python: int and float arithmetic, str(...) forms ("True", "None", "[1, 'a']"),
// undefined names render as "" (an attribute of an undefined value is an UndefinedError).
// Globals are Airbyte's macros (now_utc, today_utc, timestamp, max, min, day_delta, duration,
// format_datetime, str_to_datetime) and its filters (hash, base64encode, base64decode, string,
// regex_search) beside Jinja's usual filters; str / dict / list / datetime methods used by
// manifests (split, strip, replace, get, keys, items, strftime, isoformat, …).

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

//! The variables a template sees, by name. Values are borrowed: each must outlive the Render
//! calls that use this context. Setting a name twice keeps the last value.
class TemplateContext {
 public:
  void Set(std::string name, const Json* value);
  //! The value of `name`, or nullptr when unset.
  const Json* Find(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, const Json*>> vars_;
};

//! Why a render failed, beside its Status.
enum class TemplateErrorKind {
  kNone,
  kSyntax,     //!< the template does not parse
  kUndefined,  //!< Jinja's UndefinedError: an attribute or operation on an undefined value
  kType,       //!< an operation on values of the wrong type ('a' - 1), a bad argument
};

//! Renders templates. Not thread-safe (it caches parsed templates): one per thread.
class TemplateEngine {
 public:
  virtual ~TemplateEngine() = default;
  //! Renders `text` as Jinja2 would (text output). Errors are ConfigErrors quoting the
  //! template; `kind` (optional) tells which kind of failure it was.
  virtual Result<std::string> Render(std::string_view text, const TemplateContext& context,
                                     TemplateErrorKind* kind = nullptr) = 0;
};

//! The built-in evaluator; `now_micros` (tests) fixes what now_utc() returns, else the clock.
std::unique_ptr<TemplateEngine> MakeJinjaEngine(int64_t now_micros = 0);

//! True when `text` contains template syntax ("{{", "{%" or "{#"): otherwise it renders as itself.
bool IsTemplate(std::string_view text);

//! Python's ast.literal_eval of a rendered text, as Airbyte's interpolation reads its results:
//! integers, floats, True/False/None, quoted strings, lists, tuples, sets and dicts become JSON
//! values; anything else (and integers beyond 64 bits) stays the string itself.
Json LiteralEval(std::string_view text);

}  // namespace sluice
