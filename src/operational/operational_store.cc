// The backend-independent half of the operational store: argument checks, the order
// and process state machines' rules that need no storage, retries, and the factory.
#include "systore/operational_store.h"

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "operational/backends_internal.h"
#include "operational/record_json.h"

namespace systore {

namespace {

template <typename E, size_t N>
Result<E> ParseName(std::string_view name, const std::string_view (&names)[N], std::string_view what) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  std::string valid;
  for (size_t i = 0; i < N; ++i) valid += (i ? ", " : "") + std::string(names[i]);
  return Status::InvalidArgument("unknown " + std::string(what) + " '" + std::string(name) + "' (valid: " + valid +
                                 ")");
}

constexpr std::string_view kStatusNames[] = {"created", "submitted", "partially_filled",
                                             "filled",  "cancelled", "rejected"};
constexpr std::string_view kSideNames[] = {"buy", "sell"};
constexpr std::string_view kTypeNames[] = {"market", "limit"};
constexpr std::string_view kLevelNames[] = {"strategy", "contract", "broker"};
constexpr std::string_view kControlNames[] = {"GO", "NO-RUN", "STOP", "PAUSE"};
constexpr std::string_view kEodOutcomeNames[] = {"running", "ok", "failed", "skipped"};
constexpr std::string_view kRollNames[] = {"No_Roll", "Passive", "Force",        "Force_Outright",
                                           "Close",   "No_Open", "Roll_Adjusted"};

Timestamp NowIfZero(Timestamp t) { return t == 0 ? Now() : t; }

Status RequireName(std::string_view value, std::string_view field) {
  if (value.empty()) return Status::InvalidArgument(std::string(field) + " must not be empty");
  return Status::OK();
}

Status RequireId(OrderId id) {
  if (id <= 0) return Status::InvalidArgument("order id must be positive, got " + std::to_string(id));
  return Status::OK();
}

// The attributes as compact JSON text; InvalidArgument unless a JSON object.
Result<std::string> ParseAttributes(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status::InvalidArgument("attributes: malformed JSON: '" + std::string(text.substr(0, 200)) + "'");
  }
  if (!j.is_object()) {
    return Status::InvalidArgument("attributes: expected a JSON object, got " + std::string(j.type_name()) + ": '" +
                                   std::string(text.substr(0, 200)) + "'");
  }
  return j.dump();
}

}  // namespace

std::string_view OrderStatusName(OrderStatus s) { return kStatusNames[static_cast<int>(s)]; }
Result<OrderStatus> ParseOrderStatus(std::string_view n) {
  return ParseName<OrderStatus>(n, kStatusNames, "order status");
}
bool IsTerminal(OrderStatus s) {
  return s == OrderStatus::kFilled || s == OrderStatus::kCancelled || s == OrderStatus::kRejected;
}
std::string_view SideName(Side s) { return kSideNames[static_cast<int>(s)]; }
Result<Side> ParseSide(std::string_view n) { return ParseName<Side>(n, kSideNames, "side"); }
std::string_view OrderTypeName(OrderType t) { return kTypeNames[static_cast<int>(t)]; }
Result<OrderType> ParseOrderType(std::string_view n) { return ParseName<OrderType>(n, kTypeNames, "order type"); }
std::string_view OrderLevelName(OrderLevel l) { return kLevelNames[static_cast<int>(l)]; }
Result<OrderLevel> ParseOrderLevel(std::string_view n) { return ParseName<OrderLevel>(n, kLevelNames, "order level"); }
std::string_view ControlStatusName(ControlStatus s) { return kControlNames[static_cast<int>(s)]; }
Result<ControlStatus> ParseControlStatus(std::string_view n) {
  return ParseName<ControlStatus>(n, kControlNames, "process control status");
}
std::string_view EodOutcomeName(EodOutcome o) { return kEodOutcomeNames[static_cast<int>(o)]; }
Result<EodOutcome> ParseEodOutcome(std::string_view n) {
  return ParseName<EodOutcome>(n, kEodOutcomeNames, "end-of-day outcome");
}
std::string_view RollStateName(RollState s) { return kRollNames[static_cast<int>(s)]; }
Result<RollState> ParseRollState(std::string_view n) { return ParseName<RollState>(n, kRollNames, "roll state"); }

// ---- Transaction ------------------------------------------------------------------------

Transaction::~Transaction() = default;

Status Transaction::CheckWritable(std::string_view op) {
  if (read_only_) return Status::InvalidArgument(std::string(op) + ": not allowed in a read-only transaction");
  return Status::OK();
}

Status Transaction::Doom(Status st) {
  if (!st.ok() && doom_.ok()) doom_ = st;
  return st;
}

#define SYSTORE_DOOM_NOT_OK(expr)  \
  do {                             \
    Status _s = (expr);            \
    if (!_s.ok()) return Doom(_s); \
  } while (false)

Result<OrderId> Transaction::AllocateOrderId() {
  SYSTORE_DOOM_NOT_OK(CheckWritable("AllocateOrderId"));
  return Doom(DoAllocateOrderId());
}

Result<OrderId> Transaction::AddOrder(const NewOrder& o) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("AddOrder"));
  SYSTORE_DOOM_NOT_OK(RequireName(o.strategy, "order strategy"));
  SYSTORE_DOOM_NOT_OK(RequireName(o.instrument, "order instrument"));
  if (o.quantity <= 0) {
    return Doom(Status::InvalidArgument("order quantity must be positive, got " + std::to_string(o.quantity)));
  }
  if (o.type == OrderType::kLimit) {
    if (!o.limit_price || !std::isfinite(*o.limit_price) || *o.limit_price <= 0) {
      return Doom(Status::InvalidArgument("limit order needs a finite positive limit price, got " +
                                          (o.limit_price ? std::to_string(*o.limit_price) : std::string("none"))));
    }
  } else if (o.limit_price) {
    return Doom(Status::InvalidArgument("market order must not have a limit price (got " +
                                        std::to_string(*o.limit_price) + ")"));
  }
  if (o.parent_id) SYSTORE_DOOM_NOT_OK(RequireId(*o.parent_id));
  auto attrs = ParseAttributes(o.attributes_json);
  if (!attrs.ok()) return Doom(attrs.status());
  NewOrder copy = o;
  copy.created_at = NowIfZero(o.created_at);
  return Doom(DoAddOrder(copy, *attrs));
}

Result<Order> Transaction::GetOrder(OrderId id) {
  SYSTORE_RETURN_NOT_OK(RequireId(id));
  return DoGetOrder(id);
}

Status Transaction::SubmitOrder(OrderId id, Timestamp at) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("SubmitOrder"));
  SYSTORE_DOOM_NOT_OK(RequireId(id));
  return Doom(DoTransition(id, OrderStatus::kSubmitted, "", NowIfZero(at)));
}

Status Transaction::CancelOrder(OrderId id, std::string_view reason, Timestamp at) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("CancelOrder"));
  SYSTORE_DOOM_NOT_OK(RequireId(id));
  return Doom(DoTransition(id, OrderStatus::kCancelled, reason, NowIfZero(at)));
}

Status Transaction::RejectOrder(OrderId id, std::string_view reason, Timestamp at) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("RejectOrder"));
  SYSTORE_DOOM_NOT_OK(RequireId(id));
  return Doom(DoTransition(id, OrderStatus::kRejected, reason, NowIfZero(at)));
}

Status Transaction::SetOrderAttributes(OrderId id, std::string_view attributes_json) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("SetOrderAttributes"));
  SYSTORE_DOOM_NOT_OK(RequireId(id));
  auto attrs = ParseAttributes(attributes_json);
  if (!attrs.ok()) return Doom(attrs.status());
  return Doom(DoSetOrderAttributes(id, *attrs));
}

Result<FillResult> Transaction::ApplyFill(const FillRequest& f) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("ApplyFill"));
  SYSTORE_DOOM_NOT_OK(RequireId(f.order_id));
  const std::string where = "fill '" + f.exec_id + "' of order " + std::to_string(f.order_id);
  if (f.exec_id.empty()) {
    return Doom(Status::InvalidArgument("fill of order " + std::to_string(f.order_id) + ": exec id must not be empty"));
  }
  if (f.quantity <= 0) {
    return Doom(Status::InvalidArgument(where + ": quantity must be positive, got " + std::to_string(f.quantity)));
  }
  if (!std::isfinite(f.price)) return Doom(Status::InvalidArgument(where + ": price is not finite"));
  if (!std::isfinite(f.commission) || f.commission < 0) {
    return Doom(
        Status::InvalidArgument(where + ": commission must be finite and >= 0, got " + std::to_string(f.commission)));
  }
  FillRequest copy = f;
  copy.time = NowIfZero(f.time);
  auto out = FillOrder(copy, where);
  if (!out.ok()) return Doom(std::move(out));
  // Roll the fill up the parent chain (strategy order <- contract order <- broker order).
  constexpr int kMaxOrderDepth = 16;
  std::optional<OrderId> parent = out->order.parent_id;
  for (int depth = 0; parent; ++depth) {
    if (depth == kMaxOrderDepth) {
      return Doom(Result<FillResult>(Status::Corruption(where + ": the parent chain is longer than " +
                                                        std::to_string(kMaxOrderDepth) + " orders (a cycle?)")));
    }
    auto p = FillParent(*parent, copy);
    if (!p.ok()) return Doom(Result<FillResult>(p.status()));
    parent = p->parent_id;
  }
  return out;
}

Result<std::vector<Order>> Transaction::FindOrders(const OrderQuery& q) {
  if (q.start > q.end) return Status::InvalidArgument("order query: start is after end");
  if (q.limit < 0) return Status::InvalidArgument("order query: negative limit");
  return DoFindOrders(q);
}

Result<std::vector<Fill>> Transaction::FillsOfOrder(OrderId id) {
  SYSTORE_RETURN_NOT_OK(RequireId(id));
  SYSTORE_RETURN_NOT_OK(DoGetOrder(id).status());  // NotFound names the id
  return DoFillsOfOrder(id);
}

Result<std::vector<StrategyPosition>> Transaction::StrategyPositions(std::string_view strategy,
                                                                     std::string_view instrument) {
  return DoStrategyPositions(strategy, instrument);
}
Result<std::vector<ContractPosition>> Transaction::ContractPositions(std::string_view instrument,
                                                                     std::string_view contract) {
  return DoContractPositions(instrument, contract);
}
Result<std::vector<Trade>> Transaction::Trades(std::string_view strategy, std::string_view instrument) {
  return DoTrades(strategy, instrument);
}
Result<std::vector<DailyPnl>> Transaction::DailyPnlRecords(std::string_view strategy) {
  return DoDailyPnlRecords(strategy);
}
Result<std::vector<PositionPoint>> Transaction::PositionHistory(std::string_view strategy,
                                                                std::string_view instrument) {
  SYSTORE_RETURN_NOT_OK(RequireName(strategy, "strategy"));
  SYSTORE_RETURN_NOT_OK(RequireName(instrument, "instrument"));
  return DoPositionHistory(strategy, instrument);
}
Result<ReconcileReport> Transaction::Reconcile() { return DoReconcile(); }
Result<std::vector<AuditRecord>> Transaction::AuditLog(int64_t after_seq, int64_t limit) {
  if (limit < 0) return Status::InvalidArgument("audit log: negative limit");
  return DoAuditLog(after_seq, limit);
}

// ---- Process control --------------------------------------------------------------------

Result<ProcessState> Transaction::GetProcess(std::string_view name) {
  SYSTORE_RETURN_NOT_OK(RequireName(name, "process name"));
  SYSTORE_ASSIGN_OR_RAISE(auto states, DoProcesses(name));
  if (states.empty()) return Status::NotFound("process '" + std::string(name) + "' is not registered");
  return std::move(states.front());
}

Result<std::vector<ProcessState>> Transaction::Processes() { return DoProcesses(""); }

Result<ProcessState> Transaction::ProcessOrNew(std::string_view name) {
  SYSTORE_RETURN_NOT_OK(RequireName(name, "process name"));
  SYSTORE_ASSIGN_OR_RAISE(auto states, DoProcesses(name));
  if (!states.empty()) return std::move(states.front());
  ProcessState s;
  s.name = std::string(name);
  return s;
}

Status Transaction::SetProcessControl(std::string_view name, ControlStatus control) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("SetProcessControl"));
  auto s = ProcessOrNew(name);
  if (!s.ok()) return Doom(s.status());
  s->control = control;
  return Doom(DoPutProcess(*s, "process.control"));
}

Status Transaction::SetProcessDependencies(std::string_view name, const std::vector<std::string>& deps) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("SetProcessDependencies"));
  for (const auto& d : deps) {
    SYSTORE_DOOM_NOT_OK(RequireName(d, "dependency of process '" + std::string(name) + "'"));
    if (d == name) return Doom(Status::InvalidArgument("process '" + d + "' cannot depend on itself"));
  }
  auto s = ProcessOrNew(name);
  if (!s.ok()) return Doom(s.status());
  s->depends_on = deps;
  return Doom(DoPutProcess(*s, "process.dependencies"));
}

Status Transaction::StartProcess(std::string_view name, int64_t pid, Timestamp at) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("StartProcess"));
  at = NowIfZero(at);
  auto s = ProcessOrNew(name);
  if (!s.ok()) return Doom(s.status());
  const std::string who = "process '" + std::string(name) + "'";
  if (s->control != ControlStatus::kGo) {
    return Doom(Status::Unavailable(who + " may not start: control is " + std::string(ControlStatusName(s->control))));
  }
  if (s->running) {
    return Doom(Status::Unavailable(who + " is already running (pid " + std::to_string(s->pid) + ")"));
  }
  const Timestamp today = at - (at % kNanosPerDay + kNanosPerDay) % kNanosPerDay;
  for (const auto& dep : s->depends_on) {
    SYSTORE_ASSIGN_OR_RAISE(auto d, DoProcesses(dep));
    if (d.empty() || d.front().running || d.front().last_end < today || d.front().last_end < d.front().last_start) {
      return Doom(
          Status::Unavailable(who + " may not start: it depends on '" + dep + "', which has not finished today"));
    }
  }
  s->running = true;
  s->pid = pid;
  s->last_start = at;
  return Doom(DoPutProcess(*s, "process.start"));
}

Status Transaction::FinishProcess(std::string_view name, Timestamp at) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("FinishProcess"));
  auto s = ProcessOrNew(name);
  if (!s.ok()) return Doom(s.status());
  s->running = false;
  s->recently_crashed = false;
  s->last_end = NowIfZero(at);
  return Doom(DoPutProcess(*s, "process.finish"));
}

Status Transaction::MarkProcessCrashed(std::string_view name, Timestamp at) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("MarkProcessCrashed"));
  auto s = ProcessOrNew(name);
  if (!s.ok()) return Doom(s.status());
  s->running = false;
  s->recently_crashed = true;
  s->last_end = NowIfZero(at);
  return Doom(DoPutProcess(*s, "process.crashed"));
}

Status Transaction::StartMethod(std::string_view process, std::string_view method, Timestamp at) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("StartMethod"));
  SYSTORE_DOOM_NOT_OK(RequireName(method, "method name"));
  auto s = ProcessOrNew(process);
  if (!s.ok()) return Doom(s.status());
  s->methods[std::string(method)].last_start = NowIfZero(at);
  return Doom(DoPutProcess(*s, "process.method_start"));
}

Status Transaction::FinishMethod(std::string_view process, std::string_view method, Timestamp at) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("FinishMethod"));
  SYSTORE_DOOM_NOT_OK(RequireName(method, "method name"));
  auto s = ProcessOrNew(process);
  if (!s.ok()) return Doom(s.status());
  s->methods[std::string(method)].last_end = NowIfZero(at);
  return Doom(DoPutProcess(*s, "process.method_finish"));
}

namespace {
Status CheckEodDate(std::string_view date) {
  bool ok = date.size() == 10 && date[4] == '-' && date[7] == '-';
  for (size_t i = 0; ok && i < date.size(); ++i) ok = i == 4 || i == 7 || (date[i] >= '0' && date[i] <= '9');
  if (!ok) return Status::InvalidArgument("end-of-day date '" + std::string(date) + "': expected YYYY-MM-DD");
  return Status::OK();
}
}  // namespace

Status Transaction::RecordEodStep(const EodStepRecord& r) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("RecordEodStep"));
  SYSTORE_DOOM_NOT_OK(CheckEodDate(r.date));
  SYSTORE_DOOM_NOT_OK(RequireName(r.step, "end-of-day step"));
  auto metrics = nlohmann::json::parse(r.metrics_json, nullptr, false);
  if (!metrics.is_object()) {
    return Doom(Status::InvalidArgument("end-of-day step '" + r.step + "': metrics are not a JSON object"));
  }
  auto before = DoEodSteps(r.date, r.step);
  if (!before.ok()) return Doom(before.status());
  SYSTORE_DOOM_NOT_OK(DoPutEodStep(r));
  return Doom(Audit("eod.step", "eod_step", r.date + "/" + r.step,
                    before->empty() ? "null" : operational::EodStepToJson(before->front()).dump(),
                    operational::EodStepToJson(r).dump()));
}

Result<std::vector<EodStepRecord>> Transaction::EodSteps(std::string_view date) {
  if (!date.empty()) SYSTORE_RETURN_NOT_OK(CheckEodDate(date));
  return DoEodSteps(date, "");
}

// ---- Production controls ----------------------------------------------------------------

Status Transaction::LockInstrument(std::string_view instrument) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("LockInstrument"));
  SYSTORE_DOOM_NOT_OK(RequireName(instrument, "instrument"));
  return Doom(DoSetLock(instrument, true));
}
Status Transaction::UnlockInstrument(std::string_view instrument) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("UnlockInstrument"));
  SYSTORE_DOOM_NOT_OK(RequireName(instrument, "instrument"));
  return Doom(DoSetLock(instrument, false));
}
Result<bool> Transaction::IsInstrumentLocked(std::string_view instrument) {
  SYSTORE_RETURN_NOT_OK(RequireName(instrument, "instrument"));
  return DoIsLocked(instrument);
}
Status Transaction::SetRollState(std::string_view instrument, RollState state) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("SetRollState"));
  SYSTORE_DOOM_NOT_OK(RequireName(instrument, "instrument"));
  return Doom(DoSetRollState(instrument, state));
}
Result<RollState> Transaction::GetRollState(std::string_view instrument) {
  SYSTORE_RETURN_NOT_OK(RequireName(instrument, "instrument"));
  SYSTORE_ASSIGN_OR_RAISE(auto s, DoGetRollState(instrument));
  return s.value_or(RollState::kNoRoll);
}
Status Transaction::SetTradeLimit(const TradeLimit& l) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("SetTradeLimit"));
  SYSTORE_DOOM_NOT_OK(RequireName(l.instrument, "trade limit instrument"));
  if (l.period_days <= 0) {
    return Doom(Status::InvalidArgument("trade limit period must be positive, got " + std::to_string(l.period_days)));
  }
  if (l.limit < 0) return Doom(Status::InvalidArgument("trade limit must be >= 0, got " + std::to_string(l.limit)));
  return Doom(DoSetTradeLimit(l));
}
Status Transaction::ResetTradeLimit(std::string_view instrument, std::string_view strategy, int period_days,
                                    Timestamp at) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("ResetTradeLimit"));
  SYSTORE_DOOM_NOT_OK(RequireName(instrument, "instrument"));
  return Doom(DoResetTradeLimit(instrument, strategy, period_days, NowIfZero(at)));
}
Result<std::vector<TradeLimit>> Transaction::TradeLimits(std::string_view instrument) {
  return DoTradeLimits(instrument);
}
Status Transaction::SetPositionLimit(const PositionLimit& l) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("SetPositionLimit"));
  SYSTORE_DOOM_NOT_OK(RequireName(l.instrument, "position limit instrument"));
  if (l.limit < 0) return Doom(Status::InvalidArgument("position limit must be >= 0, got " + std::to_string(l.limit)));
  return Doom(DoSetPositionLimit(l));
}
Result<PositionLimit> Transaction::GetPositionLimit(std::string_view instrument, std::string_view strategy) {
  SYSTORE_RETURN_NOT_OK(RequireName(instrument, "instrument"));
  SYSTORE_ASSIGN_OR_RAISE(auto l, DoGetPositionLimit(instrument, strategy));
  if (!l) {
    return Status::NotFound("no position limit for instrument '" + std::string(instrument) + "'" +
                            (strategy.empty() ? "" : " and strategy '" + std::string(strategy) + "'"));
  }
  return *l;
}
Status Transaction::SetOverride(const Override& o) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("SetOverride"));
  if (o.scope != "strategy" && o.scope != "instrument" && o.scope != "contract" && o.scope != "strategy_instrument") {
    return Doom(Status::InvalidArgument("override scope '" + o.scope +
                                        "' is not one of strategy, instrument, contract, strategy_instrument"));
  }
  SYSTORE_DOOM_NOT_OK(RequireName(o.key, "override key"));
  if (!std::isfinite(o.multiplier) || o.multiplier < 0 || o.multiplier > 1) {
    return Doom(Status::InvalidArgument("override multiplier must be in [0, 1], got " + std::to_string(o.multiplier)));
  }
  return Doom(DoSetOverride(o));
}
Result<Override> Transaction::GetOverride(std::string_view scope, std::string_view key) {
  SYSTORE_ASSIGN_OR_RAISE(auto o, DoGetOverride(scope, key));
  if (o) return *o;
  return Override{std::string(scope), std::string(key), 1.0};
}
Status Transaction::AddTemporaryClose(std::string_view instrument) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("AddTemporaryClose"));
  SYSTORE_DOOM_NOT_OK(RequireName(instrument, "instrument"));
  auto existing = DoGetTemporaryClose(instrument);
  if (!existing.ok()) return Doom(existing.status());
  if (existing->has_value()) {
    return Doom(Status::AlreadyExists("instrument '" + std::string(instrument) + "' already has a temporary close"));
  }
  auto limit = DoGetPositionLimit(instrument, "");
  if (!limit.ok()) return Doom(limit.status());
  std::optional<int64_t> saved;
  if (*limit) saved = (*limit)->limit;
  SYSTORE_DOOM_NOT_OK(DoSetTemporaryClose(instrument, true, saved));
  return Doom(DoSetPositionLimit(PositionLimit{std::string(instrument), "", 0}));
}
Status Transaction::RemoveTemporaryClose(std::string_view instrument) {
  SYSTORE_DOOM_NOT_OK(CheckWritable("RemoveTemporaryClose"));
  SYSTORE_DOOM_NOT_OK(RequireName(instrument, "instrument"));
  auto existing = DoGetTemporaryClose(instrument);
  if (!existing.ok()) return Doom(existing.status());
  if (!existing->has_value()) {
    return Doom(Status::NotFound("instrument '" + std::string(instrument) + "' has no temporary close"));
  }
  std::optional<int64_t> saved = **existing;
  SYSTORE_DOOM_NOT_OK(DoSetTemporaryClose(instrument, false, std::nullopt));
  if (saved) return Doom(DoSetPositionLimit(PositionLimit{std::string(instrument), "", *saved}));
  return Doom(DoRemovePositionLimit(instrument, ""));
}
Result<bool> Transaction::HasTemporaryClose(std::string_view instrument) {
  SYSTORE_ASSIGN_OR_RAISE(auto c, DoGetTemporaryClose(instrument));
  return c.has_value();
}

#undef SYSTORE_DOOM_NOT_OK

// ---- OperationalStore -------------------------------------------------------------------

OperationalStore::~OperationalStore() = default;

Result<std::unique_ptr<OperationalStore>> OperationalStore::Open(const OperationalStoreOptions& options) {
  const std::string& uri = options.uri;
  if (options.max_group_size < 1) return Status::InvalidArgument("max_group_size must be >= 1");
  if (options.max_connections < 1) return Status::InvalidArgument("max_connections must be >= 1");
  if (options.max_retries < 0) return Status::InvalidArgument("max_retries must be >= 0");
  auto starts = [&](std::string_view p) { return uri.rfind(p, 0) == 0; };
  if (starts("sqlite:")) {
    std::string path = uri.substr(7);
    if (path.rfind("//", 0) == 0) path = path.substr(2);
    if (path.empty()) return Status::InvalidArgument("sqlite URI without a path: '" + uri + "'");
    if (path == ":memory:") {
      return Status::InvalidArgument(
          "sqlite://:memory: is not supported (readers use their own connections); use a file");
    }
    return operational::OpenSqliteStore(options, path);
  }
  if (starts("postgresql:") || starts("postgres:")) return operational::OpenPostgresStore(options, uri);
  if (starts("mongodb:") || starts("mongodb+srv:")) return operational::OpenMongoStore(options, uri);
  return Status::InvalidArgument("operational store URI '" + uri +
                                 "': unknown scheme (expected sqlite://, postgresql:// or mongodb://)");
}

Status OperationalStore::Transact(const std::function<Status(Transaction&)>& fn) {
  // A failed mutation dooms the transaction whatever fn returns.
  auto wrapped = [&fn](Transaction& t) -> Status {
    Status st = fn(t);
    if (!t.doom().ok()) return t.doom();
    return st;
  };
  Status st;
  for (int attempt = 0;; ++attempt) {
    st = DoTransact(wrapped);
    if (st.ok() || !st.IsConflict() || !st.retryable() || attempt >= options_.max_retries) return st;
    std::this_thread::sleep_for(std::chrono::microseconds(100 << std::min(attempt, 8)));
  }
}

Status OperationalStore::Read(const std::function<Status(Transaction&)>& fn) {
  Status st;
  for (int attempt = 0;; ++attempt) {
    st = DoRead(fn);
    if (st.ok() || !st.IsConflict() || !st.retryable() || attempt >= options_.max_retries) return st;
    std::this_thread::sleep_for(std::chrono::microseconds(100 << std::min(attempt, 8)));
  }
}

namespace {
template <typename T, typename F>
Result<T> ReadValue(OperationalStore& s, F&& f) {
  std::optional<T> out;
  Status st = s.Read([&](Transaction& t) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(T v, f(t));
    out = std::move(v);
    return Status::OK();
  });
  if (!st.ok()) return st;
  return std::move(*out);
}
template <typename T, typename F>
Result<T> WriteValue(OperationalStore& s, F&& f) {
  std::optional<T> out;
  Status st = s.Transact([&](Transaction& t) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(T v, f(t));
    out = std::move(v);
    return Status::OK();
  });
  if (!st.ok()) return st;
  return std::move(*out);
}
}  // namespace

Result<OrderId> OperationalStore::AddOrder(const NewOrder& order) {
  return WriteValue<OrderId>(*this, [&](Transaction& t) { return t.AddOrder(order); });
}
Result<FillResult> OperationalStore::ApplyFill(const FillRequest& fill) {
  return WriteValue<FillResult>(*this, [&](Transaction& t) { return t.ApplyFill(fill); });
}
Status OperationalStore::SubmitOrder(OrderId id) {
  return Transact([&](Transaction& t) { return t.SubmitOrder(id); });
}
Status OperationalStore::CancelOrder(OrderId id, std::string_view reason) {
  return Transact([&](Transaction& t) { return t.CancelOrder(id, reason); });
}
Result<Order> OperationalStore::GetOrder(OrderId id) {
  return ReadValue<Order>(*this, [&](Transaction& t) { return t.GetOrder(id); });
}
Result<std::vector<Order>> OperationalStore::FindOrders(const OrderQuery& q) {
  return ReadValue<std::vector<Order>>(*this, [&](Transaction& t) { return t.FindOrders(q); });
}
Result<std::vector<Order>> OperationalStore::OpenOrders(std::string_view strategy) {
  OrderQuery q;
  q.strategy = std::string(strategy);
  q.open_only = true;
  return FindOrders(q);
}
Result<std::vector<Fill>> OperationalStore::FillsOfOrder(OrderId id) {
  return ReadValue<std::vector<Fill>>(*this, [&](Transaction& t) { return t.FillsOfOrder(id); });
}
Result<std::vector<StrategyPosition>> OperationalStore::StrategyPositions(std::string_view strategy,
                                                                          std::string_view instrument) {
  return ReadValue<std::vector<StrategyPosition>>(
      *this, [&](Transaction& t) { return t.StrategyPositions(strategy, instrument); });
}
Result<std::vector<ContractPosition>> OperationalStore::ContractPositions(std::string_view instrument,
                                                                          std::string_view contract) {
  return ReadValue<std::vector<ContractPosition>>(
      *this, [&](Transaction& t) { return t.ContractPositions(instrument, contract); });
}
Result<ReconcileReport> OperationalStore::Reconcile() {
  return ReadValue<ReconcileReport>(*this, [&](Transaction& t) { return t.Reconcile(); });
}
Result<ProcessState> OperationalStore::GetProcess(std::string_view name) {
  return ReadValue<ProcessState>(*this, [&](Transaction& t) { return t.GetProcess(name); });
}
Result<std::vector<ProcessState>> OperationalStore::Processes() {
  return ReadValue<std::vector<ProcessState>>(*this, [&](Transaction& t) { return t.Processes(); });
}
Result<std::vector<EodStepRecord>> OperationalStore::EodSteps(std::string_view date) {
  return ReadValue<std::vector<EodStepRecord>>(*this, [&](Transaction& t) { return t.EodSteps(date); });
}
Result<std::vector<AuditRecord>> OperationalStore::AuditLog(int64_t after_seq, int64_t limit) {
  return ReadValue<std::vector<AuditRecord>>(*this, [&](Transaction& t) { return t.AuditLog(after_seq, limit); });
}

}  // namespace systore
