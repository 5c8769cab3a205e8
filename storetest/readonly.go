package storetest

import (
	"testing"
	"time"

	"github.com/privacykit/privacy/consent"
)

// RunReadOnly checks a store's read-only open against its read-write one:
// a consent record appended through write's ledger, closed, is read back
// through readOnly's, and readOnly refuses to append it again. write and
// readOnly open the same database and return its ledger with the function
// that closes it; they fail t when the database does not open. It returns
// the refused Append's error, for the caller to check its wording.
func RunReadOnly(t *testing.T, write, readOnly func(t *testing.T) (consent.Store, func() error)) error {
	t.Helper()
	rec := consent.Record{SubjectID: "u-1", Purpose: "research.surveys", Event: consent.Given,
		PolicyVersion: "1.2", Method: consent.MethodCheckbox, CollectedBy: "storetest", CollectedAt: time.Now()}
	w, closeW := write(t)
	if _, err := w.Append(t.Context(), rec); err != nil {
		t.Fatalf("Append through the read-write open: %v", err)
	}
	if err := closeW(); err != nil {
		t.Fatalf("close the read-write open: %v", err)
	}

	ro, closeRO := readOnly(t)
	defer closeRO()
	h, err := ro.History(t.Context(), "u-1")
	if err != nil || len(h) != 1 {
		t.Fatalf("History through the read-only open = %d records, %v; want 1", len(h), err)
	}
	_, err = ro.Append(t.Context(), rec)
	if err == nil {
		t.Error("Append through a read-only open succeeded")
	}
	return err
}
