package policies_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/internal/testenv"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/plan"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/subject"
)

// settableConsent is a consent reader that gives every subject the consent
// held in cur: the test sets it before each decision.
type settableConsent struct{ cur consent.State }

func (o *settableConsent) State(context.Context, string, string, time.Time) (consent.State, error) {
	return o.cur, nil
}

// A consent's maximum age is month arithmetic on the time it was given,
// which the plan turns into comparisons of that time with constants. The
// plan must say what Decide says, and say it itself (never Unknown), for
// consents given on every day around the maximum age, at midnight, at
// the cut-offs and a nanosecond either side, and at the end of the day,
// judged at month ends (the clamp of 29 to 31 January onto February),
// in leap years and not, for the catalog's maximum ages (P13M and the
// default P24M) and others with years, weeks, days and hours.
func TestPlanConsentAge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	nows := []time.Time{
		time.Date(2027, 2, 28, 12, 0, 0, 0, time.UTC),
		time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC),
	}
	periods := []string{"P13M", "P2W3DT5H"}
	window := 4 // days either side of the maximum age
	long := testenv.Long() && !testenv.Race
	if long {
		// Every month end of two years, one of them leap, at one of three
		// times of day in turn.
		nows = []time.Time{time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), time.Date(2026, 4, 30, 7, 30, 0, 0, time.UTC)}
		for m := time.Month(1); m <= 24; m++ {
			end := time.Date(2027, m+1, 1, 0, 0, 0, 0, time.UTC)
			nows = append(nows, []time.Time{end.Add(-time.Nanosecond), end.Add(-12 * time.Hour), end.AddDate(0, 0, -2).Add(5 * time.Hour)}[m%3])
		}
		window = 7
		periods = append(periods, "P1Y", "P1M", "P1Y1M1DT1H", "PT25H")
	}
	for _, period := range periods {
		cat, err := privacy.ParseCatalog("age.yaml", bytes.Replace(privacy.ReferenceCatalogYAML(), []byte("consent_max_age: P13M"), []byte("consent_max_age: "+period), 1))
		if err != nil {
			t.Fatal(err)
		}
		var now time.Time
		given := &settableConsent{}
		// No decision cache: every decision evaluates the rule.
		e, err := policies.New(ctx, policies.WithCatalog(cat), policies.WithConsents(given), policies.WithSubjects(memory.NewStateStore()),
			policies.WithClock(func() time.Time { return now }), policies.WithCache(0))
		if err != nil {
			t.Fatal(err)
		}
		for _, purpose := range []string{"site.personalisation", "research.surveys"} {
			if purpose == "research.surveys" && period != "P13M" {
				continue // the default P24M, once
			}
			ns := nows
			if !long && (period != "P13M" || purpose != "site.personalisation") {
				ns = nows[1:2] // quick: the other periods on 29 February only
			}
			for _, now = range ns {
				checkConsentAge(t, ctx, e, given, cat, purpose, now, window)
			}
		}
	}
}

func checkConsentAge(t *testing.T, ctx context.Context, e *policies.Engine, given *settableConsent, cat *privacy.Catalog, purpose string, now time.Time, window int) {
	t.Helper()
	maxAge, ok := cat.ConsentMaxAge(purpose)
	if !ok {
		t.Fatalf("%s has no maximum age", purpose)
	}
	req := privacy.Request{Purpose: purpose, Data: []string{"instance.account.username"}}
	if purpose == "research.surveys" {
		req.Data = []string{"instance.contact.email"}
	}
	req.Subject = privacy.Subject{Kind: privacy.SubjectUser}
	p, err := e.Plan(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// The times to try: every day from window days before the maximum
	// age to window days after, at these times of day, and each constant the plan
	// compares the consent's time with, a nanosecond either side.
	var cuts []int64
	var walk func(c *plan.Cond)
	walk = func(c *plan.Cond) {
		if v, ok := c.Value.(int64); ok && c.Fact == plan.ConsentCollected && v > 0 {
			cuts = append(cuts, v)
		}
		for i := range c.Args {
			walk(&c.Args[i])
		}
	}
	walk(&p.Cond)
	if len(cuts) == 0 {
		t.Fatalf("%s %s at %v: the plan compares no consent time: %v", purpose, maxAge, now, p.Cond)
	}
	back := now.AddDate(-maxAge.Years, -maxAge.Months, -7*maxAge.Weeks-maxAge.Days).Add(-time.Duration(maxAge.Hours) * time.Hour)
	midnight := time.Date(back.Year(), back.Month(), back.Day(), 0, 0, 0, 0, time.UTC)
	clock := now.Sub(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC))
	var times []time.Time
	for d := -window; d <= window; d++ {
		day := midnight.AddDate(0, 0, d)
		for _, off := range []time.Duration{0, 1, clock - 1, clock, clock + 1, 24*time.Hour - 1} {
			times = append(times, day.Add(off))
		}
	}
	for _, c := range cuts {
		for _, off := range []int64{-1, 0, 1} {
			times = append(times, time.Unix(0, c+off).UTC())
		}
	}
	sub := privacy.Subject{ID: "u-age", Kind: privacy.SubjectUser, Age: 34, Country: "NL"}
	for _, at := range times {
		if !at.Before(now) {
			continue
		}
		given.cur = consent.State{SubjectID: sub.ID, Purpose: purpose, Event: consent.Given, Act: consent.ActButton, PolicyVersion: "1.2", CollectedAt: at}
		r := req
		r.Subject = sub
		d, err := e.Decide(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		got := plan.Eval(&p.Cond, &plan.Facts{Age: sub.Age, Country: sub.Country, Consent: given.cur, State: &subject.State{}})
		want := plan.False
		if d.Allowed {
			want = plan.True
		}
		if got != want {
			t.Errorf("%s (%s) judged at %v, consent given at %v: plan %v, Decide %v (%v)", purpose, maxAge, now.Format(time.RFC3339Nano), at.Format(time.RFC3339Nano), got, want, reasonsOf(d))
		}
	}
}

func reasonsOf(d privacy.Decision) string {
	var s string
	for _, r := range d.Reasons {
		s += fmt.Sprint(r.Code, " ")
	}
	return s
}
