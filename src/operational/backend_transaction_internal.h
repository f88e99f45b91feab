// The base of the backends' transactions: Transaction plus the JSON form the backends
// audit their records in (the public header carries JSON as text only).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "systore/operational_store.h"

namespace systore::operational {

class BackendTransaction : public Transaction {
 protected:
  using Transaction::Transaction;
  /// Audit() with the records as JSON values (null when new / deleted).
  Status AuditJson(std::string_view operation, std::string_view entity, std::string_view key,
                   const nlohmann::json& before, const nlohmann::json& after) {
    return Audit(operation, entity, key, before.dump(), after.dump());
  }
};

/// Stored attributes text checked to be JSON (Corruption naming `who` otherwise).
inline Status CheckStoredAttributes(const std::string& text, const std::string& who) {
  if (nlohmann::json::accept(text)) return Status::OK();
  return Status::Corruption(who + ": stored attributes are not JSON");
}

}  // namespace systore::operational
