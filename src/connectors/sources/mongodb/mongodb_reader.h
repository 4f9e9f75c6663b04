#pragma once
// source-mongodb-v2's read: an initial snapshot by _id, then the database's change stream, in
// one GLOBAL state (kit/cdc):
//
//   {"type":"GLOBAL","global":{
//      "shared_state":{"state":{"resume_token":{"_data":"8265…"}},"state_type":"cdc","version":2},
//      "stream_states":[{"stream_descriptor":{"name":"orders","namespace":"shop"},
//                        "stream_state":{"id":"65a1…","id_type":"OBJECT_ID","status":"IN_PROGRESS"}}]}}
//
// A read, on the thread that called Read():
//   1. Start. No saved state: a change stream is opened on the database only to take its resume
//      token (postBatchResumeToken) — changes are read from there after the snapshot, so a
//      document changed during the snapshot comes twice, never not at all (dedup by _id and
//      _ab_cdc_cursor). A saved token is checked by opening a change stream after it: error 286
//      ChangeStreamHistoryLost (or 280, 136) means the oplog no longer holds it, and
//      invalid_cdc_cursor_position_behavior decides: "Fail sync" → config error telling how to
//      recover; "Re-sync data" → the state is dropped and every stream is snapshotted again.
//   2. Snapshot of every full-refresh stream, and of each incremental stream whose snapshot is
//      not COMPLETE: find() sorted by _id (from after the saved _id when resuming; ObjectId,
//      int, long and string ids resume, other id types restart), a checkpoint every
//      snapshot_checkpoint_documents documents of an incremental stream (the stream's blob:
//      {"id", "id_type", "status": "IN_PROGRESS"}; {"status": "COMPLETE"} at its end).
//   3. Changes (incremental streams): the database's change stream after the token, filtered
//      to their collections and to insert / update / replace / delete; fullDocument
//      updateLookup (update_capture_mode Lookup) or required (Post Image). Inserts, updates and
//      replaces become the full document; a delete becomes a row with the _id and
//      _ab_cdc_deleted_at; an update whose document was deleted before the lookup is skipped (its
//      delete follows). _ab_cdc_updated_at is the event's wallTime (clusterTime before 6.0).
//      A checkpoint every queue_size events saves the last handled event's token. Batch mode
//      stops once caught up (an empty getMore, saving the postBatchResumeToken, or the first
//      event after the cluster time at the start) or after initial_waiting_seconds.
//   4. Continuous mode (`end` given): step 3 goes on, a checkpoint ~100 ms after changes and
//      every ~5 s while idle (the postBatchResumeToken moves, so the token never ages out), until
//      *end; then a last checkpoint.
// The engine saves a checkpoint only after the destination committed it; nothing is
// acknowledged to MongoDB (a change stream holds nothing on the server), so a token is "used"
// only when a later sync resumes from the saved state.
// _ab_cdc_cursor is Airbyte's: the sync's start (Unix seconds) × 10^8 + a per-sync counter.

#include <atomic>

#include "base/status.h"
#include "connectors/sdk/source.h"
#include "connectors/sources/mongodb/mongodb_source_config.h"

namespace sluice {

//! Reads (above). REQUIRES: catalog bound. `end` null: batch mode; else continuous until *end.
Status ReadMongo(const MongoSourceConfig& config, const ConfiguredCatalog& catalog, const StateStore& state,
                 Emitter& out, const std::atomic<bool>* end = nullptr);

}  // namespace sluice
