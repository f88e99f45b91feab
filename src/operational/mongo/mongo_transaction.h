// MongoTransaction: every Transaction hook written on documents (one collection per
// SQL table, `_id` as the primary key), reading and writing through a DocumentView.
#pragma once

#include <string>

#include "operational/backend_transaction_internal.h"
#include "operational/mongo/document_view.h"
#include "systore/operational_store.h"

namespace systore::operational {

class MongoTransaction final : public operational::BackendTransaction {
 public:
  MongoTransaction(DocumentView& view, std::string_view actor, bool read_only)
      : BackendTransaction(read_only), v_(view), actor_(actor) {}

 private:
  Result<int64_t> NextCounter(const std::string& name);
  Result<Order> LoadOrder(OrderId id);
  void StoreOrder(const Order& o);

  Result<OrderId> DoAllocateOrderId() override;
  Result<OrderId> DoAddOrder(const NewOrder& order, const std::string& attributes_json) override;
  Result<Order> DoGetOrder(OrderId id) override;
  Status DoTransition(OrderId id, OrderStatus to, std::string_view reason, Timestamp at) override;
  Status DoSetOrderAttributes(OrderId id, const std::string& attributes_json) override;
  Result<Order> DoGetOrderForUpdate(OrderId id) override;
  Result<bool> DoFillExists(std::string_view exec_id) override;
  Status DoInsertFill(const Fill& fill) override;
  Status DoUpdateOrderFill(const Order& after) override;
  Result<int64_t> DoAddToStrategyPosition(const StrategyPosition& delta) override;
  Result<int64_t> DoAddToContractPosition(const ContractPosition& delta) override;
  Status DoInsertTrade(const Trade& trade) override;
  Status DoAddToDailyPnl(const DailyPnl& delta) override;
  Status DoAddToTradedQuantity(std::string_view instrument, std::string_view strategy, int64_t quantity) override;
  Result<std::vector<Order>> DoFindOrders(const OrderQuery& query) override;
  Result<std::vector<Fill>> DoFillsOfOrder(OrderId id) override;
  Result<std::vector<StrategyPosition>> DoStrategyPositions(std::string_view strategy,
                                                            std::string_view instrument) override;
  Result<std::vector<ContractPosition>> DoContractPositions(std::string_view instrument,
                                                            std::string_view contract) override;
  Result<std::vector<Trade>> DoTrades(std::string_view strategy, std::string_view instrument) override;
  Result<std::vector<DailyPnl>> DoDailyPnlRecords(std::string_view strategy) override;
  Result<std::vector<PositionPoint>> DoPositionHistory(std::string_view strategy, std::string_view instrument) override;
  Result<ReconcileReport> DoReconcile() override;
  Result<std::vector<AuditRecord>> DoAuditLog(int64_t after_seq, int64_t limit) override;
  Result<std::vector<ProcessState>> DoProcesses(std::string_view name) override;
  Status DoPutProcess(const ProcessState& state, std::string_view operation) override;
  Result<std::vector<EodStepRecord>> DoEodSteps(std::string_view date, std::string_view step) override;
  Status DoPutEodStep(const EodStepRecord& record) override;
  Status DoSetLock(std::string_view instrument, bool locked) override;
  Result<bool> DoIsLocked(std::string_view instrument) override;
  Status DoSetRollState(std::string_view instrument, RollState state) override;
  Result<std::optional<RollState>> DoGetRollState(std::string_view instrument) override;
  Status DoSetTradeLimit(const TradeLimit& limit) override;
  Status DoResetTradeLimit(std::string_view instrument, std::string_view strategy, int period_days,
                           Timestamp at) override;
  Result<std::vector<TradeLimit>> DoTradeLimits(std::string_view instrument) override;
  Status DoSetPositionLimit(const PositionLimit& limit) override;
  Status DoRemovePositionLimit(std::string_view instrument, std::string_view strategy) override;
  Result<std::optional<PositionLimit>> DoGetPositionLimit(std::string_view instrument,
                                                          std::string_view strategy) override;
  Status DoSetOverride(const Override& o) override;
  Result<std::optional<Override>> DoGetOverride(std::string_view scope, std::string_view key) override;
  Status DoSetTemporaryClose(std::string_view instrument, bool present, std::optional<int64_t> saved_limit) override;
  Result<std::optional<std::optional<int64_t>>> DoGetTemporaryClose(std::string_view instrument) override;
  Status DoAudit(const std::vector<AuditRecord>& records) override;

  DocumentView& v_;
  std::string actor_;
};

}  // namespace systore::operational
