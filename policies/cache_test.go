package policies

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/subject"
)

func (c *decisionCache) len() int { return int(c.stats().Entries) }

// TestCacheNeverServesStaleState asks each question twice (the second
// answer comes from the cache), writes through the stores, and asks again:
// the answer after the write must reflect it.
func TestCacheNeverServesStaleState(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	consents, states := memory.NewConsentStore(), memory.NewStateStore()
	e, err := New(ctx, WithConsents(consents), WithSubjects(states))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(time.Hour) // after every write below
	user := privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 34, Country: "NL"}
	survey := privacy.Request{Subject: user, Purpose: "research.surveys", Data: []string{"instance.contact.email"}, Time: at}
	announce := privacy.Request{Subject: user, Purpose: "marketing.announcements", Data: []string{"instance.contact.email"}, Time: at}

	steps := []struct {
		name  string
		write func(context.Context) error
		req   privacy.Request
		codes []string
	}{
		{"no consent", nil, survey, []string{"consent.missing"}},
		{"granted", func(ctx context.Context) error {
			_, err := consent.Grant(ctx, consents, privacy.DefaultCatalog(), consent.Record{SubjectID: "u-1", Purpose: "research.surveys", PolicyVersion: "1.2", Method: consent.MethodCheckbox})
			return err
		}, survey, []string{}},
		{"withdrawn", func(ctx context.Context) error {
			_, err := consent.Withdraw(ctx, consents, consent.Record{SubjectID: "u-1", Purpose: "research.surveys"})
			return err
		}, survey, []string{"consent.withdrawn"}},
		{"no objection", nil, announce, []string{}},
		{"objected to direct marketing", func(ctx context.Context) error {
			return subject.ObjectToDirectMarketing(ctx, states, "u-1")
		}, announce, []string{"objection.active"}},
		{"objection withdrawn", func(ctx context.Context) error {
			return states.Update(ctx, "u-1", func(s *subject.State) error { s.WithdrawObjection(""); return nil })
		}, announce, []string{}},
		{"restricted", func(ctx context.Context) error {
			return subject.SetRestricted(ctx, states, "u-1", true)
		}, announce, []string{"restriction.active"}},
	}
	for _, s := range steps {
		if s.write != nil {
			if err := s.write(ctx); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		for i := range 2 {
			d, err := e.Decide(ctx, s.req)
			if err != nil {
				t.Fatalf("%s: Decide: %v", s.name, err)
			}
			if diff := cmp.Diff(s.codes, d.Codes()); diff != "" {
				t.Errorf("%s, decision %d: reasons (-want +got):\n%s", s.name, i+1, diff)
			}
		}
	}
	if n := e.cache.len(); n == 0 {
		t.Errorf("the cache holds no decision: the test did not exercise it")
	}
}

// TestCacheNewPolicy: a new policy generation (what a reload stores)
// empties the cache, and no decision of the old policy is served.
func TestCacheNewPolicy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e, err := New(ctx, WithMemoryStores())
	if err != nil {
		t.Fatal(err)
	}
	req := privacy.Request{
		Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 34, Country: "NL"},
		Purpose: "account.profile", Data: []string{"instance.account.username"},
	}
	if d, err := e.Decide(ctx, req); err != nil || d.PolicyVersion != "1.2" {
		t.Fatalf("Decide: %s, %v", d.PolicyVersion, err)
	}
	c, err := privacy.ParseCatalog("next.yaml", privacy.ReferenceCatalogYAML())
	if err != nil {
		t.Fatal(err)
	}
	c.PolicyVersion = "1.3"
	p, err := compile(ctx, c, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	e.policy.Store(p)
	d, err := e.Decide(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if d.PolicyVersion != "1.3" {
		t.Errorf("policy version after the new policy = %q, want 1.3", d.PolicyVersion)
	}
	if n := e.cache.len(); n != 1 {
		t.Errorf("cache holds %d decisions after the new policy's first, want 1", n)
	}
}

// TestCacheKeysBySubject: subjects with the same facts each get their own
// entry, and each decision is exactly what an uncached engine says.
func TestCacheKeysBySubject(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	cached, err := New(ctx, WithMemoryStores())
	if err != nil {
		t.Fatal(err)
	}
	plain, err := New(ctx, WithMemoryStores(), WithCache(0))
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"u-1", `q"uote`, "ünï", `back\slash`}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			req := privacy.Request{
				Subject: privacy.Subject{ID: id, Kind: privacy.SubjectUser, Age: 34, Country: "NL"},
				Purpose: "research.surveys", Data: []string{"instance.contact.email"},
				Time: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
			}
			want, wantErr := plain.Decide(ctx, req)
			got, gotErr := cached.Decide(ctx, req)
			if diff := cmp.Diff(want, got); diff != "" || (wantErr == nil) != (gotErr == nil) {
				t.Errorf("decision (-want +got):\n%s\nerrors: want %v, got %v", diff, wantErr, gotErr)
			}
		})
	}
	if n := cached.cache.len(); n != len(ids) {
		t.Errorf("cache holds %d decisions for %d subjects, want one each", n, len(ids))
	}
}

// TestCacheAdequacySpan checks that the cache tells a transfer inside an
// adequacy decision's span from one outside it: before the UK's ends
// (December 2031) and after, after Brazil's took effect (26 January 2026)
// and before, in either order.
func TestCacheAdequacySpan(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	cached, err := New(ctx, WithMemoryStores())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		country string
		at      time.Time
		allowed bool
	}{
		{"GB", time.Date(2031, 12, 27, 23, 59, 59, 0, time.UTC), true},
		{"GB", time.Date(2031, 12, 28, 0, 0, 0, 0, time.UTC), false},
		{"GB", time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC), true},
		{"GB", time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"BR", time.Date(2026, 1, 26, 0, 0, 0, 0, time.UTC), true},
		{"BR", time.Date(2026, 1, 25, 23, 59, 59, 0, time.UTC), false},
		{"BR", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), true},
		{"BR", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), false},
	} {
		req := privacy.Request{
			Subject:   privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 34, Country: "NL"},
			Purpose:   "support",
			Data:      []string{"instance.contact.email"},
			Recipient: &privacy.Recipient{ID: "helpdesk", Kind: privacy.RecipientProcessor, Country: tc.country, DPA: true},
			Time:      tc.at,
		}
		d, err := cached.Decide(ctx, req)
		if err != nil || d.Allowed != tc.allowed {
			t.Errorf("transfer to %s at %v: allowed=%v %v (err %v), want allowed=%v", tc.country, tc.at, d.Allowed, d.Codes(), err, tc.allowed)
		}
	}
}

// TestCacheExtensionModules: with an extension module the rules may read
// the subject's id and the time for anything, and the cache must key by
// both.
func TestCacheExtensionModules(t *testing.T) {
	t.Parallel()
	const ext = `package privacy.ext.office_hours

import data.privacy.lib

day_ns := 86400000000000

# Six in the evening and the next midnight of the day judged.
evening := (input.now_ns - (input.now_ns % day_ns)) + (18 * 3600000000000)

midnight := (input.now_ns - (input.now_ns % day_ns)) + day_ns

deny contains {"code": "ext.after_hours", "message": "only during office hours"} if lib.reached(evening)

changes contains evening

changes contains midnight

deny contains {"code": "ext.test_account", "message": "no test accounts"} if startswith(input.request.subject.id, "test-")
`
	e, err := New(t.Context(), WithMemoryStores(), WithModule("office.rego", ext))
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		id    string
		at    time.Time
		codes []string
	}{
		{"noon", "u-1", day, []string{}},
		{"evening", "u-1", day.Add(7 * time.Hour), []string{"ext.after_hours"}},
		{"noon again", "u-1", day, []string{}},
		{"next morning", "u-1", day.Add(20 * time.Hour), []string{}},
		{"next evening", "u-1", day.Add(31 * time.Hour), []string{"ext.after_hours"}},
		{"test account", "test-1", day, []string{"ext.test_account"}},
		{"real account", "u-2", day, []string{}},
	}
	for _, tc := range tests {
		req := privacy.Request{
			Subject: privacy.Subject{ID: tc.id, Kind: privacy.SubjectUser, Age: 34, Country: "NL"},
			Purpose: "account.profile", Data: []string{"instance.account.username"}, Time: tc.at,
		}
		d, err := e.Decide(t.Context(), req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.codes, d.Codes()); diff != "" {
			t.Errorf("%s: reasons (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestCanceledContextDeniesCachedDecisions: a decision the cache holds is
// not handed to a caller whose context is done.
func TestCanceledContextDeniesCachedDecisions(t *testing.T) {
	t.Parallel()
	eng, err := New(t.Context(), WithMemoryStores())
	if err != nil {
		t.Fatal(err)
	}
	req := privacy.Request{Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Country: "NL"},
		Purpose: "billing", Data: []string{"instance.contact.email"}}
	if d, err := eng.Decide(t.Context(), req); err != nil || !d.Allowed {
		t.Fatalf("warm-up: %v %v", d.Codes(), err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	d, err := eng.Decide(ctx, req)
	if err == nil || d.Allowed || !d.Has(privacy.ReasonEvaluationFailed) {
		t.Errorf("canceled context: allowed=%v %v, err %v; want evaluation.failed and an error", d.Allowed, d.Codes(), err)
	}
}

// TestCachedDecideAllocations holds a cached, allowed decision to no
// allocation at all (the bound is 3; docs/benchmarks.md measures 0), so
// that a regression shows here before it shows in a benchmark. Not under
// -race, which empties sync.Pools at random.
func TestCachedDecideAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocations")
	}
	states := memory.NewStateStore()
	eng, err := New(t.Context(), WithMemoryStores(), WithSubjects(states))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	// A denial: the newsletter for a subject who objected to direct
	// marketing (a state with an objection, read without a copy).
	denied := benchRequest
	denied.Subject.ID = "u-3"
	if err := subject.ObjectToDirectMarketing(ctx, states, denied.Subject.ID); err != nil {
		t.Fatal(err)
	}
	for _, req := range []privacy.Request{benchRequest, {
		Subject: privacy.Subject{ID: "u-2", Kind: privacy.SubjectUser, Age: 30, Country: "NL"},
		Purpose: "billing", Data: []string{"instance.contact.email", "instance.financial.payment"},
	}, denied} {
		want, err := eng.Decide(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if req.Subject.ID == denied.Subject.ID && want.Allowed {
			t.Fatal("the newsletter for a subject who objected to direct marketing is allowed")
		}
		if n := testing.AllocsPerRun(200, func() { _, _ = eng.Decide(ctx, req) }); n > 0 {
			t.Errorf("a cached decision of %s (allowed: %v) allocates %.1f times, want none", req.Purpose, want.Allowed, n)
		}
	}
}
