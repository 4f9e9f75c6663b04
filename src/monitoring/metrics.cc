#include "monitoring/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>

#include <fmt/format.h>

#include "base/log.h"

namespace sluice {

namespace {

[[noreturn]] void ContractViolation(const std::string& message) {
  LogMessage(LogLevel::kFatal, "metrics: " + message);
  std::abort();
}

bool ValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':') ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// The exposition format's escapes: backslash and line feed, and in label values the double quote.
std::string Escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) { return Escape(help, false); }

// By MetricType value.
constexpr std::string_view kTypeNames[] = {"counter", "gauge", "histogram"};
static_assert(std::size(kTypeNames) == static_cast<size_t>(MetricType::kHistogram) + 1);

std::string_view TypeName(MetricType type) {
  const auto i = static_cast<size_t>(type);
  return i < std::size(kTypeNames) ? kTypeNames[i] : "untyped";
}

}  // namespace

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

std::string EscapeLabelValue(std::string_view value) { return Escape(value, true); }

void Counter::Increment(double amount) {
  if (!(amount >= 0)) return;  // also NaN
  value_.fetch_add(amount, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  const size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  std::lock_guard lock(mu_);
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  snapshot.bounds = bounds_;
  std::lock_guard lock(mu_);
  uint64_t running = 0;
  for (uint64_t c : counts_) {
    running += c;
    snapshot.cumulative_counts.push_back(running);
  }
  snapshot.sum = sum_;
  snapshot.count = count_;
  return snapshot;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  if (!(start > 0) || !(factor > 1) || count < 1) ContractViolation("ExponentialBuckets: bad arguments");
  std::vector<double> bounds;
  for (double b = start; static_cast<int>(bounds.size()) < count; b *= factor) bounds.push_back(b);
  return bounds;
}

MetricFamilyBase::MetricFamilyBase(std::string name, std::string help, MetricType type,
                                   std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), type_(type), label_names_(std::move(label_names)) {}

void MetricFamilyBase::RenderTo(std::string& out) const {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name_, EscapeHelp(help_), name_, TypeName(type_));
  RenderSamples(out);
}

std::string MetricFamilyBase::SampleName(std::string_view suffix, const std::vector<std::string>& values,
                                         std::string_view extra) const {
  std::string out = name_;
  out += suffix;
  if (values.empty() && extra.empty()) return out;
  out += '{';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += fmt::format("{}=\"{}\"", label_names_[i], EscapeLabelValue(values[i]));
  }
  if (!extra.empty()) {
    if (!values.empty()) out += ',';
    out += extra;
  }
  out += '}';
  return out;
}

void MetricFamilyBase::CheckLabelCount(const std::vector<std::string>& values) const {
  if (values.size() != label_names_.size()) {
    ContractViolation(fmt::format("{} has {} label(s), got {} value(s)", name_, label_names_.size(), values.size()));
  }
}

template <typename Metric>
void ValueFamily<Metric>::RenderSamples(std::string& out) const {
  std::lock_guard lock(mu_);
  for (const auto& [values, metric] : children_) {
    out += SampleName("", values);
    out += ' ';
    out += FormatMetricValue(metric->value());
    out += '\n';
  }
}

template class ValueFamily<Counter>;
template class ValueFamily<Gauge>;

HistogramFamily::HistogramFamily(std::string name, std::string help, std::vector<double> bounds,
                                 std::vector<std::string> label_names)
    : MetricFamilyBase(std::move(name), std::move(help), MetricType::kHistogram, std::move(label_names)),
      bounds_(std::move(bounds)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && !(bounds_[i] > bounds_[i - 1]))) {
      ContractViolation(this->name() + ": bucket bounds must be finite and strictly increasing");
    }
  }
  if (this->label_names().empty()) WithLabels({});
}

Histogram& HistogramFamily::WithLabels(const std::vector<std::string>& label_values) {
  CheckLabelCount(label_values);
  std::lock_guard lock(mu_);
  std::unique_ptr<Histogram>& child = children_[label_values];
  if (!child) child = std::make_unique<Histogram>(bounds_);
  return *child;
}

void HistogramFamily::RenderSamples(std::string& out) const {
  std::lock_guard lock(mu_);
  for (const auto& [values, histogram] : children_) {
    const Histogram::Snapshot s = histogram->Read();
    for (size_t i = 0; i <= s.bounds.size(); ++i) {
      const std::string le = i < s.bounds.size() ? FormatMetricValue(s.bounds[i]) : "+Inf";
      out += fmt::format("{} {}\n", SampleName("_bucket", values, fmt::format("le=\"{}\"", le)),
                         s.cumulative_counts[i]);
    }
    out += fmt::format("{} {}\n", SampleName("_sum", values), FormatMetricValue(s.sum));
    out += fmt::format("{} {}\n", SampleName("_count", values), s.count);
  }
}

void MetricsRegistry::CheckNewName(const std::string& name, const std::vector<std::string>& label_names) const {
  if (!ValidName(name, /*allow_colon=*/true)) ContractViolation(fmt::format("invalid metric name '{}'", name));
  for (const auto& family : families_) {
    if (family->name() == name) ContractViolation(fmt::format("metric '{}' registered twice", name));
  }
  for (const std::string& label : label_names) {
    if (!ValidName(label, /*allow_colon=*/false) || label.starts_with("__")) {
      ContractViolation(fmt::format("{}: invalid label name '{}'", name, label));
    }
    if (std::count(label_names.begin(), label_names.end(), label) > 1) {
      ContractViolation(fmt::format("{}: label '{}' given twice", name, label));
    }
  }
}

CounterFamily& MetricsRegistry::AddCounter(std::string name, std::string help, std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  CheckNewName(name, label_names);
  return Keep(
      std::make_unique<CounterFamily>(std::move(name), std::move(help), MetricType::kCounter, std::move(label_names)));
}

GaugeFamily& MetricsRegistry::AddGauge(std::string name, std::string help, std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  CheckNewName(name, label_names);
  return Keep(
      std::make_unique<GaugeFamily>(std::move(name), std::move(help), MetricType::kGauge, std::move(label_names)));
}

HistogramFamily& MetricsRegistry::AddHistogram(std::string name, std::string help, std::vector<double> bounds,
                                               std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  CheckNewName(name, label_names);
  if (std::find(label_names.begin(), label_names.end(), "le") != label_names.end()) {
    ContractViolation(fmt::format("{}: a histogram cannot have a label 'le'", name));
  }
  return Keep(
      std::make_unique<HistogramFamily>(std::move(name), std::move(help), std::move(bounds), std::move(label_names)));
}

std::string MetricsRegistry::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& family : families_) family->RenderTo(out);
  return out;
}

}  // namespace sluice
