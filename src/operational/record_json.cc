#include "operational/record_json.h"

namespace systore::operational {

nlohmann::json OrderToJson(const Order& o) {
  nlohmann::json j = {{"id", o.id},
                      {"level", OrderLevelName(o.level)},
                      {"parent_id", o.parent_id ? nlohmann::json(*o.parent_id) : nlohmann::json(nullptr)},
                      {"strategy", o.strategy},
                      {"instrument", o.instrument},
                      {"contract", o.contract},
                      {"side", SideName(o.side)},
                      {"quantity", o.quantity},
                      {"type", OrderTypeName(o.type)},
                      {"limit_price", o.limit_price ? nlohmann::json(*o.limit_price) : nlohmann::json(nullptr)},
                      {"status", OrderStatusName(o.status)},
                      {"filled_quantity", o.filled_quantity},
                      {"average_fill_price", o.average_fill_price},
                      {"commission", o.commission},
                      {"attributes", nlohmann::json::parse(o.attributes_json, nullptr, /*allow_exceptions=*/false)},
                      {"reason", o.reason},
                      {"created_at", o.created_at},
                      {"submitted_at", o.submitted_at},
                      {"first_fill_at", o.first_fill_at},
                      {"last_fill_at", o.last_fill_at},
                      {"filled_at", o.filled_at},
                      {"cancelled_at", o.cancelled_at},
                      {"rejected_at", o.rejected_at}};
  return j;
}

nlohmann::json FillToJson(const Fill& f) {
  return {{"exec_id", f.exec_id}, {"order_id", f.order_id},     {"quantity", f.quantity},
          {"price", f.price},     {"commission", f.commission}, {"time", f.time}};
}

nlohmann::json ProcessToJson(const ProcessState& p) {
  nlohmann::json methods = nlohmann::json::object();
  for (const auto& [m, t] : p.methods) methods[m] = {{"last_start", t.last_start}, {"last_end", t.last_end}};
  return {{"name", p.name},
          {"control", ControlStatusName(p.control)},
          {"running", p.running},
          {"pid", p.pid},
          {"last_start", p.last_start},
          {"last_end", p.last_end},
          {"recently_crashed", p.recently_crashed},
          {"depends_on", p.depends_on},
          {"methods", methods}};
}

nlohmann::json EodStepToJson(const EodStepRecord& r) {
  auto metrics = nlohmann::json::parse(r.metrics_json, nullptr, false);
  return {{"date", r.date},
          {"step", r.step},
          {"started_at", r.started_at},
          {"ended_at", r.ended_at},
          {"outcome", EodOutcomeName(r.outcome)},
          {"metrics", metrics.is_discarded() ? nlohmann::json::object() : metrics},
          {"error", r.error}};
}

nlohmann::json TradeLimitJson(const TradeLimit& l) {
  return {{"instrument", l.instrument},
          {"strategy", l.strategy},
          {"period_days", l.period_days},
          {"limit", l.limit},
          {"traded_since_reset", l.traded_since_reset},
          {"last_reset", l.last_reset}};
}

}  // namespace systore::operational

namespace systore {

std::string ToJson(const Order& order) { return operational::OrderToJson(order).dump(); }
std::string ToJson(const Fill& fill) { return operational::FillToJson(fill).dump(); }
std::string ToJson(const ProcessState& process) { return operational::ProcessToJson(process).dump(); }
std::string ToJson(const EodStepRecord& record) { return operational::EodStepToJson(record).dump(); }

}  // namespace systore
