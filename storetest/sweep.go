package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/retention"
)

// Inventory is an inventory that records can be put into and erased from,
// such as memory.Inventory or the SQL inventory tables.
type Inventory interface {
	retention.Inventory
	retention.Eraser
	// Put adds records, replacing those with the same keys.
	Put(ctx context.Context, recs []retention.Record) error
}

// Handle is one process's view of a shared store and inventory.
type Handle struct {
	Store     retention.Store
	Inventory Inventory
}

// RunSweeper runs the sweeper against a backend. newBackend prepares an
// empty backend holding the records and returns a function that opens
// one more handle on it (as another process would). Subtests run in
// parallel.
func RunSweeper(t *testing.T, newBackend func(t *testing.T, recs []retention.Record) func() Handle) {
	t.Run("ResumesExactlyOnce", func(t *testing.T) {
		for _, after := range []bool{false, true} {
			for _, k := range []int{1, 2, 5} {
				t.Run(fmt.Sprintf("after=%v/k=%d", after, k), func(t *testing.T) {
					t.Parallel()
					testResume(t, newBackend, k, after)
				})
			}
		}
	})
	t.Run("ConcurrentSweepersNeverShareRecords", func(t *testing.T) {
		t.Parallel()
		testConcurrentSweepers(t, newBackend)
	})
	t.Run("ResumedBatchRechecksEachRecord", func(t *testing.T) {
		t.Parallel()
		testResumeRechecks(t, newBackend)
	})
	t.Run("PutRefusesWhatNoInventoryHolds", func(t *testing.T) {
		t.Parallel()
		testPutRefuses(t, newBackend)
	})
}

// testPutRefuses: a record no inventory can hold (no key, text with a NUL
// byte or invalid UTF-8, a time the SQL stores cannot keep) is refused by
// every inventory alike, naming the record and field, and the put stores
// nothing (the memory inventory kept them all, PostgreSQL failed on text
// with a driver error).
func testPutRefuses(t *testing.T, newBackend func(t *testing.T, recs []retention.Record) func() Handle) {
	h := newBackend(t, nil)()
	good := retention.Record{Key: "k-1", SubjectID: "u-1", Category: "instance.contact.email",
		Times: map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: t0}}
	tests := []struct {
		name  string
		edit  func(r *retention.Record)
		field string
	}{
		{"no key", func(r *retention.Record) { r.Key = "" }, "records[1].key"},
		{"NUL in the key", func(r *retention.Record) { r.Key = "k\x00" }, "records[1].key"},
		{"invalid UTF-8 in the subject id", func(r *retention.Record) { r.SubjectID = "u\xff" }, "records[1].subject_id"},
		{"NUL in the category", func(r *retention.Record) { r.Category = "instance\x00" }, "records[1].category"},
		{"a trigger before 1970", func(r *retention.Record) {
			r.Times = map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)}
		}, "records[1].times.account_closed"},
	}
	for _, tc := range tests {
		bad := good
		bad.Key = "k-2"
		tc.edit(&bad)
		err := h.Inventory.Put(t.Context(), []retention.Record{good, bad})
		var ve *privacy.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("Put (%s): error %v, want a *privacy.ValidationError on %s", tc.name, err, tc.field)
		}
	}
	if got, err := h.Inventory.Records(t.Context(), "", 10); err != nil || len(got) != 0 {
		t.Errorf("Records after refused puts: %d records, %v; want none", len(got), err)
	}
}

// records returns n records: a third due for deletion, a third due for
// anonymisation, a third retained; and the number due.
func records(n int) ([]retention.Record, int) {
	var recs []retention.Record
	due := 0
	for i := range n {
		r := retention.Record{Key: fmt.Sprintf("k-%06d", i), SubjectID: fmt.Sprintf("u-%d", i%13)}
		switch i % 3 {
		case 0:
			r.Category = "instance.contact.email"
			r.Times = map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: t0.AddDate(0, 0, -91-i%50)}
			due++
		case 1:
			r.Category = "instance.meeting.data"
			r.Times = map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: t0.AddDate(-1, 0, 0)}
			due++
		case 2:
			r.Category = "instance.network.ip_address"
			r.Times = map[privacy.Trigger]time.Time{privacy.TriggerCollected: t0.AddDate(0, 0, -i%100)}
		}
		recs = append(recs, r)
	}
	return recs, due
}

// countingEraser counts the keys each successful Erase call handed on;
// fail, when set, fails one call (before or after erasing).
type countingEraser struct {
	inner    retention.Eraser
	failCall int64
	after    bool
	calls    atomic.Int64
	tally    *tally
}

// tally counts erasures per key, across erasers.
type tally struct {
	mu   sync.Mutex
	seen map[string]int
}

func newTally() *tally { return &tally{seen: map[string]int{}} }

var errCrash = errors.New("crash")

func (e *countingEraser) Erase(ctx context.Context, keys []string, g *retention.Guard) ([]string, error) {
	if e.calls.Add(1) == e.failCall {
		if e.after {
			e.inner.Erase(ctx, keys, g)
		}
		return nil, errCrash
	}
	spared, err := e.inner.Erase(ctx, keys, g)
	if err != nil {
		return nil, err
	}
	e.tally.mu.Lock()
	defer e.tally.mu.Unlock()
	for _, k := range keys {
		if !slices.Contains(spared, k) {
			e.tally.seen[k]++
		}
	}
	return spared, nil
}

func sweeper(t *testing.T, h Handle, er retention.Eraser, owner string) *retention.Sweeper {
	t.Helper()
	s, err := retention.NewSweeper(privacy.DefaultCatalog(), h.Store, h.Inventory, er,
		retention.WithClock(func() time.Time { return t0 }), retention.WithBatchSize(10), retention.WithPageSize(8),
		retention.WithOwner(owner))
	if err != nil {
		t.Fatalf("NewSweeper: %v", err)
	}
	return s
}

func remaining(t *testing.T, h Handle) retention.Summary {
	t.Helper()
	s := sweeper(t, h, nil, "planner")
	sum, err := s.Plan(t.Context(), nil)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	return sum
}

func testResume(t *testing.T, newBackend func(t *testing.T, recs []retention.Record) func() Handle, k int, after bool) {
	recs, due := records(150)
	open := newBackend(t, recs)
	h := open()
	er := &countingEraser{inner: h.Inventory, failCall: int64(k + 1), after: after, tally: newTally()}
	if _, err := sweeper(t, h, er, "first").Sweep(t.Context()); !errors.Is(err, errCrash) {
		t.Fatalf("first Sweep: error %v, want the crash", err)
	}
	h2 := open()
	er.inner = h2.Inventory
	if _, err := sweeper(t, h2, er, "second").Sweep(t.Context()); err != nil {
		t.Fatalf("resumed Sweep: %v", err)
	}
	left := remaining(t, h2)
	if want := (retention.Summary{Scanned: len(recs) - due, Retained: len(recs) - due}); !cmp.Equal(want, left) {
		t.Errorf("plan after the sweeps (-want +got):\n%s", cmp.Diff(want, left))
	}
	audits, err := h2.Store.Audits(t.Context(), "retention")
	if err != nil {
		t.Fatalf("Audits: %v", err)
	}
	erased, scanned := 0, 0
	for i, a := range audits {
		if a.Seq != i+1 {
			t.Errorf("audit %d has Seq %d", i, a.Seq)
		}
		erased += a.Deleted + a.Anonymised
		scanned += a.Scanned
	}
	if erased != due || scanned != len(recs) {
		t.Errorf("audits count %d erased, %d scanned; want %d, %d", erased, scanned, due, len(recs))
	}
	// Every due key went through a successful Erase call once: the
	// crashed call is not counted, and its batch was erased once more on
	// resume, as the Eraser contract (idempotence) allows.
	if len(er.tally.seen) != due {
		t.Errorf("%d keys erased, want %d", len(er.tally.seen), due)
	}
	for key, n := range er.tally.seen {
		if n != 1 {
			t.Errorf("key %s erased %d times", key, n)
		}
	}
}

func testConcurrentSweepers(t *testing.T, newBackend func(t *testing.T, recs []retention.Record) func() Handle) {
	recs, due := records(600)
	open := newBackend(t, recs)
	tl := newTally()
	var wg sync.WaitGroup
	for i := range 3 {
		h := open()
		s := sweeper(t, h, &countingEraser{inner: h.Inventory, tally: tl}, fmt.Sprintf("sweeper-%d", i))
		wg.Go(func() {
			for {
				_, err := s.Sweep(t.Context())
				if errors.Is(err, retention.ErrLocked) {
					time.Sleep(2 * time.Millisecond)
					continue
				}
				if err != nil {
					t.Errorf("Sweep: %v", err)
				}
				return
			}
		})
	}
	wg.Wait()
	if len(tl.seen) != due {
		t.Errorf("%d keys erased, want %d", len(tl.seen), due)
	}
	for key, n := range tl.seen {
		if n != 1 {
			t.Errorf("key %s handed to the eraser %d times: two sweepers processed it", key, n)
		}
	}
	if left := remaining(t, open()); left.Due != 0 {
		t.Errorf("after the sweeps %d records are still due", left.Due)
	}
}

// testResumeRechecks crashes a sweep after it saved its first batch as
// pending and before it erased it, then places legal holds on two
// subjects and undoes the trigger of one record of that batch (the account
// was reopened), and resumes: the resumed sweep must erase none of them
// (issue 13, item 2: 20 of 20 held records were deleted).
func testResumeRechecks(t *testing.T, newBackend func(t *testing.T, recs []retention.Record) func() Handle) {
	const batch = 10
	recs, due := records(150)
	open := newBackend(t, recs)
	h := open()
	crash := &countingEraser{inner: h.Inventory, failCall: 1, tally: newTally()}
	if _, err := sweeper(t, h, crash, "first").Sweep(t.Context()); !errors.Is(err, errCrash) {
		t.Fatalf("first Sweep: error %v, want the crash", err)
	}

	heldSubjects := []string{"u-0", "u-1"}
	for _, subj := range heldSubjects {
		hd := retention.Hold{SubjectID: subj, PlacedBy: "legal@example", Reason: "dispute after the crash", PlacedAt: t0}
		if _, err := h.Store.PlaceHold(t.Context(), hd); err != nil {
			t.Fatalf("PlaceHold: %v", err)
		}
	}
	// The pending batch is the first due records in key order.
	var pending []retention.Record
	for _, r := range recs {
		if len(pending) < batch && r.Category != "instance.network.ip_address" {
			pending = append(pending, r)
		}
	}
	reopened := pending[2] // k-000003, not of a held subject
	if slices.Contains(heldSubjects, reopened.SubjectID) {
		t.Fatalf("test set-up: %s belongs to a held subject", reopened.Key)
	}
	reopened.Times = map[privacy.Trigger]time.Time{}
	if err := h.Inventory.Put(t.Context(), []retention.Record{reopened}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	keep := map[string]bool{reopened.Key: true}
	spared := 1
	for _, r := range recs {
		if r.Category != "instance.network.ip_address" && slices.Contains(heldSubjects, r.SubjectID) {
			keep[r.Key] = true
		}
	}
	for _, r := range pending {
		if r.Key != reopened.Key && slices.Contains(heldSubjects, r.SubjectID) {
			spared++
		}
	}

	h2 := open()
	if _, err := sweeper(t, h2, &countingEraser{inner: h2.Inventory, tally: newTally()}, "second").Sweep(t.Context()); err != nil {
		t.Fatalf("resumed Sweep: %v", err)
	}
	listed := map[string]bool{}
	after := ""
	for {
		page, err := h2.Inventory.Records(t.Context(), after, 100)
		if err != nil {
			t.Fatalf("Records: %v", err)
		}
		for _, r := range page {
			listed[r.Key] = true
		}
		if len(page) < 100 {
			break
		}
		after = page[len(page)-1].Key
	}
	for k := range keep {
		if !listed[k] {
			t.Errorf("record %s erased: it was held, or its trigger undone, after the crash", k)
		}
	}
	audits, err := h2.Store.Audits(t.Context(), "retention")
	if err != nil {
		t.Fatalf("Audits: %v", err)
	}
	erased, gotSpared := 0, 0
	for _, a := range audits {
		erased += a.Deleted + a.Anonymised
		gotSpared += a.Spared
	}
	if gotSpared != spared || erased != due-len(keep) {
		t.Errorf("audits: %d erased, %d spared; want %d erased, %d spared", erased, gotSpared, due-len(keep), spared)
	}
}
