#include "connectors/kit/cdc/cdc_state.h"

namespace sluice {

namespace {

constexpr int kCdcStateVersion = 2;

std::optional<Json> PositionOf(const Json* shared) {
  if (shared == nullptr || !shared->is_object()) return std::nullopt;
  auto type = shared->find("state_type");
  if (type != shared->end() && !(type->is_string() && type->get<std::string>() == "cdc")) return std::nullopt;
  auto state = shared->find("state");
  if (state == shared->end()) return std::nullopt;
  return *state;
}

}  // namespace

StateMessage CdcStateMessage(const CdcState& state) {
  StateMessage m;
  m.type = StateType::kGlobal;
  m.shared_state = {{"state", state.position}, {"state_type", "cdc"}, {"version", kCdcStateVersion}};
  m.stream_states = state.streams;
  return m;
}

std::optional<CdcState> ParseCdcState(const StateMessage& message) {
  if (message.type != StateType::kGlobal) return std::nullopt;
  auto position = PositionOf(&message.shared_state);
  if (!position) return std::nullopt;
  return CdcState{std::move(*position), message.stream_states};
}

std::optional<CdcState> ParseCdcState(const StateStore& store) {
  auto position = PositionOf(store.SharedState());
  if (!position) return std::nullopt;
  // The store keeps the streams of the GLOBAL state; its JSON form has them in order.
  CdcState state{std::move(*position), {}};
  const Json all = store.ToJson();
  for (const auto& message : all) {
    auto parsed = StateMessage::FromJson(message, "state");
    if (parsed.ok() && parsed->type == StateType::kGlobal) {
      state.streams = parsed->stream_states;
      break;
    }
  }
  return state;
}

}  // namespace sluice
