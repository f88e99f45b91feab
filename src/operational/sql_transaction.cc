#include "operational/sql_transaction.h"

#include <string>

#include "operational/order_rules_internal.h"
#include "operational/record_json.h"

namespace systore::operational {

namespace {

constexpr const char* kOrderColumns =
    "order_id, level, parent_id, strategy, instrument, contract, side, quantity, order_type, limit_price, "
    "status, filled_quantity, avg_fill_price, commission, attributes, reason, created_at, submitted_at, "
    "first_fill_at, last_fill_at, filled_at, cancelled_at, rejected_at";

std::string Str(std::string_view s) { return std::string(s); }

// Appends " AND column = ?" with its parameter, unless `value` is empty (no filter).
void AddEqualsFilter(std::string* sql, std::vector<SqlValue>* params, const char* column, std::string_view value) {
  if (value.empty()) return;
  *sql += " AND ";
  *sql += column;
  *sql += " = ?";
  params->push_back(Str(value));
}

Result<Order> RowToOrder(const SqlRow& r) {
  Order o;
  o.id = r.Int(0);
  auto bad = [&](const Status& st) { return Status::Corruption(OrderWho(o.id) + ": " + st.message()); };
  auto level = ParseOrderLevel(r.Text(1));
  if (!level.ok()) return bad(level.status());
  o.level = *level;
  if (!r.IsNull(2)) o.parent_id = r.Int(2);
  o.strategy = r.Text(3);
  o.instrument = r.Text(4);
  o.contract = r.Text(5);
  auto side = ParseSide(r.Text(6));
  if (!side.ok()) return bad(side.status());
  o.side = *side;
  o.quantity = r.Int(7);
  auto type = ParseOrderType(r.Text(8));
  if (!type.ok()) return bad(type.status());
  o.type = *type;
  if (!r.IsNull(9)) o.limit_price = r.Double(9);
  auto status = ParseOrderStatus(r.Text(10));
  if (!status.ok()) return bad(status.status());
  o.status = *status;
  o.filled_quantity = r.Int(11);
  o.average_fill_price = r.Double(12);
  o.commission = r.Double(13);
  o.attributes_json = r.Text(14);
  SYSTORE_RETURN_NOT_OK(operational::CheckStoredAttributes(o.attributes_json, OrderWho(o.id)));
  o.reason = r.Text(15);
  o.created_at = r.Int(16);
  o.submitted_at = r.Int(17);
  o.first_fill_at = r.Int(18);
  o.last_fill_at = r.Int(19);
  o.filled_at = r.Int(20);
  o.cancelled_at = r.Int(21);
  o.rejected_at = r.Int(22);
  return o;
}

}  // namespace

// One statement for all the records (a fill writes four).
Status SqlTransaction::DoAudit(const std::vector<AuditRecord>& records) {
  if (records.empty()) return Status::OK();
  const int64_t now = Now();
  std::string sql = "INSERT INTO audit_log (at, actor, operation, entity, record_key, before_json, after_json) VALUES ";
  std::vector<SqlValue> params;
  const auto json_or_null = [](const std::string& j) { return j == "null" ? SqlNull() : SqlValue(j); };
  for (const AuditRecord& r : records) {
    sql += params.empty() ? "(?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?)";
    for (SqlValue v : {SqlValue(now), SqlValue(actor_), SqlValue(r.operation), SqlValue(r.entity), SqlValue(r.key),
                       json_or_null(r.before_json), json_or_null(r.after_json)}) {
      params.push_back(std::move(v));
    }
  }
  return s_.Exec(sql, params);
}

// ---- Orders -------------------------------------------------------------------------------

Result<OrderId> SqlTransaction::DoAllocateOrderId() {
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query("UPDATE counters SET value = value + 1 WHERE name = 'order_id' "
                                              "RETURNING value",
                                              {}));
  if (rows.empty()) return Status::Corruption("order id counter is missing");
  return rows[0].Int(0);
}

Result<Order> SqlTransaction::DoGetOrder(OrderId id) {
  SYSTORE_ASSIGN_OR_RAISE(auto rows,
                          s_.Query(std::string("SELECT ") + kOrderColumns + " FROM orders WHERE order_id = ?", {id}));
  if (rows.empty()) return Status::NotFound(OrderWho(id) + " not found");
  return RowToOrder(rows[0]);
}

Result<Order> SqlTransaction::DoGetOrderForUpdate(OrderId id) {
  SYSTORE_ASSIGN_OR_RAISE(
      auto rows,
      s_.Query(std::string("SELECT ") + kOrderColumns + " FROM orders WHERE order_id = ?" + ForUpdate(d_), {id}));
  if (rows.empty()) return Status::NotFound(OrderWho(id) + " not found");
  return RowToOrder(rows[0]);
}

Result<OrderId> SqlTransaction::DoAddOrder(const NewOrder& n, const std::string& attributes_json) {
  if (n.parent_id) {
    auto parent = DoGetOrder(*n.parent_id);
    if (!parent.ok()) return ParentLookupError(*n.parent_id, parent.status());
  }
  SYSTORE_ASSIGN_OR_RAISE(OrderId id, DoAllocateOrderId());
  const Order o = NewOrderRecord(id, n, attributes_json);
  SYSTORE_RETURN_NOT_OK(s_.Exec(std::string("INSERT INTO orders (") + kOrderColumns +
                                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, '', ?, 0, 0, 0, 0, 0, 0)",
                                {id, Str(OrderLevelName(n.level)), n.parent_id ? SqlValue(*n.parent_id) : SqlNull(),
                                 n.strategy, n.instrument, n.contract, Str(SideName(n.side)), n.quantity,
                                 Str(OrderTypeName(n.type)), n.limit_price ? SqlValue(*n.limit_price) : SqlNull(),
                                 Str(OrderStatusName(OrderStatus::kCreated)), attributes_json, n.created_at}));
  SYSTORE_RETURN_NOT_OK(AuditJson("order.new", "order", std::to_string(id), nullptr, OrderToJson(o)));
  return id;
}

Status SqlTransaction::DoTransition(OrderId id, OrderStatus to, std::string_view reason, Timestamp at) {
  SYSTORE_ASSIGN_OR_RAISE(Order o, DoGetOrderForUpdate(id));
  std::string verb;
  SYSTORE_ASSIGN_OR_RAISE(Order after, WithTransition(o, to, reason, at, &verb));
  const char* column = to == OrderStatus::kSubmitted   ? "submitted_at"
                       : to == OrderStatus::kCancelled ? "cancelled_at"
                                                       : "rejected_at";
  SYSTORE_RETURN_NOT_OK(
      s_.Exec(std::string("UPDATE orders SET status = ?, reason = ?, ") + column + " = ? WHERE order_id = ?",
              {Str(OrderStatusName(to)), Str(reason), at, id}));
  return AuditJson("order." + verb, "order", std::to_string(id), OrderToJson(o), OrderToJson(after));
}

Status SqlTransaction::DoSetOrderAttributes(OrderId id, const std::string& attributes_json) {
  SYSTORE_ASSIGN_OR_RAISE(Order o, DoGetOrderForUpdate(id));
  Order after = o;
  after.attributes_json = attributes_json;
  SYSTORE_RETURN_NOT_OK(s_.Exec("UPDATE orders SET attributes = ? WHERE order_id = ?", {attributes_json, id}));
  return AuditJson("order.attributes", "order", std::to_string(id), OrderToJson(o), OrderToJson(after));
}

// ---- Fills (the workflow is Transaction::ApplyFill's) ------------------------------------

Result<bool> SqlTransaction::DoFillExists(std::string_view exec_id) {
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query("SELECT 1 FROM fills WHERE exec_id = ?", {Str(exec_id)}));
  return !rows.empty();
}

// The primary key on exec_id makes a duplicate fail (AlreadyExists) without a lookup.
Status SqlTransaction::DoInsertFill(const Fill& f) {
  return s_.Exec(
      "INSERT INTO fills (exec_id, order_id, quantity, price, commission, fill_time) VALUES (?, ?, ?, ?, ?, ?)",
      {f.exec_id, f.order_id, f.quantity, f.price, f.commission, f.time});
}

Status SqlTransaction::DoUpdateOrderFill(const Order& after) {
  return s_.Exec(
      "UPDATE orders SET status = ?, filled_quantity = ?, avg_fill_price = ?, commission = ?, first_fill_at = ?, "
      "last_fill_at = ?, filled_at = ? WHERE order_id = ?",
      {Str(OrderStatusName(after.status)), after.filled_quantity, after.average_fill_price, after.commission,
       after.first_fill_at, after.last_fill_at, after.filled_at, after.id});
}

Result<int64_t> SqlTransaction::DoAddToStrategyPosition(const StrategyPosition& d) {
  SYSTORE_ASSIGN_OR_RAISE(auto rows,
                          s_.Query("INSERT INTO strategy_positions (strategy, instrument, net_position, updated_at) "
                                   "VALUES (?, ?, ?, ?) ON CONFLICT (strategy, instrument) DO UPDATE SET "
                                   "net_position = strategy_positions.net_position + excluded.net_position, "
                                   "updated_at = excluded.updated_at RETURNING net_position",
                                   {d.strategy, d.instrument, d.position, d.updated_at}));
  if (rows.empty()) return Status::Internal("strategy position upsert returned no row");
  return rows[0].Int(0);
}

Result<int64_t> SqlTransaction::DoAddToContractPosition(const ContractPosition& d) {
  SYSTORE_ASSIGN_OR_RAISE(auto rows,
                          s_.Query("INSERT INTO contract_positions (instrument, contract, net_position, updated_at) "
                                   "VALUES (?, ?, ?, ?) ON CONFLICT (instrument, contract) DO UPDATE SET "
                                   "net_position = contract_positions.net_position + excluded.net_position, "
                                   "updated_at = excluded.updated_at RETURNING net_position",
                                   {d.instrument, d.contract, d.position, d.updated_at}));
  if (rows.empty()) return Status::Internal("contract position upsert returned no row");
  return rows[0].Int(0);
}

Status SqlTransaction::DoInsertTrade(const Trade& t) {
  return s_.Exec(
      "INSERT INTO trades (exec_id, order_id, strategy, instrument, contract, signed_quantity, price, commission, "
      "trade_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {t.exec_id, t.order_id, t.strategy, t.instrument, t.contract, t.signed_quantity, t.price, t.commission, t.time});
}

Status SqlTransaction::DoAddToDailyPnl(const DailyPnl& d) {
  return s_.Exec(
      "INSERT INTO daily_pnl (day, strategy, instrument, cash_flow, commission, traded_quantity) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, strategy, instrument) DO UPDATE SET "
      "cash_flow = daily_pnl.cash_flow + excluded.cash_flow, commission = daily_pnl.commission + excluded.commission, "
      "traded_quantity = daily_pnl.traded_quantity + excluded.traded_quantity",
      {d.day, d.strategy, d.instrument, d.cash_flow, d.commission, d.traded_quantity});
}

Status SqlTransaction::DoAddToTradedQuantity(std::string_view instrument, std::string_view strategy, int64_t quantity) {
  return s_.Exec(
      "UPDATE trade_limits SET traded_since_reset = traded_since_reset + ? "
      "WHERE instrument = ? AND (strategy = ? OR strategy = '')",
      {quantity, Str(instrument), Str(strategy)});
}

// ---- Queries ------------------------------------------------------------------------------

Result<std::vector<Order>> SqlTransaction::DoFindOrders(const OrderQuery& q) {
  std::string sql = std::string("SELECT ") + kOrderColumns + " FROM orders WHERE 1 = 1";
  std::vector<SqlValue> params;
  if (q.status) {
    sql += " AND status = ?";
    params.push_back(Str(OrderStatusName(*q.status)));
  }
  if (q.open_only) sql += " AND status IN ('created', 'submitted', 'partially_filled')";
  if (q.strategy) {
    sql += " AND strategy = ?";
    params.push_back(*q.strategy);
  }
  if (q.instrument) {
    sql += " AND instrument = ?";
    params.push_back(*q.instrument);
  }
  if (q.start != kMinTimestamp) {
    sql += " AND created_at >= ?";
    params.push_back(q.start);
  }
  if (q.end != kMaxTimestamp) {
    sql += " AND created_at < ?";
    params.push_back(q.end);
  }
  sql += " ORDER BY order_id";
  if (q.limit > 0) {
    sql += " LIMIT ?";
    params.push_back(q.limit);
  }
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query(sql, params));
  std::vector<Order> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    SYSTORE_ASSIGN_OR_RAISE(Order o, RowToOrder(r));
    out.push_back(std::move(o));
  }
  return out;
}

Result<std::vector<Fill>> SqlTransaction::DoFillsOfOrder(OrderId id) {
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query("SELECT exec_id, order_id, quantity, price, commission, fill_time "
                                              "FROM fills WHERE order_id = ? ORDER BY fill_time, exec_id",
                                              {id}));
  std::vector<Fill> out;
  for (const auto& r : rows) out.push_back({r.Text(0), r.Int(1), r.Int(2), r.Double(3), r.Double(4), r.Int(5)});
  return out;
}

Result<std::vector<StrategyPosition>> SqlTransaction::DoStrategyPositions(std::string_view strategy,
                                                                          std::string_view instrument) {
  std::string sql = "SELECT strategy, instrument, net_position, updated_at FROM strategy_positions WHERE 1 = 1";
  std::vector<SqlValue> params;
  AddEqualsFilter(&sql, &params, "strategy", strategy);
  AddEqualsFilter(&sql, &params, "instrument", instrument);
  sql += " ORDER BY strategy, instrument";
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query(sql, params));
  std::vector<StrategyPosition> out;
  for (const auto& r : rows) out.push_back({r.Text(0), r.Text(1), r.Int(2), r.Int(3)});
  return out;
}

Result<std::vector<ContractPosition>> SqlTransaction::DoContractPositions(std::string_view instrument,
                                                                          std::string_view contract) {
  std::string sql = "SELECT instrument, contract, net_position, updated_at FROM contract_positions WHERE 1 = 1";
  std::vector<SqlValue> params;
  AddEqualsFilter(&sql, &params, "instrument", instrument);
  AddEqualsFilter(&sql, &params, "contract", contract);
  sql += " ORDER BY instrument, contract";
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query(sql, params));
  std::vector<ContractPosition> out;
  for (const auto& r : rows) out.push_back({r.Text(0), r.Text(1), r.Int(2), r.Int(3)});
  return out;
}

Result<std::vector<Trade>> SqlTransaction::DoTrades(std::string_view strategy, std::string_view instrument) {
  std::string sql =
      "SELECT exec_id, order_id, strategy, instrument, contract, signed_quantity, price, commission, trade_time "
      "FROM trades WHERE 1 = 1";
  std::vector<SqlValue> params;
  AddEqualsFilter(&sql, &params, "strategy", strategy);
  AddEqualsFilter(&sql, &params, "instrument", instrument);
  sql += " ORDER BY trade_time, exec_id";
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query(sql, params));
  std::vector<Trade> out;
  for (const auto& r : rows) {
    out.push_back({r.Text(0), r.Int(1), r.Text(2), r.Text(3), r.Text(4), r.Int(5), r.Double(6), r.Double(7), r.Int(8)});
  }
  return out;
}

Result<std::vector<DailyPnl>> SqlTransaction::DoDailyPnlRecords(std::string_view strategy) {
  std::string sql = "SELECT day, strategy, instrument, cash_flow, commission, traded_quantity FROM daily_pnl";
  std::vector<SqlValue> params;
  if (!strategy.empty()) {
    sql += " WHERE strategy = ?";
    params.push_back(Str(strategy));
  }
  sql += " ORDER BY day, strategy, instrument";
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query(sql, params));
  std::vector<DailyPnl> out;
  for (const auto& r : rows) out.push_back({r.Int(0), r.Text(1), r.Text(2), r.Double(3), r.Double(4), r.Int(5)});
  return out;
}

Result<std::vector<PositionPoint>> SqlTransaction::DoPositionHistory(std::string_view strategy,
                                                                     std::string_view instrument) {
  SYSTORE_ASSIGN_OR_RAISE(auto rows,
                          s_.Query("SELECT f.fill_time, CASE WHEN o.side = 'buy' THEN f.quantity ELSE -f.quantity END "
                                   "FROM fills f JOIN orders o ON o.order_id = f.order_id "
                                   "WHERE o.strategy = ? AND o.instrument = ? ORDER BY f.fill_time, f.exec_id",
                                   {Str(strategy), Str(instrument)}));
  std::vector<PositionPoint> out;
  int64_t pos = 0;
  for (const auto& r : rows) {
    pos += r.Int(1);
    out.push_back({r.Int(0), pos});
  }
  return out;
}

Result<ReconcileReport> SqlTransaction::DoReconcile() {
  ReconcileReport report;
  struct Check {
    const char* kind;
    const char* sql;
  };
  const Check checks[] = {
      {"strategy",
       "SELECT COALESCE(p.strategy, f.strategy), COALESCE(p.instrument, f.instrument), "
       "COALESCE(p.net_position, 0), COALESCE(f.q, 0) FROM strategy_positions p FULL OUTER JOIN "
       "(SELECT o.strategy AS strategy, o.instrument AS instrument, "
       "SUM(CASE WHEN o.side = 'buy' THEN x.quantity ELSE -x.quantity END) AS q "
       "FROM fills x JOIN orders o ON o.order_id = x.order_id GROUP BY o.strategy, o.instrument) f "
       "ON p.strategy = f.strategy AND p.instrument = f.instrument ORDER BY 1, 2"},
      {"contract",
       "SELECT COALESCE(p.instrument, f.instrument), COALESCE(p.contract, f.contract), "
       "COALESCE(p.net_position, 0), COALESCE(f.q, 0) FROM contract_positions p FULL OUTER JOIN "
       "(SELECT o.instrument AS instrument, o.contract AS contract, "
       "SUM(CASE WHEN o.side = 'buy' THEN x.quantity ELSE -x.quantity END) AS q "
       "FROM fills x JOIN orders o ON o.order_id = x.order_id WHERE o.contract <> '' "
       "GROUP BY o.instrument, o.contract) f "
       "ON p.instrument = f.instrument AND p.contract = f.contract ORDER BY 1, 2"},
  };
  for (const auto& c : checks) {
    SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query(c.sql, {}));
    for (const auto& r : rows) {
      ++report.positions_checked;
      if (r.Int(2) != r.Int(3)) report.differences.push_back({c.kind, r.Text(0), r.Text(1), r.Int(2), r.Int(3)});
    }
  }
  return report;
}

Result<std::vector<AuditRecord>> SqlTransaction::DoAuditLog(int64_t after_seq, int64_t limit) {
  std::string sql =
      "SELECT seq, at, actor, operation, entity, record_key, before_json, after_json FROM audit_log "
      "WHERE seq > ? ORDER BY seq";
  std::vector<SqlValue> params = {after_seq};
  if (limit > 0) {
    sql += " LIMIT ?";
    params.push_back(limit);
  }
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query(sql, params));
  std::vector<AuditRecord> out;
  for (const auto& r : rows) {
    AuditRecord a;
    a.seq = r.Int(0);
    a.time = r.Int(1);
    a.actor = r.Text(2);
    a.operation = r.Text(3);
    a.entity = r.Text(4);
    a.key = r.Text(5);
    if (!r.IsNull(6)) a.before_json = r.Text(6);
    if (!r.IsNull(7)) a.after_json = r.Text(7);
    out.push_back(std::move(a));
  }
  return out;
}

// ---- Process control ----------------------------------------------------------------------

Result<std::vector<ProcessState>> SqlTransaction::DoProcesses(std::string_view name) {
  std::string sql =
      "SELECT name, control, running, pid, last_start, last_end, recently_crashed, depends_on, methods "
      "FROM processes";
  std::vector<SqlValue> params;
  if (!name.empty()) {
    sql += " WHERE name = ?";
    params.push_back(Str(name));
  }
  sql += " ORDER BY name";
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query(sql, params));
  std::vector<ProcessState> out;
  for (const auto& r : rows) {
    ProcessState p;
    p.name = r.Text(0);
    SYSTORE_ASSIGN_OR_RAISE(p.control, ParseControlStatus(r.Text(1)));
    p.running = r.Int(2) != 0;
    p.pid = r.Int(3);
    p.last_start = r.Int(4);
    p.last_end = r.Int(5);
    p.recently_crashed = r.Int(6) != 0;
    auto deps = nlohmann::json::parse(r.Text(7), nullptr, false);
    auto methods = nlohmann::json::parse(r.Text(8), nullptr, false);
    if (!deps.is_array() || !methods.is_object()) {
      return Status::Corruption("process '" + p.name + "': stored dependencies/methods are not valid JSON");
    }
    for (const auto& d : deps) p.depends_on.push_back(d.get<std::string>());
    for (const auto& [m, t] : methods.items()) {
      p.methods[m] = {t.value("last_start", int64_t{0}), t.value("last_end", int64_t{0})};
    }
    out.push_back(std::move(p));
  }
  return out;
}

Status SqlTransaction::DoPutProcess(const ProcessState& p, std::string_view operation) {
  SYSTORE_ASSIGN_OR_RAISE(auto before, DoProcesses(p.name));
  nlohmann::json j = ProcessToJson(p);
  SYSTORE_RETURN_NOT_OK(s_.Exec(
      "INSERT INTO processes (name, control, running, pid, last_start, last_end, recently_crashed, depends_on, "
      "methods) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET control = excluded.control, "
      "running = excluded.running, pid = excluded.pid, last_start = excluded.last_start, "
      "last_end = excluded.last_end, recently_crashed = excluded.recently_crashed, "
      "depends_on = excluded.depends_on, methods = excluded.methods",
      {p.name, Str(ControlStatusName(p.control)), int64_t{p.running}, p.pid, p.last_start, p.last_end,
       int64_t{p.recently_crashed}, j["depends_on"].dump(), j["methods"].dump()}));
  return AuditJson(operation, "process", p.name, before.empty() ? nlohmann::json(nullptr) : ProcessToJson(before[0]), j);
}

Result<std::vector<EodStepRecord>> SqlTransaction::DoEodSteps(std::string_view date, std::string_view step) {
  std::string sql = "SELECT day, step, started_at, ended_at, outcome, metrics, error FROM eod_steps";
  std::vector<SqlValue> params;
  if (!date.empty()) {
    sql += " WHERE day = ?";
    params.push_back(Str(date));
    if (!step.empty()) {
      sql += " AND step = ?";
      params.push_back(Str(step));
    }
  }
  sql += " ORDER BY day, started_at, step";
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query(sql, params));
  std::vector<EodStepRecord> out;
  for (const auto& r : rows) {
    EodStepRecord e;
    e.date = r.Text(0);
    e.step = r.Text(1);
    e.started_at = r.Int(2);
    e.ended_at = r.Int(3);
    SYSTORE_ASSIGN_OR_RAISE(e.outcome, ParseEodOutcome(r.Text(4)));
    e.metrics_json = r.Text(5);
    e.error = r.Text(6);
    out.push_back(std::move(e));
  }
  return out;
}

Status SqlTransaction::DoPutEodStep(const EodStepRecord& e) {
  return s_.Exec(
      "INSERT INTO eod_steps (day, step, started_at, ended_at, outcome, metrics, error) VALUES (?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (day, step) DO UPDATE SET started_at = excluded.started_at, ended_at = excluded.ended_at, "
      "outcome = excluded.outcome, metrics = excluded.metrics, error = excluded.error",
      {e.date, e.step, e.started_at, e.ended_at, Str(EodOutcomeName(e.outcome)), e.metrics_json, e.error});
}

// ---- Production controls ------------------------------------------------------------------

Status SqlTransaction::DoSetLock(std::string_view instrument, bool locked) {
  SYSTORE_ASSIGN_OR_RAISE(bool was, DoIsLocked(instrument));
  if (was == locked) return Status::OK();
  if (locked) {
    SYSTORE_RETURN_NOT_OK(
        s_.Exec("INSERT INTO instrument_locks (instrument, locked_at) VALUES (?, ?)", {Str(instrument), Now()}));
  } else {
    SYSTORE_RETURN_NOT_OK(s_.Exec("DELETE FROM instrument_locks WHERE instrument = ?", {Str(instrument)}));
  }
  return AuditJson(locked ? "control.lock" : "control.unlock", "instrument_lock", instrument,
               was ? nlohmann::json({{"locked", true}}) : nlohmann::json(nullptr),
               locked ? nlohmann::json({{"locked", true}}) : nlohmann::json(nullptr));
}

Result<bool> SqlTransaction::DoIsLocked(std::string_view instrument) {
  SYSTORE_ASSIGN_OR_RAISE(auto rows,
                          s_.Query("SELECT 1 FROM instrument_locks WHERE instrument = ?", {Str(instrument)}));
  return !rows.empty();
}

Status SqlTransaction::DoSetRollState(std::string_view instrument, RollState state) {
  SYSTORE_ASSIGN_OR_RAISE(auto before, DoGetRollState(instrument));
  SYSTORE_RETURN_NOT_OK(
      s_.Exec("INSERT INTO roll_states (instrument, state, updated_at) VALUES (?, ?, ?) ON CONFLICT (instrument) "
              "DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
              {Str(instrument), Str(RollStateName(state)), Now()}));
  return AuditJson("control.roll_state", "roll_state", instrument,
               before ? nlohmann::json({{"state", RollStateName(*before)}}) : nlohmann::json(nullptr),
               {{"state", RollStateName(state)}});
}

Result<std::optional<RollState>> SqlTransaction::DoGetRollState(std::string_view instrument) {
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query("SELECT state FROM roll_states WHERE instrument = ?", {Str(instrument)}));
  if (rows.empty()) return std::optional<RollState>();
  SYSTORE_ASSIGN_OR_RAISE(RollState s, ParseRollState(rows[0].Text(0)));
  return std::optional<RollState>(s);
}

Status SqlTransaction::DoSetTradeLimit(const TradeLimit& l) {
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query("SELECT trade_limit, traded_since_reset, last_reset FROM trade_limits "
                                              "WHERE instrument = ? AND strategy = ? AND period_days = ?",
                                              {l.instrument, l.strategy, int64_t{l.period_days}}));
  TradeLimit after = l;
  nlohmann::json before = nullptr;
  if (!rows.empty()) {
    TradeLimit b = l;
    b.limit = rows[0].Int(0);
    b.traded_since_reset = rows[0].Int(1);
    b.last_reset = rows[0].Int(2);
    before = TradeLimitJson(b);
    after.traded_since_reset = b.traded_since_reset;
    after.last_reset = b.last_reset;
  }
  SYSTORE_RETURN_NOT_OK(s_.Exec(
      "INSERT INTO trade_limits (instrument, strategy, period_days, trade_limit, traded_since_reset, last_reset) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (instrument, strategy, period_days) DO UPDATE SET "
      "trade_limit = excluded.trade_limit",
      {l.instrument, l.strategy, int64_t{l.period_days}, l.limit, after.traded_since_reset, after.last_reset}));
  return AuditJson("control.trade_limit", "trade_limit",
               l.instrument + "/" + l.strategy + "/" + std::to_string(l.period_days), before, TradeLimitJson(after));
}

Status SqlTransaction::DoResetTradeLimit(std::string_view instrument, std::string_view strategy, int period_days,
                                         Timestamp at) {
  SYSTORE_ASSIGN_OR_RAISE(auto rows,
                          s_.Query("UPDATE trade_limits SET traded_since_reset = 0, last_reset = ? "
                                   "WHERE instrument = ? AND strategy = ? AND period_days = ? RETURNING trade_limit",
                                   {at, Str(instrument), Str(strategy), int64_t{period_days}}));
  const std::string key = Str(instrument) + "/" + Str(strategy) + "/" + std::to_string(period_days);
  if (rows.empty()) return Status::NotFound("no trade limit " + key);
  return AuditJson("control.trade_limit_reset", "trade_limit", key, nullptr,
               {{"traded_since_reset", 0}, {"last_reset", at}});
}

Result<std::vector<TradeLimit>> SqlTransaction::DoTradeLimits(std::string_view instrument) {
  std::string sql =
      "SELECT instrument, strategy, period_days, trade_limit, traded_since_reset, last_reset FROM trade_limits";
  std::vector<SqlValue> params;
  if (!instrument.empty()) {
    sql += " WHERE instrument = ?";
    params.push_back(Str(instrument));
  }
  sql += " ORDER BY instrument, strategy, period_days";
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query(sql, params));
  std::vector<TradeLimit> out;
  for (const auto& r : rows) {
    out.push_back({r.Text(0), r.Text(1), static_cast<int>(r.Int(2)), r.Int(3), r.Int(4), r.Int(5)});
  }
  return out;
}

Status SqlTransaction::DoSetPositionLimit(const PositionLimit& l) {
  SYSTORE_ASSIGN_OR_RAISE(auto before, DoGetPositionLimit(l.instrument, l.strategy));
  SYSTORE_RETURN_NOT_OK(
      s_.Exec("INSERT INTO position_limits (instrument, strategy, position_limit) VALUES (?, ?, ?) "
              "ON CONFLICT (instrument, strategy) DO UPDATE SET position_limit = excluded.position_limit",
              {l.instrument, l.strategy, l.limit}));
  return AuditJson("control.position_limit", "position_limit", l.instrument + "/" + l.strategy,
               before ? nlohmann::json({{"limit", before->limit}}) : nlohmann::json(nullptr), {{"limit", l.limit}});
}

Status SqlTransaction::DoRemovePositionLimit(std::string_view instrument, std::string_view strategy) {
  SYSTORE_ASSIGN_OR_RAISE(auto before, DoGetPositionLimit(instrument, strategy));
  if (!before) return Status::OK();
  SYSTORE_RETURN_NOT_OK(
      s_.Exec("DELETE FROM position_limits WHERE instrument = ? AND strategy = ?", {Str(instrument), Str(strategy)}));
  return AuditJson("control.position_limit_remove", "position_limit", Str(instrument) + "/" + Str(strategy),
               {{"limit", before->limit}}, nullptr);
}

Result<std::optional<PositionLimit>> SqlTransaction::DoGetPositionLimit(std::string_view instrument,
                                                                        std::string_view strategy) {
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query("SELECT position_limit FROM position_limits "
                                              "WHERE instrument = ? AND strategy = ?",
                                              {Str(instrument), Str(strategy)}));
  if (rows.empty()) return std::optional<PositionLimit>();
  return std::optional<PositionLimit>(PositionLimit{Str(instrument), Str(strategy), rows[0].Int(0)});
}

Status SqlTransaction::DoSetOverride(const Override& o) {
  SYSTORE_ASSIGN_OR_RAISE(auto before, DoGetOverride(o.scope, o.key));
  SYSTORE_RETURN_NOT_OK(
      s_.Exec("INSERT INTO overrides (scope, override_key, multiplier) VALUES (?, ?, ?) "
              "ON CONFLICT (scope, override_key) DO UPDATE SET multiplier = excluded.multiplier",
              {o.scope, o.key, o.multiplier}));
  return AuditJson("control.override", "override", o.scope + "/" + o.key,
               before ? nlohmann::json({{"multiplier", before->multiplier}}) : nlohmann::json(nullptr),
               {{"multiplier", o.multiplier}});
}

Result<std::optional<Override>> SqlTransaction::DoGetOverride(std::string_view scope, std::string_view key) {
  SYSTORE_ASSIGN_OR_RAISE(auto rows, s_.Query("SELECT multiplier FROM overrides WHERE scope = ? AND override_key = ?",
                                              {Str(scope), Str(key)}));
  if (rows.empty()) return std::optional<Override>();
  return std::optional<Override>(Override{Str(scope), Str(key), rows[0].Double(0)});
}

Status SqlTransaction::DoSetTemporaryClose(std::string_view instrument, bool present,
                                           std::optional<int64_t> saved_limit) {
  if (present) {
    SYSTORE_RETURN_NOT_OK(s_.Exec("INSERT INTO temporary_closes (instrument, saved_limit, created_at) VALUES (?, ?, ?)",
                                  {Str(instrument), saved_limit ? SqlValue(*saved_limit) : SqlNull(), Now()}));
    return AuditJson("control.temporary_close", "temporary_close", instrument, nullptr,
                 {{"saved_limit", saved_limit ? nlohmann::json(*saved_limit) : nlohmann::json(nullptr)}});
  }
  SYSTORE_RETURN_NOT_OK(s_.Exec("DELETE FROM temporary_closes WHERE instrument = ?", {Str(instrument)}));
  return AuditJson("control.temporary_close_remove", "temporary_close", instrument, {{"present", true}}, nullptr);
}

Result<std::optional<std::optional<int64_t>>> SqlTransaction::DoGetTemporaryClose(std::string_view instrument) {
  SYSTORE_ASSIGN_OR_RAISE(auto rows,
                          s_.Query("SELECT saved_limit FROM temporary_closes WHERE instrument = ?", {Str(instrument)}));
  using Out = std::optional<std::optional<int64_t>>;
  if (rows.empty()) return Out();
  return Out(rows[0].IsNull(0) ? std::optional<int64_t>() : std::optional<int64_t>(rows[0].Int(0)));
}

}  // namespace systore::operational
