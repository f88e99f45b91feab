// Production controls pysystemtrade keeps in MongoDB: instrument locks, roll state,
// trade limits, position limits, overrides and temporary closes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "systore/result.h"
#include "systore/time.h"

namespace systore {

/// pysystemtrade's roll states.
enum class RollState : int { kNoRoll, kPassive, kForce, kForceOutright, kClose, kNoOpen, kRollAdjusted };
std::string_view RollStateName(RollState s);  // "No_Roll", "Passive", "Force", ...
Result<RollState> ParseRollState(std::string_view name);

/// A limit on the number of contracts traded in a rolling period; `strategy` empty
/// means "all strategies".
struct TradeLimit {
  std::string instrument, strategy;
  int period_days = 1;  // > 0
  int64_t limit = 0;    // >= 0
  int64_t traded_since_reset = 0;
  Timestamp last_reset = 0;
  int64_t remaining() const { return limit - traded_since_reset; }
};

/// Maximum absolute position; `strategy` empty means the instrument across strategies.
struct PositionLimit {
  std::string instrument, strategy;
  int64_t limit = 0;  // >= 0
};

/// A multiplier on optimal positions (0 = close, 0.5 = reduce, 1 = none) for a
/// "strategy", "instrument", "contract" or "strategy_instrument" key.
struct Override {
  std::string scope, key;
  double multiplier = 1;
};

}  // namespace systore
