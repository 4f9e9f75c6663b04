#include "platform/job_streams.h"

#include <fmt/format.h>

#include "protocol/state.h"

namespace sluice {

namespace {

bool SameStream(const std::string& name, const std::optional<std::string>& ns, const StreamDescriptor& d) {
  return name == d.name && ns.value_or("") == d.namespace_.value_or("");
}

std::string StreamText(const std::string& name, const std::optional<std::string>& ns) {
  return ns && !ns->empty() ? *ns + "." + name : name;
}

}  // namespace

std::vector<JobStream> SelectedJobStreams(const Json& sync_catalog, StreamAction action) {
  std::vector<JobStream> out;
  if (!sync_catalog.is_object() || !sync_catalog.contains("streams") || !sync_catalog["streams"].is_array()) return out;
  for (const Json& entry : sync_catalog["streams"]) {
    if (!entry.is_object() || !entry.contains("stream") || !entry["stream"].is_object()) continue;
    const Json& stream = entry["stream"];
    const Json config = entry.value("config", Json::object());
    if (config.is_object() && config.value("selected", true) == false) continue;
    if (!stream.contains("name") || !stream["name"].is_string()) continue;
    JobStream s;
    s.name = stream["name"].get<std::string>();
    if (auto ns = stream.find("namespace"); ns != stream.end() && ns->is_string() && !ns->get<std::string>().empty()) {
      s.namespace_ = ns->get<std::string>();
    }
    s.action = action;
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<JobStream>> ResolveJobStreams(const Json& sync_catalog,
                                                 const std::vector<StreamDescriptor>& requested,
                                                 StreamAction action, std::string_view field) {
  if (requested.empty()) return Status::ConfigError(fmt::format("{}: must name at least one stream", field));
  const std::vector<JobStream> selected = SelectedJobStreams(sync_catalog, action);
  std::vector<JobStream> out;
  std::vector<std::string> problems;
  for (size_t i = 0; i < requested.size(); ++i) {
    const StreamDescriptor& d = requested[i];
    const JobStream* match = nullptr;
    for (const JobStream& s : selected) {
      if (SameStream(s.name, s.namespace_, d)) match = &s;
    }
    if (match == nullptr) {
      problems.push_back(fmt::format("{}[{}]: '{}' is not a selected stream of the connection", field, i,
                                     StreamText(d.name, d.namespace_)));
      continue;
    }
    if (FindJobStream(out, d) == nullptr) out.push_back(*match);
  }
  if (!problems.empty()) {
    std::string text = problems.front();
    for (size_t i = 1; i < problems.size(); ++i) text += "\n" + problems[i];
    return Status::ConfigError(text);
  }
  return out;
}

Result<Json> RemoveStreamStates(const Json& state, const std::vector<JobStream>& streams) {
  if (state.is_null() || streams.empty()) return state;
  SLUICE_ASSIGN_OR_RETURN(StateStore store, StateStore::FromJson(state));
  for (const JobStream& s : streams) store.Remove(StreamDescriptor{s.name, s.namespace_});
  // Remove() matches namespaces exactly; a stream saved with "" and asked without (or the
  // reverse) is the same stream here.
  for (const JobStream& s : streams) {
    if (!s.namespace_) store.Remove(StreamDescriptor{s.name, std::string()});
    else if (s.namespace_->empty()) store.Remove(StreamDescriptor{s.name, std::nullopt});
  }
  Json out = store.ToJson();
  // A legacy blob cannot be split by stream: drop it whole.
  Json kept = Json::array();
  for (Json& message : out) {
    if (message.is_object() && message.value("type", "") == "LEGACY") continue;
    kept.push_back(std::move(message));
  }
  return kept;
}

const JobStream* FindJobStream(const std::vector<JobStream>& job_streams, const StreamDescriptor& descriptor) {
  for (const JobStream& s : job_streams) {
    if (SameStream(s.name, s.namespace_, descriptor)) return &s;
  }
  return nullptr;
}

void SetGenerationIds(ConnectionCatalogs& catalogs, int64_t sync_id, const std::vector<StreamGeneration>& generations,
                      const std::vector<JobStream>& job_streams) {
  for (size_t i = 0; i < catalogs.source.streams.size(); ++i) {
    ConfiguredStream& src = catalogs.source.streams[i];
    const StreamDescriptor d = src.descriptor();
    int64_t generation = 0;
    for (const StreamGeneration& g : generations) {
      if (SameStream(g.name, g.namespace_, d)) generation = g.generation_id;
    }
    bool truncate = src.destination_sync_mode == DestinationSyncMode::kOverwrite;
    if (const JobStream* js = FindJobStream(job_streams, d)) {
      if (js->generation_id) generation = std::max(generation, *js->generation_id);
      if (js->action != StreamAction::kRefreshMerge) truncate = true;
    }
    const int64_t minimum = truncate ? generation : 0;
    for (ConfiguredStream* s : {&src, i < catalogs.destination.streams.size() ? &catalogs.destination.streams[i] : nullptr}) {
      if (s == nullptr) continue;
      s->sync_id = sync_id;
      s->generation_id = generation;
      s->minimum_generation_id = minimum;
    }
  }
}

}  // namespace sluice
