#include "connectors/sources/postgres/pg_source_config.h"

#include <fmt/format.h>

#include "connectors/kit/config_reader.h"

namespace sluice {

namespace {

constexpr const char* kAfterLoading = "After loading Data in the destination";
constexpr const char* kWhileReading = "While reading Data";
constexpr const char* kFailSync = "Fail sync";
constexpr const char* kResync = "Re-sync data";

//! Airbyte's "Read Changes using Write-Ahead Log (CDC)" branch, same keys, defaults and ranges.
Json CdcBranch() {
  Json props = {
      {"method", {{"type", "string"}, {"const", "CDC"}, {"order", 1}}},
      {"plugin",
       {{"type", "string"},
        {"title", "Plugin"},
        {"enum", {"pgoutput"}},
        {"default", "pgoutput"},
        {"description", "The logical decoding plugin; only pgoutput."},
        {"order", 2}}},
      {"replication_slot",
       {{"type", "string"},
        {"title", "Replication Slot"},
        {"description", "A logical replication slot using pgoutput, created beforehand: SELECT "
                        "pg_create_logical_replication_slot('airbyte_slot', 'pgoutput');"},
        {"order", 3}}},
      {"publication",
       {{"type", "string"},
        {"title", "Publication"},
        {"description", "A publication covering the tables to sync: CREATE PUBLICATION airbyte_publication FOR "
                        "TABLE t1, t2;"},
        {"order", 4}}},
      {"initial_waiting_seconds",
       {{"type", "integer"},
        {"title", "Initial Waiting Time in Seconds (Advanced)"},
        {"description", "How long a sync waits for changes when none arrive; it stops earlier once caught up "
                        "with the server's WAL position at its start."},
        {"default", 300},
        {"minimum", 120},
        {"maximum", 2400},
        {"order", 5}}},
      {"queue_size",
       {{"type", "integer"},
        {"title", "Size of the queue (Advanced)"},
        {"description", "Accepted for compatibility with Airbyte's config; sluice bounds memory by batch size."},
        {"default", 10000},
        {"minimum", 1000},
        {"maximum", 10000},
        {"order", 6}}},
      {"lsn_commit_behaviour",
       {{"type", "string"},
        {"title", "LSN commit behaviour"},
        {"enum", {kWhileReading, kAfterLoading}},
        {"default", kAfterLoading},
        {"description", "When the slot's flush position advances: after the destination committed the data "
                        "(default; nothing is lost if a sync fails), or while reading (a failed sync then needs "
                        "a resync)."},
        {"order", 7}}},
      {"heartbeat_action_query",
       {{"type", "string"},
        {"title", "Debezium heartbeat query (Advanced)"},
        {"description", "A statement run before streaming, e.g. an upsert into a heartbeat table that is in the "
                        "publication, so an idle database still moves the slot."},
        {"default", ""},
        {"order", 8}}},
      {"initial_load_timeout_hours",
       {{"type", "integer"},
        {"title", "Initial Load Timeout in Hours (Advanced)"},
        {"description", "Accepted for compatibility with Airbyte's config; the snapshot is resumable instead."},
        {"default", 8},
        {"minimum", 4},
        {"maximum", 24},
        {"order", 9}}},
      {"invalid_cdc_cursor_position_behavior",
       {{"type", "string"},
        {"title", "Invalid CDC position behavior (Advanced)"},
        {"enum", {kFailSync, kResync}},
        {"default", kFailSync},
        {"description", "What to do when the slot cannot resume the saved position (slot dropped, WAL removed, "
                        "or flushed beyond it): fail the sync, or take a new snapshot."},
        {"order", 10}}},
  };
  return Json{{"title", "Read Changes using Write-Ahead Log (CDC)"},
              {"description", "Logical replication (pgoutput) from a replication slot: inserts, updates and "
                              "deletes. Needs wal_level=logical, a slot and a publication."},
              {"type", "object"},
              // Airbyte also lists replication_slot and publication here; the parser requires them
              // instead, so a config without them gets the SQL that creates each (not just "missing").
              {"required", {"method"}},
              {"additionalProperties", true},
              {"properties", std::move(props)}};
}

Result<PgCdcConfig> ParseCdcConfig(const Json& method) {
  ConfigReader r(method, "$.replication_method");
  PgCdcConfig c;
  c.plugin = r.Enum("plugin", {"pgoutput"}, "pgoutput");
  // Missing slot and publication are reported together, each with the SQL that makes it.
  std::vector<std::string> missing;
  auto required = [&](const char* key, const std::string& sql) {
    const Json& v = r.Raw(key);
    if (v.is_string() && !v.get<std::string>().empty()) return v.get<std::string>();
    missing.push_back(fmt::format("$.replication_method.{}: required for CDC; create one with {} and put its "
                                  "name here", key, sql));
    return std::string();
  };
  c.replication_slot =
      required("replication_slot", "SELECT pg_create_logical_replication_slot('airbyte_slot', 'pgoutput');");
  c.publication = required("publication", "CREATE PUBLICATION airbyte_publication FOR TABLE <table>, …;");
  c.initial_waiting_seconds = r.Integer("initial_waiting_seconds", 300, 120, 2400);
  c.queue_size = r.Integer("queue_size", 10000, 1000, 10000);
  c.flush_after_destination = r.Enum("lsn_commit_behaviour", {kAfterLoading, kWhileReading}, kAfterLoading) ==
                              kAfterLoading;
  c.heartbeat_action_query = r.String("heartbeat_action_query", "");
  c.initial_load_timeout_hours = r.Integer("initial_load_timeout_hours", 8, 4, 24);
  c.resync_on_invalid_position =
      r.Enum("invalid_cdc_cursor_position_behavior", {kFailSync, kResync}, kFailSync) == kResync;
  if (!missing.empty()) {
    std::string message;
    for (const auto& m : missing) message += (message.empty() ? "" : "\n") + m;
    Status st = r.status();
    if (!st.ok()) message += "\n" + st.message();
    return Status::ConfigError(message);
  }
  SLUICE_RETURN_IF_ERROR(r.status());
  return c;
}

}  // namespace

Json PgSourceSpecJson() {
  Json props = PgConnectionSpecProperties(0);
  // Airbyte's order: host, port, database, schemas, username, password, ...
  int order = static_cast<int>(props.size());
  props["schemas"] = {{"type", "array"},
                      {"title", "Schemas"},
                      {"description", "The schemas (case sensitive) to read from. An empty list means every "
                                      "schema except pg_catalog, information_schema and pg_toast."},
                      {"items", {{"type", "string"}}},
                      {"uniqueItems", true},
                      {"default", Json::array({"public"})},
                      {"order", order++}};
  auto method_branch = [](const char* method, const char* title, const char* description) {
    return Json{{"title", title},
                {"description", description},
                {"type", "object"},
                {"required", {"method"}},
                {"properties", {{"method", {{"type", "string"}, {"const", method}, {"order", 0}}}}}};
  };
  props["replication_method"] = {
      {"type", "object"},
      {"title", "Update Method"},
      {"description", "How incremental streams find new and changed rows."},
      {"default", {{"method", "Standard"}}},
      {"order", order++},
      {"oneOf",
       {method_branch("Standard", "Scan Changes with User Defined Cursor",
                      "Incremental streams read rows whose cursor column is >= the last value read."),
        method_branch("Xmin", "Detect Changes with Xmin System Column",
                      "Incremental streams read rows changed since the last sync, found by their xmin "
                      "(transaction id); no cursor column needed. Deletions are not seen."),
        CdcBranch()}}};
  props["max_parallel_streams"] = {{"type", "integer"},
                                   {"title", "Parallel streams"},
                                   {"description", "How many tables are read at the same time, each on its own "
                                                   "connection."},
                                   {"minimum", 1},
                                   {"maximum", 64},
                                   {"default", 2},
                                   {"order", order++}};
  props["chunk_size_mb"] = {{"type", "integer"},
                            {"title", "Chunk size (MiB)"},
                            {"description", "Full-refresh and xmin reads go through a table in ranges of about this "
                                            "many MiB of table pages; a checkpoint follows each range, so a failed "
                                            "read resumes at its range."},
                            {"minimum", 1},
                            {"maximum", 1048576},
                            {"default", 128},
                            {"order", order++}};
  return Json{{"$schema", "http://json-schema.org/draft-07/schema#"},
              {"title", "Postgres Source Spec"},
              {"type", "object"},
              {"required", {"host", "port", "database", "username"}},
              {"additionalProperties", false},
              {"properties", std::move(props)}};
}

Result<PgSourceConfig> ParsePgSourceConfig(const Json& config) {
  if (!config.is_object()) return Status::ConfigError("config: must be an object");
  PgSourceConfig c;
  SLUICE_ASSIGN_OR_RETURN(c.connection, ParsePgConnectionConfig(config));
  SLUICE_ASSIGN_OR_RETURN(c.tunnel, ParseTunnelMethod(config));
  if (c.connection.username.empty()) return Status::ConfigError("username: must not be empty");
  if (auto it = config.find("schemas"); it != config.end() && !it->is_null()) {
    if (!it->is_array()) return Status::ConfigError("schemas: must be a list of schema names");
    c.schemas.clear();
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& s = (*it)[i];
      if (!s.is_string() || s.get<std::string>().empty()) {
        return Status::ConfigError(fmt::format("schemas[{}]: must be a non-empty string", i));
      }
      c.schemas.push_back(s.get<std::string>());
    }
  }
  if (auto it = config.find("replication_method"); it != config.end() && !it->is_null()) {
    std::string method;
    if (it->is_string()) {
      method = it->get<std::string>();
    } else if (it->is_object() && it->contains("method") && (*it)["method"].is_string()) {
      method = (*it)["method"].get<std::string>();
    }
    if (method == "Standard") {
      c.replication = ReplicationMethod::kStandard;
    } else if (method == "Xmin") {
      c.replication = ReplicationMethod::kXmin;
    } else if (method == "CDC") {
      c.replication = ReplicationMethod::kCdc;
      SLUICE_ASSIGN_OR_RETURN(c.cdc, ParseCdcConfig(it->is_object() ? *it : Json::object()));
    } else {
      return Status::ConfigError("replication_method.method: must be Standard, Xmin or CDC");
    }
  }
  if (auto it = config.find("max_parallel_streams"); it != config.end() && it->is_number_integer()) {
    const int64_t v = it->get<int64_t>();
    if (v < 1 || v > 64) return Status::ConfigError("max_parallel_streams: must be between 1 and 64");
    c.max_parallel_streams = static_cast<int>(v);
  }
  if (auto it = config.find("chunk_size_mb"); it != config.end() && it->is_number_integer()) {
    const int64_t v = it->get<int64_t>();
    if (v < 1 || v > 1048576) return Status::ConfigError("chunk_size_mb: must be between 1 and 1048576");
    c.chunk_size_mb = v;
  }
  return c;
}

}  // namespace sluice
