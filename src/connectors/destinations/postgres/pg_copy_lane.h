#pragma once
// PgCopyLane: one connection of a stream writer, with its open transaction and the COPY it
// streams, sending without blocking the writer's other lanes.
//
// A lane is idle (no connection) until Begin(): it takes a connection from the run's pool and
// BEGINs. Put() starts the COPY it is given (ending the lane's other COPY first) and queues the
// data in libpq in non-blocking mode: the call returns once libpq holds the data, and
// WaitUntilSent() moves queued data of every lane to its socket while waiting for one lane (or
// all), so several server backends load at once. SendCopyEnd() + FinishCopyEnd() end the COPY
// (split so a writer can end every lane's COPY before waiting for the first result);
// SendCommit() + FinishCommit() likewise COMMIT, and give the connection back to the pool.
// Abort() rolls back (or drops the connection mid-COPY) and never fails.
//
// Invariant: the connection is in non-blocking mode exactly while a COPY is open. Single-threaded
// (the engine's destination thread). Error messages name the lane's current COPY target.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "postgres/pg_connection.h"

namespace sluice {

//! A pooled connection and the session setups (e.g. temp tables) it already ran.
struct PgLink {
  std::unique_ptr<PgConnection> conn;
  std::unordered_set<std::string> setups;
};

//! The run's connections: idle ones are reused; writers hold theirs while a transaction is open.
//! Single-threaded (the engine's destination thread).
class PgConnectionPool {
 public:
  explicit PgConnectionPool(PgConnectionConfig config) : config_(std::move(config)) {}
  Result<std::unique_ptr<PgLink>> Acquire();
  //! Keeps a healthy connection (blocking, no open transaction) for reuse; drops any other.
  void Release(std::unique_ptr<PgLink> link);
  void Clear() { idle_.clear(); }

 private:
  PgConnectionConfig config_;
  std::vector<std::unique_ptr<PgLink>> idle_;
};

class PgCopyLane {
 public:
  static constexpr int kNoCopy = -1;

  //! `pool` outlives the lane.
  explicit PgCopyLane(PgConnectionPool& pool) : pool_(&pool) {}
  ~PgCopyLane() { Abort(); }
  PgCopyLane(PgCopyLane&&) = default;
  PgCopyLane& operator=(PgCopyLane&&) = default;

  //! True while the lane holds a connection with an open transaction.
  bool open() const { return link_ != nullptr; }
  //! The COPY in progress (the caller's target number), or kNoCopy.
  int copying() const { return copying_; }
  //! True while libpq holds data of this lane not yet written to the socket.
  bool unsent() const { return unsent_; }

  //! Takes a connection and BEGINs (nothing when open()). When `setup_sql` is not empty and the
  //! connection has not run `setup_key` yet, runs it first, outside the transaction.
  Status Begin(std::string_view setup_key = {}, std::string_view setup_sql = {});
  //! Queues `data` (binary COPY rows) for COPY `target` (`copy_sql`, `what` names it in errors),
  //! starting that COPY and sending its header when another (or none) is in progress.
  //! REQUIRES: open(). Waits only while earlier data of this lane is still unsent.
  Status Put(int target, const std::string& copy_sql, std::string_view what, const void* data, size_t size);
  //! Runs statements outside COPY. REQUIRES: open(), copying() == kNoCopy.
  Status Exec(const std::string& sql, std::string_view what);
  //! Runs a query returning rows. REQUIRES as Exec.
  Result<PgResult> Query(const std::string& sql);

  //! Sends the rest of the COPY data, the trailer and CopyDone (nothing without a COPY).
  Status SendCopyEnd();
  //! Waits for the COPY's result. Call after SendCopyEnd().
  Status FinishCopyEnd();
  Status EndCopy();

  //! Sends COMMIT (nothing when not open()). REQUIRES: copying() == kNoCopy.
  Status SendCommit(std::string_view what);
  //! Waits for the COMMIT and returns the connection to the pool.
  Status FinishCommit();

  //! Rolls back what is not committed; a connection in the middle of a COPY is closed (the
  //! server rolls back). Never fails.
  void Abort();

  //! Writes as much queued data as the socket takes now, without waiting.
  Status SendQueued() { return unsent_ ? Flush() : Status::Ok(); }

  //! Socket of the connection (REQUIRES: open()).
  int socket() const;
  //! After poll(): reads what the server sent (POLLIN) and writes queued data (POLLOUT).
  Status OnReady(short revents);

 private:
  Status StartCopy(int target, const std::string& copy_sql, std::string_view what);
  Status Flush();
  Status Failed(std::string_view what) const;

  PgConnectionPool* pool_;
  std::unique_ptr<PgLink> link_;
  int copying_ = kNoCopy;
  bool unsent_ = false;
  bool commit_sent_ = false;
  std::string what_;  //!< the current COPY or COMMIT, for errors
};

//! Writes queued data of every lane in `lanes` to its socket until lane `wait_for` has none
//! left (or, with wait_for == npos, until no lane has), sleeping in poll() meanwhile. Fails with
//! the first lane's error.
Status WaitUntilSent(std::vector<PgCopyLane>& lanes, size_t wait_for);

}  // namespace sluice
