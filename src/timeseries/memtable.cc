#include "timeseries/memtable.h"

#include <arrow/api.h>

#include "timeseries/series_table.h"

namespace systore {

void Memtable::Add(const std::string& key, std::shared_ptr<arrow::Table> rows) {
  if (!rows || rows->num_rows() == 0) return;
  std::vector<Timestamp> ts = TimestampsOf(*rows->Slice(rows->num_rows() - 1));
  std::lock_guard<std::mutex> lock(mu_);
  Tail& t = tails_[key];
  t.rows += rows->num_rows();
  t.last = ts.front();
  t.parts.push_back(std::move(rows));
  t.combined.reset();
  if (rows_ == 0) first_add_time_ = Now();
  rows_ += t.parts.back()->num_rows();
}

std::shared_ptr<arrow::Table> Memtable::Get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tails_.find(key);
  if (it == tails_.end()) return nullptr;
  Tail& t = it->second;
  if (!t.combined) {
    // One chunk per column: many single-row appends must not become thousands of chunks.
    auto concat = arrow::ConcatenateTables(t.parts);
    if (!concat.ok()) return nullptr;
    auto combined = (*concat)->CombineChunks();
    if (!combined.ok()) return nullptr;
    t.combined = *combined;
    t.parts.assign(1, t.combined);
  }
  return t.combined;
}

bool Memtable::LastTimestamp(const std::string& key, Timestamp* ts) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tails_.find(key);
  if (it == tails_.end()) return false;
  *ts = it->second.last;
  return true;
}

std::vector<std::string> Memtable::Keys() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [k, t] : tails_) out.push_back(k);
  return out;
}

int64_t Memtable::rows() { return rows_.load(std::memory_order_relaxed); }

Timestamp Memtable::first_add_time() {
  std::lock_guard<std::mutex> lock(mu_);
  return first_add_time_;
}

void Memtable::PrependFrom(Memtable& older) {
  std::scoped_lock lock(mu_, older.mu_);
  for (auto& [key, old_tail] : older.tails_) {
    Tail& t = tails_[key];
    old_tail.parts.insert(old_tail.parts.end(), t.parts.begin(), t.parts.end());
    bool had_newer = t.rows > 0;
    Timestamp last = had_newer ? t.last : old_tail.last;
    t.parts = std::move(old_tail.parts);
    t.rows += old_tail.rows;
    t.last = last;
    t.combined.reset();
    rows_ += old_tail.rows;
  }
  if (older.first_add_time_ != 0 && (first_add_time_ == 0 || older.first_add_time_ < first_add_time_)) {
    first_add_time_ = older.first_add_time_;
  }
  older.tails_.clear();
  older.rows_ = 0;
}

}  // namespace systore
