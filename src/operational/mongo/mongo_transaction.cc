#include "operational/mongo/mongo_transaction.h"

#include <map>
#include <set>

#include "operational/order_rules_internal.h"
#include "operational/record_json.h"

namespace systore::operational {
namespace {

// Collections (one per SQL table of schema.cc). Plain constants, not std::string: the
// crash test's child process opens a store during static initialization.
constexpr const char *kCounters = "counters", *kOrders = "orders", *kFills = "fills", *kTrades = "trades",
                     *kStrategyPositions = "strategy_positions", *kContractPositions = "contract_positions",
                     *kDailyPnl = "daily_pnl", *kTradeLimits = "trade_limits", *kPositionLimits = "position_limits",
                     *kOverrides = "overrides", *kTemporaryCloses = "temporary_closes", *kLocks = "instrument_locks",
                     *kRollStates = "roll_states", *kProcesses = "processes", *kEodSteps = "eod_steps", *kAudit = "audit_log";

std::string Str(std::string_view s) { return std::string(s); }

// A compound _id: the parts joined by the unit separator, which no name contains in practice.
std::string Key(std::initializer_list<std::string_view> parts) {
  std::string k;
  for (auto p : parts) {
    if (!k.empty()) k += '\x1f';
    k += p;
  }
  return k;
}

int64_t Int(const Json& d, const char* f) {
  auto it = d.find(f);
  return it == d.end() || it->is_null() ? 0 : it->get<int64_t>();
}
double Dbl(const Json& d, const char* f) {
  auto it = d.find(f);
  return it == d.end() || it->is_null() ? 0 : it->get<double>();
}
std::string Text(const Json& d, const char* f) {
  auto it = d.find(f);
  return it == d.end() || !it->is_string() ? std::string() : it->get<std::string>();
}

// Orders are stored in their JSON form (OrderToJson) with the attributes as text, since
// attribute names may be anything (even "$x" or "a.b", which MongoDB field names dislike).
Json OrderDoc(const Order& o) {
  Json d = OrderToJson(o);
  d["_id"] = PaddedId(o.id);
  d["attributes"] = o.attributes_json;
  return d;
}

Result<Order> DocToOrder(const Json& d) {
  Order o;
  o.id = Int(d, "id");
  auto bad = [&](const Status& st) { return Status::Corruption(OrderWho(o.id) + ": " + st.message()); };
  auto level = ParseOrderLevel(Text(d, "level"));
  if (!level.ok()) return bad(level.status());
  o.level = *level;
  if (d.contains("parent_id") && !d["parent_id"].is_null()) o.parent_id = d["parent_id"].get<int64_t>();
  o.strategy = Text(d, "strategy");
  o.instrument = Text(d, "instrument");
  o.contract = Text(d, "contract");
  auto side = ParseSide(Text(d, "side"));
  if (!side.ok()) return bad(side.status());
  o.side = *side;
  o.quantity = Int(d, "quantity");
  auto type = ParseOrderType(Text(d, "type"));
  if (!type.ok()) return bad(type.status());
  o.type = *type;
  if (d.contains("limit_price") && !d["limit_price"].is_null()) o.limit_price = d["limit_price"].get<double>();
  auto status = ParseOrderStatus(Text(d, "status"));
  if (!status.ok()) return bad(status.status());
  o.status = *status;
  o.filled_quantity = Int(d, "filled_quantity");
  o.average_fill_price = Dbl(d, "average_fill_price");
  o.commission = Dbl(d, "commission");
  o.attributes_json = Text(d, "attributes");
  SYSTORE_RETURN_NOT_OK(operational::CheckStoredAttributes(o.attributes_json, OrderWho(o.id)));
  o.reason = Text(d, "reason");
  o.created_at = Int(d, "created_at");
  o.submitted_at = Int(d, "submitted_at");
  o.first_fill_at = Int(d, "first_fill_at");
  o.last_fill_at = Int(d, "last_fill_at");
  o.filled_at = Int(d, "filled_at");
  o.cancelled_at = Int(d, "cancelled_at");
  o.rejected_at = Int(d, "rejected_at");
  return o;
}

Fill DocToFill(const Json& d) {
  return {Text(d, "exec_id"), Int(d, "order_id"),   Int(d, "quantity"),
          Dbl(d, "price"),    Dbl(d, "commission"), Int(d, "time")};
}

TradeLimit DocToTradeLimit(const Json& d) {
  return {Text(d, "instrument"), Text(d, "strategy"),          static_cast<int>(Int(d, "period_days")),
          Int(d, "limit"),       Int(d, "traded_since_reset"), Int(d, "last_reset")};
}

// An equality filter on the fields whose value is non-empty.
Json EqualsFilter(std::initializer_list<std::pair<const char*, std::string_view>> fields) {
  Json f = Json::object();
  for (const auto& [name, value] : fields) {
    if (!value.empty()) f[name] = value;
  }
  return f;
}

}  // namespace

Result<int64_t> MongoTransaction::NextCounter(const std::string& name) {
  SYSTORE_ASSIGN_OR_RAISE(auto doc, v_.Get(kCounters, name));
  const int64_t next = (doc ? Int(*doc, "value") : 0) + 1;
  v_.Put(kCounters, {{"_id", name}, {"value", next}});
  return next;
}

// Every record of one call gets the same time.
Status MongoTransaction::DoAudit(const std::vector<AuditRecord>& records) {
  const int64_t now = Now();
  for (const AuditRecord& r : records) {
    SYSTORE_ASSIGN_OR_RAISE(int64_t seq, NextCounter("audit_seq"));
    v_.Put(kAudit, {{"_id", PaddedId(seq)},
                    {"seq", seq},
                    {"at", now},
                    {"actor", actor_},
                    {"operation", r.operation},
                    {"entity", r.entity},
                    {"record_key", r.key},
                    {"before", r.before_json == "null" ? Json(nullptr) : Json(r.before_json)},
                    {"after", r.after_json == "null" ? Json(nullptr) : Json(r.after_json)}});
  }
  return Status::OK();
}

// ---- Orders -------------------------------------------------------------------------------

Result<OrderId> MongoTransaction::DoAllocateOrderId() { return NextCounter("order_id"); }

Result<Order> MongoTransaction::LoadOrder(OrderId id) {
  SYSTORE_ASSIGN_OR_RAISE(auto doc, v_.Get(kOrders, PaddedId(id)));
  if (!doc) return Status::NotFound(OrderWho(id) + " not found");
  return DocToOrder(*doc);
}

void MongoTransaction::StoreOrder(const Order& o) { v_.Put(kOrders, OrderDoc(o)); }

Result<Order> MongoTransaction::DoGetOrder(OrderId id) { return LoadOrder(id); }

// The store serializes writers (one journal entry per transaction): nothing to lock.
Result<Order> MongoTransaction::DoGetOrderForUpdate(OrderId id) { return LoadOrder(id); }

Result<OrderId> MongoTransaction::DoAddOrder(const NewOrder& n, const std::string& attributes_json) {
  if (n.parent_id) {
    auto parent = LoadOrder(*n.parent_id);
    if (!parent.ok()) return ParentLookupError(*n.parent_id, parent.status());
  }
  SYSTORE_ASSIGN_OR_RAISE(OrderId id, DoAllocateOrderId());
  const Order o = NewOrderRecord(id, n, attributes_json);
  StoreOrder(o);
  SYSTORE_RETURN_NOT_OK(AuditJson("order.new", "order", std::to_string(id), nullptr, OrderToJson(o)));
  return id;
}

Status MongoTransaction::DoTransition(OrderId id, OrderStatus to, std::string_view reason, Timestamp at) {
  SYSTORE_ASSIGN_OR_RAISE(Order o, LoadOrder(id));
  std::string verb;
  SYSTORE_ASSIGN_OR_RAISE(Order after, WithTransition(o, to, reason, at, &verb));
  StoreOrder(after);
  return AuditJson("order." + verb, "order", std::to_string(id), OrderToJson(o), OrderToJson(after));
}

Status MongoTransaction::DoSetOrderAttributes(OrderId id, const std::string& attributes_json) {
  SYSTORE_ASSIGN_OR_RAISE(Order o, LoadOrder(id));
  Order after = o;
  after.attributes_json = attributes_json;
  StoreOrder(after);
  return AuditJson("order.attributes", "order", std::to_string(id), OrderToJson(o), OrderToJson(after));
}

// ---- Fills (the workflow is Transaction::ApplyFill's) ------------------------------------

Result<bool> MongoTransaction::DoFillExists(std::string_view exec_id) {
  SYSTORE_ASSIGN_OR_RAISE(auto doc, v_.Get(kFills, exec_id));
  return doc.has_value();
}

// The exec id is the _id; Put replaces, so the duplicate check is a lookup.
Status MongoTransaction::DoInsertFill(const Fill& f) {
  SYSTORE_ASSIGN_OR_RAISE(bool exists, DoFillExists(f.exec_id));
  if (exists) return Status::AlreadyExists("fill '" + f.exec_id + "' exists");
  Json doc = FillToJson(f);
  doc["_id"] = f.exec_id;
  v_.Put(kFills, std::move(doc));
  return Status::OK();
}

Status MongoTransaction::DoUpdateOrderFill(const Order& after) {
  StoreOrder(after);
  return Status::OK();
}

Result<int64_t> MongoTransaction::DoAddToStrategyPosition(const StrategyPosition& d) {
  const std::string key = Key({d.strategy, d.instrument});
  SYSTORE_ASSIGN_OR_RAISE(auto doc, v_.Get(kStrategyPositions, key));
  const int64_t position = (doc ? Int(*doc, "net_position") : 0) + d.position;
  v_.Put(kStrategyPositions, {{"_id", key},
                              {"strategy", d.strategy},
                              {"instrument", d.instrument},
                              {"net_position", position},
                              {"updated_at", d.updated_at}});
  return position;
}

Result<int64_t> MongoTransaction::DoAddToContractPosition(const ContractPosition& d) {
  const std::string key = Key({d.instrument, d.contract});
  SYSTORE_ASSIGN_OR_RAISE(auto doc, v_.Get(kContractPositions, key));
  const int64_t position = (doc ? Int(*doc, "net_position") : 0) + d.position;
  v_.Put(kContractPositions, {{"_id", key},
                              {"instrument", d.instrument},
                              {"contract", d.contract},
                              {"net_position", position},
                              {"updated_at", d.updated_at}});
  return position;
}

Status MongoTransaction::DoInsertTrade(const Trade& t) {
  v_.Put(kTrades, {{"_id", t.exec_id},
                   {"exec_id", t.exec_id},
                   {"order_id", t.order_id},
                   {"strategy", t.strategy},
                   {"instrument", t.instrument},
                   {"contract", t.contract},
                   {"signed_quantity", t.signed_quantity},
                   {"price", t.price},
                   {"commission", t.commission},
                   {"time", t.time}});
  return Status::OK();
}

Status MongoTransaction::DoAddToDailyPnl(const DailyPnl& d) {
  const std::string key = Key({std::to_string(d.day), d.strategy, d.instrument});
  SYSTORE_ASSIGN_OR_RAISE(auto doc, v_.Get(kDailyPnl, key));
  v_.Put(kDailyPnl, {{"_id", key},
                     {"day", d.day},
                     {"strategy", d.strategy},
                     {"instrument", d.instrument},
                     {"cash_flow", (doc ? Dbl(*doc, "cash_flow") : 0.0) + d.cash_flow},
                     {"commission", (doc ? Dbl(*doc, "commission") : 0.0) + d.commission},
                     {"traded_quantity", (doc ? Int(*doc, "traded_quantity") : 0) + d.traded_quantity}});
  return Status::OK();
}

Status MongoTransaction::DoAddToTradedQuantity(std::string_view instrument, std::string_view strategy,
                                               int64_t quantity) {
  SYSTORE_ASSIGN_OR_RAISE(
      auto limits,
      v_.Find(kTradeLimits, {{"instrument", instrument}, {"strategy", {{"$in", {strategy, ""}}}}}, {{"_id", 1}}));
  for (Json& l : limits) {
    l["traded_since_reset"] = Int(l, "traded_since_reset") + quantity;
    v_.Put(kTradeLimits, std::move(l));
  }
  return Status::OK();
}

// ---- Queries ------------------------------------------------------------------------------

Result<std::vector<Order>> MongoTransaction::DoFindOrders(const OrderQuery& q) {
  Json filter = Json::object();
  if (q.status) filter["status"] = OrderStatusName(*q.status);
  if (q.open_only) {
    Json open = {OrderStatusName(OrderStatus::kCreated), OrderStatusName(OrderStatus::kSubmitted),
                 OrderStatusName(OrderStatus::kPartiallyFilled)};
    if (q.status) {
      filter["status"] = {{"$eq", OrderStatusName(*q.status)}, {"$in", open}};
    } else {
      filter["status"] = {{"$in", open}};
    }
  }
  if (q.strategy) filter["strategy"] = *q.strategy;
  if (q.instrument) filter["instrument"] = *q.instrument;
  Json created = Json::object();
  if (q.start != kMinTimestamp) created["$gte"] = q.start;
  if (q.end != kMaxTimestamp) created["$lt"] = q.end;
  if (!created.empty()) filter["created_at"] = created;
  SYSTORE_ASSIGN_OR_RAISE(auto docs, v_.Find(kOrders, filter, {{"_id", 1}}, q.limit));  // _id: id order
  std::vector<Order> out;
  out.reserve(docs.size());
  for (const Json& d : docs) {
    SYSTORE_ASSIGN_OR_RAISE(Order o, DocToOrder(d));
    out.push_back(std::move(o));
  }
  return out;
}

Result<std::vector<Fill>> MongoTransaction::DoFillsOfOrder(OrderId id) {
  SYSTORE_ASSIGN_OR_RAISE(auto docs, v_.Find(kFills, {{"order_id", id}}, {{"time", 1}, {"_id", 1}}));
  std::vector<Fill> out;
  for (const Json& d : docs) out.push_back(DocToFill(d));
  return out;
}

Result<std::vector<StrategyPosition>> MongoTransaction::DoStrategyPositions(std::string_view strategy,
                                                                            std::string_view instrument) {
  SYSTORE_ASSIGN_OR_RAISE(
      auto docs, v_.Find(kStrategyPositions, EqualsFilter({{"strategy", strategy}, {"instrument", instrument}}),
                         {{"strategy", 1}, {"instrument", 1}}));
  std::vector<StrategyPosition> out;
  for (const Json& d : docs) {
    out.push_back({Text(d, "strategy"), Text(d, "instrument"), Int(d, "net_position"), Int(d, "updated_at")});
  }
  return out;
}

Result<std::vector<ContractPosition>> MongoTransaction::DoContractPositions(std::string_view instrument,
                                                                            std::string_view contract) {
  SYSTORE_ASSIGN_OR_RAISE(
      auto docs, v_.Find(kContractPositions, EqualsFilter({{"instrument", instrument}, {"contract", contract}}),
                         {{"instrument", 1}, {"contract", 1}}));
  std::vector<ContractPosition> out;
  for (const Json& d : docs) {
    out.push_back({Text(d, "instrument"), Text(d, "contract"), Int(d, "net_position"), Int(d, "updated_at")});
  }
  return out;
}

Result<std::vector<Trade>> MongoTransaction::DoTrades(std::string_view strategy, std::string_view instrument) {
  SYSTORE_ASSIGN_OR_RAISE(
      auto docs,
      v_.Find(kTrades, EqualsFilter({{"strategy", strategy}, {"instrument", instrument}}), {{"time", 1}, {"_id", 1}}));
  std::vector<Trade> out;
  for (const Json& d : docs) {
    out.push_back({Text(d, "exec_id"), Int(d, "order_id"), Text(d, "strategy"), Text(d, "instrument"),
                   Text(d, "contract"), Int(d, "signed_quantity"), Dbl(d, "price"), Dbl(d, "commission"),
                   Int(d, "time")});
  }
  return out;
}

Result<std::vector<DailyPnl>> MongoTransaction::DoDailyPnlRecords(std::string_view strategy) {
  SYSTORE_ASSIGN_OR_RAISE(auto docs, v_.Find(kDailyPnl, EqualsFilter({{"strategy", strategy}}),
                                             {{"day", 1}, {"strategy", 1}, {"instrument", 1}}));
  std::vector<DailyPnl> out;
  for (const Json& d : docs) {
    out.push_back({Int(d, "day"), Text(d, "strategy"), Text(d, "instrument"), Dbl(d, "cash_flow"), Dbl(d, "commission"),
                   Int(d, "traded_quantity")});
  }
  return out;
}

Result<std::vector<PositionPoint>> MongoTransaction::DoPositionHistory(std::string_view strategy,
                                                                       std::string_view instrument) {
  SYSTORE_ASSIGN_OR_RAISE(auto orders,
                          v_.Find(kOrders, {{"strategy", strategy}, {"instrument", instrument}}, {{"_id", 1}}));
  std::map<OrderId, int64_t> sign;
  Json ids = Json::array();
  for (const Json& o : orders) {
    sign[Int(o, "id")] = Text(o, "side") == "buy" ? 1 : -1;
    ids.push_back(o["id"]);
  }
  std::vector<PositionPoint> out;
  if (ids.empty()) return out;
  SYSTORE_ASSIGN_OR_RAISE(auto fills, v_.Find(kFills, {{"order_id", {{"$in", ids}}}}, {{"time", 1}, {"_id", 1}}));
  int64_t pos = 0;
  for (const Json& f : fills) {
    pos += sign[Int(f, "order_id")] * Int(f, "quantity");
    out.push_back({Int(f, "time"), pos});
  }
  return out;
}

Result<ReconcileReport> MongoTransaction::DoReconcile() {
  SYSTORE_ASSIGN_OR_RAISE(auto orders, v_.Find(kOrders, Json::object(), {{"_id", 1}}));
  SYSTORE_ASSIGN_OR_RAISE(auto fills, v_.Find(kFills, Json::object(), {{"_id", 1}}));
  std::map<OrderId, const Json*> by_id;
  for (const Json& o : orders) by_id[Int(o, "id")] = &o;
  using Pair = std::pair<std::string, std::string>;
  std::map<Pair, int64_t> strategy_from_fills, contract_from_fills;
  for (const Json& f : fills) {
    auto it = by_id.find(Int(f, "order_id"));
    if (it == by_id.end()) continue;  // a fill of no order: cannot be attributed
    const Json& o = *it->second;
    const int64_t q = (Text(o, "side") == "buy" ? 1 : -1) * Int(f, "quantity");
    strategy_from_fills[{Text(o, "strategy"), Text(o, "instrument")}] += q;
    if (!Text(o, "contract").empty()) contract_from_fills[{Text(o, "instrument"), Text(o, "contract")}] += q;
  }
  ReconcileReport report;
  auto check = [&](const char* kind, const std::string& coll, const char* k1, const char* k2,
                   std::map<Pair, int64_t>& from_fills) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(auto stored, v_.Find(coll, Json::object(), {{k1, 1}, {k2, 1}}));
    std::map<Pair, int64_t> stored_by_key;
    for (const Json& p : stored) stored_by_key[{Text(p, k1), Text(p, k2)}] = Int(p, "net_position");
    std::set<Pair> keys;
    for (const auto& [k, q] : stored_by_key) keys.insert(k);
    for (const auto& [k, q] : from_fills) keys.insert(k);
    for (const Pair& k : keys) {
      ++report.positions_checked;
      const int64_t s = stored_by_key.contains(k) ? stored_by_key[k] : 0;
      const int64_t f = from_fills.contains(k) ? from_fills[k] : 0;
      if (s != f) report.differences.push_back({kind, k.first, k.second, s, f});
    }
    return Status::OK();
  };
  SYSTORE_RETURN_NOT_OK(check("strategy", kStrategyPositions, "strategy", "instrument", strategy_from_fills));
  SYSTORE_RETURN_NOT_OK(check("contract", kContractPositions, "instrument", "contract", contract_from_fills));
  return report;
}

Result<std::vector<AuditRecord>> MongoTransaction::DoAuditLog(int64_t after_seq, int64_t limit) {
  SYSTORE_ASSIGN_OR_RAISE(auto docs, v_.Find(kAudit, {{"seq", {{"$gt", after_seq}}}}, {{"_id", 1}}, limit));
  std::vector<AuditRecord> out;
  for (const Json& d : docs) {
    AuditRecord a;
    a.seq = Int(d, "seq");
    a.time = Int(d, "at");
    a.actor = Text(d, "actor");
    a.operation = Text(d, "operation");
    a.entity = Text(d, "entity");
    a.key = Text(d, "record_key");
    if (d.contains("before") && d["before"].is_string()) a.before_json = Text(d, "before");
    if (d.contains("after") && d["after"].is_string()) a.after_json = Text(d, "after");
    out.push_back(std::move(a));
  }
  return out;
}

// ---- Process control ----------------------------------------------------------------------

Result<std::vector<ProcessState>> MongoTransaction::DoProcesses(std::string_view name) {
  SYSTORE_ASSIGN_OR_RAISE(auto docs,
                          v_.Find(kProcesses, name.empty() ? Json::object() : Json{{"_id", name}}, {{"_id", 1}}));
  std::vector<ProcessState> out;
  for (const Json& d : docs) {
    ProcessState p;
    p.name = Text(d, "_id");
    SYSTORE_ASSIGN_OR_RAISE(p.control, ParseControlStatus(Text(d, "control")));
    p.running = d.value("running", false);
    p.pid = Int(d, "pid");
    p.last_start = Int(d, "last_start");
    p.last_end = Int(d, "last_end");
    p.recently_crashed = d.value("recently_crashed", false);
    if (!d.contains("depends_on") || !d["depends_on"].is_array() || !d.contains("methods") ||
        !d["methods"].is_array()) {
      return Status::Corruption("process '" + p.name + "': stored dependencies/methods are malformed");
    }
    for (const Json& dep : d["depends_on"]) p.depends_on.push_back(dep.get<std::string>());
    for (const Json& m : d["methods"]) p.methods[Text(m, "name")] = {Int(m, "last_start"), Int(m, "last_end")};
    out.push_back(std::move(p));
  }
  return out;
}

Status MongoTransaction::DoPutProcess(const ProcessState& p, std::string_view operation) {
  SYSTORE_ASSIGN_OR_RAISE(auto before, DoProcesses(p.name));
  // Method names are user text: an array of records, not field names.
  Json methods = Json::array();
  for (const auto& [m, t] : p.methods)
    methods.push_back({{"name", m}, {"last_start", t.last_start}, {"last_end", t.last_end}});
  v_.Put(kProcesses, {{"_id", p.name},
                      {"control", ControlStatusName(p.control)},
                      {"running", p.running},
                      {"pid", p.pid},
                      {"last_start", p.last_start},
                      {"last_end", p.last_end},
                      {"recently_crashed", p.recently_crashed},
                      {"depends_on", p.depends_on},
                      {"methods", methods}});
  return AuditJson(operation, "process", p.name, before.empty() ? Json(nullptr) : ProcessToJson(before[0]),
               ProcessToJson(p));
}

Result<std::vector<EodStepRecord>> MongoTransaction::DoEodSteps(std::string_view date, std::string_view step) {
  Json filter = Json::object();
  if (!date.empty()) filter["date"] = date;
  if (!date.empty() && !step.empty()) filter["step"] = step;
  SYSTORE_ASSIGN_OR_RAISE(auto docs, v_.Find(kEodSteps, filter, {{"date", 1}, {"started_at", 1}, {"step", 1}}));
  std::vector<EodStepRecord> out;
  for (const Json& d : docs) {
    EodStepRecord e;
    e.date = Text(d, "date");
    e.step = Text(d, "step");
    e.started_at = Int(d, "started_at");
    e.ended_at = Int(d, "ended_at");
    SYSTORE_ASSIGN_OR_RAISE(e.outcome, ParseEodOutcome(Text(d, "outcome")));
    e.metrics_json = Text(d, "metrics");
    e.error = Text(d, "error");
    out.push_back(std::move(e));
  }
  return out;
}

Status MongoTransaction::DoPutEodStep(const EodStepRecord& e) {
  v_.Put(kEodSteps, {{"_id", e.date + "/" + e.step},
                     {"date", e.date},
                     {"step", e.step},
                     {"started_at", e.started_at},
                     {"ended_at", e.ended_at},
                     {"outcome", EodOutcomeName(e.outcome)},
                     {"metrics", e.metrics_json},
                     {"error", e.error}});
  return Status::OK();
}

// ---- Production controls ------------------------------------------------------------------

Status MongoTransaction::DoSetLock(std::string_view instrument, bool locked) {
  SYSTORE_ASSIGN_OR_RAISE(bool was, DoIsLocked(instrument));
  if (was == locked) return Status::OK();
  if (locked) {
    v_.Put(kLocks, {{"_id", instrument}, {"locked_at", Now()}});
  } else {
    v_.Remove(kLocks, instrument);
  }
  return AuditJson(locked ? "control.lock" : "control.unlock", "instrument_lock", instrument,
               was ? Json({{"locked", true}}) : Json(nullptr), locked ? Json({{"locked", true}}) : Json(nullptr));
}

Result<bool> MongoTransaction::DoIsLocked(std::string_view instrument) {
  SYSTORE_ASSIGN_OR_RAISE(auto doc, v_.Get(kLocks, instrument));
  return doc.has_value();
}

Status MongoTransaction::DoSetRollState(std::string_view instrument, RollState state) {
  SYSTORE_ASSIGN_OR_RAISE(auto before, DoGetRollState(instrument));
  v_.Put(kRollStates, {{"_id", instrument}, {"state", RollStateName(state)}, {"updated_at", Now()}});
  return AuditJson("control.roll_state", "roll_state", instrument,
               before ? Json({{"state", RollStateName(*before)}}) : Json(nullptr), {{"state", RollStateName(state)}});
}

Result<std::optional<RollState>> MongoTransaction::DoGetRollState(std::string_view instrument) {
  SYSTORE_ASSIGN_OR_RAISE(auto doc, v_.Get(kRollStates, instrument));
  if (!doc) return std::optional<RollState>();
  SYSTORE_ASSIGN_OR_RAISE(RollState s, ParseRollState(Text(*doc, "state")));
  return std::optional<RollState>(s);
}

Status MongoTransaction::DoSetTradeLimit(const TradeLimit& l) {
  const std::string id = Key({l.instrument, l.strategy, std::to_string(l.period_days)});
  SYSTORE_ASSIGN_OR_RAISE(auto doc, v_.Get(kTradeLimits, id));
  TradeLimit after = l;
  Json before = nullptr;
  if (doc) {
    const TradeLimit b = DocToTradeLimit(*doc);
    before = TradeLimitJson(b);
    after.traded_since_reset = b.traded_since_reset;
    after.last_reset = b.last_reset;
  }
  Json d = TradeLimitJson(after);
  d["_id"] = id;
  v_.Put(kTradeLimits, d);
  return AuditJson("control.trade_limit", "trade_limit",
               l.instrument + "/" + l.strategy + "/" + std::to_string(l.period_days), before, TradeLimitJson(after));
}

Status MongoTransaction::DoResetTradeLimit(std::string_view instrument, std::string_view strategy, int period_days,
                                           Timestamp at) {
  const std::string key = Str(instrument) + "/" + Str(strategy) + "/" + std::to_string(period_days);
  SYSTORE_ASSIGN_OR_RAISE(auto doc, v_.Get(kTradeLimits, Key({instrument, strategy, std::to_string(period_days)})));
  if (!doc) return Status::NotFound("no trade limit " + key);
  (*doc)["traded_since_reset"] = 0;
  (*doc)["last_reset"] = at;
  v_.Put(kTradeLimits, *doc);
  return AuditJson("control.trade_limit_reset", "trade_limit", key, nullptr,
               {{"traded_since_reset", 0}, {"last_reset", at}});
}

Result<std::vector<TradeLimit>> MongoTransaction::DoTradeLimits(std::string_view instrument) {
  SYSTORE_ASSIGN_OR_RAISE(auto docs, v_.Find(kTradeLimits, EqualsFilter({{"instrument", instrument}}),
                                             {{"instrument", 1}, {"strategy", 1}, {"period_days", 1}}));
  std::vector<TradeLimit> out;
  for (const Json& d : docs) out.push_back(DocToTradeLimit(d));
  return out;
}

Status MongoTransaction::DoSetPositionLimit(const PositionLimit& l) {
  SYSTORE_ASSIGN_OR_RAISE(auto before, DoGetPositionLimit(l.instrument, l.strategy));
  v_.Put(kPositionLimits, {{"_id", Key({l.instrument, l.strategy})},
                           {"instrument", l.instrument},
                           {"strategy", l.strategy},
                           {"limit", l.limit}});
  return AuditJson("control.position_limit", "position_limit", l.instrument + "/" + l.strategy,
               before ? Json({{"limit", before->limit}}) : Json(nullptr), {{"limit", l.limit}});
}

Status MongoTransaction::DoRemovePositionLimit(std::string_view instrument, std::string_view strategy) {
  SYSTORE_ASSIGN_OR_RAISE(auto before, DoGetPositionLimit(instrument, strategy));
  if (!before) return Status::OK();
  v_.Remove(kPositionLimits, Key({instrument, strategy}));
  return AuditJson("control.position_limit_remove", "position_limit", Str(instrument) + "/" + Str(strategy),
               {{"limit", before->limit}}, nullptr);
}

Result<std::optional<PositionLimit>> MongoTransaction::DoGetPositionLimit(std::string_view instrument,
                                                                          std::string_view strategy) {
  SYSTORE_ASSIGN_OR_RAISE(auto doc, v_.Get(kPositionLimits, Key({instrument, strategy})));
  if (!doc) return std::optional<PositionLimit>();
  return std::optional<PositionLimit>(PositionLimit{Str(instrument), Str(strategy), Int(*doc, "limit")});
}

Status MongoTransaction::DoSetOverride(const Override& o) {
  SYSTORE_ASSIGN_OR_RAISE(auto before, DoGetOverride(o.scope, o.key));
  v_.Put(kOverrides,
         {{"_id", Key({o.scope, o.key})}, {"scope", o.scope}, {"key", o.key}, {"multiplier", o.multiplier}});
  return AuditJson("control.override", "override", o.scope + "/" + o.key,
               before ? Json({{"multiplier", before->multiplier}}) : Json(nullptr), {{"multiplier", o.multiplier}});
}

Result<std::optional<Override>> MongoTransaction::DoGetOverride(std::string_view scope, std::string_view key) {
  SYSTORE_ASSIGN_OR_RAISE(auto doc, v_.Get(kOverrides, Key({scope, key})));
  if (!doc) return std::optional<Override>();
  return std::optional<Override>(Override{Str(scope), Str(key), Dbl(*doc, "multiplier")});
}

Status MongoTransaction::DoSetTemporaryClose(std::string_view instrument, bool present,
                                             std::optional<int64_t> saved_limit) {
  if (present) {
    v_.Put(kTemporaryCloses, {{"_id", instrument},
                              {"saved_limit", saved_limit ? Json(*saved_limit) : Json(nullptr)},
                              {"created_at", Now()}});
    return AuditJson("control.temporary_close", "temporary_close", instrument, nullptr,
                 {{"saved_limit", saved_limit ? Json(*saved_limit) : Json(nullptr)}});
  }
  v_.Remove(kTemporaryCloses, instrument);
  return AuditJson("control.temporary_close_remove", "temporary_close", instrument, {{"present", true}}, nullptr);
}

Result<std::optional<std::optional<int64_t>>> MongoTransaction::DoGetTemporaryClose(std::string_view instrument) {
  SYSTORE_ASSIGN_OR_RAISE(auto doc, v_.Get(kTemporaryCloses, instrument));
  using Out = std::optional<std::optional<int64_t>>;
  if (!doc) return Out();
  const Json& s = (*doc)["saved_limit"];
  return Out(s.is_null() ? std::optional<int64_t>() : std::optional<int64_t>(s.get<int64_t>()));
}

}  // namespace systore::operational
