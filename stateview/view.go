package stateview

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/subject"
)

// DefaultSize is how many subjects a View holds unless WithSize says
// otherwise.
const DefaultSize = 100_000

// DefaultMaxStaleness is how long a view whose feed vouches for it
// (Vouch) answers from memory after the last vouch, unless
// WithMaxStaleness says otherwise.
const DefaultMaxStaleness = 5 * time.Second

// shardCount spreads the subjects over locks, so that readers on two cores
// rarely meet.
const shardCount = 64

// View holds the consent records and state of recently read subjects in
// memory and answers decisions' reads from there. It is safe for concurrent
// use. Create one with New, or with the DB.View method of the sqlite and
// postgres packages, which keep it current.
type View struct {
	consents consent.Store
	subjects subject.StateReader
	perShard int
	seed     maphash.Seed
	live     atomic.Bool
	shards   [shardCount]shard

	// maxStale bounds how long after the last Vouch the view answers from
	// memory; vouched is that vouch's time plus maxStale, in nanoseconds
	// of the monotonic clock since base, or 0 while no feed vouches.
	maxStale time.Duration
	base     time.Time
	vouched  atomic.Int64

	hits, misses, bypassed, forgotten atomic.Uint64
	// paused and stale count the reads that went to the stores because
	// the view was paused or its last vouch had lapsed (of bypassed).
	paused, stale atomic.Uint64

	meterProvider metric.MeterProvider
	// metrics is the registration of the view's observable instruments
	// (instrument), nil when the provider refused them; Close ends it.
	metrics   metric.Registration
	closeOnce sync.Once
}

type shard struct {
	mu sync.RWMutex
	// epoch counts the forgets of the shard: a read that fetched from the
	// store keeps what it fetched only if the epoch did not move meanwhile,
	// so that a write that committed during the fetch is never hidden.
	epoch uint64
	m     map[string]*entry
	_     [64]byte // keeps neighbouring shards off one cache line
}

// entry is what the view knows of one subject. It is never changed once
// in the map: a read that learns more replaces it.
type entry struct {
	// consents are the subject's records in ledger order, cut to the
	// fields consent.StateAt reads; nil until a consent read.
	consents []consent.Record
	state    *subject.State
}

// Option configures a View.
type Option func(*View)

// WithSize bounds the view to n subjects (at least one per shard of the
// view, 64); when it is full, reading a new subject drops another.
func WithSize(n int) Option {
	return func(v *View) { v.perShard = max(1, (n+shardCount-1)/shardCount) }
}

// WithMaxStaleness bounds how long the view answers from memory after its
// feed last vouched that no change was missed (Vouch): past that, until
// the next vouch, every read goes to the stores. Default
// DefaultMaxStaleness. It applies only to views whose feed vouches (the
// postgres package's DB.View, which takes its heartbeat from it).
func WithMaxStaleness(d time.Duration) Option {
	return func(v *View) { v.maxStale = d }
}

// New returns a live view reading from consents and subjects. The view
// knows of no write by itself: whoever writes to the stores must call
// Forget with the subject after each write commits, and Pause while it
// cannot tell (see the package documentation). The sqlite and postgres
// packages' DB.View do this for their stores.
func New(consents consent.Store, subjects subject.StateReader, opts ...Option) *View {
	v := &View{consents: consents, subjects: subjects, seed: maphash.MakeSeed(),
		maxStale: DefaultMaxStaleness, base: time.Now()}
	WithSize(DefaultSize)(v)
	for _, o := range opts {
		o(v)
	}
	if v.maxStale <= 0 {
		v.maxStale = DefaultMaxStaleness
	}
	for i := range v.shards {
		v.shards[i].m = map[string]*entry{}
	}
	v.live.Store(true)
	v.instrument()
	return v
}

// MaxStaleness returns the view's bound (WithMaxStaleness).
func (v *View) MaxStaleness() time.Duration { return v.maxStale }

// Vouch tells the view that every change committed before at has been
// delivered to it (Forget called for it): a heartbeat of its feed, such as
// a round trip on the connection that carries the notifications. From the
// first Vouch on, the view answers from memory only until at plus
// MaxStaleness; a feed that stops vouching (a network partition that
// closes nothing) therefore sends every read to the stores within that
// time, without the feed having to notice. A vouch older than the last is
// ignored.
func (v *View) Vouch(at time.Time) {
	until := int64(at.Sub(v.base)+v.maxStale) | 1 // never 0
	for {
		old := v.vouched.Load()
		if (old != 0 && old >= until) || v.vouched.CompareAndSwap(old, until) {
			return
		}
	}
}

// serving reports whether the view may answer from memory and keep what it
// reads: not paused and, when a feed vouches, vouched for.
func (v *View) serving() bool {
	return v.live.Load() && v.vouchHolds()
}

// vouchHolds reports whether no feed vouches or the last vouch is younger
// than MaxStaleness.
func (v *View) vouchHolds() bool {
	until := v.vouched.Load()
	return until == 0 || int64(time.Since(v.base)) < until
}

// readsThrough reports whether a read of the subject must go to the
// stores, counting it: a read of no subject, or any read while the view is
// paused or its last vouch lapsed (a fail-closed read).
func (v *View) readsThrough(subjectID string) bool {
	switch {
	case subjectID == "":
	case !v.live.Load():
		v.paused.Add(1)
	case !v.vouchHolds():
		v.stale.Add(1)
	default:
		return false
	}
	v.bypassed.Add(1)
	return true
}

// Staleness returns how long ago the view's feed last vouched for it
// (Vouch): the age of the newest heartbeat answered, which bounds how far
// the view may lag behind the stores. ok is false while no feed vouches
// (a view made by New alone, or a sqlite DB.View).
func (v *View) Staleness() (d time.Duration, ok bool) {
	until := v.vouched.Load()
	if until == 0 {
		return 0, false
	}
	return max(0, time.Since(v.base)-(time.Duration(until)-v.maxStale)), true
}

// Consents returns the view's consent.Reader, for policies.WithConsents.
func (v *View) Consents() consent.Reader { return consentReader{v} }

// Subjects returns the view's subject.StateReader, for
// policies.WithSubjects.
func (v *View) Subjects() subject.StateReader { return subjectReader{v} }

// Forget drops what the view holds of the subject; "" drops everything. A
// read that started before Forget and fetched from the store does not keep
// what it fetched.
func (v *View) Forget(subjectID string) {
	if subjectID == "" {
		v.ForgetAll()
		return
	}
	sh := v.shard(subjectID)
	sh.mu.Lock()
	delete(sh.m, subjectID)
	sh.epoch++
	sh.mu.Unlock()
	v.forgotten.Add(1)
}

// ForgetAll drops everything the view holds.
func (v *View) ForgetAll() {
	for i := range v.shards {
		sh := &v.shards[i]
		sh.mu.Lock()
		clear(sh.m)
		sh.epoch++
		sh.mu.Unlock()
	}
	v.forgotten.Add(1)
}

// Pause drops everything and sends every read to the stores until Resume:
// for when the feed of changes is broken and the view cannot know what
// changed.
func (v *View) Pause() {
	v.live.Store(false)
	v.ForgetAll()
}

// Resume lets the view keep what it reads again. Call it once the feed of
// changes is whole again, after which no change can be missed; it drops
// everything first.
func (v *View) Resume() {
	v.ForgetAll()
	v.live.Store(true)
}

// Live reports whether the view answers from memory: not paused and, when
// its feed vouches, last vouched for less than MaxStaleness ago.
func (v *View) Live() bool { return v.serving() }

// Stats counts the view's reads since New.
type Stats struct {
	// Hits were answered from memory, Misses read the store and kept what
	// they read, Bypassed read the store without keeping anything: reads
	// of no subject and the fail-closed reads below.
	Hits, Misses, Bypassed uint64
	// Paused and Stale are the fail-closed reads, which went to the stores
	// because the view was paused (its feed of changes broken) or because
	// its feed's last vouch was older than MaxStaleness.
	Paused, Stale uint64
	// Forgets counts calls of Forget and ForgetAll.
	Forgets uint64
	// Subjects is how many subjects the view holds now.
	Subjects int
}

// Stats returns the view's counters.
func (v *View) Stats() Stats {
	s := Stats{Hits: v.hits.Load(), Misses: v.misses.Load(), Bypassed: v.bypassed.Load(),
		Paused: v.paused.Load(), Stale: v.stale.Load(), Forgets: v.forgotten.Load()}
	for i := range v.shards {
		sh := &v.shards[i]
		sh.mu.RLock()
		s.Subjects += len(sh.m)
		sh.mu.RUnlock()
	}
	return s
}

func (v *View) shard(subjectID string) *shard {
	return &v.shards[maphash.String(v.seed, subjectID)%shardCount]
}

// lookup returns the subject's entry, if any, and the shard's epoch.
func (v *View) lookup(subjectID string) (*shard, *entry, uint64) {
	sh := v.shard(subjectID)
	sh.mu.RLock()
	e, epoch := sh.m[subjectID], sh.epoch
	sh.mu.RUnlock()
	return sh, e, epoch
}

// keep stores what fetch learnt of the subject unless the shard was
// forgotten since epoch or the view paused. merge returns the new entry
// from the old one (nil when there is none).
func (v *View) keep(sh *shard, subjectID string, epoch uint64, merge func(old *entry) *entry) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.epoch != epoch || !v.serving() {
		return
	}
	old, ok := sh.m[subjectID]
	if !ok && len(sh.m) >= v.perShard {
		for k := range sh.m {
			delete(sh.m, k)
			break
		}
	}
	sh.m[subjectID] = merge(old)
}

type consentReader struct{ v *View }

// State answers as the consent store's State does.
func (r consentReader) State(ctx context.Context, subjectID, purpose string, at time.Time) (consent.State, error) {
	v := r.v
	if err := ctx.Err(); err != nil {
		return consent.State{}, err
	}
	if v.readsThrough(subjectID) {
		return v.consents.State(ctx, subjectID, purpose, at)
	}
	sh, e, epoch := v.lookup(subjectID)
	if e != nil && e.consents != nil {
		v.hits.Add(1)
		return consent.StateAt(e.consents, subjectID, purpose, at), nil
	}
	v.misses.Add(1)
	rs, err := v.consents.History(ctx, subjectID)
	if err != nil {
		return consent.State{}, err
	}
	cut := make([]consent.Record, len(rs))
	for i, r := range rs {
		cut[i] = consent.Record{
			RecordID: r.RecordID, SubjectID: r.SubjectID, Purpose: r.Purpose, Event: r.Event,
			PolicyVersion: r.PolicyVersion, CollectedAt: r.CollectedAt, ExpiresAt: r.ExpiresAt, Guardian: r.Guardian,
		}
	}
	v.keep(sh, subjectID, epoch, func(old *entry) *entry {
		e := &entry{consents: cut}
		if old != nil {
			e.state = old.state
		}
		return e
	})
	return consent.StateAt(cut, subjectID, purpose, at), nil
}

type subjectReader struct{ v *View }

var _ subject.SharedStateReader = subjectReader{}

// State answers as the subject-state store's State does, with a copy of
// what the view keeps.
func (r subjectReader) State(ctx context.Context, subjectID string) (subject.State, error) {
	st, err := r.SharedState(ctx, subjectID)
	if err != nil {
		return subject.State{}, err
	}
	return st.Clone(), nil
}

// SharedState answers as State does without copying: the Objections and
// Lifecycle of the state it returns are the view's and must not be
// modified.
func (r subjectReader) SharedState(ctx context.Context, subjectID string) (subject.State, error) {
	v := r.v
	if err := ctx.Err(); err != nil {
		return subject.State{}, err
	}
	if v.readsThrough(subjectID) {
		return v.subjects.State(ctx, subjectID)
	}
	sh, e, epoch := v.lookup(subjectID)
	if e != nil && e.state != nil {
		v.hits.Add(1)
		return *e.state, nil
	}
	v.misses.Add(1)
	st, err := v.subjects.State(ctx, subjectID)
	if err != nil {
		return subject.State{}, err
	}
	v.keep(sh, subjectID, epoch, func(old *entry) *entry {
		e := &entry{state: &st}
		if old != nil {
			e.consents = old.consents
		}
		return e
	})
	return st, nil
}
