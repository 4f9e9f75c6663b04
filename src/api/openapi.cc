// The OpenAPI 3.0 document, generated from the route table so it cannot drift from the code.

#include <algorithm>
#include <cctype>

#include "api/api.h"

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
  const Json error_ref = {{"$ref", "#/components/schemas/Error"}};
  Json paths = Json::object();
  for (const auto& route : routes) {
    Json item = Json::object();
    // The first method is the documented one (actions: POST; GET also works with a JSON body).
    for (const auto& method : {route.methods.front()}) {
      Json op;
      op["operationId"] = OperationId(route, method);
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
        if (method == "GET") {
          Json params = Json::array();
          for (const auto& f : route.fields) {
            params.push_back({{"name", f.name}, {"in", "query"}, {"required", false}, {"schema", TypeSchema(f.type)}});
          }
          op["parameters"] = params;
        } else {
          op["requestBody"] = {{"required", !required.empty()},
                               {"content", {{"application/json", {{"schema", schema}}}}}};
        }
      }
      Json responses = Json::object();
      const bool json_answer = route.response_content_type == "application/json";
      Json ok_schema = {{"type", json_answer ? "object" : "string"}};
      responses["200"] = {{"description", "OK"}, {"content", {{route.response_content_type, {{"schema", ok_schema}}}}}};
      for (const char* code : {"400", "401", "403", "404", "413", "422"}) {
        responses[code] = {{"description", "error"}, {"content", {{"application/json", {{"schema", error_ref}}}}}};
      }
      op["responses"] = responses;
      std::string key = method;
      std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
      item[key] = op;
    }
    paths[route.path] = item;
  }
  Json doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = {{"title", "sluice API"},
                 {"version", "1.0.0"},
                 {"description",
                  "Airbyte Config API v1 shape: POST /api/v1/<resource>/<action> with JSON bodies (GET with a body "
                  "works too). Errors: {message, details: [{field, message}]}."}};
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
                {"properties", {{"field", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}}}}}}},
      {"securitySchemes",
       {{"session", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "sluice_session"}}},
        {"apiKey", {{"type", "http"}, {"scheme", "bearer"}, {"description", "an API key sk_…"}}}}}};
  doc["security"] = Json::array({{{"session", Json::array()}}, {{"apiKey", Json::array()}}});
  return doc;
}

}  // namespace sluice
