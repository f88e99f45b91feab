// The built-in validators. Each reads a SeriesView of the batch (and of the stored
// history for the seam rules) and reports findings; none changes data.
#include <arrow/type.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>

#include "quality/series_view_internal.h"
#include "systore/business_calendar.h"
#include "systore/quality.h"
#include "systore/reference_store.h"

namespace systore {

using quality_internal::SeriesView;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string Num(double v) {
  std::ostringstream o;
  o.precision(10);
  o << v;
  return o.str();
}

Finding MakeFinding(Severity sev, std::string rule, int64_t row, Timestamp ts, std::string message) {
  Finding f;
  f.severity = sev;
  f.rule = std::move(rule);
  f.row = row;
  f.timestamps = {ts};
  f.message = std::move(message);
  return f;
}

/// Price columns of a view: the configured ones, else numeric columns with price names.
std::vector<int> PriceColumns(const SeriesView& v, const ValidatorParams& p) {
  std::vector<int> out;
  auto names = p.GetStringList("columns", {});
  if (!names.empty()) {
    for (const auto& n : names)
      if (int c = v.Find(n); c >= 0 && v.IsNumeric(c)) out.push_back(c);
    return out;
  }
  for (int c = 0; c < v.num_columns(); ++c)
    if (v.IsNumeric(c) && IsPriceColumnName(v.names()[c])) out.push_back(c);
  return out;
}

/// The column the spike rule follows: configured, else PRICE/price, CLOSE, FINAL.
int MainPriceColumn(const SeriesView& v, const ValidatorParams& p) {
  std::string want = p.GetString("column", "");
  if (!want.empty()) return v.Find(want);
  return v.FindAnyCase({"price", "close", "final", "mid"});
}

int VolumeColumn(const SeriesView& v, const ValidatorParams& p) {
  std::string want = p.GetString("column", "");
  if (!want.empty()) return v.Find(want);
  return v.FindAnyCase({"volume", "size"});
}

/// Median spacing between consecutive distinct timestamps (0 when fewer than 2).
Timestamp MedianSpacing(std::span<const Timestamp> ts) {
  std::vector<Timestamp> d;
  for (size_t i = 1; i < ts.size(); ++i)
    if (ts[i] > ts[i - 1]) d.push_back(ts[i] - ts[i - 1]);
  if (d.empty()) return 0;
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  return d[d.size() / 2];
}

// The built-in validators: each holds its parameters from quality.json.
class ParamValidator : public Validator {
 public:
  explicit ParamValidator(ValidatorParams p) : p_(std::move(p)) {}

 protected:
  ValidatorParams p_;
};

// ---- schema ----------------------------------------------------------------------------

class SchemaValidator : public ParamValidator {
 public:
  using ParamValidator::ParamValidator;
  std::string name() const override { return "schema"; }
  Status Validate(const ValidationInput& in, FindingSink* sink) override {
    SYSTORE_ASSIGN_OR_RAISE(SeriesView v, SeriesView::Make(in.data));
    auto critical = [&](std::string msg) {
      Finding f;
      f.severity = Severity::kCritical;
      f.rule = "schema";
      f.message = std::move(msg);
      sink->Add(std::move(f));
    };
    if (v.num_columns() == 0) {
      critical("no value column (is the delimiter a comma?)");
      return Status::OK();
    }
    std::vector<std::string> required = p_.GetStringList("required_columns", {});
    if (required.empty()) {
      if (in.dataset_options.kind == SeriesKind::kOhlcv) required = {"OPEN", "HIGH", "LOW", "CLOSE|FINAL", "VOLUME"};
      if (in.dataset_options.kind == SeriesKind::kTicks) required = {"price", "size"};
    }
    for (const auto& r : required) {
      bool found = false;
      std::stringstream alts(r);
      std::string alt;
      while (std::getline(alts, alt, '|'))
        if (v.Find(alt) >= 0) found = true;
      if (!found) critical("missing required column " + r);
    }
    if (in.stored_schema) {
      // The stored columns, by the names a file may carry them under (FINAL for CLOSE).
      const bool ohlcv = in.dataset_options.kind == SeriesKind::kOhlcv;
      auto stored_name = [&](std::string n) { return ohlcv && n == "FINAL" ? std::string("CLOSE") : n; };
      std::set<std::string> have;
      for (const auto& n : v.names()) have.insert(stored_name(n));
      std::string stores;
      for (int i = 1; i < in.stored_schema->num_fields(); ++i)
        stores += (i > 1 ? ", " : "") + in.stored_schema->field(i)->name();
      for (int i = 1; i < in.stored_schema->num_fields(); ++i) {
        const std::string& n = in.stored_schema->field(i)->name();
        if (!have.count(n)) critical("missing column '" + n + "' (the dataset stores " + stores + ")");
      }
      for (const auto& n : v.names()) {
        if (in.stored_schema->GetFieldIndex(stored_name(n)) < 0) {
          critical("unexpected column '" + n + "' (the dataset stores " + stores + ")");
        }
      }
    }
    for (int c = 0; c < v.num_columns(); ++c) {
      auto t = v.type(c);
      if (!(v.IsNumeric(c) || t == arrow::Type::STRING || t == arrow::Type::LARGE_STRING)) {
        critical("column " + v.names()[c] + " has unsupported type " + in.data->field(c + 1)->type()->ToString());
      }
      if (IsPriceColumnName(v.names()[c]) && !v.IsNumeric(c)) {
        critical("price column " + v.names()[c] + " is not numeric");
      }
    }
    return Status::OK();
  }

};

// ---- price -----------------------------------------------------------------------------

class PriceValidator : public ParamValidator {
 public:
  using ParamValidator::ParamValidator;
  std::string name() const override { return "price"; }
  Status Validate(const ValidationInput& in, FindingSink* sink) override {
    SYSTORE_ASSIGN_OR_RAISE(SeriesView v, SeriesView::Make(in.data));
    bool allow_non_positive = p_.GetBool("allow_non_positive", false);
    double lo = p_.GetDouble("min", -INFINITY), hi = p_.GetDouble("max", INFINITY);
    if (auto m = p_.GetNumberMap("min_by_key"); m.count(in.key)) lo = m[in.key];
    if (auto m = p_.GetNumberMap("max_by_key"); m.count(in.key)) hi = m[in.key];
    std::string bound_source = "config";
    if (in.reference && p_.GetBool("use_reference", true)) {
      // Reference `config` table rows "price_min.<KEY>" / "price_max.<KEY>" win.
      if (const ReferenceTable* cfg = in.reference->table("config")) {
        if (auto r = cfg->GetNumber("price_min." + in.key, "Value"); r.ok()) lo = *r, bound_source = "reference";
        if (auto r = cfg->GetNumber("price_max." + in.key, "Value"); r.ok()) hi = *r, bound_source = "reference";
      }
    }
    // Bounds relative to recent history: within +-max_relative_move of the last stored
    // value of the column (0 = off).
    double rel = p_.GetDouble("max_relative_move", 0);
    SYSTORE_ASSIGN_OR_RAISE(SeriesView hv, SeriesView::Make(in.history));
    for (int c : PriceColumns(v, p_)) {
      const std::string& col = v.names()[c];
      double clo = lo, chi = hi;
      std::string csource = bound_source;
      if (rel > 0 && hv.num_rows() > 0) {
        int hc = hv.Find(col);
        double last = kNaN;
        for (int64_t r = hv.num_rows() - 1; hc >= 0 && r >= 0 && std::isnan(last); --r) last = hv.Value(hc, r);
        if (!std::isnan(last) && last != 0) {
          clo = std::max(clo, last - std::abs(last) * rel);
          chi = std::min(chi, last + std::abs(last) * rel);
          csource = "last stored " + Num(last) + " +-" + Num(rel * 100) + "%";
        }
      }
      for (int64_t r = 0; r < v.num_rows(); ++r) {
        if (v.IsNull(c, r)) continue;  // missing values are allowed (multiple prices)
        double x = v.Value(c, r);
        Finding f;
        if (std::isnan(x) || std::isinf(x)) {
          f = MakeFinding(Severity::kError, "nan_price", r, v.ts()[r], col + " is " + Num(x));
        } else if (x < 0 && !allow_non_positive) {
          f = MakeFinding(Severity::kError, "non_positive_price", r, v.ts()[r], col + " = " + Num(x) + " is negative");
        } else if (x < clo || x > chi) {
          f = MakeFinding(Severity::kError, "price_range", r, v.ts()[r],
                          col + " = " + Num(x) + " outside [" + Num(clo) + ", " + Num(chi) + "] (" + csource + ")");
          f.values = {{"min", clo}, {"max", chi}};
        } else {
          continue;
        }
        f.values.insert(f.values.begin(), {col, x});
        sink->Add(std::move(f));
      }
    }
    return Status::OK();
  }

};

// ---- ohlc ------------------------------------------------------------------------------

class OhlcValidator : public ParamValidator {
 public:
  using ParamValidator::ParamValidator;
  std::string name() const override { return "ohlc"; }
  Status Validate(const ValidationInput& in, FindingSink* sink) override {
    SYSTORE_ASSIGN_OR_RAISE(SeriesView v, SeriesView::Make(in.data));
    int o = v.FindAnyCase({"open"}), h = v.FindAnyCase({"high"}), l = v.FindAnyCase({"low"});
    int c = v.FindAnyCase({"close", "final"});
    if (h < 0 || l < 0) return Status::OK();
    for (int64_t r = 0; r < v.num_rows(); ++r) {
      double hi = v.Value(h, r), lo = v.Value(l, r);
      double op = o >= 0 ? v.Value(o, r) : kNaN, cl = c >= 0 ? v.Value(c, r) : kNaN;
      std::string what;
      if (lo > hi)
        what = "low > high";
      else if (!std::isnan(op) && (op < lo || op > hi))
        what = "open outside [low, high]";
      else if (!std::isnan(cl) && (cl < lo || cl > hi))
        what = "close outside [low, high]";
      if (what.empty()) continue;
      Finding f = MakeFinding(Severity::kError, "ohlc", r, v.ts()[r], what);
      f.values = {{"open", op}, {"high", hi}, {"low", lo}, {"close", cl}};
      f.message += " (open " + Num(op) + ", high " + Num(hi) + ", low " + Num(lo) + ", close " + Num(cl) + ")";
      sink->Add(std::move(f));
    }
    return Status::OK();
  }

};

// ---- volume ----------------------------------------------------------------------------

class VolumeValidator : public ParamValidator {
 public:
  using ParamValidator::ParamValidator;
  std::string name() const override { return "volume"; }
  Status Validate(const ValidationInput& in, FindingSink* sink) override {
    SYSTORE_ASSIGN_OR_RAISE(SeriesView v, SeriesView::Make(in.data));
    int c = VolumeColumn(v, p_);
    if (c < 0 || !v.IsNumeric(c)) return Status::OK();
    bool integer = p_.GetBool("integer", true);
    double factor = p_.GetDouble("outlier_factor", 50);
    int64_t min_rows = p_.GetInt("outlier_min_rows", 20);
    // Median of positive volumes over history + batch: the outlier yardstick.
    std::vector<double> pos;
    SYSTORE_ASSIGN_OR_RAISE(SeriesView hv, SeriesView::Make(in.history));
    int hc = hv.num_rows() ? VolumeColumn(hv, p_) : -1;
    for (int64_t r = 0; hc >= 0 && r < hv.num_rows(); ++r)
      if (double x = hv.Value(hc, r); x > 0) pos.push_back(x);
    for (int64_t r = 0; r < v.num_rows(); ++r)
      if (double x = v.Value(c, r); x > 0) pos.push_back(x);
    double median = kNaN;
    if (static_cast<int64_t>(pos.size()) >= min_rows) {
      std::nth_element(pos.begin(), pos.begin() + pos.size() / 2, pos.end());
      median = pos[pos.size() / 2];
    }
    const std::string& col = v.names()[c];
    for (int64_t r = 0; r < v.num_rows(); ++r) {
      if (v.IsNull(c, r)) continue;
      double x = v.Value(c, r);
      Finding f;
      if (std::isnan(x) || x < 0) {
        f = MakeFinding(Severity::kError, "negative_volume", r, v.ts()[r], col + " = " + Num(x));
      } else if (integer && x != std::floor(x)) {
        f = MakeFinding(Severity::kWarning, "fractional_volume", r, v.ts()[r],
                        col + " = " + Num(x) + " is not a whole number");
      } else if (!std::isnan(median) && factor > 0 && x > factor * median) {
        f = MakeFinding(Severity::kWarning, "volume_outlier", r, v.ts()[r],
                        col + " = " + Num(x) + " > " + Num(factor) + " x median " + Num(median));
        f.values = {{"median", median}};
      } else {
        continue;
      }
      f.values.insert(f.values.begin(), {col, x});
      sink->Add(std::move(f));
    }
    return Status::OK();
  }

};

// ---- gaps ------------------------------------------------------------------------------

class GapsValidator : public ParamValidator {
 public:
  using ParamValidator::ParamValidator;
  std::string name() const override { return "gaps"; }
  Status Validate(const ValidationInput& in, FindingSink* sink) override {
    SYSTORE_ASSIGN_OR_RAISE(SeriesView v, SeriesView::Make(in.data));
    SYSTORE_ASSIGN_OR_RAISE(SeriesView hv, SeriesView::Make(in.history));
    int64_t max_missing = p_.GetInt("max_missing_days", 3);
    std::shared_ptr<const BusinessCalendar> cal = in.calendar;
    if (!cal) cal = std::make_shared<BusinessCalendar>("weekdays", std::vector<Timestamp>{});
    // Walk the batch in time order (out-of-order rows are the timestamps rule's business).
    std::vector<int64_t> order = v.TimeOrder();
    Timestamp prev = hv.num_rows() ? hv.ts().back() : kMinTimestamp;
    // Intraday bars: the bar length is `bar_seconds`, or the median spacing of the
    // batch when that is under 20 hours (ticks are irregular and not checked). Within one
    // UTC day, more than `max_missing_bars` absent bars between two rows is a gap.
    Timestamp bar = static_cast<Timestamp>(p_.GetDouble("bar_seconds", 0) * kNanosPerSecond);
    if (bar == 0 && in.dataset_options.kind != SeriesKind::kTicks && order.size() >= 3) {
      std::vector<Timestamp> sorted;
      for (int64_t r : order) sorted.push_back(v.ts()[r]);
      Timestamp spacing = MedianSpacing(sorted);
      if (spacing > 0 && spacing < 20 * 3600 * kNanosPerSecond) bar = spacing;
    }
    const int64_t max_missing_bars = p_.GetInt("max_missing_bars", 0);
    for (int64_t r : order) {
      Timestamp t = v.ts()[r];
      if (bar > 0 && prev != kMinTimestamp && t > prev && t / kNanosPerDay == prev / kNanosPerDay) {
        int64_t missing_bars = (t - prev) / bar - 1;
        if (missing_bars > max_missing_bars) {
          Finding f =
              MakeFinding(Severity::kWarning, "missing_bars", r, t,
                          std::to_string(missing_bars) + " intraday bars of " + std::to_string(bar / kNanosPerSecond) +
                              " s missing since " + FormatTimestamp(prev));
          f.timestamps = {prev, t};
          f.values = {{"missing_bars", static_cast<double>(missing_bars)}};
          sink->Add(std::move(f));
        }
      }
      if (prev != kMinTimestamp && t > prev) {
        int64_t missing = cal->BusinessDaysBetween(prev, t) - 1;
        if (missing > max_missing) {
          Finding f = MakeFinding(
              Severity::kWarning, "gap", r, t,
              std::to_string(missing) + " business days (" + cal->name() + ") missing since " + FormatTimestamp(prev));
          f.timestamps = {prev, t};
          f.values = {{"missing_business_days", static_cast<double>(missing)}};
          sink->Add(std::move(f));
        }
      }
      prev = std::max(prev, t);
    }
    return Status::OK();
  }

};

// ---- spike -----------------------------------------------------------------------------

// pysystemtrade's rule: each price change is divided by sqrt(days elapsed since the
// previous price), then by the exponentially weighted mean (span 500, pandas adjust=True
// weights) of the absolute scaled changes before it. A ratio above the threshold is a
// spike. The history (stored rows) warms the average up, so the first new row is judged
// against stored history: the seam.
//
// After a spike the next row is judged against both the spike row and the last good
// row, and is a spike only if it is abnormal against both: a one-row spike's reversal is
// normal against the last good row, and the rows after a genuine level shift are normal
// against each other (so, as in pysystemtrade, only the first row of a shift is flagged,
// not everything after it).
class SpikeValidator : public ParamValidator {
 public:
  using ParamValidator::ParamValidator;
  std::string name() const override { return "spike"; }
  Status Validate(const ValidationInput& in, FindingSink* sink) override {
    SYSTORE_ASSIGN_OR_RAISE(SeriesView v, SeriesView::Make(in.data));
    SYSTORE_ASSIGN_OR_RAISE(SeriesView hv, SeriesView::Make(in.history));
    int c = MainPriceColumn(v, p_);
    if (c < 0 || !v.IsNumeric(c)) return Status::OK();
    double threshold = p_.GetDouble("threshold", 8.0);
    double span = p_.GetDouble("span", 500);
    int64_t min_periods = p_.GetInt("min_periods", 20);
    double min_days = p_.GetDouble("min_days_elapsed", 1.0 / 1440);  // a minute
    double decay = 1.0 - 2.0 / (span + 1.0);
    double num = 0, den = 0;  // EWMA numerator/denominator (adjust=True)
    int64_t count = 0;
    double ok_p = kNaN, raw_p = kNaN;  // last good price, last price
    Timestamp ok_t = 0, raw_t = 0;
    auto scaled = [&](double p, Timestamp t, double p0, Timestamp t0) {
      double days = std::max(static_cast<double>(t - t0) / kNanosPerDay, min_days);
      return (p - p0) / std::sqrt(days);
    };
    auto step = [&](Timestamp t, double p, int64_t row) {
      if (std::isnan(p)) return;
      if (std::isnan(ok_p)) {
        ok_p = raw_p = p, ok_t = raw_t = t;
        return;
      }
      double change = scaled(p, t, ok_p, ok_t);
      bool after_spike = raw_t != ok_t;
      if (after_spike) {
        double alt = scaled(p, t, raw_p, raw_t);
        if (std::abs(alt) < std::abs(change)) change = alt;
      }
      double avg = den > 0 ? num / den : kNaN;
      bool spike = false;
      if (row >= 0 && count >= min_periods && avg > 0) {
        double ratio = std::abs(change) / avg;
        if (ratio > threshold) {
          spike = true;
          Finding f =
              MakeFinding(Severity::kError, "spike", row, t,
                          v.names()[c] + " moved " + Num(p - ok_p) + " from " + Num(ok_p) + " (" +
                              FormatTimestamp(ok_t) + "): " + Num(ratio) + " x its average move (threshold " +
                              Num(threshold) + ")" + (row == first_row_ ? " at the seam with stored history" : ""));
          f.timestamps = {ok_t, t};
          f.values = {{"previous", ok_p}, {"price", p}, {"ratio", ratio}, {"threshold", threshold}};
          sink->Add(std::move(f));
        }
      }
      if (!spike) {
        num = num * decay + std::abs(change);
        den = den * decay + 1.0;
        ++count;
        ok_p = p, ok_t = t;
      }
      raw_p = p, raw_t = t;
    };
    int hc = hv.num_rows() ? hv.Find(v.names()[c]) : -1;
    for (int64_t r = 0; hc >= 0 && r < hv.num_rows(); ++r) step(hv.ts()[r], hv.Value(hc, r), -1);
    std::vector<int64_t> order = v.TimeOrder();
    first_row_ = hv.num_rows() && !order.empty() ? order[0] : -2;
    for (int64_t r : order) {
      if (!std::isnan(raw_p) && v.ts()[r] <= raw_t) continue;  // duplicates/out of order
      step(v.ts()[r], v.Value(c, r), r);
    }
    return Status::OK();
  }

 private:
  int64_t first_row_ = -2;
};

// ---- cleaning --------------------------------------------------------------------------

class CleaningValidator : public ParamValidator {
 public:
  using ParamValidator::ParamValidator;
  std::string name() const override { return "cleaning"; }
  Status Validate(const ValidationInput& in, FindingSink* sink) override {
    SYSTORE_ASSIGN_OR_RAISE(SeriesView v, SeriesView::Make(in.data));
    Timestamp now = in.now ? in.now : Now();
    Timestamp tolerance = static_cast<Timestamp>(p_.GetDouble("future_tolerance_seconds", 86400) * kNanosPerSecond);
    std::vector<int> prices = PriceColumns(v, p_);
    int vol = VolumeColumn(v, p_);
    bool intraday = p_.GetBool("intraday", false);
    if (!p_.Has("intraday")) {
      Timestamp spacing;
      if (std::is_sorted(v.ts().begin(), v.ts().end())) {
        spacing = MedianSpacing(v.ts());
      } else {
        std::vector<Timestamp> ts(v.ts().begin(), v.ts().end());
        std::sort(ts.begin(), ts.end());
        spacing = MedianSpacing(ts);
      }
      intraday =
          in.dataset_options.kind == SeriesKind::kTicks || (spacing > 0 && spacing < 20 * 3600 * kNanosPerSecond);
    }
    const bool check_future = p_.GetBool("future_dated", true);
    const bool check_zero = p_.GetBool("zero_prices", true);
    const bool check_zero_volume =
        p_.GetBool("zero_volume_bars", true) && intraday && vol >= 0 && in.dataset_options.kind != SeriesKind::kTicks;
    for (int64_t r = 0; r < v.num_rows(); ++r) {
      Timestamp t = v.ts()[r];
      if (check_future && t > now + tolerance) {
        Finding f = MakeFinding(Severity::kError, "future_dated", r, t,
                                "timestamp is after now (" + FormatTimestamp(now - now % kNanosPerSecond) + ")");
        sink->Add(std::move(f));
        continue;
      }
      if (check_zero) {
        bool zero = false;
        std::string col;
        for (int c : prices)
          if (!v.IsNull(c, r) && v.Value(c, r) == 0.0) zero = true, col = v.names()[c];
        if (zero) {
          Finding f = MakeFinding(Severity::kError, "zero_price", r, t, col + " is 0");
          f.values = {{col, 0.0}};
          sink->Add(std::move(f));
          continue;
        }
      }
      if (check_zero_volume && !v.IsNull(vol, r) && v.Value(vol, r) == 0.0) {
        Finding f = MakeFinding(Severity::kError, "zero_volume_bar", r, t, "intraday bar with zero volume");
        f.values = {{v.names()[vol], 0.0}};
        sink->Add(std::move(f));
      }
    }
    return Status::OK();
  }

};

// ---- duplicates ------------------------------------------------------------------------

class DuplicatesValidator : public ParamValidator {
 public:
  using ParamValidator::ParamValidator;
  std::string name() const override { return "duplicates"; }
  Status Validate(const ValidationInput& in, FindingSink* sink) override {
    SYSTORE_ASSIGN_OR_RAISE(SeriesView v, SeriesView::Make(in.data));
    std::string policy = p_.GetString("policy", "keep-last");
    if (policy == "keep-all") return Status::OK();  // ticks: a repeated time is data
    std::vector<int64_t> order = v.TimeOrder();
    int main = MainPriceColumn(v, ValidatorParams());
    for (size_t i = 0; i < order.size();) {
      size_t j = i + 1;
      while (j < order.size() && v.ts()[order[j]] == v.ts()[order[i]]) ++j;
      if (j - i > 1) {
        int64_t keep = policy == "keep-first" ? order[i] : order[j - 1];
        for (size_t k = i; k < j; ++k) {
          int64_t r = order[k];
          if (policy != "error" && r == keep) continue;
          Finding f = MakeFinding(policy == "error" ? Severity::kError : Severity::kWarning, "duplicate_timestamp", r,
                                  v.ts()[r], std::to_string(j - i) + " rows share this timestamp");
          if (policy != "error") {
            f.removes_row = true;
            f.message += "; " + policy + " keeps row " + std::to_string(keep);
          }
          if (main >= 0) f.values = {{v.names()[main], v.Value(main, r)}, {"kept", v.Value(main, keep)}};
          sink->Add(std::move(f));
        }
      }
      i = j;
    }
    return Status::OK();
  }

};

// ---- timestamps ------------------------------------------------------------------------

Result<Timestamp> ParseClock(const std::string& hhmm) {
  int h = 0, m = 0;
  if (std::sscanf(hhmm.c_str(), "%d:%d", &h, &m) != 2 || h < 0 || h > 24 || m < 0 || m > 59) {
    return Status::InvalidArgument("bad time of day '" + hhmm + "' (HH:MM)");
  }
  return (h * 3600 + m * 60) * kNanosPerSecond;
}

class TimestampsValidator : public ParamValidator {
 public:
  using ParamValidator::ParamValidator;
  std::string name() const override { return "timestamps"; }
  Status Validate(const ValidationInput& in, FindingSink* sink) override {
    SYSTORE_ASSIGN_OR_RAISE(SeriesView v, SeriesView::Make(in.data));
    SYSTORE_ASSIGN_OR_RAISE(SeriesView hv, SeriesView::Make(in.history));
    Timestamp running = kMinTimestamp;
    Timestamp last_stored = hv.num_rows() ? hv.ts().back() : kMinTimestamp;
    bool after_history = p_.GetBool("require_after_history", false);
    std::string start = p_.GetString("session_start", ""), end = p_.GetString("session_end", "");
    Timestamp s0 = 0, s1 = 0;
    bool hours = !start.empty() && !end.empty();
    if (hours) {
      SYSTORE_ASSIGN_OR_RAISE(s0, ParseClock(start));
      SYSTORE_ASSIGN_OR_RAISE(s1, ParseClock(end));
    }
    for (int64_t r = 0; r < v.num_rows(); ++r) {
      Timestamp t = v.ts()[r];
      if (t < running) {
        Finding f =
            MakeFinding(Severity::kError, "unsorted", r, t, "timestamp goes back from " + FormatTimestamp(running));
        f.timestamps = {running, t};
        sink->Add(std::move(f));
        continue;
      }
      running = t;
      // Ticks may continue at the last stored time (more trades of that timestamp).
      const bool ticks = in.dataset_options.kind == SeriesKind::kTicks;
      if (after_history && (t < last_stored || (t == last_stored && !ticks))) {
        Finding f = MakeFinding(Severity::kError, "before_history", r, t,
                                "not after the last stored row " + FormatTimestamp(last_stored));
        f.timestamps = {last_stored, t};
        sink->Add(std::move(f));
        continue;
      }
      if (hours) {
        Timestamp tod = ((t % kNanosPerDay) + kNanosPerDay) % kNanosPerDay;
        if (tod < s0 || tod > s1) {
          sink->Add(MakeFinding(Severity::kWarning, "trading_hours", r, t,
                                "outside trading hours " + start + "-" + end + " UTC"));
        }
      }
    }
    return Status::OK();
  }

};

template <typename T>
ValidatorFactory Factory() {
  return [](const ValidatorParams& p) -> Result<std::unique_ptr<Validator>> {
    return std::unique_ptr<Validator>(new T(p));
  };
}

}  // namespace

void RegisterBuiltinValidators(ValidatorRegistry* r) {
  (void)r->Register("schema", Factory<SchemaValidator>());
  (void)r->Register("price", Factory<PriceValidator>());
  (void)r->Register("ohlc", Factory<OhlcValidator>());
  (void)r->Register("volume", Factory<VolumeValidator>());
  (void)r->Register("gaps", Factory<GapsValidator>());
  (void)r->Register("spike", Factory<SpikeValidator>());
  (void)r->Register("cleaning", Factory<CleaningValidator>());
  (void)r->Register("duplicates", Factory<DuplicatesValidator>());
  (void)r->Register("timestamps", Factory<TimestampsValidator>());
}

}  // namespace systore
