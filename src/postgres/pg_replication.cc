#include "postgres/pg_replication.h"

#include <fmt/format.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>

namespace sluice {

namespace {

using Clock = std::chrono::steady_clock;

Result<PgResult> SimpleQuery(PgConnection& connection, const std::string& sql, std::string_view what) {
  // The simple query protocol: a replication connection refuses the extended one.
  PgResult result(PQexec(connection.get(), sql.c_str()));
  if (result.get() == nullptr) return connection.ErrorFromConnection(what);
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return connection.ErrorFromResult(result.get(), what);
  return result;
}

Result<PgLsn> LsnColumn(const PgResult& result, int row, int column, std::string_view what) {
  auto lsn = ParsePgLsn(result.Get(row, column));
  if (!lsn.ok()) return Status::SystemError(fmt::format("{}: {}", what, lsn.status().message()));
  return lsn;
}

// Slot names are restricted by the server to these; checking here keeps commands unquoted.
Status CheckSlotName(std::string_view name) {
  const bool valid = !name.empty() && name.size() <= 63 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (valid) return Status::Ok();
  return Status::ConfigError(fmt::format(
      "replication slot name '{}' is invalid: use 1 to 63 lower-case letters, digits and underscores", name));
}

void PutUint64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
}

uint64_t GetUint64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

int64_t NowPgTime() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return UnixMicrosToPgTime(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

}  // namespace

Result<std::optional<PgSlotInfo>> ReadSlotInfo(PgConnection& connection, std::string_view slot) {
  const std::string sql = fmt::format(
      "SELECT slot_name, coalesce(plugin, ''), slot_type, coalesce(database::text, ''), active, "
      "coalesce(restart_lsn::text, ''), coalesce(confirmed_flush_lsn::text, ''), coalesce(wal_status, '') "
      "FROM pg_replication_slots WHERE slot_name = {}",
      QuoteLiteral(slot));
  SLUICE_ASSIGN_OR_RETURN(PgResult result, SimpleQuery(connection, sql, "reading pg_replication_slots"));
  if (result.rows() == 0) return std::optional<PgSlotInfo>();
  PgSlotInfo info;
  info.slot_name = result.Get(0, 0);
  info.plugin = result.Get(0, 1);
  info.slot_type = result.Get(0, 2);
  info.database = result.Get(0, 3);
  info.active = result.Get(0, 4) == "t";
  if (!result.Get(0, 5).empty()) {
    SLUICE_ASSIGN_OR_RETURN(info.restart_lsn, LsnColumn(result, 0, 5, "restart_lsn"));
  }
  if (!result.Get(0, 6).empty()) {
    SLUICE_ASSIGN_OR_RETURN(info.confirmed_flush_lsn, LsnColumn(result, 0, 6, "confirmed_flush_lsn"));
  }
  info.wal_status = result.Get(0, 7);
  return std::optional<PgSlotInfo>(std::move(info));
}

PgReplicationConnection::PgReplicationConnection(std::unique_ptr<PgConnection> connection)
    : connection_(std::move(connection)) {}

PgReplicationConnection::~PgReplicationConnection() = default;

Result<std::unique_ptr<PgReplicationConnection>> PgReplicationConnection::Connect(const PgConnectionConfig& config,
                                                                                std::string_view application_name) {
  PgConnectionConfig replication = config;
  replication.extra_params.emplace_back("replication", "database");
  auto connection = PgConnection::Connect(replication, application_name);
  if (!connection.ok()) {
    const Status& status = connection.status();
    if (status.message().find("replication role") != std::string::npos) {
      return Status::ConfigError(status.message() + "; hint: ALTER ROLE … WITH REPLICATION");
    }
    return status;
  }
  return std::unique_ptr<PgReplicationConnection>(new PgReplicationConnection(std::move(connection).value()));
}

Result<PgResult> PgReplicationConnection::Command(const std::string& sql, std::string_view what) {
  if (streaming_) return Status::SystemError(fmt::format("{}: the connection is streaming", what));
  return SimpleQuery(*connection_, sql, what);
}

Result<PgSystemIdentity> PgReplicationConnection::IdentifySystem() {
  SLUICE_ASSIGN_OR_RETURN(PgResult result, Command("IDENTIFY_SYSTEM", "IDENTIFY_SYSTEM"));
  if (result.rows() != 1 || result.columns() < 4) {
    return Status::SystemError("IDENTIFY_SYSTEM: unexpected answer shape");
  }
  PgSystemIdentity identity;
  identity.system_id = result.Get(0, 0);
  identity.timeline = std::atoi(std::string(result.Get(0, 1)).c_str());
  SLUICE_ASSIGN_OR_RETURN(identity.wal_flush, LsnColumn(result, 0, 2, "IDENTIFY_SYSTEM xlogpos"));
  identity.database = result.Get(0, 3);
  return identity;
}

Result<PgCreatedSlot> PgReplicationConnection::CreateSlot(std::string_view name, bool temporary) {
  SLUICE_RETURN_IF_ERROR(CheckSlotName(name));
  const bool options_syntax = PQserverVersion(connection_->get()) >= 150000;
  const std::string sql =
      fmt::format("CREATE_REPLICATION_SLOT {}{} LOGICAL pgoutput {}", name, temporary ? " TEMPORARY" : "",
                  options_syntax ? "(SNAPSHOT 'export')" : "EXPORT_SNAPSHOT");
  SLUICE_ASSIGN_OR_RETURN(PgResult result, Command(sql, fmt::format("creating replication slot '{}'", name)));
  if (result.rows() != 1 || result.columns() < 4) {
    return Status::SystemError("CREATE_REPLICATION_SLOT: unexpected answer shape");
  }
  PgCreatedSlot slot;
  slot.slot_name = result.Get(0, 0);
  SLUICE_ASSIGN_OR_RETURN(slot.consistent_point, LsnColumn(result, 0, 1, "consistent_point"));
  slot.snapshot_name = result.Get(0, 2);
  slot.output_plugin = result.Get(0, 3);
  return slot;
}

Status PgReplicationConnection::DropSlot(std::string_view name, bool wait) {
  SLUICE_RETURN_IF_ERROR(CheckSlotName(name));
  auto result = Command(fmt::format("DROP_REPLICATION_SLOT {}{}", name, wait ? " WAIT" : ""),
                        fmt::format("dropping replication slot '{}'", name));
  return result.ok() ? Status::Ok() : result.status();
}

Result<std::optional<PgSlotInfo>> PgReplicationConnection::ReadSlot(std::string_view name) {
  if (streaming_) return Status::SystemError("reading a slot: the connection is streaming");
  return ReadSlotInfo(*connection_, name);
}

Status PgReplicationConnection::StartReplication(std::string_view slot, PgLsn start, const PgStreamOptions& options) {
  SLUICE_RETURN_IF_ERROR(CheckSlotName(slot));
  if (options.proto_version != 1 && options.proto_version != 2) {
    return Status::ConfigError(fmt::format("pgoutput proto_version {} is not supported (1 or 2)", options.proto_version));
  }
  if (options.streaming && options.proto_version < 2) {
    return Status::ConfigError("pgoutput streaming needs proto_version 2");
  }
  if (options.publications.empty()) return Status::ConfigError("START_REPLICATION needs at least one publication");
  std::string names;
  for (const auto& publication : options.publications) {
    if (!names.empty()) names += ',';
    names += QuoteIdent(publication);
  }
  std::string sql = fmt::format("START_REPLICATION SLOT {} LOGICAL {} (proto_version '{}', publication_names {}", slot,
                                FormatPgLsn(start), options.proto_version, QuoteLiteral(names));
  if (options.streaming) sql += ", streaming 'on'";
  if (options.messages) sql += ", messages 'true'";
  sql += ")";
  const std::string what = fmt::format("starting replication from slot '{}'", slot);
  if (streaming_ || streamed_) {
    return Status::SystemError(what + ": this connection has streamed already (connect again to stream)");
  }
  PgResult result(PQexec(connection_->get(), sql.c_str()));
  if (result.get() == nullptr) return connection_->ErrorFromConnection(what);
  if (PQresultStatus(result.get()) != PGRES_COPY_BOTH) return connection_->ErrorFromResult(result.get(), what);
  streaming_ = true;
  streamed_ = true;
  decoder_ = PgOutputDecoder(options.proto_version);
  status_interval_ = options.status_interval;
  last_status_ = Clock::now();
  return Status::Ok();
}

int PgReplicationConnection::ReadFrame(std::string* frame) {
  char* buffer = nullptr;
  const int n = PQgetCopyData(connection_->get(), &buffer, /*async=*/1);
  if (n > 0) {
    frame->assign(buffer, static_cast<size_t>(n));
    PQfreemem(buffer);
  }
  return n;
}

Result<PgStreamEvent> PgReplicationConnection::Next(std::chrono::milliseconds timeout) {
  if (!streaming_) return Status::SystemError("reading replication: the connection is not streaming");
  PGconn* conn = connection_->get();
  const auto deadline = Clock::now() + timeout;
  std::string& frame = frame_;
  while (true) {
    if (Clock::now() - last_status_ >= status_interval_) SLUICE_RETURN_IF_ERROR(SendStatusNow(false));

    const int n = ReadFrame(&frame);
    if (n > 0) {
      PgStreamEvent event;
      if (frame[0] == 'w' && frame.size() >= 25) {
        event.kind = PgStreamEvent::Kind::kMessage;
        event.wal_start = PgLsn{GetUint64(frame.data() + 1)};
        event.wal_end = PgLsn{GetUint64(frame.data() + 9)};
        event.server_time_us = PgTimeToUnixMicros(static_cast<int64_t>(GetUint64(frame.data() + 17)));
        event.payload = std::string_view(frame).substr(25);
        auto message = decoder_.Decode(event.payload);
        if (!message.ok()) {
          return message.status().WithContext(
              fmt::format("replication from {} at LSN {}", connection_->description(), FormatPgLsn(event.wal_start)));
        }
        event.message = std::move(message).value();
      } else if (frame[0] == 'k' && frame.size() >= 18) {
        event.kind = PgStreamEvent::Kind::kKeepalive;
        event.wal_end = PgLsn{GetUint64(frame.data() + 1)};
        event.server_time_us = PgTimeToUnixMicros(static_cast<int64_t>(GetUint64(frame.data() + 9)));
        event.reply_requested = frame[17] != 0;
      } else {
        return Status::SystemError(fmt::format("replication from {}: unexpected frame type 0x{:02x} of {} bytes",
                                               connection_->description(), static_cast<uint8_t>(frame[0]),
                                               frame.size()));
      }
      received_lsn_ = std::max(received_lsn_, event.wal_end);
      if (event.reply_requested) SLUICE_RETURN_IF_ERROR(SendStatusNow(false));
      return event;
    }
    if (n == -1) {  // the server ended the stream: answer with CopyDone, collect the results
      streaming_ = false;
      PQputCopyEnd(conn, nullptr);
      Status status;
      while (PGresult* raw = PQgetResult(conn)) {
        PgResult result(raw);
        const ExecStatusType st = PQresultStatus(raw);
        if (status.ok() && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
          status = connection_->ErrorFromResult(raw, "replication stream");
        }
      }
      if (!status.ok()) return status;
      PgStreamEvent event;
      event.kind = PgStreamEvent::Kind::kEnd;
      return event;
    }
    if (n == -2) {
      streaming_ = false;
      return connection_->ErrorFromConnection("reading the replication stream");
    }

    // Nothing buffered: wait for the socket until the deadline or the next status is due.
    const auto now = Clock::now();
    if (now >= deadline) return PgStreamEvent{};
    const auto wake = std::min(deadline, last_status_ + status_interval_);
    const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count() + 1;
    pollfd fd{PQsocket(conn), POLLIN, 0};
    const int ready = ::poll(&fd, 1, static_cast<int>(std::max<int64_t>(0, wait_ms)));
    if (ready < 0 && errno != EINTR) {
      return Status::TransientError(fmt::format("waiting for replication from {}: poll failed", connection_->description()));
    }
    if (ready > 0 && !PQconsumeInput(conn)) {
      streaming_ = false;
      return connection_->ErrorFromConnection("reading the replication stream");
    }
  }
}

Status PgReplicationConnection::SendStatus(PgLsn flush_lsn, bool reply_requested) {
  if (!streaming_) return Status::SystemError("sending replication status: the connection is not streaming");
  if (flush_lsn < flush_lsn_) {
    return Status::SystemError(fmt::format("replication flush LSN went backwards: {} after {}", FormatPgLsn(flush_lsn),
                                           FormatPgLsn(flush_lsn_)));
  }
  flush_lsn_ = flush_lsn;
  return SendStatusNow(reply_requested);
}

Status PgReplicationConnection::SendStatusNow(bool reply_requested) {
  std::string frame = "r";
  PutUint64(frame, std::max(received_lsn_, flush_lsn_).value);  // write
  PutUint64(frame, flush_lsn_.value);                           // flush: what the slot may discard
  PutUint64(frame, flush_lsn_.value);                           // apply
  PutUint64(frame, static_cast<uint64_t>(NowPgTime()));
  frame += static_cast<char>(reply_requested ? 1 : 0);
  PGconn* conn = connection_->get();
  if (PQputCopyData(conn, frame.data(), static_cast<int>(frame.size())) != 1 || PQflush(conn) != 0) {
    streaming_ = false;
    return connection_->ErrorFromConnection("sending replication status");
  }
  last_status_ = Clock::now();
  return Status::Ok();
}

Status PgReplicationConnection::StopReplication(std::chrono::milliseconds timeout) {
  if (!streaming_) return Status::Ok();
  SLUICE_RETURN_IF_ERROR(SendStatusNow(false));
  PGconn* conn = connection_->get();
  streaming_ = false;
  if (PQputCopyEnd(conn, nullptr) != 1 || PQflush(conn) != 0) {
    return connection_->ErrorFromConnection("ending the replication stream");
  }
  // Discard frames still in flight until the server's CopyDone, then collect the results.
  const auto deadline = Clock::now() + timeout;
  std::string frame;
  while (true) {
    const int n = ReadFrame(&frame);
    if (n > 0) continue;
    if (n == -1) break;
    if (n == -2) return connection_->ErrorFromConnection("ending the replication stream");
    const auto now = Clock::now();
    if (now >= deadline) {
      return Status::TransientError(
          fmt::format("ending the replication stream on {}: no answer within {} ms", connection_->description(),
                      timeout.count()));
    }
    pollfd fd{PQsocket(conn), POLLIN, 0};
    const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    if (::poll(&fd, 1, static_cast<int>(wait_ms)) > 0 && !PQconsumeInput(conn)) {
      return connection_->ErrorFromConnection("ending the replication stream");
    }
  }
  Status status;
  while (PGresult* raw = PQgetResult(conn)) {
    PgResult result(raw);
    const ExecStatusType st = PQresultStatus(raw);
    if (status.ok() && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      status = connection_->ErrorFromResult(raw, "ending the replication stream");
    }
  }
  return status;
}

}  // namespace sluice
