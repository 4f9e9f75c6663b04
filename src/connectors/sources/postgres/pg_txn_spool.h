#pragma once
// The changes of one streamed in-progress transaction (pgoutput proto 2, streaming on), kept
// until its Stream Commit (then replayed in order) or Stream Abort (then dropped).

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "postgres/pgoutput.h"

namespace sluice {

//! Buffers Insert / Update / Delete / Truncate messages of one top-level transaction, in arrival order:
//! in memory up to `memory_limit_bytes`, the rest appended to an unnamed temporary file
//! (std::tmpfile, removed when closed), so memory does not grow with the transaction. Relations
//! are kept once per transaction (as the change carried them). Not thread-safe.
class PgTxnSpool {
 public:
  //! Default in-memory size before spilling: 4 MiB.
  static constexpr size_t kDefaultMemoryLimitBytes = size_t{4} << 20;

  explicit PgTxnSpool(size_t memory_limit_bytes = kDefaultMemoryLimitBytes);
  ~PgTxnSpool();
  PgTxnSpool(const PgTxnSpool&) = delete;
  PgTxnSpool& operator=(const PgTxnSpool&) = delete;

  //! Appends a change; its `xid` is the (sub)transaction it belongs to. Other message types are
  //! ignored. An error (temporary file not writable) is a system error.
  Status Add(const PgMessage& change);
  //! Drops the changes of subtransaction `subxid` (a rolled-back savepoint): Replay skips them.
  void AbortSubtransaction(uint32_t subxid) { aborted_.insert(subxid); }
  //! Calls `apply` with each change kept, in arrival order, skipping aborted subtransactions;
  //! stops at the first error. Call once.
  Status Replay(const std::function<Status(const PgMessage&)>& apply);

  uint64_t changes() const { return changes_; }
  uint64_t spilled_bytes() const { return spilled_bytes_; }

 private:
  uint32_t RelationIndex(const std::shared_ptr<const PgRelation>& relation);
  Status Spill();

  const size_t memory_limit_bytes_;
  std::string buffer_;         //!< serialized changes not yet spilled
  std::FILE* file_ = nullptr;  //!< spilled changes (before buffer_), opened on first spill
  uint64_t spilled_bytes_ = 0;
  uint64_t changes_ = 0;
  std::vector<std::shared_ptr<const PgRelation>> relations_;
  std::map<const PgRelation*, uint32_t> relation_index_;
  std::set<uint32_t> aborted_;
};

}  // namespace sluice
