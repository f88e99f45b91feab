// Calling code shared by the DataBlob tests: the same function runs against SQLite and
// PostgreSQL, only the configuration differs.
#pragma once

#include <gtest/gtest.h>

#include "systore/data_blob.h"
#include "systore/operational_store.h"
#include "testing/test_util.h"

namespace systore::testing {

/// Orders and positions through db_orders, prices through db_futures_adjusted_prices.
inline void RunTradingDay(DataBlob& blob) {
  auto ops = blob.Operational("db_orders");
  ASSERT_TRUE(ops.ok()) << ops.status().ToString();
  NewOrder o;
  o.strategy = "ewmac";
  o.instrument = "SOFR";
  o.contract = "20250300";
  o.quantity = 3;
  auto id = (*ops)->AddOrder(o);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE((*ops)->SubmitOrder(*id).ok());
  FillRequest f;
  f.order_id = *id;
  f.quantity = 3;
  f.price = 95.5;
  f.exec_id = "exec-1";
  auto fill = (*ops)->ApplyFill(f);
  ASSERT_TRUE(fill.ok()) << fill.status().ToString();
  EXPECT_EQ(fill->strategy_position, 3);
  auto reader = blob.OperationalForRead("db_positions");
  ASSERT_TRUE(reader.ok());
  auto pos = (*reader)->StrategyPositions("ewmac", "SOFR");
  ASSERT_TRUE(pos.ok());
  ASSERT_EQ(pos->size(), 1u);
  EXPECT_EQ((*pos)[0].position, 3);

  auto t = MakeSeries(Days("2024-01-02", 5), {{"price", {1, 2, 3, 4, 5}}});
  ASSERT_TRUE(blob.WriteSeries("db_futures_adjusted_prices", "SOFR", t).ok());
  auto back = blob.ReadSeries("db_futures_adjusted_prices", "SOFR");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(Doubles(**back, "price"), (std::vector<double>{1, 2, 3, 4, 5}));
}

}  // namespace systore::testing
