#pragma once
// State checkpoints exactly as the Airbyte protocol: AirbyteStateMessage of type STREAM or GLOBAL
// (LEGACY accepted on input), and StateStore, the latest state of a connection — what
// `read --state` takes and what a state file holds (a JSON array of state messages).

#include <optional>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "protocol/catalog.h"

namespace sluice {

enum class StateType { kStream, kGlobal, kLegacy };

struct StreamState {
  StreamDescriptor descriptor;
  Json stream_state;  //!< the connector's blob; null when absent
};

struct StateMessage {
  StateType type = StateType::kStream;
  StreamState stream;                       //!< kStream
  Json shared_state;                        //!< kGlobal (null when absent)
  std::vector<StreamState> stream_states;   //!< kGlobal
  Json data;                                //!< kLegacy
  std::optional<double> source_record_count;       //!< sourceStats.recordCount
  std::optional<double> destination_record_count;  //!< destinationStats.recordCount
  Json extra = Json::object();

  Json ToJson() const;
  //! `where` prefixes error messages ("line 12", "state[0]").
  static Result<StateMessage> FromJson(const Json& json, std::string_view where);
};

class StateStore {
 public:
  //! Folds a checkpoint in: a STREAM state replaces that stream's, GLOBAL replaces the global
  //! state, LEGACY replaces the legacy blob.
  void Apply(const StateMessage& message);
  //! This stream's blob (from its STREAM state or the GLOBAL state's stream_states), or nullptr.
  const Json* Find(const StreamDescriptor& descriptor) const;
  //! The GLOBAL shared_state, or nullptr.
  const Json* SharedState() const;
  //! Forgets one stream (a reset).
  void Remove(const StreamDescriptor& descriptor);
  bool empty() const { return streams_.empty() && !global_ && legacy_.is_null(); }

  //! A JSON array of AirbyteStateMessage (stats stripped); a legacy-only store is `[{type: LEGACY}]`.
  Json ToJson() const;
  //! Accepts an array of state messages, or a bare legacy object.
  static Result<StateStore> FromJson(const Json& json);

 private:
  std::vector<StreamState> streams_;
  std::optional<StateMessage> global_;
  Json legacy_;
};

}  // namespace sluice
