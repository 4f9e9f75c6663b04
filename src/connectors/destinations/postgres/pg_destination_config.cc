#include "connectors/destinations/postgres/pg_destination_config.h"

#include <fmt/format.h>

namespace sluice {

ConnectorSpec PgDestinationSpec() {
  Json properties = PgConnectionSpecProperties(0);
  int order = static_cast<int>(properties.size());
  properties["schema"] = {
      {"type", "string"},
      {"title", "Default schema"},
      {"description", "The schema final tables are written to when the stream has no namespace"},
      {"default", "public"},
      {"examples", {"public"}},
      {"minLength", 1},
      {"order", order++}};
  properties["raw_data_schema"] = {
      {"type", "string"},
      {"title", "Raw table schema"},
      {"description", "The schema of the raw tables (_airbyte_data as jsonb)"},
      {"default", "airbyte_internal"},
      {"minLength", 1},
      {"order", order++}};
  properties["direct_load"] = {
      {"type", "boolean"},
      {"title", "Direct load (no raw tables)"},
      {"description",
       "Write only the typed final tables (the default, Airbyte's Direct Load). false also writes Destinations V2 "
       "raw tables beside them (airbyte_internal), for readers of those"},
      {"default", true},
      {"order", order++}};
  properties["disable_type_dedupe"] = {
      {"type", "boolean"},
      {"title", "Raw tables only"},
      {"description", "Write only the raw tables: no typed final tables and no deduplication"},
      {"default", false},
      {"order", order++}};
  properties["cdc_deletion_mode"] = {
      {"type", "string"},
      {"title", "CDC deletion mode"},
      {"description",
       "In append_dedup mode, a record with _ab_cdc_deleted_at set removes its row (Hard delete) or is kept "
       "as a tombstone (Soft delete)"},
      {"enum", {"Hard delete", "Soft delete"}},
      {"default", "Hard delete"},
      {"order", order++}};
  properties["normalization"] = {
      {"type", "string"},
      {"title", "Normalization"},
      {"description",
       "basic: nested objects become columns of their parent (contact_email), arrays become child tables "
       "(customers_addresses, linked by _airbyte_customers_hashid), as Airbyte's basic normalization did. none: "
       "objects and arrays stay jsonb columns. A connection's normalization setting overrides this"},
      {"enum", {"none", "basic"}},
      {"default", "none"},
      {"order", order++}};
  properties["legacy_raw_tables"] = {
      {"type", "boolean"},
      {"title", "Legacy raw tables"},
      {"description",
       "Write Airbyte's pre-Destinations-V2 raw tables {schema}._airbyte_raw_{stream} (_airbyte_ab_id, "
       "_airbyte_emitted_at, _airbyte_data jsonb), which older dbt models read, instead of the V2 raw tables"},
      {"default", false},
      {"order", order++}};
  properties["drop_cascade"] = {
      {"type", "boolean"},
      {"title", "Drop tables with CASCADE"},
      {"description", "When an overwrite replaces a table, also drop the objects that depend on it (views)"},
      {"default", false},
      {"order", order++}};
  properties["parallel_copies"] = {
      {"type", "integer"},
      {"title", "Parallel COPY connections"},
      {"description",
       "How many connections each stream loads through at once, per table kind (typed, raw), in overwrite and "
       "append modes; batches go to them in turn so several server backends work in parallel. Append + dedup "
       "always uses one connection. With more than one, a crash can leave part of a checkpoint committed "
       "without its state; the rerun sends it again (at-least-once)"},
      {"default", 2},
      {"minimum", 1},
      {"maximum", 32},
      {"order", order++}};
  properties["unconstrained_number"] = {
      {"type", "boolean"},
      {"title", "Unconstrained numeric columns"},
      {"description", "Accepted for compatibility: decimal columns are always unconstrained numeric"},
      {"default", false},
      {"order", order++}};
  properties["ssl"] = {{"type", "boolean"},
                       {"title", "SSL connection"},
                       {"description", "Accepted for compatibility; ssl_mode decides"},
                       {"default", false},
                       {"order", order++}};

  ConnectorSpec spec;
  spec.documentation_url = "https://docs.airbyte.com/integrations/destinations/postgres";
  spec.connection_specification = {{"$schema", "http://json-schema.org/draft-07/schema#"},
                                   {"title", "Postgres Destination Spec"},
                                   {"type", "object"},
                                   {"required", {"host", "port", "database", "username"}},
                                   {"additionalProperties", false},
                                   {"properties", properties}};
  spec.supported_destination_sync_modes = {DestinationSyncMode::kOverwrite, DestinationSyncMode::kAppend,
                                           DestinationSyncMode::kAppendDedup};
  return spec;
}

Result<PgDestinationConfig> ParsePgDestinationConfig(const Json& config) {
  if (!config.is_object()) return Status::ConfigError("config: must be an object");
  PgDestinationConfig c;
  SLUICE_ASSIGN_OR_RETURN(c.connection, ParsePgConnectionConfig(config));
  SLUICE_ASSIGN_OR_RETURN(c.tunnel, ParseTunnelMethod(config));
  auto string_field = [&](const char* key, std::string& out) -> Status {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) return Status::Ok();
    if (!it->is_string()) return Status::ConfigError(fmt::format("{}: must be a string", key));
    out = it->get<std::string>();
    if (out.empty()) return Status::ConfigError(fmt::format("{}: must not be empty", key));
    return Status::Ok();
  };
  auto bool_field = [&](const char* key, bool& out) -> Status {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) return Status::Ok();
    if (!it->is_boolean()) return Status::ConfigError(fmt::format("{}: must be true or false", key));
    out = it->get<bool>();
    return Status::Ok();
  };
  SLUICE_RETURN_IF_ERROR(string_field("schema", c.schema));
  SLUICE_RETURN_IF_ERROR(string_field("raw_data_schema", c.raw_data_schema));
  SLUICE_RETURN_IF_ERROR(bool_field("direct_load", c.direct_load));
  SLUICE_RETURN_IF_ERROR(bool_field("disable_type_dedupe", c.disable_type_dedupe));
  SLUICE_RETURN_IF_ERROR(bool_field("drop_cascade", c.drop_cascade));
  SLUICE_RETURN_IF_ERROR(bool_field("legacy_raw_tables", c.legacy_raw_tables));
  if (auto it = config.find("normalization"); it != config.end() && !it->is_null()) {
    const std::string mode = it->is_string() ? it->get<std::string>() : std::string();
    if (mode == "basic") {
      c.normalization = true;
    } else if (mode != "none") {
      return Status::ConfigError(fmt::format("normalization: {} is not one of 'basic', 'none'", it->dump()));
    }
  }
  SLUICE_RETURN_IF_ERROR(bool_field("unconstrained_number", c.unconstrained_number));
  if (auto it = config.find("parallel_copies"); it != config.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 32) {
      return Status::ConfigError("parallel_copies: must be an integer from 1 to 32");
    }
    c.parallel_copies = it->get<int>();
  }
  if (auto it = config.find("cdc_deletion_mode"); it != config.end() && it->is_string()) {
    const std::string mode = it->get<std::string>();
    if (mode == "Hard delete") {
      c.cdc_deletion_mode = CdcDeletionMode::kHardDelete;
    } else if (mode == "Soft delete") {
      c.cdc_deletion_mode = CdcDeletionMode::kSoftDelete;
    } else {
      return Status::ConfigError(
          fmt::format("cdc_deletion_mode: '{}' is not one of 'Hard delete', 'Soft delete'", mode));
    }
  }
  for (const std::string* name : {&c.schema, &c.raw_data_schema}) {
    if (name->find('\0') != std::string::npos) return Status::ConfigError("schema names must not contain NUL");
  }
  return c;
}

}  // namespace sluice
