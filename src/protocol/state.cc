#include "protocol/state.h"

#include <fmt/format.h>

namespace sluice {

namespace {

Json StreamStateToJson(const StreamState& s) {
  Json j = {{"stream_descriptor", s.descriptor.ToJson()}};
  if (!s.stream_state.is_null()) j["stream_state"] = s.stream_state;
  return j;
}

Result<StreamState> StreamStateFromJson(const Json& j, std::string_view where) {
  if (!j.is_object()) return Status::ConfigError(fmt::format("{}: must be an object", where));
  if (!j.contains("stream_descriptor")) {
    return Status::ConfigError(fmt::format("{}: 'stream_descriptor' is required", where));
  }
  StreamState s;
  SLUICE_ASSIGN_OR_RETURN(s.descriptor,
                          StreamDescriptor::FromJson(j["stream_descriptor"], fmt::format("{}.stream_descriptor", where)));
  if (j.contains("stream_state")) {
    if (!j["stream_state"].is_object() && !j["stream_state"].is_null()) {
      return Status::ConfigError(fmt::format("{}.stream_state: must be an object", where));
    }
    s.stream_state = j["stream_state"];
  }
  return s;
}

Result<std::optional<double>> StatsCount(const Json& j, std::string_view where, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<double>();
  if (!it->is_object()) return Status::ConfigError(fmt::format("{}.{}: must be an object", where, key));
  auto rc = it->find("recordCount");
  if (rc == it->end() || rc->is_null()) return std::optional<double>();
  if (!rc->is_number()) return Status::ConfigError(fmt::format("{}.{}.recordCount: must be a number", where, key));
  return std::optional<double>(rc->get<double>());
}

}  // namespace

Json StateMessage::ToJson() const {
  Json j = Json::object();
  switch (type) {
    case StateType::kStream:
      j["type"] = "STREAM";
      j["stream"] = StreamStateToJson(stream);
      break;
    case StateType::kGlobal: {
      j["type"] = "GLOBAL";
      Json g = Json::object();
      if (!shared_state.is_null()) g["shared_state"] = shared_state;
      Json arr = Json::array();
      for (const auto& s : stream_states) arr.push_back(StreamStateToJson(s));
      g["stream_states"] = arr;
      j["global"] = g;
      break;
    }
    case StateType::kLegacy:
      j["type"] = "LEGACY";
      j["data"] = data.is_null() ? Json::object() : data;
      break;
  }
  if (source_record_count) j["sourceStats"] = {{"recordCount", *source_record_count}};
  if (destination_record_count) j["destinationStats"] = {{"recordCount", *destination_record_count}};
  for (const auto& [k, v] : extra.items()) j[k] = v;
  return j;
}

Result<StateMessage> StateMessage::FromJson(const Json& j, std::string_view where) {
  if (!j.is_object()) return Status::ConfigError(fmt::format("{}: state must be an object", where));
  StateMessage m;
  std::string type = "LEGACY";
  if (j.contains("type") && !j["type"].is_null()) {
    if (!j["type"].is_string()) return Status::ConfigError(fmt::format("{}.type: must be a string", where));
    type = j["type"].get<std::string>();
  }
  if (type == "STREAM") {
    m.type = StateType::kStream;
    if (!j.contains("stream")) return Status::ConfigError(fmt::format("{}: STREAM state needs 'stream'", where));
    SLUICE_ASSIGN_OR_RETURN(m.stream, StreamStateFromJson(j["stream"], fmt::format("{}.stream", where)));
  } else if (type == "GLOBAL") {
    m.type = StateType::kGlobal;
    if (!j.contains("global") || !j["global"].is_object()) {
      return Status::ConfigError(fmt::format("{}: GLOBAL state needs a 'global' object", where));
    }
    const Json& g = j["global"];
    if (g.contains("shared_state")) m.shared_state = g["shared_state"];
    if (!g.contains("stream_states") || !g["stream_states"].is_array()) {
      return Status::ConfigError(fmt::format("{}.global: 'stream_states' must be an array", where));
    }
    for (size_t i = 0; i < g["stream_states"].size(); ++i) {
      SLUICE_ASSIGN_OR_RETURN(auto s, StreamStateFromJson(g["stream_states"][i],
                                                          fmt::format("{}.global.stream_states[{}]", where, i)));
      m.stream_states.push_back(std::move(s));
    }
  } else if (type == "LEGACY") {
    m.type = StateType::kLegacy;
    m.data = j.contains("data") ? j["data"] : Json::object();
  } else {
    return Status::ConfigError(fmt::format("{}.type: '{}' is not STREAM, GLOBAL or LEGACY", where, type));
  }
  SLUICE_ASSIGN_OR_RETURN(m.source_record_count, StatsCount(j, where, "sourceStats"));
  SLUICE_ASSIGN_OR_RETURN(m.destination_record_count, StatsCount(j, where, "destinationStats"));
  for (const auto& [k, v] : j.items()) {
    if (k != "type" && k != "stream" && k != "global" && k != "data" && k != "sourceStats" &&
        k != "destinationStats") {
      m.extra[k] = v;
    }
  }
  return m;
}

void StateStore::Apply(const StateMessage& m) {
  switch (m.type) {
    case StateType::kStream:
      for (auto& s : streams_) {
        if (s.descriptor == m.stream.descriptor) {
          s.stream_state = m.stream.stream_state;
          return;
        }
      }
      streams_.push_back(m.stream);
      break;
    case StateType::kGlobal:
      global_ = m;
      global_->source_record_count.reset();
      global_->destination_record_count.reset();
      break;
    case StateType::kLegacy:
      legacy_ = m.data;
      break;
  }
}

const Json* StateStore::Find(const StreamDescriptor& d) const {
  for (const auto& s : streams_) {
    if (s.descriptor == d) return &s.stream_state;
  }
  if (global_) {
    for (const auto& s : global_->stream_states) {
      if (s.descriptor == d) return &s.stream_state;
    }
  }
  return nullptr;
}

const Json* StateStore::SharedState() const {
  return global_ && !global_->shared_state.is_null() ? &global_->shared_state : nullptr;
}

void StateStore::Remove(const StreamDescriptor& d) {
  std::erase_if(streams_, [&](const StreamState& s) { return s.descriptor == d; });
  if (global_) {
    std::erase_if(global_->stream_states, [&](const StreamState& s) { return s.descriptor == d; });
  }
}

Json StateStore::ToJson() const {
  Json arr = Json::array();
  if (global_) arr.push_back(global_->ToJson());
  for (const auto& s : streams_) {
    StateMessage m;
    m.type = StateType::kStream;
    m.stream = s;
    arr.push_back(m.ToJson());
  }
  if (!legacy_.is_null()) {
    StateMessage m;
    m.type = StateType::kLegacy;
    m.data = legacy_;
    arr.push_back(m.ToJson());
  }
  return arr;
}

Result<StateStore> StateStore::FromJson(const Json& json) {
  StateStore store;
  if (json.is_null()) return store;
  if (json.is_object()) {
    // A bare legacy blob, or a single state message.
    if (json.contains("type") && json["type"].is_string()) {
      SLUICE_ASSIGN_OR_RETURN(auto m, StateMessage::FromJson(json, "state"));
      store.Apply(m);
    } else {
      store.legacy_ = json;
    }
    return store;
  }
  if (!json.is_array()) return Status::ConfigError("state: must be an array of state messages");
  for (size_t i = 0; i < json.size(); ++i) {
    SLUICE_ASSIGN_OR_RETURN(auto m, StateMessage::FromJson(json[i], fmt::format("state[{}]", i)));
    store.Apply(m);
  }
  return store;
}

}  // namespace sluice
