#pragma once
// `sluice worker --metadata postgres://…`: extra workers sharing the PostgreSQL metadata store.

#include <string>

namespace sluice {

struct WorkerCommandArgs {
  std::string metadata_url;                //!< --metadata (required)
  std::string data_dir = "./sluice-data";  //!< secret key file (unless SLUICE_SECRET_KEY), scratch
  int workers = 1;                         //!< --workers: concurrent attempts
  int lease_seconds = 30;                  //!< --lease-seconds (as the server's)
  int retry_backoff_seconds = 30;          //!< --retry-backoff-seconds (as the server's)
};

//! Returns the process exit code (runs until SIGINT/SIGTERM).
int RunWorkerCommand(const WorkerCommandArgs& args);

}  // namespace sluice
