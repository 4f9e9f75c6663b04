#pragma once
// Reading request bodies: typed field access that throws ApiError naming the field (400 for a
// wrong JSON type, 422 for a missing or invalid value), and turning store errors into answers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_types.h"
#include "base/status.h"

namespace sluice {

//! The value of `name`, or null when absent or JSON null.
const Json* FindField(const Json& body, std::string_view name);

std::string RequireString(const Json& body, std::string_view name);
std::optional<std::string> OptionalString(const Json& body, std::string_view name);
std::optional<bool> OptionalBool(const Json& body, std::string_view name);
std::optional<int64_t> OptionalInt(const Json& body, std::string_view name);
//! An object field: 400 when present and not an object.
const Json* OptionalObject(const Json& body, std::string_view name);
const Json& RequireObject(const Json& body, std::string_view name);

//! A list of strings: a JSON array of strings, or comma-separated text (a query parameter, also
//! repeated: ?workspaceIds=a&workspaceIds=b). Empty parts are dropped; empty when absent; 400
//! naming the field (or the element) for other types.
std::vector<std::string> StringListField(const Json& body, std::string_view name);

//! A job id given as a number or a numeric string (the seed sends "id": "123").
JobId RequireJobId(const Json& body, std::string_view name);

//! Details from a multi-line Status message whose lines read "path: message"; `prefix` is put in
//! front of each path ("connectionConfiguration" + ".port"). Lines without a path keep `fallback`.
std::vector<FieldProblem> DetailsFromMessage(std::string_view message, std::string_view prefix,
                                             std::string_view fallback);

//! Throws the answer for a failed Status: config → 422 (details parsed from the message),
//! transient → 503, system/cancelled → 500. The message is the Status's (never a secret).
[[noreturn]] void ThrowStatus(const Status& status, std::string_view field_prefix = "");

template <typename T>
T Unwrap(Result<T> result, std::string_view field_prefix = "") {
  if (!result.ok()) ThrowStatus(result.status(), field_prefix);
  return std::move(result).value();
}

inline void Check(const Status& status, std::string_view field_prefix = "") {
  if (!status.ok()) ThrowStatus(status, field_prefix);
}

//! "x" is missing → 404 "<what> <id> not found".
[[noreturn]] void ThrowNotFound(std::string_view what, std::string_view id, std::string_view field);

}  // namespace sluice
