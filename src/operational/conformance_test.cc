// The conformance suite: every backend must pass these (see conformance_internal.h).
#include <atomic>
#include <mutex>
#include <thread>

#include "operational/conformance_internal.h"
#include "operational/record_json.h"

namespace systore::testing {
namespace {

using operational::OrderToJson;

NewOrder MakeOrder(std::string strategy, std::string instrument, std::string contract, Side side, int64_t qty) {
  NewOrder n;
  n.strategy = std::move(strategy);
  n.instrument = std::move(instrument);
  n.contract = std::move(contract);
  n.side = side;
  n.quantity = qty;
  return n;
}

FillRequest MakeFill(OrderId id, int64_t qty, double price, std::string exec_id, Timestamp t = 0) {
  FillRequest f;
  f.order_id = id;
  f.quantity = qty;
  f.price = price;
  f.exec_id = std::move(exec_id);
  f.commission = 1.5;
  f.time = t;
  return f;
}

#define ASSERT_OK(expr)                      \
  do {                                       \
    auto _st = ::systore::ToStatus(expr);    \
    ASSERT_TRUE(_st.ok()) << _st.ToString(); \
  } while (false)

template <typename T>
T Must(Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return T{};
  return std::move(r).MoveValueUnsafe();
}

// Everything observable, as one JSON document: used to prove "nothing changed".
nlohmann::json Snapshot(OperationalStore& s) {
  nlohmann::json j;
  Status st = s.Read([&](Transaction& t) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(auto orders, t.FindOrders({}));
    for (const auto& o : orders) {
      j["orders"].push_back(OrderToJson(o));
      SYSTORE_ASSIGN_OR_RAISE(auto fills, t.FillsOfOrder(o.id));
      for (const auto& f : fills) j["fills"].push_back(operational::FillToJson(f));
    }
    SYSTORE_ASSIGN_OR_RAISE(auto sp, t.StrategyPositions());
    for (const auto& p : sp) j["sp"].push_back({p.strategy, p.instrument, p.position});
    SYSTORE_ASSIGN_OR_RAISE(auto cp, t.ContractPositions());
    for (const auto& p : cp) j["cp"].push_back({p.instrument, p.contract, p.position});
    SYSTORE_ASSIGN_OR_RAISE(auto trades, t.Trades());
    j["trades"] = trades.size();
    SYSTORE_ASSIGN_OR_RAISE(auto pnl, t.DailyPnlRecords());
    for (const auto& p : pnl) j["pnl"].push_back({p.day, p.strategy, p.instrument, p.cash_flow, p.traded_quantity});
    SYSTORE_ASSIGN_OR_RAISE(auto audit, t.AuditLog());
    j["audit"] = audit.size();
    SYSTORE_ASSIGN_OR_RAISE(auto procs, t.Processes());
    for (const auto& p : procs) j["procs"].push_back(operational::ProcessToJson(p));
    SYSTORE_ASSIGN_OR_RAISE(auto limits, t.TradeLimits());
    for (const auto& l : limits) j["limits"].push_back({l.instrument, l.strategy, l.limit, l.traded_since_reset});
    return Status::OK();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return j;
}

TEST_P(OperationalConformance, AddAndGetOrderRoundTrips) {
  NewOrder n = MakeOrder("S1", "SOFR", "20250300", Side::kSell, 7);
  n.type = OrderType::kLimit;
  n.limit_price = 95.25;
  n.attributes_json = R"({"reason": "roll", "n": 3})";
  n.created_at = 1'700'000'000'000'000'000;
  OrderId id = Must(store_->AddOrder(n));
  ASSERT_GT(id, 0);
  Order o = Must(store_->GetOrder(id));
  EXPECT_EQ(o.id, id);
  EXPECT_EQ(o.strategy, "S1");
  EXPECT_EQ(o.instrument, "SOFR");
  EXPECT_EQ(o.contract, "20250300");
  EXPECT_EQ(o.side, Side::kSell);
  EXPECT_EQ(o.quantity, 7);
  EXPECT_EQ(o.type, OrderType::kLimit);
  ASSERT_TRUE(o.limit_price.has_value());
  EXPECT_DOUBLE_EQ(*o.limit_price, 95.25);
  EXPECT_EQ(o.status, OrderStatus::kCreated);
  const auto attributes = nlohmann::json::parse(o.attributes_json);
  EXPECT_EQ(attributes["reason"], "roll");
  EXPECT_EQ(attributes["n"], 3);
  EXPECT_EQ(o.created_at, n.created_at);
  EXPECT_EQ(o.filled_quantity, 0);
}

TEST_P(OperationalConformance, ParentChildLinks) {
  OrderId parent = Must(store_->AddOrder(MakeOrder("S1", "SOFR", "", Side::kBuy, 10)));
  NewOrder child = MakeOrder("S1", "SOFR", "20250300", Side::kBuy, 10);
  child.level = OrderLevel::kContract;
  child.parent_id = parent;
  OrderId cid = Must(store_->AddOrder(child));
  Order c = Must(store_->GetOrder(cid));
  ASSERT_TRUE(c.parent_id.has_value());
  EXPECT_EQ(*c.parent_id, parent);
  EXPECT_EQ(c.level, OrderLevel::kContract);
  child.parent_id = 999999;
  auto bad = store_->AddOrder(child);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsNotFound()) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("999999"), std::string::npos);
}

// A broker order's fill rolls up into its contract order and strategy order; positions
// move once; a fill that would overfill an ancestor is refused and changes nothing.
TEST_P(OperationalConformance, FillsRollUpTheParentChain) {
  OrderId strategy_order = Must(store_->AddOrder(MakeOrder("S1", "SOFR", "", Side::kBuy, 10)));
  NewOrder contract = MakeOrder("S1", "SOFR", "20250300", Side::kBuy, 10);
  contract.level = OrderLevel::kContract;
  contract.parent_id = strategy_order;
  OrderId contract_order = Must(store_->AddOrder(contract));
  NewOrder broker = MakeOrder("S1", "SOFR", "20250300", Side::kBuy, 6);
  broker.level = OrderLevel::kBroker;
  broker.parent_id = contract_order;
  OrderId broker1 = Must(store_->AddOrder(broker));
  OrderId broker2 = Must(store_->AddOrder(broker));

  Must(store_->ApplyFill(MakeFill(broker1, 4, 100.0, "B1")));
  Must(store_->ApplyFill(MakeFill(broker1, 2, 103.0, "B2")));
  Must(store_->ApplyFill(MakeFill(broker2, 3, 106.0, "B3")));
  for (OrderId id : {strategy_order, contract_order}) {
    Order o = Must(store_->GetOrder(id));
    EXPECT_EQ(o.filled_quantity, 9) << id;
    EXPECT_EQ(o.status, OrderStatus::kPartiallyFilled) << id;
    EXPECT_DOUBLE_EQ(o.average_fill_price, (4 * 100.0 + 2 * 103.0 + 3 * 106.0) / 9) << id;
    EXPECT_GT(o.last_fill_at, 0) << id;
  }
  EXPECT_EQ(Must(store_->GetOrder(broker1)).status, OrderStatus::kFilled);
  EXPECT_TRUE(Must(store_->FillsOfOrder(contract_order)).empty());  // fills stay with the broker order
  auto sp = Must(store_->StrategyPositions("S1", "SOFR"));
  ASSERT_EQ(sp.size(), 1u);
  EXPECT_EQ(sp[0].position, 9);  // once, not once per level
  EXPECT_EQ(Must(store_->ContractPositions("SOFR", "20250300"))[0].position, 9);
  EXPECT_TRUE(Must(store_->Reconcile()).ok());

  // broker2 has 3 left, but the chain above has only 1: refused, nothing changes.
  const nlohmann::json before = Snapshot(*store_);
  auto over = store_->ApplyFill(MakeFill(broker2, 2, 107.0, "B4"));
  ASSERT_FALSE(over.ok());
  EXPECT_TRUE(over.status().IsInvalidArgument()) << over.status().ToString();
  EXPECT_NE(over.status().message().find("overfill order " + std::to_string(contract_order)), std::string::npos)
      << over.status().ToString();
  EXPECT_EQ(Snapshot(*store_), before);

  Must(store_->ApplyFill(MakeFill(broker2, 1, 107.0, "B5")));
  EXPECT_EQ(Must(store_->GetOrder(strategy_order)).status, OrderStatus::kFilled);
  EXPECT_EQ(Must(store_->GetOrder(contract_order)).status, OrderStatus::kFilled);
  int child_fills = 0;
  for (const auto& a : Must(store_->AuditLog())) child_fills += a.operation == "order.child_fill";
  EXPECT_EQ(child_fills, 8);  // 4 fills x 2 ancestors
}

TEST_P(OperationalConformance, OrderIdsAreUniqueUnderConcurrency) {
  constexpr int kThreads = 8, kPerThread = 40;
  std::vector<std::vector<OrderId>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = store_->AddOrder(MakeOrder("S" + std::to_string(t), "SOFR", "C", Side::kBuy, 1));
        if (r.ok()) ids[t].push_back(*r);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<OrderId> all;
  for (const auto& v : ids) {
    EXPECT_EQ(v.size(), size_t{kPerThread});
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), size_t{kThreads * kPerThread});
}

// Two handles on one store, as two processes would have, writing at once: no order id
// is handed out twice (SQLite: the file's write lock; PostgreSQL: the counter row;
// MongoDB: the journal's unique entry ids).
TEST_P(OperationalConformance, TwoHandlesAllocateDistinctIds) {
  auto other = OpenStore();
  ASSERT_NE(other, nullptr);
  std::set<OrderId> ids;
  std::mutex mu;
  auto work = [&](OperationalStore* s) {
    for (int i = 0; i < 25; ++i) {
      auto r = s->AddOrder(MakeOrder("S", "I", "", Side::kBuy, 1));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      std::lock_guard<std::mutex> l(mu);
      ids.insert(*r);
    }
  };
  std::thread t1(work, store_.get()), t2(work, other.get());
  t1.join();
  t2.join();
  EXPECT_EQ(ids.size(), 50u);
  EXPECT_EQ(*ids.rbegin(), 50);
}

TEST_P(OperationalConformance, LifecycleStampsEveryTransition) {
  OrderId id = Must(store_->AddOrder(MakeOrder("S1", "SOFR", "20250300", Side::kBuy, 5)));
  ASSERT_OK(store_->Transact([&](Transaction& t) { return t.SubmitOrder(id, 100); }));
  Order o = Must(store_->GetOrder(id));
  EXPECT_EQ(o.status, OrderStatus::kSubmitted);
  EXPECT_EQ(o.submitted_at, 100);
  FillResult r = Must(store_->ApplyFill(MakeFill(id, 2, 95.0, "E1", 200)));
  EXPECT_EQ(r.order.status, OrderStatus::kPartiallyFilled);
  EXPECT_EQ(r.order.filled_quantity, 2);
  EXPECT_EQ(r.strategy_position, 2);
  EXPECT_EQ(r.contract_position, 2);
  r = Must(store_->ApplyFill(MakeFill(id, 3, 96.0, "E2", 300)));
  EXPECT_EQ(r.order.status, OrderStatus::kFilled);
  o = Must(store_->GetOrder(id));
  EXPECT_EQ(o.status, OrderStatus::kFilled);
  EXPECT_EQ(o.filled_quantity, 5);
  EXPECT_DOUBLE_EQ(o.average_fill_price, (2 * 95.0 + 3 * 96.0) / 5);
  EXPECT_DOUBLE_EQ(o.commission, 3.0);
  EXPECT_EQ(o.first_fill_at, 200);
  EXPECT_EQ(o.last_fill_at, 300);
  EXPECT_EQ(o.filled_at, 300);
  // Terminal: no cancel, no further fill.
  Status st = store_->CancelOrder(id);
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();

  OrderId c = Must(store_->AddOrder(MakeOrder("S1", "SOFR", "20250300", Side::kSell, 4)));
  Must(store_->ApplyFill(MakeFill(c, 1, 97.0, "E3")));
  ASSERT_OK(store_->Transact([&](Transaction& t) { return t.CancelOrder(c, "end of day", 400); }));
  o = Must(store_->GetOrder(c));
  EXPECT_EQ(o.status, OrderStatus::kCancelled);
  EXPECT_EQ(o.filled_quantity, 1);  // the partial fill is kept
  EXPECT_EQ(o.cancelled_at, 400);
  EXPECT_EQ(o.reason, "end of day");

  OrderId rj = Must(store_->AddOrder(MakeOrder("S1", "SOFR", "20250300", Side::kSell, 4)));
  ASSERT_OK(store_->Transact([&](Transaction& t) { return t.RejectOrder(rj, "no margin", 500); }));
  o = Must(store_->GetOrder(rj));
  EXPECT_EQ(o.status, OrderStatus::kRejected);
  EXPECT_EQ(o.rejected_at, 500);
  // Submit twice is refused.
  OrderId s2 = Must(store_->AddOrder(MakeOrder("S1", "SOFR", "20250300", Side::kSell, 4)));
  ASSERT_OK(store_->SubmitOrder(s2));
  EXPECT_TRUE(store_->SubmitOrder(s2).IsInvalidArgument());
}

TEST_P(OperationalConformance, ApplyFillWritesEveryRecord) {
  ASSERT_OK(store_->Transact([&](Transaction& t) { return t.SetTradeLimit(TradeLimit{"SOFR", "", 1, 100, 0, 0}); }));
  OrderId id = Must(store_->AddOrder(MakeOrder("S1", "SOFR", "20250300", Side::kSell, 5)));
  const Timestamp t = *ParseTimestamp("2024-03-05 14:30:00");
  Must(store_->ApplyFill(MakeFill(id, 3, 100.0, "X1", t)));
  auto fills = Must(store_->FillsOfOrder(id));
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].exec_id, "X1");
  EXPECT_EQ(fills[0].quantity, 3);
  EXPECT_EQ(fills[0].time, t);
  auto sp = Must(store_->StrategyPositions("S1"));
  ASSERT_EQ(sp.size(), 1u);
  EXPECT_EQ(sp[0].position, -3);
  auto cp = Must(store_->ContractPositions("SOFR"));
  ASSERT_EQ(cp.size(), 1u);
  EXPECT_EQ(cp[0].contract, "20250300");
  EXPECT_EQ(cp[0].position, -3);
  ASSERT_OK(store_->Read([&](Transaction& tx) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(auto trades, tx.Trades("S1", "SOFR"));
    EXPECT_EQ(trades.size(), 1u);
    if (!trades.empty()) {
      EXPECT_EQ(trades[0].signed_quantity, -3);
    }
    SYSTORE_ASSIGN_OR_RAISE(auto pnl, tx.DailyPnlRecords("S1"));
    EXPECT_EQ(pnl.size(), 1u);
    if (!pnl.empty()) {
      EXPECT_EQ(pnl[0].day, *ParseTimestamp("2024-03-05"));
      EXPECT_DOUBLE_EQ(pnl[0].cash_flow, 300.0);
      EXPECT_DOUBLE_EQ(pnl[0].commission, 1.5);
      EXPECT_EQ(pnl[0].traded_quantity, 3);
    }
    SYSTORE_ASSIGN_OR_RAISE(auto limits, tx.TradeLimits("SOFR"));
    EXPECT_EQ(limits.size(), 1u);
    if (!limits.empty()) {
      EXPECT_EQ(limits[0].traded_since_reset, 3);
    }
    return Status::OK();
  }));
  auto audit = Must(store_->AuditLog());
  int fill_records = 0;
  for (const auto& a : audit) {
    if (a.operation == "order.fill") ++fill_records;
    EXPECT_EQ(a.actor, "tester");
  }
  EXPECT_EQ(fill_records, 4);  // fill, order, strategy position, contract position
}

TEST_P(OperationalConformance, BadInputLeavesStoreUnchanged) {
  OrderId id = Must(store_->AddOrder(MakeOrder("S1", "SOFR", "20250300", Side::kBuy, 5)));
  Must(store_->ApplyFill(MakeFill(id, 2, 95.0, "E1")));
  OrderId cancelled = Must(store_->AddOrder(MakeOrder("S1", "SOFR", "20250300", Side::kBuy, 5)));
  ASSERT_OK(store_->CancelOrder(cancelled));
  const nlohmann::json before = Snapshot(*store_);

  struct Case {
    std::string name;
    std::function<Status()> run;
    StatusCode code;
    std::string mentions;
  };
  auto add = [&](NewOrder n) { return [this, n] { return store_->AddOrder(n).status(); }; };
  auto fill = [&](FillRequest f) { return [this, f] { return store_->ApplyFill(f).status(); }; };
  NewOrder zero = MakeOrder("S1", "SOFR", "C", Side::kBuy, 0);
  NewOrder negative = MakeOrder("S1", "SOFR", "C", Side::kBuy, -3);
  NewOrder bad_json = MakeOrder("S1", "SOFR", "C", Side::kBuy, 1);
  bad_json.attributes_json = "{\"a\": ";
  NewOrder not_object = MakeOrder("S1", "SOFR", "C", Side::kBuy, 1);
  not_object.attributes_json = "[1, 2]";
  NewOrder limit_no_price = MakeOrder("S1", "SOFR", "C", Side::kBuy, 1);
  limit_no_price.type = OrderType::kLimit;
  NewOrder no_strategy = MakeOrder("", "SOFR", "C", Side::kBuy, 1);
  std::vector<Case> cases = {
      {"unknown order fill", fill(MakeFill(424242, 1, 95, "U1")), StatusCode::kNotFound, "424242"},
      {"unknown order cancel", [&] { return store_->CancelOrder(424242); }, StatusCode::kNotFound, "424242"},
      {"zero order quantity", add(zero), StatusCode::kInvalidArgument, "quantity"},
      {"negative order quantity", add(negative), StatusCode::kInvalidArgument, "-3"},
      {"zero fill quantity", fill(MakeFill(id, 0, 95, "Z1")), StatusCode::kInvalidArgument, "quantity"},
      {"negative fill quantity", fill(MakeFill(id, -1, 95, "Z2")), StatusCode::kInvalidArgument, "-1"},
      {"fill after cancel", fill(MakeFill(cancelled, 1, 95, "C1")), StatusCode::kInvalidArgument, "cancelled"},
      {"overfill", fill(MakeFill(id, 4, 95, "O1")), StatusCode::kInvalidArgument, "overfill"},
      {"duplicate exec id", fill(MakeFill(id, 1, 95, "E1")), StatusCode::kAlreadyExists, "E1"},
      {"empty exec id", fill(MakeFill(id, 1, 95, "")), StatusCode::kInvalidArgument, "exec id"},
      {"nan price", fill(MakeFill(id, 1, std::nan(""), "N1")), StatusCode::kInvalidArgument, "price"},
      {"malformed attributes", add(bad_json), StatusCode::kInvalidArgument, "malformed JSON"},
      {"attributes not an object", add(not_object), StatusCode::kInvalidArgument, "object"},
      {"limit without price", add(limit_no_price), StatusCode::kInvalidArgument, "limit price"},
      {"empty strategy", add(no_strategy), StatusCode::kInvalidArgument, "strategy"},
      {"bad attributes update",
       [&] { return store_->Transact([&](Transaction& t) { return t.SetOrderAttributes(id, "nope"); }); },
       StatusCode::kInvalidArgument, "malformed JSON"},
  };
  for (const auto& c : cases) {
    Status st = c.run();
    EXPECT_EQ(st.code(), c.code) << c.name << ": " << st.ToString();
    EXPECT_NE(st.message().find(c.mentions), std::string::npos) << c.name << ": " << st.ToString();
    EXPECT_EQ(Snapshot(*store_), before) << c.name << " changed the store";
  }
}

TEST_P(OperationalConformance, TransactIsAllOrNothing) {
  const nlohmann::json before = Snapshot(*store_);
  Status st = store_->Transact([&](Transaction& t) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(OrderId id, t.AddOrder(MakeOrder("S1", "SOFR", "C1", Side::kBuy, 3)));
    SYSTORE_RETURN_NOT_OK(t.ApplyFill(MakeFill(id, 3, 90, "T1")).status());
    SYSTORE_RETURN_NOT_OK(t.SetProcessControl("run_stack", ControlStatus::kStop));
    return Status::Conflict("caller changed its mind");
  });
  EXPECT_TRUE(st.IsConflict());
  EXPECT_EQ(Snapshot(*store_), before);

  // A failed step dooms the transaction even if fn ignores the error.
  st = store_->Transact([&](Transaction& t) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(OrderId id, t.AddOrder(MakeOrder("S1", "SOFR", "C1", Side::kBuy, 3)));
    (void)t.ApplyFill(MakeFill(id, 5, 90, "T2"));  // overfill, ignored
    return Status::OK();
  });
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_NE(st.message().find("overfill"), std::string::npos);
  EXPECT_EQ(Snapshot(*store_), before);

  // Reads inside a transaction see its own writes.
  ASSERT_OK(store_->Transact([&](Transaction& t) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(OrderId id, t.AddOrder(MakeOrder("S1", "SOFR", "C1", Side::kBuy, 3)));
    SYSTORE_RETURN_NOT_OK(t.ApplyFill(MakeFill(id, 1, 90, "T3")).status());
    SYSTORE_ASSIGN_OR_RAISE(Order o, t.GetOrder(id));
    EXPECT_EQ(o.filled_quantity, 1);
    // A NotFound lookup does not doom the transaction.
    EXPECT_TRUE(t.GetOrder(987654).status().IsNotFound());
    return Status::OK();
  }));
  EXPECT_EQ(Must(store_->StrategyPositions("S1"))[0].position, 1);
}

TEST_P(OperationalConformance, ReadOnlyTransactionRefusesMutations) {
  Status st =
      store_->Read([&](Transaction& t) { return t.AddOrder(MakeOrder("S", "I", "C", Side::kBuy, 1)).status(); });
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("read-only"), std::string::npos);
}

TEST_P(OperationalConformance, QueriesFilterByStatusStrategyInstrumentAndTime) {
  auto at = [](const char* s) { return *ParseTimestamp(s); };
  std::vector<OrderId> ids;
  for (int i = 0; i < 6; ++i) {
    NewOrder n = MakeOrder(i % 2 ? "S2" : "S1", i < 3 ? "SOFR" : "BUND", "C", Side::kBuy, 2);
    n.created_at = at("2024-01-01") + i * kNanosPerDay;
    ids.push_back(Must(store_->AddOrder(n)));
  }
  Must(store_->ApplyFill(MakeFill(ids[0], 2, 1, "Q1")));  // filled
  Must(store_->ApplyFill(MakeFill(ids[2], 1, 1, "Q2")));  // partially filled
  ASSERT_OK(store_->CancelOrder(ids[4]));
  ASSERT_OK(store_->SubmitOrder(ids[1]));

  auto open_s1 = Must(store_->OpenOrders("S1"));
  ASSERT_EQ(open_s1.size(), 1u);  // ids 0 (filled), 2 (partial: open), 4 (cancelled)
  EXPECT_EQ(open_s1[0].id, ids[2]);
  auto open_s2 = Must(store_->OpenOrders("S2"));
  EXPECT_EQ(open_s2.size(), 3u);

  OrderQuery by_status;
  by_status.status = OrderStatus::kCancelled;
  auto cancelled = Must(store_->FindOrders(by_status));
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].id, ids[4]);

  OrderQuery range;
  range.instrument = "SOFR";
  range.start = at("2024-01-02");
  range.end = at("2024-01-03");
  auto in_range = Must(store_->FindOrders(range));
  ASSERT_EQ(in_range.size(), 1u);
  EXPECT_EQ(in_range[0].id, ids[1]);

  OrderQuery limited;
  limited.limit = 2;
  EXPECT_EQ(Must(store_->FindOrders(limited)).size(), 2u);
  OrderQuery bad;
  bad.start = 10;
  bad.end = 5;
  EXPECT_TRUE(store_->FindOrders(bad).status().IsInvalidArgument());
}

TEST_P(OperationalConformance, PositionHistoryAndReconcile) {
  OrderId b = Must(store_->AddOrder(MakeOrder("S1", "SOFR", "C1", Side::kBuy, 10)));
  OrderId s = Must(store_->AddOrder(MakeOrder("S1", "SOFR", "C2", Side::kSell, 4)));
  Must(store_->ApplyFill(MakeFill(b, 6, 1, "H1", 100)));
  Must(store_->ApplyFill(MakeFill(s, 4, 1, "H2", 200)));
  Must(store_->ApplyFill(MakeFill(b, 4, 1, "H3", 300)));
  std::vector<PositionPoint> h;
  ASSERT_OK(store_->Read([&](Transaction& t) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(h, t.PositionHistory("S1", "SOFR"));
    return Status::OK();
  }));
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].position, 6);
  EXPECT_EQ(h[1].position, 2);
  EXPECT_EQ(h[2].position, 6);
  EXPECT_EQ(h[2].time, 300);
  ReconcileReport r = Must(store_->Reconcile());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.positions_checked, 3);  // S1/SOFR, SOFR/C1, SOFR/C2
}

TEST_P(OperationalConformance, ProcessControlFollowsPysystemtradeRules) {
  const Timestamp day = *ParseTimestamp("2024-06-03");
  EXPECT_TRUE(store_->GetProcess("run_stack").status().IsNotFound());
  ASSERT_OK(store_->Transact([&](Transaction& t) -> Status {
    SYSTORE_RETURN_NOT_OK(t.SetProcessControl("run_capital_update", ControlStatus::kGo));
    return t.SetProcessDependencies("run_strategy_order_generator", {"run_capital_update"});
  }));
  // Dependency has not finished today.
  Status st = store_->Transact(
      [&](Transaction& t) { return t.StartProcess("run_strategy_order_generator", 42, day + 3600 * kNanosPerSecond); });
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_NE(st.message().find("run_capital_update"), std::string::npos);
  ASSERT_OK(store_->Transact([&](Transaction& t) -> Status {
    SYSTORE_RETURN_NOT_OK(t.StartProcess("run_capital_update", 7, day + 60 * kNanosPerSecond));
    SYSTORE_RETURN_NOT_OK(t.StartMethod("run_capital_update", "update_total_capital", day + 61 * kNanosPerSecond));
    SYSTORE_RETURN_NOT_OK(t.FinishMethod("run_capital_update", "update_total_capital", day + 62 * kNanosPerSecond));
    return t.FinishProcess("run_capital_update", day + 120 * kNanosPerSecond);
  }));
  ASSERT_OK(store_->Transact([&](Transaction& t) {
    return t.StartProcess("run_strategy_order_generator", 42, day + 3600 * kNanosPerSecond);
  }));
  // Already running.
  st = store_->Transact([&](Transaction& t) { return t.StartProcess("run_strategy_order_generator", 43, day + 3700); });
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("already running"), std::string::npos);
  ProcessState p = Must(store_->GetProcess("run_strategy_order_generator"));
  EXPECT_TRUE(p.running);
  EXPECT_EQ(p.pid, 42);
  ASSERT_OK(store_->Transact([&](Transaction& t) { return t.MarkProcessCrashed("run_strategy_order_generator"); }));
  p = Must(store_->GetProcess("run_strategy_order_generator"));
  EXPECT_FALSE(p.running);
  EXPECT_TRUE(p.recently_crashed);
  ProcessState cap = Must(store_->GetProcess("run_capital_update"));
  EXPECT_EQ(cap.methods["update_total_capital"].last_end, day + 62 * kNanosPerSecond);
  // NO-RUN refuses to start; STOP/PAUSE are stored.
  ASSERT_OK(store_->Transact(
      [&](Transaction& t) { return t.SetProcessControl("run_capital_update", ControlStatus::kNoRun); }));
  st = store_->Transact([&](Transaction& t) { return t.StartProcess("run_capital_update", 8, day + kNanosPerDay); });
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("NO-RUN"), std::string::npos);
  EXPECT_EQ(Must(store_->Processes()).size(), 2u);
}

EodStepRecord Step(std::string date, std::string step, Timestamp start = 0, Timestamp end = 0,
                   EodOutcome outcome = EodOutcome::kRunning, std::string metrics = "{}", std::string error = "") {
  return {std::move(date), std::move(step), start, end, outcome, std::move(metrics), std::move(error)};
}

TEST_P(OperationalConformance, EndOfDayStepRecords) {
  EodStepRecord a = Step("2024-06-03", "reconcile_positions", 10);
  ASSERT_OK(store_->Transact([&](Transaction& t) { return t.RecordEodStep(a); }));
  a.ended_at = 20;
  a.outcome = EodOutcome::kOk;
  a.metrics_json = R"({"rows":3,"seconds":0.5})";
  EodStepRecord b = Step("2024-06-03", "calculate_daily_pnl", 30, 40, EodOutcome::kFailed, "{}", "prices missing");
  EodStepRecord c = Step("2024-06-04", "reconcile_positions", 50, 60, EodOutcome::kSkipped);
  ASSERT_OK(store_->Transact([&](Transaction& t) -> Status {
    SYSTORE_RETURN_NOT_OK(t.RecordEodStep(a));  // replaces the running record
    SYSTORE_RETURN_NOT_OK(t.RecordEodStep(c));
    return t.RecordEodStep(b);
  }));
  auto day = Must(store_->EodSteps("2024-06-03"));
  ASSERT_EQ(day.size(), 2u);
  EXPECT_EQ(day[0].step, "reconcile_positions");
  EXPECT_EQ(day[0].outcome, EodOutcome::kOk);
  EXPECT_EQ(day[0].ended_at, 20);
  EXPECT_EQ(nlohmann::json::parse(day[0].metrics_json)["rows"], 3);
  EXPECT_EQ(day[1].step, "calculate_daily_pnl");
  EXPECT_EQ(day[1].outcome, EodOutcome::kFailed);
  EXPECT_EQ(day[1].error, "prices missing");
  EXPECT_EQ(Must(store_->EodSteps()).size(), 3u);
  EXPECT_EQ(Must(store_->EodSteps("2024-06-04"))[0].outcome, EodOutcome::kSkipped);
  // Bad input changes nothing and names the field.
  for (const EodStepRecord& bad : {Step("2024-6-3", "x"), Step("2024-06-03", ""),
                                   Step("2024-06-03", "x", 0, 0, EodOutcome::kRunning, "[1]")}) {
    Status st = store_->Transact([&](Transaction& t) { return t.RecordEodStep(bad); });
    EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  }
  EXPECT_TRUE(store_->EodSteps("06/03/2024").status().IsInvalidArgument());
  EXPECT_EQ(Must(store_->EodSteps()).size(), 3u);
  auto audit = Must(store_->AuditLog());
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit.back().operation, "eod.step");
  EXPECT_EQ(audit.back().key, "2024-06-03/calculate_daily_pnl");
}

TEST_P(OperationalConformance, ProductionControls) {
  ASSERT_OK(store_->Transact([&](Transaction& t) -> Status {
    SYSTORE_RETURN_NOT_OK(t.LockInstrument("SOFR"));
    SYSTORE_RETURN_NOT_OK(t.SetRollState("SOFR", RollState::kForce));
    SYSTORE_RETURN_NOT_OK(t.SetPositionLimit({"SOFR", "", 50}));
    SYSTORE_RETURN_NOT_OK(t.SetPositionLimit({"SOFR", "S1", 20}));
    SYSTORE_RETURN_NOT_OK(t.SetOverride({"instrument", "SOFR", 0.5}));
    return t.SetTradeLimit({"SOFR", "S1", 5, 30, 0, 0});
  }));
  ASSERT_OK(store_->Read([&](Transaction& t) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(bool locked, t.IsInstrumentLocked("SOFR"));
    EXPECT_TRUE(locked);
    SYSTORE_ASSIGN_OR_RAISE(bool other, t.IsInstrumentLocked("BUND"));
    EXPECT_FALSE(other);
    SYSTORE_ASSIGN_OR_RAISE(RollState rs, t.GetRollState("SOFR"));
    EXPECT_EQ(rs, RollState::kForce);
    SYSTORE_ASSIGN_OR_RAISE(RollState def, t.GetRollState("BUND"));
    EXPECT_EQ(def, RollState::kNoRoll);
    SYSTORE_ASSIGN_OR_RAISE(PositionLimit pl, t.GetPositionLimit("SOFR", "S1"));
    EXPECT_EQ(pl.limit, 20);
    EXPECT_TRUE(t.GetPositionLimit("BUND").status().IsNotFound());
    SYSTORE_ASSIGN_OR_RAISE(Override o, t.GetOverride("instrument", "SOFR"));
    EXPECT_DOUBLE_EQ(o.multiplier, 0.5);
    SYSTORE_ASSIGN_OR_RAISE(Override none, t.GetOverride("strategy", "S9"));
    EXPECT_DOUBLE_EQ(none.multiplier, 1.0);
    return Status::OK();
  }));
  // Fills count against trade limits of the strategy; a reset zeroes the counter.
  OrderId id = Must(store_->AddOrder(MakeOrder("S1", "SOFR", "C", Side::kBuy, 9)));
  Must(store_->ApplyFill(MakeFill(id, 9, 1, "L1")));
  ASSERT_OK(store_->Transact([&](Transaction& t) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(auto limits, t.TradeLimits("SOFR"));
    EXPECT_EQ(limits.size(), 1u);
    if (!limits.empty()) {
      EXPECT_EQ(limits[0].traded_since_reset, 9);
      EXPECT_EQ(limits[0].remaining(), 21);
    }
    SYSTORE_RETURN_NOT_OK(t.ResetTradeLimit("SOFR", "S1", 5, 1000));
    SYSTORE_ASSIGN_OR_RAISE(limits, t.TradeLimits("SOFR"));
    EXPECT_EQ(limits[0].traded_since_reset, 0);
    EXPECT_EQ(limits[0].last_reset, 1000);
    return Status::OK();
  }));
  // Temporary close: limit 0, then the old limit comes back.
  ASSERT_OK(store_->Transact([&](Transaction& t) { return t.AddTemporaryClose("SOFR"); }));
  EXPECT_EQ(store_->Transact([&](Transaction& t) { return t.AddTemporaryClose("SOFR"); }).code(),
            StatusCode::kAlreadyExists);
  ASSERT_OK(store_->Read([&](Transaction& t) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(PositionLimit pl, t.GetPositionLimit("SOFR"));
    EXPECT_EQ(pl.limit, 0);
    return Status::OK();
  }));
  ASSERT_OK(store_->Transact([&](Transaction& t) -> Status {
    SYSTORE_RETURN_NOT_OK(t.RemoveTemporaryClose("SOFR"));
    SYSTORE_ASSIGN_OR_RAISE(PositionLimit pl, t.GetPositionLimit("SOFR"));
    EXPECT_EQ(pl.limit, 50);
    return t.UnlockInstrument("SOFR");
  }));
  // Bad control input.
  EXPECT_TRUE(store_->Transact([&](Transaction& t) {
                      return t.SetOverride({"planet", "X", 0.5});
                    })
                  .IsInvalidArgument());
  EXPECT_TRUE(store_->Transact([&](Transaction& t) {
                      return t.SetOverride({"strategy", "X", 2});
                    })
                  .IsInvalidArgument());
  EXPECT_TRUE(store_->Transact([&](Transaction& t) {
                      return t.SetTradeLimit({"SOFR", "", 0, 1, 0, 0});
                    })
                  .IsInvalidArgument());
  EXPECT_TRUE(store_->Transact([&](Transaction& t) { return t.RemoveTemporaryClose("BUND"); }).IsNotFound());
}

TEST_P(OperationalConformance, AuditLogHasBeforeAndAfter) {
  OrderId id = Must(store_->AddOrder(MakeOrder("S1", "SOFR", "C", Side::kBuy, 2)));
  auto other = OpenStore("operator-jane");
  ASSERT_NE(other, nullptr);
  ASSERT_OK(other->CancelOrder(id, "manual"));
  auto audit = Must(store_->AuditLog());
  ASSERT_GE(audit.size(), 2u);
  const AuditRecord& last = audit.back();
  EXPECT_EQ(last.operation, "order.cancel");
  EXPECT_EQ(last.entity, "order");
  EXPECT_EQ(last.key, std::to_string(id));
  EXPECT_EQ(last.actor, "operator-jane");
  EXPECT_EQ(nlohmann::json::parse(last.before_json)["status"], "created");
  EXPECT_EQ(nlohmann::json::parse(last.after_json)["status"], "cancelled");
  EXPECT_GT(last.time, 0);
  EXPECT_EQ(audit.front().operation, "order.new");
  EXPECT_EQ(audit.front().before_json, "null");
  for (size_t i = 1; i < audit.size(); ++i) EXPECT_GT(audit[i].seq, audit[i - 1].seq);
  EXPECT_EQ(Must(store_->AuditLog(audit.front().seq, 1)).size(), 1u);
}

TEST_P(OperationalConformance, ConcurrentFillsKeepPositionsConsistent) {
  constexpr int kThreads = 8, kFills = 30;
  std::vector<OrderId> orders;
  for (int t = 0; t < kThreads; ++t) {
    orders.push_back(Must(store_->AddOrder(
        MakeOrder("S1", "SOFR", "C" + std::to_string(t % 2), t % 3 == 0 ? Side::kSell : Side::kBuy, kFills))));
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kFills; ++i) {
        // Every other transaction also tries a duplicate and must fail alone.
        auto r = store_->ApplyFill(MakeFill(orders[t], 1, 100 + i, "T" + std::to_string(t) + "-" + std::to_string(i)));
        if (!r.ok()) ++failures;
        if (i % 2) {
          auto dup = store_->ApplyFill(MakeFill(orders[t], 1, 100, "T" + std::to_string(t) + "-" + std::to_string(i)));
          if (dup.status().code() != StatusCode::kAlreadyExists) ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  int64_t expected = 0;
  for (int t = 0; t < kThreads; ++t) expected += (t % 3 == 0 ? -1 : 1) * kFills;
  auto sp = Must(store_->StrategyPositions("S1", "SOFR"));
  ASSERT_EQ(sp.size(), 1u);
  EXPECT_EQ(sp[0].position, expected);
  for (OrderId id : orders) EXPECT_EQ(Must(store_->GetOrder(id)).status, OrderStatus::kFilled);
  EXPECT_TRUE(Must(store_->Reconcile()).ok());
}

TEST_P(OperationalConformance, DataSurvivesReopen) {
  OrderId id = Must(store_->AddOrder(MakeOrder("S1", "SOFR", "C", Side::kBuy, 2)));
  Must(store_->ApplyFill(MakeFill(id, 1, 5, "R1")));
  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(Must(store_->GetOrder(id)).filled_quantity, 1);
  OrderId next = Must(store_->AddOrder(MakeOrder("S1", "SOFR", "C", Side::kBuy, 2)));
  EXPECT_GT(next, id);
}

}  // namespace
}  // namespace systore::testing
