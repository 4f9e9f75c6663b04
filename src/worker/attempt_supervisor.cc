#include "worker/attempt_supervisor.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/ranges.h>

#include "absl/time/clock.h"
#include "base/file_util.h"
#include "base/log.h"
#include "base/subprocess.h"
#include "base/time.h"
#include "connection/connector_runtime.h"
#include "connectors/sources/declarative_manifest/declarative_manifest_source.h"  // kInjectedManifestKey
#include "platform/job_streams.h"
#include "protocol/config_update.h"
#include "security/connector_secrets.h"
#include "worker/attempt_protocol.h"
#include "worker/child_process.h"
#include "worker/resource_limits.h"

extern char** environ;

namespace sluice {

namespace {

constexpr size_t kMaxLogLineBytes = 16 << 10;
constexpr int64_t kRssCheckMs = 200;
constexpr int64_t kLogFlushMs = 500;
constexpr size_t kLogFlushLines = 200;

int64_t MonoMs() { return MonotonicMicros() / 1000; }

//! An attempt's log, written to the store in batches. Thread-safe.
class AttemptLog {
 public:
  AttemptLog(MetadataStore& store, JobId job, int attempt) : store_(store), job_(job), attempt_(attempt) {}
  ~AttemptLog() { Flush(); }

  //! A line of the worker's own (also logged by this process).
  //! Redacts every later line (own and child's). Call once, before other threads log.
  void SetRedactor(const SecretRedactor* redactor) { redactor_ = redactor; }

  template <typename... Args>
  void Own(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
    std::string text = fmt::format(format, std::forward<Args>(args)...);
    if (redactor_ != nullptr) text = redactor_->Redact(text);
    Log(level, "job {} attempt {}: {}", job_, attempt_, text);
    Add(std::string(LogLevelName(level)) + " [worker] " + text);
  }
  //! A line of the child (already redacted).
  void Add(std::string line) {
    const std::string stamp = absl::FormatTime("%Y-%m-%d %H:%M:%E3S ", absl::Now(), absl::UTCTimeZone());
    std::lock_guard lock(mu_);
    lines_.push_back(stamp + line);
  }
  void MaybeFlush() {
    {
      std::lock_guard lock(mu_);
      if (lines_.size() < kLogFlushLines && MonoMs() - last_flush_ms_ < kLogFlushMs) return;
    }
    Flush();
  }
  void Flush() {
    std::vector<std::string> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(lines_);
      last_flush_ms_ = MonoMs();
    }
    if (batch.empty()) return;
    Status st = store_.AppendLogLines(job_, attempt_, batch);
    if (!st.ok()) Log(LogLevel::kWarn, "job {} attempt {}: cannot store log lines: {}", job_, attempt_, st.message());
  }

 private:
  MetadataStore& store_;
  const JobId job_;
  const int attempt_;
  const SecretRedactor* redactor_ = nullptr;
  std::mutex mu_;
  std::vector<std::string> lines_;
  int64_t last_flush_ms_ = MonoMs();
};

//! Every string (and number) leaf of a config: the conservative set of secrets when the spec is
//! unknown.
void CollectAllLeaves(const Json& value, std::vector<std::string>& out) {
  if (value.is_object() || value.is_array()) {
    for (const auto& v : value) CollectAllLeaves(v, out);
  } else if (value.is_string()) {
    if (value.get_ref<const std::string&>().size() >= 4) out.push_back(value.get<std::string>());
  } else if (value.is_number()) {
    std::string text = value.dump();
    if (text.size() >= 4) out.push_back(std::move(text));
  }
}

//! Splits a byte stream into lines.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line) : max_line_(max_line) {}
  template <typename F>
  void Feed(const char* data, size_t n, F&& on_line) {
    for (size_t i = 0; i < n; ++i) {
      if (data[i] == '\n') {
        on_line(std::move(partial_));
        partial_.clear();
        truncated_ = false;
      } else if (partial_.size() < max_line_) {
        partial_.push_back(data[i]);
      } else if (!truncated_) {
        partial_ += " …(truncated)";
        truncated_ = true;
      }
    }
  }
  template <typename F>
  void Finish(F&& on_line) {
    if (!partial_.empty()) on_line(std::move(partial_));
    partial_.clear();
  }

 private:
  size_t max_line_;
  std::string partial_;
  bool truncated_ = false;
};

Json EmptyStats() {
  return {{"recordsEmitted", 0},
          {"bytesEmitted", 0},
          {"recordsCommitted", 0},
          {"bytesCommitted", 0},
          {"streamStats", Json::array()}};
}

//! Stats from the last checkpoint: the progress saved with each checkpoint, and the outcome when
//! the child died before its result line.
Json StatsFromCheckpoint(const Json& stream_stats) {
  Json stats = EmptyStats();
  int64_t total = 0;
  if (stream_stats.is_array()) {
    for (const Json& s : stream_stats) {
      const int64_t committed = s.value("recordsCommitted", int64_t{0});
      total += committed;
      stats["streamStats"].push_back({{"streamName", s.value("streamName", "")},
                                      {"streamNamespace", s.value("streamNamespace", Json())},
                                      {"stats",
                                       {{"recordsEmitted", committed},
                                        {"bytesEmitted", 0},
                                        {"recordsCommitted", committed},
                                        {"bytesCommitted", 0}}}});
    }
  }
  stats["recordsEmitted"] = total;
  stats["recordsCommitted"] = total;
  return stats;
}

std::string ExitDescription(const ChildProcess& child) {
  if (child.term_signal() != 0) {
    return fmt::format("killed by signal {} ({})", child.term_signal(), strsignal(child.term_signal()));
  }
  return fmt::format("exit code {}", child.exit_code());
}

//! Writes a `schema_change` event of the attempt process onto the connection (catalog, pending
//! change, status) and returns what the attempt records (null: the schema did not change).
//! `before` is the connection as the attempt started; "firstDetected" says whether this change
//! was already pending then (notifications go out for new changes only).
Json RecordSchemaChange(MetadataStore& store, const Connection& before, const Json& event, int64_t now,
                        AttemptLog& log) {
  Json job = event.value("job", Json());
  auto loaded = store.GetConnection(before.connection_id);
  if (!loaded.ok() || !loaded->has_value()) {
    log.Own(LogLevel::kWarn, "schema change: cannot load connection {} to record it: {}", before.connection_id,
            loaded.ok() ? "deleted" : loaded.status().message());
    return job;
  }
  Connection c = **loaded;
  const Connection old = c;
  if (auto it = event.find("syncCatalog"); it != event.end() && it->is_object()) c.sync_catalog = *it;
  c.schema_change = event.value("schemaChange", "no_change");
  c.pending_catalog_diff = c.schema_change == "no_change" ? Json() : event.value("pendingCatalogDiff", Json());
  const bool disable = event.value("disableConnection", false) && c.status == ConnectionStatus::kActive;
  if (disable) c.status = ConnectionStatus::kInactive;
  if (job.is_object()) {
    job["firstDetected"] = !job.contains("catalogDiff") || job["catalogDiff"] != before.pending_catalog_diff;
    log.Own(LogLevel::kInfo, "schema change ({}): {}; nonBreakingChangesPreference {}: {}",
            job.value("schemaChange", ""), job.value("summary", ""), job.value("nonBreakingChangesPreference", ""),
            job.value("action", ""));
  }
  if (c.sync_catalog == old.sync_catalog && c.schema_change == old.schema_change &&
      c.pending_catalog_diff == old.pending_catalog_diff && c.status == old.status) {
    return job;
  }
  auto updated = store.UpdateConnection(c, now);
  if (!updated.ok()) {
    log.Own(LogLevel::kWarn, "schema change: cannot update connection {}: {}", c.connection_id,
            updated.status().message());
    return job;
  }
  if (c.sync_catalog != old.sync_catalog) log.Own(LogLevel::kInfo, "schema change: the connection's streams were updated");
  if (disable) log.Own(LogLevel::kWarn, "schema change: connection disabled (status inactive) until the changes are reviewed");
  if (c.schema_change == "no_change" && old.schema_change != "no_change") {
    log.Own(LogLevel::kInfo, "schema change: the source matches the connection's streams again; nothing pending");
  }
  return job;
}

}  // namespace

Json FailureSummary(std::string_view origin, std::string_view failure_type, const std::string& external_message,
                    const std::string& internal_message, int64_t timestamp_ms, bool partial_success) {
  return {{"failures",
           Json::array({{{"failureOrigin", origin},
                         {"failureType", failure_type},
                         {"externalMessage", external_message},
                         {"internalMessage", internal_message},
                         {"timestamp", timestamp_ms}}})},
          {"partialSuccess", partial_success}};
}

Result<Json> SpecCache::Get(const std::string& connector) {
  {
    std::lock_guard lock(mu_);
    if (auto it = specs_.find(connector); it != specs_.end()) return it->second;
  }
  SLUICE_ASSIGN_OR_RETURN(auto process, Subprocess::Start({binary_, "connector", connector, "spec"}, false));
  std::string out;
  char buf[8192];
  while (true) {
    auto n = process->ReadStdout(buf, sizeof(buf));
    if (!n.ok() || *n == 0) break;
    out.append(buf, *n);
  }
  const int code = process->Wait();
  if (code != 0) return Status::SystemError(fmt::format("`{} connector {} spec` failed ({})", binary_, connector, code));
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    Json line = Json::parse(out.substr(start, end - start), nullptr, false);
    start = end + 1;
    if (line.is_object() && line.value("type", "") == "SPEC" && line.contains("spec")) {
      Json schema = line["spec"].value("connectionSpecification", Json::object());
      std::lock_guard lock(mu_);
      specs_[connector] = schema;
      return schema;
    }
  }
  return Status::SystemError(fmt::format("`connector {} spec` printed no SPEC message", connector));
}

//! Merges a `source_config` event's changes into the source's stored config (decrypted, merged,
//! encrypted again), so the next run uses them. The stored config is read fresh: edits made
//! meanwhile through the API are kept.
static Status SaveSourceConfigChanges(MetadataStore& store, const SecretBox& secrets, const std::string& source_id,
                               const Json& changes, int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(std::optional<Actor> actor, store.GetActor(ActorKind::kSource, source_id));
  if (!actor) return Status::ConfigError("the source no longer exists");
  SLUICE_ASSIGN_OR_RETURN(Json config, DecryptConfig(secrets, actor->configuration));
  actor->configuration = EncryptConfig(secrets, ApplyConfigChanges(std::move(config), changes));
  SLUICE_ASSIGN_OR_RETURN(std::optional<Actor> updated, store.UpdateActor(*actor, now));
  if (!updated) return Status::ConfigError("the source no longer exists");
  return Status::Ok();
}

std::optional<AttemptResult> AttemptSupervisor::Run(const ClaimedJob& claimed) {
  MetadataStore& store = *context_.store;
  const Job& job = claimed.job;
  const int attempt_number = claimed.attempt.attempt_number;
  AttemptLog log(store, job.id, attempt_number);
  log.Own(LogLevel::kInfo, "attempt {} of job {} ({}) started on worker {}", attempt_number, job.id,
          JobConfigTypeName(job.config_type), options_.worker_id);

  bool partial_success = false;
  auto failed = [&](std::string_view origin, FailureType type, const std::string& message,
                    const std::string& internal, Json stats) {
    AttemptResult r;
    const int64_t now = context_.NowMs();
    if (type == FailureType::kCancelled) {
      r.outcome = AttemptOutcome::kCancelled;
    } else {
      r.outcome = AttemptOutcome::kFailed;
      if (type != FailureType::kConfig) {
        const int shift = std::clamp(attempt_number - 1, 0, 20);
        r.retry_at = now + (options_.retry_backoff_ms << shift);
      }
    }
    r.stats = std::move(stats);
    r.failure_summary =
        FailureSummary(origin, AttemptFailureTypeName(type), message, internal.empty() ? message : internal, now,
                       partial_success);
    log.Own(type == FailureType::kCancelled ? LogLevel::kInfo : LogLevel::kWarn, "attempt {} ({}, {}): {}",
            type == FailureType::kCancelled ? "cancelled" : "failed", origin, AttemptFailureTypeName(type), message);
    return r;
  };

  // --- the plan ---
  auto connection = store.GetConnection(job.connection_id);
  if (!connection.ok()) return failed("platform", FailureType::kTransient, "cannot load the connection", connection.status().message(), EmptyStats());
  if (!connection->has_value()) return failed("platform", FailureType::kConfig, "the connection no longer exists", "", EmptyStats());
  const Connection& conn = **connection;
  auto source = store.GetActor(ActorKind::kSource, conn.source_id);
  auto destination = store.GetActor(ActorKind::kDestination, conn.destination_id);
  if (!source.ok() || !destination.ok()) {
    return failed("platform", FailureType::kTransient, "cannot load the source or destination",
                  (!source.ok() ? source.status() : destination.status()).message(), EmptyStats());
  }
  if (!source->has_value()) return failed("source", FailureType::kConfig, "the source no longer exists", "", EmptyStats());
  if (!destination->has_value()) {
    return failed("destination", FailureType::kConfig, "the destination no longer exists", "", EmptyStats());
  }
  auto source_config = DecryptConfig(*context_.secrets, (*source)->configuration);
  if (!source_config.ok()) {
    return failed("platform", FailureType::kConfig, "cannot decrypt the source's configuration",
                  source_config.status().message(), EmptyStats());
  }
  // A source of a custom definition (a declarative manifest): source-declarative-manifest with the
  // definition's active manifest injected (the stored config holds only the manifest's values).
  std::string source_connector = (*source)->definition_name;
  if (source_connector.starts_with(kCustomDefinitionPrefix)) {
    const std::string definition_id = source_connector.substr(kCustomDefinitionPrefix.size());
    auto custom = store.GetCustomSourceDefinition(definition_id);
    if (!custom.ok()) {
      return failed("platform", FailureType::kTransient, "cannot load the source's custom definition",
                    custom.status().message(), EmptyStats());
    }
    if (!custom->has_value()) {
      return failed("source", FailureType::kConfig, "the source's custom definition " + definition_id + " no longer exists",
                    "", EmptyStats());
    }
    (*source_config)[kInjectedManifestKey] = (**custom).manifest;
    source_connector = "source-declarative-manifest";
  }
  auto destination_config = DecryptConfig(*context_.secrets, (*destination)->configuration);
  if (!destination_config.ok()) {
    return failed("platform", FailureType::kConfig, "cannot decrypt the destination's configuration",
                  destination_config.status().message(), EmptyStats());
  }
  // Every line of the child passes through both configs' redactors.
  std::vector<std::string> secrets;
  for (const auto& [name, config] : {std::pair{source_connector, &*source_config},
                                     std::pair{(*destination)->definition_name, &*destination_config}}) {
    auto spec = specs_.Get(name);
    if (spec.ok()) {
      const ConnectorKind kind = config == &*source_config ? ConnectorKind::kSource : ConnectorKind::kDestination;
      for (std::string& s : CollectSecretValues(ConfigSchemaFor(kind, name, *spec, *config), *config)) {
        secrets.push_back(std::move(s));
      }
    } else {
      log.Own(LogLevel::kWarn, "spec of {} unknown ({}): every config value is redacted", name, spec.status().message());
      CollectAllLeaves(*config, secrets);
    }
  }
  const SecretRedactor redactor(std::move(secrets));
  log.SetRedactor(&redactor);

  AttemptPlan plan;
  plan.job_id = job.id;
  plan.attempt_number = attempt_number;
  plan.job_type = job.config_type;
  plan.source_connector = source_connector;
  plan.source_config = std::move(source_config).value();
  plan.destination_connector = (*destination)->definition_name;
  plan.destination_config = std::move(destination_config).value();
  plan.connection = conn;
  plan.continuous = job.config_type == JobConfigType::kSync && conn.schedule_type == ScheduleType::kContinuous;
  // A refresh's, clear's or reset's streams start a new generation and lose their saved state at
  // the first attempt; later attempts find them started and keep both.
  auto streams_started = store.StartJobStreams(job.id, RemoveStreamStates, context_.NowMs());
  if (!streams_started.ok()) {
    const Status& st = streams_started.status();
    return failed("platform", st.failure_type() == FailureType::kConfig ? FailureType::kConfig : FailureType::kTransient,
                  "cannot start the job's streams", st.message(), EmptyStats());
  }
  if (streams_started->has_value()) plan.job_streams = (*streams_started)->streams;
  for (const JobStream& s : plan.job_streams) {
    log.Own(LogLevel::kInfo, "stream '{}': {}, generation {}", s.namespace_ ? *s.namespace_ + "." + s.name : s.name,
            StreamActionName(s.action), s.generation_id.value_or(0));
  }
  auto generations = store.ListStreamGenerations(conn.connection_id);
  if (!generations.ok()) {
    return failed("platform", FailureType::kTransient, "cannot load the stream generations",
                  generations.status().message(), EmptyStats());
  }
  plan.generations = std::move(generations).value();
  const bool reads_source = job.config_type == JobConfigType::kSync || job.config_type == JobConfigType::kRefresh;
  if (reads_source) {
    auto state = store.GetState(conn.connection_id);
    if (!state.ok()) return failed("platform", FailureType::kTransient, "cannot load the saved state", state.status().message(), EmptyStats());
    if (state->has_value()) plan.state = (*state)->state;
    for (const std::string& id : conn.operation_ids) {
      auto op = store.GetOperation(id);
      if (!op.ok()) {
        return failed("platform", FailureType::kTransient, "cannot load the connection's operations",
                      op.status().message(), EmptyStats());
      }
      if (!op->has_value()) continue;  // deleted meanwhile
      plan.operations.push_back({{"operationId", (*op)->operation_id},
                                 {"name", (*op)->name},
                                 {"operatorConfiguration", (*op)->operator_configuration}});
    }
  }
  log.Own(LogLevel::kInfo, "connection '{}': {} → {}, {}", conn.name, plan.source_connector,
          plan.destination_connector,
          job.config_type == JobConfigType::kResetConnection ? "reset: state cleared on success"
          : job.config_type == JobConfigType::kClear         ? "clear: the streams' state is cleared"
          : plan.state.is_null()                             ? "no saved state"
                                                             : "resuming from saved state");

  // --- limits ---
  auto limits = ParseResourceRequirements(conn.resource_requirements);
  if (!limits.ok()) return failed("platform", FailureType::kConfig, limits.status().message(), "", EmptyStats());
  std::unique_ptr<CpuLimiter> cpu;
  if (limits->cpu_limit) {
    cpu = std::make_unique<CpuLimiter>(*limits->cpu_limit, fmt::format("sluice-job{}-attempt{}-{}", job.id,
                                                                        attempt_number, getpid()));
  }
  if (limits->memory_limit_bytes) {
    log.Own(LogLevel::kInfo, "memory limit {}: the attempt is killed when its RSS exceeds it",
            FormatMiB(*limits->memory_limit_bytes));
  }

  // --- the child ---
  std::string scratch;
  if (!options_.scratch_dir.empty()) {
    scratch = (std::filesystem::path(options_.scratch_dir) / fmt::format("job-{}-attempt-{}", job.id, attempt_number))
                  .string();
    std::error_code ec;
    std::filesystem::create_directories(scratch, ec);
    if (ec) scratch.clear();
  }
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "TMPDIR=", 7) == 0 && !scratch.empty()) continue;
    env.emplace_back(*e);
  }
  if (!scratch.empty()) env.push_back("TMPDIR=" + scratch);
  auto started = ChildProcess::Start({options_.sluice_binary, "run-attempt"}, env, cpu.get());
  if (!started.ok()) {
    if (!scratch.empty()) RemoveTreeIgnoringErrors(scratch);
    return failed("platform", FailureType::kSystem, "cannot start the attempt process", started.status().message(), EmptyStats());
  }
  std::unique_ptr<ChildProcess> child = std::move(started).value();
  log.Own(LogLevel::kInfo, "attempt process {} started ({} run-attempt)", child->pid(), options_.sluice_binary);
  if (cpu) log.Own(LogLevel::kInfo, "{}", cpu->ApplyInParent(child->pid()));
  {
    std::string text = plan.ToJson().dump();
    plan = AttemptPlan();
    const int err = WriteAll(child->stdin_fd(), text);
    std::fill(text.begin(), text.end(), '\0');
    if (err != 0) log.Own(LogLevel::kWarn, "could not hand the plan to the attempt process: {}", std::strerror(err));
    child->CloseStdin();
  }

  // --- heartbeats, cancel, stop ---
  std::mutex control_mu;
  std::condition_variable control_cv;
  bool done = false;
  std::atomic<bool> cancel_requested{false}, lost{false}, worker_stopping{false};
  std::thread heartbeat([&] {
    int64_t next_beat = MonoMs() + options_.heartbeat_ms;
    uint64_t seen_wake = wake_seq_.load();
    int64_t kill_at = 0;
    bool killed = false;
    std::unique_lock lock(control_mu);
    while (!done) {
      control_cv.wait_for(lock, std::chrono::milliseconds(50));
      if (done) break;
      lock.unlock();
      const int64_t now_mono = MonoMs();
      if (stopping_.load() && !worker_stopping.exchange(true)) {
        log.Own(LogLevel::kInfo, "worker stopping: SIGTERM to the attempt process");
        child->Signal(SIGTERM);
        if (kill_at == 0) kill_at = now_mono + options_.kill_grace_ms;
      }
      const uint64_t wake = wake_seq_.load();
      if (!lost.load() && (now_mono >= next_beat || wake != seen_wake)) {
        seen_wake = wake;
        next_beat = now_mono + options_.heartbeat_ms;
        const int64_t now = context_.NowMs();
        auto beat = store.Heartbeat(job.id, attempt_number, options_.worker_id, now + options_.lease_ms, now);
        if (!beat.ok()) {
          log.Own(LogLevel::kWarn, "heartbeat failed (will retry): {}", beat.status().message());
        } else if (*beat == LeaseStatus::kCancelRequested && !cancel_requested.exchange(true)) {
          log.Own(LogLevel::kInfo, "cancel requested: SIGTERM to the attempt process");
          child->Signal(SIGTERM);
          if (kill_at == 0) kill_at = now_mono + options_.kill_grace_ms;
        } else if (*beat == LeaseStatus::kLost) {
          lost = true;
          log.Own(LogLevel::kWarn, "lease lost (the job was reclaimed): SIGKILL to the attempt process");
          child->Signal(SIGKILL);
          killed = true;
        }
      }
      if (kill_at != 0 && !killed && MonoMs() >= kill_at) {
        log.Own(LogLevel::kWarn, "the attempt process did not stop within {} ms: SIGKILL", options_.kill_grace_ms);
        child->Signal(SIGKILL);
        killed = true;
      }
      lock.lock();
    }
  });

  // --- events, logs, memory ---
  std::optional<Json> result_event;
  Json schema_change;  // what the attempt records about a changed source schema
  bool config_updated = false;  // the source's stored config was updated from the attempt (CONTROL message)
  Json last_stream_stats;
  int64_t checkpoints = 0;
  bool memory_killed = false;
  int64_t rss_at_kill = 0;
  bool lag_reported = false;  // the attempt set sluice_replication_lag_bytes; removed when it ends
  LineSplitter out_lines(SIZE_MAX), err_lines(kMaxLogLineBytes);
  auto on_event = [&](std::string line) {
    if (line.empty()) return;
    Json event = Json::parse(line, nullptr, false);
    if (!event.is_object()) {
      log.Add("WARN [worker] unexpected output from the attempt process: " + redactor.Redact(line.substr(0, 200)));
      return;
    }
    const std::string type = event.value("type", "");
    if (type == "checkpoint" && event.contains("state")) {
      if (lost.load()) return;  // not ours any more
      last_stream_stats = event.value("streamStats", Json::array());
      // The attempt's progress goes with the state (one transaction): a lost attempt still
      // counts what it committed.
      Status saved = store.SaveCheckpoint(conn.connection_id, event["state"], job.id, attempt_number,
                                          StatsFromCheckpoint(last_stream_stats), context_.NowMs());
      ++checkpoints;
      if (auto lag = event.find("replicationLagBytes"); lag != event.end() && lag->is_number() && context_.metrics) {
        context_.metrics->replication_lag.WithLabels({conn.connection_id}).Set(lag->get<double>());
        lag_reported = true;
      }
      if (!saved.ok()) {
        log.Own(LogLevel::kWarn, "checkpoint {} could not be saved: {}", checkpoints, saved.message());
      } else {
        int64_t committed = 0;
        for (const Json& s : last_stream_stats) committed += s.value("recordsCommitted", int64_t{0});
        log.Own(LogLevel::kInfo, "checkpoint {} saved ({} records committed)", checkpoints, committed);
      }
    } else if (type == "source_config" && event.value("changes", Json()).is_object()) {
      if (lost.load()) return;
      Status saved = SaveSourceConfigChanges(store, *context_.secrets, conn.source_id, event["changes"], context_.NowMs());
      const std::vector<std::string> paths = ConfigChangePaths(event["changes"]);
      if (!saved.ok()) {
        log.Own(LogLevel::kWarn, "the source updated its config ({}) but it could not be saved: {}",
                fmt::format("{}", fmt::join(paths, ", ")), saved.message());
      } else {
        config_updated = true;
        log.Own(LogLevel::kInfo, "the source updated its config ({}: a rotated token): saved to source {} for the next runs",
                fmt::format("{}", fmt::join(paths, ", ")), conn.source_id);
      }
    } else if (type == "schema_change") {
      if (lost.load()) return;
      schema_change = RecordSchemaChange(store, conn, event, context_.NowMs(), log);
    } else if (type == "result") {
      result_event = std::move(event);
    }
  };
  auto on_log = [&](std::string line) { log.Add(redactor.Redact(line)); };

  struct pollfd fds[2] = {{child->stdout_fd(), POLLIN, 0}, {child->stderr_fd(), POLLIN, 0}};
  bool open[2] = {true, true};
  int64_t last_rss_check = 0;
  int64_t reaped_at = 0;
  char buf[65536];
  while (open[0] || open[1]) {
    for (int i = 0; i < 2; ++i) fds[i].fd = open[i] ? (i == 0 ? child->stdout_fd() : child->stderr_fd()) : -1;
    const int ready = ::poll(fds, 2, 100);
    if (ready < 0 && errno != EINTR) break;
    for (int i = 0; i < 2 && ready > 0; ++i) {
      if (!open[i] || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        if (i == 0) out_lines.Feed(buf, static_cast<size_t>(n), on_event);
        else err_lines.Feed(buf, static_cast<size_t>(n), on_log);
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        open[i] = false;
      }
    }
    const int64_t now_mono = MonoMs();
    if (limits->memory_limit_bytes && !memory_killed && now_mono - last_rss_check >= kRssCheckMs) {
      last_rss_check = now_mono;
      if (auto rss = ReadRssBytes(child->pid()); rss && *rss > *limits->memory_limit_bytes) {
        memory_killed = true;
        rss_at_kill = *rss;
        child->Signal(SIGKILL);
        log.Own(LogLevel::kWarn, "killed: memory limit {} exceeded (RSS {})", FormatMiB(*limits->memory_limit_bytes),
                FormatMiB(rss_at_kill));
      }
    }
    if (reaped_at == 0 && child->TryReap()) reaped_at = now_mono;
    if (reaped_at != 0 && now_mono - reaped_at > 5'000) break;  // something else holds the pipes
    log.MaybeFlush();
  }
  out_lines.Finish(on_event);
  err_lines.Finish(on_log);
  {
    std::lock_guard lock(control_mu);
    done = true;
  }
  control_cv.notify_all();
  heartbeat.join();
  child->Wait();
  log.Own(LogLevel::kInfo, "attempt process {} ended: {}", child->pid(), ExitDescription(*child));
  if (!scratch.empty()) RemoveTreeIgnoringErrors(scratch);
  // Lag is a property of a running stream; a stale value would read as a stuck slot.
  if (lag_reported) context_.metrics->replication_lag.Remove({conn.connection_id});

  // --- the outcome ---
  if (lost.load()) {
    log.Flush();
    return std::nullopt;
  }
  Json stats = result_event && (*result_event).contains("stats") ? (*result_event)["stats"]
                                                                  : StatsFromCheckpoint(last_stream_stats);
  partial_success = stats.value("recordsCommitted", int64_t{0}) > 0;
  const std::string status = result_event ? result_event->value("status", "") : "";
  AttemptResult result;
  if (memory_killed) {
    result = failed("replication", FailureType::kSystem,
                    fmt::format("killed: memory limit {} exceeded (RSS {})", FormatMiB(*limits->memory_limit_bytes),
                                FormatMiB(rss_at_kill)),
                    "", stats);
  } else if (cancel_requested.load()) {
    result = failed("platform", FailureType::kCancelled, "the job was cancelled", "", stats);
  } else if (status == "succeeded" && !worker_stopping.load()) {
    result.outcome = AttemptOutcome::kSucceeded;
    result.stats = stats;
    log.Own(LogLevel::kInfo, "attempt succeeded: {} records committed, {} checkpoint(s)",
            stats.value("recordsCommitted", int64_t{0}), checkpoints);
  } else if (worker_stopping.load()) {
    AttemptResult r = failed("platform", FailureType::kTransient, "the worker stopped during the attempt", "", stats);
    r.retry_at = context_.NowMs();  // resume as soon as a worker is back
    result = std::move(r);
  } else if (status == "failed" || status == "cancelled") {
    const std::string type_name = result_event->value("failureType", "system_error");
    FailureType type = type_name == "config_error"      ? FailureType::kConfig
                       : type_name == "transient_error" ? FailureType::kTransient
                                                        : FailureType::kSystem;
    if (status == "cancelled") type = FailureType::kTransient;  // stopped by someone else's signal
    result = failed(result_event->value("failureOrigin", "replication"), type,
                    redactor.Redact(result_event->value("message", "the attempt failed")),
                    redactor.Redact(result_event->value("internalMessage", "")), stats);
  } else {
    result = failed("replication", FailureType::kSystem,
                    fmt::format("the attempt process ended without a result ({})", ExitDescription(*child)), "", stats);
  }
  result.schema_change = std::move(schema_change);
  if (config_updated) {
    if (!result.stats.is_object()) result.stats = EmptyStats();
    result.stats["connectorConfigurationUpdated"] = true;
  }
  log.Flush();
  return result;
}

}  // namespace sluice
