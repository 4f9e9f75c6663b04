#pragma once
// ConfigReader: typed reading of a connector config (already validated against the spec and
// with its defaults applied), where every problem names the JSON path of the value, in the same
// form as the spec validator ("$.streams[0].format.delimiter: must be one character, got ';;'").
// A parser that reads through it cannot disagree with its spec about where a value is.
//
//   ConfigReader r(config);
//   cfg.host = r.String("host");                              // required: missing → error
//   cfg.port = r.Integer("port", 5432, 1, 65535);             // optional with default and range
//   for (ConfigReader s : r.Array("streams")) cfg.streams.push_back(ParseStream(s));
//   SLUICE_RETURN_IF_ERROR(r.status());                        // every problem, one line each
//
// Readers made by Object()/Array() share one problem list with their parent, so one status()
// at the top reports them all. Not thread-safe; pure (no I/O).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

class ConfigReader {
 public:
  //! Reads `value` (an object, for the keyed getters) found at `path`. `value` must outlive the
  //! reader and the readers made from it.
  explicit ConfigReader(const Json& value, std::string path = "$");

  const Json& json() const { return *value_; }
  const std::string& path() const { return path_; }
  //! "$.streams[0].name" for `key` of this object.
  std::string PathOf(std::string_view key) const;
  //! Whether `key` is present and not null.
  bool Has(std::string_view key) const;

  //! A required string (missing or empty → problem, returns "").
  std::string String(std::string_view key);
  //! An optional string: `fallback` when missing or null.
  std::string String(std::string_view key, std::string fallback);
  std::optional<std::string> OptionalString(std::string_view key);
  //! One of `allowed` (compared exactly); else a problem listing them, and `allowed[0]`.
  std::string Enum(std::string_view key, const std::vector<std::string>& allowed, std::string fallback);
  //! An integer within [min, max]; a number with a fraction or a string is a problem.
  int64_t Integer(std::string_view key, int64_t fallback, int64_t min = INT64_MIN, int64_t max = INT64_MAX);
  double Number(std::string_view key, double fallback);
  bool Bool(std::string_view key, bool fallback);
  //! A list of strings; a single string is taken as a one-item list.
  std::vector<std::string> StringList(std::string_view key, std::vector<std::string> fallback = {});
  //! The object at `key` (an empty object when missing; a problem when not an object).
  ConfigReader Object(std::string_view key);
  //! The items of the array at `key` (none when missing; a problem when not an array).
  std::vector<ConfigReader> Array(std::string_view key);
  //! The raw value at `key` (null when missing).
  const Json& Raw(std::string_view key) const;

  //! Records a problem with the value at `key` (or this value, when `key` is empty).
  void Fail(std::string_view key, std::string_view message);
  //! Rejects keys of this object that are not in `known` (a problem per unknown key).
  void RejectUnknownKeys(const std::vector<std::string_view>& known);

  bool ok() const { return problems_->empty(); }
  //! OK, or one ConfigError listing every problem recorded through this reader or its children.
  Status status() const;

 private:
  ConfigReader(const Json& value, std::string path, std::shared_ptr<std::vector<std::string>> problems);
  //! The value at `key` when present and not null, else nullptr.
  const Json* Find(std::string_view key) const;

  const Json* value_;
  std::string path_;
  std::shared_ptr<std::vector<std::string>> problems_;
};

}  // namespace sluice
