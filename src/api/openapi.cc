// The OpenAPI 3.0 document, generated from the route table so it cannot drift from the code.

#include <algorithm>
#include <cctype>

#include "api/api.h"
#include "api/public_api_shapes.h"
#include "api/workspace_scope.h"

namespace sluice {

namespace {

Json TypeSchema(const std::string& type) {
  if (type.find('|') == std::string::npos) {
    Json s = {{"type", type}};
    if (type == "array") s["items"] = Json::object();
    return s;
  }
  Json any = Json::array();
  size_t start = 0;
  while (start <= type.size()) {
    size_t bar = type.find('|', start);
    if (bar == std::string::npos) bar = type.size();
    any.push_back({{"type", type.substr(start, bar - start)}});
    start = bar + 1;
  }
  return {{"oneOf", any}};
}

// The {parameters} of a path template, in order.
std::vector<std::string> PathParameters(const std::string& path) {
  std::vector<std::string> out;
  for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
    size_t close = path.find('}', open);
    if (close == std::string::npos) break;
    out.push_back(path.substr(open + 1, close - open - 1));
  }
  return out;
}

std::string OperationId(const Route& route, const std::string& method) {
  std::string id;
  bool upper = false;
  for (char c : route.path.substr(std::min<size_t>(route.path.size(), 1))) {
    if (c == '/' || c == '_' || c == '.' || c == '-') {
      upper = true;
      continue;
    }
    id += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return (method == "GET" ? "get" : "post") + id;
}

}  // namespace

Json BuildOpenApiDocument(const std::vector<Route>& routes) {
  Json paths = Json::object();
  for (const auto& route : routes) {
    // One operation per route: its first method is the documented one (actions: POST; GET also
    // works with a JSON body). Routes sharing a path (the public API's GET/POST/PATCH/…) share
    // its path item.
    const std::string& method = route.methods.front();
    const bool problem = route.error_style == ErrorStyle::kProblem;
    Json op;
    op["operationId"] = route.operation_id.empty() ? OperationId(route, method) : route.operation_id;
    op["summary"] = route.summary;
    op["tags"] = Json::array({route.tag});
    switch (route.access) {
      case Access::kPublic:
        op["security"] = Json::array();
        op["x-sluice-permission"] = "public";
        break;
      case Access::kAuthenticated:
        op["x-sluice-permission"] = "authenticated";
        break;
      case Access::kPermission:
        op["x-sluice-permission"] = PermissionName(route.permission);
        break;
    }
    op["x-sluice-workspace"] = WorkspaceUseName(EffectiveWorkspaceUse(route));
    Json params = Json::array();
    for (const std::string& name : PathParameters(route.path)) {
      params.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    const bool query_fields = method == "GET" || method == "DELETE";
    if (!route.fields.empty()) {
      Json properties = Json::object();
      Json required = Json::array();
      for (const auto& f : route.fields) {
        Json schema = TypeSchema(f.type);
        if (!f.description.empty()) schema["description"] = f.description;
        properties[f.name] = schema;
        if (f.required) required.push_back(f.name);
      }
      Json schema = {{"type", "object"}, {"properties", properties}};
      if (!required.empty()) schema["required"] = required;
      if (query_fields) {
        for (const auto& f : route.fields) {
          Json param = {{"name", f.name}, {"in", "query"}, {"required", problem && f.required},
                        {"schema", TypeSchema(f.type)}};
          if (!f.description.empty()) param["description"] = f.description;
          params.push_back(std::move(param));
        }
      } else {
        op["requestBody"] = {{"required", !required.empty()},
                             {"content", {{"application/json", {{"schema", schema}}}}}};
      }
    }
    if (!params.empty()) op["parameters"] = params;
    Json responses = Json::object();
    const bool json_answer = route.response_content_type == "application/json";
    Json ok_schema = {{"type", json_answer ? "object" : "string"}};
    responses["200"] = {{"description", "OK"}, {"content", {{route.response_content_type, {{"schema", ok_schema}}}}}};
    const Json error_ref = {{"$ref", problem ? "#/components/schemas/Problem" : "#/components/schemas/Error"}};
    const char* error_type = problem ? kProblemContentType : "application/json";
    for (const char* code : {"400", "401", "403", "404", "413", "422"}) {
      if (problem && std::string_view(code) == "422") continue;  // the public API answers 400
      responses[code] = {{"description", "error"}, {"content", {{error_type, {{"schema", error_ref}}}}}};
    }
    op["responses"] = responses;
    std::string key = method;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!paths.contains(route.path)) paths[route.path] = Json::object();
    paths[route.path][key] = op;
  }
  Json doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = {{"title", "sluice API"},
                 {"version", "1.0.0"},
                 {"description",
                  "Airbyte Config API v1 shape: POST /api/v1/<resource>/<action> with JSON bodies (GET with a body "
                  "works too). Errors: {message, details: [{field, message}]}. The Airbyte API (the public one) under "
                  "/api/public/v1: workspaces, sources, destinations, connections, jobs, streams, with REST methods "
                  "and application/problem+json errors; x-sluice-permission names what each operation needs; x-sluice-workspace whether it "
                  "touches workspaces the caller must reach (scoped), none, or needs every workspace (all_workspaces)."}};
  doc["paths"] = paths;
  doc["components"] = {
      {"schemas",
       {{"Error",
         {{"type", "object"},
          {"required", {"message"}},
          {"properties",
           {{"message", {{"type", "string"}}},
            {"details",
             {{"type", "array"},
              {"items",
               {{"type", "object"},
                {"properties", {{"field", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}}}}},
        {"Problem",
         {{"type", "object"},
          {"description", "RFC 9457 problem details, as Airbyte's public API answers errors"},
          {"required", {"type", "title", "status"}},
          {"properties",
           {{"type", {{"type", "string"}}},
            {"title", {{"type", "string"}}},
            {"status", {{"type", "integer"}}},
            {"detail", {{"type", "string"}}},
            {"documentationUrl", {{"type", "string"}}},
            {"data", {{"type", "object"}}}}}}}}},
      {"securitySchemes",
       {{"session", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "sluice_session"}}},
        {"apiKey", {{"type", "http"}, {"scheme", "bearer"}, {"description", "an API key sk_…"}}}}}};
  doc["security"] = Json::array({{{"session", Json::array()}}, {{"apiKey", Json::array()}}});
  return doc;
}

}  // namespace sluice
