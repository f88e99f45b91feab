// The operational schema, one text for both SQL dialects. Keys and indexes follow the
// access patterns: unique order id, unique broker execution id, (strategy, status),
// (instrument, created_at), status, parent; fills by order; trades by strategy/instrument.
#include <string>

#include "operational/sql_internal.h"

namespace systore::operational {

std::string Schema(Dialect d) {
  const std::string autoid = d == Dialect::kSqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY";
  return R"(
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO counters (name, value) VALUES ('order_id', 0) ON CONFLICT (name) DO NOTHING;
CREATE TABLE IF NOT EXISTS orders (
  order_id BIGINT PRIMARY KEY,
  level TEXT NOT NULL,
  parent_id BIGINT REFERENCES orders(order_id),
  strategy TEXT NOT NULL,
  instrument TEXT NOT NULL,
  contract TEXT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity BIGINT NOT NULL CHECK (quantity > 0),
  order_type TEXT NOT NULL,
  limit_price DOUBLE PRECISION,
  status TEXT NOT NULL,
  filled_quantity BIGINT NOT NULL CHECK (filled_quantity >= 0 AND filled_quantity <= quantity),
  avg_fill_price DOUBLE PRECISION NOT NULL,
  commission DOUBLE PRECISION NOT NULL,
  attributes TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  submitted_at BIGINT NOT NULL,
  first_fill_at BIGINT NOT NULL,
  last_fill_at BIGINT NOT NULL,
  filled_at BIGINT NOT NULL,
  cancelled_at BIGINT NOT NULL,
  rejected_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_strategy_status ON orders (strategy, status);
CREATE INDEX IF NOT EXISTS orders_instrument_time ON orders (instrument, created_at);
CREATE INDEX IF NOT EXISTS orders_status ON orders (status);
CREATE INDEX IF NOT EXISTS orders_parent ON orders (parent_id);
CREATE TABLE IF NOT EXISTS fills (
  exec_id TEXT PRIMARY KEY,
  order_id BIGINT NOT NULL REFERENCES orders(order_id),
  quantity BIGINT NOT NULL CHECK (quantity > 0),
  price DOUBLE PRECISION NOT NULL,
  commission DOUBLE PRECISION NOT NULL,
  fill_time BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS fills_order ON fills (order_id, fill_time);
CREATE TABLE IF NOT EXISTS trades (
  exec_id TEXT PRIMARY KEY REFERENCES fills(exec_id),
  order_id BIGINT NOT NULL,
  strategy TEXT NOT NULL,
  instrument TEXT NOT NULL,
  contract TEXT NOT NULL,
  signed_quantity BIGINT NOT NULL,
  price DOUBLE PRECISION NOT NULL,
  commission DOUBLE PRECISION NOT NULL,
  trade_time BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS trades_strategy_instrument ON trades (strategy, instrument, trade_time);
CREATE TABLE IF NOT EXISTS strategy_positions (
  strategy TEXT NOT NULL, instrument TEXT NOT NULL, net_position BIGINT NOT NULL, updated_at BIGINT NOT NULL,
  PRIMARY KEY (strategy, instrument));
CREATE TABLE IF NOT EXISTS contract_positions (
  instrument TEXT NOT NULL, contract TEXT NOT NULL, net_position BIGINT NOT NULL, updated_at BIGINT NOT NULL,
  PRIMARY KEY (instrument, contract));
CREATE TABLE IF NOT EXISTS daily_pnl (
  day BIGINT NOT NULL, strategy TEXT NOT NULL, instrument TEXT NOT NULL,
  cash_flow DOUBLE PRECISION NOT NULL, commission DOUBLE PRECISION NOT NULL, traded_quantity BIGINT NOT NULL,
  PRIMARY KEY (day, strategy, instrument));
CREATE TABLE IF NOT EXISTS processes (
  name TEXT PRIMARY KEY, control TEXT NOT NULL, running BIGINT NOT NULL, pid BIGINT NOT NULL,
  last_start BIGINT NOT NULL, last_end BIGINT NOT NULL, recently_crashed BIGINT NOT NULL,
  depends_on TEXT NOT NULL, methods TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS eod_steps (
  day TEXT NOT NULL, step TEXT NOT NULL, started_at BIGINT NOT NULL, ended_at BIGINT NOT NULL,
  outcome TEXT NOT NULL, metrics TEXT NOT NULL, error TEXT NOT NULL,
  PRIMARY KEY (day, step));
CREATE TABLE IF NOT EXISTS instrument_locks (instrument TEXT PRIMARY KEY, locked_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS roll_states (instrument TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS trade_limits (
  instrument TEXT NOT NULL, strategy TEXT NOT NULL, period_days BIGINT NOT NULL, trade_limit BIGINT NOT NULL,
  traded_since_reset BIGINT NOT NULL, last_reset BIGINT NOT NULL,
  PRIMARY KEY (instrument, strategy, period_days));
CREATE TABLE IF NOT EXISTS position_limits (
  instrument TEXT NOT NULL, strategy TEXT NOT NULL, position_limit BIGINT NOT NULL,
  PRIMARY KEY (instrument, strategy));
CREATE TABLE IF NOT EXISTS overrides (
  scope TEXT NOT NULL, override_key TEXT NOT NULL, multiplier DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (scope, override_key));
CREATE TABLE IF NOT EXISTS temporary_closes (instrument TEXT PRIMARY KEY, saved_limit BIGINT, created_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_log (
  seq )" +
         autoid + R"(,
  at BIGINT NOT NULL, actor TEXT NOT NULL, operation TEXT NOT NULL, entity TEXT NOT NULL,
  record_key TEXT NOT NULL, before_json TEXT, after_json TEXT);
)";
}

}  // namespace systore::operational
