#pragma once
// An HttpTransport for the runtime's unit tests: answers each request with the next scripted
// reply (a transient error when none is left) and keeps what was asked.

#include <deque>
#include <string>
#include <vector>

#include "http/http_client.h"

namespace sluice::testing {

class ScriptedTransport final : public HttpTransport {
 public:
  std::deque<HttpResponse> replies;
  std::vector<std::string> urls;     //!< each request's URL, in order
  std::vector<HttpRequest> sent;     //!< each request whole
  std::vector<std::string> bodies;   //!< each request's body
  Status Send(const HttpRequest& request, HttpResponse& response) override {
    urls.push_back(request.url);
    sent.push_back(request);
    bodies.emplace_back(request.body);
    if (replies.empty()) return Status::TransientError("no scripted reply");
    response = replies.front();
    replies.pop_front();
    return Status::Ok();
  }
};

}  // namespace sluice::testing
