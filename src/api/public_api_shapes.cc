#include "api/public_api_shapes.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <set>

#include "api/request_fields.h"
#include "base/time.h"

namespace sluice {

namespace {

[[noreturn]] void Bad(const std::string& field, const std::string& message) {
  ThrowApiError(400, fmt::format("{}: {}", field, message), {{field, message}});
}

// A field path that starts with `prefix` as a whole segment: "a", "a.b", "a[0]".
bool StartsWithSegment(std::string_view path, std::string_view prefix) {
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// `text` with every whole-word occurrence of `from` replaced by `to`.
std::string ReplaceWord(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    const bool start_ok = at == 0 || !IsWordChar(text[at - 1]);
    const size_t end = at + from.size();
    const bool end_ok = end == text.size() || !IsWordChar(text[end]);
    if (start_ok && end_ok) {
      text.replace(at, from.size(), to);
      at += to.size();
    } else {
      at = end;
    }
  }
  return text;
}

std::string PercentEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~' || c == ',') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::optional<int64_t> IntParameter(const Json& query, std::string_view name) {
  const Json* v = FindField(query, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_integer() || v->is_number_unsigned()) return v->get<int64_t>();
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) return n;
  }
  Bad(std::string(name), "must be an integer");
}

std::string Text(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t Int(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<int64_t>() : 0;
}

// The public API's sync modes, in Airbyte's order, with the Config API's pairs.
struct ModeRow {
  std::string_view name;
  std::string_view sync_mode;
  std::string_view destination_sync_mode;
};
constexpr std::array<ModeRow, 5> kModes = {{
    {"full_refresh_overwrite", "full_refresh", "overwrite"},
    {"full_refresh_overwrite_deduped", "full_refresh", "overwrite_dedup"},
    {"full_refresh_append", "full_refresh", "append"},
    {"incremental_append", "incremental", "append"},
    {"incremental_deduped_history", "incremental", "append_dedup"},
}};
constexpr const char* kModeNames =
    "full_refresh_overwrite, full_refresh_overwrite_deduped, full_refresh_append, incremental_append, "
    "incremental_deduped_history";

// Airbyte's notification events and the Config API's settings keys.
constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kNotificationEvents = {{
    {"failure", "sendOnFailure"},
    {"success", "sendOnSuccess"},
    {"connectionUpdate", "sendOnConnectionUpdate"},
    {"connectionUpdateActionRequired", "sendOnConnectionUpdateActionRequired"},
    {"syncDisabled", "sendOnConnectionDisabled"},
}};

// A string list (cursorField) or a list of string lists (primaryKey), checked.
Json StringPaths(const Json& value, const std::string& field, bool nested) {
  if (!value.is_array()) Bad(field, nested ? "must be an array of arrays of strings" : "must be an array of strings");
  for (size_t i = 0; i < value.size(); ++i) {
    const Json& item = value[i];
    const std::string at = fmt::format("{}[{}]", field, i);
    if (!nested) {
      if (!item.is_string()) Bad(at, "must be a string");
      continue;
    }
    StringPaths(item, at, false);
  }
  return value;
}

}  // namespace

Json ProblemJson(const ApiError& error) {
  const int status = error.status == 422 ? 400 : error.status;
  std::string title;
  std::string anchor;
  switch (status) {
    case 400: title = "bad-request"; anchor = "#bad-request"; break;
    case 401: title = "invalid-api-key"; anchor = "#invalid-api-key"; break;
    case 403: title = "forbidden"; anchor = "#forbidden"; break;
    case 404: title = "resource-not-found"; anchor = "#resource-not-found"; break;
    case 405: title = "method-not-allowed"; break;
    case 409: title = "state-conflict"; anchor = "#409-state-conflict"; break;
    case 413: title = "payload-too-large"; break;
    case 429: title = "rate-limited"; break;
    case 503: title = "service-unavailable"; break;
    default: title = status < 500 ? "bad-request" : "unexpected-problem";
  }
  Json details = Json::array();
  for (const auto& d : error.details) details.push_back({{"field", d.field}, {"message", d.message}});
  return {{"type", "https://reference.airbyte.com/reference/errors" + anchor},
          {"title", title},
          {"status", status},
          {"detail", error.message},
          {"data", {{"message", error.message}, {"details", std::move(details)}}}};
}

void RenameFields(ApiError& error, const std::vector<std::pair<std::string, std::string>>& renames) {
  for (const auto& [from, to] : renames) {
    for (auto& d : error.details) {
      if (StartsWithSegment(d.field, from)) d.field = to + d.field.substr(from.size());
      d.message = ReplaceWord(std::move(d.message), from, to);
    }
    error.message = ReplaceWord(std::move(error.message), from, to);
  }
}

Page ReadPage(const Json& query) {
  Page page;
  if (auto limit = IntParameter(query, "limit")) {
    if (*limit < 1 || *limit > 100) Bad("limit", "must be from 1 to 100");
    page.limit = *limit;
  }
  if (auto offset = IntParameter(query, "offset")) {
    if (*offset < 0) Bad("offset", "must not be negative");
    page.offset = *offset;
  }
  return page;
}

Json PagedAnswer(Json items, const Page& page, int64_t total, std::string_view path, const Json& query,
                 bool items_are_page) {
  Json data = Json::array();
  if (items_are_page) {
    data = std::move(items);
  } else {
    for (int64_t i = page.offset; i < page.offset + page.limit && i < static_cast<int64_t>(items.size()); ++i) {
      data.push_back(std::move(items[static_cast<size_t>(i)]));
    }
  }
  auto link = [&](int64_t offset) {
    std::string url = fmt::format("{}?limit={}&offset={}", path, page.limit, offset);
    for (const auto& [key, value] : query.items()) {
      if (key == "limit" || key == "offset" || value.is_null()) continue;
      std::string text;
      if (value.is_string()) {
        text = value.get<std::string>();
      } else if (value.is_array()) {
        for (const auto& v : value) text += (text.empty() ? "" : ",") + (v.is_string() ? v.get<std::string>() : v.dump());
      } else {
        text = value.dump();
      }
      url += fmt::format("&{}={}", PercentEncode(key), PercentEncode(text));
    }
    return url;
  };
  Json out = {{"data", std::move(data)}};
  if (page.offset + page.limit < total) out["next"] = link(page.offset + page.limit);
  if (page.offset > 0) out["previous"] = link(std::max<int64_t>(0, page.offset - page.limit));
  return out;
}

std::optional<bool> BoolParameter(const Json& query, std::string_view name) {
  const Json* v = FindField(query, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) {
    if (*v == "true") return true;
    if (*v == "false") return false;
  }
  Bad(std::string(name), "must be true or false");
}

std::optional<std::pair<std::string, std::string>> SyncModeFromPublic(std::string_view mode) {
  for (const auto& row : kModes) {
    if (row.name == mode) return std::pair{std::string(row.sync_mode), std::string(row.destination_sync_mode)};
  }
  return std::nullopt;
}

std::optional<std::string> SyncModeToPublic(std::string_view sync_mode, std::string_view destination_sync_mode) {
  for (const auto& row : kModes) {
    if (row.sync_mode == sync_mode && row.destination_sync_mode == destination_sync_mode) return std::string(row.name);
  }
  return std::nullopt;
}

std::vector<std::string> PublicSyncModes(const std::vector<std::string>& source_modes,
                                         const std::vector<std::string>& destination_modes) {
  std::vector<std::string> out;
  auto has = [](const std::vector<std::string>& list, std::string_view v) {
    for (const auto& x : list) {
      if (x == v) return true;
    }
    return false;
  };
  for (const auto& row : kModes) {
    if (!has(source_modes, row.sync_mode)) continue;
    if (!destination_modes.empty() && !has(destination_modes, row.destination_sync_mode)) continue;
    out.emplace_back(row.name);
  }
  return out;
}

std::string NamespaceDefinitionToConfig(std::string_view value, std::string_view field) {
  if (value == "source" || value == "destination") return std::string(value);
  if (value == "custom_format" || value == "customformat") return "customformat";
  Bad(std::string(field), "must be one of source, destination, custom_format");
}

std::string NamespaceDefinitionToPublic(std::string_view value) {
  return value == "customformat" ? "custom_format" : std::string(value);
}

std::string NonBreakingToConfig(std::string_view value, std::string_view field) {
  if (value == "ignore" || value == "propagate_columns" || value == "propagate_fully") return std::string(value);
  if (value == "disable_connection" || value == "disable") return "disable";
  Bad(std::string(field), "must be one of ignore, disable_connection, propagate_columns, propagate_fully");
}

std::string NonBreakingToPublic(std::string_view value) {
  return value == "disable" ? "disable_connection" : std::string(value);
}

std::string JobTypeToPublic(std::string_view config_type) {
  return config_type == "reset_connection" ? "reset" : std::string(config_type);
}

std::optional<std::string> JobTypeToConfig(std::string_view job_type) {
  if (job_type == "sync" || job_type == "refresh" || job_type == "clear") return std::string(job_type);
  if (job_type == "reset") return "reset_connection";
  return std::nullopt;
}

Json ScheduleToConfig(const Json& schedule) {
  if (!schedule.is_object()) Bad("schedule", "must be an object {scheduleType, cronExpression}");
  const Json* type = FindField(schedule, "scheduleType");
  if (type == nullptr) Bad("schedule.scheduleType", "is required (manual or cron)");
  if (!type->is_string()) Bad("schedule.scheduleType", "must be a string");
  const std::string t = type->get<std::string>();
  if (t == "manual" || t == "continuous") return {{"scheduleType", t}};
  if (t == "cron") {
    const Json* cron = FindField(schedule, "cronExpression");
    if (cron == nullptr || !cron->is_string() || cron->get_ref<const std::string&>().empty()) {
      Bad("schedule.cronExpression", "is required when scheduleType is cron (e.g. \"0 0 2 * * ?\")");
    }
    return {{"scheduleType", "cron"},
            {"scheduleData", {{"cron", {{"cronExpression", *cron}, {"cronTimeZone", "UTC"}}}}}};
  }
  if (t == "basic") {
    // "Every 6 hours", as Airbyte's answers write basicTiming.
    const Json* timing = FindField(schedule, "basicTiming");
    const std::string m = "is required when scheduleType is basic, as \"Every <n> <minutes|hours|days|weeks|months>\"";
    if (timing == nullptr || !timing->is_string()) Bad("schedule.basicTiming", m);
    const std::string& text = timing->get_ref<const std::string&>();
    int64_t units = 0;
    char unit[16] = {};
    if (std::sscanf(text.c_str(), "Every %ld %15s", &units, unit) != 2 || units <= 0) Bad("schedule.basicTiming", m);
    std::string time_unit = unit;
    if (!time_unit.ends_with("s")) time_unit += "s";
    return {{"scheduleType", "basic"}, {"scheduleData", {{"basicSchedule", {{"units", units}, {"timeUnit", time_unit}}}}}};
  }
  Bad("schedule.scheduleType", fmt::format("must be manual or cron, got '{}'", t));
}

Json ScheduleToPublic(const Json& config_connection) {
  const std::string type = Text(config_connection, "scheduleType");
  Json out = {{"scheduleType", type.empty() ? "manual" : type}};
  const Json data = config_connection.value("scheduleData", Json());
  if (type == "cron" && data.is_object() && data.contains("cron")) {
    out["cronExpression"] = data["cron"].value("cronExpression", "");
  } else if (type == "basic" && data.is_object() && data.contains("basicSchedule")) {
    const Json& b = data["basicSchedule"];
    out["basicTiming"] = fmt::format("Every {} {}", Int(b, "units"), Text(b, "timeUnit"));
  }
  return out;
}

Json StreamConfigurationsFromCatalog(const Json& sync_catalog) {
  Json streams = Json::array();
  if (sync_catalog.is_object() && sync_catalog.contains("streams") && sync_catalog["streams"].is_array()) {
    for (const auto& entry : sync_catalog["streams"]) {
      const Json stream = entry.value("stream", Json::object());
      const Json config = entry.value("config", Json::object());
      if (!config.value("selected", true)) continue;
      Json s = {{"name", Text(stream, "name")}};
      if (stream.contains("namespace") && stream["namespace"].is_string()) s["namespace"] = stream["namespace"];
      if (auto mode = SyncModeToPublic(Text(config, "syncMode"), Text(config, "destinationSyncMode"))) {
        s["syncMode"] = *mode;
      }
      s["cursorField"] = config.value("cursorField", Json::array());
      s["primaryKey"] = config.value("primaryKey", Json::array());
      streams.push_back(std::move(s));
    }
  }
  return {{"streams", std::move(streams)}};
}

Json ApplyStreamConfigurations(const Json& sync_catalog, const Json& configurations) {
  if (!configurations.is_object()) Bad("configurations", "must be an object {streams: [{name, syncMode}]}");
  const Json* list = FindField(configurations, "streams");
  if (list == nullptr) return sync_catalog;
  if (!list->is_array()) Bad("configurations.streams", "must be an array of {name, syncMode, …}");
  if (list->empty()) return sync_catalog;
  Json out = sync_catalog;
  Json& streams = out["streams"];
  std::vector<bool> was_selected;
  std::string known;
  for (auto& entry : streams) {
    Json& config = entry["config"];
    if (!config.is_object()) config = Json::object();
    was_selected.push_back(config.value("selected", true));
    config["selected"] = false;
    known += (known.empty() ? "" : ", ") + Text(entry["stream"], "name");
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& item = (*list)[i];
    const std::string at = fmt::format("configurations.streams[{}]", i);
    if (!item.is_object()) Bad(at, "must be an object {name, syncMode, cursorField, primaryKey}");
    const Json* name = FindField(item, "name");
    if (name == nullptr || !name->is_string()) Bad(at + ".name", "is required (a stream name)");
    std::optional<std::string> ns;
    if (const Json* n = FindField(item, "namespace")) {
      if (!n->is_string()) Bad(at + ".namespace", "must be a string");
      ns = n->get<std::string>();
    }
    if (!seen.insert({name->get<std::string>(), ns.value_or("")}).second) Bad(at + ".name", "stream listed twice");
    std::optional<std::pair<std::string, std::string>> modes;
    if (const Json* m = FindField(item, "syncMode")) {
      if (!m->is_string() || !(modes = SyncModeFromPublic(m->get<std::string>()))) {
        Bad(at + ".syncMode", fmt::format("must be one of {}", kModeNames));
      }
    }
    std::optional<Json> cursor;
    std::optional<Json> primary_key;
    if (const Json* c = FindField(item, "cursorField")) cursor = StringPaths(*c, at + ".cursorField", false);
    if (const Json* p = FindField(item, "primaryKey")) primary_key = StringPaths(*p, at + ".primaryKey", true);
    if (const Json* f = FindField(item, "selectedFields"); f != nullptr && !(f->is_array() && f->empty())) {
      Bad(at + ".selectedFields", "field selection is not supported: leave it out to sync every field");
    }
    if (const Json* f = FindField(item, "mappers"); f != nullptr && !(f->is_array() && f->empty())) {
      Bad(at + ".mappers", "mappers are not supported: leave them out");
    }
    if (auto f = FindField(item, "includeFiles"); f != nullptr && f->is_boolean() && f->get<bool>()) {
      Bad(at + ".includeFiles", "moving raw files is not supported");
    }
    bool matched = false;
    for (size_t s = 0; s < streams.size(); ++s) {
      const Json& stream = streams[s]["stream"];
      if (Text(stream, "name") != name->get_ref<const std::string&>()) continue;
      if (ns && Text(stream, "namespace") != *ns) continue;
      matched = true;
      Json& config = streams[s]["config"];
      config["selected"] = true;
      if (modes) {
        config["syncMode"] = modes->first;
        config["destinationSyncMode"] = modes->second;
      } else if (!was_selected[s]) {
        // A newly selected stream without a mode gets the default for its destination.
        config.erase("syncMode");
        config.erase("destinationSyncMode");
      }
      if (cursor) config["cursorField"] = *cursor;
      if (primary_key) config["primaryKey"] = *primary_key;
    }
    if (!matched) {
      Bad(at + ".name", fmt::format("the source has no stream '{}'{} (its streams: {})", name->get<std::string>(),
                                    ns ? " in namespace '" + *ns + "'" : "", known));
    }
  }
  return out;
}

Json ActorToPublic(bool source, const Json& a) {
  const std::string noun = source ? "source" : "destination";
  std::string type = Text(a, "connectorName");
  if (type.starts_with(noun + "-")) type.erase(0, noun.size() + 1);
  return {{noun + "Id", a.value(noun + "Id", "")},
          {"name", a.value("name", "")},
          {noun + "Type", type},
          {"definitionId", a.value(noun + "DefinitionId", "")},
          {"workspaceId", a.value("workspaceId", "")},
          {"configuration", a.value("connectionConfiguration", Json::object())},
          {"createdAt", a.value("createdAt", 0)}};
}

Json ConnectionToPublic(const Json& c) {
  Json out = {{"connectionId", c.value("connectionId", "")},
              {"name", c.value("name", "")},
              {"sourceId", c.value("sourceId", "")},
              {"destinationId", c.value("destinationId", "")},
              {"workspaceId", c.value("workspaceId", "")},
              {"status", c.value("status", "active")},
              {"schedule", ScheduleToPublic(c)},
              {"dataResidency", "auto"},
              {"nonBreakingSchemaUpdatesBehavior", NonBreakingToPublic(Text(c, "nonBreakingChangesPreference"))},
              {"namespaceDefinition", NamespaceDefinitionToPublic(Text(c, "namespaceDefinition"))},
              {"prefix", c.value("prefix", "")},
              {"configurations", StreamConfigurationsFromCatalog(c.value("syncCatalog", Json::object()))},
              {"createdAt", c.value("createdAt", 0)},
              {"tags", Json::array()}};
  if (c.contains("namespaceFormat") && c["namespaceFormat"].is_string()) out["namespaceFormat"] = c["namespaceFormat"];
  return out;
}

Json WorkspaceToPublic(const Json& w) {
  const Json settings = w.value("notificationSettings", Json::object());
  const Json url = settings.value("slackWebhookUrl", Json());
  Json notifications = Json::object();
  for (const auto& [event, key] : kNotificationEvents) {
    Json webhook = {{"enabled", settings.value(std::string(key), false)}};
    if (url.is_string()) webhook["url"] = url;
    notifications[std::string(event)] = {{"email", {{"enabled", false}}}, {"webhook", webhook}};
  }
  notifications["syncDisabledWarning"] = {{"email", {{"enabled", false}}}, {"webhook", {{"enabled", false}}}};
  return {{"workspaceId", w.value("workspaceId", "")},
          {"name", w.value("name", "")},
          {"dataResidency", "auto"},
          {"notifications", std::move(notifications)}};
}

Json NotificationsToConfig(const Json& notifications) {
  if (!notifications.is_object()) Bad("notifications", "must be an object {failure: {webhook: {enabled, url}}, …}");
  Json settings = Json::object();
  std::optional<std::string> url;
  std::string url_field;
  for (const auto& [event, value] : notifications.items()) {
    const std::string at = "notifications." + event;
    std::string_view key;
    for (const auto& [e, k] : kNotificationEvents) {
      if (e == event) key = k;
    }
    if (key.empty() && event != "syncDisabledWarning") {
      Bad(at, "unknown event (known: failure, success, connectionUpdate, connectionUpdateActionRequired, "
              "syncDisabled, syncDisabledWarning)");
    }
    if (value.is_null()) continue;
    if (!value.is_object()) Bad(at, "must be an object {email, webhook}");
    if (const Json* email = FindField(value, "email")) {
      if (!email->is_object()) Bad(at + ".email", "must be an object {enabled}");
      if (email->value("enabled", false) == true) Bad(at + ".email.enabled", "email notifications are not supported");
    }
    const Json* webhook = FindField(value, "webhook");
    if (webhook == nullptr) continue;
    if (!webhook->is_object()) Bad(at + ".webhook", "must be an object {enabled, url}");
    bool enabled = false;
    if (const Json* e = FindField(*webhook, "enabled")) {
      if (!e->is_boolean()) Bad(at + ".webhook.enabled", "must be a boolean");
      enabled = e->get<bool>();
    }
    if (key.empty()) {
      if (enabled) Bad(at + ".webhook.enabled", "sync-disabled warnings are not sent by sluice");
      continue;
    }
    settings[std::string(key)] = enabled;
    if (const Json* u = FindField(*webhook, "url")) {
      if (!u->is_string()) Bad(at + ".webhook.url", "must be a string");
      if (url && *url != u->get<std::string>()) {
        Bad(at + ".webhook.url", fmt::format("differs from {}: sluice sends every event to one webhook URL", url_field));
      }
      url = u->get<std::string>();
      url_field = at + ".webhook.url";
    }
  }
  if (url) settings["slackWebhookUrl"] = *url;
  return settings;
}

Json JobToPublic(const Json& info, int64_t now_ms) {
  const Json job = info.value("job", Json::object());
  const std::string status = Text(job, "status");
  const int64_t created = Int(job, "createdAt");
  const int64_t updated = Int(job, "updatedAt");
  const bool finished = status == "succeeded" || status == "failed" || status == "cancelled";
  const int64_t end = finished ? updated : now_ms / 1000;
  int64_t bytes = 0;
  int64_t rows = 0;
  for (const auto& a : info.value("attempts", Json::array())) {
    const Json attempt = a.value("attempt", Json::object());
    bytes += Int(attempt, "bytesSynced");
    rows += Int(attempt, "recordsSynced");
  }
  return {{"jobId", job.value("id", 0)},
          {"status", status},
          {"jobType", JobTypeToPublic(Text(job, "configType"))},
          {"startTime", IsoTime(created)},
          {"connectionId", Text(job, "configId")},
          {"lastUpdatedAt", IsoTime(updated)},
          {"duration", IsoDuration(std::max<int64_t>(0, end - created))},
          {"bytesSynced", bytes},
          {"rowsSynced", rows}};
}

Json StreamPropertiesToPublic(const Json& entry, const std::vector<std::string>& destination_modes) {
  const Json stream = entry.value("stream", Json::object());
  std::vector<std::string> source_modes;
  for (const auto& m : stream.value("supportedSyncModes", Json::array())) {
    if (m.is_string()) source_modes.push_back(m.get<std::string>());
  }
  Json fields = Json::array();
  const Json schema = stream.value("jsonSchema", Json::object());
  if (schema.contains("properties") && schema["properties"].is_object()) {
    for (const auto& [name, _] : schema["properties"].items()) fields.push_back(Json::array({name}));
  }
  Json out = {{"streamName", Text(stream, "name")},
              {"syncModes", PublicSyncModes(source_modes, destination_modes)},
              {"defaultCursorField", stream.value("defaultCursorField", Json::array())},
              {"sourceDefinedCursorField", stream.value("sourceDefinedCursor", false)},
              {"sourceDefinedPrimaryKey", stream.value("sourceDefinedPrimaryKey", Json::array())},
              {"propertyFields", std::move(fields)}};
  if (stream.contains("namespace") && stream["namespace"].is_string()) out["streamnamespace"] = stream["namespace"];
  return out;
}

std::string IsoDuration(int64_t seconds) {
  if (seconds <= 0) return "PT0S";
  std::string out = "PT";
  if (seconds >= 3600) out += fmt::format("{}H", seconds / 3600);
  if (seconds % 3600 >= 60) out += fmt::format("{}M", seconds % 3600 / 60);
  if (seconds % 60 != 0) out += fmt::format("{}S", seconds % 60);
  return out;
}

std::string IsoTime(int64_t epoch_seconds) {
  std::string out;
  AppendTimestamp(out, epoch_seconds * kMicrosPerSecond, true);
  return out;
}

}  // namespace sluice
