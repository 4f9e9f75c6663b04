#include "protocol/codec.h"
#include "protocol/json_column.h"

#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "base/text.h"
#include "base/time.h"

namespace sluice {

// ---- Output -------------------------------------------------------------------------------

namespace {

// 0: copy as is; 1: needs escaping (control, quote, backslash); 2: non-ASCII (validate UTF-8).
constexpr auto kEscapeClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  for (int c = 0x80; c < 0x100; ++c) t[c] = 2;
  return t;
}();

// True when one of the 8 bytes at `p` is a control character, '"', '\\' or non-ASCII: exact as
// an "any" test (the classic SWAR zero-byte and less-than tests).
inline bool NeedsEscapeOrCheck8(const char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  uint64_t x;
  std::memcpy(&x, p, 8);
  const auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  const uint64_t below_space = (x - kOnes * 0x20) & ~x & kHigh;  // some byte < 0x20
  return ((x & kHigh) | below_space | has_zero(x ^ (kOnes * '"')) | has_zero(x ^ (kOnes * '\\'))) != 0;
}

// Output is written through a raw pointer into room reserved up front (one bound check per
// line instead of one per piece; small pieces are fixed-size copies, not memcpy calls).

// Room a JSON string literal of `n` bytes may take: every byte escaped as \u00XX, quotes.
constexpr size_t JsonStringBound(size_t n) { return 6 * n + 2; }
constexpr size_t Base64Size(size_t n) { return (n + 2) / 3 * 4; }
constexpr size_t kMaxNumberText = 32;  // an int64, a shortest double, or "-Infinity", quoted

// Pieces of up to 32 bytes (field names, short values) are copied inline, as two overlapping
// fixed-size copies, instead of through a call to memcpy: most pieces of a record are short.
inline char* Put(char* p, std::string_view s) {
  const char* src = s.data();
  const size_t n = s.size();
  if (n > 32) {
    std::memcpy(p, src, n);
  } else if (n >= 16) {
    char a[16], b[16];
    std::memcpy(a, src, 16);
    std::memcpy(b, src + n - 16, 16);
    std::memcpy(p, a, 16);
    std::memcpy(p + n - 16, b, 16);
  } else if (n >= 8) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(p, &a, 8);
    std::memcpy(p + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(p, &a, 4);
    std::memcpy(p + n - 4, &b, 4);
  } else if (n > 0) {
    p[0] = src[0];
    p[n / 2] = src[n / 2];
    p[n - 1] = src[n - 1];
  }
  return p + n;
}
template <size_t N>
inline char* PutLiteral(char* p, const char (&s)[N]) {
  std::memcpy(p, s, N - 1);
  return p + N - 1;
}

// Appends to a std::string through a pointer: Reserve(n) gives room for n bytes at the end,
// Commit(p) says where the writing stopped. The string is sized up in large steps (its bytes
// past the committed end are scratch) and trimmed when the writer goes away.
class StringOut {
 public:
  explicit StringOut(std::string& s) : s_(s), start_(s.size()), used_(s.size()) {}
  ~StringOut() { s_.resize(used_); }
  StringOut(const StringOut&) = delete;
  StringOut& operator=(const StringOut&) = delete;
  char* Reserve(size_t n) {
    // resize() zero-fills what it adds, and the room is trimmed again when the writer goes, so
    // the room past the need grows with what this writer has written, up to 64 KiB: a writer
    // of one value (AppendJsonString) zeroes about its bound, one of a batch's lines 64 KiB at
    // a time (not by half the string: that was zeroing half as much again as was written);
    // the string's capacity still grows geometrically.
    if (s_.size() - used_ < n) s_.resize(used_ + n + std::min<size_t>(64 << 10, used_ - start_));
    return s_.data() + used_;
  }
  void Commit(const char* p) { used_ = static_cast<size_t>(p - s_.data()); }

 private:
  std::string& s_;
  size_t start_;  // the string's size when this writer began
  size_t used_;
};

// The same over a PodBuffer: its room past the end is never zero-filled.
class PodOut {
 public:
  explicit PodOut(PodBuffer& b) : b_(b) {}
  PodOut(const PodOut&) = delete;
  PodOut& operator=(const PodOut&) = delete;
  char* Reserve(size_t n) {
    b_.Reserve(b_.size() + n);
    return reinterpret_cast<char*>(b_.data()) + b_.size();
  }
  void Commit(const char* p) { b_.Resize(static_cast<size_t>(p - reinterpret_cast<const char*>(b_.data()))); }

 private:
  PodBuffer& b_;
};

char* WriteJsonString(char* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out++ = '"';
  size_t run_start = 0;
  size_t i = 0;
  while (i < s.size()) {
    // Sixteen, then eight bytes at a time while none needs a look (most text is plain ASCII);
    // the signed compare with 0x20 flags control bytes and non-ASCII alike.
#if defined(__SSE2__)
    while (i + 16 <= s.size()) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      const __m128i hit = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
                                       _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                                    _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
      if (_mm_movemask_epi8(hit) != 0) break;
      i += 16;
    }
#endif
    while (i + 8 <= s.size() && !NeedsEscapeOrCheck8(s.data() + i)) i += 8;
    // The last few bytes: the last eight of a long enough string at once (overlapping bytes
    // already seen), else one by one.
    if (s.size() >= 8 && s.size() - i < 8 && !NeedsEscapeOrCheck8(s.data() + s.size() - 8)) break;
    while (i < s.size() && kEscapeClass[static_cast<uint8_t>(s[i])] == 0) ++i;
    if (i >= s.size()) break;
    const uint8_t c = static_cast<uint8_t>(s[i]);
    const uint8_t cls = kEscapeClass[c];
    if (cls == 2) {
      const size_t n = Utf8SequenceLength(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
    }
    out = Put(out, s.substr(run_start, i - run_start));
    if (cls == 2) {
      out = PutLiteral(out, "\xEF\xBF\xBD");  // U+FFFD for an invalid byte
    } else {
      switch (c) {
        case '"': out = PutLiteral(out, "\\\""); break;
        case '\\': out = PutLiteral(out, "\\\\"); break;
        case '\n': out = PutLiteral(out, "\\n"); break;
        case '\r': out = PutLiteral(out, "\\r"); break;
        case '\t': out = PutLiteral(out, "\\t"); break;
        case '\b': out = PutLiteral(out, "\\b"); break;
        case '\f': out = PutLiteral(out, "\\f"); break;
        default:
          out = PutLiteral(out, "\\u00");
          *out++ = kHex[c >> 4];
          *out++ = kHex[c & 15];
      }
    }
    ++i;
    run_start = i;
  }
  out = Put(out, s.substr(run_start));
  *out++ = '"';
  return out;
}

constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char* WriteBase64(char* out, std::string_view bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t n = bytes.size();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    *out++ = kBase64Alphabet[v >> 18];
    *out++ = kBase64Alphabet[(v >> 12) & 63];
    *out++ = kBase64Alphabet[(v >> 6) & 63];
    *out++ = kBase64Alphabet[v & 63];
  }
  if (i < n) {
    uint32_t v = p[i] << 16;
    if (i + 1 < n) v |= p[i + 1] << 8;
    *out++ = kBase64Alphabet[v >> 18];
    *out++ = kBase64Alphabet[(v >> 12) & 63];
    *out++ = i + 1 < n ? kBase64Alphabet[(v >> 6) & 63] : '=';
    *out++ = '=';
  }
  return out;
}

char* WriteDouble(char* out, double v, bool quote_specials) {
  if (std::isnan(v) || std::isinf(v)) {
    if (quote_specials) *out++ = '"';
    out = Put(out, std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));
    if (quote_specials) *out++ = '"';
    return out;
  }
  return std::to_chars(out, out + kMaxNumberText, v).ptr;
}

char* WriteInt(char* out, int64_t v) { return std::to_chars(out, out + kMaxNumberText, v).ptr; }

// The room WriteValue may take for a non-null value of a fixed-size type; 0 for the others.
size_t FixedValueBound(TypeId type) {
  switch (type) {
    case TypeId::kBoolean:
    case TypeId::kInteger:
    case TypeId::kNumber: return kMaxNumberText;
    case TypeId::kDate: return kMaxDateText + 2;
    case TypeId::kTimeNoTz:
    case TypeId::kTimeTz: return kMaxTimeText + 2;
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz: return kMaxTimestampText + 2;
    case TypeId::kDecimal:
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kJson: return 0;
  }
  return 0;
}

// The room WriteValue may take for a non-null value.
size_t ValueBound(const Column& col, size_t row) {
  switch (col.type()) {
    case TypeId::kDecimal:
    case TypeId::kString: return JsonStringBound(col.Bytes(row).size());
    case TypeId::kBinary: return Base64Size(col.Bytes(row).size()) + 2;
    case TypeId::kJson: return col.Bytes(row).size();
    default: return FixedValueBound(col.type());
  }
}

// Writes the text form of a non-null value (room: ValueBound); `json` adds quotes/escaping for
// string-like values.
char* WriteValue(char* out, const Column& col, size_t row, bool json) {
  const auto open = [&] {
    if (json) *out++ = '"';
  };
  const auto close = [&] {
    if (json) *out++ = '"';
    return out;
  };
  switch (col.type()) {
    case TypeId::kBoolean: return col.Bool(row) ? PutLiteral(out, "true") : PutLiteral(out, "false");
    case TypeId::kInteger: return WriteInt(out, col.Int64(row));
    case TypeId::kNumber: return WriteDouble(out, col.Double(row), json);
    case TypeId::kDecimal: {
      std::string_view v = col.Bytes(row);
      const bool special = !v.empty() && !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9'));
      return special && json ? WriteJsonString(out, v) : Put(out, v);
    }
    case TypeId::kString: return json ? WriteJsonString(out, col.Bytes(row)) : Put(out, col.Bytes(row));
    case TypeId::kBinary:
      open();
      out = WriteBase64(out, col.Bytes(row));
      return close();
    case TypeId::kDate:
      open();
      out = WriteDate(out, col.Int32(row));
      return close();
    case TypeId::kTimeNoTz:
    case TypeId::kTimeTz:
      open();
      out = WriteTime(out, col.Int64(row), col.type() == TypeId::kTimeTz);
      return close();
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz: {
      const int64_t v = col.Int64(row);
      open();
      if (v == kInfinityMicros) {
        out = PutLiteral(out, "infinity");
      } else if (v == kMinusInfinityMicros) {
        out = PutLiteral(out, "-infinity");
      } else {
        out = WriteTimestamp(out, v, col.type() == TypeId::kTimestampTz);
      }
      return close();
    }
    case TypeId::kJson: return Put(out, col.Bytes(row));
  }
  return out;
}

void AppendValue(std::string& out, const Column& col, size_t row, bool json) {
  StringOut raw(out);
  raw.Commit(WriteValue(raw.Reserve(ValueBound(col, row)), col, row, json));
}

// Per-thread cache of a schema's `"name":` prefixes and the room its records take apart from
// the variable-length values. It holds the schema, so a freed schema's address cannot be reused
// by another while it is cached. A reference stays valid until the thread asks for 8 other
// schemas.
struct RecordLayout {
  SchemaPtr schema;
  std::vector<std::string> prefixes;
  //! Each field's name as JSON text spells it without escapes beyond the necessary (quotes left
  //! out): the reader compares record keys with these before unescaping them. Empty when the
  //! name is not valid UTF-8 (no JSON key can spell it).
  std::vector<std::string_view> raw_keys;
  std::vector<size_t> variable;  // columns whose room depends on the value
  size_t fixed_bound = 0;        // braces, prefixes, fixed-width values (or null)
};

const RecordLayout& LayoutFor(const SchemaPtr& schema_ptr) {
  // A few schemas at once: records of several streams often come interleaved.
  constexpr size_t kSlots = 8;
  thread_local std::array<RecordLayout, kSlots> caches;
  thread_local size_t next_slot = 0;
  for (const RecordLayout& c : caches) {
    if (c.schema == schema_ptr) return c;
  }
  RecordLayout& cache = caches[next_slot];
  next_slot = (next_slot + 1) % kSlots;
  const Schema& schema = *schema_ptr;
  {
    cache.schema = schema_ptr;
    cache.prefixes.clear();
    cache.raw_keys.clear();
    cache.variable.clear();
    cache.fixed_bound = 2;
    for (size_t i = 0; i < schema.num_fields(); ++i) {
      std::string p = i == 0 ? "" : ",";
      AppendJsonString(p, schema.field(i).name);
      p.push_back(':');
      cache.fixed_bound += p.size();
      cache.prefixes.push_back(std::move(p));
      const size_t fixed = FixedValueBound(schema.field(i).type);
      cache.fixed_bound += std::max<size_t>(fixed, 4);  // 4: "null"
      if (fixed == 0) cache.variable.push_back(i);
    }
    for (size_t i = 0; i < schema.num_fields(); ++i) {
      const std::string& name = schema.field(i).name;
      bool valid = true;
      for (size_t k = 0; valid && k < name.size();) {
        const size_t n = Utf8SequenceLength(name, k);
        valid = n != 0;
        k += n;
      }
      const std::string& p = cache.prefixes[i];
      const size_t skip = i == 0 ? 1 : 2;  // [,]" … ":
      cache.raw_keys.push_back(valid ? std::string_view(p).substr(skip, p.size() - skip - 2) : std::string_view());
    }
  }
  return cache;
}

size_t RecordDataBound(const RecordLayout& layout, const RecordBatch& batch, size_t row) {
  size_t n = layout.fixed_bound;
  for (size_t i : layout.variable) {
    const Column& c = batch.column(i);
    if (!c.IsNull(row)) n += ValueBound(c, row);
  }
  return n;
}

char* WriteRecordData(char* out, const RecordLayout& layout, const RecordBatch& batch, size_t row) {
  *out++ = '{';
  for (size_t i = 0; i < batch.num_columns(); ++i) {
    out = Put(out, layout.prefixes[i]);
    const Column& c = batch.column(i);
    out = c.IsNull(row) ? PutLiteral(out, "null") : WriteValue(out, c, row, true);
  }
  *out++ = '}';
  return out;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  StringOut raw(out);
  raw.Commit(WriteJsonString(raw.Reserve(JsonStringBound(s.size())), s));
}

void AppendValueJson(std::string& out, const Column& column, size_t row) { AppendValue(out, column, row, true); }
void AppendValueText(std::string& out, const Column& column, size_t row) { AppendValue(out, column, row, false); }

void AppendRecordData(std::string& out, const RecordBatch& batch, size_t row) {
  const RecordLayout& layout = LayoutFor(batch.schema_ptr());
  StringOut raw(out);
  raw.Commit(WriteRecordData(raw.Reserve(RecordDataBound(layout, batch, row)), layout, batch, row));
}

void AppendRecordMeta(std::string& out, const RecordBatch& batch, size_t row, size_t& cursor) {
  const auto& changes = batch.changes();
  while (cursor < changes.size() && changes[cursor].row < row) ++cursor;
  if (cursor >= changes.size() || changes[cursor].row != row) return;
  out += "{\"changes\":[";
  bool first = true;
  while (cursor < changes.size() && changes[cursor].row == row) {
    const RecordChange& ch = changes[cursor++];
    if (!first) out.push_back(',');
    first = false;
    out += "{\"field\":";
    AppendJsonString(out, ch.field);
    out += ",\"change\":\"";
    out += ChangeKindName(ch.change);
    out += "\",\"reason\":\"";
    out += ChangeReasonName(ch.reason);
    out += "\"}";
  }
  out += "]}";
}

namespace {

template <typename Out, typename Buffer>
void WriteRecordMessages(Buffer& out, const RecordBatch& batch, const StreamDescriptor& stream) {
  // Everything before the data object and after it is the same for every line of the batch.
  std::string head = "{\"type\":\"RECORD\",\"record\":{";
  if (stream.namespace_) {
    head += "\"namespace\":";
    AppendJsonString(head, *stream.namespace_);
    head.push_back(',');
  }
  head += "\"stream\":";
  AppendJsonString(head, stream.name);
  head += ",\"data\":";
  const std::string tail = ",\"emitted_at\":" + std::to_string(batch.emitted_at_ms());
  const RecordLayout& layout = LayoutFor(batch.schema_ptr());
  const size_t line_bound = head.size() + tail.size() + 3;
  std::string meta;
  size_t cursor = 0;
  Out raw(out);
  for (size_t row = 0; row < batch.num_rows(); ++row) {
    meta.clear();
    if (cursor < batch.changes().size() && batch.changes()[cursor].row <= row) {
      AppendRecordMeta(meta, batch, row, cursor);
    }
    char* p = raw.Reserve(line_bound + RecordDataBound(layout, batch, row) + meta.size() + 8);
    p = Put(p, head);
    p = WriteRecordData(p, layout, batch, row);
    p = Put(p, tail);
    if (!meta.empty()) {
      p = PutLiteral(p, ",\"meta\":");
      p = Put(p, meta);
    }
    raw.Commit(PutLiteral(p, "}}\n"));
  }
}

}  // namespace

void AppendRecordMessages(std::string& out, const RecordBatch& batch, const StreamDescriptor& stream) {
  WriteRecordMessages<StringOut>(out, batch, stream);
}

void AppendRecordMessages(PodBuffer& out, const RecordBatch& batch, const StreamDescriptor& stream) {
  WriteRecordMessages<PodOut>(out, batch, stream);
}

std::string SerializeMessage(const Json& message) {
  return message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Json LogMessageJson(LogLevel level, std::string_view text) {
  return Json{{"type", "LOG"}, {"log", {{"level", LogLevelName(level)}, {"message", std::string(text)}}}};
}

Json TraceErrorMessage(const Status& status, const StreamDescriptor* stream) {
  Json error = {{"message", status.message()},
                {"failure_type", status.cancelled() ? "system_error" : FailureTypeName(status.failure_type())}};
  if (!status.detail().empty()) error["internal_message"] = status.detail();
  if (stream) error["stream_descriptor"] = stream->ToJson();
  return Json{{"type", "TRACE"},
              {"trace", {{"type", "ERROR"}, {"emitted_at", static_cast<double>(NowMicros() / 1000)}, {"error", error}}}};
}

Json StreamStatusMessage(const StreamDescriptor& stream, std::string_view status) {
  return Json{{"type", "TRACE"},
              {"trace",
               {{"type", "STREAM_STATUS"},
                {"emitted_at", static_cast<double>(NowMicros() / 1000)},
                {"stream_status", {{"stream_descriptor", stream.ToJson()}, {"status", std::string(status)}}}}}};
}

Json StateMessageJson(const StateMessage& state) { return Json{{"type", "STATE"}, {"state", state.ToJson()}}; }

void AppendBase64(std::string& out, std::string_view bytes) {
  StringOut raw(out);
  raw.Commit(WriteBase64(raw.Reserve(Base64Size(bytes.size())), bytes));
}

bool DecodeBase64(std::string_view text, std::string& out) {
  static constexpr auto kDecode = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kBase64Alphabet[i])] = static_cast<int8_t>(i);
    return t;
  }();
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : text) {
    const int8_t d = kDecode[static_cast<uint8_t>(ch)];
    if (d < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return bits < 6;
}

bool json_column::IsNumberText(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (digits == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t frac = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++frac;
    if (frac == 0) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == s.size();
}

// ---- Input --------------------------------------------------------------------------------

namespace {

namespace od = simdjson::ondemand;

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

using json_column::ParseWhole;


// The raw JSON text of any value (objects and arrays whole).
simdjson::error_code RawJson(od::value& v, od::json_type type, std::string_view& out) {
  if (type == od::json_type::object) {
    od::object o;
    if (auto e = v.get_object().get(o)) return e;
    return o.raw_json().get(out);
  }
  if (type == od::json_type::array) {
    od::array a;
    if (auto e = v.get_array().get(a)) return e;
    return a.raw_json().get(out);
  }
  out = TrimRight(v.raw_json_token());
  return simdjson::SUCCESS;
}

// simdjson's On-Demand value seen as json_column.h's value view.
struct OnDemandValue {
  od::value& v;
  od::json_type type{};

  simdjson::error_code Kind(JsonKind& kind) {
    if (auto e = v.type().get(type)) return e;
    switch (type) {
      case od::json_type::null: {
        bool is_null;  // "nul" and the like are errors, not nulls
        if (auto e = v.is_null().get(is_null)) return e;
        kind = JsonKind::kNull;
        break;
      }
      case od::json_type::boolean: kind = JsonKind::kBoolean; break;
      case od::json_type::number: kind = JsonKind::kNumber; break;
      case od::json_type::string: kind = JsonKind::kString; break;
      case od::json_type::object: kind = JsonKind::kObject; break;
      case od::json_type::array: kind = JsonKind::kArray; break;
    }
    return simdjson::SUCCESS;
  }
  simdjson::error_code Bool(bool& out) { return v.get_bool().get(out); }
  simdjson::error_code Int64(int64_t& out) { return v.get_int64().get(out); }
  simdjson::error_code Double(double& out) { return v.get_double().get(out); }
  simdjson::error_code String(std::string_view& out) { return v.get_string().get(out); }
  simdjson::error_code NumberText(std::string_view& out) {
    out = TrimRight(v.raw_json_token());
    return simdjson::SUCCESS;
  }
  simdjson::error_code JsonText(JsonKind, std::string_view& out) { return RawJson(v, type, out); }
};

// The key of a protocol message's field: compared raw with the one plain name the reader looks
// for that starts with the same letter, unescaped only when that is not it (a key spelled with
// escapes, or another key).
template <size_t N>
bool RawKeyIs(const od::raw_json_string& raw, const char (&name)[N]) {
  return std::memcmp(raw.raw(), name, N - 1) == 0 && raw.raw()[N - 1] == '"';
}

simdjson::error_code MessageKey(simdjson::simdjson_result<od::field>& field, std::string_view& key) {
  od::raw_json_string raw;
  if (auto e = field.key().get(raw)) return e;
  bool known = false;
  switch (raw.raw()[0]) {  // a key is at least '"' before the padding: the bytes are there
    case 't': known = RawKeyIs(raw, "type"), key = "type"; break;
    case 'r': known = RawKeyIs(raw, "record"), key = "record"; break;
    case 's': known = RawKeyIs(raw, "stream"), key = "stream"; break;
    case 'd': known = RawKeyIs(raw, "data"), key = "data"; break;
    case 'e': known = RawKeyIs(raw, "emitted_at"), key = "emitted_at"; break;
    case 'n': known = RawKeyIs(raw, "namespace"), key = "namespace"; break;
    default: break;
  }
  return known ? simdjson::SUCCESS : field.unescaped_key().get(key);
}

Status JsonError(simdjson::error_code e, std::string_view where) {
  return Status::ConfigError(std::string(where) + ": invalid JSON (" + simdjson::error_message(e) + ")");
}

}  // namespace

Status AppendJsonObjectRow(od::object& object, RecordBatch& batch, ChangeReason reason, size_t* unknown_fields) {
  const Schema& schema = batch.schema();
  const RecordLayout& layout = LayoutFor(batch.schema_ptr());
  const size_t row = batch.num_rows();
  size_t expected = 0;
  for (auto result : object) {
    if (auto e = result.error()) {
      batch.AbandonRow();
      return JsonError(e, "record");
    }
    // The field and its value are used in place: copying simdjson's small result structs
    // back and forth was a tenth of the reader's time (stores read back at another width).
    od::field&& field = std::move(result).value_unsafe();
    const od::raw_json_string raw_key = field.key();
    std::string_view key;
    int index = -1;
    // The usual case: the next field of the schema, spelled as the encoder spells it.
    if (expected < schema.num_fields() && !layout.raw_keys[expected].empty() &&
        raw_key.unsafe_is_equal(layout.raw_keys[expected])) {
      index = static_cast<int>(expected);
      key = schema.field(expected).name;
    } else {
      if (auto e = field.unescaped_key().get(key)) {
        batch.AbandonRow();
        return JsonError(e, "record");
      }
      if (expected < schema.num_fields() && schema.field(expected).name == key) {
        index = static_cast<int>(expected);
      } else {
        index = schema.IndexOf(key);
      }
    }
    od::value& value = field.value();
    if (index < 0 || batch.column(static_cast<size_t>(index)).size() != row) {
      // Unknown (or duplicate) field: skip its value.
      if (unknown_fields) ++*unknown_fields;
      continue;
    }
    expected = static_cast<size_t>(index) + 1;
    Column& col = batch.column(static_cast<size_t>(index));
    bool fits;
    OnDemandValue view{value};
    if (auto e = AppendJsonValueAs(view, col, fits)) {
      batch.AbandonRow();
      return JsonError(e, "record field '" + std::string(key) + "'");
    }
    if (!fits) {
      col.AppendNull();
      batch.AddChange(schema.field(static_cast<size_t>(index)).name, ChangeKind::kNulled, reason);
    }
  }
  batch.FinishRow();
  return Status::Ok();
}

namespace {

// ---- The record line fast path ----
//
// RECORD lines as encoders usually write them — compact {"type":"RECORD","record":{
// ["namespace":"…",]"stream":"…","data":{…},"emitted_at":N}}, keys in the schema's order,
// strings without escapes, values of their column's type — are read by a plain scan, without
// simdjson (its per-line setup and per-value iteration were most of the reader's time). Anything else, and
// every value the scan cannot take exactly as the simdjson path would (escapes, nested JSON,
// binary, a number out of range, a value of another type), sends the whole line to the
// simdjson path: the scan has no side effects until a line is known to be complete.

// Reads a compact line (no whitespace between tokens: a line with any goes to simdjson).
class LineScanner {
 public:
  explicit LineScanner(std::string_view line) : p_(line.data()), end_(line.data() + line.size()) {}

  bool AtEnd() const { return p_ == end_; }
  const char* pos() const { return p_; }
  // The end of a line: blanks a line may end with (ParseLine's trim), then '\n'.
  bool LineEnd() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r')) ++p_;
    return Token("\n");
  }
  //! True once a string held a byte >= 0x80 (everything else a scan accepts is ASCII, so a line
  //! without one needs no UTF-8 check).
  bool non_ascii() const { return non_ascii_; }
  // The next bytes are `text`.
  template <size_t N>
  bool Token(const char (&text)[N]) {
    if (static_cast<size_t>(end_ - p_) < N - 1 || std::memcmp(p_, text, N - 1) != 0) return false;
    p_ += N - 1;
    return true;
  }
  // The next bytes are `text` (a field's `,"name":` prefix), compared inline a word at a time.
  bool Piece(std::string_view text) {
    const size_t n = text.size();
    if (n == 0 || static_cast<size_t>(end_ - p_) < n) return false;
    const char* t = text.data();
    if (n >= 8) {
      for (size_t i = 0; i + 8 < n; i += 8) {
        if (Load8(p_ + i) != Load8(t + i)) return false;
      }
      if (Load8(p_ + n - 8) != Load8(t + n - 8)) return false;
    } else if (n >= 4) {  // two overlapping words
      if (Load4(p_) != Load4(t) || Load4(p_ + n - 4) != Load4(t + n - 4)) return false;
    } else {
      for (size_t i = 0; i < n; ++i) {
        if (p_[i] != t[i]) return false;
      }
    }
    p_ += n;
    return true;
  }
  // A string without escapes or control characters (UTF-8 is checked once for the line): one
  // pass eight bytes at a time for the closing quote, a backslash or a control character.
  bool String(std::string_view& out) {
    if (p_ == end_ || *p_ != '"') return false;
    const char* start = p_ + 1;
    const char* q = start;
    constexpr uint64_t kOnes = 0x0101010101010101ULL;
    constexpr uint64_t kHigh = 0x8080808080808080ULL;
    bool found = false;  // q is at a byte to look at one by one
#if defined(__SSE2__)
    // Sixteen bytes at a time: a signed compare with 0x20 flags control bytes and non-ASCII.
    while (end_ - q >= 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
      __m128i below = _mm_cmplt_epi8(x, _mm_set1_epi8(0x20));
      if (non_ascii_) below = _mm_and_si128(below, _mm_cmpgt_epi8(x, _mm_set1_epi8(-1)));
      const __m128i hit = _mm_or_si128(below, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                                            _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
      const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
      if (mask == 0) {
        q += 16;
        continue;
      }
      q += std::countr_zero(mask);
      if (static_cast<uint8_t>(*q) < 0x80) {
        found = true;
        break;
      }
      non_ascii_ = true;
      ++q;
    }
#endif
    uint64_t high = non_ascii_ ? 0 : kHigh;  // looked for until one is seen
    while (!found && end_ - q >= 8) {
      const uint64_t x = Load8(q);
      const uint64_t quote = x ^ (kOnes * '"');
      const uint64_t backslash = x ^ (kOnes * '\\');
      // The lowest flagged byte is exact (a false flag only ever follows a true one).
      const uint64_t flags = ((quote - kOnes) & ~quote & kHigh) | ((backslash - kOnes) & ~backslash & kHigh) |
                             ((x - kOnes * 0x20) & ~x & kHigh) | (x & high);
      if (flags == 0) {
        q += 8;
        continue;
      }
      q += std::countr_zero(flags) >> 3;
      if (static_cast<uint8_t>(*q) < 0x80) break;
      non_ascii_ = true;
      high = 0;
      ++q;
    }
    for (; q != end_ && *q != '"'; ++q) {
      if (*q == '\\' || static_cast<uint8_t>(*q) < 0x20) return false;
      non_ascii_ |= static_cast<uint8_t>(*q) >= 0x80;
    }
    if (q == end_) return false;
    out = std::string_view(start, static_cast<size_t>(q - start));
    p_ = q + 1;
    return true;
  }
  // A number as JSON's grammar has it; `integral` when it has no fraction and no exponent, then
  // `value` holds it when it has at most 18 digits (else `integral` is false too).
  bool Number(std::string_view& out, bool& integral, int64_t& value) {
    // On locals (a member pointer went back to memory at every digit).
    const char* p = p_;
    const char* const end = end_;
    const char* const start = p;
    const bool negative = p != end && *p == '-';
    if (negative) ++p;
    if (p == end || !IsDigit(*p)) return false;
    uint64_t v = 0;
    const char* const digits = p;
    if (*p == '0') {
      ++p;
    } else {
      // Eight bytes at a time: the digits among them found at once, their value by the SWAR
      // formula with the digits moved to the low end (past 19 digits `v` wraps, unused then).
      static constexpr uint64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};
      while (end - p >= 8) {
        const uint64_t x = Load8(p);
        const uint64_t other = NonDigits(x);
        if (other == 0) {
          v = v * 100000000 + EightDigitsValue(x);
          p += 8;
          continue;
        }
        const unsigned n = static_cast<unsigned>(std::countr_zero(other)) >> 3;  // digits before the first other byte
        if (n > 0) {
          v = v * kPow10[n] + EightDigitsValue((x << (8 * (8 - n))) | (0x3030303030303030ULL >> (8 * n)));
          p += n;
        }
        goto digits_done;
      }
      while (p != end && IsDigit(*p)) v = v * 10 + static_cast<uint64_t>(*p++ - '0');
    digits_done:;
    }
    integral = p - digits <= 18;
    value = negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
    if (p != end && *p == '.') {
      integral = false;
      ++p;
      if (!Digits(p, end)) return false;
    }
    if (p != end && (*p == 'e' || *p == 'E')) {
      integral = false;
      ++p;
      if (p != end && (*p == '+' || *p == '-')) ++p;
      if (!Digits(p, end)) return false;
    }
    out = std::string_view(start, static_cast<size_t>(p - start));
    p_ = p;
    return true;
  }

 private:
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  static uint64_t Load8(const char* p) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    return x;
  }
  static uint32_t Load4(const char* p) {
    uint32_t x;
    std::memcpy(&x, p, 4);
    return x;
  }
  // Skips digits at `p`; false when there is none.
  static bool Digits(const char*& p, const char* end) {
    const char* start = p;
    while (end - p >= 8) {
      const uint64_t other = NonDigits(Load8(p));
      if (other != 0) {
        p += std::countr_zero(other) >> 3;
        return p != start;
      }
      p += 8;
    }
    while (p != end && IsDigit(*p)) ++p;
    return p != start;
  }
  // The high bit of each byte of `x` (read little-endian) that is not an ASCII digit; exact up
  // to the first such byte (the carries of x + 0x46… only run up from a flagged byte).
  static uint64_t NonDigits(uint64_t x) {
    constexpr uint64_t kHigh = 0x8080808080808080ULL;
    const uint64_t above_nine = x | (x + 0x4646464646464646ULL);           // b >= 0x3A or b >= 0x80
    const uint64_t below_zero = ~((x | kHigh) - 0x3030303030303030ULL);  // (b & 0x7F) < 0x30
    return (above_nine | below_zero) & kHigh;
  }
  // The usual SWAR tests on eight bytes read little-endian: all ASCII digits, and their value.
  static bool EightDigits(uint64_t x) {
    return ((x & 0xF0F0F0F0F0F0F0F0ULL) | (((x + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) ==
           0x3333333333333333ULL;
  }
  static uint64_t EightDigitsValue(uint64_t x) {
    x -= 0x3030303030303030ULL;
    x = x * 10 + (x >> 8);  // pairs: each even byte holds two digits' value
    return (((x & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
            (((x >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
           32;
  }
  const char* p_;
  const char* end_;
  bool non_ascii_ = false;
};

// Scans one value into `col` (appended at once; the caller takes the row back with
// RecordBatch::AbandonRow when the line goes to simdjson after all). False when the simdjson
// path must read it.
bool ScanValue(LineScanner& in, Column& col) {
  if (in.Token("null")) {
    col.AppendNull();
    return true;
  }
  std::string_view text;
  bool integral = false;
  int64_t whole = 0;
  switch (col.type()) {
    case TypeId::kBoolean:
      if (in.Token("true")) {
        col.AppendBool(true);
        return true;
      }
      if (!in.Token("false")) return false;
      col.AppendBool(false);
      return true;
    case TypeId::kInteger:
      if (!in.Number(text, integral, whole) || !integral) return false;
      col.AppendInt64(whole);
      return true;
    case TypeId::kNumber: {
      // Correctly rounded, as simdjson's. Out of range, an underflow to zero or a subnormal is
      // left to simdjson's own verdict.
      double d;
      if (!in.Number(text, integral, whole) || !ParseWhole(text, d)) return false;
      if (!std::isnormal(d)) {
        const std::string_view mantissa = text.substr(0, text.find_first_of("eE"));
        if (!(d == 0 && mantissa.find_first_of("123456789") == std::string_view::npos)) return false;
      }
      col.AppendDouble(d);
      return true;
    }
    case TypeId::kDecimal:
      if (!in.Number(text, integral, whole)) return false;
      col.AppendBytes(text);
      return true;
    case TypeId::kString:
      if (!in.String(text)) return false;
      col.AppendBytes(text);
      return true;
    case TypeId::kDate: {
      if (!in.String(text)) return false;
      const auto d = ParseDate(text);
      if (!d || *d < INT32_MIN || *d > INT32_MAX) return false;
      col.AppendInt32(static_cast<int32_t>(*d));
      return true;
    }
    case TypeId::kTimeNoTz:
    case TypeId::kTimeTz: {
      if (!in.String(text)) return false;
      const auto t = ParseTime(text);
      if (!t) return false;
      col.AppendInt64(*t);
      return true;
    }
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz: {
      if (!in.String(text)) return false;
      if (text == "infinity" || text == "-infinity") {
        col.AppendInt64(text[0] == '-' ? kMinusInfinityMicros : kInfinityMicros);
        return true;
      }
      const auto t = ParseTimestamp(text);
      if (!t) return false;
      col.AppendInt64(*t);
      return true;
    }
    case TypeId::kBinary:
    case TypeId::kJson: return false;
  }
  return false;
}

// Scans the data object of a record into the open row of `batch` (fields left out at the end
// are null: FinishRow's). False when the simdjson path must read the line; the values appended
// so far are then still in the row (the caller abandons it).
bool ScanData(LineScanner& in, const RecordLayout& layout, RecordBatch& batch) {
  if (!in.Token("{")) return false;
  if (in.Token("}")) return true;
  for (size_t i = 0; i < batch.num_columns(); ++i) {
    // `"name":`, or `,"name":` after the first: a key spelled as the encoder spells it.
    if (layout.raw_keys[i].empty() || !in.Piece(layout.prefixes[i])) return false;
    if (!ScanValue(in, batch.column(i))) return false;
    if (in.Token("}")) return true;
  }
  return false;  // more fields than the schema has
}

}  // namespace

struct ProtocolReader::Impl {
  const ConfiguredCatalog& catalog;
  MessageHandler& handler;
  ProtocolReaderOptions options;
  od::parser parser;
  od::parser data_parser;  // for record data that came before its stream name
  std::string buffer;      // the unfinished last line of earlier Feed calls
  uint64_t line_number = 0;
  std::vector<RecordBatch> pending;       // one open batch per stream (empty schema = none yet)
  std::vector<std::vector<size_t>> last_sizes;  // per stream: its last batch's rows, then each column's bytes
  std::vector<bool> warned_unknown;
  std::unordered_map<std::string, int> by_name;  // stream name → index if unique, -2 if ambiguous
  int last_stream = -1;
  std::string last_name;
  std::optional<std::string> last_ns;
  bool scan_records;  // options.scan_records
  std::string scratch;  // a line copied out for simdjson's padding (ParseLines)
  // Per stream: lines the scan tried and gave up on in the current window of kScanWindow; a
  // stream whose lines mostly go to simdjson anyway (nested JSON, escapes) stops being scanned.
  static constexpr uint32_t kScanWindow = 1024;
  struct ScanCount {
    uint32_t tries = 0;
    uint32_t misses = 0;
    bool off = false;
  };
  std::vector<ScanCount> scan_counts;

  // Parses the complete lines in [p, end) (`end` follows a '\n'); `memory_end` bounds what may
  // be read. On an error, `*stop` is where the lines not yet parsed begin.
  Status ParseLines(const char* p, const char* end, const char* memory_end, const char** stop);

  Impl(const ConfiguredCatalog& c, MessageHandler& h, ProtocolReaderOptions o)
      : catalog(c), handler(h), options(o), scan_records(o.scan_records) {
    pending.resize(catalog.streams.size());
    last_sizes.resize(catalog.streams.size());
    scan_counts.resize(catalog.streams.size());
    warned_unknown.resize(catalog.streams.size());
    for (size_t i = 0; i < catalog.streams.size(); ++i) {
      auto [it, inserted] = by_name.emplace(catalog.streams[i].stream.name, static_cast<int>(i));
      if (!inserted) it->second = -2;
    }
  }

  RecordBatch& BatchFor(int stream) {
    RecordBatch& b = pending[static_cast<size_t>(stream)];
    if (!b.schema_ptr()) {
      b = RecordBatch(catalog.streams[static_cast<size_t>(stream)].schema, static_cast<uint32_t>(stream));
      // Room for as much as the stream's last batch held: a new batch's columns would otherwise
      // grow from nothing again (a dozen reallocations and copies each, new pages every time).
      const std::vector<size_t>& sizes = last_sizes[static_cast<size_t>(stream)];
      if (!sizes.empty()) {
        for (size_t c = 0; c < b.num_columns(); ++c) b.column(c).Reserve(sizes[0], sizes[c + 1]);
      }
    }
    return b;
  }

  Status FlushStream(size_t i) {
    RecordBatch& b = pending[i];
    if (!b.schema_ptr() || b.num_rows() == 0) return Status::Ok();
    std::vector<size_t>& sizes = last_sizes[i];
    sizes.assign(1, b.num_rows());
    for (size_t c = 0; c < b.num_columns(); ++c) sizes.push_back(b.column(c).bytes().size());
    RecordBatch out = std::move(b);
    b = RecordBatch();
    return handler.OnBatch(std::move(out));
  }

  Status FlushAll() {
    for (size_t i = 0; i < pending.size(); ++i) SLUICE_RETURN_IF_ERROR(FlushStream(i));
    return Status::Ok();
  }

  std::string Where() const { return "line " + std::to_string(line_number); }

  Status Invalid(std::string message) {
    if (options.skip_invalid_lines) {
      Log(LogLevel::kWarn, "skipping {}: {}", Where(), message);
      return Status::Ok();
    }
    return Status::ConfigError(Where() + ": " + message);
  }

  // Resolves a stream; -1 when unknown.
  int Resolve(std::string_view name, const std::optional<std::string_view>& ns) {
    if (!ns) {
      auto it = by_name.find(std::string(name));
      if (it != by_name.end() && it->second >= 0) return it->second;
    }
    for (size_t i = 0; i < catalog.streams.size(); ++i) {
      const auto& s = catalog.streams[i].stream;
      if (s.name != name) continue;
      if (ns ? (s.namespace_ && *s.namespace_ == *ns) : !s.namespace_) return static_cast<int>(i);
    }
    return -1;
  }

  // The stream of a record whose data comes now, or -1 if its namespace might still follow.
  int ResolveEarly(std::string_view name, const std::optional<std::string_view>& ns) {
    if (last_stream >= 0 && name == last_name && ns.has_value() == last_ns.has_value() &&
        (!ns || *ns == *last_ns)) {
      return last_stream;
    }
    int stream = -1;
    if (ns) {
      stream = Resolve(name, ns);
    } else {
      auto it = by_name.find(std::string(name));
      if (it != by_name.end() && it->second >= 0) stream = it->second;
    }
    if (stream >= 0) {
      last_stream = stream;
      last_name.assign(name);
      last_ns = ns ? std::optional<std::string>(std::string(*ns)) : std::nullopt;
    }
    return stream;
  }

  // Appends the record's data to its stream's batch; the caller hands the batch over when it is
  // full (FlushIfFull) once the record's emitted_at is known.
  Status AppendRecord(int stream, od::object& data) {
    RecordBatch& batch = BatchFor(stream);
    size_t unknown = 0;
    Status st = AppendJsonObjectRow(data, batch, ChangeReason::kPlatformSerializationError, &unknown);
    if (!st.ok()) return Invalid(st.message());
    if (unknown > 0 && !warned_unknown[static_cast<size_t>(stream)]) {
      warned_unknown[static_cast<size_t>(stream)] = true;
      Log(LogLevel::kWarn, "stream {}: records carry fields not in the catalog's json_schema; they are dropped",
          catalog.streams[static_cast<size_t>(stream)].descriptor().ToString());
    }
    return Status::Ok();
  }

  // A batch's emitted_at is its first record's.
  Status FlushIfFull(int stream, int64_t emitted_at) {
    RecordBatch& batch = pending[static_cast<size_t>(stream)];
    if (batch.num_rows() == 1) batch.set_emitted_at_ms(emitted_at);
    // The byte size is a sum over the columns: looked at every 16 rows.
    if (batch.num_rows() >= options.batch_rows ||
        ((batch.num_rows() & 15) == 0 && batch.ByteSize() >= options.batch_bytes)) {
      return FlushStream(static_cast<size_t>(stream));
    }
    return Status::Ok();
  }

  Status ParseRecord(od::object& record) {
    std::string_view name;
    std::optional<std::string_view> ns;
    bool have_name = false;
    int64_t emitted_at = 0;
    std::string_view deferred_data;  // raw data object seen before the stream was known
    bool data_done = false;
    int appended_to = -1;  // the stream whose batch got the data in place
    for (auto field : record) {
      std::string_view key;
      if (auto e = MessageKey(field, key)) {
        return Invalid(std::string("invalid JSON: ") + simdjson::error_message(e));
      }
      od::value v;
      if (auto e = field.value().get(v)) return Invalid(std::string("invalid JSON: ") + simdjson::error_message(e));
      if (key == "stream") {
        if (v.get_string().get(name)) return Invalid("record.stream must be a string");
        have_name = true;
      } else if (key == "namespace") {
        bool is_null = false;
        if (v.is_null().get(is_null) == simdjson::SUCCESS && is_null) continue;
        std::string_view n;
        if (v.get_string().get(n)) return Invalid("record.namespace must be a string");
        ns = n;
      } else if (key == "emitted_at") {
        double d;
        if (v.get_double().get(d)) return Invalid("record.emitted_at must be a number");
        // Milliseconds since the epoch; beyond ±2^63 (or NaN) the cast would be undefined.
        if (!(std::fabs(d) < 9.2e18)) return Invalid("record.emitted_at is out of range");
        emitted_at = static_cast<int64_t>(d);
      } else if (key == "data") {
        od::object data;
        if (v.get_object().get(data)) return Invalid("record.data must be an object");
        // Parse in place when the stream is already known and its namespace cannot follow.
        const int stream = have_name ? ResolveEarly(name, ns) : -1;
        if (stream >= 0) {
          const size_t rows = BatchFor(stream).num_rows();
          SLUICE_RETURN_IF_ERROR(AppendRecord(stream, data));
          // A skipped invalid record appended nothing.
          if (BatchFor(stream).num_rows() > rows) appended_to = stream;
          data_done = true;
        } else {
          if (data.raw_json().get(deferred_data)) return Invalid("record.data is not valid JSON");
        }
      }
    }
    if (!have_name) return Invalid("record has no 'stream'");
    if (data_done) return appended_to >= 0 ? FlushIfFull(appended_to, emitted_at) : Status::Ok();
    const int stream = Resolve(name, ns);
    if (stream < 0) {
      return Invalid("record for stream '" + std::string(ns ? std::string(*ns) + "." : "") + std::string(name) +
                     "' which is not in the catalog");
    }
    if (deferred_data.empty()) return Invalid("record has no 'data' object");
    simdjson::padded_string padded(deferred_data);
    od::document doc;
    if (data_parser.iterate(padded).get(doc)) return Invalid("record.data is not valid JSON");
    od::object data;
    if (doc.get_object().get(data)) return Invalid("record.data must be an object");
    const size_t rows = BatchFor(stream).num_rows();
    SLUICE_RETURN_IF_ERROR(AppendRecord(stream, data));
    return BatchFor(stream).num_rows() > rows ? FlushIfFull(stream, emitted_at) : Status::Ok();
  }

  // The fast path (LineScanner above): true when it read the record line at `begin`, with the
  // result in `st`. With `newline`, the line is in [begin, limit) and ends at the first '\n',
  // which must follow the record at once (the line needs no search for its end); `end` is then
  // set past it. Without, the line is exactly [begin, limit).
  bool TryScanRecord(const char* begin, const char* limit, bool newline, Status& st, const char** end = nullptr) {
    LineScanner in(std::string_view(begin, static_cast<size_t>(limit - begin)));
    std::string_view ns_text, name;
    bool has_ns = false;
    if (!in.Token("{\"type\":\"RECORD\",\"record\":{")) return false;
    if (in.Token("\"namespace\":")) {
      if (!in.String(ns_text) || !in.Token(",")) return false;
      has_ns = true;
    }
    if (!in.Token("\"stream\":") || !in.String(name) || !in.Token(",\"data\":")) return false;
    const std::optional<std::string_view> ns = has_ns ? std::optional<std::string_view>(ns_text) : std::nullopt;
    const int stream = ResolveEarly(name, ns);
    if (stream < 0) return false;
    ScanCount& count = scan_counts[static_cast<size_t>(stream)];
    if (count.off) return false;
    if (++count.tries == kScanWindow) {
      count.off = count.misses > kScanWindow / 2;
      count.tries = count.misses = 0;
    }
    RecordBatch& batch = BatchFor(stream);
    std::string_view emitted_text;
    bool integral = false;
    int64_t emitted_at = 0;
    // Up to 15 digits: exact as the double the simdjson path reads it as.
    if (!ScanData(in, LayoutFor(batch.schema_ptr()), batch) || !in.Token(",\"emitted_at\":") ||
        !in.Number(emitted_text, integral, emitted_at) || !integral || emitted_text.size() > 15 || !in.Token("}}") ||
        (in.non_ascii() && !simdjson::validate_utf8(begin, static_cast<size_t>(in.pos() - begin))) ||
        !(newline ? in.LineEnd() : in.AtEnd())) {
      batch.AbandonRow();
      ++count.misses;
      return false;
    }
    if (end != nullptr) *end = in.pos();
    batch.FinishRow();
    st = FlushIfFull(stream, emitted_at);
    return true;
  }

  Status ParseNonRecord(std::string_view line) {
    Json message;
    try {
      message = Json::parse(line);
    } catch (const std::exception& e) {
      return Invalid(std::string("invalid JSON: ") + e.what());
    }
    const std::string type = message.value("type", "");
    if (type == "STATE") {
      if (!message.contains("state")) return Invalid("STATE message has no 'state'");
      auto state = StateMessage::FromJson(message["state"], Where() + " state");
      if (!state.ok()) return state.status();
      SLUICE_RETURN_IF_ERROR(FlushAll());
      return handler.OnState(std::move(state).value());
    }
    return handler.OnOtherMessage(message);
  }

  // `data` has at least SIMDJSON_PADDING readable bytes after the line (`capacity` from `data`).
  // `scanned`: the scan already had this very line (and left it).
  Status ParseLine(const char* data, size_t len, size_t capacity, bool scanned = false) {
    ++line_number;
    std::string_view line(data, len);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    size_t lead = 0;
    while (lead < line.size() && (line[lead] == ' ' || line[lead] == '\t')) ++lead;
    if (lead == line.size()) return Status::Ok();  // blank line
    Status scanned_status;
    // A line the scan had in place (and left) is not scanned again.
    if (scan_records && !scanned && TryScanRecord(line.data(), line.data() + line.size(), false, scanned_status)) {
      return scanned_status;
    }
    // Fast path: only records go through simdjson; everything else is rare and goes to nlohmann.
    od::document doc;
    if (auto e = parser.iterate(data, line.size(), capacity).get(doc)) {
      return Invalid(std::string("invalid JSON: ") + simdjson::error_message(e));
    }
    od::object top;
    if (doc.get_object().get(top)) return Invalid("a protocol message must be a JSON object");
    bool is_record = false;
    bool saw_type = false;
    for (auto field : top) {
      std::string_view key;
      if (auto e = MessageKey(field, key)) {
        return Invalid(std::string("invalid JSON: ") + simdjson::error_message(e));
      }
      od::value v;
      if (auto e = field.value().get(v)) return Invalid(std::string("invalid JSON: ") + simdjson::error_message(e));
      if (key == "type") {
        std::string_view t;
        if (v.get_string().get(t)) return Invalid("message 'type' must be a string");
        saw_type = true;
        if (t != "RECORD") return ParseNonRecord(line);
        is_record = true;
      } else if (key == "record") {
        od::object record;
        if (v.get_object().get(record)) return Invalid("'record' must be an object");
        SLUICE_RETURN_IF_ERROR(ParseRecord(record));
        if (saw_type && is_record) return Status::Ok();
        is_record = true;
      }
    }
    if (!saw_type) return Invalid("message has no 'type'");
    if (!is_record) return Invalid("RECORD message has no 'record'");
    return Status::Ok();
  }
};

ProtocolReader::ProtocolReader(const ConfiguredCatalog& catalog, MessageHandler& handler, ProtocolReaderOptions options)
    : impl_(std::make_unique<Impl>(catalog, handler, options)) {}

ProtocolReader::~ProtocolReader() = default;

uint64_t ProtocolReader::lines() const { return impl_->line_number; }

// Complete lines are read where they are: in the caller's data, or in `buffer` for a line that
// spanned calls. A record line the scan takes needs no search for its end; any other line is
// found with memchr and, when fewer than SIMDJSON_PADDING bytes follow it in that memory,
// copied into `scratch` for simdjson.
Status ProtocolReader::Impl::ParseLines(const char* p, const char* end, const char* memory_end, const char** stop) {
  while (p < end) {
    Status st;
    const char* next = nullptr;
    const bool tried = scan_records;
    if (tried && TryScanRecord(p, end, true, st, &next)) {
      ++line_number;
    } else {
      const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      const size_t len = static_cast<size_t>(nl - p);
      next = nl + 1;
      if (static_cast<size_t>(memory_end - p) >= len + simdjson::SIMDJSON_PADDING) {
        st = ParseLine(p, len, static_cast<size_t>(memory_end - p), tried);
      } else {
        scratch.assign(p, len);
        scratch.reserve(len + simdjson::SIMDJSON_PADDING);
        st = ParseLine(scratch.data(), len, scratch.capacity(), tried);
      }
    }
    if (!st.ok()) {
      *stop = next;
      return st;
    }
    p = next;
  }
  *stop = end;
  return Status::Ok();
}

Status ProtocolReader::Feed(std::string_view data) {
  Impl& im = *impl_;
  std::string& buf = im.buffer;
  const char* p = data.data();
  const char* const end = p + data.size();
  const char* stop = nullptr;
  if (!buf.empty()) {  // finish the line begun in an earlier call
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', data.size()));
    if (nl == nullptr) {
      buf.append(data);
      return Status::Ok();
    }
    buf.append(p, static_cast<size_t>(nl + 1 - p));
    p = nl + 1;
    if (buf.capacity() < buf.size() + simdjson::SIMDJSON_PADDING) buf.reserve(buf.size() + simdjson::SIMDJSON_PADDING);
    const Status st = im.ParseLines(buf.data(), buf.data() + buf.size(), buf.data() + buf.capacity(), &stop);
    buf.clear();
    if (!st.ok()) {
      buf.assign(p, end);  // what is left for another call
      return st;
    }
  }
  const char* last = p == end ? nullptr : static_cast<const char*>(memrchr(p, '\n', static_cast<size_t>(end - p)));
  if (last != nullptr) {
    const Status st = im.ParseLines(p, last + 1, end, &stop);
    if (!st.ok()) {
      buf.assign(stop, end);
      return st;
    }
    p = last + 1;
  }
  buf.assign(p, end);
  return Status::Ok();
}

Status ProtocolReader::Finish() {
  std::string& buf = impl_->buffer;
  if (!buf.empty()) {
    std::string last = std::move(buf);
    buf.clear();
    last.push_back('\n');
    SLUICE_RETURN_IF_ERROR(Feed(last));
  }
  return impl_->FlushAll();
}

}  // namespace sluice
