// SigV4 against AWS's published test vectors: the aws-sig-v4-test-suite (service "service",
// us-east-1, 2015-08-30T12:36:00Z) and the S3 examples of "Signature Calculations for the
// Authorization Header" (examplebucket, 2013-05-24).
#include "s3/sigv4_signer.h"

#include <gtest/gtest.h>

#include "base/time.h"

namespace sluice {
namespace {

constexpr char kSuiteKey[] = "AKIDEXAMPLE";
constexpr char kSuiteSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

int64_t Micros(int64_t y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return (DaysFromCivil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss) * kMicrosPerSecond;
}

struct Vector {
  const char* name;
  const char* method;
  const char* path;  // raw, before encoding
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<HttpHeader> headers;  // without x-amz-date (the signer adds it)
  std::string body;
  const char* signed_headers;
  const char* signature;
};

std::string AuthorizationOf(const SignableRequest& r) {
  for (const HttpHeader& h : r.headers) {
    if (h.name == "authorization") return h.value;
  }
  return {};
}

std::string HeaderOf(const SignableRequest& r, const std::string& name) {
  for (const HttpHeader& h : r.headers) {
    if (h.name == name) return h.value;
  }
  return {};
}

const std::vector<Vector>& SuiteVectors() {
  static const std::vector<Vector> v = {
      {"get-vanilla", "GET", "/", {}, {{"Host", "example.amazonaws.com"}}, "", "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-query", "GET", "/", {}, {{"Host", "example.amazonaws.com"}}, "", "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-empty-query-key", "GET", "/", {{"Param1", "value1"}}, {{"Host", "example.amazonaws.com"}}, "",
       "host;x-amz-date", "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      {"get-vanilla-query-order-key-case", "GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}},
       {{"Host", "example.amazonaws.com"}}, "", "host;x-amz-date",
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-query-unreserved", "GET", "/",
       {{"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
         "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}},
       {{"Host", "example.amazonaws.com"}}, "", "host;x-amz-date",
       "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"get-vanilla-utf8-query", "GET", "/", {{"\xe1\x88\xb4", "bar"}}, {{"Host", "example.amazonaws.com"}}, "",
       "host;x-amz-date", "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", {},
       {{"Host", "example.amazonaws.com"}}, "", "host;x-amz-date",
       "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-utf8", "GET", "/\xe1\x88\xb4", {}, {{"Host", "example.amazonaws.com"}}, "", "host;x-amz-date",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-header-key-duplicate", "GET", "/", {},
       {{"Host", "example.amazonaws.com"}, {"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
       "", "host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-order", "GET", "/", {},
       {{"Host", "example.amazonaws.com"},
        {"My-Header1", "value4"},
        {"My-Header1", "value1"},
        {"My-Header1", "value3"},
        {"My-Header1", "value2"}},
       "", "host;my-header1;x-amz-date", "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
      {"get-header-value-trim", "GET", "/", {},
       {{"Host", "example.amazonaws.com"}, {"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}, "",
       "host;my-header1;my-header2;x-amz-date", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"post-vanilla", "POST", "/", {}, {{"Host", "example.amazonaws.com"}}, "", "host;x-amz-date",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-header-key-case", "POST", "/", {}, {{"HOST", "example.amazonaws.com"}}, "", "host;x-amz-date",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-header-key-sort", "POST", "/", {}, {{"Host", "example.amazonaws.com"}, {"My-Header1", "value1"}}, "",
       "host;my-header1;x-amz-date", "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {"post-header-value-case", "POST", "/", {}, {{"Host", "example.amazonaws.com"}, {"My-Header1", "VALUE1"}}, "",
       "host;my-header1;x-amz-date", "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {"post-vanilla-query", "POST", "/", {{"Param1", "value1"}}, {{"Host", "example.amazonaws.com"}}, "",
       "host;x-amz-date", "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-vanilla-query-nonunreserved", "POST", "/", {{"@#$%^", ""}, {"+", "/,?><`\";:\\|][{}"}},
       {{"Host", "example.amazonaws.com"}}, "", "host;x-amz-date",
       "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"},
      {"post-vanilla-query-space", "POST", "/", {{"p", ""}}, {{"Host", "example.amazonaws.com"}}, "",
       "host;x-amz-date", "e71688addb58a26418614085fb730ba3faa623b461c17f48f2fbdb9361b94a9b"},
      {"post-x-www-form-urlencoded", "POST", "/", {},
       {{"Content-Type", "application/x-www-form-urlencoded"}, {"Host", "example.amazonaws.com"}}, "Param1=value1",
       "content-type;host;x-amz-date", "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      {"post-x-www-form-urlencoded-parameters", "POST", "/", {},
       {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}, {"Host", "example.amazonaws.com"}},
       "Param1=value1", "content-type;host;x-amz-date",
       "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
  };
  return v;
}

TEST(SigV4SuiteTest, AllVectorsMatch) {
  const SigV4Signer signer({kSuiteKey, kSuiteSecret, ""}, "us-east-1", "service");
  const int64_t now = Micros(2015, 8, 30, 12, 36, 0);
  for (const Vector& v : SuiteVectors()) {
    SCOPED_TRACE(v.name);
    SignableRequest r;
    r.method = v.method;
    r.path = UriEncodePath(v.path);
    r.query = v.query;
    r.headers = v.headers;
    r.payload_hash = Sha256Hex(v.body);
    signer.Sign(r, now);
    EXPECT_EQ(HeaderOf(r, "x-amz-date"), "20150830T123600Z");
    EXPECT_EQ(AuthorizationOf(r),
              std::string("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                          "SignedHeaders=") +
                  v.signed_headers + ", Signature=" + v.signature);
  }
}

TEST(SigV4SuiteTest, GetVanillaCanonicalRequestAndStringToSign) {
  // get-vanilla.creq and get-vanilla.sts, verbatim.
  const SigV4Signer signer({kSuiteKey, kSuiteSecret, ""}, "us-east-1", "service");
  SignableRequest r;
  r.method = "GET";
  r.path = "/";
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  r.payload_hash = Sha256Hex("");
  const std::string creq = SigV4Signer::CanonicalRequest(r);
  EXPECT_EQ(creq,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(signer.StringToSign(creq, "20150830T123600Z"),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
}

TEST(SigV4SuiteTest, SessionTokenIsSignedAfterTheDate) {
  // post-sts-header-before: the token is part of the signed headers.
  const SigV4Signer signer(
      {kSuiteKey, kSuiteSecret,
       "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/"
       "qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="},
      "us-east-1", "service");
  SignableRequest r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"Host", "example.amazonaws.com"}};
  r.payload_hash = Sha256Hex("");
  signer.Sign(r, Micros(2015, 8, 30, 12, 36, 0));
  EXPECT_EQ(AuthorizationOf(r),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-amz-security-token, "
            "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
}

// The S3 examples: AKIAIOSFODNN7EXAMPLE, us-east-1, s3, 20130524T000000Z.
class SigV4S3ExampleTest : public ::testing::Test {
 protected:
  SigV4Signer signer_{{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""}, "us-east-1", "s3"};
  int64_t now_ = Micros(2013, 5, 24, 0, 0, 0);
};

TEST_F(SigV4S3ExampleTest, GetObjectRange) {
  SignableRequest r;
  r.method = "GET";
  r.path = "/test.txt";
  r.payload_hash = std::string(kEmptySha256);
  r.headers = {{"host", "examplebucket.s3.amazonaws.com"},
               {"range", "bytes=0-9"},
               {"x-amz-content-sha256", r.payload_hash}};
  signer_.Sign(r, now_);
  EXPECT_EQ(AuthorizationOf(r),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_F(SigV4S3ExampleTest, PutObject) {
  SignableRequest r;
  r.method = "PUT";
  r.path = UriEncodePath("/test$file.text");
  EXPECT_EQ(r.path, "/test%24file.text");
  r.payload_hash = Sha256Hex("Welcome to Amazon S3.");
  EXPECT_EQ(r.payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256", r.payload_hash}};
  signer_.Sign(r, now_);
  EXPECT_EQ(AuthorizationOf(r),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
            "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST_F(SigV4S3ExampleTest, GetBucketLifecycle) {
  SignableRequest r;
  r.method = "GET";
  r.path = "/";
  r.query = {{"lifecycle", ""}};
  r.payload_hash = std::string(kEmptySha256);
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"x-amz-content-sha256", r.payload_hash}};
  signer_.Sign(r, now_);
  EXPECT_EQ(AuthorizationOf(r),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST_F(SigV4S3ExampleTest, ListObjects) {
  SignableRequest r;
  r.method = "GET";
  r.path = "/";
  r.query = {{"prefix", "J"}, {"max-keys", "2"}};  // sorted by the signer
  r.payload_hash = std::string(kEmptySha256);
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"x-amz-content-sha256", r.payload_hash}};
  signer_.Sign(r, now_);
  EXPECT_EQ(AuthorizationOf(r),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4Test, WrongSecretChangesTheSignatureAndNeverAppearsInHeaders) {
  SignableRequest a, b;
  a.method = b.method = "GET";
  a.path = b.path = "/bkt/key";
  a.payload_hash = b.payload_hash = std::string(kEmptySha256);
  a.headers = b.headers = {{"host", "127.0.0.1:9000"}};
  SigV4Signer({"AK", "secret-one", ""}, "us-east-1").Sign(a, 0);
  SigV4Signer({"AK", "secret-two", ""}, "us-east-1").Sign(b, 0);
  EXPECT_NE(AuthorizationOf(a), AuthorizationOf(b));
  for (const HttpHeader& h : a.headers) EXPECT_EQ(h.value.find("secret-one"), std::string::npos) << h.name;
}

TEST(SigV4Test, Helpers) {
  EXPECT_EQ(AmzDate(Micros(2015, 8, 30, 12, 36, 0)), "20150830T123600Z");
  EXPECT_EQ(AmzDate(0), "19700101T000000Z");
  EXPECT_EQ(UriEncode("a b/c~d"), "a%20b%2Fc~d");
  EXPECT_EQ(UriEncodePath("/bkt/a b/\xe1\x88\xb4+x"), "/bkt/a%20b/%E1%88%B4%2Bx");
  EXPECT_EQ(UriDecode("a%20b%2Fc+d%zz%4"), "a b/c+d%zz%4");
  EXPECT_EQ(UriDecode("a+b", true), "a b");
  EXPECT_EQ(Sha256Hex(""), kEmptySha256);
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(Md5Base64(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
}

}  // namespace
}  // namespace sluice
