#pragma once
// What the components of a retriever contribute to one HTTP request, and where each value goes:
// Airbyte's RequestOption (inject_into request_parameter | header | body_json | body_data, with
// field_name or a nested field_path) and RequestPath (the value replaces the path).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "connectors/kit/config_reader.h"
#include "http/http_client.h"

namespace sluice {

//! A request being assembled: the requester fills the base, then the paginator, the cursor and
//! the partition routers add their options, then the authenticator signs it.
struct PreparedRequest {
  std::string method = "GET";
  std::string url_base;
  std::string path;
  //! A full URL that replaces url_base + path (RequestPath with an absolute next-page link).
  std::string absolute_url;
  HttpParams query;
  std::vector<HttpHeader> headers;
  Json body_json;                  //!< null when none
  HttpParams body_data;            //!< form fields (request_body_data as a mapping)
  std::optional<std::string> body_text;  //!< request_body_data given as a string

  //! Sets a query parameter (replacing one of the same name).
  void SetQuery(const std::string& name, std::string value);
  //! Sets a header (replacing one of the same name, case-insensitively).
  void SetHeader(const std::string& name, std::string value);
  //! The URL: absolute_url, or url_base joined with path (one '/' between), plus the query.
  std::string Url() const;
  //! The URL without its query (what error messages show: queries may carry API keys).
  std::string UrlForMessages() const;
  //! The body to send and its content type ("" when there is none).
  std::pair<std::string, std::string> Body() const;
};

//! RequestOption / RequestPath.
struct RequestOption {
  enum class Target { kRequestParameter, kHeader, kBodyJson, kBodyData, kPath };
  Target target = Target::kRequestParameter;
  std::vector<std::string> field_path;  //!< field_name as a one-item path, or field_path

  //! Parses a RequestOption or RequestPath component; problems go to `r`. Field names may be
  //! templates (of config and parameters): `eval` renders them.
  static std::optional<RequestOption> Parse(ConfigReader r, const std::function<std::string(const std::string&)>& eval);
  //! Puts `value` where the option says (field names are not templates here: callers evaluate).
  void Apply(const Json& value, PreparedRequest& request) const;
};

}  // namespace sluice
