// sluice_mysql_load: a steady stream of single-row changes against MariaDB/MySQL, for the CDC lag
// benchmark (bench/mysql_bench.sh). Not part of sluice.
//
//   sluice_mysql_load SOCKET DATABASE RATE SECONDS CONNECTIONS IDS
//
// Commits RATE changes per second for SECONDS seconds on CONNECTIONS connections (root over the
// Unix socket), each its own autocommit transaction on table `l (id BIGINT PRIMARY KEY, v BIGINT,
// note VARCHAR(16), ts TIMESTAMP(6))`: 9 in 10 upsert a random id in 1..IDS (note 'i' when new,
// 'u' when updated, ts = NOW(6) — the change's commit time, to within the statement), 1 in 10
// deletes one. Change k is due at start + k/RATE (an open-loop schedule, like pgbench -R): a slow
// server makes changes late rather than fewer. Prints the changes made, the rate achieved and
// how late the last ones were.
#include <mysql.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

uint64_t Mix(uint64_t x) {  // splitmix64: a deterministic id per change
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s SOCKET DATABASE RATE SECONDS CONNECTIONS IDS\n", argv[0]);
    return 2;
  }
  const std::string socket = argv[1], database = argv[2];
  const double rate = std::atof(argv[3]), seconds = std::atof(argv[4]);
  const int connections = std::atoi(argv[5]);
  const uint64_t ids = std::strtoull(argv[6], nullptr, 10);
  const uint64_t total = static_cast<uint64_t>(rate * seconds);
  mysql_library_init(0, nullptr, nullptr);
  std::atomic<uint64_t> done{0}, errors{0};
  std::atomic<int64_t> worst_late_us{0};
  const auto start = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  auto work = [&](int worker) {
    mysql_thread_init();
    MYSQL* m = mysql_init(nullptr);
    if (mysql_real_connect(m, nullptr, "root", nullptr, database.c_str(), 0, socket.c_str(), 0) == nullptr ||
        mysql_query(m, "SET time_zone = '+00:00', autocommit = 1") != 0) {
      std::fprintf(stderr, "connect: %s\n", mysql_error(m));
      errors += total;
      return;
    }
    char sql[256];
    for (uint64_t k = static_cast<uint64_t>(worker); k < total; k += static_cast<uint64_t>(connections)) {
      const auto due = start + std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(k) * 1e9 / rate));
      const auto now = std::chrono::steady_clock::now();
      if (now < due) {
        std::this_thread::sleep_until(due);
      } else {
        const int64_t late = std::chrono::duration_cast<std::chrono::microseconds>(now - due).count();
        int64_t seen = worst_late_us.load();
        while (late > seen && !worst_late_us.compare_exchange_weak(seen, late)) {
        }
      }
      const uint64_t h = Mix(k);
      const uint64_t id = h % ids + 1;
      if ((h >> 32) % 10 == 0) {
        std::snprintf(sql, sizeof sql, "DELETE FROM l WHERE id = %llu", static_cast<unsigned long long>(id));
      } else {
        std::snprintf(sql, sizeof sql,
                      "INSERT INTO l (id, v, note, ts) VALUES (%llu, 1, 'i', NOW(6)) "
                      "ON DUPLICATE KEY UPDATE v = v + 1, note = 'u', ts = NOW(6)",
                      static_cast<unsigned long long>(id));
      }
      if (mysql_query(m, sql) != 0) {
        if (errors++ < 5) std::fprintf(stderr, "change %llu: %s\n", static_cast<unsigned long long>(k), mysql_error(m));
        continue;
      }
      ++done;
    }
    mysql_close(m);
    mysql_thread_end();
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < connections; ++w) threads.emplace_back(work, w);
  for (auto& t : threads) t.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%llu %.0f %.1f %llu\n", static_cast<unsigned long long>(done.load()),
              static_cast<double>(done.load()) / elapsed, static_cast<double>(worst_late_us.load()) / 1000.0,
              static_cast<unsigned long long>(errors.load()));
  mysql_library_end();
  return errors.load() == 0 ? 0 : 1;
}
