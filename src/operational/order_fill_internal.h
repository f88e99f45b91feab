// The arithmetic of a fill on an order, shared by every backend: the filled quantity,
// the quantity-weighted average price, commission, status and fill times.
#pragma once

#include <string>

#include "systore/order.h"
#include "systore/result.h"

namespace systore::operational {

/// `o` after a fill of `quantity` at `price`. InvalidArgument when it would overfill;
/// `who` names the fill in that message. A terminal order (a parent cancelled while its
/// children still work) keeps its status.
inline Result<Order> WithFill(const Order& o, int64_t quantity, double price, double commission, Timestamp time,
                              const std::string& who) {
  if (quantity > o.remaining()) {
    return Status::InvalidArgument(who + ": quantity " + std::to_string(quantity) + " would overfill order " +
                                   std::to_string(o.id) + " (quantity " + std::to_string(o.quantity) + ", filled " +
                                   std::to_string(o.filled_quantity) + ", remaining " +
                                   std::to_string(o.remaining()) + "); nothing applied");
  }
  Order after = o;
  after.filled_quantity += quantity;
  after.average_fill_price = (o.average_fill_price * static_cast<double>(o.filled_quantity) +
                              price * static_cast<double>(quantity)) /
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
