#pragma once
// PgReplicationConnection: a logical-replication client over libpq (a `replication=database`
// connection speaking the streaming replication protocol), and the slot queries beside it.
//
// The life of a CDC read, as the source-postgres CDC reader drives it (from its reader thread
// only; the connection is not thread-safe):
//   1. Connect(config) — the same PgConnectionConfig as the SQL connections (TLS, password,
//      timeouts), with replication=database added.
//   2. First sync: CreateSlot(name) returns the slot's consistent point and an exported
//      snapshot. The snapshot exists only until the next command on this connection: import it
//      first, on normal connections (BEGIN ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION
//      SNAPSHOT '<name>'), snapshot the tables there, and stream from the consistent point.
//      Later syncs: ReadSlotInfo (plugin, database, confirmed_flush_lsn, wal_status 'lost'
//      means the WAL is gone: resync) and resume from the saved LSN.
//   3. StartReplication(slot, lsn, options): the connection is now streaming (CopyBoth).
//   4. A pull loop: Next(timeout) returns one event — a decoded pgoutput message with its WAL
//      position, a keepalive, or a timeout so the caller can check for cancellation and send
//      status — and SendStatus(flush_lsn) whenever the destination has committed more.
//   5. StopReplication() (CopyDone; the connection may then run commands again, but not
//      stream again), or just destroy it. Nothing here drops a slot unless DropSlot is called.
//
// The flush LSN is the caller's alone: the server discards WAL up to it (confirmed_flush_lsn),
// so it must only advance to positions whose changes the destination has committed (a
// transaction's PgCommit::end_lsn once that transaction is durable). Next() answers the
// server's reply requests and sends periodic status on its own, always with the last flush
// LSN the caller gave, never more.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "postgres/pg_connection.h"
#include "postgres/pg_connection_config.h"
#include "postgres/pgoutput.h"

namespace sluice {

//! IDENTIFY_SYSTEM's answer.
struct PgSystemIdentity {
  std::string system_id;
  int timeline = 0;
  PgLsn wal_flush;  //!< the server's current WAL flush position
  std::string database;
};

//! CREATE_REPLICATION_SLOT's answer.
struct PgCreatedSlot {
  std::string slot_name;
  PgLsn consistent_point;     //!< stream from here: changes committed after the snapshot
  std::string snapshot_name;  //!< the exported snapshot; valid until the next command
  std::string output_plugin;
};

//! A row of pg_replication_slots.
struct PgSlotInfo {
  std::string slot_name;
  std::string plugin;    //!< "pgoutput"; empty for a physical slot
  std::string slot_type; //!< "logical" or "physical"
  std::string database;  //!< empty for a physical slot
  bool active = false;   //!< a walsender is streaming from it now
  std::optional<PgLsn> restart_lsn;
  std::optional<PgLsn> confirmed_flush_lsn;
  //! "reserved", "extended", "unreserved", or "lost" (the WAL it needs was removed).
  std::string wal_status;
};

//! Reads `slot` from pg_replication_slots; nullopt when there is no such slot. `connection` is a
//! normal connection (or a replication connection that is not streaming: one simple query).
Result<std::optional<PgSlotInfo>> ReadSlotInfo(PgConnection& connection, std::string_view slot);

//! START_REPLICATION's plugin options.
struct PgStreamOptions {
  int proto_version = 1;  //!< 1, or 2 for streaming of large in-progress transactions
  std::vector<std::string> publications;  //!< publication_names; at least one
  bool streaming = false;  //!< proto 2 only: stream in-progress transactions (Stream Start …)
  bool messages = false;   //!< also send pg_logical_emit_message() output
  //! Status sent by Next() on its own at least this often (wal_sender_timeout is 60 s).
  std::chrono::milliseconds status_interval{10'000};
};

//! One result of Next().
struct PgStreamEvent {
  enum class Kind {
    kTimeout,    //!< nothing arrived within the timeout
    kMessage,    //!< an XLogData frame: `message`, at `wal_start`
    kKeepalive,  //!< the server's keepalive (already answered when it asked for a reply)
    kEnd,        //!< the server ended the stream (after StopReplication, or on shutdown)
  };
  Kind kind = Kind::kTimeout;
  //! kMessage: the WAL position of the change (Commit: the transaction's end LSN); 0/0 for
  //! messages that only describe (Relation, Type), which PostgreSQL sends without a position.
  PgLsn wal_start;
  PgLsn wal_end;    //!< kMessage: as wal_start; kKeepalive: the position the server has sent up to
  int64_t server_time_us = 0;  //!< Unix-epoch µs when the server sent it
  bool reply_requested = false;  //!< kKeepalive
  PgMessage message;  //!< kMessage
  std::string_view payload;  //!< kMessage: the raw pgoutput bytes; valid until the next call
};

class PgReplicationConnection {
 public:
  //! Connects with replication=database to config.database. A role without the REPLICATION
  //! attribute (or pg_hba without a replication line) is a config error.
  static Result<std::unique_ptr<PgReplicationConnection>> Connect(const PgConnectionConfig& config,
                                                                  std::string_view application_name);
  ~PgReplicationConnection();
  PgReplicationConnection(const PgReplicationConnection&) = delete;
  PgReplicationConnection& operator=(const PgReplicationConnection&) = delete;

  // --- commands; REQUIRES: not streaming ---------------------------------------------------

  Result<PgSystemIdentity> IdentifySystem();
  //! Creates a logical pgoutput slot exporting a snapshot (PG ≥ 15 option syntax, else the
  //! EXPORT_SNAPSHOT keyword). A temporary slot is dropped when this connection closes.
  //! An existing slot of that name is a config error.
  Result<PgCreatedSlot> CreateSlot(std::string_view name, bool temporary = false);
  //! Drops the slot; `wait` waits for a walsender still using it instead of failing.
  Status DropSlot(std::string_view name, bool wait = false);
  //! ReadSlotInfo over this connection.
  Result<std::optional<PgSlotInfo>> ReadSlot(std::string_view name);

  //! START_REPLICATION SLOT name LOGICAL start (options). `start` 0/0 means the slot's
  //! confirmed_flush_lsn; the server never goes back before it. After OK the connection is
  //! streaming until StopReplication or kEnd. Once per connection: PostgreSQL's walsender
  //! (15) keeps its end-of-stream state, so a second stream needs a new connection.
  Status StartReplication(std::string_view slot, PgLsn start, const PgStreamOptions& options);

  // --- streaming; REQUIRES: StartReplication succeeded ---------------------------------------

  //! Waits up to `timeout` for the next frame and returns it decoded. Messages come in WAL
  //! order; the decoder's relation cache lives as long as the stream. Errors: a lost
  //! connection is transient; an undecodable message is a system error naming its LSN.
  Result<PgStreamEvent> Next(std::chrono::milliseconds timeout);
  //! Sends a standby status update: write = the highest WAL end received, flush = apply =
  //! `flush_lsn`. REQUIRES: flush_lsn never goes backwards and covers only committed data.
  Status SendStatus(PgLsn flush_lsn, bool reply_requested = false);
  //! Ends the stream: sends the last status and CopyDone, discards what is still in flight
  //! (up to `timeout`) and returns the connection to command mode. Idempotent.
  Status StopReplication(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  bool streaming() const { return streaming_; }
  //! The last flush LSN sent (0/0 before any).
  PgLsn flush_lsn() const { return flush_lsn_; }
  //! The highest WAL end seen in a frame (for lag: server end minus flush).
  PgLsn received_lsn() const { return received_lsn_; }
  const PgOutputDecoder& decoder() const { return decoder_; }
  //! The underlying connection (for simple queries when not streaming).
  PgConnection& connection() { return *connection_; }

 private:
  explicit PgReplicationConnection(std::unique_ptr<PgConnection> connection);
  Result<PgResult> Command(const std::string& sql, std::string_view what);
  Status SendStatusNow(bool reply_requested);
  //! One frame from libpq's buffer (0: none buffered, -1: stream ended, -2: error).
  int ReadFrame(std::string* frame);

  std::unique_ptr<PgConnection> connection_;
  bool streaming_ = false;
  bool streamed_ = false;  // StartReplication succeeded once
  PgOutputDecoder decoder_;
  PgLsn flush_lsn_;
  PgLsn received_lsn_;
  std::chrono::milliseconds status_interval_{10'000};
  std::chrono::steady_clock::time_point last_status_{};
  std::string frame_;  // the last frame; PgStreamEvent::payload points into it
};

}  // namespace sluice
