// `systore ops ...`: the operational store from the command line (manual orders and
// fills, positions, process control, reconciliation). Table output by default,
// `--format json` on every command. The store is `<root>/operational/ops.sqlite`
// unless --uri or $SYSTORE_OPS_URI names another backend.
#include <unistd.h>

#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_util.h"
#include "systore/operational_store.h"

namespace systore::cli {
namespace {

using nlohmann::json;

struct OpsGlobals {
  std::string uri;
  std::string actor;
};

// The operational store: --uri, else $SYSTORE_OPS_URI (explicit overrides, e.g. a
// one-off look at another backend), else systore.yaml's "operational" store.
OperationalStore* OpenOpsOrExit(const std::string& root, const OpsGlobals& g) {
  std::string actor = g.actor;
  if (actor.empty()) {
    const char* user = std::getenv("USER");
    actor = std::string("cli:") + (user && *user ? user : "unknown");
  }
  std::string uri = g.uri;
  if (uri.empty()) {
    if (const char* env = std::getenv("SYSTORE_OPS_URI"); env && *env) uri = env;
  }
  if (uri.empty()) return ValueOrExit(StoresOrExit(root, actor).OperationalStoreNamed("operational"));
  static std::unique_ptr<OperationalStore> explicit_store;
  OperationalStoreOptions o;
  o.uri = uri;
  o.actor = actor;
  explicit_store = ValueOrExit(OperationalStore::Open(o));
  return explicit_store.get();
}

std::string Time(Timestamp t) { return t == 0 ? "-" : FormatTimestamp(t); }

std::string Num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Column-aligned table on stdout.
void PrintTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w(header.size());
  for (size_t i = 0; i < header.size(); ++i) w[i] = header[i].size();
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& r) {
    for (size_t i = 0; i < r.size(); ++i) {
      std::cout << (i ? "  " : "") << std::left << std::setw(static_cast<int>(i + 1 == r.size() ? 0 : w[i])) << r[i];
    }
    std::cout << "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
}

void PrintOrders(const std::vector<Order>& orders, const std::string& format) {
  if (format == "json") {
    json j = json::array();
    for (const auto& o : orders) j.push_back(json::parse(ToJson(o)));
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& o : orders) {
    rows.push_back({std::to_string(o.id), std::string(OrderLevelName(o.level)), o.strategy, o.instrument, o.contract,
                    std::string(SideName(o.side)), std::to_string(o.quantity), std::to_string(o.filled_quantity),
                    std::string(OrderTypeName(o.type)), o.limit_price ? Num(*o.limit_price) : "-",
                    std::string(OrderStatusName(o.status)), o.filled_quantity ? Num(o.average_fill_price) : "-",
                    Time(o.created_at)});
  }
  PrintTable({"id", "level", "strategy", "instrument", "contract", "side", "qty", "filled", "type", "limit", "status",
              "avg_price", "created"},
             rows);
}

void PrintOrderDetail(const Order& o, const std::string& format) {
  json j = json::parse(ToJson(o));
  if (format == "json") {
    std::cout << j.dump(2) << "\n";
    return;
  }
  for (auto& [k, v] : j.items()) {
    std::string s = v.is_string() ? v.get<std::string>() : v.dump();
    if (k.size() > 3 && k.substr(k.size() - 3) == "_at") s = Time(v.get<int64_t>());
    std::cout << std::left << std::setw(20) << k << s << "\n";
  }
}

void PrintProcesses(const std::vector<ProcessState>& ps, const std::string& format) {
  if (format == "json") {
    json j = json::array();
    for (const auto& p : ps) j.push_back(json::parse(ToJson(p)));
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : ps) {
    std::string deps;
    for (const auto& d : p.depends_on) deps += (deps.empty() ? "" : ",") + d;
    rows.push_back({p.name, std::string(ControlStatusName(p.control)), p.running ? "yes" : "no",
                    p.pid ? std::to_string(p.pid) : "-", Time(p.last_start), Time(p.last_end),
                    p.recently_crashed ? "yes" : "no", deps.empty() ? "-" : deps});
  }
  PrintTable({"process", "control", "running", "pid", "last_start", "last_end", "crashed", "depends_on"}, rows);
}

void AddFormat(CLI::App* c, std::string& format) {
  c->add_option("--format", format, "table or json")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
}

// One handler per command (or per family of commands): options and what it runs.
void AddOrderCommands(CLI::App* ops, std::string& root, const std::shared_ptr<OpsGlobals>& g) {
  // order new / order ID
  struct NewArgs {
    std::string strategy, instrument, contract, side = "buy", type = "market", level = "strategy", attributes = "{}",
                                                format = "table";
    int64_t qty = 0;
    std::optional<double> limit;
    std::optional<int64_t> parent;
  };
  auto na = std::make_shared<NewArgs>();
  auto show_id = std::make_shared<int64_t>(0);
  auto show_format = std::make_shared<std::string>("table");
  auto* order = ops->add_subcommand("order", "Show one order (order ID), or create one (order new ...)");
  order->add_option("id", *show_id, "Order id to show");
  AddFormat(order, *show_format);
  auto* onew = order->add_subcommand("new", "Create an order; prints the new order id on its last line");
  onew->add_option("--strategy", na->strategy)->required();
  onew->add_option("--instrument", na->instrument)->required();
  onew->add_option("--contract", na->contract, "Contract, e.g. 20250300");
  onew->add_option("--qty", na->qty, "Quantity (> 0)")->required();
  onew->add_option("--side", na->side, "buy or sell")->capture_default_str();
  onew->add_option("--type", na->type, "market or limit")->capture_default_str();
  onew->add_option("--limit", na->limit, "Limit price (limit orders)");
  onew->add_option("--parent", na->parent, "Parent order id");
  onew->add_option("--level", na->level, "strategy, contract or broker")->capture_default_str();
  onew->add_option("--attributes", na->attributes, "Free-form attributes: a JSON object");
  AddFormat(onew, na->format);
  onew->callback([&root, g, na] {
    NewOrder n;
    n.strategy = na->strategy;
    n.instrument = na->instrument;
    n.contract = na->contract;
    n.quantity = na->qty;
    n.side = ValueOrExit(ParseSide(na->side));
    n.type = ValueOrExit(ParseOrderType(na->type));
    n.level = ValueOrExit(ParseOrderLevel(na->level));
    n.limit_price = na->limit;
    n.parent_id = na->parent;
    n.attributes_json = na->attributes;
    auto* store = OpenOpsOrExit(ResolveRoot(root), *g);
    OrderId id = ValueOrExit(store->AddOrder(n));
    if (na->format == "json") {
      std::cout << json({{"order_id", id}}).dump() << "\n";
    } else {
      std::cout << id << "\n";
    }
  });
  order->callback([&root, g, order, show_id, show_format] {
    if (!order->get_subcommands().empty()) return;
    if (*show_id <= 0) ExitOnError(Status::InvalidArgument("give an order id (systore ops order ID) or 'order new'"));
    auto* store = OpenOpsOrExit(ResolveRoot(root), *g);
    PrintOrderDetail(ValueOrExit(store->GetOrder(*show_id)), *show_format);
  });
}

void AddFillCommands(CLI::App* ops, std::string& root, const std::shared_ptr<OpsGlobals>& g) {
  // fill
  struct FillArgs {
    int64_t order_id = 0, qty = 0;
    double price = 0, commission = 0;
    std::string exec_id, time, format = "table";
  };
  auto fa = std::make_shared<FillArgs>();
  auto* fill = ops->add_subcommand("fill", "Apply a fill atomically (fill, order, positions, trade, P&L)");
  fill->add_option("order_id", fa->order_id)->required();
  fill->add_option("--qty", fa->qty, "Filled quantity (> 0)")->required();
  fill->add_option("--price", fa->price)->required();
  fill->add_option("--exec-id", fa->exec_id, "Broker execution id (unique)")->required();
  fill->add_option("--commission", fa->commission)->capture_default_str();
  fill->add_option("--time", fa->time, "Fill time (default: now)");
  AddFormat(fill, fa->format);
  fill->callback([&root, g, fa] {
    FillRequest f;
    f.order_id = fa->order_id;
    f.quantity = fa->qty;
    f.price = fa->price;
    f.commission = fa->commission;
    f.exec_id = fa->exec_id;
    f.time = ParseTimeArg(fa->time, 0);
    auto* store = OpenOpsOrExit(ResolveRoot(root), *g);
    FillResult r = ValueOrExit(store->ApplyFill(f));
    if (fa->format == "json") {
      std::cout << json({{"order", json::parse(ToJson(r.order))},
                         {"strategy_position", r.strategy_position},
                         {"contract_position", r.contract_position}})
                       .dump(2)
                << "\n";
    } else {
      std::cout << "order " << r.order.id << " " << OrderStatusName(r.order.status) << " (" << r.order.filled_quantity
                << "/" << r.order.quantity << "); position " << r.order.strategy << "/" << r.order.instrument << " = "
                << r.strategy_position << "\n";
    }
  });
}

void AddOrderTransitionCommands(CLI::App* ops, std::string& root, const std::shared_ptr<OpsGlobals>& g) {
  // cancel / submit / reject
  for (const char* verb : {"cancel", "submit", "reject"}) {
    auto id = std::make_shared<int64_t>(0);
    auto reason = std::make_shared<std::string>();
    auto fmt = std::make_shared<std::string>("table");
    auto* c = ops->add_subcommand(verb, std::string(verb) + " an order");
    c->add_option("order_id", *id)->required();
    if (std::string(verb) != "submit") c->add_option("--reason", *reason);
    AddFormat(c, *fmt);
    std::string v = verb;
    c->callback([&root, g, id, reason, fmt, v] {
      auto* store = OpenOpsOrExit(ResolveRoot(root), *g);
      ExitOnError(store->Transact([&](Transaction& t) {
        if (v == "cancel") return t.CancelOrder(*id, *reason);
        if (v == "submit") return t.SubmitOrder(*id);
        return t.RejectOrder(*id, *reason);
      }));
      Order o = ValueOrExit(store->GetOrder(*id));
      if (*fmt == "json") {
        std::cout << json::parse(ToJson(o)).dump(2) << "\n";
      } else {
        std::cout << "order " << o.id << " " << OrderStatusName(o.status) << "\n";
      }
    });
  }
}

void AddOrdersCommands(CLI::App* ops, std::string& root, const std::shared_ptr<OpsGlobals>& g) {
  // orders
  struct OrdersArgs {
    std::string status, strategy, instrument, start, end, format = "table";
    bool open = false;
    int64_t limit = 0;
  };
  auto oa = std::make_shared<OrdersArgs>();
  auto* orders = ops->add_subcommand("orders", "List orders (filters combine)");
  orders->add_option("--status", oa->status, "created, submitted, partially_filled, filled, cancelled, rejected");
  orders->add_option("--strategy", oa->strategy);
  orders->add_option("--instrument", oa->instrument);
  orders->add_option("--start", oa->start, "Created at or after");
  orders->add_option("--end", oa->end, "Created before");
  orders->add_flag("--open", oa->open, "Only open orders (created, submitted, partially filled)");
  orders->add_option("--limit", oa->limit, "At most N orders");
  AddFormat(orders, oa->format);
  orders->callback([&root, g, oa] {
    OrderQuery q;
    if (!oa->status.empty()) q.status = ValueOrExit(ParseOrderStatus(oa->status));
    if (!oa->strategy.empty()) q.strategy = oa->strategy;
    if (!oa->instrument.empty()) q.instrument = oa->instrument;
    q.start = ParseTimeArg(oa->start, kMinTimestamp);
    q.end = ParseTimeArg(oa->end, kMaxTimestamp);
    q.open_only = oa->open;
    q.limit = oa->limit;
    auto* store = OpenOpsOrExit(ResolveRoot(root), *g);
    PrintOrders(ValueOrExit(store->FindOrders(q)), oa->format);
  });
}

void AddFillsCommands(CLI::App* ops, std::string& root, const std::shared_ptr<OpsGlobals>& g) {
  // fills
  auto fl_id = std::make_shared<int64_t>(0);
  auto fl_fmt = std::make_shared<std::string>("table");
  auto* fills = ops->add_subcommand("fills", "Fills of an order");
  fills->add_option("order_id", *fl_id)->required();
  AddFormat(fills, *fl_fmt);
  fills->callback([&root, g, fl_id, fl_fmt] {
    auto* store = OpenOpsOrExit(ResolveRoot(root), *g);
    auto fs = ValueOrExit(store->FillsOfOrder(*fl_id));
    if (*fl_fmt == "json") {
      json j = json::array();
      for (const auto& f : fs) j.push_back(json::parse(ToJson(f)));
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : fs) {
      rows.push_back({f.exec_id, std::to_string(f.quantity), Num(f.price), Num(f.commission), Time(f.time)});
    }
    PrintTable({"exec_id", "qty", "price", "commission", "time"}, rows);
  });
}

void AddPositionsCommands(CLI::App* ops, std::string& root, const std::shared_ptr<OpsGlobals>& g) {
  // positions
  struct PosArgs {
    std::string strategy, instrument, format = "table";
  };
  auto pa = std::make_shared<PosArgs>();
  auto* positions =
      ops->add_subcommand("positions", "Positions per (strategy, instrument) and per (instrument, contract)");
  positions->add_option("--strategy", pa->strategy);
  positions->add_option("--instrument", pa->instrument);
  AddFormat(positions, pa->format);
  positions->callback([&root, g, pa] {
    auto* store = OpenOpsOrExit(ResolveRoot(root), *g);
    auto sp = ValueOrExit(store->StrategyPositions(pa->strategy, pa->instrument));
    auto cp = ValueOrExit(store->ContractPositions(pa->instrument));
    if (pa->format == "json") {
      json j = {{"strategy", json::array()}, {"contract", json::array()}};
      for (const auto& p : sp) {
        j["strategy"].push_back({{"strategy", p.strategy}, {"instrument", p.instrument}, {"position", p.position}});
      }
      for (const auto& p : cp) {
        j["contract"].push_back({{"instrument", p.instrument}, {"contract", p.contract}, {"position", p.position}});
      }
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : sp) rows.push_back({"strategy", p.strategy, p.instrument, "", std::to_string(p.position)});
    if (pa->strategy.empty()) {
      for (const auto& p : cp) rows.push_back({"contract", "", p.instrument, p.contract, std::to_string(p.position)});
    }
    PrintTable({"kind", "strategy", "instrument", "contract", "position"}, rows);
  });
}

void AddProcessCommands(CLI::App* ops, std::string& root, const std::shared_ptr<OpsGlobals>& g) {
  // process
  struct ProcArgs {
    std::string name, set, format = "table";
  };
  auto pr = std::make_shared<ProcArgs>();
  auto* process = ops->add_subcommand("process", "Process control states; --set changes one process's control");
  process->add_option("name", pr->name, "Process name (default: all)");
  process->add_option("--set", pr->set, "GO, NO-RUN, STOP or PAUSE");
  AddFormat(process, pr->format);
  process->callback([&root, g, pr] {
    auto* store = OpenOpsOrExit(ResolveRoot(root), *g);
    if (!pr->set.empty()) {
      if (pr->name.empty()) ExitOnError(Status::InvalidArgument("--set needs a process name"));
      ControlStatus c = ValueOrExit(ParseControlStatus(pr->set));
      ExitOnError(store->Transact([&](Transaction& t) { return t.SetProcessControl(pr->name, c); }));
    }
    if (pr->name.empty()) {
      PrintProcesses(ValueOrExit(store->Processes()), pr->format);
    } else {
      PrintProcesses({ValueOrExit(store->GetProcess(pr->name))}, pr->format);
    }
  });
}

void AddReconcileCommands(CLI::App* ops, std::string& root, const std::shared_ptr<OpsGlobals>& g) {
  // reconcile
  auto rc_fmt = std::make_shared<std::string>("table");
  auto* reconcile = ops->add_subcommand(
      "reconcile", "Recompute positions from fills; exit code 0 only when every stored position agrees");
  AddFormat(reconcile, *rc_fmt);
  reconcile->callback([&root, g, rc_fmt] {
    auto* store = OpenOpsOrExit(ResolveRoot(root), *g);
    ReconcileReport r = ValueOrExit(store->Reconcile());
    if (*rc_fmt == "json") {
      json d = json::array();
      for (const auto& x : r.differences) {
        d.push_back(
            {{"kind", x.kind}, {"key1", x.key1}, {"key2", x.key2}, {"stored", x.stored}, {"from_fills", x.from_fills}});
      }
      std::cout << json({{"ok", r.ok()}, {"positions_checked", r.positions_checked}, {"differences", d}}).dump(2)
                << "\n";
    } else {
      std::vector<std::vector<std::string>> rows;
      for (const auto& x : r.differences) {
        rows.push_back({x.kind, x.key1, x.key2, std::to_string(x.stored), std::to_string(x.from_fills)});
      }
      if (!rows.empty()) PrintTable({"kind", "key", "key2", "stored", "from_fills"}, rows);
      std::cout << (r.ok() ? "OK: " : "MISMATCH: ") << r.positions_checked << " positions checked, "
                << r.differences.size() << " differ\n";
    }
    std::cout.flush();
    std::exit(r.ok() ? 0 : 1);
  });
}

void AddAuditCommands(CLI::App* ops, std::string& root, const std::shared_ptr<OpsGlobals>& g) {
  // audit
  struct AuditArgs {
    int64_t after = 0, limit = 50;
    std::string format = "table";
  };
  auto aa = std::make_shared<AuditArgs>();
  auto* audit = ops->add_subcommand("audit", "The audit log: every mutation with actor and before/after");
  audit->add_option("--after", aa->after, "Only records with seq > N");
  audit->add_option("--limit", aa->limit, "At most N records (0: all)")->capture_default_str();
  AddFormat(audit, aa->format);
  audit->callback([&root, g, aa] {
    auto* store = OpenOpsOrExit(ResolveRoot(root), *g);
    auto log = ValueOrExit(store->AuditLog(aa->after, aa->limit));
    if (aa->format == "json") {
      json j = json::array();
      for (const auto& a : log) {
        j.push_back({{"seq", a.seq},
                     {"time", a.time},
                     {"actor", a.actor},
                     {"operation", a.operation},
                     {"entity", a.entity},
                     {"key", a.key},
                     {"before", json::parse(a.before_json, nullptr, false)},
                     {"after", json::parse(a.after_json, nullptr, false)}});
      }
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : log) {
      rows.push_back({std::to_string(a.seq), Time(a.time), a.actor, a.operation, a.entity, a.key});
    }
    PrintTable({"seq", "time", "actor", "operation", "entity", "key"}, rows);
  });
}

}  // namespace

void AddOperationalCommands(CLI::App& app, std::string& root) {
  auto* ops = app.add_subcommand("ops", "Operational store: orders, fills, positions, process control, reconciliation");
  ops->require_subcommand(1);
  auto g = std::make_shared<OpsGlobals>();
  ops->add_option("--uri", g->uri,
                  "Backend URI (default: $SYSTORE_OPS_URI, else sqlite://<root>/operational/ops.sqlite); "
                  "e.g. postgresql://host:5432/db, mongodb://host/db (add ?systoreAtomicity=journal for a "
                  "server without transactions)");
  ops->add_option("--actor", g->actor, "Name recorded in the audit log (default: cli:$USER)");
  AddOrderCommands(ops, root, g);
  AddFillCommands(ops, root, g);
  AddOrderTransitionCommands(ops, root, g);
  AddOrdersCommands(ops, root, g);
  AddFillsCommands(ops, root, g);
  AddPositionsCommands(ops, root, g);
  AddProcessCommands(ops, root, g);
  AddReconcileCommands(ops, root, g);
  AddAuditCommands(ops, root, g);
}

}  // namespace systore::cli
