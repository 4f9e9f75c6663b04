#pragma once
// PgOutputDecoder: decodes the messages of PostgreSQL's pgoutput logical-decoding plugin
// (protocol "Logical Replication Message Formats", versions 1 and 2) into typed values.
//
// One message in, one PgMessage out. The payload of each XLogData frame of a replication stream
// (pg_replication.h), or each row of pg_logical_slot_peek_binary_changes(), is one message.
// The decoder keeps what the protocol makes stateful:
//   - the relation cache: a Relation message describes a table (oid → columns) once per session
//     and again when it changes; Insert/Update/Delete/Truncate name tables by oid only, so the
//     decoded changes carry the relation as it was when they were decoded;
//   - protocol v2 streaming: between Stream Start and Stream Stop, changes are prefixed with the
//     xid of the (sub)transaction they belong to. Streamed changes are not committed yet: a
//     consumer buffers them per top-level xid until Stream Commit, or drops them on Stream Abort
//     (of the whole transaction when subxid == xid, else of that subtransaction only).
//
// Malformed or truncated input is a system error naming the message type and the byte offset;
// the decoder never reads past the input. Not thread-safe: one decoder per stream, used by the
// thread that reads it.

#include <cstdint>
#include <compare>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"

namespace sluice {

//! A WAL position (XLogRecPtr). Text form "X/Y": the high and low 32 bits in upper-case hex.
struct PgLsn {
  uint64_t value = 0;
  auto operator<=>(const PgLsn&) const = default;
  bool valid() const { return value != 0; }  //!< 0/0 is InvalidXLogRecPtr
};
//! "16/B374D848" → PgLsn; anything else is a config error naming the text.
Result<PgLsn> ParsePgLsn(std::string_view text);
//! PgLsn → "16/B374D848".
std::string FormatPgLsn(PgLsn lsn);

//! PostgreSQL timestamps count microseconds from 2000-01-01 UTC; these are Unix-epoch µs.
int64_t PgTimeToUnixMicros(int64_t pg_time);
int64_t UnixMicrosToPgTime(int64_t unix_micros);

//! One column of a TupleData. An unchanged TOASTed value ('u') is not NULL: the value was not
//! sent because it did not change, and the destination must keep what it has.
struct PgColumnValue {
  enum class Kind : char { kNull = 'n', kUnchangedToast = 'u', kText = 't', kBinary = 'b' };
  Kind kind = Kind::kNull;
  std::string data;  //!< the text form ('t') or binary send form ('b'); empty otherwise
};
using PgTuple = std::vector<PgColumnValue>;

struct PgRelationColumn {
  bool key = false;          //!< part of the replica identity (flag 1)
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;  //!< atttypmod; -1 when none
};

//! A published table as the Relation message describes it (generated columns are not sent).
struct PgRelation {
  uint32_t oid = 0;
  std::string schema;  //!< empty for pg_catalog
  std::string name;
  //! relreplident: 'd' default (primary key), 'n' nothing, 'f' full, 'i' index.
  char replica_identity = 'd';
  std::vector<PgRelationColumn> columns;
};

// --- the messages; `xid` is 0 outside a v2 stream where the protocol does not carry it --------

struct PgBegin {
  PgLsn final_lsn;  //!< the LSN of the commit record
  int64_t commit_time_us = 0;  //!< Unix-epoch µs
  uint32_t xid = 0;
};
struct PgCommit {
  uint8_t flags = 0;
  PgLsn commit_lsn;
  PgLsn end_lsn;  //!< the position after the commit record: flush up to here once applied
  int64_t commit_time_us = 0;
};
struct PgOrigin {
  PgLsn commit_lsn;
  std::string name;
};
struct PgRelationMessage {
  uint32_t xid = 0;
  std::shared_ptr<const PgRelation> relation;  //!< also in the cache from now on
};
struct PgTypeMessage {
  uint32_t xid = 0;
  uint32_t type_oid = 0;
  std::string schema;
  std::string name;
};
struct PgInsert {
  uint32_t xid = 0;
  std::shared_ptr<const PgRelation> relation;
  PgTuple new_tuple;
};
struct PgUpdate {
  uint32_t xid = 0;
  std::shared_ptr<const PgRelation> relation;
  //! 'K': the old key changed (replica identity columns; the others are null); 'O': REPLICA
  //! IDENTITY FULL, the whole old row; 0: no old tuple (the key did not change).
  char old_kind = 0;
  PgTuple old_tuple;
  PgTuple new_tuple;  //!< unchanged TOASTed columns come as kUnchangedToast
};
struct PgDelete {
  uint32_t xid = 0;
  std::shared_ptr<const PgRelation> relation;
  char old_kind = 'K';  //!< 'K' key columns only (others null), or 'O' the whole old row
  PgTuple old_tuple;
};
struct PgTruncate {
  uint32_t xid = 0;
  bool cascade = false;
  bool restart_identity = false;
  std::vector<std::shared_ptr<const PgRelation>> relations;
};
//! pg_logical_emit_message() output (only sent when the stream asks for messages).
struct PgLogicalMessage {
  uint32_t xid = 0;
  bool transactional = false;
  PgLsn lsn;
  std::string prefix;
  std::string content;
};
struct PgStreamStart {
  uint32_t xid = 0;  //!< the top-level transaction
  bool first_segment = false;
};
struct PgStreamStop {};
struct PgStreamCommit {
  uint32_t xid = 0;
  uint8_t flags = 0;
  PgLsn commit_lsn;
  PgLsn end_lsn;
  int64_t commit_time_us = 0;
};
struct PgStreamAbort {
  uint32_t xid = 0;     //!< the top-level transaction
  uint32_t subxid = 0;  //!< == xid: the whole transaction aborted; else that subtransaction
};

using PgMessage = std::variant<PgBegin, PgCommit, PgOrigin, PgRelationMessage, PgTypeMessage, PgInsert, PgUpdate,
                               PgDelete, PgTruncate, PgLogicalMessage, PgStreamStart, PgStreamStop, PgStreamCommit,
                               PgStreamAbort>;

//! "Insert", "Stream Commit", … for messages and logs.
std::string_view PgMessageName(const PgMessage& message);

class PgOutputDecoder {
 public:
  //! `proto_version` as given to START_REPLICATION: 1, or 2 (adds streaming messages).
  explicit PgOutputDecoder(int proto_version = 1) : proto_version_(proto_version) {}

  //! Decodes one message. Relation messages update the cache; changes for a relation not in
  //! the cache, or whose tuple does not match its column count, are errors (the server always
  //! sends the Relation first). On error the decoder's state is unchanged.
  Result<PgMessage> Decode(std::string_view bytes);

  //! The cached relation, or null.
  std::shared_ptr<const PgRelation> FindRelation(uint32_t oid) const;
  //! True between Stream Start and Stream Stop.
  bool in_stream() const { return in_stream_; }

 private:
  int proto_version_;
  bool in_stream_ = false;
  std::map<uint32_t, std::shared_ptr<const PgRelation>> relations_;
};

}  // namespace sluice
