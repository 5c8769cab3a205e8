package memory_test

import (
	"errors"
	"testing"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/storetest"
)

func TestSweeper(t *testing.T) {
	storetest.RunSweeper(t, func(t *testing.T, recs []retention.Record) func() storetest.Handle {
		h := storetest.Handle{Store: memory.NewRetentionStore(), Inventory: memory.NewInventory(recs...)}
		return func() storetest.Handle { return h }
	})
}

// TestInventoryAddValidates: Add checks a record as Put does; it used to
// keep a record without a key, or with a time Put refuses, and the
// sweeper then judged it.
func TestInventoryAddValidates(t *testing.T) {
	t.Parallel()
	inv := memory.NewInventory()
	for name, r := range map[string]retention.Record{
		"no key":            {SubjectID: "u-1", Category: "instance.contact.email"},
		"time out of range": {Key: "k-1", SubjectID: "u-1", Category: "instance.contact.email", Times: map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)}},
		"nul in text":       {Key: "k-2", SubjectID: "u-1\x00", Category: "instance.contact.email"},
	} {
		var ve *privacy.ValidationError
		if err := inv.Add(r); !errors.As(err, &ve) {
			t.Errorf("Add(%s): %v, want a ValidationError", name, err)
		}
	}
	if recs, err := inv.Records(t.Context(), "", 10); err != nil || len(recs) != 0 {
		t.Errorf("Records after refused Adds: %v, %v; want none", recs, err)
	}
	if err := inv.Add(retention.Record{Key: "k-3", SubjectID: "u-1", Category: "instance.contact.email"}); err != nil {
		t.Errorf("Add of a good record: %v", err)
	}
}
