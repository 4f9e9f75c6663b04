#include "api/api_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "base/log.h"

namespace sluice {

namespace {

// httplib::Server::process_request is private; the explicit instantiation below is the standard
// way to name it (access checks do not apply to explicit instantiations). We need it to run
// httplib's request handling over our own connection loop, which reads GET bodies.
using ProcessRequestFn = bool (httplib::Server::*)(httplib::Stream&, bool, bool&,
                                                   const std::function<void(httplib::Request&)>&);
struct ProcessRequestTag {
  using type = ProcessRequestFn;
};
ProcessRequestFn RobbedProcessRequest(ProcessRequestTag);
template <typename Tag, typename Tag::type M>
struct Rob {
  friend typename Tag::type RobbedProcessRequest(Tag) { return M; }
};
template struct Rob<ProcessRequestTag, &httplib::Server::process_request>;

//! A buffered blocking socket stream with poll() timeouts (httplib's own SocketStream is internal).
class FdStream final : public httplib::Stream {
 public:
  FdStream(int fd, int read_timeout_ms, int write_timeout_ms)
      : fd_(fd), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms) {}

  bool has_buffered() const { return off_ < size_; }

  bool is_readable() const override { return has_buffered() || Poll(POLLIN, read_timeout_ms_); }
  bool is_writable() const override { return Poll(POLLOUT, write_timeout_ms_); }

  ssize_t read(char* ptr, size_t size) override {
    if (has_buffered()) {
      size_t n = std::min(size, size_ - off_);
      std::memcpy(ptr, buf_ + off_, n);
      off_ += n;
      return static_cast<ssize_t>(n);
    }
    if (!Poll(POLLIN, read_timeout_ms_)) return -1;
    if (size >= sizeof(buf_)) return Recv(ptr, size);
    ssize_t n = Recv(buf_, sizeof(buf_));
    if (n <= 0) return n;
    size_ = static_cast<size_t>(n);
    off_ = 0;
    return read(ptr, size);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    for (;;) {
      ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) Describe(addr, len, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) Describe(addr, len, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  static void Describe(const sockaddr_storage& addr, socklen_t len, std::string& ip, int& port) {
    char host[NI_MAXHOST];
    char serv[NI_MAXSERV];
    if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
      ip = host;
      port = std::atoi(serv);
    }
  }
  bool Poll(short events, int timeout_ms) const {
    pollfd p{fd_, events, 0};
    for (;;) {
      int r = ::poll(&p, 1, timeout_ms);
      if (r < 0 && errno == EINTR) continue;
      return r > 0;
    }
  }
  ssize_t Recv(char* ptr, size_t size) {
    for (;;) {
      ssize_t n = ::recv(fd_, ptr, size, 0);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  }

  int fd_;
  int read_timeout_ms_;
  int write_timeout_ms_;
  char buf_[8192];
  size_t off_ = 0;
  size_t size_ = 0;
};

constexpr const char* kTooLargeHeader = "X-Sluice-Body-Too-Large";
constexpr size_t kCompressAtBytes = 16 * 1024;  // smaller JSON answers go as they are

//! True when an Accept-Encoding header value lists gzip (without q=0).
bool AcceptsGzip(std::string_view accept) {
  for (size_t start = 0; start < accept.size();) {
    size_t end = accept.find(',', start);
    if (end == std::string_view::npos) end = accept.size();
    std::string_view item = accept.substr(start, end - start);
    start = end + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const size_t semi = item.find(';');
    std::string_view name = item.substr(0, semi);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name != "gzip" && name != "x-gzip") continue;
    if (semi == std::string_view::npos) return true;
    std::string_view params = item.substr(semi + 1);
    const size_t q = params.find("q=");
    return q == std::string_view::npos || std::strtod(std::string(params.substr(q + 2)).c_str(), nullptr) > 0;
  }
  return false;
}

}  // namespace

class ApiServer::HttpServer final : public httplib::Server {
 public:
  HttpServer(Api& api, const ApiServerOptions& options) : api_(api), options_(options) {}

  //! Set by ApiServer::Stop before httplib's stop(): keep-alive connections close after the
  //! request in flight instead of waiting for the next one. (httplib's is_running() stays true
  //! until its thread pool was joined, so it cannot end the wait.)
  void BeginStop() { stopping_ = true; }

 private:
  bool process_and_close_socket(socket_t sock) override {
    int one = 1;
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    FdStream strm(sock, options_.read_timeout_secs * 1000, options_.write_timeout_secs * 1000);
    const size_t max_body = api_.options().max_body_bytes;
    bool ret = false;
    for (int left = options_.keep_alive_max_requests; left > 0; --left) {
      if (!WaitForRequest(strm)) break;
      bool drop = false;
      bool connection_closed = false;
      auto read_get_body = [&](httplib::Request& req) {
        if (req.method != "GET" || !req.has_header("Content-Length")) return;
        unsigned long long length = 0;
        try {
          length = std::stoull(req.get_header_value("Content-Length"));
        } catch (const std::exception&) {
          drop = true;
          req.set_header("Connection", "close");
          return;
        }
        if (length > max_body) {
          req.set_header(kTooLargeHeader, "1");
          req.set_header("Connection", "close");
          drop = true;
          return;
        }
        std::string body(length, '\0');
        size_t got = 0;
        while (got < length) {
          ssize_t n = strm.read(body.data() + got, length - got);
          if (n <= 0) break;
          got += static_cast<size_t>(n);
        }
        if (got < length) {
          drop = true;
          req.set_header("Connection", "close");
          return;
        }
        req.body = std::move(body);
      };
      ret = (this->*RobbedProcessRequest(ProcessRequestTag{}))(strm, left == 1 || stopping_.load(),
                                                               connection_closed, read_get_body);
      if (!ret || connection_closed || drop || stopping_.load()) break;
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ret;
  }

  // Waits up to the keep-alive time for the next request, leaving early when the server stops.
  bool WaitForRequest(FdStream& strm) {
    if (strm.has_buffered()) return true;
    for (int waited = 0; waited < options_.keep_alive_secs * 1000; waited += 100) {
      if (!is_running() || stopping_.load()) return false;
      pollfd p{strm.socket(), POLLIN, 0};
      int r = ::poll(&p, 1, 100);
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
    }
    return false;
  }

  Api& api_;
  const ApiServerOptions& options_;
  std::atomic<bool> stopping_{false};
};

// The built web UI: files of web_dir read on demand and kept in memory until their size or modification time changes, so a rebuild shows without a restart.
class ApiServer::WebFiles {
 public:
  explicit WebFiles(std::string dir) : dir_(std::move(dir)) {}

  //! True for paths the web UI answers: GET/HEAD outside the API and the metrics.
  static bool Handles(const httplib::Request& req) {
    if (req.method != "GET" && req.method != "HEAD") return false;
    return !req.path.starts_with("/api/") && req.path != "/api" && req.path != "/metrics";
  }

  void Serve(const httplib::Request& req, httplib::Response& res) {
    namespace fs = std::filesystem;
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "same-origin");
    if (dir_.empty() || !fs::is_regular_file(fs::path(dir_) / "index.html")) {
      res.status = 200;
      res.set_header("Cache-Control", "no-cache");
      res.set_content(
          "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>sluice</title></head><body>"
          "<h1>sluice server</h1><p>The web UI is not built: build sluice with CMake (it bundles web/ into "
          "&lt;build&gt;/web) or pass <code>--web-dir</code>. The API is at <a href=\"/api/v1/health\">/api/v1</a>.</p>"
          "</body></html>",
          "text/html; charset=utf-8");
      return;
    }
    std::string rel = req.path.substr(1);  // httplib has decoded %xx already
    bool bad = rel.find('\0') != std::string::npos || rel.find('\\') != std::string::npos;
    for (const auto& part : fs::path(rel)) bad = bad || part == "..";
    if (rel.empty() || bad) rel = "index.html";
    fs::path file = fs::path(dir_) / rel;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
      if (rel.starts_with("assets/")) {  // a missing bundle file is a 404, not the app's HTML
        res.status = 404;
        res.set_content("not found", "text/plain; charset=utf-8");
        return;
      }
      rel = "index.html";  // client-side routes
      file = fs::path(dir_) / rel;
    }
    std::shared_ptr<const Entry> entry = Load(file);
    if (!entry) {
      res.status = 500;
      res.set_content("cannot read the web UI's files", "text/plain; charset=utf-8");
      return;
    }
    res.status = 200;
    // Bundle files carry a content hash in their names; index.html must be revalidated.
    res.set_header("Cache-Control", rel.starts_with("assets/") ? "public, max-age=31536000, immutable" : "no-cache");
    if (rel == "index.html") {
      res.set_header("Content-Security-Policy",
                     "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                     "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'");
    }
    // httplib compresses text/* and SVG answers itself (gzip or brotli, as the client accepts).
    if (entry->type.starts_with("text/") || entry->type == "image/svg+xml") res.set_header("Vary", "Accept-Encoding");
    res.set_content(entry->body, entry->type);
  }

 private:
  struct Entry {
    std::string body;
    std::string type;
    uintmax_t size = 0;
    std::filesystem::file_time_type mtime;
  };

  static std::string ContentType(const std::string& ext) {
    static const std::map<std::string, std::string> kTypes = {
        {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},           {".map", "application/json"},
        {".svg", "image/svg+xml"},               {".png", "image/png"},
        {".ico", "image/x-icon"},                {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},   {".webmanifest", "application/manifest+json"},
    };
    auto it = kTypes.find(ext);
    return it == kTypes.end() ? "application/octet-stream" : it->second;
  }

  std::shared_ptr<const Entry> Load(const std::filesystem::path& file) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const uintmax_t size = fs::file_size(file, ec);
    if (ec) return nullptr;
    const auto mtime = fs::last_write_time(file, ec);
    if (ec) return nullptr;
    const std::string key = file.string();
    {
      std::lock_guard lock(mu_);
      auto it = cache_.find(key);
      if (it != cache_.end() && it->second->size == size && it->second->mtime == mtime) return it->second;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) return nullptr;
    std::ostringstream content;
    content << in.rdbuf();
    auto entry = std::make_shared<Entry>();
    entry->body = content.str();
    entry->type = ContentType(file.extension().string());
    entry->size = size;
    entry->mtime = mtime;
    std::lock_guard lock(mu_);
    cache_[key] = entry;
    return entry;
  }

  std::string dir_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Entry>> cache_;
};

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr addr{};
  if (inet_pton(AF_INET, host.c_str(), &addr) == 1) return (ntohl(addr.s_addr) >> 24) == 127;
  return false;
}

ApiServer::ApiServer(Api& api, ApiServerOptions options)
    : api_(api), options_(options), web_(std::make_unique<WebFiles>(options_.web_dir)) {}

ApiServer::~ApiServer() { Stop(); }

Status ApiServer::Bind(const std::string& host, const std::vector<int>& ports) {
  for (int port : ports) {
    auto server = std::make_unique<HttpServer>(api_, options_);
    const int threads = options_.threads;
    server->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
    server->set_payload_max_length(api_.options().max_body_bytes);
    server->set_read_timeout(options_.read_timeout_secs, 0);
    server->set_keep_alive_max_count(static_cast<size_t>(options_.keep_alive_max_requests));
    server->set_write_timeout(options_.write_timeout_secs, 0);
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      if (WebFiles::Handles(req)) return web_->Serve(req, res);
      ApiRequest request;
      request.method = req.method;
      request.path = req.path;
      for (const auto& [k, v] : req.params) {
        // A repeated parameter (?workspaceIds=a&workspaceIds=b) reads as "a,b".
        auto [it, inserted] = request.query.emplace(k, v);
        if (!inserted) it->second += "," + v;
      }
      request.body = req.body;
      request.authorization = req.get_header_value("Authorization");
      request.cookie = req.get_header_value("Cookie");
      request.csrf_token = req.get_header_value(kCsrfHeaderName);
      request.remote_addr = req.remote_addr;
      request.body_too_large = req.has_header(kTooLargeHeader);
      ApiResponse response = api_.Handle(request);
      res.status = response.status;
      for (const auto& [k, v] : response.headers) res.set_header(k, v);
      if (response.stream) {
        StreamProducer producer = std::move(response.stream);
        res.set_chunked_content_provider(response.content_type, [producer](size_t, httplib::DataSink& sink) {
          producer([&sink](std::string_view chunk) { return sink.write(chunk.data(), chunk.size()); });
          sink.done();
          return true;
        });
      } else if (response.status != 204) {
        // Compression is decided here, not by httplib (which would compress every JSON answer
        // again, with brotli when offered): cached answers are compressed once, large ones at
        // zlib level 1, small ones not at all. The charset parameter keeps httplib out of it.
        std::string type = response.content_type;
        if (type == "application/json") type += "; charset=utf-8";
        const bool gzip_ok = AcceptsGzip(req.get_header_value("Accept-Encoding"));
        if (gzip_ok && response.gzip_body) {
          res.set_header("Content-Encoding", "gzip");
          res.set_content(*response.gzip_body, type);
        } else if (gzip_ok && response.body.size() >= kCompressAtBytes && type.starts_with("application/json")) {
          res.set_header("Content-Encoding", "gzip");
          res.set_content(GzipCompress(response.body), type);
        } else {
          res.set_content(response.shared_body ? *response.shared_body : response.body, type);
        }
        if (type.starts_with("application/json")) res.set_header("Vary", "Accept-Encoding");
      }
    };
    server->Get(".*", handler);
    server->Post(".*", handler);
    server->Put(".*", handler);
    server->Patch(".*", handler);
    server->Delete(".*", handler);
    server->set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;
      std::string message = res.status == 413 ? "request body too large" : fmt::format("HTTP error {}", res.status);
      res.set_content(DumpJson(ApiError{res.status, message}.ToJson()), "application/json");
    });
    int bound = port;
    if (port == 0) {
      bound = server->bind_to_any_port(host);
      if (bound <= 0) return Status::ConfigError(fmt::format("cannot listen on {}: no free port", host));
    } else if (!server->bind_to_port(host, port)) {
      return Status::ConfigError(fmt::format("cannot listen on {}:{}: {} (port in use or address not available)", host,
                                             port, std::strerror(errno)));
    }
    ports_.push_back(bound);
    servers_.push_back(std::move(server));
  }
  return Status::Ok();
}

void ApiServer::Start() {
  for (auto& server : servers_) {
    HttpServer* s = server.get();
    threads_.emplace_back([s] { s->listen_after_bind(); });
  }
}

void ApiServer::Stop() {
  api_.Stop();
  for (auto& server : servers_) server->BeginStop();
  for (auto& server : servers_) server->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace sluice
