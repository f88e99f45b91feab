// DataBlob on the embedded stores: registry, lazy opening, caching through the blob,
// failover of reads, close-all. PostgreSQL and Redis: data_blob_postgres_test.cc and
// src/cache/redis_cache_test.cc (integration).
#include "systore/data_blob.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "blob/blob_test_util_internal.h"
#include "systore/reference_store.h"

namespace systore::testing {
namespace {

std::unique_ptr<DataBlob> OpenBlob(const std::string& root, const std::string& yaml = "",
                                   std::vector<std::string>* warnings = nullptr) {
  DataBlobOptions o;
  o.root = root;
  o.config_text = yaml;
  if (warnings) o.on_warning = [warnings](const std::string& w) { warnings->push_back(w); };
  auto b = DataBlob::Open(o);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return std::move(b).MoveValueUnsafe();
}

TEST(DataBlob, EmbeddedSetupNeedsNoFileAndOpensNothingUntilUsed) {
  TempDir dir;
  auto blob = OpenBlob(dir.path());
  for (const auto& h : blob->CheckHealth()) EXPECT_FALSE(h.opened) << h.store;
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/operational")) << "no connection before first use";
  RunTradingDay(*blob);
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/operational/ops.sqlite"));
  int opened = 0;
  for (const auto& h : blob->CheckHealth()) {
    opened += h.opened;
    EXPECT_TRUE(h.healthy) << h.store << ": " << h.error;
  }
  EXPECT_EQ(opened, 2) << "time series and operational; reference never used";
  ASSERT_TRUE(blob->CloseAll().ok());
  ASSERT_TRUE(blob->CloseAll().ok()) << "idempotent";
  EXPECT_EQ(blob->Operational("db_orders").status().code(), StatusCode::kUnavailable);
}

TEST(DataBlob, ConfigFileUnderTheRootIsRead) {
  TempDir dir;
  std::ofstream(dir.path() + "/systore.yaml")
      << "classes:\n  parquetSignalsData: {store: timeseries, dataset: signals/ewmac}\n";
  DataBlobOptions o;
  o.root = dir.path();
  auto blob = DataBlob::Open(o);
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  auto d = (*blob)->Describe("parquetSignalsData");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->attribute, "db_signals");
  EXPECT_EQ(d->location, "signals/ewmac");
  std::ofstream(dir.path() + "/systore.yaml") << "classes:\n  db_signals: {dataset: x}\n";
  auto bad = DataBlob::Open(o);
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  EXPECT_NE(bad.status().message().find("systore.yaml"), std::string::npos);
}

TEST(DataBlob, UnknownClassAndWrongKindAreClearErrors) {
  TempDir dir;
  auto blob = OpenBlob(dir.path());
  auto r = blob->TimeSeries("db_nope");
  EXPECT_TRUE(r.status().IsNotFound());
  EXPECT_NE(r.status().message().find("db_futures_adjusted_prices"), std::string::npos) << "lists the known names";
  EXPECT_TRUE(blob->Operational("db_fx_prices").status().IsInvalidArgument());
  EXPECT_TRUE(blob->ReadSeries("db_fx_prices", "GBPUSD").status().IsNotFound());
}

// The commands open their stores by name: the configuration decides which backend.
TEST(DataBlob, StoresByNameAreTheConfiguredOnes) {
  TempDir dir, other;
  auto blob = OpenBlob(
      dir.path(), "stores:\n  standby: {kind: operational, uri: \"sqlite://" + other.path() + "/standby.sqlite\"}\n");
  auto ts = blob->TimeSeriesStoreNamed("timeseries");
  ASSERT_TRUE(ts.ok()) << ts.status().ToString();
  EXPECT_EQ(*ts, *blob->TimeSeries("db_futures_adjusted_prices")) << "one handle per named store";
  ASSERT_TRUE(blob->ReferenceStoreNamed("reference").ok());
  auto standby = blob->OperationalStoreNamed("standby");
  ASSERT_TRUE(standby.ok()) << standby.status().ToString();
  NewOrder o;
  o.strategy = "S";
  o.instrument = "SOFR";
  o.contract = "20250300";
  o.quantity = 1;
  ASSERT_TRUE((*standby)->AddOrder(o).ok());
  EXPECT_TRUE(std::filesystem::exists(other.path() + "/standby.sqlite"));
  EXPECT_NE(*standby, *blob->OperationalStoreNamed("operational"));
  auto missing = blob->TimeSeriesStoreNamed("nope");
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.status().message().find("standby"), std::string::npos) << "lists the stores";
  EXPECT_TRUE(blob->TimeSeriesStoreNamed("standby").status().IsInvalidArgument());
}

TEST(DataBlob, ReadsAreCachedAndWritesInvalidate) {
  TempDir dir;
  auto blob = OpenBlob(dir.path());
  auto ts = *blob->TimeSeries("db_fx_prices");
  ASSERT_TRUE(ts->Write("fx/spot", "GBPUSD", MakeSeries(Days("2024-01-02", 3), {{"price", {1.25, 1.26, 1.27}}})).ok());
  auto a = blob->ReadSeries("db_fx_prices", "GBPUSD");
  auto b = blob->ReadSeries("db_fx_prices", "GBPUSD");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get()) << "the second read is an L1 hit: the same table";
  ASSERT_TRUE(blob->AppendSeries("db_fx_prices", "GBPUSD", MakeSeries(Days("2024-01-05", 1), {{"price", {1.3}}})).ok());
  auto c = blob->ReadSeries("db_fx_prices", "GBPUSD");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->num_rows(), 4);
  auto stats = blob->cache().Stats();
  for (const auto& s : stats.classes) {
    if (s.data_class != "db_fx_prices") continue;
    EXPECT_EQ(s.l1.hits, 1);
    EXPECT_EQ(s.loads, 2);
    EXPECT_GE(s.invalidations, 1);
  }
}

TEST(DataBlob, WriteThroughAndWriteBehindClasses) {
  TempDir dir;
  auto blob = OpenBlob(dir.path(), R"(
classes:
  db_futures_adjusted_prices: {strategy: write_through}
  db_volatility: {strategy: write_behind}
)");
  auto t = MakeSeries(Days("2024-01-02", 2), {{"price", {1, 2}}});
  ASSERT_TRUE(blob->WriteSeries("db_futures_adjusted_prices", "ES", t).ok());
  auto hit = blob->ReadSeries("db_futures_adjusted_prices", "ES");
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ(hit->get(), t.get()) << "write-through put the written table in L1";

  auto v = MakeSeries(Days("2024-01-02", 2), {{"vol", {0.1, 0.2}}});
  ASSERT_TRUE(blob->WriteSeries("db_volatility", "ES", v).ok());
  EXPECT_EQ(blob->ReadSeries("db_volatility", "ES")->get(), v.get());
  ASSERT_TRUE(blob->cache().Flush().ok());
  auto stored = (*blob->TimeSeries("db_volatility"))->Read("analytics/volatility", "ES");
  ASSERT_TRUE(stored.ok()) << "the queued write reached the store";
  EXPECT_EQ(Doubles(**stored, "vol"), (std::vector<double>{0.1, 0.2}));
}

TEST(DataBlob, ReferenceTablesThroughTheCache) {
  TempDir dir;
  auto blob = OpenBlob(dir.path());
  auto ref = *blob->Reference("db_instruments");
  auto set =
      ref->Set("instruments", "SOFR",
               {{"Pointsize", "2500"}, {"Currency", "USD"}, {"PerBlock", "0"}, {"Percentage", "0"}, {"PerTrade", "0"}},
               {"test", "setup"});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  auto t = blob->ReadReferenceTable("db_instruments");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->Get("SOFR", "Pointsize"), "2500");
  EXPECT_EQ(blob->ReadReferenceTable("db_instruments")->get(), t->get());
}

TEST(DataBlob, ReadsFailOverToTheSecondaryWithOneWarning) {
  TempDir dir;
  std::vector<std::string> warnings;
  auto blob = OpenBlob(dir.path(), R"(
health_interval_ms: 0
stores:
  timeseries: {root: primary}
  replica: {kind: timeseries, root: replica}
classes:
  db_fx_prices: {secondary: replica, strategy: none}
)",
                       &warnings);
  auto t = MakeSeries(Days("2024-01-02", 2), {{"price", {1, 2}}});
  std::filesystem::create_directories(dir.path() + "/primary");
  ASSERT_TRUE((*blob->TimeSeries("db_fx_prices"))->Write("fx/spot", "EURUSD", t).ok());
  {  // the replica holds the same data (replication is outside systore)
    TimeSeriesStoreOptions o;
    o.root = dir.path() + "/replica";
    auto replica = TimeSeriesStore::Open(o);
    ASSERT_TRUE((*replica)->Write("fx/spot", "EURUSD", t).ok());
  }
  ASSERT_TRUE(blob->ReadSeries("db_fx_prices", "EURUSD").ok());
  EXPECT_TRUE(warnings.empty());

  std::filesystem::rename(dir.path() + "/primary", dir.path() + "/primary.gone");  // the primary disappears
  for (int i = 0; i < 3; ++i) {
    auto r = blob->ReadSeries("db_fx_prices", "EURUSD");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)->num_rows(), 2);
  }
  ASSERT_EQ(warnings.size(), 1u) << "one warning when reads switch";
  EXPECT_NE(warnings[0].find("secondary 'replica'"), std::string::npos) << warnings[0];
  auto health = blob->CheckHealth();
  for (const auto& h : health) {
    if (h.store == "timeseries") EXPECT_FALSE(h.healthy);
    if (h.store == "replica") EXPECT_TRUE(h.healthy);
  }
  std::filesystem::rename(dir.path() + "/primary.gone", dir.path() + "/primary");
  ASSERT_TRUE(blob->ReadSeries("db_fx_prices", "EURUSD").ok());
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[1].find("healthy again"), std::string::npos);
}

TEST(DataBlob, SwitchingStoreRootIsAConfigChangeOnly) {
  TempDir a, b;
  for (const auto* dir : {&a, &b}) {
    auto blob = OpenBlob(a.path(), "stores:\n  timeseries: {root: " + dir->path() +
                                       "}\n  operational: {uri: \"sqlite://" + dir->path() + "/ops.sqlite\"}\n");
    RunTradingDay(*blob);
  }
  EXPECT_TRUE(std::filesystem::exists(b.path() + "/ops.sqlite"));
  EXPECT_TRUE(std::filesystem::exists(b.path() + "/prices/adjusted"));
}

TEST(DataBlob, ListClassesFollowsTheNamingRule) {
  TempDir dir;
  auto blob = OpenBlob(dir.path());
  auto classes = blob->ListClasses();
  ASSERT_GE(classes.size(), 15u);
  for (const auto& c : classes) {
    EXPECT_EQ(AttributeNameOf(c.class_name), c.attribute) << c.class_name;
    EXPECT_EQ(c.attribute.rfind("db_", 0), 0u);
  }
  EXPECT_NE(blob->EffectiveConfig().find("db_futures_adjusted_prices"), std::string::npos);
}

}  // namespace
}  // namespace systore::testing
