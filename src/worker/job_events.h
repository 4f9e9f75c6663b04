#pragma once
// What happens when attempts and jobs end: metrics, webhook notifications from the workspace's
// notification settings, and disabling a connection after too many failures in a row. Called by
// the workers (FinishAttempt) and by the reclaimer (ReclaimExpired). Thread-safe.

#include "metadata/metadata_store.h"
#include "platform/platform.h"
#include "worker/notifier.h"

namespace sluice {

//! A workspace's notification settings, defaults filled in (kDefaultNotificationSettingsJson).
struct NotificationSettings {
  std::string slack_webhook_url;  //!< "" = none
  bool send_on_failure = true;
  bool send_on_success = false;
  bool send_on_connection_disabled = true;
  int consecutive_failure_threshold = 3;  //!< 0 = never disable
  //! Airbyte's "connection updates": a non-breaking schema change was detected (and propagated
  //! or left pending) on a connection with notifySchemaChanges.
  bool send_on_connection_update = true;
  //! Airbyte's "connection updates requiring action": a schema change disabled a connection.
  bool send_on_connection_update_action_required = true;

  //! The stored settings; the webhook URL is decrypted with `box` ("" when it cannot be).
  static NotificationSettings FromJson(const SecretBox& box, const Json& settings);
};

class JobEvents {
 public:
  //! `context` and `notifier` must outlive this.
  JobEvents(const PlatformContext& context, Notifier& notifier) : context_(context), notifier_(notifier) {}

  //! An attempt ended with `outcome` ("succeeded", "failed", "cancelled") and `stats`.
  void AttemptFinished(std::string_view outcome, const Json& stats);
  //! `job` reached a terminal status: metrics, notifications, maybe disable its connection.
  void JobFinished(const Job& job);
  //! An attempt of `job` found a changed source schema (`schema_change`: what the attempt
  //! recorded, platform/schema_policy.h ToJobJson + "firstDetected"): notifies when it disabled
  //! the connection (sendOnConnectionUpdateActionRequired), or when the change is new and the
  //! connection has notifySchemaChanges (sendOnConnectionUpdate).
  void SchemaChanged(const Job& job, const Json& schema_change);

 private:
  const PlatformContext& context_;
  Notifier& notifier_;
};

}  // namespace sluice
