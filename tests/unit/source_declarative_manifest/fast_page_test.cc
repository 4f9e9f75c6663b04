// The page path without an nlohmann DOM (fast_page.h, kit/json_rows.h) gives exactly what the
// Json path gives: the same record texts (so the same rows), the same requests, the same errors.
// Each stream is read twice over the same scripted pages — once with a sink that takes only
// Json records (the Json path), once with one that also takes simdjson records (the fast path) —
// and the outputs compared (the fast sink writes each record as the pipe does: DumpDomRecord;
// the writer itself is compared with nlohmann's dump in tests/unit/connector_kit/json_rows_test.cc).

#include <deque>

#include <gtest/gtest.h>

#include "connectors/kit/json_rows.h"
#include "connectors/sources/declarative_manifest/declarative_stream.h"
#include "connectors/sources/declarative_manifest/fast_page.h"
#include "unit/source_declarative_manifest/scripted_transport.h"

namespace sluice {
namespace {

Json J(const char* text) { return Json::parse(text); }

std::string Dumped(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

TEST(FastPageTest, ScanFindsTheResponseKeysTemplatesRead) {
  auto scan = [](const char* text) {
    ResponseReads reads;
    ScanResponseReads(Json(text), reads);
    return reads;
  };
  ResponseReads r = scan("{{ response.next_cursor }}");
  EXPECT_FALSE(r.whole);
  EXPECT_EQ(r.keys, std::vector<std::string>{"next_cursor"});
  r = scan("{% if response['has_more'] and response[\"meta\"].next %}{{ response.meta.next }}{% endif %}");
  EXPECT_FALSE(r.whole);
  EXPECT_EQ(r.keys, (std::vector<std::string>{"has_more", "meta"}));
  EXPECT_TRUE(scan("{{ response }}").whole);
  EXPECT_TRUE(scan("{{ response.get('next') }}").whole);
  EXPECT_TRUE(scan("{{ response | length }}").whole);
  EXPECT_TRUE(scan("{{ response[key] }}").whole);
  r = scan("{{ last_response.x }} the response was {{ headers.link.next.url }} {{ creation_response.y }}");
  EXPECT_FALSE(r.whole);
  EXPECT_TRUE(r.keys.empty());
  ResponseReads all;
  ScanResponseReads(J(R"j({"a": ["{{ response.a }}", {"b": "{{ response.b }}"}], "c": 1})j"), all);
  EXPECT_EQ(all.keys, (std::vector<std::string>{"a", "b"}));
}

using testing::ScriptedTransport;

struct ReadOutput {
  std::vector<std::string> records;  // each record's text
  std::vector<std::string> urls;
  std::vector<std::string> states;
  std::string status;
  int text_pages = 0;                 // pages that came as simdjson records
};

ReadOutput ReadStream(const Json& stream, const std::vector<std::string>& pages, bool texts, bool incremental = false) {
  Json config = J(R"j({"start": "2024-01-01T00:00:00Z"})j");
  Interpolator interpolator{1709618828000000};
  BuildContext ctx;
  ctx.config = &config;
  ctx.interpolator = &interpolator;
  ctx.sleep = [](double) { return true; };
  auto transport = std::make_shared<ScriptedTransport>();
  for (const std::string& p : pages) {
    HttpResponse r;
    r.status = 200;
    r.body = p;
    transport->replies.push_back(std::move(r));
  }
  ctx.transport = transport;
  ReadOutput run;
  auto s = DeclarativeStream::Make(ConfigReader(stream), ctx);
  if (!s.ok()) {
    run.status = s.status().ToString();
    return run;
  }
  RecordSink sink;
  sink.record = [&](Json& record) {
    run.records.push_back(Dumped(record));
    return Status::Ok();
  };
  if (texts) {
    sink.record_elements = [&](const RecordElements& page) {
      ++run.text_pages;
      EXPECT_GT(page.lease->use_count(), 0);  // a lease without a pointer: its deleter frees the document
      for (simdjson::dom::element record : *page.records) {
        std::string text;
        DumpDomRecord(record, text);
        run.records.push_back(std::move(text));
      }
      return Status::Ok();
    };
  }
  sink.checkpoint = [&](const Json& state) {
    run.states.push_back(state.dump());
    return Status::Ok();
  };
  run.status = (*s)->Read(Json(), incremental, sink).ToString();
  run.urls = transport->urls;
  return run;
}

// Reads `stream` over `pages` both ways; the outputs must be the same. Returns the fast run.
ReadOutput ExpectSameBothWays(const Json& stream, const std::vector<std::string>& pages, bool incremental = false) {
  const ReadOutput dom = ReadStream(stream, pages, false, incremental);
  const ReadOutput fast = ReadStream(stream, pages, true, incremental);
  EXPECT_EQ(fast.status, dom.status);
  EXPECT_EQ(fast.records, dom.records);
  EXPECT_EQ(fast.urls, dom.urls);
  EXPECT_EQ(fast.states, dom.states);
  EXPECT_EQ(dom.text_pages, 0);
  return fast;
}

Json Stream(const char* field_path, const char* paginator, const char* extra = "") {
  std::string text = std::string(R"j({"type": "DeclarativeStream", "name": "items",
      "retriever": {"type": "SimpleRetriever",
        "requester": {"type": "HttpRequester", "url_base": "http://api", "path": "/items"},
        "record_selector": {"type": "RecordSelector", "extractor": {"type": "DpathExtractor", "field_path": )j") +
                     field_path + "}}, \"paginator\": " + paginator + "}" + extra + "}";
  return Json::parse(text);
}

const char* kCursorPaginator = R"j({"type": "DefaultPaginator",
    "page_token_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "cursor"},
    "pagination_strategy": {"type": "CursorPagination", "cursor_value": "{{ response.next }}",
                            "stop_condition": "{{ not response['has_more'] }}"}})j";

TEST(FastPageTest, VariedPagesGiveTheSameRecordsBothWays) {
  const std::vector<std::string> pages = {
      // nested records, unicode escapes, big and small numbers, floats, empty arrays, spacing
      R"j({"data": [{"id": 1, "name": "caf\u00e9 \ud83d\ude00", "nested": {"a": [1, 2.50, 1E2, -0, 0.1], "b": {}},
                    "big": 18446744073709551615, "neg": -9223372036854775808, "tiny": 1e-400, "t": "a\/b\tc"},
                   {"id": 2, "empty": [], "obj": {}, "f": 1.0, "g": 123456789.123456789e-5},
                   "not an object", 7, null, [1, 2],
                   {"id": 3}],
          "has_more": true, "next": "p1", "ignored": {"x": [1, 2, 3]}})j",
      // an empty page of records that still has a next page
      R"j(  {"has_more": true, "data": [], "next": "p2"}  )j",
      // a record repeating a key: nlohmann keeps the last value (at the first key's place)
      R"j({"data": [{"id": 4, "v": 1, "v": 2}], "has_more": true, "next": "p3"})j",
      // a number beyond 64 bits: simdjson refuses the page, nlohmann reads it as a double
      R"j({"data": [{"id": 5, "huge": 123456789012345678901234567890}], "has_more": true, "next": "p4"})j",
      // the records key holds one object (a record), not an array
      R"j({"data": {"id": 6, "deep": [[[{"x": "y"}]]]}, "has_more": false})j",
  };
  const ReadOutput fast = ExpectSameBothWays(Stream(R"j(["data"])j", kCursorPaginator), pages);
  EXPECT_EQ(fast.status, "OK");
  EXPECT_EQ(fast.records.size(), 6u);  // ids 1, 2, 3 on the first page, then 4, 5, 6
  EXPECT_EQ(fast.urls.size(), 5u);
  EXPECT_EQ(fast.text_pages, 4);       // all but page 4, which went the Json way
}

TEST(FastPageTest, WildcardsLastRecordAndRootArrays) {
  // field_path wildcards over objects and arrays; the paginator reads last_record.
  const char* last_record = R"j({"type": "DefaultPaginator",
      "page_token_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "after"},
      "pagination_strategy": {"type": "CursorPagination", "cursor_value": "{{ last_record.id }}",
                              "stop_condition": "{{ last_page_size == 0 }}"}})j";
  const std::vector<std::string> pages = {
      R"j({"groups": {"g1": {"items": [{"id": "a"}, {"id": "b"}]}, "g2": {"items": {"id": "c"}}, "g3": {"items": {}},
                      "g4": {"other": 1}}})j",
      R"j({"groups": [{"items": [{"id": "d", "u": "\u00fc"}]}, {"items": []}]})j",
      R"j({"groups": {}})j",
  };
  const ReadOutput fast = ExpectSameBothWays(Stream(R"j(["groups", "*", "items"])j", last_record), pages);
  EXPECT_EQ(fast.status, "OK");
  EXPECT_EQ(fast.records.size(), 4u);
  EXPECT_EQ(fast.text_pages, 3);
  ASSERT_EQ(fast.urls.size(), 3u);
  EXPECT_EQ(fast.urls[1], "http://api/items?after=c");

  // The body is the list of records itself; the template reads the response whole.
  const char* whole = R"j({"type": "DefaultPaginator",
      "page_token_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "page"},
      "pagination_strategy": {"type": "CursorPagination", "cursor_value": "{{ response | length }}",
                              "stop_condition": "{{ response | length < 2 }}"}})j";
  const ReadOutput root = ExpectSameBothWays(Stream("[]", whole), {R"j([{"a": 1}, {"a": 2.0}])j", R"j([{"a": [1e2]}])j"});
  EXPECT_EQ(root.status, "OK");
  EXPECT_EQ(root.records.size(), 3u);
  EXPECT_EQ(root.urls.size(), 2u);
}

TEST(FastPageTest, TemplatesReadingTheRecordsKeyAndErrors) {
  // The paginator reads the records' own key (response.data): it gets all of it.
  const char* reads_data = R"j({"type": "DefaultPaginator",
      "page_token_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "after"},
      "pagination_strategy": {"type": "CursorPagination", "cursor_value": "{{ response.data[1].id }}",
                              "stop_condition": "{{ response.data | length < 2 }}"}})j";
  const ReadOutput fast = ExpectSameBothWays(Stream(R"j(["data"])j", reads_data),
                                      {R"j({"data": [{"id": 1}, {"id": 2}]})j", R"j({"data": [{"id": 3}]})j"});
  EXPECT_EQ(fast.status, "OK");
  EXPECT_EQ(fast.urls.size(), 2u);
  EXPECT_EQ(fast.text_pages, 2);
  // Not JSON, and a number beyond a double: both ways fail the same way.
  const ReadOutput bad = ExpectSameBothWays(Stream(R"j(["data"])j", kCursorPaginator), {R"j({"data": [{"id": 1}], "has_more": true, "next": "x"})j", "<html>"});
  EXPECT_NE(bad.status.find("did not answer JSON"), std::string::npos) << bad.status;
  const ReadOutput inf = ExpectSameBothWays(Stream(R"j(["data"])j", kCursorPaginator), {R"j({"data": [{"id": 1e400}]})j"});
  EXPECT_NE(inf.status.find("did not answer JSON"), std::string::npos) << inf.status;
  // An empty body is no records.
  const ReadOutput empty = ExpectSameBothWays(Stream(R"j(["data"])j", "null"), {"  "});
  EXPECT_EQ(empty.status, "OK");
}

TEST(FastPageTest, TheCursorReadsOnlyItsField) {
  const char* cursor = R"j(, "incremental_sync": {"type": "DatetimeBasedCursor", "cursor_field": "updated",
      "datetime_format": "%Y-%m-%dT%H:%M:%SZ", "start_datetime": "{{ config.start }}", "end_datetime": "2024-01-31T00:00:00Z"})j";
  const std::vector<std::string> pages = {
      R"j({"data": [{"id": 1, "updated": "2023-12-31T00:00:00Z"}, {"id": 2, "updated": "2024-01-05T00:00:00Z"},
                    {"id": 3}, {"id": 4, "updated": null}, {"id": 5, "updated": "2024-02-05T00:00:00Z"},
                    {"id": 6, "updated": "not a date"}, {"id": 7, "updated": "2024-01-20T10:00:00Z", "x": "\u00e9"},
                    {"id": 8, "updated": "2023-01-01T00:00:00Z", "id": 9, "updated": "2024-01-10T00:00:00Z"}],
          "has_more": false})j",
  };
  const ReadOutput fast = ExpectSameBothWays(Stream(R"j(["data"])j", kCursorPaginator, cursor), pages, true);
  EXPECT_EQ(fast.status, "OK");
  EXPECT_EQ(fast.records.size(), 6u);  // 1 and 5 are outside the range; 9 (a repeated key's last value) is in
  EXPECT_EQ(fast.text_pages, 1);
  ASSERT_FALSE(fast.states.empty());
  EXPECT_EQ(fast.states.back(), R"j({"updated":"2024-01-20T10:00:00Z"})j");
}

TEST(FastPageTest, FiltersAndTransformationsTakeTheJsonWay) {
  const char* filtered = R"j(, "transformations": [{"type": "AddFields", "fields": [{"path": ["k"], "value": "{{ record.id * 2 }}"}]}])j";
  const ReadOutput fast = ExpectSameBothWays(Stream(R"j(["data"])j", kCursorPaginator, filtered),
                                      {R"j({"data": [{"id": 1}, {"id": 2}], "has_more": false})j"});
  EXPECT_EQ(fast.status, "OK");
  EXPECT_EQ(fast.text_pages, 0);
  EXPECT_EQ(fast.records, (std::vector<std::string>{R"j({"id":1,"k":2})j", R"j({"id":2,"k":4})j"}));
}

}  // namespace
}  // namespace sluice
