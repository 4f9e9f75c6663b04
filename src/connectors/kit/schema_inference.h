#pragma once
// Column types for source-file: inferring them from a sample of rows, and naming them in the
// `schema` option.
//
// Inference widens per column: the narrowest type that holds every non-null sampled value, in
// the order boolean → integer → number, or date → timestamp; integers mixed with numbers give
// number, dates mixed with timestamps give timestamp, any other mix gives string (for JSONL, a
// mix with objects or arrays gives json). A column with no non-null value is a string. A json
// column whose values were all arrays (or all objects) says so in its JSON schema.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/json.h"
#include "io/input_stream.h"
#include "formats/csv/csv_reader.h"
#include "protocol/types.h"

namespace sluice {

//! Accumulates the kinds of value seen in one column.
class TypeInferrer {
 public:
  enum Kind : uint16_t {
    kBoolean = 1,
    kInteger = 2,
    kNumber = 4,
    kDate = 8,
    kTimestampNoTz = 16,
    kTimestampTz = 32,
    kString = 64,
    kJson = 128,   //!< a JSON object, or a JSON value of unknown shape
    kArray = 256,  //!< a JSON array
  };

  void Add(Kind kind) { seen_ |= kind; }
  //! Adds a CSV cell's text (REQUIRES: not a null value).
  void AddText(std::string_view text);
  //! The narrowest type holding every value added (string when none was).
  TypeId Type() const;
  //! The field's JSON schema when it says more than Type() does: {"type": ["null", "array"]}
  //! for a json column of arrays only, {"type": ["null", "object"]} for objects only; else null
  //! (the type's default schema applies).
  Json JsonSchema() const;

 private:
  uint16_t seen_ = 0;
};

//! What a text value looks like: "true"/"false" (any case) → boolean; an int64 → integer; a
//! decimal or exponent number → number; YYYY-MM-DD → date; a date and time, with an offset →
//! timestamp_tz, without → timestamp_no_tz; anything else → string. Numbers with a leading zero
//! ("007") are strings so codes keep their digits. Surrounding spaces are ignored.
TypeInferrer::Kind ClassifyText(std::string_view text);

//! Opens one file of a stream for sequential reading, decompressed (local files: OpenInputFile).
using FileOpener = std::function<Result<std::unique_ptr<InputStream>>(const std::string& file)>;

//! Infers a schema from the first `max_rows` rows of `files` (read in order until that many).
//! Columns come from the first file's header; later files' columns are matched by name.
//! `open` opens each file (default: a local file).
Result<SchemaPtr> InferCsvSchema(const std::vector<std::string>& files, const CsvOptions& options, uint64_t max_rows,
                                 const FileOpener& open = {});

//! Infers a schema from the first `max_rows` JSON objects of `files`: the union of their keys
//! in first-seen order. Strings are checked for dates and timestamps; objects and arrays are
//! json. A line that is not a JSON object is an error unless `skip_malformed`.
Result<SchemaPtr> InferJsonlSchema(const std::vector<std::string>& files, uint64_t max_rows, bool skip_malformed,
                                   const FileOpener& open = {});

//! Type names accepted in the `schema` option: boolean, integer, number, string, date,
//! timestamp (= timestamp_without_timezone, as in SQL), timestamp_with_timezone,
//! timestamp_without_timezone, time (= time_without_timezone), time_with_timezone,
//! time_without_timezone, json.
const std::vector<std::string>& ColumnTypeNames();
std::optional<TypeId> ColumnTypeFromName(std::string_view name);

//! ASCII spaces and tabs trimmed from both ends.
inline std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace sluice
