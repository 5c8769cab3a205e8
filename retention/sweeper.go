package retention

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/privacykit/privacy"
)

// Sweeper plans and executes the retention of one inventory.
type Sweeper struct {
	catalog  *privacy.Catalog
	store    Store
	inv      Inventory
	eraser   Eraser
	name     string
	owner    string
	now      func() time.Time
	batch    int
	page     int
	lease    time.Duration
	progress func(Progress)
	log      *slog.Logger
	tracer   trace.Tracer
}

// Option configures a Sweeper.
type Option func(*Sweeper)

// WithClock sets the clock the sweeper judges retention and leases by;
// the default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *Sweeper) { s.now = now } }

// WithBatchSize sets how many records one batch erases (default 1000):
// the unit of erasure, audit and checkpoint.
func WithBatchSize(n int) Option { return func(s *Sweeper) { s.batch = n } }

// WithPageSize sets how many records the sweeper asks the inventory for
// at a time (default 1000).
func WithPageSize(n int) Option { return func(s *Sweeper) { s.page = n } }

// WithName names the sweep (default "retention"): the key of its
// checkpoint, lease and audit trail. Sweepers of different inventories
// sharing a store need different names.
func WithName(name string) Option { return func(s *Sweeper) { s.name = name } }

// WithOwner names this sweeper in leases and audit records (default: a
// random id).
func WithOwner(owner string) Option { return func(s *Sweeper) { s.owner = owner } }

// WithLease sets how long a lease lasts without renewal (default five
// minutes). The sweeper renews it before every batch, so a batch must take
// less.
func WithLease(d time.Duration) Option { return func(s *Sweeper) { s.lease = d } }

// WithProgress sets a function called after every committed batch.
func WithProgress(fn func(Progress)) Option { return func(s *Sweeper) { s.progress = fn } }

// WithLogger sets the logger for sweep events (default: none).
func WithLogger(l *slog.Logger) Option { return func(s *Sweeper) { s.log = l } }

// Progress reports a running sweep after each committed batch. Counts are
// those of this call of Sweep; the audit trail has the sweep's totals.
type Progress struct {
	SweepID    string
	Batch      int // the batch's Seq
	Scanned    int
	Deleted    int
	Anonymised int
	Held       int
	Retained   int
	Unruled    int
	LastKey    string
}

// NewSweeper returns a sweeper of the inventory under the catalog's
// rules, keeping holds, overrides and checkpoints in store. eraser may be
// nil for a sweeper that only plans.
func NewSweeper(c *privacy.Catalog, store Store, inv Inventory, eraser Eraser, opts ...Option) (*Sweeper, error) {
	if c == nil || store == nil || inv == nil {
		return nil, errors.New("new sweeper: catalog, store and inventory are required")
	}
	s := &Sweeper{catalog: c, store: store, inv: inv, eraser: eraser,
		name: "retention", now: time.Now, batch: 1000, page: 1000, lease: 5 * time.Minute, tracer: defaultTracer()}
	for _, o := range opts {
		o(s)
	}
	if s.owner == "" {
		s.owner = "sweeper-" + randomID()
	}
	if s.batch <= 0 || s.page <= 0 || s.lease <= 0 {
		return nil, errors.New("new sweeper: batch size, page size and lease must be positive")
	}
	if s.now == nil {
		return nil, &privacy.ValidationError{Field: "WithClock", Message: "is nil"}
	}
	// The name keys the checkpoint, lease and audit trail in every store,
	// the owner the lease: ids as every other (PostgreSQL refuses NUL; a
	// blank name or owner names nothing).
	if err := cmp.Or(privacy.CheckID("WithName", s.name), privacy.CheckID("WithOwner", s.owner)); err != nil {
		return nil, fmt.Errorf("new sweeper: %w", err)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

func randomID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Item is one record of a plan with its verdict.
type Item struct {
	Record  Record  `json:"record"`
	Verdict Verdict `json:"verdict"`
}

// Summary counts a plan's or a sweep's records by status, and the due
// records by action.
type Summary struct {
	Scanned   int `json:"scanned"`
	Due       int `json:"due"`
	Held      int `json:"held"`
	Retained  int `json:"retained"`
	Unruled   int `json:"unruled"`
	Delete    int `json:"delete"`
	Anonymise int `json:"anonymise"`
	Batches   int `json:"batches,omitempty"`
	// Spared counts records a sweep found due but its Eraser's guard kept
	// at the moment of erasure (Audit.Spared).
	Spared  int  `json:"spared,omitempty"`
	Resumed bool `json:"resumed,omitempty"`
}

func (sum *Summary) add(v Verdict) {
	sum.Scanned++
	switch v.Status {
	case StatusDue:
		sum.Due++
		if v.Action == privacy.ActionAnonymise {
			sum.Anonymise++
		} else {
			sum.Delete++
		}
	case StatusHeld:
		sum.Held++
	case StatusRetained:
		sum.Retained++
	case StatusUnruled:
		sum.Unruled++
	}
}

// schedule loads the controllers' overrides and returns the schedule.
func (s *Sweeper) schedule(ctx context.Context) (*Schedule, error) {
	os, err := s.store.Overrides(ctx)
	if err != nil {
		return nil, fmt.Errorf("load retention overrides: %w", err)
	}
	return NewSchedule(s.catalog, os)
}

// Plan is a dry run: it streams the inventory and calls fn (which may be
// nil) with every record and its verdict at the clock's time, changing
// nothing. It returns the counts. An error from fn stops the plan and is
// returned.
func (s *Sweeper) Plan(ctx context.Context, fn func(Item) error) (Summary, error) {
	var sum Summary
	sched, err := s.schedule(ctx)
	if err != nil {
		return sum, err
	}
	at := s.now()
	holds, err := s.store.ActiveHolds(ctx, at)
	if err != nil {
		return sum, fmt.Errorf("load holds: %w", err)
	}
	after := ""
	for {
		recs, err := s.inv.Records(ctx, after, s.page)
		if err != nil {
			return sum, fmt.Errorf("read inventory after %q: %w", after, err)
		}
		for i := range recs {
			v := sched.Evaluate(&recs[i], holds, at)
			sum.add(v)
			if fn != nil {
				if err := fn(Item{Record: recs[i], Verdict: v}); err != nil {
					return sum, err
				}
			}
		}
		if len(recs) < s.page {
			return sum, nil
		}
		after = recs[len(recs)-1].Key
	}
}

// Sweep erases every record due at the sweep's cutoff, in batches. It
// takes the sweep's lease (an error wrapping ErrLocked when another
// sweeper holds it), finishes a batch a killed sweep left pending,
// resumes after the checkpoint, and for each batch saves it as pending,
// erases it, then commits the checkpoint with an Audit record and calls
// the progress function. A sweep that returns an error, or is killed, is
// resumed by the next call. The Summary counts this call's records.
func (s *Sweeper) Sweep(ctx context.Context) (sum Summary, err error) {
	ctx, span := s.tracer.Start(ctx, "privacy.retention.sweep",
		trace.WithAttributes(attribute.String("privacy.sweep", s.name)))
	defer func() {
		span.SetAttributes(summaryAttributes(sum)...)
		endSpan(span, err)
	}()
	return s.sweep(ctx, span)
}

func (s *Sweeper) sweep(ctx context.Context, span trace.Span) (Summary, error) {
	var sum Summary
	if s.eraser == nil {
		return sum, errors.New("sweep: the sweeper has no eraser")
	}
	now := s.now()
	cp, err := s.store.Acquire(ctx, s.name, s.owner, now, now.Add(s.lease))
	if err != nil {
		return sum, fmt.Errorf("sweep %s: %w", s.name, err)
	}
	defer func() {
		// Release even when ctx is canceled, so that the next sweep need
		// not wait for the lease to lapse.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := s.store.Release(rctx, s.name, s.owner); err != nil {
			s.log.WarnContext(ctx, "release retention sweep lease", "sweep", s.name, "err", err)
		}
	}()

	// The schedule is loaded by this call, not kept from the one that
	// crashed: a pending batch is judged by the rules and choices of now.
	sched, err := s.schedule(ctx)
	if err != nil {
		return sum, err
	}
	if cp.Pending != nil {
		sum.Resumed = true
		s.log.InfoContext(ctx, "finishing pending retention batch", "sweep", s.name, "sweep_id", cp.SweepID, "batch", cp.Pending.Seq)
		if cp, err = s.execute(ctx, sched, cp, *cp.Pending, &sum); err != nil {
			return sum, err
		}
	}
	if cp.SweepID == "" {
		cp = Checkpoint{SweepID: randomID(), Cutoff: now.UTC()}
		if err := s.store.Save(ctx, s.name, s.owner, cp, nil); err != nil {
			return sum, fmt.Errorf("sweep %s: start: %w", s.name, err)
		}
	} else {
		sum.Resumed = true
	}
	span.SetAttributes(attribute.String("privacy.retention.sweep_id", cp.SweepID))
	for {
		b, end, err := s.collect(ctx, sched, cp)
		if err != nil {
			return sum, err
		}
		if len(b.Delete)+len(b.Anonymise) > 0 || (end && b.Scanned > 0) {
			// Renew the lease before saving the batch: a lease that
			// lapsed and was taken over fails here or at Save.
			now := s.now()
			got, err := s.store.Acquire(ctx, s.name, s.owner, now, now.Add(s.lease))
			if err != nil {
				return sum, fmt.Errorf("sweep %s: renew lease: %w", s.name, err)
			}
			if got.SweepID != cp.SweepID || got.Batches != cp.Batches || got.Pending != nil {
				// The lease lapsed and another sweeper moved the sweep on
				// (and perhaps finished and released it): our view is
				// stale.
				return sum, fmt.Errorf("sweep %s: renew lease: %w: the checkpoint moved on", s.name, ErrLeaseLost)
			}
			b.Seq = cp.Batches + 1
			cp.Pending = &b
			if err := s.store.Save(ctx, s.name, s.owner, cp, nil); err != nil {
				return sum, fmt.Errorf("sweep %s: save batch %d: %w", s.name, b.Seq, err)
			}
			if cp, err = s.execute(ctx, sched, cp, b, &sum); err != nil {
				return sum, err
			}
		}
		if end {
			if err := s.store.Save(ctx, s.name, s.owner, Checkpoint{}, nil); err != nil {
				return sum, fmt.Errorf("sweep %s: finish: %w", s.name, err)
			}
			s.log.InfoContext(ctx, "retention sweep finished", "sweep", s.name, "deleted", sum.Delete, "anonymised", sum.Anonymise, "held", sum.Held)
			return sum, nil
		}
	}
}

// collect reads the inventory after the checkpoint until it has a full
// batch of due records or reaches the end.
func (s *Sweeper) collect(ctx context.Context, sched *Schedule, cp Checkpoint) (Batch, bool, error) {
	// Holds are read per batch so that a hold placed during a long sweep
	// takes effect at once; they are judged at the clock's time, not the
	// cutoff, for the same reason.
	now := s.now()
	holds, err := s.store.ActiveHolds(ctx, now)
	if err != nil {
		return Batch{}, false, fmt.Errorf("sweep %s: load holds: %w", s.name, err)
	}
	b := Batch{LastKey: cp.After}
	for {
		recs, err := s.inv.Records(ctx, b.LastKey, s.page)
		if err != nil {
			return Batch{}, false, fmt.Errorf("sweep %s: read inventory after %q: %w", s.name, b.LastKey, err)
		}
		for i := range recs {
			v := sched.Evaluate(&recs[i], holds, cp.Cutoff)
			if v.Status == StatusDue && len(held(holds, &recs[i], now)) > 0 {
				v.Status = StatusHeld
			}
			b.LastKey = recs[i].Key
			b.Scanned++
			switch v.Status {
			case StatusDue:
				if v.Action == privacy.ActionAnonymise {
					b.Anonymise = append(b.Anonymise, recs[i].Key)
				} else {
					b.Delete = append(b.Delete, recs[i].Key)
				}
			case StatusHeld:
				b.Held++
			case StatusUnruled:
				b.Unruled++
			default:
				b.Retained++
			}
			if len(b.Delete)+len(b.Anonymise) >= s.batch {
				return b, false, nil
			}
		}
		if len(recs) < s.page {
			return b, true, nil
		}
	}
}

// held returns the holds active at now that cover the record (a hold
// placed after the cutoff still wins).
func held(holds []Hold, r *Record, now time.Time) []Hold {
	var out []Hold
	for i := range holds {
		if holds[i].ActiveAt(now) && holds[i].Covers(r.SubjectID, r.Category) {
			out = append(out, holds[i])
		}
	}
	return out
}

// execute erases a saved batch and commits it with its audit record. The
// Eraser re-checks every record against a guard at the moment it erases
// it: the batch was judged when it was collected, perhaps by a sweep that
// crashed long ago.
func (s *Sweeper) execute(ctx context.Context, sched *Schedule, cp Checkpoint, b Batch, sum *Summary) (_ Checkpoint, err error) {
	ctx, span := s.tracer.Start(ctx, "privacy.retention.batch", trace.WithAttributes(
		attribute.String("privacy.sweep", s.name), attribute.String("privacy.retention.sweep_id", cp.SweepID),
		attribute.Int("privacy.retention.batch", b.Seq), attribute.Int("privacy.retention.scanned", b.Scanned),
		attribute.Int("privacy.retention.held", b.Held)))
	var a *Audit
	defer func() {
		if a != nil {
			span.SetAttributes(attribute.Int("privacy.retention.deleted", a.Deleted),
				attribute.Int("privacy.retention.anonymised", a.Anonymised), attribute.Int("privacy.retention.spared", a.Spared))
		}
		endSpan(span, err)
	}()
	erase := func(action privacy.RetentionAction, keys []string) (int, error) {
		spared, err := s.eraser.Erase(ctx, keys, NewGuard(sched, s.store, action, cp.Cutoff, s.now()))
		return len(spared), err
	}
	if len(b.Delete) > 0 && !b.Deleted {
		n, err := erase(privacy.ActionDelete, b.Delete)
		if err != nil {
			return cp, fmt.Errorf("sweep %s: batch %d: delete: %w", s.name, b.Seq, err)
		}
		b.SparedDelete = n
		if len(b.Anonymise) > 0 {
			// Narrow what a resumed sweep repeats to the part not done.
			b.Deleted = true
			cp.Pending = &b
			if err := s.store.Save(ctx, s.name, s.owner, cp, nil); err != nil {
				return cp, fmt.Errorf("sweep %s: batch %d: save: %w", s.name, b.Seq, err)
			}
		}
	}
	sparedAnon := 0
	if len(b.Anonymise) > 0 {
		var err error
		if sparedAnon, err = erase(privacy.ActionAnonymise, b.Anonymise); err != nil {
			return cp, fmt.Errorf("sweep %s: batch %d: anonymise: %w", s.name, b.Seq, err)
		}
	}
	a = &Audit{
		Sweep: s.name, SweepID: cp.SweepID, Seq: b.Seq, Owner: s.owner, Cutoff: cp.Cutoff, At: s.now().UTC(),
		FirstKey: cp.After, LastKey: b.LastKey,
		Deleted: len(b.Delete) - b.SparedDelete, Anonymised: len(b.Anonymise) - sparedAnon,
		Scanned: b.Scanned, Held: b.Held, Retained: b.Retained, Unruled: b.Unruled,
		Spared: b.SparedDelete + sparedAnon,
	}
	next := Checkpoint{SweepID: cp.SweepID, Cutoff: cp.Cutoff, After: b.LastKey, Batches: b.Seq}
	if err := s.store.Save(ctx, s.name, s.owner, next, a); err != nil {
		return cp, fmt.Errorf("sweep %s: commit batch %d: %w", s.name, b.Seq, err)
	}
	sum.Batches++
	sum.Scanned += b.Scanned
	sum.Delete += a.Deleted
	sum.Anonymise += a.Anonymised
	sum.Due += a.Deleted + a.Anonymised
	sum.Spared += a.Spared
	sum.Held += b.Held
	sum.Retained += b.Retained
	sum.Unruled += b.Unruled
	if s.progress != nil {
		s.progress(Progress{SweepID: cp.SweepID, Batch: b.Seq, Scanned: sum.Scanned, Deleted: sum.Delete,
			Anonymised: sum.Anonymise, Held: sum.Held, Retained: sum.Retained, Unruled: sum.Unruled, LastKey: b.LastKey})
	}
	return next, nil
}
