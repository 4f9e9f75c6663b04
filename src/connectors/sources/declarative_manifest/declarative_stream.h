#pragma once
// One DeclarativeStream of a manifest, built from its resolved component: its name, primary key,
// schema (InlineSchemaLoader / JsonFileSchemaLoader), and the SimpleRetriever's read loop —
//
//   for each partition (partition routers; one empty partition without any)
//     for each slice (the DatetimeBasedCursor's; one empty slice without one)
//       pages: request (requester + paginator + cursor + router options) → decode → select →
//              filter → transform → cursor bounds → records; next page token
//       checkpoint (incremental: the cursor's state)
//
// Records go to a RecordSink; a page is the most held in memory (per worker; a sink taking
// record_elements may keep a few parsed pages by their leases). Read() is called
// on one thread; with BuildContext::concurrency > 1 it runs the (partition, slice) units on that
// many worker threads, each with its own copy of the stream, and calls the sink from them one
// at a time (a page's records together, so each partition's records stay in order). An
// incremental read then checkpoints a partition's cursor only over its contiguous completed
// prefix of slices (slice_progress.h). Check and schema inference (max_pages) read on one thread.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "base/status.h"
#include "connectors/kit/config_reader.h"
#include "connectors/sources/declarative_manifest/build_context.h"

namespace sluice {

//! One page's records as simdjson parsed them (fast_page.h). The callee may take both (swap the
//! vector, copy the lease): the records stay valid while the lease is held.
struct RecordElements {
  std::vector<simdjson::dom::element>* records = nullptr;
  const std::shared_ptr<void>* lease = nullptr;
};

struct RecordSink {
  //! Called per record (may move from it). An error stops the read. Called from Read's thread
  //! or, in a concurrent read, from its workers — never from two threads at once.
  std::function<Status(Json& record)> record;
  //! Optional: a page's records as simdjson parsed them, each to be written as
  //! DumpDomRecord (kit/json_rows.h) writes it — the very text `record.dump()` gives of the Json
  //! `record` would have received — called instead of `record` for pages of streams without a
  //! record filter or transformations. Same threads as `record`.
  std::function<Status(const RecordElements& page)> record_elements;
  //! Called after each slice of an incremental read with the stream's whole state.
  std::function<Status(const Json& state)> checkpoint;
};

struct ReadLimits {
  //! Stop after this many pages in total (Check reads one); 0: no limit.
  int64_t max_pages = 0;
};

class DeclarativeStream {
 public:
  //! Builds the stream at `r` (a DeclarativeStream component). Unsupported components and
  //! bad fields are ConfigErrors naming their manifest path.
  static Result<std::unique_ptr<DeclarativeStream>> Make(ConfigReader r, BuildContext& ctx);
  ~DeclarativeStream();
  //! A new instance of the same stream built with `ctx` (its own per-read state: a copy for
  //! another thread, with its own interpolator in `ctx`).
  Result<std::unique_ptr<DeclarativeStream>> Copy(BuildContext& ctx) const;

  const std::string& name() const { return name_; }
  //! Airbyte's primary key: a list of key paths (each a list of names).
  const std::vector<std::vector<std::string>>& primary_key() const { return primary_key_; }
  //! The incremental cursor field, when the stream has a cursor (DatetimeBasedCursor or
  //! IncrementingCountCursor).
  std::optional<std::string> cursor_field() const;
  //! The stream's JSON Schema from its schema loader: InlineSchemaLoader, JsonFileSchemaLoader,
  //! or sluice's InferredSchemaLoader ({sample_pages: 1, sample_records: 1000}: reads the first
  //! pages — I/O — and infers the columns as the file sources do; the manifests source-rest-api
  //! makes use it for endpoints without a schema).
  Result<Json> JsonSchema();
  //! Reads the stream. `state`: the saved state (null: none); `incremental`: use it and
  //! checkpoint after each slice. Records go to `sink.record`.
  Status Read(const Json& state, bool incremental, const RecordSink& sink, ReadLimits limits = {});
  //! Every record of a full read without state (at most `max_pages` pages a slice, 0: all), kept
  //! in memory: for small reads only (a resolver's component list, a connector's first look).
  Result<std::vector<Json>> ReadRecords(int64_t max_pages = 0);

 private:
  struct Parts;
  //! Receives one page's records (after filter, transformations and the cursor's bounds) — or,
  //! when `elements` is set, simdjson's parse of them (RecordSink::record_elements).
  using PageSink = std::function<Status(std::vector<Json>& records, const RecordElements* elements)>;
  DeclarativeStream() = default;
  //! One slice of one partition, page by page; `pages` counts requests, `max_pages` (0: none)
  //! stops early with `*limit_reached`. `elements_ok`: on_page takes simdjson records (fast_page.h).
  Status ReadSlice(const Json& partition, const Json& cursor_slice, const Json& cursor_state, const PageSink& on_page,
                   bool elements_ok, int64_t& pages, int64_t max_pages, bool* limit_reached);
  //! The units (partition × slice) on `workers` threads, each with its own copy of this stream.
  Status ReadConcurrently(const std::vector<Json>& partitions, const std::vector<Json>& saved,
                          const std::vector<std::vector<Json>>& slices, bool incremental, size_t workers,
                          const std::function<Status(size_t, const Json&)>& slice_done,
                          const std::function<void(std::optional<int64_t>)>& note_newest, const RecordSink& sink);
  Result<Json> InferSchema(ConfigReader& loader);

  std::string name_;
  std::vector<std::vector<std::string>> primary_key_;
  mutable ConfigReader r_{Null()};  // its reads record problems, hence mutable
  BuildContext* ctx_ = nullptr;
  std::unique_ptr<Parts> parts_;

  static const Json& Null() {
    static const Json kNull;
    return kNull;
  }
};

}  // namespace sluice
