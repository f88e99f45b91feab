// The order rules every backend applies the same way: a new order's record, the
// lifecycle transitions, and the arithmetic of a fill (filled quantity, quantity-
// weighted average price, commission, status, fill times). Backends only store.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "systore/order.h"
#include "systore/result.h"
#include "systore/time.h"

namespace systore::operational {

inline std::string OrderWho(OrderId id) { return "order " + std::to_string(id); }

/// The daily P&L record a fill at `t` goes to: 00:00 UTC of its day.
inline Timestamp PnlDay(Timestamp t) { return t - ((t % kNanosPerDay) + kNanosPerDay) % kNanosPerDay; }

/// The stored form of a new order: status created, nothing filled.
inline Order NewOrderRecord(OrderId id, const NewOrder& n, const std::string& attributes_json) {
  Order o;
  o.id = id;
  o.level = n.level;
  o.parent_id = n.parent_id;
  o.strategy = n.strategy;
  o.instrument = n.instrument;
  o.contract = n.contract;
  o.side = n.side;
  o.quantity = n.quantity;
  o.type = n.type;
  o.limit_price = n.limit_price;
  o.attributes_json = attributes_json;
  o.created_at = n.created_at;
  return o;
}

/// What a failed lookup of a new order's parent means.
inline Status ParentLookupError(OrderId parent, const Status& lookup) {
  return lookup.IsNotFound() ? Status::NotFound("parent " + OrderWho(parent) + " not found") : lookup;
}

/// `o` after moving to `to` (submitted, cancelled or rejected) at `at`, or
/// InvalidArgument when its status does not allow it. `verb` gets "submit", "cancel"
/// or "reject" (the audit operation is "order." + verb).
inline Result<Order> WithTransition(const Order& o, OrderStatus to, std::string_view reason, Timestamp at,
                                    std::string* verb) {
  bool allowed = false;
  switch (to) {
    case OrderStatus::kSubmitted:
      allowed = o.status == OrderStatus::kCreated;
      *verb = "submit";
      break;
    case OrderStatus::kCancelled:
      allowed = !IsTerminal(o.status);
      *verb = "cancel";
      break;
    case OrderStatus::kRejected:
      allowed = o.status == OrderStatus::kCreated || o.status == OrderStatus::kSubmitted;
      *verb = "reject";
      break;
    default:
      return Status::Internal("unexpected order transition");
  }
  if (!allowed) {
    return Status::InvalidArgument("cannot " + *verb + " " + OrderWho(o.id) + ": it is " +
                                   std::string(OrderStatusName(o.status)));
  }
  Order after = o;
  after.status = to;
  after.reason = std::string(reason);
  if (to == OrderStatus::kSubmitted) after.submitted_at = at;
  if (to == OrderStatus::kCancelled) after.cancelled_at = at;
  if (to == OrderStatus::kRejected) after.rejected_at = at;
  return after;
}

/// `o` after a fill of `quantity` at `price`. InvalidArgument when it would overfill;
/// `who` names the fill in that message. A terminal order (a parent cancelled while its
/// children still work) keeps its status.
inline Result<Order> WithFill(const Order& o, int64_t quantity, double price, double commission, Timestamp time,
                              const std::string& who) {
  if (quantity > o.remaining()) {
    return Status::InvalidArgument(who + ": quantity " + std::to_string(quantity) + " would overfill order " +
                                   std::to_string(o.id) + " (quantity " + std::to_string(o.quantity) + ", filled " +
                                   std::to_string(o.filled_quantity) + ", remaining " + std::to_string(o.remaining()) +
                                   "); nothing applied");
  }
  Order after = o;
  after.filled_quantity += quantity;
  after.average_fill_price =
      (o.average_fill_price * static_cast<double>(o.filled_quantity) + price * static_cast<double>(quantity)) /
      static_cast<double>(after.filled_quantity);
  after.commission += commission;
  if (!IsTerminal(o.status)) {
    after.status = after.filled_quantity == o.quantity ? OrderStatus::kFilled : OrderStatus::kPartiallyFilled;
  }
  if (after.first_fill_at == 0) after.first_fill_at = time;
  after.last_fill_at = time;
  if (after.filled_quantity == o.quantity) after.filled_at = time;
  return after;
}

}  // namespace systore::operational
