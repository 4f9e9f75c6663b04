#include "worker/resource_limits.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace sluice {

namespace {

// "512Mi" → (512, "Mi"); the number may be decimal or use an exponent.
bool SplitQuantity(std::string_view text, double& number, std::string& suffix) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty()) return false;
  size_t end = 0;
  while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.' ||
                               text[end] == '+' || text[end] == '-' ||
                               ((text[end] == 'e' || text[end] == 'E') && end + 1 < text.size() &&
                                (std::isdigit(static_cast<unsigned char>(text[end + 1])) || text[end + 1] == '-' ||
                                 text[end + 1] == '+')))) {
    ++end;
  }
  if (end == 0) return false;
  const std::string digits(text.substr(0, end));
  char* parse_end = nullptr;
  errno = 0;
  number = std::strtod(digits.c_str(), &parse_end);
  if (errno != 0 || parse_end != digits.c_str() + digits.size() || !std::isfinite(number) || number < 0) return false;
  suffix = std::string(text.substr(end));
  return true;
}

Result<std::string> QuantityText(const Json& value, std::string_view field) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return value.dump();
  return Status::ConfigError(fmt::format("{}: must be a quantity such as \"1Gi\" or \"0.5\"", field));
}

// Reads the quantity `key` of `r` (absent, null or "" = no limit) with `parse` and keeps the larger
// of it and `into`.
template <typename T>
Status ReadLargerQuantity(const Json& r, const std::string& prefix, const char* key,
                          Result<T> (*parse)(std::string_view, std::string_view), std::optional<T>& into) {
  auto it = r.find(key);
  if (it == r.end() || it->is_null()) return Status::Ok();
  const std::string field = prefix + key;
  SLUICE_ASSIGN_OR_RETURN(std::string text, QuantityText(*it, field));
  if (text.empty()) return Status::Ok();
  SLUICE_ASSIGN_OR_RETURN(T value, parse(text, field));
  if (!into || value > *into) into = value;
  return Status::Ok();
}

Status ReadFlat(const Json& r, std::string_view where, ResourceLimits& out) {
  if (!r.is_object()) return Status::ConfigError(fmt::format("{}: must be an object", where));
  const std::string prefix = where.empty() ? "" : std::string(where) + ".";
  SLUICE_RETURN_IF_ERROR(ReadLargerQuantity(r, prefix, "memory_limit", &ParseMemoryQuantity, out.memory_limit_bytes));
  return ReadLargerQuantity(r, prefix, "cpu_limit", &ParseCpuQuantity, out.cpu_limit);
}

bool WriteText(const std::string& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

// The cgroup v2 folder of this process, or "" (cgroup v1 only, or not mounted).
std::string OwnCgroupV2Dir() {
  std::ifstream cgroup("/proc/self/cgroup");
  std::string line, path;
  bool found = false;
  while (std::getline(cgroup, line)) {
    if (line.rfind("0::", 0) == 0) {
      path = line.substr(3);
      found = true;
    }
  }
  if (!found) return "";
  std::ifstream mounts("/proc/self/mountinfo");
  while (std::getline(mounts, line)) {
    // "... <mount point> ... - cgroup2 cgroup2 rw"
    const size_t dash = line.find(" - cgroup2 ");
    if (dash == std::string::npos) continue;
    std::istringstream fields(line.substr(0, dash));
    std::string id, parent, dev, root, mount_point;
    fields >> id >> parent >> dev >> root >> mount_point;
    if (root != "/" && path.rfind(root, 0) == 0) path = path.substr(root.size());
    return mount_point + (path == "/" ? "" : path);
  }
  return "";
}

}  // namespace

Result<int64_t> ParseMemoryQuantity(std::string_view text, std::string_view field) {
  double number = 0;
  std::string suffix;
  if (!SplitQuantity(text, number, suffix)) {
    return Status::ConfigError(fmt::format("{}: \"{}\" is not a memory quantity (e.g. \"1Gi\", \"512Mi\")", field, text));
  }
  static const std::pair<const char*, double> kSuffixes[] = {
      {"", 1},          {"k", 1e3},          {"K", 1e3},          {"M", 1e6},          {"G", 1e9},
      {"T", 1e12},      {"Ki", 1024.0},      {"Mi", 1048576.0},   {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
      {"m", 1e-3},
  };
  for (const auto& [name, factor] : kSuffixes) {
    if (suffix == name) {
      const double bytes = std::ceil(number * factor);
      if (bytes < 1 || bytes > 9e18) break;
      return static_cast<int64_t>(bytes);
    }
  }
  return Status::ConfigError(fmt::format("{}: \"{}\" is not a memory quantity (e.g. \"1Gi\", \"512Mi\")", field, text));
}

Result<double> ParseCpuQuantity(std::string_view text, std::string_view field) {
  double number = 0;
  std::string suffix;
  if (SplitQuantity(text, number, suffix) && (suffix.empty() || suffix == "m")) {
    const double cores = suffix == "m" ? number / 1000 : number;
    if (cores > 0) return cores;
  }
  return Status::ConfigError(fmt::format("{}: \"{}\" is not a CPU quantity (e.g. \"2\", \"0.5\", \"500m\")", field, text));
}

Result<ResourceLimits> ParseResourceRequirements(const Json& requirements) {
  ResourceLimits out;
  if (requirements.is_null()) return out;
  if (!requirements.is_object()) return Status::ConfigError("resourceRequirements: must be an object");
  SLUICE_RETURN_IF_ERROR(ReadFlat(requirements, "resourceRequirements", out));
  for (const char* side : {"source", "destination"}) {
    if (auto it = requirements.find(side); it != requirements.end() && !it->is_null()) {
      SLUICE_RETURN_IF_ERROR(ReadFlat(*it, std::string("resourceRequirements.") + side, out));
    }
  }
  return out;
}

std::string FormatMiB(int64_t bytes) {
  const double mib = static_cast<double>(bytes) / 1048576.0;
  if (std::fabs(mib - std::round(mib)) < 0.05) return fmt::format("{:.0f} MiB", mib);
  return fmt::format("{:.1f} MiB", mib);
}

std::optional<int64_t> ReadRssBytes(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/status", static_cast<int>(pid));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  const char* line = std::strstr(buf, "VmRSS:");
  if (line == nullptr) return std::nullopt;  // a zombie has no VmRSS
  line += 6;
  while (*line == ' ' || *line == '\t') ++line;
  int64_t kib = 0;
  auto [end, ec] = std::from_chars(line, buf + n, kib);
  if (ec != std::errc()) return std::nullopt;
  return kib * 1024;
}

CpuLimiter::CpuLimiter(double cpu_limit, const std::string& name) : cpu_limit_(cpu_limit) {
  const std::string own = OwnCgroupV2Dir();
  if (!own.empty()) {
    std::ifstream control(own + "/cgroup.subtree_control");
    std::string controllers;
    std::getline(control, controllers);
    if ((" " + controllers + " ").find(" cpu ") != std::string::npos) {
      const std::string dir = own + "/" + name;
      if (::mkdir(dir.c_str(), 0755) == 0) {
        const int64_t period = 100'000;
        const int64_t quota = std::max<int64_t>(1000, static_cast<int64_t>(cpu_limit * period));
        if (WriteText(dir + "/cpu.max", fmt::format("{} {}", quota, period))) {
          cgroup_dir_ = dir;
        } else {
          ::rmdir(dir.c_str());
        }
      }
    }
  }
  if (cgroup_dir_.empty()) {
    use_affinity_ = true;
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
      for (int i = 0; i < 2; ++i) CPU_SET(i, &allowed);
    }
    const int available = CPU_COUNT(&allowed);
    cores_ = std::clamp(static_cast<int>(std::ceil(cpu_limit)), 1, std::max(1, available));
    cpu_set_t mask;
    CPU_ZERO(&mask);
    int taken = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && taken < cores_; ++cpu) {
      if (CPU_ISSET(cpu, &allowed)) {
        if (taken == 0) first_cpu_ = cpu;
        CPU_SET(cpu, &mask);
        ++taken;
      }
    }
    mask_size_ = std::min(sizeof(mask), sizeof(mask_));
    std::memcpy(mask_, &mask, mask_size_);
  }
}

CpuLimiter::~CpuLimiter() {
  if (!cgroup_dir_.empty()) ::rmdir(cgroup_dir_.c_str());
}

void CpuLimiter::ApplyInChild() const {
  if (!use_affinity_) return;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  std::memcpy(&mask, mask_, mask_size_);
  sched_setaffinity(0, sizeof(mask), &mask);
}

std::string CpuLimiter::ApplyInParent(pid_t pid) {
  if (!cgroup_dir_.empty()) {
    if (WriteText(cgroup_dir_ + "/cgroup.procs", std::to_string(pid))) {
      return fmt::format("cpu limit {} core(s): cgroup v2 cpu.max in {}", cpu_limit_, cgroup_dir_);
    }
    return fmt::format("cpu limit {} core(s): could not move the attempt into {}; not enforced", cpu_limit_,
                       cgroup_dir_);
  }
  return fmt::format("cpu limit {} core(s): no writable cgroup v2 with the cpu controller, pinned to {} core(s) "
                     "(sched_setaffinity, from cpu {})",
                     cpu_limit_, cores_, first_cpu_);
}

}  // namespace sluice
