#include "connectors/sources/postgres/pg_txn_spool.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace sluice {

namespace {

// One change: u8 op ('I', 'U', 'D'), u32 xid, u32 relation index, u8 old_kind, old tuple, new
// tuple; a tuple: u32 column count, then per column u8 kind, u32 length, bytes. A TRUNCATE:
// u8 'T', u32 xid, u32 relation count, u8 flags (1 cascade, 2 restart identity), then one u32
// relation index per relation.

void PutU32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }

void PutTuple(std::string& out, const PgTuple& t) {
  PutU32(out, static_cast<uint32_t>(t.size()));
  for (const PgColumnValue& c : t) {
    out.push_back(static_cast<char>(c.kind));
    PutU32(out, static_cast<uint32_t>(c.data.size()));
    out.append(c.data);
  }
}

//! Reads the serialized changes back: from the file (in chunks), then from the memory buffer.
class SpoolReader {
 public:
  SpoolReader(std::FILE* file, uint64_t file_bytes, std::string_view memory)
      : file_(file), file_left_(file_bytes), memory_(memory) {}

  Status Read(void* out, size_t n) {
    char* dst = static_cast<char*>(out);
    while (n > 0) {
      if (pos_ == chunk_.size()) SLUICE_RETURN_IF_ERROR(Refill());
      const size_t take = std::min(n, chunk_.size() - pos_);
      std::memcpy(dst, chunk_.data() + pos_, take);
      pos_ += take;
      dst += take;
      n -= take;
    }
    return Status::Ok();
  }
  Status ReadU32(uint32_t& v) { return Read(&v, sizeof v); }

 private:
  Status Refill() {
    pos_ = 0;
    if (file_left_ > 0) {
      storage_.resize(std::min<uint64_t>(file_left_, size_t{1} << 20));
      if (std::fread(storage_.data(), 1, storage_.size(), file_) != storage_.size()) {
        return Status::SystemError("CDC spool: reading the temporary file failed");
      }
      file_left_ -= storage_.size();
      chunk_ = storage_;
      return Status::Ok();
    }
    if (!memory_done_) {
      memory_done_ = true;
      chunk_ = memory_;
      if (!chunk_.empty()) return Status::Ok();
    }
    return Status::SystemError("CDC spool: truncated change");
  }

  std::FILE* file_;
  uint64_t file_left_;
  std::string_view memory_;
  bool memory_done_ = false;
  std::string storage_;
  std::string_view chunk_;
  size_t pos_ = 0;
};

Status ReadTuple(SpoolReader& in, PgTuple& t) {
  uint32_t n = 0;
  SLUICE_RETURN_IF_ERROR(in.ReadU32(n));
  t.resize(n);
  for (PgColumnValue& c : t) {
    char kind = 0;
    uint32_t len = 0;
    SLUICE_RETURN_IF_ERROR(in.Read(&kind, 1));
    SLUICE_RETURN_IF_ERROR(in.ReadU32(len));
    c.kind = static_cast<PgColumnValue::Kind>(kind);
    c.data.resize(len);
    if (len > 0) SLUICE_RETURN_IF_ERROR(in.Read(c.data.data(), len));
  }
  return Status::Ok();
}

}  // namespace

PgTxnSpool::PgTxnSpool(size_t memory_limit_bytes) : memory_limit_bytes_(memory_limit_bytes) {}

PgTxnSpool::~PgTxnSpool() {
  if (file_ != nullptr) std::fclose(file_);
}

uint32_t PgTxnSpool::RelationIndex(const std::shared_ptr<const PgRelation>& relation) {
  auto [it, added] = relation_index_.emplace(relation.get(), static_cast<uint32_t>(relations_.size()));
  if (added) relations_.push_back(relation);
  return it->second;
}

Status PgTxnSpool::Add(const PgMessage& change) {
  static const PgTuple kNone;
  char op = 0;
  uint32_t xid = 0;
  const std::shared_ptr<const PgRelation>* relation = nullptr;
  char old_kind = 0;
  const PgTuple* old_tuple = &kNone;
  const PgTuple* new_tuple = &kNone;
  if (auto* i = std::get_if<PgInsert>(&change)) {
    op = 'I', xid = i->xid, relation = &i->relation, new_tuple = &i->new_tuple;
  } else if (auto* u = std::get_if<PgUpdate>(&change)) {
    op = 'U', xid = u->xid, relation = &u->relation, old_kind = u->old_kind;
    old_tuple = &u->old_tuple, new_tuple = &u->new_tuple;
  } else if (auto* d = std::get_if<PgDelete>(&change)) {
    op = 'D', xid = d->xid, relation = &d->relation, old_kind = d->old_kind, old_tuple = &d->old_tuple;
  } else if (auto* t = std::get_if<PgTruncate>(&change)) {
    buffer_.push_back('T');
    PutU32(buffer_, t->xid);
    PutU32(buffer_, static_cast<uint32_t>(t->relations.size()));
    buffer_.push_back(static_cast<char>((t->cascade ? 1 : 0) | (t->restart_identity ? 2 : 0)));
    for (const auto& r : t->relations) PutU32(buffer_, RelationIndex(r));
    ++changes_;
    if (buffer_.size() >= memory_limit_bytes_) return Spill();
    return Status::Ok();
  } else {
    return Status::Ok();
  }
  buffer_.push_back(op);
  PutU32(buffer_, xid);
  PutU32(buffer_, RelationIndex(*relation));
  buffer_.push_back(old_kind);
  PutTuple(buffer_, *old_tuple);
  PutTuple(buffer_, *new_tuple);
  ++changes_;
  if (buffer_.size() >= memory_limit_bytes_) return Spill();
  return Status::Ok();
}

Status PgTxnSpool::Spill() {
  if (file_ == nullptr) {
    file_ = std::tmpfile();
    if (file_ == nullptr) {
      return Status::SystemError("CDC: cannot create a temporary file to spill a streamed transaction to",
                                 std::strerror(errno));
    }
  }
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
    return Status::SystemError("CDC: writing a streamed transaction's changes to a temporary file failed",
                               std::strerror(errno));
  }
  spilled_bytes_ += buffer_.size();
  buffer_.clear();
  if (buffer_.capacity() > 2 * memory_limit_bytes_) buffer_.shrink_to_fit();
  return Status::Ok();
}

Status PgTxnSpool::Replay(const std::function<Status(const PgMessage&)>& apply) {
  if (file_ != nullptr) {
    if (std::fflush(file_) != 0 || std::fseek(file_, 0, SEEK_SET) != 0) {
      return Status::SystemError("CDC: rewinding a streamed transaction's temporary file failed", std::strerror(errno));
    }
  }
  SpoolReader in(file_, spilled_bytes_, buffer_);
  for (uint64_t n = 0; n < changes_; ++n) {
    char op = 0, old_kind = 0;
    uint32_t xid = 0, rel = 0;
    SLUICE_RETURN_IF_ERROR(in.Read(&op, 1));
    SLUICE_RETURN_IF_ERROR(in.ReadU32(xid));
    SLUICE_RETURN_IF_ERROR(in.ReadU32(rel));
    SLUICE_RETURN_IF_ERROR(in.Read(&old_kind, 1));
    if (op == 'T') {
      PgTruncate t{xid, (old_kind & 1) != 0, (old_kind & 2) != 0, {}};
      for (uint32_t r = 0; r < rel; ++r) {
        uint32_t index = 0;
        SLUICE_RETURN_IF_ERROR(in.ReadU32(index));
        if (index >= relations_.size()) return Status::SystemError("CDC spool: bad relation index");
        t.relations.push_back(relations_[index]);
      }
      if (aborted_.count(xid) == 0) SLUICE_RETURN_IF_ERROR(apply(t));
      continue;
    }
    if (rel >= relations_.size()) return Status::SystemError("CDC spool: bad relation index");
    PgTuple old_tuple, new_tuple;
    SLUICE_RETURN_IF_ERROR(ReadTuple(in, old_tuple));
    SLUICE_RETURN_IF_ERROR(ReadTuple(in, new_tuple));
    if (aborted_.count(xid) != 0) continue;
    PgMessage m;
    if (op == 'I') {
      m = PgInsert{xid, relations_[rel], std::move(new_tuple)};
    } else if (op == 'U') {
      m = PgUpdate{xid, relations_[rel], old_kind, std::move(old_tuple), std::move(new_tuple)};
    } else if (op == 'D') {
      m = PgDelete{xid, relations_[rel], old_kind, std::move(old_tuple)};
    } else {
      return Status::SystemError(fmt::format("CDC spool: bad change type {}", static_cast<int>(op)));
    }
    SLUICE_RETURN_IF_ERROR(apply(m));
  }
  return Status::Ok();
}

}  // namespace sluice
