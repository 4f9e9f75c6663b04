#pragma once
// Instants as text in scheduler tests: "2026-03-08T07:30:00Z" and back.

#include <gtest/gtest.h>

#include <string>

#include "absl/time/time.h"

namespace sluice {

//! Parses an RFC 3339 instant; fails the test on bad text.
inline absl::Time At(const std::string& text) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &error)) << text << ": " << error;
  return t;
}

//! "2026-03-08T07:30:00.000Z", the form JavaScript's toISOString() writes.
inline std::string Iso(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

}  // namespace sluice
