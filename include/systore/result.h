// Result<T>: a value or the Status that explains why there is none.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "systore/status.h"

namespace systore {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }

  const T& ValueOrDie() const& { return std::get<T>(v_); }
  T& ValueOrDie() & { return std::get<T>(v_); }
  T ValueOrDie() && { return std::move(std::get<T>(v_)); }
  const T& operator*() const& { return ValueOrDie(); }
  T& operator*() & { return ValueOrDie(); }
  const T* operator->() const { return &ValueOrDie(); }
  T* operator->() { return &ValueOrDie(); }
  T MoveValueUnsafe() { return std::move(std::get<T>(v_)); }

 private:
  std::variant<T, Status> v_;
};

template <typename T>
Status ToStatus(const Result<T>& r) {
  return r.status();
}

}  // namespace systore

/// `SYSTORE_ASSIGN_OR_RAISE(auto x, F())`: assigns the value or returns the Status.
#define SYSTORE_ASSIGN_OR_RAISE(lhs, rexpr) SYSTORE_ASSIGN_OR_RAISE_IMPL(SYSTORE_CONCAT(_res_, __COUNTER__), lhs, rexpr)
#define SYSTORE_ASSIGN_OR_RAISE_IMPL(res, lhs, rexpr) \
  auto res = (rexpr);                                 \
  if (!res.ok()) return res.status();                 \
  lhs = std::move(res).MoveValueUnsafe();
