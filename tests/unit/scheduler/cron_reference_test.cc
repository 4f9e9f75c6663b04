// CronExpression::Next against cron-parser (npm), an independent implementation, through
// tests/js/cron_next.mjs: a few hundred generated expressions (deterministic), each from a
// start instant in a time zone, the next kFires fire times must be identical.
//
// cron-parser speaks 5-field Unix cron and a 6-field form with seconds first (day-of-week 0-7,
// 0 = Sunday, `?` = `*`), so Quartz expressions are rendered twice: as Quartz for sluice and
// translated for cron-parser (day-of-week numbers minus one, the year field dropped).
// Corners excluded here because cron-parser has no such syntax — covered by hand in
// cron_test.cc (QuartzLastAndWeekdaySpecials, QuartzSyntax):
// - day-of-month `W`, `LW`, `L-n`; day-of-week `L` alone (Quartz: Saturday);
// - a year field other than `*` or one covering every compared fire time (2026-2099).
// Also avoided, as both would reject or never fire: day 29-31 in a restricted month, `#5` in a
// restricted month (cron-parser gives up after 10,000 steps), duplicate list values.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "base/subprocess.h"
#include "scheduler/cron.h"
#include "time_helpers.h"

namespace sluice {
namespace {

constexpr int kFires = 8;
constexpr const char* kZones[] = {"UTC", "Europe/Amsterdam", "America/New_York", "Australia/Sydney",
                                  "Asia/Kolkata"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

struct Request {
  std::string ours;    //!< what sluice parses
  std::string theirs;  //!< the same schedule in cron-parser's dialect
  std::string zone;
  absl::Time start;
};

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  Request Unix() {
    Request r;
    const std::string minute = Numeric(0, 59, 0.2);
    const std::string hour = Numeric(0, 23, 0.35);
    const bool any_month = Chance(0.6);
    const std::string month = any_month ? "*" : Month();
    std::string day_of_month = "*";
    std::string day_of_week = "*";
    const int mode = Uniform(0, 99);
    if (mode >= 50 && mode < 65) day_of_month = DayOfMonth(any_month);
    if (mode >= 65 && mode < 85) day_of_week = DayOfWeek(false, any_month).first;
    if (mode >= 85) {  // both restricted: the Vixie rule
      day_of_month = DayOfMonth(any_month);
      day_of_week = DayOfWeek(false, any_month).first;
    }
    r.ours = r.theirs = Join({minute, hour, day_of_month, month, day_of_week});
    Place(r);
    return r;
  }

  Request Quartz() {
    Request r;
    const std::string second = Chance(0.6) ? "0" : Numeric(0, 59, 0.1);
    const std::string minute = Numeric(0, 59, 0.2);
    const std::string hour = Numeric(0, 23, 0.35);
    const bool any_month = Chance(0.6);
    const std::string month = any_month ? "*" : Month();
    const int mode = Uniform(0, 99);
    std::string day_of_month = "*";
    std::pair<std::string, std::string> day_of_week = {"?", "*"};  // Quartz, cron-parser
    if (mode >= 40 && mode < 70) day_of_month = DayOfMonth(any_month);
    if (mode >= 70) {
      day_of_month = "?";
      day_of_week = DayOfWeek(true, any_month);
    }
    std::vector<std::string> ours = {second, minute, hour, day_of_month, month, day_of_week.first};
    if (const int year = Uniform(0, 9); year >= 7) ours.push_back(year == 7 ? "*" : "2026-2099");
    r.ours = Join(ours);
    r.theirs =
        Join({second, minute, hour, day_of_month == "?" ? "*" : day_of_month, month, day_of_week.second});
    Place(r);
    return r;
  }

  //! A fixed expression in a random zone, from a start near one of its transitions.
  Request Fixed(const std::string& ours, const std::string& theirs) {
    Request r{ours, theirs, "", absl::Time()};
    Place(r, /*near_transition=*/true);
    return r;
  }

 private:
  int Uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  static std::string Join(const std::vector<std::string>& fields) {
    std::string out;
    for (const std::string& f : fields) out += (out.empty() ? "" : " ") + f;
    return out;
  }

  //! `*`, a value, a range, steps or a list of distinct values in [low, high].
  std::string Numeric(int low, int high, double star) {
    if (Chance(star)) return "*";
    const int a = Uniform(low, high - 1);
    const int b = Uniform(a + 1, high);
    const int step = Uniform(2, std::max(2, (high - low) / 3));
    switch (Uniform(0, 5)) {
      case 0: return std::to_string(a);
      case 1: return std::to_string(a) + "-" + std::to_string(b);
      case 2: return "*/" + std::to_string(step);
      case 3: return std::to_string(a) + "-" + std::to_string(b) + "/" + std::to_string(step);
      case 4: return std::to_string(a) + "/" + std::to_string(step);
      default: {
        std::vector<int> values;
        for (int v = low; v <= high; ++v) {
          if (Chance(3.0 / (high - low + 1))) values.push_back(v);
        }
        if (values.empty()) values.push_back(a);
        std::string out;
        for (int v : values) out += (out.empty() ? "" : ",") + std::to_string(v);
        return out;
      }
    }
  }

  std::string Month() {
    if (Chance(0.7)) return Numeric(1, 12, 0);
    const int a = Uniform(0, 10);
    return Chance(0.5) ? kMonthNames[a] : std::string(kMonthNames[a]) + "-" + kMonthNames[Uniform(a + 1, 11)];
  }

  std::string DayOfMonth(bool any_month) {
    if (Chance(0.15)) return "L";
    return Numeric(1, any_month ? 31 : 28, 0);
  }

  //! The same days of the week as {Quartz (1 = Sunday) or Unix, cron-parser (0 = Sunday)}.
  std::pair<std::string, std::string> DayOfWeek(bool quartz, bool any_month) {
    const bool names = Chance(0.4);
    auto ours = [&](int day) { return names ? kDayNames[day] : std::to_string(quartz ? day + 1 : day); };
    auto theirs = [&](int day) { return names ? kDayNames[day] : std::to_string(day); };
    const int a = Uniform(0, 5);
    const int b = Uniform(a + 1, 6);
    const std::string step = std::to_string(Uniform(2, 3));
    switch (Uniform(0, 8)) {
      case 0: return {ours(a), theirs(a)};
      case 1: return {ours(a) + "-" + ours(b), theirs(a) + "-" + theirs(b)};
      case 2: return {"*/" + step, "*/" + step};  // Quartz 1-7 and Unix 0-7 step to the same days
      case 3: return {ours(a) + "-" + ours(b) + "/" + step, theirs(a) + "-" + theirs(b) + "/" + step};
      case 4:  // Quartz a/n runs to Saturday; Unix a/n to 7 (Sunday again)
        return {ours(a) + "/" + step, quartz ? theirs(a) + "-6/" + step : theirs(a) + "/" + step};
      case 5: return {ours(a) + "," + ours(b), theirs(a) + "," + theirs(b)};
      case 6: return {std::to_string(quartz ? a + 1 : a) + "L", std::to_string(a) + "L"};
      case 7: {
        const std::string nth = std::to_string(Uniform(1, any_month ? 5 : 4));
        return {ours(a) + "#" + nth, theirs(a) + "#" + nth};
      }
      default:
        return quartz ? std::pair<std::string, std::string>{"7", "6"}
                      : std::pair<std::string, std::string>{"7", "7"};  // Saturday / Sunday
    }
  }

  //! A zone and a start in 2026-2027; a third of them a few hours before a time change.
  void Place(Request& r, bool near_transition = false) {
    r.zone = kZones[Uniform(0, 4)];
    if (near_transition && r.zone == std::string("UTC")) r.zone = "America/New_York";
    r.start =
        absl::FromUnixSeconds(absl::ToUnixSeconds(At("2026-01-01T00:00:00Z")) + Uniform(0, 730 * 86400));
    absl::TimeZone zone;
    absl::LoadTimeZone(r.zone, &zone);
    absl::TimeZone::CivilTransition transition;
    if ((near_transition || Chance(0.33)) && zone.NextTransition(r.start, &transition)) {
      r.start = zone.At(transition.from).trans - absl::Minutes(Uniform(10, 600));
    }
    if (Chance(0.1)) r.start += absl::Milliseconds(500);
  }

  std::mt19937 rng_;
};

std::string OurFires(const Request& r) {
  Result<CronExpression> cron = CronExpression::Parse(r.ours);
  if (!cron.ok()) return "error: " + cron.status().message();
  const absl::TimeZone zone = *LoadTimeZone(r.zone);
  std::string out;
  absl::Time t = r.start;
  for (int i = 0; i < kFires; ++i) {
    std::optional<absl::Time> next = cron->Next(t, zone);
    if (!next) break;
    out += (out.empty() ? "" : " ") + Iso(*next);
    t = *next;
  }
  return out;
}

//! Runs tests/js/cron_next.mjs on all requests; one answer line per request.
std::vector<std::string> TheirFires(const std::vector<Request>& requests) {
  Result<std::string> dir = MakeTempDir("sluice-cron-reference");
  EXPECT_TRUE(dir.ok());
  if (!dir.ok()) return {};
  const std::string in = *dir + "/requests.tsv";
  const std::string out = *dir + "/answers.txt";
  {
    std::ofstream file(in);
    for (const Request& r : requests)
      file << r.theirs << '\t' << r.zone << '\t' << Iso(r.start) << '\t' << kFires << '\n';
  }
  const std::string command =
      std::string("node ") + SLUICE_SOURCE_DIR + "/tests/js/cron_next.mjs < " + in + " > " + out;
  const int status = std::system(command.c_str());
  EXPECT_EQ(status, 0) << command << " (is Node.js there and `npm install` done in tests/js?)";
  std::vector<std::string> answers;
  std::ifstream file(out);
  for (std::string line; std::getline(file, line);) answers.push_back(line);
  RemoveTreeIgnoringErrors(*dir);
  return answers;
}

void Compare(const std::vector<Request>& requests) {
  const std::vector<std::string> theirs = TheirFires(requests);
  ASSERT_EQ(theirs.size(), requests.size());
  int mismatches = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    const Request& r = requests[i];
    const std::string ours = OurFires(r);
    EXPECT_EQ(std::count(ours.begin(), ours.end(), ' '), kFires - 1) << r.ours << ": " << ours;
    if (ours != theirs[i] && ++mismatches <= 20) {
      ADD_FAILURE() << "'" << r.ours << "' (cron-parser: '" << r.theirs << "') in " << r.zone << " after "
                    << Iso(r.start) << "\n  sluice:      " << ours << "\n  cron-parser: " << theirs[i];
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << requests.size();
}

TEST(CronReferenceTest, UnixExpressionsMatchCronParser) {
  Generator generator(20261130);
  std::vector<Request> requests;
  for (const char* seed :
       {"0 */6 * * *", "0 2 * * 1-5", "0 0 1 * *", "30 2 * * *", "*/20 1 * * *", "0 * * * *"}) {
    for (int i = 0; i < 5; ++i) requests.push_back(generator.Fixed(seed, seed));
  }
  for (int i = 0; i < 250; ++i) requests.push_back(generator.Unix());
  Compare(requests);
}

TEST(CronReferenceTest, QuartzExpressionsMatchCronParser) {
  Generator generator(5);
  std::vector<Request> requests;
  for (int i = 0; i < 5; ++i) requests.push_back(generator.Fixed("0 0 */6 * * ?", "0 0 */6 * * *"));
  for (int i = 0; i < 250; ++i) requests.push_back(generator.Quartz());
  Compare(requests);
}

}  // namespace
}  // namespace sluice
