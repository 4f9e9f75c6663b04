#include "connectors/sources/declarative_manifest/declarative_manifest_source.h"

#include <chrono>
#include <mutex>
#include <optional>
#include <utility>
#include <thread>
#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>

#include "protocol/config_validator.h"

#include "base/log.h"
#include "connectors/kit/json_rows.h"
#include "connectors/kit/parallel_streams.h"
#include "connectors/kit/stream_batcher.h"
#include "connectors/sdk/registry.h"
#include "connectors/sources/declarative_manifest/api_budget.h"
#include "connectors/sources/declarative_manifest/declarative_stream.h"
#include "connectors/sources/declarative_manifest/dynamic_streams.h"
#include "connectors/sources/declarative_manifest/manifest_resolver.h"
#include "protocol/codec.h"
#include "protocol/config_update.h"
#include "protocol/config_validator.h"

namespace sluice {
namespace {

//! A config split into the manifest (resolved) and the manifest's own config values.
struct ManifestConfig {
  Json manifest;  //!< resolved ($ref, types, $parameters)
  Json dynamic_templates;  //!< `dynamic_streams` with references resolved, parameters not propagated
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
  SLUICE_ASSIGN_OR_RETURN(Json references_resolved, ResolveManifestReferences(*m));
  out.dynamic_templates = references_resolved.value("dynamic_streams", Json());
  out.manifest = PropagateManifestParameters(references_resolved);
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
  auto listed = [&](const char* key) {
    return out.manifest.contains(key) && out.manifest[key].is_array() && !out.manifest[key].empty();
  };
  if (!listed("streams") && !listed("dynamic_streams")) {
    return Status::ConfigError(fmt::format("manifest $.streams: a manifest needs a non-empty list of streams (or of "
                                           "dynamic_streams)"));
  }
  return out;
}

//! Whether `key` is a key of an object anywhere in `value`.
bool ContainsKey(const Json& value, const std::string& key) {
  if (value.is_object()) {
    if (value.contains(key)) return true;
    for (const Json& v : value) {
      if (ContainsKey(v, key)) return true;
    }
  } else if (value.is_array()) {
    for (const Json& v : value) {
      if (ContainsKey(v, key)) return true;
    }
  }
  return false;
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

//! The manifest's concurrency_level (ConcurrencyLevel): default_concurrency, an integer or a
//! template over config ("{{ config.get('num_workers', 3) }}"), at most max_concurrency; 1
//! without one.
Status AddConcurrency(const ManifestConfig& c, BuildContext& ctx) {
  ctx.concurrency = 1;
  const Json& level = c.manifest.value("concurrency_level", Json());
  if (level.is_null()) return Status::Ok();
  ConfigReader r(level, "$.concurrency_level");
  const std::string type = r.String("type", "ConcurrencyLevel");
  if (type != "ConcurrencyLevel") {
    return Status::ConfigError(fmt::format("manifest {}: unsupported concurrency level '{}'; supported: ConcurrencyLevel", r.PathOf("type"), type));
  }
  if (!r.Has("default_concurrency")) {
    return Status::ConfigError(fmt::format("manifest {}: is required (an integer, or a template giving one)", r.PathOf("default_concurrency")));
  }
  Vars vars;
  vars.config = ctx.config;
  const Json params = level.value("$parameters", Json::object());
  vars.parameters = &params;
  SLUICE_ASSIGN_OR_RETURN(Json value, ctx.interpolator->Value(r.Raw("default_concurrency"), vars, r.PathOf("default_concurrency")));
  int64_t n = 0;
  if (value.is_number_integer()) {
    n = value.get<int64_t>();
  } else if (value.is_string()) {
    try {
      n = std::stoll(value.get<std::string>());
    } catch (const std::exception&) {
      n = 0;
    }
  }
  if (n < 1) {
    return Status::ConfigError(fmt::format("manifest {}: {} is not a positive integer", r.PathOf("default_concurrency"), value.dump()));
  }
  const int64_t max = r.Integer("max_concurrency", 0, 0, 1024);
  SLUICE_RETURN_IF_ERROR(r.status());
  if (max > 0) n = std::min(n, max);
  ctx.concurrency = static_cast<int>(std::min<int64_t>(n, 64));  // threads, not a queue depth
  return Status::Ok();
}

Result<std::vector<std::unique_ptr<DeclarativeStream>>> BuildStreams(const ManifestConfig& c, BuildContext& ctx) {
  SLUICE_RETURN_IF_ERROR(AddBudget(c, ctx));
  SLUICE_RETURN_IF_ERROR(AddConcurrency(c, ctx));
  std::vector<std::unique_ptr<DeclarativeStream>> streams;
  const Json list = c.manifest.value("streams", Json::array());
  for (size_t i = 0; i < list.size(); ++i) {
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<DeclarativeStream> s,
                            DeclarativeStream::Make(ConfigReader(c.manifest["streams"][i], JsonPathIndex("$.streams", i)), ctx));
    streams.push_back(std::move(s));
  }
  // DynamicDeclarativeStream: streams made from what the API lists (I/O), after the static ones.
  SLUICE_ASSIGN_OR_RETURN(std::vector<const Json*> made,
                          ResolveDynamicStreams(c.dynamic_templates, c.manifest.value("dynamic_streams", Json()), ctx));
  for (const Json* component : made) {
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<DeclarativeStream> s,
                            DeclarativeStream::Make(ConfigReader(*component, "$.dynamic_streams (made stream)"), ctx));
    for (const auto& other : streams) {
      if (other->name() == s->name()) {
        return Status::ConfigError(fmt::format("manifest $.dynamic_streams: two streams named '{}'", s->name()));
      }
    }
    streams.push_back(std::move(s));
  }
  if (streams.empty()) return Status::ConfigError("the manifest's dynamic_streams made no stream (the API listed none)");
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

class DeclarativeManifestSource final : public Source, public ConfigSpecSource, public ConfigUpdatingSource {
 public:
  std::optional<Json> TakeConfigUpdate() override {
    std::lock_guard lock(mu_);
    return std::exchange(pending_update_, std::nullopt);
  }

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
    rt.ctx.update_config = Updater(raw, nullptr);
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
    rt.ctx.update_config = Updater(raw, nullptr);
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
    rt.ctx.update_config = Updater(raw, &out);
    SLUICE_ASSIGN_OR_RETURN(auto streams, BuildStreams(c, rt.ctx));
    std::vector<DeclarativeStream*> chosen;
    for (const ConfiguredStream& cs : catalog.streams) {
      DeclarativeStream* stream = nullptr;
      for (auto& s : streams) {
        if (s->name() == cs.stream.name) stream = s.get();
      }
      if (stream == nullptr || cs.stream.namespace_) {
        return Status::ConfigError(fmt::format("stream '{}' of the catalog is not in the manifest", cs.descriptor().ToString()));
      }
      if (!cs.schema) return Status::SystemError("stream '" + cs.stream.name + "': the catalog is not bound");
      chosen.push_back(stream);
    }
    // With a concurrency_level above 1 the streams are read at once too, on that many workers
    // sharing that many unit permits — unless the config may be rewritten (refresh_token_updater:
    // its CONTROL message goes out on this thread's emitter, which the workers must not use).
    const size_t workers = std::min<size_t>(rt.ctx.concurrency, chosen.size());
    if (workers <= 1 || ContainsKey(c.manifest, "refresh_token_updater")) {
      for (size_t i = 0; i < chosen.size(); ++i) {
        SLUICE_RETURN_IF_ERROR(ReadStream(*chosen[i], catalog.streams[i], static_cast<uint32_t>(i), state, out));
      }
      return Status::Ok();
    }
    rt.ctx.unit_slots = std::make_shared<std::counting_semaphore<>>(rt.ctx.concurrency);
    ParallelStreams parallel(out, {.workers = workers});
    return parallel.Run(
        static_cast<uint32_t>(chosen.size()),
        [&](size_t, uint32_t i, Emitter& emitter) -> Status {
          // The worker's own copy of the stream and interpolator; transport, budget,
          // authenticators and unit permits are the run's.
          Interpolator interpolator;
          BuildContext ctx = rt.ctx;
          ctx.interpolator = &interpolator;
          Result<std::unique_ptr<DeclarativeStream>> copy = chosen[i]->Copy(ctx);
          if (!copy.ok()) return copy.status();
          return ReadStream(**copy, catalog.streams[i], i, state, emitter);
        },
        [&](uint32_t i) { return catalog.streams[i].stream.name; });
  }

 private:
  //! One stream of the catalog (index `index`) into `out`: STARTED, its batches and states, COMPLETE
  //! or INCOMPLETE. On the thread that owns `out`.
  static Status ReadStream(DeclarativeStream& stream, const ConfiguredStream& cs, uint32_t index, const StateStore& state,
                           Emitter& out) {
    StreamBatcher batcher(out, index, cs.schema);
    SLUICE_RETURN_IF_ERROR(batcher.Start());
    const bool incremental = cs.sync_mode == SyncMode::kIncremental && stream.cursor_field().has_value();
    const Json* saved = state.Find(cs.descriptor());
    // Pages of simdjson records are written into the batch on the pipe's thread while the next
    // page is fetched; anything else touching the batcher waits for it first.
    JsonRowsPipe pipe(batcher);
    JsonRows rows;
    RecordSink sink;
    sink.record = [&](Json& record) -> Status {
      SLUICE_RETURN_IF_ERROR(pipe.Drain());
      SLUICE_RETURN_IF_ERROR(rows.AppendJson(batcher, record));
      if (out.cancelled()) return Status::Cancelled();
      return Status::Ok();
    };
    // A page of unchanged records as simdjson parsed them: written and appended by the pipe.
    sink.record_elements = [&](const RecordElements& page) -> Status {
      SLUICE_RETURN_IF_ERROR(pipe.Submit(*page.records, *page.lease));
      if (out.cancelled()) return Status::Cancelled();
      return Status::Ok();
    };
    auto checkpoint = [&](const Json& blob) -> Status {
      SLUICE_RETURN_IF_ERROR(pipe.Drain());
      StateMessage message;
      message.type = StateType::kStream;
      message.stream.descriptor = cs.descriptor();
      message.stream.stream_state = blob;
      return batcher.Checkpoint(std::move(message));
    };
    sink.checkpoint = checkpoint;
    Status read = stream.Read(saved != nullptr ? *saved : Json(), incremental, sink);
    const Status drained = pipe.Drain();
    if (read.ok()) read = drained;
    if (read.ok()) {
      // Full refresh: Airbyte's marker state; incremental: the last state again (covers the tail).
      if (!incremental) {
        read = checkpoint(Json{{"__ab_no_cursor_state_message", true}});
      }
      Log(LogLevel::kInfo, "stream '{}': {} records", cs.stream.name, batcher.rows());
    }
    return batcher.Finish(read.ok() ? read : read.WithContext(fmt::format("stream '{}'", cs.stream.name)));
  }

  //! The config-update function of one call (an OAuth refresh_token_updater writes the new tokens
  //! through it): the values go into the call's config — without the `__injected*` keys, which are
  //! the runner's, not the user's — and the whole config is reported: by Read through the Emitter
  //! (a CONTROL message), by Check and Discover kept for TakeConfigUpdate.
  std::function<Status(const ConfigValues&)> Updater(const Json& raw, Emitter* out) {
    auto current = std::make_shared<Json>(raw.is_object() ? raw : Json::object());
    current->erase(kInjectedManifestKey);
    current->erase(kManifestDirectoryKey);
    auto mu = std::make_shared<std::mutex>();
    return [this, current, mu, out](const ConfigValues& values) -> Status {
      Json snapshot;
      {
        std::lock_guard lock(*mu);
        for (const auto& [path, value] : values) SetConfigPath(*current, path, value);
        snapshot = *current;
      }
      if (out != nullptr) return out->EmitConnectorConfig(snapshot);
      std::lock_guard lock(mu_);
      pending_update_ = std::move(snapshot);
      return Status::Ok();
    };
  }

  std::mutex mu_;
  std::optional<Json> pending_update_;
};

}  // namespace

Result<std::vector<Json>> ReadManifestStream(const Json& config, const std::string& name, int64_t max_pages) {
  SLUICE_ASSIGN_OR_RETURN(ManifestConfig c, ParseConfig(config));
  Runtime rt(c);
  SLUICE_ASSIGN_OR_RETURN(auto streams, BuildStreams(c, rt.ctx));
  for (auto& s : streams) {
    if (s->name() != name) continue;
    return s->ReadRecords(max_pages);
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

namespace {

//! Whether a header or query parameter name carries a credential.
bool CredentialName(std::string name) {
  for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (name == "authorization" || name == "proxy-authorization" || name == "cookie" || name == "set-cookie") return true;
  for (const char* part : {"key", "token", "secret", "password", "auth", "signature"}) {
    if (name.find(part) != std::string::npos) return true;
  }
  return false;
}

constexpr const char* kRedacted = "****";

//! The URL with credential query parameters' values replaced.
std::string RedactUrl(const std::string& url) {
  const size_t q = url.find('?');
  if (q == std::string::npos) return url;
  std::string out = url.substr(0, q + 1);
  size_t start = q + 1;
  while (start <= url.size()) {
    size_t end = url.find('&', start);
    if (end == std::string::npos) end = url.size();
    const std::string pair = url.substr(start, end - start);
    const size_t eq = pair.find('=');
    if (eq != std::string::npos && CredentialName(pair.substr(0, eq))) {
      out += pair.substr(0, eq + 1) + kRedacted;
    } else {
      out += pair;
    }
    if (end < url.size()) out += '&';
    start = end + 1;
  }
  return out;
}

Json HeadersToJson(const std::vector<HttpHeader>& headers) {
  Json out = Json::object();
  for (const HttpHeader& h : headers) out[h.name] = CredentialName(h.name) ? Json(kRedacted) : Json(h.value);
  return out;
}

//! A body as JSON when it parses (tokens redacted), else as text (cut at 64 KiB).
Json BodyToJson(const std::string& body) {
  Json parsed = Json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return body.size() > 65536 ? body.substr(0, 65536) + "…" : body;
  std::function<void(Json&)> scrub = [&](Json& j) {
    if (j.is_object()) {
      for (auto& [k, v] : j.items()) {
        if (v.is_string() && CredentialName(k)) {
          v = kRedacted;
        } else {
          scrub(v);
        }
      }
    } else if (j.is_array()) {
      for (Json& v : j) scrub(v);
    }
  };
  scrub(parsed);
  return parsed;
}

//! The transport of a test read: forwards to the real one and keeps each exchange.
class RecordingTransport final : public HttpTransport {
 public:
  explicit RecordingTransport(std::shared_ptr<HttpTransport> inner) : inner_(std::move(inner)) {}
  Status Send(const HttpRequest& request, HttpResponse& response) override {
    Status st = inner_->Send(request, response);
    Json page = {{"request",
                  {{"url", RedactUrl(request.url)},
                   {"http_method", request.method},
                   {"headers", HeadersToJson(request.headers)},
                   {"body", request.body.empty() ? Json() : BodyToJson(std::string(request.body))}}}};
    if (st.ok()) {
      page["response"] = {{"status", response.status}, {"headers", HeadersToJson(response.headers)},
                          {"body", BodyToJson(response.body)}};
    } else {
      page["response"] = {{"error", st.message()}};
    }
    page["records"] = Json::array();
    pages.push_back(std::move(page));
    return st;
  }
  std::vector<Json> pages;

 private:
  std::shared_ptr<HttpTransport> inner_;
};

//! A JSON Schema of the records' top-level fields (types seen, null allowed when seen).
Json InferSchema(const std::vector<Json>& records) {
  std::map<std::string, std::set<std::string>> types;
  for (const Json& r : records) {
    if (!r.is_object()) continue;
    for (const auto& [k, v] : r.items()) {
      types[k].insert(v.is_null() ? "null" : v.is_boolean() ? "boolean" : v.is_number_integer() ? "integer"
                      : v.is_number() ? "number" : v.is_string() ? "string" : v.is_array() ? "array" : "object");
    }
  }
  Json properties = Json::object();
  for (const auto& [k, set] : types) {
    Json t = Json::array();
    for (const std::string& x : set) {
      if (x == "integer" && set.count("number")) continue;  // number covers it
      t.push_back(x);
    }
    properties[k] = {{"type", t.size() == 1 ? t[0] : t}};
  }
  return {{"$schema", "http://json-schema.org/schema#"}, {"type", "object"}, {"properties", properties}};
}

}  // namespace

Result<Json> TestReadManifestStream(const Json& config, const std::string& name, const TestReadLimits& limits) {
  SLUICE_ASSIGN_OR_RETURN(ManifestConfig c, ParseConfig(config));
  Runtime rt(c);
  auto recorder = std::make_shared<RecordingTransport>(rt.ctx.transport);
  rt.ctx.transport = recorder;
  SLUICE_ASSIGN_OR_RETURN(auto streams, BuildStreams(c, rt.ctx));
  DeclarativeStream* stream = nullptr;
  for (auto& s : streams) {
    if (s->name() == name) stream = s.get();
  }
  if (stream == nullptr) return Status::ConfigError(fmt::format("stream: '{}' is not a stream of the manifest", name));

  Json slices = Json::array();
  size_t slice_first_page = 0;  // the recorder's first page of the open slice
  std::vector<Json> records;
  bool limit_reached = false;
  const Status kLimit = Status::Cancelled("test read limit reached");
  auto close_slice = [&](const Json& state) {
    Json pages = Json::array();
    for (size_t i = slice_first_page; i < recorder->pages.size(); ++i) pages.push_back(recorder->pages[i]);
    slice_first_page = recorder->pages.size();
    if (pages.empty() && state.is_null()) return;
    slices.push_back({{"slice_descriptor", Json()}, {"state", state.is_null() ? Json::array() : Json::array({state})},
                      {"pages", std::move(pages)}});
  };
  RecordSink sink;
  sink.record = [&](Json& record) -> Status {
    if (static_cast<int64_t>(records.size()) >= limits.records) {
      limit_reached = true;
      return kLimit;
    }
    if (!recorder->pages.empty()) recorder->pages.back()["records"].push_back(record);
    records.push_back(record);
    return Status::Ok();
  };
  sink.checkpoint = [&](const Json& state) -> Status {
    close_slice(state);
    if (static_cast<int64_t>(slices.size()) >= limits.slices) {
      limit_reached = true;
      return kLimit;
    }
    return Status::Ok();
  };
  Json logs = Json::array();
  Status read = stream->Read(Json(), stream->cursor_field().has_value(), sink, {.max_pages = limits.pages});
  close_slice(Json());
  if (static_cast<int64_t>(recorder->pages.size()) >= limits.pages) limit_reached = true;
  if (!read.ok() && !(limit_reached && read.cancelled())) {
    logs.push_back({{"level", "ERROR"}, {"message", read.message()}});
  }
  logs.push_back({{"level", "INFO"},
                  {"message", fmt::format("stream '{}': {} record(s), {} request(s)", name, records.size(),
                                          recorder->pages.size())}});
  return Json{{"logs", std::move(logs)},
              {"slices", std::move(slices)},
              {"test_read_limit_reached", limit_reached},
              {"inferred_schema", InferSchema(records)}};
}

std::unique_ptr<Source> MakeDeclarativeManifestSource() { return std::make_unique<DeclarativeManifestSource>(); }

SLUICE_REGISTER_SOURCE("source-declarative-manifest", "Declarative manifest (REST API)",
                       "REST APIs described by Airbyte low-code YAML manifests: auth, pagination, incremental cursors, "
                       "partitions, run natively",
                       MakeDeclarativeManifestSource);

}  // namespace sluice
