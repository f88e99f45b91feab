// DataBlob: one object a process opens to reach every data class, whatever store and
// backend serves it (docs/cache-and-blob.md).
//
//   auto blob = DataBlob::Open({.root = "/data/systore"});
//   auto prices = (*blob)->ReadSeries("db_futures_adjusted_prices", "SOFR");   // cached
//   auto* ops = (*blob)->Operational("db_orders");                            // SQLite or PostgreSQL
//
// Which backend serves a data class is set in <root>/systore.yaml (every key has a
// default, so the embedded setup needs no file), never in the caller's code.
//
// Naming rule: a data class is known by an attribute name `db_<snake_case thing>`
// (e.g. db_futures_adjusted_prices) that does not change with the backend, and by a
// class name `<backend><CamelCaseThing>Data` (e.g. parquetFuturesAdjustedPricesData,
// sqliteOrdersData, postgresOrdersData, csvInstrumentsData) that says what serves it
// now. AttributeNameOf() maps a class name to its attribute (pysystemtrade's
// mongoFuturesContractData -> db_futures_contract); both are accepted everywhere.
//
// Stores are opened lazily (first use), one handle per named store shared by its data
// classes (that handle pools connections: operational pool_size), health-checked, and
// closed by CloseAll() or the destructor. A data class may name a secondary store of the
// same kind: when the primary fails its health check, reads go to the secondary and a
// warning is logged; writes always go to the primary (and fail if it is down).
//
// Thread-safety: all methods may be called from several threads. Pointers to stores
// stay valid until CloseAll().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "systore/cache.h"
#include "systore/result.h"
#include "systore/timeseries_store.h"

namespace arrow {
class Table;
}

namespace systore {

class OperationalStore;
class ReferenceStore;
class ReferenceTable;

enum class StoreKind { kTimeSeries, kOperational, kReference };
/// "timeseries", "operational", "reference".
std::string_view StoreKindName(StoreKind kind);

/// The attribute name of a class name: drops a leading lowercase backend prefix and a
/// trailing "Data", turns CamelCase into snake_case and prefixes "db_":
/// parquetFuturesAdjustedPricesData -> db_futures_adjusted_prices,
/// csvFXPricesData -> db_fx_prices. An attribute name ("db_...") is returned unchanged.
std::string AttributeNameOf(std::string_view class_name);

/// One registered data class, as configured.
struct DataClassInfo {
  std::string attribute;   // db_futures_adjusted_prices
  std::string class_name;  // parquetFuturesAdjustedPricesData (prefix from the backend)
  StoreKind kind = StoreKind::kTimeSeries;
  std::string store;      // the named store serving it ("timeseries", "operational", ...)
  std::string backend;    // parquet, sqlite, postgres, csv
  std::string location;   // dataset (time series), table (reference); "" (operational)
  std::string secondary;  // named store for read failover, or ""
  CachePolicy cache;      // strategy and TTL
};

/// The health of one named store.
struct StoreHealth {
  std::string store;
  StoreKind kind = StoreKind::kTimeSeries;
  std::string backend;
  std::string location;  // root or URI (password removed)
  bool opened = false;   // a connection was opened (stores open lazily)
  bool healthy = false;
  std::string error;  // why not healthy
};

struct DataBlobOptions {
  /// Store root; relative paths in the configuration are resolved against it.
  std::string root;
  /// The configuration file; default <root>/systore.yaml. A missing file means defaults.
  std::string config_path;
  /// YAML text used instead of the file (embedding, tests).
  std::string config_text;
  /// Recorded as the actor of the operational stores' audit records ("" = "systore").
  std::string actor;
  /// Where warnings go (failover, cache degradation); default: stderr.
  std::function<void(const std::string&)> on_warning;
};

class DataBlob {
 public:
  /// Reads the configuration and registers the data classes; opens no store yet.
  /// InvalidArgument naming the file and key for a bad configuration.
  static Result<std::unique_ptr<DataBlob>> Open(const DataBlobOptions& options);
  /// CloseAll().
  ~DataBlob();

  /// Registered data classes, sorted by attribute name.
  std::vector<DataClassInfo> ListClasses() const;
  /// A class by attribute or class name; NotFound (listing the names) otherwise.
  Result<DataClassInfo> Describe(std::string_view data_class) const;

  /// The primary store of a data class (opened on first use). InvalidArgument when the
  /// class is of another kind, Unavailable when the store cannot be opened.
  Result<TimeSeriesStore*> TimeSeries(std::string_view data_class);
  Result<OperationalStore*> Operational(std::string_view data_class);
  Result<ReferenceStore*> Reference(std::string_view data_class);
  /// The store reads should use now: the primary, or the secondary when the primary
  /// fails its health check (a warning is logged when this switches).
  Result<TimeSeriesStore*> TimeSeriesForRead(std::string_view data_class);
  Result<OperationalStore*> OperationalForRead(std::string_view data_class);
  Result<ReferenceStore*> ReferenceForRead(std::string_view data_class);

  /// A store by its name in the configuration ("timeseries", "operational" and
  /// "reference" always exist; others as configured, e.g. "standby"), opened on first use:
  /// what the `systore ts`, `ops` and `ref` commands work on. NotFound naming the stores;
  /// InvalidArgument when the store is of another kind.
  Result<TimeSeriesStore*> TimeSeriesStoreNamed(std::string_view store);
  Result<OperationalStore*> OperationalStoreNamed(std::string_view store);
  Result<ReferenceStore*> ReferenceStoreNamed(std::string_view store);

  /// A whole series through the cache (L1, L2, then the store, with failover).
  Result<std::shared_ptr<arrow::Table>> ReadSeries(std::string_view data_class, const std::string& key);
  /// Replaces a series in the primary store; the cache follows the class's strategy
  /// (write-behind: the store write is queued, see Cache::Write).
  Result<WriteResult> WriteSeries(std::string_view data_class, const std::string& key,
                                  std::shared_ptr<arrow::Table> data);
  /// Appends rows in the primary store, then updates (write-through) or invalidates the
  /// cached series. Write-behind classes append synchronously too (the appended value
  /// is not known without a read).
  Result<WriteResult> AppendSeries(std::string_view data_class, const std::string& key,
                                   std::shared_ptr<arrow::Table> data);
  /// A reference table through the cache.
  Result<std::shared_ptr<const ReferenceTable>> ReadReferenceTable(std::string_view data_class);

  /// Health of every configured store (opens none that is not open yet, except to check
  /// it when `open` is true).
  std::vector<StoreHealth> CheckHealth(bool open = false);
  /// The cache in front of the stores.
  Cache& cache();
  /// Writes this process's cache statistics to <root>/cache/stats/<pid>.json (read by
  /// `systore cache stats`).
  Status SaveCacheStats();
  /// Flushes write-behind writes, saves cache statistics, closes every store and
  /// connection. Returns the first error. Idempotent.
  Status CloseAll();

  /// The effective configuration as YAML (defaults filled in): `systore blob config`.
  std::string EffectiveConfig() const;

  class Impl;

 private:
  explicit DataBlob(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace systore
