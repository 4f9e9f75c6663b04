#pragma once
// Api: the Airbyte-Config-API-shaped HTTP API of `sluice server`, independent of the transport.
// Holds the route table (one Route per endpoint: path, methods, the Permission it needs, its
// request fields and handler) and answers ApiRequests. Thread-safe: Handle may be called from
// many threads at once.
//
// Lifecycle: construct with a PlatformContext (which must outlive it), call Bootstrap() once
// (first admin user), then Handle() from the HTTP threads (api_server.h).

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/api_types.h"
#include "api/authenticator.h"
#include "api/connector_catalog.h"
#include "base/status.h"
#include "platform/platform.h"

namespace sluice {

struct ApiOptions {
  bool no_auth = false;                       //!< every request acts as an admin (loopback only)
  size_t max_body_bytes = 10 * 1024 * 1024;   //!< larger bodies get 413
  int64_t session_ttl_ms = 12 * 3600 * 1000;  //!< login session lifetime
  int64_t max_log_lines_per_attempt = 1000;   //!< jobs/get shows the last N lines of each attempt
  bool cache_answers = true;  //!< reuse connections/list and jobs/stats answers until what they show changes
};

class ListCache;
class ConnectionListFragments;
class CustomDefinitions;

class Api {
 public:
  Api(const PlatformContext& context, ApiOptions options);
  ~Api();

  //! Creates the first admin user when the store has no user (see Authenticator).
  Result<bool> Bootstrap();
  //! The answer to one request; never throws.
  ApiResponse Handle(const ApiRequest& request);

  const std::vector<Route>& routes() const { return routes_; }
  //! The OpenAPI 3 document of every route.
  const Json& openapi() const { return openapi_; }
  const ApiOptions& options() const { return options_; }
  //! Ends streamed answers (log tails) soon; call before stopping the HTTP servers.
  void Stop() { stopping_ = true; }

 private:
  const PlatformContext& context_;
  ApiOptions options_;
  Authenticator auth_;
  ConnectorCatalog connectors_;
  //! The routes for `path` (exact paths first, then templates) and the path's parameters.
  std::vector<const Route*> RoutesFor(const std::string& path, std::map<std::string, std::string>& params) const;

  std::vector<Route> routes_;
  std::unordered_map<std::string, std::vector<size_t>> by_path_;  // exact paths
  std::vector<size_t> templated_;                                 // paths with {parameters}
  Json openapi_;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<ListCache> connection_lists_;
  std::unique_ptr<ConnectionListFragments> connection_fragments_;
  std::unique_ptr<ListCache> job_stats_;
  std::unique_ptr<CustomDefinitions> custom_definitions_;
};

//! The OpenAPI 3.0 document describing `routes` (one operation per route and method).
Json BuildOpenApiDocument(const std::vector<Route>& routes);

//! JSON text for API answers: invalid UTF-8 is replaced rather than throwing.
std::string DumpJson(const Json& json);

}  // namespace sluice
