// Cron expressions (Unix and Quartz forms): parse, then the next few fire times in UTC and in a
// zone with daylight saving time.
#include <absl/time/time.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scheduler/cron.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto cron = sluice::CronExpression::Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!cron.ok()) return 0;
  static const absl::TimeZone utc = absl::UTCTimeZone();
  static const absl::TimeZone amsterdam = [] {
    auto z = sluice::LoadTimeZone("Europe/Amsterdam");
    return z.ok() ? *z : absl::UTCTimeZone();
  }();
  for (const absl::TimeZone& zone : {utc, amsterdam}) {
    absl::Time t = absl::FromUnixSeconds(1711846800);  // 2024-03-31 01:00 UTC: a DST change
    for (int i = 0; i < 4; ++i) {
      auto next = cron->Next(t, zone);
      if (!next) break;
      t = *next;
    }
  }
  return 0;
}
