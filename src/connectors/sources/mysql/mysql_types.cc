#include "connectors/sources/mysql/mysql_types.h"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>

#include "base/time.h"

namespace sluice {

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool StartsWithI(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && IEquals(s.substr(0, prefix.size()), prefix);
}

bool ContainsI(std::string_view s, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= s.size(); ++i) {
    if (IEquals(s.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

//! Digits at s[pos, pos+n) as an integer; -1 when not all digits.
int Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

//! "YYYY-MM-DD" at the start of `s` → days; nullopt for zero dates and invalid ones.
std::optional<int64_t> MySqlDate(std::string_view s) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const int y = Digits(s, 0, 4), m = Digits(s, 5, 2), d = Digits(s, 8, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1) return std::nullopt;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > kDays[m - 1]) return std::nullopt;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m == 2 && d == 29 && !leap) return std::nullopt;
  return DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

//! "YYYY-MM-DD HH:MM:SS[.f…]" → µs since the epoch (as wall clock).
std::optional<int64_t> MySqlDateTime(std::string_view s) {
  auto days = MySqlDate(s);
  if (!days) return std::nullopt;
  if (s.size() == 10) return *days * kMicrosPerDay;
  if (s.size() < 19 || s[10] != ' ' || s[13] != ':' || s[16] != ':') return std::nullopt;
  const int h = Digits(s, 11, 2), mi = Digits(s, 14, 2), se = Digits(s, 17, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59) return std::nullopt;
  int64_t micros = 0;
  if (s.size() > 19) {
    if (s[19] != '.' || s.size() > 26 || s.size() == 20) return std::nullopt;
    const size_t n = s.size() - 20;
    const int f = Digits(s, 20, n);
    if (f < 0) return std::nullopt;
    micros = f;
    for (size_t i = n; i < 6; ++i) micros *= 10;
  }
  return *days * kMicrosPerDay + ((h * 60 + mi) * 60 + se) * kMicrosPerSecond + micros;
}

void Nulled(Column& out, RecordBatch& batch, std::string_view field) {
  out.AppendNull();
  batch.AddChange(field, ChangeKind::kNulled, ChangeReason::kSourceSerializationError);
}

bool ValidDecimal(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  bool digits = false, dot = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      digits = true;
    } else if (s[i] == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digits;
}

// ---- WKB → WKT --------------------------------------------------------------------------------

class WkbReader {
 public:
  explicit WkbReader(std::string_view b) : b_(b) {}
  bool Geometry(std::string& out, bool tagged = true) {
    uint8_t order;
    uint32_t type;
    if (!Byte(order) || order > 1) return false;
    little_ = order == 1;
    if (!U32(type)) return false;
    type %= 1000;  // ISO Z/M codes are not produced by MySQL; keep the base type
    static constexpr const char* kNames[] = {"", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING",
                                             "MULTIPOLYGON", "GEOMETRYCOLLECTION"};
    if (type < 1 || type > 7) return false;
    if (tagged) out += kNames[type];
    switch (type) {
      case 1: {
        out += '(';
        if (!Point(out)) return false;
        out += ')';
        return true;
      }
      case 2: return Points(out);
      case 3: return Rings(out);
      case 4:
      case 5:
      case 6:
      case 7: {
        uint32_t n;
        if (!U32(n)) return false;
        if (n == 0) {
          out += type == 7 ? "()" : " EMPTY";
          return true;
        }
        out += '(';
        for (uint32_t i = 0; i < n; ++i) {
          if (i > 0) out += ',';
          if (type == 4) {  // MULTIPOINT((1 2),(3 4))? MySQL prints MULTIPOINT(1 2,3 4)
            std::string sub;
            if (!Geometry(sub, false)) return false;
            out += sub.substr(1, sub.size() - 2);
          } else {
            if (!Geometry(out, type == 7)) return false;
          }
        }
        out += ')';
        return true;
      }
    }
    return false;
  }
  bool AtEnd() const { return pos_ == b_.size(); }

 private:
  bool Byte(uint8_t& v) {
    if (pos_ + 1 > b_.size()) return false;
    v = static_cast<uint8_t>(b_[pos_++]);
    return true;
  }
  bool U32(uint32_t& v) {
    if (pos_ + 4 > b_.size()) return false;
    const auto* p = reinterpret_cast<const uint8_t*>(b_.data() + pos_);
    v = little_ ? (p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24)
                : (p[3] | p[2] << 8 | p[1] << 16 | static_cast<uint32_t>(p[0]) << 24);
    pos_ += 4;
    return true;
  }
  bool F64(double& v) {
    if (pos_ + 8 > b_.size()) return false;
    uint8_t raw[8];
    std::memcpy(raw, b_.data() + pos_, 8);
    if (!little_) std::reverse(raw, raw + 8);
    std::memcpy(&v, raw, 8);
    pos_ += 8;
    return true;
  }
  static void Coordinate(std::string& out, double v) {
    if (v == 0) v = 0;  // -0 prints as 0, as MySQL does
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, r.ptr);
  }
  bool Point(std::string& out) {
    double x, y;
    if (!F64(x) || !F64(y)) return false;
    Coordinate(out, x);
    out += ' ';
    Coordinate(out, y);
    return true;
  }
  bool Points(std::string& out) {
    uint32_t n;
    if (!U32(n) || n > (b_.size() - pos_) / 16) return false;
    out += '(';
    for (uint32_t i = 0; i < n; ++i) {
      if (i > 0) out += ',';
      if (!Point(out)) return false;
    }
    out += ')';
    return true;
  }
  bool Rings(std::string& out) {
    uint32_t n;
    if (!U32(n) || n > (b_.size() - pos_) / 4) return false;
    out += '(';
    for (uint32_t i = 0; i < n; ++i) {
      if (i > 0) out += ',';
      if (!Points(out)) return false;
    }
    out += ')';
    return true;
  }

  std::string_view b_;
  size_t pos_ = 0;
  bool little_ = true;
};

const char* IconvName(std::string_view charset) {
  struct Row {
    std::string_view mysql;
    const char* iconv;
  };
  // MySQL's latin1 is Windows-1252 (0x80–0x9F are printable there).
  static constexpr Row kRows[] = {
      {"latin1", "CP1252"},   {"latin2", "ISO-8859-2"}, {"latin5", "ISO-8859-9"}, {"latin7", "ISO-8859-13"},
      {"cp1250", "CP1250"},   {"cp1251", "CP1251"},     {"cp1256", "CP1256"},     {"cp1257", "CP1257"},
      {"cp850", "CP850"},     {"cp852", "CP852"},       {"cp866", "CP866"},       {"greek", "ISO-8859-7"},
      {"hebrew", "ISO-8859-8"}, {"koi8r", "KOI8-R"},    {"koi8u", "KOI8-U"},      {"ucs2", "UCS-2BE"},
      {"utf16", "UTF-16BE"},  {"utf16le", "UTF-16LE"},  {"utf32", "UTF-32BE"},    {"sjis", "SHIFT_JIS"},
      {"cp932", "CP932"},     {"ujis", "EUC-JP"},       {"eucjpms", "EUC-JP-MS"}, {"gbk", "GBK"},
      {"gb2312", "GB2312"},   {"big5", "BIG5"},         {"euckr", "EUC-KR"},      {"tis620", "TIS-620"},
      {"armscii8", "ARMSCII-8"}, {"geostd8", "GEORGIAN-PS"}, {"macroman", "MACINTOSH"}, {"swe7", "ISO646-SE"},
  };
  for (const auto& r : kRows) {
    if (IEquals(r.mysql, charset)) return r.iconv;
  }
  return nullptr;
}

}  // namespace

TypeId MySqlKindType(MySqlKind kind) {
  switch (kind) {
    case MySqlKind::kBool:
    case MySqlKind::kBit1: return TypeId::kBoolean;
    case MySqlKind::kInt: return TypeId::kInteger;
    case MySqlKind::kDecimal: return TypeId::kDecimal;
    case MySqlKind::kDouble: return TypeId::kNumber;
    case MySqlKind::kDate: return TypeId::kDate;
    case MySqlKind::kDateTime: return TypeId::kTimestampNoTz;
    case MySqlKind::kTimestamp: return TypeId::kTimestampTz;
    case MySqlKind::kBinary: return TypeId::kBinary;
    case MySqlKind::kJson: return TypeId::kJson;
    case MySqlKind::kTime:
    case MySqlKind::kString:
    case MySqlKind::kGeometry: return TypeId::kString;
  }
  return TypeId::kString;
}

const SqlTypeTable& MySqlTypeTable() {
  static const SqlTypeTable table({
      {"tinyint", TypeId::kInteger, true},
      {"smallint", TypeId::kInteger, true},
      {"mediumint", TypeId::kInteger, true},
      {"int", TypeId::kInteger, true},
      {"integer", TypeId::kInteger, true},
      {"bigint", TypeId::kInteger, true},
      {"decimal", TypeId::kDecimal, true},
      {"numeric", TypeId::kDecimal, true},
      {"float", TypeId::kNumber, false},  // a FLOAT's text form does not compare equal to itself
      {"double", TypeId::kNumber, true},
      {"real", TypeId::kNumber, true},
      {"bit", TypeId::kBinary, false},
      {"year", TypeId::kInteger, true},
      {"date", TypeId::kDate, true},
      {"datetime", TypeId::kTimestampNoTz, true},
      {"timestamp", TypeId::kTimestampTz, true},
      {"time", TypeId::kString, true},
      {"char", TypeId::kString, true},
      {"varchar", TypeId::kString, true},
      {"tinytext", TypeId::kString, true},
      {"text", TypeId::kString, true},
      {"mediumtext", TypeId::kString, true},
      {"longtext", TypeId::kString, true},
      {"enum", TypeId::kString, false},
      {"set", TypeId::kString, false},
      {"binary", TypeId::kBinary, false},
      {"varbinary", TypeId::kBinary, false},
      {"tinyblob", TypeId::kBinary, false},
      {"blob", TypeId::kBinary, false},
      {"mediumblob", TypeId::kBinary, false},
      {"longblob", TypeId::kBinary, false},
      {"json", TypeId::kJson, false},
      {"geometry", TypeId::kString, false},
      {"point", TypeId::kString, false},
      {"linestring", TypeId::kString, false},
      {"polygon", TypeId::kString, false},
      {"multipoint", TypeId::kString, false},
      {"multilinestring", TypeId::kString, false},
      {"multipolygon", TypeId::kString, false},
      {"geometrycollection", TypeId::kString, false},
      {"inet4", TypeId::kString, true},
      {"inet6", TypeId::kString, true},
      {"uuid", TypeId::kString, true, "uuid"},
  });
  return table;
}

void MySqlColumn::Resolve(bool is_json) {
  const std::string_view t = type_name;
  is_unsigned = ContainsI(column_type, "unsigned");
  SqlTypeMapping mapping = MySqlTypeTable().Find(t);
  if (is_json || IEquals(t, "json")) {
    kind = MySqlKind::kJson;
    mapping = {"json", TypeId::kJson, false};
  } else if (IEquals(t, "tinyint") && StartsWithI(column_type, "tinyint(1)")) {
    kind = MySqlKind::kBool;  // Airbyte's mapping of TINYINT(1)
    mapping = {"tinyint", TypeId::kBoolean, false};
  } else if (IEquals(t, "bigint") && is_unsigned) {
    kind = MySqlKind::kDecimal;  // beyond int64: exact, never rounded
    mapping = {"bigint", TypeId::kDecimal, true};
  } else if (mapping.type == TypeId::kInteger) {
    kind = MySqlKind::kInt;
  } else if (mapping.type == TypeId::kDecimal) {
    kind = MySqlKind::kDecimal;
  } else if (mapping.type == TypeId::kNumber) {
    kind = MySqlKind::kDouble;
  } else if (IEquals(t, "bit")) {
    const bool one = IEquals(column_type, "bit(1)");
    kind = one ? MySqlKind::kBit1 : MySqlKind::kBinary;
    mapping = {"bit", one ? TypeId::kBoolean : TypeId::kBinary, false};
  } else if (IEquals(t, "date")) {
    kind = MySqlKind::kDate;
  } else if (IEquals(t, "datetime")) {
    kind = MySqlKind::kDateTime;
  } else if (IEquals(t, "timestamp")) {
    kind = MySqlKind::kTimestamp;
  } else if (IEquals(t, "time")) {
    kind = MySqlKind::kTime;
  } else if (mapping.type == TypeId::kBinary) {
    kind = MySqlKind::kBinary;
  } else if (IEquals(t, "geometry") || IEquals(t, "point") || IEquals(t, "linestring") || IEquals(t, "polygon") ||
             StartsWithI(t, "multi") || IEquals(t, "geometrycollection")) {
    kind = MySqlKind::kGeometry;
  } else {
    kind = MySqlKind::kString;
    if (IEquals(t, "enum") || IEquals(t, "set")) labels = ParseEnumLabels(column_type);
  }
  ApplyMapping(mapping);
  if (kind == MySqlKind::kDecimal) {
    if (IEquals(t, "bigint")) {
      precision = 20;
      scale = 0;
    }
    if (precision > 0) {  // Parquet writes DECIMAL(p,s) up to 38 digits, exact text beyond
      json_schema["precision"] = precision;
      json_schema["scale"] = scale;
    }
  }
}

std::vector<std::string> ParseEnumLabels(std::string_view column_type) {
  std::vector<std::string> labels;
  size_t i = column_type.find('(');
  if (i == std::string_view::npos) return labels;
  ++i;
  while (i < column_type.size()) {
    while (i < column_type.size() && (column_type[i] == ',' || column_type[i] == ' ')) ++i;
    if (i >= column_type.size() || column_type[i] != '\'') break;
    ++i;
    std::string label;
    while (i < column_type.size()) {
      const char c = column_type[i];
      if (c == '\'' && i + 1 < column_type.size() && column_type[i + 1] == '\'') {
        label += '\'';
        i += 2;
      } else if (c == '\\' && i + 1 < column_type.size()) {
        label += column_type[i + 1];
        i += 2;
      } else if (c == '\'') {
        ++i;
        break;
      } else {
        label += c;
        ++i;
      }
    }
    labels.push_back(std::move(label));
  }
  return labels;
}

bool GeometryToWkt(std::string_view value, std::string& out) {
  if (value.size() < 4 + 5) return false;
  WkbReader reader(value.substr(4));  // the SRID comes first
  std::string text;
  if (!reader.Geometry(text) || !reader.AtEnd()) return false;
  out += text;
  return true;
}

bool ConvertToUtf8(std::string_view charset, std::string_view bytes, std::string& out) {
  if (charset.empty() || StartsWithI(charset, "utf8") || IEquals(charset, "ascii") || IEquals(charset, "binary")) {
    out.append(bytes);
    return true;
  }
  const char* name = IconvName(charset);
  if (name == nullptr) return false;
  iconv_t cd = iconv_open("UTF-8", name);
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  const size_t start = out.size();
  out.resize(start + bytes.size() * 4 + 4);
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* dst = out.data() + start;
  size_t out_left = out.size() - start;
  const size_t r = iconv(cd, &in, &in_left, &dst, &out_left);
  iconv_close(cd);
  if (r == static_cast<size_t>(-1)) {
    out.resize(start);
    return false;
  }
  out.resize(static_cast<size_t>(dst - out.data()));
  return true;
}

void AppendMySqlText(const MySqlColumn& column, std::string_view text, Column& out, RecordBatch& batch,
                     std::string_view field) {
  switch (column.kind) {
    case MySqlKind::kBool: {
      int64_t v;
      auto r = std::from_chars(text.data(), text.data() + text.size(), v);
      if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return Nulled(out, batch, field);
      out.AppendBool(v != 0);
      return;
    }
    case MySqlKind::kBit1:
      if (text.size() != 1) return Nulled(out, batch, field);
      out.AppendBool(text[0] != 0);
      return;
    case MySqlKind::kInt: {
      int64_t v;
      auto r = std::from_chars(text.data(), text.data() + text.size(), v);
      if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return Nulled(out, batch, field);
      out.AppendInt64(v);
      return;
    }
    case MySqlKind::kDecimal:
      if (!ValidDecimal(text)) return Nulled(out, batch, field);
      out.AppendBytes(text);
      return;
    case MySqlKind::kDouble: {
      double v;
      auto r = std::from_chars(text.data(), text.data() + text.size(), v);
      if (r.ec != std::errc() || r.ptr != text.data() + text.size() || !std::isfinite(v)) {
        return Nulled(out, batch, field);
      }
      out.AppendDouble(v);
      return;
    }
    case MySqlKind::kDate: {
      auto days = text.size() == 10 ? MySqlDate(text) : std::nullopt;
      if (!days) return Nulled(out, batch, field);
      out.AppendInt32(static_cast<int32_t>(*days));
      return;
    }
    case MySqlKind::kDateTime:
    case MySqlKind::kTimestamp: {
      auto micros = MySqlDateTime(text);
      if (!micros) return Nulled(out, batch, field);
      out.AppendInt64(*micros);
      return;
    }
    case MySqlKind::kJson:
    case MySqlKind::kTime:
    case MySqlKind::kString:
    case MySqlKind::kBinary:
      out.AppendBytes(text);
      return;
    case MySqlKind::kGeometry:
      if (!GeometryToWkt(text, out.bytes())) {
        out.DiscardUncommittedBytes();
        return Nulled(out, batch, field);
      }
      out.CommitBytes();
      return;
  }
}

}  // namespace sluice
