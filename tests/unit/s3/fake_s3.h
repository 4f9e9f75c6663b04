#pragma once
// An in-memory S3 behind the HttpTransport seam (path-style URLs only): PUT, GET (ranges), HEAD,
// LIST v2 (with a small page size to exercise pagination), batch DELETE and multipart uploads,
// with hooks to fail chosen requests. For unit tests of the client's callers.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "http/http_client.h"
#include "s3/s3_client.h"
#include "s3/sigv4_signer.h"
#include "s3/xml.h"

namespace sluice::testing {

class FakeS3 : public HttpTransport {
 public:
  struct Upload {
    std::string key;
    std::map<int, std::string> parts;
  };

  //! Return a non-OK status (a transport failure) or set `response.status` to fail a request;
  //! returning OK with status 0 lets it through.
  std::function<Status(const std::string& method, const std::string& key,
                       const std::map<std::string, std::string>& query, HttpResponse& response)>
      inject;
  int list_page_size = 1000;

  Status Send(const HttpRequest& request, HttpResponse& response) override {
    const int now = ++concurrent_;
    int seen = max_concurrent_.load();
    while (now > seen && !max_concurrent_.compare_exchange_weak(seen, now)) {
    }
    struct Leave {
      std::atomic<int>& c;
      ~Leave() { --c; }
    } leave{concurrent_};

    std::string path = request.url.substr(request.url.find('/', request.url.find("://") + 3));
    std::map<std::string, std::string> query;
    const size_t q = path.find('?');
    if (q != std::string::npos) {
      std::string qs = path.substr(q + 1);
      path.resize(q);
      size_t pos = 0;
      while (pos <= qs.size()) {
        size_t amp = qs.find('&', pos);
        if (amp == std::string::npos) amp = qs.size();
        const std::string item = qs.substr(pos, amp - pos);
        const size_t eq = item.find('=');
        if (!item.empty()) {
          query[UriDecode(item.substr(0, eq))] = eq == std::string::npos ? "" : UriDecode(item.substr(eq + 1));
        }
        pos = amp + 1;
      }
    }
    path = UriDecode(path.substr(1));
    const size_t slash = path.find('/');
    const std::string bucket = path.substr(0, slash);
    const std::string key = slash == std::string::npos ? "" : path.substr(slash + 1);
    response = {};
    if (inject) {
      Status st = inject(request.method, key, query, response);
      if (!st.ok()) return st;
      if (response.status != 0) return Status::Ok();
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++requests;
    response.status = 200;
    if (bucket != "bkt") {
      response.status = 404;
      response.body = "<Error><Code>NoSuchBucket</Code><Message>no</Message></Error>";
      return Status::Ok();
    }
    const std::string& m = request.method;
    if (m == "PUT" && query.count("uploadId")) {
      auto it = uploads.find(query["uploadId"]);
      if (it == uploads.end()) return NoSuchUpload(response);
      it->second.parts[std::stoi(query["partNumber"])] = std::string(request.body);
      response.headers.push_back({"etag", "\"etag-" + query["partNumber"] + "\""});
    } else if (m == "PUT") {
      objects[key] = std::string(request.body);
      ++puts;
    } else if (m == "POST" && query.count("uploads")) {
      const std::string id = "upload-" + std::to_string(++next_upload_);
      uploads[id] = {key, {}};
      response.body = "<InitiateMultipartUploadResult><UploadId>" + id + "</UploadId></InitiateMultipartUploadResult>";
    } else if (m == "POST" && query.count("uploadId")) {
      auto it = uploads.find(query["uploadId"]);
      if (it == uploads.end()) return NoSuchUpload(response);
      std::string data;
      for (auto& [n, part] : it->second.parts) data += part;
      objects[key] = std::move(data);
      uploads.erase(it);
      ++completes;
      response.body = "<CompleteMultipartUploadResult/>";
    } else if (m == "DELETE" && query.count("uploadId")) {
      uploads.erase(query["uploadId"]);
      ++aborts;
      response.status = 204;
    } else if (m == "POST" && query.count("delete")) {
      auto doc = ParseXml(request.body);
      for (const XmlElement& o : doc->children) {
        if (o.name == "Object") objects.erase(o.ChildText("Key"));
      }
      response.body = "<DeleteResult/>";
    } else if (m == "DELETE") {
      objects.erase(key);
      response.status = 204;
    } else if ((m == "GET" || m == "HEAD") && !key.empty()) {
      auto it = objects.find(key);
      if (it == objects.end()) {
        response.status = 404;
        if (m == "GET") response.body = "<Error><Code>NoSuchKey</Code><Message>no</Message></Error>";
        return Status::Ok();
      }
      response.headers.push_back({"content-length", std::to_string(it->second.size())});
      response.headers.push_back({"last-modified", "Wed, 12 Oct 2009 17:50:00 GMT"});
      if (m == "HEAD") return Status::Ok();
      std::string body = it->second;
      for (const HttpHeader& h : request.headers) {
        if (h.name != "range") continue;
        const size_t dash = h.value.find('-');
        const uint64_t a = std::stoull(h.value.substr(6, dash - 6));
        const uint64_t b = std::stoull(h.value.substr(dash + 1));
        if (a >= body.size()) {
          response.status = 416;
          return Status::Ok();
        }
        body = body.substr(a, b - a + 1);
        response.status = 206;
      }
      ++gets;
      response.body = std::move(body);
    } else if (m == "GET" && query.count("list-type")) {
      const std::string& prefix = query["prefix"];
      auto it = query.count("continuation-token") ? objects.upper_bound(query["continuation-token"])
                                                  : objects.lower_bound(prefix);
      std::string body = "<ListBucketResult>";
      int n = 0;
      std::string last;
      for (; it != objects.end() && it->first.starts_with(prefix); ++it) {
        if (n == list_page_size) break;
        body += "<Contents><Key>";
        AppendXmlEscaped(body, it->first);
        body += "</Key><Size>" + std::to_string(it->second.size()) +
                "</Size><LastModified>2024-01-01T00:00:00.000Z</LastModified></Contents>";
        last = it->first;
        ++n;
      }
      const bool truncated = it != objects.end() && it->first.starts_with(prefix);
      body += truncated ? "<IsTruncated>true</IsTruncated><NextContinuationToken>" + last + "</NextContinuationToken>"
                        : "<IsTruncated>false</IsTruncated>";
      body += "</ListBucketResult>";
      ++lists;
      response.body = std::move(body);
    } else if (m == "GET" && query.count("uploads")) {
      std::string body = "<ListMultipartUploadsResult>";
      for (auto& [id, u] : uploads) body += "<Upload><Key>" + u.key + "</Key><UploadId>" + id + "</UploadId></Upload>";
      response.body = body + "</ListMultipartUploadsResult>";
    } else {
      response.status = 400;
      response.body = "<Error><Code>Unsupported</Code><Message>" + m + "</Message></Error>";
    }
    return Status::Ok();
  }

  int max_concurrent() const { return max_concurrent_.load(); }

  std::mutex mu_;
  std::map<std::string, std::string> objects;
  std::map<std::string, Upload> uploads;
  int requests = 0, puts = 0, completes = 0, aborts = 0, gets = 0, lists = 0;

 private:
  Status NoSuchUpload(HttpResponse& response) {
    response.status = 404;
    response.body = "<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>";
    return Status::Ok();
  }
  int next_upload_ = 0;
  std::atomic<int> concurrent_{0};
  std::atomic<int> max_concurrent_{0};
};

//! A client of `fake` that never sleeps between retries.
inline std::shared_ptr<S3Client> MakeFakeClient(std::shared_ptr<FakeS3> fake, int max_attempts = 5) {
  S3ClientOptions o;
  o.endpoint = "http://127.0.0.1:1";
  o.credentials = {"AK", "SK", ""};
  o.transport = std::move(fake);
  o.sleep_ms = [](int64_t) {};
  o.max_attempts = max_attempts;
  return std::shared_ptr<S3Client>(S3Client::Make(std::move(o)).value().release());
}

}  // namespace sluice::testing
