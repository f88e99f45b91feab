// Validation of reference tables against their schemas: required columns, typed cells,
// known currencies. Errors name the file, line, column and value.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "systore/reference_table.h"

namespace systore::reference_internal {

/// Strict decimal number (optional sign, digits, '.', exponent), finite.
bool ParseNumber(std::string_view s, double* out);
/// Strict whole number.
bool ParseInteger(std::string_view s, int64_t* out);

/// Built-in currency codes: ISO 4217 plus the market codes pysystemtrade uses (CNH, MXP).
const std::set<std::string, std::less<>>& BuiltinCurrencies();

/// Name of the `config` key whose value lists extra currency codes (comma/space separated).
inline constexpr const char* kExtraCurrenciesKey = "extra_currencies";

/// The known currencies: built-in plus those listed in `config` (may be null).
std::set<std::string, std::less<>> KnownCurrencies(const ReferenceTable* config);

/// Checks the header of a table against its schema (required columns present).
Status ValidateColumns(const TableSchema& schema, const std::vector<std::string>& columns, const std::string& source,
                       int64_t header_line = 1);

/// Checks every cell of typed columns. `lines` gives each row's line in `source` (empty:
/// row i is on line i + 2, as in the canonical file).
Status ValidateRows(const TableSchema& schema, const ReferenceTable& table, const std::vector<int64_t>& lines,
                    const std::set<std::string, std::less<>>& currencies, const std::string& source);

}  // namespace systore::reference_internal
