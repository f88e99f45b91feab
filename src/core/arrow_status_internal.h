// Converts arrow::Status / arrow::Result into systore's types, once, at the adapter edge.
#pragma once

#include <arrow/result.h>
#include <arrow/status.h>

#include "systore/result.h"

namespace systore {

inline Status FromArrow(const arrow::Status& st, std::string_view context = {}) {
  if (st.ok()) return Status::OK();
  std::string msg = context.empty() ? st.message() : std::string(context) + ": " + st.message();
  switch (st.code()) {
    case arrow::StatusCode::Invalid:
    case arrow::StatusCode::TypeError:
    case arrow::StatusCode::KeyError:
      return Status::InvalidArgument(msg);
    case arrow::StatusCode::IOError:
      return Status::IOError(msg);
    case arrow::StatusCode::NotImplemented:
      return Status::NotImplemented(msg);
    case arrow::StatusCode::SerializationError:
      return Status::Corruption(msg);
    default:
      return Status::Internal(msg);
  }
}

}  // namespace systore

#define SYSTORE_RETURN_NOT_OK_ARROW(expr, ctx)                \
  do {                                                        \
    ::arrow::Status _ast = (expr);                            \
    if (!_ast.ok()) return ::systore::FromArrow(_ast, (ctx)); \
  } while (false)

#define SYSTORE_ASSIGN_OR_RAISE_ARROW(lhs, rexpr, ctx) \
  SYSTORE_ASSIGN_OR_RAISE_ARROW_IMPL(SYSTORE_CONCAT(_ares_, __COUNTER__), lhs, rexpr, ctx)
#define SYSTORE_ASSIGN_OR_RAISE_ARROW_IMPL(res, lhs, rexpr, ctx)   \
  auto res = (rexpr);                                              \
  if (!res.ok()) return ::systore::FromArrow(res.status(), (ctx)); \
  lhs = std::move(res).MoveValueUnsafe();
