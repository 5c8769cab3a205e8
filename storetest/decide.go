package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/policies"
)

// SurveyRequest asks to use u-1's email for research.surveys, a purpose
// whose only basis is consent, at the time at (zero: now).
func SurveyRequest(at time.Time) privacy.Request {
	return privacy.Request{
		Subject: privacy.Subject{ID: "u-1", Kind: privacy.SubjectUser, Age: 34, Country: "NL"},
		Purpose: "research.surveys",
		Data:    []string{"instance.contact.email"},
		Time:    at,
	}
}

// GrantSurvey records u-1's consent to research.surveys an hour ago.
func GrantSurvey(t *testing.T, s consent.Store) {
	t.Helper()
	if _, err := consent.Grant(t.Context(), s, privacy.DefaultCatalog(), consent.Record{
		SubjectID: "u-1", Purpose: "research.surveys", PolicyVersion: "1.2", Method: consent.MethodCheckbox,
		Act: consent.ActUntickedBox, CollectedBy: "storetest",
		CollectedAt: time.Now().Add(-time.Hour),
	}); err != nil {
		t.Fatalf("Grant: %v", err)
	}
}

// Decide returns the engine's decision on req, failing the test on an
// evaluation error.
func Decide(t *testing.T, e *policies.Engine, req privacy.Request) privacy.Decision {
	t.Helper()
	d, err := e.Decide(t.Context(), req)
	if err != nil {
		t.Fatalf("Decide: %v", err)
	}
	return d
}

// Codes returns the reason codes of a decision.
func Codes(d privacy.Decision) []string {
	out := []string{}
	for _, r := range d.Reasons {
		out = append(out, r.Code)
	}
	return out
}

// RunDecisions checks that the policies engine, reading consent from the
// store, decides on what the ledger holds: a live consent allows, and a
// stale version, an expiry or a withdrawal denies with its code.
func RunDecisions(t *testing.T, newStore func(t *testing.T) consent.Store) {
	at := base()
	current := privacy.DefaultCatalog().Purpose("research.surveys").ConsentVersion
	tests := []struct {
		name    string
		records []consent.Record
		want    []string // reason codes; nil: allowed
	}{
		{"live", []consent.Record{grant("u-1", "research.surveys", at.Add(-time.Hour))}, nil},
		{"stale version", []consent.Record{func() consent.Record {
			r := grant("u-1", "research.surveys", at.Add(-time.Hour))
			r.PolicyVersion = "1.1"
			return r
		}()}, []string{privacy.ReasonConsentStaleVersion}},
		{"expired", []consent.Record{func() consent.Record {
			r := grant("u-1", "research.surveys", at.Add(-time.Hour))
			r.ExpiresAt = at.Add(-time.Minute)
			return r
		}()}, []string{privacy.ReasonConsentExpired}},
		{"withdrawn", []consent.Record{
			grant("u-1", "research.surveys", at.Add(-time.Hour)),
			withdrawal("u-1", "research.surveys", at.Add(-time.Minute)),
		}, []string{privacy.ReasonConsentWithdrawn}},
		{"never asked", nil, []string{privacy.ReasonConsentMissing}},
	}
	if current != "1.2" {
		t.Fatalf("reference catalog: research.surveys consent_version %q, the cases assume 1.2", current)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			for _, r := range tc.records {
				mustAppend(t, s, r)
			}
			e, err := policies.New(t.Context(), policies.WithConsents(s), policies.WithMemoryStores())
			if err != nil {
				t.Fatalf("policies.New: %v", err)
			}
			d := Decide(t, e, SurveyRequest(at))
			if d.Allowed != (tc.want == nil) {
				t.Errorf("Allowed = %v, want %v (reasons %v)", d.Allowed, tc.want == nil, Codes(d))
			}
			if tc.want != nil {
				if diff := cmp.Diff(tc.want, Codes(d)); diff != "" {
					t.Errorf("reason codes (-want +got):\n%s", diff)
				}
			}
		})
	}
}
