#pragma once
// The API's transport-free request/response model and its route table. The HTTP adapter
// (api_server.h) turns httplib requests into ApiRequest and back; unit tests call Api::Handle
// directly.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "metadata/metadata_types.h"
#include "security/role.h"

namespace sluice {

//! One invalid field of a request: `field` is a dotted path in the body
//! ("connectionConfiguration.port", "syncCatalog.streams[0].config.syncMode").
struct FieldProblem {
  std::string field;
  std::string message;
};

//! An error answer: HTTP status, a message for the user (never a secret), and per-field details.
//! Thrown inside handlers (the module's internal control flow) and turned into a JSON response
//! {"message", "details": [{"field", "message"}]} by Api::Handle: nothing escapes the module.
struct ApiError {
  int status = 400;
  std::string message;
  std::vector<FieldProblem> details;

  Json ToJson() const;
};

[[noreturn]] void ThrowApiError(int status, std::string message, std::vector<FieldProblem> details = {});

struct ApiRequest {
  std::string method;                        //!< "GET", "POST", …
  std::string path;                          //!< "/api/v1/connections/list" (no query string)
  std::map<std::string, std::string> query;  //!< decoded query parameters; a repeated one joined by ","
  std::string body;
  std::string authorization;  //!< the Authorization header, "" when absent
  std::string cookie;         //!< the Cookie header, "" when absent
  std::string csrf_token;     //!< the X-Sluice-CSRF header, "" when absent (cookie sessions need it)
  std::string remote_addr;
  bool body_too_large = false;  //!< the transport refused to read an oversized body
};

//! A streamed response body: called repeatedly with a sink until it returns false. `write`
//! returns false when the client went away.
using StreamProducer = std::function<bool(const std::function<bool(std::string_view)>& write)>;

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  //!< extra headers (Set-Cookie, …)
  StreamProducer stream;  //!< when set, the body is streamed (chunked) and `body` is ignored
  //! A cached answer: sent instead of `body` (not copied per request), gzip-compressed to
  //! clients that accept gzip.
  std::shared_ptr<const std::string> shared_body;
  std::shared_ptr<const std::string> gzip_body;
};

//! `data` as one gzip member (RFC 1952), compressed at zlib level 1: fast, and JSON still
//! shrinks about tenfold.
std::string GzipCompress(std::string_view data);

//! Who is calling: resolved once per request by the Authenticator.
struct Principal {
  bool authenticated = false;
  std::string user_id;  //!< "" with --no-auth
  std::string email;
  Role role = Role::kViewer;
  bool must_change_password = false;
  std::string auth_method;         //!< "session", "api_key", "none" (--no-auth)
  std::string session_token_hash;  //!< with "session": to log out
  std::string csrf_token;          //!< with "session": what X-Sluice-CSRF must carry (CsrfTokenFor)
  //! The workspaces the caller reaches: every one (admins by default, every user from before
  //! workspace membership, --no-auth), or `workspace_ids` (oldest first). API keys, access tokens
  //! and sessions act as their user, so they carry the user's.
  bool all_workspaces = true;
  std::vector<std::string> workspace_ids;

  bool Reaches(std::string_view workspace_id) const {
    if (all_workspaces) return true;
    for (const auto& id : workspace_ids) {
      if (id == workspace_id) return true;
    }
    return false;
  }
};

//! Who may call a route.
enum class Access {
  kPublic,         //!< anyone (health, login, the OpenAPI document)
  kAuthenticated,  //!< any logged-in user, even one who must change the password
  kPermission,     //!< a user whose role grants `permission` (and whose password is not expired)
};

//! Which workspaces a route touches; Api checks the caller reaches them before the handler runs
//! (CheckWorkspaceScope, workspace_scope.h), and the OpenAPI document says it as
//! x-sluice-workspace.
enum class WorkspaceUse {
  kScoped,  //!< the workspaces its request names: workspaceId(s), or the owner of sourceId,
            //!< destinationId, connectionId(s), configId, operationId, jobId, `job_id_field`
  kNone,    //!< touches no workspace: definitions, auth, API keys, applications, health, metrics
  kAllWorkspaces,  //!< only for a caller who reaches every workspace (workspaces/create, users/*)
};

//! How a route writes its errors.
enum class ErrorStyle {
  kConfigApi,  //!< {"message", "details": [{"field", "message"}]} (the Config API's)
  kProblem,    //!< application/problem+json (RFC 9457) as Airbyte's public API: {type, title, status,
               //!< detail, data: {message, details}}; invalid values are 400 there, not 422
};

//! A request body field, for validation messages and the OpenAPI document.
struct FieldDoc {
  std::string name;
  std::string type;  //!< JSON Schema type: string, integer, boolean, object, array; "string|integer"
  bool required = false;
  std::string description;
};

//! What a handler sees.
struct Call {
  const ApiRequest& request;
  const Json& body;  //!< the parsed JSON object ({} for an empty body)
  const Principal& principal;
  ApiResponse& response;  //!< handlers may add headers or stream
};

//! Returns the JSON body of a 200 answer (or sets `call.response` and returns null for other
//! answers, e.g. 204 or text). Throws ApiError for 4xx.
using Handler = std::function<Json(Call& call)>;

//! One endpoint. Several routes may share a path with different methods (GET /sources lists,
//! POST /sources creates). A path segment in braces ("/api/public/v1/sources/{sourceId}") matches
//! any one segment; its decoded value is put into the handler's body under that name (over a
//! body field of the same name). Exact paths win over templates.
struct Route {
  std::string path;                  //!< e.g. "/api/v1/connections/list"
  std::vector<std::string> methods;  //!< accepted methods (actions take POST and GET with a body)
  Access access = Access::kPermission;
  Permission permission = Permission::kReadStatus;  //!< with Access::kPermission
  std::string tag;                                  //!< resource, for the OpenAPI document
  std::string summary;                              //!< one line
  std::vector<FieldDoc> fields;                     //!< the request body
  std::string response_content_type = "application/json";
  ErrorStyle error_style = ErrorStyle::kConfigApi;
  std::string operation_id;  //!< the OpenAPI operationId; "" = derived from method and path
  WorkspaceUse workspace = WorkspaceUse::kScoped;
  std::string job_id_field;  //!< a body field holding a job id besides "jobId" ("id" in /api/v1/jobs/*)
  Handler handler;
};

}  // namespace sluice
