package retention

import (
	"fmt"
	"strings"
	"time"

	"github.com/privacykit/privacy"
)

// Status is the verdict on one record.
type Status string

// The statuses a Schedule gives a record.
const (
	// StatusDue: the record's retention has ended and nothing holds it.
	StatusDue Status = "due"
	// StatusHeld: the retention has ended but a hold keeps the record.
	StatusHeld Status = "held"
	// StatusRetained: the retention has not ended, or its trigger has not
	// happened.
	StatusRetained Status = "retained"
	// StatusUnruled: no rule covers the record's category. The record is
	// kept, and the plan reports it: the catalog has a gap.
	StatusUnruled Status = "unruled"
)

// Verdict is what a Schedule decides about one record at one time.
type Verdict struct {
	Status Status `json:"status"`
	// Rule is the category key of the rule that governs the record.
	Rule string `json:"rule,omitempty"`
	// Action is the rule's action.
	Action privacy.RetentionAction `json:"action,omitempty"`
	// Period is the period applied: the rule's, or the controller's
	// choice within the rule's bounds.
	Period privacy.Period `json:"period"`
	// DueAt is when the retention ends; zero when no trigger of the rule
	// has happened.
	DueAt time.Time `json:"due_at,omitzero"`
	// Trigger is the event whose clock ends the retention first (a rule
	// with Also has several); empty when none has happened.
	Trigger privacy.Trigger `json:"trigger,omitempty"`
	// HeldBy says, for a held record, what holds it, one line per hold.
	HeldBy []string `json:"held_by,omitempty"`
}

// Schedule resolves a catalog's retention rules for leaf categories and
// applies controllers' choices. It is immutable and safe for concurrent
// use.
type Schedule struct {
	catalog   *privacy.Catalog
	rules     map[string]*privacy.RetentionRule // leaf -> rule
	overrides map[string]map[string]privacy.Period
}

// NewSchedule returns the schedule of a validated catalog with the
// controllers' overrides, each of which must pass CheckOverride.
func NewSchedule(c *privacy.Catalog, overrides []Override) (*Schedule, error) {
	s := &Schedule{catalog: c, rules: map[string]*privacy.RetentionRule{}, overrides: map[string]map[string]privacy.Period{}}
	for _, cat := range c.Categories {
		if r := c.RetentionRule(cat.Key); r != nil {
			s.rules[cat.Key] = r
		}
	}
	for _, o := range overrides {
		if err := CheckOverride(c, o); err != nil {
			return nil, err
		}
		if s.overrides[o.Controller] == nil {
			s.overrides[o.Controller] = map[string]privacy.Period{}
		}
		s.overrides[o.Controller][o.Category] = o.Period
	}
	return s, nil
}

// CheckOverride checks a controller's choice against the catalog: the
// category is known and governed by a rule with bounds, and the period is
// within them. It returns a *privacy.ValidationError naming the field.
func CheckOverride(c *privacy.Catalog, o Override) error {
	bad := func(field, format string, args ...any) error {
		return &privacy.ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if err := o.Validate(); err != nil {
		return err
	}
	leaves := c.Leaves(o.Category)
	if len(leaves) == 0 {
		return bad("category", "unknown category %q", o.Category)
	}
	for _, leaf := range leaves {
		r := c.RetentionRule(leaf)
		if r == nil || !r.Adjustable() {
			return bad("category", "the retention of %s is not the controller's to choose", leaf)
		}
		if o.Period.IsZero() {
			continue // removes the choice
		}
		if o.Period.Compare(*r.Min) < 0 || o.Period.Compare(*r.Max) > 0 {
			return bad("period", "%s is outside the bounds %s..%s of %s", o.Period, r.Min, r.Max, r.Category)
		}
	}
	return nil
}

// CheckHold checks a hold against the catalog before it is placed
// (HoldStore.PlaceHold has no catalog): what Validate checks, and that the
// category, if any, is one the catalog declares (a leaf or a parent key).
// A hold on a category the catalog does not know would hold nothing, and
// the records it was placed to keep would be erased. It returns a
// *privacy.ValidationError naming the field.
func CheckHold(c *privacy.Catalog, h Hold) error {
	if err := h.Validate(); err != nil {
		return err
	}
	if h.Category == "" || len(c.Leaves(h.Category)) > 0 {
		return nil
	}
	var known []string
	seen := map[string]bool{}
	for _, cat := range c.Categories {
		for k := cat.Key; k != ""; {
			if !seen[k] {
				seen[k] = true
				known = append(known, k)
			}
			i := strings.LastIndexByte(k, '.')
			if i < 0 {
				break
			}
			k = k[:i]
		}
	}
	return &privacy.ValidationError{Field: "category", Message: fmt.Sprintf("the catalog declares no category %q%s", h.Category, privacy.DidYouMean(h.Category, known))}
}

// Rule returns the rule that governs a leaf category, or nil.
func (s *Schedule) Rule(category string) *privacy.RetentionRule { return s.rules[category] }

// Evaluate judges a record at the time, given the legal holds in force:
// due, held (statutory or legal holds, each named in HeldBy), retained or
// unruled.
func (s *Schedule) Evaluate(r *Record, holds []Hold, at time.Time) Verdict {
	rule := s.rules[r.Category]
	if rule == nil {
		return Verdict{Status: StatusUnruled}
	}
	v := Verdict{Status: StatusRetained, Rule: rule.Category, Action: rule.Action, Period: rule.Period}
	choice, chosen := s.Choice(r.Controller, r.Category)
	v.DueAt, v.Period, v.Trigger = End(rule, choice, chosen, r.Times)
	if v.DueAt.IsZero() || at.Before(v.DueAt) {
		return v
	}
	if h := rule.StatutoryHold; h != nil {
		if st, ok := r.Times[h.Trigger]; !ok || st.IsZero() {
			// Without the time the duty runs from, the duty cannot be
			// shown to have ended: keep the record.
			v.HeldBy = append(v.HeldBy, fmt.Sprintf("statutory hold (%s): %s of %s unknown", h.Law, h.Period, h.Trigger))
		} else if end := h.End(st); at.Before(end) {
			v.HeldBy = append(v.HeldBy, fmt.Sprintf("statutory hold (%s) until %s", h.Law, end.UTC().Format(time.RFC3339)))
		}
	}
	for i := range holds {
		if holds[i].ActiveAt(at) && holds[i].Covers(r.SubjectID, r.Category) {
			v.HeldBy = append(v.HeldBy, holds[i].String())
		}
	}
	if len(v.HeldBy) > 0 {
		v.Status = StatusHeld
	} else {
		v.Status = StatusDue
	}
	return v
}

// End returns when the retention of data governed by rule ends, given the
// times its triggers happened: the earliest end among the rule's clocks
// (its own, with the controller's choice as Due applies it, and Also)
// whose trigger happened, with the period and trigger of that clock. The
// zero time when none has happened. Decisions (policies) and sweeps agree
// with it.
func End(rule *privacy.RetentionRule, choice privacy.Period, chosen bool, times map[privacy.Trigger]time.Time) (time.Time, privacy.Period, privacy.Trigger) {
	var (
		due    time.Time
		period privacy.Period
		by     privacy.Trigger
	)
	if start, ok := times[rule.Trigger]; ok && !start.IsZero() {
		due, period = Due(rule, choice, chosen, start)
		by = rule.Trigger
	}
	for _, c := range rule.Also {
		start, ok := times[c.Trigger]
		if !ok || start.IsZero() {
			continue
		}
		if end := c.Period.AddTo(start); due.IsZero() || end.Before(due) {
			due, period, by = end, c.Period, c.Trigger
		}
	}
	if due.IsZero() {
		period = rule.Period
	}
	return due, period, by
}

// Due returns when data governed by rule whose trigger happened at start
// is due, and the period that applies: the controller's choice, when
// chosen and the rule lets controllers choose, kept within the rule's
// bounds on the real dates (where calendar units have their real length);
// otherwise the rule's period. Decisions (policies) and sweeps use it.
func Due(rule *privacy.RetentionRule, choice privacy.Period, chosen bool, start time.Time) (time.Time, privacy.Period) {
	if !chosen || !rule.Adjustable() || rule.Min == nil || rule.Max == nil {
		return rule.Period.AddTo(start), rule.Period
	}
	p, due := choice, choice.AddTo(start)
	if lo := rule.Min.AddTo(start); due.Before(lo) {
		p, due = *rule.Min, lo
	}
	if hi := rule.Max.AddTo(start); due.After(hi) {
		p, due = *rule.Max, hi
	}
	return due, p
}

// Choice returns the controller's choice of period for the leaf category,
// set on the leaf or on its most specific parent; false when the
// controller made none.
func (s *Schedule) Choice(controller, category string) (privacy.Period, bool) {
	m := s.overrides[controller]
	if m == nil || controller == "" {
		return privacy.Period{}, false
	}
	for key := category; ; {
		if p, ok := m[key]; ok && !p.IsZero() {
			return p, true
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			return privacy.Period{}, false
		}
		key = key[:i]
	}
}
