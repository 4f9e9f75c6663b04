#include "connectors/sources/mongodb/bson_json.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "base/text.h"
#include "base/time.h"

namespace sluice {

namespace {

constexpr int64_t kMaxSafeJsonInteger = (int64_t{1} << 53);
constexpr int64_t kMaxMillisForMicros = std::numeric_limits<int64_t>::max() / 1000;

std::string_view Utf8(const bson_iter_t* it) {
  uint32_t len = 0;
  const char* s = bson_iter_utf8(it, &len);
  return {s, len};
}

std::string OidHex(const bson_oid_t* oid) {
  char hex[25];
  bson_oid_to_string(oid, hex);
  return std::string(hex, 24);
}

bool IsUuid(bson_subtype_t subtype, uint32_t len) {
  return (subtype == BSON_SUBTYPE_UUID || subtype == BSON_SUBTYPE_UUID_DEPRECATED) && len == 16;
}

std::string UuidText(const uint8_t* b) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 15]);
  }
  return out;
}

//! libbson's Decimal128 text ("1.23E+5", "-0.001", "NaN") as plain decimal text ("123000",
//! "-0.001"); nullopt for NaN and the infinities. Very large exponents keep libbson's form.
std::optional<std::string> PlainDecimal(std::string_view s) {
  if (s == "NaN" || s == "Infinity" || s == "-Infinity" || s == "inf" || s == "-inf") return std::nullopt;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int64_t exponent = 0;
  const size_t e = s.find_first_of("eE");
  if (e != std::string_view::npos) {
    std::string_view x = s.substr(e + 1);
    if (!x.empty() && x[0] == '+') x.remove_prefix(1);
    if (std::from_chars(x.data(), x.data() + x.size(), exponent).ec != std::errc()) return std::string(s);
    s = s.substr(0, e);
  }
  std::string digits;
  int64_t scale = 0;  // digits after the point
  bool after_point = false;
  for (char c : s) {
    if (c == '.') {
      after_point = true;
    } else if (c >= '0' && c <= '9') {
      digits.push_back(c);
      if (after_point) ++scale;
    } else {
      return std::nullopt;
    }
  }
  if (digits.empty()) return std::nullopt;
  scale -= exponent;
  if (scale < -400 || scale > 400) return std::string(negative ? "-" : "") + std::string(s) + "E" + std::to_string(exponent);
  if (scale < 0) {
    digits.append(static_cast<size_t>(-scale), '0');
    scale = 0;
  }
  if (static_cast<int64_t>(digits.size()) <= scale) digits.insert(0, static_cast<size_t>(scale - digits.size() + 1), '0');
  std::string out;
  if (scale > 0) {
    out = digits.substr(0, digits.size() - scale) + "." + digits.substr(digits.size() - scale);
  } else {
    out = digits;
  }
  // Leading zeros of the integer part (keep one).
  size_t z = 0;
  while (z + 1 < out.size() && out[z] == '0' && out[z + 1] != '.') ++z;
  out.erase(0, z);
  const bool zero = out.find_first_not_of("0.") == std::string::npos;
  return (negative && !zero ? "-" : "") + out;
}

std::string DecimalText(const bson_iter_t* it) {
  bson_decimal128_t dec;
  bson_iter_decimal128(it, &dec);
  char text[BSON_DECIMAL128_STRING];
  bson_decimal128_to_string(&dec, text);
  return text;
}

std::string DateText(int64_t ms) {
  std::string out;
  AppendTimestamp(out, ms * 1000, /*utc=*/true);
  return out;
}

std::string DoubleText(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", d);
}

Json DocumentJson(const bson_iter_t* it, bool array) {
  bson_iter_t child;
  Json out = array ? Json::array() : Json::object();
  if (!bson_iter_recurse(it, &child)) return out;
  while (bson_iter_next(&child)) {
    if (array) {
      out.push_back(BsonValueToJson(&child));
    } else {
      out[bson_iter_key(&child)] = BsonValueToJson(&child);
    }
  }
  return out;
}

}  // namespace

Json BsonValueToJson(const bson_iter_t* it) {
  switch (bson_iter_type(it)) {
    case BSON_TYPE_DOUBLE: {
      const double d = bson_iter_double(it);
      if (!std::isfinite(d)) return DoubleText(d);
      return d;
    }
    case BSON_TYPE_UTF8:
      return std::string(Utf8(it));
    case BSON_TYPE_DOCUMENT:
      return DocumentJson(it, false);
    case BSON_TYPE_ARRAY:
      return DocumentJson(it, true);
    case BSON_TYPE_BINARY: {
      bson_subtype_t subtype;
      uint32_t len = 0;
      const uint8_t* data = nullptr;
      bson_iter_binary(it, &subtype, &len, &data);
      if (IsUuid(subtype, len)) return UuidText(data);
      return Base64Encode(std::string_view(reinterpret_cast<const char*>(data), len));
    }
    case BSON_TYPE_UNDEFINED:
    case BSON_TYPE_NULL:
      return nullptr;
    case BSON_TYPE_OID:
      return OidHex(bson_iter_oid(it));
    case BSON_TYPE_BOOL:
      return bson_iter_bool(it);
    case BSON_TYPE_DATE_TIME: {
      const int64_t ms = bson_iter_date_time(it);
      if (ms > kMaxMillisForMicros || ms < -kMaxMillisForMicros) {
        return Json{{"$date", {{"$numberLong", std::to_string(ms)}}}};
      }
      return DateText(ms);
    }
    case BSON_TYPE_REGEX: {
      const char* options = nullptr;
      const char* pattern = bson_iter_regex(it, &options);
      return Json{{"pattern", pattern ? pattern : ""}, {"options", options ? options : ""}};
    }
    case BSON_TYPE_DBPOINTER: {
      uint32_t len = 0;
      const char* coll = nullptr;
      const bson_oid_t* oid = nullptr;
      bson_iter_dbpointer(it, &len, &coll, &oid);
      return Json{{"$ref", std::string(coll, len)}, {"$id", OidHex(oid)}};
    }
    case BSON_TYPE_CODE: {
      uint32_t len = 0;
      const char* code = bson_iter_code(it, &len);
      return std::string(code, len);
    }
    case BSON_TYPE_SYMBOL: {
      uint32_t len = 0;
      const char* s = bson_iter_symbol(it, &len);
      return std::string(s, len);
    }
    case BSON_TYPE_CODEWSCOPE: {
      uint32_t len = 0, scope_len = 0;
      const uint8_t* scope = nullptr;
      const char* code = bson_iter_codewscope(it, &len, &scope_len, &scope);
      bson_t s;
      Json scope_json = Json::object();
      if (bson_init_static(&s, scope, scope_len)) scope_json = BsonDocumentToJson(&s);
      return Json{{"code", std::string(code, len)}, {"scope", std::move(scope_json)}};
    }
    case BSON_TYPE_INT32:
      return bson_iter_int32(it);
    case BSON_TYPE_INT64: {
      const int64_t v = bson_iter_int64(it);
      if (v > kMaxSafeJsonInteger || v < -kMaxSafeJsonInteger) return std::to_string(v);
      return v;
    }
    case BSON_TYPE_TIMESTAMP: {
      uint32_t t = 0, i = 0;
      bson_iter_timestamp(it, &t, &i);
      return Json{{"t", t}, {"i", i}};
    }
    case BSON_TYPE_DECIMAL128: {
      const std::string text = DecimalText(it);
      auto plain = PlainDecimal(text);
      return plain ? *plain : text;
    }
    case BSON_TYPE_MINKEY:
      return Json{{"$minKey", 1}};
    case BSON_TYPE_MAXKEY:
      return Json{{"$maxKey", 1}};
    default:
      return nullptr;
  }
}

Json BsonDocumentToJson(const bson_t* doc) { return BsonDocumentToJson(doc, {}); }

Json BsonDocumentToJson(const bson_t* doc, std::string_view skip) {
  Json out = Json::object();
  bson_iter_t it;
  if (!bson_iter_init(&it, doc)) return out;
  while (bson_iter_next(&it)) {
    const char* key = bson_iter_key(&it);
    if (!skip.empty() && skip == key) continue;
    out[key] = BsonValueToJson(&it);
  }
  return out;
}

std::optional<TypeId> BsonColumnType(const bson_iter_t* it) {
  switch (bson_iter_type(it)) {
    case BSON_TYPE_DOUBLE:
      return TypeId::kNumber;
    case BSON_TYPE_UTF8:
    case BSON_TYPE_SYMBOL:
    case BSON_TYPE_CODE:
    case BSON_TYPE_OID:
      return TypeId::kString;
    case BSON_TYPE_BINARY: {
      bson_subtype_t subtype;
      uint32_t len = 0;
      const uint8_t* data = nullptr;
      bson_iter_binary(it, &subtype, &len, &data);
      return IsUuid(subtype, len) ? TypeId::kString : TypeId::kBinary;
    }
    case BSON_TYPE_BOOL:
      return TypeId::kBoolean;
    case BSON_TYPE_DATE_TIME:
      return TypeId::kTimestampTz;
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
      return TypeId::kInteger;
    case BSON_TYPE_DECIMAL128:
      return TypeId::kDecimal;
    case BSON_TYPE_NULL:
    case BSON_TYPE_UNDEFINED:
    case BSON_TYPE_EOD:
      return std::nullopt;
    default:  // documents, arrays, regex, DBPointer, code with scope, timestamps, MinKey/MaxKey
      return TypeId::kJson;
  }
}

void AppendBsonValue(const bson_iter_t* it, size_t column, RecordBatch& batch) {
  Column& col = batch.column(column);
  const bson_type_t t = bson_iter_type(it);
  if (t == BSON_TYPE_NULL || t == BSON_TYPE_UNDEFINED) {
    col.AppendNull();
    return;
  }
  auto mismatch = [&] {
    col.AppendNull();
    batch.AddChange(batch.schema().field(column).name, ChangeKind::kNulled, ChangeReason::kSourceSerializationError);
  };
  switch (col.type()) {
    case TypeId::kBoolean:
      if (t == BSON_TYPE_BOOL) return col.AppendBool(bson_iter_bool(it));
      return mismatch();
    case TypeId::kInteger:
      if (t == BSON_TYPE_INT32) return col.AppendInt64(bson_iter_int32(it));
      if (t == BSON_TYPE_INT64) return col.AppendInt64(bson_iter_int64(it));
      if (t == BSON_TYPE_DOUBLE) {
        const double d = bson_iter_double(it);
        if (std::trunc(d) == d && d >= -9.2e18 && d <= 9.2e18) return col.AppendInt64(static_cast<int64_t>(d));
      }
      return mismatch();
    case TypeId::kNumber:
      if (t == BSON_TYPE_DOUBLE) return col.AppendDouble(bson_iter_double(it));
      if (t == BSON_TYPE_INT32) return col.AppendDouble(bson_iter_int32(it));
      if (t == BSON_TYPE_INT64) return col.AppendDouble(static_cast<double>(bson_iter_int64(it)));
      if (t == BSON_TYPE_DECIMAL128) {
        const std::string text = DecimalText(it);
        char* end = nullptr;
        const double d = std::strtod(text.c_str(), &end);
        if (end != text.c_str() && *end == '\0') return col.AppendDouble(d);
      }
      return mismatch();
    case TypeId::kDecimal: {
      std::optional<std::string> text;
      if (t == BSON_TYPE_DECIMAL128) text = PlainDecimal(DecimalText(it));
      if (t == BSON_TYPE_INT32) text = std::to_string(bson_iter_int32(it));
      if (t == BSON_TYPE_INT64) text = std::to_string(bson_iter_int64(it));
      if (t == BSON_TYPE_DOUBLE && std::isfinite(bson_iter_double(it))) {
        text = PlainDecimal(fmt::format("{}", bson_iter_double(it)));
      }
      if (text) return col.AppendBytes(*text);
      return mismatch();
    }
    case TypeId::kTimestampTz:
    case TypeId::kTimestampNoTz:
      if (t == BSON_TYPE_DATE_TIME) {
        const int64_t ms = bson_iter_date_time(it);
        if (ms <= kMaxMillisForMicros && ms >= -kMaxMillisForMicros) return col.AppendInt64(ms * 1000);
      }
      return mismatch();
    case TypeId::kBinary:
      if (t == BSON_TYPE_BINARY) {
        bson_subtype_t subtype;
        uint32_t len = 0;
        const uint8_t* data = nullptr;
        bson_iter_binary(it, &subtype, &len, &data);
        return col.AppendBytes(std::string_view(reinterpret_cast<const char*>(data), len));
      }
      return mismatch();
    case TypeId::kString: {
      if (t == BSON_TYPE_UTF8) return col.AppendBytes(Utf8(it));
      const Json j = BsonValueToJson(it);
      if (j.is_string()) return col.AppendBytes(j.get_ref<const std::string&>());
      return col.AppendBytes(j.dump());
    }
    case TypeId::kJson:
      return col.AppendBytes(BsonValueToJson(it).dump());
    default:
      return mismatch();
  }
}

std::optional<MongoIdText> MongoIdOf(const bson_iter_t* it) {
  switch (bson_iter_type(it)) {
    case BSON_TYPE_OID:
      return MongoIdText{OidHex(bson_iter_oid(it)), "OBJECT_ID"};
    case BSON_TYPE_INT32:
      return MongoIdText{std::to_string(bson_iter_int32(it)), "INT"};
    case BSON_TYPE_INT64:
      return MongoIdText{std::to_string(bson_iter_int64(it)), "LONG"};
    case BSON_TYPE_UTF8:
      return MongoIdText{std::string(Utf8(it)), "STRING"};
    default:
      return std::nullopt;
  }
}

bool AppendMongoId(bson_t* doc, const char* key, const MongoIdText& id) {
  if (id.type == "OBJECT_ID") {
    if (!bson_oid_is_valid(id.text.c_str(), id.text.size()) || id.text.size() != 24) return false;
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, id.text.c_str());
    return bson_append_oid(doc, key, -1, &oid);
  }
  if (id.type == "INT" || id.type == "LONG") {
    int64_t v = 0;
    auto r = std::from_chars(id.text.data(), id.text.data() + id.text.size(), v);
    if (r.ec != std::errc() || r.ptr != id.text.data() + id.text.size()) return false;
    if (id.type == "INT") {
      if (v < INT32_MIN || v > INT32_MAX) return false;
      return bson_append_int32(doc, key, -1, static_cast<int32_t>(v));
    }
    return bson_append_int64(doc, key, -1, v);
  }
  if (id.type == "STRING") return bson_append_utf8(doc, key, -1, id.text.c_str(), static_cast<int>(id.text.size()));
  return false;
}

}  // namespace sluice
