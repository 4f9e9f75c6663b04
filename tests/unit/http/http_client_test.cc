#include "http/http_client.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(UrlEncodeTest, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(UrlEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(UrlEncode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(UrlEncode("created[gte]"), "created%5Bgte%5D");
}

TEST(FormEncodeTest, KeepsOrderAndRepeats) {
  EXPECT_EQ(FormEncode({{"a", "1"}, {"b", "x y"}, {"a", "2"}}), "a=1&b=x%20y&a=2");
  EXPECT_EQ(FormEncode({}), "");
}

TEST(AppendQueryTest, ChoosesTheSeparator) {
  EXPECT_EQ(AppendQuery("http://h/p", {{"limit", "10"}}), "http://h/p?limit=10");
  EXPECT_EQ(AppendQuery("http://h/p?x=1", {{"limit", "10"}}), "http://h/p?x=1&limit=10");
  EXPECT_EQ(AppendQuery("http://h/p?", {{"limit", "10"}}), "http://h/p?limit=10");
  EXPECT_EQ(AppendQuery("http://h/p#f", {{"a", "b"}}), "http://h/p?a=b#f");
  EXPECT_EQ(AppendQuery("http://h/p", {}), "http://h/p");
}

TEST(CurlTransportTest, RefusedConnectionIsTransient) {
  auto transport = MakeCurlTransport({.connect_timeout_ms = 2000, .stall_timeout_ms = 2000, .verify_tls = true});
  HttpRequest request;
  request.method = "GET";
  request.url = "http://127.0.0.1:1/";  // nothing listens on port 1
  HttpResponse response;
  const Status s = transport->Send(request, response);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.failure_type(), FailureType::kTransient) << s.ToString();
}

TEST(CurlTransportTest, UnsupportedSchemeIsAConfigError) {
  auto transport = MakeCurlTransport();
  HttpRequest request;
  request.method = "GET";
  request.url = "gopherz://example/";
  HttpResponse response;
  const Status s = transport->Send(request, response);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.failure_type(), FailureType::kConfig) << s.ToString();
}

}  // namespace
}  // namespace sluice
