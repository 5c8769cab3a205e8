package watch

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy/consent"
)

func TestHub(t *testing.T) {
	t.Parallel()
	var h Hub
	ctx, cancel := context.WithCancel(t.Context())
	a, b := h.Subscribe(t.Context()), h.Subscribe(ctx)
	c := consent.Change{SubjectID: "u-1", Purpose: "referral", Seq: 1}
	h.Publish(c)
	for name, ch := range map[string]<-chan consent.Change{"a": a, "b": b} {
		if diff := cmp.Diff(c, <-ch); diff != "" {
			t.Errorf("subscriber %s (-want +got):\n%s", name, diff)
		}
	}
	cancel()
	if _, ok := <-b; ok {
		t.Error("subscription open after its context ended")
	}
	// Falling behind closes the channel, after what was buffered.
	for i := range Buffer + 1 {
		h.Publish(consent.Change{Seq: int64(i)})
	}
	n := 0
	for range a {
		n++
	}
	if n != Buffer {
		t.Errorf("a subscriber that fell behind got %d changes before its channel closed, want %d", n, Buffer)
	}
	h.Publish(c) // no subscribers: nothing to do, nothing to panic about
}

func TestChanges(t *testing.T) {
	t.Parallel()
	// One change per subject and purpose, with its last Seq. (Payloads
	// too long for PostgreSQL are the NOTIFY statement's concern:
	// postgres.TestNotifyPayloadLimit.)
	rs := []consent.Record{
		{SubjectID: "u-1", Purpose: "p", Seq: 1},
		{SubjectID: "u-2", Purpose: "p", Seq: 2},
		{SubjectID: "u-1", Purpose: "p", Seq: 3},
		{SubjectID: "u-2", Purpose: "q", Seq: 4},
	}
	want := []consent.Change{
		{SubjectID: "u-1", Purpose: "p", Seq: 3},
		{SubjectID: "u-2", Purpose: "p", Seq: 2},
		{SubjectID: "u-2", Purpose: "q", Seq: 4},
	}
	if diff := cmp.Diff(want, Changes(rs)); diff != "" {
		t.Errorf("Changes (-want +got):\n%s", diff)
	}
}
