package consent_test

import (
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/memory"
)

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

// TestWithdrawBeforeAnExpiryDatedAhead: a withdrawal takes effect at once
// when the latest record is an expiry dated ahead (one written early, by
// RecordExpiries with a time to come): it is not dated after that expiry,
// which would leave the consent live until then.
func TestWithdrawBeforeAnExpiryDatedAhead(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	s := memory.NewConsentStore()
	if _, err := consent.Grant(t.Context(), s, privacy.DefaultCatalog(), consent.Record{SubjectID: "u-1", Purpose: "referral",
		PolicyVersion: "1.2", CollectedAt: now.Add(-time.Hour), ExpiresAt: now.Add(24 * time.Hour)}); err != nil {
		t.Fatalf("Grant: %v", err)
	}
	if _, err := consent.RecordExpiries(t.Context(), s, now.Add(48*time.Hour)); err != nil {
		t.Fatalf("RecordExpiries: %v", err)
	}
	w, err := consent.Withdraw(t.Context(), s, consent.Record{SubjectID: "u-1", Purpose: "referral"})
	if err != nil {
		t.Fatalf("Withdraw: %v", err)
	}
	if w.CollectedAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("withdrawal dated %v, after now", w.CollectedAt)
	}
	st, err := s.State(t.Context(), "u-1", "referral", time.Now().Add(time.Minute))
	if err != nil || st.Event != consent.Withdrawn {
		t.Errorf("state a minute after the withdrawal: %q %v, want withdrawn", st.Event, err)
	}
}
