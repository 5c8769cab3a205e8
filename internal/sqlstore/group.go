package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"sync"

	"github.com/privacykit/privacy/consent"
)

// groupMax is the most records one group commit writes; appends beyond it
// wait for the next.
const groupMax = 2000

// group gathers the appends of one process to one ledger into group
// commits: while one transaction commits, the appends that arrive queue,
// and the next transaction writes them all, with one lock of the head,
// one multi-row insert and one sync. Each caller gets its records back
// only once the transaction holding them has committed, so a returned
// record is as durable and chained as one appended alone; a failed commit
// fails every append in it.
type group struct {
	mu      sync.Mutex
	queue   []*pendingAppend
	running bool // a drain goroutine runs

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
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if lead {
		g.drain(commit, p)
	}
	<-p.done
	return p.out, p.err
}

// drain commits queued appends, at most groupMax records at a time (a
// batch larger than that alone), until the queue is empty or, when mine
// is set, until mine is committed: then a drain goroutine takes over what
// is left.
func (g *group) drain(commit func([]*pendingAppend), mine *pendingAppend) {
	for {
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
			for _, p := range live {
				close(p.done)
			}
		}
		if mine != nil && slices.Contains(batch, mine) {
			g.mu.Lock()
			if len(g.queue) == 0 {
				g.running = false
			} else {
				go g.drain(commit, nil)
			}
			g.mu.Unlock()
			return
		}
	}
}
