// A standalone driver for the fuzz targets when they are not built with clang's libFuzzer (the
// GCC build of `make test`): replays every corpus file, then runs `-runs=N` inputs made by
// mutating corpus entries with a seeded generator (`-seed=S`, reproducible), each through
// LLVMFuzzerTestOneInput. Flags and arguments follow libFuzzer's: directories or files are the
// corpus, `-max_len=N` bounds an input. A crash (signal) writes the input that caused it to
// `crash-<target>-<iteration>` in the working directory and re-raises, so the test fails and the
// input can be replayed (`fuzz_<target> crash-…`) under a debugger or the ASan build.
//
// The mutations are libFuzzer's simplest ones (bit flips, byte sets, interesting values,
// inserts, erases, duplicated chunks, splices of two entries); coverage guidance is the real
// libFuzzer's job (`make fuzz`).
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

std::string current_input;     // what the target is running on, for the crash handler
std::string crash_name;        // where the crash handler writes it

void OnCrash(int sig) {
  FILE* f = std::fopen(crash_name.c_str(), "wb");
  if (f != nullptr) {
    std::fwrite(current_input.data(), 1, current_input.size(), f);
    std::fclose(f);
  }
  const char msg[] = "fuzz_driver: crash; the input was written to the file named above\n";
  (void)!write(2, crash_name.c_str(), crash_name.size());
  (void)!write(2, "\n", 1);
  (void)!write(2, msg, sizeof msg - 1);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void Run(const std::string& input) {
  current_input = input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Mutate(std::string s, const std::vector<std::string>& corpus, std::mt19937_64& rng, size_t max_len) {
  static const uint8_t kInteresting[] = {0, 1, 0x7f, 0x80, 0xff, '"', '\\', ',', '\n', '\r', '{', '}', '[', ']',
                                         ':', '<', '>', '*', '/', '-', '\'', 0xc3, 0xf0};
  const int steps = 1 + static_cast<int>(rng() % 4);
  for (int k = 0; k < steps; ++k) {
    const size_t n = s.size();
    switch (rng() % 8) {
      case 0:
        if (n > 0) s[rng() % n] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:
        if (n > 0) s[rng() % n] = static_cast<char>(rng());
        break;
      case 2:
        if (n > 0) s[rng() % n] = static_cast<char>(kInteresting[rng() % sizeof kInteresting]);
        break;
      case 3:
        s.insert(s.begin() + static_cast<long>(n == 0 ? 0 : rng() % (n + 1)),
                 static_cast<char>(kInteresting[rng() % sizeof kInteresting]));
        break;
      case 4:
        if (n > 0) {
          const size_t at = rng() % n;
          s.erase(at, 1 + rng() % std::min<size_t>(16, n - at));
        }
        break;
      case 5:
        if (n > 0) {  // duplicate a chunk somewhere
          const size_t at = rng() % n;
          const std::string chunk = s.substr(at, 1 + rng() % std::min<size_t>(64, n - at));
          s.insert(rng() % (s.size() + 1), chunk);
        }
        break;
      case 6:
        if (!corpus.empty()) {  // splice: our head, another entry's tail
          const std::string& other = corpus[rng() % corpus.size()];
          const size_t cut = n == 0 ? 0 : rng() % n;
          const size_t from = other.empty() ? 0 : rng() % other.size();
          s = s.substr(0, cut) + other.substr(from);
        }
        break;
      case 7:
        if (n >= 4) {  // a multi-byte integer set to an extreme (lengths, counts)
          const size_t at = rng() % (n - 3);
          const uint32_t v = (rng() % 2) ? 0xffffffffu : static_cast<uint32_t>(rng() % 70000);
          std::memcpy(&s[at], &v, 4);
        }
        break;
    }
  }
  if (s.size() > max_len) s.resize(max_len);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  long runs = 0;
  uint64_t seed = 1;
  size_t max_len = 1 << 16;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("-runs=", 0) == 0) {
      runs = std::atol(a.c_str() + 6);
    } else if (a.rfind("-seed=", 0) == 0) {
      seed = std::strtoull(a.c_str() + 6, nullptr, 10);
    } else if (a.rfind("-max_len=", 0) == 0) {
      max_len = std::strtoull(a.c_str() + 9, nullptr, 10);
    } else if (a.rfind("-", 0) == 0) {
      // other libFuzzer flags (-max_total_time, …) mean nothing here
    } else {
      inputs.emplace_back(a);
    }
  }
  const std::string target = fs::path(argv[0]).filename().string();
  std::vector<std::string> corpus;
  for (const fs::path& p : inputs) {
    if (fs::is_directory(p)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) corpus.push_back(ReadFile(f));
    } else {
      corpus.push_back(ReadFile(p));
    }
  }
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, OnCrash);
  crash_name = "crash-" + target + "-corpus";
  for (const std::string& c : corpus) Run(c);
  Run("");
  std::mt19937_64 rng(seed);
  for (long i = 0; i < runs; ++i) {
    std::string base = corpus.empty() ? std::string() : corpus[rng() % corpus.size()];
    crash_name = "crash-" + target + "-" + std::to_string(seed) + "-" + std::to_string(i);
    Run(Mutate(std::move(base), corpus, rng, max_len));
  }
  std::cout << target << ": " << corpus.size() << " corpus input(s) and " << runs << " mutated input(s) (seed "
            << seed << ") ran without a crash\n";
  return 0;
}
