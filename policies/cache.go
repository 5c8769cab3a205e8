package policies

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/privacykit/privacy"
)

// DefaultCacheSize is the number of decisions an engine keeps unless
// WithCache says otherwise.
const DefaultCacheSize = 1 << 16

// WithCache bounds the engine's decision cache to about size decisions
// (default DefaultCacheSize); 0 turns the cache off, so that every decision
// evaluates the policy.
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

const cacheShards = 32

// decisionCache is a bounded, sharded map from a canonical key to an
// immutable decision. A full shard drops an arbitrary entry (Go's map order
// is random), which costs less than LRU bookkeeping and keeps a hit to one
// read lock.
type decisionCache struct {
	seed     maphash.Seed
	perShard int
	// generation is the policy generation the entries were made under;
	// a decision under another generation empties the cache first.
	generation atomic.Uint64
	shards     [cacheShards]cacheShard
	bufs       sync.Pool
	// invalidations counts the times a new generation emptied the cache.
	invalidations atomic.Uint64
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[string]*cacheEntry
	// hits, misses and evictions are counted per shard, so that counting
	// adds no shared cache line to a hit.
	hits, misses, evictions atomic.Uint64
	_                       [8]byte // 64 bytes a shard: locks on separate cache lines
}

// cacheEntry is a decision and the window of times in which it stands, in
// unix nanoseconds: from (0: since ever) up to but not including until (0:
// for ever). Its slices are shared by every caller and never modified.
type cacheEntry struct {
	d           privacy.Decision
	from, until int64
}

// covers reports whether the entry's decision stands at t.
func (e *cacheEntry) covers(t int64) bool {
	return (e.from == 0 || t >= e.from) && (e.until == 0 || t < e.until)
}

func newDecisionCache(size int) *decisionCache {
	per := max(size/cacheShards, 1)
	c := &decisionCache{seed: maphash.MakeSeed(), perShard: per}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*cacheEntry)
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
		clear(s.m)
		s.mu.Unlock()
	}
}

func (c *decisionCache) shard(key []byte) *cacheShard {
	return &c.shards[maphash.Bytes(c.seed, key)%cacheShards]
}

// get returns the entry for key when it covers at, counting a hit or a
// miss.
func (c *decisionCache) get(key []byte, at int64) *cacheEntry {
	s := c.shard(key)
	s.mu.RLock()
	e := s.m[string(key)]
	s.mu.RUnlock()
	if e == nil || !e.covers(at) {
		s.misses.Add(1)
		return nil
	}
	s.hits.Add(1)
	return e
}

func (c *decisionCache) put(key []byte, e *cacheEntry) {
	s := c.shard(key)
	k := string(key)
	s.mu.Lock()
	if len(s.m) >= c.perShard {
		for old := range s.m {
			delete(s.m, old)
			s.evictions.Add(1)
			break
		}
	}
	s.m[k] = e
	s.mu.Unlock()
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
