package policies

import (
	"context"
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/privacykit/privacy"
)

// DefaultCacheSize is the number of decisions an engine keeps unless
// WithCache says otherwise.
const DefaultCacheSize = 1 << 16

// WithCache bounds the engine's decision cache to about size decisions
// (default DefaultCacheSize; rounded up to a power of two, at least 128);
// 0 turns the cache off, so that every decision evaluates the policy.
//
// An entry is keyed by everything the evaluation reads but the time: the
// policy generation, every request field but time (the subject's id
// included), and the facts the engine gathered for the decision (consent,
// subject state, retention choices). State is read from the stores on
// every decision, so a withdrawal, an objection or any other change of the
// subject's state changes the key and is never answered from an entry made
// before it. The time is covered by the decision's validity window, which
// the policy computes from the times its rules compare (lib.changes):
// an entry answers only requests whose time falls inside it. The cache
// holds no list of which rule reads what.
func WithCache(size int) Option {
	return func(o *config) { o.cacheSize = size; o.cacheSet = true }
}

const (
	cacheShards = 32
	// cacheWays is the number of slots a key may occupy in its shard: a
	// lookup reads at most this many.
	cacheWays = 4
	// counterStripes spreads the hit and miss counters over cache lines,
	// so that goroutines asking about one subject do not all write the
	// same line.
	counterStripes = 16
)

// decisionCache is a bounded, sharded table from a canonical key to an
// immutable decision. A key lives in one of cacheWays slots of its shard,
// found by its hash; when all of them are taken, an insert replaces one
// (no LRU bookkeeping). A lookup takes no lock and writes nothing shared
// but one striped counter: it loads the slots' pointers and compares the
// keys. Inserts are serialised per shard.
type decisionCache struct {
	seed maphash.Seed
	mask uint64 // slots per shard - 1
	// generation is the policy generation the entries were made under;
	// a decision under another generation empties the cache first.
	generation atomic.Uint64
	shards     [cacheShards]cacheShard
	counters   [counterStripes]cacheCounters
	bufs       sync.Pool
	// invalidations counts the times a new generation emptied the cache.
	invalidations atomic.Uint64
}

type cacheShard struct {
	mu    sync.Mutex // held by writers only
	slots []atomic.Pointer[cacheEntry]
	// entries and evictions change under mu; read without it.
	entries, evictions atomic.Uint64
	_                  [64 - 8 - 24 - 16]byte // writers of neighbouring shards on separate cache lines
}

// cacheCounters is one stripe of the hit and miss counts, a cache line of
// its own.
type cacheCounters struct {
	hits, misses atomic.Uint64
	_            [48]byte
}

// cacheEntry is a decision, the key it was made for, and the window of
// times in which it stands, in unix nanoseconds: from (0: since ever) up
// to but not including until (0: for ever). It is never modified once
// stored; its slices are shared by every caller.
type cacheEntry struct {
	key         string
	d           privacy.Decision
	from, until int64
}

// covers reports whether the entry's decision stands at t.
func (e *cacheEntry) covers(t int64) bool {
	return (e.from == 0 || t >= e.from) && (e.until == 0 || t < e.until)
}

func newDecisionCache(size int) *decisionCache {
	per := 1
	for per < max(size/cacheShards, cacheWays) {
		per <<= 1
	}
	c := &decisionCache{seed: maphash.MakeSeed(), mask: uint64(per - 1)}
	for i := range c.shards {
		c.shards[i].slots = make([]atomic.Pointer[cacheEntry], per)
	}
	c.bufs.New = func() any { b := make([]byte, 0, 256); return &b }
	return c
}

// sync empties the cache when it holds entries of another generation. The
// generation is also part of every key, so an entry of an old policy could
// never be hit; emptying frees the memory at once.
func (c *decisionCache) sync(generation uint64) {
	old := c.generation.Load()
	if old == generation || !c.generation.CompareAndSwap(old, generation) {
		return
	}
	c.invalidations.Add(1)
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for j := range s.slots {
			s.slots[j].Store(nil)
		}
		s.entries.Store(0)
		s.mu.Unlock()
	}
}

// locate returns the key's shard and the first of its slots.
func (c *decisionCache) locate(key []byte) (*cacheShard, uint64) {
	h := maphash.Bytes(c.seed, key)
	return &c.shards[h%cacheShards], (h / cacheShards) & c.mask
}

// counter returns a stripe of the counters chosen at random, so that
// concurrent lookups of one key count on different cache lines.
func (c *decisionCache) counter() *cacheCounters {
	return &c.counters[rand.Uint32()%counterStripes]
}

// get returns the entry for key when it covers at, counting a hit or a
// miss.
func (c *decisionCache) get(key []byte, at int64) *cacheEntry {
	s, i := c.locate(key)
	for w := range uint64(cacheWays) {
		e := s.slots[(i+w)&c.mask].Load()
		if e != nil && e.key == string(key) {
			if e.covers(at) {
				c.counter().hits.Add(1)
				return e
			}
			break
		}
	}
	c.counter().misses.Add(1)
	return nil
}

func (c *decisionCache) put(key []byte, e *cacheEntry) {
	e.key = string(key)
	s, i := c.locate(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	free := -1
	for w := range uint64(cacheWays) {
		j := (i + w) & c.mask
		old := s.slots[j].Load()
		if old != nil && old.key == e.key {
			s.slots[j].Store(e)
			return
		}
		if old == nil && free < 0 {
			free = int(j)
		}
	}
	if free < 0 {
		// Every slot the key may take is full: replace one of them.
		free = int((i + uint64(rand.Uint32()%cacheWays)) & c.mask)
		s.evictions.Add(1)
	} else {
		s.entries.Add(1)
	}
	s.slots[free].Store(e)
}

// stats sums the counters and the entries held.
func (c *decisionCache) stats() CacheStats {
	st := CacheStats{Invalidations: c.invalidations.Load()}
	for i := range c.counters {
		st.Hits += c.counters[i].hits.Load()
		st.Misses += c.counters[i].misses.Load()
	}
	for i := range c.shards {
		st.Evictions += c.shards[i].evictions.Load()
		st.Entries += c.shards[i].entries.Load()
	}
	return st
}

// decideCached answers a valid request from the cache when an entry for
// its facts covers its time, and evaluates the policy otherwise. Only
// decisions without an error are kept.
func (e *Engine) decideCached(ctx context.Context, p *policy, req *privacy.Request, f *facts) (privacy.Decision, error) {
	c := e.cache
	c.sync(p.generation)
	bp := c.bufs.Get().(*[]byte)
	key := f.appendKey((*bp)[:0], p.generation, req)
	defer func() { *bp = key; c.bufs.Put(bp) }()

	at := unixNano(f.at)
	if ent := c.get(key, at); ent != nil {
		return ent.d, nil
	}
	d, w, err := e.evaluateObserved(ctx, p, req, f)
	if err == nil {
		d.Reasons = d.Reasons[:len(d.Reasons):len(d.Reasons)]
		d.Obligations = d.Obligations[:len(d.Obligations):len(d.Obligations)]
		c.put(key, &cacheEntry{d: d, from: w.from, until: w.until})
	}
	return d, err
}
