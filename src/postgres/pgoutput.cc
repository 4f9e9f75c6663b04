#include "postgres/pgoutput.h"

#include <fmt/format.h>

#include <cstdint>
#include <utility>

namespace sluice {

// 2000-01-01 00:00:00 UTC in Unix-epoch microseconds.
constexpr int64_t kPgEpochUnixMicros = 946'684'800'000'000;

// Saturating: a timestamp from the wire near ±2^63 (found by fuzz_pgoutput) stays at the bound.
int64_t PgTimeToUnixMicros(int64_t pg_time) {
  int64_t out;
  if (__builtin_add_overflow(pg_time, kPgEpochUnixMicros, &out)) return INT64_MAX;
  return out;
}
int64_t UnixMicrosToPgTime(int64_t unix_micros) {
  int64_t out;
  if (__builtin_sub_overflow(unix_micros, kPgEpochUnixMicros, &out)) return INT64_MIN;
  return out;
}

Result<PgLsn> ParsePgLsn(std::string_view text) {
  auto bad = [&] { return Status::ConfigError(fmt::format("'{}' is not a PostgreSQL LSN (expected X/Y in hex)", text)); };
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return bad();
  uint64_t parts[2] = {0, 0};
  const std::string_view halves[2] = {text.substr(0, slash), text.substr(slash + 1)};
  for (int i = 0; i < 2; ++i) {
    if (halves[i].empty() || halves[i].size() > 8) return bad();
    for (char c : halves[i]) {
      int digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else {
        return bad();
      }
      parts[i] = parts[i] * 16 + static_cast<uint64_t>(digit);
    }
  }
  return PgLsn{(parts[0] << 32) | parts[1]};
}

std::string FormatPgLsn(PgLsn lsn) { return fmt::format("{:X}/{:X}", lsn.value >> 32, lsn.value & 0xFFFFFFFFu); }

namespace {

// Big-endian reads with bounds checks; every failure names the message and the offset.
class Reader {
 public:
  Reader(std::string_view bytes, std::string_view message) : bytes_(bytes), message_(message) {}

  size_t offset() const { return pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }

  Status Truncated(size_t need) const {
    return Status::SystemError(fmt::format("pgoutput: truncated {} message at offset {} (needs {} bytes, {} left)",
                                           message_, pos_, need, bytes_.size() - pos_));
  }
  Status Malformed(std::string_view what) const { return MalformedAt(pos_, what); }
  //! For a field already read: `offset` is where it starts.
  Status MalformedAt(size_t offset, std::string_view what) const {
    return Status::SystemError(fmt::format("pgoutput: malformed {} message at offset {}: {}", message_, offset, what));
  }

  Result<uint64_t> Uint(size_t n) {
    if (bytes_.size() - pos_ < n) return Truncated(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(bytes_[pos_ + i]);
    pos_ += n;
    return v;
  }
  Result<uint8_t> U8() {
    SLUICE_ASSIGN_OR_RETURN(uint64_t v, Uint(1));
    return static_cast<uint8_t>(v);
  }
  Result<uint16_t> U16() {
    SLUICE_ASSIGN_OR_RETURN(uint64_t v, Uint(2));
    return static_cast<uint16_t>(v);
  }
  Result<uint32_t> U32() {
    SLUICE_ASSIGN_OR_RETURN(uint64_t v, Uint(4));
    return static_cast<uint32_t>(v);
  }
  Result<int32_t> I32() {
    SLUICE_ASSIGN_OR_RETURN(uint32_t v, U32());
    return static_cast<int32_t>(v);
  }
  Result<int64_t> I64() {
    SLUICE_ASSIGN_OR_RETURN(uint64_t v, Uint(8));
    return static_cast<int64_t>(v);
  }
  Result<PgLsn> Lsn() {
    SLUICE_ASSIGN_OR_RETURN(uint64_t v, Uint(8));
    return PgLsn{v};
  }
  //! A NUL-terminated string.
  Result<std::string> String() {
    const size_t end = bytes_.find('\0', pos_);
    if (end == std::string_view::npos) return Malformed("string without its terminating NUL");
    std::string s(bytes_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  Result<std::string> Bytes(size_t n) {
    if (bytes_.size() - pos_ < n) return Truncated(n);
    std::string s(bytes_.substr(pos_, n));
    pos_ += n;
    return s;
  }

 private:
  std::string_view bytes_;
  std::string_view message_;
  size_t pos_ = 0;
};

std::string_view NameOfType(char type) {
  switch (type) {
    case 'B': return "Begin";
    case 'C': return "Commit";
    case 'O': return "Origin";
    case 'R': return "Relation";
    case 'Y': return "Type";
    case 'I': return "Insert";
    case 'U': return "Update";
    case 'D': return "Delete";
    case 'T': return "Truncate";
    case 'M': return "Message";
    case 'S': return "Stream Start";
    case 'E': return "Stream Stop";
    case 'c': return "Stream Commit";
    case 'A': return "Stream Abort";
    default: return "unknown";
  }
}

Result<PgTuple> ReadTuple(Reader& in) {
  SLUICE_ASSIGN_OR_RETURN(uint16_t count, in.U16());
  PgTuple tuple;
  tuple.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    const size_t at = in.offset();
    SLUICE_ASSIGN_OR_RETURN(uint8_t kind, in.U8());
    PgColumnValue value;
    switch (kind) {
      case 'n':
        value.kind = PgColumnValue::Kind::kNull;
        break;
      case 'u':
        value.kind = PgColumnValue::Kind::kUnchangedToast;
        break;
      case 't':
      case 'b': {
        value.kind = kind == 't' ? PgColumnValue::Kind::kText : PgColumnValue::Kind::kBinary;
        SLUICE_ASSIGN_OR_RETURN(int32_t length, in.I32());
        if (length < 0) return in.MalformedAt(at + 1, fmt::format("negative length {} of column {}", length, i));
        SLUICE_ASSIGN_OR_RETURN(value.data, in.Bytes(static_cast<size_t>(length)));
        break;
      }
      default:
        return in.MalformedAt(at, fmt::format("unknown kind 0x{:02x} of column {}", kind, i));
    }
    tuple.push_back(std::move(value));
  }
  return tuple;
}

}  // namespace

std::string_view PgMessageName(const PgMessage& message) {
  static constexpr char kTypes[] = {'B', 'C', 'O', 'R', 'Y', 'I', 'U', 'D', 'T', 'M', 'S', 'E', 'c', 'A'};
  static_assert(sizeof(kTypes) == std::variant_size_v<PgMessage>);
  return NameOfType(kTypes[message.index()]);
}

std::shared_ptr<const PgRelation> PgOutputDecoder::FindRelation(uint32_t oid) const {
  auto it = relations_.find(oid);
  return it == relations_.end() ? nullptr : it->second;
}

Result<PgMessage> PgOutputDecoder::Decode(std::string_view bytes) {
  if (bytes.empty()) return Status::SystemError("pgoutput: empty message");
  const char type = bytes[0];
  const std::string_view name = NameOfType(type);
  if (name == "unknown") {
    return Status::SystemError(fmt::format("pgoutput: unknown message type 0x{:02x} at offset 0",
                                           static_cast<uint8_t>(type)));
  }
  Reader in(bytes, name);
  (void)in.U8();

  const bool streaming_message = type == 'S' || type == 'E' || type == 'c' || type == 'A';
  if (streaming_message && proto_version_ < 2) {
    return Status::SystemError(fmt::format("pgoutput: {} message with protocol version {} (needs 2)", name,
                                           proto_version_));
  }
  if (type == 'S' && in_stream_) return in.Malformed("Stream Start inside a stream");
  if ((type == 'E') && !in_stream_) return in.Malformed("Stream Stop outside a stream");
  if ((type == 'B' || type == 'C' || type == 'c' || type == 'A') && in_stream_) {
    return in.Malformed("not allowed between Stream Start and Stream Stop");
  }

  // Inside a stream, data messages start with the xid of their (sub)transaction.
  uint32_t xid = 0;
  const bool has_xid = in_stream_ && (type == 'R' || type == 'Y' || type == 'I' || type == 'U' || type == 'D' ||
                                      type == 'T' || type == 'M');
  if (has_xid) {
    SLUICE_ASSIGN_OR_RETURN(xid, in.U32());
  }

  auto relation_for = [&](uint32_t oid) -> Result<std::shared_ptr<const PgRelation>> {
    auto relation = FindRelation(oid);
    if (!relation) return in.Malformed(fmt::format("relation {} was not described by a Relation message", oid));
    return relation;
  };
  auto read_tuple_of = [&](const PgRelation& relation) -> Result<PgTuple> {
    const size_t at = in.offset();
    SLUICE_ASSIGN_OR_RETURN(PgTuple tuple, ReadTuple(in));
    if (tuple.size() != relation.columns.size()) {
      return Status::SystemError(fmt::format(
          "pgoutput: malformed {} message at offset {}: {} columns for relation {}.{} which has {}", name, at,
          tuple.size(), relation.schema, relation.name, relation.columns.size()));
    }
    return tuple;
  };

  PgMessage result;
  bool next_in_stream = in_stream_;
  switch (type) {
    case 'B': {
      PgBegin m;
      SLUICE_ASSIGN_OR_RETURN(m.final_lsn, in.Lsn());
      SLUICE_ASSIGN_OR_RETURN(int64_t time, in.I64());
      m.commit_time_us = PgTimeToUnixMicros(time);
      SLUICE_ASSIGN_OR_RETURN(m.xid, in.U32());
      result = m;
      break;
    }
    case 'C': {
      PgCommit m;
      SLUICE_ASSIGN_OR_RETURN(m.flags, in.U8());
      SLUICE_ASSIGN_OR_RETURN(m.commit_lsn, in.Lsn());
      SLUICE_ASSIGN_OR_RETURN(m.end_lsn, in.Lsn());
      SLUICE_ASSIGN_OR_RETURN(int64_t time, in.I64());
      m.commit_time_us = PgTimeToUnixMicros(time);
      result = m;
      break;
    }
    case 'O': {
      PgOrigin m;
      SLUICE_ASSIGN_OR_RETURN(m.commit_lsn, in.Lsn());
      SLUICE_ASSIGN_OR_RETURN(m.name, in.String());
      result = m;
      break;
    }
    case 'R': {
      auto relation = std::make_shared<PgRelation>();
      SLUICE_ASSIGN_OR_RETURN(relation->oid, in.U32());
      SLUICE_ASSIGN_OR_RETURN(relation->schema, in.String());
      SLUICE_ASSIGN_OR_RETURN(relation->name, in.String());
      SLUICE_ASSIGN_OR_RETURN(uint8_t identity, in.U8());
      relation->replica_identity = static_cast<char>(identity);
      SLUICE_ASSIGN_OR_RETURN(uint16_t count, in.U16());
      relation->columns.reserve(count);
      for (uint16_t i = 0; i < count; ++i) {
        PgRelationColumn column;
        SLUICE_ASSIGN_OR_RETURN(uint8_t flags, in.U8());
        column.key = (flags & 1) != 0;
        SLUICE_ASSIGN_OR_RETURN(column.name, in.String());
        SLUICE_ASSIGN_OR_RETURN(column.type_oid, in.U32());
        SLUICE_ASSIGN_OR_RETURN(column.type_modifier, in.I32());
        relation->columns.push_back(std::move(column));
      }
      result = PgRelationMessage{xid, relation};
      break;
    }
    case 'Y': {
      PgTypeMessage m;
      m.xid = xid;
      SLUICE_ASSIGN_OR_RETURN(m.type_oid, in.U32());
      SLUICE_ASSIGN_OR_RETURN(m.schema, in.String());
      SLUICE_ASSIGN_OR_RETURN(m.name, in.String());
      result = m;
      break;
    }
    case 'I': {
      PgInsert m;
      m.xid = xid;
      SLUICE_ASSIGN_OR_RETURN(uint32_t oid, in.U32());
      SLUICE_ASSIGN_OR_RETURN(m.relation, relation_for(oid));
      size_t at = in.offset();
      SLUICE_ASSIGN_OR_RETURN(uint8_t marker, in.U8());
      if (marker != 'N') return in.MalformedAt(at, fmt::format("expected 'N' before the new tuple, got 0x{:02x}", marker));
      SLUICE_ASSIGN_OR_RETURN(m.new_tuple, read_tuple_of(*m.relation));
      result = std::move(m);
      break;
    }
    case 'U': {
      PgUpdate m;
      m.xid = xid;
      SLUICE_ASSIGN_OR_RETURN(uint32_t oid, in.U32());
      SLUICE_ASSIGN_OR_RETURN(m.relation, relation_for(oid));
      size_t at = in.offset();
      SLUICE_ASSIGN_OR_RETURN(uint8_t marker, in.U8());
      if (marker == 'K' || marker == 'O') {
        m.old_kind = static_cast<char>(marker);
        SLUICE_ASSIGN_OR_RETURN(m.old_tuple, read_tuple_of(*m.relation));
        at = in.offset();
        SLUICE_ASSIGN_OR_RETURN(marker, in.U8());
      }
      if (marker != 'N') return in.MalformedAt(at, fmt::format("expected 'N' before the new tuple, got 0x{:02x}", marker));
      SLUICE_ASSIGN_OR_RETURN(m.new_tuple, read_tuple_of(*m.relation));
      result = std::move(m);
      break;
    }
    case 'D': {
      PgDelete m;
      m.xid = xid;
      SLUICE_ASSIGN_OR_RETURN(uint32_t oid, in.U32());
      SLUICE_ASSIGN_OR_RETURN(m.relation, relation_for(oid));
      size_t at = in.offset();
      SLUICE_ASSIGN_OR_RETURN(uint8_t marker, in.U8());
      if (marker != 'K' && marker != 'O') {
        return in.MalformedAt(at, fmt::format("expected 'K' or 'O' before the old tuple, got 0x{:02x}", marker));
      }
      m.old_kind = static_cast<char>(marker);
      SLUICE_ASSIGN_OR_RETURN(m.old_tuple, read_tuple_of(*m.relation));
      result = std::move(m);
      break;
    }
    case 'T': {
      PgTruncate m;
      m.xid = xid;
      SLUICE_ASSIGN_OR_RETURN(uint32_t count, in.U32());
      SLUICE_ASSIGN_OR_RETURN(uint8_t options, in.U8());
      m.cascade = (options & 1) != 0;
      m.restart_identity = (options & 2) != 0;
      for (uint32_t i = 0; i < count; ++i) {
        SLUICE_ASSIGN_OR_RETURN(uint32_t oid, in.U32());
        SLUICE_ASSIGN_OR_RETURN(auto relation, relation_for(oid));
        m.relations.push_back(std::move(relation));
      }
      result = std::move(m);
      break;
    }
    case 'M': {
      PgLogicalMessage m;
      m.xid = xid;
      SLUICE_ASSIGN_OR_RETURN(uint8_t flags, in.U8());
      m.transactional = (flags & 1) != 0;
      SLUICE_ASSIGN_OR_RETURN(m.lsn, in.Lsn());
      SLUICE_ASSIGN_OR_RETURN(m.prefix, in.String());
      const size_t at = in.offset();
      SLUICE_ASSIGN_OR_RETURN(int32_t length, in.I32());
      if (length < 0) return in.MalformedAt(at, fmt::format("negative content length {}", length));
      SLUICE_ASSIGN_OR_RETURN(m.content, in.Bytes(static_cast<size_t>(length)));
      result = std::move(m);
      break;
    }
    case 'S': {
      PgStreamStart m;
      SLUICE_ASSIGN_OR_RETURN(m.xid, in.U32());
      SLUICE_ASSIGN_OR_RETURN(uint8_t first, in.U8());
      m.first_segment = first == 1;
      result = m;
      next_in_stream = true;
      break;
    }
    case 'E':
      result = PgStreamStop{};
      next_in_stream = false;
      break;
    case 'c': {
      PgStreamCommit m;
      SLUICE_ASSIGN_OR_RETURN(m.xid, in.U32());
      SLUICE_ASSIGN_OR_RETURN(m.flags, in.U8());
      SLUICE_ASSIGN_OR_RETURN(m.commit_lsn, in.Lsn());
      SLUICE_ASSIGN_OR_RETURN(m.end_lsn, in.Lsn());
      SLUICE_ASSIGN_OR_RETURN(int64_t time, in.I64());
      m.commit_time_us = PgTimeToUnixMicros(time);
      result = m;
      break;
    }
    case 'A': {
      PgStreamAbort m;
      SLUICE_ASSIGN_OR_RETURN(m.xid, in.U32());
      SLUICE_ASSIGN_OR_RETURN(m.subxid, in.U32());
      result = m;
      break;
    }
  }
  if (!in.at_end()) return in.Malformed("unexpected bytes after the message");

  // Only a whole, valid message changes the decoder's state.
  if (auto* relation = std::get_if<PgRelationMessage>(&result)) relations_[relation->relation->oid] = relation->relation;
  in_stream_ = next_in_stream;
  return result;
}

}  // namespace sluice
