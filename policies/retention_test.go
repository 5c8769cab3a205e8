package policies_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/policies"
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
	eng, err := policies.New(t.Context(), policies.WithSubjects(states))
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
