package privacyhttp_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/lawfulbasis"
	"github.com/privacykit/privacy/policies"
	"github.com/privacykit/privacy/privacyhttp"
	"github.com/privacykit/privacy/privacytest"
)

var sweepNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// TestPreferenceCenterAgreesWithDecide drives the preference center and
// Decide from the same states, a sweep of consents (none, given under the
// current and an older version, 1.2.0.0.4 against a required 1.2.0.0.5
// among them, by a guardian, withdrawn, refused, expired), objections
// (none, to the purpose, to all direct marketing) and subjects (an adult,
// a child), and requires the page to show exactly what the engine decides.
func TestPreferenceCenterAgreesWithDecide(t *testing.T) {
	t.Parallel()
	cat := privacy.DefaultCatalog()
	cat.PolicyVersion = "1.2.0.0.10"
	cat.Purpose("research.surveys").ConsentVersion = "1.2.0.0.5"
	if err := cat.Validate(); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return sweepNow }
	env := privacytest.New(t, policies.WithCatalog(cat), policies.WithClock(clock))

	subjects := privacytest.SeedSweep(t, cat, env.Consents, env.Subjects, sweepNow, privacytest.SweepVersions{Current: "1.2.0.0.5", Old: "1.2.0.0.4"})

	pc := privacyhttp.NewPreferenceCenter(env.Engine, env.Consents, env.Subjects, privacyhttp.WithClock(clock),
		privacyhttp.WithResolver(func(r *http.Request) (privacy.Subject, error) { return subjects[r.Header.Get("X-User")], nil }))
	checked, stale := 0, 0
	for id, s := range subjects {
		r := httptest.NewRequest(http.MethodGet, "/preferences", nil)
		r.Header.Set("X-User", id)
		w := httptest.NewRecorder()
		pc.ServeHTTP(w, r)
		var prefs privacyhttp.Preferences
		if err := json.Unmarshal(w.Body.Bytes(), &prefs); err != nil {
			t.Fatalf("%s: %v\n%s", id, err, w.Body)
		}
		for _, pp := range prefs.Purposes {
			p := cat.Purpose(pp.Purpose)
			req := privacy.Request{Subject: s, Purpose: p.Key, Data: privacytest.PurposeData(cat, p, privacy.SubjectUser)}
			if pp.Consent {
				req.Basis = lawfulbasis.Consent
			}
			d, err := env.Engine.Decide(t.Context(), req)
			if err != nil {
				t.Fatalf("%s %s: %v", id, p.Key, err)
			}
			if pp.Allowed != d.Allowed || !cmp.Equal(pp.Reasons, d.Codes()) {
				t.Errorf("%s %s: the page shows allowed=%v %v, Decide %v %v", id, p.Key, pp.Allowed, pp.Reasons, d.Allowed, d.Codes())
			}
			if pp.Consent {
				var consentCodes []string
				for _, c := range d.Codes() {
					if strings.HasPrefix(c, "consent.") {
						consentCodes = append(consentCodes, c)
					}
				}
				if pp.Given != (len(consentCodes) == 0) || (!pp.Given && pp.ConsentReason != consentCodes[0]) {
					t.Errorf("%s %s: the page shows given=%v (%s), Decide's consent reasons %v", id, p.Key, pp.Given, pp.ConsentReason, consentCodes)
				}
				if pp.ConsentReason == privacy.ReasonConsentStaleVersion {
					stale++
				}
			}
			checked++
		}
	}
	if checked < 200 || stale == 0 {
		t.Errorf("checked %d purposes, %d stale: the sweep does not cover the states", checked, stale)
	}
}

// TestPreferenceCenterWithdrawsThroughTheLedger is the regression test of
// issue 13, item 6: with the preference center's clock behind the clock
// that recorded a grant, its withdrawal was dated before the grant, and
// the grant won again once its time came. The withdrawal goes through the
// ledger's withdraw path, which dates it no earlier than the grant.
func TestPreferenceCenterWithdrawsThroughTheLedger(t *testing.T) {
	t.Parallel()
	fast := sweepNow.Add(time.Hour) // another replica's clock, an hour ahead
	env := privacytest.New(t, policies.WithClock(func() time.Time { return fast.Add(time.Minute) }))
	if _, err := consent.Grant(t.Context(), env.Consents, env.Engine.Catalog(), consent.Record{SubjectID: "u-1", Purpose: "research.surveys",
		PolicyVersion: "1.2", Method: consent.MethodCheckbox, CollectedAt: fast}); err != nil {
		t.Fatal(err)
	}
	pc := privacyhttp.NewPreferenceCenter(env.Engine, env.Consents, env.Subjects, privacyhttp.WithClock(func() time.Time { return sweepNow }),
		privacyhttp.WithResolver(byHeader))
	r := httptest.NewRequest(http.MethodDelete, "/consents/research.surveys", nil)
	r.Header.Set("X-User", "u-1")
	w := httptest.NewRecorder()
	pc.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("withdraw: %d %s", w.Code, w.Body)
	}
	privacytest.AssertDenied(t, env.Engine, privacy.Request{Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 30, Country: "NL"},
		Purpose: "research.surveys", Data: []string{"instance.contact.email"}}, privacy.ReasonConsentWithdrawn)
	// The withdrawal is dated by the preference center's clock and again
	// at the grant's time, which it must outrank.
	hist, err := env.Consents.History(t.Context(), "u-1")
	if err != nil || len(hist) != 3 {
		t.Fatalf("history %+v, %v; want the grant and the preference center's withdrawal, twice", hist, err)
	}
	for _, h := range hist[1:] {
		if h.Event != consent.Withdrawn || h.Method != consent.MethodPreferencesUI || h.CollectedBy != "privacyhttp.PreferenceCenter" {
			t.Errorf("record %+v; want the preference center's withdrawal", h)
		}
	}
	if !hist[1].CollectedAt.Equal(sweepNow) || !hist[2].CollectedAt.Equal(fast) {
		t.Errorf("withdrawals dated %v and %v, want %v and %v", hist[1].CollectedAt, hist[2].CollectedAt, sweepNow, fast)
	}
}

// TestRequireNamesRecipientAndCountry: the middleware guards a disclosure,
// not only an internal use, so a transfer the policy forbids is refused.
func TestRequireNamesRecipientAndCountry(t *testing.T) {
	t.Parallel()
	env := privacytest.New(t)
	mw := privacyhttp.New(env.Engine, privacyhttp.WithResolver(byHeader))
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, _ := privacyhttp.DecisionFrom(r.Context())
		fmt.Fprint(w, strings.Join(d.ObligationCodes(), ","))
	})
	for _, tc := range []struct {
		country string
		status  int
		body    string
	}{
		{"NL", http.StatusOK, "log_disclosure"},
		{"IN", http.StatusForbidden, "transfer.no_safeguard"},
	} {
		h := mw.Require(privacy.Request{Purpose: "support", Data: []string{"instance.contact.email"},
			Recipient: &privacy.Recipient{ID: "helpdesk", Kind: privacy.RecipientProcessor, Country: tc.country, DPA: true}})(ok)
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("X-User", "u-1")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.body) {
			t.Errorf("recipient in %s: %d %s; want %d with %s", tc.country, w.Code, w.Body, tc.status, tc.body)
		}
	}
}
