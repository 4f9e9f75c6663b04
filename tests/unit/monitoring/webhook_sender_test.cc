#include "monitoring/webhook_sender.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <mutex>

#include "base/log.h"
#include "base/subprocess.h"
#include "test_util.h"

namespace sluice {
namespace {

// The secret part of a Slack-style webhook URL; it must never show up in logs or errors.
constexpr std::string_view kSecretPath = "/services/T0001/B0002/XXXXsecretXXXX";

// A real HTTP server (tests/unit/monitoring/webhook_server.py) answering with scripted statuses.
class WebhookServer {
 public:
  explicit WebhookServer(const std::string& statuses) {
    auto child = Subprocess::Start(
        {"/usr/bin/python3", std::string(SLUICE_SOURCE_DIR) + "/tests/unit/monitoring/webhook_server.py", statuses},
        /*pipe_stdin=*/false);
    EXPECT_TRUE(child.ok()) << child.status().ToString();
    if (!child.ok()) return;
    child_ = std::move(*child);
    port_ = testing::ReadLine(*child_, buffer_);
  }
  std::string url() const { return "http://127.0.0.1:" + port_ + std::string(kSecretPath); }
  bool started() const { return child_ != nullptr && !port_.empty(); }
  //! The next request the server received: {"path", "content_type", "body"}.
  Json NextRequest() {
    const std::string line = testing::ReadLine(*child_, buffer_);
    return Json::parse(line, nullptr, /*allow_exceptions=*/false);
  }

 private:
  std::unique_ptr<Subprocess> child_;  // killed by its destructor
  std::string buffer_;
  std::string port_;
};

// Captures log lines for the duration of a test.
class LogCapture {
 public:
  LogCapture() {
    SetLogSink([this](LogLevel, std::string_view line) {
      std::lock_guard lock(mu_);
      text_ += std::string(line) + "\n";
    });
  }
  ~LogCapture() { SetLogSink(nullptr); }
  std::string text() {
    std::lock_guard lock(mu_);
    return text_;
  }

 private:
  std::mutex mu_;
  std::string text_;
};

WebhookOptions FastRetries() {
  WebhookOptions options;
  options.timeout_ms = 5'000;
  options.max_attempts = 3;
  options.initial_backoff_ms = 10;
  options.max_backoff_ms = 20;
  return options;
}

void ExpectNoSecret(const Status& status, LogCapture& logs) {
  for (std::string_view part : {kSecretPath, std::string_view("XXXXsecretXXXX"), std::string_view("T0001")}) {
    EXPECT_EQ(status.message().find(part), std::string::npos) << status.message();
    EXPECT_EQ(status.detail().find(part), std::string::npos) << status.detail();
    EXPECT_EQ(logs.text().find(part), std::string::npos) << logs.text();
  }
}

const Json kPayload = {{"text", "Sync failed for connection ünï \"q\""}, {"blocks", Json::array()}};

TEST(WebhookSenderTest, PostsTheJsonPayload) {
  WebhookServer server("200");
  ASSERT_TRUE(server.started());
  LogCapture logs;
  const Status status = WebhookSender(FastRetries()).Post(server.url(), kPayload);
  ASSERT_TRUE(status.ok()) << status.ToString();
  const Json request = server.NextRequest();
  EXPECT_EQ(request["path"], kSecretPath);
  EXPECT_EQ(request["content_type"], "application/json");
  EXPECT_EQ(Json::parse(request["body"].get<std::string>()), kPayload);
  ExpectNoSecret(status, logs);
}

TEST(WebhookSenderTest, RetriesAfterAServerErrorThenSucceeds) {
  WebhookServer server("500,200");
  ASSERT_TRUE(server.started());
  LogCapture logs;
  const Status status = WebhookSender(FastRetries()).Post(server.url(), kPayload);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Json::parse(server.NextRequest()["body"].get<std::string>()), kPayload);
  EXPECT_EQ(Json::parse(server.NextRequest()["body"].get<std::string>()), kPayload);
  const std::string log = logs.text();
  EXPECT_NE(log.find("webhook to 127.0.0.1: HTTP 500 (attempt 1 of 3)"), std::string::npos) << log;
  EXPECT_NE(log.find("delivered on attempt 2"), std::string::npos) << log;
  ExpectNoSecret(status, logs);
}

TEST(WebhookSenderTest, ClientErrorIsAConfigErrorWithoutRetry) {
  WebhookServer server("404,200");
  ASSERT_TRUE(server.started());
  LogCapture logs;
  const Status status = WebhookSender(FastRetries()).Post(server.url(), kPayload);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.failure_type(), FailureType::kConfig);
  EXPECT_NE(status.message().find("the webhook at 127.0.0.1 refused the notification with HTTP 404"), std::string::npos)
      << status.message();
  EXPECT_EQ(status.detail(), "no_service");
  ExpectNoSecret(status, logs);
  // Exactly one request: a second one would have been answered 200 and made the Post succeed.
  EXPECT_FALSE(server.NextRequest().is_discarded());
}

TEST(WebhookSenderTest, PersistentServerErrorsEndInATransientError) {
  WebhookServer server("503");
  ASSERT_TRUE(server.started());
  LogCapture logs;
  const Status status = WebhookSender(FastRetries()).Post(server.url(), kPayload);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.failure_type(), FailureType::kTransient);
  EXPECT_NE(status.message().find("after 3 attempt(s): HTTP 503"), std::string::npos) << status.message();
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(server.NextRequest().is_discarded()) << i;
  ExpectNoSecret(status, logs);
}

TEST(WebhookSenderTest, ConnectionRefusedIsRetriedAndTransient) {
  // A port that was free a moment ago: nothing listens there.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  LogCapture logs;
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + std::string(kSecretPath);
  const Status status = WebhookSender(FastRetries()).Post(url, kPayload);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.failure_type(), FailureType::kTransient);
  EXPECT_NE(status.message().find("after 3 attempt(s)"), std::string::npos) << status.message();
  EXPECT_NE(logs.text().find("attempt 2 of 3"), std::string::npos) << logs.text();
  ExpectNoSecret(status, logs);
}

TEST(WebhookSenderTest, AnUnansweredRequestTimesOut) {
  WebhookServer server("hang");
  ASSERT_TRUE(server.started());
  LogCapture logs;
  WebhookOptions options = FastRetries();
  options.timeout_ms = 300;
  options.max_attempts = 1;
  const Status status = WebhookSender(options).Post(server.url(), kPayload);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.failure_type(), FailureType::kTransient);
  ExpectNoSecret(status, logs);
}

TEST(WebhookSenderTest, NonHttpUrlsAreRefusedWithoutQuotingThem) {
  LogCapture logs;
  for (const std::string url : {"ftp://127.0.0.1/services/T0001/B0002/XXXXsecretXXXX",
                                "not a url /services/T0001/B0002/XXXXsecretXXXX", ""}) {
    const Status status = WebhookSender(FastRetries()).Post(url, kPayload);
    ASSERT_FALSE(status.ok()) << url;
    EXPECT_EQ(status.failure_type(), FailureType::kConfig);
    ExpectNoSecret(status, logs);
  }
  EXPECT_EQ(WebhookHost("https://hooks.slack.com/services/T/B/X"), "hooks.slack.com");
  EXPECT_EQ(WebhookHost("https://user:pw@hooks.slack.com:8443/x?y=1"), "hooks.slack.com");
  EXPECT_EQ(WebhookHost("file:///etc/passwd"), "");
}

}  // namespace
}  // namespace sluice
