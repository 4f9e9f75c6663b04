#include "connectors/sources/rest_api/rest_api_config.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "connectors/kit/config_reader.h"

namespace sluice {
namespace {

constexpr const char* kSpec = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "REST API",
  "description": "sluice's simple config for a REST API (the seed's \"REST API\" source): a base URL, authentication and a list of endpoints. sluice turns it into a declarative (low-code) manifest run by source-declarative-manifest. Airbyte has no connector with this config, so source-rest-api has no Airbyte definition id (the API answers to its name and a sluice-made id). Keys may be written as labels: case, spaces and hyphens do not matter (\"URL Base\" is url_base), and labels such as \"Bearer Token\" or \"API Key\" are accepted for enum values. Every key of the config, including free ones such as start_date, is visible to templates as config['key'].",
  "type": "object",
  "required": ["url_base", "endpoints"],
  "additionalProperties": true,
  "properties": {
    "name": {"type": "string", "title": "Name", "description": "A label for this API (not sent anywhere).", "order": 0},
    "url_base": {"type": "string", "title": "URL Base", "description": "The API's base URL; each endpoint's path is joined to it with one '/', e.g. https://api.example.com/v1", "examples": ["https://api.example.com/v1"], "order": 1},
    "authentication": {
      "type": "object", "title": "Authentication", "order": 2,
      "description": "How requests are authenticated. type: none, bearer (Authorization: Bearer <token>), api_key (the key in a header or query parameter), basic (HTTP Basic with username and password).",
      "additionalProperties": false,
      "properties": {
        "type": {"type": "string", "title": "Type", "enum": ["none", "bearer", "api_key", "basic"], "default": "none", "description": "Also accepted: No Auth, Bearer Token, API Key, Basic Auth, Basic HTTP."},
        "token": {"type": "string", "title": "Token", "description": "bearer: the token sent as Authorization: Bearer <token>.", "airbyte_secret": true},
        "api_key": {"type": "string", "title": "API key", "description": "api_key: the key.", "airbyte_secret": true},
        "header": {"type": "string", "title": "Header or parameter name", "description": "api_key: the header carrying the key (default X-API-Key), or the query parameter when inject_into is query (default api_key)."},
        "inject_into": {"type": "string", "title": "Send the key in", "enum": ["header", "query"], "default": "header"},
        "username": {"type": "string", "title": "Username", "description": "basic: the user name."},
        "password": {"type": "string", "title": "Password", "description": "basic: the password.", "airbyte_secret": true}
      }
    },
    "endpoints": {
      "type": "array", "title": "Endpoints", "minItems": 1, "order": 3,
      "description": "One stream per endpoint.",
      "items": {
        "type": "object",
        "required": ["name", "path"],
        "additionalProperties": false,
        "properties": {
          "name": {"type": "string", "title": "Stream name", "pattern": "^[^/]+$"},
          "path": {"type": "string", "title": "Path", "description": "Joined to url_base, e.g. /customers. A template: {{ config['account_id'] }} works."},
          "http_method": {"type": "string", "title": "HTTP method", "enum": ["GET", "POST"], "default": "GET"},
          "params": {"type": "object", "title": "Query parameters", "description": "Name → value; values are templates, e.g. start_date: \"{{ config['start_date'] }}\".", "additionalProperties": true},
          "headers": {"type": "object", "title": "Headers", "description": "Name → value (templates).", "additionalProperties": true},
          "body": {"type": "object", "title": "JSON body", "description": "POST: the JSON body (values are templates).", "additionalProperties": true},
          "record_path": {"type": ["string", "array"], "items": {"type": "string"}, "title": "Record path", "description": "Where the records are in the response: keys separated by '/', e.g. data or results/items ('*' matches any key or index). Empty: the response itself (an array of records, or one record)."},
          "primary_key": {"type": ["string", "array"], "items": {"type": "string"}, "title": "Primary key", "description": "A field, or a list of fields for a composite key."},
          "cursor_field": {"type": "string", "title": "Cursor field", "description": "A datetime field of the records: makes the endpoint incremental (see incremental)."},
          "incremental": {
            "type": "object", "title": "Incremental options", "additionalProperties": false,
            "properties": {
              "start_date": {"type": "string", "description": "Where the first sync starts (a template); default: the config's start_date."},
              "datetime_format": {"type": "string", "default": "%Y-%m-%dT%H:%M:%SZ", "description": "Python strftime format of the cursor values and of the range sent to the API (%s: epoch seconds, %ms: epoch milliseconds)."},
              "cursor_datetime_formats": {"type": "array", "items": {"type": "string"}, "description": "Other formats the records' cursor values may have."},
              "start_param": {"type": "string", "description": "Query parameter carrying the lower bound (e.g. updated_since); none: the records are filtered client-side only."},
              "end_param": {"type": "string", "description": "Query parameter carrying the upper bound."},
              "step": {"type": "string", "description": "ISO 8601 duration: one request range per step (e.g. P30D); default one range up to now."},
              "cursor_granularity": {"type": "string", "description": "ISO 8601 duration between ranges when step is given; default PT1S."},
              "lookback_window": {"type": "string", "description": "ISO 8601 duration re-read before the saved cursor (late updates)."}
            }
          },
          "pagination": {
            "type": "object", "title": "Pagination", "additionalProperties": false,
            "description": "type: none; cursor (the next cursor from the response, cursor_path, or from the last record, last_record_field, sent as cursor_param; or a next-page URL, next_url_path); offset (offset_param / limit_param); page (page_param / size_param, from start_from). Offset and page stop at a page shorter than page_size.",
            "properties": {
              "type": {"type": "string", "enum": ["none", "cursor", "offset", "page"], "default": "none", "description": "Also accepted: No Pagination, Cursor Pagination, Offset Increment, Page Number, Page Increment."},
              "page_size": {"type": "integer", "minimum": 1},
              "size_param": {"type": "string", "description": "Query parameter carrying page_size (cursor: optional; page: default per_page)."},
              "cursor_path": {"type": "string", "description": "cursor: where the next cursor is in the response ('/'-separated, e.g. meta/next_cursor); none or empty stops."},
              "last_record_field": {"type": "string", "description": "cursor: take the cursor from this field of the page's last record (e.g. id, Stripe's starting_after)."},
              "next_url_path": {"type": "string", "description": "cursor: where the full URL of the next page is in the response (e.g. next or links/next); it is requested as it is."},
              "cursor_param": {"type": "string", "default": "cursor", "description": "cursor: the query parameter carrying the cursor."},
              "has_more_path": {"type": "string", "description": "cursor: a boolean in the response ('/'-separated, e.g. has_more); false stops."},
              "offset_param": {"type": "string", "default": "offset"},
              "limit_param": {"type": "string", "default": "limit"},
              "page_param": {"type": "string", "default": "page"},
              "start_from": {"type": "integer", "default": 1}
            }
          },
          "schema": {"type": "object", "title": "Record JSON Schema", "description": "The records' JSON Schema; default: inferred from the first page when the source is discovered.", "additionalProperties": true}
        }
      }
    },
    "start_date": {"type": "string", "title": "Start date", "description": "A free value (any key is): visible to templates as config['start_date'], and the default start of incremental endpoints.", "order": 4},
    "requests_per_second": {"type": "number", "exclusiveMinimum": 0, "title": "Requests per second", "description": "At most this many requests in any second, over all endpoints (retries included); default no limit. Becomes the manifest's api_budget.", "order": 5}
  }
})json";

//! Lower case, alphanumerics only: how labels are compared.
std::string Squash(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

//! Labels (squashed) that name an enum value other than by its own spelling.
const std::map<std::string, std::string>& LabelAliases() {
  static const std::map<std::string, std::string> kAliases = {
      {"noauth", "none"},          {"noauthentication", "none"}, {"nopagination", "none"},
      {"bearertoken", "bearer"},   {"bearerauth", "bearer"},     {"token", "bearer"},
      {"apikeyauth", "api_key"},   {"apikeyauthenticator", "api_key"},
      {"basicauth", "basic"},      {"basichttp", "basic"},       {"httpbasic", "basic"},
      {"usernamepassword", "basic"},
      {"cursorpagination", "cursor"}, {"nextcursor", "cursor"},  {"nextpageurl", "cursor"},
      {"offsetincrement", "offset"},  {"offsetlimit", "offset"}, {"limitoffset", "offset"},
      {"pagenumber", "page"},      {"pageincrement", "page"},
      {"queryparameter", "query"}, {"requestparameter", "query"}, {"parameter", "query"}, {"param", "query"},
  };
  return kAliases;
}

//! The enum value `label` stands for, if any.
std::optional<std::string> CanonicalLabel(const Json& values, const std::string& label) {
  const std::string s = Squash(label);
  for (const Json& v : values) {
    if (v.is_string() && Squash(v.get<std::string>()) == s) return v.get<std::string>();
  }
  if (auto a = LabelAliases().find(s); a != LabelAliases().end()) {
    for (const Json& v : values) {
      if (v.is_string() && v.get<std::string>() == a->second) return a->second;
    }
  }
  return std::nullopt;
}

//! The property of `properties` that config key `key` names ("" when none).
std::string PropertyFor(const Json& properties, const std::string& key) {
  if (properties.contains(key)) return key;
  const std::string n = NormalizeKeySpelling(key);
  return properties.contains(n) ? n : "";
}

bool HasProperties(const Json& schema) { return schema.is_object() && schema.contains("properties") && schema["properties"].is_object(); }
bool HasObjectItems(const Json& schema) { return schema.is_object() && schema.contains("items") && schema["items"].is_object(); }

Json Normalize(const Json& schema, const Json& value, bool top) {
  if (value.is_object() && HasProperties(schema)) {
    const Json& props = schema["properties"];
    Json out = Json::object();
    // Exact spellings first, so {"url_base": a, "URL Base": b} keeps a.
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& [k, v] : value.items()) {
        const std::string p = PropertyFor(props, k);
        if ((pass == 0) != (p == k && !p.empty())) continue;
        if (p.empty()) {
          out[k] = v;
          const std::string n = NormalizeKeySpelling(k);
          if (top && n != k && !n.empty() && !value.contains(n) && !props.contains(n)) out[n] = v;
        } else if (!out.contains(p)) {
          out[p] = Normalize(props[p], v, false);
        }
      }
    }
    return out;
  }
  if (value.is_array() && HasObjectItems(schema)) {
    Json out = Json::array();
    for (const Json& v : value) out.push_back(Normalize(schema["items"], v, false));
    return out;
  }
  if (value.is_string() && schema.is_object() && schema.contains("enum") && schema["enum"].is_array()) {
    if (auto c = CanonicalLabel(schema["enum"], value.get<std::string>())) return *c;
  }
  return value;
}

Json Spell(const Json& schema, const Json& value) {
  Json out = schema;
  if (value.is_object() && HasProperties(schema)) {
    const Json& props = schema["properties"];
    for (const auto& [k, v] : value.items()) {
      const std::string p = PropertyFor(props, k);
      if (p.empty()) continue;
      Json spelled = Spell(props[p], v);
      if (p != k && !value.contains(p)) {
        out["properties"].erase(p);
        if (out.contains("required") && out["required"].is_array()) {
          for (Json& r : out["required"]) {
            if (r == p) r = k;
          }
        }
      }
      out["properties"][k] = std::move(spelled);
    }
    return out;
  }
  if (value.is_array() && HasObjectItems(schema) && !value.empty()) {
    // One items schema for every element: the union of their spellings; a required property is
    // kept only under a spelling every element uses (the normalized config is checked again).
    Json items = schema["items"];
    std::optional<std::set<std::string>> required;
    for (const Json& v : value) {
      Json s = Spell(schema["items"], v);
      if (HasProperties(s)) {
        for (const auto& [name, ps] : s["properties"].items()) items["properties"][name] = ps;
      }
      std::set<std::string> req;
      for (const Json& r : s.value("required", Json::array())) {
        if (r.is_string()) req.insert(r.get<std::string>());
      }
      if (!required) {
        required = std::move(req);
      } else {
        std::set<std::string> both;
        std::set_intersection(required->begin(), required->end(), req.begin(), req.end(), std::inserter(both, both.end()));
        required = std::move(both);
      }
    }
    if (items.contains("required")) items["required"] = Json(std::vector<std::string>(required->begin(), required->end()));
    out["items"] = std::move(items);
    return out;
  }
  if (value.is_string() && schema.is_object() && schema.contains("enum") && schema["enum"].is_array()) {
    const std::string label = value.get<std::string>();
    bool listed = false;
    for (const Json& e : schema["enum"]) listed = listed || e == label;
    if (!listed && CanonicalLabel(schema["enum"], label)) out["enum"].push_back(label);
  }
  return out;
}

//! A '/'-separated path (or a list) as a list of keys; "" → [].
std::vector<std::string> PathKeys(ConfigReader& r, std::string_view key) {
  const Json& raw = r.Raw(key);
  std::vector<std::string> keys;
  if (raw.is_array()) return r.StringList(key);
  if (!raw.is_string()) return keys;
  const std::string text = raw.get<std::string>();
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('/', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) keys.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return keys;
}

//! A Jinja expression reading `root` at `keys` that yields none when a key is missing:
//! response.get('meta', {}).get('next_cursor').
std::string Access(std::string_view root, const std::vector<std::string>& keys) {
  std::string out(root);
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string k;
    for (char c : keys[i]) {
      if (c == '\'' || c == '\\') k.push_back('\\');
      k.push_back(c);
    }
    out += i + 1 < keys.size() ? fmt::format(".get('{}', {{}})", k) : fmt::format(".get('{}')", k);
  }
  return out;
}

Json Param(const std::string& name) { return {{"type", "RequestOption"}, {"inject_into", "request_parameter"}, {"field_name", name}}; }

Json Authenticator(ConfigReader auth) {
  const std::string type = auth.String("type", "none");
  if (type == "bearer") {
    if (!auth.Has("token")) auth.Fail("token", "is required with type bearer (the API token)");
    return {{"type", "BearerAuthenticator"}, {"api_token", "{{ config['authentication']['token'] }}"}};
  }
  if (type == "api_key") {
    // The key under api_key, or under token as the seed writes tokens.
    std::string key = auth.Has("api_key") ? "api_key" : "token";
    if (!auth.Has(key)) auth.Fail("api_key", "is required with type api_key");
    const bool query = auth.String("inject_into", "header") == "query";
    const std::string field = auth.String("header", query ? "api_key" : "X-API-Key");
    return {{"type", "ApiKeyAuthenticator"},
            {"api_token", fmt::format("{{{{ config['authentication']['{}'] }}}}", key)},
            {"inject_into", {{"type", "RequestOption"}, {"inject_into", query ? "request_parameter" : "header"}, {"field_name", field}}}};
  }
  if (type == "basic") {
    if (!auth.Has("username")) auth.Fail("username", "is required with type basic");
    return {{"type", "BasicHttpAuthenticator"},
            {"username", "{{ config['authentication']['username'] }}"},
            {"password", "{{ config['authentication'].get('password', '') }}"}};
  }
  if (type != "none") auth.Fail("type", fmt::format("unknown authentication '{}'; one of none, bearer, api_key, basic", type));
  return {{"type", "NoAuth"}};
}

Json Paginator(ConfigReader p) {
  const std::string type = p.String("type", "none");
  if (type == "none") return {{"type", "NoPagination"}};
  Json paginator = {{"type", "DefaultPaginator"}};
  Json strategy;
  const bool sized = p.Has("page_size");
  const int64_t page_size = p.Integer("page_size", 100, 1);
  if (type == "cursor") {
    const int given = p.Has("cursor_path") + p.Has("last_record_field") + p.Has("next_url_path");
    if (given != 1) {
      p.Fail("", "cursor pagination needs exactly one of cursor_path (the next cursor in the response), "
                 "last_record_field (a field of the last record) or next_url_path (the next page's URL in the response)");
      return paginator;
    }
    std::string value;
    if (p.Has("cursor_path")) value = Access("response", PathKeys(p, "cursor_path"));
    if (p.Has("next_url_path")) value = Access("response", PathKeys(p, "next_url_path"));
    if (p.Has("last_record_field")) value = Access("last_record", PathKeys(p, "last_record_field"));
    strategy = {{"type", "CursorPagination"}, {"cursor_value", "{{ " + value + " }}"}};
    if (p.Has("has_more_path")) {
      strategy["stop_condition"] = "{{ not " + Access("response", PathKeys(p, "has_more_path")) + " }}";
    }
    if (sized) strategy["page_size"] = page_size;
    paginator["page_token_option"] = p.Has("next_url_path") ? Json{{"type", "RequestPath"}} : Param(p.String("cursor_param", "cursor"));
    if (p.Has("size_param")) paginator["page_size_option"] = Param(p.String("size_param"));
  } else if (type == "offset") {
    strategy = {{"type", "OffsetIncrement"}, {"page_size", page_size}};
    paginator["page_token_option"] = Param(p.String("offset_param", "offset"));
    paginator["page_size_option"] = Param(p.String("limit_param", "limit"));
  } else if (type == "page") {
    strategy = {{"type", "PageIncrement"}, {"page_size", page_size}, {"start_from_page", p.Integer("start_from", 1)},
                {"inject_on_first_request", true}};
    paginator["page_token_option"] = Param(p.String("page_param", "page"));
    paginator["page_size_option"] = Param(p.String("size_param", "per_page"));
  } else {
    p.Fail("type", fmt::format("unknown pagination '{}'; one of none, cursor, offset, page", type));
  }
  paginator["pagination_strategy"] = std::move(strategy);
  return paginator;
}

Json Incremental(ConfigReader e, const std::string& cursor_field, bool has_start_date) {
  ConfigReader inc = e.Object("incremental");
  std::string start = inc.String("start_date", "");
  if (start.empty()) {
    if (!has_start_date) {
      inc.Fail("start_date", "is required for an incremental endpoint (cursor_field is set): give it here or a top-level start_date");
    }
    start = "{{ config['start_date'] }}";
  }
  const std::string format = inc.String("datetime_format", "%Y-%m-%dT%H:%M:%SZ");
  Json cursor = {{"type", "DatetimeBasedCursor"},
                 {"cursor_field", cursor_field},
                 {"datetime_format", format},
                 {"start_datetime", {{"type", "MinMaxDatetime"}, {"datetime", start}, {"datetime_format", format}}}};
  if (inc.Has("cursor_datetime_formats")) cursor["cursor_datetime_formats"] = inc.StringList("cursor_datetime_formats");
  if (inc.Has("start_param")) cursor["start_time_option"] = Param(inc.String("start_param"));
  if (inc.Has("end_param")) cursor["end_time_option"] = Param(inc.String("end_param"));
  if (inc.Has("step")) {
    cursor["step"] = inc.String("step");
    cursor["cursor_granularity"] = inc.String("cursor_granularity", "PT1S");
  }
  if (inc.Has("lookback_window")) cursor["lookback_window"] = inc.String("lookback_window");
  return cursor;
}

Json Stream(ConfigReader e, const std::string& url_base, const Json& authenticator, bool has_start_date) {
  const std::string name = e.String("name");
  const std::string method = e.String("http_method", "GET");
  Json requester = {{"type", "HttpRequester"},
                    {"url_base", url_base},
                    {"path", e.String("path")},
                    {"http_method", method},
                    {"authenticator", authenticator}};
  if (e.Has("params")) requester["request_parameters"] = e.Raw("params");
  if (e.Has("headers")) requester["request_headers"] = e.Raw("headers");
  if (e.Has("body")) {
    if (method != "POST") e.Fail("body", "a body goes with http_method POST");
    requester["request_body_json"] = e.Raw("body");
  }
  Json retriever = {{"type", "SimpleRetriever"},
                    {"requester", std::move(requester)},
                    {"record_selector",
                     {{"type", "RecordSelector"},
                      {"extractor", {{"type", "DpathExtractor"}, {"field_path", PathKeys(e, "record_path")}}}}},
                    {"paginator", Paginator(e.Object("pagination"))}};
  Json stream = {{"type", "DeclarativeStream"}, {"name", name}, {"retriever", std::move(retriever)}};
  Json key = Json::array();
  for (const std::string& k : e.StringList("primary_key")) key.push_back(k);
  stream["primary_key"] = std::move(key);
  if (e.Has("cursor_field")) {
    stream["incremental_sync"] = Incremental(e, e.String("cursor_field"), has_start_date);
  } else if (e.Has("incremental")) {
    e.Fail("incremental", "goes with cursor_field (the records' datetime field)");
  }
  if (e.Has("schema")) {
    stream["schema_loader"] = {{"type", "InlineSchemaLoader"}, {"schema", e.Raw("schema")}};
  } else {
    stream["schema_loader"] = {{"type", "InferredSchemaLoader"}, {"sample_pages", 1}};
  }
  return stream;
}

}  // namespace

Json RestApiSpec() {
  static const Json kParsed = Json::parse(kSpec);
  return kParsed;
}

std::string NormalizeKeySpelling(std::string_view key) {
  std::string out;
  bool gap = false;
  for (char c : key) {
    if (c == ' ' || c == '-' || c == '_' || c == '\t') {
      gap = true;
      continue;
    }
    if (gap && !out.empty()) out.push_back('_');
    gap = false;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

Json SpellSpecLike(const Json& schema, const Json& config) { return Spell(schema, config); }

Json NormalizeRestApiConfig(const Json& config) { return Normalize(RestApiSpec(), config, true); }

Result<Json> RestApiManifest(const Json& config) {
  ConfigReader r(config);
  const std::string url_base = r.String("url_base");
  const Json authenticator = Authenticator(r.Object("authentication"));
  const bool has_start_date = r.Has("start_date");
  Json streams = Json::array();
  std::set<std::string> names;
  for (ConfigReader e : r.Array("endpoints")) {
    Json stream = Stream(e, url_base, authenticator, has_start_date);
    if (!names.insert(stream.value("name", "")).second) e.Fail("name", "another endpoint has this name");
    streams.push_back(std::move(stream));
  }
  if (streams.empty()) r.Fail("endpoints", "needs at least one endpoint");
  SLUICE_RETURN_IF_ERROR(r.status());
  Json manifest = {{"version", "6.7.0"},
                   {"type", "DeclarativeSource"},
                   {"description", "made by sluice's source-rest-api from its config"},
                   {"check", {{"type", "CheckStream"}, {"stream_names", {streams[0]["name"]}}}},
                   {"streams", std::move(streams)}};
  if (config.contains("requests_per_second") && config["requests_per_second"].is_number()) {
    // N per second: whole N as N calls per second; below 1, one call per 1/N seconds.
    const double rps = config["requests_per_second"].get<double>();
    const bool whole = rps >= 1 && rps == static_cast<double>(static_cast<int64_t>(rps));
    const Json rate = whole ? Json{{"limit", static_cast<int64_t>(rps)}, {"interval", "PT1S"}}
                            : Json{{"limit", 1}, {"interval", fmt::format("PT{:.6f}S", 1.0 / rps)}};
    manifest["api_budget"] = {{"type", "HTTPAPIBudget"},
                              {"policies", {{{"type", "MovingWindowCallRatePolicy"}, {"rates", {rate}}, {"matchers", Json::array()}}}}};
  }
  return manifest;
}

}  // namespace sluice
