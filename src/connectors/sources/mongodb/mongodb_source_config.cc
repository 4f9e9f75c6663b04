#include "connectors/sources/mongodb/mongodb_source_config.h"

#include <string_view>

#include "connectors/kit/config_reader.h"

namespace sluice {

namespace {

constexpr const char* kAtlas = "ATLAS_REPLICA_SET";
constexpr const char* kSelfManaged = "SELF_MANAGED_REPLICA_SET";
constexpr const char* kFailSync = "Fail sync";
constexpr const char* kResync = "Re-sync data";
constexpr const char* kLookup = "Lookup";
constexpr const char* kPostImage = "Post Image";

Json ClusterBranch(const char* type, const char* title, const char* description, const char* example,
                   bool credentials_required) {
  int order = 0;
  Json props = Json::object();
  props["cluster_type"] = {{"type", "string"}, {"const", type}, {"order", order++}};
  props["connection_string"] = {
      {"type", "string"},
      {"title", "Connection String"},
      {"description", "The connection string of the cluster to replicate (mongodb:// or mongodb+srv://). Options "
                      "in it (replicaSet, tls, serverSelectionTimeoutMS, …) are passed to the driver."},
      {"examples", {example}},
      {"order", order++}};
  props["database"] = {{"type", "string"},
                       {"title", "Database Name"},
                       {"description", "The database whose collections are replicated."},
                       {"order", order++}};
  props["databases"] = {{"type", "array"},
                        {"title", "Database Names"},
                        {"description", "Airbyte's newer form of `database`: a list with one name (sluice reads "
                                        "one database per source)."},
                        {"items", {{"type", "string"}}},
                        {"order", order++}};
  props["username"] = {{"type", "string"},
                       {"title", "Username"},
                       {"description", "The username which is used to access the database."},
                       {"order", order++}};
  props["password"] = {{"type", "string"},
                       {"title", "Password"},
                       {"description", "The password associated with this username."},
                       {"airbyte_secret", true},
                       {"order", order++}};
  props["auth_source"] = {{"type", "string"},
                          {"title", "Authentication Source"},
                          {"description", "The database where the user's credentials are stored."},
                          {"default", "admin"},
                          {"examples", {"admin"}},
                          {"order", order++}};
  props["schema_enforced"] = {
      {"type", "boolean"},
      {"title", "Schema Enforced"},
      {"description", "When enabled, discovery samples documents and every top-level field becomes a column "
                      "(fields not discovered are left out); when disabled, each document is one `data` object "
                      "beside `_id`."},
      {"default", true},
      {"always_show", true},
      {"order", order++}};
  Json required = Json::array({"cluster_type", "connection_string"});
  if (credentials_required) {
    required.push_back("username");
    required.push_back("password");
  }
  return Json{{"title", title},
              {"description", description},
              {"type", "object"},
              {"required", required},
              {"additionalProperties", true},
              {"properties", std::move(props)}};
}

}  // namespace

Json MongoSourceSpecJson() {
  Json props = Json::object();
  props["database_config"] = {
      {"type", "object"},
      {"title", "Cluster Type"},
      {"description", "Configures the MongoDB cluster type. Both must be replica sets (change streams need the "
                      "oplog); sharded clusters are read through mongos the same way."},
      {"display_type", "radio"},
      {"order", 1},
      {"group", "connection"},
      {"oneOf",
       {ClusterBranch(kAtlas, "MongoDB Atlas Replica Set", "MongoDB Atlas-hosted cluster configured as a replica set",
                      "mongodb+srv://cluster0.abcd1.mongodb.net/", true),
        ClusterBranch(kSelfManaged, "Self-Managed Replica Set", "MongoDB self-hosted cluster configured as a replica "
                      "set", "mongodb://example1.host.com:27017,example2.host.com:27017/?replicaSet=rs0", false)}}};
  props["initial_waiting_seconds"] = {
      {"type", "integer"},
      {"title", "Initial Waiting Time in Seconds (Advanced)"},
      {"description", "The longest a sync reads the change stream; it stops sooner, as soon as it has caught up "
                      "with the cluster time at its start. 120 to 1200 seconds."},
      {"default", 300},
      {"minimum", 120},
      {"maximum", 1200},
      {"order", 6},
      {"group", "advanced"}};
  props["queue_size"] = {{"type", "integer"},
                         {"title", "Size of the queue (Advanced)"},
                         {"description", "Change events between two checkpoints (Airbyte: the internal queue's "
                                         "size)."},
                         {"default", 10000},
                         {"minimum", 1000},
                         {"maximum", 10000},
                         {"order", 7},
                         {"group", "advanced"}};
  props["discover_sample_size"] = {{"type", "integer"},
                                   {"title", "Document discovery sample size (Advanced)"},
                                   {"description", "The most documents sampled per collection to discover its "
                                                   "fields and their types."},
                                   {"default", 10000},
                                   {"minimum", 10},
                                   {"maximum", 100000},
                                   {"order", 10},
                                   {"group", "advanced"}};
  props["discover_timeout_seconds"] = {{"type", "integer"},
                                       {"title", "Document discovery timeout in seconds (Advanced)"},
                                       {"description", "The time limit of one collection's sampling."},
                                       {"default", 600},
                                       {"minimum", 5},
                                       {"maximum", 1200},
                                       {"order", 11},
                                       {"group", "advanced"}};
  props["invalid_cdc_cursor_position_behavior"] = {
      {"type", "string"},
      {"title", "Invalid CDC position behavior (Advanced)"},
      {"description", "What to do when the saved resume token is no longer in the oplog: fail the sync (reset the "
                      "connection to recover), or take a new snapshot of every stream."},
      {"enum", {kFailSync, kResync}},
      {"default", kFailSync},
      {"order", 12},
      {"group", "advanced"}};
  props["update_capture_mode"] = {
      {"type", "string"},
      {"title", "Capture mode (Advanced)"},
      {"description", "How an updated document is read: 'Lookup' reads its current version when the change is "
                      "read; 'Post Image' reads the version right after the update (needs "
                      "changeStreamPreAndPostImages enabled on the collections; the sync fails without it)."},
      {"enum", {kLookup, kPostImage}},
      {"default", kLookup},
      {"order", 13},
      {"group", "advanced"}};
  props["initial_load_timeout_hours"] = {{"type", "integer"},
                                         {"title", "Initial Load Timeout in Hours (Advanced)"},
                                         {"description", "Accepted for compatibility; the snapshot is resumable "
                                                         "instead."},
                                         {"default", 8},
                                         {"minimum", 4},
                                         {"maximum", 24},
                                         {"order", 14},
                                         {"group", "advanced"}};
  props["snapshot_checkpoint_documents"] = {
      {"type", "integer"},
      {"title", "Snapshot checkpoint interval (sluice)"},
      {"description", "Documents read by the initial snapshot between two checkpoints; an interrupted snapshot "
                      "resumes after the last checkpointed _id."},
      {"default", 10000},
      {"minimum", 1},
      {"maximum", 10000000},
      {"order", 15},
      {"group", "advanced"}};
  return Json{{"$schema", "http://json-schema.org/draft-07/schema#"},
              {"title", "MongoDb Source Spec"},
              {"type", "object"},
              {"required", {"database_config"}},
              {"additionalProperties", true},
              {"properties", std::move(props)},
              {"groups", Json::array({Json{{"id", "connection"}}, Json{{"id", "advanced"}, {"title", "Advanced"}}})}};
}

Result<MongoSourceConfig> ParseMongoSourceConfig(const Json& config) {
  ConfigReader r(config);
  MongoSourceConfig c;
  ConfigReader db = r.Object("database_config");
  if (!r.Has("database_config")) r.Fail("database_config", "is required (cluster_type, connection_string, database)");
  const std::string type = db.Enum("cluster_type", {kSelfManaged, kAtlas}, kSelfManaged);
  c.cluster_type = type == kAtlas ? MongoClusterType::kAtlasReplicaSet : MongoClusterType::kSelfManagedReplicaSet;
  c.connection_string = db.String("connection_string");
  if (!c.connection_string.empty() && c.connection_string.rfind("mongodb://", 0) != 0 &&
      c.connection_string.rfind("mongodb+srv://", 0) != 0) {
    db.Fail("connection_string", "must start with mongodb:// or mongodb+srv://");
  }
  if (db.Has("database")) {
    c.database = db.String("database");
  } else {
    const std::vector<std::string> list = db.StringList("databases");
    if (list.size() == 1) {
      c.database = list[0];
    } else if (list.empty()) {
      db.Fail("database", "is required: the database whose collections are replicated");
    } else {
      db.Fail("databases", "lists " + std::to_string(list.size()) +
                               " databases; sluice reads one database per source: make one source per database");
    }
  }
  c.username = db.String("username", "");
  c.password = db.String("password", "");
  c.auth_source = db.String("auth_source", "admin");
  if (c.auth_source.empty()) c.auth_source = "admin";
  c.schema_enforced = db.Bool("schema_enforced", true);
  if (c.cluster_type == MongoClusterType::kAtlasReplicaSet && c.username.empty()) {
    db.Fail("username", "is required for ATLAS_REPLICA_SET");
  }
  if (!c.password.empty() && c.username.empty()) db.Fail("username", "is required when a password is given");
  c.initial_waiting_seconds = r.Integer("initial_waiting_seconds", 300, 120, 1200);
  c.queue_size = r.Integer("queue_size", 10000, 1000, 10000);
  c.discover_sample_size = r.Integer("discover_sample_size", 10000, 10, 100000);
  c.discover_timeout_seconds = r.Integer("discover_timeout_seconds", 600, 5, 1200);
  c.update_capture_mode = r.Enum("update_capture_mode", {kLookup, kPostImage}, kLookup) == kPostImage
                              ? MongoUpdateCaptureMode::kPostImage
                              : MongoUpdateCaptureMode::kLookup;
  c.resync_on_invalid_position =
      r.Enum("invalid_cdc_cursor_position_behavior", {kFailSync, kResync}, kFailSync) == kResync;
  c.initial_load_timeout_hours = r.Integer("initial_load_timeout_hours", 8, 4, 24);
  c.snapshot_checkpoint_documents = r.Integer("snapshot_checkpoint_documents", 10000, 1, 10000000);
  SLUICE_RETURN_IF_ERROR(r.status());
  return c;
}

}  // namespace sluice
