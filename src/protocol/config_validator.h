#pragma once
// Connector configs against their spec: JSON Schema (draft-07) validation reporting every
// violation with its JSON path, `default` values, and secret masking (airbyte_secret).
//
// Supported keywords: type, enum, const, properties, required, additionalProperties,
// patternProperties, propertyNames, minProperties, maxProperties, dependencies, items
// (schema or tuple) with additionalItems, minItems, maxItems, uniqueItems, contains, minimum,
// maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, minLength, maxLength, pattern
// (std::regex ECMAScript, unanchored search), format (date, date-time; other formats pass),
// allOf, anyOf, oneOf, not, if/then/else, $ref to "#..." JSON pointers within the same schema
// (siblings of $ref are ignored, as draft-07 says), and boolean schemas. Other keywords
// (title, description, airbyte_secret, order, ...) are annotations and never fail.
//
// Messages never quote the value of a property marked airbyte_secret.

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

//! One reason a config does not satisfy its schema.
struct ConfigViolation {
  std::string path;     //!< JSON path of the offending value: "$", "$.streams[0].format"
  std::string message;  //!< what was expected and what was found: "expected integer, got string \"ten\""

  //! "path: message"
  std::string ToString() const { return path + ": " + message; }
};

//! Every violation of `config` against the draft-07 `schema`, in schema order; empty when valid.
//! For a failed oneOf/anyOf the violations of the closest branch are reported: the branch whose
//! const discriminator property (e.g. format_type: {const: CSV}) matches, else the one with the
//! fewest violations; an unmatched discriminator is reported as "must be one of [...]".
std::vector<ConfigViolation> ValidateConfig(const Json& schema, const Json& config);

//! A copy of `config` with the schema's `default` values filled in: an absent property whose
//! schema has a default gets it (and is then filled recursively); present objects and array
//! items are filled recursively; allOf branches all apply; of a oneOf/anyOf only the branch
//! chosen unambiguously applies (exactly one branch matches once its own defaults are in, else
//! the only branch whose const discriminator equals the config's value). Never fails: a config
//! that does not fit the schema is left as is where it does not fit.
Json ApplyDefaults(const Json& schema, const Json& config);

//! ApplyDefaults, then ValidateConfig on the result (so a required property that has a default
//! may be omitted). On violations: ConfigError "<what>: N problem(s):\n  path: message\n...".
Result<Json> PrepareConfig(const Json& schema, const Json& config, std::string_view what);

//! JSON paths of the values in `config` whose schema has airbyte_secret: true (a property that
//! is secret in any oneOf/anyOf/allOf branch counts).
std::vector<std::string> SecretPaths(const Json& schema, const Json& config);

//! A copy of `config` with every value at SecretPaths replaced by "**********": what may be
//! logged or returned by the API.
Json MaskSecrets(const Json& schema, const Json& config);

//! The mask MaskSecrets writes.
inline constexpr std::string_view kSecretMask = "**********";

//! JSON path helpers, so every module cites paths the same way: `path` + ".key" when `key` is
//! an identifier ([A-Za-z_][A-Za-z0-9_]*), else `path` + "['key']"; `path` + "[index]".
std::string JsonPathKey(std::string_view path, std::string_view key);
std::string JsonPathIndex(std::string_view path, size_t index);

}  // namespace sluice
