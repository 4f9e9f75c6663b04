#pragma once
// DatetimeBasedCursor: incremental reads by a datetime field. Slices run from
// max(start_datetime, state − lookback_window) to end_datetime (default now) in `step`s, each
// ending `cursor_granularity` before the next begins; their bounds are formatted with
// datetime_format into stream_slice[partition_field_start / partition_field_end] and injected
// through start_time_option / end_time_option. Record cursor values are read with
// cursor_datetime_formats (default: datetime_format, then ISO 8601); records outside
// [start, end] are dropped. The state is Airbyte's: {cursor_field: newest value seen, formatted
// with datetime_format}. One instance per stream read (or per partition).
//
// is_client_side_incremental (the API does not filter by date): records are kept only when their
// cursor value is within [max(start_datetime, state), end_datetime] — the state itself, not moved
// back by lookback_window (the CDK's ClientSideIncrementalRecordFilterDecorator asking the
// cursor's should_be_synced). Without it the lower bound is the first slice's start (lookback
// included). global_substream_cursor is read by the stream (declarative_stream.cc): one state
// for all partitions.

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/kit/config_reader.h"
#include "connectors/sources/declarative_manifest/build_context.h"
#include "connectors/sources/declarative_manifest/request_options.h"
#include "connectors/sources/declarative_manifest/stream_cursor.h"
#include "template/py_datetime.h"

namespace sluice {

class DatetimeCursor final : public StreamCursor {
 public:
  //! Parses the DatetimeBasedCursor at `r` (config and parameters are evaluated here).
  static Result<DatetimeCursor> Make(ConfigReader r, BuildContext& ctx);

  const std::string& cursor_field() const override { return cursor_field_; }
  //! Starts a read from `state` (a {cursor_field: value} object, or null).
  Status Begin(const Json& state) override;
  //! The slices to read, in order: {start_field: text, end_field: text}.
  std::vector<Json> Slices() const override;
  void Apply(const Json& slice, PreparedRequest& request) const override;
  //! Whether the record is within the read's bounds (see above); tracks the newest cursor value.
  bool ObserveValue(const Json* value) override;
  std::optional<int64_t> newest() const override { return newest_; }
  Json StateFor(std::optional<int64_t> newest) const override;
  Json StateOf(int64_t value) const override;
  std::optional<int64_t> ValueOf(const Json& state) const override;
  Json StateMinusSeconds(const Json& state, int64_t seconds) const override;
  //! is_client_side_incremental / global_substream_cursor as the manifest sets them.
  bool client_side() const { return client_side_; }
  bool global_substream() const { return global_substream_; }

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
  bool client_side_ = false;
  bool global_substream_ = false;
  // Per read:
  int64_t read_start_ = 0;
  int64_t filter_start_ = 0;  // records before it are dropped
  std::optional<int64_t> state_value_;
  std::optional<int64_t> newest_;
};

}  // namespace sluice
