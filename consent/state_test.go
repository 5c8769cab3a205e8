package consent_test

import (
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/memory"
)

// TestStateReason checks the acceptance rules of the ledger on states read
// back from a store: expiry denies with consent.expired, an older policy
// version with consent.stale_version, a withdrawal with consent.withdrawn.
func TestStateReason(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	current := privacy.DefaultCatalog().Purpose("research.surveys").ConsentVersion
	tests := []struct {
		name    string
		records []consent.Record
		when    time.Time
		want    string
	}{
		{"nothing on record", nil, at, privacy.ReasonConsentMissing},
		{"given", []consent.Record{{PolicyVersion: "1.2", Event: consent.Given}}, at, ""},
		{"given, before expiry", []consent.Record{{PolicyVersion: "1.2", Event: consent.Given, ExpiresAt: at.Add(time.Hour)}}, at.Add(time.Hour - 1), ""},
		{"given, at expiry", []consent.Record{{PolicyVersion: "1.2", Event: consent.Given, ExpiresAt: at.Add(time.Hour)}}, at.Add(time.Hour), privacy.ReasonConsentExpired},
		{"expired record", []consent.Record{{PolicyVersion: "1.2", Event: consent.Given}, {Event: consent.Expired}}, at, privacy.ReasonConsentExpired},
		{"older version", []consent.Record{{PolicyVersion: "1.1", Event: consent.Given}}, at, privacy.ReasonConsentStaleVersion},
		{"expired and older", []consent.Record{{PolicyVersion: "1.1", Event: consent.Given, ExpiresAt: at.Add(time.Hour)}}, at.Add(2 * time.Hour), privacy.ReasonConsentExpired},
		{"withdrawn", []consent.Record{{PolicyVersion: "1.2", Event: consent.Given}, {Event: consent.Withdrawn}}, at, privacy.ReasonConsentWithdrawn},
		{"refused", []consent.Record{{Event: consent.Refused}}, at, privacy.ReasonConsentMissing},
		{"given again after withdrawal", []consent.Record{{Event: consent.Withdrawn}, {PolicyVersion: "1.2", Event: consent.Given}}, at, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := memory.NewConsentStore()
			for _, r := range tc.records {
				r.SubjectID, r.Purpose, r.Method, r.CollectedAt = "u-1", "research.surveys", consent.MethodAPI, at
				if _, err := s.Append(t.Context(), r); err != nil {
					t.Fatalf("Append: %v", err)
				}
			}
			st, err := s.State(t.Context(), "u-1", "research.surveys", tc.when)
			if err != nil {
				t.Fatalf("State: %v", err)
			}
			if got := st.Reason(tc.when, current); got != tc.want {
				t.Errorf("Reason = %q, want %q (state %+v)", got, tc.want, st)
			}
		})
	}
}

func TestGrantWithdrawExpire(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	s := memory.NewConsentStore()
	g, err := consent.Grant(t.Context(), s, privacy.DefaultCatalog(), consent.Record{SubjectID: "u-1", Purpose: "referral", PolicyVersion: "1.2", CollectedAt: at})
	if err != nil {
		t.Fatalf("Grant: %v", err)
	}
	e, err := consent.Expire(t.Context(), s, "u-1", "referral", at.Add(time.Hour))
	if err != nil {
		t.Fatalf("Expire: %v", err)
	}
	w, err := consent.Withdraw(t.Context(), s, consent.Record{SubjectID: "u-1", Purpose: "referral"})
	if err != nil {
		t.Fatalf("Withdraw: %v", err)
	}
	tests := []struct {
		name string
		at   time.Time
		want consent.Event
	}{
		{"after grant", at, consent.Given},
		{"after expiry", at.Add(time.Hour), consent.Expired},
		{"after withdrawal", w.CollectedAt, consent.Withdrawn},
	}
	for _, tc := range tests {
		st, err := s.State(t.Context(), "u-1", "referral", tc.at)
		if err != nil {
			t.Fatalf("State: %v", err)
		}
		if st.Event != tc.want {
			t.Errorf("%s: Event %q, want %q", tc.name, st.Event, tc.want)
		}
	}
	if g.Event != consent.Given || e.Event != consent.Expired || w.Event != consent.Withdrawn {
		t.Errorf("events appended: %q %q %q", g.Event, e.Event, w.Event)
	}
}
