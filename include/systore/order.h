// Orders and fills: the records of the operational store's order lifecycle.
//
// Lifecycle (every transition stamps its time):
//
//   created ──submit──► submitted ──fill──► partially_filled ──fill──► filled
//      │  └────────────fill (manual trades)──┘        │
//      ├──cancel / reject──► cancelled / rejected ◄───┘ (cancel keeps the filled part)
//
// filled, cancelled and rejected are terminal: no further fill or transition.
// Quantities are whole contracts (int64, > 0); the side gives the sign of the position
// change. Times are int64 ns UTC (systore/time.h); 0 means "not yet".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "systore/result.h"
#include "systore/time.h"

namespace systore {

/// Order ids are allocated by the store, atomically, starting at 1.
using OrderId = int64_t;

enum class OrderStatus : int { kCreated, kSubmitted, kPartiallyFilled, kFilled, kCancelled, kRejected };
enum class Side : int { kBuy, kSell };
enum class OrderType : int { kMarket, kLimit };
/// Where an order sits in pysystemtrade's stack: strategy → contract → broker.
enum class OrderLevel : int { kStrategy, kContract, kBroker };

/// "created", "submitted", "partially_filled", "filled", "cancelled", "rejected".
std::string_view OrderStatusName(OrderStatus s);
Result<OrderStatus> ParseOrderStatus(std::string_view name);
/// True for filled, cancelled and rejected.
bool IsTerminal(OrderStatus s);
std::string_view SideName(Side s);  // "buy" / "sell"
Result<Side> ParseSide(std::string_view name);
std::string_view OrderTypeName(OrderType t);  // "market" / "limit"
Result<OrderType> ParseOrderType(std::string_view name);
std::string_view OrderLevelName(OrderLevel l);  // "strategy" / "contract" / "broker"
Result<OrderLevel> ParseOrderLevel(std::string_view name);

/// What a caller supplies to create an order; the store assigns id, status and times.
struct NewOrder {
  OrderLevel level = OrderLevel::kStrategy;
  /// Parent order (strategy order of a contract order, ...); must exist when set.
  std::optional<OrderId> parent_id;
  std::string strategy;    // non-empty
  std::string instrument;  // non-empty
  std::string contract;    // e.g. "20250300"; may be empty for strategy-level orders
  Side side = Side::kBuy;
  int64_t quantity = 0;  // > 0
  OrderType type = OrderType::kMarket;
  /// Required (finite, > 0) for limit orders, must be unset for market orders.
  std::optional<double> limit_price;
  /// Free-form attributes: a JSON object as text ("{}" when none).
  std::string attributes_json = "{}";
  /// Creation time; 0 means "now".
  Timestamp created_at = 0;
};

/// A stored order.
struct Order {
  OrderId id = 0;
  OrderLevel level = OrderLevel::kStrategy;
  std::optional<OrderId> parent_id;
  std::string strategy, instrument, contract;
  Side side = Side::kBuy;
  int64_t quantity = 0;
  OrderType type = OrderType::kMarket;
  std::optional<double> limit_price;
  OrderStatus status = OrderStatus::kCreated;
  int64_t filled_quantity = 0;
  double average_fill_price = 0;  // quantity-weighted over the fills; 0 before any fill
  double commission = 0;          // sum over the fills
  std::string attributes_json = "{}";  // a JSON object, as text
  std::string reason;  // why it was rejected/cancelled, when given
  Timestamp created_at = 0, submitted_at = 0, first_fill_at = 0, last_fill_at = 0, filled_at = 0, cancelled_at = 0,
            rejected_at = 0;

  int64_t remaining() const { return quantity - filled_quantity; }
  /// +1 for a buy, -1 for a sell.
  int64_t sign() const { return side == Side::kBuy ? 1 : -1; }
};

/// An execution reported by a broker (or entered by hand).
struct FillRequest {
  OrderId order_id = 0;
  int64_t quantity = 0;   // > 0, at most the order's remaining quantity
  double price = 0;       // finite
  double commission = 0;  // finite, >= 0
  /// The broker's execution id; unique across the store. A fill reported twice is
  /// applied once: the second report fails with AlreadyExists and changes nothing.
  std::string exec_id;
  Timestamp time = 0;  // 0 means "now"
};

/// A stored fill.
struct Fill {
  std::string exec_id;
  OrderId order_id = 0;
  int64_t quantity = 0;
  double price = 0;
  double commission = 0;
  Timestamp time = 0;
};

/// The order as JSON text: one object with every field above ("level", "side", "type"
/// and "status" by name, unset parent_id/limit_price as null, times as ns). The form
/// the audit log records and `systore ops ... --format json` prints.
std::string ToJson(const Order& order);
/// The fill as JSON text: {"exec_id", "order_id", "quantity", "price", "commission", "time"}.
std::string ToJson(const Fill& fill);

}  // namespace systore
