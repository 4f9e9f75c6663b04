#pragma once
// What the route files of src/api share: the environment every handler sees and helpers used by
// more than one resource. Internal to the module.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/api.h"
#include "api/custom_definitions.h"
#include "api/request_fields.h"
#include "platform/catalog_diff.h"
#include "protocol/catalog.h"

namespace sluice {

//! Answers that are costly to build and seldom change (connections/list, jobs/stats): the body
//! and its gzip form, kept until what they show changes. Requests compare a version read from
//! the store (one cheap aggregate query, at most every kVersionCheckMs per answer, so changes
//! made by workers or other servers show within that), and writes through this API call
//! Invalidate, after which a request gets only an answer built after that write (a client reads
//! its own writes). Builds are single-flight: one at a time per cache, and every request waiting
//! takes the first answer built after it arrived, so a stream of writes costs one build after
//! another, never one build per request (before, each waiting request rebuilt in turn: under 150
//! writes/s, connections/list answered in seconds and its waiters held the API's threads). While
//! one request rebuilds an answer whose store version moved, the others keep getting the previous
//! one (a change made elsewhere shows within kVersionCheckMs anyway). Thread-safe.
class ConnectionListFragments;  // api/connection_list.h

class ListCache {
 public:
  struct Answer {
    std::shared_ptr<const std::string> body;
    std::shared_ptr<const std::string> gzip;
  };
  static constexpr int64_t kVersionCheckMs = 200;

  explicit ListCache(bool enabled) : enabled_(enabled) {}
  //! The answer for `key`: the kept one while `version()` is unchanged and no Invalidate() came
  //! since it was built, else `build()`'s (the version is read before building, so a change during
  //! the build is seen next time).
  Answer GetOrBuild(const std::string& key, const std::function<std::string()>& version,
                    const std::function<std::string()>& build);
  //! What a build may give: the body and, when it has it already, its gzip form (else the body
  //! is compressed here).
  struct Built {
    std::string body;
    std::optional<std::string> gzip;
  };
  //! GetOrBuild with a build that may give the gzip form too (connections/list assembles it
  //! from compressed fragments).
  Answer GetOrBuildCompressed(const std::string& key, const std::function<std::string()>& version,
                              const std::function<Built()>& build);
  void Invalidate();

 private:
  struct Entry {
    uint64_t generation = 0;   // generation_ when its build started: it shows every write before
    int64_t started_us = 0;    // steady clock, when its build started
    std::string version;       // the store's version read before its build
    int64_t checked_at_ms = 0; // steady clock, when that version was last confirmed
    Answer answer;
  };
  //! The entry of `key` if it shows every write before `generation` and was built after
  //! `after_us`; nullopt otherwise.
  std::optional<Entry> Get(const std::string& key, uint64_t generation, int64_t after_us = 0) const;
  void Confirm(const std::string& key);

  const bool enabled_;
  std::atomic<uint64_t> generation_{0};
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  std::mutex rebuild_mu_;
};

struct ApiEnv {
  const PlatformContext& context;
  const ApiOptions& options;
  Authenticator& auth;
  const ConnectorCatalog& connectors;
  const std::vector<Route>& routes;   //!< the whole table (the OpenAPI document, tests)
  const std::atomic<bool>& stopping;  //!< set when the server stops: long streams end
  ListCache& connection_lists;        //!< connections/list answers; writes call Invalidate()
  ConnectionListFragments& connection_fragments;  //!< what connection_lists' answers are built from
  ListCache& job_stats;               //!< jobs/stats answers, by MetadataStore::FinishedJobsVersion
  CustomDefinitions& custom_definitions;  //!< custom source definitions as ConnectorDefinitions

  MetadataStore& store() const { return *context.store; }
  int64_t now() const { return context.NowMs(); }
  void WakeWorkers() const {
    if (context.wake_workers) context.wake_workers();
  }
};

// Every Add*Routes appends its resource's routes.
void AddSystemRoutes(std::vector<Route>& routes, ApiEnv& env);      // health, metrics, openapi
void AddWorkspaceRoutes(std::vector<Route>& routes, ApiEnv& env);   // workspaces, definitions
void AddActorRoutes(std::vector<Route>& routes, ApiEnv& env);       // sources, destinations
void AddConnectionRoutes(std::vector<Route>& routes, ApiEnv& env);  // connections, state
void AddJobRoutes(std::vector<Route>& routes, ApiEnv& env);         // jobs, logs
void AddUserRoutes(std::vector<Route>& routes, ApiEnv& env);        // auth, users, api_keys
void AddOperationRoutes(std::vector<Route>& routes, ApiEnv& env);   // operations
void AddDeclarativeRoutes(std::vector<Route>& routes, ApiEnv& env);  // declarative_source_definitions
void AddPublicRoutes(std::vector<Route>& routes, ApiEnv& env);      // the Airbyte API, /api/public/v1

//! The first (default) workspace's id.
std::string DefaultWorkspaceId(const ApiEnv& env);
//! `workspaceId` of the body, checked to exist (404), or the default workspace.
std::string WorkspaceIdOf(const ApiEnv& env, const Json& body);

//! A source or destination by id (404 naming `field` when unknown or deleted).
Actor LoadActor(const ApiEnv& env, ActorKind kind, const std::string& id, std::string_view field);
//! The custom source definition `id_or_actor_name` names (its id, or an actor's definition_name
//! kCustomDefinitionPrefix + id), interned; nullptr when there is none.
const ConnectorDefinition* FindCustomDefinition(const ApiEnv& env, const std::string& id_or_actor_name);
//! The actor's connector (500 when the connector is gone from this build). For a source of a
//! custom definition: that definition (api/custom_definitions.h).
const ConnectorDefinition& DefinitionOf(const ApiEnv& env, const Actor& actor);
//! The definition `body[field]` names (id, Airbyte id or repository, or connector name); 404
//! naming `field` when unknown.
const ConnectorDefinition& RequireDefinition(const ApiEnv& env, ConnectorKind kind, const Json& body,
                                             const std::string& field);
//! The decrypted stored config (500 with a key hint when it does not decrypt); a custom
//! definition's manifest injected.
Json DecryptActorConfig(const ApiEnv& env, const Actor& actor);

//! Runs the source's discover in this process. Errors carry redacted messages. When the source
//! changed its own config meanwhile (a rotated OAuth refresh token), `config_changes` (if given)
//! receives the changes (protocol/config_update.h; an empty object when none).
Result<Catalog> DiscoverSource(const ConnectorDefinition& definition, const Json& config,
                               Json* config_changes = nullptr);
//! DiscoverSource of a stored source; a config it changed is saved into the stored config
//! (SaveActorConfigChanges), so the next run uses it.
Result<Catalog> DiscoverStoredSource(const ApiEnv& env, const Actor& source);
//! Merges `changes` (a connector's own config update) into the actor's stored config, read
//! fresh (encrypted again). True when something was saved.
bool SaveActorConfigChanges(const ApiEnv& env, ActorKind kind, const std::string& actor_id, const Json& changes);

//! Compares connection `c`'s syncCatalog with `discovered` and records the result on it as
//! Airbyte's discover_schema does with a connectionId: schemaChange and the pending catalogDiff,
//! and status inactive on a breaking change (or any change under the `disable` policy). Nothing
//! is propagated here: that happens at the next sync. `c` is updated in place.
CatalogDiff RecordDiscoveredSchema(const ApiEnv& env, Connection& c, const Catalog& discovered);

//! jobs/get's answer: {job, attempts: [{attempt, logs: {logLines}}]}; without logs when
//! `with_logs` is false (jobs/list).
Json JobInfoToApi(const ApiEnv& env, const Job& job, bool with_logs);
//! A job's summary {id, configType, configId, createdAt, updatedAt, status} (epoch seconds).
Json JobToApi(const Job& job);

//! A helper to build routes compactly.
Route MakeRoute(std::string path, Permission permission, std::string tag, std::string summary,
                std::vector<FieldDoc> fields, Handler handler);

}  // namespace sluice
