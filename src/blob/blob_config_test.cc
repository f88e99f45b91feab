#include "blob/blob_config.h"

#include <gtest/gtest.h>

namespace systore::blob_internal {
namespace {

TEST(NamingRule, ClassNamesMapToStableAttributes) {
  EXPECT_EQ(AttributeNameOf("mongoFuturesContractData"), "db_futures_contract");
  EXPECT_EQ(AttributeNameOf("parquetFuturesAdjustedPricesData"), "db_futures_adjusted_prices");
  EXPECT_EQ(AttributeNameOf("csvFXPricesData"), "db_fx_prices");
  EXPECT_EQ(AttributeNameOf("sqliteOrdersData"), "db_orders");
  EXPECT_EQ(AttributeNameOf("postgresOrdersData"), "db_orders") << "switching backend keeps the attribute";
  EXPECT_EQ(AttributeNameOf("db_orders"), "db_orders");
  EXPECT_EQ(ClassNameOf("db_futures_adjusted_prices", "parquet"), "parquetFuturesAdjustedPricesData");
  for (const char* a : {"db_orders", "db_fx_prices", "db_futures_contract_hourly_prices", "db_roll_parameters"}) {
    EXPECT_EQ(AttributeNameOf(ClassNameOf(a, "sqlite")), a) << "round trip";
  }
}

TEST(BlobConfig, EmbeddedDefaultsNeedNoFile) {
  auto c = LoadBlobConfig("/data/s", "", "none");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->stores.at("operational").uri, "sqlite:///data/s/operational/ops.sqlite");
  const auto& adj = c->classes.at("db_futures_adjusted_prices");
  EXPECT_EQ(adj.location, "prices/adjusted");
  EXPECT_EQ(adj.class_name, "parquetFuturesAdjustedPricesData");
  EXPECT_EQ(adj.cache.ttl_ms, 300'000);
  EXPECT_EQ(c->classes.at("db_volatility").cache.ttl_ms, 3'600'000);
  EXPECT_EQ(c->classes.at("db_instruments").cache.ttl_ms, 86'400'000);
  EXPECT_EQ(c->classes.at("db_orders").cache.strategy, CacheStrategy::kNone);
  EXPECT_EQ(c->classes.at("db_orders").class_name, "sqliteOrdersData");
  EXPECT_EQ(c->cache.l2.mode, "none");
}

TEST(BlobConfig, FileOverridesBackendsClassesAndCache) {
  const char* yaml = R"(
stores:
  operational: {uri: "postgresql://u:pw@127.0.0.1:5999/db", pool_size: 8}
  backup_ts: {kind: timeseries, root: backup}
cache:
  l1: {capacity_mb: 64, shards: 8}
  l2: {mode: redis, nodes: ["127.0.0.1:7001"]}
  ttl_s: {prices: 60}
classes:
  db_futures_adjusted_prices: {secondary: backup_ts, strategy: write_through}
  parquetSignalsData: {store: timeseries, dataset: signals/ewmac, group: analytics}
)";
  auto c = LoadBlobConfig("/r", yaml, "systore.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->stores.at("backup_ts").root, "/r/backup");
  EXPECT_EQ(c->classes.at("db_orders").class_name, "postgresOrdersData");
  EXPECT_EQ(c->classes.at("db_orders").backend, "postgres");
  const auto& adj = c->classes.at("db_futures_adjusted_prices");
  EXPECT_EQ(adj.secondary, "backup_ts");
  EXPECT_EQ(adj.cache.strategy, CacheStrategy::kWriteThrough);
  EXPECT_EQ(adj.cache.ttl_ms, 60'000);
  const auto& sig = c->classes.at("db_signals");
  EXPECT_EQ(sig.location, "signals/ewmac");
  EXPECT_EQ(sig.cache.ttl_ms, 3'600'000);
  EXPECT_EQ(c->cache.l1.capacity_bytes, 64 << 20);
  EXPECT_EQ(c->cache.l2.mode, "redis");
  EXPECT_NE(ToYaml(*c).find("db_signals"), std::string::npos);
}

TEST(BlobConfig, MistakesNameTheFileAndKey) {
  auto bad_key = LoadBlobConfig("/r", "cache:\n  l3: {}\n", "systore.yaml");
  ASSERT_TRUE(bad_key.status().IsInvalidArgument());
  EXPECT_NE(bad_key.status().message().find("systore.yaml line 2"), std::string::npos) << bad_key.status().ToString();
  EXPECT_NE(bad_key.status().message().find("l3"), std::string::npos);
  EXPECT_TRUE(LoadBlobConfig("/r", "classes:\n  db_x: {dataset: a}\n", "f").status().IsInvalidArgument());
  EXPECT_TRUE(LoadBlobConfig("/r", "classes:\n  db_orders: {secondary: reference}\n", "f").status().IsInvalidArgument())
      << "a secondary must be of the same kind";
  EXPECT_TRUE(LoadBlobConfig("/r", "cache: {l2: {mode: memcached}}\n", "f").status().IsInvalidArgument());
  EXPECT_TRUE(LoadBlobConfig("/r", "stores: [1, 2\n", "f").status().IsInvalidArgument());
  EXPECT_TRUE(LoadBlobConfig("/r", "stores:\n  x: {root: a}\n", "f").status().IsInvalidArgument()) << "kind required";
}

}  // namespace
}  // namespace systore::blob_internal
