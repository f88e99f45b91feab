// The operational store's audit log: one record per mutation, written in the same
// transaction as the mutation it describes.
#pragma once

#include <cstdint>
#include <string>

#include "systore/time.h"

namespace systore {

struct AuditRecord {
  int64_t seq = 0;  // increasing; assigned by the store
  Timestamp time = 0;
  std::string actor;      // OperationalStoreOptions::actor of the writer
  std::string operation;  // "order.new", "order.fill", "position.update", "process.set", ...
  std::string entity;     // table: "order", "strategy_position", "process", ...
  std::string key;        // the record's key, e.g. "42" or "S1/SOFR"
  /// The record before and after, as JSON text: "null" when it is new / was deleted.
  std::string before_json = "null";
  std::string after_json = "null";
};

}  // namespace systore
