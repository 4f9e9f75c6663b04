#pragma once
// One JSON value into a typed column: the rules every JSON → batch path shares — the protocol
// reader's simdjson path and JSONL files (AppendJsonObjectRow, over simdjson's On-Demand values)
// and records a connector parsed with simdjson's DOM (kit JsonRows::AppendDom). The rules are
// written once, here, over a small view of the value the caller adapts to its parser:
//
//   struct V {                                        // every member returns simdjson::error_code
//     error_code Kind(JsonKind& kind);               // which JSON value this is
//     error_code Bool(bool&);                          // for kBoolean
//     error_code Int64(int64_t&);                      // for kNumber: an error when not a whole int64
//     error_code Double(double&);                      // for kNumber
//     error_code String(std::string_view&);            // for kString: the unescaped text
//     error_code NumberText(std::string_view&);        // for kNumber: its JSON text
//     error_code JsonText(JsonKind, std::string_view&);  // any value: its JSON text
//   };
//
// Texts handed out must stay valid until the value is appended. Header-only so both adapters
// inline (the protocol reader's path is hot); used on the caller's thread only.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "base/text.h"
#include "base/time.h"
#include "protocol/codec.h"
#include "protocol/record_batch.h"
#include "protocol/types.h"

namespace sluice {

enum class JsonKind { kNull, kBoolean, kNumber, kString, kObject, kArray };

namespace json_column {
//! True when all of `text` is one number of type T, then set in `out`.
template <typename T>
bool ParseWhole(std::string_view text, T& out) {
  const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}
//! True when `text` is one JSON number ("-1.5e3"; no leading '+', no bare '.').
bool IsNumberText(std::string_view text);
}  // namespace json_column

//! Appends `v` to `col`. A null appends null. `fits` false (nothing appended) when the value
//! does not fit the column's type — the caller appends null and notes the change. Another JSON
//! value in a string column keeps its JSON text; numbers in a decimal column keep their text;
//! numbers and number strings fit integer and number columns when exact. An error is the
//! parser's (a malformed document).
template <typename V>
simdjson::error_code AppendJsonValueAs(V& v, Column& col, bool& fits) {
  using json_column::ParseWhole;
  fits = true;
  JsonKind kind = JsonKind::kNull;
  if (auto e = v.Kind(kind)) return e;
  if (kind == JsonKind::kNull) {
    col.AppendNull();
    return simdjson::SUCCESS;
  }
  std::string_view text;
  switch (col.type()) {
    case TypeId::kBoolean: {
      if (kind != JsonKind::kBoolean) break;
      bool b;
      if (auto e = v.Bool(b)) return e;
      col.AppendBool(b);
      return simdjson::SUCCESS;
    }
    case TypeId::kInteger: {
      if (kind == JsonKind::kNumber) {
        int64_t i;
        if (v.Int64(i) == simdjson::SUCCESS) {
          col.AppendInt64(i);
          return simdjson::SUCCESS;
        }
        double d;
        if (auto e = v.Double(d)) return e;
        if (std::floor(d) == d && std::fabs(d) < 9.2e18) {
          col.AppendInt64(static_cast<int64_t>(d));
          return simdjson::SUCCESS;
        }
        break;
      }
      if (kind == JsonKind::kString) {
        if (auto e = v.String(text)) return e;
        int64_t i;
        if (ParseWhole(text, i)) {
          col.AppendInt64(i);
          return simdjson::SUCCESS;
        }
      }
      break;
    }
    case TypeId::kNumber: {
      if (kind == JsonKind::kNumber) {
        double d;
        if (auto e = v.Double(d)) return e;
        col.AppendDouble(d);
        return simdjson::SUCCESS;
      }
      if (kind == JsonKind::kString) {
        if (auto e = v.String(text)) return e;
        if (text == "NaN") {
          col.AppendDouble(std::nan(""));
          return simdjson::SUCCESS;
        }
        if (text == "Infinity" || text == "-Infinity") {
          col.AppendDouble(text[0] == '-' ? -HUGE_VAL : HUGE_VAL);
          return simdjson::SUCCESS;
        }
        double d;
        if (ParseWhole(text, d)) {
          col.AppendDouble(d);
          return simdjson::SUCCESS;
        }
      }
      break;
    }
    case TypeId::kDecimal: {
      if (kind == JsonKind::kNumber) {
        if (auto e = v.NumberText(text)) return e;
        col.AppendBytes(text);
        return simdjson::SUCCESS;
      }
      if (kind == JsonKind::kString) {
        if (auto e = v.String(text)) return e;
        if (json_column::IsNumberText(text) || text == "NaN" || text == "Infinity" || text == "-Infinity") {
          col.AppendBytes(text);
          return simdjson::SUCCESS;
        }
      }
      break;
    }
    case TypeId::kString: {
      if (kind == JsonKind::kString) {
        if (auto e = v.String(text)) return e;
        col.AppendBytes(text);
        return simdjson::SUCCESS;
      }
      // Another JSON value in a string column keeps its JSON text: nothing is lost.
      if (auto e = v.JsonText(kind, text)) return e;
      col.AppendBytes(text);
      return simdjson::SUCCESS;
    }
    case TypeId::kBinary: {
      if (kind != JsonKind::kString) break;
      if (auto e = v.String(text)) return e;
      std::string& bytes = col.bytes();
      const size_t mark = bytes.size();
      if (DecodeBase64(text, bytes)) {
        col.CommitBytes();
        return simdjson::SUCCESS;
      }
      bytes.resize(mark);
      break;
    }
    case TypeId::kDate: {
      if (kind != JsonKind::kString) break;
      if (auto e = v.String(text)) return e;
      if (auto d = ParseDate(text)) {
        col.AppendInt32(static_cast<int32_t>(*d));
        return simdjson::SUCCESS;
      }
      break;
    }
    case TypeId::kTimeNoTz:
    case TypeId::kTimeTz: {
      if (kind != JsonKind::kString) break;
      if (auto e = v.String(text)) return e;
      if (auto t = ParseTime(text)) {
        col.AppendInt64(*t);
        return simdjson::SUCCESS;
      }
      break;
    }
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz: {
      if (kind != JsonKind::kString) break;
      if (auto e = v.String(text)) return e;
      if (text == "infinity" || text == "-infinity") {
        col.AppendInt64(text[0] == '-' ? kMinusInfinityMicros : kInfinityMicros);
        return simdjson::SUCCESS;
      }
      if (auto t = ParseTimestamp(text)) {
        col.AppendInt64(*t);
        return simdjson::SUCCESS;
      }
      break;
    }
    case TypeId::kJson: {
      if (auto e = v.JsonText(kind, text)) return e;
      col.AppendBytes(text);
      return simdjson::SUCCESS;
    }
  }
  fits = false;
  return simdjson::SUCCESS;
}

}  // namespace sluice
