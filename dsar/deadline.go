package dsar

import "time"

// MaxExtensionMonths is the longest extension Art. 12(3) allows: two
// further months, for complex or numerous requests.
const MaxExtensionMonths = 2

// Date returns t's calendar date, read in t's own location, as midnight
// UTC. Deadlines are dates, not instants: Request.Due holds this form, and
// a request is overdue only once its due date has wholly passed.
func Date(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// AddMonths returns the date n calendar months after date's date, clamped
// to the last day of the target month: 31 January plus one month is
// 28 February (29 in a leap year), 30 November plus three months is the end
// of February. This is how Regulation 1182/71 Art. 3(2)(c) counts a period
// of months, and what time.AddDate does not do (it normalises 31 February
// into March).
func AddMonths(date time.Time, n int) time.Time {
	y, m, d := date.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, time.UTC)
}

// DueDate returns the last day to answer a request received at received,
// with an extension of extraMonths (0 for none): one calendar month after
// the date of receipt, plus the extension, counted from the date of
// receipt (Art. 12(3)). received is read as a date in its own location;
// pass it in the controller's time zone.
func DueDate(received time.Time, extraMonths int) time.Time {
	return AddMonths(Date(received), 1+extraMonths)
}
