#include "connectors/sources/declarative_manifest/declarative_stream.h"
#include "connectors/sources/declarative_manifest/dynamic_streams.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "protocol/config_validator.h"

#include "base/log.h"
#include "connectors/kit/schema_inference.h"
#include "connectors/kit/json_rows.h"
#include "connectors/sources/declarative_manifest/datetime_cursor.h"
#include "connectors/sources/declarative_manifest/decoders.h"
#include "connectors/sources/declarative_manifest/fast_page.h"
#include "connectors/sources/declarative_manifest/http_requester.h"
#include "connectors/sources/declarative_manifest/incrementing_cursor.h"
#include "connectors/sources/declarative_manifest/paginator.h"
#include "connectors/sources/declarative_manifest/partition_router.h"
#include "connectors/sources/declarative_manifest/record_selector.h"
#include "connectors/sources/declarative_manifest/slice_progress.h"
#include "connectors/sources/declarative_manifest/manifest_errors.h"

namespace sluice {
namespace {

// LegacyToPerPartitionStateMigration: a legacy {partition value: {cursor_field: v}} state
// becomes {"states": [{"partition": {partition_field: value}, "cursor": {...}}]} — when the CDK's
// should_migrate holds: not already migrated, one parent stream, every value an object whose
// only key is the cursor field.
struct LegacyStateMigration {
  std::string partition_field;
  std::string cursor_field;
  size_t parents = 0;

  Json Apply(const Json& state) const {
    if (!state.is_object() || state.empty() || state.contains("states") || parents != 1) return state;
    for (auto it = state.begin(); it != state.end(); ++it) {
      if (!it->is_object() || it->size() != 1 || !it->contains(cursor_field)) return state;
    }
    Json states = Json::array();
    for (auto it = state.begin(); it != state.end(); ++it) {
      states.push_back(Json{{"partition", Json{{partition_field, it.key()}}}, {"cursor", it.value()}});
    }
    return Json{{"states", std::move(states)}};
  }
};

// Whether a saved state's partition names the router's `partition`: equal, or equal but for a
// missing empty "parent_slice" and values written as text ("13506132" for 13506132) — what a
// migrated legacy state holds.
bool SamePartition(const Json& saved, const Json& partition) {
  if (saved == partition) return true;
  if (!saved.is_object() || !partition.is_object()) return false;
  for (auto it = saved.begin(); it != saved.end(); ++it) {
    if (!partition.contains(it.key())) return false;
  }
  for (auto it = partition.begin(); it != partition.end(); ++it) {
    auto s = saved.find(it.key());
    if (s == saved.end()) {
      if (it.key() == "parent_slice" && (it->is_null() || it->empty())) continue;
      return false;
    }
    if (*s == *it) continue;
    if (s->is_string() && (it->is_number_integer() || it->is_boolean()) && s->get<std::string>() == it->dump()) continue;
    return false;
  }
  return true;
}

}  // namespace

struct DeclarativeStream::Parts {
  std::unique_ptr<HttpRequester> requester;
  std::unique_ptr<Paginator> paginator;
  std::unique_ptr<RecordSelector> selector;
  std::unique_ptr<StreamCursor> cursor;
  // DatetimeBasedCursor.global_substream_cursor: one state for every partition.
  bool global_cursor = false;
  std::vector<LegacyStateMigration> migrations;
  std::unique_ptr<PartitionRouter> router;
  std::unique_ptr<ResponseDecoder> decoder;  // the retriever's (decoders.h)
  // The page path without an nlohmann DOM of the records (fast_page.h): for streams whose
  // records go out unchanged; `reads` is what the requester's and paginator's templates read.
  bool fast = false;
  ResponseReads reads;
  FastPage page;
  std::vector<simdjson::dom::element> found;
};

DeclarativeStream::~DeclarativeStream() = default;

Result<std::unique_ptr<DeclarativeStream>> DeclarativeStream::Make(ConfigReader r, BuildContext& ctx) {
  std::unique_ptr<DeclarativeStream> s(new DeclarativeStream());
  s->r_ = r;
  s->ctx_ = &ctx;
  s->parts_ = std::make_unique<Parts>();
  const std::string type = r.String("type", "DeclarativeStream");
  if (type != "DeclarativeStream") return UnsupportedComponent(r, "stream type", type, "DeclarativeStream");
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
  if (rt != "SimpleRetriever") return UnsupportedComponent(retriever, "retriever", rt, "SimpleRetriever");
  Parts& parts = *s->parts_;
  SLUICE_ASSIGN_OR_RETURN(parts.requester, HttpRequester::Make(retriever.Object("requester"), ctx));
  SLUICE_ASSIGN_OR_RETURN(parts.paginator, MakePaginator(ConfigReader(retriever.Raw("paginator"), retriever.PathOf("paginator")), ctx));
  SLUICE_ASSIGN_OR_RETURN(parts.selector, RecordSelector::Make(retriever.Object("record_selector"),
                                                               ConfigReader(r.Raw("transformations"), r.PathOf("transformations")), ctx));
  if (r.Has("incremental_sync")) {
    ConfigReader inc = r.Object("incremental_sync");
    const std::string it = inc.String("type");
    if (it == "DatetimeBasedCursor") {
      SLUICE_ASSIGN_OR_RETURN(DatetimeCursor cursor, DatetimeCursor::Make(inc, ctx));
      parts.global_cursor = cursor.global_substream();
      parts.cursor = std::make_unique<DatetimeCursor>(std::move(cursor));
    } else if (it == "IncrementingCountCursor") {
      SLUICE_ASSIGN_OR_RETURN(IncrementingCursor cursor, IncrementingCursor::Make(inc, ctx));
      parts.cursor = std::make_unique<IncrementingCursor>(std::move(cursor));
    } else {
      return UnsupportedComponent(inc, "incremental sync", it, "DatetimeBasedCursor, IncrementingCountCursor");
    }
  }
  SLUICE_ASSIGN_OR_RETURN(parts.decoder, MakeRetrieverDecoder(retriever));
  parts.selector->set_documents(parts.decoder->documents());
  parts.fast = parts.selector->unchanged() && parts.decoder->plain_json();
  ScanResponseReads(retriever.Raw("requester"), parts.reads);
  ScanResponseReads(retriever.Raw("paginator"), parts.reads);
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
  if (parts.cursor && !parts.router->empty() && r.Object("incremental_sync").String("type", "") == "IncrementingCountCursor") {
    return Status::ConfigError(fmt::format("manifest {}: an IncrementingCountCursor cannot be used with a partition router ({}), as in "
                                           "Airbyte's CDK; use a DatetimeBasedCursor or drop the router",
                                           r.PathOf("incremental_sync"), retriever.PathOf(router_key)));
  }
  for (ConfigReader m : r.Array("state_migrations")) {
    const std::string mt = m.String("type", "");
    if (mt == "CustomStateMigration" || (mt.empty() && m.Has("class_name"))) {
      return Status::ConfigError(fmt::format("manifest {}: CustomStateMigration '{}' is custom Python code, which sluice cannot run; "
                                             "remove it from state_migrations (a saved state must then be in the stream's own shape), "
                                             "or use LegacyToPerPartitionStateMigration",
                                             m.PathOf("type"), m.String("class_name", "")));
    }
    if (mt != "LegacyToPerPartitionStateMigration") {
      return UnsupportedComponent(m, "state migration", mt, "LegacyToPerPartitionStateMigration");
    }
    const Json& router_json = retriever.Raw(router_key);
    const bool substream = router_json.is_object() && router_json.value("type", "") == "SubstreamPartitionRouter";
    if (!parts.cursor || r.Object("incremental_sync").String("type", "") != "DatetimeBasedCursor" || !substream) {
      return Status::ConfigError(fmt::format("manifest {}: LegacyToPerPartitionStateMigration needs a DatetimeBasedCursor incremental_sync and a "
                                             "SubstreamPartitionRouter at {}",
                                             m.path(), retriever.PathOf(router_key)));
    }
    ConfigReader router(router_json, retriever.PathOf(router_key));
    std::vector<ConfigReader> parents = router.Array("parent_stream_configs");
    LegacyStateMigration migration;
    migration.parents = parents.size();
    migration.cursor_field = parts.cursor->cursor_field();
    if (!parents.empty()) {
      Vars mvars;
      mvars.config = ctx.config;
      mvars.parameters = &ParametersOf(m);
      SLUICE_ASSIGN_OR_RETURN(migration.partition_field,
                              ctx.interpolator->Text(parents[0].Raw("partition_field"), mvars, parents[0].PathOf("partition_field")));
    }
    parts.migrations.push_back(std::move(migration));
  }
  SLUICE_RETURN_IF_ERROR(r.status());
  return s;
}

Result<std::unique_ptr<DeclarativeStream>> DeclarativeStream::Copy(BuildContext& ctx) const {
  return DeclarativeStream::Make(ConfigReader(r_.json(), r_.path()), ctx);
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
  if (type == "DynamicSchemaLoader") return DynamicSchema(loader, *ctx_);
  if (type != "JsonFileSchemaLoader") {
    return UnsupportedComponent(loader, "schema loader", type,
                       "InlineSchemaLoader, JsonFileSchemaLoader, DynamicSchemaLoader, InferredSchemaLoader (sluice's)");
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

Status DeclarativeStream::ReadSlice(const Json& partition, const Json& cursor_slice, const Json& cursor_state, const PageSink& on_page,
                                    bool elements_ok, int64_t& pages, int64_t max_pages, bool* limit_reached) {
  Parts& parts = *parts_;
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
    Json body;
    // Streams whose records go out unchanged parse a page with simdjson (a body it refuses goes
    // the Json way): the templates get the keys they read, the records go to the sink as parsed.
    bool parsed_fast = false;
    HttpRequester::BodyDecoder decode;
    if (!parts.decoder->plain_json()) {
      decode = [&](std::string& text) -> Json {
        Result<Json> decoded = parts.decoder->Decode(text);
        return decoded.ok() ? std::move(*decoded) : Json();  // an error is reported below, for a success status
      };
    } else if (elements_ok && parts.fast) {
      decode = [&](std::string& text) -> Json {
        parsed_fast = parts.page.Parse(text);
        if (parsed_fast) return parts.page.Response(parts.reads);
        try {
          return Json::parse(text);
        } catch (const std::exception&) {
          return Json();
        }
      };
    }
    SLUICE_ASSIGN_OR_RETURN(HttpResponse response, parts.requester->Send(std::move(request), &ignored, &body, decode));
    ++pages;
    if (ignored) break;
    const bool last_allowed = max_pages > 0 && pages >= max_pages;
    if (parsed_fast) {
      SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> path, parts.selector->RecordPath(vars));
      parts.found = parts.page.Locate(path);
      std::vector<simdjson::dom::element>& found = parts.found;
      const Json last_record = found.empty() ? Json() : DomToJson(found.back());
      PageInfo page;
      page.response = &response;
      page.body = &body;
      page.records = static_cast<int64_t>(found.size());
      page.last_record = found.empty() ? nullptr : &last_record;
      page.vars = &vars;
      std::optional<Json> next;
      if (!last_allowed) {
        SLUICE_ASSIGN_OR_RETURN(next, parts.paginator->Next(page));
      }
      if (parts.cursor) {
        const std::string& field = parts.cursor->cursor_field();
        std::erase_if(found, [&](simdjson::dom::element record) {
          simdjson::dom::element value;
          if (!FastPage::Field(record, field, value)) return !parts.cursor->ObserveValue(nullptr);
          const Json v = DomToJson(value);
          return !parts.cursor->ObserveValue(&v);
        });
      }
      const RecordElements elements{&found, &parts.page.lease()};
      std::vector<Json> none;
      SLUICE_RETURN_IF_ERROR(on_page(none, &elements));
      if (last_allowed) {
        *limit_reached = true;
        return Status::Ok();
      }
      if (!next) break;
      continue;
    }
    if (body.is_null()) {
      SLUICE_ASSIGN_OR_RETURN(body, parts.decoder->plain_json() ? HttpRequester::Decode(response, url)
                                                                 : parts.decoder->DecodeResponse(response, "", url));
    }
    // The records stay in the body (DpathExtractor: pointers) until the paginator has seen the
    // page, then are moved out: a page is parsed once and its records never copied.
    std::vector<Json> records;
    std::vector<const Json*> located;
    const bool in_place = parts.selector->locates();
    if (in_place) {
      SLUICE_ASSIGN_OR_RETURN(located, parts.selector->Locate(body, vars));
    } else {
      SLUICE_ASSIGN_OR_RETURN(records, parts.selector->Extract(body, vars));
    }
    const size_t count = in_place ? located.size() : records.size();
    PageInfo page;
    page.response = &response;
    page.body = &body;
    page.records = static_cast<int64_t>(count);
    page.last_record = count == 0 ? nullptr : in_place ? located.back() : &records.back();
    page.vars = &vars;
    std::optional<Json> next;
    if (!last_allowed) {
      SLUICE_ASSIGN_OR_RETURN(next, parts.paginator->Next(page));
    }
    if (in_place) {
      records.reserve(located.size());
      for (const Json* r : located) records.push_back(std::move(*const_cast<Json*>(r)));  // body is ours
    }
    SLUICE_RETURN_IF_ERROR(parts.selector->FilterAndTransform(records, vars));
    if (parts.cursor) {
      std::erase_if(records, [&](const Json& record) { return !parts.cursor->Observe(record); });
    }
    SLUICE_RETURN_IF_ERROR(on_page(records, nullptr));
    if (last_allowed) {
      *limit_reached = true;
      return Status::Ok();
    }
    if (!next) break;
  }
  return Status::Ok();
}

Status DeclarativeStream::Read(const Json& state, bool incremental, const RecordSink& sink, ReadLimits limits) {
  Parts& parts = *parts_;
  const auto began = std::chrono::steady_clock::now();
  const bool per_partition = parts.cursor && !parts.router->empty();
  SLUICE_ASSIGN_OR_RETURN(std::vector<Json> partitions, parts.router->Partitions());
  Json saved_state = incremental && state.is_object() ? state : Json::object();
  for (const LegacyStateMigration& m : parts.migrations) saved_state = m.Apply(saved_state);
  // Per-partition state, as the CDK's ConcurrentPerPartitionCursor reads and writes it, when the
  // stream has both partitions and a cursor:
  //   {"use_global_cursor": false, "states": [{"partition": ..., "cursor": ...}],
  //    "state": {cursor: v}, "lookback_window": seconds}
  // "state" (the global cursor: the newest value over all partitions, written once the read has
  // completed) starts the partitions "states" lacks, moved back by lookback_window (the last
  // read's duration). With use_global_cursor (DatetimeBasedCursor.global_substream_cursor, or
  // the saved state's flag) every partition starts from "state" and there are no "states". A
  // saved state in the cursor's own shape ({cursor: v}) is a global state for every partition.
  // Without partitions the state is the cursor's own.
  bool use_global = parts.global_cursor;
  Json global_state = Json::object();
  int64_t lookback_seconds = 0;
  Json states = Json::array();
  if (per_partition && !saved_state.empty()) {
    if (!saved_state.contains("states") && !saved_state.contains("state")) {
      if (parts.cursor->ValueOf(saved_state)) global_state = parts.cursor->StateOf(*parts.cursor->ValueOf(saved_state));
    } else {
      const Json& flag = saved_state.value("use_global_cursor", Json(false));
      use_global = use_global || (flag.is_boolean() && flag.get<bool>());
      const Json& g = saved_state.value("state", Json::object());
      if (parts.cursor->ValueOf(g)) global_state = parts.cursor->StateOf(*parts.cursor->ValueOf(g));
      const Json& lb = saved_state.value("lookback_window", Json(0));
      if (lb.is_number()) lookback_seconds = lb.get<int64_t>();
      const Json& saved_states = saved_state.value("states", Json::array());
      if (!use_global && saved_states.is_array()) states = saved_states;
    }
  }
  Json whole_state = per_partition ? Json::object() : saved_state;
  auto compose = [&]() {
    Json out{{"use_global_cursor", use_global}};
    if (!use_global) out["states"] = states;
    if (!global_state.empty()) out["state"] = global_state;
    out["lookback_window"] = lookback_seconds;
    return out;
  };
  auto state_of = [&](const Json& partition) -> Json {
    if (!per_partition) return whole_state;
    if (!use_global) {
      for (const Json& s : states) {
        if (s.is_object() && SamePartition(s.value("partition", Json()), partition)) return s.value("cursor", Json::object());
      }
    }
    if (global_state.empty()) return Json::object();
    return parts.cursor->StateMinusSeconds(global_state, lookback_seconds);
  };
  auto set_state = [&](const Json& partition, const Json& cursor_state) {
    if (!per_partition) {
      whole_state = cursor_state;
      return;
    }
    if (use_global) return;
    for (Json& s : states) {
      if (s.is_object() && SamePartition(s.value("partition", Json()), partition)) {
        s["partition"] = partition;  // a migrated partition takes the router's exact form
        s["cursor"] = cursor_state;
        return;
      }
    }
    if (!cursor_state.empty()) states.push_back(Json{{"partition", partition}, {"cursor", cursor_state}});
  };
  // The newest cursor value of every record read (the next global state).
  std::optional<int64_t> global_newest;
  auto note_newest = [&](std::optional<int64_t> n) {
    if (n && (!global_newest || *n > *global_newest)) global_newest = n;
  };
  Json last_checkpoint;  // per-partition: the state last checkpointed
  // After a slice: the stream's checkpoint (a global cursor checkpoints once, at the end).
  const std::function<Status(size_t, const Json&)> slice_done = [&](size_t p, const Json& cursor_state) -> Status {
    set_state(partitions[p], cursor_state);
    if (per_partition && use_global) return Status::Ok();
    if (!sink.checkpoint) return Status::Ok();
    if (!per_partition) return sink.checkpoint(whole_state);
    last_checkpoint = compose();
    return sink.checkpoint(last_checkpoint);
  };
  // Each partition's saved cursor state and slices.
  std::vector<Json> saved;
  std::vector<std::vector<Json>> slices;
  for (const Json& partition : partitions) {
    saved.push_back(state_of(partition));
    if (parts.cursor) {
      SLUICE_RETURN_IF_ERROR(parts.cursor->Begin(incremental ? saved.back() : Json()));
      slices.push_back(parts.cursor->Slices());
    } else {
      slices.push_back({Json::object()});
    }
  }
  size_t units = 0;
  for (const auto& s : slices) units += s.size();
  const size_t workers = limits.max_pages > 0 ? 1 : std::min<size_t>(std::max(ctx_->concurrency, 1), units);
  if (workers > 1) {
    SLUICE_RETURN_IF_ERROR(ReadConcurrently(partitions, saved, slices, incremental, workers, slice_done, note_newest, sink));
  } else {
    const PageSink to_sink = [&](std::vector<Json>& records, const RecordElements* elements) -> Status {
      if (elements != nullptr) return sink.record_elements(*elements);
      for (Json& record : records) SLUICE_RETURN_IF_ERROR(sink.record(record));
      return Status::Ok();
    };
    int64_t pages = 0;
    for (size_t p = 0; p < partitions.size(); ++p) {
      if (parts.cursor) SLUICE_RETURN_IF_ERROR(parts.cursor->Begin(incremental ? saved[p] : Json()));
      for (const Json& cursor_slice : slices[p]) {
        bool limit_reached = false;
        {
          UnitSlot slot(*ctx_);
          SLUICE_RETURN_IF_ERROR(ReadSlice(partitions[p], cursor_slice, saved[p], to_sink, bool(sink.record_elements), pages,
                                           limits.max_pages, &limit_reached));
        }
        if (limit_reached) return Status::Ok();
        if (parts.cursor && incremental) {
          note_newest(parts.cursor->newest());
          SLUICE_RETURN_IF_ERROR(slice_done(p, parts.cursor->State()));
        }
      }
    }
  }
  if (per_partition && incremental) {
    // The read completed: the global cursor moves to the newest value read, and lookback_window
    // becomes the read's duration (whole seconds, rounded up), as the CDK's cursor does.
    if (global_newest) {
      std::optional<int64_t> g = parts.cursor->ValueOf(global_state);
      global_state = parts.cursor->StateOf(g && *g > *global_newest ? *g : *global_newest);
      const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - began).count();
      lookback_seconds = (micros + 999'999) / 1'000'000;
    }
    Json final_state = compose();
    if (sink.checkpoint && final_state != last_checkpoint) SLUICE_RETURN_IF_ERROR(sink.checkpoint(final_state));
  }
  return Status::Ok();
}

Status DeclarativeStream::ReadConcurrently(const std::vector<Json>& partitions, const std::vector<Json>& saved,
                                           const std::vector<std::vector<Json>>& slices, bool incremental, size_t worker_count,
                                           const std::function<Status(size_t, const Json&)>& slice_done,
                                           const std::function<void(std::optional<int64_t>)>& note_newest, const RecordSink& sink) {
  struct Unit {
    size_t partition;
    size_t slice;
  };
  std::vector<Unit> units;
  std::vector<std::unique_ptr<SliceProgress>> progress;
  for (size_t p = 0; p < partitions.size(); ++p) {
    progress.push_back(std::make_unique<SliceProgress>(slices[p].size()));
    for (size_t i = 0; i < slices[p].size(); ++i) units.push_back({p, i});
  }
  // Each worker has its own copy of the stream (requester, paginator, selector, cursor: per-read
  // state) and its own interpolator (not thread-safe); the rest of the context is shared.
  struct Worker {
    Interpolator interpolator;
    BuildContext ctx;
    std::unique_ptr<DeclarativeStream> stream;
    std::thread thread;
  };
  std::vector<std::unique_ptr<Worker>> workers;
  for (size_t i = 0; i < worker_count; ++i) {
    auto w = std::make_unique<Worker>();
    w->ctx = *ctx_;
    w->ctx.interpolator = &w->interpolator;
    SLUICE_ASSIGN_OR_RETURN(w->stream, Copy(w->ctx));
    workers.push_back(std::move(w));
  }
  std::mutex mu;  // guards the sink, the caller's state (slice_done, note_newest) and first_error
  Status first_error;
  std::atomic<bool> stop{false};
  std::atomic<size_t> next{0};
  auto fail = [&](Status s) {
    std::lock_guard<std::mutex> lock(mu);
    if (first_error.ok()) first_error = std::move(s);
    stop = true;
  };
  auto run = [&](Worker& w) {
    StreamCursor* cursor = w.stream->parts_->cursor.get();
    // A page's records go to the sink together, so a partition's records stay in order.
    const PageSink to_sink = [&](std::vector<Json>& records, const RecordElements* elements) -> Status {
      std::lock_guard<std::mutex> lock(mu);
      if (stop) return Status::Cancelled("another worker failed");
      if (elements != nullptr) return sink.record_elements(*elements);
      for (Json& record : records) SLUICE_RETURN_IF_ERROR(sink.record(record));
      return Status::Ok();
    };
    while (!stop) {
      const size_t u = next++;
      if (u >= units.size()) return;
      const Unit unit = units[u];
      if (cursor) {
        if (Status b = cursor->Begin(incremental ? saved[unit.partition] : Json()); !b.ok()) return fail(b);
      }
      int64_t pages = 0;
      bool limit_reached = false;
      UnitSlot slot(*ctx_);
      Status read = w.stream->ReadSlice(partitions[unit.partition], slices[unit.partition][unit.slice], saved[unit.partition], to_sink,
                                        bool(sink.record_elements), pages, 0, &limit_reached);
      if (!read.ok()) return fail(read);
      if (cursor == nullptr || !incremental) continue;
      std::lock_guard<std::mutex> lock(mu);
      if (stop) return;
      note_newest(cursor->newest());
      const SliceProgress::Advance a = progress[unit.partition]->Complete(unit.slice, cursor->newest());
      if (!a.advanced) continue;
      if (Status c = slice_done(unit.partition, cursor->StateFor(a.newest)); !c.ok()) {
        if (first_error.ok()) first_error = c;
        stop = true;
        return;
      }
    }
  };
  for (auto& w : workers) {
    Worker* raw = w.get();
    raw->thread = std::thread([&run, raw] { run(*raw); });
  }
  for (auto& w : workers) w->thread.join();
  return first_error;
}

Result<std::vector<Json>> DeclarativeStream::ReadRecords(int64_t max_pages) {
  std::vector<Json> records;
  RecordSink sink;
  sink.record = [&](Json& record) {
    records.push_back(std::move(record));
    return Status::Ok();
  };
  sink.checkpoint = [](const Json&) { return Status::Ok(); };
  SLUICE_RETURN_IF_ERROR(Read(Json(), false, sink, {.max_pages = max_pages}));
  return records;
}

}  // namespace sluice
