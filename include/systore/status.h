// Status: the outcome of an operation at a module boundary.
//
// A Status is OK or carries a code from a closed set, a message that names where the
// problem is (file, line, field, offending value) and whether retrying may succeed.
// Status is cheap to copy when OK (no allocation) and is never thrown.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace systore {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,  // the caller's input is wrong; fix the input
  kNotFound = 2,         // a dataset, series, version or file does not exist
  kAlreadyExists = 3,
  kCorruption = 4,   // stored bytes fail a check; the store needs attention
  kIOError = 5,      // the operating system refused a read/write
  kConflict = 6,     // a concurrent writer won; retrying may succeed
  kUnavailable = 7,  // a server or lock is unavailable right now
  kNotImplemented = 8,
  kInternal = 9,  // a bug in systore
};

/// Returns the stable name of a code ("InvalidArgument", ...).
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message, bool retryable = false);

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {StatusCode::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {StatusCode::kAlreadyExists, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status Conflict(std::string msg) { return {StatusCode::kConflict, std::move(msg), true}; }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg), true}; }
  static Status NotImplemented(std::string msg) { return {StatusCode::kNotImplemented, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  const std::string& message() const;
  bool retryable() const { return state_ && state_->retryable; }

  bool IsInvalidArgument() const { return code() == StatusCode::kInvalidArgument; }
  bool IsNotFound() const { return code() == StatusCode::kNotFound; }
  bool IsConflict() const { return code() == StatusCode::kConflict; }
  bool IsCorruption() const { return code() == StatusCode::kCorruption; }

  /// "InvalidArgument: prices.csv line 3, column 'CLOSE': not a number: 'abc'"
  std::string ToString() const;

  /// Returns a copy whose message is prefixed with `context` and ": ".
  Status WithContext(std::string_view context) const;

 private:
  struct State {
    StatusCode code;
    std::string message;
    bool retryable;
  };
  std::shared_ptr<const State> state_;  // null means OK
};

inline Status ToStatus(Status s) { return s; }

}  // namespace systore

#define SYSTORE_CONCAT_IMPL(a, b) a##b
#define SYSTORE_CONCAT(a, b) SYSTORE_CONCAT_IMPL(a, b)

/// Returns the Status from the enclosing function if `expr` is not OK.
#define SYSTORE_RETURN_NOT_OK(expr)                    \
  do {                                                 \
    ::systore::Status _st = ::systore::ToStatus(expr); \
    if (!_st.ok()) return _st;                         \
  } while (false)
