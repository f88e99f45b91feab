// BusinessCalendar: business days of one holiday calendar (an exchange's, a country's),
// built from the reference `holidays` table. Weekends (Saturday, Sunday) and the listed
// holidays are not business days.
//
// Dates are Timestamps (ns since the epoch, UTC); only the UTC calendar day counts, the
// time of day is ignored, and results are at 00:00 UTC. Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "systore/reference_table.h"
#include "systore/result.h"
#include "systore/time.h"

namespace systore {

class BusinessCalendar {
 public:
  /// A calendar with the given holiday days (any order, duplicates ignored).
  BusinessCalendar(std::string name, const std::vector<Timestamp>& holidays);

  /// The calendar named `calendar` from a `holidays` table (columns Calendar, Date).
  /// An unknown calendar name gives NotFound (listing the known ones): a typo must not
  /// silently mean "no holidays".
  static Result<BusinessCalendar> FromHolidays(const ReferenceTable& holidays, const std::string& calendar);

  const std::string& name() const { return name_; }
  bool IsHoliday(Timestamp date) const;
  bool IsBusinessDay(Timestamp date) const;
  /// The first business day strictly after `date`.
  Timestamp NextBusinessDay(Timestamp date) const;
  /// The last business day strictly before `date`.
  Timestamp PreviousBusinessDay(Timestamp date) const;
  /// Business days d with from < d <= to; negative (the count with the bounds swapped)
  /// when to < from. BusinessDaysBetween(d, NextBusinessDay(d)) == 1.
  int64_t BusinessDaysBetween(Timestamp from, Timestamp to) const;

 private:
  static int64_t DayOf(Timestamp t);
  int64_t CountBusinessDaysUpTo(int64_t day) const;  // business days in [0, day]
  bool IsBusinessDayNumber(int64_t day) const;
  std::string name_;
  std::vector<int64_t> holidays_;  // sorted day numbers (days since the epoch), weekdays only
};

}  // namespace systore
