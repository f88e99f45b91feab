// The fill workflow, written once for every backend: which fills are refused and why,
// the records a fill writes (fill, order, positions, trades ledger, daily P&L, trade-limit
// counters) and their audit, and the roll-up into a parent order. The backends' hooks
// (operational_store.h, "Storage hooks of ApplyFill") only read and write records.
#include <string>
#include <vector>

#include "operational/order_rules_internal.h"
#include "operational/record_json.h"
#include "systore/operational_store.h"

namespace systore {

namespace {

AuditRecord MakeAudit(std::string_view operation, std::string_view entity, std::string key, nlohmann::json before,
                      nlohmann::json after) {
  AuditRecord a;
  a.operation = std::string(operation);
  a.entity = std::string(entity);
  a.key = std::move(key);
  a.before_json = before.dump();
  a.after_json = after.dump();
  return a;
}

nlohmann::json PositionJson(int64_t position) { return {{"position", position}}; }

}  // namespace

Status Transaction::Audit(std::string_view operation, std::string_view entity, std::string_view key,
                          std::string before_json, std::string after_json) {
  AuditRecord a;
  a.operation = std::string(operation);
  a.entity = std::string(entity);
  a.key = std::string(key);
  a.before_json = std::move(before_json);
  a.after_json = std::move(after_json);
  return DoAudit({std::move(a)});
}

// `fill` is checked (ApplyFill) and timed; `where` names it in errors.
Result<FillResult> Transaction::FillOrder(const FillRequest& f, const std::string& where) {
  using operational::OrderWho;
  SYSTORE_ASSIGN_OR_RAISE(Order o, DoGetOrderForUpdate(f.order_id));
  const auto duplicate = [&]() {
    return Status::AlreadyExists("exec id '" + f.exec_id + "' was already applied (" + where + "); nothing applied");
  };
  if (IsTerminal(o.status) || f.quantity > o.remaining()) {
    // A broker re-reporting the fill that completed an order is a duplicate, not an
    // overfill. (Otherwise the fill's insert below finds a duplicate, saving a lookup.)
    SYSTORE_ASSIGN_OR_RAISE(bool seen, DoFillExists(f.exec_id));
    if (seen) return duplicate();
  }
  if (IsTerminal(o.status)) {
    return Status::InvalidArgument(where + ": the order is " + std::string(OrderStatusName(o.status)) +
                                   "; nothing applied");
  }
  SYSTORE_ASSIGN_OR_RAISE(Order after, operational::WithFill(o, f.quantity, f.price, f.commission, f.time, where));
  // The fill first: its exec id is its key, so a duplicate fails before anything else is written.
  const Fill fill{f.exec_id, f.order_id, f.quantity, f.price, f.commission, f.time};
  Status inserted = DoInsertFill(fill);
  if (inserted.code() == StatusCode::kAlreadyExists) return duplicate();
  SYSTORE_RETURN_NOT_OK(inserted);
  SYSTORE_RETURN_NOT_OK(DoUpdateOrderFill(after));

  const int64_t delta = o.sign() * f.quantity;
  FillResult out;
  SYSTORE_ASSIGN_OR_RAISE(out.strategy_position, DoAddToStrategyPosition({o.strategy, o.instrument, delta, f.time}));
  if (!o.contract.empty()) {
    SYSTORE_ASSIGN_OR_RAISE(out.contract_position, DoAddToContractPosition({o.instrument, o.contract, delta, f.time}));
  }
  SYSTORE_RETURN_NOT_OK(
      DoInsertTrade({f.exec_id, o.id, o.strategy, o.instrument, o.contract, delta, f.price, f.commission, f.time}));
  SYSTORE_RETURN_NOT_OK(DoAddToDailyPnl({operational::PnlDay(f.time), o.strategy, o.instrument,
                                         -static_cast<double>(delta) * f.price, f.commission, f.quantity}));
  SYSTORE_RETURN_NOT_OK(DoAddToTradedQuantity(o.instrument, o.strategy, f.quantity));

  // One audit call for the fill's mutations. The trades/P&L/trade-limit rows are
  // derived from the fill record and are covered by it.
  std::vector<AuditRecord> audit = {
      MakeAudit("order.fill", "fill", f.exec_id, nullptr, operational::FillToJson(fill)),
      MakeAudit("order.fill", "order", std::to_string(o.id), operational::OrderToJson(o),
                operational::OrderToJson(after)),
      MakeAudit("order.fill", "strategy_position", o.strategy + "/" + o.instrument,
                PositionJson(out.strategy_position - delta), PositionJson(out.strategy_position))};
  if (!o.contract.empty()) {
    audit.push_back(MakeAudit("order.fill", "contract_position", o.instrument + "/" + o.contract,
                              PositionJson(out.contract_position - delta), PositionJson(out.contract_position)));
  }
  SYSTORE_RETURN_NOT_OK(DoAudit(audit));
  out.order = std::move(after);
  return out;
}

// A child's fill added to `parent_id` (filled quantity, average price, status, times;
// positions moved once, with the child). InvalidArgument when it would overfill it.
Result<Order> Transaction::FillParent(OrderId parent_id, const FillRequest& f) {
  SYSTORE_ASSIGN_OR_RAISE(Order p, DoGetOrderForUpdate(parent_id));
  SYSTORE_ASSIGN_OR_RAISE(
      Order after, operational::WithFill(p, f.quantity, f.price, f.commission, f.time,
                                         "fill '" + f.exec_id + "' of a child of order " + std::to_string(p.id)));
  SYSTORE_RETURN_NOT_OK(DoUpdateOrderFill(after));
  SYSTORE_RETURN_NOT_OK(DoAudit({MakeAudit("order.child_fill", "order", std::to_string(p.id),
                                            operational::OrderToJson(p), operational::OrderToJson(after))}));
  return after;
}

}  // namespace systore
