#pragma once
// `sluice server`: the API (and web UI), scheduler and workers in one process.

#include <string>

namespace sluice {

struct ServerCommandArgs {
  std::string data_dir = "./sluice-data";  //!< SQLite store, secret key file, attempt scratch
  std::string metadata_url;                //!< --metadata postgres://… (default: SQLite in data_dir)
  std::string host = "127.0.0.1";          //!< --host: bind address (loopback by default)
  int port = 8000;                         //!< --port: API + UI
  int api_port = 8001;                     //!< --api-port: the API again (Airbyte's port); 0 = off
  bool no_auth = false;                    //!< --no-auth: only with a loopback host
  int workers = 2;                         //!< --workers: concurrent attempts in this process (0 = none)
  std::string public_url;                  //!< --public-url: links in notifications
  int lease_seconds = 30;                  //!< --lease-seconds: a worker silent this long has lost its job
  int retry_backoff_seconds = 30;          //!< --retry-backoff-seconds: wait before the 2nd attempt (doubles)
  std::string web_dir;                     //!< --web-dir: the built web UI ("" = <folder of the sluice binary>/web)
};

//! The metadata store URL a server with these flags uses: `metadata_url` when given, else the
//! SQLite file <data_dir>/sluice.db (`sluice backup` / `restore` take the same flags).
std::string ServerMetadataUrl(const std::string& data_dir, const std::string& metadata_url);

//! Returns the process exit code (runs until SIGINT/SIGTERM).
int RunServerCommand(const ServerCommandArgs& args);

}  // namespace sluice
