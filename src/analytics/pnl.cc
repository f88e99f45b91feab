// Daily mark-to-market P&L (docs/analytics.md#pnl): fills from the operational store's
// trades ledger, contract closes from the multiple prices, point sizes and currencies
// from reference data, FX from fx/spot.
#include "analytics/pnl.h"

#include <arrow/api.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "analytics/daily_prices.h"
#include "analytics/series_arrays.h"
#include "systore/operational_store.h"
#include "systore/reference_store.h"
#include "systore/timeseries_store.h"

namespace systore::analytics {

namespace {

using json = nlohmann::json;

std::string DayText(int64_t day) { return FormatTimestamp(day * kNanosPerDay).substr(0, 10); }

/// Last value at or before (strictly before `end`) in a time-ordered list.
std::optional<double> LastBefore(const std::vector<std::pair<int64_t, double>>& points, int64_t end) {
  auto it = std::lower_bound(points.begin(), points.end(), end,
                             [](const std::pair<int64_t, double>& p, int64_t t) { return p.first < t; });
  if (it == points.begin()) return std::nullopt;
  return std::prev(it)->second;
}

Result<std::vector<std::string>> TextValues(const arrow::Table& table, int column) {
  std::vector<std::string> out;
  out.reserve(table.num_rows());
  for (const auto& chunk : table.column(column)->chunks()) {
    if (chunk->type_id() == arrow::Type::STRING) {
      const auto& a = static_cast<const arrow::StringArray&>(*chunk);
      for (int64_t i = 0; i < a.length(); ++i) out.push_back(a.IsNull(i) ? "" : a.GetString(i));
    } else if (chunk->type_id() == arrow::Type::LARGE_STRING) {
      const auto& a = static_cast<const arrow::LargeStringArray&>(*chunk);
      for (int64_t i = 0; i < a.length(); ++i) out.push_back(a.IsNull(i) ? "" : a.GetString(i));
    } else if (chunk->type_id() == arrow::Type::INT64) {
      const auto& a = static_cast<const arrow::Int64Array&>(*chunk);
      for (int64_t i = 0; i < a.length(); ++i) out.push_back(a.IsNull(i) ? "" : std::to_string(a.Value(i)));
    } else {
      return Status::InvalidArgument("column '" + table.schema()->field(column)->name() + "' is " +
                                     chunk->type()->ToString() + ", expected contract ids (string)");
    }
  }
  return out;
}

/// Closes per contract, from every price column X that has an X_CONTRACT column.
struct Marks {
  std::map<std::string, std::vector<std::pair<int64_t, double>>> by_contract;
  int64_t last_ts = std::numeric_limits<int64_t>::min();
};

Result<Marks> LoadMarks(TimeSeriesStore& store, const std::string& dataset, const std::string& instrument) {
  auto table = store.Read(dataset, instrument);
  if (!table.ok()) {
    if (table.status().IsNotFound()) {
      return Status::NotFound("no prices for instrument '" + instrument + "' in dataset '" + dataset + "'");
    }
    return table.status();
  }
  const arrow::Table& t = **table;
  const arrow::Schema& schema = *t.schema();
  SYSTORE_ASSIGN_OR_RAISE(auto ts, TimestampValues(t));
  Marks marks;
  int pairs = 0;
  for (int c = 0; c < schema.num_fields(); ++c) {
    const std::string& name = schema.field(c)->name();
    constexpr std::string_view kSuffix = "_CONTRACT";
    if (name.size() <= kSuffix.size() || name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
      continue;
    }
    const int price_col = FindColumn(schema, name.substr(0, name.size() - kSuffix.size()));
    if (price_col < 0) continue;
    SYSTORE_ASSIGN_OR_RAISE(auto contracts, TextValues(t, c));
    SYSTORE_ASSIGN_OR_RAISE(auto prices, DoubleValues(t, price_col));
    ++pairs;
    for (size_t r = 0; r < ts.size(); ++r) {
      if (contracts[r].empty() || std::isnan(prices[r])) continue;
      marks.by_contract[contracts[r]].push_back({ts[r], prices[r]});
      marks.last_ts = std::max(marks.last_ts, ts[r]);
    }
  }
  if (pairs == 0) {
    return Status::InvalidArgument("dataset '" + dataset + "', key '" + instrument +
                                   "': no price column with a contract column (PRICE + PRICE_CONTRACT, ...); it has: " +
                                   ColumnList(schema));
  }
  for (auto& [_, points] : marks.by_contract) {  // two columns may name one contract
    std::stable_sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  return marks;
}

/// Rate that converts the instrument currency into the base currency.
struct FxRate {
  bool identity = false;
  bool invert = false;
  std::string pair;
  std::vector<std::pair<int64_t, double>> points;

  std::optional<double> At(int64_t end) const {
    if (identity) return 1.0;
    auto v = LastBefore(points, end);
    if (!v) return std::nullopt;
    return invert ? 1.0 / *v : *v;
  }
};

Result<FxRate> LoadFx(TimeSeriesStore& store, const std::string& dataset, const std::string& currency,
                      const std::string& base) {
  FxRate fx;
  if (currency == base) {
    fx.identity = true;
    return fx;
  }
  for (bool invert : {false, true}) {
    const std::string pair = invert ? base + currency : currency + base;
    auto table = store.Read(dataset, pair);
    if (!table.ok()) {
      if (table.status().IsNotFound()) continue;
      return table.status();
    }
    SYSTORE_ASSIGN_OR_RAISE(auto ts, TimestampValues(**table));
    int col = -1;
    for (const char* name : {"price", "PRICE", "FX", "close"}) {
      col = FindColumn(*(*table)->schema(), name);
      if (col >= 0) break;
    }
    if (col < 0) {
      return Status::InvalidArgument("dataset '" + dataset + "', key '" + pair + "' has no price column; it has: " +
                                     ColumnList(*(*table)->schema()));
    }
    SYSTORE_ASSIGN_OR_RAISE(auto px, DoubleValues(**table, col));
    for (size_t i = 0; i < ts.size(); ++i)
      if (!std::isnan(px[i]) && px[i] != 0) fx.points.push_back({ts[i], px[i]});
    fx.invert = invert;
    fx.pair = pair;
    return fx;
  }
  return Status::NotFound("no FX rate from " + currency + " into " + base + ": dataset '" + dataset +
                          "' has neither '" + currency + base + "' nor '" + base + currency + "'");
}

uint64_t Fnv(uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return (h ^ 0xff) * 1099511628211ull;
}

int64_t VersionOr(TimeSeriesStore& store, const std::string& dataset) {
  auto v = store.CurrentVersion(dataset);
  return v.ok() ? *v : -1;
}

}  // namespace

Result<PnlInputs> LoadPnlInputs(TimeSeriesStore& store, const PnlOptions& options) {
  if (!options.operational) return Status::InvalidArgument("P&L needs the operational store (PnlOptions.operational)");
  if (!options.reference) return Status::InvalidArgument("P&L needs the reference store (PnlOptions.reference)");
  if (options.base_currency.size() != 3) {
    return Status::InvalidArgument("--base-currency must be a 3-letter code, got '" + options.base_currency + "'");
  }
  PnlInputs in;
  SYSTORE_RETURN_NOT_OK(options.operational->Read([&](Transaction& t) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(in.trades, t.Trades(options.strategy, ""));
    return Status::OK();
  }));
  std::stable_sort(in.trades.begin(), in.trades.end(), [](const Trade& a, const Trade& b) { return a.time < b.time; });
  uint64_t h = 1469598103934665603ull;
  for (const Trade& t : in.trades) {
    h = Fnv(h, t.exec_id);
    h = Fnv(h, t.strategy + "\t" + t.instrument + "\t" + t.contract);
    h = Fnv(h, std::to_string(t.signed_quantity) + "\t" + std::to_string(t.time));
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.17g\t%.17g", t.price, t.commission);
    h = Fnv(h, buf);
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(h));
  SYSTORE_RETURN_NOT_OK(options.reference->Refresh());
  json f = {{"trades", in.trades.size()},
            {"trades_hash", hex},
            {"prices", options.prices},
            {"prices_version", VersionOr(store, options.prices)},
            {"fx", options.fx},
            {"fx_version", VersionOr(store, options.fx)},
            {"reference_version", options.reference->Current()->version()},
            {"base_currency", options.base_currency},
            {"until", options.until},
            {"strategy", options.strategy}};
  in.fingerprint = f.dump();
  return in;
}

Result<std::vector<PnlSeries>> ComputeDailyPnl(TimeSeriesStore& store, const PnlInputs& inputs,
                                               const PnlOptions& options, int64_t* rows_read) {
  SYSTORE_ASSIGN_OR_RAISE(auto instruments, options.reference->GetTable("instruments"));
  std::map<std::pair<std::string, std::string>, std::vector<const Trade*>> groups;
  for (const Trade& t : inputs.trades) groups[{t.strategy, t.instrument}].push_back(&t);
  std::map<std::string, Marks> marks_of;
  std::map<std::string, FxRate> fx_of;
  std::map<std::string, std::map<int64_t, double>> strategy_totals;
  std::vector<PnlSeries> out;
  *rows_read = 0;
  for (const auto& [group, trades] : groups) {
    const auto& [strategy, instrument] = group;
    const std::string where = "strategy '" + strategy + "', instrument '" + instrument + "'";
    auto point_size = instruments->GetNumber(instrument, "Pointsize");
    if (!point_size.ok()) return point_size.status().WithContext(where + ": reference table 'instruments'");
    auto currency = instruments->Get(instrument, "Currency");
    if (!currency || currency->empty()) {
      return Status::NotFound(where + ": no Currency in reference table 'instruments'");
    }
    if (!marks_of.count(instrument)) {
      SYSTORE_ASSIGN_OR_RAISE(marks_of[instrument], LoadMarks(store, options.prices, instrument));
    }
    const Marks& marks = marks_of[instrument];
    const std::string ccy(*currency);
    if (!fx_of.count(ccy)) {
      SYSTORE_ASSIGN_OR_RAISE(fx_of[ccy], LoadFx(store, options.fx, ccy, options.base_currency));
    }
    const FxRate& fx = fx_of[ccy];

    const int64_t first_day = DayOf(trades.front()->time);
    // Up to --date, else to the last price or the last fill, whichever is later (fills
    // of a day whose closes are not in yet are marked at the last close).
    const int64_t last_day = options.until != 0 ? DayOf(options.until)
                                                : std::max(DayOf(trades.back()->time), DayOf(marks.last_ts));
    std::set<int64_t> trade_days;
    for (const Trade* t : trades) trade_days.insert(DayOf(t->time));
    std::vector<int64_t> ts;
    std::vector<double> position, pnl_local, commission, rate, pnl;
    std::map<std::string, int64_t> pos;      // per contract
    std::map<std::string, double> last_mark;  // per contract held or traded
    size_t next = 0;
    for (int64_t day = first_day; day <= last_day; ++day) {
      if (Weekday(day) >= 5 && !trade_days.count(day)) continue;
      const int64_t end = (day + 1) * kNanosPerDay;
      auto mark = [&](const std::string& contract) -> Result<double> {
        auto it = marks.by_contract.find(contract);
        std::optional<double> m;
        if (it != marks.by_contract.end()) m = LastBefore(it->second, end);
        if (!m) {
          return Status::NotFound(where + ": no close for contract '" + contract + "' on or before " + DayText(day) +
                                  " in dataset '" + options.prices + "'");
        }
        return *m;
      };
      double price_pnl = 0, fees = 0;
      for (auto& [contract, p] : pos) {
        if (p == 0) continue;
        SYSTORE_ASSIGN_OR_RAISE(double m, mark(contract));
        price_pnl += static_cast<double>(p) * (m - last_mark[contract]);
        last_mark[contract] = m;
      }
      for (; next < trades.size() && DayOf(trades[next]->time) == day; ++next) {
        const Trade& t = *trades[next];
        SYSTORE_ASSIGN_OR_RAISE(double m, mark(t.contract));
        price_pnl += static_cast<double>(t.signed_quantity) * (m - t.price);
        pos[t.contract] += t.signed_quantity;
        last_mark[t.contract] = m;
        fees += t.commission;
      }
      auto r = fx.At(end);
      if (!r) {
        return Status::NotFound(where + ": no FX rate '" + fx.pair + "' on or before " + DayText(day) +
                                " in dataset '" + options.fx + "'");
      }
      int64_t net = 0;
      for (const auto& [_, p] : pos) net += p;
      const double local = price_pnl * *point_size - fees;
      ts.push_back(day * kNanosPerDay);
      position.push_back(static_cast<double>(net));
      pnl_local.push_back(local);
      commission.push_back(fees);
      rate.push_back(*r);
      pnl.push_back(local * *r);
      strategy_totals[strategy][day] += local * *r;
    }
    *rows_read += static_cast<int64_t>(trades.size());
    if (next == trades.size() && options.until == 0) {
      // Every fill is in: the rebuilt position must be the stored one.
      int64_t net = 0;
      for (const auto& [_, p] : pos) net += p;
      int64_t stored = 0;
      SYSTORE_RETURN_NOT_OK(options.operational->Read([&](Transaction& t) -> Status {
        SYSTORE_ASSIGN_OR_RAISE(auto positions, t.StrategyPositions(strategy, instrument));
        for (const auto& p : positions) stored += p.position;
        return Status::OK();
      }));
      if (stored != net) {
        return Status::Corruption(where + ": the fills add up to a position of " + std::to_string(net) +
                                  " but the stored position is " + std::to_string(stored) +
                                  " (run `systore ops reconcile`)");
      }
    }
    if (ts.empty()) continue;
    out.push_back({strategy + "/" + instrument,
                   MakeDoubleTable(ts, {"position", "pnl_local", "commission", "fx", "pnl"},
                                   {position, pnl_local, commission, rate, pnl})});
  }
  for (const auto& [strategy, days] : strategy_totals) {
    std::vector<int64_t> ts;
    std::vector<double> total;
    for (const auto& [day, v] : days) {
      ts.push_back(day * kNanosPerDay);
      total.push_back(v);
    }
    // The dataset has one schema: the per-instrument columns are NaN in a total.
    const std::vector<double> none(ts.size(), std::numeric_limits<double>::quiet_NaN());
    out.push_back({strategy, MakeDoubleTable(ts, {"position", "pnl_local", "commission", "fx", "pnl"},
                                             {none, none, none, none, total})});
  }
  return out;
}

}  // namespace systore::analytics
