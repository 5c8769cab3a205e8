package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/retention"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// RunRetentionStore runs the conformance suite of retention.Store (holds,
// controllers' choices, the sweep journal and its lease). newStore returns
// an empty store for one subtest and releases it with t.Cleanup. Subtests
// run in parallel.
func RunRetentionStore(t *testing.T, newStore func(t *testing.T) retention.Store) {
	runSuite(t, newStore, []subtest[retention.Store]{
		{"HoldRoundTrip", testHoldRoundTrip},
		{"HoldValidation", testHoldValidation},
		{"HoldIDConflict", testHoldIDConflict},
		{"HoldRelease", testHoldRelease},
		{"HoldActiveAt", testHoldActiveAt},
		{"Overrides", testOverrides},
		{"CheckpointRoundTrip", testCheckpointRoundTrip},
		{"LeaseExcludes", testLeaseExcludes},
		{"LeaseLapses", testLeaseLapses},
		{"SaveNeedsLease", testSaveNeedsLease},
		{"AuditOrder", testAuditOrder},
		{"SweepsIsolated", testSweepsIsolated},
		{"ConcurrentAcquire", testConcurrentAcquire},
		{"CanceledContext", testCanceled},
	})
}

func hold(subject, category string) retention.Hold {
	return retention.Hold{SubjectID: subject, Category: category, PlacedBy: "legal@example",
		Reason: "dispute " + subject + category, PlacedAt: t0}
}

func place(t *testing.T, s retention.Store, h retention.Hold) retention.Hold {
	t.Helper()
	got, err := s.PlaceHold(t.Context(), h)
	if err != nil {
		t.Fatalf("PlaceHold: %v", err)
	}
	return got
}

func testHoldRoundTrip(t *testing.T, s retention.Store) {
	h := hold("u-1", "instance.financial")
	h.Until = t0.Add(48 * time.Hour)
	h.PlacedAt = t0.Add(123 * time.Nanosecond)
	got := place(t, s, h)
	if got.ID == "" {
		t.Fatalf("PlaceHold assigned no ID")
	}
	h.ID = got.ID
	if diff := cmp.Diff(h, got); diff != "" {
		t.Errorf("PlaceHold (-want +got):\n%s", diff)
	}
	active, err := s.ActiveHolds(t.Context(), t0.Add(time.Hour))
	if err != nil {
		t.Fatalf("ActiveHolds: %v", err)
	}
	if diff := cmp.Diff([]retention.Hold{h}, active); diff != "" {
		t.Errorf("ActiveHolds (-want +got):\n%s", diff)
	}
	named := hold("u-2", "")
	named.ID = "case-42"
	if got := place(t, s, named); got.ID != "case-42" {
		t.Errorf("PlaceHold with ID case-42 stored ID %q", got.ID)
	}
}

func testHoldValidation(t *testing.T, s retention.Store) {
	tests := []struct {
		name  string
		edit  func(*retention.Hold)
		field string
	}{
		{"nothing held", func(h *retention.Hold) { h.SubjectID, h.Category = "", "" }, "subject_id"},
		{"no one placed it", func(h *retention.Hold) { h.PlacedBy = "" }, "placed_by"},
		{"no reason", func(h *retention.Hold) { h.Reason = " " }, "reason"},
		{"no time", func(h *retention.Hold) { h.PlacedAt = time.Time{} }, "placed_at"},
		{"ends before it starts", func(h *retention.Hold) { h.Until = t0.Add(-time.Hour) }, "until"},
		// What PostgreSQL's text and the SQL stores' 64-bit nanoseconds
		// cannot hold is refused by every store alike, naming the field.
		{"placed before 1970", func(h *retention.Hold) { h.PlacedAt = time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC) }, "placed_at"},
		{"ends after 2262", func(h *retention.Hold) { h.Until = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) }, "until"},
		{"NUL in the id", func(h *retention.Hold) { h.ID = "case\x00" }, "id"},
		{"invalid UTF-8 in the subject id", func(h *retention.Hold) { h.SubjectID = "u\xff" }, "subject_id"},
		{"NUL in the category", func(h *retention.Hold) { h.Category = "instance\x00" }, "category"},
		{"overlong placer", func(h *retention.Hold) { h.PlacedBy = strings.Repeat("p", privacy.MaxIDLength+1) }, "placed_by"},
		{"NUL in the reason", func(h *retention.Hold) { h.Reason = "case\x00" }, "reason"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := hold("u-1", "")
			tc.edit(&h)
			_, err := s.PlaceHold(t.Context(), h)
			var ve *privacy.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Errorf("PlaceHold error = %v, want a *privacy.ValidationError on %s", err, tc.field)
			}
		})
	}
	active, err := s.ActiveHolds(t.Context(), t0)
	if err != nil || len(active) != 0 {
		t.Errorf("after invalid holds, ActiveHolds = %v, %v; want none", active, err)
	}
}

func testHoldIDConflict(t *testing.T, s retention.Store) {
	h := hold("u-1", "")
	h.ID = "case-1"
	place(t, s, h)
	if _, err := s.PlaceHold(t.Context(), h); !errors.Is(err, privacy.ErrConflict) {
		t.Errorf("second PlaceHold with one ID: error %v, want privacy.ErrConflict", err)
	}
}

func testHoldRelease(t *testing.T, s retention.Store) {
	h := place(t, s, hold("u-1", ""))
	other := place(t, s, hold("u-2", ""))
	at := t0.Add(time.Hour)
	for _, bad := range []struct {
		by    string
		at    time.Time
		field string
	}{{"", at, "released_by"}, {"counsel@example", h.PlacedAt.Add(-time.Second), "released_at"}} {
		var ve *privacy.ValidationError
		if _, err := s.ReleaseHold(t.Context(), h.ID, bad.by, bad.at); !errors.As(err, &ve) || ve.Field != bad.field {
			t.Errorf("ReleaseHold by %q at %v: error %v, want a ValidationError naming %s", bad.by, bad.at, err, bad.field)
		}
	}
	got, err := s.ReleaseHold(t.Context(), h.ID, "counsel@example", at)
	if err != nil {
		t.Fatalf("ReleaseHold: %v", err)
	}
	want := h
	want.ReleasedAt, want.ReleasedBy = at, "counsel@example"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReleaseHold (-want +got):\n%s", diff)
	}
	active, err := s.ActiveHolds(t.Context(), at)
	if err != nil {
		t.Fatalf("ActiveHolds: %v", err)
	}
	if diff := cmp.Diff([]retention.Hold{other}, active); diff != "" {
		t.Errorf("ActiveHolds after release (-want +got):\n%s", diff)
	}
	if _, err := s.ReleaseHold(t.Context(), h.ID, "x", at); !errors.Is(err, privacy.ErrConflict) {
		t.Errorf("second ReleaseHold: error %v, want privacy.ErrConflict", err)
	}
	if _, err := s.ReleaseHold(t.Context(), "no-such-hold", "x", at); !errors.Is(err, privacy.ErrNotFound) {
		t.Errorf("ReleaseHold of an unknown id: error %v, want privacy.ErrNotFound", err)
	}
}

func testHoldActiveAt(t *testing.T, s retention.Store) {
	a := hold("u-a", "")
	a.PlacedAt = t0.Add(2 * time.Hour) // placed later
	b := hold("u-b", "")
	b.Until = t0.Add(time.Hour) // lapses
	c := hold("u-c", "")
	a, b, c = place(t, s, a), place(t, s, b), place(t, s, c)
	tests := []struct {
		at   time.Time
		want []retention.Hold
	}{
		{t0.Add(-time.Hour), nil},
		{t0, []retention.Hold{b, c}},
		{t0.Add(time.Hour), []retention.Hold{c}},
		{t0.Add(3 * time.Hour), []retention.Hold{c, a}},
	}
	for _, tc := range tests {
		got, err := s.ActiveHolds(t.Context(), tc.at)
		if err != nil {
			t.Fatalf("ActiveHolds: %v", err)
		}
		// Holds with equal PlacedAt come in ID order.
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty(), cmpopts.SortSlices(func(x, y retention.Hold) bool {
			return x.PlacedAt.Before(y.PlacedAt) || (x.PlacedAt.Equal(y.PlacedAt) && x.ID < y.ID)
		})); diff != "" {
			t.Errorf("ActiveHolds(%v) (-want +got):\n%s", tc.at, diff)
		}
		for i := 1; i < len(got); i++ {
			p, q := got[i-1], got[i]
			if q.PlacedAt.Before(p.PlacedAt) || (q.PlacedAt.Equal(p.PlacedAt) && q.ID < p.ID) {
				t.Errorf("ActiveHolds(%v) not ordered by PlacedAt and ID: %s before %s", tc.at, p.ID, q.ID)
			}
		}
	}
}

func testOverrides(t *testing.T, s retention.Store) {
	set := func(o retention.Override) {
		t.Helper()
		if err := s.SetOverride(t.Context(), o); err != nil {
			t.Fatalf("SetOverride: %v", err)
		}
	}
	o1 := retention.Override{Controller: "globex", Category: "guest.it", Period: privacy.MustParsePeriod("P7D"), SetBy: "dpo", SetAt: t0}
	o2 := retention.Override{Controller: "acme", Category: "guest.it", Period: privacy.MustParsePeriod("P1M"), SetBy: "dpo", SetAt: t0}
	o3 := retention.Override{Controller: "acme", Category: "guest.contact", Period: privacy.MustParsePeriod("P1Y2M"), SetBy: "dpo", SetAt: t0}
	set(o1)
	set(o2)
	set(o3)
	o2b := o2
	o2b.Period = privacy.MustParsePeriod("P14D")
	o2b.SetAt = t0.Add(time.Hour)
	set(o2b)                                                            // replaces o2
	set(retention.Override{Controller: "globex", Category: "guest.it"}) // removes o1
	got, err := s.Overrides(t.Context())
	if err != nil {
		t.Fatalf("Overrides: %v", err)
	}
	if diff := cmp.Diff([]retention.Override{o3, o2b}, got); diff != "" {
		t.Errorf("Overrides (-want +got):\n%s", diff)
	}
	// What PostgreSQL's text and the SQL stores' 64-bit nanoseconds cannot
	// hold is refused by every store alike, naming the field, and changes
	// nothing.
	bad := []struct {
		name  string
		edit  func(*retention.Override)
		field string
	}{
		{"no controller", func(o *retention.Override) { o.Controller = "" }, "controller"},
		{"NUL in the controller", func(o *retention.Override) { o.Controller = "acme\x00" }, "controller"},
		{"invalid UTF-8 in the category", func(o *retention.Override) { o.Category = "guest.\xff" }, "category"},
		{"NUL in set_by", func(o *retention.Override) { o.SetBy = "dpo\x00" }, "set_by"},
		{"set before 1970", func(o *retention.Override) { o.SetAt = time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC) }, "set_at"},
	}
	for _, tc := range bad {
		o := o3
		o.Period = privacy.MustParsePeriod("P2Y")
		tc.edit(&o)
		err := s.SetOverride(t.Context(), o)
		var ve *privacy.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("SetOverride (%s): error %v, want a *privacy.ValidationError on %s", tc.name, err, tc.field)
		}
	}
	if got, err := s.Overrides(t.Context()); err != nil || !cmp.Equal([]retention.Override{o3, o2b}, got) {
		t.Errorf("Overrides after refused choices = %v, %v; want them unchanged", got, err)
	}
}

func acquire(t *testing.T, s retention.Store, name, owner string, now time.Time) retention.Checkpoint {
	t.Helper()
	cp, err := s.Acquire(t.Context(), name, owner, now, now.Add(time.Minute))
	if err != nil {
		t.Fatalf("Acquire(%s, %s): %v", name, owner, err)
	}
	return cp
}

func testCheckpointRoundTrip(t *testing.T, s retention.Store) {
	if cp := acquire(t, s, "sweep", "a", t0); !cmp.Equal(cp, retention.Checkpoint{}) {
		t.Errorf("first Acquire returned checkpoint %+v, want zero", cp)
	}
	want := retention.Checkpoint{SweepID: "s-1", Cutoff: t0.Add(5), After: "key-ü-9", Batches: 3,
		Pending: &retention.Batch{Seq: 4, Delete: []string{"k1", "k2"}, Anonymise: []string{"k3"}, LastKey: "k9", Scanned: 9, Held: 2, Retained: 4}}
	if err := s.Save(t.Context(), "sweep", "a", want, nil); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if err := s.Release(t.Context(), "sweep", "a"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	got := acquire(t, s, "sweep", "b", t0)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checkpoint read by the next owner (-want +got):\n%s", diff)
	}
	if err := s.Save(t.Context(), "sweep", "b", retention.Checkpoint{}, nil); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if got := acquire(t, s, "sweep", "b", t0); !cmp.Equal(got, retention.Checkpoint{}) {
		t.Errorf("checkpoint after a finished sweep = %+v, want zero", got)
	}
}

func testLeaseExcludes(t *testing.T, s retention.Store) {
	acquire(t, s, "sweep", "a", t0)
	if _, err := s.Acquire(t.Context(), "sweep", "b", t0.Add(30*time.Second), t0.Add(time.Hour)); !errors.Is(err, retention.ErrLocked) {
		t.Fatalf("Acquire by b while a holds the lease: error %v, want ErrLocked", err)
	}
	acquire(t, s, "sweep", "a", t0.Add(30*time.Second)) // renewal to t0+90s
	if _, err := s.Acquire(t.Context(), "sweep", "b", t0.Add(80*time.Second), t0.Add(time.Hour)); !errors.Is(err, retention.ErrLocked) {
		t.Fatalf("Acquire by b within the renewed lease: error %v, want ErrLocked", err)
	}
	if err := s.Release(t.Context(), "sweep", "b"); err != nil {
		t.Fatalf("Release by a non-owner: %v", err)
	}
	if _, err := s.Acquire(t.Context(), "sweep", "b", t0.Add(80*time.Second), t0.Add(time.Hour)); !errors.Is(err, retention.ErrLocked) {
		t.Fatalf("a non-owner's Release freed the lease: error %v", err)
	}
	if err := s.Release(t.Context(), "sweep", "a"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	acquire(t, s, "sweep", "b", t0.Add(80*time.Second))
}

func testLeaseLapses(t *testing.T, s retention.Store) {
	acquire(t, s, "sweep", "a", t0)
	acquire(t, s, "sweep", "b", t0.Add(time.Minute)) // a's lease ends at t0+1m
}

func testSaveNeedsLease(t *testing.T, s retention.Store) {
	if err := s.Save(t.Context(), "sweep", "a", retention.Checkpoint{SweepID: "x"}, nil); !errors.Is(err, retention.ErrLeaseLost) {
		t.Errorf("Save without ever acquiring: error %v, want ErrLeaseLost", err)
	}
	acquire(t, s, "sweep", "a", t0)
	acquire(t, s, "sweep", "b", t0.Add(2*time.Minute))
	err := s.Save(t.Context(), "sweep", "a", retention.Checkpoint{SweepID: "x"}, &retention.Audit{Sweep: "sweep", Seq: 1})
	if !errors.Is(err, retention.ErrLeaseLost) {
		t.Errorf("Save by a after b took over: error %v, want ErrLeaseLost", err)
	}
	if cp := acquire(t, s, "sweep", "b", t0.Add(2*time.Minute)); cp.SweepID != "" {
		t.Errorf("a's rejected Save changed the checkpoint: %+v", cp)
	}
	audits, err := s.Audits(t.Context(), "sweep")
	if err != nil || len(audits) != 0 {
		t.Errorf("a's rejected Save appended audits: %v, %v", audits, err)
	}
}

func audit(seq int) retention.Audit {
	return retention.Audit{Sweep: "sweep", SweepID: "s-1", Seq: seq, Owner: "a", Cutoff: t0, At: t0.Add(time.Duration(seq)),
		FirstKey: fmt.Sprintf("k%03d", seq-1), LastKey: fmt.Sprintf("k%03d", seq), Deleted: seq, Anonymised: 2, Scanned: 10, Held: 1, Retained: 3}
}

func testAuditOrder(t *testing.T, s retention.Store) {
	acquire(t, s, "sweep", "a", t0)
	var want []retention.Audit
	for seq := 1; seq <= 12; seq++ {
		a := audit(seq)
		if err := s.Save(t.Context(), "sweep", "a", retention.Checkpoint{SweepID: "s-1", After: a.LastKey, Batches: seq}, &a); err != nil {
			t.Fatalf("Save: %v", err)
		}
		want = append(want, a)
	}
	got, err := s.Audits(t.Context(), "sweep")
	if err != nil {
		t.Fatalf("Audits: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Audits (-want +got):\n%s", diff)
	}
	if got, err := s.Audits(t.Context(), "other"); err != nil || len(got) != 0 {
		t.Errorf("Audits of a sweep never run = %v, %v; want none", got, err)
	}
}

func testSweepsIsolated(t *testing.T, s retention.Store) {
	acquire(t, s, "one", "a", t0)
	acquire(t, s, "two", "b", t0) // another name, another lease
	if err := s.Save(t.Context(), "one", "a", retention.Checkpoint{SweepID: "s-1"}, nil); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if cp := acquire(t, s, "two", "b", t0); cp.SweepID != "" {
		t.Errorf("sweep two sees sweep one's checkpoint: %+v", cp)
	}
}

func testConcurrentAcquire(t *testing.T, s retention.Store) {
	const n = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []string
	)
	for i := range n {
		wg.Go(func() {
			owner := fmt.Sprintf("o-%d", i)
			_, err := s.Acquire(context.WithoutCancel(t.Context()), "sweep", owner, t0, t0.Add(time.Minute))
			switch {
			case err == nil:
				mu.Lock()
				winners = append(winners, owner)
				mu.Unlock()
			case !errors.Is(err, retention.ErrLocked):
				t.Errorf("Acquire: %v", err)
			}
		})
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Errorf("concurrent Acquire: %d owners got the lease (%v), want exactly 1", len(winners), winners)
	}
}

func testCanceled(t *testing.T, s retention.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.PlaceHold(ctx, hold("u-1", "")); !errors.Is(err, context.Canceled) {
		t.Errorf("PlaceHold: error %v, want context.Canceled", err)
	}
	if _, err := s.ActiveHolds(ctx, t0); !errors.Is(err, context.Canceled) {
		t.Errorf("ActiveHolds: error %v, want context.Canceled", err)
	}
	if _, err := s.Acquire(ctx, "sweep", "a", t0, t0.Add(time.Minute)); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire: error %v, want context.Canceled", err)
	}
	if err := s.Save(ctx, "sweep", "a", retention.Checkpoint{}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Save: error %v, want context.Canceled", err)
	}
}
