package consent_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/privacykit/privacy/consent"
)

// stuckLapser lists the same lapsed consent on every call, as a store
// whose Lapsed ignores the expiry records appended since would.
type stuckLapser struct{ st consent.State }

func (s stuckLapser) Lapsed(context.Context, time.Time, int) ([]consent.State, error) {
	return []consent.State{s.st}, nil
}

func (stuckLapser) AppendBatch(_ context.Context, rs []consent.Record) ([]consent.Record, error) {
	return rs, nil
}

// TestRecordExpiriesErrorNamesNoSubject: a store that lists a consent as
// lapsed again after its expiry was recorded is reported by the record,
// never by the subject's raw id.
func TestRecordExpiriesErrorNamesNoSubject(t *testing.T) {
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	const subject = "alice@example.com"
	l := stuckLapser{consent.State{SubjectID: subject, Purpose: "marketing.newsletter", Event: consent.Given,
		RecordID: "0193a5e0-0000-7000-8000-000000000001", PolicyVersion: "1.2",
		CollectedAt: at.AddDate(-2, 0, 0), ExpiresAt: at.AddDate(0, -1, 0)}}
	n, err := consent.RecordExpiries(context.Background(), l, at)
	if err == nil {
		t.Fatalf("RecordExpiries over a store that lists a recorded expiry again: %d appended, no error", n)
	}
	if strings.Contains(err.Error(), subject) {
		t.Errorf("the error quotes the subject id: %v", err)
	}
	if !strings.Contains(err.Error(), l.st.RecordID) {
		t.Errorf("the error does not name the record: %v", err)
	}
}
