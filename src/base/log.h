#pragma once
// Logging: one process-wide sink. By default lines go to stderr (spdlog); `sluice connector`
// routes them into Airbyte LOG messages instead. Thread-safe. Never log a config: it has secrets.

#include <fmt/format.h>

#include <functional>
#include <string_view>

namespace sluice {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kFatal };

//! The Airbyte protocol name of a level ("INFO", ...).
std::string_view LogLevelName(LogLevel level);

using LogSink = std::function<void(LogLevel, std::string_view)>;
//! Replaces the sink; pass nullptr to restore the stderr sink.
void SetLogSink(LogSink sink);
//! Messages below `level` are dropped (default: kInfo; SLUICE_LOG_LEVEL=debug lowers it).
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void LogMessage(LogLevel level, std::string_view message);

template <typename... Args>
void Log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (LogEnabled(level)) LogMessage(level, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace sluice
