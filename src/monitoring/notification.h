#pragma once
// Notifications of sync outcomes as Slack-compatible incoming-webhook payloads:
// {"text": <plain fallback>, "blocks": [<Block Kit sections>]}. Slack, Mattermost, Rocket.Chat
// and Discord's /slack endpoint all accept this shape. Pure functions; sending is
// webhook_sender.h.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

//! The seed's events (Airbyte's names in comments).
enum class NotificationEvent {
  kSyncFailure,         //!< a job failed (failure)
  kSyncSuccess,         //!< a job succeeded (success; optional in settings)
  kConnectionDisabled,  //!< disabled after N consecutive failures (connectionDisabled)
  //! the source schema changed; the connection's policy ignored or propagated it (connectionUpdate)
  kSchemaChange,
  //! a schema change disabled the connection: breaking, or the policy is `disable`
  //! (connectionUpdateActionRequired)
  kSchemaChangeActionRequired,
};

//! "sync_failure", "sync_success", "connection_disabled", "connection_update",
//! "connection_update_action_required": the settings' text form.
std::string_view NotificationEventName(NotificationEvent event);
Result<NotificationEvent> ParseNotificationEvent(std::string_view name);

//! What a notification tells. Names are shown as given (escaped for Slack's mrkdwn).
struct SyncNotification {
  NotificationEvent event = NotificationEvent::kSyncFailure;
  std::string connection_id;
  std::string connection_name;
  std::string source_name;
  std::string destination_name;
  std::optional<int64_t> job_id;    //!< absent: no job involved
  int64_t records = 0;              //!< records committed by the job
  int64_t bytes = 0;                //!< bytes committed by the job
  int64_t duration_ms = 0;          //!< the job's wall time
  std::string error_message;        //!< failures: the user-facing message, ALREADY free of secrets
  int consecutive_failures = 0;     //!< connection disabled: how many failures in a row
  //! Schema changes: "1 field added, 1 field removed (1 breaking)" and what the policy did
  //! ("propagated", "pending", "connection_disabled").
  std::string schema_summary;
  std::string schema_action;
  std::vector<std::string> schema_changes;  //!< one line per change (CatalogDiff::Describe)
};

//! The webhook body for `n`. When `base_url` is not empty (the server's public URL, e.g.
//! "https://sluice.example.com"), the text links to the connection page
//! <base_url>/connections/<connection_id>. Long error messages are cut to fit Slack's limit of
//! 3,000 characters per text block.
Json BuildSlackPayload(const SyncNotification& n, std::string_view base_url = {});

//! "1h 02m 03s", "4m 05s", "12s", "350 ms": a duration for people.
std::string FormatDuration(int64_t duration_ms);
//! "512 B", "1.5 KiB", "12.3 MiB", "4.0 GiB": a size for people.
std::string FormatBytes(int64_t bytes);
//! "1,234,567": a count for people.
std::string FormatCount(int64_t count);

}  // namespace sluice
