#pragma once
// Records that arrive as JSON objects, into a StreamBatcher's batch — and JSON values parsed by
// simdjson's DOM parser seen as nlohmann's `Json` would see them, so a connector can parse a
// response once with simdjson and still give exactly what a `Json::parse` → `dump()` path gives:
//
//   JsonRows rows;                        // one per thread (it owns a simdjson parser)
//   rows.AppendJson(batcher, record);     // a record held as Json (dumped, then read back)
//   rows.AppendText(batcher, text, n);    // a record's JSON text (n readable bytes from text)
//
//   DumpDomAsJson(element, out)   appends the text `Json::parse(original).dump()` would give
//   DomToJson(element)            the Json `Json::parse(original)` would give
//
// Both rows paths end in AppendJsonObjectRow over the object's text, so a record appended from
// DumpDomAsJson's text and the same record appended through AppendJson land identically.
// Used by source-declarative-manifest (a page's records without an nlohmann DOM).

#include <string>
#include <string_view>

#include <simdjson.h>

#include "base/json.h"
#include "base/status.h"
#include "connectors/kit/stream_batcher.h"

namespace sluice {

class JsonRows {
 public:
  //! Appends the JSON object in `text` as a row of `out`'s batch (fields by name, typed by its
  //! schema: AppendJsonObjectRow) and counts it. `readable`: bytes readable from text.data(), at
  //! least text.size() + simdjson::SIMDJSON_PADDING (what follows the text may be anything).
  //! Text that is no JSON object is a SystemError ("a record could not be re-read").
  Status AppendText(StreamBatcher& out, std::string_view text, size_t readable);
  //! Appends `record` (an object) as AppendText would its `dump()` (invalid UTF-8 replaced).
  Status AppendJson(StreamBatcher& out, const Json& record);

 private:
  simdjson::ondemand::parser parser_;
  std::string scratch_;
};

//! Appends to `out` the text nlohmann's `Json::parse(t).dump(-1, ' ', false, replace)` gives for
//! the text t simdjson parsed into `value`: no spaces, keys in document order, strings with
//! nlohmann's escapes, numbers as nlohmann prints them (1E2 → 100.0, 0.10 → 0.1). False (and
//! `out` partly written) when an object repeats a key: nlohmann keeps the last value at the
//! first key's place — the caller takes its Json path for that document then.
bool DumpDomAsJson(simdjson::dom::element value, std::string& out);
//! The Json `Json::parse(t)` gives for the text simdjson parsed into `value` (non-negative
//! integers unsigned, as nlohmann's parser makes them — "-0" too, a signed 0 to nlohmann; a
//! repeated key keeps its last value).
Json DomToJson(simdjson::dom::element value);
//! `value` as T (one of the types simdjson's element holds: check type() first; else T{}).
template <typename T>
T DomAs(simdjson::dom::element value) {
  T out{};
  if (value.get(out) != simdjson::SUCCESS) return T{};
  return out;
}

}  // namespace sluice
