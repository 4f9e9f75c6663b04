#pragma once
// Records that arrive as JSON objects, into a StreamBatcher's batch — and JSON values parsed by
// simdjson's DOM parser seen as nlohmann's `Json` would see them, so a connector can parse a
// response once with simdjson and still give exactly what a `Json::parse` → `dump()` path gives:
//
//   JsonRows rows;                        // one per thread (it owns a simdjson parser)
//   rows.AppendJson(batcher, record);     // a record held as Json (dumped, then read back)
//   rows.AppendText(batcher, text, n);    // a record's JSON text (n readable bytes from text)
//   rows.AppendDom(batcher, element);     // a record simdjson's DOM parser read
//
//   DumpDomAsJson(element, out)   appends the text `Json::parse(original).dump()` would give
//   DomToJson(element)            the Json `Json::parse(original)` would give
//
// Every rows path lands a record identically: AppendText and AppendJson through
// AppendJsonObjectRow over the object's text, AppendDom straight from the DOM by the same value
// rules (protocol/json_column.h) — as if DumpDomRecord's text were read, without writing it.
// Used by source-declarative-manifest (a page's records without an nlohmann DOM).

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

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
  //! Appends `record` (an object) as AppendText would its `dump()` (invalid UTF-8 replaced):
  //! values go from the Json straight into the columns; a record with a string that is not
  //! valid UTF-8 (or not an object) takes the text path.
  Status AppendJson(StreamBatcher& out, const Json& record);
  //! Appends `record` (an object) as AppendText would DumpDomRecord's text of it, without the
  //! text: values go from the DOM into the columns (an object repeating a column's key takes the
  //! text path, for nlohmann's last-value rule). Not an object: AppendText's error.
  Status AppendDom(StreamBatcher& out, simdjson::dom::element record);

 private:
  simdjson::ondemand::parser parser_;
  std::string scratch_;  // AppendJson's text; AppendDom's texts of single values
  std::string text_;     // AppendDom's text of a record it cannot append from the DOM
};

//! Pages of records parsed by simdjson, appended on a thread of their own (JsonRows::AppendDom),
//! so a source's reading thread fetches and parses the next page while the last one goes into
//! the batch. Submit and Drain are called from one thread (or under the caller's
//! lock); the batcher is used only by the pipe's thread between them, so the caller touches `out`
//! (rows, checkpoints, Finish) only after Drain(). Keeps the pages' order.
class JsonRowsPipe {
 public:
  explicit JsonRowsPipe(StreamBatcher& out, size_t max_pending = 2);
  ~JsonRowsPipe();
  //! Queues a page's records (objects; the vector is swapped for a spare one). `lease` keeps
  //! the document they point into alive and unchanged until the pipe drops it, once they are
  //! appended. Waits while `max_pending` pages are queued. Returns the pipe's first error (then
  //! nothing more is appended).
  Status Submit(std::vector<simdjson::dom::element>& records, std::shared_ptr<void> lease);
  //! Waits until every queued page is in the batch; the first error.
  Status Drain();

 private:
  struct Page {
    std::vector<simdjson::dom::element> records;
    std::shared_ptr<void> lease;
  };
  void Run();

  StreamBatcher& out_;
  const size_t max_pending_;
  JsonRows rows_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Page> queue_;   // waiting pages, oldest first
  std::vector<Page> spare_;  // emptied pages, for their capacity
  bool busy_ = false;        // the thread is appending a page it took
  bool stop_ = false;
  Status error_;
  std::thread thread_;
};

//! Appends to `out` the text nlohmann's `Json::parse(t).dump(-1, ' ', false, replace)` gives for
//! the text t simdjson parsed into `value`: no spaces, keys in document order, strings with
//! nlohmann's escapes, numbers as nlohmann prints them (1E2 → 100.0, 0.10 → 0.1). False (and
//! `out` partly written) when an object repeats a key: nlohmann keeps the last value at the
//! first key's place — the caller takes its Json path for that document then.
bool DumpDomAsJson(simdjson::dom::element value, std::string& out);
//! Appends the text `Json::parse(t).dump(-1, ' ', false, replace)` gives for the record
//! (any value) simdjson parsed from t: DumpDomAsJson, or for an object repeating a key the dump
//! of DomToJson (nlohmann's last value at the first key's place).
void DumpDomRecord(simdjson::dom::element value, std::string& out);
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
