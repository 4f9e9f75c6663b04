#include "cli/pipeline.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace sluice {
namespace {

Pipeline Parse(std::string_view text, const std::string& file = "pipes/pipeline.yaml") {
  auto r = ParsePipeline(text, file);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : Pipeline();
}

std::string ParseError(std::string_view text) {
  auto r = ParsePipeline(text, "pipeline.yaml");
  EXPECT_FALSE(r.ok());
  if (r.ok()) return {};
  EXPECT_EQ(r.status().failure_type(), FailureType::kConfig);
  return r.status().message();
}

constexpr std::string_view kMinimal = "source: {connector: faker}\ndestination: {connector: local}\n";

// The example of SPEC §6, environment variables set.
TEST(PipelineTest, ParsesTheSpecExample) {
  setenv("PG_PASSWORD", "pg-secret", 1);
  setenv("MINIO_ROOT_USER", "minio", 1);
  setenv("MINIO_ROOT_PASSWORD", "minio-secret", 1);
  const Pipeline p = Parse(R"(name: PostgreSQL → MinIO
source:
  connector: postgres
  config: {host: postgres, port: 5432, database: source_db, username: readonly_user,
           password: "${PG_PASSWORD}", ssl_mode: prefer}
destination:
  connector: s3
  config: {s3_bucket_name: datalake, s3_bucket_path: "airbyte-data/${NAMESPACE}/${STREAM_NAME}",
           s3_endpoint: "http://minio:9000", access_key_id: "${MINIO_ROOT_USER}",
           secret_access_key: "${MINIO_ROOT_PASSWORD}", format: {format_type: Parquet, compression_codec: GZIP}}
schedule: {cron: "0 2 * * *"}
namespace: {definition: custom, format: "production_${SOURCE_NAMESPACE}"}
prefix: raw_
streams:
  - {name: customers, namespace: public, mode: "Full Refresh | Overwrite", cursor_field: updated_at, primary_key: customer_id}
  - {name: orders, mode: "Incremental | Append", cursor_field: [created_at], primary_key: [[order_id]]}
  - {name: x, sync_mode: incremental, destination_sync_mode: append_dedup, selected: false}
resources: {cpu: 2, memory: 1Gi}
)");
  EXPECT_EQ(p.name, "PostgreSQL → MinIO");
  EXPECT_EQ(p.source.connector, "postgres");
  EXPECT_TRUE(p.source.command.empty());
  EXPECT_EQ(p.source.config["password"], "pg-secret");
  EXPECT_EQ(p.source.config["port"], 5432);
  EXPECT_EQ(p.destination.connector, "s3");
  EXPECT_EQ(p.destination.config["s3_bucket_path"], "airbyte-data/${NAMESPACE}/${STREAM_NAME}");
  EXPECT_EQ(p.destination.config["access_key_id"], "minio");
  EXPECT_EQ(p.destination.config["format"]["format_type"], "Parquet");
  EXPECT_EQ(p.schedule.kind, PipelineSchedule::Kind::kCron);
  EXPECT_EQ(p.schedule.cron, "0 2 * * *");
  EXPECT_EQ(p.namespace_definition, NamespaceDefinition::kCustom);
  EXPECT_EQ(p.namespace_format, "production_${SOURCE_NAMESPACE}");
  EXPECT_EQ(p.prefix, "raw_");
  ASSERT_TRUE(p.streams);
  ASSERT_EQ(p.streams->size(), 3u);
  const StreamSelection& customers = (*p.streams)[0];
  EXPECT_EQ(customers.name, "customers");
  EXPECT_EQ(customers.namespace_, "public");
  EXPECT_EQ(customers.sync_mode, SyncMode::kFullRefresh);
  EXPECT_EQ(customers.destination_sync_mode, DestinationSyncMode::kOverwrite);
  EXPECT_EQ(customers.cursor_field, FieldPath{"updated_at"});
  EXPECT_EQ(customers.primary_key, std::vector<FieldPath>{{"customer_id"}});
  EXPECT_EQ(customers.location, "pipes/pipeline.yaml:15:5");
  const StreamSelection& orders = (*p.streams)[1];
  EXPECT_EQ(orders.sync_mode, SyncMode::kIncremental);
  EXPECT_EQ(orders.destination_sync_mode, DestinationSyncMode::kAppend);
  EXPECT_EQ(orders.cursor_field, FieldPath{"created_at"});
  EXPECT_EQ(orders.primary_key, std::vector<FieldPath>{{"order_id"}});
  const StreamSelection& x = (*p.streams)[2];
  EXPECT_FALSE(x.selected);
  EXPECT_EQ(x.sync_mode, SyncMode::kIncremental);
  EXPECT_EQ(x.destination_sync_mode, DestinationSyncMode::kAppendDedup);
  EXPECT_EQ(p.resources, Json::parse(R"({"cpu": 2, "memory": "1Gi"})"));
  EXPECT_EQ(p.state_file, "pipes/.sluice-state/pipeline.state.json");
  EXPECT_EQ(p.ConfigLocation("source", "$.password"), "pipes/pipeline.yaml:5:12");
  EXPECT_EQ(p.ConfigLocation("source", "$.no_such_key"), "pipes/pipeline.yaml:4:3");
  EXPECT_EQ(p.ConfigLocation("destination", "$"), "pipes/pipeline.yaml:8:3");
}

TEST(PipelineTest, Defaults) {
  const Pipeline p = Parse(kMinimal, "/srv/etl/nightly.yml");
  EXPECT_EQ(p.name, "nightly") << "the file stem";
  EXPECT_EQ(p.file_name, "/srv/etl/nightly.yml");
  EXPECT_EQ(p.source.config, Json::object());
  EXPECT_EQ(p.schedule.kind, PipelineSchedule::Kind::kManual);
  EXPECT_EQ(p.namespace_definition, NamespaceDefinition::kSource);
  EXPECT_EQ(p.prefix, "");
  EXPECT_FALSE(p.streams) << "absent: every discovered stream";
  EXPECT_EQ(p.state_file, "/srv/etl/.sluice-state/nightly.state.json");
  EXPECT_TRUE(p.resources.is_null());
  EXPECT_EQ(Parse(kMinimal, "nightly.yaml").state_file, ".sluice-state/nightly.state.json");
}

TEST(PipelineTest, ConnectorForms) {
  const Pipeline p = Parse(R"(
source:
  command: [python3, my_source.py, --port, 8080]
  config: {a: 1}
destination: dev-null
)");
  EXPECT_EQ(p.source.connector, "");
  EXPECT_EQ(p.source.command, (std::vector<std::string>{"python3", "my_source.py", "--port", "8080"}));
  EXPECT_EQ(p.destination.connector, "dev-null") << "shorthand: a name alone";
  EXPECT_EQ(ParseError("source: {connector: faker, command: [x]}\ndestination: {connector: local}\n"),
            "pipeline.yaml:1:1: $.source: give either 'connector' (a built-in connector) or 'command' (an external "
            "one), not both");
  EXPECT_EQ(ParseError("source: {config: {}}\ndestination: {connector: local}\n"),
            "pipeline.yaml:1:1: $.source: missing 'connector' (a built-in connector name), 'manifest' (an Airbyte "
            "declarative manifest file) or 'command' (an external connector's command line)");
  EXPECT_EQ(ParseError("source: {command: python3 x.py}\ndestination: {connector: local}\n"),
            "pipeline.yaml:1:10: $.source.command: expected a non-empty list like [python3, my_source.py], got a "
            "string");
  EXPECT_EQ(ParseError("source: {connector: faker, config: [1]}\ndestination: {connector: local}\n"),
            "pipeline.yaml:1:28: $.source.config: expected a mapping like {host: db, port: 5432}, got a list");
}

TEST(PipelineTest, MissingSourceAndDestinationAreBothReported) {
  EXPECT_EQ(ParseError("name: x\n"),
            "pipeline.yaml:1:1: $: missing required key 'source' ({connector: NAME, config: {...}} or {command: "
            "[PROGRAM, ARG...], config: {...}})\n"
            "pipeline.yaml:1:1: $: missing required key 'destination' ({connector: NAME, config: {...}} or {command: "
            "[PROGRAM, ARG...], config: {...}})");
  EXPECT_EQ(ParseError(""), "pipeline.yaml: the pipeline file is empty");
  EXPECT_EQ(ParseError("- a\n- b\n"),
            "pipeline.yaml:1:1: $: a pipeline file is a mapping (name:, source:, destination:, ...), got a list");
}

TEST(PipelineTest, UnknownKeysCiteLineAndColumn) {
  EXPECT_EQ(ParseError(R"(name: x
source:
  connector: faker
destination:
  connector: local
strems:
  - users
)"),
            "pipeline.yaml:6:1: unknown key 'strems' at $.strems (allowed: name, source, destination, schedule, "
            "namespace, prefix, streams, state, resources, normalization, transform); did you mean 'streams'?");
  EXPECT_EQ(ParseError(R"(source:
  connector: faker
  confg: {count: 10}
destination:
  connector: local
streams:
  - name: users
    cursor: updated_at
schedule: {cron: "0 * * * *", tz: UTC}
)"),
            "pipeline.yaml:3:3: unknown key 'confg' at $.source.confg (allowed: connector, command, config, manifest); did you "
            "mean 'config'?\n"
            "pipeline.yaml:8:5: unknown key 'cursor' at $.streams[0].cursor (allowed: name, namespace, mode, "
            "sync_mode, destination_sync_mode, cursor_field, primary_key, selected)\n"
            "pipeline.yaml:9:31: unknown key 'tz' at $.schedule.tz (allowed: cron, timezone, every, manual)");
  EXPECT_EQ(ParseError(std::string(kMinimal) + "prefx:\n"),
            "pipeline.yaml:3:1: unknown key 'prefx' at $.prefx (allowed: name, source, destination, schedule, "
            "namespace, prefix, streams, state, resources, normalization, transform); did you mean 'prefix'?")
      << "an unknown key without a value";
  // Keys inside `config` belong to the connector's spec, not to the pipeline.
  EXPECT_TRUE(ParsePipeline("source: {connector: faker, config: {anything: 1}}\ndestination: local\n", "p.yaml").ok());
}

TEST(PipelineTest, MalformedYamlCitesLineAndColumn) {
  EXPECT_EQ(ParseError("source: {connector: faker\ndestination: local\n"),
            "pipeline.yaml:2:12: end of map flow not found");
}

TEST(PipelineTest, EveryModeSpelling) {
  struct Case {
    const char* mode;
    SyncMode sync;
    DestinationSyncMode dest;
  };
  const Case cases[] = {
      {"Full Refresh | Overwrite", SyncMode::kFullRefresh, DestinationSyncMode::kOverwrite},
      {"full refresh | overwrite", SyncMode::kFullRefresh, DestinationSyncMode::kOverwrite},
      {"FULL REFRESH|OVERWRITE", SyncMode::kFullRefresh, DestinationSyncMode::kOverwrite},
      {"Full Refresh | Append", SyncMode::kFullRefresh, DestinationSyncMode::kAppend},
      {"Incremental | Append", SyncMode::kIncremental, DestinationSyncMode::kAppend},
      {"incremental  |  append", SyncMode::kIncremental, DestinationSyncMode::kAppend},
      {"Incremental | Append + Deduped", SyncMode::kIncremental, DestinationSyncMode::kAppendDedup},
      {"Incremental | Append+Deduped", SyncMode::kIncremental, DestinationSyncMode::kAppendDedup},
      {"Incremental | Deduped + History", SyncMode::kIncremental, DestinationSyncMode::kAppendDedup},
      {"Incremental | Append + Dedup", SyncMode::kIncremental, DestinationSyncMode::kAppendDedup},
      {"incremental | append_dedup", SyncMode::kIncremental, DestinationSyncMode::kAppendDedup},
      {"full_refresh | overwrite", SyncMode::kFullRefresh, DestinationSyncMode::kOverwrite},
  };
  for (const auto& c : cases) {
    const Pipeline p = Parse(std::string(kMinimal) + "streams:\n  - {name: s, mode: \"" + c.mode + "\"}\n");
    ASSERT_TRUE(p.streams && p.streams->size() == 1) << c.mode;
    EXPECT_EQ((*p.streams)[0].sync_mode, c.sync) << c.mode;
    EXPECT_EQ((*p.streams)[0].destination_sync_mode, c.dest) << c.mode;
  }
  const Pipeline pairs = Parse(std::string(kMinimal) + R"(streams:
  - {name: a, sync_mode: full_refresh, destination_sync_mode: overwrite}
  - {name: b, sync_mode: Incremental}
  - {name: c, destination_sync_mode: append_dedup}
  - d
)");
  ASSERT_EQ(pairs.streams->size(), 4u);
  EXPECT_EQ((*pairs.streams)[0].sync_mode, SyncMode::kFullRefresh);
  EXPECT_EQ((*pairs.streams)[0].destination_sync_mode, DestinationSyncMode::kOverwrite);
  EXPECT_EQ((*pairs.streams)[1].sync_mode, SyncMode::kIncremental);
  EXPECT_FALSE((*pairs.streams)[1].destination_sync_mode);
  EXPECT_FALSE((*pairs.streams)[2].sync_mode);
  EXPECT_EQ((*pairs.streams)[2].destination_sync_mode, DestinationSyncMode::kAppendDedup);
  EXPECT_EQ((*pairs.streams)[3].name, "d") << "a bare name";
  EXPECT_FALSE((*pairs.streams)[3].sync_mode);

  EXPECT_EQ(ParseError(std::string(kMinimal) + "streams:\n  - {name: s, mode: \"Incremental | Upsert\"}\n"),
            "pipeline.yaml:4:15: $.streams[0].mode: unknown mode 'Incremental | Upsert' (expected one of: Full "
            "Refresh | Overwrite, Full Refresh | Append, Incremental | Append, Incremental | Append + Deduped)");
  EXPECT_EQ(ParseError(std::string(kMinimal) + "streams:\n  - {name: s, mode: \"Incremental | Append\", sync_mode: "
                                               "incremental}\n"),
            "pipeline.yaml:4:5: $.streams[0]: give either 'mode' or 'sync_mode' + 'destination_sync_mode', not both");
  EXPECT_EQ(ParseError(std::string(kMinimal) + "streams:\n  - {name: s, sync_mode: sometimes}\n"),
            "pipeline.yaml:4:15: $.streams[0].sync_mode: must be full_refresh or incremental, got 'sometimes'");
}

TEST(PipelineTest, CursorAndPrimaryKeyForms) {
  const Pipeline p = Parse(std::string(kMinimal) + R"(streams:
  - {name: a, cursor_field: meta.updated_at, primary_key: [tenant_id, id]}
  - {name: b, cursor_field: [meta, updated_at], primary_key: [[tenant_id], [meta, id]]}
  - {name: c, primary_key: meta.id}
  - {name: d, primary_key: []}
)");
  const auto& s = *p.streams;
  EXPECT_EQ(s[0].cursor_field, (FieldPath{"meta", "updated_at"}));
  EXPECT_EQ(s[0].primary_key, (std::vector<FieldPath>{{"tenant_id"}, {"id"}}));
  EXPECT_EQ(s[1].cursor_field, (FieldPath{"meta", "updated_at"}));
  EXPECT_EQ(s[1].primary_key, (std::vector<FieldPath>{{"tenant_id"}, {"meta", "id"}}));
  EXPECT_EQ(s[2].primary_key, (std::vector<FieldPath>{{"meta", "id"}}));
  EXPECT_EQ(s[3].primary_key, std::vector<FieldPath>{}) << "explicitly none";
  EXPECT_FALSE(s[3].cursor_field);

  const std::string err = ParseError(std::string(kMinimal) + R"(streams:
  - {name: a, cursor_field: "a..b"}
  - {name: b, primary_key: [[]]}
  - {name: a}
)");
  EXPECT_EQ(err,
            "pipeline.yaml:4:15: $.streams[0].cursor_field: expected a field name (\"updated_at\", "
            "\"meta.updated_at\") or a path ([meta, updated_at]), got 'a..b'\n"
            "pipeline.yaml:5:15: $.streams[1].primary_key: expected a column (\"id\"), columns ([tenant_id, id]) or "
            "paths ([[tenant_id], [meta, id]]), got a list\n"
            "pipeline.yaml:6:5: $.streams[2]: stream 'a' is listed twice");
}

TEST(PipelineTest, ScheduleNamespaceStateForms) {
  Pipeline p = Parse(std::string(kMinimal) +
                     "schedule: {every: 1h30m}\nnamespace: {definition: destination}\n"
                     "state: {file: ./state/x.json}\n");
  EXPECT_EQ(p.schedule.kind, PipelineSchedule::Kind::kEvery);
  EXPECT_EQ(p.schedule.every_seconds, 5400);
  EXPECT_EQ(p.namespace_definition, NamespaceDefinition::kDestination);
  EXPECT_EQ(p.state_file, "pipes/state/x.json") << "relative to the pipeline file";
  p = Parse(std::string(kMinimal) + "schedule: {manual: true}\nstate: {file: /var/lib/x.json}\n");
  EXPECT_EQ(p.schedule.kind, PipelineSchedule::Kind::kManual);
  EXPECT_EQ(p.state_file, "/var/lib/x.json");
  p = Parse(std::string(kMinimal) + "schedule: {cron: \"0 2 * * 1-5\", timezone: Europe/Paris}\n");
  EXPECT_EQ(p.schedule.timezone, "Europe/Paris");

  EXPECT_EQ(ParseError(std::string(kMinimal) + "schedule: {every: 24}\n"),
            "pipeline.yaml:3:12: $.schedule.every: expected a duration like 24h, 30m, 90s, 1d or 1h30m, got a number");
  EXPECT_EQ(ParseError(std::string(kMinimal) + "schedule: {cron: \"0 2 * *\"}\n"),
            "pipeline.yaml:3:12: $.schedule.cron: '0 2 * *' has 4 field(s); a cron expression has 5 (minute hour day "
            "month weekday)");
  EXPECT_EQ(ParseError(std::string(kMinimal) + "schedule: {cron: \"0 2 * * *\", every: 1h}\n"),
            "pipeline.yaml:3:1: $.schedule: give exactly one of cron: \"0 2 * * *\", every: 24h, manual: true");
  EXPECT_EQ(ParseError(std::string(kMinimal) + "namespace: {definition: custom}\n"),
            "pipeline.yaml:3:1: $.namespace: definition: custom needs a format, e.g. format: "
            "\"production_${SOURCE_NAMESPACE}\"");
  EXPECT_EQ(ParseError(std::string(kMinimal) + "namespace: {definition: mirror}\n"),
            "pipeline.yaml:3:13: $.namespace.definition: must be one of source, destination, custom, got 'mirror'");
  EXPECT_EQ(ParseError(std::string(kMinimal) + "prefix: 5\n"),
            "pipeline.yaml:3:1: $.prefix: expected a string, got a number");
}

TEST(PipelineTest, EnvironmentSubstitution) {
  setenv("SLUICE_TEST_HOST", "db.internal", 1);
  setenv("SLUICE_TEST_EMPTY", "", 1);
  unsetenv("SLUICE_TEST_UNSET");
  const Pipeline p = Parse(R"(source:
  command: ["${SLUICE_TEST_HOST}/bin", "--x=${SLUICE_TEST_UNSET:-fallback}"]
  config:
    host: "${SLUICE_TEST_HOST}:5432"
    nested: {list: ["a${SLUICE_TEST_EMPTY}b", 1, true]}
    escaped: "$${SLUICE_TEST_HOST} and $$ and $${NAMESPACE}"
    empty_default: "${SLUICE_TEST_EMPTY:-dflt}"
    "${SLUICE_TEST_HOST}": keys are not substituted
    not_a_var: "${ spaced } ${9x} ${unclosed"
destination:
  connector: s3
  config:
    path: "data/${NAMESPACE}/${STREAM_NAME}/${SOURCE_NAMESPACE}/${YEAR}_${MONTH}_${DAY}_${HOUR}_${MINUTE}_${SECOND}_${MILLISECOND}_${EPOCH}_${UUID}"
)");
  EXPECT_EQ(p.source.command, (std::vector<std::string>{"db.internal/bin", "--x=fallback"}));
  EXPECT_EQ(p.source.config["host"], "db.internal:5432");
  EXPECT_EQ(p.source.config["nested"], Json::parse(R"({"list": ["ab", 1, true]})"));
  EXPECT_EQ(p.source.config["escaped"], "${SLUICE_TEST_HOST} and $$ and ${NAMESPACE}");
  EXPECT_EQ(p.source.config["empty_default"], "dflt");
  EXPECT_EQ(p.source.config["${SLUICE_TEST_HOST}"], "keys are not substituted");
  EXPECT_EQ(p.source.config["not_a_var"], "${ spaced } ${9x} ${unclosed");
  EXPECT_EQ(p.destination.config["path"],
            "data/${NAMESPACE}/${STREAM_NAME}/${SOURCE_NAMESPACE}/${YEAR}_${MONTH}_${DAY}_${HOUR}_${MINUTE}_${SECOND}_"
            "${MILLISECOND}_${EPOCH}_${UUID}")
      << "the destination's placeholders are not environment variables";

  EXPECT_EQ(ParseError(R"(source:
  connector: postgres
  config:
    password: "${SLUICE_TEST_UNSET}"
destination: {connector: local, config: {a: ["x${SLUICE_TEST_UNSET}"]}}
)"),
            "pipeline.yaml:4:5: environment variable 'SLUICE_TEST_UNSET' is not set (used at "
            "$.source.config.password; write $${SLUICE_TEST_UNSET} for a literal ${SLUICE_TEST_UNSET})\n"
            "pipeline.yaml:5:46: environment variable 'SLUICE_TEST_UNSET' is not set (used at "
            "$.destination.config.a[0]; write $${SLUICE_TEST_UNSET} for a literal ${SLUICE_TEST_UNSET})");

  // SubstituteEnv on its own.
  auto doc = ParseYaml("x: 1\n", "f.yaml");
  ASSERT_TRUE(doc.ok());
  auto out = SubstituteEnv(Json{{"h", "${SLUICE_TEST_HOST}"}}, "$.x", *doc);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)["h"], "db.internal");
  auto missing = SubstituteEnv(Json{{"h", "${SLUICE_TEST_UNSET}"}}, "$.x", *doc);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "f.yaml:1:1: environment variable 'SLUICE_TEST_UNSET' is not set (used at $.x.h; write "
            "$${SLUICE_TEST_UNSET} for a literal ${SLUICE_TEST_UNSET})");
}

TEST(PipelineTest, LoadPipelineReadsFilesAndNamesUnreadableOnes) {
  auto missing = LoadPipeline("/nonexistent/dir/p.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().failure_type(), FailureType::kConfig);
  EXPECT_EQ(missing.status().message(),
            "cannot read pipeline file '/nonexistent/dir/p.yaml': No such file or directory");

  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/load_test.yaml";
  std::ofstream(path) << kMinimal << "name: loaded\n";
  auto p = LoadPipeline(path);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->name, "loaded");
  EXPECT_EQ(p->file_name, path);
  std::filesystem::remove(path);
}

// ---- BuildConfiguredCatalog / MapToDestination ----------------------------------------------

Catalog Discovered() {
  auto c = Catalog::FromJson(Json::parse(R"({"streams": [
    {"name": "customers", "namespace": "public",
     "json_schema": {"type": "object", "properties": {"customer_id": {"type": "integer"},
                     "updated_at": {"type": "string"}, "meta": {"type": "object", "properties": {"v": {"type": "integer"}}}}},
     "supported_sync_modes": ["full_refresh", "incremental"], "default_cursor_field": ["updated_at"],
     "source_defined_primary_key": [["customer_id"]]},
    {"name": "orders", "namespace": "public",
     "json_schema": {"type": "object", "properties": {"order_id": {"type": "integer"}, "created_at": {"type": "string"}}},
     "supported_sync_modes": ["full_refresh", "incremental"]},
    {"name": "countries",
     "json_schema": {"type": "object", "properties": {"code": {"type": "string"}}},
     "supported_sync_modes": ["full_refresh"]},
    {"name": "events", "namespace": "a", "json_schema": {"type": "object"}, "supported_sync_modes": ["full_refresh"]},
    {"name": "events", "namespace": "b", "json_schema": {"type": "object"}, "supported_sync_modes": ["full_refresh"]},
    {"name": "changes", "namespace": "public", "json_schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
     "supported_sync_modes": ["incremental"], "source_defined_cursor": true, "default_cursor_field": ["_ab_cdc_lsn"],
     "source_defined_primary_key": [["id"]]}
  ]})"));
  EXPECT_TRUE(c.ok()) << c.status().message();
  return *c;
}

ConnectorSpec DestinationSpec(std::vector<DestinationSyncMode> modes) {
  ConnectorSpec spec;
  spec.supported_destination_sync_modes = std::move(modes);
  return spec;
}

const ConnectorSpec kAllModes =
    DestinationSpec({DestinationSyncMode::kAppend, DestinationSyncMode::kOverwrite, DestinationSyncMode::kAppendDedup});

std::string CatalogError(std::string_view streams_yaml, const ConnectorSpec& dest = kAllModes) {
  const Pipeline p = Parse(std::string(kMinimal) + std::string(streams_yaml), "pipeline.yaml");
  auto c = BuildConfiguredCatalog(p, Discovered(), dest);
  EXPECT_FALSE(c.ok());
  if (c.ok()) return {};
  EXPECT_EQ(c.status().failure_type(), FailureType::kConfig);
  return c.status().message();
}

TEST(PipelineCatalogTest, DefaultsForEveryDiscoveredStream) {
  const Pipeline p = Parse(kMinimal);
  auto c = BuildConfiguredCatalog(p, Discovered(), kAllModes);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->streams.size(), 6u);
  const auto& customers = c->streams[0];
  EXPECT_EQ(customers.sync_mode, SyncMode::kIncremental) << "supports incremental and has a default cursor";
  EXPECT_EQ(customers.destination_sync_mode, DestinationSyncMode::kAppend);
  EXPECT_EQ(customers.cursor_field, FieldPath{"updated_at"});
  EXPECT_EQ(customers.primary_key, std::vector<FieldPath>{{"customer_id"}});
  EXPECT_TRUE(customers.schema) << "bound";
  const auto& orders = c->streams[1];
  EXPECT_EQ(orders.sync_mode, SyncMode::kFullRefresh) << "no default cursor";
  EXPECT_EQ(orders.destination_sync_mode, DestinationSyncMode::kOverwrite);
  const auto& changes = c->streams[5];
  EXPECT_EQ(changes.sync_mode, SyncMode::kIncremental) << "source-defined cursor (CDC)";
  EXPECT_EQ(changes.cursor_field, FieldPath{"_ab_cdc_lsn"});

  auto append_only = BuildConfiguredCatalog(p, Discovered(), DestinationSpec({DestinationSyncMode::kAppend}));
  ASSERT_TRUE(append_only.ok()) << append_only.status().message();
  EXPECT_EQ(append_only->streams[1].destination_sync_mode, DestinationSyncMode::kAppend)
      << "full refresh falls back to append when the destination cannot overwrite";
}

TEST(PipelineCatalogTest, SelectedStreamsWithTheUsersChoices) {
  const Pipeline p = Parse(std::string(kMinimal) + R"(streams:
  - {name: orders, mode: "Incremental | Append + Deduped", cursor_field: created_at, primary_key: order_id}
  - {name: customers, namespace: public, mode: "Full Refresh | Append"}
  - {name: events, namespace: b}
  - {name: countries, selected: false}
)");
  auto c = BuildConfiguredCatalog(p, Discovered(), kAllModes);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->streams.size(), 3u);
  EXPECT_EQ(c->streams[0].stream.name, "orders");
  EXPECT_EQ(c->streams[0].sync_mode, SyncMode::kIncremental);
  EXPECT_EQ(c->streams[0].destination_sync_mode, DestinationSyncMode::kAppendDedup);
  EXPECT_EQ(c->streams[0].cursor_field, FieldPath{"created_at"});
  EXPECT_EQ(c->streams[0].primary_key, std::vector<FieldPath>{{"order_id"}});
  EXPECT_EQ(c->streams[1].stream.name, "customers");
  EXPECT_EQ(c->streams[1].destination_sync_mode, DestinationSyncMode::kAppend);
  EXPECT_EQ(c->streams[1].cursor_field, FieldPath{"updated_at"}) << "the stream's default";
  EXPECT_EQ(c->streams[2].stream.namespace_, "b");
}

TEST(PipelineCatalogTest, Errors) {
  EXPECT_EQ(CatalogError("streams:\n  - custmers\n"),
            "pipeline.yaml:4:5: stream 'custmers' is not in the source's catalog (streams: public.customers, "
            "public.orders, countries, a.events, b.events, public.changes); did you mean 'customers'?");
  EXPECT_EQ(CatalogError("streams:\n  - {name: orders, namespace: sales}\n"),
            "pipeline.yaml:4:5: stream 'sales.orders' is not in the source's catalog; 'orders' is in namespace public");
  EXPECT_EQ(CatalogError("streams:\n  - events\n"),
            "pipeline.yaml:4:5: stream 'events' exists in several namespaces (a, b); add namespace: to choose");
  EXPECT_EQ(CatalogError("streams:\n  - {name: countries, mode: \"Incremental | Append\", cursor_field: code}\n"),
            "pipeline.yaml:4:5: stream 'countries' does not support incremental sync (it supports: full_refresh)");
  EXPECT_EQ(CatalogError("streams:\n  - {name: orders, sync_mode: incremental}\n"),
            "pipeline.yaml:4:5: stream 'public.orders' is incremental but has no cursor: set cursor_field (fields: "
            "order_id, created_at)");
  EXPECT_EQ(CatalogError("streams:\n  - {name: orders, mode: \"Incremental | Append + Deduped\", cursor_field: "
                         "created_at}\n"),
            "pipeline.yaml:4:5: stream 'public.orders' is deduped (append_dedup) but has no primary key: set "
            "primary_key");
  EXPECT_EQ(
      CatalogError("streams:\n  - {name: customers, cursor_field: updatd_at, primary_key: [customer_id, meta.x]}\n"),
      "pipeline.yaml:4:5: cursor field 'updatd_at' is not a field of stream 'public.customers' (fields: "
      "customer_id, updated_at, meta)\n"
      "pipeline.yaml:4:5: primary key field 'meta.x' is not a field of stream 'public.customers' (fields: "
      "customer_id, updated_at, meta)");
  EXPECT_EQ(CatalogError("streams:\n  - {name: customers, mode: \"Incremental | Append + Deduped\"}\n",
                         DestinationSpec({DestinationSyncMode::kAppend, DestinationSyncMode::kOverwrite})),
            "pipeline.yaml:4:5: stream 'public.customers': the destination does not support append_dedup (it "
            "supports: append, overwrite)");
  EXPECT_EQ(CatalogError("streams:\n  - {name: changes, cursor_field: id}\n"),
            "pipeline.yaml:4:5: stream 'public.changes' has a source-defined cursor (_ab_cdc_lsn); remove "
            "cursor_field");
}

TEST(PipelineCatalogTest, NothingSelected) {
  EXPECT_EQ(CatalogError("streams:\n  - {name: orders, selected: false}\n"),
            "pipeline.yaml: no stream selected (the source has: public.customers, public.orders, countries, a.events, "
            "b.events, public.changes)");
  const Pipeline p = Parse(kMinimal, "pipeline.yaml");
  auto c = BuildConfiguredCatalog(p, Catalog{}, kAllModes);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "pipeline.yaml: no stream selected (the source has: none)");
}

TEST(PipelineCatalogTest, MapToDestinationFollowsTheNamespaceDefinition) {
  Pipeline p = Parse(std::string(kMinimal) + "prefix: raw_\n");
  auto c = BuildConfiguredCatalog(p, Discovered(), kAllModes);
  ASSERT_TRUE(c.ok()) << c.status().message();

  ConfiguredCatalog mapped = MapToDestination(*c, p);
  ASSERT_EQ(mapped.streams.size(), c->streams.size());
  EXPECT_EQ(mapped.streams[0].stream.name, "raw_customers");
  EXPECT_EQ(mapped.streams[0].stream.namespace_, "public");
  EXPECT_EQ(mapped.streams[2].stream.namespace_, std::nullopt);
  EXPECT_EQ(mapped.streams[0].sync_mode, c->streams[0].sync_mode);
  EXPECT_EQ(c->streams[0].stream.name, "customers") << "the source catalog is unchanged";

  p.namespace_definition = NamespaceDefinition::kDestination;
  mapped = MapToDestination(*c, p);
  EXPECT_EQ(mapped.streams[0].stream.namespace_, std::nullopt);

  p.namespace_definition = NamespaceDefinition::kCustom;
  p.namespace_format = "production_${SOURCE_NAMESPACE}";
  mapped = MapToDestination(*c, p);
  EXPECT_EQ(mapped.streams[0].stream.namespace_, "production_public");
  EXPECT_EQ(mapped.streams[2].stream.namespace_, "production_") << "no source namespace: empty";
  p.namespace_format = "${SOURCE_NAMESPACE}";
  mapped = MapToDestination(*c, p);
  EXPECT_EQ(mapped.streams[2].stream.namespace_, std::nullopt) << "empty result: the destination's default";
  p.namespace_format = "${SOURCE_NAMESPACE}_${SOURCE_NAMESPACE}";
  mapped = MapToDestination(*c, p);
  EXPECT_EQ(mapped.streams[0].stream.namespace_, "public_public");
}

}  // namespace
TEST(PipelineTest, ManifestIsInjectedAsAirbyteDoes) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "sluice_pipeline_manifest_test";
  std::filesystem::create_directories(dir / "m");
  std::ofstream(dir / "m" / "api.yaml") << "version: 6.0.0\nstreams:\n  - name: s\n";
  const std::string file = (dir / "p.yaml").string();
  auto p = ParsePipeline("source: {manifest: m/api.yaml, config: {api_key: k}}\ndestination: dev-null\n", file);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->source.connector, "source-declarative-manifest");
  EXPECT_EQ(p->source.config["api_key"], "k");
  EXPECT_EQ(p->source.config["__injected_declarative_manifest"]["streams"][0]["name"], "s");
  EXPECT_EQ(p->source.config["__injected_manifest_directory"], (dir / "m").string());
  auto missing = ParsePipeline("source: {manifest: nope.yaml}\ndestination: dev-null\n", file);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot read the manifest file"), std::string::npos) << missing.status().message();
  auto other = ParsePipeline("source: {connector: faker, manifest: m/api.yaml}\ndestination: dev-null\n", file);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("goes with the connector source-declarative-manifest"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace sluice

namespace sluice {
namespace {

TEST(PipelineNormalizationTest, NormalizationAndTransformKeys) {
  auto p = ParsePipeline("source: {connector: faker}\ndestination: {connector: postgres}\nnormalization: basic\n"
                         "transform: dbt\n",
                         "/data/pipe.yaml");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->normalization, Normalization::kBasic);
  EXPECT_EQ(p->transform_dir, "/data/dbt");
  auto bad = ParsePipeline("source: {connector: faker}\ndestination: {connector: postgres}\nnormalization: full\n",
                           "pipe.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("$.normalization: expected basic or none"), std::string::npos);
}

}  // namespace
}  // namespace sluice
