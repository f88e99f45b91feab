// Daily P&L from the trades ledger, marks from the multiple prices, FX into the base
// currency (docs/analytics.md#pnl). Analytics::Pnl stores what this computes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "systore/analytics.h"
#include "systore/position.h"
#include "systore/result.h"

namespace systore::analytics {

struct PnlSeries {
  std::string key;  // "<strategy>/<instrument>" or "<strategy>"
  std::shared_ptr<arrow::Table> table;
};

struct PnlInputs {
  std::vector<Trade> trades;  // of the selected strategies, in time order
  std::string fingerprint;    // of everything the result depends on (JSON text)
};

/// The trades and the fingerprint of every input (fills, price and FX dataset versions,
/// reference version, options); cheap next to the computation.
Result<PnlInputs> LoadPnlInputs(TimeSeriesStore& store, const PnlOptions& options);

/// The daily P&L series of every (strategy, instrument) traded, and each strategy's
/// total. NotFound / InvalidArgument name the instrument, contract, day or column that is
/// missing; Corruption when rebuilt positions differ from the stored ones.
Result<std::vector<PnlSeries>> ComputeDailyPnl(TimeSeriesStore& store, const PnlInputs& inputs,
                                               const PnlOptions& options, int64_t* rows_read);

}  // namespace systore::analytics
