#pragma once
// Metrics in the Prometheus text exposition format (version 0.0.4), written by hand: a
// MetricsRegistry holds families of counters, gauges and histograms, each family with fixed
// label names and one child per combination of label values; Render() writes them all for
// GET /metrics.
//
//   MetricsRegistry registry;
//   auto& syncs = registry.AddCounter("sluice_syncs_total", "Finished syncs by status.", {"status"});
//   syncs.WithLabels({"succeeded"}).Increment();
//   std::string text = registry.Render();
//
// Thread-safety: every method of every class here may be called from any thread. Updates to a
// counter or gauge are lock-free; a histogram observation takes the histogram's own mutex;
// WithLabels takes the family's mutex (keep the returned reference for hot paths).
// Lifetime: families and children live as long as the registry; references never dangle.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

//! A value that only goes up (events, records, bytes). Starts at 0.
class Counter {
 public:
  //! Adds `amount`; a negative or NaN amount is ignored (a counter never goes down).
  void Increment(double amount = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

//! A value that goes up and down (queue depth, running jobs, live workers). Starts at 0.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Increment(double amount = 1.0) { value_.fetch_add(amount, std::memory_order_relaxed); }
  void Decrement(double amount = 1.0) { value_.fetch_sub(amount, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

//! Observations counted into buckets by upper bound (le), with their sum and count.
class Histogram {
 public:
  //! REQUIRES: `bounds` strictly increasing and finite (+Inf is implicit).
  explicit Histogram(std::vector<double> bounds);
  //! Counts `value` in the first bucket whose bound is >= value (and in +Inf). NaN is ignored.
  void Observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative_counts;  //!< per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  //! A consistent copy (sum, count and buckets from the same instant).
  Snapshot Read() const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; last is (bounds_.back(), +Inf)
  double sum_ = 0;
  uint64_t count_ = 0;
};

//! Buckets start, start*factor, ... (`count` of them). REQUIRES: start > 0, factor > 1.
std::vector<double> ExponentialBuckets(double start, double factor, int count);

enum class MetricType { kCounter, kGauge, kHistogram };

//! What all families share: name, help, label names; renders itself.
class MetricFamilyBase {
 public:
  virtual ~MetricFamilyBase() = default;
  const std::string& name() const { return name_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  //! Appends the family's "# HELP", "# TYPE" and sample lines to `out`.
  void RenderTo(std::string& out) const;

 protected:
  MetricFamilyBase(std::string name, std::string help, MetricType type, std::vector<std::string> label_names);
  //! Appends the sample lines of every child.
  virtual void RenderSamples(std::string& out) const = 0;
  //! `name{a="x",b="y"}` (or `name` without labels); `extra` is appended inside the braces.
  std::string SampleName(std::string_view suffix, const std::vector<std::string>& values,
                         std::string_view extra = {}) const;
  //! Aborts unless `values` matches the label names (a programming error).
  void CheckLabelCount(const std::vector<std::string>& values) const;

  mutable std::mutex mu_;  // guards the children maps of subclasses

 private:
  const std::string name_;
  const std::string help_;
  const MetricType type_;
  const std::vector<std::string> label_names_;
};

//! A family of counters or gauges.
template <typename Metric>
class ValueFamily final : public MetricFamilyBase {
 public:
  ValueFamily(std::string name, std::string help, MetricType type, std::vector<std::string> label_names)
      : MetricFamilyBase(std::move(name), std::move(help), type, std::move(label_names)) {
    if (this->label_names().empty()) WithLabels({});  // an unlabeled metric shows 0 before use
  }
  //! The child for `label_values` (created at 0 on first use).
  //! REQUIRES: one value per label name, in the same order.
  Metric& WithLabels(const std::vector<std::string>& label_values) {
    CheckLabelCount(label_values);
    std::lock_guard lock(mu_);
    std::unique_ptr<Metric>& child = children_[label_values];
    if (!child) child = std::make_unique<Metric>();
    return *child;
  }
  //! The only child of a family without labels.
  Metric& Get() { return WithLabels({}); }
  //! Drops the child for `label_values` so it is no longer rendered (a series whose subject is
  //! gone, e.g. a connection that stopped streaming). No-op when absent.
  //! REQUIRES: nobody keeps a reference from WithLabels() to that child.
  void Remove(const std::vector<std::string>& label_values) {
    CheckLabelCount(label_values);
    std::lock_guard lock(mu_);
    children_.erase(label_values);
  }

 private:
  void RenderSamples(std::string& out) const override;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

extern template class ValueFamily<Counter>;
extern template class ValueFamily<Gauge>;
using CounterFamily = ValueFamily<Counter>;
using GaugeFamily = ValueFamily<Gauge>;

//! A family of histograms sharing bucket bounds.
class HistogramFamily final : public MetricFamilyBase {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<double> bounds, std::vector<std::string> label_names);
  //! REQUIRES: one value per label name, in the same order.
  Histogram& WithLabels(const std::vector<std::string>& label_values);
  Histogram& Get() { return WithLabels({}); }

 private:
  void RenderSamples(std::string& out) const override;
  const std::vector<double> bounds_;
  std::map<std::vector<std::string>, std::unique_ptr<Histogram>> children_;
};

//! The families exposed on one /metrics endpoint, rendered in registration order.
//! Registration REQUIRES (else the process aborts: these are constants in code): a valid
//! metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) not registered before, valid label names
//! ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__"), no label "le" on a histogram.
class MetricsRegistry {
 public:
  //! The Content-Type of Render()'s text.
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  CounterFamily& AddCounter(std::string name, std::string help, std::vector<std::string> label_names = {});
  GaugeFamily& AddGauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  HistogramFamily& AddHistogram(std::string name, std::string help, std::vector<double> bounds,
                                std::vector<std::string> label_names = {});

  //! Every family in the text format; children sorted by label values.
  std::string Render() const;

 private:
  void CheckNewName(const std::string& name, const std::vector<std::string>& label_names) const;
  //! Appends `family` to the families rendered and returns it. REQUIRES: mu_ held.
  template <typename Family>
  Family& Keep(std::unique_ptr<Family> family) {
    Family& ref = *family;
    families_.push_back(std::move(family));
    return ref;
  }

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<MetricFamilyBase>> families_;
};

//! A sample value in the text format: "+Inf", "-Inf", "NaN", or the shortest exact decimal.
std::string FormatMetricValue(double value);
//! A label value escaped for the text format (backslash, double quote, newline).
std::string EscapeLabelValue(std::string_view value);

}  // namespace sluice
