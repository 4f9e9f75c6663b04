#pragma once
// What a DeclarativeStream's read loop (declarative_stream.cc) asks of its incremental cursor:
// DatetimeBasedCursor (datetime_cursor.h) or IncrementingCountCursor (incrementing_cursor.h).
// A cursor's values are int64 on one scale (microseconds since the epoch for datetimes, the
// count itself for counts), so the per-partition and global states, and a concurrent read's
// SliceProgress, can compare them without knowing the kind. One instance per stream copy; its
// Begin() starts one partition's read (per-read fields are reset there). Not thread-safe: a
// concurrent read gives each worker its own copy of the stream, and so of the cursor.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/sources/declarative_manifest/request_options.h"

namespace sluice {

class StreamCursor {
 public:
  virtual ~StreamCursor() = default;

  virtual const std::string& cursor_field() const = 0;
  //! Starts a read from `state` (a {cursor_field: value} object, or null / {}).
  virtual Status Begin(const Json& state) = 0;
  //! The slices to read, in order (their keys go into stream_slice / stream_interval).
  virtual std::vector<Json> Slices() const = 0;
  //! Adds the slice's bounds to a request.
  virtual void Apply(const Json& slice, PreparedRequest& request) const = 0;
  //! Whether a record whose cursor field is `value` (nullptr: it has none) is kept; tracks the
  //! newest value of the kept records.
  virtual bool ObserveValue(const Json* value) = 0;
  bool Observe(const Json& record) {
    auto it = record.find(cursor_field());
    return ObserveValue(it == record.end() ? nullptr : &*it);
  }
  //! The newest cursor value ObserveValue() accepted since Begin() (nullopt: none).
  virtual std::optional<int64_t> newest() const = 0;
  //! The state claiming `newest` (at least the state Begin() was given): what a checkpoint
  //! writes; a concurrent read gives the newest value of its completed prefix (slice_progress.h).
  virtual Json StateFor(std::optional<int64_t> newest) const = 0;
  Json State() const { return StateFor(newest()); }
  //! {cursor_field: `value`} in the state's format.
  virtual Json StateOf(int64_t value) const = 0;
  //! The value a {cursor_field: value} state holds (nullopt: none, or not readable).
  virtual std::optional<int64_t> ValueOf(const Json& state) const = 0;
  //! `state` moved `seconds` back (the CDK's runtime lookback of a global substream state);
  //! `state` itself when it holds no value or the cursor has no time scale.
  virtual Json StateMinusSeconds(const Json& state, int64_t seconds) const { (void)seconds; return state; }
};

}  // namespace sluice
