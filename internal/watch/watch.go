// Package watch fans ledger changes out to the watchers of one process.
// The memory and sqlite stores publish to a Hub after each commit; the
// postgres store feeds its watchers from LISTEN instead.
package watch

import (
	"context"
	"sync"

	"github.com/privacykit/privacy/consent"
)

// Buffer is how many changes a watcher may fall behind before its channel
// is closed.
const Buffer = 1024

// Hub delivers published changes to every subscriber. The zero value is
// ready; it is safe for concurrent use.
type Hub struct {
	mu   sync.Mutex
	subs map[chan consent.Change]struct{}
}

// Subscribe returns a channel that receives every change published after
// it returns, until ctx is done or the subscriber falls Buffer changes
// behind; then the channel is closed.
func (h *Hub) Subscribe(ctx context.Context) <-chan consent.Change {
	ch := make(chan consent.Change, Buffer)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[chan consent.Change]struct{}{}
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	context.AfterFunc(ctx, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.drop(ch)
	})
	return ch
}

// drop closes ch unless it is closed already. h.mu must be held.
func (h *Hub) drop(ch chan consent.Change) {
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
}

// Publish hands the changes to every subscriber without blocking: a
// subscriber whose buffer is full is dropped, its channel closed, so that
// it knows it missed changes.
func (h *Hub) Publish(cs ...consent.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
	send:
		for _, c := range cs {
			select {
			case ch <- c:
			default:
				h.drop(ch)
				break send
			}
		}
	}
}

// Changes returns one Change per subject and purpose the records touch,
// with the last Seq, in ledger order. (A notification too long for
// PostgreSQL is cut down by the store's NOTIFY statement itself.)
func Changes(rs []consent.Record) []consent.Change {
	type key struct{ subject, purpose string }
	at := map[key]int{}
	var out []consent.Change
	for _, r := range rs {
		c := consent.Change{SubjectID: r.SubjectID, Purpose: r.Purpose, Seq: r.Seq}
		k := key{c.SubjectID, c.Purpose}
		if i, ok := at[k]; ok {
			out[i].Seq = c.Seq
			continue
		}
		at[k] = len(out)
		out = append(out, c)
	}
	return out
}

// Hooks calls functions synchronously on every write of a process, before
// the write returns, so that a cache in the same process never serves what
// the write replaced. The zero value is ready; it is safe for concurrent
// use.
type Hooks struct {
	mu   sync.RWMutex
	next int
	fns  map[int]func(subjectID string)
}

// Add registers fn and returns a function that removes it.
func (h *Hooks) Add(fn func(subjectID string)) (remove func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fns == nil {
		h.fns = map[int]func(string){}
	}
	id := h.next
	h.next++
	h.fns[id] = fn
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.fns, id)
	}
}

// Call calls every registered function with subjectID; "" means every
// subject.
func (h *Hooks) Call(subjectID string) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, fn := range h.fns {
		fn(subjectID)
	}
}

// Changed calls every registered function with the subject of each change.
func (h *Hooks) Changed(cs ...consent.Change) {
	for _, c := range cs {
		h.Call(c.SubjectID)
	}
}
