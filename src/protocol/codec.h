#pragma once
// The Airbyte-protocol codec: JSON lines ↔ messages ↔ RecordBatches.
//
// Output is written by hand into a std::string (records are the hot path); input is parsed with
// simdjson's on-demand API straight into batch columns. The protocol is used only at the edges:
// external connector processes and `sluice connector NAME …` output.

#include <simdjson.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/log.h"
#include "base/status.h"
#include "protocol/catalog.h"
#include "protocol/record_batch.h"
#include "protocol/state.h"


namespace sluice {

// ---- Output -------------------------------------------------------------------------------

//! Appends `s` as a JSON string literal (quoted, escaped; invalid UTF-8 bytes become U+FFFD).
void AppendJsonString(std::string& out, std::string_view s);
//! Appends one value as JSON: numbers bare (NaN/±Infinity and ±infinity timestamps as strings),
//! temporal types in their well-known text form, binary as base64, JSON columns verbatim.
//! REQUIRES: !column.IsNull(row).
void AppendValueJson(std::string& out, const Column& column, size_t row);
//! Appends one value as plain text (CSV cells): strings unquoted, otherwise as AppendValueJson.
void AppendValueText(std::string& out, const Column& column, size_t row);
//! Appends the record's `data` object: {"field": value, ...}; null fields are written as null.
void AppendRecordData(std::string& out, const RecordBatch& batch, size_t row);
//! Appends the record's `meta` object ({"changes":[...]}) or nothing when the row has none.
//! `change_cursor` walks batch.changes() in row order: start it at 0 for row 0.
void AppendRecordMeta(std::string& out, const RecordBatch& batch, size_t row, size_t& change_cursor);
//! Appends every row of `batch` as RECORD message lines (each ending in '\n').
void AppendRecordMessages(std::string& out, const RecordBatch& batch, const StreamDescriptor& stream);
//! The same lines into a PodBuffer, which grows without zero-filling (a std::string zero-fills
//! every byte it grows by before the lines are written over it): for the protocol pipes.
void AppendRecordMessages(PodBuffer& out, const RecordBatch& batch, const StreamDescriptor& stream);

//! One line (no trailing newline) for a non-record message.
std::string SerializeMessage(const Json& message);
Json LogMessageJson(LogLevel level, std::string_view text);
Json TraceErrorMessage(const Status& status, const StreamDescriptor* stream = nullptr);
Json StreamStatusMessage(const StreamDescriptor& stream, std::string_view status);
Json StateMessageJson(const StateMessage& state);

//! Base64 (RFC 4648, padded).
void AppendBase64(std::string& out, std::string_view bytes);
bool DecodeBase64(std::string_view text, std::string& out);

// ---- Input --------------------------------------------------------------------------------

//! Receives what ProtocolReader parses. Batches always arrive before the state that follows
//! them in the input.
class MessageHandler {
 public:
  virtual ~MessageHandler() = default;
  virtual Status OnBatch(RecordBatch batch) = 0;
  virtual Status OnState(StateMessage state) = 0;
  //! LOG, TRACE, SPEC, CATALOG, CONNECTION_STATUS, CONTROL: the whole message. Default: ignore.
  virtual Status OnOtherMessage(const Json& message) {
    (void)message;
    return Status::Ok();
  }
};

struct ProtocolReaderOptions {
  size_t batch_bytes = 4 << 20;  //!< a batch is handed over at about this many bytes
  size_t batch_rows = 16384;     //!< ... or this many rows
  //! A line that is not JSON, or a RECORD for a stream not in the catalog: error (default) or
  //! skipped with a warning.
  bool skip_invalid_lines = false;
  //! RECORD lines in the usual shape are read by a plain scan (codec.cc); false reads every
  //! line with simdjson (tests compare the two).
  bool scan_records = true;
};

//! Parses Airbyte-protocol JSON lines into batches and messages. Record fields not declared in
//! the stream's schema are dropped and logged once per stream; a value that does not fit its
//! column's type becomes null with a PLATFORM_SERIALIZATION_ERROR change. A batch's
//! emitted_at_ms is its first record's `emitted_at`.
class ProtocolReader {
 public:
  //! `catalog` gives stream indexes and schemas; it must outlive the reader.
  ProtocolReader(const ConfiguredCatalog& catalog, MessageHandler& handler, ProtocolReaderOptions options = {});
  ~ProtocolReader();

  //! Parses every complete line of `data`; an unfinished last line is kept for the next call.
  //! Errors name the line number.
  Status Feed(std::string_view data);
  //! Parses a final unterminated line and hands over every pending batch.
  Status Finish();
  uint64_t lines() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! Appends the fields of a JSON object to the current row of `batch` by name (typed by the
//! batch's schema) and finishes the row. Unknown fields are skipped and counted in
//! `*unknown_fields` when given. Values of the wrong type become null with a change note of
//! `reason`. Used by the protocol reader and by JSONL file reading.
Status AppendJsonObjectRow(simdjson::ondemand::object& object, RecordBatch& batch, ChangeReason reason,
                           size_t* unknown_fields = nullptr);

}  // namespace sluice
