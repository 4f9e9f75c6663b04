#include "monitoring/notification.h"

#include <cctype>
#include <iterator>

#include <fmt/format.h>

namespace sluice {

namespace {

constexpr size_t kMaxErrorChars = 2500;  // Slack allows 3,000 per text object; leave room for markup

// Slack's mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting#escaping).
std::string EscapeMrkdwn(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

// Percent-encodes everything but RFC 3986 unreserved characters (an id in a URL path).
std::string EncodePathSegment(std::string_view segment) {
  std::string out;
  for (unsigned char c : segment) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence.
std::string Truncate(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "… (truncated)";
}

// By NotificationEvent value: the settings' names and the messages' headlines.
constexpr std::string_view kEventNames[] = {"sync_failure", "sync_success", "connection_disabled",
                                            "connection_update", "connection_update_action_required"};
constexpr std::string_view kHeadlines[] = {"Sync failed", "Sync succeeded", "Connection disabled",
                                           "Source schema changed", "Schema change: connection disabled"};
static_assert(std::size(kEventNames) == static_cast<size_t>(NotificationEvent::kSchemaChangeActionRequired) + 1);
static_assert(std::size(kHeadlines) == std::size(kEventNames));

std::string_view Headline(NotificationEvent event) {
  const auto i = static_cast<size_t>(event);
  return i < std::size(kHeadlines) ? kHeadlines[i] : "Sync event";
}

Json Mrkdwn(std::string text) { return {{"type", "mrkdwn"}, {"text", std::move(text)}}; }

Json Section(std::string text) { return {{"type", "section"}, {"text", Mrkdwn(std::move(text))}}; }

}  // namespace

std::string_view NotificationEventName(NotificationEvent event) {
  const auto i = static_cast<size_t>(event);
  return i < std::size(kEventNames) ? kEventNames[i] : "sync_failure";
}

Result<NotificationEvent> ParseNotificationEvent(std::string_view name) {
  for (size_t i = 0; i < std::size(kEventNames); ++i) {
    if (name == kEventNames[i]) return static_cast<NotificationEvent>(i);
  }
  return Status::ConfigError(fmt::format(
      "unknown notification event '{}': expected one of sync_failure, sync_success, connection_disabled, "
      "connection_update, connection_update_action_required",
      name));
}

std::string FormatDuration(int64_t duration_ms) {
  if (duration_ms < 0) duration_ms = 0;
  if (duration_ms < 1000) return fmt::format("{} ms", duration_ms);
  const int64_t s = duration_ms / 1000;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m {:02}s", s / 60, s % 60);
  return fmt::format("{}h {:02}m {:02}s", s / 3600, s / 60 % 60, s % 60);
}

std::string FormatBytes(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string FormatCount(int64_t count) {
  std::string digits = std::to_string(count < 0 ? -count : count);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return count < 0 ? "-" + out : out;
}

Json BuildSlackPayload(const SyncNotification& n, std::string_view base_url) {
  std::string link;
  if (!base_url.empty()) {
    while (base_url.ends_with('/')) base_url.remove_suffix(1);
    link = fmt::format("{}/connections/{}", base_url, EncodePathSegment(n.connection_id));
  }
  const std::string name = n.connection_name.empty() ? n.connection_id : n.connection_name;
  const std::string job = n.job_id ? fmt::format(" (job {})", *n.job_id) : "";

  // The plain fallback (notifications, clients without blocks) says it all in one paragraph.
  std::string text;
  switch (n.event) {
    case NotificationEvent::kSyncFailure:
      text = fmt::format("Sync failed for connection {} from {} to {}{}", name, n.source_name, n.destination_name, job);
      break;
    case NotificationEvent::kSyncSuccess:
      text = fmt::format("Sync succeeded for connection {} from {} to {}{}: {} records, {} in {}", name,
                         n.source_name, n.destination_name, job, FormatCount(n.records), FormatBytes(n.bytes),
                         FormatDuration(n.duration_ms));
      break;
    case NotificationEvent::kConnectionDisabled:
      text = fmt::format("Connection {} from {} to {} was disabled after {} consecutive failed syncs", name,
                         n.source_name, n.destination_name, n.consecutive_failures);
      break;
    case NotificationEvent::kSchemaChange:
      text = fmt::format("The source schema of connection {} from {} to {} changed{}: {}; {}", name, n.source_name,
                         n.destination_name, job, n.schema_summary,
                         n.schema_action == "propagated" ? "the changes were applied"
                                                         : "the changes are waiting for your review");
      break;
    case NotificationEvent::kSchemaChangeActionRequired:
      text = fmt::format("Connection {} from {} to {} was disabled by a change of the source schema{}: {}; review "
                         "the changes and enable the connection again",
                         name, n.source_name, n.destination_name, job, n.schema_summary);
      break;
  }
  const bool schema_event =
      n.event == NotificationEvent::kSchemaChange || n.event == NotificationEvent::kSchemaChangeActionRequired;
  if (n.event != NotificationEvent::kSyncSuccess && !n.error_message.empty()) {
    text += ": " + Truncate(n.error_message, kMaxErrorChars);
  }
  if (!link.empty()) text += ". " + link;
  text = EscapeMrkdwn(text);

  const std::string shown_name = link.empty() ? fmt::format("*{}*", EscapeMrkdwn(name))
                                              : fmt::format("<{}|{}>", link, EscapeMrkdwn(name));
  Json blocks = Json::array();
  blocks.push_back(Section(fmt::format("*{}*: connection {}", Headline(n.event), shown_name)));

  Json fields = Json::array();
  fields.push_back(Mrkdwn("*Source*\n" + EscapeMrkdwn(n.source_name)));
  fields.push_back(Mrkdwn("*Destination*\n" + EscapeMrkdwn(n.destination_name)));
  if (n.job_id) fields.push_back(Mrkdwn(fmt::format("*Job ID*\n{}", *n.job_id)));
  if (n.event == NotificationEvent::kConnectionDisabled) {
    fields.push_back(Mrkdwn(fmt::format("*Consecutive failures*\n{}", n.consecutive_failures)));
  } else if (schema_event) {
    fields.push_back(Mrkdwn("*Changes*\n" + EscapeMrkdwn(n.schema_summary)));
  } else {
    fields.push_back(Mrkdwn("*Duration*\n" + FormatDuration(n.duration_ms)));
    fields.push_back(Mrkdwn("*Records*\n" + FormatCount(n.records)));
    fields.push_back(Mrkdwn("*Bytes*\n" + FormatBytes(n.bytes)));
  }
  blocks.push_back({{"type", "section"}, {"fields", std::move(fields)}});

  if (n.event != NotificationEvent::kSyncSuccess && !n.error_message.empty()) {
    // Inside a code block only &, < and > need escaping; ``` in the message would end it early.
    std::string error = EscapeMrkdwn(Truncate(n.error_message, kMaxErrorChars));
    for (size_t pos = error.find("```"); pos != std::string::npos; pos = error.find("```", pos)) {
      error.replace(pos, 3, "'''");
    }
    blocks.push_back(Section("*Error*\n```" + error + "```"));
  }
  if (schema_event && !n.schema_changes.empty()) {
    std::string lines;
    for (const std::string& line : n.schema_changes) lines += "• " + line + "\n";
    blocks.push_back(Section(EscapeMrkdwn(Truncate(lines, kMaxErrorChars))));
  }
  blocks.push_back({{"type", "context"},
                    {"elements", Json::array({Mrkdwn("Connection ID: " + EscapeMrkdwn(n.connection_id))})}});
  return {{"text", std::move(text)}, {"blocks", std::move(blocks)}};
}

}  // namespace sluice
