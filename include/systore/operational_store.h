// OperationalStore: orders, fills, positions, process control, production controls
// and the audit log — the records a trading system must never get wrong.
//
//   auto store = OperationalStore::Open({.uri = "sqlite:///data/operational/ops.sqlite"});
//   OrderId id = *(*store)->AddOrder({.strategy = "S", .instrument = "SOFR", .contract = "20250300",
//                                     .quantity = 5});
//   (*store)->ApplyFill({.order_id = id, .quantity = 2, .price = 95.1, .exec_id = "X1"});
//   (*store)->Transact([&](Transaction& t) -> Status { ... everything or nothing ... });
//
// Backends, chosen by OperationalStoreOptions::uri:
//   sqlite:///abs/path.sqlite   embedded default: WAL, synchronous=FULL, group commit
//   postgresql://host:port/db   libpq; any libpq connection URI
//   mongodb://host/db           libmongoc, multi-document transactions (replica set or mongos);
//                               a server without them is refused (Unavailable) unless the URI
//                               adds ?systoreAtomicity=journal (atomic commits through a journal
//                               document; see docs/operational-store.md)
// Every backend has the same schema, guarantees and behaviour (one conformance suite).
//
// Thread safety: an OperationalStore is safe to use from many threads at once. A
// Transaction object belongs to the Transact()/Read() call that created it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "systore/audit.h"
#include "systore/order.h"
#include "systore/position.h"
#include "systore/process_control.h"
#include "systore/production_controls.h"
#include "systore/result.h"

namespace systore {

struct OperationalStoreOptions {
  /// Which backend and where (see the top of this file).
  std::string uri;
  /// Written as the actor of every audit record produced through this handle.
  std::string actor = "systore";
  /// SQLite: synchronous=FULL (true: a commit survives power loss) or NORMAL (false:
  /// survives a process crash only). PostgreSQL: synchronous_commit on/off.
  bool durable = true;
  /// SQLite: concurrent Transact() calls share one SQLite transaction and one fsync
  /// (each logical transaction in its own savepoint). Off: one SQLite transaction each.
  bool group_commit = true;
  /// SQLite: at most this many logical transactions per group commit.
  int max_group_size = 256;
  /// Reader connections (SQLite) or pooled connections (PostgreSQL) kept open.
  int max_connections = 16;
  /// How often Transact() reruns fn after losing to a concurrent writer (Conflict).
  int max_retries = 10;
  /// SQLite: how long to wait for another process holding the write lock.
  int busy_timeout_ms = 10000;
  /// SQLite: keep every commit's changes (a changeset) in the table pitr_journal, in the
  /// same transaction, so `systore restore --time` can roll a backup forward to any
  /// commit. `systore backup prune --trim-journal` trims what the kept backups no
  /// longer need; entries older than pitr_journal_retention_hours go on their own (so a
  /// store that is never backed up does not grow without end).
  bool pitr_journal = true;
  int64_t pitr_journal_retention_hours = 7 * 24;
};

/// What ApplyFill() changed.
struct FillResult {
  Order order;                    // after the fill
  int64_t strategy_position = 0;  // (strategy, instrument) after the fill
  int64_t contract_position = 0;  // (instrument, contract) after the fill
};

/// Filters for FindOrders(); unset fields do not filter.
struct OrderQuery {
  std::optional<OrderStatus> status;
  std::optional<std::string> strategy;
  std::optional<std::string> instrument;
  /// created_at in [start, end)
  Timestamp start = kMinTimestamp, end = kMaxTimestamp;
  bool open_only = false;  // created, submitted or partially filled
  int64_t limit = 0;       // 0: no limit; orders come in id order
};

/// The operations available inside OperationalStore::Transact() (and, read-only,
/// inside Read()). Every mutation writes an audit record in the same transaction.
///
/// Errors: a mutation that fails (bad argument, unknown id, overfill, ...) changes
/// nothing and dooms the transaction: Transact() rolls everything back and returns the
/// first such error even if fn returns OK. Lookups that find nothing (NotFound from a
/// Get*) do not doom it.
class Transaction {
 public:
  virtual ~Transaction();

  // ---- Orders and fills -------------------------------------------------------------
  /// Allocates the next order id atomically (no two callers, in any process, get the
  /// same id; ids of rolled-back transactions may be reused).
  Result<OrderId> AllocateOrderId();
  /// Validates and stores a new order in status created. InvalidArgument names the
  /// field; NotFound when parent_id is unknown.
  Result<OrderId> AddOrder(const NewOrder& order);
  Result<Order> GetOrder(OrderId id);
  /// created → submitted. InvalidArgument when the order is in another status.
  Status SubmitOrder(OrderId id, Timestamp at = 0);
  /// Any non-terminal status → cancelled (a partial fill is kept).
  Status CancelOrder(OrderId id, std::string_view reason = "", Timestamp at = 0);
  /// created/submitted → rejected.
  Status RejectOrder(OrderId id, std::string_view reason = "", Timestamp at = 0);
  /// Replaces the order's attributes with a JSON object.
  Status SetOrderAttributes(OrderId id, std::string_view attributes_json);
  /// Applies a fill atomically: fill record, order status/filled quantity/average
  /// price, strategy and contract positions, trades ledger, daily P&L and trade-limit
  /// counters; the fill also rolls up into the order's parent, grandparent, ... (their
  /// filled quantity, average price and status; positions move once). Fails, changing
  /// nothing, on: unknown order (NotFound), quantity <= 0, overfill of the order or of
  /// an ancestor, fill of a cancelled/rejected/filled order (InvalidArgument), duplicate
  /// exec_id (AlreadyExists, also when the order has since completed: re-reports are
  /// idempotent).
  Result<FillResult> ApplyFill(const FillRequest& fill);

  // ---- Queries ------------------------------------------------------------------------
  Result<std::vector<Order>> FindOrders(const OrderQuery& query);
  Result<std::vector<Fill>> FillsOfOrder(OrderId id);
  /// Empty strategy/instrument: all.
  Result<std::vector<StrategyPosition>> StrategyPositions(std::string_view strategy = "",
                                                          std::string_view instrument = "");
  Result<std::vector<ContractPosition>> ContractPositions(std::string_view instrument = "",
                                                          std::string_view contract = "");
  Result<std::vector<Trade>> Trades(std::string_view strategy = "", std::string_view instrument = "");
  Result<std::vector<DailyPnl>> DailyPnlRecords(std::string_view strategy = "");
  /// The (strategy, instrument) position after each fill, rebuilt from the fills.
  Result<std::vector<PositionPoint>> PositionHistory(std::string_view strategy, std::string_view instrument);
  /// Recomputes every position from the fills and lists those that differ.
  Result<ReconcileReport> Reconcile();
  /// Audit records with seq > after_seq, oldest first; limit 0 = all.
  Result<std::vector<AuditRecord>> AuditLog(int64_t after_seq = 0, int64_t limit = 0);

  // ---- Process control ----------------------------------------------------------------
  /// NotFound when the process was never registered (any setter registers it).
  Result<ProcessState> GetProcess(std::string_view name);
  Result<std::vector<ProcessState>> Processes();
  Status SetProcessControl(std::string_view name, ControlStatus control);
  /// B depends on A: B may start only after A finished on the same UTC day.
  Status SetProcessDependencies(std::string_view name, const std::vector<std::string>& depends_on);
  /// Marks the process running. Unavailable when its control is not GO, it is already
  /// running, or a dependency has not finished today (the message says which).
  Status StartProcess(std::string_view name, int64_t pid, Timestamp at = 0);
  /// Marks it finished (running=false, last_end=at); clears recently_crashed.
  Status FinishProcess(std::string_view name, Timestamp at = 0);
  /// Marks a running process as dead without a clean finish (running=false, recently_crashed=true).
  Status MarkProcessCrashed(std::string_view name, Timestamp at = 0);
  Status StartMethod(std::string_view process, std::string_view method, Timestamp at = 0);
  Status FinishMethod(std::string_view process, std::string_view method, Timestamp at = 0);
  /// Creates or replaces the record of (record.date, record.step). InvalidArgument for a
  /// date that is not YYYY-MM-DD, an empty step or metrics that are not a JSON object.
  Status RecordEodStep(const EodStepRecord& record);
  /// The end-of-day step records of one date ("" = every date), by date, then start time.
  Result<std::vector<EodStepRecord>> EodSteps(std::string_view date = "");

  // ---- Production controls -----------------------------------------------------------
  Status LockInstrument(std::string_view instrument);
  Status UnlockInstrument(std::string_view instrument);
  Result<bool> IsInstrumentLocked(std::string_view instrument);
  Status SetRollState(std::string_view instrument, RollState state);
  /// No_Roll when never set.
  Result<RollState> GetRollState(std::string_view instrument);
  /// Creates or replaces the limit (keeps traded_since_reset when it exists).
  Status SetTradeLimit(const TradeLimit& limit);
  Status ResetTradeLimit(std::string_view instrument, std::string_view strategy, int period_days, Timestamp at = 0);
  /// Limits of an instrument for the strategy and for all strategies ("" strategy).
  Result<std::vector<TradeLimit>> TradeLimits(std::string_view instrument = "");
  Status SetPositionLimit(const PositionLimit& limit);
  /// NotFound when no limit is set.
  Result<PositionLimit> GetPositionLimit(std::string_view instrument, std::string_view strategy = "");
  Status SetOverride(const Override& o);
  /// Multiplier 1 when none is set.
  Result<Override> GetOverride(std::string_view scope, std::string_view key);
  /// Sets the instrument-wide position limit to 0, remembering the old one.
  Status AddTemporaryClose(std::string_view instrument);
  /// Restores the remembered limit (removes the limit when there was none).
  Status RemoveTemporaryClose(std::string_view instrument);
  Result<bool> HasTemporaryClose(std::string_view instrument);

  /// The first mutation error (OK when none): what Transact() will return.
  const Status& doom() const { return doom_; }

 protected:
  explicit Transaction(bool read_only) : read_only_(read_only) {}
  /// One audit record through DoAudit(), for the backends' own mutations; before/after
  /// are JSON text ("null" when absent).
  Status Audit(std::string_view operation, std::string_view entity, std::string_view key, std::string before_json,
               std::string after_json);

 private:
  Status CheckWritable(std::string_view op);
  Status Doom(Status st);
  template <typename T>
  Result<T> Doom(Result<T> r) {
    if (!r.ok()) (void)Doom(r.status());
    return r;
  }

  virtual Result<OrderId> DoAllocateOrderId() = 0;
  /// attributes_json: a validated JSON object, as compact text.
  virtual Result<OrderId> DoAddOrder(const NewOrder& order, const std::string& attributes_json) = 0;
  virtual Result<Order> DoGetOrder(OrderId id) = 0;
  virtual Status DoTransition(OrderId id, OrderStatus to, std::string_view reason, Timestamp at) = 0;
  virtual Status DoSetOrderAttributes(OrderId id, const std::string& attributes_json) = 0;

  // Storage hooks of ApplyFill. The workflow (order rules, the records a fill writes,
  // audit, roll-up to the parents) is written once, in ApplyFill; these only store.
  /// The order, locked until the transaction ends where the backend locks rows;
  /// NotFound ("order N not found") when unknown.
  virtual Result<Order> DoGetOrderForUpdate(OrderId id) = 0;
  /// True when a fill with this exec id is stored (of any order).
  virtual Result<bool> DoFillExists(std::string_view exec_id) = 0;
  /// Stores a new fill; AlreadyExists when its exec id is taken.
  virtual Status DoInsertFill(const Fill& fill) = 0;
  /// Stores what a fill changes in an order: status, filled quantity, average price,
  /// commission and the fill times of `after`.
  virtual Status DoUpdateOrderFill(const Order& after) = 0;
  /// Adds `delta.position` to the (strategy, instrument) position, creating it at 0, and
  /// sets its updated_at; returns the position after.
  virtual Result<int64_t> DoAddToStrategyPosition(const StrategyPosition& delta) = 0;
  /// The same for the (instrument, contract) position.
  virtual Result<int64_t> DoAddToContractPosition(const ContractPosition& delta) = 0;
  virtual Status DoInsertTrade(const Trade& trade) = 0;
  /// Adds cash flow, commission and traded quantity to the (day, strategy, instrument)
  /// record, creating it at 0.
  virtual Status DoAddToDailyPnl(const DailyPnl& delta) = 0;
  /// Adds `quantity` to traded_since_reset of every trade limit of the instrument for
  /// this strategy or for all strategies (""), whatever the period.
  virtual Status DoAddToTradedQuantity(std::string_view instrument, std::string_view strategy, int64_t quantity) = 0;
  virtual Result<std::vector<Order>> DoFindOrders(const OrderQuery& query) = 0;
  virtual Result<std::vector<Fill>> DoFillsOfOrder(OrderId id) = 0;
  virtual Result<std::vector<StrategyPosition>> DoStrategyPositions(std::string_view strategy,
                                                                    std::string_view instrument) = 0;
  virtual Result<std::vector<ContractPosition>> DoContractPositions(std::string_view instrument,
                                                                    std::string_view contract) = 0;
  virtual Result<std::vector<Trade>> DoTrades(std::string_view strategy, std::string_view instrument) = 0;
  virtual Result<std::vector<DailyPnl>> DoDailyPnlRecords(std::string_view strategy) = 0;
  virtual Result<std::vector<PositionPoint>> DoPositionHistory(std::string_view strategy,
                                                               std::string_view instrument) = 0;
  virtual Result<ReconcileReport> DoReconcile() = 0;
  virtual Result<std::vector<AuditRecord>> DoAuditLog(int64_t after_seq, int64_t limit) = 0;
  virtual Result<std::vector<ProcessState>> DoProcesses(std::string_view name) = 0;  // "" = all
  /// Writes the full state (insert or replace), auditing `operation`.
  virtual Status DoPutProcess(const ProcessState& state, std::string_view operation) = 0;
  /// Records of a date (every date when ""), of one step when `step` is not "".
  virtual Result<std::vector<EodStepRecord>> DoEodSteps(std::string_view date, std::string_view step) = 0;
  /// Inserts or replaces the record of (date, step); the base class audits.
  virtual Status DoPutEodStep(const EodStepRecord& record) = 0;
  virtual Status DoSetLock(std::string_view instrument, bool locked) = 0;
  virtual Result<bool> DoIsLocked(std::string_view instrument) = 0;
  virtual Status DoSetRollState(std::string_view instrument, RollState state) = 0;
  virtual Result<std::optional<RollState>> DoGetRollState(std::string_view instrument) = 0;
  virtual Status DoSetTradeLimit(const TradeLimit& limit) = 0;
  virtual Status DoResetTradeLimit(std::string_view instrument, std::string_view strategy, int period_days,
                                   Timestamp at) = 0;
  virtual Result<std::vector<TradeLimit>> DoTradeLimits(std::string_view instrument) = 0;
  virtual Status DoSetPositionLimit(const PositionLimit& limit) = 0;
  virtual Status DoRemovePositionLimit(std::string_view instrument, std::string_view strategy) = 0;
  virtual Result<std::optional<PositionLimit>> DoGetPositionLimit(std::string_view instrument,
                                                                  std::string_view strategy) = 0;
  virtual Status DoSetOverride(const Override& o) = 0;
  virtual Result<std::optional<Override>> DoGetOverride(std::string_view scope, std::string_view key) = 0;
  /// saved_limit: the instrument-wide limit before the close (nullopt: none); set
  /// `present` false to remove the close.
  virtual Status DoSetTemporaryClose(std::string_view instrument, bool present, std::optional<int64_t> saved_limit) = 0;
  virtual Result<std::optional<std::optional<int64_t>>> DoGetTemporaryClose(std::string_view instrument) = 0;
  /// Appends audit records with the next sequence numbers, the handle's actor and one
  /// time for all of them (the records' seq, time and actor are ignored).
  virtual Status DoAudit(const std::vector<AuditRecord>& records) = 0;

  Result<ProcessState> ProcessOrNew(std::string_view name);
  // The fill workflow on the hooks above (operational/transaction_fill.cc).
  Result<FillResult> FillOrder(const FillRequest& fill, const std::string& where);
  Result<Order> FillParent(OrderId parent, const FillRequest& fill);

  bool read_only_;
  Status doom_;
};

class OperationalStore {
 public:
  virtual ~OperationalStore();

  /// Opens (creating schema when missing) the store named by options.uri.
  /// InvalidArgument for an unknown scheme or a malformed URI, Unavailable when the
  /// server cannot be reached or (MongoDB, without systoreAtomicity=journal) cannot run
  /// multi-document transactions.
  static Result<std::unique_ptr<OperationalStore>> Open(const OperationalStoreOptions& options);

  /// Runs fn in one ACID transaction: everything it did commits, or — when fn returns
  /// an error, or any mutation inside failed — nothing does, and the error is returned.
  /// fn may run on another thread (SQLite group commit: a leader thread runs the
  /// waiting transactions of several threads) and may run more than once (retry after
  /// a Conflict), so it must not have side effects outside the Transaction, and must
  /// not call Transact() or Read() itself. Returns only after the commit is durable.
  Status Transact(const std::function<Status(Transaction&)>& fn);
  /// Runs fn against a consistent read-only snapshot; mutations fail with InvalidArgument.
  Status Read(const std::function<Status(Transaction&)>& fn);

  // Convenience wrappers: each is one Transact()/Read().
  Result<OrderId> AddOrder(const NewOrder& order);
  Result<FillResult> ApplyFill(const FillRequest& fill);
  Status SubmitOrder(OrderId id);
  Status CancelOrder(OrderId id, std::string_view reason = "");
  Result<Order> GetOrder(OrderId id);
  Result<std::vector<Order>> FindOrders(const OrderQuery& query);
  Result<std::vector<Order>> OpenOrders(std::string_view strategy);
  Result<std::vector<Fill>> FillsOfOrder(OrderId id);
  Result<std::vector<StrategyPosition>> StrategyPositions(std::string_view strategy = "",
                                                          std::string_view instrument = "");
  Result<std::vector<ContractPosition>> ContractPositions(std::string_view instrument = "",
                                                          std::string_view contract = "");
  Result<ReconcileReport> Reconcile();
  Result<ProcessState> GetProcess(std::string_view name);
  Result<std::vector<ProcessState>> Processes();
  Result<std::vector<AuditRecord>> AuditLog(int64_t after_seq = 0, int64_t limit = 0);
  Result<std::vector<EodStepRecord>> EodSteps(std::string_view date = "");

  /// "sqlite", "postgresql", ...
  virtual std::string_view backend_name() const = 0;

 protected:
  explicit OperationalStore(OperationalStoreOptions options) : options_(std::move(options)) {}
  const OperationalStoreOptions& options() const { return options_; }

 private:
  /// Runs fn once in a write transaction; the base class handles doom and retries.
  virtual Status DoTransact(const std::function<Status(Transaction&)>& fn) = 0;
  virtual Status DoRead(const std::function<Status(Transaction&)>& fn) = 0;

  OperationalStoreOptions options_;
};

}  // namespace systore
