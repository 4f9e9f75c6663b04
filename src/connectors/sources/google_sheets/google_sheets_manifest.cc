#include "connectors/sources/google_sheets/google_sheets_manifest.h"

#include <cctype>

#include <fmt/format.h>

#include "connectors/sources/declarative_manifest/declarative_manifest_source.h"

namespace sluice {
namespace {

constexpr const char* kSpec = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Google Sheets",
  "type": "object",
  "required": ["spreadsheet_id", "credentials"],
  "additionalProperties": true,
  "properties": {
    "spreadsheet_id": {"type": "string", "title": "Spreadsheet link", "order": 0,
      "description": "The spreadsheet's link (https://docs.google.com/spreadsheets/d/<id>/edit) or its id. Each sheet is a stream; its first row names the columns."},
    "credentials": {"type": "object", "title": "Authentication", "order": 1,
      "oneOf": [
        {"title": "Authenticate via Google (OAuth)", "type": "object", "required": ["auth_type", "client_id", "client_secret", "refresh_token"],
         "properties": {
           "auth_type": {"type": "string", "const": "Client"},
           "client_id": {"type": "string", "title": "Client ID"},
           "client_secret": {"type": "string", "title": "Client secret", "airbyte_secret": true},
           "refresh_token": {"type": "string", "title": "Refresh token", "description": "With the scope https://www.googleapis.com/auth/spreadsheets.readonly.", "airbyte_secret": true}}},
        {"title": "Service Account Key Authentication", "type": "object", "required": ["auth_type", "service_account_info"],
         "properties": {
           "auth_type": {"type": "string", "const": "Service"},
           "service_account_info": {"type": "string", "title": "Service account key (JSON)", "description": "The service account's JSON key. sluice signs a JWT with it (RS256) and sends it as the bearer token (no token exchange); share the spreadsheet with the account's email.", "airbyte_secret": true}}}
      ]},
    "names_conversion": {"type": "boolean", "title": "Convert column names", "default": false, "order": 2,
      "description": "Column names as snake_case identifiers (\"Order ID\" → order_id)."},
    "batch_size": {"type": "integer", "title": "Row batch size", "default": 1000000, "order": 3,
      "description": "Airbyte's; sluice reads each sheet in one values.get request and ignores it."},
    "api_base_url": {"type": "string", "title": "API base URL (sluice)", "default": "https://sheets.googleapis.com", "order": 4,
      "description": "sluice's: where the Sheets API is (tests, proxies)."},
    "token_url": {"type": "string", "title": "Token endpoint (sluice)", "default": "https://oauth2.googleapis.com/token", "order": 5,
      "description": "sluice's: Google's OAuth token endpoint."},
    "backoff_factor": {"type": "number", "title": "Backoff factor in seconds (sluice)", "default": 2, "order": 6}
  }
})json";

//! OAuth (auth_type Client): the refresh-token grant at token_url. A service account (Service): a
//! JWT signed RS256 with its private key, sent as the bearer token (Google's self-signed JWT for
//! APIs such as Sheets: aud https://sheets.googleapis.com/), from the fields WithManifest parsed.
Json Authenticator(const Json& config) {
  if (config.value("credentials", Json::object()).value("auth_type", "") == "Service") {
    return {{"type", "JwtAuthenticator"},
            {"secret_key", "{{ config['__service_account']['private_key'] }}"},
            {"algorithm", "RS256"},
            {"token_duration", 3600},
            {"header_prefix", "Bearer"},
            {"jwt_headers", {{"kid", "{{ config['__service_account']['private_key_id'] }}"}, {"typ", "JWT"}}},
            {"jwt_payload",
             {{"iss", "{{ config['__service_account']['client_email'] }}"},
              {"sub", "{{ config['__service_account']['client_email'] }}"},
              {"aud", "https://sheets.googleapis.com/"}}}};
  }
  return {{"type", "OAuthAuthenticator"},
          {"token_refresh_endpoint", "{{ config.get('token_url', 'https://oauth2.googleapis.com/token') }}"},
          {"client_id", "{{ config['credentials']['client_id'] }}"},
          {"client_secret", "{{ config['credentials']['client_secret'] }}"},
          {"refresh_token", "{{ config['credentials']['refresh_token'] }}"}};
}

Json Requester(const std::string& path, Json params, const Json& config) {
  auto fail = [](int code, const char* type, const char* message) {
    return Json{{"type", "HttpResponseFilter"}, {"action", "FAIL"}, {"http_codes", {code}}, {"failure_type", type},
                {"error_message", message}};
  };
  Json r = {
      {"type", "HttpRequester"},
      {"url_base", "{{ config.get('api_base_url', 'https://sheets.googleapis.com') }}"},
      {"path", path},
      {"http_method", "GET"},
      {"request_parameters", std::move(params)},
      {"authenticator", Authenticator(config)},
      {"error_handler",
       {{"type", "DefaultErrorHandler"},
        {"max_retries", 5},
        {"backoff_strategies", {{{"type", "ExponentialBackoffStrategy"}, {"factor", "{{ config.get('backoff_factor', 2) }}"}}}},
        {"response_filters",
         {fail(404, "config_error", "The spreadsheet was not found: check spreadsheet_id"),
          fail(403, "config_error",
               "These credentials may not read the spreadsheet (share it with the account): "
               "{{ response.get('error', {}).get('message', '') }}"),
          fail(400, "config_error", "Google Sheets rejected the request: {{ response.get('error', {}).get('message', '') }}"),
          {{"type", "HttpResponseFilter"}, {"action", "RATE_LIMITED"}, {"http_codes", {429}}}}}}}};
  return r;
}

Json Stream(const std::string& name, Json requester, Json extractor, Json schema) {
  return {{"type", "DeclarativeStream"},
          {"name", name},
          {"primary_key", Json::array()},
          {"retriever",
           {{"type", "SimpleRetriever"},
            {"requester", std::move(requester)},
            {"record_selector", {{"type", "RecordSelector"}, {"extractor", std::move(extractor)}}},
            {"paginator", {{"type", "NoPagination"}}}}},
          {"schema_loader", {{"type", "InlineSchemaLoader"}, {"schema", std::move(schema)}}}};
}

Result<Json> WithManifest(const Json& config, Json streams) {
  const Json credentials = config.value("credentials", Json::object());
  Json out = config;
  if (credentials.value("auth_type", "") == "Service") {
    Json key = Json::parse(credentials.value("service_account_info", ""), nullptr, false);
    if (!key.is_object() || !key.value("private_key", Json()).is_string() || !key.value("client_email", Json()).is_string()) {
      return Status::ConfigError(
          "$.credentials.service_account_info: expected the service account's JSON key (with client_email and "
          "private_key), as downloaded from the Google Cloud console");
    }
    out["__service_account"] = {{"client_email", key["client_email"]},
                                {"private_key", key["private_key"]},
                                {"private_key_id", key.value("private_key_id", "")}};
  }
  out[kInjectedManifestKey] = {{"version", "6.7.0"},
                               {"type", "DeclarativeSource"},
                               {"description", "made by sluice's source-google-sheets from its config"},
                               {"check", {{"type", "CheckStream"}, {"stream_names", {streams[0]["name"]}}}},
                               {"streams", std::move(streams)}};
  return out;
}

std::string Percent(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string Quoted(const std::string& title) {
  std::string q = "'";
  for (char c : title) {
    if (c == '\'') q += "''";
    else q.push_back(c);
  }
  return q + "'";
}

}  // namespace

Json GoogleSheetsSpec() {
  static const Json kParsed = Json::parse(kSpec);
  return kParsed;
}

std::string SpreadsheetIdOf(const std::string& spreadsheet_id) {
  const std::string marker = "/spreadsheets/d/";
  const size_t at = spreadsheet_id.find(marker);
  if (at == std::string::npos) return spreadsheet_id;
  const size_t start = at + marker.size();
  size_t end = start;
  while (end < spreadsheet_id.size() && (std::isalnum(static_cast<unsigned char>(spreadsheet_id[end])) ||
                                         spreadsheet_id[end] == '-' || spreadsheet_id[end] == '_')) {
    ++end;
  }
  return spreadsheet_id.substr(start, end - start);
}

std::string SheetRangePath(const std::string& title, const std::string& suffix) { return Percent(Quoted(title) + suffix); }

Result<Json> ListingManifest(const Json& config, const std::vector<std::string>& titles) {
  const std::string base = "/v4/spreadsheets/" + Percent(SpreadsheetIdOf(config.value("spreadsheet_id", "")));
  Json streams = Json::array();
  streams.push_back(Stream("sheets",
                           Requester(base, {{"includeGridData", "false"},
                                            {"fields", "sheets.properties(sheetId,title,index,sheetType)"}}, config),
                           {{"type", "DpathExtractor"}, {"field_path", {"sheets"}}}, {{"type", "object"}}));
  if (!titles.empty()) {
    // A Python list literal: the runtime renders it, ast.literal_eval makes it a list, and a list
    // parameter is sent once per item (ranges=…&ranges=…).
    std::string ranges = "[";
    for (const std::string& t : titles) {
      std::string item;
      for (char c : Quoted(t) + "!1:1") {
        if (c == '"' || c == '\\') item.push_back('\\');
        item.push_back(c);
      }
      ranges += (ranges.size() > 1 ? ", \"" : "\"") + item + "\"";
    }
    ranges += "]";
    streams.push_back(Stream("headers",
                             Requester(base, {{"includeGridData", "true"},
                                              {"ranges", ranges},
                                              {"fields", "sheets(properties(title),data(rowData(values(formattedValue))))"}}, config),
                             {{"type", "DpathExtractor"}, {"field_path", {"sheets"}}}, {{"type", "object"}}));
  }
  return WithManifest(config, std::move(streams));
}

Result<Json> SheetsManifest(const Json& config, const std::vector<std::string>& titles) {
  if (titles.empty()) return Status::ConfigError("the spreadsheet has no sheet to read");
  const std::string base = "/v4/spreadsheets/" + Percent(SpreadsheetIdOf(config.value("spreadsheet_id", "")));
  Json streams = Json::array();
  for (const std::string& t : titles) {
    streams.push_back(Stream(t,
                             Requester(base + "/values/" + SheetRangePath(t),
                                       {{"majorDimension", "ROWS"}, {"valueRenderOption", "FORMATTED_VALUE"}}, config),
                             {{"type", "HeaderRowsExtractor"},
                              {"field_path", {"values"}},
                              {"normalize_names", config.value("names_conversion", false)}},
                             {{"type", "object"}}));
  }
  return WithManifest(config, std::move(streams));
}

}  // namespace sluice
