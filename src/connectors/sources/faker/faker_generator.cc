#include "connectors/sources/faker/faker_generator.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#include "base/time.h"
#include "connectors/sources/faker/faker_data.h"
#include "protocol/codec.h"

namespace sluice::faker {

enum class RowWriter::FieldId : uint8_t {
  kId,
  kCreatedAt,
  kUpdatedAt,
  // users
  kName,
  kTitle,
  kAge,
  kEmail,
  kTelephone,
  kGender,
  kLanguage,
  kAcademicDegree,
  kNationality,
  kOccupation,
  kHeight,
  kBloodType,
  kWeight,
  kAddress,
  kTags,
  // products
  kMake,
  kModel,
  kYear,
  kPrice,
  // purchases
  kUserId,
  kProductId,
  kAddedToCartAt,
  kPurchasedAt,
  kReturnedAt,
};

namespace {

using FieldId = RowWriter::FieldId;

// ---- Hashing ------------------------------------------------------------------------------

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

//! splitmix64's finaliser: a bijective mixer whose output bits all depend on every input bit.
inline uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

//! The independent hash of one field of a row.
inline uint64_t FieldHash(uint64_t row, FieldId field) {
  return Mix(row ^ ((static_cast<uint64_t>(field) + 1) * 0xd1b54a32d192ed03ULL));
}

//! Uniform in [0, n) from the high bits of `h` (Lemire's multiply-shift).
inline uint64_t Uniform(uint64_t h, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(h) * n) >> 64);
}

template <typename T>
inline const T& Pick(std::span<const T> list, uint64_t h) {
  return list[Uniform(h, list.size())];
}

// ---- Time layout --------------------------------------------------------------------------
// A stream's records occupy one second each (purchases: one second per user, split into
// kPurchaseStep-wide sub-slots), so timestamps grow strictly with the id and a cursor maps back
// to the slot it came from.

constexpr int64_t kSecond = kMicrosPerSecond;
constexpr int64_t kDay = kMicrosPerDay;
constexpr int64_t kEpoch2019 = 1546300800 * kSecond;  // 2019-01-01T00:00:00Z
constexpr int64_t kEpoch2020 = 1577836800 * kSecond;  // 2020-01-01T00:00:00Z
constexpr int64_t kPurchaseStep = kSecond / (kMaxPurchasesPerUser + 1);

struct Timing {
  int64_t created_base;
  int64_t updated_base;  //!< created_base + how long after creation the record was last updated
};

constexpr Timing TimingOf(StreamKind kind) {
  switch (kind) {
    case StreamKind::kUsers: return {kEpoch2020, kEpoch2020 + kDay};
    case StreamKind::kProducts: return {kEpoch2019, kEpoch2019 + kDay};
    // A day after the user signed up; updated after any return window closed.
    case StreamKind::kPurchases: return {kEpoch2020 + kDay, kEpoch2020 + 46 * kDay};
  }
  return {0, 0};
}

inline int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// ---- Text helpers -------------------------------------------------------------------------

//! Builds a value of at most kMax bytes in a stack buffer through a raw pointer: words are
//! copied with one fixed-size move each (no per-piece call, no zero-filling); the destructor
//! appends the result to `out` in one piece. kMax must also cover the Word::kCapacity bytes a
//! word copy may touch.
template <size_t kMax>
class RawAppender {
 public:
  explicit RawAppender(std::string& out) : out_(out), p_(buf_) {}
  ~RawAppender() { out_.append(buf_, static_cast<size_t>(p_ - buf_)); }
  RawAppender(const RawAppender&) = delete;
  RawAppender& operator=(const RawAppender&) = delete;

  void Put(const Word& w) {
    std::memcpy(p_, w.padded(), Word::kCapacity);
    p_ += w.size();
  }
  //! The word with its first letter lower-cased ("Mary" -> "mary").
  void PutLowerInitial(const Word& w) {
    char* at = p_;
    Put(w);
    if (*at >= 'A' && *at <= 'Z') *at = static_cast<char>(*at - 'A' + 'a');
  }
  template <size_t N>
  void Literal(const char (&text)[N]) {
    std::memcpy(p_, text, N - 1);
    p_ += N - 1;
  }
  void Char(char c) { *p_++ = c; }
  void Uint(uint64_t v) { p_ = std::to_chars(p_, p_ + 20, v).ptr; }
  //! Exactly `width` digits of `v`, zero-padded.
  void Digits(uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      p_[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    p_ += width;
  }

 private:
  std::string& out_;
  char* p_;
  char buf_[kMax];
};

// Upper bounds for RawAppender (a word advances at most kWordMax, touches Word::kCapacity).
constexpr size_t kWordMax = Word::kCapacity - 1;
constexpr size_t kNameMax = 2 * kWordMax + 1 + Word::kCapacity;
constexpr size_t kEmailMax = 3 * kWordMax + 3 + 20 + Word::kCapacity;
constexpr size_t kTelephoneMax = 16;
constexpr size_t kAddressMax = 128 + 6 * kWordMax + 4 + 5 + Word::kCapacity;
constexpr size_t kTagsMax = 2 + 4 * (kWordMax + 3) + Word::kCapacity;

// ---- Field values ---------------------------------------------------------------------------

struct Name {
  const Word& first;
  const Word& last;
};

inline Name NameOf(uint64_t row) {
  const uint64_t h = FieldHash(row, FieldId::kName);
  return {kFirstNames[((h & 0xffffffffULL) * kFirstNames.size()) >> 32],
          kLastNames[((h >> 32) * kLastNames.size()) >> 32]};
}

void BuildName(std::string& out, uint64_t row) {
  const Name name = NameOf(row);
  RawAppender<kNameMax> a(out);
  a.Put(name.first);
  a.Char(' ');
  a.Put(name.last);
}

//! "mary.smith+42@example.com": unique through the id, as Airbyte's faker does.
void BuildEmail(std::string& out, uint64_t row, int64_t id) {
  const Name name = NameOf(row);
  RawAppender<kEmailMax> a(out);
  a.PutLowerInitial(name.first);
  a.Char('.');
  a.PutLowerInitial(name.last);
  a.Char('+');
  a.Uint(static_cast<uint64_t>(id));
  a.Char('@');
  a.Put(Pick(kEmailDomains, FieldHash(row, FieldId::kEmail)));
}

//! "+1-415-555-0123" (North American numbering plan).
void BuildTelephone(std::string& out, uint64_t row) {
  const uint64_t h = FieldHash(row, FieldId::kTelephone);
  const uint64_t local = (h & 0xffffffffULL) % 10'000'000;
  RawAppender<kTelephoneMax> a(out);
  a.Literal("+1-");
  a.Digits(200 + Uniform(h, 800), 3);
  a.Char('-');
  a.Digits(local / 10'000, 3);
  a.Char('-');
  a.Digits(local % 10'000, 4);
}

void BuildAddress(std::string& out, uint64_t row) {
  const uint64_t h = FieldHash(row, FieldId::kAddress);
  const uint64_t h2 = Mix(h);
  const Location& loc = Pick(kLocations, h);
  RawAppender<kAddressMax> a(out);
  a.Literal(R"({"street_number":")");
  a.Uint(1 + ((h2 & 0xffff) % 9999));
  a.Literal(R"(","street_name":")");
  a.Put(kStreetNames[((h2 >> 16 & 0xffff) * kStreetNames.size()) >> 16]);
  a.Char(' ');
  a.Put(kStreetSuffixes[((h2 >> 32 & 0xffff) * kStreetSuffixes.size()) >> 16]);
  a.Literal(R"(","city":")");
  a.Put(loc.city);
  a.Literal(R"(","state":")");
  a.Put(loc.state);
  a.Literal(R"(","province":")");
  a.Put(loc.province);
  a.Literal(R"(","postal_code":")");
  a.Digits(10000 + ((h2 >> 48) * 90000 >> 16), 5);
  a.Literal(R"(","country_code":")");
  a.Put(loc.country_code);
  a.Literal(R"("})");
}

//! 0..4 distinct tags: ["vip","eu"].
void BuildTags(std::string& out, uint64_t row) {
  const uint64_t h = FieldHash(row, FieldId::kTags);
  const uint64_t n = kTags.size();
  const uint64_t count = Uniform(h, 5);
  const uint64_t start = ((h & 0xffffffffULL) * n) >> 32;
  // 3 * stride < n, so the (at most 4) picks are distinct and wrap around at most once.
  const uint64_t stride = 1 + ((((h >> 32) & 0xffff) * ((n - 1) / 3 - 1)) >> 16);
  RawAppender<kTagsMax> a(out);
  a.Char('[');
  uint64_t at = start;
  for (uint64_t i = 0; i < count; ++i) {
    if (i) a.Char(',');
    a.Char('"');
    a.Put(kTags[at]);
    a.Char('"');
    at += stride;
    if (at >= n) at -= n;
  }
  a.Char(']');
}

//! 1.50 .. 2.05 m in whole centimetres (a table: a division per row is slow).
constexpr auto kHeights = [] {
  std::array<double, 56> heights{};
  for (size_t i = 0; i < heights.size(); ++i) heights[i] = static_cast<double>(150 + i) / 100.0;
  return heights;
}();

const CarModel& CarOf(uint64_t row) { return Pick(kCarModels, FieldHash(row, FieldId::kModel)); }

// A purchase's life: added to the cart when created; 80% bought within two days (a twentieth of
// those with "buy now", skipping the cart); a tenth of the bought ones returned within a month.
struct PurchaseTimes {
  std::optional<int64_t> added_to_cart_at;
  std::optional<int64_t> purchased_at;
  std::optional<int64_t> returned_at;
};

PurchaseTimes PurchaseTimesOf(uint64_t row, int64_t created_at) {
  const uint64_t h = FieldHash(row, FieldId::kPurchasedAt);
  PurchaseTimes t;
  const uint64_t fate = Uniform(h, 1000);
  if (fate < 800) {
    t.purchased_at = created_at + 60 * kSecond + static_cast<int64_t>(Uniform(Mix(h), 2 * kDay));
    if (fate >= 40) t.added_to_cart_at = created_at;
    if (fate >= 720) t.returned_at = *t.purchased_at + kDay + static_cast<int64_t>(Uniform(Mix(h + 1), 30 * kDay));
  } else {
    t.added_to_cart_at = created_at;
  }
  return t;
}

// ---- Conversion (catalog type differs from what faker generates) ------------------------------

//! Appends a value of type `from` (integer/timestamp in `i`, number in `d`, text in `text`) to a
//! column of another type; null when no conversion makes sense.
void AppendConverted(Column& column, TypeId from, int64_t i, double d, std::string_view text) {
  const bool integral = from == TypeId::kInteger;
  const bool number = from == TypeId::kNumber;
  const bool timestamp = from == TypeId::kTimestampTz;
  auto append_number_text = [&](std::string& out) {
    char buf[32];
    auto end = integral ? std::to_chars(buf, buf + sizeof(buf), i).ptr : std::to_chars(buf, buf + sizeof(buf), d).ptr;
    out.append(buf, static_cast<size_t>(end - buf));
  };
  switch (column.type()) {
    case TypeId::kInteger:
      if (integral) return column.AppendInt64(i);
      if (number && std::isfinite(d)) return column.AppendInt64(std::llround(d));
      break;
    case TypeId::kNumber:
      if (integral) return column.AppendDouble(static_cast<double>(i));
      if (number) return column.AppendDouble(d);
      break;
    case TypeId::kDecimal:
      if (integral || number) {
        append_number_text(column.bytes());
        return column.CommitBytes();
      }
      break;
    case TypeId::kString:
    case TypeId::kBinary:
      if (integral || number) {
        append_number_text(column.bytes());
      } else if (timestamp) {
        AppendTimestamp(column.bytes(), i, /*utc=*/true);
      } else {
        column.bytes().append(text);
      }
      return column.CommitBytes();
    case TypeId::kJson:
      if (integral || number) {
        append_number_text(column.bytes());
      } else if (timestamp) {
        column.bytes().push_back('"');
        AppendTimestamp(column.bytes(), i, /*utc=*/true);
        column.bytes().push_back('"');
      } else if (from == TypeId::kString) {
        AppendJsonString(column.bytes(), text);
      } else {
        column.bytes().append(text);
      }
      return column.CommitBytes();
    case TypeId::kTimestampTz:
    case TypeId::kTimestampNoTz:
      if (timestamp) return column.AppendInt64(i);
      break;
    case TypeId::kDate:
      if (timestamp) return column.AppendInt32(static_cast<int32_t>(FloorDiv(i, kDay)));
      break;
    case TypeId::kTimeTz:
    case TypeId::kTimeNoTz:
      if (timestamp) return column.AppendInt64(i - FloorDiv(i, kDay) * kDay);
      break;
    case TypeId::kBoolean: break;
  }
  column.AppendNull();
}

// ---- Schemas ---------------------------------------------------------------------------------

struct FieldDef {
  std::string_view name;
  FieldId id;
  TypeId type;
  bool nullable;
};

constexpr FieldDef kUserFields[] = {
    {"id", FieldId::kId, TypeId::kInteger, false},
    {"created_at", FieldId::kCreatedAt, TypeId::kTimestampTz, false},
    {"updated_at", FieldId::kUpdatedAt, TypeId::kTimestampTz, false},
    {"name", FieldId::kName, TypeId::kString, false},
    {"title", FieldId::kTitle, TypeId::kString, false},
    {"age", FieldId::kAge, TypeId::kInteger, false},
    {"email", FieldId::kEmail, TypeId::kString, false},
    {"telephone", FieldId::kTelephone, TypeId::kString, false},
    {"gender", FieldId::kGender, TypeId::kString, false},
    {"language", FieldId::kLanguage, TypeId::kString, false},
    {"academic_degree", FieldId::kAcademicDegree, TypeId::kString, false},
    {"nationality", FieldId::kNationality, TypeId::kString, false},
    {"occupation", FieldId::kOccupation, TypeId::kString, false},
    {"height", FieldId::kHeight, TypeId::kNumber, false},
    {"blood_type", FieldId::kBloodType, TypeId::kString, false},
    {"weight", FieldId::kWeight, TypeId::kInteger, false},
    {"address", FieldId::kAddress, TypeId::kJson, false},
    {"tags", FieldId::kTags, TypeId::kJson, false},
};

constexpr FieldDef kProductFields[] = {
    {"id", FieldId::kId, TypeId::kInteger, false},
    {"make", FieldId::kMake, TypeId::kString, false},
    {"model", FieldId::kModel, TypeId::kString, false},
    {"year", FieldId::kYear, TypeId::kInteger, false},
    {"price", FieldId::kPrice, TypeId::kNumber, false},
    {"created_at", FieldId::kCreatedAt, TypeId::kTimestampTz, false},
    {"updated_at", FieldId::kUpdatedAt, TypeId::kTimestampTz, false},
};

constexpr FieldDef kPurchaseFields[] = {
    {"id", FieldId::kId, TypeId::kInteger, false},
    {"user_id", FieldId::kUserId, TypeId::kInteger, false},
    {"product_id", FieldId::kProductId, TypeId::kInteger, false},
    {"created_at", FieldId::kCreatedAt, TypeId::kTimestampTz, false},
    {"updated_at", FieldId::kUpdatedAt, TypeId::kTimestampTz, false},
    {"added_to_cart_at", FieldId::kAddedToCartAt, TypeId::kTimestampTz, true},
    {"purchased_at", FieldId::kPurchasedAt, TypeId::kTimestampTz, true},
    {"returned_at", FieldId::kReturnedAt, TypeId::kTimestampTz, true},
};

std::span<const FieldDef> FieldDefs(StreamKind kind) {
  switch (kind) {
    case StreamKind::kUsers: return kUserFields;
    case StreamKind::kProducts: return kProductFields;
    case StreamKind::kPurchases: return kPurchaseFields;
  }
  return {};
}

Json AddressJsonSchema() {
  Json props = Json::object();
  for (const char* name :
       {"street_number", "street_name", "city", "state", "province", "postal_code", "country_code"}) {
    props[name] = Json{{"type", "string"}};
  }
  return Json{{"type", "object"}, {"properties", std::move(props)}};
}

SchemaPtr BuildSchema(StreamKind kind) {
  std::vector<Field> fields;
  for (const FieldDef& def : FieldDefs(kind)) {
    Field f;
    f.name = std::string(def.name);
    f.type = def.type;
    f.nullable = def.nullable;
    if (def.id == FieldId::kAddress) f.json_schema = AddressJsonSchema();
    if (def.id == FieldId::kTags) f.json_schema = Json{{"type", "array"}, {"items", {{"type", "string"}}}};
    fields.push_back(std::move(f));
  }
  return std::make_shared<const Schema>(std::move(fields));
}

}  // namespace

// ---- Streams ---------------------------------------------------------------------------------

std::string_view StreamName(StreamKind kind) {
  switch (kind) {
    case StreamKind::kUsers: return "users";
    case StreamKind::kProducts: return "products";
    case StreamKind::kPurchases: return "purchases";
  }
  return "";
}

std::optional<StreamKind> FindStream(std::string_view name) {
  for (StreamKind kind : kAllStreams) {
    if (StreamName(kind) == name) return kind;
  }
  return std::nullopt;
}

SchemaPtr NativeSchema(StreamKind kind) {
  static const SchemaPtr kSchemas[] = {BuildSchema(StreamKind::kUsers), BuildSchema(StreamKind::kProducts),
                                       BuildSchema(StreamKind::kPurchases)};
  return kSchemas[static_cast<int>(kind)];
}

// ---- Generator -------------------------------------------------------------------------------

Generator::Generator(int64_t seed) {
  const uint64_t s = Mix(static_cast<uint64_t>(seed) ^ 0x5eed5eed5eed5eedULL);
  for (int i = 0; i < 3; ++i) stream_salt_[i] = Mix(s + static_cast<uint64_t>(i + 1) * kGolden);
  purchase_count_salt_ = Mix(s + 4 * kGolden);
}

uint64_t Generator::RowHash(StreamKind kind, int64_t id) const {
  return Mix(stream_salt_[static_cast<int>(kind)] + static_cast<uint64_t>(id) * kGolden);
}

int Generator::PurchaseCount(int64_t user_id) const {
  // P(0, 1, 2, 3) = 25%, 35%, 25%, 15%: 1.3 purchases per user on average.
  const uint64_t v = Uniform(Mix(purchase_count_salt_ + static_cast<uint64_t>(user_id) * kGolden), 100);
  return v < 25 ? 0 : v < 60 ? 1 : v < 85 ? 2 : 3;
}

namespace {
//! base + the record's slot + a jitter inside the slot, so order (and uniqueness) follows the id.
inline int64_t SlotTime(StreamKind kind, int64_t base, const RowKey& key, uint64_t h) {
  if (kind == StreamKind::kPurchases) {
    return base + key.user_id * kSecond + key.index * kPurchaseStep + static_cast<int64_t>(Uniform(h, kPurchaseStep));
  }
  return base + key.id * kSecond + static_cast<int64_t>(Uniform(h, kSecond));
}

//! CreatedAt given the record's RowHash.
inline int64_t CreatedAtOf(StreamKind kind, const RowKey& key, uint64_t row) {
  return SlotTime(kind, TimingOf(kind).created_base, key, FieldHash(row, FieldId::kCreatedAt));
}
}  // namespace

int64_t Generator::CreatedAt(StreamKind kind, const RowKey& key) const {
  return CreatedAtOf(kind, key, RowHash(kind, key.id));
}

int64_t Generator::UpdatedAt(StreamKind kind, const RowKey& key) const {
  return SlotTime(kind, TimingOf(kind).updated_base, key, FieldHash(RowHash(kind, key.id), FieldId::kUpdatedAt));
}

int64_t FirstSlotAfter(StreamKind kind, int64_t cursor) {
  const int64_t base = TimingOf(kind).updated_base;
  if (cursor < base + kSecond) return 1;
  return FloorDiv(cursor - base, kSecond);
}

// ---- RowWriter -------------------------------------------------------------------------------

RowWriter::RowWriter(StreamKind kind, const Generator& generator, const Schema& schema)
    : kind_(kind), generator_(generator) {
  for (const FieldDef& def : FieldDefs(kind)) {
    const int column = schema.IndexOf(def.name);
    if (column < 0) continue;
    const TypeId type = schema.field(static_cast<size_t>(column)).type;
    const bool text = def.type == TypeId::kString || def.type == TypeId::kJson;
    const bool native = type == def.type || (text && (type == TypeId::kString || type == TypeId::kBinary));
    slots_.push_back({def.id, native, static_cast<uint32_t>(column)});
  }
}

inline void RowWriter::PutInt(Column& column, const Slot& slot, int64_t value) {
  if (slot.native) return column.AppendInt64(value);
  AppendConverted(column, TypeId::kInteger, value, 0, {});
}

inline void RowWriter::PutDouble(Column& column, const Slot& slot, double value) {
  if (slot.native) return column.AppendDouble(value);
  AppendConverted(column, TypeId::kNumber, 0, value, {});
}

inline void RowWriter::PutTimestamp(Column& column, const Slot& slot, int64_t micros) {
  if (slot.native) return column.AppendInt64(micros);
  AppendConverted(column, TypeId::kTimestampTz, micros, 0, {});
}

inline void RowWriter::PutString(Column& column, const Slot& slot, std::string_view value) {
  if (slot.native) return column.AppendBytes(value);
  AppendConverted(column, TypeId::kString, 0, 0, value);
}

template <typename Build>
inline void RowWriter::PutBuilt(Column& column, const Slot& slot, TypeId native_type, Build&& build) {
  if (slot.native) {
    build(column.bytes());
    return column.CommitBytes();
  }
  scratch_.clear();
  build(scratch_);
  AppendConverted(column, native_type, 0, 0, scratch_);
}

void RowWriter::Write(const RowKey& key, int64_t updated_at, RecordBatch& batch) {
  switch (kind_) {
    case StreamKind::kUsers: WriteUser(key, updated_at, batch); break;
    case StreamKind::kProducts: WriteProduct(key, updated_at, batch); break;
    case StreamKind::kPurchases: WritePurchase(key, updated_at, batch); break;
  }
  batch.FinishRow();
}

void RowWriter::WriteUser(const RowKey& key, int64_t updated_at, RecordBatch& batch) {
  const uint64_t row = generator_.RowHash(StreamKind::kUsers, key.id);
  for (const Slot& slot : slots_) {
    Column& c = batch.column(slot.column);
    switch (slot.field) {
      case FieldId::kId: PutInt(c, slot, key.id); break;
      case FieldId::kCreatedAt: PutTimestamp(c, slot, CreatedAtOf(StreamKind::kUsers, key, row)); break;
      case FieldId::kUpdatedAt: PutTimestamp(c, slot, updated_at); break;
      case FieldId::kName: PutBuilt(c, slot, TypeId::kString, [&](std::string& out) { BuildName(out, row); }); break;
      case FieldId::kTitle: PutString(c, slot, Pick(kTitles, FieldHash(row, FieldId::kTitle)).view()); break;
      case FieldId::kAge: PutInt(c, slot, 18 + static_cast<int64_t>(Uniform(FieldHash(row, FieldId::kAge), 63))); break;
      case FieldId::kEmail:
        PutBuilt(c, slot, TypeId::kString, [&](std::string& out) { BuildEmail(out, row, key.id); });
        break;
      case FieldId::kTelephone:
        PutBuilt(c, slot, TypeId::kString, [&](std::string& out) { BuildTelephone(out, row); });
        break;
      case FieldId::kGender: PutString(c, slot, Pick(kGenders, FieldHash(row, FieldId::kGender)).view()); break;
      case FieldId::kLanguage: PutString(c, slot, Pick(kLanguages, FieldHash(row, FieldId::kLanguage)).view()); break;
      case FieldId::kAcademicDegree:
        PutString(c, slot, Pick(kAcademicDegrees, FieldHash(row, FieldId::kAcademicDegree)).view());
        break;
      case FieldId::kNationality:
        PutString(c, slot, Pick(kNationalities, FieldHash(row, FieldId::kNationality)).view());
        break;
      case FieldId::kOccupation: PutString(c, slot, Pick(kOccupations, FieldHash(row, FieldId::kOccupation)).view()); break;
      case FieldId::kHeight:
        PutDouble(c, slot, kHeights[Uniform(FieldHash(row, FieldId::kHeight), std::size(kHeights))]);
        break;
      case FieldId::kBloodType: PutString(c, slot, Pick(kBloodTypes, FieldHash(row, FieldId::kBloodType)).view()); break;
      case FieldId::kWeight:
        PutInt(c, slot, 45 + static_cast<int64_t>(Uniform(FieldHash(row, FieldId::kWeight), 76)));
        break;
      case FieldId::kAddress:
        PutBuilt(c, slot, TypeId::kJson, [&](std::string& out) { BuildAddress(out, row); });
        break;
      case FieldId::kTags: PutBuilt(c, slot, TypeId::kJson, [&](std::string& out) { BuildTags(out, row); }); break;
      default: break;
    }
  }
}

void RowWriter::WriteProduct(const RowKey& key, int64_t updated_at, RecordBatch& batch) {
  const uint64_t row = generator_.RowHash(StreamKind::kProducts, key.id);
  const CarModel& car = CarOf(row);
  for (const Slot& slot : slots_) {
    Column& c = batch.column(slot.column);
    switch (slot.field) {
      case FieldId::kId: PutInt(c, slot, key.id); break;
      case FieldId::kMake: PutString(c, slot, car.make.view()); break;
      case FieldId::kModel: PutString(c, slot, car.model.view()); break;
      case FieldId::kYear:
        PutInt(c, slot,
               car.first_year +
                   static_cast<int64_t>(Uniform(FieldHash(row, FieldId::kYear),
                                                static_cast<uint64_t>(car.last_year - car.first_year + 1))));
        break;
      case FieldId::kPrice: {
        // 80% .. 120% of the model's base price, whole cents.
        const uint64_t permille = 800 + Uniform(FieldHash(row, FieldId::kPrice), 401);
        const int64_t cents = static_cast<int64_t>(static_cast<uint64_t>(car.base_price) * permille / 10);
        PutDouble(c, slot, static_cast<double>(cents) / 100.0);
        break;
      }
      case FieldId::kCreatedAt: PutTimestamp(c, slot, CreatedAtOf(StreamKind::kProducts, key, row)); break;
      case FieldId::kUpdatedAt: PutTimestamp(c, slot, updated_at); break;
      default: break;
    }
  }
}

void RowWriter::WritePurchase(const RowKey& key, int64_t updated_at, RecordBatch& batch) {
  const uint64_t row = generator_.RowHash(StreamKind::kPurchases, key.id);
  const int64_t created_at = CreatedAtOf(StreamKind::kPurchases, key, row);
  const PurchaseTimes times = PurchaseTimesOf(row, created_at);
  auto put_optional = [&](Column& c, const Slot& slot, const std::optional<int64_t>& t) {
    if (t) return PutTimestamp(c, slot, *t);
    c.AppendNull();
  };
  for (const Slot& slot : slots_) {
    Column& c = batch.column(slot.column);
    switch (slot.field) {
      case FieldId::kId: PutInt(c, slot, key.id); break;
      case FieldId::kUserId: PutInt(c, slot, key.user_id); break;
      case FieldId::kProductId:
        PutInt(c, slot, 1 + static_cast<int64_t>(Uniform(FieldHash(row, FieldId::kProductId), kProductCount)));
        break;
      case FieldId::kCreatedAt: PutTimestamp(c, slot, created_at); break;
      case FieldId::kUpdatedAt: PutTimestamp(c, slot, updated_at); break;
      case FieldId::kAddedToCartAt: put_optional(c, slot, times.added_to_cart_at); break;
      case FieldId::kPurchasedAt: put_optional(c, slot, times.purchased_at); break;
      case FieldId::kReturnedAt: put_optional(c, slot, times.returned_at); break;
      default: break;
    }
  }
}

}  // namespace sluice::faker
