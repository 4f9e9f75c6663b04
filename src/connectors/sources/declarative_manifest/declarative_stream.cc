#include "connectors/sources/declarative_manifest/declarative_stream.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "protocol/config_validator.h"

#include "base/log.h"
#include "connectors/kit/schema_inference.h"
#include "connectors/sources/declarative_manifest/datetime_cursor.h"
#include "connectors/sources/declarative_manifest/http_requester.h"
#include "connectors/sources/declarative_manifest/paginator.h"
#include "connectors/sources/declarative_manifest/partition_router.h"
#include "connectors/sources/declarative_manifest/record_selector.h"

namespace sluice {
namespace {

Status Unsupported(const ConfigReader& r, std::string_view what, const std::string& type, std::string_view supported) {
  return Status::ConfigError(fmt::format("manifest {}: unsupported {} '{}'{}; supported: {}", r.PathOf("type"), what, type,
                                         type.starts_with("Custom") || r.Has("class_name")
                                             ? " (custom Python components cannot run in sluice)"
                                             : "",
                                         supported));
}

}  // namespace

struct DeclarativeStream::Parts {
  std::unique_ptr<HttpRequester> requester;
  std::unique_ptr<Paginator> paginator;
  std::unique_ptr<RecordSelector> selector;
  std::optional<DatetimeCursor> cursor;
  std::unique_ptr<PartitionRouter> router;
};

DeclarativeStream::~DeclarativeStream() = default;

Result<std::unique_ptr<DeclarativeStream>> DeclarativeStream::Make(ConfigReader r, BuildContext& ctx) {
  std::unique_ptr<DeclarativeStream> s(new DeclarativeStream());
  s->r_ = r;
  s->ctx_ = &ctx;
  s->parts_ = std::make_unique<Parts>();
  const std::string type = r.String("type", "DeclarativeStream");
  if (type != "DeclarativeStream") return Unsupported(r, "stream type", type, "DeclarativeStream");
  Vars vars;
  vars.config = ctx.config;
  vars.parameters = &ParametersOf(r);
  SLUICE_ASSIGN_OR_RETURN(s->name_, ctx.interpolator->Text(r.Raw("name"), vars, r.PathOf("name")));
  if (s->name_.empty()) return Status::ConfigError(fmt::format("manifest {}: a stream needs a name", r.PathOf("name")));
  const Json& pk = r.Raw("primary_key");
  if (pk.is_string() && !pk.get<std::string>().empty()) {
    s->primary_key_ = {{pk.get<std::string>()}};
  } else if (pk.is_array()) {
    for (const Json& k : pk) {
      if (k.is_string()) s->primary_key_.push_back({k.get<std::string>()});
      else if (k.is_array()) {
        std::vector<std::string> path;
        for (const Json& p : k) path.push_back(ParamText(p));
        s->primary_key_.push_back(std::move(path));
      }
    }
  }
  ConfigReader retriever = r.Object("retriever");
  const std::string rt = retriever.String("type", "SimpleRetriever");
  if (rt != "SimpleRetriever") return Unsupported(retriever, "retriever", rt, "SimpleRetriever");
  Parts& parts = *s->parts_;
  SLUICE_ASSIGN_OR_RETURN(parts.requester, HttpRequester::Make(retriever.Object("requester"), ctx));
  SLUICE_ASSIGN_OR_RETURN(parts.paginator, MakePaginator(ConfigReader(retriever.Raw("paginator"), retriever.PathOf("paginator")), ctx));
  SLUICE_ASSIGN_OR_RETURN(parts.selector, RecordSelector::Make(retriever.Object("record_selector"),
                                                               ConfigReader(r.Raw("transformations"), r.PathOf("transformations")), ctx));
  if (r.Has("incremental_sync")) {
    ConfigReader inc = r.Object("incremental_sync");
    const std::string it = inc.String("type");
    if (it != "DatetimeBasedCursor") return Unsupported(inc, "incremental sync", it, "DatetimeBasedCursor");
    SLUICE_ASSIGN_OR_RETURN(DatetimeCursor cursor, DatetimeCursor::Make(inc, ctx));
    parts.cursor = std::move(cursor);
  }
  // Older manifests put the routers under retriever.stream_slicer.
  const char* router_key = retriever.Has("partition_router") ? "partition_router" : "stream_slicer";
  ParentReader parent = [&ctx](ConfigReader stream, const std::function<Status(const Json&, const Json&)>& on_record) -> Status {
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<DeclarativeStream> p, DeclarativeStream::Make(stream, ctx));
    RecordSink sink;
    sink.record = [&](Json& record) { return on_record(record, Json::object()); };
    return p->Read(Json(), false, sink).WithContext(fmt::format("parent stream '{}'", p->name()));
  };
  SLUICE_ASSIGN_OR_RETURN(parts.router, PartitionRouter::Make(ConfigReader(retriever.Raw(router_key), retriever.PathOf(router_key)),
                                                              ctx, parent));
  SLUICE_RETURN_IF_ERROR(r.status());
  return s;
}

std::optional<std::string> DeclarativeStream::cursor_field() const {
  if (parts_->cursor) return parts_->cursor->cursor_field();
  return std::nullopt;
}

Result<Json> DeclarativeStream::InferSchema(ConfigReader& loader) {
  const int64_t pages = loader.Integer("sample_pages", 1, 1, 1000);
  const int64_t max_records = loader.Integer("sample_records", 1000, 1, 1'000'000);
  SLUICE_RETURN_IF_ERROR(loader.status());
  std::string jsonl;
  int64_t records = 0;
  RecordSink sink;
  sink.record = [&](Json& record) -> Status {
    if (records++ < max_records) jsonl += record.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
    return Status::Ok();
  };
  sink.checkpoint = [](const Json&) { return Status::Ok(); };
  SLUICE_RETURN_IF_ERROR(Read(Json(), false, sink, {.max_pages = pages}).WithContext(
      fmt::format("stream '{}': reading a sample to infer its schema ({})", name_, loader.path())));
  SchemaPtr schema;
  if (jsonl.empty()) {
    schema = std::make_shared<const Schema>();
  } else {
    SLUICE_ASSIGN_OR_RETURN(schema, InferJsonlSchema({name_}, static_cast<uint64_t>(max_records), false,
                                                     [&](const std::string& n) -> Result<std::unique_ptr<InputStream>> {
                                                       return MakeStringInputStream(std::move(jsonl), n);
                                                     }));
  }
  Json out = schema->ToJsonSchema();
  // The key and cursor exist even when the sample lacked them (an empty first page).
  if (!out.contains("properties") || !out["properties"].is_object()) out["properties"] = Json::object();
  std::vector<std::string> must;
  for (const auto& key : primary_key_) {
    if (key.size() == 1) must.push_back(key[0]);
  }
  if (auto cursor = cursor_field()) must.push_back(*cursor);
  for (const std::string& f : must) {
    if (!out["properties"].contains(f)) out["properties"][f] = {{"type", Json::array({"null", "string"})}};
  }
  return out;
}

Result<Json> DeclarativeStream::JsonSchema() {
  ConfigReader loader = r_.Object("schema_loader");
  const std::string type = loader.String("type", "JsonFileSchemaLoader");
  if (type == "InlineSchemaLoader") {
    const Json& schema = loader.Raw("schema");
    if (!schema.is_object()) return Status::ConfigError(fmt::format("manifest {}: expected a JSON Schema mapping", loader.PathOf("schema")));
    return schema;
  }
  if (type == "InferredSchemaLoader") return InferSchema(loader);
  if (type != "JsonFileSchemaLoader") {
    return Unsupported(loader, "schema loader", type, "InlineSchemaLoader, JsonFileSchemaLoader, InferredSchemaLoader (sluice's)");
  }
  Vars vars;
  vars.config = ctx_->config;
  const Json params = [&] {
    Json p = ParametersOf(loader);
    if (!p.contains("name")) p["name"] = name_;
    return p;
  }();
  vars.parameters = &params;
  std::vector<std::string> candidates;
  if (loader.Has("file_path")) {
    SLUICE_ASSIGN_OR_RETURN(std::string path, ctx_->interpolator->Text(loader.Raw("file_path"), vars, loader.PathOf("file_path")));
    candidates.push_back(path);
  } else {
    candidates.push_back("schemas/" + name_ + ".json");
  }
  for (const std::string& c : candidates) {
    std::filesystem::path p(c);
    if (p.is_relative() && !ctx_->manifest_dir.empty()) p = std::filesystem::path(ctx_->manifest_dir) / p;
    std::ifstream in(p);
    if (!in) continue;
    std::stringstream text;
    text << in.rdbuf();
    try {
      Json schema = Json::parse(text.str());
      if (schema.is_object()) return schema;
    } catch (const std::exception& e) {
      return Status::ConfigError(fmt::format("stream '{}': schema file {} is not JSON: {}", name_, p.string(), e.what()));
    }
  }
  return Status::ConfigError(fmt::format("stream '{}': no schema — the schema file {} does not exist{} (manifest {}); "
                                         "give an InlineSchemaLoader or the file",
                                         name_, candidates.front(),
                                         ctx_->manifest_dir.empty() ? "" : " beside the manifest (" + ctx_->manifest_dir + ")",
                                         loader.path()));
}

Status DeclarativeStream::Read(const Json& state, bool incremental, const RecordSink& sink, ReadLimits limits) {
  Parts& parts = *parts_;
  const bool per_partition = parts.cursor && !parts.router->empty();
  SLUICE_ASSIGN_OR_RETURN(std::vector<Json> partitions, parts.router->Partitions());
  // Per-partition state (Airbyte's {"states": [{"partition": ..., "cursor": ...}]}) when the
  // stream has both partitions and a cursor; else the cursor's own state.
  Json whole_state = incremental && state.is_object() ? state : Json::object();
  auto state_of = [&](const Json& partition) -> Json {
    if (!per_partition) return whole_state;
    for (const Json& s : whole_state.value("states", Json::array())) {
      if (s.value("partition", Json()) == partition) return s.value("cursor", Json::object());
    }
    return Json::object();
  };
  auto set_state = [&](const Json& partition, const Json& cursor_state) {
    if (!per_partition) {
      whole_state = cursor_state;
      return;
    }
    if (!whole_state.contains("states")) whole_state["states"] = Json::array();
    for (Json& s : whole_state["states"]) {
      if (s.value("partition", Json()) == partition) {
        s["cursor"] = cursor_state;
        return;
      }
    }
    whole_state["states"].push_back(Json{{"partition", partition}, {"cursor", cursor_state}});
  };
  int64_t pages = 0;
  for (const Json& partition : partitions) {
    std::vector<Json> slices = {Json::object()};
    Json cursor_state = state_of(partition);
    if (parts.cursor) {
      SLUICE_RETURN_IF_ERROR(parts.cursor->Begin(incremental ? cursor_state : Json()));
      slices = parts.cursor->Slices();
    }
    for (const Json& cursor_slice : slices) {
      Json slice = partition;
      for (auto it = cursor_slice.begin(); it != cursor_slice.end(); ++it) slice[it.key()] = it.value();
      parts.paginator->Reset();
      while (true) {
        Json token_var = Json::object();
        if (!parts.paginator->token().is_null()) token_var["next_page_token"] = parts.paginator->token();
        Vars vars;
        vars.config = ctx_->config;
        vars.stream_state = &cursor_state;
        vars.stream_slice = &slice;
        vars.next_page_token = &token_var;
        SLUICE_ASSIGN_OR_RETURN(PreparedRequest request, parts.requester->Prepare(vars));
        parts.router->Apply(partition, request);
        if (parts.cursor) parts.cursor->Apply(cursor_slice, request);
        parts.paginator->Apply(request);
        const std::string url = request.UrlForMessages();
        bool ignored = false;
        SLUICE_ASSIGN_OR_RETURN(HttpResponse response, parts.requester->Send(std::move(request), &ignored));
        ++pages;
        if (ignored) break;
        SLUICE_ASSIGN_OR_RETURN(Json body, HttpRequester::Decode(response, url));
        SLUICE_ASSIGN_OR_RETURN(std::vector<Json> records, parts.selector->Extract(body, vars));
        PageInfo page;
        page.response = &response;
        page.body = &body;
        page.records = static_cast<int64_t>(records.size());
        Json last_record = records.empty() ? Json() : records.back();
        page.last_record = records.empty() ? nullptr : &last_record;
        page.vars = &vars;
        SLUICE_RETURN_IF_ERROR(parts.selector->FilterAndTransform(records, vars));
        for (Json& record : records) {
          if (parts.cursor && !parts.cursor->Observe(record)) continue;
          SLUICE_RETURN_IF_ERROR(sink.record(record));
        }
        if (limits.max_pages > 0 && pages >= limits.max_pages) return Status::Ok();
        SLUICE_ASSIGN_OR_RETURN(std::optional<Json> next, parts.paginator->Next(page));
        if (!next) break;
      }
      if (parts.cursor && incremental) {
        set_state(partition, parts.cursor->State());
        if (sink.checkpoint) SLUICE_RETURN_IF_ERROR(sink.checkpoint(whole_state));
      }
    }
    if (parts.cursor && incremental) cursor_state = parts.cursor->State();
  }
  return Status::Ok();
}

}  // namespace sluice
