#include "base/status.h"

namespace sluice {

std::string_view FailureTypeName(FailureType type) {
  switch (type) {
    case FailureType::kConfig: return "config_error";
    case FailureType::kTransient: return "transient_error";
    case FailureType::kSystem: return "system_error";
    case FailureType::kCancelled: return "cancelled";
  }
  return "system_error";
}

int ExitCodeFor(FailureType type) {
  switch (type) {
    case FailureType::kConfig: return kExitConfigError;
    case FailureType::kTransient: return kExitTransientError;
    case FailureType::kSystem: return kExitSystemError;
    case FailureType::kCancelled: return kExitCancelled;
  }
  return kExitSystemError;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  Status s = *this;
  s.message_ = std::string(context) + ": " + message_;
  return s;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string name(FailureTypeName(type_));
  for (char& c : name) if (c == '_') c = ' ';
  return name + ": " + message_;
}

}  // namespace sluice
