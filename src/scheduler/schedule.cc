#include "scheduler/schedule.h"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace sluice {
namespace {

struct Unit {
  std::string_view name;
  absl::Duration length;
};

constexpr std::array<Unit, 5> kUnits = {{{"minutes", absl::Minutes(1)},
                                         {"hours", absl::Hours(1)},
                                         {"days", absl::Hours(24)},
                                         {"weeks", absl::Hours(24 * 7)},
                                         {"months", absl::Hours(24 * 30)}}};

//! `object[key]` as a string, or an error naming `path`.
Result<std::string> StringField(const Json& object, std::string_view key, std::string_view path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::ConfigError(fmt::format("{}: is required", path));
  if (!it->is_string()) return Status::ConfigError(fmt::format("{}: must be a string", path));
  return it->get<std::string>();
}

//! `{units, timeUnit}` at `path`.
Result<Schedule> BasicFromJson(const Json& basic, std::string_view path) {
  if (!basic.is_object()) return Status::ConfigError(fmt::format("{}: must be an object", path));
  auto units = basic.find("units");
  if (units == basic.end() || !units->is_number_integer()) {
    return Status::ConfigError(fmt::format("{}.units: must be a positive integer", path));
  }
  SLUICE_ASSIGN_OR_RETURN(std::string time_unit,
                          StringField(basic, "timeUnit", fmt::format("{}.timeUnit", path)));
  Result<Schedule> schedule = Schedule::Basic(units->get<int64_t>(), time_unit);
  if (!schedule.ok()) return schedule.status().WithContext(path);
  return schedule;
}

}  // namespace

Schedule Schedule::Manual() { return Schedule(); }

Result<Schedule> Schedule::Basic(int64_t units, std::string_view time_unit) {
  if (units <= 0) return Status::ConfigError(fmt::format("units: must be a positive integer, got {}", units));
  for (const Unit& unit : kUnits) {
    if (unit.name == time_unit) {
      Schedule schedule;
      schedule.type_ = Type::kBasic;
      schedule.units_ = units;
      schedule.time_unit_ = std::string(time_unit);
      schedule.interval_ = unit.length * units;  // saturates to infinite for absurd values
      return schedule;
    }
  }
  return Status::ConfigError(
      fmt::format("timeUnit: '{}' is not one of minutes, hours, days, weeks, months", time_unit));
}

Result<Schedule> Schedule::Cron(std::string_view expression, std::string_view time_zone) {
  Result<CronExpression> cron = CronExpression::Parse(expression);
  if (!cron.ok()) return cron.status().WithContext("cronExpression");
  Result<absl::TimeZone> zone = LoadTimeZone(time_zone);
  if (!zone.ok()) return zone.status().WithContext("cronTimeZone");
  Schedule schedule;
  schedule.type_ = Type::kCron;
  schedule.cron_ = std::move(cron).value();
  schedule.time_zone_name_ = std::string(time_zone);
  schedule.time_zone_ = *zone;
  return schedule;
}

Result<Schedule> Schedule::FromAirbyte(const Json& connection) {
  auto type = connection.find("scheduleType");
  if (type == connection.end() || type->is_null()) {
    auto legacy = connection.find("schedule");
    if (legacy == connection.end() || legacy->is_null()) return Manual();
    return BasicFromJson(*legacy, "schedule");
  }
  if (*type == "manual") return Manual();
  if (*type == "continuous") return Continuous();
  auto data = connection.find("scheduleData");
  const bool has_data = data != connection.end() && data->is_object();
  if (*type == "basic") {
    if (has_data && data->contains("basicSchedule")) {
      return BasicFromJson((*data)["basicSchedule"], "scheduleData.basicSchedule");
    }
    auto legacy = connection.find("schedule");
    if (legacy != connection.end() && !legacy->is_null()) return BasicFromJson(*legacy, "schedule");
    return Status::ConfigError("scheduleData.basicSchedule: is required when scheduleType is basic");
  }
  if (*type == "cron") {
    if (!has_data || !data->contains("cron") || !(*data)["cron"].is_object()) {
      return Status::ConfigError("scheduleData.cron: is required when scheduleType is cron");
    }
    const Json& cron = (*data)["cron"];
    SLUICE_ASSIGN_OR_RETURN(std::string expression,
                            StringField(cron, "cronExpression", "scheduleData.cron.cronExpression"));
    SLUICE_ASSIGN_OR_RETURN(std::string zone,
                            StringField(cron, "cronTimeZone", "scheduleData.cron.cronTimeZone"));
    Result<Schedule> schedule = Cron(expression, zone);
    if (!schedule.ok()) return schedule.status().WithContext("scheduleData.cron");
    return schedule;
  }
  return Status::ConfigError(fmt::format("scheduleType: {} is not one of manual, basic, cron, continuous", type->dump()));
}

Json Schedule::ToAirbyte() const {
  switch (type_) {
    case Type::kManual: return {{"scheduleType", "manual"}};
    case Type::kContinuous: return {{"scheduleType", "continuous"}};
    case Type::kBasic: {
      const Json basic = {{"units", units_}, {"timeUnit", time_unit_}};
      return {{"scheduleType", "basic"}, {"scheduleData", {{"basicSchedule", basic}}}, {"schedule", basic}};
    }
    case Type::kCron:
      return {{"scheduleType", "cron"},
              {"scheduleData",
               {{"cron", {{"cronExpression", cron_->text()}, {"cronTimeZone", time_zone_name_}}}}}};
  }
  return nullptr;
}

std::optional<absl::Time> Schedule::NextDue(std::optional<absl::Time> last_start, absl::Time now) const {
  switch (type_) {
    case Type::kManual: return std::nullopt;
    case Type::kContinuous: return now;
    case Type::kBasic: return last_start ? *last_start + interval_ : now;
    case Type::kCron: return cron_->Next(last_start.value_or(now), time_zone_);
  }
  return std::nullopt;
}

Schedule Schedule::Continuous() {
  Schedule schedule;
  schedule.type_ = Type::kContinuous;
  return schedule;
}

std::optional<absl::Time> ContinuousNextDue(ContinuousJobEnd end, absl::Time ended_at,
                                            absl::Time connection_updated_at, absl::Time now,
                                            absl::Duration restart_backoff) {
  switch (end) {
    case ContinuousJobEnd::kNone:
    case ContinuousJobEnd::kUnfinished:
    case ContinuousJobEnd::kEnded: return now;
    case ContinuousJobEnd::kFailed: return ended_at + restart_backoff;
    case ContinuousJobEnd::kStopped:
      if (connection_updated_at > ended_at) return now;
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace sluice
