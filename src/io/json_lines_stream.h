#pragma once
// JSON documents as JSON lines: Airbyte source-file's `json` format holds a JSON array of
// records (often pretty-printed), one object, or objects one after another. This stream hands
// such a document to a JSON-lines reader: one record per line.

#include <memory>

#include "io/input_stream.h"

namespace sluice {

//! Wraps `inner` (decompressed bytes of a JSON document) so reads return one top-level value per
//! '\n'-terminated line: the elements of a top-level array (the array's brackets and commas
//! dropped), or each top-level value of a sequence. Line breaks outside strings inside a value
//! become spaces; strings and escapes are passed through unchanged. Nothing is validated: a
//! malformed document reaches the reader as a malformed line (its "line N" is then record N).
//! Not thread-safe, like every InputStream.
std::unique_ptr<InputStream> MakeJsonToLinesStream(std::unique_ptr<InputStream> inner);

}  // namespace sluice
