// JSON form of findings, shared by the quarantine, the CLI and reports.
#pragma once

#include <nlohmann/json.hpp>

#include "systore/quality.h"

namespace systore::quality_internal {

nlohmann::json FindingToJson(const Finding& f);
Result<Finding> FindingFromJson(const nlohmann::json& j);

}  // namespace systore::quality_internal
