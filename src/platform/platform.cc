#include "platform/platform.h"

namespace sluice {

PlatformMetrics::PlatformMetrics()
    : syncs(registry.AddCounter("sluice_syncs_total", "Finished sync and reset jobs by final status.", {"status"})),
      attempts(registry.AddCounter("sluice_attempts_total", "Finished attempts by outcome.", {"status"})),
      records(registry.AddCounter("sluice_records_synced_total", "Records committed to destinations.")),
      bytes(registry.AddCounter("sluice_bytes_synced_total", "Bytes committed to destinations.")),
      sync_duration(registry.AddHistogram("sluice_sync_duration_seconds", "Wall time of finished jobs.",
                                          ExponentialBuckets(1, 2, 16))),
      queue_depth(registry.AddGauge("sluice_jobs_queued", "Jobs waiting for a worker (pending or incomplete).")),
      running_jobs(registry.AddGauge("sluice_jobs_running", "Jobs running now.")),
      live_workers(registry.AddGauge("sluice_workers_live", "Worker threads of this process.")),
      http_requests(registry.AddCounter("sluice_http_requests_total", "API requests by status code.", {"code"})),
      replication_lag(registry.AddGauge("sluice_replication_lag_bytes",
                                        "Change log (WAL, binlog) the source server holds for a CDC connection beyond "
                                        "what the destination committed, bytes, at the last checkpoint.",
                                        {"connection_id"})) {
  for (const char* status : {"succeeded", "failed", "cancelled"}) syncs.WithLabels({status});
}

}  // namespace sluice
