// JSON form of findings, shared by the quarantine, the CLI and reports.
#pragma once

#include <nlohmann/json.hpp>

#include "systore/quality.h"

namespace systore::quality_internal {

nlohmann::json FindingToJson(const Finding& f);
Result<Finding> FindingFromJson(const nlohmann::json& j);
}  // namespace systore::quality_internal

namespace arrow {
class Table;
}

namespace systore {
/// "NAME=value;..." of the value columns of one row (all but the first), for comparing
/// rows across tables with the same columns.
std::string RowText(const arrow::Table& t, int64_t row);
}  // namespace systore

namespace systore::quality_internal {}  // namespace systore::quality_internal
