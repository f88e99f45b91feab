#include "reference/validate.h"

#include <cmath>

#include "core/number_text.h"
#include "systore/time.h"

namespace systore::reference_internal {

bool ParseNumber(std::string_view s, double* out) { return ParseDouble(s, out) && std::isfinite(*out); }

bool ParseInteger(std::string_view s, int64_t* out) { return ParseInt64(s, out); }

const std::set<std::string, std::less<>>& BuiltinCurrencies() {
  // ISO 4217 active codes (2024), plus CNH (offshore renminbi, the code markets quote) and
  // MXP (the pre-1993 peso code that pysystemtrade's instrumentconfig.csv uses for MXN).
  static const std::set<std::string, std::less<>> kCodes = {
      "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD",
      "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY",
      "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP",
      "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
      "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT",
      "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR",
      "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK",
      "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD",
      "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY",
      "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF",
      "XPF", "YER", "ZAR", "ZMW", "ZWL", "XAU", "XAG", "XPT", "XPD", "CNH", "MXP"};
  return kCodes;
}

std::set<std::string, std::less<>> KnownCurrencies(const ReferenceTable* config) {
  auto out = BuiltinCurrencies();
  if (!config) return out;
  auto extra = config->Get(kExtraCurrenciesKey, "Value");
  if (!extra) return out;
  std::string tok;
  for (char c : std::string(*extra) + ",") {
    if (c == ',' || c == ' ' || c == ';' || c == '\t') {
      if (!tok.empty()) out.insert(tok);
      tok.clear();
    } else {
      tok.push_back(c);
    }
  }
  return out;
}

Status ValidateColumns(const TableSchema& schema, const std::vector<std::string>& columns, const std::string& source,
                       int64_t header_line) {
  for (int k = 0; k < schema.key_columns; ++k) {
    if (columns.size() <= static_cast<size_t>(k) || columns[k] != schema.columns[k].name) {
      return Status::InvalidArgument(source + " line " + std::to_string(header_line) + ", column " +
                                     std::to_string(k + 1) + ": table '" + schema.name + "' needs key column '" +
                                     schema.columns[k].name + "' here, found '" +
                                     (columns.size() > static_cast<size_t>(k) ? columns[k] : std::string()) + "'");
    }
  }
  for (const auto& spec : schema.columns) {
    if (!spec.required) continue;
    bool found = false;
    for (const auto& c : columns) found = found || c == spec.name;
    if (!found) {
      std::string have;
      for (const auto& c : columns) have += (have.empty() ? "" : ",") + c;
      return Status::InvalidArgument(source + " line " + std::to_string(header_line) + ": missing required column '" +
                                     spec.name + "' (table '" + schema.name + "'; header is " + have + ")");
    }
  }
  return Status::OK();
}

Status ValidateRows(const TableSchema& schema, const ReferenceTable& table, const std::vector<int64_t>& lines,
                    const std::set<std::string, std::less<>>& currencies, const std::string& source) {
  struct Typed {
    int index;
    const ColumnSpec* spec;
  };
  std::vector<Typed> typed;
  for (size_t c = 0; c < table.columns().size(); ++c) {
    const ColumnSpec* spec = schema.Find(table.columns()[c]);
    if (spec) typed.push_back({static_cast<int>(c), spec});
  }
  for (size_t r = 0; r < table.num_rows(); ++r) {
    const auto& row = table.row(r);
    auto where = [&](const Typed& t) {
      int64_t line = lines.empty() ? static_cast<int64_t>(r) + 2 : lines[r];
      return source + " line " + std::to_string(line) + ", column '" + t.spec->name + "' (" +
             std::to_string(t.index + 1) + ")";
    };
    for (const auto& t : typed) {
      const std::string& v = row[t.index];
      if (v.empty()) {
        if (!t.spec->nullable) return Status::InvalidArgument(where(t) + ": empty, a value is required");
        continue;
      }
      switch (t.spec->type) {
        case ColumnType::kString:
          break;
        case ColumnType::kNumber: {
          double d;
          if (!ParseNumber(v, &d)) return Status::InvalidArgument(where(t) + ": not a number: '" + v + "'");
          break;
        }
        case ColumnType::kInteger: {
          int64_t i;
          if (!ParseInteger(v, &i)) return Status::InvalidArgument(where(t) + ": not a whole number: '" + v + "'");
          break;
        }
        case ColumnType::kCurrency:
          if (currencies.find(v) == currencies.end()) {
            return Status::InvalidArgument(where(t) + ": unknown currency '" + v +
                                           "' (not ISO 4217; add it to config key '" + kExtraCurrenciesKey +
                                           "' if it is right)");
          }
          break;
        case ColumnType::kDate: {
          auto ts = ParseTimestamp(v);
          if (v.size() != 10 || !ts.ok() || *ts % kNanosPerDay != 0) {
            return Status::InvalidArgument(where(t) + ": not a date YYYY-MM-DD: '" + v + "'");
          }
          break;
        }
      }
    }
  }
  return Status::OK();
}

}  // namespace systore::reference_internal
