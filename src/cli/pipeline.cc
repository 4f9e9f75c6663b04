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

#include "base/text.h"
#include "connectors/sdk/registry.h"
#include "connectors/kit/path_template.h"
#include "protocol/config_validator.h"

namespace sluice {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTopKeys[] = {"name",      "source", "destination", "schedule",      "namespace",
                                         "prefix",    "streams", "state",      "resources",     "normalization",
                                         "transform"};
constexpr std::string_view kConnectorKeys[] = {"connector", "command", "config", "manifest"};
constexpr std::string_view kScheduleKeys[] = {"cron", "timezone", "every", "manual"};
constexpr std::string_view kNamespaceKeys[] = {"definition", "format"};
constexpr std::string_view kStreamKeys[] = {
    "name", "namespace", "mode", "sync_mode", "destination_sync_mode", "cursor_field", "primary_key", "selected"};
constexpr std::string_view kStateKeys[] = {"file"};

constexpr std::string_view kModeSpellings =
    "Full Refresh | Overwrite, Full Refresh | Append, Incremental | Append, Incremental | Append + Deduped";

template <size_t N>
std::string Join(const std::string_view (&items)[N]) {
  std::string out;
  for (auto item : items) out += (out.empty() ? "" : ", ") + std::string(item);
  return out;
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

// The destinations' path placeholders (one list, in the kit) are never environment variables.
bool IsReserved(std::string_view name) {
  const auto& names = PathTemplateVariables();
  return std::find(names.begin(), names.end(), name) != names.end();
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
    p.origin = file_name_;
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
      } else if (key == "normalization") {
        const std::string mode = value.is_string() ? value.get<std::string>() : std::string();
        if (mode == "basic") {
          p.normalization = Normalization::kBasic;
        } else if (mode == "none") {
          p.normalization = Normalization::kNone;
        } else {
          Fail("$.normalization", fmt::format("expected basic or none, got {}", value.dump()));
        }
      } else if (key == "transform") {
        if (value.is_string() && !value.get<std::string>().empty()) {
          const fs::path dir(value.get<std::string>());
          p.transform_dir = dir.is_absolute() ? dir.string()
                                              : (fs::path(file_name_).parent_path() / dir).lexically_normal().string();
        } else {
          Fail("$.transform", fmt::format("expected a dbt-style project folder, got {}", YamlType(value)));
        }
      }
    }

    if (!errors_.empty()) return Status::ConfigError(JoinText(errors_, "\n"));
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
                                  key_path, Join(allowed), DidYouMean(key, {std::begin(allowed), std::end(allowed)})));
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
    const Json* manifest = Find(*value, "manifest");
    if (has_connector && command != nullptr) {
      Fail(path, "give either 'connector' (a built-in connector) or 'command' (an external one), not both");
    } else if (manifest != nullptr && command != nullptr) {
      Fail(path, "give either 'manifest' (a declarative manifest) or 'command' (an external connector), not both");
    } else if (!has_connector && command == nullptr && manifest == nullptr) {
      Fail(path, "missing 'connector' (a built-in connector name), 'manifest' (an Airbyte declarative manifest file) "
                 "or 'command' (an external connector's command line)");
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
    if (manifest != nullptr) LoadManifest(*manifest, JsonPathKey(path, "manifest"), out);
  }

  //! `manifest: path/to/manifest.yaml` (relative to the pipeline file): the built-in
  //! source-declarative-manifest with the parsed manifest injected into its config, as Airbyte
  //! configures it, and the manifest's directory for its schema files.
  void LoadManifest(const Json& value, const std::string& path, PipelineConnector& out) {
    if (!value.is_string() || value.get<std::string>().empty()) {
      Fail(path, fmt::format("expected the path of a manifest file, got {}", YamlType(value)));
      return;
    }
    if (!out.connector.empty() && out.connector != "source-declarative-manifest" && out.connector != "declarative-manifest") {
      Fail(path, fmt::format("'manifest' goes with the connector source-declarative-manifest, not '{}'", out.connector));
      return;
    }
    const fs::path f(value.get<std::string>());
    const fs::path file = f.is_absolute() ? f : (fs::path(file_name_).parent_path() / f).lexically_normal();
    // `manifest: stripe` — a name, not a file: the manifest shipped in the binary, whose built-in
    // is source-stripe (its config is the manifest's values only).
    const std::string name = value.get<std::string>();
    if (name.find('/') == std::string::npos && !f.has_extension() && !fs::exists(file)) {
      if (Registry::Builtins().Find("source-" + name, ConnectorKind::kSource).ok()) {
        out.connector = "source-" + name;
        return;
      }
    }
    out.connector = "source-declarative-manifest";
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      Fail(path, fmt::format("cannot read the manifest file '{}': {}", file.string(), std::strerror(errno)));
      return;
    }
    std::stringstream text;
    text << in.rdbuf();
    Result<Json> manifest = YamlToJson(text.str(), file.string());
    if (!manifest.ok()) {
      Fail(path, manifest.status().message());
      return;
    }
    if (out.config.contains("__injected_declarative_manifest")) {
      Fail(path, "the config already has __injected_declarative_manifest: give the manifest one way");
      return;
    }
    out.config["__injected_declarative_manifest"] = std::move(*manifest);
    out.config["__injected_manifest_directory"] = file.parent_path().string();
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
    std::vector<StreamSelection> streams;
    std::set<std::pair<std::string, std::optional<std::string>>> seen;
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string item_path = JsonPathIndex(path, i);
      StreamSelection s;
      s.location = doc_.LocationOf(item_path);
      if (!ParseStream(value[i], item_path, s)) continue;
      if (!seen.emplace(s.name, s.namespace_).second) {
        Fail(item_path, fmt::format("stream '{}' is listed twice", StreamDescriptor{s.name, s.namespace_}.ToString()));
      }
      streams.push_back(std::move(s));
    }
    p.streams = std::move(streams);
  }

  bool ParseStream(const Json& item, const std::string& path, StreamSelection& s) {
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
  void ParseCursor(const Json& value, const std::string& path, StreamSelection& s) {
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
  void ParsePrimaryKey(const Json& value, const std::string& path, StreamSelection& s) {
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
  if (!errors.empty()) return Status::ConfigError(JoinText(errors, "\n"));
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


}  // namespace sluice
