#include "connectors/sources/postgres/pg_types.h"


#include "postgres/pg_connection.h"

namespace sluice {

namespace {

using pgbin::Decoder;

// Built-in type oids (fixed in pg_type.dat since forever).
enum BuiltinOid : uint32_t {
  kBoolOid = 16,
  kByteaOid = 17,
  kNameOid = 19,
  kInt8Oid = 20,
  kInt2Oid = 21,
  kInt4Oid = 23,
  kTextOid = 25,
  kOidOid = 26,
  kJsonOid = 114,
  kFloat4Oid = 700,
  kFloat8Oid = 701,
  kBpcharOid = 1042,
  kVarcharOid = 1043,
  kDateOid = 1082,
  kTimeOid = 1083,
  kTimestampOid = 1114,
  kTimestampTzOid = 1184,
  kTimeTzOid = 1266,
  kNumericOid = 1700,
  kUuidOid = 2950,
  kJsonbOid = 3802,
  kInetOid = 869,
  kCidrOid = 650,
};

constexpr int kMaxDomainDepth = 32;

PgColumnType Make(TypeId type, Decoder decoder, bool cursor_ok) {
  PgColumnType t;
  t.type = type;
  t.decoder = decoder;
  t.cursor_ok = cursor_ok;
  return t;
}

PgColumnType TextCast() {
  PgColumnType t = Make(TypeId::kString, Decoder::kText, false);
  t.cast = "::text";
  return t;
}


}  // namespace

bool NumericPrecisionScale(int32_t typmod, int& precision, int& scale) {
  if (typmod < 4) return false;  // -1: unbounded
  const int32_t t = typmod - 4;
  precision = (t >> 16) & 0xFFFF;
  // PostgreSQL 15 stores the scale in 11 bits, sign-extended.
  scale = ((t & 0x7FF) ^ 1024) - 1024;
  if (scale < 0) {
    precision -= scale;
    scale = 0;
  }
  if (scale > precision) precision = scale;
  return precision > 0;
}

Json PgColumnType::JsonSchema(bool nullable) const {
  Json s = JsonSchemaForType(type, nullable);
  if (decoder == Decoder::kArray) {
    s["type"] = nullable ? Json::array({"null", "array"}) : Json("array");
    PgColumnType item;
    item.type = element_type;
    item.decoder = element;
    s["items"] = item.JsonSchema(true);
    return s;
  }
  if (type == TypeId::kDecimal && precision > 0) {
    s["precision"] = precision;
    s["scale"] = scale;
  }
  if (uuid) s["format"] = "uuid";
  return s;
}

Result<PgTypeCatalog> PgTypeCatalog::Load(PgConnection& conn) {
  SLUICE_ASSIGN_OR_RETURN(
      PgResult r, conn.Query("SELECT oid, typtype, typcategory, typbasetype, typtypmod, typelem, typlen "
                             "FROM pg_catalog.pg_type WHERE typtype <> 'c'"));
  PgTypeCatalog catalog;
  catalog.types_.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    TypeRow row;
    row.typtype = r.Get(i, 1).empty() ? 'b' : r.Get(i, 1)[0];
    row.category = r.Get(i, 2).empty() ? 'U' : r.Get(i, 2)[0];
    row.base = ParseCatalogNumber<uint32_t>(r.Get(i, 3));
    row.typmod = ParseCatalogNumber<int32_t>(r.Get(i, 4));
    row.element = ParseCatalogNumber<uint32_t>(r.Get(i, 5));
    row.length = static_cast<int16_t>(ParseCatalogNumber<int32_t>(r.Get(i, 6)));
    catalog.types_[ParseCatalogNumber<uint32_t>(r.Get(i, 0))] = row;
  }
  return catalog;
}

uint32_t PgTypeCatalog::BaseOf(uint32_t oid, int32_t& typmod) const {
  for (int depth = 0; depth < kMaxDomainDepth; ++depth) {
    auto it = types_.find(oid);
    if (it == types_.end() || it->second.typtype != 'd') return oid;
    if (typmod < 0) typmod = it->second.typmod;
    oid = it->second.base;
  }
  return oid;
}

PgColumnType PgTypeCatalog::ResolveScalar(uint32_t oid, int32_t typmod) const {
  oid = BaseOf(oid, typmod);
  switch (oid) {
    case kBoolOid: return Make(TypeId::kBoolean, Decoder::kBool, false);
    case kInt2Oid: return Make(TypeId::kInteger, Decoder::kInt2, true);
    case kInt4Oid: return Make(TypeId::kInteger, Decoder::kInt4, true);
    case kInt8Oid: return Make(TypeId::kInteger, Decoder::kInt8, true);
    case kOidOid: return Make(TypeId::kInteger, Decoder::kOid, true);
    case kFloat4Oid: return Make(TypeId::kNumber, Decoder::kFloat4, true);
    case kFloat8Oid: return Make(TypeId::kNumber, Decoder::kFloat8, true);
    case kNumericOid: {
      PgColumnType t = Make(TypeId::kDecimal, Decoder::kNumeric, true);
      if (!NumericPrecisionScale(typmod, t.precision, t.scale)) t.precision = t.scale = -1;
      return t;
    }
    case kTextOid:
    case kVarcharOid:
    case kBpcharOid:
    case kNameOid: return Make(TypeId::kString, Decoder::kText, true);
    case kUuidOid: {
      PgColumnType t = Make(TypeId::kString, Decoder::kUuid, true);
      t.uuid = true;
      return t;
    }
    case kByteaOid: return Make(TypeId::kBinary, Decoder::kBytea, false);
    // inet::text always shows the prefix length, unlike inet's output: decode the binary form.
    case kInetOid:
    case kCidrOid: return Make(TypeId::kString, Decoder::kInet, false);
    case kJsonOid: return Make(TypeId::kJson, Decoder::kJson, false);
    case kJsonbOid: return Make(TypeId::kJson, Decoder::kJsonb, false);
    case kDateOid: return Make(TypeId::kDate, Decoder::kDate, true);
    case kTimeOid: return Make(TypeId::kTimeNoTz, Decoder::kTime, true);
    // timetz orders equal instants by zone, which the UTC value does not keep: no cursor.
    case kTimeTzOid: return Make(TypeId::kTimeTz, Decoder::kTimeTz, false);
    case kTimestampOid: return Make(TypeId::kTimestampNoTz, Decoder::kTimestamp, true);
    case kTimestampTzOid: return Make(TypeId::kTimestampTz, Decoder::kTimestampTz, true);
    default: break;
  }
  auto it = types_.find(oid);
  // Enums send their label: binary text, ordered by the enum's declared order.
  if (it != types_.end() && it->second.typtype == 'e') return Make(TypeId::kString, Decoder::kText, true);
  return TextCast();
}

PgColumnType PgTypeCatalog::Resolve(uint32_t oid, int32_t typmod) const {
  const uint32_t base = BaseOf(oid, typmod);
  auto it = types_.find(base);
  const bool is_array = it != types_.end() && it->second.category == 'A' && it->second.element != 0 &&
                        it->second.length == -1 && it->second.typtype == 'b';
  if (!is_array) return ResolveScalar(base, typmod);
  // An array column's atttypmod is its element's modifier.
  PgColumnType element = ResolveScalar(it->second.element, typmod);
  PgColumnType t = Make(TypeId::kJson, Decoder::kArray, false);
  t.element = element.decoder;
  t.element_type = element.type;
  t.cast = element.cast.empty() ? std::string_view() : std::string_view("::text[]");
  return t;
}

}  // namespace sluice
