#include "api/api.h"

#include <fmt/format.h>
#include <zlib.h>

#include <chrono>

#include "api/api_env.h"
#include "api/connection_list.h"
#include "api/custom_definitions.h"
#include "api/public_api_shapes.h"
#include "api/workspace_scope.h"
#include "base/log.h"
#include "security/connector_secrets.h"
#include "security/token.h"

namespace sluice {

std::string DumpJson(const Json& json) { return json.dump(-1, ' ', false, Json::error_handler_t::replace); }

Route MakeRoute(std::string path, Permission permission, std::string tag, std::string summary,
                std::vector<FieldDoc> fields, Handler handler) {
  Route r;
  r.path = std::move(path);
  r.methods = {"POST", "GET"};
  r.access = Access::kPermission;
  r.permission = permission;
  r.tag = std::move(tag);
  r.summary = std::move(summary);
  r.fields = std::move(fields);
  r.handler = std::move(handler);
  return r;
}

Api::Api(const PlatformContext& context, ApiOptions options)
    : context_(context),
      options_(options),
      auth_(context, AuthOptions{.no_auth = options.no_auth, .session_ttl_ms = options.session_ttl_ms}),
      connectors_(Registry::Builtins()),
      connection_lists_(std::make_unique<ListCache>(options.cache_answers)),
      connection_fragments_(std::make_unique<ConnectionListFragments>()),
      job_stats_(std::make_unique<ListCache>(options.cache_answers)),
      custom_definitions_(std::make_unique<CustomDefinitions>()) {
  ApiEnv env{context_,           options_,   auth_,
             connectors_,        routes_,    stopping_,
             *connection_lists_, *connection_fragments_, *job_stats_,
             *custom_definitions_};
  // The env is captured by value in handlers; it refers to members of this Api only.
  AddSystemRoutes(routes_, env);
  AddWorkspaceRoutes(routes_, env);
  AddActorRoutes(routes_, env);
  AddConnectionRoutes(routes_, env);
  AddJobRoutes(routes_, env);
  AddUserRoutes(routes_, env);
  AddOperationRoutes(routes_, env);
  AddDeclarativeRoutes(routes_, env);
  AddPublicRoutes(routes_, env);  // after the Config API's: its handlers call theirs
  for (size_t i = 0; i < routes_.size(); ++i) {
    if (routes_[i].path.find('{') == std::string::npos) {
      by_path_[routes_[i].path].push_back(i);
    } else {
      templated_.push_back(i);
    }
  }
  openapi_ = BuildOpenApiDocument(routes_);
}

Api::~Api() = default;

Result<bool> Api::Bootstrap() { return auth_.EnsureInitialAdmin(); }

namespace {

// Splits "/a/b/c" into its segments ("a", "b", "c").
std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = path.starts_with("/") ? 1 : 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// Matches `path` against a template with {parameters}; fills `params` on a match.
bool MatchTemplate(std::string_view pattern, std::string_view path, std::map<std::string, std::string>& params) {
  const auto want = Segments(pattern);
  const auto got = Segments(path);
  if (want.size() != got.size()) return false;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].size() > 2 && want[i].front() == '{' && want[i].back() == '}') {
      if (got[i].empty()) return false;
      found[std::string(want[i].substr(1, want[i].size() - 2))] = std::string(got[i]);
    } else if (want[i] != got[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

void SetError(ApiResponse& response, const ApiError& error, ErrorStyle style) {
  response.stream = nullptr;
  response.shared_body = response.gzip_body = nullptr;
  if (style == ErrorStyle::kProblem) {
    Json problem = ProblemJson(error);
    response.status = problem["status"].get<int>();
    response.content_type = kProblemContentType;
    response.body = DumpJson(problem);
    return;
  }
  response.status = error.status;
  response.content_type = "application/json";
  response.body = DumpJson(error.ToJson());
}

}  // namespace

std::vector<const Route*> Api::RoutesFor(const std::string& path, std::map<std::string, std::string>& params) const {
  std::vector<const Route*> out;
  if (auto it = by_path_.find(path); it != by_path_.end()) {
    for (size_t i : it->second) out.push_back(&routes_[i]);
    return out;
  }
  std::string matched;  // the first template that matches; its sibling routes (other methods) too
  for (size_t i : templated_) {
    const Route& r = routes_[i];
    if (!matched.empty()) {
      if (r.path == matched) out.push_back(&r);
      continue;
    }
    if (MatchTemplate(r.path, path, params)) {
      matched = r.path;
      out.push_back(&r);
    }
  }
  return out;
}

ApiResponse Api::Handle(const ApiRequest& request) {
  ApiResponse response;
  // Errors of the public API (and of unknown paths under it) are problem+json.
  ErrorStyle style = request.path.starts_with(kPublicApiPrefix) ? ErrorStyle::kProblem : ErrorStyle::kConfigApi;
  try {
    std::map<std::string, std::string> path_params;
    const std::vector<const Route*> candidates = RoutesFor(request.path, path_params);
    if (candidates.empty()) {
      ThrowApiError(404, fmt::format("no such endpoint: {} {}", request.method, request.path));
    }
    const Route* found = nullptr;
    std::vector<std::string> allowed;
    for (const Route* r : candidates) {
      for (const auto& m : r->methods) {
        allowed.push_back(m);
        if (m == request.method && found == nullptr) found = r;
      }
    }
    if (found == nullptr) {
      style = candidates.front()->error_style;
      response.headers.emplace_back("Allow", fmt::format("{}", fmt::join(allowed, ", ")));
      ThrowApiError(405, fmt::format("{} does not accept {}", request.path, request.method));
    }
    const Route& route = *found;
    style = route.error_style;
    if (request.body_too_large) {
      ThrowApiError(413, fmt::format("request body larger than {} bytes", options_.max_body_bytes));
    }

    Principal principal;
    if (route.access == Access::kPublic) {
      try {
        principal = auth_.Resolve(request);
      } catch (const ApiError&) {
        // Stale credentials do not stop a public route.
      }
    } else {
      principal = auth_.Resolve(request);
      if (!principal.authenticated) {
        ThrowApiError(401,
                      "authentication required: log in (POST /api/v1/auth/login) or send "
                      "'Authorization: Bearer sk_…'");
      }
      // CSRF: a browser sends the session cookie with any request to this origin, also one a
      // foreign page makes it send; only this origin's scripts can echo the CSRF cookie in a
      // header. Every API request on a cookie session needs it, except GETs of the answers a
      // browser opens itself (log download, live log stream, metrics), which change nothing.
      const bool navigable = request.method == "GET" && route.response_content_type != "application/json";
      if (principal.auth_method == "session" && !navigable &&
          !ConstantTimeEquals(request.csrf_token, principal.csrf_token)) {
        ThrowApiError(403, fmt::format("CSRF check failed: a request on a session cookie must carry the {} header "
                                       "(the value of the {} cookie, also answered as csrfToken by auth/session)",
                                       kCsrfHeaderName, kCsrfCookieName));
      }
      if (route.access == Access::kPermission) {
        if (principal.must_change_password) {
          ThrowApiError(403,
                        "password change required: change it with POST /api/v1/users/change_password "
                        "before using the API");
        }
        if (!Allowed(principal.role, route.permission)) {
          ThrowApiError(403, fmt::format("forbidden: your role ({}) lacks {}", RoleName(principal.role),
                                         PermissionName(route.permission)));
        }
      }
    }

    Json body = Json::object();
    bool has_body = request.body.find_first_not_of(" \t\r\n") != std::string::npos;
    if (has_body) {
      try {
        body = Json::parse(request.body);
      } catch (const Json::parse_error& e) {
        // e.what() quotes the text read so far, which may hold a secret: only the position.
        ThrowApiError(400, fmt::format("malformed JSON body (at byte {})", e.byte));
      }
      if (!body.is_object()) {
        ThrowApiError(400, fmt::format("the request body must be a JSON object, got {}", body.type_name()));
      }
    } else if (request.method == "GET" || request.method == "DELETE") {
      for (const auto& [key, value] : request.query) body[key] = value;  // GET routes take query parameters
    }
    for (auto& [key, value] : path_params) body[key] = std::move(value);
    CheckWorkspaceScope(*context_.store, route, body, principal);  // after the role check: 403 before 404
    Call call{request, body, principal, response};
    Json result = route.handler(call);
    if (!response.stream && response.body.empty() && !result.is_null()) {
      response.body = DumpJson(result);
      response.content_type = "application/json";
    }
  } catch (const ApiError& e) {
    SetError(response, e, style);
  } catch (const std::exception& e) {
    Log(LogLevel::kError, "api: {} {} failed: {}", request.method, request.path, e.what());
    SetError(response, ApiError{500, "internal error"}, style);
  }
  if (context_.metrics != nullptr) {
    context_.metrics->http_requests.WithLabels({std::to_string(response.status)}).Increment();
  }
  return response;
}

// --- shared helpers ---

namespace {
int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
int64_t SteadyUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

std::optional<ListCache::Entry> ListCache::Get(const std::string& key, uint64_t generation, int64_t after_us) const {
  if (!enabled_) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.generation < generation || it->second.started_us < after_us) {
    return std::nullopt;
  }
  return it->second;
}

void ListCache::Confirm(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(key); it != entries_.end()) it->second.checked_at_ms = SteadyMs();
}

std::string GzipCompress(std::string_view data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::bad_alloc();
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::bad_alloc();
  return out;
}

ListCache::Answer ListCache::GetOrBuild(const std::string& key, const std::function<std::string()>& version,
                                        const std::function<std::string()>& build) {
  return GetOrBuildCompressed(key, version, [&build] { return Built{build(), std::nullopt}; });
}

ListCache::Answer ListCache::GetOrBuildCompressed(const std::string& key, const std::function<std::string()>& version,
                                                  const std::function<Built()>& build) {
  const uint64_t arrived = generation_.load();  // the writes this answer must show
  std::optional<Entry> cached = Get(key, arrived);
  if (cached && SteadyMs() - cached->checked_at_ms < kVersionCheckMs) return cached->answer;
  if (cached) {
    if (cached->version == version()) {
      Confirm(key);
      return cached->answer;
    }
  }
  // A build that starts from now on. One at a time: a request that waited for someone else's
  // build takes its answer when that build started after this request decided it needed one.
  const int64_t needed_after_us = SteadyUs();
  std::unique_lock rebuilding(rebuild_mu_, std::try_to_lock);
  if (!rebuilding.owns_lock()) {
    if (cached) return cached->answer;  // the store's version moved (a change made elsewhere)
    rebuilding.lock();
    if (auto built = Get(key, arrived, needed_after_us)) return built->answer;
  }
  Entry entry;
  entry.generation = generation_.load();
  entry.started_us = SteadyUs();
  entry.version = version();
  Built built = build();
  entry.checked_at_ms = SteadyMs();
  entry.answer.gzip =
      std::make_shared<const std::string>(built.gzip ? std::move(*built.gzip) : GzipCompress(built.body));
  entry.answer.body = std::make_shared<const std::string>(std::move(built.body));
  if (enabled_) {
    std::lock_guard lock(mu_);
    Entry& kept = entries_[key];
    if (entry.started_us >= kept.started_us) kept = entry;
  }
  return entry.answer;
}

void ListCache::Invalidate() { ++generation_; }

std::string DefaultWorkspaceId(const ApiEnv& env) {
  auto workspaces = Unwrap(env.store().ListWorkspaces());
  if (workspaces.empty()) ThrowApiError(500, "internal error: the store has no workspace");
  return workspaces.front().workspace_id;
}

std::string WorkspaceIdOf(const ApiEnv& env, const Json& body) {
  auto id = OptionalString(body, "workspaceId");
  if (!id) return DefaultWorkspaceId(env);
  auto ws = Unwrap(env.store().GetWorkspace(*id));
  if (!ws) ThrowNotFound("workspace", *id, "workspaceId");
  return *id;
}

Actor LoadActor(const ApiEnv& env, ActorKind kind, const std::string& id, std::string_view field) {
  auto actor = Unwrap(env.store().GetActor(kind, id));
  if (!actor) ThrowNotFound(ActorKindName(kind), id, field);
  return *actor;
}

const ConnectorDefinition* FindCustomDefinition(const ApiEnv& env, const std::string& id_or_actor_name) {
  std::string id = id_or_actor_name;
  if (id.starts_with(kCustomDefinitionPrefix)) id.erase(0, kCustomDefinitionPrefix.size());
  if (id.size() != 36) return nullptr;  // a UUID
  auto stored = Unwrap(env.store().GetCustomSourceDefinition(id));
  if (!stored) return nullptr;
  const ConnectorDefinition* runner = env.connectors.Find(ConnectorKind::kSource, "source-declarative-manifest");
  if (runner == nullptr) ThrowApiError(500, "source-declarative-manifest is not in this build");
  return &env.custom_definitions.Intern(*stored, *runner);
}

const ConnectorDefinition& DefinitionOf(const ApiEnv& env, const Actor& actor) {
  if (actor.kind == ActorKind::kSource && actor.definition_name.starts_with(kCustomDefinitionPrefix)) {
    const ConnectorDefinition* custom = FindCustomDefinition(env, actor.definition_name);
    if (custom == nullptr) {
      ThrowApiError(500, fmt::format("the custom definition {} of source {} is gone", actor.definition_name, actor.id));
    }
    return *custom;
  }
  const ConnectorDefinition* d = env.connectors.Find(
      actor.kind == ActorKind::kSource ? ConnectorKind::kSource : ConnectorKind::kDestination, actor.definition_name);
  if (d == nullptr) {
    ThrowApiError(500, fmt::format("connector {} of {} {} is not in this build", actor.definition_name,
                                   ActorKindName(actor.kind), actor.id));
  }
  return *d;
}

const ConnectorDefinition& RequireDefinition(const ApiEnv& env, ConnectorKind kind, const Json& body,
                                             const std::string& field) {
  const std::string id = RequireString(body, field);
  const ConnectorDefinition* d = env.connectors.Find(kind, id);
  if (d == nullptr && kind == ConnectorKind::kSource) d = FindCustomDefinition(env, id);
  if (d == nullptr) {
    const std::string message = env.connectors.NotFoundMessage(kind, id);
    ThrowApiError(404, message, {{field, message}});
  }
  return *d;
}

Json DecryptActorConfig(const ApiEnv& env, const Actor& actor) {
  auto config = DecryptConfig(*env.context.secrets, actor.configuration);
  if (!config.ok()) {
    ThrowApiError(500, fmt::format("the stored configuration of {} {} cannot be decrypted ({}): was the secret "
                                   "key changed?",
                                   ActorKindName(actor.kind), actor.id, config.status().message()));
  }
  if (actor.definition_name.starts_with(kCustomDefinitionPrefix)) return WithManifest(DefinitionOf(env, actor), *config);
  return *config;
}

}  // namespace sluice
