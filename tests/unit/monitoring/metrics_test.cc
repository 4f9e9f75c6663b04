#include "monitoring/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "base/json.h"
#include "base/subprocess.h"

namespace sluice {
namespace {

// Parses exposition text with the Python prometheus_client parser (Debian python3-prometheus-client):
// [{"name", "type", "help", "samples": [[name, {labels}, "value"]]}].
constexpr const char* kParser = R"(
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "help": f.documentation,
                "samples": [[s.name, s.labels, repr(float(s.value))] for s in f.samples]})
print(json.dumps(out))
)";

Json ParseWithPrometheusClient(const std::string& text) {
  auto child = Subprocess::Start({"/usr/bin/python3", "-c", kParser}, /*pipe_stdin=*/true);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  if (!child.ok()) return Json();
  EXPECT_TRUE((*child)->WriteStdin(text).ok());
  (*child)->CloseStdin();
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = (*child)->ReadStdout(buf, sizeof buf);
    if (!n.ok() || *n == 0) break;
    out.append(buf, *n);
  }
  EXPECT_EQ((*child)->Wait(), 0) << "the parser rejected:\n" << text;
  return Json::parse(out, nullptr, /*allow_exceptions=*/false);
}

const Json* FindFamily(const Json& families, std::string_view name) {
  for (const Json& f : families) {
    if (f["name"] == name) return &f;
  }
  return nullptr;
}

TEST(MetricsTest, RendersTheTextFormat) {
  MetricsRegistry registry;
  registry.AddCounter("sluice_syncs_total", "Finished syncs by status.", {"status"})
      .WithLabels({"succeeded"})
      .Increment(3);
  registry.AddGauge("sluice_queue_depth", "Jobs waiting for a worker.").Get().Set(7);
  auto& duration = registry.AddHistogram("sluice_sync_duration_seconds", "Sync wall time.", {1, 2.5});
  duration.Get().Observe(0.5);
  duration.Get().Observe(2.5);  // a bound is inclusive
  duration.Get().Observe(10);
  EXPECT_EQ(registry.Render(),
            "# HELP sluice_syncs_total Finished syncs by status.\n"
            "# TYPE sluice_syncs_total counter\n"
            "sluice_syncs_total{status=\"succeeded\"} 3\n"
            "# HELP sluice_queue_depth Jobs waiting for a worker.\n"
            "# TYPE sluice_queue_depth gauge\n"
            "sluice_queue_depth 7\n"
            "# HELP sluice_sync_duration_seconds Sync wall time.\n"
            "# TYPE sluice_sync_duration_seconds histogram\n"
            "sluice_sync_duration_seconds_bucket{le=\"1\"} 1\n"
            "sluice_sync_duration_seconds_bucket{le=\"2.5\"} 2\n"
            "sluice_sync_duration_seconds_bucket{le=\"+Inf\"} 3\n"
            "sluice_sync_duration_seconds_sum 13\n"
            "sluice_sync_duration_seconds_count 3\n");
  EXPECT_EQ(MetricsRegistry::kContentType, "text/plain; version=0.0.4; charset=utf-8");
}

TEST(MetricsTest, RemovedSeriesIsNoLongerRendered) {
  MetricsRegistry registry;
  auto& lag = registry.AddGauge("sluice_replication_lag_bytes", "Lag.", {"connection_id"});
  lag.WithLabels({"a"}).Set(10);
  lag.WithLabels({"b"}).Set(20);
  lag.Remove({"a"});
  lag.Remove({"never-set"});
  const std::string text = registry.Render();
  EXPECT_EQ(text.find("connection_id=\"a\""), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_replication_lag_bytes{connection_id=\"b\"} 20"), std::string::npos) << text;
  lag.WithLabels({"a"}).Set(5);  // comes back when set again
  EXPECT_NE(registry.Render().find("connection_id=\"a\"} 5"), std::string::npos);
}

TEST(MetricsTest, IndependentParserReadsEscapesHistogramsAndSpecialValues) {
  MetricsRegistry registry;
  auto& records = registry.AddCounter("sluice_records_synced_total", "Records \\ committed\nby connection.",
                                      {"connection", "stream"});
  const std::string tricky = "back\\slash \"quoted\"\nnew line ünïcode";
  records.WithLabels({tricky, "users"}).Increment(1234);
  records.WithLabels({"plain", "orders"}).Increment(0.5);
  auto& gauge = registry.AddGauge("sluice_odd_values", "Special values.", {"kind"});
  gauge.WithLabels({"inf"}).Set(INFINITY);
  gauge.WithLabels({"neg_inf"}).Set(-INFINITY);
  gauge.WithLabels({"nan"}).Set(NAN);
  gauge.WithLabels({"tiny"}).Set(1.5e-7);
  gauge.WithLabels({"huge"}).Set(1e21);
  auto& hist = registry.AddHistogram("sluice_sync_duration_seconds", "Sync wall time.",
                                     ExponentialBuckets(1, 10, 3), {"status"});
  for (double v : {0.2, 5.0, 50.0, 500.0, 5000.0}) hist.WithLabels({"failed"}).Observe(v);
  registry.AddHistogram("sluice_empty_seconds", "Never observed.", {0.1});
  registry.AddCounter("sluice_labelled_unused_total", "No children yet.", {"x"});

  const Json families = ParseWithPrometheusClient(registry.Render());
  ASSERT_TRUE(families.is_array()) << families.dump();

  const Json* rec = FindFamily(families, "sluice_records_synced");  // the parser drops _total
  ASSERT_NE(rec, nullptr) << families.dump(2);
  EXPECT_EQ((*rec)["type"], "counter");
  EXPECT_EQ((*rec)["help"], "Records \\ committed\nby connection.");
  ASSERT_EQ((*rec)["samples"].size(), 2u);
  const Json& first = (*rec)["samples"][0];  // children sorted by label values: "back..." < "plain"
  EXPECT_EQ(first[0], "sluice_records_synced_total");
  EXPECT_EQ(first[1]["connection"], tricky);
  EXPECT_EQ(first[1]["stream"], "users");
  EXPECT_EQ(std::stod(first[2].get<std::string>()), 1234);
  EXPECT_EQ(std::stod((*rec)["samples"][1][2].get<std::string>()), 0.5);

  const Json* odd = FindFamily(families, "sluice_odd_values");
  ASSERT_NE(odd, nullptr);
  std::map<std::string, std::string> odd_values;
  for (const Json& s : (*odd)["samples"]) odd_values[s[1]["kind"]] = s[2];
  EXPECT_EQ(odd_values["inf"], "inf");
  EXPECT_EQ(odd_values["neg_inf"], "-inf");
  EXPECT_EQ(odd_values["nan"], "nan");
  EXPECT_EQ(std::stod(odd_values["tiny"]), 1.5e-7);
  EXPECT_EQ(std::stod(odd_values["huge"]), 1e21);

  const Json* h = FindFamily(families, "sluice_sync_duration_seconds");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ((*h)["type"], "histogram");
  std::vector<std::pair<std::string, double>> buckets;
  double sum = -1, count = -1;
  for (const Json& s : (*h)["samples"]) {
    EXPECT_EQ(s[1]["status"], "failed");
    const double v = std::stod(s[2].get<std::string>());
    if (s[0] == "sluice_sync_duration_seconds_bucket") buckets.emplace_back(s[1]["le"], v);
    if (s[0] == "sluice_sync_duration_seconds_sum") sum = v;
    if (s[0] == "sluice_sync_duration_seconds_count") count = v;
  }
  const std::vector<std::pair<std::string, double>> expected = {{"1", 1}, {"10", 2}, {"100", 3}, {"+Inf", 5}};
  EXPECT_EQ(buckets, expected);
  EXPECT_DOUBLE_EQ(sum, 5555.2);
  EXPECT_EQ(count, 5);

  const Json* empty = FindFamily(families, "sluice_empty_seconds");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ((*empty)["samples"].size(), 4u);  // 0.1, +Inf, sum, count — all zero
  const Json* unused = FindFamily(families, "sluice_labelled_unused");
  ASSERT_NE(unused, nullptr);
  EXPECT_TRUE((*unused)["samples"].empty());
}

TEST(MetricsTest, CounterNeverGoesDown) {
  Counter c;
  c.Increment(2);
  c.Increment(-1);
  c.Increment(NAN);
  EXPECT_EQ(c.value(), 2);
  Gauge g;
  g.Increment(5);
  g.Decrement(7);
  EXPECT_EQ(g.value(), -2);
}

TEST(MetricsTest, HistogramBucketsAreCumulativeAndBoundsInclusive) {
  Histogram h({1, 2, 3});
  for (double v : {-5.0, 1.0, 1.0001, 2.0, 3.5, std::nan("")}) h.Observe(v);
  const Histogram::Snapshot s = h.Read();
  EXPECT_EQ(s.cumulative_counts, (std::vector<uint64_t>{2, 4, 4, 5}));
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.sum, 2.5001);
  EXPECT_EQ(ExponentialBuckets(0.5, 2, 4), (std::vector<double>{0.5, 1, 2, 4}));
}

TEST(MetricsTest, ConcurrentUpdatesAreNotLost) {
  MetricsRegistry registry;
  auto& counter = registry.AddCounter("c_total", "c", {"thread"});
  auto& shared = registry.AddCounter("shared_total", "s");
  auto& gauge = registry.AddGauge("g", "g");
  auto& hist = registry.AddHistogram("h", "h", {10});
  constexpr int kThreads = 4;
  constexpr int kIterations = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        counter.WithLabels({std::to_string(t % 2)}).Increment();
        shared.Get().Increment();
        gauge.Get().Increment();
        hist.Get().Observe(i % 20);
        if (i % 1000 == 0) {
          EXPECT_FALSE(registry.Render().empty());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(shared.Get().value(), kThreads * kIterations);
  EXPECT_EQ(gauge.Get().value(), kThreads * kIterations);
  EXPECT_EQ(counter.WithLabels({"0"}).value() + counter.WithLabels({"1"}).value(), kThreads * kIterations);
  const Histogram::Snapshot s = hist.Get().Read();
  EXPECT_EQ(s.count, static_cast<uint64_t>(kThreads * kIterations));
  EXPECT_EQ(s.cumulative_counts[0], static_cast<uint64_t>(kThreads * kIterations * 11 / 20));  // 0..10 of 0..19
}

TEST(MetricsDeathTest, ProgrammingErrorsAbort) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH({ MetricsRegistry().AddCounter("bad-name", "x"); }, "invalid metric name");
  EXPECT_DEATH(
      {
        MetricsRegistry r;
        r.AddGauge("dup", "x");
        r.AddCounter("dup", "x");
      },
      "registered twice");
  EXPECT_DEATH({ MetricsRegistry().AddCounter("c", "x", {"__reserved"}); }, "invalid label name");
  EXPECT_DEATH({ MetricsRegistry().AddHistogram("h", "x", {1}, {"le"}); }, "label 'le'");
  EXPECT_DEATH({ MetricsRegistry().AddHistogram("h", "x", {2, 1}); }, "strictly increasing");
  EXPECT_DEATH({ MetricsRegistry().AddCounter("c", "x", {"a", "b"}).WithLabels({"only-one"}); }, "got 1 value");
}

}  // namespace
}  // namespace sluice
