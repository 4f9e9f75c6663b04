#pragma once
// YAML → Json for config files, remembering where each value came from so later errors can cite
// "pipeline.yaml:12:7".
//
// Scalars are typed by the YAML 1.2 core schema: null/~/empty → null, true/false → boolean,
// decimal/0x/0o integers → integer, decimals with fraction or exponent → number, anything else
// (and every quoted or block scalar) → string; .inf/.nan stay strings (JSON has no such numbers). "yes"/"no"/"on"/"off"
// stay strings (no YAML 1.1 surprises such as country: NO). Explicit tags !!str !!int !!float !!bool !!null are
// honoured. Anchors/aliases are expanded and "<<" merge keys are applied; duplicate keys and non-scalar keys are
// errors.

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

//! A parsed YAML file: the value plus the source position of every value in it.
struct YamlDocument {
  Json json;
  //! JSON path ("$", "$.streams[1].mode") → 1-based {line, column}. A mapping entry is marked at
  //! its key, a sequence item at the item, so messages point at the line that names the thing.
  std::map<std::string, std::pair<int, int>> marks;
  std::string file_name;  //!< as given to ParseYaml, used in locations

  //! "pipeline.yaml:LINE:COLUMN" of `path`, or of its nearest marked ancestor (a path that does
  //! not exist in the file, e.g. a missing key, cites the object that should hold it); just the
  //! file name when nothing is marked.
  std::string LocationOf(std::string_view path) const;
};

//! Parses YAML text. Malformed YAML is a ConfigError "FILE:LINE:COLUMN: <yaml-cpp message>"
//! (1-based). An empty document is null.
Result<YamlDocument> ParseYaml(std::string_view text, std::string_view file_name);

//! ParseYaml without the marks.
Result<Json> YamlToJson(std::string_view text, std::string_view file_name);

}  // namespace sluice
