#include "cli/worker_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "base/log.h"
#include "base/status.h"
#include "cli/signals.h"
#include "metadata/metadata_store.h"
#include "platform/platform.h"
#include "scheduler/clock.h"
#include "security/secret_key.h"
#include "worker/worker_pool.h"

namespace sluice {

namespace {

int Fail(const Status& status) {
  std::cerr << "sluice worker: " << status.ToString() << std::endl;
  return ExitCodeFor(status.failure_type());
}

}  // namespace

int RunWorkerCommand(const WorkerCommandArgs& args) {
  InstallStopSignalHandlers();
  SystemClock clock;
  const int64_t now = absl::ToUnixMillis(clock.Now());
  auto store = MetadataStore::Open(args.metadata_url, now);
  if (!store.ok()) return Fail(store.status().WithContext("metadata store"));
  auto key = LoadSecretKey(args.data_dir);
  if (!key.ok()) return Fail(key.status());
  PlatformMetrics metrics;
  PlatformContext context{.store = store->get(), .secrets = &key->box, .clock = &clock, .metrics = &metrics};

  WorkerPoolOptions options;
  options.workers = args.workers;
  options.SetTimings(args.lease_seconds, args.retry_backoff_seconds);
  options.run_scheduler = false;  // the server decides when; this process only runs jobs
  options.run_reclaimer = true;
  std::error_code ec;
  const std::string scratch = (std::filesystem::path(args.data_dir) / "scratch").string();
  if (std::filesystem::create_directories(scratch, ec); !ec) options.scratch_dir = scratch;
  WorkerPool pool(context, options);
  if (Status st = pool.Start(); !st.ok()) return Fail(st);
  Log(LogLevel::kInfo, "sluice worker (pid {}): {} worker(s) on the metadata store, secret key from {}", getpid(),
      args.workers, key->origin);

  while (!StopRequested().load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Log(LogLevel::kInfo, "sluice worker: stopping (running attempts end and resume elsewhere)");
  pool.Stop();
  return 0;
}

}  // namespace sluice
