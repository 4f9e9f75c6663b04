#pragma once
// Status and Result<T>: the one error channel across module boundaries.
//
// A Status is OK or an error carrying a FailureType (who must act), a message for the user and
// an optional detail for logs. Exceptions from libraries are caught at adapter edges and turned
// into a Status; nothing above the adapters throws.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace sluice {

//! Who has to act on a failure; decides retries and the process exit code.
enum class FailureType {
  kConfig,     //!< the user must fix something (config, input data); never retried
  kTransient,  //!< network, lock timeout, server restarting: retry with backoff
  kSystem,     //!< a bug or an unexpected state: retry once, then fail
  kCancelled,  //!< the run was asked to stop (SIGINT/SIGTERM, cancel)
};

//! The Airbyte protocol name of a failure type ("config_error", ...).
std::string_view FailureTypeName(FailureType type);

//! Process exit codes, one per failure type (0 is success).
inline constexpr int kExitConfigError = 2;
inline constexpr int kExitTransientError = 3;
inline constexpr int kExitSystemError = 4;
inline constexpr int kExitCancelled = 130;
int ExitCodeFor(FailureType type);

class [[nodiscard]] Status {
 public:
  Status() = default;  //!< OK
  static Status Ok() { return Status(); }
  static Status ConfigError(std::string message, std::string detail = {}) {
    return Status(FailureType::kConfig, std::move(message), std::move(detail));
  }
  static Status TransientError(std::string message, std::string detail = {}) {
    return Status(FailureType::kTransient, std::move(message), std::move(detail));
  }
  static Status SystemError(std::string message, std::string detail = {}) {
    return Status(FailureType::kSystem, std::move(message), std::move(detail));
  }
  static Status Cancelled(std::string message = "cancelled") {
    return Status(FailureType::kCancelled, std::move(message), {});
  }

  bool ok() const { return !failed_; }
  bool cancelled() const { return failed_ && type_ == FailureType::kCancelled; }
  //! REQUIRES: !ok()
  FailureType failure_type() const { return type_; }
  //! For the user: says what is wrong and where.
  const std::string& message() const { return message_; }
  //! For logs: internal detail (library error text, errno, ...). Never contains secrets.
  const std::string& detail() const { return detail_; }

  //! The same error with `context + ": "` in front of the message; OK stays OK.
  Status WithContext(std::string_view context) const;
  //! "config error: <message>" for display.
  std::string ToString() const;

 private:
  Status(FailureType type, std::string message, std::string detail)
      : failed_(true), type_(type), message_(std::move(message)), detail_(std::move(detail)) {}

  bool failed_ = false;
  FailureType type_ = FailureType::kSystem;
  std::string message_;
  std::string detail_;
};

//! A value or the Status saying why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT; REQUIRES: !status.ok()

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace sluice

#define SLUICE_CONCAT_INNER(a, b) a##b
#define SLUICE_CONCAT(a, b) SLUICE_CONCAT_INNER(a, b)

//! Returns the Status from the enclosing function if `expr` is not OK.
#define SLUICE_RETURN_IF_ERROR(expr)               \
  do {                                             \
    ::sluice::Status _sluice_st = (expr);          \
    if (!_sluice_st.ok()) return _sluice_st;       \
  } while (0)

#define SLUICE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

//! `SLUICE_ASSIGN_OR_RETURN(auto x, MakeX());` assigns the value or returns the error.
#define SLUICE_ASSIGN_OR_RETURN(lhs, expr) \
  SLUICE_ASSIGN_OR_RETURN_IMPL(SLUICE_CONCAT(_sluice_result_, __LINE__), lhs, expr)
