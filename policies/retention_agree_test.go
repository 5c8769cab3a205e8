package policies_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/lawfulbasis"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/subject"
)

// TestRetentionDecisionsAgreeWithSweeps: for every leaf category a
// retention rule of the reference catalog governs, with its clocks' trigger
// times drawn around the ends of their periods (each trigger happened or
// not), a decision for a purpose that uses the leaf on a basis other than a
// legal obligation denies with retention.expired exactly when the sweeper's
// schedule (retention.Schedule.Evaluate) says the retention has ended. The
// two are written apart (Rego for decisions, Go for sweeps) and must not
// drift: a rule with several clocks (also) ends at whichever ends first in
// both, and a controller's choice of period (guest data of acme; globex
// chose none) applies alike.
func TestRetentionDecisionsAgreeWithSweeps(t *testing.T) {
	t.Parallel()
	cat := privacy.DefaultCatalog()
	// Controller acme chose its own periods where the catalog lets it
	// (guest data): both sides apply the choice within the rule's bounds.
	overrides := []retention.Override{
		{Controller: "acme", Category: "guest.contact", Period: privacy.MustParsePeriod("P30D")},
		{Controller: "acme", Category: "guest.it.cookies", Period: privacy.MustParsePeriod("P1M")},
	}
	store := memory.NewRetentionStore()
	for _, o := range overrides {
		if err := store.SetOverride(t.Context(), o); err != nil {
			t.Fatal(err)
		}
	}
	sched, err := retention.NewSchedule(cat, overrides)
	if err != nil {
		t.Fatal(err)
	}
	states := memory.NewStateStore()
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	eng, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithSubjects(states), policies.WithRetentionOverrides(store),
		policies.WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(20261203, 1))
	n, expired := 0, 0
	for _, c := range cat.Categories {
		rule := cat.RetentionRule(c.Key)
		if rule == nil {
			continue
		}
		purpose := usingPurpose(cat, c)
		if purpose == "" {
			continue
		}
		for i := range 12 {
			times := map[privacy.Trigger]time.Time{}
			controller := ""
			if sk := cat.SubjectKind(c.Subject); sk != nil && sk.Role == privacy.RoleProcessor {
				controller = []string{"acme", "globex"}[r.IntN(2)]
			}
			choice, chosen := sched.Choice(controller, c.Key)
			for j, clock := range rule.Clocks() {
				if r.IntN(4) == 0 {
					continue // not happened
				}
				if j == 0 && chosen {
					clock.Period = choice // the controller's period, within the bounds
				}
				// Around the clock's end: up to two days either side.
				end := at.Add(time.Duration(r.IntN(4*24*60)-2*24*60) * time.Minute)
				times[clock.Trigger] = startFor(clock.Period, end)
			}
			id := fmt.Sprintf("s-%s-%d", c.Key, i)
			for tr, when := range times {
				if err := subject.RecordLifecycle(t.Context(), states, id, tr, when); err != nil {
					t.Fatal(err)
				}
			}
			sub := privacy.Subject{ID: id, Kind: c.Subject, Age: 30, Country: "NL", Controller: controller}
			d, err := eng.Decide(t.Context(), privacy.Request{Subject: sub, Purpose: purpose, Data: []string{c.Key}, Time: at})
			if err != nil {
				t.Fatalf("Decide %s for %s: %v", c.Key, purpose, err)
			}
			v := sched.Evaluate(&retention.Record{Key: id, SubjectID: id, Controller: controller, Category: c.Key, Times: times}, nil, at)
			ended := !v.DueAt.IsZero() && !at.Before(v.DueAt)
			if got := slices.Contains(d.Codes(), privacy.ReasonRetentionExpired); got != ended {
				t.Errorf("%s (%s), triggers %v: decision says expired %v, sweep says due at %s (%s)", c.Key, purpose, times, got, v.DueAt, v.Trigger)
			}
			n++
			if ended {
				expired++
			}
		}
	}
	t.Logf("%d cases, %d ended", n, expired)
	if n < 100 || expired < n/5 || expired > n*4/5 {
		t.Errorf("%d cases, %d ended: want at least 100 with both outcomes well represented", n, expired)
	}
}

// usingPurpose returns a purpose that processes the category for its
// subject kind on a basis other than a legal obligation and is not a legal
// purpose, or "".
func usingPurpose(cat *privacy.Catalog, c privacy.Category) string {
	for _, p := range cat.Purposes {
		if p.Legal || !slices.Contains(p.Subjects, c.Subject) {
			continue
		}
		if slices.Contains(p.BasesFor(c.Subject), lawfulbasis.LegalObligation) {
			continue
		}
		for _, key := range p.Categories {
			if slices.Contains(cat.Leaves(key), c.Key) {
				return p.Key
			}
		}
	}
	return ""
}

// startFor returns the trigger time from which the period ends at end (to
// the minute; calendar units make it inexact by at most a few days, which
// the drawing around the end absorbs).
func startFor(p privacy.Period, end time.Time) time.Time {
	return end.AddDate(-p.Years, -p.Months, -(7*p.Weeks + p.Days)).Add(-time.Duration(p.Hours) * time.Hour)
}
