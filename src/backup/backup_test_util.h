// Test support for the backup tests: the positions line a restore report prints.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "systore/operational_store.h"

namespace systore::testing {

/// "operational positions: S/GOLD=8 S/SOFR=-2", as RestoreReport::lines has it.
inline std::string PositionsLine(OperationalStore& ops) {
  std::string line;
  EXPECT_TRUE(ops.Read([&](Transaction& txn) -> Status {
                   SYSTORE_ASSIGN_OR_RAISE(auto pos, txn.StrategyPositions());
                   for (const auto& p : pos) line += " " + p.strategy + "/" + p.instrument + "=" + std::to_string(p.position);
                   return Status::OK();
                 })
                  .ok());
  return "operational positions:" + line;
}

}  // namespace systore::testing
