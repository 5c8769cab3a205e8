package privacy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Period is an ISO 8601 duration of calendar units, such as "P30D", "P7Y"
// or "P1Y6M", as retention rules state them. The zero Period is "P0D".
//
// Years and months are calendar units: AddTo moves the date, not a fixed
// number of hours, so "P1Y" from 29 February ends on 28 February and "P1M"
// from 31 January ends on the last day of February.
type Period struct {
	Years, Months, Weeks, Days, Hours int
}

// ParsePeriod parses an ISO 8601 duration with years, months, weeks, days
// and hours: "P7Y", "P1Y6M", "P2W", "P30D", "PT12H", "P1DT12H". Fractions,
// minutes, seconds and negative values are not accepted: retention is not
// stated in them.
func ParsePeriod(s string) (Period, error) {
	var p Period
	bad := func(why string) (Period, error) {
		return Period{}, fmt.Errorf("invalid ISO 8601 period %q: %s", s, why)
	}
	rest, ok := strings.CutPrefix(s, "P")
	if !ok {
		return bad("must start with P")
	}
	if rest == "" || rest == "T" {
		return bad("needs at least one number and unit")
	}
	inTime, order := false, ""
	for rest != "" {
		if rest[0] == 'T' {
			if inTime {
				return bad("T appears twice")
			}
			inTime, rest = true, rest[1:]
			if rest == "" {
				return bad("T must be followed by hours")
			}
			continue
		}
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) {
			return bad("expected a number followed by a unit")
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n > 100000 {
			return bad("number out of range")
		}
		unit := rest[i]
		rest = rest[i+1:]
		key := string(unit)
		if inTime {
			key = "T" + key
		}
		units := "YMWD"
		if inTime {
			units = "H"
		}
		if !strings.ContainsRune(units, rune(unit)) {
			return bad(fmt.Sprintf("unit %c is not allowed here (use Y, M, W, D, or TnH)", unit))
		}
		if strings.Contains(order, key) {
			return bad(fmt.Sprintf("unit %c appears twice", unit))
		}
		order += key
		switch key {
		case "Y":
			p.Years = n
		case "M":
			p.Months = n
		case "W":
			p.Weeks = n
		case "D":
			p.Days = n
		case "TH":
			p.Hours = n
		}
	}
	// Units must come in the order Y M W D T H.
	want := ""
	for _, k := range []string{"Y", "M", "W", "D", "TH"} {
		if strings.Contains(order, k) {
			want += k
		}
	}
	if want != order {
		return bad("units must appear in the order Y, M, W, D, T, H")
	}
	return p, nil
}

// MustParsePeriod is ParsePeriod for constants; it panics on an error.
func MustParsePeriod(s string) Period {
	p, err := ParsePeriod(s)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the period in ISO 8601 form, "P0D" for the zero Period.
func (p Period) String() string {
	var b strings.Builder
	b.WriteByte('P')
	for _, u := range []struct {
		n    int
		unit byte
	}{{p.Years, 'Y'}, {p.Months, 'M'}, {p.Weeks, 'W'}, {p.Days, 'D'}} {
		if u.n != 0 {
			b.WriteString(strconv.Itoa(u.n))
			b.WriteByte(u.unit)
		}
	}
	if p.Hours != 0 {
		b.WriteString("T" + strconv.Itoa(p.Hours) + "H")
	}
	if b.Len() == 1 {
		return "P0D"
	}
	return b.String()
}

// IsZero reports whether the period is empty.
func (p Period) IsZero() bool { return p == Period{} }

// AddTo returns t moved forward by the period, in t's location. Years and
// months move the calendar date and clamp to the end of a shorter month;
// weeks and days move the date by whole days (so a day across a daylight
// saving change is 23 or 25 hours); hours are added last as elapsed time.
func (p Period) AddTo(t time.Time) time.Time {
	if p.Years != 0 || p.Months != 0 {
		y, m, d := t.Date()
		first := time.Date(y, m+time.Month(p.Months), 1, 0, 0, 0, 0, time.UTC)
		first = first.AddDate(p.Years, 0, 0)
		last := first.AddDate(0, 1, -1).Day()
		h, mi, s := t.Clock()
		t = time.Date(first.Year(), first.Month(), min(d, last), h, mi, s, t.Nanosecond(), t.Location())
	}
	if p.Weeks != 0 || p.Days != 0 {
		t = t.AddDate(0, 0, 7*p.Weeks+p.Days)
	}
	return t.Add(time.Duration(p.Hours) * time.Hour)
}

// periodReference is the instant at which Compare measures periods.
var periodReference = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

// Compare compares two periods by the instant each reaches from 1 January
// 2001 UTC: -1 if p is shorter, 0 if equal, +1 if longer. Calendar units
// make the comparison depend on a start date ("P1M" against "P30D"); the
// sweeper therefore enforces bounds on the real dates, and Compare serves
// only to validate a catalog or a controller's setting.
func (p Period) Compare(q Period) int {
	return p.AddTo(periodReference).Compare(q.AddTo(periodReference))
}

// MarshalJSON encodes the period as its ISO 8601 string.
func (p Period) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

// UnmarshalJSON decodes an ISO 8601 string.
func (p *Period) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("period must be an ISO 8601 string such as \"P30D\"")
	}
	v, err := ParsePeriod(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Trigger names the event that starts a retention period's clock. Services
// report the time of each event they know for each record they hold.
type Trigger string

// The triggers of the reference catalog. A catalog may use other names;
// an inventory must then report times under those names.
const (
	// TriggerCollected is when the record was collected or created.
	TriggerCollected Trigger = "collected"
	// TriggerAccountClosed is when the account the record belongs to was
	// closed (deactivated on the subject's request, or ended by contract).
	TriggerAccountClosed Trigger = "account_closed"
	// TriggerLastActivity is the subject's last sign of life: a login, a
	// meeting joined, a message answered.
	TriggerLastActivity Trigger = "last_activity"
	// TriggerMeetingEnded is when the meeting the record belongs to ended.
	TriggerMeetingEnded Trigger = "meeting_ended"
	// TriggerConsentWithdrawn is when the subject withdrew the consent the
	// record was kept under.
	TriggerConsentWithdrawn Trigger = "consent_withdrawn"
)

// RetentionAction is what happens to a record whose retention ends.
type RetentionAction string

// The retention actions.
const (
	// ActionDelete removes the record.
	ActionDelete RetentionAction = "delete"
	// ActionAnonymise strips the record of everything that identifies the
	// subject, so that it is no longer personal data (Recital 26) and may
	// be kept, such as for statistics.
	ActionAnonymise RetentionAction = "anonymise"
)

// Valid reports whether a is a known action.
func (a RetentionAction) Valid() bool { return a == ActionDelete || a == ActionAnonymise }

// RetentionRule says how long the records of a category are kept: from
// the Trigger event, for Period, after which Action applies. A rule may
// name further events in Also, each with its own period; then the
// retention ends at the earliest end among the clocks whose event has
// happened ("as long as the consent lasts, and no longer than the
// account"). A rule on a parent key covers every child without a rule of
// its own; the most specific key wins.
type RetentionRule struct {
	// Category is a leaf or parent category key.
	Category string `json:"category"`
	// Trigger is the event that starts the clock.
	Trigger Trigger `json:"trigger"`
	// Period is how long after the trigger the record is kept.
	Period Period `json:"period"`
	// Also are further events that end the retention too, each after its
	// own period, whichever comes first: a marketing profile ends 30 days
	// after the consent is withdrawn, or 30 days after the account is
	// closed if that comes first. A controller's choice of period (Min,
	// Max) applies to Period only.
	Also []RetentionClock `json:"also,omitempty"`
	// Action is what happens when the period ends.
	Action RetentionAction `json:"action"`
	// Reason says, in a line, why the period is what it is: the policy's
	// promise or the law.
	Reason string `json:"reason"`
	// StatutoryHold is a legal duty to keep the records for a minimum time
	// whatever the rule says. The record is kept until both the rule's
	// period and the hold have ended, and an erasure request cannot
	// remove it earlier (Art. 17(3)(b)).
	StatutoryHold *StatutoryHold `json:"statutory_hold,omitempty"`
	// Min and Max bound the period a controller may choose for the data
	// of subjects the operator processes on its behalf (the data
	// processing agreement). Both empty: controllers cannot change the
	// period.
	Min *Period `json:"min,omitempty"`
	Max *Period `json:"max,omitempty"`
}

// RetentionClock is a further event that ends a rule's retention, and
// how long after it.
type RetentionClock struct {
	Trigger Trigger `json:"trigger"`
	Period  Period  `json:"period"`
}

// Clocks returns the rule's clocks, its own first and then Also, each with
// the period the rule states (a controller's choice is retention.Due's).
func (r *RetentionRule) Clocks() []RetentionClock {
	return append([]RetentionClock{{Trigger: r.Trigger, Period: r.Period}}, r.Also...)
}

// StatutoryHold is a legal duty to keep records.
type StatutoryHold struct {
	// Trigger starts the duty's clock.
	Trigger Trigger `json:"trigger"`
	// Period is how long the law requires the records be kept.
	Period Period `json:"period"`
	// Law cites the provision, such as "AWR art. 52(4); BW 2:10(3)".
	Law string `json:"law"`
	// BookYearEnd, as "MM-DD" (such as "12-31" for a calendar book
	// year), makes the duty count from the end of the book year in which
	// the trigger falls instead of from the trigger itself: a record
	// stops being part of the current administration when its book year
	// is closed (the Dutch tax authority's reading of AWR art. 52(4)); a
	// running contract's records, triggered by the contract's end, from
	// the end of the book year in which it ended. Empty: from the trigger.
	BookYearEnd string `json:"book_year_end,omitempty"`
}

// Start returns when the duty's clock starts for a record whose trigger
// happened at t: t itself, or with BookYearEnd the first instant (UTC)
// after the last day of the book year in which t falls.
func (h *StatutoryHold) Start(t time.Time) time.Time {
	m, d, ok := h.bookYearEnd()
	if !ok {
		return t
	}
	t = t.UTC()
	// The book year ending on (year, m, d) ends at the start of the next
	// day; t belongs to the first such end after it.
	end := time.Date(t.Year(), m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	if !t.Before(end) {
		end = time.Date(t.Year()+1, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	}
	return end
}

// End returns when the duty ends for a record whose trigger happened at
// t: Period after Start(t).
func (h *StatutoryHold) End(t time.Time) time.Time { return h.Period.AddTo(h.Start(t)) }

// bookYearEnd parses BookYearEnd; false when it is empty or malformed.
func (h *StatutoryHold) bookYearEnd() (time.Month, int, bool) {
	if h.BookYearEnd == "" {
		return 0, 0, false
	}
	// 2001 is no leap year: a book year cannot end on 29 February.
	t, err := time.Parse("2006-01-02", "2001-"+h.BookYearEnd)
	if err != nil || len(h.BookYearEnd) != 5 {
		return 0, 0, false
	}
	return t.Month(), t.Day(), true
}

// Adjustable reports whether a controller may choose the rule's period.
func (r *RetentionRule) Adjustable() bool { return r.Min != nil || r.Max != nil }

// RetentionRule returns the rule that governs a leaf category: the rule
// of the category itself, else of its nearest parent; nil when no rule
// covers it.
func (c *Catalog) RetentionRule(category string) *RetentionRule {
	for key := category; key != ""; {
		for i := range c.Retention {
			if c.Retention[i].Category == key {
				return &c.Retention[i]
			}
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return nil
}

// Triggers returns the events the catalog's retention runs from, each
// once, in catalog order: the clocks of every rule (Trigger, then Also)
// and the statutory holds.
func (c *Catalog) Triggers() []Trigger {
	var out []Trigger
	add := func(t Trigger) {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	for i := range c.Retention {
		for _, clock := range c.Retention[i].Clocks() {
			add(clock.Trigger)
		}
		if h := c.Retention[i].StatutoryHold; h != nil {
			add(h.Trigger)
		}
	}
	return out
}

var triggerPattern = keyPattern

// validateRetention checks the retention rules against the categories and
// subject kinds; Validate calls it.
func (c *Catalog) validateRetention(leaves map[string][]string, kinds map[SubjectKind]Role) error {
	bad := func(entry, field, format string, args ...any) error {
		return &CatalogError{Entry: entry, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	seen := map[string]bool{}
	for i, r := range c.Retention {
		entry := "retention " + r.Category
		if r.Category == "" {
			entry = fmt.Sprintf("retention[%d]", i)
		}
		if _, ok := leaves[r.Category]; !ok {
			return bad(entry, "category", "unknown category %q%s", r.Category, DidYouMean(r.Category, names(leaves)))
		}
		if seen[r.Category] {
			return bad(entry, "category", "duplicate retention rule")
		}
		seen[r.Category] = true
		if !triggerPattern.MatchString(string(r.Trigger)) {
			return bad(entry, "trigger", "must be a lower-case event name such as %q, got %q", TriggerAccountClosed, r.Trigger)
		}
		if r.Period.IsZero() {
			return bad(entry, "period", "must be an ISO 8601 duration longer than zero, such as \"P30D\"")
		}
		for j, a := range r.Also {
			field := fmt.Sprintf("also[%d]", j)
			if !triggerPattern.MatchString(string(a.Trigger)) {
				return bad(entry, field+".trigger", "must be a lower-case event name such as %q, got %q", TriggerAccountClosed, a.Trigger)
			}
			if a.Period.IsZero() {
				return bad(entry, field+".period", "must be an ISO 8601 duration longer than zero, such as \"P30D\"")
			}
			for _, c := range r.Clocks()[:j+1] {
				if c.Trigger == a.Trigger {
					return bad(entry, field+".trigger", "%s already ends this rule's retention; a trigger has one period", a.Trigger)
				}
			}
		}
		if !r.Action.Valid() {
			return bad(entry, "action", "must be delete or anonymise, got %q", r.Action)
		}
		if strings.TrimSpace(r.Reason) == "" {
			return bad(entry, "reason", "must say why the period is what it is")
		}
		if h := r.StatutoryHold; h != nil {
			if !triggerPattern.MatchString(string(h.Trigger)) {
				return bad(entry, "statutory_hold.trigger", "must be a lower-case event name, got %q", h.Trigger)
			}
			if h.Period.IsZero() {
				return bad(entry, "statutory_hold.period", "must be longer than zero")
			}
			if strings.TrimSpace(h.Law) == "" {
				return bad(entry, "statutory_hold.law", "must cite the provision that imposes the duty")
			}
			if _, _, ok := h.bookYearEnd(); h.BookYearEnd != "" && !ok {
				return bad(entry, "statutory_hold.book_year_end", "must be the book year's last day as MM-DD, such as \"12-31\" (not 02-29), got %q", h.BookYearEnd)
			}
		}
		if r.Adjustable() {
			for _, leaf := range leaves[r.Category] {
				if k := c.Category(leaf); k != nil && kinds[k.Subject] != RoleProcessor {
					return bad(entry, "min", "only the data of subjects the operator processes for a controller may have controller bounds; %s is %s data", leaf, k.Subject)
				}
			}
			if r.Min == nil || r.Max == nil {
				return bad(entry, "max", "controller bounds need both min and max")
			}
			if r.Min.Compare(*r.Max) > 0 {
				return bad(entry, "min", "%s is longer than max %s", r.Min, r.Max)
			}
			if r.Period.Compare(*r.Min) < 0 || r.Period.Compare(*r.Max) > 0 {
				return bad(entry, "period", "%s is outside the controller bounds %s..%s", r.Period, r.Min, r.Max)
			}
		}
	}
	return nil
}

// Describe states the rule in one line for records, notices and exports,
// such as "P90D after account_closed, then delete; kept at least
// P7Y after collected (AWR art. 52(4); BW 2:10(3))".
func (r *RetentionRule) Describe() string {
	s := fmt.Sprintf("%s after %s", r.Period, r.Trigger)
	for _, a := range r.Also {
		s += fmt.Sprintf(" or %s after %s", a.Period, a.Trigger)
	}
	if len(r.Also) > 0 {
		s += ", whichever comes first"
	}
	s += ", then " + string(r.Action)
	if h := r.StatutoryHold; h != nil {
		from := string(h.Trigger)
		if h.BookYearEnd != "" {
			from = "the end of the book year (ending " + h.BookYearEnd + ") of " + from
		}
		s += fmt.Sprintf("; kept at least %s after %s (%s)", h.Period, from, h.Law)
	}
	if r.Adjustable() {
		s += fmt.Sprintf("; the controller may choose %s to %s", r.Min, r.Max)
	}
	return s
}
