#include "cli/sync_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "base/file_util.h"
#include "base/log.h"
#include "connection/connector_runtime.h"
#include "cli/config_overlay.h"
#include "cli/pipeline.h"
#include "cli/transform_command.h"
#include "cli/progress.h"
#include "cli/signals.h"
#include "engine/sync_runner.h"
#include "protocol/config_update.h"

namespace sluice {

namespace {

namespace fs = std::filesystem;

std::string StateFileFor(const SyncCommandArgs& args, const Pipeline& pipeline) {
  if (!args.state_file.empty()) return args.state_file;
  if (!args.state_dir.empty()) {
    return (fs::path(args.state_dir) / (fs::path(args.pipeline_file).stem().string() + ".state.json")).string();
  }
  return pipeline.state_file;
}

int Report(const Status& status, bool json) {
  if (json) {
    Json j = {{"status", status.cancelled() ? "cancelled" : "failed"},
              {"error", {{"message", status.message()}, {"failure_type", FailureTypeName(status.failure_type())}}}};
    std::cout << j.dump(2) << std::endl;
  }
  std::cerr << "sluice: " << status.ToString() << std::endl;
  return ExitCodeFor(status.failure_type());
}

}  // namespace

int RunSyncCommand(const SyncCommandArgs& args) {
  auto loaded = LoadPipeline(args.pipeline_file);
  if (!loaded.ok()) return Report(loaded.status(), args.json);
  const Pipeline& pipeline = *loaded;

  auto source = ResolveConnector(ConnectorKind::kSource, pipeline.source.connector, pipeline.source.command);
  if (!source.ok()) return Report(source.status().WithContext("source"), args.json);
  auto destination =
      ResolveConnector(ConnectorKind::kDestination, pipeline.destination.connector, pipeline.destination.command);
  if (!destination.ok()) return Report(destination.status().WithContext("destination"), args.json);

  // Values the source updated in earlier runs (a rotated OAuth refresh token) are kept beside
  // the state file, never written into the pipeline file.
  const std::string state_file = StateFileFor(args, pipeline);
  auto overlay = SourceConfigOverlay::Load(SourceConfigOverlay::FileFor(state_file), pipeline.source.config);
  if (!overlay.ok()) return Report(overlay.status(), args.json);
  auto source_config = PrepareConnectorConfig(*source, overlay->Apply(pipeline.source.config));
  if (!source_config.ok()) return Report(source_config.status(), args.json);
  // A config the source changed (CONTROL message): kept in the overlay at once; the changes are
  // applied to source_config between runs (the source thread only records them).
  std::mutex config_mu;
  Json config_changes = Json::object();
  auto record_config = [&](const Json& updated) -> Status {
    Json changes;
    {
      std::lock_guard lock(config_mu);
      changes = ConfigChanges(ApplyConfigChanges(*source_config, config_changes), updated);
      config_changes = ApplyConfigChanges(config_changes, changes);
    }
    return overlay->Add(changes);
  };
  auto absorb_config = [&](Source& src) -> Status {
    if (auto updated = TakeConfigUpdate(src)) SLUICE_RETURN_IF_ERROR(record_config(*updated));
    std::lock_guard lock(config_mu);
    *source_config = ApplyConfigChanges(*source_config, config_changes);
    config_changes = Json::object();
    return Status::Ok();
  };
  Json destination_raw = pipeline.destination.config;
  if (Status st = ApplyNormalization(pipeline, destination->spec, destination->name, destination_raw); !st.ok()) {
    return Report(st, args.json);
  }
  auto destination_config = PrepareConnectorConfig(*destination, destination_raw);
  if (!destination_config.ok()) return Report(destination_config.status(), args.json);

  if (args.continuous) {
    Status can = CheckCanReadContinuously(*source, *source_config);
    if (!can.ok()) return Report(can.WithContext("--continuous"), args.json);
  }

  auto discovered = source->source->Discover(*source_config);
  if (Status kept = absorb_config(*source->source); !kept.ok()) return Report(kept, args.json);
  if (!discovered.ok()) return Report(discovered.status().WithContext("discover"), args.json);
  auto catalog = BuildConfiguredCatalog(pipeline, *discovered, destination->spec);
  if (!catalog.ok()) return Report(catalog.status(), args.json);
  ConfiguredCatalog destination_catalog = MapToDestination(*catalog, pipeline);

  StateStore state;
  if (!args.reset && !state_file.empty() && fs::exists(state_file)) {
    auto json = ReadJsonFile(state_file, "state file");
    if (!json.ok()) return Report(json.status(), args.json);
    auto parsed = StateStore::FromJson(*json);
    if (!parsed.ok()) return Report(parsed.status().WithContext("state file '" + state_file + "'"), args.json);
    state = std::move(parsed).value();
  }
  if (args.reset) {
    Log(LogLevel::kInfo, "--reset: ignoring saved state, every stream starts over");
    if (!state_file.empty()) {
      Status st = ReplaceFileDurably(state_file, "[]\n");
      if (!st.ok()) return Report(st, args.json);
    }
  }

  std::vector<std::string> names;
  for (const auto& s : catalog->streams) names.push_back(s.descriptor().ToString());
  Log(LogLevel::kInfo, "sync '{}': {} → {}, {} stream(s){}", pipeline.name, source->name, destination->name,
      catalog->streams.size(), args.continuous ? ", continuous until SIGTERM/SIGINT" : "");

  InstallStopSignalHandlers();
  const bool live = args.progress && isatty(2) && !args.json;
  // One run of the engine; `continuous` picks ContinuousSource::ReadContinuous.
  auto run = [&](Source& src, Destination& dst, const StateStore& from, bool continuous) {
    SyncProgress progress(catalog->streams.size());
    SyncOptions options;
    options.channel_bytes = args.channel_mb << 20;
    options.commit_interval_ms = args.commit_interval_ms >= 0 ? args.commit_interval_ms
                                 : continuous                ? kContinuousCommitIntervalMs
                                                             : 1000;
    options.continuous = continuous;
    options.stop = &StopRequested();
    options.progress = &progress;
    options.on_checkpoint = [&](const StateMessage&, const StateStore& all) -> Status {
      if (state_file.empty()) return Status::Ok();
      return ReplaceFileDurably(state_file, all.ToJson().dump(2) + "\n");
    };
    options.on_connector_config = record_config;
    ProgressDisplay display(progress, names, live);
    display.Start();
    SyncResult r = RunSync(src, *source_config, *catalog, dst, *destination_config, destination_catalog, from,
                           options);
    display.Stop();
    if (Status kept = absorb_config(src); !kept.ok() && r.status.ok()) r.status = kept;
    return r;
  };
  SyncResult result = run(*source->source, *destination->destination, state, /*continuous=*/false);
  // --continuous: after the batch run above caught up (snapshot included — destinations that
  // build a new table aside and swap it in at the stream's end, like destination-postgres's
  // first dedup load, have their tables), stream until SIGTERM/SIGINT. When the stream ends by
  // itself (the source's schema changed) or fails with a transient error (the database
  // restarted, the network dropped), discover again, catch up from the saved state and stream
  // on; transient errors wait 1, 2, 4 … 60 s first. Before streaming, the catalog is checked
  // against a fresh discover (catalog_changed). Fresh connector instances: one run each.
  uint64_t records_before = 0;  // records of the runs before `result`'s
  int backoff_s = 1;
  // Fresh instances of both connectors for the next run (an error names which side failed).
  auto fresh = [&]() -> Result<std::pair<ResolvedConnector, ResolvedConnector>> {
    auto src = ResolveConnector(ConnectorKind::kSource, pipeline.source.connector, pipeline.source.command);
    if (!src.ok()) return src.status().WithContext("source");
    auto dst = ResolveConnector(ConnectorKind::kDestination, pipeline.destination.connector,
                                pipeline.destination.command);
    if (!dst.ok()) return dst.status().WithContext("destination");
    return std::make_pair(std::move(src).value(), std::move(dst).value());
  };
  // Whether discovering now gives another configured catalog than the one the last run read
  // with: a batch run ends early, and says OK, when the source's schema changed while it read
  // (the change stops a read once), so streaming on with its catalog would go on without it.
  auto catalog_changed = [&]() -> Result<bool> {
    auto src = fresh();
    if (!src.ok()) return src.status();
    auto now = src->first.source->Discover(*source_config);
    SLUICE_RETURN_IF_ERROR(absorb_config(*src->first.source));
    if (!now.ok()) return now.status().WithContext("discover");
    auto rebuilt = BuildConfiguredCatalog(pipeline, *now, destination->spec);
    if (!rebuilt.ok()) return rebuilt.status();
    return rebuilt->ToJson() != catalog->ToJson();
  };
  while (args.continuous && !StopRequested().load()) {
    // A batch run that ended early because the source's schema changed while it read says OK
    // too: streaming on with its catalog would go on without the change (it stops a read only
    // once), so a changed catalog is caught up with first.
    bool stale = false;
    if (result.status.ok()) {
      auto changed = catalog_changed();
      if (!changed.ok()) {
        result.status = changed.status();  // a transient failure waits and tries again below
      } else if (*changed) {
        stale = true;
        Log(LogLevel::kInfo, "the source's schema changed during the last run: discovering again");
      }
    }
    if (result.status.ok() && !stale) {
      backoff_s = 1;
      Log(LogLevel::kInfo, "caught up ({} records); streaming changes until SIGTERM/SIGINT", result.records);
      auto streaming = fresh();
      if (!streaming.ok()) return Report(streaming.status(), args.json);
      records_before += result.records;
      const StateStore caught_up = result.state;
      result = run(*streaming->first.source, *streaming->second.destination, caught_up, /*continuous=*/true);
      if (StopRequested().load()) break;
      if (result.status.ok()) Log(LogLevel::kInfo, "the source ended the stream (its schema changed): discovering again");
    }
    if (!result.status.ok()) {
      if (result.status.failure_type() != FailureType::kTransient) break;
      Log(LogLevel::kWarn, "{}; retrying in {} s from the last saved state", result.status.ToString(), backoff_s);
      for (int ms = 0; ms < backoff_s * 1000 && !StopRequested().load(); ms += 100) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (StopRequested().load()) {
        result.status = Status::Ok();  // stopped while waiting: what was committed is saved
        break;
      }
      backoff_s = std::min(backoff_s * 2, 60);
    }
    records_before += result.records;
    auto catching_up = fresh();
    if (!catching_up.ok()) return Report(catching_up.status(), args.json);
    const StateStore saved = result.state;
    auto rediscovered = catching_up->first.source->Discover(*source_config);
    if (Status kept = absorb_config(*catching_up->first.source); !kept.ok()) return Report(kept, args.json);
    if (!rediscovered.ok()) {
      result = SyncResult{};
      result.status = rediscovered.status().WithContext("discover");
      result.state = saved;
      continue;  // a transient discover failure waits and tries again
    }
    auto recatalog = BuildConfiguredCatalog(pipeline, *rediscovered, destination->spec);
    if (!recatalog.ok()) return Report(recatalog.status(), args.json);
    catalog = std::move(recatalog);
    destination_catalog = MapToDestination(*catalog, pipeline);
    names.clear();
    for (const auto& s : catalog->streams) names.push_back(s.descriptor().ToString());
    result = run(*catching_up->first.source, *catching_up->second.destination, saved, /*continuous=*/false);
  }
  result.records += records_before;
  // --continuous ends with SIGTERM/SIGINT: a stop during the catch-up run is a normal end too
  // (its pending checkpoints were committed and saved).
  if (args.continuous && result.status.cancelled() && StopRequested().load()) {
    Log(LogLevel::kInfo, "stopped during the catch-up run; the state is saved");
    result.status = Status::Ok();
  }

  if (args.json) {
    std::cout << SummaryJson(pipeline.name, result, names, state_file).dump(2) << std::endl;
  } else {
    std::cout << FormatSummary(pipeline.name, result, names, state_file) << std::flush;
  }
  if (!result.status.ok()) {
    std::string where = result.failed_stream ? " (stream " + result.failed_stream->ToString() + ")" : "";
    std::cerr << "sluice: sync failed" << where << ": " << result.status.ToString() << std::endl;
    if (!result.status.detail().empty()) Log(LogLevel::kDebug, "detail: {}", result.status.detail());
    return ExitCodeFor(result.status.failure_type());
  }
  if (!pipeline.transform_dir.empty() && !args.continuous) {
    // After the committed sync: a failing transformation fails the command, the synced data stays.
    Log(LogLevel::kInfo, "transform: running {} against the destination", pipeline.transform_dir);
    Status st = RunTransformForDestination(pipeline.transform_dir, destination->name, *destination_config);
    if (!st.ok()) {
      std::cerr << "sluice: transform failed (the synced data is committed): " << st.ToString() << std::endl;
      return ExitCodeFor(st.failure_type());
    }
  }
  return 0;
}

}  // namespace sluice
