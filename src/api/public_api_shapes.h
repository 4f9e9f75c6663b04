#pragma once
// The Airbyte API's shapes (the public one, /api/public/v1; Airbyte's api.yaml) and their
// mapping to and from the Config API's: pure functions over JSON, no store, no clock (the time
// is a parameter). routes_public.cc calls them around the Config API's handlers; the unit tests
// (tests/unit/api/public_api_shapes_test.cc) pin each mapping.
//
// Invalid input throws ApiError 400 naming the public field ("configurations.streams[1].syncMode",
// "schedule.cronExpression"): the module's internal control flow, turned into problem+json by
// Api::Handle.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/api_types.h"

namespace sluice {

inline constexpr std::string_view kPublicApiPrefix = "/api/public/v1";
inline constexpr const char* kProblemContentType = "application/problem+json";

//! An error as Airbyte's public API answers it (RFC 9457): {type, title, status, detail, data:
//! {message, details: [{field, message}]}}. Invalid values (the Config API's 422) are 400 here.
Json ProblemJson(const ApiError& error);

//! Renames Config API field names to public ones in an error's details and message: each pair
//! {from, to} replaces a leading `from` path segment ("connectionConfiguration.port" →
//! "configuration.port"; "sourceDefinitionId" → "definitionId").
void RenameFields(ApiError& error, const std::vector<std::pair<std::string, std::string>>& renames);

// --- paging: ?limit (1..100, default 20) &offset (>= 0, default 0) ---

struct Page {
  int64_t limit = 20;
  int64_t offset = 0;
};
//! Reads limit and offset (numbers or numeric text); 400 naming the field when out of range.
Page ReadPage(const Json& query);
//! {data: items[offset, offset+limit), next, previous}: next/previous are relative URLs of
//! `path` with `query` (limit and offset replaced), present only when there is such a page.
//! `total` is the number of items in all pages (items may hold only this page when the caller
//! paged already: set `items_are_page`).
Json PagedAnswer(Json items, const Page& page, int64_t total, std::string_view path, const Json& query,
                 bool items_are_page = false);

//! A boolean query parameter: true/false as JSON or text; 400 naming it otherwise.
std::optional<bool> BoolParameter(const Json& query, std::string_view name);

// --- enums ---

//! "full_refresh_overwrite" → {"full_refresh", "overwrite"}; nullopt for an unknown mode.
std::optional<std::pair<std::string, std::string>> SyncModeFromPublic(std::string_view mode);
//! {"incremental", "append_dedup"} → "incremental_deduped_history"; nullopt when Airbyte's API has no name.
std::optional<std::string> SyncModeToPublic(std::string_view sync_mode, std::string_view destination_sync_mode);
//! The public modes a stream offers: its source modes × the destination's modes (all when
//! `destination_modes` is empty), in Airbyte's order.
std::vector<std::string> PublicSyncModes(const std::vector<std::string>& source_modes,
                                         const std::vector<std::string>& destination_modes);

//! namespaceDefinition: public "custom_format" ↔ Config "customformat" (others alike).
std::string NamespaceDefinitionToConfig(std::string_view value, std::string_view field);
std::string NamespaceDefinitionToPublic(std::string_view value);
//! nonBreakingSchemaUpdatesBehavior: public "disable_connection" ↔ Config "disable".
std::string NonBreakingToConfig(std::string_view value, std::string_view field);
std::string NonBreakingToPublic(std::string_view value);
//! jobType: public "sync" | "reset" | "refresh" | "clear" ↔ Config configType.
std::string JobTypeToPublic(std::string_view config_type);
std::optional<std::string> JobTypeToConfig(std::string_view job_type);

// --- resources ---

//! {scheduleType: manual | cron, cronExpression} → the Config API's {scheduleType, scheduleData}
//! (cron in UTC, as Airbyte's API reads it). "basic" with basicTiming ("Every 6 hours") and
//! "continuous" (sluice's) are accepted too.
Json ScheduleToConfig(const Json& schedule);
//! The Config API connection's schedule as ConnectionScheduleResponse {scheduleType,
//! cronExpression | basicTiming}.
Json ScheduleToPublic(const Json& config_connection);

//! The selected streams of a syncCatalog as StreamConfigurations {streams: [{name, namespace,
//! syncMode, cursorField, primaryKey}]}.
Json StreamConfigurationsFromCatalog(const Json& sync_catalog);
//! A syncCatalog whose selected streams are exactly those of `configurations.streams` (matched
//! by name, and namespace when given), with their modes, cursor and primary key; streams not
//! listed are left unselected. No or empty `streams`: `sync_catalog` unchanged (every stream
//! with its defaults). Unknown names, duplicates, unknown modes: 400 naming the entry.
Json ApplyStreamConfigurations(const Json& sync_catalog, const Json& configurations);

//! The Config API's source (or destination) as SourceResponse / DestinationResponse.
Json ActorToPublic(bool source, const Json& config_actor);
//! The Config API's connection as ConnectionResponse.
Json ConnectionToPublic(const Json& config_connection);
//! The Config API's workspace as WorkspaceResponse (notifications in Airbyte's per-event form).
Json WorkspaceToPublic(const Json& config_workspace);
//! NotificationsConfig {failure: {webhook: {enabled, url}}, …} → the Config API's
//! notificationSettings (one webhook URL for every event, as sluice keeps it).
Json NotificationsToConfig(const Json& notifications);
//! jobs/get's {job, attempts} as JobResponse {jobId, status, jobType, startTime, connectionId,
//! lastUpdatedAt, duration, bytesSynced, rowsSynced}; a running job's duration runs to `now_ms`.
Json JobToPublic(const Json& job_info, int64_t now_ms);
//! One stream of discover_schema's catalog as StreamProperties.
Json StreamPropertiesToPublic(const Json& catalog_stream, const std::vector<std::string>& destination_modes);

//! "PT1H2M3S" (ISO 8601), "PT0S" for zero.
std::string IsoDuration(int64_t seconds);
//! "2026-01-02T03:04:05Z".
std::string IsoTime(int64_t epoch_seconds);

}  // namespace sluice
