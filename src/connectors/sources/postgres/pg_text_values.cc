#include "connectors/sources/postgres/pg_text_values.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "base/json.h"
#include "base/time.h"

namespace sluice {

namespace {

using pgbin::Decoder;

bool ParseInt(std::string_view s, int64_t& v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

bool ParseDouble(std::string_view s, double& v) {
  if (s == "NaN") {
    v = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (s == "Infinity") {
    v = std::numeric_limits<double>::infinity();
    return true;
  }
  if (s == "-Infinity") {
    v = -std::numeric_limits<double>::infinity();
    return true;
  }
  const std::string copy(s);
  char* end = nullptr;
  v = std::strtod(copy.c_str(), &end);
  return !copy.empty() && end == copy.c_str() + copy.size();
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

//! bytea_output=hex: "\x0a1b…".
bool AppendByteaHex(std::string& out, std::string_view s) {
  if (s.size() < 2 || s[0] != '\\' || s[1] != 'x' || (s.size() % 2) != 0) return false;
  for (size_t i = 2; i < s.size(); i += 2) {
    const int hi = HexDigit(s[i]), lo = HexDigit(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

//! PostgreSQL prints offsets as "+00", "+05:30" or "-03:00:15"; base/time wants "+HH:MM".
std::string NormalizeOffset(std::string_view s) {
  // Find the offset sign after the time part (a '-' before 'T'/' ' belongs to the date).
  const size_t time_start = s.find_first_of(" T") == std::string_view::npos ? 0 : s.find_first_of(" T");
  std::string out(s);
  std::string bc;
  if (out.size() > 3 && out.compare(out.size() - 3, 3, " BC") == 0) {
    bc = " BC";
    out.resize(out.size() - 3);
  }
  const size_t sign = out.find_last_of("+-");
  if (sign == std::string::npos || sign < time_start || (time_start == 0 && sign == 0)) return out + bc;
  std::string_view offset(out.data() + sign + 1, out.size() - sign - 1);
  std::string hhmm;
  if (offset.size() == 2) {
    hhmm = std::string(offset) + ":00";
  } else if (offset.size() >= 5 && offset[2] == ':') {
    hhmm = std::string(offset.substr(0, 5));  // seconds of an offset (pre-1900 zones) are dropped
  } else {
    return out + bc;
  }
  return out.substr(0, sign + 1) + hhmm + bc;
}

bool AppendDecoded(Column& column, Decoder decoder, Decoder element, std::string_view text) {
  switch (decoder) {
    case Decoder::kBool:
      if (text == "t" || text == "f") {
        column.AppendBool(text == "t");
        return true;
      }
      return false;
    case Decoder::kInt2:
    case Decoder::kInt4:
    case Decoder::kInt8:
    case Decoder::kOid: {
      int64_t v;
      if (!ParseInt(text, v)) return false;
      column.AppendInt64(v);
      return true;
    }
    case Decoder::kFloat4:
    case Decoder::kFloat8: {
      double v;
      if (!ParseDouble(text, v)) return false;
      column.AppendDouble(v);
      return true;
    }
    case Decoder::kNumeric:
    case Decoder::kText:
    case Decoder::kUuid:
    case Decoder::kInet:
      column.AppendBytes(text);
      return true;
    case Decoder::kJson:
    case Decoder::kJsonb:
      pgbin::AppendJsonText(column.bytes(), reinterpret_cast<const uint8_t*>(text.data()), text.size());
      column.CommitBytes();
      return true;
    case Decoder::kBytea:
      if (!AppendByteaHex(column.bytes(), text)) {
        column.DiscardUncommittedBytes();
        return false;
      }
      column.CommitBytes();
      return true;
    case Decoder::kDate: {
      if (text == "infinity" || text == "-infinity") return false;  // a date column cannot hold it
      auto days = ParseDate(text);
      if (!days) return false;
      column.AppendInt32(static_cast<int32_t>(*days));
      return true;
    }
    case Decoder::kTime:
    case Decoder::kTimeTz: {
      auto micros = ParseTime(decoder == Decoder::kTimeTz ? NormalizeOffset(text) : std::string(text));
      if (!micros) return false;
      column.AppendInt64(*micros);
      return true;
    }
    case Decoder::kTimestamp:
    case Decoder::kTimestampTz: {
      if (text == "infinity" || text == "-infinity") {
        column.AppendInt64(text == "infinity" ? kInfinityMicros : kMinusInfinityMicros);
        return true;
      }
      auto micros = ParseTimestamp(decoder == Decoder::kTimestampTz ? NormalizeOffset(text) : std::string(text));
      if (!micros) return false;
      column.AppendInt64(*micros);
      return true;
    }
    case Decoder::kArray:
      if (!PgArrayTextToJson(column.bytes(), element, text)) {
        column.DiscardUncommittedBytes();
        return false;
      }
      column.CommitBytes();
      return true;
  }
  return false;
}

//! One array element (unquoted or de-quoted) as JSON.
void AppendElement(std::string& out, Decoder element, std::string_view value, bool quoted) {
  if (!quoted && value == "NULL") {
    out += "null";
    return;
  }
  switch (element) {
    case Decoder::kBool:
      out += value == "t" ? "true" : "false";
      return;
    case Decoder::kInt2:
    case Decoder::kInt4:
    case Decoder::kInt8:
    case Decoder::kOid:
    case Decoder::kFloat4:
    case Decoder::kFloat8:
    case Decoder::kNumeric: {
      double d;
      const bool finite = ParseDouble(value, d) && std::isfinite(d);
      if (finite) {
        out.append(value);  // the exact digits
        return;
      }
      break;  // NaN / Infinity: strings, as the binary path writes them
    }
    case Decoder::kJson:
    case Decoder::kJsonb:
      out.append(value);
      return;
    default:
      break;
  }
  out += Json(std::string(value)).dump();
}

}  // namespace

bool PgArrayTextToJson(std::string& out, Decoder element, std::string_view text) {
  size_t i = 0;
  // A lower-bound decoration ("[0:2]={…}") is dropped: JSON arrays start at 0.
  if (!text.empty() && text[0] == '[') {
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos) return false;
    i = eq + 1;
  }
  int depth = 0;
  bool expect_value = false;
  for (; i < text.size();) {
    const char c = text[i];
    if (c == '{') {
      out.push_back('[');
      ++depth;
      ++i;
      expect_value = true;
      if (i < text.size() && text[i] == '}') continue;
      continue;
    }
    if (c == '}') {
      if (depth == 0) return false;
      out.push_back(']');
      --depth;
      ++i;
      expect_value = false;
      if (depth == 0) return i == text.size();
      continue;
    }
    if (c == ',') {
      out.push_back(',');
      ++i;
      expect_value = true;
      continue;
    }
    if (depth == 0 || !expect_value) return false;
    std::string value;
    bool quoted = false;
    if (c == '"') {
      quoted = true;
      ++i;
      for (; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value.push_back(text[i]);
      }
      if (i >= text.size()) return false;
      ++i;  // closing quote
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '}') value.push_back(text[i++]);
    }
    AppendElement(out, element, value, quoted);
    expect_value = false;
  }
  return false;
}

bool AppendPgText(Column& column, const PgColumnType& type, std::string_view text) {
  if (column.type() != type.type) {
    // A catalog declaring another type than discover would (made elsewhere): the text form
    // where a string is expected, else not convertible here.
    if (column.type() != TypeId::kString) return false;
    column.AppendBytes(text);
    return true;
  }
  return AppendDecoded(column, type.decoder, type.element, text);
}

}  // namespace sluice
