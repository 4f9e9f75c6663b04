#pragma once
// Interpolation as Airbyte's low-code CDK does it (InterpolatedString, InterpolatedBoolean,
// InterpolatedMapping, InterpolatedNestedMapping) over the template module's Jinja evaluator.
//
// The variables a manifest template may use are the fields of Vars; unset ones are undefined.
// `stream_partition` and `stream_interval` are aliases of `stream_slice`, as in the CDK.
// Not thread-safe: one Interpolator per thread (it owns a template engine and its cache).

#include <memory>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"
#include "template/template.h"

namespace sluice {

//! Borrowed values for one evaluation (each must outlive the call).
struct Vars {
  const Json* config = nullptr;
  const Json* parameters = nullptr;     //!< the component's $parameters
  const Json* stream_state = nullptr;
  const Json* stream_slice = nullptr;   //!< also stream_partition, stream_interval
  const Json* next_page_token = nullptr;  //!< {"next_page_token": token}
  const Json* response = nullptr;       //!< the decoded body
  const Json* headers = nullptr;        //!< response headers (and "link": parsed Link header)
  const Json* last_record = nullptr;
  const Json* last_page_size = nullptr;
  const Json* record = nullptr;
  const Json* creation_response = nullptr;
  const Json* components_values = nullptr;       //!< ComponentMappingDefinition: the resolver's record
  const Json* stream_template_config = nullptr;  //!< ComponentMappingDefinition: the stream template
  const Json* raw_schema = nullptr;              //!< TypesMap.condition: the property definition
};

class Interpolator {
 public:
  //! `now_micros` (tests) fixes now_utc(); 0 uses the clock.
  explicit Interpolator(int64_t now_micros = 0);

  //! The rendered text of a string template; numbers and booleans as their JSON text; null as "".
  //! An undefined value renders as `fallback`. Errors name `path` (the manifest field).
  Result<std::string> Text(const Json& value, const Vars& vars, std::string_view path, std::string_view fallback = "");
  //! The CDK's InterpolatedString.eval: render, then read the text as a Python literal (so
  //! "{{ 5 }}" is 5 and "{{ ['a'] }}" a list). Empty text or an undefined value gives
  //! `fallback` (null by default). Non-string values are returned as they are.
  Result<Json> Value(const Json& value, const Vars& vars, std::string_view path, const Json& fallback = nullptr);
  //! InterpolatedBoolean: false for False/false/0/""/None/{}/[] and undefined values, else true.
  Result<bool> Condition(const Json& value, const Vars& vars, std::string_view path);
  //! InterpolatedNestedMapping: every string (keys and values) evaluated, recursively; a whole
  //! string template must evaluate to a mapping.
  Result<Json> Mapping(const Json& value, const Vars& vars, std::string_view path);

 private:
  std::unique_ptr<TemplateEngine> engine_;
};

//! Follows `path` (keys, or indexes for arrays) into `value`; nullptr when absent.
const Json* JsonAt(const Json& value, const std::vector<std::string>& path);
//! The text a value takes in a URL query or header: strings as they are, numbers and booleans
//! as Python prints them (True / False), objects and arrays as JSON.
std::string ParamText(const Json& value);

}  // namespace sluice
