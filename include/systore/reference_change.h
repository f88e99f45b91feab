// ReferenceChange: one version of the reference store as recorded in its change log —
// who changed what, when, why, with the old and new value of every field.
//
// The on-disk form (one JSON object per line, hash-chained) is specified in
// docs/formats/reference_change_log.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "systore/time.h"

namespace systore {

/// One field of a row that changed value.
struct FieldChange {
  std::string column;
  std::string old_value;
  std::string new_value;
};

/// One row added, removed or modified.
struct RowChange {
  enum class Kind { kAdded, kRemoved, kModified };
  Kind kind = Kind::kModified;
  std::string key;
  /// kAdded: the new row; kRemoved: the old row (in the table's column order).
  std::vector<std::string> values;
  /// kAdded: the row's index in the new table.
  int64_t position = -1;
  /// kModified: the fields that changed.
  std::vector<FieldChange> fields;
};

/// The change of one table in one version.
struct TableChange {
  std::string table;
  /// True when the table did not exist before this version.
  bool created = false;
  /// Columns before and after (equal unless a column was added, removed or moved).
  std::vector<std::string> columns_before, columns_after;
  std::vector<RowChange> rows;
  /// Non-empty when the row order changed beyond what the row changes imply: every key
  /// of the new table in order.
  std::vector<std::string> order;
  /// SHA-256 of the table's canonical CSV after this version.
  std::string content_sha256;
  int64_t rows_after = 0;

  bool empty() const { return !created && rows.empty() && order.empty() && columns_before == columns_after; }
};

/// One entry of the change log: one version.
struct ReferenceChange {
  int64_t version = 0;
  /// Commit time (UTC); strictly increasing with the version.
  Timestamp time = 0;
  std::string actor;
  std::string reason;
  /// "set", "delete", "import", "adopt".
  std::string operation;
  std::vector<TableChange> tables;
  /// Hash of the previous entry (64 zeros for version 1) and of this entry.
  std::string prev_hash, hash;
};

/// "+ 3 rows, - 1 row, ~ 2 rows" style one-line summary of a table change.
std::string SummarizeTableChange(const TableChange& change);

}  // namespace systore
