#pragma once
// ApiServer: serves an Api over HTTP/1.1 with cpp-httplib on one or more ports of one host
// (`sluice server` listens on --port and --api-port with one route table). Bodies of GET
// requests are read too (the seed's `curl -X GET … -d '{…}'`), which httplib alone ignores.
//
// With options.web_dir it also serves the web UI's files at / (see ApiServerOptions::web_dir).
//
// Lifecycle: Bind() → Start() → Stop(). Stop() waits for requests in flight. Not copyable.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/api.h"
#include "base/status.h"

namespace sluice {

struct ApiServerOptions {
  int threads = 64;            //!< request threads per port (a keep-alive connection holds one)
  int read_timeout_secs = 10;  //!< a request's headers and body must arrive within this
  int write_timeout_secs = 10;
  int keep_alive_secs = 5;  //!< an idle keep-alive connection is closed after this
  int keep_alive_max_requests = 1000;
  //! The built web UI (index.html + assets/), served for GET/HEAD outside /api/ and /metrics;
  //! unknown paths answer index.html (client routing). "" or a folder without index.html = a
  //! short "web UI not built" page instead.
  std::string web_dir;
};

class ApiServer {
 public:
  //! `api` must outlive the server.
  ApiServer(Api& api, ApiServerOptions options = {});
  ~ApiServer();  //!< Stop()
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  //! Binds `host`:`port` for every port (0 = any free port; see ports()). A port in use is a
  //! config error naming it.
  Status Bind(const std::string& host, const std::vector<int>& ports);
  //! The bound ports, in Bind order.
  const std::vector<int>& ports() const { return ports_; }
  //! Serves on background threads.
  void Start();
  //! Stops accepting, finishes requests in flight, joins the threads. Idempotent.
  void Stop();

 private:
  class HttpServer;
  class WebFiles;
  Api& api_;
  ApiServerOptions options_;
  std::vector<std::unique_ptr<HttpServer>> servers_;
  std::vector<std::thread> threads_;
  std::vector<int> ports_;
  std::unique_ptr<WebFiles> web_;
};

//! True for loopback addresses: 127.0.0.0/8, ::1, "localhost".
bool IsLoopbackHost(const std::string& host);

}  // namespace sluice
