#include "monitoring/notification.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

SyncNotification Failure() {
  SyncNotification n;
  n.event = NotificationEvent::kSyncFailure;
  n.connection_id = "9f1c-77";
  n.connection_name = "Postgres → Lake";
  n.source_name = "orders-db";
  n.destination_name = "s3-lake";
  n.job_id = 42;
  n.records = 1234567;
  n.bytes = 5 * 1024 * 1024 + 512 * 1024;
  n.duration_ms = 3723000;
  n.error_message = "connection refused by <db> & friends";
  return n;
}

// Every text object of a payload: what Slack renders.
std::string AllText(const Json& payload) {
  std::string out = payload["text"].get<std::string>() + "\n";
  for (const Json& block : payload["blocks"]) {
    if (block.contains("text")) out += block["text"]["text"].get<std::string>() + "\n";
    for (const char* list : {"fields", "elements"}) {
      if (block.contains(list)) {
        for (const Json& f : block[list]) out += f["text"].get<std::string>() + "\n";
      }
    }
  }
  return out;
}

void ExpectSlackShape(const Json& payload) {
  ASSERT_TRUE(payload["text"].is_string());
  ASSERT_TRUE(payload["blocks"].is_array());
  for (const Json& block : payload["blocks"]) {
    ASSERT_TRUE(block["type"] == "section" || block["type"] == "context") << block.dump();
    if (block.contains("text")) {
      EXPECT_EQ(block["text"]["type"], "mrkdwn");
      EXPECT_LE(block["text"]["text"].get<std::string>().size(), 3000u);
    }
    if (block.contains("fields")) {
      EXPECT_LE(block["fields"].size(), 10u);
    }
  }
}

TEST(NotificationTest, SyncFailureCarriesEverythingAirbyteShows) {
  const Json payload = BuildSlackPayload(Failure(), "https://sluice.example.com/");
  ExpectSlackShape(payload);
  const std::string text = payload["text"];
  EXPECT_EQ(text,
            "Sync failed for connection Postgres → Lake from orders-db to s3-lake (job 42): connection refused by "
            "&lt;db&gt; &amp; friends. https://sluice.example.com/connections/9f1c-77");
  const std::string all = AllText(payload);
  for (const char* expected : {"*Sync failed*: connection <https://sluice.example.com/connections/9f1c-77|Postgres → Lake>",
                               "*Source*\norders-db", "*Destination*\ns3-lake", "*Job ID*\n42", "*Duration*\n1h 02m 03s",
                               "*Records*\n1,234,567", "*Bytes*\n5.5 MiB",
                               "*Error*\n```connection refused by &lt;db&gt; &amp; friends```",
                               "Connection ID: 9f1c-77"}) {
    EXPECT_NE(all.find(expected), std::string::npos) << expected << "\nin:\n" << all;
  }
}

TEST(NotificationTest, SuccessHasStatsAndNoError) {
  SyncNotification n = Failure();
  n.event = NotificationEvent::kSyncSuccess;
  const Json payload = BuildSlackPayload(n);
  ExpectSlackShape(payload);
  EXPECT_EQ(payload["text"],
            "Sync succeeded for connection Postgres → Lake from orders-db to s3-lake (job 42): 1,234,567 records, "
            "5.5 MiB in 1h 02m 03s");
  const std::string all = AllText(payload);
  EXPECT_EQ(all.find("Error"), std::string::npos);
  EXPECT_EQ(all.find("http"), std::string::npos);  // no base URL, no link
  EXPECT_NE(all.find("*Sync succeeded*: connection *Postgres → Lake*"), std::string::npos) << all;
}

TEST(NotificationTest, ConnectionDisabledSaysHowManyFailures) {
  SyncNotification n = Failure();
  n.event = NotificationEvent::kConnectionDisabled;
  n.consecutive_failures = 3;
  const Json payload = BuildSlackPayload(n, "http://localhost:8000");
  ExpectSlackShape(payload);
  EXPECT_NE(payload["text"].get<std::string>().find("was disabled after 3 consecutive failed syncs"), std::string::npos);
  const std::string all = AllText(payload);
  EXPECT_NE(all.find("*Consecutive failures*\n3"), std::string::npos);
  EXPECT_NE(all.find("<http://localhost:8000/connections/9f1c-77|"), std::string::npos);
}

TEST(NotificationTest, SchemaChangesListWhatChanged) {
  SyncNotification n = Failure();
  n.error_message.clear();
  n.event = NotificationEvent::kSchemaChange;
  n.schema_summary = "1 field added";
  n.schema_action = "pending";
  n.schema_changes = {"stream public.users: field 'email' added (string)"};
  Json payload = BuildSlackPayload(n);
  ExpectSlackShape(payload);
  EXPECT_NE(payload["text"].get<std::string>().find("changed (job 42): 1 field added; the changes are waiting for your review"),
            std::string::npos)
      << payload["text"];
  std::string all = AllText(payload);
  EXPECT_NE(all.find("*Source schema changed*"), std::string::npos) << all;
  EXPECT_NE(all.find("• stream public.users: field 'email' added (string)"), std::string::npos) << all;

  n.event = NotificationEvent::kSchemaChangeActionRequired;
  n.schema_summary = "1 field removed (1 breaking)";
  payload = BuildSlackPayload(n);
  EXPECT_NE(payload["text"].get<std::string>().find("was disabled by a change of the source schema (job 42): 1 field "
                                                    "removed (1 breaking); review the changes"),
            std::string::npos)
      << payload["text"];
}

TEST(NotificationTest, LongErrorsAreCutAndCodeFencesNeutralised) {
  SyncNotification n = Failure();
  n.error_message = "```" + std::string(10000, 'e') + "é";
  const Json payload = BuildSlackPayload(n);
  ExpectSlackShape(payload);
  const std::string error_block = payload["blocks"][2]["text"]["text"];
  EXPECT_TRUE(error_block.starts_with("*Error*\n```'''eee")) << error_block.substr(0, 40);
  EXPECT_TRUE(error_block.ends_with("… (truncated)```"));
  EXPECT_NO_THROW(Json(payload).dump());  // still valid UTF-8
}

TEST(NotificationTest, IdsInLinksAreEncodedAndEventsParse) {
  SyncNotification n = Failure();
  n.connection_id = "a b/c";
  EXPECT_NE(BuildSlackPayload(n, "https://x.example")["text"].get<std::string>().find(
                "https://x.example/connections/a%20b%2Fc"),
            std::string::npos);
  for (auto e : {NotificationEvent::kSyncFailure, NotificationEvent::kSyncSuccess,
                 NotificationEvent::kConnectionDisabled, NotificationEvent::kSchemaChange,
                 NotificationEvent::kSchemaChangeActionRequired}) {
    auto parsed = ParseNotificationEvent(NotificationEventName(e));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, e);
  }
  EXPECT_FALSE(ParseNotificationEvent("sync_started").ok());
}

TEST(NotificationTest, HumanFormats) {
  EXPECT_EQ(FormatDuration(350), "350 ms");
  EXPECT_EQ(FormatDuration(12'000), "12s");
  EXPECT_EQ(FormatDuration(245'000), "4m 05s");
  EXPECT_EQ(FormatDuration(3'723'000), "1h 02m 03s");
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(int64_t{4} << 30), "4.0 GiB");
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(1000), "1,000");
  EXPECT_EQ(FormatCount(-1234567), "-1,234,567");
}

}  // namespace
}  // namespace sluice
