#include "connectors/sources/postgres/pg_source_config.h"

#include <fmt/format.h>

namespace sluice {

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
                      "(transaction id); no cursor column needed. Deletions are not seen.")}}};
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
      return Status::ConfigError("replication_method.method: CDC is not supported yet; use Standard or Xmin");
    } else {
      return Status::ConfigError("replication_method.method: must be Standard or Xmin");
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
