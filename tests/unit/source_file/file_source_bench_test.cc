// Throughput of the CSV path, disabled by default. Run:
//   unit_source_file --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'
// SLUICE_BENCH_MB sets the generated file's size (default 200); SLUICE_BENCH_FILE keeps it there
// (and reuses it next time).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>

#include "formats/csv/csv_reader.h"
#include "test_util.h"

namespace sluice {
namespace {

// Counts rows and drops the batches.
class CountingEmitter : public Emitter {
 public:
  Status Emit(RecordBatch batch) override {
    rows += batch.num_rows();
    ++batches;
    return Status::Ok();
  }
  Status EmitState(StateMessage) override { return Status::Ok(); }
  Status EmitStreamStatus(uint32_t, StreamStatus) override { return Status::Ok(); }
  bool cancelled() const override { return false; }
  uint64_t rows = 0;
  uint64_t batches = 0;
};

std::string Generate(const testing::TempDir& dir, size_t megabytes) {
  const std::string path = dir.Path("bench.csv");
  std::ofstream f(path, std::ios::binary);
  f << "id,user_id,amount,quantity,status,name,created_at\n";
  static const char* kStatus[] = {"paid", "pending", "refunded", "shipped"};
  static const char* kNames[] = {"Alice Smith", "Bob Jones", "Carol \"CJ\" White", "Dan Brown, Jr.", "Eve"};
  std::string chunk;
  size_t written = 0;
  uint64_t id = 1;
  uint64_t x = 88172645463325252ull;
  while (written < megabytes << 20) {
    chunk.clear();
    for (int i = 0; i < 10000; ++i, ++id) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      char line[256];
      const char* name = kNames[x % 5];
      const bool quote = name[0] == 'C' || name[0] == 'D';
      std::string quoted = quote ? "\"" + std::string(name) + "\"" : name;
      if (name[0] == 'C') quoted = "\"Carol \"\"CJ\"\" White\"";
      const int n = std::snprintf(line, sizeof(line), "%llu,%llu,%llu.%02llu,%llu,%s,%s,2024-%02llu-%02llu %02llu:%02llu:%02llu\n",
                                  static_cast<unsigned long long>(id), static_cast<unsigned long long>(x % 100000),
                                  static_cast<unsigned long long>(x % 10000), static_cast<unsigned long long>(x % 100),
                                  static_cast<unsigned long long>(x % 20), kStatus[(x >> 8) % 4], quoted.c_str(),
                                  static_cast<unsigned long long>(x % 12 + 1), static_cast<unsigned long long>(x % 28 + 1),
                                  static_cast<unsigned long long>(x % 24), static_cast<unsigned long long>(x % 60),
                                  static_cast<unsigned long long>((x >> 5) % 60));
      chunk.append(line, static_cast<size_t>(n));
    }
    f << chunk;
    written += chunk.size();
  }
  return path;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU seconds of this process (the machine may be shared, so wall time overstates).
double CpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

TEST(FileSourceBench, DISABLED_CsvThroughput) {
  const char* env = std::getenv("SLUICE_BENCH_MB");
  const size_t megabytes = env ? static_cast<size_t>(std::atoi(env)) : 200;
  testing::TempDir dir;
  const char* existing = std::getenv("SLUICE_BENCH_FILE");  // reuse a generated file
  const std::string path = existing && std::filesystem::exists(existing) ? std::string(existing) : Generate(dir, megabytes);
  if (existing && path != existing) std::filesystem::copy_file(path, existing);
  const double mb = static_cast<double>(std::filesystem::file_size(path)) / (1 << 20);

  // Parsing alone.
  for (int round = 0; round < 2; ++round) {
    auto start = std::chrono::steady_clock::now();
    const double cpu = CpuSeconds();
    auto input = OpenInputFile(path);
    ASSERT_TRUE(input.ok());
    auto reader = CsvReader::Open(std::move(*input), {});
    ASSERT_TRUE(reader.ok());
    uint64_t rows = 0;
    size_t bytes = 0;
    while (true) {
      auto got = (*reader)->Next();
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      if (!*got) break;
      ++rows;
      bytes += (*reader)->row()[0].size();
    }
    const double s = Seconds(start);
    const double c = CpuSeconds() - cpu;
    std::printf("CsvReader: %.0f MB, %llu rows in %.2f s (%.2f s CPU) = %.0f MB/s per core (%llu)\n", mb,
                static_cast<unsigned long long>(rows), s, c, mb / c, static_cast<unsigned long long>(bytes));
  }

  // The whole source: parse, convert to typed columns, build batches.
  const Json config = {{"streams", Json::array({{{"name", "orders"}, {"path", path}}})}};
  auto source = MakeFileSource();
  auto start = std::chrono::steady_clock::now();
  auto catalog = source->Discover(config);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  std::printf("Discover (infer 10000 rows): %.3f s; columns:", Seconds(start));
  for (const auto& c : testing::ColumnTypes(catalog->streams[0])) std::printf(" %s", c.c_str());
  std::printf("\n");
  auto configured = testing::ConfigureAll(*catalog);
  ASSERT_TRUE(configured.ok());
  for (int round = 0; round < 2; ++round) {
    CountingEmitter out;
    start = std::chrono::steady_clock::now();
    const double cpu = CpuSeconds();
    Status st = source->Read(config, *configured, StateStore(), out);
    ASSERT_TRUE(st.ok()) << st.ToString();
    const double s = Seconds(start);
    const double c = CpuSeconds() - cpu;
    std::printf("source-file read: %.0f MB, %llu rows, %llu batches in %.2f s (%.2f s CPU) = %.0f MB/s, %.2f M rows/s per core\n",
                mb, static_cast<unsigned long long>(out.rows), static_cast<unsigned long long>(out.batches), s, c,
                mb / c, static_cast<double>(out.rows) / c / 1e6);
  }
}

TEST(FileSourceBench, DISABLED_JsonlThroughput) {
  const char* env = std::getenv("SLUICE_BENCH_MB");
  const size_t megabytes = env ? static_cast<size_t>(std::atoi(env)) : 200;
  testing::TempDir dir;
  const std::string path = dir.Path("bench.jsonl");
  {
    std::ofstream f(path, std::ios::binary);
    std::string chunk;
    size_t written = 0;
    uint64_t id = 1;
    while (written < megabytes << 20) {
      chunk.clear();
      for (int i = 0; i < 10000; ++i, ++id) {
        chunk += "{\"id\":" + std::to_string(id) + ",\"user_id\":" + std::to_string(id * 7919 % 100000) +
                 ",\"amount\":" + std::to_string(id % 10000) + ".5,\"status\":\"paid\",\"name\":\"Alice Smith\"," +
                 "\"tags\":[\"a\",\"b\"],\"created_at\":\"2024-01-02T03:04:05Z\"}\n";
      }
      f << chunk;
      written += chunk.size();
    }
  }
  const double mb = static_cast<double>(std::filesystem::file_size(path)) / (1 << 20);
  const Json config = {{"streams", Json::array({{{"name", "events"}, {"path", path}}})}};
  auto source = MakeFileSource();
  auto catalog = source->Discover(config);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  auto configured = testing::ConfigureAll(*catalog);
  ASSERT_TRUE(configured.ok());
  CountingEmitter out;
  const auto start = std::chrono::steady_clock::now();
  const double cpu = CpuSeconds();
  Status st = source->Read(config, *configured, StateStore(), out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  const double c = CpuSeconds() - cpu;
  std::printf("source-file jsonl read: %.0f MB, %llu rows in %.2f s (%.2f s CPU) = %.0f MB/s, %.2f M rows/s per core\n",
              mb, static_cast<unsigned long long>(out.rows), Seconds(start), c, mb / c,
              static_cast<double>(out.rows) / c / 1e6);
}

}  // namespace
}  // namespace sluice
