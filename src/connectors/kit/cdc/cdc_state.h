#pragma once
// A CDC source's checkpoint: one GLOBAL state (as Airbyte's CDC sources emit) holding the log
// position every stream has been read up to, and each stream's own blob (e.g. its initial
// snapshot in progress, or a marker that the snapshot is done):
//
//   {"type":"GLOBAL","global":{
//      "shared_state":{"state":{"lsn":"0/16B3748"},"state_type":"cdc","version":2},
//      "stream_states":[{"stream_descriptor":{"name":"orders","namespace":"public"},
//                        "stream_state":{"version":2,"state_type":"ctid",…}}]}}
//
// shared_state.state is the dialect's log position, opaque to the kit (PostgreSQL: the LSN the
// destination confirmed and the slot; MySQL: binlog file and position or a GTID set). A GLOBAL
// state replaces the previous one whole (StateStore::Apply), so it always lists every stream.

#include <optional>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "protocol/state.h"

namespace sluice {

struct CdcState {
  Json position;                     //!< the dialect's log position; null: none yet
  std::vector<StreamState> streams;  //!< per-stream blobs
};

//! The GLOBAL state message of `state`.
StateMessage CdcStateMessage(const CdcState& state);
//! The CDC state in `store` (its GLOBAL state), or nullopt when there is none or its
//! shared_state is not a CDC state (start with a snapshot).
std::optional<CdcState> ParseCdcState(const StateStore& store);
//! The same from one message. REQUIRES: message.type == kGlobal, else nullopt.
std::optional<CdcState> ParseCdcState(const StateMessage& message);

}  // namespace sluice
