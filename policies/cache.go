package policies

import (
	"context"
	"encoding/binary"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/privacykit/privacy"
	"github.com/privacykit/privacy/consent"
	"github.com/privacykit/privacy/retention"
	"github.com/privacykit/privacy/subject"
)

// DefaultCacheSize is the number of decisions an engine keeps unless
// WithCache says otherwise.
const DefaultCacheSize = 1 << 16

// WithCache bounds the engine's decision cache to about size decisions
// (default DefaultCacheSize); 0 turns the cache off, so that every decision
// evaluates the policy.
//
// The cache key is everything the Rego evaluation reads: the policy
// generation, every request field, the consent state and subject state the
// engine gathered for the decision, and whether the consent had expired at
// the request's time. State is read from the stores on every decision, so a
// withdrawal or objection changes the key and is never answered from an
// entry made before it.
func WithCache(size int) Option {
	return func(o *config) { o.cacheSize = size; o.cacheSet = true }
}

// placeholderID stands for the subject's id when a decision is evaluated for
// the cache, so that one entry serves every subject with the same facts. The
// base policy reads the id only to quote it (%q) in messages; the quoted
// placeholder is replaced by the quoted id when the entry is used.
const placeholderID = "\x00subject\x00"

var quotedPlaceholder = strconv.Quote(placeholderID)

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
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[string]*cacheEntry
	_  [32]byte // 64 bytes a shard: locks on separate cache lines
}

// cacheEntry is a decision made with the placeholder id. Its slices are
// shared by every caller and never modified.
type cacheEntry struct {
	d privacy.Decision
	// quotesID reports whether a reason message quotes the subject id.
	quotesID bool
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

func (c *decisionCache) get(key []byte) *cacheEntry {
	s := c.shard(key)
	s.mu.RLock()
	e := s.m[string(key)]
	s.mu.RUnlock()
	return e
}

func (c *decisionCache) put(key []byte, e *cacheEntry) {
	s := c.shard(key)
	k := string(key)
	s.mu.Lock()
	if len(s.m) >= c.perShard {
		for old := range s.m {
			delete(s.m, old)
			break
		}
	}
	s.m[k] = e
	s.mu.Unlock()
}

// newEntry freezes a decision made with the placeholder id.
func newEntry(d privacy.Decision) *cacheEntry {
	d.Reasons = d.Reasons[:len(d.Reasons):len(d.Reasons)]
	d.Obligations = d.Obligations[:len(d.Obligations):len(d.Obligations)]
	e := &cacheEntry{d: d}
	for _, r := range d.Reasons {
		if strings.Contains(r.Message, quotedPlaceholder) {
			e.quotesID = true
		}
	}
	for _, o := range d.Obligations {
		if strings.Contains(o.Message, quotedPlaceholder) {
			e.quotesID = true
		}
	}
	return e
}

// decision returns the entry's decision for the subject id. Without a
// quoted id it shares the entry's slices.
func (e *cacheEntry) decision(id string) privacy.Decision {
	if !e.quotesID {
		return e.d
	}
	d := e.d
	q := strconv.Quote(id)
	d.Reasons = make([]privacy.Reason, len(e.d.Reasons))
	for i, r := range e.d.Reasons {
		r.Message = strings.ReplaceAll(r.Message, quotedPlaceholder, q)
		d.Reasons[i] = r
	}
	if len(e.d.Obligations) > 0 {
		d.Obligations = make([]privacy.Obligation, len(e.d.Obligations))
		for i, o := range e.d.Obligations {
			o.Message = strings.ReplaceAll(o.Message, quotedPlaceholder, q)
			d.Obligations[i] = o
		}
	}
	return d
}

// appendKey appends the canonical encoding of everything the evaluation of
// req reads. withID includes the subject's id. Strings are length-prefixed,
// so no two inputs share an encoding.
//
// Under the base policy time enters only through consent expiry: the rules
// compare expires_ns with now_ns for a given consent and nothing else reads
// either, so the key carries the outcome of that comparison (retention and
// the end of adequacy decisions add theirs: appendRetention,
// appendAdequacy). rawTime adds
// both times as they are, for policies with extension modules, whose rules
// may read them for anything.
func appendKey(b []byte, generation uint64, withID, rawTime bool, req *privacy.Request, cs *consent.State, ss *subject.State, at time.Time) []byte {
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	flag := func(v bool) {
		if v {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	b = binary.LittleEndian.AppendUint64(b, generation)
	flag(withID)
	if withID {
		str(req.Subject.ID)
	}
	s := &req.Subject
	str(string(s.Kind))
	b = binary.AppendVarint(b, int64(s.Age))
	str(s.Country)
	str(s.Controller)
	str(req.Purpose)
	b = binary.AppendUvarint(b, uint64(len(req.Data)))
	for _, d := range req.Data {
		str(d)
	}
	str(string(req.Basis))
	flag(req.AutomatedDecision)
	flag(req.EncryptedInTransit)
	flag(req.Signals.GPC)
	if r := req.Recipient; r != nil {
		b = append(b, 1)
		str(r.ID)
		str(string(r.Kind))
		str(r.Country)
		flag(r.DPA)
		str(string(r.Safeguard))
		flag(r.Sale)
		b = binary.AppendUvarint(b, uint64(len(r.Certifications)))
		for _, c := range r.Certifications {
			str(c)
		}
		str(r.Sector)
		str(r.Jurisdiction)
		str(string(r.Derogation))
		flag(r.Occasional)
		flag(r.InformProhibited)
	} else {
		b = append(b, 0)
	}

	str(string(cs.Event))
	str(string(cs.Act))
	flag(cs.Guardian)
	str(cs.PolicyVersion)
	exp := unixNano(cs.ExpiresAt)
	flag(exp > 0 && exp <= unixNano(at))
	flag(rawTime)
	if rawTime {
		b = binary.LittleEndian.AppendUint64(b, uint64(exp))
		b = binary.LittleEndian.AppendUint64(b, uint64(unixNano(at)))
		b = binary.LittleEndian.AppendUint64(b, uint64(unixNano(cs.CollectedAt)))
	}

	b = binary.AppendUvarint(b, uint64(len(ss.Objections)))
	for _, o := range ss.Objections {
		flag(o.DirectMarketing)
		if !o.DirectMarketing {
			str(o.Purpose)
		}
	}
	flag(ss.Restricted)
	flag(ss.Deactivated)
	return b
}

// decideCached answers a valid request from the cache, evaluating the
// policy on a miss. Only decisions without an error are kept; the rest are
// evaluated again with the subject's own id, exactly as without a cache.
func (e *Engine) decideCached(ctx context.Context, p *policy, req *privacy.Request, cs *consent.State, ss *subject.State, ch map[string]privacy.Period, tcs *consent.State, at time.Time) (privacy.Decision, error) {
	c := e.cache
	c.sync(p.generation)
	byID := p.readsID || hasNUL(req)
	bp := c.bufs.Get().(*[]byte)
	key := appendKey((*bp)[:0], p.generation, byID, p.readsID, req, cs, ss, at)
	key = p.appendRetention(key, req, ss, ch, at)
	key = p.appendAdequacy(key, req, at)
	key = appendTransferConsent(key, tcs, at)
	key = p.appendConsentAge(key, req, cs, at)
	defer func() { *bp = key; c.bufs.Put(bp) }()

	if ent := c.get(key); ent != nil {
		return ent.decision(req.Subject.ID), nil
	}
	if byID {
		d, err := e.evaluate(ctx, p, req, cs, ss, ch, tcs, at)
		if err == nil {
			c.put(key, newEntry(d))
		}
		return d, err
	}
	anon := *req
	anon.Subject.ID = placeholderID
	d, err := e.evaluate(ctx, p, &anon, cs, ss, ch, tcs, at)
	if err != nil {
		return e.evaluate(ctx, p, req, cs, ss, ch, tcs, at)
	}
	ent := newEntry(d)
	c.put(key, ent)
	return ent.decision(req.Subject.ID), nil
}

// hasNUL reports whether a string of the request other than the subject's
// id contains a NUL byte, and so might quote as the placeholder does: such
// a request is cached by its id and evaluated with it, so that replacing
// the placeholder can never touch another field's text.
func hasNUL(req *privacy.Request) bool {
	nul := func(s string) bool { return strings.IndexByte(s, 0) >= 0 }
	s := &req.Subject
	if nul(string(s.Kind)) || nul(s.Country) || nul(s.Controller) || nul(req.Purpose) || nul(string(req.Basis)) {
		return true
	}
	for _, d := range req.Data {
		if nul(d) {
			return true
		}
	}
	if r := req.Recipient; r != nil {
		return nul(r.ID) || nul(string(r.Kind)) || nul(r.Country) || nul(string(r.Safeguard)) ||
			nul(r.Sector) || nul(r.Jurisdiction) || nul(string(r.Derogation)) || slices.ContainsFunc(r.Certifications, nul)
	}
	return false
}

// appendConsentAge adds to a key the one fact consent.renewal_due reads
// from the time: whether a given consent is older than the purpose's
// maximum age at the request's time (privacy.Period.AddTo, which the Rego
// rule's add_period reproduces).
func (p *policy) appendConsentAge(b []byte, req *privacy.Request, cs *consent.State, at time.Time) []byte {
	if cs.Event != consent.Given || cs.CollectedAt.IsZero() {
		return append(b, 0)
	}
	age, ok := p.catalog.ConsentMaxAge(req.Purpose)
	if !ok {
		return append(b, 0)
	}
	if at.Before(age.AddTo(cs.CollectedAt.UTC())) {
		return append(b, 1)
	}
	return append(b, 2)
}

// appendTransferConsent adds to a key what the Art. 49(1)(a) rule reads
// of the subject's consent to the transfer: its event, whether it had
// expired at the request's time, and the act that gave it.
func appendTransferConsent(b []byte, tcs *consent.State, at time.Time) []byte {
	if tcs == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendUvarint(b, uint64(len(tcs.Event)))
	b = append(b, tcs.Event...)
	b = binary.AppendUvarint(b, uint64(len(tcs.Act)))
	b = append(b, tcs.Act...)
	if exp := unixNano(tcs.ExpiresAt); exp > 0 && exp <= unixNano(at) {
		return append(b, 1)
	}
	return append(b, 0)
}

// appendAdequacy adds to a key the one fact transfer.no_safeguard reads
// from the time: whether the request's time is outside the span of the
// recipient country's adequacy decision, if it has a start or an end
// (Adequacy.Start and End, which the Rego rules compare with now_ns).
func (p *policy) appendAdequacy(b []byte, req *privacy.Request, at time.Time) []byte {
	if req.Recipient == nil {
		return b
	}
	span, ok := p.adequacySpans[req.Recipient.Country]
	if !ok {
		return b
	}
	if (!span[0].IsZero() && at.Before(span[0])) || (!span[1].IsZero() && !at.Before(span[1])) {
		return append(b, 1)
	}
	return append(b, 0)
}

// appendRetention adds to a key the one fact retention.expired reads from
// the subject's lifecycle: for each requested leaf whose retention rule's
// trigger has happened, whether its period has run out at the request's
// time. It computes what the Rego rule compares, with the same calendar
// (privacy.Period.AddTo, which add_period reproduces) and the controller's
// choice within the rule's bounds (retention.Due); the differential test
// holds the two equal.
func (p *policy) appendRetention(b []byte, req *privacy.Request, ss *subject.State, ch map[string]privacy.Period, at time.Time) []byte {
	if len(ss.Lifecycle) == 0 {
		return append(b, 0)
	}
	b = append(b, 1)
	for _, key := range req.Data {
		for _, leaf := range p.catalog.Leaves(key) {
			r := p.catalog.RetentionRule(leaf)
			if r == nil {
				continue
			}
			start, ok := ss.Lifecycle[r.Trigger]
			if !ok {
				continue
			}
			b = append(b, leaf...)
			choice, chosen := ch[leaf]
			if due, _ := retention.Due(r, choice, chosen, start); !at.Before(due) {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
	}
	return b
}
