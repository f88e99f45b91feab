// Model-based random test of the order lifecycle: random operations (valid and invalid)
// run against the store and against an in-memory model of the rules; every outcome
// (status code) and, periodically, the whole state must agree.
#include <map>
#include <random>
#include <set>

#include "operational/conformance_internal.h"

namespace systore::testing {
namespace {

struct ModelOrder {
  std::string strategy, instrument, contract;
  Side side;
  int64_t quantity, filled = 0;
  OrderStatus status = OrderStatus::kCreated;
};

class Model {
 public:
  std::map<OrderId, ModelOrder> orders;
  std::set<std::string> execs;
  std::map<std::pair<std::string, std::string>, int64_t> strategy_pos, contract_pos;

  StatusCode Submit(OrderId id) {
    auto it = orders.find(id);
    if (it == orders.end()) return StatusCode::kNotFound;
    if (it->second.status != OrderStatus::kCreated) return StatusCode::kInvalidArgument;
    it->second.status = OrderStatus::kSubmitted;
    return StatusCode::kOk;
  }
  StatusCode Cancel(OrderId id) {
    auto it = orders.find(id);
    if (it == orders.end()) return StatusCode::kNotFound;
    if (IsTerminal(it->second.status)) return StatusCode::kInvalidArgument;
    it->second.status = OrderStatus::kCancelled;
    return StatusCode::kOk;
  }
  StatusCode Reject(OrderId id) {
    auto it = orders.find(id);
    if (it == orders.end()) return StatusCode::kNotFound;
    auto s = it->second.status;
    if (s != OrderStatus::kCreated && s != OrderStatus::kSubmitted) return StatusCode::kInvalidArgument;
    it->second.status = OrderStatus::kRejected;
    return StatusCode::kOk;
  }
  StatusCode Fill(OrderId id, int64_t qty, const std::string& exec) {
    if (qty <= 0) return StatusCode::kInvalidArgument;
    auto it = orders.find(id);
    if (it == orders.end()) return StatusCode::kNotFound;
    ModelOrder& o = it->second;
    if (execs.count(exec)) return StatusCode::kAlreadyExists;  // checked first: re-reports are idempotent
    if (IsTerminal(o.status)) return StatusCode::kInvalidArgument;
    if (qty > o.quantity - o.filled) return StatusCode::kInvalidArgument;
    execs.insert(exec);
    o.filled += qty;
    o.status = o.filled == o.quantity ? OrderStatus::kFilled : OrderStatus::kPartiallyFilled;
    const int64_t d = o.side == Side::kBuy ? qty : -qty;
    strategy_pos[{o.strategy, o.instrument}] += d;
    contract_pos[{o.instrument, o.contract}] += d;
    return StatusCode::kOk;
  }
};

TEST_P(OperationalConformance, OrderLifecycleMatchesModel) {
  std::mt19937_64 rng(20260401);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  Model model;
  std::vector<OrderId> ids;
  std::vector<std::string> used_execs;
  const char* strategies[] = {"S1", "S2"};
  const char* instruments[] = {"SOFR", "BUND"};
  const char* contracts[] = {"20250300", "20250600"};
  int exec_counter = 0;
  constexpr int kSteps = 400;
  for (int step = 0; step < kSteps; ++step) {
    const int op = pick(10);
    auto some_id = [&]() -> OrderId {
      if (ids.empty() || pick(10) == 0) return 1'000'000 + pick(1000);  // unknown
      return ids[pick(static_cast<int>(ids.size()))];
    };
    std::string what;
    StatusCode expected, got;
    if (op <= 2) {
      NewOrder n;
      n.strategy = strategies[pick(2)];
      n.instrument = instruments[pick(2)];
      n.contract = contracts[pick(2)];
      n.side = pick(2) ? Side::kBuy : Side::kSell;
      n.quantity = pick(10) - 1;  // -1..8
      auto r = store_->AddOrder(n);
      got = r.status().code();
      expected = n.quantity > 0 ? StatusCode::kOk : StatusCode::kInvalidArgument;
      if (r.ok()) {
        ids.push_back(*r);
        model.orders[*r] = ModelOrder{n.strategy, n.instrument, n.contract, n.side, n.quantity};
      }
      what = "add qty " + std::to_string(n.quantity);
    } else if (op == 3) {
      OrderId id = some_id();
      expected = model.Submit(id);
      got = store_->SubmitOrder(id).code();
      what = "submit " + std::to_string(id);
    } else if (op == 4) {
      OrderId id = some_id();
      expected = model.Cancel(id);
      got = store_->CancelOrder(id).code();
      what = "cancel " + std::to_string(id);
    } else if (op == 5) {
      OrderId id = some_id();
      expected = model.Reject(id);
      got = store_->Transact([&](Transaction& t) { return t.RejectOrder(id, "model"); }).code();
      what = "reject " + std::to_string(id);
    } else {
      OrderId id = some_id();
      int64_t remaining = 3;
      if (auto it = model.orders.find(id); it != model.orders.end())
        remaining = it->second.quantity - it->second.filled;
      int64_t qty = pick(static_cast<int>(remaining) + 3) - 1;  // -1 .. remaining+1
      std::string exec = (!used_execs.empty() && pick(8) == 0) ? used_execs[pick(static_cast<int>(used_execs.size()))]
                                                               : "M" + std::to_string(++exec_counter);
      expected = model.Fill(id, qty, exec);
      FillRequest f;
      f.order_id = id;
      f.quantity = qty;
      f.price = 100 + pick(10);
      f.exec_id = exec;
      got = store_->ApplyFill(f).status().code();
      if (got == StatusCode::kOk) used_execs.push_back(exec);
      what = "fill " + std::to_string(id) + " qty " + std::to_string(qty) + " exec " + exec;
    }
    ASSERT_EQ(StatusCodeName(got), StatusCodeName(expected)) << "step " << step << ": " << what;

    if (step % 50 == 49 || step == kSteps - 1) {
      for (const auto& [id, m] : model.orders) {
        auto o = store_->GetOrder(id);
        ASSERT_TRUE(o.ok()) << o.status().ToString();
        ASSERT_EQ(OrderStatusName(o->status), OrderStatusName(m.status)) << "order " << id;
        ASSERT_EQ(o->filled_quantity, m.filled) << "order " << id;
      }
      auto sp = store_->StrategyPositions();
      ASSERT_TRUE(sp.ok());
      std::map<std::pair<std::string, std::string>, int64_t> got_sp;
      for (const auto& p : *sp) got_sp[{p.strategy, p.instrument}] = p.position;
      ASSERT_EQ(got_sp, model.strategy_pos);
      auto cp = store_->ContractPositions();
      ASSERT_TRUE(cp.ok());
      std::map<std::pair<std::string, std::string>, int64_t> got_cp;
      for (const auto& p : *cp) got_cp[{p.instrument, p.contract}] = p.position;
      ASSERT_EQ(got_cp, model.contract_pos);
      auto rec = store_->Reconcile();
      ASSERT_TRUE(rec.ok() && rec->ok());
    }
  }
}

}  // namespace
}  // namespace systore::testing
