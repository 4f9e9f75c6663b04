#pragma once
// Schedule: when a connection's next sync is due, from Airbyte's three schedule types and
// sluice's continuous one.
//
// - manual: never due by itself.
// - basic: every `units` `timeUnit` (minutes, hours, days, weeks, months; a month is 30 days,
//   as in Airbyte), counted from the start of the last job; due at once when there is none.
// - cron: the first fire time of `cronExpression` in `cronTimeZone` after the start of the last
//   job (after now when there is none). Fire times missed while the server was down fold into
//   one run, due at once (Quartz's default "fire once now" misfire policy).
// - continuous (sluice's): one sync job kept running in continuous mode; ContinuousNextDue has
//   the rule from the connection's newest job (NextDue alone says "now").
// A due time at or before now means "start now". Pure: no clock, no I/O but time zone files.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "base/json.h"
#include "base/status.h"
#include "scheduler/cron.h"

namespace sluice {

//! An immutable schedule; copyable, safe to share between threads.
class Schedule {
 public:
  enum class Type { kManual, kBasic, kCron, kContinuous };

  static Schedule Manual();
  static Schedule Continuous();
  //! `units` > 0 of `time_unit` ("minutes", "hours", "days", "weeks", "months").
  static Result<Schedule> Basic(int64_t units, std::string_view time_unit);
  //! A cron expression (5-field Unix or 6/7-field Quartz) read in an IANA time zone.
  static Result<Schedule> Cron(std::string_view expression, std::string_view time_zone);

  //! Reads a connection body as Airbyte's API carries it: `scheduleType` manual | basic | cron
  //! | continuous (no scheduleData)
  //! with `scheduleData.basicSchedule {units, timeUnit}` or `scheduleData.cron
  //! {cronExpression, cronTimeZone}`; without `scheduleType`, the legacy `schedule {units,
  //! timeUnit}` (basic) or nothing (manual). Errors name the JSON field.
  static Result<Schedule> FromAirbyte(const Json& connection);
  //! `scheduleType` and `scheduleData` (plus the legacy `schedule` for basic), as Airbyte returns them.
  Json ToAirbyte() const;

  //! When the next sync is due, given the start of the connection's last job (nullopt: none
  //! yet) and now. nullopt: never (manual, or a cron expression that never fires again).
  std::optional<absl::Time> NextDue(std::optional<absl::Time> last_start, absl::Time now) const;

  Type type() const { return type_; }
  bool continuous() const { return type_ == Type::kContinuous; }

 private:
  Schedule() = default;

  Type type_ = Type::kManual;
  int64_t units_ = 0;      //!< basic
  std::string time_unit_;  //!< basic: "minutes" … "months"
  absl::Duration interval_;
  std::optional<CronExpression> cron_;
  std::string time_zone_name_;  //!< cron
  absl::TimeZone time_zone_;
};

//! How the newest job of a continuous connection ended, for ContinuousNextDue.
enum class ContinuousJobEnd {
  kNone,        //!< the connection has no job yet
  kUnfinished,  //!< pending, running or incomplete (retrying)
  kFailed,      //!< failed for good (its attempts' retries spent)
  kStopped,     //!< cancelled
  kEnded,       //!< succeeded: the source ended the stream by itself (its schema changed)
};

//! The continuous rule: when to enqueue the next job of an active continuous connection.
//! None → now. Unfinished → now (the caller re-checks: enqueueing is a no-op while one is
//! unfinished). Failed → `ended_at + restart_backoff`. Ended → now (the next job discovers
//! the change and applies the schema-change policy first). Stopped → now if the connection was
//! changed after the job ended (e.g. set active again), else never (nullopt): a cancel sticks.
std::optional<absl::Time> ContinuousNextDue(ContinuousJobEnd end, absl::Time ended_at,
                                            absl::Time connection_updated_at, absl::Time now,
                                            absl::Duration restart_backoff);

}  // namespace sluice
