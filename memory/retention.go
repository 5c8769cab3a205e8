package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/retention"
)

var (
	_ retention.Store     = (*RetentionStore)(nil)
	_ retention.Inventory = (*Inventory)(nil)
	_ retention.Eraser    = (*Inventory)(nil)
)

// RetentionStore keeps legal holds, controllers' retention choices and
// sweep checkpoints in memory.
type RetentionStore struct {
	mu        sync.Mutex
	holds     []retention.Hold
	nextHold  int
	overrides map[[2]string]retention.Override
	sweeps    map[string]*sweepState
}

type sweepState struct {
	owner string
	until time.Time
	cp    retention.Checkpoint
	audit []retention.Audit
}

// NewRetentionStore returns an empty store.
func NewRetentionStore() *RetentionStore {
	return &RetentionStore{overrides: map[[2]string]retention.Override{}, sweeps: map[string]*sweepState{}}
}

// PlaceHold validates and stores a hold, assigning an ID ("hold-N") when
// it has none.
func (s *RetentionStore) PlaceHold(ctx context.Context, h retention.Hold) (retention.Hold, error) {
	if err := ctx.Err(); err != nil {
		return retention.Hold{}, err
	}
	if err := h.Validate(); err != nil {
		return retention.Hold{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if h.ID == "" {
		s.nextHold++
		h.ID = fmt.Sprintf("hold-%d", s.nextHold)
	}
	for _, x := range s.holds {
		if x.ID == h.ID {
			return retention.Hold{}, fmt.Errorf("place hold %s: %w: id taken", h.ID, privacy.ErrConflict)
		}
	}
	h.ReleasedAt, h.ReleasedBy = time.Time{}, ""
	s.holds = append(s.holds, h)
	return h, nil
}

// ReleaseHold ends the hold with the id.
func (s *RetentionStore) ReleaseHold(ctx context.Context, id, by string, at time.Time) (retention.Hold, error) {
	if err := ctx.Err(); err != nil {
		return retention.Hold{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.holds {
		h := &s.holds[i]
		if h.ID != id {
			continue
		}
		if !h.ReleasedAt.IsZero() {
			return retention.Hold{}, fmt.Errorf("release hold %s: %w: already released", id, privacy.ErrConflict)
		}
		if err := retention.CheckRelease(*h, by, at); err != nil {
			return retention.Hold{}, fmt.Errorf("release hold %s: %w", id, err)
		}
		h.ReleasedAt, h.ReleasedBy = at, by
		return *h, nil
	}
	return retention.Hold{}, fmt.Errorf("release hold %s: %w", id, privacy.ErrNotFound)
}

// ActiveHolds returns the holds active at the time, ordered by PlacedAt
// and ID.
func (s *RetentionStore) ActiveHolds(ctx context.Context, at time.Time) ([]retention.Hold, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activeHolds(at), nil
}

// activeHolds returns the holds active at the time; s.mu is held.
func (s *RetentionStore) activeHolds(at time.Time) []retention.Hold {
	out := []retention.Hold{}
	for _, h := range s.holds {
		if h.ActiveAt(at) {
			out = append(out, h)
		}
	}
	slices.SortStableFunc(out, func(a, b retention.Hold) int {
		return cmp.Or(a.PlacedAt.Compare(b.PlacedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// SetOverride stores a controller's choice; a zero Period removes it.
func (s *RetentionStore) SetOverride(ctx context.Context, o retention.Override) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	o.SetAt = o.SetAt.UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{o.Controller, o.Category}
	if o.Period.IsZero() {
		delete(s.overrides, k)
	} else {
		s.overrides[k] = o
	}
	return nil
}

// Overrides returns every choice, ordered by controller and category.
func (s *RetentionStore) Overrides(ctx context.Context) ([]retention.Override, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []retention.Override{}
	for _, o := range s.overrides {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Controller < out[j].Controller ||
			(out[i].Controller == out[j].Controller && out[i].Category < out[j].Category)
	})
	return out, nil
}

// Acquire takes or renews the lease on the named sweep.
func (s *RetentionStore) Acquire(ctx context.Context, name, owner string, now, until time.Time) (retention.Checkpoint, error) {
	if err := ctx.Err(); err != nil {
		return retention.Checkpoint{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.sweeps[name]
	if st == nil {
		st = &sweepState{}
		s.sweeps[name] = st
	}
	if st.owner != "" && st.owner != owner && st.until.After(now) {
		return retention.Checkpoint{}, fmt.Errorf("acquire sweep %s: %w (owner %s)", name, retention.ErrLocked, st.owner)
	}
	st.owner, st.until = owner, until
	return cloneCheckpoint(st.cp), nil
}

// Save stores the checkpoint and appends the audit record, if owner holds
// the lease.
func (s *RetentionStore) Save(ctx context.Context, name, owner string, cp retention.Checkpoint, a *retention.Audit) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.sweeps[name]
	if st == nil || st.owner != owner {
		return fmt.Errorf("save sweep %s: %w", name, retention.ErrLeaseLost)
	}
	st.cp = cloneCheckpoint(cp)
	if a != nil {
		st.audit = append(st.audit, *a)
	}
	return nil
}

// Release gives up owner's lease.
func (s *RetentionStore) Release(ctx context.Context, name, owner string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.sweeps[name]; st != nil && st.owner == owner {
		st.owner, st.until = "", time.Time{}
	}
	return nil
}

// Audits returns the named sweep's audit records in order.
func (s *RetentionStore) Audits(ctx context.Context, name string) ([]retention.Audit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []retention.Audit{}
	if st := s.sweeps[name]; st != nil {
		out = append(out, st.audit...)
	}
	return out, nil
}

func cloneCheckpoint(cp retention.Checkpoint) retention.Checkpoint {
	if cp.Pending != nil {
		b := *cp.Pending
		b.Delete = slices.Clone(b.Delete)
		b.Anonymise = slices.Clone(b.Anonymise)
		cp.Pending = &b
	}
	return cp
}

// Inventory is an in-memory inventory and eraser: a test double for a
// service's records, and the inventory of examples. It counts what it
// erases, so that tests can check that every record was erased exactly
// once.
type Inventory struct {
	mu      sync.Mutex
	records map[string]retention.Record
	keys    []string // sorted; rebuilt lazily
	sorted  bool
	erased  map[string]privacy.RetentionAction
}

// NewInventory returns an inventory holding the records, which are
// written in the code (tests, examples): it panics when one fails
// retention.Record.Validate, as regexp.MustCompile does. Records from
// elsewhere go in with Put or Add, which return the error.
func NewInventory(records ...retention.Record) *Inventory {
	inv := &Inventory{records: map[string]retention.Record{}, erased: map[string]privacy.RetentionAction{}}
	if err := inv.Put(context.Background(), records); err != nil {
		panic("memory.NewInventory: " + err.Error())
	}
	return inv
}

// Add adds or replaces a record; one that fails retention.Record.Validate
// is a *privacy.ValidationError naming the field, and nothing is added.
func (inv *Inventory) Add(r retention.Record) error {
	if err := r.Validate(); err != nil {
		return err
	}
	inv.add(r)
	return nil
}

func (inv *Inventory) add(r retention.Record) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if _, ok := inv.records[r.Key]; !ok {
		inv.keys = append(inv.keys, r.Key)
		inv.sorted = false
	}
	inv.records[r.Key] = r
}

// Put adds or replaces records, all or none: a record Validate refuses is
// a *privacy.ValidationError naming it (records[i].field).
func (inv *Inventory) Put(ctx context.Context, recs []retention.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range recs {
		if err := recs[i].Validate(); err != nil {
			return retention.RecordError(i, err)
		}
	}
	for _, r := range recs {
		inv.add(r)
	}
	return nil
}

// Records returns up to limit records with keys after the key after, in
// key order.
func (inv *Inventory) Records(ctx context.Context, after string, limit int) ([]retention.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if !inv.sorted {
		slices.Sort(inv.keys)
		inv.sorted = true
	}
	i, _ := slices.BinarySearch(inv.keys, after)
	out := []retention.Record{}
	for ; i < len(inv.keys) && len(out) < limit; i++ {
		k := inv.keys[i]
		if k == after {
			continue
		}
		if _, gone := inv.erased[k]; gone {
			continue
		}
		out = append(out, inv.records[k])
	}
	return out, nil
}

// Erase marks erased by the guard's action the records the guard allows,
// judged as they stand, and returns the keys it refused; a record already
// erased or unknown is skipped. When the guard's holds are kept in a
// memory RetentionStore, that store is locked for the whole call, so that
// no hold is placed between the check and the erasure.
func (inv *Inventory) Erase(ctx context.Context, keys []string, guard *retention.Guard) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var holds []retention.Hold
	if rs, ok := guard.HoldStore().(*RetentionStore); ok {
		rs.mu.Lock()
		defer rs.mu.Unlock()
		holds = rs.activeHolds(guard.Now())
	} else {
		var err error
		if holds, err = guard.Holds(ctx); err != nil {
			return nil, err
		}
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	var spared []string
	for _, k := range keys {
		r, ok := inv.records[k]
		if !ok {
			continue
		}
		if _, gone := inv.erased[k]; gone {
			continue
		}
		if !guard.Allows(&r, holds) {
			spared = append(spared, k)
			continue
		}
		inv.erased[k] = guard.Action()
	}
	return spared, nil
}

// Erased returns the keys erased so far with the action that erased each.
func (inv *Inventory) Erased() map[string]privacy.RetentionAction {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	out := make(map[string]privacy.RetentionAction, len(inv.erased))
	for k, v := range inv.erased {
		out[k] = v
	}
	return out
}
