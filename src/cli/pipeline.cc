#include "cli/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "connectors/sdk/config_validator.h"

namespace sluice {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTopKeys[] = {"name",   "source",  "destination", "schedule", "namespace",
                                         "prefix", "streams", "state",       "resources"};
constexpr std::string_view kConnectorKeys[] = {"connector", "command", "config"};
constexpr std::string_view kScheduleKeys[] = {"cron", "timezone", "every", "manual"};
constexpr std::string_view kNamespaceKeys[] = {"definition", "format"};
constexpr std::string_view kStreamKeys[] = {
    "name", "namespace", "mode", "sync_mode", "destination_sync_mode", "cursor_field", "primary_key", "selected"};
constexpr std::string_view kStateKeys[] = {"file"};

// Placeholders the destinations fill in per stream/file; never environment variables.
constexpr std::string_view kReservedNames[] = {"NAMESPACE", "STREAM_NAME", "SOURCE_NAMESPACE", "YEAR",   "MONTH",
                                               "DAY",       "HOUR",        "MINUTE",           "SECOND", "MILLISECOND",
                                               "EPOCH",     "UUID"};

constexpr std::string_view kModeSpellings =
    "Full Refresh | Overwrite, Full Refresh | Append, Incremental | Append, Incremental | Append + Deduped";

template <size_t N>
std::string Join(const std::string_view (&items)[N]) {
  std::string out;
  for (auto item : items) out += (out.empty() ? "" : ", ") + std::string(item);
  return out;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? std::string(sep) : "") + items[i];
  return out;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

//! "; did you mean 'streams'?" when one candidate is close to `word`, else "".
std::string Suggestion(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best.empty() ? "" : fmt::format("; did you mean '{}'?", best);
}

//! How a value's type is called in a YAML file.
std::string_view YamlType(const Json& v) {
  if (v.is_object()) return "a mapping";
  if (v.is_array()) return "a list";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_null()) return "nothing";
  return "a number";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

//! "Full Refresh | Append + Deduped" → "full refresh|append+deduped" (case, spacing, '_' ignored).
std::string NormalizeMode(std::string_view s) {
  std::string out;
  for (char c : Lower(s)) {
    if (c == '_' || c == '\t') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ' || out.back() == '|' || out.back() == '+')) continue;
    if ((c == '|' || c == '+') && !out.empty() && out.back() == ' ') out.pop_back();
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool ParseMode(std::string_view text, SyncMode& sync, DestinationSyncMode& dest) {
  const std::string mode = NormalizeMode(text);
  const size_t bar = mode.find('|');
  if (bar == std::string::npos) return false;
  const std::string left = mode.substr(0, bar);
  const std::string right = mode.substr(bar + 1);
  if (left == "full refresh") {
    sync = SyncMode::kFullRefresh;
  } else if (left == "incremental") {
    sync = SyncMode::kIncremental;
  } else {
    return false;
  }
  if (right == "overwrite") {
    dest = DestinationSyncMode::kOverwrite;
  } else if (right == "append") {
    dest = DestinationSyncMode::kAppend;
  } else if (right == "append+deduped" || right == "append+dedup" || right == "deduped+history" ||
             right == "append dedup") {
    dest = DestinationSyncMode::kAppendDedup;
  } else if (right == "update") {
    dest = DestinationSyncMode::kUpdate;
  } else if (right == "soft delete") {
    dest = DestinationSyncMode::kSoftDelete;
  } else {
    return false;
  }
  return true;
}

//! "a.b" → {"a", "b"}; empty segments are an error (nullopt).
std::optional<FieldPath> SplitDotted(std::string_view s) {
  FieldPath path;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    const std::string_view part = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty()) return std::nullopt;
    path.emplace_back(part);
    if (dot == std::string_view::npos) return path;
    start = dot + 1;
  }
}

std::string PathText(const FieldPath& path) { return Join(path, "."); }

//! Parses "24h", "30m", "90s", "1d", "1h30m" into seconds; nullopt when malformed or zero.
std::optional<int64_t> ParseDuration(std::string_view s) {
  int64_t total = 0;
  size_t i = 0;
  if (s.empty()) return std::nullopt;
  while (i < s.size()) {
    int64_t n = 0;
    const size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      n = n * 10 + (s[i++] - '0');
      if (n > 1'000'000'000) return std::nullopt;
    }
    if (i == start || i == s.size()) return std::nullopt;  // a number needs a unit
    switch (s[i++]) {
      case 's':
        total += n;
        break;
      case 'm':
        total += n * 60;
        break;
      case 'h':
        total += n * 3600;
        break;
      case 'd':
        total += n * 86400;
        break;
      default:
        return std::nullopt;
    }
  }
  if (total <= 0) return std::nullopt;
  return total;
}

bool IsReserved(std::string_view name) {
  return std::find(std::begin(kReservedNames), std::end(kReservedNames), name) != std::end(kReservedNames);
}

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Substitutes one string; unset variable names are appended to `missing`.
std::string SubstituteString(const std::string& s, std::vector<std::string>& missing) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, 3, "$${") == 0) {  // escape: a literal "${"
      out += "${";
      i += 3;
      continue;
    }
    if (s.compare(i, 2, "${") != 0) {
      out += s[i++];
      continue;
    }
    const size_t close = s.find('}', i + 2);
    if (close == std::string::npos) {
      out.append(s, i, std::string::npos);
      break;
    }
    const std::string_view inner(s.data() + i + 2, close - i - 2);
    size_t n = 0;
    if (!inner.empty() && IsNameStart(inner[0])) {
      while (n < inner.size() && IsNameChar(inner[n])) ++n;
    }
    const std::string_view name = inner.substr(0, n);
    const std::string_view rest = inner.substr(n);
    const bool has_default = rest.substr(0, 2) == ":-";
    if (name.empty() || (!rest.empty() && !has_default) || IsReserved(name)) {
      out.append(s, i, close + 1 - i);  // not ours: ${NAMESPACE}, ${ weird }
      i = close + 1;
      continue;
    }
    const char* value = std::getenv(std::string(name).c_str());
    if (has_default && (value == nullptr || *value == '\0')) {
      out += rest.substr(2);
    } else if (value != nullptr) {
      out += value;
    } else {
      missing.emplace_back(name);
    }
    i = close + 1;
  }
  return out;
}

void SubstituteInto(Json& value, const std::string& path, const YamlDocument& doc, std::vector<std::string>& errors) {
  if (value.is_string()) {
    std::vector<std::string> missing;
    std::string replaced = SubstituteString(value.get_ref<const std::string&>(), missing);
    for (const auto& name : missing) {
      errors.push_back(
          fmt::format("{}: environment variable '{}' is not set (used at {}; write $${{{}}} for a literal "
                      "${{{}}})",
                      doc.LocationOf(path), name, path, name, name));
    }
    value = std::move(replaced);
  } else if (value.is_object()) {
    for (auto& [key, item] : value.items()) SubstituteInto(item, JsonPathKey(path, key), doc, errors);
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) SubstituteInto(value[i], JsonPathIndex(path, i), doc, errors);
  }
}

// Reads one pipeline document, collecting every problem.
class PipelineParser {
 public:
  PipelineParser(const YamlDocument& doc, const std::string& file_name) : doc_(doc), file_name_(file_name) {}

  Result<Pipeline> Parse() {
    Pipeline p;
    p.file_name = file_name_;
    const Json& root = doc_.json;
    if (root.is_null()) return Status::ConfigError(fmt::format("{}: the pipeline file is empty", file_name_));
    if (!root.is_object()) {
      return Status::ConfigError(
          fmt::format("{}: $: a pipeline file is a mapping (name:, source:, destination:, ...), "
                      "got {}",
                      doc_.LocationOf("$"), YamlType(root)));
    }
    p.name = fs::path(file_name_).stem().string();
    p.state_file = DefaultStateFile();
    for (const char* side : {"source", "destination"}) {
      if (Find(root, side) == nullptr) {
        Fail("$", fmt::format("missing required key '{}' ({{connector: NAME, config: {{...}}}} or "
                              "{{command: [PROGRAM, ARG...], config: {{...}}}})",
                              side));
      }
    }
    // In the file's order, so the messages are too.
    for (const auto& [key, value] : root.items()) {
      if (std::find(std::begin(kTopKeys), std::end(kTopKeys), key) == std::end(kTopKeys)) {
        UnknownKey("$", key, kTopKeys);
        continue;
      }
      if (value.is_null()) continue;  // `key:` with nothing: the default
      if (key == "name") {
        if (value.is_string() && !value.get<std::string>().empty()) {
          p.name = value.get<std::string>();
        } else {
          Fail("$.name", fmt::format("expected a non-empty string, got {}", YamlType(value)));
        }
      } else if (key == "source") {
        ParseConnector(value, "$.source", p.source);
      } else if (key == "destination") {
        ParseConnector(value, "$.destination", p.destination);
      } else if (key == "schedule") {
        ParseSchedule(value, p.schedule);
      } else if (key == "namespace") {
        ParseNamespace(value, p);
      } else if (key == "prefix") {
        if (value.is_string()) {
          p.prefix = value.get<std::string>();
        } else {
          Fail("$.prefix", fmt::format("expected a string, got {}", YamlType(value)));
        }
      } else if (key == "streams") {
        ParseStreams(value, p);
      } else if (key == "state") {
        ParseState(value, p);
      } else if (key == "resources") {
        p.resources = value;
      }
    }

    if (!errors_.empty()) return Status::ConfigError(Join(errors_, "\n"));
    p.document = doc_;
    return p;
  }

 private:
  void Fail(const std::string& path, std::string_view message) {
    errors_.push_back(fmt::format("{}: {}: {}", doc_.LocationOf(path), path, message));
  }

  //! The value of `key` in `object`, or nullptr when absent or null (`key:` with nothing after it).
  static const Json* Find(const Json& object, const char* key) {
    auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
  }

  template <size_t N>
  void CheckKeys(const Json& object, const std::string& path, const std::string_view (&allowed)[N]) {
    for (const auto& [key, unused] : object.items()) {
      if (std::find(std::begin(allowed), std::end(allowed), key) == std::end(allowed)) UnknownKey(path, key, allowed);
    }
  }

  template <size_t N>
  void UnknownKey(const std::string& path, const std::string& key, const std::string_view (&allowed)[N]) {
    const std::string key_path = JsonPathKey(path, key);
    errors_.push_back(fmt::format("{}: unknown key '{}' at {} (allowed: {}){}", doc_.LocationOf(key_path), key,
                                  key_path, Join(allowed), Suggestion(key, {std::begin(allowed), std::end(allowed)})));
  }

  bool ExpectMapping(const Json& value, const std::string& path, std::string_view example) {
    if (value.is_object()) return true;
    Fail(path, fmt::format("expected a mapping like {}, got {}", example, YamlType(value)));
    return false;
  }

  std::optional<std::string> GetString(const Json& object, const char* key, const std::string& path) {
    const Json* v = Find(object, key);
    if (v == nullptr) return std::nullopt;
    if (v->is_string() && !v->get<std::string>().empty()) return v->get<std::string>();
    Fail(JsonPathKey(path, key), fmt::format("expected a non-empty string, got {}", YamlType(*v)));
    return std::nullopt;
  }

  void ParseConnector(const Json& connector, const std::string& path, PipelineConnector& out) {
    const Json* value = &connector;
    if (value->is_string() && !value->get<std::string>().empty()) {  // `source: faker`
      out.connector = value->get<std::string>();
      return;
    }
    if (!ExpectMapping(*value, path, "{connector: NAME, config: {...}}")) return;
    CheckKeys(*value, path, kConnectorKeys);
    const bool has_connector = Find(*value, "connector") != nullptr;
    const Json* command = Find(*value, "command");
    if (has_connector && command != nullptr) {
      Fail(path, "give either 'connector' (a built-in connector) or 'command' (an external one), not both");
    } else if (!has_connector && command == nullptr) {
      Fail(path, "missing 'connector' (a built-in connector name) or 'command' (an external connector's command line)");
    }
    if (auto name = GetString(*value, "connector", path)) out.connector = *name;
    if (command != nullptr) ParseCommand(*command, JsonPathKey(path, "command"), out.command);
    if (const Json* config = Find(*value, "config")) {
      const std::string config_path = JsonPathKey(path, "config");
      if (ExpectMapping(*config, config_path, "{host: db, port: 5432}")) {
        out.config = *config;
        SubstituteInto(out.config, config_path, doc_, errors_);
      }
    }
  }

  void ParseCommand(const Json& value, const std::string& path, std::vector<std::string>& out) {
    if (!value.is_array() || value.empty()) {
      Fail(path, fmt::format("expected a non-empty list like [python3, my_source.py], got {}", YamlType(value)));
      return;
    }
    Json words = Json::array();
    for (size_t i = 0; i < value.size(); ++i) {
      const Json& word = value[i];
      if (word.is_string()) {
        words.push_back(word);
      } else if (word.is_number() || word.is_boolean()) {  // [prog, --port, 8080]
        words.push_back(word.dump());
      } else {
        Fail(JsonPathIndex(path, i), fmt::format("expected a string, got {}", YamlType(word)));
        return;
      }
    }
    SubstituteInto(words, path, doc_, errors_);
    for (const auto& w : words) out.push_back(w.get<std::string>());
  }

  void ParseSchedule(const Json& value, PipelineSchedule& out) {
    const std::string path = "$.schedule";
    if (!ExpectMapping(value, path, "{cron: \"0 2 * * *\"}, {every: 24h} or {manual: true}")) return;
    CheckKeys(value, path, kScheduleKeys);
    const int kinds =
        (Find(value, "cron") != nullptr) + (Find(value, "every") != nullptr) + (Find(value, "manual") != nullptr);
    if (kinds != 1) {
      Fail(path, "give exactly one of cron: \"0 2 * * *\", every: 24h, manual: true");
      return;
    }
    if (auto cron = GetString(value, "cron", path)) {
      std::istringstream fields(*cron);
      std::string field;
      int n = 0;
      while (fields >> field) ++n;
      if (n < 5 || n > 7) {
        Fail(path + ".cron", fmt::format("'{}' has {} field(s); a cron expression has 5 (minute hour day month "
                                         "weekday)",
                                         *cron, n));
      }
      out.kind = PipelineSchedule::Kind::kCron;
      out.cron = *cron;
    }
    if (auto tz = GetString(value, "timezone", path)) {
      if (out.kind != PipelineSchedule::Kind::kCron) Fail(path + ".timezone", "only applies to a cron schedule");
      out.timezone = *tz;
    }
    if (const Json* every = Find(value, "every")) {
      std::optional<int64_t> seconds;
      if (every->is_string()) seconds = ParseDuration(every->get<std::string>());
      if (!seconds) {
        Fail(path + ".every",
             fmt::format("expected a duration like 24h, 30m, 90s, 1d or 1h30m, got {}",
                         every->is_string() ? "'" + every->get<std::string>() + "'" : std::string(YamlType(*every))));
      } else {
        out.kind = PipelineSchedule::Kind::kEvery;
        out.every_seconds = *seconds;
      }
    }
    if (const Json* manual = Find(value, "manual")) {
      if (!manual->is_boolean() || !manual->get<bool>()) {
        Fail(path + ".manual", "only 'manual: true' is meaningful; use cron or every for a schedule");
      }
      out.kind = PipelineSchedule::Kind::kManual;
    }
  }

  void ParseNamespace(const Json& value, Pipeline& p) {
    const std::string path = "$.namespace";
    if (!ExpectMapping(value, path, "{definition: source|destination|custom, format: \"prod_${SOURCE_NAMESPACE}\"}")) {
      return;
    }
    CheckKeys(value, path, kNamespaceKeys);
    if (auto definition = GetString(value, "definition", path)) {
      const std::string d = Lower(*definition);
      if (d == "source") {
        p.namespace_definition = NamespaceDefinition::kSource;
      } else if (d == "destination") {
        p.namespace_definition = NamespaceDefinition::kDestination;
      } else if (d == "custom" || d == "customformat") {
        p.namespace_definition = NamespaceDefinition::kCustom;
      } else {
        Fail(path + ".definition", fmt::format("must be one of source, destination, custom, got '{}'", *definition));
      }
    }
    const Json* format = Find(value, "format");
    if (p.namespace_definition == NamespaceDefinition::kCustom) {
      if (format == nullptr) {
        Fail(path, "definition: custom needs a format, e.g. format: \"production_${SOURCE_NAMESPACE}\"");
      } else if (!format->is_string()) {
        Fail(path + ".format", fmt::format("expected a string, got {}", YamlType(*format)));
      } else {
        p.namespace_format = format->get<std::string>();
      }
    } else if (format != nullptr) {
      Fail(path + ".format", "is only used with definition: custom");
    }
  }

  void ParseStreams(const Json& value, Pipeline& p) {
    const std::string path = "$.streams";
    if (!value.is_array()) {
      Fail(path,
           fmt::format("expected a list of streams like - {{name: users, mode: \"Incremental | Append\"}}, got {}",
                       YamlType(value)));
      return;
    }
    std::vector<PipelineStream> streams;
    std::set<std::pair<std::string, std::optional<std::string>>> seen;
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string item_path = JsonPathIndex(path, i);
      PipelineStream s;
      s.location = doc_.LocationOf(item_path);
      if (!ParseStream(value[i], item_path, s)) continue;
      if (!seen.emplace(s.name, s.namespace_).second) {
        Fail(item_path, fmt::format("stream '{}' is listed twice", StreamDescriptor{s.name, s.namespace_}.ToString()));
      }
      streams.push_back(std::move(s));
    }
    p.streams = std::move(streams);
  }

  bool ParseStream(const Json& item, const std::string& path, PipelineStream& s) {
    if (item.is_string() && !item.get<std::string>().empty()) {  // `- users`
      s.name = item.get<std::string>();
      return true;
    }
    if (!ExpectMapping(item, path, "{name: users, mode: \"Full Refresh | Overwrite\"}")) return false;
    CheckKeys(item, path, kStreamKeys);
    auto name = GetString(item, "name", path);
    if (!name) {
      if (Find(item, "name") == nullptr) Fail(path, "missing required key 'name'");
      return false;
    }
    s.name = *name;
    if (const Json* ns = Find(item, "namespace")) {
      if (ns->is_string()) {
        s.namespace_ = ns->get<std::string>();
      } else {
        Fail(path + ".namespace", fmt::format("expected a string, got {}", YamlType(*ns)));
      }
    }
    if (const Json* selected = Find(item, "selected")) {
      if (selected->is_boolean()) {
        s.selected = selected->get<bool>();
      } else {
        Fail(path + ".selected", fmt::format("expected true or false, got {}", YamlType(*selected)));
      }
    }
    const Json* mode = Find(item, "mode");
    const Json* sync_mode = Find(item, "sync_mode");
    const Json* dest_mode = Find(item, "destination_sync_mode");
    if (mode != nullptr && (sync_mode != nullptr || dest_mode != nullptr)) {
      Fail(path, "give either 'mode' or 'sync_mode' + 'destination_sync_mode', not both");
    } else if (mode != nullptr) {
      SyncMode sm;
      DestinationSyncMode dm;
      if (mode->is_string() && ParseMode(mode->get<std::string>(), sm, dm)) {
        s.sync_mode = sm;
        s.destination_sync_mode = dm;
      } else {
        Fail(path + ".mode",
             fmt::format("unknown mode {} (expected one of: {})",
                         mode->is_string() ? "'" + mode->get<std::string>() + "'" : std::string(YamlType(*mode)),
                         kModeSpellings));
      }
    }
    if (sync_mode != nullptr) {
      SyncMode sm;
      if (sync_mode->is_string() && ParseSyncMode(Lower(sync_mode->get<std::string>()), sm)) {
        s.sync_mode = sm;
      } else {
        Fail(path + ".sync_mode", fmt::format("must be full_refresh or incremental, got {}", Shown(*sync_mode)));
      }
    }
    if (dest_mode != nullptr) {
      DestinationSyncMode dm;
      if (dest_mode->is_string() && ParseDestinationSyncMode(Lower(dest_mode->get<std::string>()), dm)) {
        s.destination_sync_mode = dm;
      } else {
        Fail(path + ".destination_sync_mode",
             fmt::format("must be one of append, overwrite, append_dedup, update, soft_delete, got {}",
                         Shown(*dest_mode)));
      }
    }
    if (const Json* cursor = Find(item, "cursor_field")) ParseCursor(*cursor, path + ".cursor_field", s);
    if (const Json* key = Find(item, "primary_key")) ParsePrimaryKey(*key, path + ".primary_key", s);
    return true;
  }

  static std::string Shown(const Json& v) {
    return v.is_string() ? "'" + v.get<std::string>() + "'" : std::string(YamlType(v));
  }

  // cursor_field: "updated_at", "meta.updated_at" (nested) or [meta, updated_at].
  void ParseCursor(const Json& value, const std::string& path, PipelineStream& s) {
    if (value.is_string()) {
      if (auto p = SplitDotted(value.get<std::string>())) {
        s.cursor_field = std::move(*p);
        return;
      }
    } else if (value.is_array() && !value.empty() && std::all_of(value.begin(), value.end(), [](const Json& v) {
                 return v.is_string() && !v.get<std::string>().empty();
               })) {
      s.cursor_field = value.get<FieldPath>();
      return;
    }
    Fail(path, fmt::format("expected a field name (\"updated_at\", \"meta.updated_at\") or a path ([meta, "
                           "updated_at]), got {}",
                           Shown(value)));
  }

  // primary_key: "id", "meta.id" (nested), [a, b] (composite), or [[a], [meta, id]] (paths).
  void ParsePrimaryKey(const Json& value, const std::string& path, PipelineStream& s) {
    std::vector<FieldPath> key;
    auto bad = [&] {
      Fail(path, fmt::format("expected a column (\"id\"), columns ([tenant_id, id]) or paths ([[tenant_id], "
                             "[meta, id]]), got {}",
                             Shown(value)));
    };
    if (value.is_string()) {
      auto p = SplitDotted(value.get<std::string>());
      if (!p) return bad();
      key.push_back(std::move(*p));
    } else if (value.is_array()) {
      for (const auto& part : value) {
        if (part.is_string()) {
          auto p = SplitDotted(part.get<std::string>());
          if (!p) return bad();
          key.push_back(std::move(*p));
        } else if (part.is_array() && !part.empty() && std::all_of(part.begin(), part.end(), [](const Json& v) {
                     return v.is_string() && !v.get<std::string>().empty();
                   })) {
          key.push_back(part.get<FieldPath>());
        } else {
          return bad();
        }
      }
    } else {
      return bad();
    }
    s.primary_key = std::move(key);
  }

  std::string DefaultStateFile() const {
    const fs::path file(file_name_);
    return (file.parent_path() / ".sluice-state" / (file.stem().string() + ".state.json")).string();
  }

  void ParseState(const Json& value, Pipeline& p) {
    const std::string path = "$.state";
    if (!ExpectMapping(value, path, "{file: ./state/pipeline.json}")) return;
    CheckKeys(value, path, kStateKeys);
    if (auto file = GetString(value, "file", path)) {
      const fs::path f(*file);
      p.state_file =
          f.is_absolute() ? f.string() : (fs::path(file_name_).parent_path() / f).lexically_normal().string();
    }
  }

  const YamlDocument& doc_;
  const std::string& file_name_;
  std::vector<std::string> errors_;
};

// ---- configured catalog -----------------------------------------------------------------------

bool Supports(const AirbyteStream& s, SyncMode mode) {
  if (s.supported_sync_modes.empty()) return mode == SyncMode::kFullRefresh;
  return std::find(s.supported_sync_modes.begin(), s.supported_sync_modes.end(), mode) != s.supported_sync_modes.end();
}

std::string ModesText(const AirbyteStream& s) {
  std::vector<std::string> names;
  for (auto m : s.supported_sync_modes) names.emplace_back(SyncModeName(m));
  return names.empty() ? "full_refresh" : Join(names);
}

std::string DestModesText(const ConnectorSpec& spec) {
  std::vector<std::string> names;
  for (auto m : spec.supported_destination_sync_modes) names.emplace_back(DestinationSyncModeName(m));
  return Join(names);
}

//! The top-level field names of a stream's schema, for messages.
std::string FieldNames(const AirbyteStream& s) {
  std::vector<std::string> names;
  auto props = s.json_schema.find("properties");
  if (props != s.json_schema.end() && props->is_object()) {
    for (const auto& [name, unused] : props->items()) names.push_back(name);
  }
  return Join(names);
}

//! False only when the schema lists properties and `path` is not among them (schemas without
//! `properties` at some level accept anything below it).
bool HasField(const Json& schema, const FieldPath& path) {
  const Json* node = &schema;
  for (const auto& part : path) {
    if (!node->is_object()) return true;
    auto props = node->find("properties");
    if (props == node->end() || !props->is_object()) return true;
    auto it = props->find(part);
    if (it == props->end()) return false;
    node = &*it;
  }
  return true;
}

std::string StreamList(const Catalog& catalog) {
  std::vector<std::string> names;
  for (const auto& s : catalog.streams) names.push_back(s.descriptor().ToString());
  return names.empty() ? "none" : Join(names);
}

class CatalogBuilder {
 public:
  CatalogBuilder(const Pipeline& p, const Catalog& discovered, const ConnectorSpec& dest)
      : pipeline_(p), discovered_(discovered), dest_(dest) {}

  Result<ConfiguredCatalog> Build() {
    ConfiguredCatalog out;
    if (!pipeline_.streams) {
      for (const auto& stream : discovered_.streams) {
        PipelineStream defaults;
        defaults.name = stream.name;
        defaults.location = pipeline_.file_name;
        Configure(defaults, stream, out);
      }
    } else {
      std::set<size_t> used;
      for (const auto& ps : *pipeline_.streams) {
        if (!ps.selected) continue;
        const AirbyteStream* stream = Match(ps);
        if (stream == nullptr) continue;
        if (!used.insert(static_cast<size_t>(stream - discovered_.streams.data())).second) {
          Fail(ps, fmt::format("stream '{}' is selected twice", stream->descriptor().ToString()));
          continue;
        }
        Configure(ps, *stream, out);
      }
    }
    if (errors_.empty() && out.streams.empty()) {
      Fail(pipeline_.file_name, fmt::format("no stream selected (the source has: {})", StreamList(discovered_)));
    }
    if (!errors_.empty()) return Status::ConfigError(Join(errors_, "\n"));
    SLUICE_RETURN_IF_ERROR(out.Bind());
    return out;
  }

 private:
  void Fail(const std::string& location, std::string_view message) {
    errors_.push_back(fmt::format("{}: {}", location, message));
  }
  void Fail(const PipelineStream& ps, std::string_view message) { Fail(ps.location, message); }

  const AirbyteStream* Match(const PipelineStream& ps) {
    std::vector<const AirbyteStream*> found;
    std::vector<std::string> names;
    for (const auto& s : discovered_.streams) {
      names.push_back(s.name);
      if (s.name == ps.name && (!ps.namespace_ || s.namespace_ == ps.namespace_)) found.push_back(&s);
    }
    if (found.size() == 1) return found[0];
    const std::string wanted = StreamDescriptor{ps.name, ps.namespace_}.ToString();
    std::vector<std::string> other_namespaces;
    for (const auto& s : discovered_.streams) {
      if (s.name == ps.name) other_namespaces.push_back(s.namespace_.value_or("(none)"));
    }
    if (found.empty() && !other_namespaces.empty()) {
      Fail(ps, fmt::format("stream '{}' is not in the source's catalog; '{}' is in namespace {}", wanted, ps.name,
                           Join(other_namespaces)));
    } else if (found.empty()) {
      Fail(ps, fmt::format("stream '{}' is not in the source's catalog (streams: {}){}", wanted,
                           StreamList(discovered_), Suggestion(ps.name, names)));
    } else {
      std::vector<std::string> namespaces;
      for (const auto* s : found) namespaces.push_back(s->namespace_.value_or("(none)"));
      Fail(ps, fmt::format("stream '{}' exists in several namespaces ({}); add namespace: to choose", wanted,
                           Join(namespaces)));
    }
    return nullptr;
  }

  void Configure(const PipelineStream& ps, const AirbyteStream& stream, ConfiguredCatalog& out) {
    const std::string name = stream.descriptor().ToString();
    const bool source_cursor = stream.source_defined_cursor.value_or(false);
    const bool has_default_cursor = source_cursor || !stream.default_cursor_field.empty();
    const size_t errors_before = errors_.size();

    ConfiguredStream cs;
    cs.stream = stream;
    if (ps.sync_mode) {
      cs.sync_mode = *ps.sync_mode;
    } else if ((Supports(stream, SyncMode::kIncremental) && has_default_cursor) ||
               !Supports(stream, SyncMode::kFullRefresh)) {
      cs.sync_mode = SyncMode::kIncremental;
    } else {
      cs.sync_mode = SyncMode::kFullRefresh;
    }
    if (!Supports(stream, cs.sync_mode)) {
      Fail(ps, fmt::format("stream '{}' does not support {} sync (it supports: {})", name, SyncModeName(cs.sync_mode),
                           ModesText(stream)));
    }

    if (ps.destination_sync_mode) {
      cs.destination_sync_mode = *ps.destination_sync_mode;
    } else if (cs.sync_mode == SyncMode::kFullRefresh && dest_.Supports(DestinationSyncMode::kOverwrite)) {
      cs.destination_sync_mode = DestinationSyncMode::kOverwrite;
    } else {
      cs.destination_sync_mode = DestinationSyncMode::kAppend;
    }
    // A destination that declares no modes is not second-guessed.
    if (!dest_.supported_destination_sync_modes.empty() && !dest_.Supports(cs.destination_sync_mode)) {
      Fail(ps, fmt::format("stream '{}': the destination does not support {} (it supports: {})", name,
                           DestinationSyncModeName(cs.destination_sync_mode), DestModesText(dest_)));
    }

    if (source_cursor && ps.cursor_field && !stream.default_cursor_field.empty() &&
        *ps.cursor_field != stream.default_cursor_field) {
      Fail(ps, fmt::format("stream '{}' has a source-defined cursor ({}); remove cursor_field", name,
                           PathText(stream.default_cursor_field)));
    }
    cs.cursor_field = ps.cursor_field && !source_cursor ? *ps.cursor_field : stream.default_cursor_field;
    if (ps.cursor_field && !HasField(stream.json_schema, *ps.cursor_field)) {
      Fail(ps, fmt::format("cursor field '{}' is not a field of stream '{}' (fields: {})", PathText(*ps.cursor_field),
                           name, FieldNames(stream)));
    }
    if (cs.sync_mode == SyncMode::kIncremental && cs.cursor_field.empty() && !source_cursor) {
      Fail(ps, fmt::format("stream '{}' is incremental but has no cursor: set cursor_field (fields: {})", name,
                           FieldNames(stream)));
    }

    cs.primary_key = ps.primary_key ? *ps.primary_key : stream.source_defined_primary_key;
    if (ps.primary_key) {
      for (const auto& column : *ps.primary_key) {
        if (!HasField(stream.json_schema, column)) {
          Fail(ps, fmt::format("primary key field '{}' is not a field of stream '{}' (fields: {})", PathText(column),
                               name, FieldNames(stream)));
        }
      }
    }
    if (cs.destination_sync_mode == DestinationSyncMode::kAppendDedup && cs.primary_key.empty()) {
      Fail(ps, fmt::format("stream '{}' is deduped (append_dedup) but has no primary key: set primary_key", name));
    }
    if (errors_.size() == errors_before) out.streams.push_back(std::move(cs));
  }

  const Pipeline& pipeline_;
  const Catalog& discovered_;
  const ConnectorSpec& dest_;
  std::vector<std::string> errors_;
};

}  // namespace

std::string Pipeline::ConfigLocation(std::string_view side, std::string_view config_path) const {
  std::string path = JsonPathKey(JsonPathKey("$", side), "config");
  if (config_path.size() > 1 && config_path[0] == '$') path += config_path.substr(1);
  return document.LocationOf(path);
}

Result<Json> SubstituteEnv(const Json& value, std::string_view path, const YamlDocument& doc) {
  Json out = value;
  std::vector<std::string> errors;
  SubstituteInto(out, std::string(path), doc, errors);
  if (!errors.empty()) return Status::ConfigError(Join(errors, "\n"));
  return out;
}

Result<Pipeline> ParsePipeline(std::string_view yaml_text, const std::string& file_name) {
  SLUICE_ASSIGN_OR_RETURN(YamlDocument doc, ParseYaml(yaml_text, file_name));
  return PipelineParser(doc, file_name).Parse();
}

Result<Pipeline> LoadPipeline(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::ConfigError(fmt::format("cannot read pipeline file '{}': {}", path, std::strerror(errno)));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad())
    return Status::ConfigError(fmt::format("cannot read pipeline file '{}': {}", path, std::strerror(errno)));
  return ParsePipeline(text.str(), path);
}

Result<ConfiguredCatalog> BuildConfiguredCatalog(const Pipeline& pipeline, const Catalog& discovered,
                                                 const ConnectorSpec& destination_spec) {
  return CatalogBuilder(pipeline, discovered, destination_spec).Build();
}

ConfiguredCatalog MapToDestination(const ConfiguredCatalog& source_catalog, const Pipeline& pipeline) {
  ConfiguredCatalog out = source_catalog;
  for (auto& s : out.streams) {
    switch (pipeline.namespace_definition) {
      case NamespaceDefinition::kSource:
        break;
      case NamespaceDefinition::kDestination:
        s.stream.namespace_.reset();
        break;
      case NamespaceDefinition::kCustom: {
        static constexpr std::string_view kPlaceholder = "${SOURCE_NAMESPACE}";
        std::string ns = pipeline.namespace_format;
        const std::string source_ns = s.stream.namespace_.value_or("");
        for (size_t at = ns.find(kPlaceholder); at != std::string::npos;
             at = ns.find(kPlaceholder, at + source_ns.size())) {
          ns.replace(at, kPlaceholder.size(), source_ns);
        }
        s.stream.namespace_ = ns.empty() ? std::nullopt : std::optional<std::string>(ns);
        break;
      }
    }
    s.stream.name = pipeline.prefix + s.stream.name;
  }
  return out;
}

}  // namespace sluice
