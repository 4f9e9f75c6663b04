// The pgoutput decoder against hand-built messages (the byte layouts of PostgreSQL's "Logical
// Replication Message Formats"), versions 1 and 2. pg_replication_test.cc checks the same
// decoder against the bytes a real server sends.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "postgres/pgoutput.h"

namespace sluice {
namespace {

// Builds a message big-endian, as the server writes it.
class Bytes {
 public:
  explicit Bytes(char type) { out_ += type; }
  Bytes& U8(uint8_t v) { return Int(v, 1); }
  Bytes& U16(uint16_t v) { return Int(v, 2); }
  Bytes& U32(uint32_t v) { return Int(v, 4); }
  Bytes& U64(uint64_t v) { return Int(v, 8); }
  Bytes& Str(const std::string& s) {
    out_ += s;
    out_ += '\0';
    return *this;
  }
  Bytes& Raw(const std::string& s) {
    out_ += s;
    return *this;
  }
  operator std::string() const { return out_; }                 // NOLINT: a builder
  operator std::string_view() const { return out_; }  // NOLINT

 private:
  Bytes& Int(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out_ += static_cast<char>((v >> (8 * i)) & 0xFF);
    return *this;
  }
  std::string out_;
};

constexpr uint32_t kUsers = 16384;
constexpr uint32_t kOrders = 16390;
constexpr int64_t kPgTime = 757'382'400'000'000;  // 2024-01-01 00:00:00 UTC in PostgreSQL µs
constexpr int64_t kUnixTime = 1'704'067'200'000'000;

// users(id int4 key, name text, bio text): a Relation message, xid-prefixed when `xid`.
std::string UsersRelation(char identity = 'd', std::optional<uint32_t> xid = std::nullopt) {
  Bytes b('R');
  if (xid) b.U32(*xid);
  b.U32(kUsers).Str("public").Str("users").U8(identity).U16(3);
  b.U8(1).Str("id").U32(23).U32(0xFFFFFFFF);
  b.U8(0).Str("name").U32(1043).U32(68);  // varchar(64): typmod 64 + 4
  b.U8(0).Str("bio").U32(25).U32(0xFFFFFFFF);
  return b;
}
std::string OrdersRelation() {
  return Bytes('R').U32(kOrders).Str("").Str("orders").U8('f').U16(1).U8(1).Str("id").U32(20).U32(0xFFFFFFFF);
}

// TupleData of users: id as text, name, and bio as 'u' (unchanged TOAST).
Bytes& UsersTuple(Bytes& b, const std::string& id, const std::string& name) {
  return b.U16(3).U8('t').U32(id.size()).Raw(id).U8('t').U32(name.size()).Raw(name).U8('u');
}

//! The decoded message as a T (a default T, and a test failure, when it is not one).
template <typename T>
T As(const Result<PgMessage>& result) {
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (!result.ok()) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*result)) << "got " << PgMessageName(*result);
  return std::holds_alternative<T>(*result) ? std::get<T>(*result) : T{};
}

TEST(PgLsn, ParsesFormatsAndCompares) {
  auto lsn = ParsePgLsn("16/B374D848");
  ASSERT_TRUE(lsn.ok());
  EXPECT_EQ(lsn->value, 0x16B374D848u);
  EXPECT_EQ(FormatPgLsn(*lsn), "16/B374D848");
  EXPECT_EQ(ParsePgLsn("16/b374d848")->value, 0x16B374D848u);
  EXPECT_EQ(FormatPgLsn(PgLsn{}), "0/0");
  EXPECT_EQ(FormatPgLsn(PgLsn{0xFFFFFFFFFFFFFFFFu}), "FFFFFFFF/FFFFFFFF");
  EXPECT_FALSE(PgLsn{}.valid());
  EXPECT_LT(*ParsePgLsn("0/FFFFFFFF"), *ParsePgLsn("1/0"));
  EXPECT_EQ(*ParsePgLsn("1/0"), PgLsn{1ull << 32});
  for (const char* bad : {"", "1", "/1", "1/", "x/1", "1/1/1", "123456789/0", "1 /2", "-1/0"}) {
    auto parsed = ParsePgLsn(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().failure_type(), FailureType::kConfig);
  }
}

// Found by fuzz_pgoutput: a commit time near 2^63 overflowed the epoch shift (undefined).
TEST(PgOutput, TimesSaturateAtTheBounds) {
  EXPECT_EQ(PgTimeToUnixMicros(INT64_MAX - 5), INT64_MAX);
  EXPECT_EQ(UnixMicrosToPgTime(INT64_MIN + 5), INT64_MIN);
  EXPECT_EQ(PgTimeToUnixMicros(0), 946'684'800'000'000);
  EXPECT_EQ(UnixMicrosToPgTime(946'684'800'000'000), 0);
}

TEST(PgOutput, BeginCommitOrigin) {
  PgOutputDecoder decoder;
  auto begin = As<PgBegin>(decoder.Decode(Bytes('B').U64(0x1000).U64(kPgTime).U32(742)));
  EXPECT_EQ(begin.final_lsn, PgLsn{0x1000});
  EXPECT_EQ(begin.commit_time_us, kUnixTime);
  EXPECT_EQ(begin.xid, 742u);

  auto origin = As<PgOrigin>(decoder.Decode(Bytes('O').U64(0x900).Str("upstream")));
  EXPECT_EQ(origin.commit_lsn, PgLsn{0x900});
  EXPECT_EQ(origin.name, "upstream");

  auto commit = As<PgCommit>(decoder.Decode(Bytes('C').U8(0).U64(0x1000).U64(0x1030).U64(kPgTime + 5)));
  EXPECT_EQ(commit.commit_lsn, PgLsn{0x1000});
  EXPECT_EQ(commit.end_lsn, PgLsn{0x1030});
  EXPECT_EQ(commit.commit_time_us, kUnixTime + 5);
}

TEST(PgOutput, RelationIsCachedAndTypeIsDecoded) {
  PgOutputDecoder decoder;
  EXPECT_EQ(decoder.FindRelation(kUsers), nullptr);
  auto message = As<PgRelationMessage>(decoder.Decode(UsersRelation('f')));
  const PgRelation& users = *message.relation;
  EXPECT_EQ(users.oid, kUsers);
  EXPECT_EQ(users.schema, "public");
  EXPECT_EQ(users.name, "users");
  EXPECT_EQ(users.replica_identity, 'f');
  ASSERT_EQ(users.columns.size(), 3u);
  EXPECT_TRUE(users.columns[0].key);
  EXPECT_EQ(users.columns[0].name, "id");
  EXPECT_EQ(users.columns[0].type_oid, 23u);
  EXPECT_EQ(users.columns[0].type_modifier, -1);
  EXPECT_FALSE(users.columns[1].key);
  EXPECT_EQ(users.columns[1].type_oid, 1043u);
  EXPECT_EQ(users.columns[1].type_modifier, 68);
  EXPECT_EQ(decoder.FindRelation(kUsers), message.relation);

  auto orders = As<PgRelationMessage>(decoder.Decode(OrdersRelation()));
  EXPECT_EQ(orders.relation->schema, "");  // pg_catalog is sent as ""
  EXPECT_EQ(orders.relation->columns[0].type_oid, 20u);

  auto type = As<PgTypeMessage>(decoder.Decode(Bytes('Y').U32(70000).Str("public").Str("mood")));
  EXPECT_EQ(type.type_oid, 70000u);
  EXPECT_EQ(type.schema, "public");
  EXPECT_EQ(type.name, "mood");
}

TEST(PgOutput, RelationReplacedKeepsOldEventsIntact) {
  PgOutputDecoder decoder;
  ASSERT_TRUE(decoder.Decode(UsersRelation()).ok());
  Bytes insert('I');
  insert.U32(kUsers).U8('N');
  auto first = decoder.Decode(UsersTuple(insert, "1", "ann"));
  ASSERT_TRUE(first.ok());
  // The table gains a column: a new Relation message; the earlier event keeps its relation.
  Bytes wider('R');
  wider.U32(kUsers).Str("public").Str("users").U8('d').U16(4);
  wider.U8(1).Str("id").U32(23).U32(0xFFFFFFFF).U8(0).Str("name").U32(1043).U32(68);
  wider.U8(0).Str("bio").U32(25).U32(0xFFFFFFFF).U8(0).Str("age").U32(21).U32(0xFFFFFFFF);
  ASSERT_TRUE(decoder.Decode(wider).ok());
  EXPECT_EQ(std::get<PgInsert>(*first).relation->columns.size(), 3u);
  EXPECT_EQ(decoder.FindRelation(kUsers)->columns.size(), 4u);
  // …and a tuple of the old width is now an error.
  Bytes old_width('I');
  old_width.U32(kUsers).U8('N');
  auto stale = decoder.Decode(UsersTuple(old_width, "2", "bob"));
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.status().message().find("3 columns for relation public.users which has 4"), std::string::npos)
      << stale.status().ToString();
}

TEST(PgOutput, InsertDistinguishesNullUnchangedToastTextAndBinary) {
  PgOutputDecoder decoder;
  ASSERT_TRUE(decoder.Decode(UsersRelation()).ok());
  const std::string binary("\x00\x01\xff", 3);
  auto insert = As<PgInsert>(decoder.Decode(
      Bytes('I').U32(kUsers).U8('N').U16(3).U8('b').U32(3).Raw(binary).U8('n').U8('u')));
  EXPECT_EQ(insert.xid, 0u);
  EXPECT_EQ(insert.relation->name, "users");
  ASSERT_EQ(insert.new_tuple.size(), 3u);
  EXPECT_EQ(insert.new_tuple[0].kind, PgColumnValue::Kind::kBinary);
  EXPECT_EQ(insert.new_tuple[0].data, binary);
  EXPECT_EQ(insert.new_tuple[1].kind, PgColumnValue::Kind::kNull);
  EXPECT_EQ(insert.new_tuple[2].kind, PgColumnValue::Kind::kUnchangedToast);
  EXPECT_NE(insert.new_tuple[1].kind, insert.new_tuple[2].kind);

  auto text = As<PgInsert>(decoder.Decode(Bytes('I').U32(kUsers).U8('N').U16(3).U8('t').U32(2).Raw("42").U8('t').U32(0).U8('n')));
  EXPECT_EQ(text.new_tuple[0].kind, PgColumnValue::Kind::kText);
  EXPECT_EQ(text.new_tuple[0].data, "42");
  EXPECT_EQ(text.new_tuple[1].kind, PgColumnValue::Kind::kText);  // '' is not NULL
  EXPECT_EQ(text.new_tuple[1].data, "");
}

TEST(PgOutput, UpdateWithoutWithKeyAndWithOldRow) {
  PgOutputDecoder decoder;
  ASSERT_TRUE(decoder.Decode(UsersRelation()).ok());

  Bytes plain('U');
  plain.U32(kUsers).U8('N');
  auto update = As<PgUpdate>(decoder.Decode(UsersTuple(plain, "1", "ann")));
  EXPECT_EQ(update.old_kind, 0);
  EXPECT_TRUE(update.old_tuple.empty());
  EXPECT_EQ(update.new_tuple[1].data, "ann");
  EXPECT_EQ(update.new_tuple[2].kind, PgColumnValue::Kind::kUnchangedToast);

  Bytes key('U');
  key.U32(kUsers).U8('K').U16(3).U8('t').U32(1).Raw("1").U8('n').U8('n').U8('N');
  auto key_update = As<PgUpdate>(decoder.Decode(UsersTuple(key, "2", "ann")));
  EXPECT_EQ(key_update.old_kind, 'K');
  EXPECT_EQ(key_update.old_tuple[0].data, "1");
  EXPECT_EQ(key_update.old_tuple[1].kind, PgColumnValue::Kind::kNull);
  EXPECT_EQ(key_update.new_tuple[0].data, "2");

  Bytes full('U');
  full.U32(kUsers).U8('O');
  UsersTuple(full, "1", "old").U8('N');
  auto full_update = As<PgUpdate>(decoder.Decode(UsersTuple(full, "1", "new")));
  EXPECT_EQ(full_update.old_kind, 'O');
  EXPECT_EQ(full_update.old_tuple[1].data, "old");
  EXPECT_EQ(full_update.new_tuple[1].data, "new");
}

TEST(PgOutput, DeleteWithKeyOrOldRow) {
  PgOutputDecoder decoder;
  ASSERT_TRUE(decoder.Decode(UsersRelation()).ok());
  auto key = As<PgDelete>(decoder.Decode(Bytes('D').U32(kUsers).U8('K').U16(3).U8('t').U32(1).Raw("7").U8('n').U8('n')));
  EXPECT_EQ(key.old_kind, 'K');
  EXPECT_EQ(key.old_tuple[0].data, "7");
  Bytes full('D');
  full.U32(kUsers).U8('O');
  auto old = As<PgDelete>(decoder.Decode(UsersTuple(full, "7", "gone")));
  EXPECT_EQ(old.old_kind, 'O');
  EXPECT_EQ(old.old_tuple[1].data, "gone");
  auto bad = decoder.Decode(Bytes('D').U32(kUsers).U8('N').U16(0));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Delete message at offset 5"), std::string::npos) << bad.status().ToString();
}

TEST(PgOutput, TruncateFlagsAndRelations) {
  PgOutputDecoder decoder;
  ASSERT_TRUE(decoder.Decode(UsersRelation()).ok());
  ASSERT_TRUE(decoder.Decode(OrdersRelation()).ok());
  auto truncate = As<PgTruncate>(decoder.Decode(Bytes('T').U32(2).U8(3).U32(kUsers).U32(kOrders)));
  EXPECT_TRUE(truncate.cascade);
  EXPECT_TRUE(truncate.restart_identity);
  ASSERT_EQ(truncate.relations.size(), 2u);
  EXPECT_EQ(truncate.relations[0]->name, "users");
  EXPECT_EQ(truncate.relations[1]->name, "orders");
  auto plain = As<PgTruncate>(decoder.Decode(Bytes('T').U32(1).U8(0).U32(kOrders)));
  EXPECT_FALSE(plain.cascade);
  EXPECT_FALSE(plain.restart_identity);
}

TEST(PgOutput, LogicalMessage) {
  PgOutputDecoder decoder;
  auto message = As<PgLogicalMessage>(
      decoder.Decode(Bytes('M').U8(1).U64(0x2000).Str("sluice").U32(5).Raw(std::string("he\0lo", 5))));
  EXPECT_TRUE(message.transactional);
  EXPECT_EQ(message.lsn, PgLsn{0x2000});
  EXPECT_EQ(message.prefix, "sluice");
  EXPECT_EQ(message.content, std::string("he\0lo", 5));
}

TEST(PgOutput, UnknownRelationIsAnError) {
  PgOutputDecoder decoder;
  Bytes insert('I');
  insert.U32(kUsers).U8('N');
  auto result = decoder.Decode(UsersTuple(insert, "1", "a"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().failure_type(), FailureType::kSystem);
  EXPECT_NE(result.status().message().find("relation 16384 was not described"), std::string::npos);
}

TEST(PgOutput, Version2StreamsCarryTheXid) {
  PgOutputDecoder decoder(2);
  ASSERT_TRUE(decoder.Decode(OrdersRelation()).ok());  // outside a stream: no xid

  auto start = As<PgStreamStart>(decoder.Decode(Bytes('S').U32(900).U8(1)));
  EXPECT_EQ(start.xid, 900u);
  EXPECT_TRUE(start.first_segment);
  EXPECT_TRUE(decoder.in_stream());

  auto relation = As<PgRelationMessage>(decoder.Decode(UsersRelation('d', 900)));
  EXPECT_EQ(relation.xid, 900u);
  EXPECT_EQ(relation.relation->name, "users");
  Bytes insert('I');
  insert.U32(901).U32(kUsers).U8('N');  // a subtransaction's change
  auto streamed = As<PgInsert>(decoder.Decode(UsersTuple(insert, "5", "eve")));
  EXPECT_EQ(streamed.xid, 901u);
  EXPECT_EQ(streamed.new_tuple[1].data, "eve");
  EXPECT_EQ(As<PgTypeMessage>(decoder.Decode(Bytes('Y').U32(900).U32(1).Str("s").Str("t"))).xid, 900u);
  EXPECT_EQ(As<PgUpdate>(decoder.Decode(Bytes('U').U32(900).U32(kOrders).U8('N').U16(1).U8('t').U32(1).Raw("1"))).xid,
            900u);
  EXPECT_EQ(As<PgDelete>(decoder.Decode(Bytes('D').U32(900).U32(kOrders).U8('O').U16(1).U8('t').U32(1).Raw("1"))).xid,
            900u);
  auto truncate = As<PgTruncate>(decoder.Decode(Bytes('T').U32(900).U32(1).U8(0).U32(kOrders)));
  EXPECT_EQ(truncate.xid, 900u);
  EXPECT_EQ(As<PgLogicalMessage>(decoder.Decode(Bytes('M').U32(900).U8(1).U64(1).Str("p").U32(0))).xid, 900u);
  // Begin/Commit belong outside streams.
  EXPECT_FALSE(decoder.Decode(Bytes('B').U64(1).U64(1).U32(1)).ok());

  As<PgStreamStop>(decoder.Decode(Bytes('E')));
  EXPECT_FALSE(decoder.in_stream());
  // Outside the stream the same Insert has no xid prefix.
  Bytes plain('I');
  plain.U32(kUsers).U8('N');
  EXPECT_EQ(As<PgInsert>(decoder.Decode(UsersTuple(plain, "6", "fay"))).xid, 0u);

  auto commit = As<PgStreamCommit>(decoder.Decode(Bytes('c').U32(900).U8(0).U64(0x5000).U64(0x5030).U64(kPgTime)));
  EXPECT_EQ(commit.xid, 900u);
  EXPECT_EQ(commit.commit_lsn, PgLsn{0x5000});
  EXPECT_EQ(commit.end_lsn, PgLsn{0x5030});
  EXPECT_EQ(commit.commit_time_us, kUnixTime);

  auto abort = As<PgStreamAbort>(decoder.Decode(Bytes('A').U32(900).U32(901)));
  EXPECT_EQ(abort.xid, 900u);
  EXPECT_EQ(abort.subxid, 901u);
}

TEST(PgOutput, StreamMessagesNeedVersion2AndProperNesting) {
  PgOutputDecoder v1(1);
  auto start = v1.Decode(Bytes('S').U32(1).U8(1));
  ASSERT_FALSE(start.ok());
  EXPECT_NE(start.status().message().find("Stream Start message with protocol version 1"), std::string::npos);

  PgOutputDecoder v2(2);
  EXPECT_FALSE(v2.Decode(Bytes('E')).ok());  // stop without start
  ASSERT_TRUE(v2.Decode(Bytes('S').U32(1).U8(0)).ok());
  EXPECT_FALSE(v2.Decode(Bytes('S').U32(1).U8(0)).ok());  // nested start
  EXPECT_FALSE(v2.Decode(Bytes('c').U32(1).U8(0).U64(1).U64(2).U64(3)).ok());  // commit inside
  EXPECT_TRUE(v2.in_stream());
}

TEST(PgOutput, UnknownTypeTrailingBytesAndBadTupleKinds) {
  PgOutputDecoder decoder;
  auto unknown = decoder.Decode(Bytes('Z').U32(1));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown message type 0x5a"), std::string::npos);
  EXPECT_FALSE(decoder.Decode("").ok());

  auto trailing = decoder.Decode(Bytes('B').U64(1).U64(1).U32(1).U8(0));
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.status().message().find("Begin message at offset 21: unexpected bytes"), std::string::npos)
      << trailing.status().ToString();

  ASSERT_TRUE(decoder.Decode(OrdersRelation()).ok());
  auto kind = decoder.Decode(Bytes('I').U32(kOrders).U8('N').U16(1).U8('x'));
  ASSERT_FALSE(kind.ok());
  EXPECT_NE(kind.status().message().find("unknown kind 0x78 of column 0"), std::string::npos);
  auto negative = decoder.Decode(Bytes('I').U32(kOrders).U8('N').U16(1).U8('t').U32(0xFFFFFFFF));
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("negative length -1"), std::string::npos);
  auto huge = decoder.Decode(Bytes('I').U32(kOrders).U8('N').U16(1).U8('t').U32(0x7FFFFFFF).Raw("ab"));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("truncated Insert message at offset 13"), std::string::npos)
      << huge.status().ToString();
}

// Every message type, cut at every byte: an error naming the type and an offset, never a crash
// or a read past the end (run under ASan), and the decoder's state is unchanged.
TEST(PgOutput, TruncatedAtEveryOffsetIsAnError) {
  struct Case {
    std::string name;
    std::string bytes;
    bool in_stream;
  };
  Bytes update('U');
  update.U32(kUsers).U8('O');
  UsersTuple(update, "1", "old").U8('N');
  UsersTuple(update, "1", "new");
  Bytes streamed_insert('I');
  streamed_insert.U32(900).U32(kUsers).U8('N');
  UsersTuple(streamed_insert, "1", "x");
  const std::vector<Case> cases = {
      {"Begin", Bytes('B').U64(1).U64(2).U32(3), false},
      {"Commit", Bytes('C').U8(0).U64(1).U64(2).U64(3), false},
      {"Origin", Bytes('O').U64(1).Str("o"), false},
      {"Relation", UsersRelation(), false},
      {"Type", Bytes('Y').U32(1).Str("s").Str("t"), false},
      {"Insert", Bytes('I').U32(kUsers).U8('N').U16(3).U8('t').U32(2).Raw("10").U8('n').U8('b').U32(1).Raw("z"), false},
      {"Update", update, false},
      {"Delete", Bytes('D').U32(kUsers).U8('K').U16(3).U8('t').U32(1).Raw("1").U8('n').U8('n'), false},
      {"Truncate", Bytes('T').U32(2).U8(1).U32(kUsers).U32(kOrders), false},
      {"Message", Bytes('M').U8(0).U64(1).Str("p").U32(3).Raw("abc"), false},
      {"Stream Start", Bytes('S').U32(900).U8(1), false},
      {"Stream Commit", Bytes('c').U32(900).U8(0).U64(1).U64(2).U64(3), false},
      {"Stream Abort", Bytes('A').U32(900).U32(900), false},
      {"Relation", UsersRelation('d', 900), true},
      {"Insert", streamed_insert, true},
  };
  for (const Case& c : cases) {
    PgOutputDecoder decoder(2);
    ASSERT_TRUE(decoder.Decode(OrdersRelation()).ok());
    if (c.name != "Relation") {
      ASSERT_TRUE(decoder.Decode(UsersRelation()).ok());
    }
    if (c.in_stream) {
      ASSERT_TRUE(decoder.Decode(Bytes('S').U32(900).U8(0)).ok());
    }
    // The whole message decodes (so the cuts below fail only because they are cut).
    {
      PgOutputDecoder copy = decoder;
      auto whole = copy.Decode(c.bytes);
      ASSERT_TRUE(whole.ok()) << c.name << ": " << whole.status().ToString();
      EXPECT_EQ(PgMessageName(*whole), c.name);
    }
    for (size_t length = 0; length < c.bytes.size(); ++length) {
      // A copy of the prefix alone in its own buffer, so ASan sees any read past it.
      std::vector<char> prefix(c.bytes.begin(), c.bytes.begin() + static_cast<std::ptrdiff_t>(length));
      auto result = decoder.Decode(std::string_view(prefix.data(), prefix.size()));
      ASSERT_FALSE(result.ok()) << c.name << " cut to " << length << " bytes decoded";
      EXPECT_EQ(result.status().failure_type(), FailureType::kSystem);
      if (length > 0) {
        EXPECT_NE(result.status().message().find(c.name + " message at offset"), std::string::npos)
            << c.name << " cut to " << length << ": " << result.status().ToString();
      }
    }
    EXPECT_EQ(decoder.in_stream(), c.in_stream) << c.name;
    if (c.name == "Relation") {
      EXPECT_EQ(decoder.FindRelation(kUsers), nullptr);
    }
  }
}

TEST(PgOutput, RandomCorruptionNeverCrashes) {
  std::mt19937 random(15);
  Bytes update('U');
  update.U32(kUsers).U8('O');
  UsersTuple(update, "1", "old").U8('N');
  UsersTuple(update, "1", "new");
  const std::vector<std::string> seeds = {UsersRelation(), update, Bytes('T').U32(1).U8(0).U32(kUsers),
                                          Bytes('M').U8(0).U64(1).Str("p").U32(3).Raw("abc")};
  int decoded = 0;
  for (int round = 0; round < 20000; ++round) {
    PgOutputDecoder decoder(2);
    ASSERT_TRUE(decoder.Decode(UsersRelation()).ok());
    std::string bytes = seeds[random() % seeds.size()];
    for (int flips = 1 + random() % 3; flips > 0; --flips) bytes[random() % bytes.size()] = static_cast<char>(random());
    std::vector<char> buffer(bytes.begin(), bytes.end());
    decoded += decoder.Decode(std::string_view(buffer.data(), buffer.size())).ok();
  }
  EXPECT_GT(decoded, 0);  // some corruptions are still valid messages; none crashed
}

}  // namespace
}  // namespace sluice
