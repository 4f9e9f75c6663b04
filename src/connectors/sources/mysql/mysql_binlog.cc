#include "connectors/sources/mysql/mysql_binlog.h"

#include <fmt/format.h>
#include <mysql.h>

#include <cctype>
#include <charconv>
#include <cstring>

#include "base/time.h"

namespace sluice {

namespace {

uint64_t LE(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}
uint64_t BE(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

void Pad2(std::string& out, unsigned v) {
  out += static_cast<char>('0' + v / 10 % 10);
  out += static_cast<char>('0' + v % 10);
}

//! ".ffffff" cut to `fsp` digits (none when fsp is 0).
void Fraction(std::string& out, uint32_t micros, int fsp) {
  if (fsp <= 0) return;
  char buf[6];
  uint32_t v = micros % 1000000;
  for (int i = 5; i >= 0; --i, v /= 10) buf[i] = static_cast<char>('0' + v % 10);
  out += '.';
  out.append(buf, static_cast<size_t>(std::min(fsp, 6)));
}

void Date(std::string& out, unsigned y, unsigned m, unsigned d) {
  y %= 10000;
  Pad2(out, y / 100);
  Pad2(out, y % 100);
  out += '-';
  Pad2(out, m % 100);
  out += '-';
  Pad2(out, d % 100);
}

void DateTime(std::string& out, unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
              uint32_t micros, int fsp) {
  Date(out, y, mo, d);
  out += ' ';
  Pad2(out, h);
  out += ':';
  Pad2(out, mi);
  out += ':';
  Pad2(out, s);
  Fraction(out, micros, fsp);
}

//! The fractional part of TIME2/DATETIME2/TIMESTAMP2: bytes and how to read them.
int FracBytes(int fsp) { return (fsp + 1) / 2; }

//! MySQL's binary DECIMAL → text ("-12.340").
bool DecimalText(const uint8_t* p, size_t available, int precision, int scale, std::string& out, size_t& size) {
  static constexpr int kDigBytes[] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
  const int intg = precision - scale;
  const int intg0 = intg / 9, frac0 = scale / 9;
  const int intg0x = intg % 9, frac0x = scale % 9;
  size = static_cast<size_t>(intg0 * 4 + kDigBytes[intg0x] + frac0 * 4 + kDigBytes[frac0x]);
  if (size == 0 || size > available) return false;
  std::vector<uint8_t> b(p, p + size);
  const bool negative = (b[0] & 0x80) == 0;
  b[0] ^= 0x80;
  if (negative) {
    for (auto& c : b) c = static_cast<uint8_t>(~c);
  }
  size_t pos = 0;
  std::string ints;
  auto group = [&](int digits_bytes) { uint64_t v = BE(b.data() + pos, static_cast<size_t>(digits_bytes)); pos += static_cast<size_t>(digits_bytes); return v; };
  if (intg0x > 0) ints += std::to_string(group(kDigBytes[intg0x]));
  for (int i = 0; i < intg0; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), ints.empty() ? "%llu" : "%09llu", static_cast<unsigned long long>(group(4)));
    ints += buf;
  }
  size_t nz = 0;
  while (nz + 1 < ints.size() && ints[nz] == '0') ++nz;
  ints = ints.empty() ? "0" : ints.substr(nz);
  std::string frac;
  for (int i = 0; i < frac0; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%09llu", static_cast<unsigned long long>(group(4)));
    frac += buf;
  }
  if (frac0x > 0) {
    char fmt[8];
    std::snprintf(fmt, sizeof(fmt), "%%0%dllu", frac0x);
    char buf[16];
    std::snprintf(buf, sizeof(buf), fmt, static_cast<unsigned long long>(group(kDigBytes[frac0x])));
    frac += buf;
  }
  if (negative) out += '-';
  out += ints;
  if (scale > 0) out += '.' + frac;
  return true;
}

//! Bytes a column's metadata takes in the TABLE_MAP metadata block.
int MetaBytes(uint8_t type) {
  switch (type) {
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_GEOMETRY:
    case MYSQL_TYPE_JSON:
    case MYSQL_TYPE_TIMESTAMP2:
    case MYSQL_TYPE_DATETIME2:
    case MYSQL_TYPE_TIME2:
      return 1;
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_BIT:
    case MYSQL_TYPE_NEWDECIMAL:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_ENUM:
    case MYSQL_TYPE_SET:
      return 2;
    default:
      return 0;
  }
}

class ImageDecoder {
 public:
  ImageDecoder(const std::vector<BinlogColumnType>& types, const std::vector<const MySqlColumn*>& columns,
               std::string_view data)
      : types_(types), columns_(columns), p_(reinterpret_cast<const uint8_t*>(data.data())), end_(p_ + data.size()) {}

  bool AtEnd() const { return p_ >= end_; }

  Status Image(const uint8_t* present, BinlogRow& row) {
    const size_t n = types_.size();
    row.assign(n, std::nullopt);
    size_t count = 0;
    for (size_t i = 0; i < n; ++i) count += (present[i / 8] >> (i % 8)) & 1;
    const size_t null_bytes = (count + 7) / 8;
    if (!Need(null_bytes)) return Malformed("the null bitmap");
    const uint8_t* nulls = p_;
    p_ += null_bytes;
    size_t k = 0;
    for (size_t i = 0; i < n; ++i) {
      if (((present[i / 8] >> (i % 8)) & 1) == 0) continue;
      const bool is_null = (nulls[k / 8] >> (k % 8)) & 1;
      ++k;
      if (is_null) continue;
      std::string text;
      SLUICE_RETURN_IF_ERROR(Value(i, text));
      row[i] = std::move(text);
    }
    return Status::Ok();
  }

 private:
  bool Need(size_t n) const { return static_cast<size_t>(end_ - p_) >= n; }
  Status Malformed(std::string_view what) const {
    return Status::SystemError(fmt::format("binlog: a rows event is malformed at {}", what));
  }
  const MySqlColumn* Col(size_t i) const { return i < columns_.size() ? columns_[i] : nullptr; }

  Status Value(size_t i, std::string& out) {
    const BinlogColumnType& t = types_[i];
    const MySqlColumn* col = Col(i);
    const bool is_unsigned = col != nullptr && col->is_unsigned;
    const int fsp = col != nullptr ? col->precision : 0;
    auto integer = [&](size_t n) -> Status {
      if (!Need(n)) return Malformed("an integer");
      uint64_t u = LE(p_, n);
      p_ += n;
      if (is_unsigned) {
        out = std::to_string(u);
      } else {
        const int shift = static_cast<int>(64 - 8 * n);
        out = std::to_string(static_cast<int64_t>(u << shift) >> shift);
      }
      return Status::Ok();
    };
    //! A TIMESTAMP (Unix seconds and µs) as SELECT prints it in UTC; 0 is the zero date.
    auto epoch = [&](int64_t secs, uint32_t micros, int digits) -> Status {
      if (secs == 0 && micros == 0) {
        out = "0000-00-00 00:00:00";
        return Status::Ok();
      }
      int64_t y;
      unsigned mo, d;
      CivilFromDays(secs / 86400, y, mo, d);
      const int64_t s = secs % 86400;
      DateTime(out, static_cast<unsigned>(y), mo, d, static_cast<unsigned>(s / 3600),
               static_cast<unsigned>(s / 60 % 60), static_cast<unsigned>(s % 60), micros, digits);
      return Status::Ok();
    };
    //! FLOAT / DOUBLE: little-endian IEEE, printed shortest round-trip.
    auto floating = [&](auto zero, std::string_view what) -> Status {
      decltype(zero) v;
      if (!Need(sizeof v)) return Malformed(what);
      std::memcpy(&v, p_, sizeof v);
      p_ += sizeof v;
      char buf[32];
      out.assign(buf, std::to_chars(buf, buf + sizeof(buf), v).ptr);
      return Status::Ok();
    };
    auto bytes = [&](size_t len_bytes) -> Status {
      if (!Need(len_bytes)) return Malformed("a length");
      const size_t len = LE(p_, len_bytes);
      p_ += len_bytes;
      if (!Need(len)) return Malformed("a value");
      std::string_view raw(reinterpret_cast<const char*>(p_), len);
      p_ += len;
      if (col != nullptr && (col->kind == MySqlKind::kString || col->kind == MySqlKind::kJson)) {
        if (!ConvertToUtf8(col->charset, raw, out)) {
          return Status::SystemError(fmt::format("binlog: column '{}' holds bytes invalid in character set {}",
                                                 col->name, col->charset));
        }
      } else {
        out.assign(raw);
      }
      return Status::Ok();
    };
    switch (t.type) {
      case MYSQL_TYPE_TINY: return integer(1);
      case MYSQL_TYPE_SHORT: return integer(2);
      case MYSQL_TYPE_INT24: return integer(3);
      case MYSQL_TYPE_LONG: return integer(4);
      case MYSQL_TYPE_LONGLONG: return integer(8);
      case MYSQL_TYPE_YEAR: {
        if (!Need(1)) return Malformed("a YEAR");
        const unsigned y = *p_++;
        out = y == 0 ? "0000" : std::to_string(1900 + y);
        return Status::Ok();
      }
      case MYSQL_TYPE_FLOAT: return floating(float{}, "a FLOAT");
      case MYSQL_TYPE_DOUBLE: return floating(double{}, "a DOUBLE");
      case MYSQL_TYPE_NEWDECIMAL: {
        const int precision = t.meta >> 8, scale = t.meta & 0xFF;
        size_t size = 0;
        if (!DecimalText(p_, static_cast<size_t>(end_ - p_), precision, scale, out, size)) return Malformed("a DECIMAL");
        p_ += size;
        return Status::Ok();
      }
      case MYSQL_TYPE_DATE:
      case MYSQL_TYPE_NEWDATE: {
        if (!Need(3)) return Malformed("a DATE");
        const uint32_t v = static_cast<uint32_t>(LE(p_, 3));
        p_ += 3;
        Date(out, v >> 9, (v >> 5) & 15, v & 31);
        return Status::Ok();
      }
      case MYSQL_TYPE_DATETIME2: {
        const size_t fb = static_cast<size_t>(FracBytes(t.meta));
        if (!Need(5 + fb)) return Malformed("a DATETIME");
        const int64_t intpart = static_cast<int64_t>(BE(p_, 5)) - 0x8000000000LL;
        uint32_t micros = static_cast<uint32_t>(BE(p_ + 5, fb));
        if (fb == 1) micros *= 10000;
        if (fb == 2) micros *= 100;
        p_ += 5 + fb;
        const int64_t ymd = intpart >> 17, hms = intpart % (1 << 17);
        const int64_t ym = ymd >> 5;
        DateTime(out, static_cast<unsigned>(ym / 13), static_cast<unsigned>(ym % 13), static_cast<unsigned>(ymd & 31),
                 static_cast<unsigned>(hms >> 12), static_cast<unsigned>((hms >> 6) & 63),
                 static_cast<unsigned>(hms & 63), micros, fsp);
        return Status::Ok();
      }
      case MYSQL_TYPE_TIMESTAMP2: {
        const size_t fb = static_cast<size_t>(FracBytes(t.meta));
        if (!Need(4 + fb)) return Malformed("a TIMESTAMP");
        const int64_t secs = static_cast<int64_t>(BE(p_, 4));
        uint32_t micros = static_cast<uint32_t>(BE(p_ + 4, fb));
        if (fb == 1) micros *= 10000;
        if (fb == 2) micros *= 100;
        p_ += 4 + fb;
        return epoch(secs, micros, fsp);
      }
      case MYSQL_TYPE_TIME2: {
        const int dec = t.meta;
        const size_t fb = static_cast<size_t>(FracBytes(dec));
        if (!Need(3 + fb)) return Malformed("a TIME");
        int64_t packed;
        if (dec >= 5) {
          packed = static_cast<int64_t>(BE(p_, 6)) - 0x800000000000LL;
        } else {
          int64_t intpart = static_cast<int64_t>(BE(p_, 3)) - 0x800000LL;
          int64_t frac = 0;
          if (dec >= 1) {
            frac = static_cast<int64_t>(BE(p_ + 3, fb));
            const int64_t range = fb == 1 ? 0x100 : 0x10000;
            if (intpart < 0 && frac != 0) {
              intpart++;
              frac -= range;
            }
            frac *= fb == 1 ? 10000 : 100;
          }
          packed = intpart * (int64_t{1} << 24) + frac;
        }
        p_ += 3 + fb;
        const bool negative = packed < 0;
        if (negative) packed = -packed;
        const int64_t hms = packed >> 24, frac = packed % (int64_t{1} << 24);
        if (negative) out += '-';
        const int64_t hours = (hms >> 12) % (1 << 10);
        if (hours < 10) out += '0';
        out += std::to_string(hours);
        out += ':';
        Pad2(out, static_cast<unsigned>((hms >> 6) % 64));
        out += ':';
        Pad2(out, static_cast<unsigned>(hms % 64));
        Fraction(out, static_cast<uint32_t>(frac), fsp);
        return Status::Ok();
      }
      case MYSQL_TYPE_TIMESTAMP: {
        if (!Need(4)) return Malformed("a TIMESTAMP");
        const int64_t secs = static_cast<int64_t>(LE(p_, 4));
        p_ += 4;
        return epoch(secs, 0, 0);
      }
      case MYSQL_TYPE_DATETIME: {
        if (!Need(8)) return Malformed("a DATETIME");
        const uint64_t v = LE(p_, 8);
        p_ += 8;
        const uint64_t d = v / 1000000, t2 = v % 1000000;
        DateTime(out, static_cast<unsigned>(d / 10000), static_cast<unsigned>(d / 100 % 100),
                 static_cast<unsigned>(d % 100), static_cast<unsigned>(t2 / 10000),
                 static_cast<unsigned>(t2 / 100 % 100), static_cast<unsigned>(t2 % 100), 0, 0);
        return Status::Ok();
      }
      case MYSQL_TYPE_TIME: {
        if (!Need(3)) return Malformed("a TIME");
        int32_t v = static_cast<int32_t>(LE(p_, 3) << 8) >> 8;
        p_ += 3;
        if (v < 0) {
          out += '-';
          v = -v;
        }
        const int h = v / 10000;
        if (h < 10) out += '0';
        out += std::to_string(h);
        out += ':';
        Pad2(out, static_cast<unsigned>(v / 100 % 100));
        out += ':';
        Pad2(out, static_cast<unsigned>(v % 100));
        return Status::Ok();
      }
      case MYSQL_TYPE_VARCHAR:
      case MYSQL_TYPE_VAR_STRING:
        return bytes(t.meta < 256 ? 1 : 2);
      case MYSQL_TYPE_BIT: {
        const size_t n = (t.meta >> 8) + ((t.meta & 0xFF) > 0 ? 1 : 0);
        if (!Need(n)) return Malformed("a BIT");
        out.assign(reinterpret_cast<const char*>(p_), n);
        p_ += n;
        return Status::Ok();
      }
      case MYSQL_TYPE_STRING: {
        const uint8_t b0 = static_cast<uint8_t>(t.meta >> 8), b1 = static_cast<uint8_t>(t.meta & 0xFF);
        uint8_t real = b0;
        uint32_t max_len = b1;
        if ((b0 & 0x30) != 0x30) {  // CHAR longer than 255 bytes: length bits in the type byte
          max_len = b1 | ((static_cast<uint32_t>((b0 & 0x30) ^ 0x30)) << 4);
          real = b0 | 0x30;
        }
        if (real == MYSQL_TYPE_ENUM || real == MYSQL_TYPE_SET) {
          const size_t n = b1;
          if (!Need(n)) return Malformed("an ENUM/SET");
          const uint64_t v = LE(p_, n);
          p_ += n;
          const std::vector<std::string> empty;
          const auto& labels = col != nullptr ? col->labels : empty;
          if (real == MYSQL_TYPE_ENUM) {
            if (v > 0 && v <= labels.size()) out = labels[v - 1];  // 0: the '' of an invalid value
          } else {
            for (size_t b = 0; b < labels.size() && b < 64; ++b) {
              if ((v >> b) & 1) out += (out.empty() ? "" : ",") + labels[b];
            }
          }
          return Status::Ok();
        }
        SLUICE_RETURN_IF_ERROR(bytes(max_len < 256 ? 1 : 2));
        if (col != nullptr && col->kind == MySqlKind::kBinary && out.size() < max_len) {
          out.append(max_len - out.size(), '\0');  // BINARY(n) is zero-padded, as SELECT returns it
        }
        return Status::Ok();
      }
      case MYSQL_TYPE_ENUM:
      case MYSQL_TYPE_SET:
        return Status::SystemError("binlog: a bare ENUM/SET column type");
      case MYSQL_TYPE_BLOB:
      case MYSQL_TYPE_TINY_BLOB:
      case MYSQL_TYPE_MEDIUM_BLOB:
      case MYSQL_TYPE_LONG_BLOB:
      case MYSQL_TYPE_GEOMETRY:
        return bytes(t.meta);
      case MYSQL_TYPE_JSON:
        return Status::ConfigError(fmt::format(
            "binlog: column '{}' is a MySQL binary JSON value, which source-mysql does not decode yet (MariaDB's "
            "JSON is text and works)", col != nullptr ? col->name : std::string("?")));
      default:
        return Status::SystemError(fmt::format("binlog: column type {} is not supported", t.type));
    }
  }

  const std::vector<BinlogColumnType>& types_;
  const std::vector<const MySqlColumn*>& columns_;
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace

Json BinlogPositionJson(const BinlogPosition& p) {
  return Json{{"file", p.file}, {"pos", p.pos}, {"gtid", p.gtid}};
}

std::optional<BinlogPosition> ParseBinlogPosition(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  auto file = j.find("file");
  auto pos = j.find("pos");
  if (file == j.end() || !file->is_string() || pos == j.end() || !pos->is_number_unsigned()) return std::nullopt;
  BinlogPosition p;
  p.file = file->get<std::string>();
  p.pos = pos->get<uint64_t>();
  if (auto g = j.find("gtid"); g != j.end() && g->is_string()) p.gtid = g->get<std::string>();
  return p;
}

int64_t BinlogCursor(std::string_view file, uint64_t pos) {
  const size_t dot = file.rfind('.');
  uint64_t ext = 0;
  if (dot != std::string_view::npos) std::from_chars(file.data() + dot + 1, file.data() + file.size(), ext);
  return static_cast<int64_t>((ext << 32) | (pos & 0xFFFFFFFFu));
}

bool BinlogBefore(const BinlogPosition& a, const BinlogPosition& b) {
  return BinlogCursor(a.file, a.pos) < BinlogCursor(b.file, b.pos);
}

bool ParseTableMapColumns(std::string_view types, std::string_view metadata, std::vector<BinlogColumnType>& out) {
  out.clear();
  size_t m = 0;
  for (char c : types) {
    BinlogColumnType t;
    t.type = static_cast<uint8_t>(c);
    const int n = MetaBytes(t.type);
    if (m + static_cast<size_t>(n) > metadata.size()) return false;
    const auto* p = reinterpret_cast<const uint8_t*>(metadata.data() + m);
    if (n == 1) {
      t.meta = p[0];
    } else if (n == 2) {
      // VARCHAR and BIT: little-endian; NEWDECIMAL, STRING, ENUM, SET: two bytes in order.
      if (t.type == MYSQL_TYPE_VARCHAR || t.type == MYSQL_TYPE_VAR_STRING) {
        t.meta = static_cast<uint16_t>(p[0] | p[1] << 8);
      } else if (t.type == MYSQL_TYPE_BIT) {
        t.meta = static_cast<uint16_t>(p[1] << 8 | p[0]);  // bytes << 8 | bits
      } else {
        t.meta = static_cast<uint16_t>(p[0] << 8 | p[1]);
      }
    }
    m += static_cast<size_t>(n);
    out.push_back(t);
  }
  return true;
}

Status DecodeBinlogRows(const std::vector<BinlogColumnType>& types, const std::vector<const MySqlColumn*>& columns,
                        const uint8_t* present, const uint8_t* present_after, bool update, std::string_view data,
                        std::vector<BinlogRow>& out) {
  ImageDecoder d(types, columns, data);
  while (!d.AtEnd()) {
    out.emplace_back();
    SLUICE_RETURN_IF_ERROR(d.Image(present, out.back()));
    if (update) {
      out.emplace_back();
      SLUICE_RETURN_IF_ERROR(d.Image(present_after != nullptr ? present_after : present, out.back()));
    }
  }
  return Status::Ok();
}

}  // namespace sluice

namespace sluice {

bool BinlogTypeFits(const BinlogColumnType& t, const MySqlColumn& c) {
  std::string n = c.type_name;
  for (char& ch : n) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto one_of = [&](std::initializer_list<uint8_t> types) {
    for (uint8_t x : types) {
      if (t.type == x) return true;
    }
    return false;
  };
  // CHAR, BINARY, ENUM and SET are MYSQL_TYPE_STRING with the real type in the metadata's high byte.
  const uint8_t real = t.type == MYSQL_TYPE_STRING && ((t.meta >> 8) & 0x30) == 0x30 ? static_cast<uint8_t>(t.meta >> 8)
                                                                                      : t.type;
  if (n == "tinyint") return t.type == MYSQL_TYPE_TINY;
  if (n == "smallint") return t.type == MYSQL_TYPE_SHORT;
  if (n == "mediumint") return t.type == MYSQL_TYPE_INT24;
  if (n == "int" || n == "integer") return t.type == MYSQL_TYPE_LONG;
  if (n == "bigint") return t.type == MYSQL_TYPE_LONGLONG;
  if (n == "float") return t.type == MYSQL_TYPE_FLOAT;
  if (n == "double" || n == "real") return t.type == MYSQL_TYPE_DOUBLE;
  if (n == "decimal" || n == "numeric") {
    return t.type == MYSQL_TYPE_NEWDECIMAL && (t.meta >> 8) == c.precision && (t.meta & 0xFF) == c.scale;
  }
  if (n == "year") return t.type == MYSQL_TYPE_YEAR;
  if (n == "date") return one_of({MYSQL_TYPE_DATE, MYSQL_TYPE_NEWDATE});
  if (n == "datetime") return one_of({MYSQL_TYPE_DATETIME2, MYSQL_TYPE_DATETIME});
  if (n == "timestamp") return one_of({MYSQL_TYPE_TIMESTAMP2, MYSQL_TYPE_TIMESTAMP});
  if (n == "time") return one_of({MYSQL_TYPE_TIME2, MYSQL_TYPE_TIME});
  if (n == "bit") return t.type == MYSQL_TYPE_BIT;
  if (n == "varchar" || n == "varbinary") return one_of({MYSQL_TYPE_VARCHAR, MYSQL_TYPE_VAR_STRING});
  if (n == "char" || n == "binary") return t.type == MYSQL_TYPE_STRING && real == MYSQL_TYPE_STRING;
  if (n == "enum") return t.type == MYSQL_TYPE_STRING && real == MYSQL_TYPE_ENUM;
  if (n == "set") return t.type == MYSQL_TYPE_STRING && real == MYSQL_TYPE_SET;
  if (n == "tinytext" || n == "tinyblob") return t.type == MYSQL_TYPE_BLOB && t.meta == 1;
  if (n == "text" || n == "blob") return t.type == MYSQL_TYPE_BLOB && t.meta == 2;
  if (n == "mediumtext" || n == "mediumblob") return t.type == MYSQL_TYPE_BLOB && t.meta == 3;
  if (n == "longtext" || n == "longblob") return t.type == MYSQL_TYPE_BLOB && t.meta == 4;
  if (n == "json") return one_of({MYSQL_TYPE_JSON, MYSQL_TYPE_BLOB});  // MariaDB's JSON is LONGTEXT
  if (n == "geometry" || n == "point" || n == "linestring" || n == "polygon" || n == "multipoint" ||
      n == "multilinestring" || n == "multipolygon" || n == "geometrycollection" || n == "geomcollection") {
    return t.type == MYSQL_TYPE_GEOMETRY;
  }
  return true;  // INET4/INET6/UUID and types this table does not know
}

std::vector<std::string> ParseTableMapColumnNames(std::string_view data, size_t count) {
  std::vector<std::string> names;
  size_t i = 0;
  while (i < data.size()) {
    const auto len = static_cast<uint8_t>(data[i++]);
    if (len >= 251 || i + len > data.size()) return {};  // names are at most 64 characters
    names.emplace_back(data.substr(i, len));
    i += len;
  }
  if (names.size() != count) return {};
  return names;
}

namespace {

//! A cursor over a statement's text: whitespace and comments skipped, words and names read.
class SqlWords {
 public:
  explicit SqlWords(std::string_view sql) : s_(sql) {}

  void Skip() {
    for (;;) {
      while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (s_.substr(i_, 3) == "/*!" || s_.substr(i_, 3) == "/*M") {
        // An executable comment: its text counts. Skip the marker and the version digits.
        i_ += 3;
        if (i_ < s_.size() && s_[i_] == '!') ++i_;
        while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
        continue;
      }
      if (s_.substr(i_, 2) == "/*") {
        const size_t end = s_.find("*/", i_ + 2);
        i_ = end == std::string_view::npos ? s_.size() : end + 2;
        continue;
      }
      if (s_.substr(i_, 2) == "*/") {
        i_ += 2;
        continue;
      }
      if (s_.substr(i_, 2) == "--" || (i_ < s_.size() && s_[i_] == '#')) {
        const size_t end = s_.find('\n', i_);
        i_ = end == std::string_view::npos ? s_.size() : end + 1;
        continue;
      }
      return;
    }
  }

  //! Consumes `word` (a keyword, any case) when it comes next.
  bool Take(std::string_view word) {
    Skip();
    if (s_.size() - i_ < word.size()) return false;
    for (size_t k = 0; k < word.size(); ++k) {
      if (std::toupper(static_cast<unsigned char>(s_[i_ + k])) != word[k]) return false;
    }
    const size_t end = i_ + word.size();
    if (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_')) return false;
    i_ = end;
    return true;
  }

  bool TakeChar(char c) {
    Skip();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }

  //! One identifier: `quoted` (`` doubled) or plain; empty when none.
  std::string Identifier() {
    Skip();
    std::string out;
    if (i_ < s_.size() && s_[i_] == '`') {
      for (++i_; i_ < s_.size(); ++i_) {
        if (s_[i_] == '`') {
          if (i_ + 1 < s_.size() && s_[i_ + 1] == '`') {
            out += '`';
            ++i_;
            continue;
          }
          ++i_;
          return out;
        }
        out += s_[i_];
      }
      return {};
    }
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' || s_[i_] == '$' ||
                              static_cast<unsigned char>(s_[i_]) >= 0x80)) {
      out += s_[i_++];
    }
    return out;
  }

  //! [database.]table; the database defaults to `database`. False when there is no name.
  bool TableName(std::string_view database, std::pair<std::string, std::string>& out) {
    std::string first = Identifier();
    if (first.empty()) return false;
    Skip();
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      std::string second = Identifier();
      if (second.empty()) return false;
      out = {std::move(first), std::move(second)};
      return true;
    }
    out = {std::string(database), std::move(first)};
    return true;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

BinlogDdl ParseBinlogDdl(std::string_view sql, std::string_view database) {
  BinlogDdl ddl;
  SqlWords w(sql);
  std::pair<std::string, std::string> name;
  auto list = [&](bool rename) {
    do {
      if (!w.TableName(database, name)) return false;
      ddl.tables.push_back(name);
      if (rename) {
        if (!w.Take("TO") || !w.TableName(database, name)) return false;
        ddl.tables.push_back(name);
      }
    } while (w.TakeChar(','));
    return true;
  };
  if (w.Take("ALTER")) {
    (void)w.Take("ONLINE");
    (void)w.Take("IGNORE");
    if (!w.Take("TABLE")) return {};
    if (w.Take("IF")) (void)w.Take("EXISTS");
    if (!w.TableName(database, name)) return {};
    ddl.kind = BinlogDdl::Kind::kAlter;
    ddl.tables.push_back(name);
    return ddl;
  }
  if (w.Take("CREATE")) {
    if (w.Take("OR")) (void)w.Take("REPLACE");
    if (w.Take("TEMPORARY")) return {};  // session-local: never a stream
    if (!w.Take("TABLE")) return {};
    if (w.Take("IF")) {
      (void)w.Take("NOT");
      (void)w.Take("EXISTS");
    }
    if (!w.TableName(database, name)) return {};
    ddl.kind = BinlogDdl::Kind::kCreate;
    ddl.tables.push_back(name);
    return ddl;
  }
  if (w.Take("RENAME")) {
    if (!w.Take("TABLE") && !w.Take("TABLES")) return {};
    ddl.kind = BinlogDdl::Kind::kRename;
    if (!list(true)) return {};
    return ddl;
  }
  if (w.Take("DROP")) {
    if (w.Take("TEMPORARY")) return {};
    if (!w.Take("TABLE") && !w.Take("TABLES")) return {};
    if (w.Take("IF")) (void)w.Take("EXISTS");
    ddl.kind = BinlogDdl::Kind::kDrop;
    if (!list(false)) return {};
    return ddl;
  }
  if (w.Take("TRUNCATE")) {
    (void)w.Take("TABLE");
    if (!w.TableName(database, name)) return {};
    ddl.kind = BinlogDdl::Kind::kTruncate;
    ddl.tables.push_back(name);
    return ddl;
  }
  return ddl;
}

std::optional<uint64_t> BinlogBytesBetween(const BinlogPosition& from, const BinlogPosition& to,
                                           const std::vector<std::pair<std::string, uint64_t>>& logs) {
  if (!BinlogBefore(from, to)) return 0;
  if (from.file == to.file) return to.pos - from.pos;
  uint64_t total = 0;
  bool inside = false;
  for (const auto& [name, size] : logs) {
    if (name == from.file) {
      inside = true;
      total += size > from.pos ? size - from.pos : 0;
      continue;
    }
    if (!inside) continue;
    if (name == to.file) return total + to.pos;
    total += size;
  }
  return std::nullopt;
}

}  // namespace sluice
