package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"time"

	"github.com/privacykit/privacy/consent"
)

// groupMax is the most records one group commit writes; appends beyond it
// wait for the next.
const groupMax = 2000

// gatherMax bounds how long a drain waits, after a commit, for the
// writers of the group it committed to queue again (group.gather).
const gatherMax = 250 * time.Microsecond

// group gathers the appends of one process to one ledger into group
// commits: while one transaction commits, the appends that arrive queue,
// and the next transaction writes them all, with one lock of the head,
// one multi-row insert and one sync. Each caller gets its records back
// only once the transaction holding them has committed, so a returned
// record is as durable and chained as one appended alone; a failed commit
// fails every append in it. Once more than one writer was seen, the next
// transaction waits a moment for the writers of the last to queue again
// (gather), so that many writers share each sync rather than alternate
// between two half groups.
type group struct {
	mu      sync.Mutex
	queue   []*pendingAppend
	running bool // a drain goroutine runs

	// While a drain gathers, full is closed once the queue holds want
	// appends.
	want int
	full chan struct{}
	// gatherMax, if set, replaces the constant (tests).
	gatherMax time.Duration

	// The head the last group commit left, and its key id, when known:
	// the next one chains to it without reading it (Dialect.appendRecords).
	// Only the drain goroutine uses them.
	head      consent.Head
	headKey   string
	headKnown bool

	// metrics are the ledger's instruments; nil records nothing.
	metrics *ledgerMetrics

	// stmts are the prepared inserts of n records.
	stmtMu sync.Mutex
	stmts  map[int]*sql.Stmt
}

// pendingAppend is one caller's records, waiting for their commit.
type pendingAppend struct {
	ctx  context.Context
	rs   []consent.Record
	out  []consent.Record
	err  error
	done chan struct{}
}

// append queues rs and waits for the commit that holds rs. When no drain
// runs, the caller drains itself, so that a lone writer commits on its own
// goroutine with no hand-over; once its records are committed it hands
// what queued meanwhile to a drain goroutine. It waits even when ctx ends
// meanwhile: a record in a commit under way may be stored, and the caller
// must not be told it was not.
func (g *group) append(ctx context.Context, rs []consent.Record, commit func([]*pendingAppend)) ([]consent.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := &pendingAppend{ctx: ctx, rs: rs, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, p)
	if g.full != nil && len(g.queue) >= g.want {
		close(g.full)
		g.full = nil
	}
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if lead {
		g.drain(commit, p, 0)
	}
	<-p.done
	return p.out, p.err
}

// drain commits queued appends, at most groupMax records at a time (a
// batch larger than that alone), until the queue is empty or, when mine
// is set, until mine is committed: then a drain goroutine takes over what
// is left. Before each group but a lead's first it gathers (see gather)
// until want appends queued.
func (g *group) drain(commit func([]*pendingAppend), mine *pendingAppend, want int) {
	for {
		g.gather(want)
		g.mu.Lock()
		n, take := 0, 0
		for take < len(g.queue) && (take == 0 || n+len(g.queue[take].rs) <= groupMax) {
			n += len(g.queue[take].rs)
			take++
		}
		if take == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		batch := g.queue[:take:take]
		g.queue = append([]*pendingAppend(nil), g.queue[take:]...)
		g.mu.Unlock()

		// Appends whose context ended while they queued are not written.
		live := batch[:0:0]
		for _, p := range batch {
			if err := p.ctx.Err(); err != nil {
				p.err = err
				close(p.done)
				continue
			}
			live = append(live, p)
		}
		if len(live) > 0 {
			commit(live)
		}
		// The writers of this group may append again as soon as they
		// return; those queued meanwhile are others: the next group waits
		// for both.
		g.mu.Lock()
		want = min(len(live)+len(g.queue), groupMax)
		g.mu.Unlock()
		for _, p := range live {
			close(p.done)
		}
		if mine != nil && slices.Contains(batch, mine) {
			g.mu.Lock()
			if len(g.queue) == 0 && want <= 1 {
				g.running = false
			} else {
				go g.drain(commit, nil, want)
			}
			g.mu.Unlock()
			return
		}
	}
}

// gather waits, at most gatherMax, until want appends queued, when more
// than one writer was seen (want > 1): the writers of the group just
// committed and those that queued while it committed. Without it, the
// next group would hold only those others, the one after only the writers
// of the last, and so on: two half groups and two syncs where one would
// do. A lone writer (want 1) never waits.
func (g *group) gather(want int) {
	if want <= 1 {
		return
	}
	g.mu.Lock()
	if len(g.queue) >= want {
		g.mu.Unlock()
		return
	}
	full := make(chan struct{})
	g.want, g.full = want, full
	g.mu.Unlock()
	d := gatherMax
	if g.gatherMax > 0 {
		d = g.gatherMax
	}
	t := time.NewTimer(d)
	select {
	case <-full:
	case <-t.C:
	}
	t.Stop()
	g.mu.Lock()
	if g.full == full {
		g.full = nil
	}
	g.mu.Unlock()
}
