#pragma once
// DatetimeBasedCursor: incremental reads by a datetime field. Slices run from
// max(start_datetime, state − lookback_window) to end_datetime (default now) in `step`s, each
// ending `cursor_granularity` before the next begins; their bounds are formatted with
// datetime_format into stream_slice[partition_field_start / partition_field_end] and injected
// through start_time_option / end_time_option. Record cursor values are read with
// cursor_datetime_formats (default: datetime_format, then ISO 8601); records outside
// [start, end] are dropped. The state is Airbyte's: {cursor_field: newest value seen, formatted
// with datetime_format}. One instance per stream read (or per partition).

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/kit/config_reader.h"
#include "connectors/sources/declarative_manifest/build_context.h"
#include "connectors/sources/declarative_manifest/request_options.h"
#include "template/py_datetime.h"

namespace sluice {

class DatetimeCursor {
 public:
  //! Parses the DatetimeBasedCursor at `r` (config and parameters are evaluated here).
  static Result<DatetimeCursor> Make(ConfigReader r, BuildContext& ctx);

  const std::string& cursor_field() const { return cursor_field_; }
  //! Starts a read from `state` (a {cursor_field: value} object, or null).
  Status Begin(const Json& state);
  //! The slices to read, in order: {start_field: text, end_field: text}.
  std::vector<Json> Slices() const;
  //! Adds the slice's bounds to a request.
  void Apply(const Json& slice, PreparedRequest& request) const;
  //! Whether `record` is within the read's bounds; tracks the newest cursor value.
  bool Observe(const Json& record);
  //! As Observe, given the record's cursor field value (nullptr: the record has none).
  bool ObserveValue(const Json* value);
  //! The state after the slices read so far.
  Json State() const;
  //! The newest cursor value Observe() accepted since Begin() (nullopt: none).
  std::optional<int64_t> newest() const { return newest_; }
  //! The state claiming `newest` (at least the state Begin() was given): what a concurrent read
  //! checkpoints for the completed prefix of a partition's slices (slice_progress.h).
  Json StateFor(std::optional<int64_t> newest) const;

 private:
  std::optional<int64_t> ParseCursorValue(const Json& value) const;

  std::string cursor_field_;
  std::string datetime_format_;
  std::vector<std::string> cursor_formats_;
  int64_t start_ = 0;
  int64_t end_ = 0;
  std::optional<IsoDuration> step_;
  IsoDuration granularity_;
  IsoDuration lookback_;
  std::string start_field_ = "start_time", end_field_ = "end_time";
  std::optional<RequestOption> start_option_, end_option_;
  // Per read:
  int64_t read_start_ = 0;
  std::optional<int64_t> state_value_;
  std::optional<int64_t> newest_;
};

}  // namespace sluice
