#include "connectors/kit/path_template.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "base/time.h"

namespace sluice {
namespace {

enum Variable : int {
  kNamespace,
  kStreamName,
  kSourceNamespace,
  kYear,
  kMonth,
  kDay,
  kHour,
  kMinute,
  kSecond,
  kMillisecond,
  kEpoch,
  kUuid,
};

// ⌊a / b⌋ for b > 0 (times before 1970 fall on the day they are in).
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b < 0 ? 1 : 0); }

// A name as one path segment: '/' would split it, "." and ".." would walk the tree.
void AppendSegmentSafe(std::string& out, std::string_view name) {
  if (name == "." || name == "..") {
    out.append(name.size(), '_');
    return;
  }
  for (char c : name) out += (c == '/' || c == '\0') ? '_' : c;
}

}  // namespace

const std::vector<std::string_view>& PathTemplateVariables() {
  static const std::vector<std::string_view> kNames = {
      "NAMESPACE", "STREAM_NAME", "SOURCE_NAMESPACE", "YEAR",        "MONTH", "DAY",
      "HOUR",      "MINUTE",      "SECOND",           "MILLISECOND", "EPOCH", "UUID"};
  return kNames;
}

std::string PathTemplateVariableList() {
  std::string list;
  for (std::string_view name : PathTemplateVariables()) list += fmt::format("{}${{{}}}", list.empty() ? "" : " ", name);
  return list;
}

Result<PathTemplate> PathTemplate::Parse(std::string_view text, std::string json_path) {
  PathTemplate t;
  t.text_ = std::string(text);
  t.json_path_ = std::move(json_path);
  if (text.find('\0') != std::string_view::npos) {
    // The OS would cut the path at the NUL: what is written would not be what the config says.
    return Status::ConfigError(fmt::format("{}: must not contain a NUL character", t.json_path_));
  }
  const auto& names = PathTemplateVariables();
  Piece piece;
  for (size_t i = 0; i < text.size();) {
    if (text[i] != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      piece.literal += text[i++];
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return Status::ConfigError(fmt::format("{}: unterminated variable in '{}'", t.json_path_, text));
    }
    const std::string_view name = text.substr(i + 2, close - i - 2);
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      return Status::ConfigError(
          fmt::format("{}: unknown variable ${{{}}}; known: {}", t.json_path_, name, PathTemplateVariableList()));
    }
    piece.variable = static_cast<int>(it - names.begin());
    t.pieces_.push_back(std::move(piece));
    piece = {};
    i = close + 1;
  }
  t.pieces_.push_back(std::move(piece));
  return t;
}

void PathTemplate::ExpandTo(const PathTemplateValues& values, std::string& out, size_t* first_varying) const {
  const int64_t micros = values.sync_start_micros;
  const int64_t days = FloorDiv(micros, kMicrosPerDay);
  const int64_t of_day = micros - days * kMicrosPerDay;
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, year, month, day);
  const int64_t second_of_day = of_day / kMicrosPerSecond;
  for (const Piece& piece : pieces_) {
    out += piece.literal;
    if (piece.variable < 0) continue;
    const bool varying = piece.variable >= kYear;
    if (varying && first_varying != nullptr && *first_varying == std::string::npos) *first_varying = out.size();
    if (varying && values.varying_as_wildcard) {
      out += '*';
      continue;
    }
    switch (static_cast<Variable>(piece.variable)) {
      case kNamespace: AppendSegmentSafe(out, values.stream.namespace_.value_or("")); break;
      case kStreamName: AppendSegmentSafe(out, values.stream.name); break;
      case kSourceNamespace:
        AppendSegmentSafe(out, values.source_namespace ? *values.source_namespace : values.stream.namespace_.value_or(""));
        break;
      case kYear: fmt::format_to(std::back_inserter(out), "{:04}", year); break;
      case kMonth: fmt::format_to(std::back_inserter(out), "{:02}", month); break;
      case kDay: fmt::format_to(std::back_inserter(out), "{:02}", day); break;
      case kHour: fmt::format_to(std::back_inserter(out), "{:02}", second_of_day / 3600); break;
      case kMinute: fmt::format_to(std::back_inserter(out), "{:02}", second_of_day / 60 % 60); break;
      case kSecond: fmt::format_to(std::back_inserter(out), "{:02}", second_of_day % 60); break;
      case kMillisecond: fmt::format_to(std::back_inserter(out), "{:03}", of_day / 1000 % 1000); break;
      case kEpoch: fmt::format_to(std::back_inserter(out), "{}", micros / 1000); break;
      case kUuid: out += values.uuid; break;
    }
  }
}

Result<std::string> NormalizeRelativePath(std::string_view path, std::string_view what, const StreamDescriptor& stream,
                                          size_t* fixed_prefix) {
  std::string out;
  size_t mapped = std::string::npos;
  size_t start = 0;
  for (;;) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    const std::string_view segment = path.substr(start, end - start);
    if (fixed_prefix != nullptr && mapped == std::string::npos && *fixed_prefix <= end) {
      // The prefix ends inside this segment (or at its start): its offset in what is kept.
      const bool kept = !segment.empty() && segment != ".";
      mapped = out.size() + (out.empty() ? 0 : 1) + (kept && *fixed_prefix > start ? *fixed_prefix - start : 0);
    }
    if (segment == "..") {
      return Status::ConfigError(fmt::format("{}: '{}' has a '..' segment for stream '{}'; paths must stay inside their root",
                                             what, path, stream.ToString()));
    }
    if (!segment.empty() && segment != ".") {
      if (!out.empty()) out += '/';
      out += segment;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (!path.empty() && path.back() == '/' && !out.empty()) out += '/';
  if (fixed_prefix != nullptr) *fixed_prefix = std::min(mapped == std::string::npos ? out.size() : mapped, out.size());
  return out;
}

}  // namespace sluice
