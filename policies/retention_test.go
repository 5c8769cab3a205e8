package policies_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/subject"
)

// TestRetentionExpired specifies retention.expired through the public API:
// a category past its rule's period from the subject's recorded trigger is
// denied, except for legal purposes.
func TestRetentionExpired(t *testing.T) {
	t.Parallel()
	closed := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	states := memory.NewStateStore()
	if err := subject.RecordLifecycle(t.Context(), states, "u-1", privacy.TriggerAccountClosed, closed); err != nil {
		t.Fatalf("RecordLifecycle: %v", err)
	}
	eng, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithSubjects(states))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	request := func(subjectID, purpose string, at time.Time, data ...string) privacy.Request {
		return privacy.Request{
			Subject: privacy.Subject{ID: subjectID, Kind: privacy.SubjectUser, Age: 30, Country: "NL"},
			Purpose: purpose, Data: data, Time: at,
		}
	}
	tests := []struct {
		name  string
		req   privacy.Request
		codes []string
	}{
		{"within the 90 days after the account closed",
			request("u-1", "support", closed.AddDate(0, 0, 89), "instance.contact.email"), []string{}},
		{"90 days after the account closed",
			request("u-1", "support", closed.AddDate(0, 0, 90), "instance.contact.email"), []string{privacy.ReasonRetentionExpired}},
		{"a category with a longer rule is not expired",
			request("u-1", "support", closed.AddDate(0, 0, 31), "instance.meeting.recording"), []string{}},
		{"a recording goes with the account, before its year has ended",
			request("u-1", "support", closed.AddDate(0, 0, 90), "instance.meeting.recording"), []string{privacy.ReasonRetentionExpired}},
		{"the profile's 30 days",
			request("u-1", "account.profile", closed.AddDate(0, 0, 31), "instance.profile.photo"), []string{privacy.ReasonRetentionExpired}},
		{"legal purposes survive",
			request("u-1", "legal.claims", closed.AddDate(2, 0, 0), "instance.contact.email"), []string{}},
		{"a subject without a closed account",
			request("u-2", "support", closed.AddDate(2, 0, 0), "instance.contact.email"), []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := eng.Decide(t.Context(), tc.req)
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if diff := cmp.Diff(tc.codes, d.Codes()); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
			for _, r := range d.Reasons {
				if r.Code == privacy.ReasonRetentionExpired && (r.Article != "GDPR Art. 5(1)(e), 17(1)(a)" || r.Clause != "How and where do we store your data?") {
					t.Errorf("reason %s cites %q, clause %q", r.Code, r.Article, r.Clause)
				}
			}
		})
	}
}

// TestRetentionWhicheverFirst: the marketing profile is built on consent
// and kept "as long as your account is active": 30 days after the consent
// is withdrawn or 30 days after the account closes, whichever comes
// first. The profile of a closed account whose consent was never
// withdrawn used to be kept for ever.
func TestRetentionWhicheverFirst(t *testing.T) {
	t.Parallel()
	closed := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	states := memory.NewStateStore()
	if err := subject.RecordLifecycle(t.Context(), states, "u-1", privacy.TriggerAccountClosed, closed); err != nil {
		t.Fatalf("RecordLifecycle: %v", err)
	}
	eng, err := policies.New(t.Context(), policies.WithMemoryStores(), policies.WithSubjects(states))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, tc := range []struct {
		days    int
		expired bool
	}{{29, false}, {30, true}, {400, true}} {
		d, err := eng.Decide(t.Context(), privacy.Request{
			Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 30, Country: "NL"},
			Purpose: "marketing.profiling", Data: []string{"instance.marketing.profile"}, Time: closed.AddDate(0, 0, tc.days),
		})
		if err != nil {
			t.Fatalf("Decide: %v", err)
		}
		if got := slices.Contains(d.Codes(), privacy.ReasonRetentionExpired); got != tc.expired {
			t.Errorf("%d days after the account closed: retention.expired %v, want %v (reasons %v)", tc.days, got, tc.expired, d.Codes())
		}
		if d.Allowed {
			t.Errorf("%d days after the account closed: allowed without consent", tc.days)
		}
	}
}

// TestRetentionOverridesInDecisions: a guest's controller that chose a
// shorter period for its guests' contact details (within the catalog's
// bounds) has them expire at that period in decisions, as in sweeps; a
// change of choice shows in the next decision, cached or not.
func TestRetentionOverridesInDecisions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	last := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	states := memory.NewStateStore()
	for _, id := range []string{"g-acme", "g-other"} {
		if err := subject.RecordLifecycle(ctx, states, id, privacy.TriggerLastActivity, last); err != nil {
			t.Fatal(err)
		}
	}
	overrides := memory.NewRetentionStore()
	choose := func(p string) {
		t.Helper()
		period, err := privacy.ParsePeriod(p)
		if err != nil {
			t.Fatal(err)
		}
		o := retention.Override{Controller: "acme", Category: "guest.contact", Period: period, SetBy: "dpo@acme", SetAt: last}
		if err := retention.CheckOverride(privacy.DefaultCatalog(), o); err != nil {
			t.Fatal(err)
		}
		if err := overrides.SetOverride(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	request := func(subjectID, controller string, at time.Time) privacy.Request {
		return privacy.Request{
			Subject: privacy.Subject{ID: subjectID, Kind: privacy.SubjectGuest, Country: "NL", Controller: controller},
			Purpose: "service.delivery", Data: []string{"guest.contact.email"}, Time: at,
		}
	}
	for _, size := range []int{0, policies.DefaultCacheSize} {
		eng, err := policies.New(ctx, policies.WithMemoryStores(), policies.WithSubjects(states), policies.WithRetentionOverrides(overrides), policies.WithCache(size))
		if err != nil {
			t.Fatal(err)
		}
		check := func(name string, req privacy.Request, want []string) {
			t.Helper()
			d, err := eng.Decide(ctx, req)
			if err != nil {
				t.Fatalf("%s: Decide: %v", name, err)
			}
			if diff := cmp.Diff(want, d.Codes()); diff != "" {
				t.Errorf("cache %d, %s (-want +got):\n%s", size, name, diff)
			}
		}
		expired := []string{privacy.ReasonRetentionExpired}
		choose("P1Y") // the catalog's default, as a choice
		check("acme's guest after 40 days, a year chosen", request("g-acme", "acme", last.AddDate(0, 0, 40)), []string{})
		choose("P30D")
		check("acme's guest after 40 days, 30 days chosen", request("g-acme", "acme", last.AddDate(0, 0, 40)), expired)
		check("acme's guest after 29 days", request("g-acme", "acme", last.AddDate(0, 0, 29)), []string{})
		check("another controller's guest keeps the catalog's year", request("g-other", "other", last.AddDate(0, 0, 40)), []string{})
		choose("P2Y")
		check("acme's guest after 18 months, two years chosen", request("g-acme", "acme", last.AddDate(0, 18, 0)), []string{})
		check("another controller's guest after 18 months", request("g-other", "other", last.AddDate(0, 18, 0)), expired)
		choose("P1Y")
	}
}

// TestRetentionOverridesFailClosed: overrides that cannot be read deny.
func TestRetentionOverridesFailClosed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	states := memory.NewStateStore()
	if err := subject.RecordLifecycle(ctx, states, "g-1", privacy.TriggerLastActivity, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	eng, err := policies.New(ctx, policies.WithMemoryStores(), policies.WithSubjects(states), policies.WithRetentionOverrides(failingOverrides{}))
	if err != nil {
		t.Fatal(err)
	}
	d, err := eng.Decide(ctx, privacy.Request{
		Subject: privacy.Subject{ID: "g-1", Kind: privacy.SubjectGuest, Country: "NL", Controller: "acme"},
		Purpose: "service.delivery", Data: []string{"guest.contact.email"},
	})
	if err == nil || d.Allowed {
		t.Errorf("allowed=%v err=%v; want a denial and an error", d.Allowed, err)
	}
}

type failingOverrides struct{}

func (failingOverrides) Overrides(context.Context) ([]retention.Override, error) {
	return nil, errors.New("store down")
}
