#pragma once
// Column types of file-based sources: inferring them from a sample of rows (CSV, JSONL) or from
// Parquet footers, and naming them in a `schema` option.
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
#include "io/random_access_file.h"
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

//! What a connector may change about CSV inference; the defaults are plain inference.
struct CsvInferenceOptions {
  //! The files' column names, in order, instead of each file's header. Default: the header.
  std::vector<std::string> column_names;
  //! false: every column is a string (only the names are read). Default: true.
  bool infer_types = true;
  //! Words read as booleans besides true/false (compared without case, spaces trimmed): a word
  //! makes a boolean column, a listed number ("1", "0") counts as an integer. Default: none.
  std::vector<std::string> true_values;
  std::vector<std::string> false_values;
  //! Later files' columns the first file lacks are added (else they are not columns). Default: false.
  bool union_columns = false;
  //! Blank cells (spaces only) are not sampled, as null values are. Default: false.
  bool blank_is_null = false;
  //! A malformed row ends the sample of its file instead of being an error. Default: false.
  bool stop_at_malformed_row = false;
};

//! Infers a schema from the first `max_rows` rows of `files` (read in order until that many).
//! Columns come from the first file's header; later files' columns are matched by name.
//! `open` opens each file (default: a local file).
Result<SchemaPtr> InferCsvSchema(const std::vector<std::string>& files, const CsvOptions& options, uint64_t max_rows,
                                 const FileOpener& open = {});
//! The same, with a connector's changes.
Result<SchemaPtr> InferCsvSchema(const std::vector<std::string>& files, const CsvOptions& options,
                                 const CsvInferenceOptions& inference, uint64_t max_rows, const FileOpener& open = {});

//! Infers a schema from the first `max_rows` JSON objects of `files`: the union of their keys
//! in first-seen order. Strings are checked for dates and timestamps; objects and arrays are
//! json. A line that is not a JSON object is an error unless `skip_malformed`.
Result<SchemaPtr> InferJsonlSchema(const std::vector<std::string>& files, uint64_t max_rows, bool skip_malformed,
                                   const FileOpener& open = {});

//! Opens one file for random access (Parquet).
using RandomAccessOpener = std::function<Result<std::unique_ptr<RandomAccessFile>>(const std::string& file)>;

//! The columns of the Parquet `files` (their footers only): the union by name in first-seen
//! order, with each file's types (a later file's differing type is the reader's error). With
//! `all_nullable` every column is nullable (another file may lack it); else as the first file
//! that has it says.
Result<SchemaPtr> InferParquetSchema(const std::vector<std::string>& files, const RandomAccessOpener& open,
                                     bool all_nullable);

//! Type names accepted in the `schema` option: boolean, integer, number, string, date,
//! timestamp (= timestamp_without_timezone, as in SQL), timestamp_with_timezone,
//! timestamp_without_timezone, time (= time_without_timezone), time_with_timezone,
//! time_without_timezone, json.
const std::vector<std::string>& ColumnTypeNames();
//! Field names from a header row's cells (spreadsheets): an empty cell names no field (""), a
//! repeated name gets _2, _3…; `normalize`: snake_case identifiers (lower case, runs of other
//! characters → "_", a leading digit prefixed with "_").
std::vector<std::string> HeaderFieldNames(const std::vector<std::string>& cells, bool normalize);
std::optional<TypeId> ColumnTypeFromName(std::string_view name);

//! ASCII spaces and tabs trimmed from both ends.
inline std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace sluice
