#pragma once
// A page read without an nlohmann DOM of its records. simdjson parses the response body once;
// the records (at the DpathExtractor's field path, wildcards included) are written from that
// parse straight as the JSON text `Json::parse(body)` → record.dump() would give
// (kit/json_rows.h), and only what the stream's templates read of `response` becomes Json.
//
// Which keys the templates read is decided once per stream, from the template text of its
// requester (error handler) and paginator (ScanResponseReads): `response.next_cursor` and
// `response['has_more']` read one key each; `response` used any other way (`response`,
// `response.get(...)`, `response | length`, `{% set r = response %}`) reads it whole. The read
// loop (declarative_stream.cc) takes this path for streams without a record filter or
// transformations; a body simdjson refuses (not JSON, numbers beyond 64 bits or a double's
// range, a BOM, nesting beyond 1024) goes the Json way, so records, errors and leniencies stay
// nlohmann's. One FastPage per stream copy (one thread); its documents are leased to the record
// sink, which may write them on another thread (kit JsonRowsPipe).

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "base/json.h"

namespace sluice {

//! What templates read of `response`.
struct ResponseReads {
  bool whole = false;             //!< used otherwise than through a key
  std::vector<std::string> keys;  //!< top-level keys read (`response.k`, `response['k']`)
};

//! The `response` reads of every template (`{{ }}` / `{% %}` blocks) in the strings of `component`.
void ScanResponseReads(const Json& component, ResponseReads& reads);

class FastPage {
 public:
  //! Parses `body` (its capacity grown by simdjson's padding) into a document no lease holds.
  //! False when simdjson refuses it.
  bool Parse(std::string& body);
  //! What the templates see as `response`: the keys `reads` names (all of the body when it reads
  //! it whole or the body is no object), as Json::parse would give them.
  Json Response(const ResponseReads& reads) const;
  //! The records RecordSelector::Locate would find at `path` in Json::parse(body): arrays' object
  //! items, objects (not empty ones under a "*" path). They point into the last Parse's document.
  std::vector<simdjson::dom::element> Locate(const std::vector<std::string>& path) const;
  //! The value of `key` in the object `record` as nlohmann reads it (a repeated key: its last
  //! value); false when absent.
  static bool Field(simdjson::dom::element record, std::string_view key, simdjson::dom::element& value);
  //! Keeps the last Parse's document alive and unparsed-over while held (a record sink reading
  //! its records on another thread): later Parses take another document.
  const std::shared_ptr<void>& lease() const { return lease_; }

 private:
  struct Document {
    simdjson::dom::parser parser;
    std::atomic<bool> leased{false};
  };
  std::vector<std::shared_ptr<Document>> documents_;
  std::shared_ptr<void> lease_;
  simdjson::dom::element root_;
};

}  // namespace sluice
