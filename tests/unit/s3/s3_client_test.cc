// S3Client against a scripted transport: addressing, retries with backoff, error mapping,
// pagination, batch delete, multipart calls.
#include "s3/s3_client.h"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include "s3/xml.h"

namespace sluice {
namespace {

struct Scripted {
  Status status;  // a transport failure, or OK with `response`
  HttpResponse response;
};

class FakeTransport : public HttpTransport {
 public:
  Status Send(const HttpRequest& request, HttpResponse& response) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests.push_back({request.method, request.url, request.headers, std::string(request.body)});
    if (script.empty()) {
      response = {};
      response.status = 200;
      return Status::Ok();
    }
    Scripted next = std::move(script.front());
    script.pop_front();
    response = std::move(next.response);
    return next.status;
  }

  void Reply(long status, std::string body = {}, std::vector<HttpHeader> headers = {}) {
    Scripted s;
    s.response.status = status;
    s.response.body = std::move(body);
    s.response.headers = std::move(headers);
    script.push_back(std::move(s));
  }
  void Fail(Status status) { script.push_back({std::move(status), {}}); }

  struct Sent {
    std::string method, url;
    std::vector<HttpHeader> headers;
    std::string body;
    std::string Header(const std::string& name) const {
      for (const HttpHeader& h : headers) {
        if (h.name == name) return h.value;
      }
      return {};
    }
  };
  std::mutex mu_;
  std::deque<Scripted> script;
  std::vector<Sent> requests;
};

std::string ErrorXml(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + message +
         "</Message><RequestId>1</RequestId></Error>";
}

class S3ClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<S3Client> Make(std::string endpoint = "http://127.0.0.1:9000",
                                 S3Addressing addressing = S3Addressing::kAuto) {
    S3ClientOptions o;
    o.endpoint = std::move(endpoint);
    o.region = "eu-west-1";
    o.credentials = {"AKIDTEST", "very-secret-value", ""};
    o.addressing = addressing;
    o.transport = transport_;
    o.now_micros = [] { return int64_t{1'700'000'000'000'000}; };
    o.sleep_ms = [this](int64_t ms) { sleeps_.push_back(ms); };
    auto client = S3Client::Make(std::move(o));
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return std::move(client).value();
  }

  std::shared_ptr<FakeTransport> transport_ = std::make_shared<FakeTransport>();
  std::vector<int64_t> sleeps_;
};

TEST_F(S3ClientTest, PathStyleForCustomEndpointsVirtualHostForAws) {
  auto minio = Make("http://minio:9000");
  EXPECT_TRUE(minio->path_style());
  EXPECT_EQ(minio->ObjectUrl("bkt", "a b/c.txt"), "http://minio:9000/bkt/a%20b/c.txt");
  EXPECT_EQ(minio->ObjectUrl("bkt", "", {{"list-type", "2"}, {"prefix", "x/y"}}),
            "http://minio:9000/bkt?list-type=2&prefix=x%2Fy");

  auto aws = Make("");
  EXPECT_FALSE(aws->path_style());
  EXPECT_EQ(aws->endpoint(), "https://s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(aws->ObjectUrl("bkt", "k"), "https://bkt.s3.eu-west-1.amazonaws.com/k");
  // Bucket names with dots stay path-style (TLS wildcard certificates).
  EXPECT_EQ(aws->ObjectUrl("my.bkt", "k"), "https://s3.eu-west-1.amazonaws.com/my.bkt/k");

  auto vhost = Make("http://localhost:4568", S3Addressing::kVirtualHost);
  EXPECT_EQ(vhost->ObjectUrl("bkt", "k"), "http://bkt.localhost:4568/k");
  EXPECT_EQ(vhost->ObjectUrl("bkt", ""), "http://bkt.localhost:4568/");

  auto bare = Make("minio:9000/base/");
  EXPECT_EQ(bare->endpoint(), "http://minio:9000/base");
  EXPECT_EQ(bare->ObjectUrl("bkt", "k"), "http://minio:9000/base/bkt/k");
}

TEST_F(S3ClientTest, BadEndpointsAreConfigErrors) {
  S3ClientOptions o;
  o.endpoint = "ftp://x";
  auto r = S3Client::Make(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(r.status().message().find("s3_endpoint"), std::string::npos);
  o.endpoint = "http://";
  EXPECT_FALSE(S3Client::Make(o).ok());
  o.endpoint = "";
  o.region = "eu west";
  EXPECT_FALSE(S3Client::Make(o).ok());
}

TEST_F(S3ClientTest, PutSignsAndSendsTheBody) {
  auto c = Make();
  ASSERT_TRUE(c->PutObject("bkt", "dir/a.jsonl", "hello", {.metadata = {{"ab-generation-id", "3"}}}).ok());
  ASSERT_EQ(transport_->requests.size(), 1u);
  const auto& r = transport_->requests[0];
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.url, "http://127.0.0.1:9000/bkt/dir/a.jsonl");
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.Header("host"), "127.0.0.1:9000");
  EXPECT_EQ(r.Header("x-amz-content-sha256"), Sha256Hex("hello"));
  EXPECT_EQ(r.Header("x-amz-meta-ab-generation-id"), "3");
  EXPECT_EQ(r.Header("content-type"), "application/octet-stream");
  const std::string auth = r.Header("authorization");
  EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDTEST/20231114/eu-west-1/s3/aws4_request, SignedHeaders=", 0), 0u)
      << auth;
  EXPECT_NE(auth.find("x-amz-meta-ab-generation-id"), std::string::npos);
  for (const HttpHeader& h : r.headers) EXPECT_EQ(h.value.find("very-secret-value"), std::string::npos);
}

TEST_F(S3ClientTest, RetriesServerErrorsWithGrowingBackoff) {
  auto c = Make();
  transport_->Reply(503, ErrorXml("SlowDown", "Please reduce your request rate."));
  transport_->Reply(500, ErrorXml("InternalError", "oops"));
  transport_->Fail(Status::TransientError("Connection refused"));
  transport_->Reply(200);
  ASSERT_TRUE(c->PutObject("bkt", "k", "x").ok());
  EXPECT_EQ(transport_->requests.size(), 4u);
  ASSERT_EQ(sleeps_.size(), 3u);
  // Equal jitter: each wait is within [step/2, step], steps 200, 400, 800 ms.
  EXPECT_GE(sleeps_[0], 100);
  EXPECT_LE(sleeps_[0], 200);
  EXPECT_GE(sleeps_[1], 200);
  EXPECT_LE(sleeps_[1], 400);
  EXPECT_GE(sleeps_[2], 400);
  EXPECT_LE(sleeps_[2], 800);
  // Every attempt is signed afresh with the same body.
  EXPECT_EQ(transport_->requests[3].body, "x");
}

TEST_F(S3ClientTest, ConnectionErrorsBecomeTransientAfterTheLastAttempt) {
  auto c = Make();
  for (int i = 0; i < 5; ++i) transport_->Fail(Status::TransientError("Failed to connect to 127.0.0.1 port 9000"));
  Status st = c->PutObject("bkt", "k", "x");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kTransient);
  EXPECT_NE(st.message().find("cannot reach http://127.0.0.1:9000 after 5 attempts"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("s3://bkt/k"), std::string::npos);
  EXPECT_EQ(transport_->requests.size(), 5u);
  EXPECT_EQ(sleeps_.size(), 4u);
}

TEST_F(S3ClientTest, ServerErrorsBecomeTransientAfterTheLastAttempt) {
  auto c = Make();
  for (int i = 0; i < 5; ++i) transport_->Reply(503, ErrorXml("SlowDown", "slow"));
  Status st = c->GetObject("bkt", "k", *std::make_unique<std::string>());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kTransient);
  EXPECT_NE(st.message().find("SlowDown"), std::string::npos);
}

TEST_F(S3ClientTest, AuthErrorsAreConfigErrorsWithoutRetriesOrSecrets) {
  auto c = Make();
  transport_->Reply(403, ErrorXml("SignatureDoesNotMatch",
                                  "The request signature we calculated does not match the signature you provided."));
  Status st = c->PutObject("bkt", "k", "x");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find("secret_access_key"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find("very-secret-value"), std::string::npos);
  EXPECT_EQ(st.detail().find("very-secret-value"), std::string::npos);
  EXPECT_EQ(transport_->requests.size(), 1u);

  transport_->Reply(403, ErrorXml("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist."));
  st = c->PutObject("bkt", "k", "x");
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find("access_key_id"), std::string::npos);

  transport_->Reply(403, ErrorXml("AccessDenied", "Access Denied"));
  st = c->PutObject("bkt", "k", "x");
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find("access denied"), std::string::npos);
}

TEST_F(S3ClientTest, MissingBucketNamesTheBucket) {
  auto c = Make();
  transport_->Reply(404, ErrorXml("NoSuchBucket", "The specified bucket does not exist"));
  Status st = c->CheckBucket("nope");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find("bucket 'nope' does not exist"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("s3_bucket_name"), std::string::npos);
}

TEST_F(S3ClientTest, WrongRegionNamesTheRegion) {
  auto c = Make();
  transport_->Reply(301, "", {{"x-amz-bucket-region", "us-west-2"}});
  Status st = c->PutObject("bkt", "k", "x");
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find("us-west-2"), std::string::npos) << st.message();
}

TEST_F(S3ClientTest, HeadOfAMissingObjectIsNullopt) {
  auto c = Make();
  transport_->Reply(404);
  auto r = c->HeadObject("bkt", "k");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  transport_->Reply(200, "", {{"content-length", "1234"}, {"last-modified", "Wed, 12 Oct 2009 17:50:00 GMT"},
                              {"etag", "\"abc\""}});
  r = c->HeadObject("bkt", "k");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->size, 1234u);
  EXPECT_EQ((*r)->etag, "\"abc\"");
  EXPECT_EQ((*r)->last_modified_micros, int64_t{1255369800} * 1'000'000);
}

TEST_F(S3ClientTest, GetRangeAsksForTheWindow) {
  auto c = Make();
  transport_->Reply(206, "bcd");
  std::string out;
  ASSERT_TRUE(c->GetRange("bkt", "k", 1, 3, out).ok());
  EXPECT_EQ(out, "bcd");
  EXPECT_EQ(transport_->requests[0].Header("range"), "bytes=1-3");
  // A server ignoring Range: the window is cut out of the whole body.
  transport_->Reply(200, "abcdef");
  ASSERT_TRUE(c->GetRange("bkt", "k", 2, 2, out).ok());
  EXPECT_EQ(out, "cd");
  transport_->Reply(416, ErrorXml("InvalidRange", "The requested range is not satisfiable"));
  ASSERT_TRUE(c->GetRange("bkt", "k", 10, 2, out).ok());
  EXPECT_EQ(out, "");
}

TEST_F(S3ClientTest, ListAllFollowsContinuationTokens) {
  auto c = Make();
  transport_->Reply(200,
                    "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    "<Name>bkt</Name><IsTruncated>true</IsTruncated><NextContinuationToken>tok/1+=</NextContinuationToken>"
                    "<Contents><Key>p/a&amp;b</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>"
                    "<ETag>&quot;e1&quot;</ETag><Size>10</Size></Contents></ListBucketResult>");
  transport_->Reply(200,
                    "<ListBucketResult><IsTruncated>false</IsTruncated>"
                    "<Contents><Key>p/c</Key><LastModified>2024-01-02T03:04:06Z</LastModified><Size>20</Size></Contents>"
                    "</ListBucketResult>");
  std::vector<S3Object> seen;
  ASSERT_TRUE(c->ListAll("bkt", "p/", [&](const S3Object& o) {
                 seen.push_back(o);
                 return Status::Ok();
               }).ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].key, "p/a&b");
  EXPECT_EQ(seen[0].etag, "\"e1\"");
  EXPECT_EQ(seen[0].size, 10u);
  EXPECT_EQ(seen[1].last_modified_micros - seen[0].last_modified_micros, 1'000'000);
  ASSERT_EQ(transport_->requests.size(), 2u);
  EXPECT_EQ(transport_->requests[0].url, "http://127.0.0.1:9000/bkt?list-type=2&max-keys=1000&prefix=p%2F");
  EXPECT_EQ(transport_->requests[1].url,
            "http://127.0.0.1:9000/bkt?list-type=2&continuation-token=tok%2F1%2B%3D&max-keys=1000&prefix=p%2F");
}

TEST_F(S3ClientTest, DeleteObjectsBatchesByAThousandWithContentMd5) {
  auto c = Make();
  std::vector<std::string> keys;
  for (int i = 0; i < 2500; ++i) keys.push_back("k<" + std::to_string(i));
  ASSERT_TRUE(c->DeleteObjects("bkt", keys).ok());
  ASSERT_EQ(transport_->requests.size(), 3u);
  for (const auto& r : transport_->requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.url, "http://127.0.0.1:9000/bkt?delete=");
    EXPECT_EQ(r.Header("content-md5"), Md5Base64(r.body));
    auto doc = ParseXml(r.body);
    ASSERT_TRUE(doc.ok());
  }
  auto last = ParseXml(transport_->requests[2].body);
  size_t objects = 0;
  for (const XmlElement& e : last->children) objects += e.name == "Object";
  EXPECT_EQ(objects, 500u);
  EXPECT_EQ(last->children[1].ChildText("Key"), "k<2000");

  transport_->Reply(200, "<DeleteResult><Error><Key>x</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>");
  Status st = c->DeleteObjects("bkt", std::vector<std::string>{"x"});
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find("s3://bkt/x"), std::string::npos);
}

TEST_F(S3ClientTest, MultipartCalls) {
  auto c = Make();
  transport_->Reply(200, "<InitiateMultipartUploadResult><Bucket>bkt</Bucket><Key>k</Key><UploadId>up-1</UploadId>"
                         "</InitiateMultipartUploadResult>");
  auto id = c->CreateMultipartUpload("bkt", "k");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "up-1");
  EXPECT_EQ(transport_->requests[0].url, "http://127.0.0.1:9000/bkt/k?uploads=");

  transport_->Reply(200, "", {{"etag", "\"p1\""}});
  auto etag = c->UploadPart("bkt", "k", "up-1", 1, "data");
  ASSERT_TRUE(etag.ok());
  EXPECT_EQ(*etag, "\"p1\"");
  EXPECT_EQ(transport_->requests[1].url, "http://127.0.0.1:9000/bkt/k?partNumber=1&uploadId=up-1");

  // An error inside a 200 response is retried, then succeeds.
  transport_->Reply(200, "<Error><Code>InternalError</Code><Message>try again</Message></Error>");
  transport_->Reply(200, "<CompleteMultipartUploadResult><ETag>\"x-1\"</ETag></CompleteMultipartUploadResult>");
  std::vector<S3CompletedPart> parts = {{1, "\"p1\""}};
  ASSERT_TRUE(c->CompleteMultipartUpload("bkt", "k", "up-1", parts).ok());
  EXPECT_EQ(transport_->requests.size(), 4u);
  EXPECT_NE(transport_->requests[3].body.find("<PartNumber>1</PartNumber><ETag>&quot;p1&quot;</ETag>"),
            std::string::npos);

  transport_->Reply(404, ErrorXml("NoSuchUpload", "gone"));
  EXPECT_TRUE(c->AbortMultipartUpload("bkt", "k", "up-1").ok());
  EXPECT_EQ(transport_->requests.back().method, "DELETE");

  transport_->Reply(200, "<ListMultipartUploadsResult><Upload><Key>k</Key><UploadId>u9</UploadId>"
                         "<Initiated>2024-01-01T00:00:00.000Z</Initiated></Upload></ListMultipartUploadsResult>");
  auto uploads = c->ListMultipartUploads("bkt", "");
  ASSERT_TRUE(uploads.ok());
  ASSERT_EQ(uploads->size(), 1u);
  EXPECT_EQ((*uploads)[0].upload_id, "u9");
}

TEST_F(S3ClientTest, AnonymousRequestsCarryNoAuthorization) {
  S3ClientOptions o;
  o.endpoint = "http://127.0.0.1:9000";
  o.transport = transport_;
  auto c = S3Client::Make(o);
  ASSERT_TRUE(c.ok());
  std::string out;
  ASSERT_TRUE((*c)->GetObject("bkt", "k", out).ok());
  EXPECT_EQ(transport_->requests[0].Header("authorization"), "");
}

TEST(S3XmlTest, ParsesEntitiesCdataAndPrefixes) {
  auto doc = ParseXml("<?xml version=\"1.0\"?><!-- c --><a:Root xmlns:a=\"x\" q='>'><B>1 &lt; 2 &#65;&#x42;</B>"
                      "<C><![CDATA[<raw>]]></C><D/></a:Root>");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->name, "Root");
  EXPECT_EQ(doc->ChildText("B"), "1 < 2 AB");
  EXPECT_EQ(doc->ChildText("C"), "<raw>");
  EXPECT_NE(doc->Child("D"), nullptr);
  EXPECT_EQ(doc->Child("E"), nullptr);
  EXPECT_FALSE(ParseXml("<a><b></a>").ok());
  EXPECT_FALSE(ParseXml("<a>").ok());
  EXPECT_FALSE(ParseXml("").ok());
}

TEST(S3HttpDateTest, Parses) {
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), int64_t{784111777} * 1'000'000);
  EXPECT_FALSE(ParseHttpDate("garbage").has_value());
}

}  // namespace
}  // namespace sluice
