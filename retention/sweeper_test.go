package retention_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/memory"
	"github.com/privacykit/privacy/retention"
)

// fixture is an inventory of records of many ages and the verdicts they
// must get at t0.
type fixture struct {
	records    []retention.Record
	due        map[string]privacy.RetentionAction
	held       int
	retained   int
	unruled    int
	heldByHold string // subject held by the fixture's legal hold
}

// newFixture builds n records cycling through the kinds of verdict.
func newFixture(n int) fixture {
	f := fixture{due: map[string]privacy.RetentionAction{}, heldByHold: "u-held"}
	for i := range n {
		key := fmt.Sprintf("r-%06d", i)
		r := retention.Record{Key: key, SubjectID: fmt.Sprintf("u-%d", i%17)}
		switch i % 6 {
		case 0: // due, delete
			r.Category = "instance.account.username"
			r.Times = map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: t0.Add(-days(100 + i))}
			f.due[key] = privacy.ActionDelete
		case 1: // due, anonymise
			r.Category = "instance.feedback.review"
			r.Times = map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: t0.Add(-days(91))}
			f.due[key] = privacy.ActionAnonymise
		case 2: // retained
			r.Category = "instance.network.ip_address"
			r.Times = map[privacy.Trigger]time.Time{privacy.TriggerCollected: t0.Add(-days(i % 150))}
			f.retained++
		case 3: // held by the statutory hold
			r.Category = "instance.financial.payment"
			r.Times = map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: t0.Add(-days(400)), privacy.TriggerCollected: t0.Add(-days(800))}
			f.held++
		case 4: // held by the legal hold
			r.SubjectID = f.heldByHold
			r.Category = "instance.contact.email"
			r.Times = map[privacy.Trigger]time.Time{privacy.TriggerAccountClosed: t0.Add(-days(400))}
			f.held++
		case 5: // no rule
			r.Category = "instance.unlisted"
			f.unruled++
		}
		f.records = append(f.records, r)
	}
	return f
}

func (f fixture) setup(t *testing.T) (*memory.Inventory, *memory.RetentionStore) {
	t.Helper()
	st := memory.NewRetentionStore()
	if _, err := st.PlaceHold(t.Context(), retention.Hold{SubjectID: f.heldByHold, PlacedBy: "legal", Reason: "dispute", PlacedAt: t0.Add(-days(1))}); err != nil {
		t.Fatalf("PlaceHold: %v", err)
	}
	return memory.NewInventory(f.records...), st
}

func newSweeper(t *testing.T, st retention.Store, inv retention.Inventory, er retention.Eraser, opts ...retention.Option) *retention.Sweeper {
	t.Helper()
	opts = append([]retention.Option{retention.WithClock(func() time.Time { return t0 })}, opts...)
	s, err := retention.NewSweeper(testCatalog(t), st, inv, er, opts...)
	if err != nil {
		t.Fatalf("NewSweeper: %v", err)
	}
	return s
}

func TestPlan(t *testing.T) {
	t.Parallel()
	f := newFixture(120)
	inv, st := f.setup(t)
	s := newSweeper(t, st, inv, nil, retention.WithPageSize(7))
	byStatus := map[retention.Status]int{}
	got, err := s.Plan(t.Context(), func(it retention.Item) error {
		byStatus[it.Verdict.Status]++
		if it.Verdict.Status == retention.StatusHeld && len(it.Verdict.HeldBy) == 0 {
			t.Errorf("record %s held without a reason", it.Record.Key)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	want := retention.Summary{Scanned: 120, Due: 40, Held: 40, Retained: 20, Unruled: 20, Delete: 20, Anonymise: 20}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Plan summary (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[retention.Status]int{"due": 40, "held": 40, "retained": 20, "unruled": 20}, byStatus); diff != "" {
		t.Errorf("items by status (-want +got):\n%s", diff)
	}
	if n := len(inv.Erased()); n != 0 {
		t.Errorf("Plan erased %d records, want none", n)
	}
}

// TestSweepSummaryMatchesPlan checks that a sweep counts what a plan of
// the same inventory counts, unruled records included, in its summary and
// in its audit trail.
func TestSweepSummaryMatchesPlan(t *testing.T) {
	t.Parallel()
	f := newFixture(120)
	inv, st := f.setup(t)
	plan, err := newSweeper(t, st, inv, nil).Plan(t.Context(), nil)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	got, err := newSweeper(t, st, inv, inv, retention.WithBatchSize(7)).Sweep(t.Context())
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	got.Batches = 0
	if diff := cmp.Diff(plan, got); diff != "" {
		t.Errorf("sweep summary differs from the plan's (-plan +sweep):\n%s", diff)
	}
	audits, err := st.Audits(t.Context(), "retention")
	if err != nil {
		t.Fatal(err)
	}
	var unruled, retained int
	for _, a := range audits {
		unruled += a.Unruled
		retained += a.Retained
	}
	if unruled != plan.Unruled || retained != plan.Retained {
		t.Errorf("audits count %d unruled and %d retained, want %d and %d", unruled, retained, plan.Unruled, plan.Retained)
	}
}

func TestSweepHoldAndRelease(t *testing.T) {
	t.Parallel()
	f := newFixture(60)
	inv, st := f.setup(t)
	s := newSweeper(t, st, inv, inv, retention.WithBatchSize(4), retention.WithPageSize(5))
	if _, err := s.Sweep(t.Context()); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if diff := cmp.Diff(f.due, inv.Erased()); diff != "" {
		t.Fatalf("erased after the first sweep (-want +got):\n%s", diff)
	}
	holds, err := st.ActiveHolds(t.Context(), t0)
	if err != nil || len(holds) != 1 {
		t.Fatalf("ActiveHolds = %v, %v; want one hold", holds, err)
	}
	if _, err := st.ReleaseHold(t.Context(), holds[0].ID, "legal", t0); err != nil {
		t.Fatalf("ReleaseHold: %v", err)
	}
	got, err := s.Sweep(t.Context())
	if err != nil {
		t.Fatalf("Sweep after release: %v", err)
	}
	if got.Delete != 10 {
		t.Errorf("second sweep deleted %d records, want the 10 the legal hold kept", got.Delete)
	}
	for _, r := range f.records {
		if r.SubjectID == f.heldByHold && inv.Erased()[r.Key] != privacy.ActionDelete {
			t.Errorf("record %s of the released subject not deleted", r.Key)
		}
	}
}

func TestSweepGuestControllerPeriod(t *testing.T) {
	t.Parallel()
	rec := func(key, ctrl string) retention.Record {
		return retention.Record{Key: key, SubjectID: "g-" + key, Controller: ctrl, Category: "guest.it.usage",
			Times: map[privacy.Trigger]time.Time{privacy.TriggerMeetingEnded: t0.Add(-days(10))}}
	}
	inv := memory.NewInventory(rec("a", "acme"), rec("b", "globex"))
	st := memory.NewRetentionStore()
	o := retention.Override{Controller: "acme", Category: "guest.it", Period: privacy.MustParsePeriod("P7D"), SetBy: "dpo@acme", SetAt: t0}
	if err := retention.CheckOverride(testCatalog(t), o); err != nil {
		t.Fatalf("CheckOverride: %v", err)
	}
	if err := st.SetOverride(t.Context(), o); err != nil {
		t.Fatalf("SetOverride: %v", err)
	}
	if _, err := newSweeper(t, st, inv, inv).Sweep(t.Context()); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if diff := cmp.Diff(map[string]privacy.RetentionAction{"a": privacy.ActionDelete}, inv.Erased()); diff != "" {
		t.Errorf("erased (-want +got):\n%s", diff)
	}
}

// crashError is what the failing doubles return: the sweep "dies" there.
var crashError = errors.New("crash")

// crashingEraser fails its n-th Erase call, before or after erasing.
type crashingEraser struct {
	inner retention.Eraser
	n     int64
	after bool
	calls atomic.Int64
}

func (e *crashingEraser) Erase(ctx context.Context, keys []string, g *retention.Guard) ([]string, error) {
	if e.calls.Add(1) != e.n {
		return e.inner.Erase(ctx, keys, g)
	}
	if e.after {
		if _, err := e.inner.Erase(ctx, keys, g); err != nil {
			return nil, err
		}
	}
	return nil, crashError
}

// crashingStore fails its n-th Save of a pending batch or of a commit.
type crashingStore struct {
	retention.Store
	n      int64
	commit bool
	calls  atomic.Int64
}

func (s *crashingStore) Save(ctx context.Context, name, owner string, cp retention.Checkpoint, a *retention.Audit) error {
	if (s.commit && a != nil) || (!s.commit && cp.Pending != nil) {
		if s.calls.Add(1) == s.n {
			return crashError
		}
	}
	return s.Store.Save(ctx, name, owner, cp, a)
}

// TestSweepResumesExactlyOnce kills a sweep at every kind of point after k
// batches, restarts it, and checks with counts that every due record was
// erased once, by its rule's action, and audited once.
func TestSweepResumesExactlyOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(300) // 100 due records: 10 batches of 10
	kills := []struct {
		name  string
		build func(inv *memory.Inventory, st retention.Store, k int) (retention.Store, retention.Eraser, func(context.CancelFunc) retention.Option)
	}{
		{"eraser fails before erasing", func(inv *memory.Inventory, st retention.Store, k int) (retention.Store, retention.Eraser, func(context.CancelFunc) retention.Option) {
			return st, &crashingEraser{inner: inv, n: int64(k + 1)}, nil
		}},
		{"eraser dies after erasing", func(inv *memory.Inventory, st retention.Store, k int) (retention.Store, retention.Eraser, func(context.CancelFunc) retention.Option) {
			return st, &crashingEraser{inner: inv, n: int64(k + 1), after: true}, nil
		}},
		{"saving the pending batch fails", func(inv *memory.Inventory, st retention.Store, k int) (retention.Store, retention.Eraser, func(context.CancelFunc) retention.Option) {
			return &crashingStore{Store: st, n: int64(k + 1)}, inv, nil
		}},
		{"commit fails after erasing", func(inv *memory.Inventory, st retention.Store, k int) (retention.Store, retention.Eraser, func(context.CancelFunc) retention.Option) {
			return &crashingStore{Store: st, n: int64(k + 1), commit: true}, inv, nil
		}},
		{"canceled after k commits", func(inv *memory.Inventory, st retention.Store, k int) (retention.Store, retention.Eraser, func(context.CancelFunc) retention.Option) {
			return st, inv, func(cancel context.CancelFunc) retention.Option {
				return retention.WithProgress(func(p retention.Progress) {
					if p.Batch == k {
						cancel()
					}
				})
			}
		}},
	}
	for _, kill := range kills {
		for _, k := range []int{0, 1, 3, 9} {
			t.Run(fmt.Sprintf("%s/k=%d", kill.name, k), func(t *testing.T) {
				t.Parallel()
				inv, st := f.setup(t)
				first, eraser, progress := kill.build(inv, st, k)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				opts := []retention.Option{retention.WithBatchSize(10), retention.WithPageSize(7), retention.WithOwner("first")}
				if progress != nil {
					opts = append(opts, progress(cancel))
					if k == 0 {
						cancel() // killed before the first batch
					}
				}
				_, err := newSweeper(t, first, inv, eraser, opts...).Sweep(ctx)
				if err == nil {
					t.Fatalf("first Sweep: no error; the kill did not happen")
				}
				// The restarted sweeper is another process: other owner.
				if _, err := newSweeper(t, st, inv, inv, retention.WithBatchSize(10), retention.WithPageSize(7),
					retention.WithOwner("second")).Sweep(t.Context()); err != nil {
					t.Fatalf("resumed Sweep: %v", err)
				}
				if diff := cmp.Diff(f.due, inv.Erased()); diff != "" {
					t.Errorf("erased records (-want +got):\n%s", diff)
				}
				audits, err := st.Audits(t.Context(), "retention")
				if err != nil {
					t.Fatalf("Audits: %v", err)
				}
				deleted, anonymised, scanned := 0, 0, 0
				for i, a := range audits {
					if a.Seq != i+1 {
						t.Errorf("audit %d has Seq %d: a batch was audited twice or skipped", i, a.Seq)
					}
					deleted += a.Deleted
					anonymised += a.Anonymised
					scanned += a.Scanned
				}
				wantDeleted, wantAnon := 0, 0
				for _, a := range f.due {
					if a == privacy.ActionDelete {
						wantDeleted++
					} else {
						wantAnon++
					}
				}
				got := []int{deleted, anonymised, scanned}
				if diff := cmp.Diff([]int{wantDeleted, wantAnon, len(f.records)}, got); diff != "" {
					t.Errorf("audited deleted, anonymised, scanned (-want +got):\n%s", diff)
				}
				cp, err := st.Acquire(t.Context(), "retention", "checker", t0, t0.Add(time.Minute))
				if err != nil {
					t.Fatalf("Acquire after the sweep: %v", err)
				}
				if diff := cmp.Diff(retention.Checkpoint{}, cp); diff != "" {
					t.Errorf("checkpoint after a finished sweep (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestSweepLease(t *testing.T) {
	t.Parallel()
	f := newFixture(60)
	inv, st := f.setup(t)
	if _, err := st.Acquire(t.Context(), "retention", "other", t0, t0.Add(time.Minute)); err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	_, err := newSweeper(t, st, inv, inv).Sweep(t.Context())
	if !errors.Is(err, retention.ErrLocked) || !errors.Is(err, privacy.ErrConflict) {
		t.Fatalf("Sweep while another holds the lease: error %v, want ErrLocked", err)
	}
	if n := len(inv.Erased()); n != 0 {
		t.Errorf("a locked-out sweeper erased %d records", n)
	}
	// The lease lapses: a sweeper whose clock is past it takes over.
	late := func() time.Time { return t0.Add(2 * time.Minute) }
	if _, err := newSweeper(t, st, inv, inv, retention.WithClock(late)).Sweep(t.Context()); err != nil {
		t.Fatalf("Sweep after the lease lapsed: %v", err)
	}
	if err := st.Save(t.Context(), "retention", "other", retention.Checkpoint{}, nil); !errors.Is(err, retention.ErrLeaseLost) {
		t.Errorf("Save by the owner who lost the lease: error %v, want ErrLeaseLost", err)
	}
}

func TestSweepConcurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(600)
	inv, st := f.setup(t)
	counting := &countingEraser{inner: inv, seen: map[string]int{}}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			s := newSweeper(t, st, inv, counting, retention.WithBatchSize(5), retention.WithOwner(fmt.Sprintf("s-%d", i)))
			for {
				_, err := s.Sweep(t.Context())
				if errors.Is(err, retention.ErrLocked) {
					time.Sleep(time.Millisecond)
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
	if diff := cmp.Diff(f.due, inv.Erased()); diff != "" {
		t.Errorf("erased (-want +got):\n%s", diff)
	}
	for k, n := range counting.snapshot() {
		if n != 1 {
			t.Errorf("record %s handed to the eraser %d times", k, n)
		}
	}
}

// countingEraser counts how often each key reaches the eraser.
type countingEraser struct {
	inner retention.Eraser
	mu    sync.Mutex
	seen  map[string]int
}

func (e *countingEraser) Erase(ctx context.Context, keys []string, g *retention.Guard) ([]string, error) {
	e.mu.Lock()
	for _, k := range keys {
		e.seen[k]++
	}
	e.mu.Unlock()
	return e.inner.Erase(ctx, keys, g)
}

func (e *countingEraser) snapshot() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.seen)
}

// TestSweepStalledSweeperStops lets a sweeper stall past its lease while
// another finishes the sweep; the stalled one must not commit anything.
func TestSweepStalledSweeperStops(t *testing.T) {
	t.Parallel()
	f := newFixture(120)
	inv, st := f.setup(t)
	var clock atomic.Int64 // minutes after t0
	now := func() time.Time { return t0.Add(time.Duration(clock.Load()) * time.Minute) }
	var stalled *retention.Sweeper
	stalled = newSweeper(t, st, inv, inv, retention.WithClock(now), retention.WithOwner("stalled"),
		retention.WithBatchSize(5), retention.WithLease(time.Minute),
		retention.WithProgress(func(p retention.Progress) {
			if p.Batch != 1 {
				return
			}
			// Stall: the lease lapses and another sweeper runs the sweep
			// to its end.
			clock.Store(10)
			other := newSweeper(t, st, inv, inv, retention.WithClock(now), retention.WithOwner("other"), retention.WithBatchSize(5))
			if _, err := other.Sweep(t.Context()); err != nil {
				t.Errorf("other Sweep: %v", err)
			}
		}))
	_, err := stalled.Sweep(t.Context())
	if !errors.Is(err, retention.ErrLeaseLost) {
		t.Fatalf("stalled Sweep: error %v, want ErrLeaseLost", err)
	}
	audits, err := st.Audits(t.Context(), "retention")
	if err != nil {
		t.Fatalf("Audits: %v", err)
	}
	erased := 0
	for _, a := range audits {
		erased += a.Deleted + a.Anonymised
	}
	if erased != len(f.due) {
		t.Errorf("audits count %d erased records, want %d (each once)", erased, len(f.due))
	}
}

// NewSweeper refuses a nil clock (Sweep panicked) and a name or owner that
// is no id: a blank name or owner keyed the checkpoint and lease under
// nothing, and a NUL in either was kept by the memory store and refused
// by PostgreSQL mid-sweep.
func TestNewSweeperRefusesBadNameOwnerClock(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		opt   retention.Option
		field string
	}{
		"nil clock":   {retention.WithClock(nil), "WithClock"},
		"empty name":  {retention.WithName(""), "WithName"},
		"NUL name":    {retention.WithName("retention\x00"), "WithName"},
		"blank owner": {retention.WithOwner(" "), "WithOwner"},
	} {
		inv := memory.NewInventory()
		_, err := retention.NewSweeper(testCatalog(t), memory.NewRetentionStore(), inv, inv, tc.opt)
		var ve *privacy.ValidationError
		if !asValidation(err, &ve) || ve.Field != tc.field {
			t.Errorf("%s: got %v, want a *privacy.ValidationError naming %s", name, err, tc.field)
		}
	}
}
