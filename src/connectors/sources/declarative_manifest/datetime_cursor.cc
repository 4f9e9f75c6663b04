#include "connectors/sources/declarative_manifest/datetime_cursor.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/time.h"

namespace sluice {
namespace {

std::optional<int64_t> ParseWith(const std::string& text, const std::vector<std::string>& formats) {
  for (const std::string& f : formats) {
    if (auto t = ParseDatetime(text, f)) return t;
  }
  return ParseAnyDatetime(text);
}

//! A datetime field: a string template or a MinMaxDatetime {datetime, datetime_format,
//! min_datetime, max_datetime}.
Result<std::optional<int64_t>> EvalDatetime(ConfigReader r, std::string_view key, BuildContext& ctx,
                                            const std::string& default_format) {
  if (!r.Has(key)) return std::optional<int64_t>();
  const Json& raw = r.Raw(key);
  Vars vars;
  vars.config = ctx.config;
  vars.parameters = &ParametersOf(r);
  auto one = [&](const Json& value, const std::string& format, const std::string& where) -> Result<std::optional<int64_t>> {
    SLUICE_ASSIGN_OR_RETURN(std::string text, ctx.interpolator->Text(value, vars, where));
    if (text.empty()) return std::optional<int64_t>();
    std::vector<std::string> formats;
    if (!format.empty()) formats.push_back(format);
    std::optional<int64_t> t = ParseWith(text, formats);
    if (!t) {
      return Status::ConfigError(fmt::format("manifest {}: '{}' is not a datetime{}", where, text,
                                             format.empty() ? "" : fmt::format(" in the format {}", format)));
    }
    return t;
  };
  if (!raw.is_object()) return one(raw, default_format, r.PathOf(key));
  ConfigReader m = r.Object(key);
  vars.parameters = &ParametersOf(m);
  const std::string format = m.String("datetime_format", default_format);
  SLUICE_ASSIGN_OR_RETURN(std::optional<int64_t> t, one(m.Raw("datetime"), format, m.PathOf("datetime")));
  if (m.Has("min_datetime")) {
    SLUICE_ASSIGN_OR_RETURN(std::optional<int64_t> lo, one(m.Raw("min_datetime"), format, m.PathOf("min_datetime")));
    if (lo && t) t = std::max(*t, *lo);
  }
  if (m.Has("max_datetime")) {
    SLUICE_ASSIGN_OR_RETURN(std::optional<int64_t> hi, one(m.Raw("max_datetime"), format, m.PathOf("max_datetime")));
    if (hi && t) t = std::min(*t, *hi);
  }
  return t;
}

}  // namespace

Result<DatetimeCursor> DatetimeCursor::Make(ConfigReader r, BuildContext& ctx) {
  DatetimeCursor c;
  Vars vars;
  vars.config = ctx.config;
  vars.parameters = &ParametersOf(r);
  auto eval = [&](const std::string& s) {
    Result<std::string> v = ctx.interpolator->Text(Json(s), vars, r.path());
    return v.ok() ? *v : s;
  };
  SLUICE_ASSIGN_OR_RETURN(c.cursor_field_, ctx.interpolator->Text(r.Raw("cursor_field"), vars, r.PathOf("cursor_field")));
  if (c.cursor_field_.empty()) r.Fail("cursor_field", "is required");
  c.datetime_format_ = r.String("datetime_format");
  c.cursor_formats_ = r.StringList("cursor_datetime_formats");
  if (c.cursor_formats_.empty()) c.cursor_formats_.push_back(c.datetime_format_);
  auto duration = [&](std::string_view key) -> std::optional<IsoDuration> {
    if (!r.Has(key)) return std::nullopt;
    const std::string text = eval(r.String(key));
    std::optional<IsoDuration> d = ParseIsoDuration(text);
    if (!d) r.Fail(key, fmt::format("expected an ISO 8601 duration such as P1D or PT1H, got '{}'", text));
    return d;
  };
  c.step_ = duration("step");
  c.granularity_ = duration("cursor_granularity").value_or(IsoDuration{});
  c.lookback_ = duration("lookback_window").value_or(IsoDuration{});
  if (c.step_ && (c.step_->micros <= 0 && c.step_->months <= 0)) r.Fail("step", "must be positive");
  c.start_field_ = eval(r.String("partition_field_start", "start_time"));
  c.end_field_ = eval(r.String("partition_field_end", "end_time"));
  if (r.Has("start_time_option")) c.start_option_ = RequestOption::Parse(r.Object("start_time_option"), eval);
  if (r.Has("end_time_option")) c.end_option_ = RequestOption::Parse(r.Object("end_time_option"), eval);
  c.client_side_ = r.Bool("is_client_side_incremental", false);
  c.global_substream_ = r.Bool("global_substream_cursor", false);
  SLUICE_RETURN_IF_ERROR(r.status());
  SLUICE_ASSIGN_OR_RETURN(std::optional<int64_t> start, EvalDatetime(r, "start_datetime", ctx, c.datetime_format_));
  if (!start) return Status::ConfigError(fmt::format("manifest {}: start_datetime is required (and must not be empty)", r.PathOf("start_datetime")));
  SLUICE_ASSIGN_OR_RETURN(std::optional<int64_t> end, EvalDatetime(r, "end_datetime", ctx, c.datetime_format_));
  c.start_ = *start;
  c.end_ = end ? std::min(*end, NowMicros()) : NowMicros();
  return c;
}

std::optional<int64_t> DatetimeCursor::ParseCursorValue(const Json& value) const {
  if (value.is_null()) return std::nullopt;
  if (value.is_number()) {
    // Numbers are epochs in whatever unit the format says (seconds unless "%ms").
    const std::string text = value.is_number_float() ? std::to_string(value.get<double>()) : value.dump();
    for (const std::string& f : cursor_formats_) {
      if (auto t = ParseDatetime(text, f)) return t;
    }
    if (value.is_number_float()) return static_cast<int64_t>(value.get<double>() * kMicrosPerSecond);
    return value.get<int64_t>() * kMicrosPerSecond;
  }
  if (!value.is_string()) return std::nullopt;
  return ParseWith(value.get<std::string>(), cursor_formats_);
}

Status DatetimeCursor::Begin(const Json& state) {
  state_value_.reset();
  newest_.reset();
  if (state.is_object()) {
    if (auto it = state.find(cursor_field_); it != state.end()) {
      state_value_ = ParseCursorValue(*it);
      if (!state_value_) {
        return Status::ConfigError(fmt::format("the saved state's {} value {} is not a datetime in the format {}",
                                               cursor_field_, it->dump(), datetime_format_));
      }
    }
  }
  read_start_ = std::min(start_, end_);
  if (state_value_) read_start_ = std::max(read_start_, *state_value_);
  filter_start_ = client_side_ ? read_start_ : AddDuration(read_start_, lookback_, -1);
  read_start_ = AddDuration(read_start_, lookback_, -1);
  return Status::Ok();
}

std::vector<Json> DatetimeCursor::Slices() const {
  std::vector<Json> slices;
  auto slice = [&](int64_t from, int64_t to) {
    return Json{{start_field_, FormatDatetime(from, datetime_format_)}, {end_field_, FormatDatetime(to, datetime_format_)}};
  };
  if (!step_) {
    if (read_start_ <= end_) slices.push_back(slice(read_start_, end_));
    return slices;
  }
  const bool inclusive = granularity_.micros != 0 || granularity_.months != 0;
  int64_t start = read_start_;
  while (inclusive ? start <= end_ : start < end_) {
    const int64_t next = AddDuration(start, *step_);
    slices.push_back(slice(start, std::min(AddDuration(next, granularity_, -1), end_)));
    start = next;
    if (slices.size() > 100000) break;  // a guard against a tiny step over a long range
  }
  return slices;
}

void DatetimeCursor::Apply(const Json& slice, PreparedRequest& request) const {
  if (start_option_) start_option_->Apply(slice.value(start_field_, Json()), request);
  if (end_option_) end_option_->Apply(slice.value(end_field_, Json()), request);
}

bool DatetimeCursor::ObserveValue(const Json* value) {
  if (value == nullptr || value->is_null()) return true;  // the CDK keeps records without a cursor value
  std::optional<int64_t> t = ParseCursorValue(*value);
  if (!t) return true;
  if (*t < filter_start_ || *t > end_) return false;
  if (!newest_ || *t > *newest_) newest_ = *t;
  return true;
}

Json DatetimeCursor::StateFor(std::optional<int64_t> newest) const {
  std::optional<int64_t> v = newest;
  if (state_value_ && (!v || *state_value_ > *v)) v = state_value_;
  if (!v) return Json::object();
  return StateOf(*v);
}

Json DatetimeCursor::StateOf(int64_t value) const { return Json{{cursor_field_, FormatDatetime(value, datetime_format_)}}; }

std::optional<int64_t> DatetimeCursor::ValueOf(const Json& state) const {
  if (!state.is_object()) return std::nullopt;
  auto it = state.find(cursor_field_);
  if (it == state.end()) return std::nullopt;
  return ParseCursorValue(*it);
}

Json DatetimeCursor::StateMinusSeconds(const Json& state, int64_t seconds) const {
  std::optional<int64_t> v = ValueOf(state);
  if (!v || seconds <= 0) return state;
  Json out = state;
  out[cursor_field_] = FormatDatetime(*v - seconds * kMicrosPerSecond, datetime_format_);
  return out;
}

}  // namespace sluice
