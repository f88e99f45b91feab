// The JSON forms of the operational records: what the audit log stores as before/after,
// what the MongoDB backend stores as documents, and what `--format json` prints (as text
// through the public ToJson() of systore/order.h and systore/process_control.h). One
// definition, so every backend audits the same fields.
#pragma once

#include <nlohmann/json.hpp>

#include "systore/order.h"
#include "systore/process_control.h"
#include "systore/production_controls.h"

namespace systore::operational {

nlohmann::json OrderToJson(const Order& o);
nlohmann::json FillToJson(const Fill& f);
nlohmann::json ProcessToJson(const ProcessState& p);
nlohmann::json EodStepToJson(const EodStepRecord& r);
nlohmann::json TradeLimitJson(const TradeLimit& l);

}  // namespace systore::operational
