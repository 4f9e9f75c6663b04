#pragma once
// CdcStreams: what a CDC read (source-postgres's pgoutput, source-mysql's binlog) keeps per
// configured stream, written once: a StreamBatcher each, which streams are incremental (their
// changes come from the log; the others are full refreshes read whole by the snapshot), each
// stream's blob in the GLOBAL state (its snapshot in progress, or the "snapshot complete"
// marker), and the end of the read (every batcher finished, first error wins).
//
//   CdcStreams streams(catalog, out, limits);
//   SLUICE_RETURN_IF_ERROR(streams.Start());              // STARTED for every stream
//   Status st = Snapshot();                                // snapshot.state_of = streams.SnapshotStateOf(i, …)
//   if (st.ok() && streams.HasIncremental()) st = ReadChanges();
//   return streams.Finish(st, out);
//
// Not thread-safe: everything runs on the thread that owns the Emitter (the CDC read's).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "connectors/kit/cdc/cdc_state.h"
#include "connectors/kit/stream_batcher.h"
#include "connectors/sdk/source.h"
#include "protocol/catalog.h"

namespace sluice {

//! {"version":2,"state_type":"cdc","snapshot_complete":true}: a stream's blob once its initial
//! snapshot is done (its changes come from the log from then on).
const Json& CdcSnapshotCompleteJson();
//! True when `blob` (may be null) is that marker.
bool IsCdcSnapshotComplete(const Json* blob);

class CdcStreams {
 public:
  //! `catalog` and `out` outlive this. Batchers are made by Start().
  CdcStreams(const ConfiguredCatalog& catalog, Emitter& out, BatchLimits limits);

  //! Makes a batcher per stream and emits STARTED for each. SystemError when a stream has no
  //! bound schema (before any status goes out for it).
  Status Start();

  //! Stream `i` reads changes from the log (Incremental); else a full refresh, snapshot only.
  bool Incremental(uint32_t i) const { return catalog_.streams[i].sync_mode == SyncMode::kIncremental; }
  bool HasIncremental() const;
  //! REQUIRES: Start() returned OK.
  StreamBatcher& batcher(uint32_t i) { return *batchers_[i]; }
  //! Hands over every batcher's rows (before a checkpoint). Cancelled when the run is stopping.
  Status FlushAll();

  //! The saved per-stream blobs of a resumed read.
  void LoadBlobs(const CdcState& saved);
  //! Stream `i`'s blob, or null. Valid until the blob is replaced (SnapshotStateOf's function).
  const Json* Blob(uint32_t i) const;
  //! The GLOBAL state: `position` (the dialect's, with its schema-change notes) and the blobs of
  //! the incremental streams (a full-refresh stream starts over every sync: nothing to keep).
  StateMessage GlobalState(Json position) const;
  //! The snapshot's checkpoint function for stream `i` (ReadPgStream / ReadMySqlStream's
  //! `state_of`): keeps the stream's blob — the reader's "complete" blob becomes the
  //! snapshot-complete marker — and returns the GLOBAL state `global()` builds.
  std::function<StateMessage(Json)> SnapshotStateOf(uint32_t i, std::function<StateMessage()> global);

  //! Ends the read: every batcher finishes with `read` — Cancelled instead of another error when
  //! `out` was cancelled (the error is then usually the interrupted read) — COMPLETE after OK,
  //! INCOMPLETE after an error. Returns `read` (so adjusted), else the first Finish error.
  Status Finish(Status read, const Emitter& out);

 private:
  const ConfiguredCatalog& catalog_;
  Emitter& out_;
  const BatchLimits limits_;
  std::vector<std::unique_ptr<StreamBatcher>> batchers_;
  std::map<std::string, Json> blobs_;  //!< stream descriptor → its blob in the GLOBAL state
};

}  // namespace sluice
