#include "worker/job_events.h"

#include "base/log.h"
#include "monitoring/notification.h"
#include "security/connector_secrets.h"

namespace sluice {

namespace {

int64_t StatCount(const Json& stats, const char* key) {
  if (!stats.is_object()) return 0;
  auto it = stats.find(key);
  return it != stats.end() && it->is_number() ? it->get<int64_t>() : 0;
}

std::string ActorName(MetadataStore& store, ActorKind kind, const std::string& id) {
  auto actor = store.GetActor(kind, id);
  return actor.ok() && actor->has_value() ? (*actor)->name : id;
}

}  // namespace

NotificationSettings NotificationSettings::FromJson(const SecretBox& box, const Json& settings) {
  NotificationSettings s;
  const Json j = settings.is_object() ? settings : Json::parse(kDefaultNotificationSettingsJson);
  if (auto it = j.find("slackWebhookUrl"); it != j.end() && it->is_string()) {
    auto url = DecryptWebhookUrl(box, it->get<std::string>());
    if (url.ok()) {
      s.slack_webhook_url = *url;
    } else {
      Log(LogLevel::kWarn, "notifications: cannot decrypt the webhook URL ({}); not sending", url.status().message());
    }
  }
  if (auto it = j.find("sendOnFailure"); it != j.end() && it->is_boolean()) s.send_on_failure = *it;
  if (auto it = j.find("sendOnSuccess"); it != j.end() && it->is_boolean()) s.send_on_success = *it;
  if (auto it = j.find("sendOnConnectionDisabled"); it != j.end() && it->is_boolean()) {
    s.send_on_connection_disabled = *it;
  }
  if (auto it = j.find("sendOnConnectionUpdate"); it != j.end() && it->is_boolean()) s.send_on_connection_update = *it;
  if (auto it = j.find("sendOnConnectionUpdateActionRequired"); it != j.end() && it->is_boolean()) {
    s.send_on_connection_update_action_required = *it;
  }
  if (auto it = j.find("consecutiveFailureThreshold"); it != j.end() && it->is_number_integer()) {
    s.consecutive_failure_threshold = it->get<int>();
  }
  return s;
}

void JobEvents::AttemptFinished(std::string_view outcome, const Json& stats) {
  PlatformMetrics* m = context_.metrics;
  if (m == nullptr) return;
  m->attempts.WithLabels({std::string(outcome)}).Increment();
  m->records.Get().Increment(static_cast<double>(StatCount(stats, "recordsCommitted")));
  m->bytes.Get().Increment(static_cast<double>(StatCount(stats, "bytesCommitted")));
}

void JobEvents::JobFinished(const Job& job) {
  MetadataStore& store = *context_.store;
  const int64_t started = job.started_at.value_or(job.created_at);
  const int64_t duration_ms = std::max<int64_t>(0, job.updated_at - started);
  if (context_.metrics != nullptr) {
    context_.metrics->syncs.WithLabels({std::string(JobStatusName(job.status))}).Increment();
    context_.metrics->sync_duration.Get().Observe(static_cast<double>(duration_ms) / 1000.0);
  }
  if (job.status == JobStatus::kCancelled) return;

  auto connection = store.GetConnection(job.connection_id);
  if (!connection.ok() || !connection->has_value()) return;
  Connection c = **connection;
  auto workspace = store.GetWorkspace(c.workspace_id);
  const NotificationSettings settings = NotificationSettings::FromJson(
      *context_.secrets, workspace.ok() && workspace->has_value() ? (*workspace)->notification_settings : Json());

  SyncNotification n;
  n.connection_id = c.connection_id;
  n.connection_name = c.name;
  n.source_name = ActorName(store, ActorKind::kSource, c.source_id);
  n.destination_name = ActorName(store, ActorKind::kDestination, c.destination_id);
  n.job_id = job.id;
  n.duration_ms = duration_ms;
  n.consecutive_failures = c.consecutive_failures;
  int last_attempt = 0;
  if (auto attempts = store.ListAttempts(job.id); attempts.ok()) {
    for (const Attempt& a : *attempts) {
      n.records += StatCount(a.stats, "recordsCommitted");
      n.bytes += StatCount(a.stats, "bytesCommitted");
      last_attempt = a.attempt_number;
      const Json& f = a.failure_summary;
      if (f.is_object() && f.contains("failures") && f["failures"].is_array() && !f["failures"].empty()) {
        n.error_message = f["failures"][0].value("externalMessage", "");
      }
    }
  }

  const bool has_url = !settings.slack_webhook_url.empty();
  if (job.status == JobStatus::kSucceeded && settings.send_on_success && has_url) {
    n.event = NotificationEvent::kSyncSuccess;
    notifier_.Enqueue(settings.slack_webhook_url, BuildSlackPayload(n, context_.public_url));
  }
  if (job.status != JobStatus::kFailed) return;
  if (settings.send_on_failure && has_url) {
    n.event = NotificationEvent::kSyncFailure;
    notifier_.Enqueue(settings.slack_webhook_url, BuildSlackPayload(n, context_.public_url));
  }
  const int threshold = settings.consecutive_failure_threshold;
  if (threshold <= 0 || c.consecutive_failures < threshold || c.status != ConnectionStatus::kActive) return;
  c.status = ConnectionStatus::kInactive;
  auto updated = store.UpdateConnection(c, context_.NowMs());
  if (!updated.ok()) {
    Log(LogLevel::kWarn, "cannot disable connection {}: {}", c.connection_id, updated.status().message());
    return;
  }
  const std::string line = fmt::format("connection disabled after {} consecutive failed jobs (threshold {})",
                                       c.consecutive_failures, threshold);
  Log(LogLevel::kWarn, "connection {}: {}", c.connection_id, line);
  if (last_attempt > 0) (void)store.AppendLogLines(job.id, last_attempt, {line});
  if (settings.send_on_connection_disabled && has_url) {
    n.event = NotificationEvent::kConnectionDisabled;
    notifier_.Enqueue(settings.slack_webhook_url, BuildSlackPayload(n, context_.public_url));
  }
}

void JobEvents::SchemaChanged(const Job& job, const Json& schema_change) {
  if (!schema_change.is_object()) return;
  MetadataStore& store = *context_.store;
  auto connection = store.GetConnection(job.connection_id);
  if (!connection.ok() || !connection->has_value()) return;
  const Connection& c = **connection;
  auto workspace = store.GetWorkspace(c.workspace_id);
  const NotificationSettings settings = NotificationSettings::FromJson(
      *context_.secrets, workspace.ok() && workspace->has_value() ? (*workspace)->notification_settings : Json());
  if (settings.slack_webhook_url.empty()) return;

  const std::string action = schema_change.value("action", "");
  SyncNotification n;
  if (action == "connection_disabled") {
    if (!settings.send_on_connection_update_action_required) return;
    n.event = NotificationEvent::kSchemaChangeActionRequired;
  } else {
    if (!c.notify_schema_changes || !settings.send_on_connection_update ||
        !schema_change.value("firstDetected", true)) {
      return;
    }
    n.event = NotificationEvent::kSchemaChange;
  }
  n.connection_id = c.connection_id;
  n.connection_name = c.name;
  n.source_name = ActorName(store, ActorKind::kSource, c.source_id);
  n.destination_name = ActorName(store, ActorKind::kDestination, c.destination_id);
  n.job_id = job.id;
  n.schema_summary = schema_change.value("summary", "");
  n.schema_action = action;
  if (auto it = schema_change.find("changes"); it != schema_change.end() && it->is_array()) {
    for (const Json& line : *it) {
      if (line.is_string()) n.schema_changes.push_back(line.get<std::string>());
    }
  }
  Log(LogLevel::kInfo, "connection {}: notifying {} ({})", c.connection_id, NotificationEventName(n.event),
      n.schema_summary);
  notifier_.Enqueue(settings.slack_webhook_url, BuildSlackPayload(n, context_.public_url));
}

}  // namespace sluice
