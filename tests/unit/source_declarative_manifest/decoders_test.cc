// Unit tests of the response decoders (decoders.h) against hand-written bodies: CSV quoting,
// encodings and the DictReader rules, JSON lines, gzip (of JSONL, several members, passthrough,
// corrupt), XML in xmltodict's shape, zip archives of CSV files, the config errors, and a
// stream reading XML pages through a CursorPagination and JSONL pages with a field_path.

#include <zlib.h>

#include <deque>

#include <gtest/gtest.h>

#include "base/text.h"
#include "connectors/sources/declarative_manifest/declarative_stream.h"
#include "connectors/sources/declarative_manifest/decoders.h"
#include "connectors/sources/declarative_manifest/manifest_resolver.h"
#include "unit/testing/zlib_util.h"
#include "unit/source_declarative_manifest/scripted_transport.h"

namespace sluice {
namespace {

Json J(const char* text) { return Json::parse(text); }

std::unique_ptr<ResponseDecoder> Make(const char* component) {
  static std::deque<Json> keep;  // ConfigReader points into the component
  keep.push_back(J(component));
  Result<std::unique_ptr<ResponseDecoder>> d = ResponseDecoder::Make(ConfigReader(keep.back(), "$.decoder"));
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? std::move(*d) : nullptr;
}

Json Decode(const char* component, std::string_view body) {
  auto d = Make(component);
  Result<Json> out = d->Decode(body);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : Json("error");
}

std::string DecodeError(const char* component, std::string_view body) {
  auto d = Make(component);
  Result<Json> out = d->Decode(body);
  EXPECT_FALSE(out.ok()) << out->dump();
  return out.ok() ? "" : out.status().message();
}

using testing::Gzip;
std::string RawDeflate(std::string_view data) { return testing::Deflate(data, -15); }

void Le(std::string& out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

//! A zip archive written by hand (PKWARE's layout): each file stored, or deflated when `deflate`.
std::string Zip(const std::vector<std::pair<std::string, std::string>>& files, bool deflate) {
  std::string out;
  std::string central;
  for (const auto& [name, data] : files) {
    const std::string packed = deflate ? RawDeflate(data) : data;
    const uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    const uint32_t offset = static_cast<uint32_t>(out.size());
    const uint16_t method = deflate ? 8 : 0;
    Le(out, 0x04034b50, 4);
    Le(out, 20, 2);  // version needed
    Le(out, 0, 2);   // flags
    Le(out, method, 2);
    Le(out, 0, 4);  // time, date
    Le(out, crc, 4);
    Le(out, static_cast<uint32_t>(packed.size()), 4);
    Le(out, static_cast<uint32_t>(data.size()), 4);
    Le(out, static_cast<uint32_t>(name.size()), 2);
    Le(out, 0, 2);
    out += name;
    out += packed;
    Le(central, 0x02014b50, 4);
    Le(central, 20, 2);  // made by
    Le(central, 20, 2);
    Le(central, 0, 2);
    Le(central, method, 2);
    Le(central, 0, 4);
    Le(central, crc, 4);
    Le(central, static_cast<uint32_t>(packed.size()), 4);
    Le(central, static_cast<uint32_t>(data.size()), 4);
    Le(central, static_cast<uint32_t>(name.size()), 2);
    Le(central, 0, 2);  // extra
    Le(central, 0, 2);  // comment
    Le(central, 0, 2);  // disk
    Le(central, 0, 2);  // internal attributes
    Le(central, 0, 4);  // external attributes
    Le(central, offset, 4);
    central += name;
  }
  const uint32_t central_at = static_cast<uint32_t>(out.size());
  out += central;
  Le(out, 0x06054b50, 4);
  Le(out, 0, 2);
  Le(out, 0, 2);
  Le(out, static_cast<uint32_t>(files.size()), 2);
  Le(out, static_cast<uint32_t>(files.size()), 2);
  Le(out, static_cast<uint32_t>(central.size()), 4);
  Le(out, central_at, 4);
  Le(out, 0, 2);
  return out;
}

TEST(CsvDecoderTest, QuotingNewlinesAndDictReaderRules) {
  const char* csv = R"j({"type": "CsvDecoder"})j";
  auto d = Make(csv);
  EXPECT_TRUE(d->documents());
  EXPECT_FALSE(d->plain_json());
  // Quoted delimiters, doubled quotes, a line break inside quotes, CRLF rows, a blank line, a
  // short row (missing cells null), a long row (extra cells dropped), a quote inside a field.
  const std::string body =
      "id,name,note\r\n"
      "1,\"Smith, Jane\",\"said \"\"hi\"\"\"\r\n"
      "\r\n"
      "2,\"two\r\nlines\",x\"y\r\n"
      "3,short\r\n"
      "4,long,a,b\r\n";
  EXPECT_EQ(Decode(csv, body), J(R"j([
      {"id": "1", "name": "Smith, Jane", "note": "said \"hi\""},
      {"id": "2", "name": "two\nlines", "note": "x\"y"},
      {"id": "3", "name": "short", "note": null},
      {"id": "4", "name": "long", "note": "a"}])j"));
  // No trailing newline, empty cells stay empty strings, the header alone is no record.
  EXPECT_EQ(Decode(csv, "a,b\n,2"), J(R"j([{"a": "", "b": "2"}])j"));
  EXPECT_EQ(Decode(csv, "a,b\n"), J("[]"));
  EXPECT_EQ(Decode(csv, ""), J("[]"));
  // A UTF-8 byte-order mark is not part of the first name.
  EXPECT_EQ(Decode(csv, "\xEF\xBB\xBFid\n7\n"), J(R"j([{"id": "7"}])j"));
}

TEST(CsvDecoderTest, DelimiterEncodingAndValuesToNone) {
  EXPECT_EQ(Decode(R"j({"type": "CsvDecoder", "delimiter": "\\t", "set_values_to_none": ["", "NULL"]})j",
                   "a\tb\tc\n1\tNULL\t\n"),
            J(R"j([{"a": "1", "b": null, "c": null}])j"));
  EXPECT_EQ(Decode(R"j({"type": "CsvDecoder", "delimiter": ";"})j", "a;b\n\"x;y\";2\n"), J(R"j([{"a": "x;y", "b": "2"}])j"));
  EXPECT_EQ(Decode(R"j({"type": "CsvDecoder", "delimiter": "\\x01"})j", "a\x01" "b\n1\x01" "2\n"), J(R"j([{"a": "1", "b": "2"}])j"));
  EXPECT_EQ(Decode(R"j({"type": "CsvDecoder", "delimiter": "\\u007c"})j", "a|b\n1|2\n"), J(R"j([{"a": "1", "b": "2"}])j"));
  // latin-1 bytes become UTF-8; the same bytes as utf-8 are an error that names the encoding.
  EXPECT_EQ(Decode(R"j({"type": "CsvDecoder", "encoding": "latin-1"})j", "city\nS\xE3o Paulo\n"),
            J(R"j([{"city": "São Paulo"}])j"));
  EXPECT_EQ(Decode(R"j({"type": "CsvDecoder", "encoding": "cp1252"})j", "p\n\x80 5\n"), J(R"j([{"p": "€ 5"}])j"));
  EXPECT_EQ(Decode(R"j({"type": "CsvDecoder", "encoding": "utf-16"})j", std::string("\xFF\xFE" "a\0\n\0" "1\0\n\0", 10)),
            J(R"j([{"a": "1"}])j"));
  std::string bad = DecodeError(R"j({"type": "CsvDecoder"})j", "city\nS\xE3o Paulo\n");
  EXPECT_NE(bad.find("not valid utf-8"), std::string::npos) << bad;
  std::string open = DecodeError(R"j({"type": "CsvDecoder"})j", "a\n\"never closed\n");
  EXPECT_NE(open.find("quoted field is not closed"), std::string::npos) << open;
  EXPECT_NE(open.find("line 2"), std::string::npos) << open;
}

TEST(JsonlDecoderTest, LinesGzipAndErrors) {
  const char* jsonl = R"j({"type": "JsonlDecoder"})j";
  EXPECT_EQ(Decode(jsonl, "{\"a\": 1}\r\n\n{\"a\": 2}\n[3]"), J(R"j([{"a": 1}, {"a": 2}, [3]])j"));
  std::string bad = DecodeError(jsonl, "{\"a\": 1}\n{\"a\": \n");
  EXPECT_NE(bad.find("line 2 is not JSON"), std::string::npos) << bad;

  // GzipDecoder (newer CDKs) and CompositeRawDecoder + GzipParser (older) over JSONL.
  const std::string lines = "{\"id\": 1}\n{\"id\": 2}\n";
  const char* gz_new = R"j({"type": "GzipDecoder", "decoder": {"type": "JsonlDecoder"}})j";
  const char* gz_old = R"j({"type": "CompositeRawDecoder", "parser": {"type": "GzipParser", "inner_parser": {"type": "JsonLineParser"}}})j";
  EXPECT_EQ(Decode(gz_new, Gzip(lines)), J(R"j([{"id": 1}, {"id": 2}])j"));
  EXPECT_EQ(Decode(gz_old, Gzip(lines)), J(R"j([{"id": 1}, {"id": 2}])j"));
  EXPECT_EQ(Decode(gz_new, lines), J(R"j([{"id": 1}, {"id": 2}])j"));  // not gzip: passed through
  // Two concatenated members (as `cat a.gz b.gz`).
  EXPECT_EQ(Decode(gz_new, Gzip("{\"id\": 1}\n") + Gzip("{\"id\": 2}\n")), J(R"j([{"id": 1}, {"id": 2}])j"));
  std::string truncated = Gzip(lines);
  truncated.resize(truncated.size() - 6);
  std::string corrupt = DecodeError(gz_new, truncated);
  EXPECT_NE(corrupt.find("not valid gzip"), std::string::npos) << corrupt;

  // gzip of JSON is one document, as JsonDecoder's.
  auto gz_json = Make(R"j({"type": "GzipDecoder", "decoder": {"type": "JsonDecoder"}})j");
  EXPECT_FALSE(gz_json->documents());
  EXPECT_EQ(*gz_json->Decode(Gzip(R"j({"data": [1], "next": "b"})j")), J(R"j({"data": [1], "next": "b"})j"));
  EXPECT_EQ(Decode(R"j({"type": "GzipJsonDecoder"})j", Gzip("[1, 2]")), J("[1, 2]"));
  EXPECT_EQ(*gz_json->Decode(Gzip(R"j([{"id": 1}, {"id": 2}])j")), J(R"j([{"id": 1}, {"id": 2}])j"));  // the whole array
}

TEST(OtherDecodersTest, ItemsIterableAndParsers) {
  EXPECT_EQ(Decode(R"j({"type": "JsonItemsDecoder", "items_path": "data.users"})j",
                   R"j({"data": {"users": [{"id": 1}, {"id": 2}]}, "total": 2})j"),
            J(R"j([{"id": 1}, {"id": 2}])j"));
  EXPECT_EQ(Decode(R"j({"type": "IterableDecoder"})j", "first\r\nsecond\n"),
            J(R"j([{"record": "first"}, {"record": "second"}])j"));
  EXPECT_EQ(Decode(R"j({"type": "CompositeRawDecoder", "parser": {"type": "CsvParser", "delimiter": "|"}})j", "a|b\n1|2\n"),
            J(R"j([{"a": "1", "b": "2"}])j"));
  EXPECT_EQ(Decode(R"j({"type": "CompositeRawDecoder", "parser": {"type": "JsonParser", "encoding": "latin-1"}})j",
                   "{\"n\": \"\xE9\"}"),
            J(R"j({"n": "é"})j"));
}

TEST(XmlDecoderTest, XmltodictShape) {
  const char* xml = R"j({"type": "XmlDecoder"})j";
  auto d = Make(xml);
  EXPECT_FALSE(d->documents());
  const std::string body = R"x(<?xml version="1.0" encoding="UTF-8"?>
<response xmlns:ex="http://example.com/ns">
  <!-- a comment -->
  <location id="123">
    San Francisco
  </location>
  <item id="1" category="books"><name>Book &amp; Co</name><price>10.99</price></item>
  <item id="2"><name><![CDATA[<Gadget>]]></name><empty/><ex:tag ex:kind="k">v</ex:tag></item>
  <single><deep><deeper>x</deeper></deep></single>
  <next cursor="abc"/>
</response>)x";
  EXPECT_EQ(Decode(xml, body), J(R"j({"response": {
      "@xmlns:ex": "http://example.com/ns",
      "location": {"@id": "123", "#text": "San Francisco"},
      "item": [{"@id": "1", "@category": "books", "name": "Book & Co", "price": "10.99"},
               {"@id": "2", "name": "<Gadget>", "empty": null, "ex:tag": {"@ex:kind": "k", "#text": "v"}}],
      "single": {"deep": {"deeper": "x"}},
      "next": {"@cursor": "abc"}}})j"));
  // Mixed content: the element's own text pieces joined, beside its children.
  EXPECT_EQ(Decode(xml, "<a>one<b>2</b>two</a>"), J(R"j({"a": {"b": "2", "#text": "onetwo"}})j"));
  EXPECT_EQ(Decode(xml, "  "), J("{}"));
  std::string bad = DecodeError(xml, "<a><b></a>");
  EXPECT_NE(bad.find("not XML"), std::string::npos) << bad;
  EXPECT_NE(bad.find("line 1"), std::string::npos) << bad;
  std::string entity = DecodeError(xml, R"x(<!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>)x");
  EXPECT_NE(entity.find("entity"), std::string::npos) << entity;
}

TEST(ZipfileDecoderTest, EachFileThroughItsDecoder) {
  const char* zip = R"j({"type": "ZipfileDecoder", "decoder": {"type": "CsvDecoder"}})j";
  const std::vector<std::pair<std::string, std::string>> files = {{"a.csv", "id,v\n1,x\n2,\"y,z\"\n"}, {"dir/", ""},
                                                                  {"dir/b.csv", "id,v\n3,w\n"}};
  const Json expected = J(R"j([{"id": "1", "v": "x"}, {"id": "2", "v": "y,z"}, {"id": "3", "v": "w"}])j");
  EXPECT_EQ(Decode(zip, Zip(files, false)), expected);
  EXPECT_EQ(Decode(zip, Zip(files, true)), expected);
  // Files of gzipped JSON lines, and JSON files whose arrays are split into documents.
  EXPECT_EQ(Decode(R"j({"type": "ZipfileDecoder", "decoder": {"type": "GzipDecoder", "decoder": {"type": "JsonlDecoder"}}})j",
                   Zip({{"x.jsonl.gz", Gzip("{\"n\": 1}\n{\"n\": 2}\n")}}, true)),
            J(R"j([{"n": 1}, {"n": 2}])j"));
  EXPECT_EQ(Decode(R"j({"type": "ZipfileDecoder", "decoder": {"type": "JsonDecoder"}})j", Zip({{"x.json", "[{\"n\": 1}, {\"n\": 2}]"}}, true)),
            J(R"j([{"n": 1}, {"n": 2}])j"));
  std::string bad = DecodeError(zip, "PK not really a zip");
  EXPECT_NE(bad.find("not a zip archive"), std::string::npos) << bad;
  std::string inner = DecodeError(zip, Zip({{"bad.csv", "a\n\"open\n"}}, false));
  EXPECT_NE(inner.find("zip file bad.csv"), std::string::npos) << inner;
}

TEST(DecoderConfigTest, ErrorsNameThePath) {
  auto error = [](const char* component) {
    Json c = J(component);
    Result<std::unique_ptr<ResponseDecoder>> d = ResponseDecoder::Make(ConfigReader(c, "$.streams[0].retriever.decoder"));
    EXPECT_FALSE(d.ok());
    return d.ok() ? std::string() : d.status().message();
  };
  std::string unknown = error(R"j({"type": "CustomDecoder", "class_name": "x.Y"})j");
  EXPECT_NE(unknown.find("$.streams[0].retriever.decoder.type"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("custom Python components"), std::string::npos) << unknown;
  std::string encoding = error(R"j({"type": "CsvDecoder", "encoding": "klingon"})j");
  EXPECT_NE(encoding.find("$.streams[0].retriever.decoder.encoding"), std::string::npos) << encoding;
  std::string delimiter = error(R"j({"type": "CsvDecoder", "delimiter": "ab"})j");
  EXPECT_NE(delimiter.find("one character"), std::string::npos) << delimiter;
  std::string inner = error(R"j({"type": "GzipDecoder"})j");
  EXPECT_NE(inner.find("$.streams[0].retriever.decoder.decoder"), std::string::npos) << inner;
  std::string parser = error(R"j({"type": "CompositeRawDecoder", "parser": {"type": "GzipParser", "inner_parser": {"type": "Nope"}}})j");
  EXPECT_NE(parser.find("$.streams[0].retriever.decoder.parser.inner_parser.type"), std::string::npos) << parser;
}

TEST(DecoderConfigTest, AMessageQuotingABinaryBodyIsText) {
  auto d = Make(R"j({"type": "XmlDecoder"})j");
  HttpResponse r;
  r.status = 200;
  r.body = Gzip("<feed><entry/></feed>");  // gzip where XML was expected
  Result<Json> out = d->DecodeResponse(r, "", "http://api/feed.xml");
  ASSERT_FALSE(out.ok());
  const std::string m = out.status().message();
  EXPECT_TRUE(m.starts_with("http://api/feed.xml answered a body its XmlDecoder cannot read (HTTP 200")) << m;
  for (size_t i = 0; i < m.size(); i += Utf8SequenceLength(m, i)) ASSERT_GT(Utf8SequenceLength(m, i), 0u) << i;
}

using testing::ScriptedTransport;

HttpResponse Page(std::string body) {
  HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  return r;
}

struct StreamFixture {
  Json config = J(R"j({"key": "secret-key"})j");
  Interpolator interpolator{1709618828000000};
  BuildContext ctx;
  std::shared_ptr<ScriptedTransport> transport = std::make_shared<ScriptedTransport>();
  Json manifest;
  StreamFixture() {
    ctx.config = &config;
    ctx.interpolator = &interpolator;
    ctx.sleep = [](double) { return true; };
    ctx.transport = transport;
  }
  Result<std::vector<Json>> Read(const char* stream) {
    Result<Json> resolved = ResolveManifest(Json{{"streams", Json::array({J(stream)})}});
    if (!resolved.ok()) return resolved.status();
    manifest = std::move(*resolved);
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<DeclarativeStream> s,
                            DeclarativeStream::Make(ConfigReader(manifest["streams"][0], "$.streams[0]"), ctx));
    return s->ReadRecords();
  }
};

TEST(DecodedStreamTest, XmlPagesThroughCursorPagination) {
  StreamFixture f;
  f.transport->replies = {
      Page(R"x(<feed><entry id="1"><title>a</title></entry><entry id="2"><title>b</title></entry><next>p2</next></feed>)x"),
      Page(R"x(<feed><entry id="3"><title>c</title></entry></feed>)x")};
  Result<std::vector<Json>> records = f.Read(R"j({"name": "entries",
      "retriever": {"type": "SimpleRetriever", "decoder": {"type": "XmlDecoder"},
        "requester": {"url_base": "http://api", "path": "/feed"},
        "record_selector": {"extractor": {"field_path": ["feed", "entry"]}},
        "paginator": {"type": "DefaultPaginator",
          "pagination_strategy": {"type": "CursorPagination", "cursor_value": "{{ response.feed.next }}",
                                  "stop_condition": "{{ not response.feed.next }}"},
          "page_token_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "page"}}},
      "schema_loader": {"type": "InlineSchemaLoader", "schema": {}}})j");
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0], J(R"j({"@id": "1", "title": "a"})j"));
  // A page with one <entry> gives an object, not a list: still one record.
  EXPECT_EQ((*records)[2], J(R"j({"@id": "3", "title": "c"})j"));
  EXPECT_EQ(f.transport->urls, (std::vector<std::string>{"http://api/feed", "http://api/feed?page=p2"}));
}

TEST(DecodedStreamTest, TheErrorHandlerSeesTheDecodedXml) {
  StreamFixture f;
  // A 200 whose XML says "busy" is retried by a predicate over the decoded response.
  f.transport->replies = {Page(R"x(<error code="busy">try again</error>)x"), Page(R"x(<feed><entry id="1"/></feed>)x")};
  Result<std::vector<Json>> records = f.Read(R"j({"name": "entries",
      "retriever": {"type": "SimpleRetriever", "decoder": {"type": "XmlDecoder"},
        "requester": {"url_base": "http://api", "path": "/feed",
          "error_handler": {"type": "DefaultErrorHandler",
            "backoff_strategies": [{"type": "ConstantBackoffStrategy", "backoff_time_in_seconds": 0.01}],
            "response_filters": [{"action": "RETRY", "predicate": "{{ response.error['@code'] == 'busy' }}"}]}},
        "record_selector": {"extractor": {"field_path": ["feed", "entry"]}}},
      "schema_loader": {"type": "InlineSchemaLoader", "schema": {}}})j");
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_EQ(*records, std::vector<Json>{J(R"j({"@id": "1"})j")});
  EXPECT_EQ(f.transport->urls.size(), 2u);
}

TEST(DecodedStreamTest, JsonlDocumentsEachReadByTheFieldPath) {
  StreamFixture f;
  f.transport->replies = {Page("{\"data\": {\"id\": 1}}\n{\"data\": {\"id\": 2}}\n"), Page(Gzip("{\"data\": {\"id\": 3}}\n"))};
  Result<std::vector<Json>> records = f.Read(R"j({"name": "events",
      "retriever": {"type": "SimpleRetriever",
        "decoder": {"type": "GzipDecoder", "decoder": {"type": "JsonlDecoder"}},
        "requester": {"url_base": "http://api", "path": "/events"},
        "record_selector": {"extractor": {"field_path": ["data"]}},
        "paginator": {"type": "DefaultPaginator",
          "pagination_strategy": {"type": "PageIncrement", "page_size": 2, "start_from_page": 1},
          "page_token_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "page"}}},
      "schema_loader": {"type": "InlineSchemaLoader", "schema": {}}})j");
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_EQ(*records, (std::vector<Json>{J(R"j({"id": 1})j"), J(R"j({"id": 2})j"), J(R"j({"id": 3})j")}));
  EXPECT_EQ(f.transport->urls.size(), 2u);  // the short second page ends it
}

TEST(DecodedStreamTest, CsvOnTheExtractorAndAMalformedBodyNamesStreamAndUrl) {
  StreamFixture f;
  // An older manifest's decoder on the extractor; records keyed by the header row.
  f.transport->replies = {Page("id,name\n1,a\n")};
  const char* stream = R"j({"name": "people",
      "retriever": {"type": "SimpleRetriever",
        "requester": {"url_base": "http://api", "path": "/people.csv", "request_parameters": {"api_key": "{{ config.key }}"}},
        "record_selector": {"extractor": {"field_path": [], "decoder": {"type": "CsvDecoder"}}}},
      "schema_loader": {"type": "InlineSchemaLoader", "schema": {}}})j";
  Result<std::vector<Json>> records = f.Read(stream);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_EQ(*records, std::vector<Json>{J(R"j({"id": "1", "name": "a"})j")});

  f.transport->replies = {Page("id,name\n\"1,a\n")};
  records = f.Read(stream);
  ASSERT_FALSE(records.ok());
  const std::string m = records.status().message();
  EXPECT_TRUE(m.starts_with("http://api/people.csv answered a body its CsvDecoder cannot read (HTTP 200")) << m;
  EXPECT_NE(m.find("http://api/people.csv"), std::string::npos) << m;
  EXPECT_NE(m.find("CsvDecoder"), std::string::npos) << m;
  EXPECT_NE(m.find("not closed"), std::string::npos) << m;
  EXPECT_EQ(m.find("secret-key"), std::string::npos) << m;  // the query (an API key) is not shown
}

}  // namespace
}  // namespace sluice
