#pragma once
// What the server's parts share: the metadata store, the secret box, the clock, the metrics, and
// a way to wake the workers. The API (src/api) and the workers and scheduler (src/worker) receive
// one PlatformContext; `sluice server` / `sluice worker` (src/cli) build it.

#include <cstdint>
#include <functional>
#include <string>

#include "absl/time/time.h"
#include "metadata/metadata_store.h"
#include "monitoring/metrics.h"
#include "scheduler/clock.h"
#include "security/secret_box.h"

namespace sluice {

//! The Prometheus families of GET /metrics. Names are the API's contract (README "Monitoring").
struct PlatformMetrics {
  PlatformMetrics();
  PlatformMetrics(const PlatformMetrics&) = delete;
  PlatformMetrics& operator=(const PlatformMetrics&) = delete;

  MetricsRegistry registry;
  CounterFamily& syncs;               //!< sluice_syncs_total{status}: finished jobs by final status
  CounterFamily& attempts;            //!< sluice_attempts_total{status}: finished attempts
  CounterFamily& records;             //!< sluice_records_synced_total: records committed
  CounterFamily& bytes;               //!< sluice_bytes_synced_total: bytes committed
  HistogramFamily& sync_duration;     //!< sluice_sync_duration_seconds: job wall time
  GaugeFamily& queue_depth;           //!< sluice_jobs_queued: pending + claimable incomplete jobs
  GaugeFamily& running_jobs;          //!< sluice_jobs_running
  GaugeFamily& live_workers;          //!< sluice_workers_live: worker threads of this process
  CounterFamily& http_requests;       //!< sluice_http_requests_total{code}
  //! sluice_replication_lag_bytes{connection_id}: a CDC connection's log held by the server
  //! beyond what the destination committed, at its attempt's last checkpoint
  GaugeFamily& replication_lag;
};

struct PlatformContext {
  MetadataStore* store = nullptr;
  const SecretBox* secrets = nullptr;
  const Clock* clock = nullptr;
  PlatformMetrics* metrics = nullptr;
  //! The server's public URL for links in notifications ("" = none).
  std::string public_url;
  //! Called after a job is enqueued or a cancel requested, so idle workers look at once (may be
  //! empty: workers then notice at their next poll).
  std::function<void()> wake_workers;

  int64_t NowMs() const { return absl::ToUnixMillis(clock->Now()); }
};

}  // namespace sluice
