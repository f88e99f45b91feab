#include "systore/business_calendar.h"

#include <algorithm>
#include <set>

#include "reference/validate.h"

namespace systore {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Day 0 (1970-01-01) was a Thursday; shifting by 3 makes day m=0 a Monday.
int Weekday(int64_t day) {  // 0 = Monday .. 6 = Sunday
  int64_t m = day + 3;
  return static_cast<int>(m - FloorDiv(m, 7) * 7);
}

// Weekdays in (-inf, day], up to a constant: only differences are used.
int64_t WeekdaysUpTo(int64_t day) {
  int64_t m = day + 3;
  int64_t weeks = FloorDiv(m, 7);
  int64_t rem = m - weeks * 7;
  return weeks * 5 + std::min<int64_t>(rem + 1, 5);
}

}  // namespace

BusinessCalendar::BusinessCalendar(std::string name, const std::vector<Timestamp>& holidays) : name_(std::move(name)) {
  for (Timestamp t : holidays) {
    int64_t d = DayOf(t);
    if (Weekday(d) < 5) holidays_.push_back(d);  // a holiday on a weekend changes nothing
  }
  std::sort(holidays_.begin(), holidays_.end());
  holidays_.erase(std::unique(holidays_.begin(), holidays_.end()), holidays_.end());
}

Result<BusinessCalendar> BusinessCalendar::FromHolidays(const ReferenceTable& holidays, const std::string& calendar) {
  int cal = holidays.ColumnIndex("Calendar"), date = holidays.ColumnIndex("Date");
  if (cal < 0 || date < 0) {
    return Status::InvalidArgument("table '" + holidays.name() + "' has no Calendar and Date columns");
  }
  std::vector<Timestamp> days;
  std::set<std::string> names;
  for (size_t r = 0; r < holidays.num_rows(); ++r) {
    const auto& row = holidays.row(r);
    names.insert(row[cal]);
    if (row[cal] != calendar) continue;
    auto t = ParseTimestamp(row[date]);
    if (!t.ok()) {
      return Status::InvalidArgument("table '" + holidays.name() + "' line " + std::to_string(r + 2) +
                                     ", column 'Date': " + t.status().message());
    }
    days.push_back(*t);
  }
  if (!names.count(calendar)) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    return Status::NotFound("no holiday calendar '" + calendar + "' (known: " + (known.empty() ? "none" : known) + ")");
  }
  return BusinessCalendar(calendar, days);
}

int64_t BusinessCalendar::DayOf(Timestamp t) { return FloorDiv(t, kNanosPerDay); }

bool BusinessCalendar::IsHoliday(Timestamp date) const {
  return std::binary_search(holidays_.begin(), holidays_.end(), DayOf(date));
}

bool BusinessCalendar::IsBusinessDayNumber(int64_t day) const {
  return Weekday(day) < 5 && !std::binary_search(holidays_.begin(), holidays_.end(), day);
}

bool BusinessCalendar::IsBusinessDay(Timestamp date) const { return IsBusinessDayNumber(DayOf(date)); }

Timestamp BusinessCalendar::NextBusinessDay(Timestamp date) const {
  int64_t d = DayOf(date) + 1;
  while (!IsBusinessDayNumber(d)) ++d;
  return d * kNanosPerDay;
}

Timestamp BusinessCalendar::PreviousBusinessDay(Timestamp date) const {
  int64_t d = DayOf(date) - 1;
  while (!IsBusinessDayNumber(d)) --d;
  return d * kNanosPerDay;
}

int64_t BusinessCalendar::CountBusinessDaysUpTo(int64_t day) const {
  auto holidays_up_to = std::upper_bound(holidays_.begin(), holidays_.end(), day) - holidays_.begin();
  return WeekdaysUpTo(day) - holidays_up_to;
}

int64_t BusinessCalendar::BusinessDaysBetween(Timestamp from, Timestamp to) const {
  return CountBusinessDaysUpTo(DayOf(to)) - CountBusinessDaysUpTo(DayOf(from));
}

}  // namespace systore
