#include "connectors/sources/declarative_manifest/incrementing_cursor.h"

#include <charconv>

#include <fmt/format.h>

namespace sluice {
namespace {

std::optional<int64_t> AsInteger(const Json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
    return std::nullopt;
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    int64_t out = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return out;
  }
  return std::nullopt;
}

}  // namespace

Result<IncrementingCursor> IncrementingCursor::Make(ConfigReader r, BuildContext& ctx) {
  IncrementingCursor c;
  Vars vars;
  vars.config = ctx.config;
  vars.parameters = &ParametersOf(r);
  SLUICE_ASSIGN_OR_RETURN(c.cursor_field_, ctx.interpolator->Text(r.Raw("cursor_field"), vars, r.PathOf("cursor_field")));
  if (c.cursor_field_.empty()) r.Fail("cursor_field", "is required");
  if (r.Has("start_value")) {
    const Json& raw = r.Raw("start_value");
    std::optional<int64_t> start = AsInteger(raw);
    if (!start && raw.is_string()) {
      SLUICE_ASSIGN_OR_RETURN(std::string text, ctx.interpolator->Text(raw, vars, r.PathOf("start_value")));
      start = text.empty() ? std::optional<int64_t>(0) : AsInteger(Json(text));  // an unset config value: from 0
      if (!start) return Status::ConfigError(fmt::format("manifest {}: '{}' is not an integer", r.PathOf("start_value"), text));
    }
    if (!start) return Status::ConfigError(fmt::format("manifest {}: expected an integer or a template giving one", r.PathOf("start_value")));
    c.start_ = *start;
  }
  auto eval = [&](const std::string& s) {
    Result<std::string> v = ctx.interpolator->Text(Json(s), vars, r.path());
    return v.ok() ? *v : s;
  };
  if (r.Has("start_value_option")) c.start_option_ = RequestOption::Parse(r.Object("start_value_option"), eval);
  SLUICE_RETURN_IF_ERROR(r.status());
  return c;
}

std::optional<int64_t> IncrementingCursor::ValueOf(const Json& state) const {
  if (!state.is_object()) return std::nullopt;
  auto it = state.find(cursor_field_);
  if (it == state.end()) return std::nullopt;
  return AsInteger(*it);
}

Status IncrementingCursor::Begin(const Json& state) {
  newest_.reset();
  sync_start_ = start_;
  if (state.is_object() && state.contains(cursor_field_)) {
    std::optional<int64_t> v = ValueOf(state);
    if (!v) {
      return Status::ConfigError(fmt::format("the saved state's {} value {} is not an integer (IncrementingCountCursor)",
                                             cursor_field_, state.at(cursor_field_).dump()));
    }
    if (*v >= start_) sync_start_ = *v;
  }
  return Status::Ok();
}

std::vector<Json> IncrementingCursor::Slices() const { return {Json{{"start", sync_start_}}}; }

void IncrementingCursor::Apply(const Json& slice, PreparedRequest& request) const {
  if (start_option_) start_option_->Apply(slice.value("start", Json()), request);
}

bool IncrementingCursor::ObserveValue(const Json* value) {
  if (value == nullptr) return true;
  std::optional<int64_t> v = AsInteger(*value);
  if (v && (!newest_ || *v > *newest_)) newest_ = v;
  return true;
}

Json IncrementingCursor::StateFor(std::optional<int64_t> newest) const {
  return StateOf(newest && *newest > sync_start_ ? *newest : sync_start_);
}

}  // namespace sluice
