#pragma once
// Resource limits of one attempt, from a connection's `resource_requirements` (Airbyte's
// {cpu_limit, cpu_request, memory_limit, memory_request} with Kubernetes quantities such as
// "1Gi", "512Mi", "500m", "0.5"), and how the worker enforces them on the child process:
// memory by an RSS watchdog in the parent, CPU by cgroup v2 `cpu.max` when a delegated cgroup
// is writable, else by CPU affinity to ceil(cpu_limit) cores.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

struct ResourceLimits {
  std::optional<int64_t> memory_limit_bytes;  //!< the child is killed when its RSS exceeds this
  std::optional<double> cpu_limit;            //!< cores (0.5 = half a core)
};

//! A Kubernetes memory quantity in bytes: "1Gi", "512Mi", "128M", "1e9", "1000". ConfigError
//! naming `field` otherwise.
Result<int64_t> ParseMemoryQuantity(std::string_view text, std::string_view field);
//! A Kubernetes CPU quantity in cores: "2", "0.5", "500m". ConfigError naming `field` otherwise.
Result<double> ParseCpuQuantity(std::string_view text, std::string_view field);

//! The limits of `requirements`: the flat Airbyte form, or the nested {source: {…},
//! destination: {…}} form (the larger of each limit wins: both run in one process). Null or an
//! empty object → no limits. Numbers are accepted as well as strings.
Result<ResourceLimits> ParseResourceRequirements(const Json& requirements);

//! "256 MiB": a memory size for log lines.
std::string FormatMiB(int64_t bytes);

//! The resident set size of a process (VmRSS of /proc/<pid>/status), nullopt when unreadable
//! (the process is gone).
std::optional<int64_t> ReadRssBytes(pid_t pid);

//! How a CPU limit is applied to a child; decided once per attempt before it starts.
class CpuLimiter {
 public:
  //! Prepares enforcement of `cpu_limit` cores: a fresh cgroup under this process's cgroup v2
  //! folder when its `cgroup.subtree_control` enables `cpu` and it is writable, else an affinity
  //! mask of ceil(cpu_limit) cores. `name` names the cgroup (unique per attempt).
  CpuLimiter(double cpu_limit, const std::string& name);
  ~CpuLimiter();  //!< removes the cgroup (once the child is gone)
  CpuLimiter(const CpuLimiter&) = delete;
  CpuLimiter& operator=(const CpuLimiter&) = delete;

  //! Async-signal-safe: called in the forked child before exec (affinity only).
  void ApplyInChild() const;
  //! Called in the parent once the child exists (cgroup: moves it in). Returns a line for the log
  //! saying how the limit is enforced.
  std::string ApplyInParent(pid_t pid);

 private:
  double cpu_limit_;
  std::string cgroup_dir_;  // "" when affinity is used
  bool use_affinity_ = false;
  int cores_ = 0;
  int first_cpu_ = 0;
  unsigned char mask_[128] = {};  // cpu_set_t bytes, prepared before fork
  size_t mask_size_ = 0;
};

}  // namespace sluice
