// Positions, the trades ledger and daily P&L records kept by the operational store.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "systore/order.h"
#include "systore/time.h"

namespace systore {

/// Signed position of a strategy in an instrument (long > 0).
struct StrategyPosition {
  std::string strategy, instrument;
  int64_t position = 0;
  Timestamp updated_at = 0;
};

/// Signed position in one contract of an instrument, across strategies.
struct ContractPosition {
  std::string instrument, contract;
  int64_t position = 0;
  Timestamp updated_at = 0;
};

/// One line of the trades ledger: written by every applied fill.
struct Trade {
  std::string exec_id;
  OrderId order_id = 0;
  std::string strategy, instrument, contract;
  int64_t signed_quantity = 0;  // > 0 bought, < 0 sold
  double price = 0, commission = 0;
  Timestamp time = 0;
};

/// Daily P&L record per (day, strategy, instrument), accumulated from fills:
/// cash_flow = -Σ signed_quantity × price, commission = Σ commission.
struct DailyPnl {
  Timestamp day = 0;  // 00:00 UTC of the fill's day
  std::string strategy, instrument;
  double cash_flow = 0, commission = 0;
  int64_t traded_quantity = 0;  // Σ |quantity|
};

/// A point of a position rebuilt from fills.
struct PositionPoint {
  Timestamp time = 0;
  int64_t position = 0;
};

/// A stored position that disagrees with what the fills imply.
struct PositionDifference {
  std::string kind;  // "strategy" (key1=strategy, key2=instrument) or "contract" (instrument, contract)
  std::string key1, key2;
  int64_t stored = 0, from_fills = 0;
};

/// Outcome of a reconciliation: positions recomputed from fills vs stored positions.
struct ReconcileReport {
  int64_t positions_checked = 0;
  std::vector<PositionDifference> differences;  // empty when everything agrees
  bool ok() const { return differences.empty(); }
};

}  // namespace systore
