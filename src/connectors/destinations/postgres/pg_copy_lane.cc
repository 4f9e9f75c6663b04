#include "connectors/destinations/postgres/pg_copy_lane.h"

#include <fmt/format.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "connectors/destinations/postgres/pg_copy_encoder.h"

namespace sluice {

namespace {

void DiscardNotice(void*, const char* message) { Log(LogLevel::kDebug, "postgres: {}", message); }

// Sleeps until `socket` is readable or writable.
void WaitForSocket(int socket) {
  pollfd fd{socket, POLLIN | POLLOUT, 0};
  while (poll(&fd, 1, -1) < 0 && errno == EINTR) {
  }
}

}  // namespace

// ---- Pool -----------------------------------------------------------------------------------

Result<std::unique_ptr<PgLink>> PgConnectionPool::Acquire() {
  while (!idle_.empty()) {
    std::unique_ptr<PgLink> link = std::move(idle_.back());
    idle_.pop_back();
    if (PQstatus(link->conn->get()) == CONNECTION_OK) return link;
  }
  SLUICE_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(config_, "sluice destination-postgres"));
  PQsetNoticeProcessor(conn->get(), DiscardNotice, nullptr);
  auto link = std::make_unique<PgLink>();
  link->conn = std::move(conn);
  return link;
}

void PgConnectionPool::Release(std::unique_ptr<PgLink> link) {
  if (link && PQstatus(link->conn->get()) == CONNECTION_OK && PQisnonblocking(link->conn->get()) == 0 &&
      PQtransactionStatus(link->conn->get()) == PQTRANS_IDLE) {
    idle_.push_back(std::move(link));
  }
}

// ---- Lane -----------------------------------------------------------------------------------

Status PgCopyLane::Begin(std::string_view setup_key, std::string_view setup_sql) {
  if (link_) return Status::Ok();
  SLUICE_ASSIGN_OR_RETURN(link_, pool_->Acquire());
  if (!setup_sql.empty() && link_->setups.count(std::string(setup_key)) == 0) {
    Status st = link_->conn->Exec(setup_sql);
    if (!st.ok()) {
      Abort();
      return st;
    }
    link_->setups.emplace(setup_key);
  }
  Status st = link_->conn->Exec("BEGIN");
  if (!st.ok()) Abort();
  return st;
}

int PgCopyLane::socket() const { return PQsocket(link_->conn->get()); }

Status PgCopyLane::Failed(std::string_view what) const { return link_->conn->ErrorFromConnection(what); }

Status PgCopyLane::Flush() {
  const int r = PQflush(link_->conn->get());
  if (r < 0) return Failed(what_);
  unsent_ = r == 1;
  return Status::Ok();
}

Status PgCopyLane::OnReady(short revents) {
  if ((revents & (POLLIN | POLLERR | POLLHUP)) != 0 && PQconsumeInput(link_->conn->get()) == 0) {
    return Failed(what_);
  }
  return Flush();
}

Status PgCopyLane::StartCopy(int target, const std::string& copy_sql, std::string_view what) {
  PGconn* conn = link_->conn->get();
  what_ = std::string(what);
  PgResult result(PQexec(conn, copy_sql.c_str()));
  if (PQresultStatus(result.get()) != PGRES_COPY_IN) return link_->conn->ErrorFromResult(result.get(), what_);
  copying_ = target;
  if (PQsetnonblocking(conn, 1) != 0) return Failed(what_);
  CopyBuffer header;
  header.AppendHeader();
  if (PQputCopyData(conn, reinterpret_cast<const char*>(header.data()), static_cast<int>(header.size())) != 1) {
    return Failed(what_);
  }
  return Flush();
}

Status PgCopyLane::Put(int target, const std::string& copy_sql, std::string_view what, const void* data,
                       size_t size) {
  if (copying_ != target) {
    SLUICE_RETURN_IF_ERROR(EndCopy());
    SLUICE_RETURN_IF_ERROR(StartCopy(target, copy_sql, what));
  }
  while (unsent_) {
    WaitForSocket(socket());
    SLUICE_RETURN_IF_ERROR(OnReady(POLLIN | POLLOUT));
  }
  // Non-blocking: libpq queues the data (growing its buffer) and writes what the socket takes.
  PGconn* conn = link_->conn->get();
  int r;
  while ((r = PQputCopyData(conn, static_cast<const char*>(data), static_cast<int>(size))) == 0) {
    WaitForSocket(socket());
    SLUICE_RETURN_IF_ERROR(OnReady(POLLIN | POLLOUT));
  }
  if (r < 0) return Failed(what_);
  return Flush();
}

Status PgCopyLane::SendCopyEnd() {
  if (copying_ == kNoCopy) return Status::Ok();
  PGconn* conn = link_->conn->get();
  while (unsent_) {
    WaitForSocket(socket());
    SLUICE_RETURN_IF_ERROR(OnReady(POLLIN | POLLOUT));
  }
  if (PQsetnonblocking(conn, 0) != 0) return Failed(what_);
  copying_ = kNoCopy;
  static constexpr char kTrailer[2] = {'\xff', '\xff'};
  if (PQputCopyData(conn, kTrailer, 2) != 1 || PQputCopyEnd(conn, nullptr) != 1) return Failed(what_);
  return Status::Ok();
}

Status PgCopyLane::FinishCopyEnd() {
  if (!link_) return Status::Ok();
  PGconn* conn = link_->conn->get();
  Status status;
  while (PGresult* raw = PQgetResult(conn)) {
    PgResult result(raw);
    if (status.ok() && PQresultStatus(raw) != PGRES_COMMAND_OK) status = link_->conn->ErrorFromResult(raw, what_);
  }
  return status;
}

Status PgCopyLane::EndCopy() {
  if (copying_ == kNoCopy) return Status::Ok();
  SLUICE_RETURN_IF_ERROR(SendCopyEnd());
  return FinishCopyEnd();
}

Status PgCopyLane::Exec(const std::string& sql, std::string_view what) {
  Status st = link_->conn->Exec(sql);
  return st.ok() ? st : st.WithContext(what);
}

Result<PgResult> PgCopyLane::Query(const std::string& sql) { return link_->conn->Query(sql); }

Status PgCopyLane::SendCommit(std::string_view what) {
  if (!link_) return Status::Ok();
  what_ = std::string(what);
  if (PQsendQuery(link_->conn->get(), "COMMIT") != 1) return Failed(what_);
  commit_sent_ = true;
  return Status::Ok();
}

Status PgCopyLane::FinishCommit() {
  if (!link_ || !commit_sent_) return Status::Ok();
  commit_sent_ = false;
  PGconn* conn = link_->conn->get();
  Status status;
  while (PGresult* raw = PQgetResult(conn)) {
    PgResult result(raw);
    if (status.ok() && PQresultStatus(raw) != PGRES_COMMAND_OK) status = link_->conn->ErrorFromResult(raw, what_);
  }
  if (status.ok()) pool_->Release(std::move(link_));
  return status;
}

void PgCopyLane::Abort() {
  if (!link_) return;
  PGconn* conn = link_->conn->get();
  if (copying_ != kNoCopy) {
    // Closing is the one rollback that cannot wait on a full socket.
    copying_ = kNoCopy;
    unsent_ = false;
    link_.reset();
    return;
  }
  while (PGresult* raw = PQgetResult(conn)) PQclear(raw);  // an unfinished COMMIT or query
  commit_sent_ = false;
  if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE) {
    PgResult result(PQexec(conn, "ROLLBACK"));
  }
  pool_->Release(std::move(link_));  // dropped unless healthy and idle
  link_.reset();
}

Status WaitUntilSent(std::vector<PgCopyLane>& lanes, size_t wait_for) {
  std::vector<pollfd> fds;
  std::vector<size_t> which;
  for (;;) {
    fds.clear();
    which.clear();
    for (size_t i = 0; i < lanes.size(); ++i) {
      if (lanes[i].open() && lanes[i].unsent()) {
        fds.push_back({lanes[i].socket(), POLLIN | POLLOUT, 0});
        which.push_back(i);
      }
    }
    const bool done = wait_for < lanes.size() ? !lanes[wait_for].unsent() : fds.empty();
    if (done || fds.empty()) return Status::Ok();
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return Status::SystemError(fmt::format("poll: {}", std::strerror(errno)));
    }
    for (size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents != 0) SLUICE_RETURN_IF_ERROR(lanes[which[k]].OnReady(fds[k].revents));
    }
  }
}

}  // namespace sluice
