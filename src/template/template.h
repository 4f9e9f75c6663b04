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
// For dbt-style models (src/transform/) also: {% set x %}…{% endset %}, {% macro name(a, b=1) %}
// …{% endmacro %} and calls to macros (defined in the template or added with AddMacros),
// return(value) inside a macro, and host functions and objects registered on the context
// (ref(), source(), config(), var(), env_var(), is_incremental(), this, target).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

//! A value a host gives the template (an object set with SetValue, a host function's result):
//! JSON, printed by {{ }} as `text` when that is set — a relation prints as "schema"."table"
//! while `.name` reads the JSON.
struct TemplateValue {
  Json json;
  std::optional<std::string> text;
};
using TemplateArgs = std::vector<Json>;
using TemplateKwargs = std::vector<std::pair<std::string, Json>>;
//! A host function (ref, config, var, …), called on the rendering thread with the call's
//! positional and keyword arguments as JSON. It must not throw: an error Status fails the render
//! (its message is reported with the template's file and line, a TemplateErrorKind::kType).
using TemplateFunction = std::function<Result<TemplateValue>(const TemplateArgs&, const TemplateKwargs&)>;

//! The variables and host functions a template sees, by name. Set() borrows: the value must
//! outlive the Render calls that use this context; SetValue / SetFunction own theirs. Setting a
//! name twice keeps the last one. Set names between renders, not from a host function during one.
class TemplateContext {
 public:
  void Set(std::string name, const Json* value);
  void SetValue(std::string name, TemplateValue value);
  void SetFunction(std::string name, TemplateFunction function);
  //! The JSON value of `name` (set by Set or SetValue), or nullptr when unset.
  const Json* Find(std::string_view name) const;
  //! The print text of a SetValue object, or nullptr.
  const std::string* FindText(std::string_view name) const;
  //! The host function `name`, or nullptr.
  const TemplateFunction* FindFunction(std::string_view name) const;

 private:
  struct Entry {
    std::string name;
    const Json* json = nullptr;
    std::shared_ptr<const TemplateValue> owned;
    std::shared_ptr<const TemplateFunction> function;
  };
  Entry& Slot(std::string name);
  std::vector<Entry> vars_;
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
  //! Renders a template file (a dbt model): errors are ConfigErrors "FILE:LINE: message"
  //! (FILE is the macro's file when the error is inside a macro added by AddMacros).
  virtual Result<std::string> RenderFile(std::string_view text, const std::string& file_name,
                                         const TemplateContext& context, TemplateErrorKind* kind = nullptr) = 0;
  //! Parses `text` (a macros file) and makes its top-level {% macro %}s callable from every later
  //! render of this engine (a later macro of the same name replaces); other output is dropped.
  virtual Status AddMacros(std::string_view text, const std::string& file_name) = 0;
};

//! Which globals and filters an engine has beside Jinja's statements and expressions.
enum class TemplateDialect {
  kAirbyte,  //!< declarative manifests: Airbyte's macros and filters (`string` is JSON in """), no range()
  kJinja,    //!< plain Jinja2 (dbt models): `string` is str(), range() exists; Airbyte's macros stay
};

//! The built-in evaluator; `now_micros` (tests) fixes what now_utc() returns, else the clock.
std::unique_ptr<TemplateEngine> MakeJinjaEngine(int64_t now_micros = 0,
                                                TemplateDialect dialect = TemplateDialect::kAirbyte);

//! Python's str() of a JSON value as Jinja prints it (True, None, [1, 'a'], {'k': 'v'}).
std::string PythonStr(const Json& value);

//! True when `text` contains template syntax ("{{", "{%" or "{#"): otherwise it renders as itself.
bool IsTemplate(std::string_view text);

//! Python's ast.literal_eval of a rendered text, as Airbyte's interpolation reads its results:
//! integers, floats, True/False/None, quoted strings, lists, tuples, sets and dicts become JSON
//! values; anything else (and integers beyond 64 bits) stays the string itself.
Json LiteralEval(std::string_view text);

}  // namespace sluice
