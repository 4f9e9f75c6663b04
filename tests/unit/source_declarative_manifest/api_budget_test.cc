// ApiBudget (the manifest's api_budget) on a fake clock: waits are exactly what the windows need.

#include <gtest/gtest.h>

#include "connectors/sources/declarative_manifest/api_budget.h"

namespace sluice {
namespace {

struct FakeClock {
  int64_t now = 1'000'000'000;
  std::vector<double> waits;
  std::function<bool(double)> sleep() {
    return [this](double s) {
      waits.push_back(s);
      now += static_cast<int64_t>(s * 1e6);
      return true;
    };
  }
  std::function<int64_t()> clock() {
    return [this] { return now; };
  }
};

TEST(ApiBudgetTest, MovingWindowSpacesCalls) {
  Json j = Json::parse(R"j({"type": "HTTPAPIBudget", "policies": [{"type": "MovingWindowCallRatePolicy",
                             "rates": [{"limit": 2, "interval": "PT1S"}], "matchers": []}]})j");
  auto budget = ApiBudget::Make(ConfigReader(j));
  ASSERT_TRUE(budget.ok() && *budget) << budget.status().ToString();
  FakeClock c;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*budget)->Acquire("GET", "http://h/a", c.sleep(), c.clock()).ok());
  // Calls 1 and 2 at t0, 3 and 4 once a second has passed, 5 a second later.
  EXPECT_EQ(c.waits, (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(c.now, 1'000'000'000 + 2'000'000);
}

TEST(ApiBudgetTest, MatchersSelectRequestsAndBadPoliciesNameTheirPath) {
  Json j = Json::parse(R"j({"type": "HTTPAPIBudget", "policies": [{"type": "FixedWindowCallRatePolicy", "period": "PT10S",
      "call_limit": 1, "matchers": [{"type": "HttpRequestRegexMatcher", "method": "GET", "url_path_pattern": "^/v1/search"}]}]})j");
  auto budget = ApiBudget::Make(ConfigReader(j));
  ASSERT_TRUE(budget.ok() && *budget);
  FakeClock c;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*budget)->Acquire("GET", "http://h/v1/items?x=1", c.sleep(), c.clock()).ok());
  EXPECT_TRUE(c.waits.empty());  // not matched: unlimited
  ASSERT_TRUE((*budget)->Acquire("GET", "http://h/v1/search?q=a", c.sleep(), c.clock()).ok());
  ASSERT_TRUE((*budget)->Acquire("GET", "http://h/v1/search?q=b", c.sleep(), c.clock()).ok());
  EXPECT_EQ(c.waits, (std::vector<double>{10.0}));
  Json bad = Json::parse(R"j({"policies": [{"type": "MovingWindowCallRatePolicy", "rates": [{"limit": 1, "interval": "P1M"}]}]})j");
  auto b = ApiBudget::Make(ConfigReader(bad, "$.api_budget"));
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("$.api_budget.policies[0].rates[0].interval"), std::string::npos) << b.status().message();
  auto none = ApiBudget::Make(ConfigReader(Json()));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
}

}  // namespace
}  // namespace sluice
