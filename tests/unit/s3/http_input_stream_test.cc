// OpenHttpInputStream against a one-shot HTTP server on a loopback socket (whole bodies, errors,
// a connection cut mid-body), and RedactedUrl.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "s3/http_input_stream.h"

namespace sluice {
namespace {

//! Answers one request with `response` (raw bytes: status line, headers, body) and closes.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 1);
    thread_ = std::thread([this] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      size_t sent = 0;
      while (sent < response_.size()) {
        const ssize_t n = ::send(c, response_.data() + sent, response_.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      ::close(c);
    });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  std::string response_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

std::string ReadAll(InputStream& in, size_t step) {
  std::string out;
  std::string buf(step, '\0');
  for (;;) {
    auto n = in.Read(buf.data(), buf.size());
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    if (!n.ok() || *n == 0) return out;
    out.append(buf.data(), *n);
  }
}

TEST(HttpInputStreamTest, StreamsALargeBodyInSmallReads) {
  std::string body;
  for (int i = 0; body.size() < (size_t{6} << 20); ++i) body += std::to_string(i) + ",abcdefghij\n";
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  HttpGetOptions options;
  options.max_buffer_bytes = 64 << 10;  // the transfer pauses and resumes many times
  auto in = OpenHttpInputStream(server.Url("/big.csv"), options);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ((*in)->name(), server.Url("/big.csv"));
  EXPECT_EQ(ReadAll(**in, 1000), body);
}

TEST(HttpInputStreamTest, NotFoundIsAConfigErrorNamingTheUrlWithoutItsQuery) {
  OneShotServer server("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
  auto in = OpenHttpInputStream(server.Url("/x.csv?X-Amz-Signature=secret"));
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().failure_type(), FailureType::kConfig);
  EXPECT_EQ(in.status().message(), "GET " + server.Url("/x.csv") + "?...: HTTP 404 (not found)");
}

TEST(HttpInputStreamTest, ServerErrorIsTransient) {
  OneShotServer server("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
  auto in = OpenHttpInputStream(server.Url("/x.csv"));
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().failure_type(), FailureType::kTransient);
}

TEST(HttpInputStreamTest, ConnectionLostMidBodyIsTransient) {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + std::string(5000, 'x'));
  // The cut may show when opening (the whole short body arrived at once) or at a later Read.
  Status error;
  auto in = OpenHttpInputStream(server.Url("/x.csv"));
  if (!in.ok()) {
    error = in.status();
  } else {
    std::string buf(1 << 16, '\0');
    for (;;) {
      auto n = (*in)->Read(buf.data(), buf.size());
      if (!n.ok()) {
        error = n.status();
        break;
      }
      if (*n == 0) break;
    }
  }
  ASSERT_FALSE(error.ok()) << "a short body must not look complete";
  EXPECT_EQ(error.failure_type(), FailureType::kTransient);
  EXPECT_NE(error.message().find("connection lost after 5000 bytes"), std::string::npos) << error.message();
}

TEST(HttpInputStreamTest, UnreachableHostIsTransient) {
  // A port bound but never listened on refuses connections.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/x.csv";
  auto in = OpenHttpInputStream(url);
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().failure_type(), FailureType::kTransient);
  EXPECT_EQ(in.status().message().rfind("cannot reach " + url + ": ", 0), 0u) << in.status().message();
  ::close(fd);
}

TEST(HttpInputStreamTest, RedactedUrl) {
  EXPECT_EQ(RedactedUrl("https://host/a/b.csv"), "https://host/a/b.csv");
  EXPECT_EQ(RedactedUrl("https://user:pw@host:8443/a.csv?sig=1&x=2#frag"), "https://host:8443/a.csv?...");
  EXPECT_EQ(RedactedUrl("http://host?x=1"), "http://host?...");
  EXPECT_EQ(RedactedUrl("http://u@host"), "http://host");
}

}  // namespace
}  // namespace sluice
