// SqlTransaction: every Transaction hook written once in SQL, for the SQLite and
// PostgreSQL backends. The backend owns the session and the BEGIN/COMMIT around it.
#pragma once

#include <string>

#include "operational/backend_transaction_internal.h"
#include "operational/record_json.h"  // for python/src/systore_ext.cc, which reaches the JSON forms here
#include "operational/sql_internal.h"
#include "systore/operational_store.h"

namespace systore::operational {

class SqlTransaction final : public operational::BackendTransaction {
 public:
  SqlTransaction(SqlSession& session, std::string_view actor, bool read_only)
      : BackendTransaction(read_only), s_(session), actor_(actor), d_(session.dialect()) {}

 private:
  Result<OrderId> DoAllocateOrderId() override;
  Result<OrderId> DoAddOrder(const NewOrder& order, const std::string& attributes_json) override;
  Result<Order> DoGetOrder(OrderId id) override;
  Result<Order> DoGetOrderForUpdate(OrderId id) override;
  Status DoTransition(OrderId id, OrderStatus to, std::string_view reason, Timestamp at) override;
  Status DoSetOrderAttributes(OrderId id, const std::string& attributes_json) override;
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

  SqlSession& s_;
  std::string actor_;
  Dialect d_;
};

}  // namespace systore::operational
