#pragma once
// FileRecordReader: the rows of CSV, JSONL and Parquet files into one stream's RecordBatches,
// through a StreamBatcher. One cell-parsing path (text → typed value, null values, booleans,
// what a bad value does), one JSONL path (simdjson, AppendJsonObjectRow), one Parquet path
// (columns matched by name), and optional per-file columns (the file's modification time and
// URL, Airbyte's _ab_source_file_* columns).
//
//   FileRecordReader reader(storage, options, batcher);       // batcher: the stream's output
//   for (const FileInfo& file : files) SLUICE_RETURN_IF_ERROR(reader.ReadFile(file));
//   return batcher.Finish(...);                               // after the connector's state
//
// Columns are matched by name against the batcher's schema (the catalog's bound schema): file
// columns it lacks are not read, schema columns a file lacks are null. Not thread-safe: one
// reader per stream, on the thread that owns the batcher. The reader does not own `storage`
// or the batcher; both must outlive it.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "connectors/kit/file_storage.h"
#include "connectors/kit/stream_batcher.h"
#include "formats/csv/csv_reader.h"

namespace sluice {

enum class InputFileFormat { kCsv, kJsonl, kParquet };

//! What happens to a row with a value that does not fit its column, or a malformed row or line.
enum class BadRowPolicy {
  kFail,         //!< the read stops with a ConfigError naming file, line and column
  kNullValue,    //!< a bad value becomes null, noted in _airbyte_meta; a malformed row still fails
  kSkipRow,      //!< the row is left out and counted (skipped(), skipped_at())
};

struct FileReadOptions {
  InputFileFormat format = InputFileFormat::kCsv;
  //! CSV dialect and null values (csv.skip_malformed_rows is set from `on_bad_row`).
  //! csv.strings_can_be_null: whether null values apply to string columns.
  CsvOptions csv;
  //! CSV: the files' column names, in order, instead of their header (or f0, f1, ...). Cells
  //! beyond the names are not read. Default: none.
  std::vector<std::string> csv_column_names;
  //! CSV: texts read as true / false in boolean columns, compared without case after trimming
  //! spaces. Default: true/t/yes/y/1 and false/f/no/n/0.
  std::vector<std::string> true_values = {"true", "t", "yes", "y", "1"};
  std::vector<std::string> false_values = {"false", "f", "no", "n", "0"};
  //! CSV: a blank cell (spaces only) in a column other than a string is null. Default: false.
  bool blank_is_null = false;
  BadRowPolicy on_bad_row = BadRowPolicy::kFail;
  //! CSV and Parquet: a later file may not bring a column the first file read lacked (a
  //! ConfigError naming both files). Default: false (columns are matched by name only).
  bool same_columns_as_first_file = false;
  //! Per-file columns: filled for every row from the file (not read from it). A timestamp
  //! column gets the modification time, a string column its FileModifiedText; the URL column
  //! gets the `url` given to ReadFile. Empty: none. Columns of another type are null.
  std::string modified_column;
  std::string url_column;
  //! Messages name a file as `file_label_prefix + path` ("file /x.csv line 3: ...").
  std::string file_label_prefix = "file ";
};

class FileRecordReader {
 public:
  //! Rows go to `out.batch()` (schema: out.schema()); thresholds, emitted_at and statuses are
  //! the batcher's.
  FileRecordReader(FileStorage& storage, FileReadOptions options, StreamBatcher& out);
  ~FileRecordReader();

  //! Reads every row of `file` (opened through the storage). `url` fills the url column
  //! (default: the file's path). Returns Cancelled when the run is stopping; other errors are
  //! ConfigErrors naming the file (and the line for CSV/JSONL) unless they are the storage's.
  Status ReadFile(const FileInfo& file, std::string_view url = {});

  //! Rows left out under kSkipRow (bad values and malformed rows), over every file so far.
  uint64_t skipped() const { return skipped_; }
  //! "path:line" of the first few rows left out, in file then line order.
  const std::vector<std::string>& skipped_at() const { return skipped_at_; }
  //! JSONL values of fields outside the schema, dropped.
  uint64_t unknown_fields() const { return unknown_fields_; }
  //! Files read completely.
  uint64_t files_read() const { return files_read_; }

  static constexpr size_t kMaxNotedRows = 5;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t skipped_ = 0;
  std::vector<std::string> skipped_at_;
  uint64_t unknown_fields_ = 0;
  uint64_t files_read_ = 0;
};

//! "2024-01-02T03:04:05.000000Z": Airbyte's text form of a file's modification time (for
//! _ab_source_file_last_modified and file-based state).
std::string FileModifiedText(int64_t micros);

//! "a boolean", "an integer", ... for messages about a value that is not of `type`.
std::string_view TypeNoun(TypeId type);

}  // namespace sluice
