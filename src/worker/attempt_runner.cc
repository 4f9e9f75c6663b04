#include "worker/attempt_runner.h"

#include <unistd.h>

#include <chrono>
#include <mutex>

#include <fmt/ranges.h>

#include "base/file_util.h"
#include "base/log.h"
#include "base/time.h"
#include "base/subprocess.h"
#include "connection/connection_settings.h"
#include "connection/connector_runtime.h"
#include "engine/sync_runner.h"
#include "operations/operations.h"
#include "platform/job_streams.h"
#include "platform/schema_policy.h"
#include "platform/sync_catalog.h"
#include "protocol/config_update.h"
#include "security/connector_secrets.h"
#include "worker/attempt_protocol.h"

namespace sluice {

namespace {

//! A source with no records: a reset runs the destination with it, in overwrite mode.
class EmptySource final : public Source {
 public:
  ConnectorSpec Spec() const override { return {}; }
  Status Check(const Json&) override { return Status::Ok(); }
  Result<Catalog> Discover(const Json&) override { return Catalog{}; }
  Status Read(const Json&, const ConfiguredCatalog& catalog, const StateStore&, Emitter& out) override {
    for (uint32_t i = 0; i < catalog.streams.size(); ++i) {
      SLUICE_RETURN_IF_ERROR(out.EmitStreamStatus(i, StreamStatus::kStarted));
      SLUICE_RETURN_IF_ERROR(out.EmitStreamStatus(i, StreamStatus::kComplete));
    }
    return Status::Ok();
  }
};

class EventWriter {
 public:
  explicit EventWriter(int fd) : fd_(fd) {}
  void Write(const Json& event) {
    std::lock_guard lock(mu_);
    WriteAll(fd_, event.dump() + "\n");
  }

 private:
  int fd_;
  std::mutex mu_;
};

Json StreamJson(const StreamDescriptor& d) {
  return {{"streamName", d.name}, {"streamNamespace", d.namespace_ ? Json(*d.namespace_) : Json()}};
}

Json StatsJson(const SyncResult& result) {
  Json streams = Json::array();
  uint64_t committed = 0, bytes_committed = 0;
  for (const StreamResult& s : result.streams) {
    // The engine counts committed records; committed bytes are the emitted bytes in proportion.
    const uint64_t stream_bytes_committed =
        s.records == 0 ? 0
                       : (s.records_committed >= s.records
                              ? s.bytes
                              : static_cast<uint64_t>(static_cast<double>(s.bytes) * s.records_committed / s.records));
    committed += s.records_committed;
    bytes_committed += stream_bytes_committed;
    Json entry = StreamJson(s.stream);
    entry["stats"] = {{"recordsEmitted", s.records},
                      {"bytesEmitted", s.bytes},
                      {"recordsCommitted", s.records_committed},
                      {"bytesCommitted", stream_bytes_committed}};
    streams.push_back(std::move(entry));
  }
  return {{"recordsEmitted", result.records},
          {"bytesEmitted", result.bytes},
          {"recordsCommitted", committed},
          {"bytesCommitted", bytes_committed},
          {"streamStats", std::move(streams)}};
}

struct Failure {
  Status status;
  std::string origin;  // source | destination | replication
};

Json ResultJson(const std::optional<Failure>& failure, const Json& stats, int64_t duration_ms) {
  Json j = {{"type", "result"}};
  if (!failure) {
    j["status"] = "succeeded";
  } else {
    const Status& st = failure->status;
    j["status"] = st.cancelled() ? "cancelled" : "failed";
    j["failureType"] = AttemptFailureTypeName(st.failure_type());
    j["failureOrigin"] = failure->origin;
    j["message"] = st.message();
    j["internalMessage"] = st.detail().empty() ? st.message() : st.detail();
  }
  j["durationMs"] = duration_ms;
  j["stats"] = stats.is_null() ? Json{{"recordsEmitted", 0},
                                      {"bytesEmitted", 0},
                                      {"recordsCommitted", 0},
                                      {"bytesCommitted", 0},
                                      {"streamStats", Json::array()}}
                               : stats;
  return j;
}

// Where a failure of RunSync came from, as far as its message tells.
std::string OriginOf(const Status& status) {
  const std::string& m = status.message();
  if (m.rfind("source", 0) == 0) return "source";
  if (m.rfind("destination", 0) == 0) return "destination";
  return "replication";
}

struct PlannedOperation {
  std::string id;
  std::string name;
  OperatorConfig config;
};

// The plan's operations, parsed (they were checked when saved; a config changed by hand since is
// a config error naming the operation).
Result<std::vector<PlannedOperation>> ParseOperations(const Json& operations) {
  std::vector<PlannedOperation> out;
  for (size_t i = 0; i < operations.size(); ++i) {
    const Json& op = operations[i];
    PlannedOperation p{op.value("operationId", ""), op.value("name", ""), {}};
    auto config = ParseOperatorConfiguration(op.value("operatorConfiguration", Json::object()),
                                             fmt::format("operation '{}': operatorConfiguration", p.name));
    if (!config.ok()) return config.status();
    p.config = std::move(config).value();
    out.push_back(std::move(p));
  }
  return out;
}

// Runs the dbt, webhook, sql and command operations in order after a successful sync, each a logged step;
// the first failure stops them. Adds {operationId, name, operatorType, status, durationMs} to
// `summary` for each one started.
std::optional<Failure> RunOperations(const std::vector<PlannedOperation>& operations, const std::string& destination,
                                     const Json& destination_config, const std::atomic<bool>* stop, Json& summary) {
  size_t total = 0;
  for (const PlannedOperation& op : operations) total += op.config.type != OperatorType::kNormalization;
  size_t n = 0;
  for (const PlannedOperation& op : operations) {
    if (op.config.type == OperatorType::kNormalization) continue;
    const std::string step = fmt::format("operation {} of {} '{}' ({})", ++n, total, op.name, OperatorTypeName(op.config.type));
    Log(LogLevel::kInfo, "{}: started", step);
    const int64_t started_us = MonotonicMicros();
    auto scratch = MakeTempDir("sluice-operation-");
    Status st = scratch.status();
    if (st.ok()) {
      OperationTarget target{destination, destination_config, *scratch,
                             [&step](const std::string& line) { Log(LogLevel::kInfo, "{}: {}", step, line); }, stop};
      st = RunOperator(op.config, target);
      RemoveTreeIgnoringErrors(*scratch);
    }
    const int64_t ms = (MonotonicMicros() - started_us) / 1000;
    Json entry = {{"operationId", op.id}, {"name", op.name}, {"operatorType", OperatorTypeName(op.config.type)},
                  {"status", st.ok() ? "succeeded" : "failed"}, {"durationMs", ms}};
    summary.push_back(std::move(entry));
    if (!st.ok()) {
      Log(LogLevel::kError, "{}: failed after {:.1f} s: {}", step, ms / 1000.0, st.message());
      return Failure{st.WithContext(fmt::format("operation '{}'", op.name)),
                     op.config.type == OperatorType::kDbt || op.config.type == OperatorType::kSql ? "dbt"
                                                                                                 : "airbyte_platform"};
    }
    Log(LogLevel::kInfo, "{}: succeeded in {:.1f} s", step, ms / 1000.0);
  }
  return std::nullopt;
}

}  // namespace

int RunAttempt(const Json& plan_json, int events_fd, const std::atomic<bool>* stop) {
  const int64_t started_us = MonotonicMicros();
  EventWriter events(events_fd);
  auto finish = [&](std::optional<Failure> failure, const Json& stats = Json()) {
    const int64_t duration_ms = (MonotonicMicros() - started_us) / 1000;
    if (failure) {
      Log(LogLevel::kError, "attempt failed ({}, {}): {}", failure->origin,
          AttemptFailureTypeName(failure->status.failure_type()), failure->status.message());
    }
    events.Write(ResultJson(failure, stats, duration_ms));
    return failure ? ExitCodeFor(failure->status.failure_type()) : 0;
  };

  auto parsed = AttemptPlan::FromJson(plan_json);
  if (!parsed.ok()) return finish(Failure{parsed.status(), "platform"});
  AttemptPlan plan = std::move(parsed).value();

  auto source = ResolveConnector(ConnectorKind::kSource, plan.source_connector, {});
  if (!source.ok()) return finish(Failure{source.status().WithContext("source"), "source"});
  auto destination = ResolveConnector(ConnectorKind::kDestination, plan.destination_connector, {});
  if (!destination.ok()) return finish(Failure{destination.status().WithContext("destination"), "destination"});

  // Defense in depth: this process's own log lines are redacted too (the worker redacts again).
  std::vector<std::string> secrets =
      CollectSecretValues(SpecForConfig(*source, plan.source_config).connection_specification, plan.source_config);
  for (std::string& s : CollectSecretValues(destination->spec.connection_specification, plan.destination_config)) {
    secrets.push_back(std::move(s));
  }
  // The operations' secrets (a command's secretEnvironment) are redacted as well.
  auto operations = ParseOperations(plan.operations);
  if (operations.ok()) {
    for (const PlannedOperation& op : *operations) {
      for (std::string& s : OperatorSecretValues(op.config)) secrets.push_back(std::move(s));
    }
  }
  auto redactor = std::make_shared<SecretRedactor>(std::move(secrets));
  SetLogSink([redactor](LogLevel level, std::string_view message) {
    std::string line = fmt::format("{} {}\n", LogLevelName(level), redactor->Redact(message));
    WriteAll(2, line);
  });

  if (!operations.ok()) return finish(Failure{operations.status(), "airbyte_platform"});
  for (const PlannedOperation& op : *operations) {
    if (op.config.type != OperatorType::kNormalization) continue;
    ConnectionSettings settings;
    settings.origin = "operation '" + op.name + "'";
    settings.normalization = Normalization::kBasic;
    Status applied = ApplyNormalization(settings, destination->spec, destination->name, plan.destination_config);
    if (!applied.ok()) return finish(Failure{applied, "normalization"});
    Log(LogLevel::kInfo, "operation '{}': basic normalization while loading", op.name);
  }

  auto source_config = PrepareConnectorConfig(*source, plan.source_config);
  if (!source_config.ok()) return finish(Failure{source_config.status().WithContext("source config"), "source"});
  auto destination_config = PrepareConnectorConfig(*destination, plan.destination_config);
  if (!destination_config.ok()) {
    return finish(Failure{destination_config.status().WithContext("destination config"), "destination"});
  }

  Log(LogLevel::kInfo, "{} of connection '{}': {} → {}", JobConfigTypeName(plan.job_type), plan.connection.name,
      source->name, destination->name);
  // A config the source changed (a rotated OAuth refresh token: Airbyte's CONTROL message) goes to
  // the worker at once as its changes, which it saves into the source's stored config; this run
  // goes on with them too.
  std::mutex config_mu;
  Json config_changes = Json::object();  // reported during the read, applied to source_config after it
  auto report_config = [&](const Json& updated) -> Status {
    Json changes;
    {
      std::lock_guard lock(config_mu);
      changes = ConfigChanges(ApplyConfigChanges(*source_config, config_changes), updated);
      if (changes.empty()) return Status::Ok();
      config_changes = ApplyConfigChanges(config_changes, changes);
    }
    Log(LogLevel::kInfo, "the source updated its config ({}): reported to be saved",
        fmt::join(ConfigChangePaths(changes), ", "));
    events.Write({{"type", "source_config"}, {"changes", changes}});
    return Status::Ok();
  };
  auto absorb_config = [&] {
    if (auto updated = TakeConfigUpdate(*source->source)) (void)report_config(*updated);
    std::lock_guard lock(config_mu);
    *source_config = ApplyConfigChanges(*source_config, config_changes);
    config_changes = Json::object();
  };
  auto discovered = source->source->Discover(*source_config);
  absorb_config();
  if (!discovered.ok()) return finish(Failure{discovered.status().WithContext("discover"), "source"});
  // Sync and refresh jobs: compare the source with the stored catalog and apply the
  // connection's schema-change policy first. A reset or clear empties the stored streams
  // whatever the source says now.
  Connection run_connection = plan.connection;
  Catalog run_discovered = std::move(discovered).value();
  if (plan.job_type == JobConfigType::kSync || plan.job_type == JobConfigType::kRefresh) {
    auto outcome = ApplySchemaPolicy(plan.connection, run_discovered, destination->spec);
    if (!outcome.ok()) return finish(Failure{outcome.status().WithContext("schema change"), "source"});
    if (!outcome->diff.empty()) {
      Log(LogLevel::kInfo, "schema change ({}, nonBreakingChangesPreference {}): {} → {}",
          SchemaChangeName(outcome->diff.change()), NonBreakingPolicyName(outcome->policy), outcome->diff.Summary(),
          outcome->ActionName());
      for (const std::string& line : outcome->diff.Describe()) Log(LogLevel::kInfo, "schema change: {}", line);
    }
    events.Write({{"type", "schema_change"},
                  {"job", outcome->diff.empty() ? Json() : outcome->ToJobJson()},
                  {"syncCatalog", outcome->new_sync_catalog ? *outcome->new_sync_catalog : Json()},
                  {"schemaChange", SchemaChangeName(outcome->pending.change())},
                  {"pendingCatalogDiff", outcome->pending.empty() ? Json() : outcome->pending.ToJson()},
                  {"disableConnection", outcome->disables_connection()}});
    if (outcome->disables_connection()) {
      return finish(Failure{Status::ConfigError(outcome->FailureMessage()), "source"});
    }
    run_connection.sync_catalog = std::move(outcome->run_sync_catalog);
    run_discovered = std::move(outcome->run_discovered);
  }
  auto catalogs = BuildConnectionCatalogs(run_connection, run_discovered, destination->spec);
  if (!catalogs.ok()) return finish(Failure{catalogs.status().WithContext("catalog"), "replication"});
  const bool empties = plan.job_type == JobConfigType::kResetConnection || plan.job_type == JobConfigType::kClear;
  if (empties) {
    // A clear (or a reset) writes its streams in overwrite mode from a source without rows.
    for (size_t i = 0; i < catalogs->source.streams.size(); ++i) {
      for (ConfiguredStream* s : {&catalogs->source.streams[i], &catalogs->destination.streams[i]}) {
        s->sync_mode = SyncMode::kFullRefresh;
        s->destination_sync_mode = DestinationSyncMode::kOverwrite;
      }
    }
  }
  SetGenerationIds(*catalogs, plan.job_id, plan.generations, plan.job_streams);

  SyncOptions options;
  options.stop = stop;
  options.channel_bytes = 64 << 20;
  options.on_connector_config = report_config;

  if (empties) {
    // Empty the job's streams (a reset queued before streams were recorded: every stream) that
    // the destination can overwrite: run it with a source that has no rows, each stream in a new
    // generation whose minimum is itself.
    const std::string_view what = JobConfigTypeName(plan.job_type);
    ConfiguredCatalog source_catalog, destination_catalog;
    for (size_t i = 0; i < catalogs->destination.streams.size(); ++i) {
      const ConfiguredStream& dst = catalogs->destination.streams[i];
      if (!plan.job_streams.empty() && FindJobStream(plan.job_streams, catalogs->source.streams[i].descriptor()) == nullptr) {
        continue;  // not cleared by this job
      }
      if (!destination->spec.Supports(DestinationSyncMode::kOverwrite)) {
        Log(LogLevel::kWarn, "{}: {} cannot overwrite, stream {} keeps its data", what, destination->name,
            dst.descriptor().ToString());
        continue;
      }
      source_catalog.streams.push_back(catalogs->source.streams[i]);
      destination_catalog.streams.push_back(dst);
    }
    Log(LogLevel::kInfo, "{}: emptying {} stream(s); their state is cleared", what, destination_catalog.streams.size());
    EmptySource empty;
    SyncResult result = RunSync(empty, *source_config, source_catalog, *destination->destination,
                                *destination_config, destination_catalog, StateStore(), options);
    if (!result.status.ok()) return finish(Failure{result.status, "destination"}, StatsJson(result));
    // A reset clears every stream's state, also of streams no longer selected; a clear's streams
    // lost theirs when the job started.
    if (plan.job_type == JobConfigType::kResetConnection) {
      events.Write({{"type", "checkpoint"}, {"state", Json::array()}, {"streamStats", Json::array()}});
    }
    return finish(std::nullopt, StatsJson(result));
  }

  StateStore state;
  if (!plan.state.is_null()) {
    auto loaded = StateStore::FromJson(plan.state);
    if (!loaded.ok()) return finish(Failure{loaded.status().WithContext("saved state"), "platform"});
    state = std::move(loaded).value();
  }
  const ConfiguredCatalog& source_catalog = catalogs->source;
  SyncProgress progress(source_catalog.streams.size());
  options.progress = &progress;
  // The engine's per-stream committed counters move right after this callback; a STREAM
  // checkpoint's own count is added here so the event is exact for per-stream states.
  std::vector<uint64_t> committed(source_catalog.streams.size(), 0);
  options.on_checkpoint = [&](const StateMessage& checkpoint, const StateStore& all) -> Status {
    if (checkpoint.type == StateType::kStream && checkpoint.source_record_count) {
      const int i = source_catalog.Find(checkpoint.stream.descriptor);
      if (i >= 0) committed[i] += static_cast<uint64_t>(*checkpoint.source_record_count);
    }
    Json streams = Json::array();
    for (size_t i = 0; i < source_catalog.streams.size(); ++i) {
      committed[i] = std::max<uint64_t>(committed[i], progress.stream(i).records_committed.load());
      Json entry = StreamJson(source_catalog.streams[i].descriptor());
      entry["recordsCommitted"] = committed[i];
      streams.push_back(std::move(entry));
    }
    Json event = {{"type", "checkpoint"}, {"state", all.ToJson()}, {"streamStats", std::move(streams)}};
    // CDC sources report how much log the server holds for them (a metric in the server).
    const int64_t lag = progress.replication_lag_bytes.load(std::memory_order_relaxed);
    if (lag >= 0) event["replicationLagBytes"] = lag;
    events.Write(event);
    return Status::Ok();
  };
  Log(LogLevel::kInfo, "{}: {} stream(s), {}", JobConfigTypeName(plan.job_type), source_catalog.streams.size(),
      state.empty() ? "no saved state" : "resuming from saved state");
  for (const ConfiguredStream& s : catalogs->destination.streams) {
    Log(LogLevel::kInfo, "stream {}: {} | {}, generation {} (minimum {}), sync {}", s.descriptor().ToString(),
        SyncModeName(s.sync_mode), DestinationSyncModeName(s.destination_sync_mode), s.generation_id.value_or(0),
        s.minimum_generation_id.value_or(0), s.sync_id.value_or(0));
  }
  if (plan.continuous) {
    options.commit_interval_ms = kContinuousCommitIntervalMs;
    Status can = CheckCanReadContinuously(*source, *source_config);
    if (!can.ok()) return finish(Failure{can.WithContext("scheduleType continuous"), "source"});
  }
  SyncResult result = RunSync(*source->source, *source_config, source_catalog, *destination->destination,
                              *destination_config, catalogs->destination, state, options);
  if (plan.continuous && result.status.ok() && !(stop != nullptr && stop->load())) {
    // As `sluice sync --continuous`: the run above caught up in batch mode (snapshot included,
    // so destinations that swap a table in at a stream's end have it); now stream, with fresh
    // connector instances (one run each), until SIGTERM.
    Log(LogLevel::kInfo, "caught up ({} records); streaming changes until stopped", result.records);
    auto src2 = ResolveConnector(ConnectorKind::kSource, plan.source_connector, {});
    if (!src2.ok()) return finish(Failure{src2.status().WithContext("source"), "source"});
    auto dst2 = ResolveConnector(ConnectorKind::kDestination, plan.destination_connector, {});
    if (!dst2.ok()) return finish(Failure{dst2.status().WithContext("destination"), "destination"});
    absorb_config();  // the continuous run starts from the tokens the catch-up run left
    const StateStore caught_up = result.state;
    const uint64_t caught_up_records = result.records;
    options.continuous = true;
    result = RunSync(*src2->source, *source_config, source_catalog, *dst2->destination, *destination_config,
                     catalogs->destination, caught_up, options);
    result.records += caught_up_records;
  }
  // A continuous sync ends when stopped: a stop during the catch-up run is a normal end too (its
  // pending checkpoints were committed and reported).
  if (plan.continuous && result.status.cancelled() && stop != nullptr && stop->load()) result.status = Status::Ok();
  Log(LogLevel::kInfo, "sync ended: {} record(s) read, {} checkpoint(s) committed", result.records,
      result.checkpoints);
  if (!result.status.ok()) return finish(Failure{result.status, OriginOf(result.status)}, StatsJson(result));
  Json stats = StatsJson(result);
  if (!plan.continuous && !(stop != nullptr && stop->load())) {
    Json summary = Json::array();
    std::optional<Failure> failed = RunOperations(*operations, destination->name, *destination_config, stop, summary);
    if (!summary.empty()) stats["operations"] = std::move(summary);
    if (failed) return finish(std::move(failed), stats);
  }
  return finish(std::nullopt, stats);
}

}  // namespace sluice
