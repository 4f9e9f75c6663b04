#pragma once
// Response decoders: a response body → what the record selector reads and the templates see as
// `response` (the CDK's Decoder / Parser). Built once per stream from SimpleRetriever.decoder
// (else a non-JSON DpathExtractor.decoder or paginator decoder), and for a
// SessionTokenAuthenticator's login response from its `decoder`.
//
//   JsonDecoder                 one document (the read loop's own JSON paths, fast_page.h)
//   XmlDecoder                  one document in xmltodict's shape: {root: {"@attr": "v",
//                               "#text": "t", "child": "text" or {...}, "repeated": [...]}}
//   GzipJsonDecoder (older)     gunzip (when the body starts with gzip's magic), then JSON
//   JsonlDecoder                documents: one per line
//   CsvDecoder                  documents: one per row, keyed by the header row (Python's
//                               csv.DictReader: strings; missing cells null; encoding,
//                               delimiter, set_values_to_none)
//   JsonItemsDecoder            documents: the items of the array at `items_path` (dotted)
//   IterableDecoder             documents: {"record": line} per line
//   GzipDecoder                 gunzip (if gzip's magic is there), then its `decoder`
//   ZipfileDecoder              documents: each file of the archive through its `decoder`
//   CompositeRawDecoder         its `parser`: JsonParser, JsonLineParser, CsvParser, GzipParser
//                               (inner_parser) — the older CDKs' spelling of the above
//
// A one-document decoder's document is the body the extractor reads and `response`. A documents
// decoder gives a JSON array of documents: the extractor applies field_path to each one on its
// own (the CDK's per-document extraction) and `response` is the whole array (the CDK refuses
// a paginator over such a decoder; sluice lets it read `headers`, `last_record` or the list).
// Immutable after Make: Decode may be called from several threads.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "connectors/kit/config_reader.h"
#include "http/http_client.h"

namespace sluice {

//! One step of a decoder: bytes in, documents appended (the CDK's Parser).
class BodyParser {
 public:
  virtual ~BodyParser() = default;
  //! Appends the documents of `bytes` to `out`. An error's message says what was wrong (the
  //! caller names the stream and URL).
  virtual Status Parse(std::string_view bytes, std::vector<Json>& out) const = 0;
};

class ResponseDecoder {
 public:
  //! Builds the decoder component at `r` (JSON null: a JsonDecoder). Unsupported types and bad
  //! fields are ConfigErrors naming their manifest path.
  static Result<std::unique_ptr<ResponseDecoder>> Make(const ConfigReader& r);

  //! JsonDecoder: the body is parsed by the read loop's JSON paths (simdjson's included).
  bool plain_json() const { return plain_json_; }
  //! Whether Decode gives an array of documents (JSONL, CSV, items, zip) rather than one.
  bool documents() const { return documents_; }
  //! The decoder's manifest type ("CsvDecoder"), for messages.
  const std::string& type() const { return type_; }

  //! Decodes `body`: one document, or (documents()) an array of them. An empty body is {} or [].
  //! Errors say what was wrong in the body (a short excerpt); the caller adds the stream and URL.
  Result<Json> Decode(std::string_view body) const;
  //! Decode of a response to `what` ("the login"; empty when the caller names it, as the source
  //! names a stream) from `url` (shown without its query): errors name both, the HTTP status and
  //! the decoder.
  Result<Json> DecodeResponse(const HttpResponse& response, std::string_view what, const std::string& url) const;

 private:
  ResponseDecoder() = default;
  std::string type_;
  bool plain_json_ = false;
  bool documents_ = false;
  std::unique_ptr<BodyParser> parser_;
};

//! A SimpleRetriever's decoder: its `decoder`, else a decoder other than JSON given on its
//! record_selector.extractor or paginator (the CDK wires the retriever's to all three; older
//! manifests put it on the extractor), else a JsonDecoder.
Result<std::unique_ptr<ResponseDecoder>> MakeRetrieverDecoder(const ConfigReader& retriever);

namespace decoders_internal {
//! xmltodict.parse's shape of an XML document (exposed for tests).
Result<Json> XmlToJson(std::string_view xml);
//! `bytes` gunzipped (every member of a multi-member file); bytes not starting with gzip's magic
//! are returned as they are.
Result<std::string> Gunzip(std::string_view bytes);
}  // namespace decoders_internal

}  // namespace sluice
