// Incremental parts of published manifests (declarative_stream.cc, datetime_cursor.h,
// incrementing_cursor.h): DatetimeBasedCursor.is_client_side_incremental (records filtered on the
// client against the state), IncrementingCountCursor, state_migrations
// (LegacyToPerPartitionStateMigration; CustomStateMigration refused), and the per-partition /
// global substream state in the shape Airbyte's CDK reads and writes
// ({"use_global_cursor", "states", "state", "lookback_window"}). Each stream reads pages served
// by path from a scripted transport, once through the Json record path and once through the
// simdjson one (fast_page.h): both must emit the same records and states.

#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include "connectors/kit/json_rows.h"
#include "connectors/sources/declarative_manifest/declarative_stream.h"

namespace sluice {
namespace {

Json J(const char* text) { return Json::parse(text); }

// Answers by the URL's path (the query ignored); every URL asked is kept.
class PathTransport final : public HttpTransport {
 public:
  std::map<std::string, std::string> bodies;
  std::vector<std::string> urls;
  Status Send(const HttpRequest& request, HttpResponse& response) override {
    urls.push_back(request.url);
    std::string path = request.url.substr(request.url.find('/', std::string("http://").size()));
    path = path.substr(0, path.find('?'));
    auto it = bodies.find(path);
    response.status = it == bodies.end() ? 404 : 200;
    response.body = it == bodies.end() ? "{}" : it->second;
    return Status::Ok();
  }
};

int g_concurrency = 1;  // BuildContext::concurrency of the reads below

struct ReadRun {
  std::string status;
  std::vector<std::string> records;  // each record's text
  std::vector<Json> states;
  std::vector<std::string> urls;
};

ReadRun ReadOnce(const Json& stream, const std::map<std::string, std::string>& bodies, const Json& state, bool fast,
             const Json& config = J(R"j({"start": "2024-01-01T00:00:00Z", "start_id": 10})j")) {
  Interpolator interpolator{1709618828000000};
  BuildContext ctx;
  ctx.config = &config;
  ctx.interpolator = &interpolator;
  ctx.sleep = [](double) { return true; };
  ctx.concurrency = g_concurrency;
  auto transport = std::make_shared<PathTransport>();
  transport->bodies = bodies;
  ctx.transport = transport;
  ReadRun run;
  auto s = DeclarativeStream::Make(ConfigReader(stream), ctx);
  if (!s.ok()) {
    run.status = s.status().ToString();
    return run;
  }
  RecordSink sink;
  sink.record = [&](Json& record) {
    run.records.push_back(record.dump());
    return Status::Ok();
  };
  if (fast) {
    sink.record_elements = [&](const RecordElements& page) {
      for (simdjson::dom::element record : *page.records) {
        std::string text;
        DumpDomRecord(record, text);
        run.records.push_back(std::move(text));
      }
      return Status::Ok();
    };
  }
  sink.checkpoint = [&](const Json& st) {
    run.states.push_back(st);
    return Status::Ok();
  };
  run.status = (*s)->Read(state, true, sink).ToString();
  run.urls = transport->urls;
  return run;
}

// Reads both ways; they must agree. Returns the Json way's run.
ReadRun Read(const Json& stream, const std::map<std::string, std::string>& bodies, const Json& state = Json(),
         const Json& config = J(R"j({"start": "2024-01-01T00:00:00Z", "start_id": 10})j")) {
  const ReadRun dom = ReadOnce(stream, bodies, state, false, config);
  const ReadRun fast = ReadOnce(stream, bodies, state, true, config);
  EXPECT_EQ(dom.status, fast.status);
  if (g_concurrency > 1) {  // the partitions' order varies
    std::vector<std::string> a = dom.records, b = fast.records;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b);
    return dom;
  }
  EXPECT_EQ(dom.records, fast.records);
  EXPECT_EQ(dom.urls, fast.urls);
  EXPECT_EQ(dom.states.size(), fast.states.size());
  return dom;
}

// A stream over `path` whose records are under "data", with `incremental` as its incremental_sync
// and `router` as its partition router (JSON text; empty: none).
Json Stream(const std::string& path, const std::string& incremental, const std::string& router = "",
            const std::string& extra = "") {
  std::string text = R"j({"type": "DeclarativeStream", "name": "items", "primary_key": "id",
      "retriever": {"type": "SimpleRetriever",
        "requester": {"type": "HttpRequester", "url_base": "http://api", "path": ")j" + path + R"j("},
        "record_selector": {"type": "RecordSelector", "extractor": {"type": "DpathExtractor", "field_path": ["data"]}})j";
  if (!router.empty()) text += ", \"partition_router\": " + router;
  text += "}, \"incremental_sync\": " + incremental + extra + "}";
  return Json::parse(text);
}

const std::string kClientSide = R"j({"type": "DatetimeBasedCursor", "cursor_field": "updated",
    "datetime_format": "%Y-%m-%dT%H:%M:%SZ", "start_datetime": "{{ config['start'] }}",
    "lookback_window": "P1D", "is_client_side_incremental": true})j";

std::string Records(const std::vector<std::string>& dates) {
  Json data = Json::array();
  int id = 0;
  for (const std::string& d : dates) {
    Json r{{"id", ++id}};
    if (!d.empty()) r["updated"] = d;
    data.push_back(r);
  }
  return Json{{"data", data}}.dump();
}

std::vector<std::string> Updated(const ReadRun& run) {
  std::vector<std::string> out;
  for (const std::string& r : run.records) out.push_back(Json::parse(r).value("updated", "-"));
  return out;
}

TEST(ClientSideIncremental, KeepsOnlyRecordsFromTheStateOnWithoutLookback) {
  const std::map<std::string, std::string> bodies = {
      {"/items", Records({"2023-12-31T23:59:59Z", "2024-02-29T12:00:00Z", "2024-03-01T00:00:00Z", "2024-03-05T08:00:00Z", "",
                          "2099-01-01T00:00:00Z"})}};
  // No state: from start_datetime; a record without the cursor field is kept, one after now dropped.
  ReadRun first = Read(Stream("/items", kClientSide), bodies);
  ASSERT_EQ(first.status, "OK");
  EXPECT_EQ(Updated(first), (std::vector<std::string>{"2024-02-29T12:00:00Z", "2024-03-01T00:00:00Z", "2024-03-05T08:00:00Z", "-"}));
  ASSERT_FALSE(first.states.empty());
  EXPECT_EQ(first.states.back(), J(R"j({"updated": "2024-03-05T08:00:00Z"})j"));
  // With a state: the records before it are dropped even within lookback_window (the CDK's
  // should_be_synced compares with the state itself); the record at the state is kept.
  ReadRun second = Read(Stream("/items", kClientSide), bodies, J(R"j({"updated": "2024-03-01T00:00:00Z"})j"));
  ASSERT_EQ(second.status, "OK");
  EXPECT_EQ(Updated(second), (std::vector<std::string>{"2024-03-01T00:00:00Z", "2024-03-05T08:00:00Z", "-"}));
  EXPECT_EQ(second.states.back(), J(R"j({"updated": "2024-03-05T08:00:00Z"})j"));
  // The state after the newest record: nothing but the record without a cursor value.
  ReadRun third = Read(Stream("/items", kClientSide), bodies, J(R"j({"updated": "2024-03-05T08:00:01Z"})j"));
  EXPECT_EQ(Updated(third), (std::vector<std::string>{"-"}));
  EXPECT_EQ(third.states.back(), J(R"j({"updated": "2024-03-05T08:00:01Z"})j"));
  // Without is_client_side_incremental the lookback window's records stay (the API's answer).
  std::string server_side = kClientSide;
  server_side.replace(server_side.find(", \"is_client_side_incremental\": true"), std::string(", \"is_client_side_incremental\": true").size(), "");
  ReadRun lookback = Read(Stream("/items", server_side), bodies, J(R"j({"updated": "2024-03-01T00:00:00Z"})j"));
  EXPECT_EQ(Updated(lookback), (std::vector<std::string>{"2024-02-29T12:00:00Z", "2024-03-01T00:00:00Z", "2024-03-05T08:00:00Z", "-"}));
}

const std::string kListRouter = R"j({"type": "ListPartitionRouter", "cursor_field": "region", "values": ["eu", "us"]})j";

TEST(ClientSideIncremental, PerPartitionStatesInTheCdkShape) {
  const std::map<std::string, std::string> bodies = {
      {"/eu/items", Records({"2024-02-01T00:00:00Z", "2024-03-02T00:00:00Z"})},
      {"/us/items", Records({"2024-01-15T00:00:00Z", "2024-02-20T00:00:00Z"})}};
  const Json stream = Stream("/{{ stream_partition.region }}/items", kClientSide, kListRouter);
  // eu has its own state; us has none and starts from the global "state" moved back by
  // lookback_window (seconds): 2024-02-10 − 1 day.
  const Json saved = J(R"j({"use_global_cursor": false, "lookback_window": 86400,
      "states": [{"partition": {"region": "eu"}, "cursor": {"updated": "2024-03-01T00:00:00Z"}}],
      "state": {"updated": "2024-02-10T00:00:00Z"}})j");
  ReadRun run = Read(stream, bodies, saved);
  ASSERT_EQ(run.status, "OK");
  EXPECT_EQ(Updated(run), (std::vector<std::string>{"2024-03-02T00:00:00Z", "2024-02-20T00:00:00Z"}));
  ASSERT_EQ(run.states.size(), 3u);  // after each partition's slice, then the completed read's
  EXPECT_EQ(run.states[0], J(R"j({"use_global_cursor": false,
      "states": [{"partition": {"region": "eu"}, "cursor": {"updated": "2024-03-02T00:00:00Z"}}],
      "state": {"updated": "2024-02-10T00:00:00Z"}, "lookback_window": 86400})j"));
  Json last = run.states.back();
  ASSERT_TRUE(last["lookback_window"].is_number_integer());
  EXPECT_GE(last["lookback_window"].get<int64_t>(), 0);
  EXPECT_LE(last["lookback_window"].get<int64_t>(), 5);  // the read's duration, rounded up
  last.erase("lookback_window");
  EXPECT_EQ(last, J(R"j({"use_global_cursor": false,
      "states": [{"partition": {"region": "eu"}, "cursor": {"updated": "2024-03-02T00:00:00Z"}},
                 {"partition": {"region": "us"}, "cursor": {"updated": "2024-02-20T00:00:00Z"}}],
      "state": {"updated": "2024-03-02T00:00:00Z"}})j"));
  // sluice's earlier shape (only "states"): a partition without one starts from start_datetime.
  ReadRun earlier = Read(stream, bodies, J(R"j({"states": [{"partition": {"region": "us"}, "cursor": {"updated": "2024-02-01T00:00:00Z"}}]})j"));
  EXPECT_EQ(Updated(earlier), (std::vector<std::string>{"2024-02-01T00:00:00Z", "2024-03-02T00:00:00Z", "2024-02-20T00:00:00Z"}));
  // A state in the cursor's own shape applies to every partition.
  ReadRun global = Read(stream, bodies, J(R"j({"updated": "2024-02-15T00:00:00Z"})j"));
  EXPECT_EQ(Updated(global), (std::vector<std::string>{"2024-03-02T00:00:00Z", "2024-02-20T00:00:00Z"}));
}

TEST(ClientSideIncremental, ConcurrentReadWritesTheSameStates) {
  std::map<std::string, std::string> bodies;
  std::string values;
  for (int p = 0; p < 6; ++p) {
    bodies["/r" + std::to_string(p) + "/items"] = Records({"2024-02-0" + std::to_string(p + 1) + "T00:00:00Z", "2024-01-10T00:00:00Z"});
    values += std::string(p ? ", " : "") + "\"r" + std::to_string(p) + "\"";
  }
  const std::string router = R"j({"type": "ListPartitionRouter", "cursor_field": "region", "values": [)j" + values + "]}";
  std::string cursor = kClientSide;
  cursor.insert(cursor.size() - 1, ", \"step\": \"P10D\", \"cursor_granularity\": \"PT1S\", \"end_datetime\": \"2024-03-01T00:00:00Z\"");
  const Json stream = Stream("/{{ stream_partition.region }}/items", cursor, router);
  const Json saved = J(R"j({"states": [{"partition": {"region": "r1"}, "cursor": {"updated": "2024-02-01T00:00:00Z"}}],
                           "state": {"updated": "2024-01-20T00:00:00Z"}})j");
  auto final_state = [](ReadRun run) {
    Json s = run.states.back();
    s.erase("lookback_window");
    std::sort(s["states"].begin(), s["states"].end(), [](const Json& a, const Json& b) { return a.dump() < b.dump(); });
    return s;
  };
  const ReadRun one = Read(stream, bodies, saved);
  g_concurrency = 3;
  const ReadRun three = Read(stream, bodies, saved);
  g_concurrency = 1;
  ASSERT_EQ(one.status, "OK");
  ASSERT_EQ(three.status, "OK");
  // Each slice asks for everything (the API does not filter), so a record is kept once per slice
  // it falls in: the filter compares with the state, not the slice, as the CDK's does.
  std::vector<std::string> a = one.records, b = three.records;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
  EXPECT_EQ(final_state(one), final_state(three));
  EXPECT_EQ(final_state(one)["state"], J(R"j({"updated": "2024-02-06T00:00:00Z"})j"));
  EXPECT_EQ(final_state(one)["states"].size(), 6u);
}

TEST(GlobalSubstreamCursor, OneStateForEveryPartition) {
  const std::map<std::string, std::string> bodies = {
      {"/eu/items", Records({"2024-02-01T00:00:00Z", "2024-03-02T00:00:00Z"})},
      {"/us/items", Records({"2024-02-27T00:00:00Z", "2024-02-20T00:00:00Z"})}};
  std::string cursor = kClientSide;
  cursor.insert(cursor.size() - 1, ", \"global_substream_cursor\": true, \"start_time_option\": {\"type\": \"RequestOption\", "
                                   "\"inject_into\": \"request_parameter\", \"field_name\": \"since\"}");
  const Json stream = Stream("/{{ stream_partition.region }}/items", cursor, kListRouter);
  // No state: both partitions from the start; one checkpoint, once the read has completed.
  ReadRun first = Read(stream, bodies);
  ASSERT_EQ(first.status, "OK");
  EXPECT_EQ(first.records.size(), 4u);
  ASSERT_EQ(first.states.size(), 1u);
  Json s = first.states[0];
  s.erase("lookback_window");
  EXPECT_EQ(s, J(R"j({"use_global_cursor": true, "state": {"updated": "2024-03-02T00:00:00Z"}})j"));
  // From a global state: every partition starts at state − lookback_window (the request says
  // so: the slice's start, one day back by the cursor's own lookback_window too) and keeps the
  // records from state − lookback_window on.
  ReadRun second = Read(stream, bodies, J(R"j({"use_global_cursor": true, "lookback_window": 3600, "state": {"updated": "2024-02-27T01:00:00Z"}})j"));
  ASSERT_EQ(second.status, "OK");
  EXPECT_EQ(Updated(second), (std::vector<std::string>{"2024-03-02T00:00:00Z", "2024-02-27T00:00:00Z"}));
  ASSERT_EQ(second.urls.size(), 2u);
  EXPECT_NE(second.urls[0].find("since=2024-02-26T00%3A00%3A00Z"), std::string::npos) << second.urls[0];
  ASSERT_EQ(second.states.size(), 1u);
  EXPECT_EQ(second.states[0]["state"], J(R"j({"updated": "2024-03-02T00:00:00Z"})j"));
  EXPECT_FALSE(second.states[0].contains("states"));
  // A saved state's use_global_cursor holds even when the manifest does not ask for it.
  ReadRun flagged = Read(Stream("/{{ stream_partition.region }}/items", kClientSide, kListRouter), bodies,
                     J(R"j({"use_global_cursor": true, "state": {"updated": "2024-03-01T00:00:00Z"},
                            "states": [{"partition": {"region": "us"}, "cursor": {"updated": "2024-01-01T00:00:00Z"}}]})j"));
  EXPECT_EQ(Updated(flagged), (std::vector<std::string>{"2024-03-02T00:00:00Z"}));
  ASSERT_EQ(flagged.states.size(), 1u);
  EXPECT_EQ(flagged.states[0]["use_global_cursor"], true);
}

const std::string kIncrementing = R"j({"type": "IncrementingCountCursor", "cursor_field": "seq",
    "start_value": "{{ config['start_id'] }}",
    "start_value_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "since_seq"}})j";

TEST(IncrementingCountCursor, StartsFromTheLargerOfStartValueAndStateAndKeepsTheMaximum) {
  const std::map<std::string, std::string> bodies = {
      {"/events", R"j({"data": [{"seq": 15}, {"seq": "21"}, {"seq": 17}, {"name": "no seq"}, {"seq": "x"}]})j"}};
  ReadRun first = Read(Stream("/events", kIncrementing), bodies);
  ASSERT_EQ(first.status, "OK");
  EXPECT_EQ(first.records.size(), 5u);  // records are never dropped: the API filters
  ASSERT_EQ(first.urls.size(), 1u);
  EXPECT_NE(first.urls[0].find("since_seq=10"), std::string::npos) << first.urls[0];
  EXPECT_EQ(first.states.back(), J(R"j({"seq": 21})j"));
  ReadRun second = Read(Stream("/events", kIncrementing), bodies, J(R"j({"seq": 21})j"));
  EXPECT_NE(second.urls[0].find("since_seq=21"), std::string::npos) << second.urls[0];
  EXPECT_EQ(second.states.back(), J(R"j({"seq": 21})j"));
  // A state below start_value starts at start_value; an empty page keeps the start as state.
  ReadRun empty = Read(Stream("/events", kIncrementing), {{"/events", R"j({"data": []})j"}}, J(R"j({"seq": 3})j"));
  EXPECT_NE(empty.urls[0].find("since_seq=10"), std::string::npos) << empty.urls[0];
  EXPECT_EQ(empty.states.back(), J(R"j({"seq": 10})j"));
  // A literal start_value, none at all (0), and a state that is not a count.
  ReadRun literal = Read(Stream("/events", R"j({"type": "IncrementingCountCursor", "cursor_field": "seq", "start_value": 100,
      "start_value_option": {"type": "RequestOption", "inject_into": "header", "field_name": "X-Since"}})j"),
                     {{"/events", R"j({"data": []})j"}});
  EXPECT_EQ(literal.states.back(), J(R"j({"seq": 100})j"));
  ReadRun none = Read(Stream("/events", R"j({"type": "IncrementingCountCursor", "cursor_field": "seq"})j"), {{"/events", R"j({"data": []})j"}});
  EXPECT_EQ(none.states.back(), J(R"j({"seq": 0})j"));
  ReadRun bad = Read(Stream("/events", kIncrementing), bodies, J(R"j({"seq": "yesterday"})j"));
  EXPECT_NE(bad.status.find("not an integer"), std::string::npos) << bad.status;
}

TEST(IncrementingCountCursor, RefusedBesideAPartitionRouter) {
  ReadRun run = Read(Stream("/{{ stream_partition.region }}/events", kIncrementing, kListRouter), {});
  EXPECT_NE(run.status.find("incremental_sync"), std::string::npos) << run.status;
  EXPECT_NE(run.status.find("partition router"), std::string::npos) << run.status;
}

const std::string kParentRouter = R"j({"type": "SubstreamPartitionRouter", "parent_stream_configs": [{
    "type": "ParentStreamConfig", "parent_key": "id", "partition_field": "{{ parameters.partition_key }}",
    "stream": {"type": "DeclarativeStream", "name": "projects",
      "retriever": {"type": "SimpleRetriever",
        "requester": {"type": "HttpRequester", "url_base": "http://api", "path": "/projects"},
        "record_selector": {"type": "RecordSelector", "extractor": {"type": "DpathExtractor", "field_path": ["projects"]}}}}}]})j";

Json MigratingStream(const std::string& migration) {
  std::string cursor = kClientSide;
  cursor.insert(cursor.size() - 1, ", \"start_time_option\": {\"type\": \"RequestOption\", \"inject_into\": \"request_parameter\", "
                                   "\"field_name\": \"since\"}");
  std::string router = kParentRouter;
  // $parameters as the resolver propagates them (the manifest's own, here given to each part).
  router.replace(router.find("{{ parameters.partition_key }}"), std::string("{{ parameters.partition_key }}").size(), "project_id");
  Json stream = Stream("/projects/{{ stream_partition.project_id }}/tasks", cursor, router,
                       ", \"state_migrations\": [" + migration + "]");
  return stream;
}

TEST(StateMigrations, LegacyPerPartitionStateBecomesStates) {
  const std::map<std::string, std::string> bodies = {
      {"/projects", R"j({"projects": [{"id": 7}, {"id": 8}]})j"},
      {"/projects/7/tasks", Records({"2024-02-01T00:00:00Z", "2024-03-03T00:00:00Z"})},
      {"/projects/8/tasks", Records({"2024-01-20T00:00:00Z"})}};
  const Json stream = MigratingStream(R"j({"type": "LegacyToPerPartitionStateMigration",
                                           "$parameters": {"partition_key": "project_id"}})j");
  // Airbyte's legacy shape: {partition value: {cursor_field: value}}.
  ReadRun run = Read(stream, bodies, J(R"j({"7": {"updated": "2024-03-01T00:00:00Z"}})j"));
  ASSERT_EQ(run.status, "OK");
  // Project 7 starts from its migrated state (the slice starts a day back, the lookback; the
  // client-side filter keeps from the state), project 8 from the start (its slice a day before
  // it: sluice moves start_datetime back by lookback_window too; the CDK does not).
  EXPECT_EQ(Updated(run), (std::vector<std::string>{"2024-03-03T00:00:00Z", "2024-01-20T00:00:00Z"}));
  ASSERT_EQ(run.urls.size(), 3u);
  EXPECT_NE(run.urls[1].find("since=2024-02-29T00%3A00%3A00Z"), std::string::npos) << run.urls[1];
  EXPECT_NE(run.urls[2].find("since=2023-12-31T00%3A00%3A00Z"), std::string::npos) << run.urls[2];
  Json last = run.states.back();
  last.erase("lookback_window");
  EXPECT_EQ(last, J(R"j({"use_global_cursor": false,
      "states": [{"partition": {"project_id": 7, "parent_slice": {}}, "cursor": {"updated": "2024-03-03T00:00:00Z"}},
                 {"partition": {"project_id": 8, "parent_slice": {}}, "cursor": {"updated": "2024-01-20T00:00:00Z"}}],
      "state": {"updated": "2024-03-03T00:00:00Z"}})j"));
  // What the read wrote is read back as it is (already migrated: "states").
  ReadRun again = Read(stream, bodies, run.states.back());
  EXPECT_EQ(Updated(again), (std::vector<std::string>{"2024-03-03T00:00:00Z", "2024-01-20T00:00:00Z"}));
  // Not the legacy shape (a value with two keys): not migrated — read from the start.
  ReadRun other = Read(stream, bodies, J(R"j({"7": {"updated": "2024-03-01T00:00:00Z", "x": 1}})j"));
  EXPECT_EQ(other.records.size(), 3u);
}

TEST(StateMigrations, CustomOnesAreAConfigErrorNamingThePath) {
  ReadRun run = Read(MigratingStream(R"j({"type": "CustomStateMigration", "class_name": "source_x.components.MyMigration"})j"), {});
  EXPECT_NE(run.status.find("state_migrations[0]"), std::string::npos) << run.status;
  EXPECT_NE(run.status.find("source_x.components.MyMigration"), std::string::npos) << run.status;
  ReadRun other = Read(MigratingStream(R"j({"type": "SomethingElse"})j"), {});
  EXPECT_NE(other.status.find("LegacyToPerPartitionStateMigration"), std::string::npos) << other.status;
  // The legacy migration needs a substream router.
  Json plain = Stream("/items", kClientSide, "", R"j(, "state_migrations": [{"type": "LegacyToPerPartitionStateMigration"}])j");
  ReadRun no_router = Read(plain, {});
  EXPECT_NE(no_router.status.find("SubstreamPartitionRouter"), std::string::npos) << no_router.status;
}

}  // namespace
}  // namespace sluice
