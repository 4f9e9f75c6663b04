#include "connectors/sources/declarative_manifest/request_options.h"

#include <algorithm>
#include <cctype>

#include "connectors/sources/declarative_manifest/interpolation.h"

namespace sluice {
namespace {

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

void PreparedRequest::SetQuery(const std::string& name, std::string value) {
  for (auto& [n, v] : query) {
    if (n == name) {
      v = std::move(value);
      return;
    }
  }
  query.emplace_back(name, std::move(value));
}

void PreparedRequest::SetHeader(const std::string& name, std::string value) {
  for (HttpHeader& h : headers) {
    if (SameName(h.name, name)) {
      h.value = std::move(value);
      return;
    }
  }
  headers.push_back({name, std::move(value)});
}

std::string PreparedRequest::Url() const { return AppendQuery(UrlForMessages(), query); }

std::string PreparedRequest::UrlForMessages() const {
  if (!absolute_url.empty()) return absolute_url;
  if (path.starts_with("http://") || path.starts_with("https://")) return path;
  std::string base = url_base;
  if (path.empty()) return base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string_view p = path;
  while (!p.empty() && p.front() == '/') p.remove_prefix(1);
  return base + "/" + std::string(p);
}

std::pair<std::string, std::string> PreparedRequest::Body() const {
  if (!body_json.is_null()) return {body_json.dump(), "application/json"};
  if (body_text) return {*body_text, "application/x-www-form-urlencoded"};
  if (!body_data.empty()) return {FormEncode(body_data), "application/x-www-form-urlencoded"};
  return {"", ""};
}

std::optional<RequestOption> RequestOption::Parse(ConfigReader r, const std::function<std::string(const std::string&)>& eval) {
  RequestOption o;
  const std::string type = r.String("type", "RequestOption");
  if (type == "RequestPath") {
    o.target = Target::kPath;
    return o;
  }
  if (type != "RequestOption") {
    r.Fail("type", "expected RequestOption or RequestPath, got '" + type + "'");
    return std::nullopt;
  }
  const std::string inject = r.Enum("inject_into", {"request_parameter", "header", "body_json", "body_data"}, "request_parameter");
  o.target = inject == "header"      ? Target::kHeader
             : inject == "body_json" ? Target::kBodyJson
             : inject == "body_data" ? Target::kBodyData
                                     : Target::kRequestParameter;
  if (r.Has("field_path")) {
    o.field_path = r.StringList("field_path");
  } else {
    o.field_path = {r.String("field_name")};
  }
  for (std::string& f : o.field_path) f = eval(f);
  return o;
}

void RequestOption::Apply(const Json& value, PreparedRequest& request) const {
  if (value.is_null()) return;
  switch (target) {
    case Target::kPath: {
      const std::string v = ParamText(value);
      if (v.starts_with("http://") || v.starts_with("https://")) {
        request.absolute_url = v;
      } else {
        request.path = v;
      }
      return;
    }
    case Target::kRequestParameter: request.SetQuery(field_path.empty() ? "" : field_path.back(), ParamText(value)); return;
    case Target::kHeader: request.SetHeader(field_path.empty() ? "" : field_path.back(), ParamText(value)); return;
    case Target::kBodyData: {
      const std::string name = field_path.empty() ? "" : field_path.back();
      for (auto& [n, v] : request.body_data) {
        if (n == name) {
          v = ParamText(value);
          return;
        }
      }
      request.body_data.emplace_back(name, ParamText(value));
      return;
    }
    case Target::kBodyJson: {
      if (!request.body_json.is_object()) request.body_json = Json::object();
      Json* cur = &request.body_json;
      for (size_t i = 0; i + 1 < field_path.size(); ++i) {
        Json& next = (*cur)[field_path[i]];
        if (!next.is_object()) next = Json::object();
        cur = &next;
      }
      if (!field_path.empty()) (*cur)[field_path.back()] = value;
      return;
    }
  }
}

}  // namespace sluice
