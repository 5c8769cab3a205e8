package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/subject"
)

// Shared is one handle on a database that several handles share, as
// another process would open it.
type Shared struct {
	Consent consent.Store
	State   subject.StateStore
}

// RunShared checks that what one handle on a database writes another
// reads and builds on: a record appended through one reads back exactly
// through the other, an append through the other continues the chain, and
// subject state written through one is read through the other. open
// prepares a fresh, empty database and returns a function that opens one
// more handle on it; both handles stay open together. Appends through
// both at once, each handle's own group commits interleaved with the
// other's, make one gapless, intact chain.
func RunShared(t *testing.T, open func(t *testing.T) func() Shared) {
	t.Helper()
	more := open(t)
	first, second := more(), more()
	rec, err := first.Consent.Append(t.Context(), consent.Record{
		SubjectID: "u-1", Purpose: "referral", Event: consent.Given, PolicyVersion: "1.2",
		CollectedAt: time.Date(2026, 11, 28, 12, 0, 0, 1, time.UTC),
	})
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	got, err := second.Consent.Record(t.Context(), rec.RecordID)
	if err != nil {
		t.Fatalf("Record through the second handle: %v", err)
	}
	if diff := cmp.Diff(rec, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Record through the second handle (-want +got):\n%s", diff)
	}
	next, err := second.Consent.Append(t.Context(), consent.Record{
		SubjectID: "u-1", Purpose: "referral", Event: consent.Withdrawn,
		CollectedAt: time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatalf("Append through the second handle: %v", err)
	}
	if next.Seq != 2 || next.PrevHash != rec.Hash {
		t.Errorf("second append: Seq %d, PrevHash %q; want 2, %q", next.Seq, next.PrevHash, rec.Hash)
	}
	if err := subject.SetDeactivated(t.Context(), first.State, "u-1", true); err != nil {
		t.Fatalf("SetDeactivated: %v", err)
	}
	st, err := second.State.State(t.Context(), "u-1")
	if err != nil {
		t.Fatalf("State through the second handle: %v", err)
	}
	if !st.Deactivated {
		t.Error("State through the second handle: not deactivated")
	}

	// Both handles append at once: each must chain to the head the other
	// moved, not to the one it last left.
	const writers, each = 8, 10
	var wg sync.WaitGroup
	for i := range 2 * writers {
		h := []Shared{first, second}[i%2]
		wg.Go(func() {
			for j := range each {
				if _, err := h.Consent.Append(t.Context(), grant(fmt.Sprintf("s-%d-%d", i, j), "referral", base())); err != nil {
					t.Errorf("concurrent Append through handle %d: %v", i%2+1, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if sc, ok := first.Consent.(consent.Scanner); ok {
		rep, err := consent.Verify(t.Context(), sc)
		if err != nil || !rep.Intact || rep.Checked != 2+2*writers*each {
			t.Errorf("Verify after concurrent appends through both handles: %s, %v; want intact, %d records", rep, err, 2+2*writers*each)
		}
	}
}
