// S3Client and the streams against a real S3 server. Skipped unless SLUICE_TEST_S3_ENDPOINT is
// set; tests/e2e/test_s3_client.py runs these against moto_server (signature checking on) and
// s3rver, with SLUICE_TEST_S3_ACCESS_KEY, SLUICE_TEST_S3_SECRET_KEY, SLUICE_TEST_S3_BUCKET and
// SLUICE_TEST_S3_CHECKS_SIGNATURES (1 when the server verifies SigV4).
#include <gtest/gtest.h>

#include <cstdlib>

#include "base/time.h"
#include "s3/s3_input_stream.h"
#include "s3/s3_output_stream.h"

namespace sluice {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

class S3LiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = Env("SLUICE_TEST_S3_ENDPOINT");
    if (endpoint_.empty()) GTEST_SKIP() << "SLUICE_TEST_S3_ENDPOINT is not set";
    bucket_ = Env("SLUICE_TEST_S3_BUCKET");
    prefix_ = "live-" + std::to_string(NowMicros()) + "/";
    client_ = MakeClient(Env("SLUICE_TEST_S3_SECRET_KEY"));
  }

  std::shared_ptr<S3Client> MakeClient(const std::string& secret, std::string endpoint = {}) {
    S3ClientOptions o;
    o.endpoint = endpoint.empty() ? endpoint_ : endpoint;
    o.credentials = {Env("SLUICE_TEST_S3_ACCESS_KEY"), secret, ""};
    o.initial_backoff_ms = 20;
    o.max_attempts = 3;
    auto c = S3Client::Make(std::move(o));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::shared_ptr<S3Client>(std::move(c).value().release());
  }

  static std::string Pattern(size_t n, int seed) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 7 + i / 1000) & 0xff);
    return s;
  }

  std::string endpoint_, bucket_, prefix_;
  std::shared_ptr<S3Client> client_;
};

TEST_F(S3LiveTest, PutGetRangeHeadDelete) {
  const std::string key = prefix_ + "dir one/a+b=c&ሴ.txt";  // needs encoding in path and signature
  const std::string body = Pattern(100'000, 1);
  ASSERT_TRUE(client_->PutObject(bucket_, key, body, {.metadata = {{"ab-generation-id", "7"}}}).ok());
  std::string got;
  ASSERT_TRUE(client_->GetObject(bucket_, key, got).ok());
  EXPECT_TRUE(got == body);
  ASSERT_TRUE(client_->GetRange(bucket_, key, 99'990, 100, got).ok());
  EXPECT_EQ(got, body.substr(99'990));
  ASSERT_TRUE(client_->GetRange(bucket_, key, 5, 10, got).ok());
  EXPECT_EQ(got, body.substr(5, 10));
  auto head = client_->HeadObject(bucket_, key);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  ASSERT_TRUE(head->has_value());
  EXPECT_EQ((*head)->size, body.size());
  EXPECT_GT((*head)->last_modified_micros, NowMicros() - 3600LL * 1'000'000);
  ASSERT_TRUE(client_->DeleteObject(bucket_, key).ok());
  head = client_->HeadObject(bucket_, key);
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->has_value());
  Status missing = client_->GetObject(bucket_, key, got);
  EXPECT_EQ(missing.failure_type(), FailureType::kConfig);
}

TEST_F(S3LiveTest, ListPaginatesAndBatchDeleteRemovesAll) {
  std::vector<std::string> keys;
  for (int i = 0; i < 7; ++i) {
    keys.push_back(prefix_ + "list/" + std::to_string(i) + ".jsonl");
    ASSERT_TRUE(client_->PutObject(bucket_, keys.back(), "x").ok());
  }
  ASSERT_TRUE(client_->PutObject(bucket_, prefix_ + "other", "y").ok());
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = client_->ListObjectsV2(bucket_, prefix_ + "list/", token, 3);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const S3Object& o : page->objects) {
      seen.push_back(o.key);
      EXPECT_EQ(o.size, 1u);
    }
    token = page->next_continuation_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, keys);

  auto delimited = client_->ListObjectsV2(bucket_, prefix_, {}, 1000, "/");
  ASSERT_TRUE(delimited.ok());
  ASSERT_EQ(delimited->common_prefixes.size(), 1u);
  EXPECT_EQ(delimited->common_prefixes[0], prefix_ + "list/");

  ASSERT_TRUE(client_->DeleteObjects(bucket_, keys).ok());
  int left = 0;
  ASSERT_TRUE(client_->ListAll(bucket_, prefix_, [&](const S3Object&) {
                       ++left;
                       return Status::Ok();
                     }).ok());
  EXPECT_EQ(left, 1);
}

TEST_F(S3LiveTest, MultipartStreamRoundTrip) {
  const std::string key = prefix_ + "multi/big.bin";
  const std::string data = Pattern((5 << 20) * 3 + 777, 3);
  S3OutputStream out(client_, bucket_, key, {.part_bytes = 5 << 20, .max_parallel_parts = 2});
  for (size_t pos = 0; pos < data.size(); pos += 1 << 20) {
    ASSERT_TRUE(out.Write(std::string_view(data).substr(pos, 1 << 20)).ok());
  }
  ASSERT_TRUE(out.Close().ok());
  EXPECT_EQ(out.parts_uploaded(), 4);
  auto head = client_->HeadObject(bucket_, key);
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ((*head)->size, data.size());

  auto in = OpenS3InputStream(client_, bucket_, key, data.size(), 3 << 20);
  std::string got;
  std::string buf(1 << 20, '\0');
  for (;;) {
    auto n = in->Read(buf.data(), buf.size());
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    if (*n == 0) break;
    got.append(buf.data(), *n);
  }
  EXPECT_TRUE(got == data);
}

TEST_F(S3LiveTest, AbortedUploadLeavesNoObjectAndNoUpload) {
  const std::string key = prefix_ + "aborted/big.bin";
  {
    S3OutputStream out(client_, bucket_, key, {.part_bytes = 5 << 20});
    ASSERT_TRUE(out.Write(Pattern(11 << 20, 4)).ok());
    auto uploads = client_->ListMultipartUploads(bucket_, prefix_ + "aborted/");
    if (uploads.ok()) {
      EXPECT_EQ(uploads->size(), 1u);
    }
  }  // destroyed without Close
  auto head = client_->HeadObject(bucket_, key);
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->has_value());
  auto uploads = client_->ListMultipartUploads(bucket_, prefix_ + "aborted/");
  if (uploads.ok()) {
    EXPECT_TRUE(uploads->empty());
  }
}

TEST_F(S3LiveTest, WrongSecretIsAConfigErrorNamingTheKey) {
  if (Env("SLUICE_TEST_S3_CHECKS_SIGNATURES") != "1") GTEST_SKIP() << "the server does not verify signatures";
  auto bad = MakeClient("not-the-secret");
  Status st = bad->PutObject(bucket_, prefix_ + "x", "x");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find("SignatureDoesNotMatch"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("secret_access_key"), std::string::npos);
  EXPECT_EQ(st.message().find("not-the-secret"), std::string::npos);
  EXPECT_EQ(st.detail().find("not-the-secret"), std::string::npos);
  st = bad->CheckBucket(bucket_);
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
}

TEST_F(S3LiveTest, MissingBucketIsAConfigErrorNamingTheBucket) {
  Status st = client_->CheckBucket("no-such-bucket-sluice");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find("'no-such-bucket-sluice'"), std::string::npos) << st.message();
}

TEST_F(S3LiveTest, UnreachableEndpointIsTransientAfterRetries) {
  auto down = MakeClient(Env("SLUICE_TEST_S3_SECRET_KEY"), "http://127.0.0.1:1");
  Status st = down->PutObject(bucket_, prefix_ + "x", "x");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kTransient);
  EXPECT_NE(st.message().find("after 3 attempts"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace sluice
