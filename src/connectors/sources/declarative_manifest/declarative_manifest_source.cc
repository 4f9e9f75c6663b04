#include "connectors/sources/declarative_manifest/declarative_manifest_source.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "protocol/config_validator.h"
#include <simdjson.h>

#include "base/log.h"
#include "connectors/kit/stream_batcher.h"
#include "connectors/sdk/registry.h"
#include "connectors/sources/declarative_manifest/api_budget.h"
#include "connectors/sources/declarative_manifest/declarative_stream.h"
#include "connectors/sources/declarative_manifest/manifest_resolver.h"
#include "protocol/codec.h"
#include "protocol/config_validator.h"

namespace sluice {
namespace {

//! A config split into the manifest (resolved) and the manifest's own config values.
struct ManifestConfig {
  Json manifest;  //!< resolved ($ref, types, $parameters)
  Json config;    //!< the config without the injected keys, defaults from the manifest's spec applied
  std::string directory;
};

Result<ManifestConfig> ParseConfig(const Json& raw) {
  ManifestConfig out;
  auto m = raw.find(kInjectedManifestKey);
  if (m == raw.end() || !m->is_object()) {
    return Status::ConfigError(fmt::format("$.{}: missing — the manifest (parsed YAML) goes under this key; in a pipeline "
                                           "file write `source: {{manifest: path/to/manifest.yaml, config: {{...}}}}`",
                                           kInjectedManifestKey));
  }
  SLUICE_ASSIGN_OR_RETURN(out.manifest, ResolveManifest(*m));
  Json config = raw;
  config.erase(kInjectedManifestKey);
  if (auto d = config.find(kManifestDirectoryKey); d != config.end()) {
    if (d->is_string()) out.directory = d->get<std::string>();
    config.erase(kManifestDirectoryKey);
  }
  const Json spec = out.manifest.value("spec", Json::object()).value("connection_specification", Json());
  if (spec.is_object()) {
    SLUICE_ASSIGN_OR_RETURN(out.config, PrepareConfig(spec, config, "config (against the manifest's spec)"));
  } else {
    out.config = std::move(config);
  }
  if (!out.manifest.contains("streams") || !out.manifest["streams"].is_array() || out.manifest["streams"].empty()) {
    return Status::ConfigError(fmt::format("manifest $.streams: a manifest needs a non-empty list of streams"));
  }
  return out;
}

//! The per-call machinery: interpolator, transport, context.
struct Runtime {
  explicit Runtime(const ManifestConfig& c, const Emitter* emitter = nullptr) : interpolator() {
    ctx.config = &c.config;
    ctx.interpolator = &interpolator;
    ctx.transport = MakeCurlTransport({.connect_timeout_ms = 30'000, .stall_timeout_ms = 300'000, .verify_tls = true});
    ctx.manifest_dir = c.directory;
    ctx.sleep = [emitter](double seconds) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
      while (std::chrono::steady_clock::now() < until) {
        if (emitter != nullptr && emitter->cancelled()) return false;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
      }
      return true;
    };
  }
  Interpolator interpolator;
  BuildContext ctx;
};

//! The run's context with the manifest's api_budget.
Status AddBudget(const ManifestConfig& c, BuildContext& ctx) {
  SLUICE_ASSIGN_OR_RETURN(ctx.budget, ApiBudget::Make(ConfigReader(c.manifest.value("api_budget", Json()), "$.api_budget")));
  return Status::Ok();
}

Result<std::vector<std::unique_ptr<DeclarativeStream>>> BuildStreams(const ManifestConfig& c, BuildContext& ctx) {
  SLUICE_RETURN_IF_ERROR(AddBudget(c, ctx));
  std::vector<std::unique_ptr<DeclarativeStream>> streams;
  const Json& list = c.manifest["streams"];
  for (size_t i = 0; i < list.size(); ++i) {
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<DeclarativeStream> s,
                            DeclarativeStream::Make(ConfigReader(list[i], JsonPathIndex("$.streams", i)), ctx));
    streams.push_back(std::move(s));
  }
  return streams;
}

ConnectorSpec StaticSpec() {
  ConnectorSpec spec;
  spec.documentation_url = "https://docs.airbyte.com/connector-development/config-based/low-code-cdk-overview";
  spec.supports_incremental = true;
  spec.connection_specification = Json::parse(R"({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Declarative manifest source",
    "type": "object",
    "required": ["__injected_declarative_manifest"],
    "additionalProperties": true,
    "properties": {
      "__injected_declarative_manifest": {
        "title": "Low-code manifest",
        "description": "An Airbyte declarative (low-code) manifest, parsed from its YAML. The manifest's own config values sit beside this key.",
        "type": "object",
        "additionalProperties": true
      }
    }
  })");
  return spec;
}

class DeclarativeManifestSource final : public Source, public ConfigSpecSource {
 public:
  ConnectorSpec Spec() const override { return StaticSpec(); }

  //! The manifest's spec with the manifest keys added: what the server masks and redacts by.
  ConnectorSpec SpecForConfig(const Json& config) const override {
    const ConnectorSpec generic = StaticSpec();
    auto m = config.find(kInjectedManifestKey);
    if (m == config.end() || !m->is_object()) return generic;
    auto carried = DeclarativeManifestSpec(*m);
    if (!carried.ok() || !carried->connection_specification.is_object()) return generic;
    ConnectorSpec spec = std::move(carried).value();
    Json& schema = spec.connection_specification;
    if (!schema.contains("properties") || !schema["properties"].is_object()) schema["properties"] = Json::object();
    schema["properties"][kInjectedManifestKey] = generic.connection_specification["properties"][kInjectedManifestKey];
    schema["properties"][kManifestDirectoryKey] = {
        {"type", "string"}, {"description", "sluice: the folder relative JsonFileSchemaLoader paths start from"}};
    if (!schema.contains("required") || !schema["required"].is_array()) schema["required"] = Json::array();
    bool listed = false;
    for (const Json& r : schema["required"]) listed = listed || r == kInjectedManifestKey;
    if (!listed) schema["required"].push_back(kInjectedManifestKey);
    return spec;
  }

  Status Check(const Json& raw) override {
    SLUICE_ASSIGN_OR_RETURN(ManifestConfig c, ParseConfig(raw));
    Runtime rt(c);
    SLUICE_ASSIGN_OR_RETURN(auto streams, BuildStreams(c, rt.ctx));
    std::vector<std::string> names;
    const Json check = c.manifest.value("check", Json::object());
    const std::string type = check.value("type", "CheckStream");
    if (type != "CheckStream") {
      return Status::ConfigError(fmt::format("manifest $.check.type: unsupported check '{}'; supported: CheckStream", type));
    }
    for (const Json& n : check.value("stream_names", Json::array())) {
      if (n.is_string()) names.push_back(n.get<std::string>());
    }
    if (names.empty()) names.push_back(streams.front()->name());
    for (const std::string& name : names) {
      DeclarativeStream* stream = nullptr;
      for (auto& s : streams) {
        if (s->name() == name) stream = s.get();
      }
      if (stream == nullptr) {
        return Status::ConfigError(fmt::format("manifest $.check.stream_names: '{}' is not a stream of the manifest", name));
      }
      RecordSink sink;
      sink.record = [](Json&) { return Status::Ok(); };
      SLUICE_RETURN_IF_ERROR(stream->Read(Json(), false, sink, {.max_pages = 1}).WithContext(fmt::format("check: stream '{}'", name)));
    }
    return Status::Ok();
  }

  Result<Catalog> Discover(const Json& raw) override {
    SLUICE_ASSIGN_OR_RETURN(ManifestConfig c, ParseConfig(raw));
    Runtime rt(c);
    SLUICE_ASSIGN_OR_RETURN(auto streams, BuildStreams(c, rt.ctx));
    Catalog catalog;
    for (auto& s : streams) {
      SLUICE_ASSIGN_OR_RETURN(Json schema, s->JsonSchema());
      AirbyteStream stream;
      stream.name = s->name();
      stream.json_schema = schema;
      stream.supported_sync_modes = {SyncMode::kFullRefresh};
      if (auto cursor = s->cursor_field()) {
        stream.supported_sync_modes.push_back(SyncMode::kIncremental);
        stream.source_defined_cursor = true;
        stream.default_cursor_field = {*cursor};
      }
      for (const auto& key : s->primary_key()) stream.source_defined_primary_key.push_back(key);
      catalog.streams.push_back(std::move(stream));
    }
    return catalog;
  }

  Status Read(const Json& raw, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out) override {
    SLUICE_ASSIGN_OR_RETURN(ManifestConfig c, ParseConfig(raw));
    Runtime rt(c, &out);
    SLUICE_ASSIGN_OR_RETURN(auto streams, BuildStreams(c, rt.ctx));
    simdjson::ondemand::parser parser;
    for (size_t i = 0; i < catalog.streams.size(); ++i) {
      const ConfiguredStream& cs = catalog.streams[i];
      DeclarativeStream* stream = nullptr;
      for (auto& s : streams) {
        if (s->name() == cs.stream.name) stream = s.get();
      }
      if (stream == nullptr || cs.stream.namespace_) {
        return Status::ConfigError(fmt::format("stream '{}' of the catalog is not in the manifest", cs.descriptor().ToString()));
      }
      if (!cs.schema) return Status::SystemError("stream '" + cs.stream.name + "': the catalog is not bound");
      StreamBatcher batcher(out, static_cast<uint32_t>(i), cs.schema);
      SLUICE_RETURN_IF_ERROR(batcher.Start());
      const bool incremental = cs.sync_mode == SyncMode::kIncremental && stream->cursor_field().has_value();
      const Json* saved = state.Find(cs.descriptor());
      std::string text;
      RecordSink sink;
      sink.record = [&](Json& record) -> Status {
        text = record.dump(-1, ' ', false, Json::error_handler_t::replace);
        simdjson::ondemand::document doc;
        simdjson::ondemand::object object;
        text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
        auto e = parser.iterate(text.data(), text.size(), text.capacity()).get(doc);
        if (!e) e = doc.get_object().get(object);
        if (e) return Status::SystemError(fmt::format("a record could not be re-read: {}", simdjson::error_message(e)));
        SLUICE_RETURN_IF_ERROR(AppendJsonObjectRow(object, batcher.batch(), ChangeReason::kSourceSerializationError));
        if (out.cancelled()) return Status::Cancelled();
        return batcher.RowsFinished(1);
      };
      auto checkpoint = [&](const Json& blob) {
        StateMessage message;
        message.type = StateType::kStream;
        message.stream.descriptor = cs.descriptor();
        message.stream.stream_state = blob;
        return batcher.Checkpoint(std::move(message));
      };
      sink.checkpoint = checkpoint;
      Status read = stream->Read(saved != nullptr ? *saved : Json(), incremental, sink);
      if (read.ok()) {
        // Full refresh: Airbyte's marker state; incremental: the last state again (covers the tail).
        if (!incremental) {
          read = checkpoint(Json{{"__ab_no_cursor_state_message", true}});
        }
        Log(LogLevel::kInfo, "stream '{}': {} records", cs.stream.name, batcher.rows());
      }
      SLUICE_RETURN_IF_ERROR(batcher.Finish(read.ok() ? read : read.WithContext(fmt::format("stream '{}'", cs.stream.name))));
    }
    return Status::Ok();
  }
};

}  // namespace

Result<std::vector<Json>> ReadManifestStream(const Json& config, const std::string& name, int64_t max_pages) {
  SLUICE_ASSIGN_OR_RETURN(ManifestConfig c, ParseConfig(config));
  Runtime rt(c);
  SLUICE_ASSIGN_OR_RETURN(auto streams, BuildStreams(c, rt.ctx));
  for (auto& s : streams) {
    if (s->name() != name) continue;
    std::vector<Json> records;
    RecordSink sink;
    sink.record = [&](Json& record) {
      records.push_back(std::move(record));
      return Status::Ok();
    };
    sink.checkpoint = [](const Json&) { return Status::Ok(); };
    SLUICE_RETURN_IF_ERROR(s->Read(Json(), false, sink, {.max_pages = max_pages}));
    return records;
  }
  return Status::SystemError(fmt::format("the manifest has no stream '{}'", name));
}

Result<ConnectorSpec> DeclarativeManifestSpec(const Json& manifest) {
  SLUICE_ASSIGN_OR_RETURN(Json resolved, ResolveManifest(manifest));
  ConnectorSpec spec = StaticSpec();
  const Json s = resolved.value("spec", Json::object());
  if (s.contains("connection_specification") && s["connection_specification"].is_object()) {
    spec.connection_specification = s["connection_specification"];
  }
  if (s.contains("documentation_url") && s["documentation_url"].is_string()) spec.documentation_url = s["documentation_url"];
  return spec;
}

Status ValidateDeclarativeManifest(const Json& manifest) {
  if (!manifest.is_object()) return Status::ConfigError("manifest $: must be a mapping (a declarative manifest)");
  ManifestConfig c;
  SLUICE_ASSIGN_OR_RETURN(c.manifest, ResolveManifest(manifest));
  if (!c.manifest.contains("streams") || !c.manifest["streams"].is_array() || c.manifest["streams"].empty()) {
    return Status::ConfigError("manifest $.streams: a manifest needs a non-empty list of streams");
  }
  const Json spec = c.manifest.value("spec", Json::object());
  if (!spec.is_object() || !spec.value("connection_specification", Json()).is_object()) {
    return Status::ConfigError("manifest $.spec.connection_specification: missing — the JSON Schema of the connector's config");
  }
  // A stand-in config: the spec's defaults, else an empty value of each property's type, so
  // templates that read the config at build time (partition values) evaluate.
  const Json& schema = spec["connection_specification"];
  c.config = ApplyDefaults(schema, Json::object());
  if (!c.config.is_object()) c.config = Json::object();
  const Json properties = schema.value("properties", Json::object());
  for (const auto& [key, property] : properties.items()) {
    if (c.config.contains(key) || !property.is_object()) continue;
    Json type = property.value("type", Json("string"));
    if (type.is_array()) type = type.empty() ? Json("string") : type[0];
    const std::string t = type.is_string() ? type.get<std::string>() : "string";
    c.config[key] = t == "integer" || t == "number" ? Json(0)
                    : t == "boolean"                ? Json(false)
                    : t == "array"                  ? Json::array()
                    : t == "object"                 ? Json::object()
                                                    : Json("");
  }
  Runtime rt(c);
  SLUICE_ASSIGN_OR_RETURN(auto streams, BuildStreams(c, rt.ctx));
  return Status::Ok();
}

std::unique_ptr<Source> MakeDeclarativeManifestSource() { return std::make_unique<DeclarativeManifestSource>(); }

SLUICE_REGISTER_SOURCE("source-declarative-manifest", "Declarative manifest (REST API)",
                       "REST APIs described by Airbyte low-code YAML manifests: auth, pagination, incremental cursors, "
                       "partitions, run natively",
                       MakeDeclarativeManifestSource);

}  // namespace sluice
