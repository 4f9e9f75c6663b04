#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

#include "base/log.h"
#include "base/time.h"
#include "protocol/codec.h"

namespace sluice {

namespace {

std::string Count(uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string s;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s.push_back(',');
    s.push_back(digits[i]);
  }
  return s;
}

std::string Seconds(int64_t us) { return fmt::format("{:.1f}s", static_cast<double>(us) / 1e6); }

std::string_view StatusWord(int status) {
  switch (status) {
    case 0: return "started";
    case 1: return "running";
    case 2: return "complete";
    case 3: return "incomplete";
    default: return "waiting";
  }
}

}  // namespace

ProgressDisplay::ProgressDisplay(const SyncProgress& progress, std::vector<std::string> names, bool live,
                                 int log_every_secs)
    : progress_(progress), names_(std::move(names)), live_(live), log_every_secs_(log_every_secs) {}

ProgressDisplay::~ProgressDisplay() { Stop(); }

void ProgressDisplay::Start() { thread_ = std::thread([this] { Run(); }); }

void ProgressDisplay::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  wake_.notify_one();
  thread_.join();
  if (live_) Draw(true);
}

void ProgressDisplay::Run() {
  int64_t last_log = MonotonicMicros();
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_for(lock, std::chrono::milliseconds(live_ ? 200 : 250), [this] { return done_; })) break;
    }
    if (live_) {
      Draw(false);
    } else if (MonotonicMicros() - last_log >= log_every_secs_ * kMicrosPerSecond) {
      last_log = MonotonicMicros();
      Draw(false);
    }
  }
}

void ProgressDisplay::Draw(bool final_frame) {
  const int64_t now = MonotonicMicros();
  std::string frame;
  if (live_ && lines_drawn_ > 0) frame += fmt::format("\x1b[{}A", lines_drawn_);
  size_t lines = 0;
  for (size_t i = 0; i < progress_.num_streams() && i < names_.size(); ++i) {
    const StreamProgress& p = progress_.stream(i);
    const uint64_t records = p.records_emitted.load();
    const uint64_t bytes = p.bytes_emitted.load();
    const int64_t started = p.started_us.load();
    const int64_t finished = p.finished_us.load();
    const int64_t elapsed = started == 0 ? 0 : (finished != 0 ? finished : now) - started;
    const double secs = elapsed > 0 ? static_cast<double>(elapsed) / 1e6 : 0;
    const double rate = secs > 0 ? static_cast<double>(records) / secs : 0;
    const double mbs = secs > 0 ? static_cast<double>(bytes) / 1e6 / secs : 0;
    const std::string line =
        fmt::format("{:<28} {:>14} records {:>12} rows/s {:>8.1f} MB/s {:>8} {}", names_[i], Count(records),
                    Count(static_cast<uint64_t>(rate)), mbs, Seconds(elapsed), StatusWord(p.status.load()));
    if (live_) {
      frame += "\x1b[2K" + line + "\n";
      ++lines;
    } else if (started != 0 && (finished == 0 || final_frame)) {
      Log(LogLevel::kInfo, "progress: {}", line);
    }
  }
  if (live_) {
    lines_drawn_ = lines;
    (void)!write(2, frame.data(), frame.size());
  }
}

std::string FormatSummary(const std::string& pipeline_name, const SyncResult& result,
                          const std::vector<std::string>& names, const std::string& state_file) {
  std::string out;
  const double secs = static_cast<double>(result.duration_us) / 1e6;
  out += fmt::format("\nSync '{}' {} in {:.2f}s\n\n", pipeline_name,
                     result.status.ok()          ? "succeeded"
                     : result.status.cancelled() ? "was cancelled"
                                                 : "failed",
                     secs);
  out += fmt::format("  {:<28} {:>14} {:>14} {:>10} {:>14} {:>9}  {}\n", "stream", "records", "committed", "MB",
                     "rows/s", "time", "status");
  for (size_t i = 0; i < result.streams.size(); ++i) {
    const StreamResult& s = result.streams[i];
    const double ssecs = static_cast<double>(s.duration_us) / 1e6;
    out += fmt::format("  {:<28} {:>14} {:>14} {:>10.1f} {:>14} {:>9}  {}\n", i < names.size() ? names[i] : s.stream.ToString(),
                       Count(s.records), Count(s.records_committed), static_cast<double>(s.bytes) / 1e6,
                       Count(ssecs > 0 ? static_cast<uint64_t>(static_cast<double>(s.records) / ssecs) : 0),
                       Seconds(s.duration_us), s.complete ? "complete" : "incomplete");
  }
  uint64_t committed = 0;
  for (const auto& s : result.streams) committed += s.records_committed;
  out += fmt::format("  {:<28} {:>14} {:>14} {:>10.1f} {:>14} {:>9}\n", "total", Count(result.records), Count(committed),
                     static_cast<double>(result.bytes) / 1e6,
                     Count(secs > 0 ? static_cast<uint64_t>(static_cast<double>(result.records) / secs) : 0),
                     Seconds(result.duration_us));
  out += fmt::format("\n  checkpoints committed: {}\n", result.checkpoints);
  if (!state_file.empty()) out += fmt::format("  state: {}\n", state_file);
  return out;
}

Json SummaryJson(const std::string& pipeline_name, const SyncResult& result, const std::vector<std::string>& names,
                 const std::string& state_file) {
  Json streams = Json::array();
  for (size_t i = 0; i < result.streams.size(); ++i) {
    const StreamResult& s = result.streams[i];
    Json j = {{"stream", s.stream.name},
              {"records", s.records},
              {"records_committed", s.records_committed},
              {"bytes", s.bytes},
              {"duration_seconds", static_cast<double>(s.duration_us) / 1e6},
              {"complete", s.complete}};
    if (s.stream.namespace_) j["namespace"] = *s.stream.namespace_;
    if (i < names.size()) j["display_name"] = names[i];
    streams.push_back(j);
  }
  Json out = {{"pipeline", pipeline_name},
              {"status", result.status.ok()          ? "succeeded"
                         : result.status.cancelled() ? "cancelled"
                                                     : "failed"},
              {"duration_seconds", static_cast<double>(result.duration_us) / 1e6},
              {"records", result.records},
              {"bytes", result.bytes},
              {"checkpoints", result.checkpoints},
              {"streams", streams}};
  if (!state_file.empty()) out["state_file"] = state_file;
  if (!result.status.ok()) {
    out["error"] = {{"message", result.status.message()},
                    {"failure_type", FailureTypeName(result.status.failure_type())}};
    if (result.failed_stream) out["error"]["stream"] = result.failed_stream->ToString();
    // The same failure as the Airbyte protocol reports it, for tools that read TRACE messages.
    out["error"]["trace"] = TraceErrorMessage(result.status, result.failed_stream ? &*result.failed_stream : nullptr);
  }
  return out;
}

}  // namespace sluice
