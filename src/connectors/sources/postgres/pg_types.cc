#include "connectors/sources/postgres/pg_types.h"


#include "connectors/sources/postgres/pg_dialect.h"
#include "postgres/pg_connection.h"

namespace sluice {

namespace {

using pgbin::Decoder;

//! numeric: the one built-in type whose modifier says more than its mapping.
constexpr uint32_t kNumericOid = 1700;

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
  // Built-in types: the dialect's table (pg_dialect.cc) gives the mapping and the decoder.
  if (const PgBuiltinType* builtin = FindPgBuiltinType(oid)) {
    PgColumnType t = Make(builtin->mapping.type, builtin->decoder, builtin->mapping.cursor_ok);
    t.uuid = builtin->mapping.format == "uuid";
    if (oid == kNumericOid && !NumericPrecisionScale(typmod, t.precision, t.scale)) t.precision = t.scale = -1;
    return t;
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
