// `sluice server`: the metadata store, the secret key, the workers and scheduler (WorkerPool) and
// the API on --port and --api-port, until SIGINT/SIGTERM.

#include "cli/server_command.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "api/api.h"
#include "api/api_server.h"
#include "base/log.h"
#include "cli/signals.h"
#include "metadata/metadata_store.h"
#include "platform/platform.h"
#include "scheduler/clock.h"
#include "security/secret_key.h"
#include "worker/worker_pool.h"

namespace sluice {

namespace {

int Fail(const Status& status, std::string_view what) {
  std::cerr << "sluice server: " << what << ": " << status.message() << std::endl;
  return ExitCodeFor(status.failure_type());
}

std::string UrlHost(const std::string& host) {
  if (host.find(':') != std::string::npos && host.front() != '[') return "[" + host + "]";
  if (host == "0.0.0.0") return "127.0.0.1";  // what a local browser can open
  return host;
}

//! --web-dir, or the web/ folder beside the running binary (where the CMake build puts the UI),
//! or <prefix>/share/sluice/web for an installed binary in <prefix>/bin (the .deb, the image).
std::string WebDir(const std::string& given) {
  if (!given.empty()) return given;
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::string();
  const std::filesystem::path beside = self.parent_path() / "web";
  const std::filesystem::path installed = self.parent_path().parent_path() / "share" / "sluice" / "web";
  if (!std::filesystem::exists(beside / "index.html", ec) && std::filesystem::exists(installed / "index.html", ec)) {
    return installed.string();
  }
  return beside.string();
}

}  // namespace

std::string ServerMetadataUrl(const std::string& data_dir, const std::string& metadata_url) {
  return metadata_url.empty() ? "sqlite://" + data_dir + "/sluice.db" : metadata_url;
}

int RunServerCommand(const ServerCommandArgs& args) {
  if (args.no_auth && !IsLoopbackHost(args.host)) {
    std::cerr << "sluice server: --no-auth is only allowed on a loopback address (127.0.0.1, ::1, localhost), "
                 "not on --host "
              << args.host << ": anyone who can reach the port would have admin rights" << std::endl;
    return kExitConfigError;
  }
  if (args.api_port != 0 && args.api_port == args.port) {
    std::cerr << "sluice server: --api-port must differ from --port (or be 0 to turn it off)" << std::endl;
    return kExitConfigError;
  }
  InstallStopSignalHandlers();

  std::error_code ec;
  std::filesystem::create_directories(args.data_dir, ec);
  if (ec) {
    std::cerr << "sluice server: cannot create --data-dir " << args.data_dir << ": " << ec.message() << std::endl;
    return kExitConfigError;
  }
  const std::string data_dir = std::filesystem::absolute(args.data_dir).lexically_normal().string();

  SystemClock clock;
  const std::string url = ServerMetadataUrl(data_dir, args.metadata_url);
  auto store = MetadataStore::Open(url, absl::ToUnixMillis(clock.Now()));
  if (!store.ok()) return Fail(store.status(), "cannot open the metadata store " + RedactDatabaseUrl(url));
  Log(LogLevel::kInfo, "metadata store: {}", (*store)->database().description());

  auto key = LoadSecretKey(data_dir);
  if (!key.ok()) return Fail(key.status(), "cannot load the secret key");
  Log(LogLevel::kInfo, "secret key: {}{}", key->origin, key->created ? " (created)" : "");

  PlatformMetrics metrics;
  PlatformContext context{.store = store->get(),
                          .secrets = &key->box,
                          .clock = &clock,
                          .metrics = &metrics,
                          .public_url = args.public_url};

  WorkerPoolOptions pool_options;
  pool_options.workers = args.workers;
  pool_options.scratch_dir = data_dir + "/attempts";
  pool_options.SetTimings(args.lease_seconds, args.retry_backoff_seconds);
  WorkerPool pool(context, pool_options);
  context.wake_workers = [&pool] { pool.Wake(); };

  ApiOptions api_options;
  api_options.no_auth = args.no_auth;
  Api api(context, api_options);
  auto created_admin = api.Bootstrap();
  if (!created_admin.ok()) return Fail(created_admin.status(), "cannot create the first admin user");
  if (*created_admin) {
    Log(LogLevel::kInfo, "created the admin user {} (password as documented; it must be changed at first login)",
        kInitialAdminEmail);
  }

  ApiServerOptions server_options;
  server_options.web_dir = WebDir(args.web_dir);
  if (!std::filesystem::exists(std::filesystem::path(server_options.web_dir) / "index.html")) {
    Log(LogLevel::kWarn, "web UI: no index.html in {} (the UI is not built; / answers a note)", server_options.web_dir);
  }
  ApiServer server(api, server_options);
  std::vector<int> ports = {args.port};
  if (args.api_port != 0) ports.push_back(args.api_port);
  Status bound = server.Bind(args.host, ports);
  if (!bound.ok()) return Fail(bound, "cannot listen");

  Status started = pool.Start();
  if (!started.ok()) return Fail(started, "cannot start the workers");
  server.Start();
  for (int port : server.ports()) {
    Log(LogLevel::kInfo, "listening on http://{}:{}/ (API: /api/v1, health: /api/v1/health)", UrlHost(args.host), port);
  }
  Log(LogLevel::kInfo, "workers: {}; authentication: {}", args.workers,
      args.no_auth ? "off (--no-auth, loopback only)" : "on");

  while (!StopRequested().load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Log(LogLevel::kInfo, "stopping (signal {})", StopSignal());
  // The workers first (their attempts get SIGTERM and save their last checkpoint, up to the kill
  // grace), while the API still answers; then the API, which closes its keep-alive connections
  // after the request in flight: the API is down only for the exit itself.
  pool.Stop();
  server.Stop();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace sluice
